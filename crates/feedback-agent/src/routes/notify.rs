//! `POST /notify`: explain a message to the person concerned and ask them to confirm.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use fraudloop_http::{ApiError, ApiJson, ErrorCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{upstream_error, validate_prediction_id, validate_text};
use crate::deliver::Channel;
use crate::kb::{Chunk, Lang};
use crate::links::{Answer, LinkClaims};
use crate::llm::Task;
use crate::state::{facts, AppState};
use crate::store::{Contact, Links, StoredNotice};
use crate::upstream::Prediction;

/// A notice to write and deliver.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyRequest {
    /// A prediction in predict-api.
    #[serde(default)]
    pub prediction_id: Option<String>,
    /// Or a message, scored first.
    #[serde(default)]
    pub text: Option<String>,
    /// The person concerned.
    #[serde(default)]
    pub contact: Contact,
    /// `outbox`, `email` or `webhook` (default from the settings).
    #[serde(default)]
    pub channel: Option<String>,
}

fn check_contact(contact: &Contact) -> Result<(), ApiError> {
    if let Some(email) = &contact.email {
        if email.len() > 254 || email.parse::<lettre::Address>().is_err() {
            return Err(ApiError::invalid(
                ErrorCode::InvalidRequest,
                "contact.email is not an e-mail address",
            ));
        }
    }
    if contact
        .name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 200)
    {
        return Err(ApiError::invalid(
            ErrorCode::InvalidRequest,
            "contact.name is limited to 200 characters",
        ));
    }
    if contact.locale.as_ref().is_some_and(|l| l.len() > 35) {
        return Err(ApiError::invalid(
            ErrorCode::InvalidRequest,
            "contact.locale is too long",
        ));
    }
    Ok(())
}

/// Who a contact is, for rate limits (none: not limited per contact).
fn contact_key(contact: &Contact) -> Option<String> {
    contact.email.as_ref().map(|e| e.to_ascii_lowercase())
}

/// The prediction a request is about.
pub async fn prediction_for(
    state: &AppState,
    prediction_id: Option<String>,
    text: Option<String>,
) -> Result<Prediction, ApiError> {
    match (prediction_id, text) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            ErrorCode::ConflictingTarget,
            "give either a prediction_id or a text, not both",
        )),
        (None, None) => Err(ApiError::invalid(
            ErrorCode::MissingTarget,
            "give a prediction_id, or a text to score",
        )),
        (Some(id), None) => {
            validate_prediction_id(&id)?;
            state.predict.prediction(&id).await.map_err(upstream_error)
        }
        (None, Some(text)) => {
            validate_text(&text)?;
            state
                .predict
                .predict(&text, None)
                .await
                .map_err(upstream_error)
        }
    }
}

/// `POST /notify`: 201 with the notice, its links and the delivery result.
#[tracing::instrument(name = "notify", skip_all)]
pub async fn notify(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<NotifyRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_contact(&request.contact)?;
    let channel_name = request
        .channel
        .clone()
        .unwrap_or_else(|| state.settings.default_channel.clone());
    let channel = Channel::parse(&channel_name).ok_or_else(|| {
        ApiError::invalid(
            ErrorCode::InvalidRequest,
            "channel must be outbox, email or webhook",
        )
    })?;
    if let Some(why) = state
        .delivery
        .unavailable(channel, request.contact.email.is_some())
    {
        return Err(ApiError::invalid(ErrorCode::InvalidRequest, why));
    }
    let prediction = prediction_for(&state, request.prediction_id, request.text).await?;
    if let Some(key) = contact_key(&request.contact) {
        let allowed = state.contacts.lock().expect("contacts lock").try_take(
            &key,
            state.settings.max_notices_per_contact_per_hour,
            Utc::now(),
        );
        if !allowed {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "this contact got as many notices as allowed this hour",
            ));
        }
    }
    let notice = write_notice(&state, &prediction, request.contact, channel).await?;
    let delivery = state.delivery.deliver(channel, &notice.stored).await;
    state.metrics.notice(
        notice.stored.path.as_str(),
        channel.as_str(),
        delivery.status,
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "notice_id": notice.stored.notice_id,
            "prediction_id": prediction.prediction_id,
            "risk_score": prediction.risk_score,
            "risk_level": prediction.risk_level,
            "lang": notice.stored.lang,
            "path": notice.stored.path,
            "fallback_reason": notice.fallback_reason,
            "retrieval": notice.retrieval,
            "notice": notice.stored.draft,
            "links": notice.stored.links,
            "expires_at": notice.stored.expires_at,
            "delivery": delivery,
        })),
    ))
}

/// A notice written and stored (not yet delivered).
pub struct WrittenNotice {
    /// As stored.
    pub stored: StoredNotice,
    /// Why the template wrote it, if a model was configured.
    pub fallback_reason: Option<String>,
    /// How its chunks were found.
    pub retrieval: crate::state::RetrievalReport,
}

/// Retrieves, writes, signs and stores a notice about `prediction` for `contact`.
pub async fn write_notice(
    state: &AppState,
    prediction: &Prediction,
    contact: Contact,
    channel: Channel,
) -> Result<WrittenNotice, ApiError> {
    let lang = contact
        .locale
        .as_deref()
        .and_then(Lang::from_locale)
        .unwrap_or_else(|| Lang::detect(&prediction.text));
    let retrieved = state.retrieve(&prediction.text, lang).await;
    let chunks: Vec<&Chunk> = retrieved.chunks.iter().map(|(c, _)| c).collect();
    let facts = facts(prediction);
    let written = state
        .write(
            Task::Notice {
                message: &prediction.text,
                facts: &facts,
            },
            lang,
            &chunks,
        )
        .await;
    let notice_id = uuid::Uuid::now_v7().to_string();
    let created_at = Utc::now();
    let expires_at = created_at + state.settings.link_ttl();
    let link = |answer: Answer| {
        let token = state.signer.sign(&LinkClaims {
            notice_id: notice_id.clone(),
            answer,
            expires: expires_at.timestamp(),
        });
        format!(
            "{}/confirm?token={token}",
            state.settings.public_url.trim_end_matches('/')
        )
    };
    let stored = StoredNotice {
        links: Links {
            confirm: link(Answer::Confirm),
            dispute: link(Answer::Dispute),
        },
        notice_id: notice_id.clone(),
        created_at,
        prediction_id: prediction.prediction_id.clone(),
        message: prediction.text.clone(),
        lang: lang.as_str().to_string(),
        contact,
        channel: channel.as_str().to_string(),
        draft: written.draft,
        path: written.path,
        expires_at,
    };
    let store = state.store.clone();
    let to_save = stored.clone();
    tokio::task::spawn_blocking(move || store.save_notice(&to_save))
        .await
        .map_err(|e| ApiError::internal("notice writer failed", e))?
        .map_err(|e| ApiError::internal("storing a notice failed", e))?;
    Ok(WrittenNotice {
        stored,
        fallback_reason: written.fallback_reason,
        retrieval: retrieved.report(),
    })
}
