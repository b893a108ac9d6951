//! The drift-monitor service: a report on a schedule and on demand, served as JSON, HTML and
//! Prometheus gauges.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fraudloop_config::AdminToken;
use prometheus::{Gauge, GaugeVec, IntCounterVec, Opts, Registry};
use serde_json::json;

use crate::{run_once, DriftConfig, DriftReport, WindowSpec};

/// Service settings.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Listen address.
    pub addr: SocketAddr,
    /// Shared home.
    pub home: PathBuf,
    /// Bearer token for `POST /admin/run` (None: refused).
    pub admin_token: Option<AdminToken>,
    /// Time between scheduled reports.
    pub interval: Duration,
    /// The window.
    pub window: WindowSpec,
    /// Report settings.
    pub config: DriftConfig,
}

/// Prometheus gauges of the latest report.
#[derive(Clone)]
struct Gauges {
    registry: Registry,
    dataset_drift_share: Gauge,
    dataset_drift: Gauge,
    column_score: GaugeVec,
    column_drift: GaugeVec,
    text_drift_auc: Gauge,
    text_drift: Gauge,
    psi: Gauge,
    performance: GaugeVec,
    window_rows: GaugeVec,
    labelled_rows: Gauge,
    last_run: Gauge,
    last_duration: Gauge,
    runs: IntCounterVec,
}

impl Gauges {
    fn new() -> Gauges {
        let registry = Registry::new();
        let g = |name: &str, help: &str| {
            let gauge = Gauge::new(name, help).expect("valid metric");
            registry
                .register(Box::new(gauge.clone()))
                .expect("unique metric");
            gauge
        };
        let gv = |name: &str, help: &str, labels: &[&str]| {
            let gauge = GaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(gauge.clone()))
                .expect("unique metric");
            gauge
        };
        let runs = IntCounterVec::new(
            Opts::new("fraudloop_drift_runs_total", "Drift reports by result"),
            &["result"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(runs.clone()))
            .expect("unique metric");
        Gauges {
            dataset_drift_share: g(
                "fraudloop_drift_share",
                "Share of drifted columns in the latest report",
            ),
            dataset_drift: g(
                "fraudloop_drift_dataset_detected",
                "1 when the latest report found dataset drift",
            ),
            column_score: gv(
                "fraudloop_drift_column_score",
                "Per-column drift score (p-value or distance)",
                &["column", "test"],
            ),
            column_drift: gv(
                "fraudloop_drift_column_detected",
                "1 when the column drifted",
                &["column"],
            ),
            text_drift_auc: g(
                "fraudloop_text_drift_auc",
                "ROC-AUC of the reference-vs-current domain classifier",
            ),
            text_drift: g(
                "fraudloop_text_drift_detected",
                "1 when text drift was detected",
            ),
            psi: g(
                "fraudloop_risk_score_psi",
                "PSI of the risk score, current vs reference",
            ),
            performance: gv(
                "fraudloop_model_performance",
                "Measured and estimated performance",
                &["metric", "kind"],
            ),
            window_rows: gv("fraudloop_drift_window_rows", "Rows compared", &["side"]),
            labelled_rows: g(
                "fraudloop_drift_labelled_rows",
                "Labelled rows in the current window",
            ),
            last_run: g(
                "fraudloop_drift_last_run_timestamp_seconds",
                "Unix time of the latest report",
            ),
            last_duration: g(
                "fraudloop_drift_last_run_duration_seconds",
                "Time the latest report took",
            ),
            runs,
            registry,
        }
    }

    fn update(&self, report: &DriftReport, took: Duration) {
        self.dataset_drift_share.set(report.drift_share);
        self.dataset_drift
            .set(f64::from(u8::from(report.dataset_drift)));
        self.column_score.reset();
        self.column_drift.reset();
        for c in &report.columns {
            self.column_score
                .with_label_values(&[&c.name, c.test])
                .set(c.score);
            self.column_drift
                .with_label_values(&[&c.name])
                .set(f64::from(u8::from(c.drifted)));
        }
        if let Some(t) = &report.text_drift {
            self.text_drift_auc.set(t.roc_auc);
            self.text_drift.set(f64::from(u8::from(t.detected)));
        }
        if let Some(p) = &report.psi {
            self.psi.set(p.value);
        }
        self.performance.reset();
        if let Some(m) = &report.performance.current {
            for key in ["f1", "precision", "recall", "accuracy", "balanced_accuracy"] {
                if let Some(v) = m[key].as_f64() {
                    self.performance
                        .with_label_values(&[key, "measured"])
                        .set(v);
                }
            }
        }
        if let Some(e) = &report.estimated_performance {
            for (key, v) in [
                ("f1", e.f1),
                ("precision", e.precision),
                ("recall", e.recall),
                ("accuracy", e.accuracy),
            ] {
                self.performance
                    .with_label_values(&[key, "estimated"])
                    .set(v);
            }
        }
        self.window_rows
            .with_label_values(&["current"])
            .set(report.window.rows as f64);
        self.window_rows
            .with_label_values(&["reference"])
            .set(report.window.reference_rows as f64);
        self.labelled_rows
            .set(report.performance.labelled_rows as f64);
        self.last_run
            .set(report.generated_at.timestamp_millis() as f64 / 1000.0);
        self.last_duration.set(took.as_secs_f64());
    }
}

/// Shared service state.
#[derive(Clone)]
pub struct ServiceState {
    settings: Arc<ServiceSettings>,
    latest: Arc<RwLock<Option<Arc<DriftReport>>>>,
    gauges: Gauges,
    run_lock: Arc<tokio::sync::Mutex<()>>,
}

impl ServiceState {
    /// A state for these settings, with the latest stored report loaded if there is one.
    pub fn new(settings: ServiceSettings) -> ServiceState {
        ServiceState {
            settings: Arc::new(settings),
            latest: Arc::default(),
            gauges: Gauges::new(),
            run_lock: Arc::default(),
        }
    }

    /// Computes a report now (one at a time), stores it and updates the gauges.
    pub async fn run(&self) -> Result<Arc<DriftReport>, String> {
        let _one_at_a_time = self.run_lock.lock().await;
        let settings = self.settings.clone();
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            run_once(
                &fraudloop_config::Home::new(&settings.home),
                settings.window,
                &settings.config,
            )
        })
        .await
        .map_err(|e| e.to_string())?;
        match result {
            Ok(report) => {
                let report = Arc::new(report);
                self.gauges.update(&report, started.elapsed());
                self.gauges.runs.with_label_values(&["ok"]).inc();
                *self.latest.write().expect("report lock") = Some(report.clone());
                tracing::info!(status = %report.status, seconds = started.elapsed().as_secs_f64(), "drift report");
                Ok(report)
            }
            Err(e) => {
                self.gauges.runs.with_label_values(&["failed"]).inc();
                tracing::warn!(error = %e, "drift report failed");
                Err(e.to_string())
            }
        }
    }

    fn latest(&self) -> Option<Arc<DriftReport>> {
        self.latest.read().expect("report lock").clone()
    }
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

/// Every route of the service.
pub fn router(state: ServiceState) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/reports", get(list_reports))
        .route("/reports/latest", get(latest_json))
        .route("/reports/latest.html", get(latest_html))
        .route("/reports/history", get(history))
        .route("/reports/{name}", get(stored_report))
        .route("/admin/run", post(admin_run))
        .route("/metrics", get(metrics))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .with_state(state)
}

async fn latest_json(State(state): State<ServiceState>) -> Response {
    match state.latest() {
        Some(report) => Json(report.as_ref().clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "no_report",
            "no report yet; the first run is under way or failed",
        ),
    }
}

async fn latest_html(State(state): State<ServiceState>) -> Response {
    match state.latest() {
        Some(report) => axum::response::Html(crate::html::render_html(&report)).into_response(),
        None => error(StatusCode::NOT_FOUND, "no_report", "no report yet"),
    }
}

async fn list_reports(State(state): State<ServiceState>) -> Response {
    let dir = fraudloop_config::Home::new(&state.settings.home).reports();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.starts_with("report-") && n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.reverse();
    Json(json!({"reports": names})).into_response()
}

/// `GET /reports/history`: the headline numbers of every stored report, oldest first, for
/// trends (drift share, text-drift AUC, PSI, measured and estimated F1).
async fn history(State(state): State<ServiceState>) -> Response {
    let dir = fraudloop_config::Home::new(&state.settings.home).reports();
    let points = tokio::task::spawn_blocking(move || {
        let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("report-") && n.ends_with(".json"))
        });
        names.sort();
        names
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .filter_map(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .map(|r| {
                json!({
                    "generated_at": r["generated_at"],
                    "model_version": r["model_version"],
                    "rows": r["window"]["rows"],
                    "enough_data": r["window"]["enough_data"],
                    "dataset_drift": r["dataset_drift"],
                    "drift_share": r["drift_share"],
                    "text_drift_auc": r["text_drift"]["roc_auc"],
                    "text_drift": r["text_drift"]["detected"],
                    "psi": r["psi"]["value"],
                    "f1_measured": r["performance"]["current"]["f1"],
                    "f1_estimated": r["estimated_performance"]["f1"],
                })
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    Json(json!({"points": points})).into_response()
}

async fn stored_report(State(state): State<ServiceState>, Path(name): Path<String>) -> Response {
    let valid = name.starts_with("report-")
        && name.ends_with(".json")
        && !name.contains(['/', '\\'])
        && !name.contains("..");
    if !valid {
        return error(StatusCode::NOT_FOUND, "not_found", "no such report");
    }
    let path = fraudloop_config::Home::new(&state.settings.home)
        .reports()
        .join(&name);
    match std::fs::read(&path) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, "not_found", "no such report"),
    }
}

async fn admin_run(State(state): State<ServiceState>, headers: HeaderMap) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(denied) = AdminToken::check(state.settings.admin_token.as_ref(), authorization) {
        let message = denied.message("DRIFT_MONITOR_ADMIN_TOKEN");
        return error(StatusCode::UNAUTHORIZED, denied.code(), message);
    }
    match state.run().await {
        Ok(report) => Json(report.as_ref().clone()).into_response(),
        Err(message) => error(StatusCode::CONFLICT, "report_failed", message),
    }
}

async fn metrics(State(state): State<ServiceState>) -> Response {
    let body = prometheus::TextEncoder::new()
        .encode_to_string(&state.gauges.registry.gather())
        .unwrap_or_else(|e| format!("# encoding failed: {e}\n"));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Runs reports every `interval` (the first at once) until the process ends.
pub async fn schedule(state: ServiceState) {
    let mut interval = tokio::time::interval(state.settings.interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        // Failures are counted and logged in run(); the next tick tries again.
        let _ = state.run().await;
    }
}

/// Binds, schedules and serves until `shutdown` resolves. Returns the bound port through
/// `on_bound` (port 0 works).
pub async fn serve(
    settings: ServiceSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_bound: impl FnOnce(u16),
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.addr).await?;
    on_bound(listener.local_addr()?.port());
    let state = ServiceState::new(settings);
    let scheduler = tokio::spawn(schedule(state.clone()));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    scheduler.abort();
    Ok(served?)
}
