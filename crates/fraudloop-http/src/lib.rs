//! The HTTP skeleton every fraudloop service stands on, so that a new service only adds its
//! routes.
//!
//! # Brief overview
//! - [`ApiError`] and [`ErrorCode`]: one JSON error shape, `{"error": {"code", "message"}}`,
//!   with stable codes, for every service and for axum's own rejections (unknown path, wrong
//!   method, bad path parameter); [`ApiJson`] and [`ApiPath`] extract with that shape.
//! - [`Admin`]: an extractor that lets a handler run only with the admin bearer token.
//! - [`Routes`]: builds the router and remembers its [`RouteTable`], which labels the request
//!   metrics and is checked against each service's OpenAPI document.
//! - [`Guard`]: once per request, the `x-request-id`, the access span, header checks, the
//!   body read under its own timeout before a slot is taken, load shedding, the request
//!   timeout and request metrics; [`RequestMetrics`] and [`metrics::text_response`] for
//!   `/metrics`.
//! - [`Server`]: binds (port 0 works), closes idle connections, drains on
//!   [`shutdown_signal`] (SIGTERM or Ctrl-C); [`spawn_periodic`] runs background work.
//! - [`testing::spawn_app`]: a service on a loopback port, for tests.
//!
//! **Architecture invariant:** no model, registry or service-specific types: services depend
//! on this crate, never the other way round.
#![deny(missing_docs)]

pub mod admin;
pub mod error;
pub mod guard;
pub mod metrics;
pub mod routes;
pub mod serve;
pub mod testing;

pub use admin::{Admin, AdminAccess};
pub use error::{without_paths, ApiError, ApiJson, ApiPath, ErrorCode};
pub use guard::{Guard, Limits};
pub use metrics::RequestMetrics;
pub use routes::{RouteTable, Routes};
pub use serve::{shutdown_signal, spawn_periodic, PeriodicTask, Server, REQUEST_ID};

/// `GET /health`: the process is up (no dependency is checked; `/ready` does that).
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
