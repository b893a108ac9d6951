//! Prometheus metrics of the service.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use axum::http::{Method, StatusCode};
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};

/// Every route of the router, for the `route` label (anything else is `unmatched`). The
/// routes have no path parameters, so the path is the matched route.
pub const ROUTES: [&str; 11] = [
    "/predict",
    "/predict/batch",
    "/feedback",
    "/health",
    "/ready",
    "/model",
    "/metrics",
    "/admin/reload",
    "/admin/export/prod_data.csv",
    "/openapi.json",
    "/docs",
];

/// The `route` label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The statuses the service answers with; others take the uncached path.
const STATUSES: [u16; 12] = [200, 201, 400, 401, 404, 405, 409, 413, 415, 422, 500, 503];
/// Methods with cached series; others take the uncached path.
const METHODS: [Method; 2] = [Method::GET, Method::POST];
/// Methods labelled by name; any other is labelled `OTHER`.
const STANDARD_METHODS: [Method; 9] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::HEAD,
    Method::OPTIONS,
    Method::PATCH,
    Method::CONNECT,
    Method::TRACE,
];
static OTHER_METHOD: std::sync::LazyLock<Method> =
    std::sync::LazyLock::new(|| Method::from_bytes(b"OTHER").expect("a valid method token"));
const RISK_LEVELS: [&str; 3] = ["low", "medium", "high"];
const LABELS: [&str; 2] = ["legit", "fraud"];

/// Series resolved once on first use instead of on every request: `with_label_values` hashes
/// the label values and takes a lock each time. Series still appear only once observed.
#[derive(Default)]
struct Resolved {
    /// `requests` by route (ROUTES, then unmatched) × method × status.
    requests: Vec<OnceLock<IntCounter>>,
    /// `request_duration` by route × method.
    durations: Vec<OnceLock<Histogram>>,
    /// `predictions` by label × risk level.
    predictions: Vec<OnceLock<IntCounter>>,
}

impl Resolved {
    fn new() -> Resolved {
        let routes = ROUTES.len() + 1;
        Resolved {
            requests: (0..routes * METHODS.len() * STATUSES.len())
                .map(|_| OnceLock::new())
                .collect(),
            durations: (0..routes * METHODS.len())
                .map(|_| OnceLock::new())
                .collect(),
            predictions: (0..LABELS.len() * RISK_LEVELS.len())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }
}

/// A request's route: its index in [`ROUTES`], or `ROUTES.len()` for unmatched.
pub fn route_index(path: &str) -> usize {
    ROUTES
        .iter()
        .position(|r| *r == path)
        .unwrap_or(ROUTES.len())
}

fn route_label(index: usize) -> &'static str {
    ROUTES.get(index).copied().unwrap_or(UNMATCHED)
}

/// Every metric the service exports.
#[derive(Clone)]
pub struct Metrics {
    resolved: Arc<Resolved>,
    registry: Registry,
    /// Requests by route, method and status.
    pub requests: IntCounterVec,
    /// Request latency by route and method.
    pub request_duration: HistogramVec,
    /// Predictions by label and risk level.
    pub predictions: IntCounterVec,
    /// Distribution of risk scores.
    pub risk_score: Histogram,
    /// The served model version (value 1 on the current version's series).
    pub model_info: IntGaugeVec,
    /// Model reloads by result (ok, failed).
    pub reloads: IntCounterVec,
    /// Feedback by source and label.
    pub feedback: IntCounterVec,
    /// Prediction-log records by outcome (written, dropped, error).
    pub log_records: IntCounterVec,
    /// Feedback records durably written.
    pub feedback_written: IntCounter,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let request_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5,
                ],
            ),
            &["route", "method"],
        )
        .expect("valid metric");
        let predictions = IntCounterVec::new(
            Opts::new(
                "fraudloop_predictions_total",
                "Predictions by predicted label and risk level",
            ),
            &["label", "risk_level"],
        )
        .expect("valid metric");
        let risk_score = Histogram::with_opts(
            HistogramOpts::new("fraudloop_risk_score", "Distribution of predicted P(fraud)")
                .buckets((1..=10).map(|i| i as f64 / 10.0).collect()),
        )
        .expect("valid metric");
        let model_info = IntGaugeVec::new(
            Opts::new(
                "fraudloop_model_info",
                "The served model version (1 on the current one)",
            ),
            &["version"],
        )
        .expect("valid metric");
        let reloads = IntCounterVec::new(
            Opts::new("fraudloop_model_reloads_total", "Model reloads by result"),
            &["result"],
        )
        .expect("valid metric");
        let feedback = IntCounterVec::new(
            Opts::new(
                "fraudloop_feedback_total",
                "Feedback received by source and label",
            ),
            &["source", "label"],
        )
        .expect("valid metric");
        let log_records = IntCounterVec::new(
            Opts::new(
                "fraudloop_prediction_log_records_total",
                "Prediction log records by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let feedback_written = IntCounter::new(
            "fraudloop_feedback_log_records_total",
            "Feedback records fsynced to the log",
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_duration.clone()),
            Box::new(predictions.clone()),
            Box::new(risk_score.clone()),
            Box::new(model_info.clone()),
            Box::new(reloads.clone()),
            Box::new(feedback.clone()),
            Box::new(log_records.clone()),
            Box::new(feedback_written.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Metrics {
            resolved: Arc::new(Resolved::new()),
            registry,
            requests,
            request_duration,
            predictions,
            risk_score,
            model_info,
            reloads,
            feedback,
            log_records,
            feedback_written,
        }
    }

    /// Counts a finished request and its latency; `route` is from [`route_index`].
    pub fn observe_request(&self, route: usize, method: &Method, status: StatusCode, seconds: f64) {
        let label = route_label(route);
        // Any token is a valid method: a client must not be able to add series at will.
        let method = if STANDARD_METHODS.contains(method) {
            method
        } else {
            &OTHER_METHOD
        };
        let method_index = METHODS.iter().position(|m| m == method);
        let status_index = STATUSES.iter().position(|s| *s == status.as_u16());
        match (method_index, status_index) {
            (Some(m), Some(s)) => self.resolved.requests
                [(route * METHODS.len() + m) * STATUSES.len() + s]
                .get_or_init(|| {
                    self.requests
                        .with_label_values(&[label, method.as_str(), status.as_str()])
                })
                .inc(),
            _ => self
                .requests
                .with_label_values(&[label, method.as_str(), status.as_str()])
                .inc(),
        }
        match method_index {
            Some(m) => self.resolved.durations[route * METHODS.len() + m]
                .get_or_init(|| {
                    self.request_duration
                        .with_label_values(&[label, method.as_str()])
                })
                .observe(seconds),
            None => self
                .request_duration
                .with_label_values(&[label, method.as_str()])
                .observe(seconds),
        }
    }

    /// Counts an answered prediction and its risk score.
    pub fn observe_prediction(&self, label: &str, risk_level: &str, risk_score: f64) {
        let label_index = LABELS.iter().position(|l| *l == label);
        let level_index = RISK_LEVELS.iter().position(|l| *l == risk_level);
        match (label_index, level_index) {
            (Some(l), Some(r)) => self.resolved.predictions[l * RISK_LEVELS.len() + r]
                .get_or_init(|| self.predictions.with_label_values(&[label, risk_level]))
                .inc(),
            _ => self
                .predictions
                .with_label_values(&[label, risk_level])
                .inc(),
        }
        self.risk_score.observe(risk_score);
    }

    /// Renders the Prometheus text format, first bringing the log counters up to date.
    pub fn render(
        &self,
        prediction_log: &prod_data::LogStats,
        feedback_log: &Arc<prod_data::LogStats>,
    ) -> String {
        for (outcome, value) in [
            ("written", prediction_log.written.load(Ordering::Relaxed)),
            ("dropped", prediction_log.dropped.load(Ordering::Relaxed)),
            ("error", prediction_log.errors.load(Ordering::Relaxed)),
        ] {
            let counter = self.log_records.with_label_values(&[outcome]);
            counter.inc_by(value.saturating_sub(counter.get()));
        }
        let written = feedback_log.written.load(Ordering::Relaxed);
        self.feedback_written
            .inc_by(written.saturating_sub(self.feedback_written.get()));
        prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| format!("# encoding failed: {e}\n"))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_series_are_the_labelled_ones() {
        let metrics = Metrics::new();
        for _ in 0..2 {
            metrics.observe_request(0, &Method::POST, StatusCode::OK, 0.001);
        }
        metrics.observe_request(
            route_index("/nope"),
            &Method::GET,
            StatusCode::NOT_FOUND,
            0.0,
        );
        metrics.observe_request(1, &Method::PUT, StatusCode::IM_A_TEAPOT, 0.0);
        metrics.observe_prediction("fraud", "high", 0.9);
        metrics.observe_prediction("legit", "low", 0.1);
        metrics.observe_prediction("fraud", "high", 0.8);
        let get = |labels: &[&str]| metrics.requests.with_label_values(labels).get();
        assert_eq!(get(&["/predict", "POST", "200"]), 2);
        assert_eq!(get(&["unmatched", "GET", "404"]), 1);
        assert_eq!(get(&["/predict/batch", "PUT", "418"]), 1);
        assert_eq!(
            metrics
                .request_duration
                .with_label_values(&["/predict", "POST"])
                .get_sample_count(),
            2
        );
        let predictions = |labels: &[&str]| metrics.predictions.with_label_values(labels).get();
        assert_eq!(predictions(&["fraud", "high"]), 2);
        assert_eq!(predictions(&["legit", "low"]), 1);
        assert_eq!(metrics.risk_score.get_sample_count(), 3);
        assert_eq!(route_index("/predict/"), ROUTES.len());
        assert_eq!(route_label(route_index("/docs")), "/docs");
    }
}
