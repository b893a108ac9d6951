//! `POST /ask`: an operator's question answered from the knowledge base and, when given, the
//! prediction, with citations.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use fraudloop_http::{ApiError, ApiJson, ErrorCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{upstream_error, validate_prediction_id};
use crate::kb::{Chunk, Lang};
use crate::llm::Task;
use crate::state::{facts, AppState};

/// The longest question.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// A question.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The question.
    pub question: String,
    /// The prediction it is about.
    #[serde(default)]
    pub prediction_id: Option<String>,
}

/// `POST /ask`.
#[tracing::instrument(name = "ask", skip_all)]
pub async fn ask(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<AskRequest>,
) -> Result<Json<Value>, ApiError> {
    if !text_model::has_visible_text(&request.question) {
        return Err(ApiError::invalid(
            ErrorCode::EmptyText,
            "question has no visible character",
        ));
    }
    if request.question.chars().count() > MAX_QUESTION_CHARS {
        return Err(ApiError::invalid(
            ErrorCode::TextTooLong,
            format!("question is limited to {MAX_QUESTION_CHARS} characters"),
        ));
    }
    let prediction = match &request.prediction_id {
        Some(id) => {
            validate_prediction_id(id)?;
            Some(state.predict.prediction(id).await.map_err(upstream_error)?)
        }
        None => None,
    };
    let lang = Lang::detect(&request.question);
    let query = match &prediction {
        Some(p) => format!("{}\n{}", request.question, p.text),
        None => request.question.clone(),
    };
    let retrieved = state.retrieve(&query, lang).await;
    let chunks: Vec<&Chunk> = retrieved.chunks.iter().map(|(c, _)| c).collect();
    let facts = prediction.as_ref().map(facts);
    let message = prediction
        .as_ref()
        .zip(facts.as_ref())
        .map(|(p, f)| (p.text.as_str(), f));
    let written = state
        .write(
            Task::Answer {
                question: &request.question,
                message,
            },
            lang,
            &chunks,
        )
        .await;
    Ok(Json(json!({
        "answer": written.draft,
        "path": written.path,
        "fallback_reason": written.fallback_reason,
        "lang": lang,
        "retrieval": retrieved.report(),
        "prediction": prediction.map(|p| json!({
            "prediction_id": p.prediction_id,
            "risk_score": p.risk_score,
            "label": p.label,
            "risk_level": p.risk_level,
            "model_version": p.model_version,
            "top_terms": p.top_terms,
        })),
    })))
}
