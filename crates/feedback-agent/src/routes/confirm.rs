//! `GET /confirm` shows the message and two buttons; only `POST /confirm` from that page
//! records the answer. Mail scanners open every link in a message before the person does: a
//! link that acted on GET would be used up by them.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

use crate::links::{Answer, LinkClaims, TokenError};
use crate::pages::{self, PageLang, Refusal};
use crate::state::AppState;
use crate::store::{RecordedAnswer, StoredNotice};

/// `?token=…`.
#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    /// The signed token.
    #[serde(default)]
    pub token: Option<String>,
}

/// The page's form.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    /// The signed token.
    #[serde(default)]
    pub token: String,
    /// `confirm` or `dispute`.
    #[serde(default)]
    pub answer: String,
}

fn refused(lang: PageLang, refusal: Refusal) -> Response {
    let status = match refusal {
        Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::FORBIDDEN,
    };
    (status, Html(pages::refused_page(lang, refusal))).into_response()
}

/// The notice of a valid token, or the refusal page.
async fn check(state: &AppState, token: &str) -> Result<(LinkClaims, StoredNotice), Response> {
    let claims = state
        .signer
        .verify(token, Utc::now())
        .map_err(|e| match e {
            TokenError::Forged => refused(PageLang::Both, Refusal::Forged),
            TokenError::Expired => refused(PageLang::Both, Refusal::Expired),
        })?;
    let store = state.store.clone();
    let id = claims.notice_id.clone();
    let notice = tokio::task::spawn_blocking(move || store.notice(&id))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
        // Signed by us but unknown here: another agent's home, or a removed notice.
        .ok_or_else(|| refused(PageLang::Both, Refusal::Forged))?;
    Ok((claims, notice))
}

/// `GET /confirm?token=…`: the page; records nothing.
pub async fn show(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ConfirmQuery>,
) -> Response {
    let token = query.token.unwrap_or_default();
    let (claims, notice) = match check(&state, &token).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = PageLang::of(&notice.lang);
    if state
        .answers
        .lock()
        .expect("answers lock")
        .contains_key(&notice.notice_id)
    {
        return refused(lang, Refusal::Used);
    }
    let action = format!(
        "{}/confirm",
        state.settings.public_url.trim_end_matches('/')
    );
    Html(pages::confirm_page(&notice, &token, claims.answer, &action)).into_response()
}

/// `POST /confirm`: records the answer as feedback (`source=user`) in predict-api, once per
/// notice; the same answer again gets the same page, another answer 403.
#[tracing::instrument(name = "confirm", skip_all)]
pub async fn record(
    State(state): State<Arc<AppState>>,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return refused(PageLang::Both, Refusal::Forged);
    };
    let (_, notice) = match check(&state, &form.token).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = PageLang::of(&notice.lang);
    let Some(answer) = Answer::parse(&form.answer) else {
        return (
            StatusCode::BAD_REQUEST,
            Html(pages::refused_page(lang, Refusal::Forged)),
        )
            .into_response();
    };
    let _one_at_a_time = state.answer_lock.lock().await;
    let recorded = state
        .answers
        .lock()
        .expect("answers lock")
        .get(&notice.notice_id)
        .cloned();
    if let Some(recorded) = recorded {
        return if recorded.answer == answer {
            Html(pages::thanks_page(lang, answer)).into_response()
        } else {
            refused(lang, Refusal::Used)
        };
    }
    let comment = format!("feedback-agent notice {}", notice.notice_id);
    let feedback_id = match state
        .predict
        .feedback(&notice.prediction_id, answer.label(), &comment)
        .await
    {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(error = %e, "recording an answer in predict-api failed");
            return refused(lang, Refusal::Unavailable);
        }
    };
    let recorded = RecordedAnswer {
        notice_id: notice.notice_id.clone(),
        answer,
        at: Utc::now(),
        feedback_id,
    };
    let store = state.store.clone();
    let to_store = recorded.clone();
    let stored = tokio::task::spawn_blocking(move || store.record_answer(&to_store)).await;
    if !matches!(stored, Ok(Ok(()))) {
        // predict-api has the label (and takes the same one again harmlessly); only our
        // once-only record is missing, so the person may try again.
        tracing::error!("storing an answer failed");
        return refused(lang, Refusal::Unavailable);
    }
    state
        .answers
        .lock()
        .expect("answers lock")
        .insert(recorded.notice_id.clone(), recorded);
    state.metrics.confirmation(answer.as_str());
    Html(pages::thanks_page(lang, answer)).into_response()
}
