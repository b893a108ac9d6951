//! `POST /predict`: one message scored, answered, logged and remembered for feedback.
//!
//! Everything here runs once per message, next to the model, so it avoids work the answer does
//! not need: responses and log lines are written from borrowed values (no response structs,
//! records or descriptor maps built and dropped; see `encoding`), and metric series are
//! resolved once.

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::extract::State;
use axum::response::Response;
use prod_data::{EncodedPrediction, PredictionLine};
use serde::{Deserialize, Serialize};
use text_model::DESCRIPTOR_COLUMNS;

use super::encoding::{json_response, PredictResponseRef};
use super::validation::validate_request;
use crate::error::{ApiError, ApiJson};
use crate::state::{AppState, PredictionSummary, ServedModel};

/// A message to score.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictRequest {
    /// The message.
    pub text: String,
    /// The caller's own id for it.
    #[serde(default)]
    pub id: Option<String>,
    /// sms, email, chat, ...
    #[serde(default)]
    pub channel: Option<String>,
    /// Free metadata, logged with the prediction.
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

/// One influential term.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopTerm {
    /// The vocabulary term.
    pub term: String,
    /// Its signed contribution to the log-odds of fraud.
    pub weight: f64,
}

/// The answer for one message. The handlers write this JSON from borrowed values (see
/// `PredictResponseRef`); this type is its reference shape.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PredictResponse {
    /// Id to send feedback about this prediction.
    pub prediction_id: String,
    /// The caller's id, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `fraud` or `legit`.
    pub label: String,
    /// P(fraud).
    pub risk_score: f64,
    /// `low`, `medium` or `high`.
    pub risk_level: String,
    /// The model's decision threshold.
    pub threshold: f64,
    /// The model version that answered.
    pub model_version: String,
    /// The terms that drove the score.
    pub top_terms: Vec<TopTerm>,
    /// Time spent scoring, in microseconds.
    pub latency_us: u64,
}

/// One scored message; the response, the log line and the metrics borrow from it.
pub(crate) struct Scored {
    pub(crate) id: uuid::Uuid,
    /// `id`, hyphenated lowercase: the `prediction_id` of the response and the log.
    pub(crate) id_text: [u8; uuid::fmt::Hyphenated::LENGTH],
    pub(crate) prediction: text_model::Prediction,
    pub(crate) risk_level: &'static str,
    pub(crate) latency_us: u64,
}

impl Scored {
    pub(crate) fn prediction_id(&self) -> &str {
        std::str::from_utf8(&self.id_text).expect("a hyphenated UUID is ASCII")
    }
}

/// A new prediction id (time-ordered) and its canonical text.
pub(crate) fn new_prediction_id() -> (uuid::Uuid, [u8; uuid::fmt::Hyphenated::LENGTH]) {
    let id = uuid::Uuid::now_v7();
    let mut id_text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut id_text);
    (id, id_text)
}

/// Scores one validated message with one model (no logging).
pub(crate) fn score(state: &AppState, served: &ServedModel, text: &str) -> Scored {
    let started = Instant::now();
    let prediction = served
        .model
        .predict_explained(text, state.settings.top_terms);
    let latency_us = started.elapsed().as_micros() as u64;
    let (id, id_text) = new_prediction_id();
    Scored {
        id,
        id_text,
        risk_level: state.settings.risk_bands.level(prediction.score),
        prediction,
        latency_us,
    }
}

/// Descriptor columns sorted by name: the key order of the log's `descriptors` object.
static DESCRIPTOR_ORDER: LazyLock<[usize; DESCRIPTOR_COLUMNS.len()]> = LazyLock::new(|| {
    let mut order: [usize; DESCRIPTOR_COLUMNS.len()] = std::array::from_fn(|i| i);
    order.sort_by_key(|&i| DESCRIPTOR_COLUMNS[i]);
    order
});

/// The prediction's log line, serialised on the calling thread.
pub(crate) fn log_line(
    state: &AppState,
    served: &ServedModel,
    request: &PredictRequest,
    scored: &Scored,
) -> EncodedPrediction {
    let values = scored.prediction.descriptors.values();
    let descriptors: [(&str, f64); DESCRIPTOR_COLUMNS.len()] = std::array::from_fn(|i| {
        let column = DESCRIPTOR_ORDER[i];
        (DESCRIPTOR_COLUMNS[column], values[column])
    });
    PredictionLine {
        prediction_id: scored.prediction_id(),
        at: chrono::Utc::now(),
        instance: &state.instance,
        model_version: &served.version,
        text: &request.text,
        client_id: request.id.as_deref(),
        channel: request.channel.as_deref(),
        meta: request.meta.as_ref(),
        risk_score: scored.prediction.score,
        predicted_label: scored.prediction.label.as_str(),
        threshold: served.model.threshold(),
        risk_level: scored.risk_level,
        descriptors: &descriptors,
        latency_us: scored.latency_us,
    }
    .encode()
}

/// What feedback on this prediction needs; takes the request's text.
pub(crate) fn summary(
    request: PredictRequest,
    served: &ServedModel,
    scored: &Scored,
) -> Arc<PredictionSummary> {
    Arc::new(PredictionSummary {
        text: request.text,
        model_version: served.version.clone(),
        risk_score: scored.prediction.score,
    })
}

/// `POST /predict`.
#[tracing::instrument(name = "predict", skip_all)]
pub async fn predict(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<PredictRequest>,
) -> Result<Response, ApiError> {
    validate_request(&request, state.settings.max_text_chars)?;
    let served = state.served().ok_or_else(crate::error::no_model)?;
    let (scored, body) = answer(&state, &served, &request);
    state
        .production
        .log_encoded(log_line(&state, &served, &request, &scored));
    state
        .recent
        .insert(scored.id, summary(request, &served, &scored));
    Ok(json_response(body))
}

/// Scores a validated message, writes its JSON answer and counts it in the metrics.
pub(crate) fn answer(
    state: &AppState,
    served: &ServedModel,
    request: &PredictRequest,
) -> (Scored, Vec<u8>) {
    let scored = score(state, served, &request.text);
    let mut json = Vec::with_capacity(512);
    PredictResponseRef::new(
        &scored,
        request.id.as_deref(),
        served.model.threshold(),
        &served.version,
    )
    .write_to(&mut json);
    state.metrics.observe_prediction(
        scored.prediction.label.as_str(),
        scored.risk_level,
        scored.prediction.score,
    );
    (scored, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_order_is_the_sorted_column_names() {
        let names: Vec<&str> = DESCRIPTOR_ORDER
            .iter()
            .map(|&i| DESCRIPTOR_COLUMNS[i])
            .collect();
        let mut sorted = DESCRIPTOR_COLUMNS.to_vec();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
