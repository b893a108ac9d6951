//! `GET /outbox`: notices delivered to disk (the offline channel), newest first. Admin only:
//! the entries hold working confirm links.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use fraudloop_http::{Admin, ApiError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::AppState;

/// `?limit=`.
#[derive(Debug, Deserialize)]
pub struct OutboxQuery {
    /// Entries returned (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `GET /outbox`.
pub async fn list(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
    query: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let limit = query
        .ok()
        .and_then(|Query(q)| q.limit)
        .unwrap_or(50)
        .clamp(1, 500);
    let store = state.store.clone();
    let entries = tokio::task::spawn_blocking(move || store.outbox(limit))
        .await
        .map_err(|e| ApiError::internal("outbox reader failed", e))?
        .map_err(|e| ApiError::internal("reading the outbox failed", e))?;
    Ok(Json(json!({"entries": entries})))
}
