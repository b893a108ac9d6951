//! `/admin/*`: bearer-token protected operations.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::settings::AdminToken;
use crate::state::{AppState, ReloadError, ReloadOutcome};

/// Checks `Authorization: Bearer <token>` against the configured admin token.
pub fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    AdminToken::check(state.settings.admin_token.as_ref(), authorization).map_err(|denied| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            denied.code(),
            denied.message("PREDICT_API_ADMIN_TOKEN"),
        )
    })
}

/// `POST /admin/reload`: load the registry's production model now.
#[tracing::instrument(name = "admin_reload", skip_all)]
pub async fn reload(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    match state.reload(true).await {
        Ok(ReloadOutcome::Unchanged(version)) => {
            Ok(Json(json!({"reloaded": false, "model_version": version})))
        }
        Ok(ReloadOutcome::Loaded { from, to }) => Ok(Json(
            json!({"reloaded": true, "model_version": to, "previous_version": from}),
        )),
        Err(ReloadError::NoProduction) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_production_model",
            ReloadError::NoProduction.to_string(),
        )),
        Err(e @ ReloadError::Refused { .. }) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "model_refused",
            format!(
                "{e}; still serving {}",
                state
                    .served()
                    .map_or("nothing".to_string(), |s| s.version.to_string())
            ),
        )),
        Err(e) => Err(ApiError::internal("reload failed", e)),
    }
}

/// `GET /admin/export/prod_data.csv`: predictions joined with their latest feedback label.
#[tracing::instrument(name = "admin_export", skip_all)]
pub async fn export_prod_data(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let log = state.prediction_log.clone();
    let _ = tokio::task::spawn_blocking(move || log.flush()).await;
    let data_dir = state.data_dir.clone();
    let (bytes, stats) = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        prod_data::export_prod_data(&data_dir, &text_model::DESCRIPTOR_COLUMNS, &mut out)
            .map(|s| (out, s))
    })
    .await
    .map_err(|e| ApiError::internal("export failed", e))?
    .map_err(|e| ApiError::internal("export failed", e))?;
    tracing::info!(
        predictions = stats.predictions,
        labelled = stats.labelled,
        skipped = stats.skipped_lines,
        "exported prod_data"
    );
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
}
