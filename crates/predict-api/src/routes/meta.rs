//! Health, readiness, model information, metrics and API documentation.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// The OpenAPI document, written by hand and checked against the router by the tests.
pub const OPENAPI: &str = include_str!("../../openapi.json");
const DOCS_PAGE: &str = include_str!("../../docs.html");

/// `GET /ready`: a verified model is loaded.
pub async fn ready(
    State(state): State<Arc<AppState>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let served = state.served().ok_or_else(crate::error::no_model)?;
    Ok(Json(
        json!({"status": "ready", "model_version": &*served.version}),
    ))
}

/// `GET /model`: the served model's version, metrics, threshold, training time and data.
pub async fn model(
    State(state): State<Arc<AppState>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let served = state.served().ok_or_else(crate::error::no_model)?;
    let m = &served.manifest;
    Ok(Json(json!({
        "model_version": &*served.version,
        "threshold": m.threshold,
        "trained_at": m.created_at,
        "loaded_at": served.loaded_at,
        "n_features": m.n_features,
        "code_version": m.code_version,
        "training_data": public_training_data(&m.training_data),
        "metrics": served.metrics,
        "risk_bands": {"medium_from": state.settings.risk_bands.medium_from, "high_from": state.settings.risk_bands.high_from},
    })))
}

/// The manifest's training-data fingerprint with its `source` cut to the file name: the
/// manifest records the path given to `--data`, and where it lives on the trainer's machine
/// is nobody's business on a public endpoint.
fn public_training_data(data: &artifact_store::DataFingerprint) -> serde_json::Value {
    let mut value = serde_json::to_value(data).unwrap_or_default();
    if let Some(source) = value.get_mut("source") {
        let name = std::path::Path::new(&data.source)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        *source = serde_json::Value::String(name);
    }
    value
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    fraudloop_http::metrics::text_response(state.metrics.render(
        &state.production.prediction_stats(),
        &state.production.feedback_stats(),
    ))
}

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /docs`: a self-contained page rendering the OpenAPI document (no CDN).
pub async fn docs() -> Html<&'static str> {
    Html(DOCS_PAGE)
}
