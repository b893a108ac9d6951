//! `trainer serve`: the closed loop as a service. After each drift report it decides
//! (through `loop-policy`) whether to do nothing, alert, retrain or roll back; runs retraining
//! jobs one at a time; promotes candidates that pass the gate and checks every predict-api
//! replica serves them; and keeps an audit log of every decision.

mod alerts;
pub mod data;
pub mod jobs;
mod replicas;
pub mod settings;
pub mod signals;
pub mod store;

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use artifact_store::ModelVersion;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use fraudloop_config::AdminToken;
use fraudloop_http::{
    Admin, AdminAccess, ApiError, ApiJson, ApiPath, ErrorCode, Guard, Limits, RequestMetrics,
    RouteTable, Routes, Server,
};
use loop_policy::{decide, Action, AlertGate, Decision, Signals};
use prometheus::{Gauge, GaugeVec, IntCounterVec, Opts, Registry as Metrics};
use serde::Deserialize;
use serde_json::{json, Value};
use tower::Service;

use self::alerts::Alerter;
use self::jobs::{Job, JobRequest, JobState, RetrainContext};
pub use self::settings::{LoopSettings, ServiceSettings, ADMIN_TOKEN_ENV};
use self::store::{LoopStore, PersistedState, Revocation};

/// Who the loop is in the registry's history.
const ACTOR: &str = "fraudloop-loop";

/// The loop's Prometheus metrics.
#[derive(Clone)]
struct LoopMetrics {
    registry: Metrics,
    decisions: IntCounterVec,
    triggers: GaugeVec,
    jobs: IntCounterVec,
    queued: Gauge,
    alerts: IntCounterVec,
}

impl LoopMetrics {
    fn new() -> LoopMetrics {
        let registry = Metrics::new();
        let counter = |name: &str, help: &str, label: &str| {
            let c = IntCounterVec::new(Opts::new(name, help), &[label]).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let decisions = counter(
            "fraudloop_loop_decisions_total",
            "Decisions of the loop's policy, by action",
            "action",
        );
        for a in Action::ALL {
            decisions.with_label_values(&[a.as_str()]);
        }
        let jobs = counter(
            "fraudloop_loop_jobs_total",
            "Retraining jobs ended, by final state",
            "state",
        );
        let alerts = counter(
            "fraudloop_loop_alerts_total",
            "Alerts by outcome (delivered, failed, duplicate, rate_limited, dropped)",
            "outcome",
        );
        let triggers = GaugeVec::new(
            Opts::new(
                "fraudloop_loop_trigger_value",
                "Each trigger's value at the latest report (flags are 0/1; NaN when unknown)",
            ),
            &["trigger"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(triggers.clone()))
            .expect("unique metric");
        let queued = Gauge::new("fraudloop_loop_jobs_queued", "Jobs waiting or running")
            .expect("valid metric");
        registry
            .register(Box::new(queued.clone()))
            .expect("unique metric");
        LoopMetrics {
            registry,
            decisions,
            triggers,
            jobs,
            queued,
            alerts,
        }
    }

    fn set_triggers(&self, s: &Signals) {
        let flag = |b: bool| f64::from(u8::from(b));
        let t = |name: &str, v: f64| self.triggers.with_label_values(&[name]).set(v);
        t("labels_since_production", s.labels_since_production as f64);
        t(
            "labels_since_last_retrain",
            s.labels_since_last_retrain
                .map_or(s.labels_since_production as f64, |n| n as f64),
        );
        t("dataset_drift", flag(s.dataset_drift));
        t("text_drift", flag(s.text_drift));
        t("f1_drop_points", s.f1_drop_points.unwrap_or(f64::NAN));
        t("schedule_due", flag(s.schedule_due));
        t(
            "regression_points",
            s.regression
                .as_ref()
                .map_or(f64::NAN, |r| (r.previous_f1 - r.production_f1) * 100.0),
        );
    }
}

/// What the service holds in memory (the files under `loop/` are the truth).
struct Inner {
    state: PersistedState,
    jobs: Vec<Job>,
    decisions: Vec<Value>,
}

/// Shared service state.
#[derive(Clone)]
pub struct LoopService {
    settings: Arc<ServiceSettings>,
    store: LoopStore,
    inner: Arc<Mutex<Inner>>,
    wake: Arc<tokio::sync::Notify>,
    tick_lock: Arc<tokio::sync::Mutex<()>>,
    metrics: LoopMetrics,
    http: RequestMetrics,
    alerter: Alerter,
    client: reqwest::Client,
}

impl AdminAccess for LoopService {
    fn admin_token(&self) -> Option<&AdminToken> {
        self.settings.admin_token.as_ref()
    }

    fn admin_token_env(&self) -> &'static str {
        ADMIN_TOKEN_ENV
    }
}

impl LoopService {
    /// Opens the loop's records. A job that was running when the service stopped is failed
    /// (its candidate, if registered, was not promoted by it); queued jobs run again.
    pub async fn open(settings: ServiceSettings) -> anyhow::Result<LoopService> {
        let home = settings.home.clone();
        let (store, state, mut jobs, decisions) = tokio::task::spawn_blocking(move || {
            let store = LoopStore::open(&home)?;
            anyhow::Ok((
                store.clone(),
                store.load_state()?,
                store.load_jobs()?,
                store.read_decisions()?,
            ))
        })
        .await??;
        let metrics = LoopMetrics::new();
        let alerter = Alerter::start(
            settings.settings.webhooks(),
            AlertGate::new(
                chrono::Duration::minutes(settings.settings.alert_dedup_minutes),
                settings.settings.alerts_per_hour,
            ),
            settings.settings.alert_attempts,
            metrics.alerts.clone(),
        );
        let http = RequestMetrics::new(&metrics.registry, route_table());
        let mut interrupted = Vec::new();
        for job in jobs.iter_mut().filter(|j| j.state == JobState::Running) {
            job.error = Some("interrupted: the service stopped while the job ran".into());
            job.finish(
                JobState::Failed,
                "interrupted by a restart; nothing was promoted by this job",
            );
            interrupted.push(job.clone());
        }
        let service = LoopService {
            settings: Arc::new(settings),
            store,
            inner: Arc::new(Mutex::new(Inner {
                state,
                jobs,
                decisions,
            })),
            wake: Arc::default(),
            tick_lock: Arc::default(),
            metrics,
            http,
            alerter,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .context("HTTP client")?,
        };
        for job in interrupted {
            service.save_job(&job).await?;
            service
                .job_outcome(&job, "failed: interrupted by a restart".into())
                .await?;
        }
        service.update_queue_gauge();
        Ok(service)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("loop state lock")
    }

    fn update_queue_gauge(&self) {
        let n = self
            .lock()
            .jobs
            .iter()
            .filter(|j| !j.state.is_final())
            .count();
        self.metrics.queued.set(n as f64);
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(LoopStore) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store)).await?
    }

    async fn save_job(&self, job: &Job) -> anyhow::Result<()> {
        let job = job.clone();
        {
            let mut inner = self.lock();
            if let Some(slot) = inner.jobs.iter_mut().find(|j| j.id == job.id) {
                *slot = job.clone();
            } else {
                inner.jobs.push(job.clone());
            }
        }
        self.blocking(move |s| s.save_job(&job)).await
    }

    async fn save_state(&self) -> anyhow::Result<()> {
        let state = self.lock().state.clone();
        self.blocking(move |s| s.save_state(&state)).await
    }

    async fn append_decision(&self, line: Value) -> anyhow::Result<()> {
        let stored = line.clone();
        self.blocking(move |s| s.append_decision(&stored)).await?;
        self.lock().decisions.push(line);
        Ok(())
    }

    /// Queues a job, or returns the job already created with the same idempotency key.
    /// Returns the job and whether it is new.
    pub async fn submit(
        &self,
        request: &JobRequest,
        key: Option<String>,
        decision_id: Option<String>,
    ) -> anyhow::Result<(Job, bool)> {
        let job = {
            let mut inner = self.lock();
            if let Some(existing) = key.as_ref().and_then(|k| {
                inner
                    .jobs
                    .iter()
                    .find(|j| j.idempotency_key.as_ref() == Some(k))
            }) {
                return Ok((existing.clone(), false));
            }
            let seq = inner.jobs.iter().map(|j| j.seq).max().unwrap_or(0) + 1;
            let mut job = Job::new(seq, request, key, self.settings.settings.auto_promote);
            job.decision_id = decision_id;
            inner.state.last_retrain_at = Some(job.created_at);
            inner.jobs.push(job.clone());
            job
        };
        self.save_job(&job).await?;
        self.save_state().await?;
        self.update_queue_gauge();
        self.wake.notify_one();
        Ok((job, true))
    }

    /// Runs queued jobs one at a time, for ever.
    async fn run_worker(self) {
        loop {
            let next = self
                .lock()
                .jobs
                .iter()
                .filter(|j| j.state == JobState::Queued)
                .min_by_key(|j| j.seq)
                .cloned();
            match next {
                Some(job) => {
                    if let Err(e) = self.run_job(job).await {
                        tracing::error!(error = %format!("{e:#}"), "job bookkeeping failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    self.update_queue_gauge();
                }
                None => self.wake.notified().await,
            }
        }
    }

    async fn run_job(&self, mut job: Job) -> anyhow::Result<()> {
        job.state = JobState::Running;
        job.started_at = Some(Utc::now());
        job.note("started");
        self.save_job(&job).await?;
        let revoked = self.blocking(|s| s.revoked()).await?;
        let settings = self.settings.clone();
        let flip = job.flip_labels;
        let progress = self.clone();
        let job_id = job.id.clone();
        let result = tokio::task::spawn_blocking(move || {
            let ctx = RetrainContext {
                home: &settings.home,
                training: &settings.training,
                gate: &settings.settings.gate,
                labels: &settings.settings.labels,
                weights: &settings.settings.weights,
                revoked: &revoked,
            };
            jobs::retrain(&ctx, flip, &mut |line| {
                let mut inner = progress.lock();
                if let Some(j) = inner.jobs.iter_mut().find(|j| j.id == job_id) {
                    j.note(line);
                }
            })
        })
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r);
        // Keep the progress lines the blocking part added.
        if let Some(j) = self.lock().jobs.iter().find(|j| j.id == job.id) {
            job.log = j.log.clone();
            job.progress = j.progress.clone();
        }
        let outcome = match result {
            Err(e) => {
                tracing::warn!(job = %job.id, error = %format!("{e:#}"), "retraining job failed");
                let message = fraudloop_http::without_paths(&format!("{e:#}"));
                job.error = Some(message.clone());
                job.finish(JobState::Failed, format!("failed: {message}"));
                let alert = self.alerter.send(
                    &format!("job-failed:{}", job.id),
                    &format!("fraudloop: retraining job {} failed: {message}", job.id),
                    json!({"job": job.id, "error": message}),
                );
                format!("retrain failed ({message}), degraded to alert: {alert}")
            }
            Ok(out) => {
                job.production = Some(out.production.to_string());
                job.candidate = Some(out.candidate.to_string());
                job.metrics = Some(out.metrics.clone());
                job.data = Some(out.data.clone());
                job.gate = Some(out.gate.clone());
                if !out.verdict.promote {
                    let failed: Vec<&String> = out
                        .verdict
                        .reasons
                        .iter()
                        .filter(|r| r.starts_with("fail"))
                        .collect();
                    let reasons = failed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("; ");
                    job.finish(
                        JobState::Rejected,
                        format!("gate rejected {}: {reasons}", out.candidate),
                    );
                    let alert = self.alerter.send(
                        &format!("rejected:{}", out.candidate),
                        &format!(
                            "fraudloop: candidate {} rejected by the promotion gate: {reasons}",
                            out.candidate
                        ),
                        out.gate.clone(),
                    );
                    format!(
                        "candidate {} rejected by the gate ({reasons}); {alert}",
                        out.candidate
                    )
                } else if !job.promote {
                    job.finish(
                        JobState::Succeeded,
                        format!(
                            "{} passed the gate; promotion left to a person",
                            out.candidate
                        ),
                    );
                    format!(
                        "candidate {} passed the gate (not promoted: promotion is off)",
                        out.candidate
                    )
                } else {
                    job.note(format!("promoting {}", out.candidate));
                    self.save_job(&job).await?;
                    match self.promote(out.candidate, &job.reason).await {
                        Ok(note) => {
                            job.promoted = true;
                            job.finish(JobState::Succeeded, note.clone());
                            note
                        }
                        Err(e) => {
                            tracing::warn!(job = %job.id, error = %format!("{e:#}"), "promotion failed");
                            let message = fraudloop_http::without_paths(&format!("{e:#}"));
                            job.error = Some(message.clone());
                            job.finish(JobState::Failed, message.clone());
                            let alert = self.alerter.send(
                                &format!("promotion-failed:{}", out.candidate),
                                &format!("fraudloop: {message}"),
                                json!({"candidate": out.candidate.to_string()}),
                            );
                            format!("{message}; {alert}")
                        }
                    }
                }
            }
        };
        self.metrics
            .jobs
            .with_label_values(&[job.state.as_str()])
            .inc();
        self.save_job(&job).await?;
        self.job_outcome(&job, outcome).await
    }

    /// Appends a job's outcome to the audit log under the decision that started it.
    async fn job_outcome(&self, job: &Job, outcome: String) -> anyhow::Result<()> {
        let Some(decision_id) = &job.decision_id else {
            return Ok(());
        };
        self.append_decision(json!({
            "outcome_of": decision_id,
            "at": Utc::now(),
            "job_id": job.id,
            "state": job.state.as_str(),
            "outcome": outcome,
            "versions": {"production": job.production, "candidate": job.candidate},
            "gate": job.gate,
        }))
        .await
    }

    /// Moves `production` to `candidate` and waits until every replica serves it; rolls back
    /// (and marks the candidate bad) when one does not.
    async fn promote(&self, candidate: ModelVersion, reason: &str) -> anyhow::Result<String> {
        let home = self.settings.home.clone();
        let why = format!("passed the promotion gate ({reason})");
        tokio::task::spawn_blocking(move || {
            let stores = data::stores(&home)?;
            anyhow::Ok(stores.registry().promote(candidate, ACTOR, &why)?)
        })
        .await??;
        match self.check_replicas(candidate).await {
            Ok(n) => Ok(format!("promoted {candidate}; {n} replica(s) serve it")),
            Err(problem) => {
                let home = self.settings.home.clone();
                let why = format!("a replica did not load {candidate}: {problem}");
                let event = tokio::task::spawn_blocking(move || {
                    anyhow::Ok(data::stores(&home)?.registry().rollback(ACTOR, &why)?)
                })
                .await??;
                self.lock()
                    .state
                    .policy
                    .record_rollback(&candidate.to_string());
                self.save_state().await?;
                anyhow::bail!(
                    "promoted {candidate} but {problem}; rolled back to {}",
                    event.version
                )
            }
        }
    }

    /// Waits until every replica's `/model` reports `version` (every address of a name that
    /// stands for several); the replica that did not, and why, otherwise.
    async fn check_replicas(&self, version: ModelVersion) -> Result<usize, String> {
        let want = version.to_string();
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(self.settings.settings.replica_timeout_secs);
        let replicas = replicas::resolve(&self.settings.replicas).await;
        for replica in &replicas {
            let url = format!("{}/model", replica.base);
            loop {
                let served = match self.client.get(&url).send().await {
                    Ok(r) => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["model_version"].as_str().map(str::to_string)),
                    Err(_) => None,
                };
                if served.as_deref() == Some(want.as_str()) {
                    break;
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(format!(
                        "{} serves {} after {} s",
                        replica.label,
                        served.as_deref().unwrap_or("nothing"),
                        self.settings.settings.replica_timeout_secs
                    ));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        Ok(replicas.len())
    }

    /// drift-monitor's latest report: over HTTP when its URL is set (the services share no
    /// folder beyond one machine), else from the home's `reports/`.
    async fn latest_report(&self) -> anyhow::Result<Option<Value>> {
        let base = self
            .settings
            .settings
            .drift_monitor_url
            .trim_end_matches('/');
        if base.is_empty() {
            let home = self.settings.home.clone();
            return tokio::task::spawn_blocking(move || signals::latest_report(&home)).await?;
        }
        let url = format!("{base}/reports/latest");
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .context("reading the latest report")?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = response
            .error_for_status()
            .with_context(|| format!("GET {url}"))?;
        Ok(Some(
            response
                .json()
                .await
                .with_context(|| format!("GET {url}"))?,
        ))
    }

    /// Looks at the latest drift report and, if it is new, decides and acts. Returns the
    /// decision's audit record (None when there was no new report).
    pub async fn evaluate_latest(&self) -> anyhow::Result<Option<Value>> {
        let _one_at_a_time = self.tick_lock.lock().await;
        let Some(report) = self.latest_report().await? else {
            return Ok(None);
        };
        let Some(report_id) = signals::report_id(&report) else {
            return Ok(None);
        };
        if self.lock().state.last_report.as_deref() == Some(report_id.as_str()) {
            return Ok(None);
        }
        let revoked = self.blocking(|s| s.revoked()).await?;
        let now = Utc::now();
        let (last_retrain_at, retrain_running) = {
            let inner = self.lock();
            (
                inner.state.last_retrain_at,
                inner.jobs.iter().any(|j| !j.state.is_final()),
            )
        };
        let settings = self.settings.clone();
        let signals = tokio::task::spawn_blocking(move || {
            signals::signals(
                &report,
                &signals::SignalContext {
                    home: &settings.home,
                    policy: &settings.settings.policy,
                    labels: &settings.settings.labels,
                    revoked: &revoked,
                    schedule_hours: settings.settings.schedule_hours,
                    last_retrain_at,
                    retrain_running,
                    now,
                },
            )
        })
        .await??;
        self.metrics.set_triggers(&signals);
        let decision = {
            let inner = self.lock();
            decide(
                &signals,
                &inner.state.policy,
                &self.settings.settings.policy,
                now,
            )
        };
        if decision.repeat {
            self.lock().state.last_report = Some(report_id);
            self.save_state().await?;
            return Ok(None);
        }
        let decision_id = format!("d-{:06}", self.lock().state.decisions + 1);
        let (taken, outcome, versions) = self.act(&decision, &decision_id, &signals).await;
        let record = json!({
            "decision_id": decision_id,
            "at": now,
            "report_id": report_id,
            "action": taken.action,
            "wanted": decision.action,
            "rule": decision.rule,
            "reason": decision.reason,
            "severity": decision.severity,
            "outcome": outcome,
            "versions": versions,
            "signals": signals,
            "policy": self.settings.settings.policy,
            "gate_settings": self.settings.settings.gate,
        });
        {
            let mut inner = self.lock();
            inner.state.policy.record(&taken, now);
            inner.state.last_report = Some(report_id);
            inner.state.decisions += 1;
        }
        self.save_state().await?;
        self.append_decision(record.clone()).await?;
        self.metrics
            .decisions
            .with_label_values(&[taken.action.as_str()])
            .inc();
        tracing::info!(
            decision = %decision_id,
            action = %taken.action,
            rule = %decision.rule,
            reason = %decision.reason,
            "loop decision"
        );
        Ok(Some(record))
    }

    /// Carries out a decision; a failed action degrades to an alert. Returns the decision as
    /// taken, the outcome in words and the versions involved.
    async fn act(
        &self,
        decision: &Decision,
        decision_id: &str,
        signals: &Signals,
    ) -> (Decision, String, Value) {
        let mut taken = decision.clone();
        let versions = json!({"production": signals.model_version});
        let alert_text = format!(
            "fraudloop [{:?}] {} ({}): {}",
            decision.severity, decision.action, decision.rule, decision.reason
        );
        let alert_key = format!(
            "{}:{}:{}",
            decision.rule, decision.action, signals.model_version
        );
        match decision.action {
            Action::Ok => (taken, "nothing to do".into(), versions),
            Action::Alert => {
                let outcome = self.alerter.send(
                    &alert_key,
                    &alert_text,
                    json!({"decision": decision_id, "signals": signals}),
                );
                (taken, outcome, versions)
            }
            Action::Retrain => {
                let request = JobRequest {
                    kind: "retrain".into(),
                    reason: Some(format!(
                        "{} {}: {}",
                        decision_id, decision.rule, decision.reason
                    )),
                    flip_labels: false,
                    promote: None,
                };
                match self
                    .submit(
                        &request,
                        Some(decision.report_id.clone()),
                        Some(decision_id.to_string()),
                    )
                    .await
                {
                    Ok((job, _)) => (
                        taken,
                        format!("queued {}; its result follows in this log", job.id),
                        versions,
                    ),
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "queueing the retrain failed");
                        taken.action = Action::Alert;
                        let alert = self.alerter.send(&alert_key, &alert_text, json!({}));
                        let cause = fraudloop_http::without_paths(&format!("{e:#}"));
                        (
                            taken,
                            format!(
                                "queueing the retrain failed ({cause}), degraded to alert: {alert}"
                            ),
                            versions,
                        )
                    }
                }
            }
            Action::Rollback => {
                let home = self.settings.home.clone();
                let why = format!("{decision_id} {}: {}", decision.rule, decision.reason);
                let result = tokio::task::spawn_blocking(move || {
                    anyhow::Ok(data::stores(&home)?.registry().rollback(ACTOR, &why)?)
                })
                .await
                .map_err(anyhow::Error::from)
                .and_then(|r| r);
                match result {
                    Ok(event) => {
                        let bad = event
                            .replaced
                            .map_or_else(|| signals.model_version.clone(), |v| v.to_string());
                        self.lock().state.policy.record_rollback(&bad);
                        let replicas = match self.check_replicas(event.version).await {
                            Ok(n) => format!("{n} replica(s) serve it"),
                            Err(problem) => format!("but {problem}"),
                        };
                        let alert = self.alerter.send(
                            &alert_key,
                            &alert_text,
                            json!({"decision": decision_id}),
                        );
                        (
                            taken,
                            format!(
                                "rolled back from {bad} to {}; {replicas}; {bad} will not be rolled back to; {alert}",
                                event.version
                            ),
                            json!({"production": event.version.to_string(), "rolled_back_from": bad}),
                        )
                    }
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "rollback failed");
                        taken.action = Action::Alert;
                        let alert = self.alerter.send(&alert_key, &alert_text, json!({}));
                        let cause = fraudloop_http::without_paths(&format!("{e:#}"));
                        (
                            taken,
                            format!("rollback failed ({cause}), degraded to alert: {alert}"),
                            versions,
                        )
                    }
                }
            }
        }
    }

    /// The audit log, newest first, each decision with the outcomes recorded after it.
    fn decisions(&self, limit: usize) -> Vec<Value> {
        let inner = self.lock();
        let mut out: Vec<Value> = Vec::new();
        for line in inner.decisions.iter().rev() {
            if line.get("outcome_of").is_some() {
                continue;
            }
            let id = line["decision_id"].clone();
            let mut d = line.clone();
            let outcomes: Vec<Value> = inner
                .decisions
                .iter()
                .filter(|l| l["outcome_of"] == id)
                .cloned()
                .collect();
            d["later_outcomes"] = Value::Array(outcomes);
            out.push(d);
            if out.len() >= limit {
                break;
            }
        }
        out
    }
}

fn routes() -> Routes<LoopService> {
    Routes::new()
        .get("/health", fraudloop_http::health)
        .get("/ready", ready)
        .post("/jobs", post_job)
        .get("/jobs", list_jobs)
        .get("/jobs/{id}", get_job)
        .get("/decisions", list_decisions)
        .post("/admin/evaluate", admin_evaluate)
        .post("/admin/feedback/{feedback_id}/revoke", admin_revoke)
        .get("/metrics", metrics)
        .get("/openapi.json", openapi)
}

/// The routes the router serves.
pub fn route_table() -> RouteTable {
    routes().table()
}

/// Every route of the service behind the shared request guard.
pub fn router(
    state: LoopService,
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
pub const OPENAPI: &str = include_str!("../../openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn ready(State(state): State<LoopService>) -> Json<Value> {
    let inner = state.lock();
    let running = inner
        .jobs
        .iter()
        .find(|j| j.state == JobState::Running)
        .map(|j| j.id.clone());
    let queued = inner
        .jobs
        .iter()
        .filter(|j| j.state == JobState::Queued)
        .count();
    Json(json!({
        "status": "ready",
        "running": running,
        "queued": queued,
        "last_report": inner.state.last_report,
    }))
}

async fn post_job(
    _admin: Admin,
    State(state): State<LoopService>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<JobRequest>,
) -> Result<Response, ApiError> {
    if request.kind != "retrain" {
        return Err(ApiError::invalid(
            ErrorCode::InvalidRequest,
            format!("kind {:?} is not a job kind (retrain)", request.kind),
        ));
    }
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    ApiError::invalid(
                        ErrorCode::InvalidRequest,
                        "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    )
                })?
                .to_string(),
        ),
    };
    let (job, _new) = state
        .submit(&request, key, None)
        .await
        .map_err(|e| ApiError::internal("queueing a job", e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"job_id": job.id, "state": job.state})),
    )
        .into_response())
}

async fn list_jobs(State(state): State<LoopService>) -> Json<Value> {
    let jobs: Vec<Value> = state
        .lock()
        .jobs
        .iter()
        .rev()
        .map(|j| {
            json!({
                "job_id": j.id, "state": j.state, "kind": j.kind, "reason": j.reason,
                "created_at": j.created_at, "finished_at": j.finished_at,
                "candidate": j.candidate, "promoted": j.promoted, "progress": j.progress,
            })
        })
        .collect();
    Json(json!({ "jobs": jobs }))
}

async fn get_job(
    State(state): State<LoopService>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Job>, ApiError> {
    state
        .lock()
        .jobs
        .iter()
        .find(|j| j.id == id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no such job; see /jobs"))
}

#[derive(Debug, Deserialize)]
struct DecisionQuery {
    limit: Option<usize>,
}

async fn list_decisions(
    State(state): State<LoopService>,
    Query(q): Query<DecisionQuery>,
) -> Json<Value> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Json(json!({ "decisions": state.decisions(limit) }))
}

async fn admin_evaluate(
    _admin: Admin,
    State(state): State<LoopService>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .evaluate_latest()
        .await
        .map_err(|e| ApiError::internal("evaluating the latest report", e))?;
    Ok(Json(json!({ "decision": record })))
}

#[derive(Debug, Default, Deserialize)]
struct RevokeQuery {
    reason: Option<String>,
}

async fn admin_revoke(
    _admin: Admin,
    State(state): State<LoopService>,
    ApiPath(feedback_id): ApiPath<String>,
    Query(query): Query<RevokeQuery>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if feedback_id.is_empty() || feedback_id.len() > 128 {
        return Err(ApiError::invalid(
            ErrorCode::InvalidRequest,
            "a feedback id is 1 to 128 characters",
        ));
    }
    let reason = query
        .reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "revoked by an operator".into());
    let home = state.settings.home.clone();
    let id = feedback_id.clone();
    let known = state
        .blocking(move |_| {
            let (labels, _) = data::feedback_labels(&*data::stores(&home)?.reader())?;
            Ok(labels.iter().any(|l| l.id == id))
        })
        .await
        .map_err(|e| ApiError::internal("reading the feedback logs", e))?;
    if !known {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no feedback has that id",
        ));
    }
    let revocation = Revocation {
        feedback_id,
        at: Utc::now(),
        reason,
    };
    let stored = revocation.clone();
    state
        .blocking(move |s| s.append_revocation(&stored))
        .await
        .map_err(|e| ApiError::internal("storing a revocation", e))?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(&revocation).expect("revocations serialise")),
    ))
}

async fn metrics(State(state): State<LoopService>) -> Response {
    fraudloop_http::metrics::text_response(fraudloop_http::metrics::render(&state.metrics.registry))
}

/// A built service, bound and ready to run.
pub struct Application {
    server: Server,
    state: LoopService,
}

impl Application {
    /// Opens the loop's files and binds the listener (port 0 works).
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        let server = Server::bind(settings.addr).await?;
        let state = LoopService::open(settings).await?;
        Ok(Application { server, state })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The service's state (for tests that drive it directly).
    pub fn service(&self) -> LoopService {
        self.state.clone()
    }

    /// Runs the job worker and the report watcher, and serves until `shutdown` resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let worker = tokio::spawn(self.state.clone().run_worker());
        let watched = self.state.clone();
        let _watcher = fraudloop_http::spawn_periodic(
            "loop decision",
            self.state.settings.poll(),
            move || {
                let state = watched.clone();
                async move {
                    if let Err(e) = state.evaluate_latest().await {
                        tracing::warn!(error = %format!("{e:#}"), "evaluating the latest report failed");
                    }
                    Ok(())
                }
            },
        );
        let served = self.server.serve(router(self.state), shutdown).await;
        worker.abort();
        served
    }
}

/// The set of revoked ids (for tests and tools).
pub fn revoked(home: &std::path::Path) -> anyhow::Result<BTreeSet<String>> {
    LoopStore::open(home)?.revoked()
}
