//! `POST /feedback`: labels from people and agents, durable before they are acknowledged.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use prod_data::FeedbackRecord;
use serde::Deserialize;
use text_model::Label;

use crate::error::{ApiError, ApiJson, ErrorCode};
use crate::routes::validation::validate_text;
use crate::state::{AppState, FeedbackIndex};

/// The longest prediction id looked up (ids handed out are 36-character UUIDs; some room is
/// left for other replicas' formats).
const MAX_PREDICTION_ID_BYTES: usize = 128;

/// An id as quoted in an error: whole when short, else its start (a 3 MB id was once echoed
/// back in a 3 MB 404).
fn shown_id(id: &str) -> String {
    const SHOWN: usize = 64;
    if id.chars().count() <= SHOWN {
        format!("{id:?}")
    } else {
        let start: String = id.chars().take(SHOWN).collect();
        format!("{start:?}… ({} bytes)", id.len())
    }
}

/// Who labelled a message.
const SOURCES: [&str; 3] = ["user", "operator", "agent"];

/// Feedback on a prediction, or a label for a plain text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The prediction being labelled.
    #[serde(default)]
    pub prediction_id: Option<String>,
    /// The text being labelled (without a prediction id).
    #[serde(default)]
    pub text: Option<String>,
    /// `fraud` or `legit` (also 1/0, spam/ham).
    pub label: String,
    /// `user`, `operator` or `agent` (default `user`).
    #[serde(default)]
    pub source: Option<String>,
    /// Free-text comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Who the user is (account, phone, e-mail), for per-contact limits on user labels.
    #[serde(default)]
    pub contact: Option<String>,
}

/// `POST /feedback`: 201 with the stored record; the same feedback again returns the stored
/// record with 200; a changed label is stored as a new record (the latest wins).
#[tracing::instrument(name = "feedback", skip_all)]
pub async fn feedback(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<FeedbackRequest>,
) -> Result<(StatusCode, Json<FeedbackRecord>), ApiError> {
    let label: Label = request
        .label
        .parse()
        .map_err(|e: text_model::UnknownLabel| {
            ApiError::invalid(ErrorCode::InvalidLabel, e.to_string())
        })?;
    let source = request.source.unwrap_or_else(|| "user".to_string());
    if !SOURCES.contains(&source.as_str()) {
        return Err(ApiError::invalid(
            ErrorCode::InvalidSource,
            format!("source {source:?} must be one of user, operator, agent"),
        ));
    }
    let comment = request.comment.filter(|c| !c.trim().is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::invalid(
            ErrorCode::CommentTooLong,
            "comment is limited to 2000 characters",
        ));
    }
    let contact = request.contact.filter(|c| !c.trim().is_empty());
    if contact.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return Err(ApiError::invalid(
            ErrorCode::InvalidRequest,
            "contact is limited to 200 characters",
        ));
    }
    let label = label.to_string();

    let (key, prediction_id, text, model_version, risk_score) =
        match (request.prediction_id, request.text) {
            // The stored record's text is the prediction's: a different one sent alongside
            // would be silently dropped.
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    ErrorCode::ConflictingTarget,
                    "give either a prediction_id or a text to label, not both",
                ))
            }
            (Some(pid), None) => {
                // Stored feedback already carries the prediction's text: a retry after a crash
                // must not depend on the (best-effort) prediction log.
                let known = state
                    .feedback_index
                    .lock()
                    .expect("feedback index lock")
                    .for_prediction(&pid)
                    .cloned();
                let (text, model_version, risk_score) = match known {
                    Some(f) => (f.text, f.model_version, f.risk_score),
                    None => {
                        let unknown = || {
                            ApiError::new(
                                StatusCode::NOT_FOUND,
                                ErrorCode::UnknownPrediction,
                                format!("no prediction has id {}", shown_id(&pid)),
                            )
                        };
                        // Ids are 36-character UUIDs: a longer one is unknown without a look.
                        if pid.len() > MAX_PREDICTION_ID_BYTES {
                            return Err(unknown());
                        }
                        let found = state.find_prediction(&pid).await.ok_or_else(unknown)?;
                        (
                            found.text.clone(),
                            Some(found.model_version.to_string()),
                            Some(found.risk_score),
                        )
                    }
                };
                (
                    format!("p:{pid}"),
                    Some(pid),
                    text,
                    model_version,
                    risk_score,
                )
            }
            (None, Some(text)) => {
                validate_text(&text, state.settings.max_text_chars)?;
                (format!("t:{text}"), None, text, None, None)
            }
            (None, None) => {
                return Err(ApiError::invalid(
                    ErrorCode::MissingTarget,
                    "give a prediction_id, or a text to label",
                ))
            }
        };

    // Checked once the target is known to exist, so unknown ids answer 404 as before.
    if let (true, Some(contact)) = (source == "user", contact.as_deref()) {
        if let Err(wait) = state
            .contact_limiter
            .admit(contact, std::time::Instant::now())
        {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!(
                    "too many user labels from this contact; at most {} a minute, retry in {wait} s",
                    state.settings.user_labels_per_minute
                ),
            ));
        }
    }
    // Same-key requests are serialised so a retry cannot store a duplicate.
    let _guard = state.stripe(&key).lock().await;
    let content_key = FeedbackIndex::content_key(&text, &label, &source, comment.as_deref());
    {
        let index = state.feedback_index.lock().expect("feedback index lock");
        let existing = match &prediction_id {
            Some(pid) => index
                .for_prediction(pid)
                .filter(|f| f.label == label && f.source == source && f.comment == comment),
            None => index.for_content(content_key),
        };
        if let Some(existing) = existing {
            return Ok((StatusCode::OK, Json(existing.clone())));
        }
    }
    let record = FeedbackRecord {
        schema: prod_data::SCHEMA_VERSION,
        feedback_id: uuid::Uuid::now_v7().to_string(),
        at: chrono::Utc::now(),
        instance: state.instance.to_string(),
        prediction_id,
        text,
        label,
        source,
        contact,
        comment,
        model_version,
        risk_score,
    };
    let production = state.production.clone();
    let to_store = record.clone();
    tokio::task::spawn_blocking(move || production.append_feedback(&to_store))
        .await
        .map_err(|e| ApiError::internal("feedback writer failed", e))?
        .map_err(|e| ApiError::internal("storing feedback failed", e))?;
    state
        .metrics
        .feedback
        .with_label_values(&[&record.source, &record.label])
        .inc();
    state
        .feedback_index
        .lock()
        .expect("feedback index lock")
        .remember(record.clone());
    Ok((StatusCode::CREATED, Json(record)))
}
