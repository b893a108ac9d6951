//! Prometheus metrics of the service.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};

/// Every metric the service exports.
#[derive(Clone)]
pub struct Metrics {
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
