//! Health, readiness, model information, metrics and API documentation.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// The OpenAPI document, written by hand and checked against the router by the tests.
pub const OPENAPI: &str = include_str!("../../openapi.json");
const DOCS_PAGE: &str = include_str!("../../docs.html");

/// `GET /health`: the process is up.
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /ready`: a verified model is loaded.
pub async fn ready(
    State(state): State<Arc<AppState>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let served = state.served().ok_or_else(ApiError::no_model)?;
    Ok(Json(
        json!({"status": "ready", "model_version": &*served.version}),
    ))
}

/// `GET /model`: the served model's version, metrics, threshold, training time and data.
pub async fn model(
    State(state): State<Arc<AppState>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let served = state.served().ok_or_else(ApiError::no_model)?;
    let m = &served.manifest;
    Ok(Json(json!({
        "model_version": &*served.version,
        "threshold": m.threshold,
        "trained_at": m.created_at,
        "loaded_at": served.loaded_at,
        "n_features": m.n_features,
        "code_version": m.code_version,
        "training_data": m.training_data,
        "metrics": served.metrics,
        "risk_bands": {"medium_from": state.settings.risk_bands.medium_from, "high_from": state.settings.risk_bands.high_from},
    })))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let body = state
        .metrics
        .render(&state.prediction_log.stats(), &state.feedback_log.stats());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /docs`: a self-contained page rendering the OpenAPI document (no CDN).
pub async fn docs() -> Html<&'static str> {
    Html(DOCS_PAGE)
}

/// Unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /docs",
    )
}
