//! Request metrics every service exports (`http_requests_total`,
//! `http_request_duration_seconds`), and the Prometheus text response.

use std::sync::{Arc, LazyLock, OnceLock};

use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts};

use crate::routes::RouteTable;

/// The statuses services answer with; others take the uncached path.
const STATUSES: [u16; 13] = [
    200, 201, 202, 400, 401, 403, 404, 405, 409, 413, 415, 422, 503,
];
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
static OTHER_METHOD: LazyLock<Method> =
    LazyLock::new(|| Method::from_bytes(b"OTHER").expect("a valid method token"));

/// Latency buckets, from 100 µs (a cached prediction) to 2.5 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Requests by route, method and status, and their latency by route and method.
///
/// Series are resolved once on first use instead of on every request: `with_label_values`
/// hashes the label values and takes a lock each time, which showed in predict-api's
/// per-request cost. Series still appear only once observed.
#[derive(Clone)]
pub struct RequestMetrics {
    routes: RouteTable,
    requests_resolved: Arc<[OnceLock<IntCounter>]>,
    durations_resolved: Arc<[OnceLock<Histogram>]>,
    /// Requests by route, method and status.
    pub requests: IntCounterVec,
    /// Request latency by route and method.
    pub request_duration: HistogramVec,
}

impl RequestMetrics {
    /// Creates the two metrics for `routes` and registers them in `registry`.
    pub fn new(registry: &prometheus::Registry, routes: RouteTable) -> RequestMetrics {
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let request_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(requests.clone()))
            .expect("metric names are unique");
        registry
            .register(Box::new(request_duration.clone()))
            .expect("metric names are unique");
        let slots = routes.len() + 1;
        RequestMetrics {
            requests_resolved: (0..slots * METHODS.len() * STATUSES.len())
                .map(|_| OnceLock::new())
                .collect(),
            durations_resolved: (0..slots * METHODS.len())
                .map(|_| OnceLock::new())
                .collect(),
            routes,
            requests,
            request_duration,
        }
    }

    /// The routes the labels come from.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Counts a finished request and its latency; `route` is from [`RouteTable::index`].
    pub fn observe(&self, route: usize, method: &Method, status: StatusCode, seconds: f64) {
        let label = self.routes.label(route);
        // Any token is a valid method: a client must not be able to add series at will.
        let method = if STANDARD_METHODS.contains(method) {
            method
        } else {
            &OTHER_METHOD
        };
        let method_index = METHODS.iter().position(|m| m == method);
        let status_index = STATUSES.iter().position(|s| *s == status.as_u16());
        match (method_index, status_index) {
            (Some(m), Some(s)) => self.requests_resolved
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
            Some(m) => self.durations_resolved[route * METHODS.len() + m]
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
}

/// The Prometheus text format of everything in `registry`.
pub fn render(registry: &prometheus::Registry) -> String {
    prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap_or_else(|e| format!("# encoding failed: {e}\n"))
}

/// A `/metrics` response: Prometheus text format 0.0.4.
pub fn text_response(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::Routes;

    #[test]
    fn resolved_series_are_the_labelled_ones() {
        let routes: Routes<()> = Routes::new()
            .post("/predict", || async { "" })
            .post("/predict/batch", || async { "" })
            .get("/reports/{name}", || async { "" });
        let table = routes.table();
        let registry = prometheus::Registry::new();
        let metrics = RequestMetrics::new(&registry, table.clone());
        for _ in 0..2 {
            metrics.observe(0, &Method::POST, StatusCode::OK, 0.001);
        }
        metrics.observe(
            table.index("/nope"),
            &Method::GET,
            StatusCode::NOT_FOUND,
            0.0,
        );
        metrics.observe(1, &Method::PUT, StatusCode::IM_A_TEAPOT, 0.0);
        metrics.observe(
            table.index("/reports/x.json"),
            &Method::from_bytes(b"FUZZ").unwrap(),
            StatusCode::OK,
            0.0,
        );
        let get = |labels: &[&str]| metrics.requests.with_label_values(labels).get();
        assert_eq!(get(&["/predict", "POST", "200"]), 2);
        assert_eq!(get(&["unmatched", "GET", "404"]), 1);
        assert_eq!(get(&["/predict/batch", "PUT", "418"]), 1);
        assert_eq!(get(&["/reports/{name}", "OTHER", "200"]), 1);
        assert_eq!(
            metrics
                .request_duration
                .with_label_values(&["/predict", "POST"])
                .get_sample_count(),
            2
        );
        assert!(render(&registry).contains("http_requests_total{"));
    }
}
