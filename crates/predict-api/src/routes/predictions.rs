//! `GET /predictions/{id}`: one prediction looked up (memory, else the index of every
//! replica's prediction log), with the explanation of the model version that scored it, so
//! the feedback agent and the web UI can show what was flagged and why.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};
use crate::routes::predict::TopTerm;
use crate::state::AppState;

/// Ids longer than this are unknown without a look (ids handed out are 36-character UUIDs).
const MAX_PREDICTION_ID_BYTES: usize = 128;

/// A stored prediction.
#[derive(Debug, Clone, Serialize)]
pub struct PredictionView {
    /// Its id.
    pub prediction_id: String,
    /// The message.
    pub text: String,
    /// P(fraud), as scored then.
    pub risk_score: f64,
    /// `fraud` or `legit` at the scoring model's threshold.
    pub label: String,
    /// `low`, `medium` or `high`.
    pub risk_level: &'static str,
    /// The scoring model's threshold.
    pub threshold: f64,
    /// The model version that scored it.
    pub model_version: String,
    /// The terms that drove the score.
    pub top_terms: Vec<TopTerm>,
}

fn unknown() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownPrediction,
        "no prediction has that id",
    )
}

/// `GET /predictions/{id}`.
#[tracing::instrument(name = "prediction", skip_all)]
pub async fn prediction(
    State(state): State<Arc<AppState>>,
    fraudloop_http::ApiPath(id): fraudloop_http::ApiPath<String>,
) -> Result<Json<PredictionView>, ApiError> {
    if id.len() > MAX_PREDICTION_ID_BYTES {
        return Err(unknown());
    }
    let found = state.find_prediction(&id).await.ok_or_else(unknown)?;
    let text = found.text.clone();
    let version = found.model_version.to_string();
    let top_k = state.settings.top_terms;
    // The explanation comes from the model that scored the message: the served one, or its
    // bundle loaded from the registry when production has moved on since.
    let (threshold, top_terms) = match state.served() {
        Some(served) if *served.version == *version => {
            let p = served.model.predict_explained(&text, top_k);
            (served.model.threshold(), p.top_terms)
        }
        _ => {
            let registry = state.registry.clone();
            let wanted = version.clone();
            tokio::task::spawn_blocking(move || {
                let bundle = registry.load(wanted.parse()?)?;
                let p = bundle.model.predict_explained(&text, top_k);
                Ok::<_, artifact_store::Error>((bundle.model.threshold(), p.top_terms))
            })
            .await
            .map_err(|e| ApiError::internal("explaining a stored prediction", e))?
            .map_err(|e| {
                ApiError::new(
                    StatusCode::CONFLICT,
                    ErrorCode::ModelRefused,
                    format!(
                        "the model {version} that scored this prediction cannot be loaded: {e}"
                    ),
                )
            })?
        }
    };
    let label = if found.risk_score >= threshold {
        "fraud"
    } else {
        "legit"
    };
    Ok(Json(PredictionView {
        prediction_id: id,
        text: found.text.clone(),
        risk_score: found.risk_score,
        label: label.to_string(),
        risk_level: state.settings.risk_bands.level(found.risk_score),
        threshold,
        model_version: version,
        top_terms: top_terms
            .into_iter()
            .map(|t| TopTerm {
                term: t.term,
                weight: t.weight,
            })
            .collect(),
    }))
}
