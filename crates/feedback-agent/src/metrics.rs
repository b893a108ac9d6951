//! Prometheus metrics of the agent: notices by path and channel, external-model latency and
//! errors, retrieval paths, confirmations, and the shared request metrics.

use std::time::Duration;

use fraudloop_http::{RequestMetrics, RouteTable};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};

/// The agent's metrics.
#[derive(Clone)]
pub struct Metrics {
    /// The registry `/metrics` renders.
    pub registry: Registry,
    /// Request metrics of the HTTP guard.
    pub http: RequestMetrics,
    notices: IntCounterVec,
    external_latency: HistogramVec,
    external_errors: IntCounterVec,
    retrievals: IntCounterVec,
    confirmations: IntCounterVec,
    /// Chunks in the knowledge-base index.
    pub kb_chunks: IntGauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new(routes: RouteTable) -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let notices = counter(
            "fraudloop_agent_notices_total",
            "Notices written, by the path that wrote them (llm or template) and the delivery channel and result",
            &["path", "channel", "delivery"],
        );
        let external_errors = counter(
            "fraudloop_agent_external_errors_total",
            "Failed attempts and failed calls to external models, by endpoint and kind",
            &["endpoint", "kind"],
        );
        let retrievals = counter(
            "fraudloop_agent_retrievals_total",
            "Knowledge-base retrievals by path (lexical, hybrid, lexical_fallback)",
            &["path"],
        );
        let confirmations = counter(
            "fraudloop_agent_confirmations_total",
            "Answers recorded from confirm pages, by answer",
            &["answer"],
        );
        let external_latency = HistogramVec::new(
            HistogramOpts::new(
                "fraudloop_agent_external_request_duration_seconds",
                "Latency of each attempt at an external model call",
            )
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
            &["endpoint"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(external_latency.clone()))
            .expect("unique metric");
        let kb_chunks = IntGauge::new(
            "fraudloop_agent_knowledge_base_chunks",
            "Chunks in the knowledge-base index",
        )
        .expect("valid metric");
        registry
            .register(Box::new(kb_chunks.clone()))
            .expect("unique metric");
        let http = RequestMetrics::new(&registry, routes);
        Metrics {
            registry,
            http,
            notices,
            external_latency,
            external_errors,
            retrievals,
            confirmations,
            kb_chunks,
        }
    }

    /// One attempt at an external call; `error` names the failure kind.
    pub fn observe_external(&self, endpoint: &str, took: Duration, error: Option<&str>) {
        self.external_latency
            .with_label_values(&[endpoint])
            .observe(took.as_secs_f64());
        if let Some(kind) = error {
            self.external_errors
                .with_label_values(&[endpoint, kind])
                .inc();
        }
    }

    /// A call that ended without a usable answer (after retries, or invalid output).
    pub fn external_failed(&self, endpoint: &str, kind: &str) {
        self.external_errors
            .with_label_values(&[endpoint, kind])
            .inc();
    }

    /// A retrieval.
    pub fn retrieval(&self, path: &str) {
        self.retrievals.with_label_values(&[path]).inc();
    }

    /// A notice written and delivered (or not).
    pub fn notice(&self, path: &str, channel: &str, delivery: &str) {
        self.notices
            .with_label_values(&[path, channel, delivery])
            .inc();
    }

    /// An answer recorded.
    pub fn confirmation(&self, answer: &str) {
        self.confirmations.with_label_values(&[answer]).inc();
    }
}
