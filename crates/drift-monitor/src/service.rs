//! The drift-monitor service: a report on a schedule and on demand, served as JSON, HTML and
//! Prometheus gauges.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fraudloop_config::{AdminToken, Home};
use fraudloop_http::{
    Admin, AdminAccess, ApiError, ApiPath, ErrorCode, Guard, Limits, RequestMetrics, RouteTable,
    Routes, Server,
};
use prometheus::{Gauge, GaugeVec, IntCounterVec, Opts, Registry};
use serde_json::{json, Value};
use tower::Service;

use crate::store::{Latest, ReportStore, Retention};
use crate::{compute_report, DriftConfig, WindowSpec};

/// The environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "DRIFT_MONITOR_ADMIN_TOKEN";

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
    /// The window, computed afresh at every run.
    pub window: WindowSpec,
    /// Report settings.
    pub config: DriftConfig,
    /// How many stored reports are kept.
    pub retention: Retention,
}

/// Prometheus gauges of the latest report.
#[derive(Clone)]
struct Gauges {
    registry: Registry,
    dataset_drift_share: Gauge,
    dataset_drift: Gauge,
    enough_data: Gauge,
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
                "Share of drifted columns in the latest report (NaN without enough data)",
            ),
            dataset_drift: g(
                "fraudloop_drift_dataset_detected",
                "1 when the latest report found dataset drift",
            ),
            enough_data: g(
                "fraudloop_drift_enough_data",
                "1 when the latest report's window had enough rows for verdicts",
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
                "ROC-AUC of the reference-vs-current domain classifier (NaN when not computed)",
            ),
            text_drift: g(
                "fraudloop_text_drift_detected",
                "1 when text drift was detected",
            ),
            psi: g(
                "fraudloop_risk_score_psi",
                "PSI of the risk score, current vs reference (NaN when not computed)",
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

    /// Sets every gauge from a report's JSON: a value the report lacks (a "not enough data"
    /// report has no text drift) is reset, never left at an older report's value.
    fn update(&self, report: &Value) {
        let flag = |v: &Value| f64::from(u8::from(v.as_bool().unwrap_or(false)));
        let number = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
        self.dataset_drift_share.set(number(&report["drift_share"]));
        self.dataset_drift.set(flag(&report["dataset_drift"]));
        self.enough_data.set(flag(&report["window"]["enough_data"]));
        self.column_score.reset();
        self.column_drift.reset();
        for c in report["columns"].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or_default();
            self.column_score
                .with_label_values(&[name, c["test"].as_str().unwrap_or_default()])
                .set(number(&c["score"]));
            self.column_drift
                .with_label_values(&[name])
                .set(flag(&c["drifted"]));
        }
        self.text_drift_auc
            .set(number(&report["text_drift"]["roc_auc"]));
        self.text_drift.set(flag(&report["text_drift"]["detected"]));
        self.psi.set(number(&report["psi"]["value"]));
        self.performance.reset();
        let measured = &report["performance"]["current"];
        let estimated = &report["estimated_performance"];
        for key in ["f1", "precision", "recall", "accuracy", "balanced_accuracy"] {
            for (kind, values) in [("measured", measured), ("estimated", estimated)] {
                if let Some(v) = values[key].as_f64() {
                    self.performance.with_label_values(&[key, kind]).set(v);
                }
            }
        }
        self.window_rows
            .with_label_values(&["current"])
            .set(number(&report["window"]["rows"]));
        self.window_rows
            .with_label_values(&["reference"])
            .set(number(&report["window"]["reference_rows"]));
        self.labelled_rows
            .set(number(&report["performance"]["labelled_rows"]));
        let generated = report["generated_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(f64::NAN, |t| t.timestamp_millis() as f64 / 1000.0);
        self.last_run.set(generated);
    }
}

/// Shared service state.
#[derive(Clone)]
pub struct ServiceState {
    settings: Arc<ServiceSettings>,
    store: ReportStore,
    latest: Arc<RwLock<Option<Latest>>>,
    gauges: Gauges,
    http: RequestMetrics,
    run_lock: Arc<tokio::sync::Mutex<()>>,
}

impl AdminAccess for ServiceState {
    fn admin_token(&self) -> Option<&AdminToken> {
        self.settings.admin_token.as_ref()
    }

    fn admin_token_env(&self) -> &'static str {
        ADMIN_TOKEN_ENV
    }
}

impl ServiceState {
    /// A state for these settings, with the latest stored report (and its gauges) loaded if
    /// there is one, so `/reports/latest` answers right after a restart.
    pub async fn new(settings: ServiceSettings) -> ServiceState {
        let reports = Home::new(&settings.home).reports();
        let retention = settings.retention;
        let (store, latest) = tokio::task::spawn_blocking(move || {
            let store = ReportStore::open(&reports, retention);
            let latest = store.load_latest();
            (store, latest)
        })
        .await
        .expect("opening the report store does not panic");
        let gauges = Gauges::new();
        if let Some(latest) = &latest {
            gauges.update(&latest.value);
        }
        let http = RequestMetrics::new(&gauges.registry, route_table());
        ServiceState {
            settings: Arc::new(settings),
            store,
            latest: Arc::new(RwLock::new(latest)),
            gauges,
            http,
            run_lock: Arc::default(),
        }
    }

    /// Computes a report now (one at a time), stores it and updates the gauges.
    pub async fn run(&self) -> Result<Latest, String> {
        let _one_at_a_time = self.run_lock.lock().await;
        let settings = self.settings.clone();
        let store = self.store.clone();
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let report = compute_report(
                &Home::new(&settings.home),
                settings.window,
                &settings.config,
            )?;
            let status = report.status.clone();
            store.save(&report).map(|latest| (latest, status))
        })
        .await
        .map_err(|e| e.to_string())?;
        match result {
            Ok((latest, status)) => {
                self.gauges.update(&latest.value);
                self.gauges
                    .last_duration
                    .set(started.elapsed().as_secs_f64());
                self.gauges.runs.with_label_values(&["ok"]).inc();
                *self.latest.write().expect("report lock") = Some(latest.clone());
                tracing::info!(%status, seconds = started.elapsed().as_secs_f64(), "drift report");
                Ok(latest)
            }
            Err(e) => {
                self.gauges.runs.with_label_values(&["failed"]).inc();
                tracing::warn!(error = %e, "drift report failed");
                Err(e.to_string())
            }
        }
    }

    fn latest(&self) -> Option<Latest> {
        self.latest.read().expect("report lock").clone()
    }
}

fn routes() -> Routes<ServiceState> {
    Routes::new()
        .get("/health", fraudloop_http::health)
        .get("/ready", ready)
        .get("/reports", list_reports)
        .get("/reports/latest", latest_json)
        .get("/reports/latest.html", latest_html)
        .get("/reports/history", history)
        .get("/reports/{name}", stored_report)
        .post("/admin/run", admin_run)
        .get("/metrics", metrics)
        .get("/openapi.json", openapi)
}

/// The routes the router serves.
pub fn route_table() -> RouteTable {
    routes().table()
}

/// Every route of the service behind the shared request guard.
pub fn router(
    state: ServiceState,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let metrics = state.http.clone();
    Guard::new(
        routes().into_router().with_state(state),
        metrics,
        Limits::default(),
    )
}

/// The OpenAPI document, written by hand and checked against the router by the tests.
pub const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

fn no_report() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NoReport,
        "no report yet; the first run is under way or failed",
    )
}

async fn ready(State(state): State<ServiceState>) -> Json<Value> {
    let latest = state.latest().map(|l| l.value["generated_at"].clone());
    Json(json!({"status": "ready", "latest_report": latest}))
}

async fn latest_json(State(state): State<ServiceState>) -> Result<Response, ApiError> {
    let latest = state.latest().ok_or_else(no_report)?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Bytes::copy_from_slice(&latest.json),
    )
        .into_response())
}

async fn latest_html(State(state): State<ServiceState>) -> Result<Response, ApiError> {
    let latest = state.latest().ok_or_else(no_report)?;
    Ok(axum::response::Html(latest.html.to_string()).into_response())
}

/// `GET /reports`: stored report names, newest first.
async fn list_reports(State(state): State<ServiceState>) -> Json<Value> {
    let names: Vec<String> = state
        .store
        .history()
        .into_iter()
        .rev()
        .map(|e| e.name)
        .collect();
    Json(json!({"reports": names}))
}

/// `GET /reports/history`: the headline numbers of every stored report, oldest first, for
/// trends (drift share, text-drift AUC, PSI, measured and estimated F1), from the index.
async fn history(State(state): State<ServiceState>) -> Json<Value> {
    Json(json!({"points": state.store.history()}))
}

async fn stored_report(
    State(state): State<ServiceState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let bytes = tokio::task::spawn_blocking(move || store.read(&name))
        .await
        .map_err(|e| ApiError::internal("reading a stored report", e))?
        .ok_or_else(|| ApiError::not_found("no such report; see /reports"))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

async fn admin_run(_admin: Admin, State(state): State<ServiceState>) -> Result<Response, ApiError> {
    match state.run().await {
        Ok(latest) => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            axum::body::Bytes::copy_from_slice(&latest.json),
        )
            .into_response()),
        Err(message) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ReportFailed,
            message,
        )),
    }
}

async fn metrics(State(state): State<ServiceState>) -> Response {
    fraudloop_http::metrics::text_response(fraudloop_http::metrics::render(&state.gauges.registry))
}

/// A built service, bound and ready to run.
pub struct Application {
    server: Server,
    state: ServiceState,
}

impl Application {
    /// Loads the stored latest report and binds the listener (port 0 works).
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        let server = Server::bind(settings.addr).await?;
        let state = ServiceState::new(settings).await;
        Ok(Application { server, state })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Runs reports every interval (the first at once) and serves until `shutdown`
    /// resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let scheduled = self.state.clone();
        // Failures are counted and logged in run(); the next tick tries again.
        let _scheduler = fraudloop_http::spawn_periodic(
            "drift report",
            self.state.settings.interval,
            move || {
                let state = scheduled.clone();
                async move {
                    let _ = state.run().await;
                    Ok(())
                }
            },
        );
        self.server.serve(router(self.state), shutdown).await
    }
}
