//! Readiness, metrics and the OpenAPI document.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fraudloop_http::{ApiError, ErrorCode};
use serde_json::{json, Value};

use crate::state::AppState;

/// The OpenAPI document, written by hand and checked against the router by the tests.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// `GET /ready`: the knowledge base has chunks; says which paths answer.
pub async fn ready(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let index = state.index();
    let chunks = index.index.chunks().len();
    if chunks == 0 {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::KnowledgeBaseEmpty,
            "the knowledge base has no chunk; add Markdown files and POST /admin/reindex",
        ));
    }
    let retrieval = match (&state.embedder, index.index.has_dense()) {
        (None, _) => "lexical",
        (Some(_), true) => "hybrid",
        (Some(_), false) => "lexical_fallback",
    };
    Ok(Json(json!({
        "status": "ready",
        "chunks": chunks,
        "retrieval": retrieval,
        "generation": if state.chat.is_some() { "llm" } else { "template" },
    })))
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    fraudloop_http::metrics::text_response(fraudloop_http::metrics::render(&state.metrics.registry))
}

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
