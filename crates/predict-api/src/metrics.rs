//! Prometheus metrics of the service.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use fraudloop_http::{RequestMetrics, RouteTable};
use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};

const RISK_LEVELS: [&str; 3] = ["low", "medium", "high"];
const LABELS: [&str; 2] = ["legit", "fraud"];

/// Prediction series resolved once on first use instead of on every request:
/// `with_label_values` hashes the label values and takes a lock each time. Series still
/// appear only once observed.
#[derive(Default)]
struct Resolved {
    /// `predictions` by label × risk level.
    predictions: Vec<OnceLock<IntCounter>>,
}

impl Resolved {
    fn new() -> Resolved {
        Resolved {
            predictions: (0..LABELS.len() * RISK_LEVELS.len())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }
}

/// Every metric the service exports.
#[derive(Clone)]
pub struct Metrics {
    resolved: Arc<Resolved>,
    registry: Registry,
    /// Requests by route, method and status, and their latency.
    pub http: RequestMetrics,
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
    /// Creates and registers every metric; request metrics are labelled by `routes`.
    pub fn new(routes: RouteTable) -> Metrics {
        let registry = Registry::new();
        let http = RequestMetrics::new(&registry, routes);
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
            Box::new(predictions.clone()) as Box<dyn prometheus::core::Collector>,
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
            http,
            predictions,
            risk_score,
            model_info,
            reloads,
            feedback,
            log_records,
            feedback_written,
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
        fraudloop_http::metrics::render(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_series_are_the_labelled_ones() {
        let metrics = Metrics::new(crate::route_table());
        metrics.observe_prediction("fraud", "high", 0.9);
        metrics.observe_prediction("legit", "low", 0.1);
        metrics.observe_prediction("fraud", "high", 0.8);
        let predictions = |labels: &[&str]| metrics.predictions.with_label_values(labels).get();
        assert_eq!(predictions(&["fraud", "high"]), 2);
        assert_eq!(predictions(&["legit", "low"]), 1);
        assert_eq!(metrics.risk_score.get_sample_count(), 3);
    }
}
