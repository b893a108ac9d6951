//! `POST /admin/reindex`: read the knowledge base again (and embed it when configured).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use fraudloop_http::{Admin, ApiError};
use serde_json::{json, Value};

use crate::state::AppState;

/// `POST /admin/reindex`.
pub async fn reindex(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, ApiError> {
    let index = state
        .reindex()
        .await
        .map_err(|e| ApiError::internal("reindexing the knowledge base failed", e))?;
    let files: BTreeSet<&str> = index
        .index
        .chunks()
        .iter()
        .map(|c| c.file.as_str())
        .collect();
    Ok(Json(json!({
        "chunks": index.index.chunks().len(),
        "files": files,
        "dense": index.index.has_dense(),
        "note": index.dense_note,
    })))
}
