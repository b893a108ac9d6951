//! `/admin/*`: bearer-token protected operations.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use fraudloop_http::Admin;

use crate::error::{ApiError, ErrorCode};
use crate::state::{AppState, ReloadError, ReloadOutcome};

/// `POST /admin/reload`: load the registry's production model now.
#[tracing::instrument(name = "admin_reload", skip_all)]
pub async fn reload(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match state.reload(true).await {
        Ok(ReloadOutcome::Unchanged(version)) => {
            Ok(Json(json!({"reloaded": false, "model_version": version})))
        }
        Ok(ReloadOutcome::Loaded { from, to }) => Ok(Json(
            json!({"reloaded": true, "model_version": to, "previous_version": from}),
        )),
        Err(ReloadError::NoProduction) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::NoProductionModel,
            ReloadError::NoProduction.to_string(),
        )),
        // The cause names the bundle's files by absolute path: it is in the service log
        // (reload() logs it), and the answer says only which version was refused.
        Err(ReloadError::Refused { version, .. }) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ModelRefused,
            format!(
                "refused {version}: the bundle failed verification (see the service log); still serving {}",
                state
                    .served()
                    .map_or("nothing".to_string(), |s| s.version.to_string())
            ),
        )),
        Err(ReloadError::Registry(e)) => {
            // The cause (with the file's path) is in the log; the answer names no path.
            tracing::error!(error = %e, "admin reload: registry unreadable");
            Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::RegistryUnreadable,
                format!(
                    "the registry's aliases cannot be read (see the service log); still serving {}",
                    state
                        .served()
                        .map_or("nothing".to_string(), |s| s.version.to_string())
                ),
            ))
        }
    }
}

/// `GET /admin/export/prod_data.csv`: predictions joined with their latest feedback label.
#[tracing::instrument(name = "admin_export", skip_all)]
pub async fn export_prod_data(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
) -> Result<Response, ApiError> {
    let production = state.production.clone();
    let (bytes, stats) = tokio::task::spawn_blocking(move || {
        production.flush();
        let mut out = Vec::new();
        production
            .export(&text_model::DESCRIPTOR_COLUMNS, &mut out)
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
