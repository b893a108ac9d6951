//! `POST /predict` and `POST /predict/batch`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Json;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use text_model::DESCRIPTOR_COLUMNS;

use crate::error::{is_json, parse_json, read_body, ApiError, ApiJson};
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

/// The answer for one message.
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

/// Checks a message: not blank, not over the length limit.
pub fn validate_text(text: &str, max_chars: usize) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid(
            "empty_text",
            "text must not be empty or whitespace",
        ));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(ApiError::invalid(
            "text_too_long",
            format!("text has {chars} characters; the limit is {max_chars}"),
        ));
    }
    Ok(())
}

/// Scores one validated message with one model (no logging).
fn score(
    state: &AppState,
    served: &ServedModel,
    request: &PredictRequest,
) -> (PredictResponse, text_model::Prediction) {
    let started = Instant::now();
    let prediction = served
        .model
        .predict_explained(&request.text, state.settings.top_terms);
    let latency_us = started.elapsed().as_micros() as u64;
    let response = PredictResponse {
        prediction_id: uuid::Uuid::now_v7().to_string(),
        id: request.id.clone(),
        label: prediction.label.to_string(),
        risk_score: prediction.score,
        risk_level: state
            .settings
            .risk_bands
            .level(prediction.score)
            .to_string(),
        threshold: served.model.threshold(),
        model_version: served.version.clone(),
        top_terms: prediction
            .top_terms
            .iter()
            .map(|t| TopTerm {
                term: t.term.clone(),
                weight: t.weight,
            })
            .collect(),
        latency_us,
    };
    (response, prediction)
}

/// Logs, indexes and counts an answered prediction.
fn record(
    state: &AppState,
    request: PredictRequest,
    response: &PredictResponse,
    prediction: &text_model::Prediction,
) {
    state
        .metrics
        .predictions
        .with_label_values(&[&response.label, &response.risk_level])
        .inc();
    state.metrics.risk_score.observe(response.risk_score);
    state.recent.insert(
        response.prediction_id.clone(),
        PredictionSummary {
            text: request.text.clone(),
            model_version: response.model_version.clone(),
            risk_score: response.risk_score,
        },
    );
    let values = prediction.descriptors.values();
    let descriptors: BTreeMap<String, f64> = DESCRIPTOR_COLUMNS
        .iter()
        .zip(values)
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    state.prediction_log.log(&prod_data::PredictionRecord {
        schema: prod_data::SCHEMA_VERSION,
        prediction_id: response.prediction_id.clone(),
        at: chrono::Utc::now(),
        instance: state.instance.to_string(),
        model_version: response.model_version.clone(),
        text: request.text,
        client_id: request.id,
        channel: request.channel,
        meta: request.meta,
        risk_score: response.risk_score,
        predicted_label: response.label.clone(),
        threshold: response.threshold,
        risk_level: response.risk_level.clone(),
        descriptors,
        latency_us: response.latency_us,
    });
}

/// `POST /predict`.
#[tracing::instrument(name = "predict", skip_all)]
pub async fn predict(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PredictRequest>,
) -> Result<Json<PredictResponse>, ApiError> {
    validate_text(&request.text, state.settings.max_text_chars)?;
    let served = state.served().ok_or_else(ApiError::no_model)?;
    let (response, prediction) = score(&state, &served, &request);
    record(&state, request, &response, &prediction);
    Ok(Json(response))
}

/// A batch of messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The messages, answered in order.
    pub items: Vec<serde_json::Value>,
}

/// One result of a batch: a prediction or that item's error.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BatchItem {
    /// Scored.
    Ok(PredictResponse),
    /// Rejected; the rest of the batch is unaffected.
    Err {
        /// `{"code", "message"}`.
        error: serde_json::Value,
    },
}

/// The batch answer.
#[derive(Debug, Serialize)]
pub struct BatchResponse {
    /// The model version that answered every item.
    pub model_version: String,
    /// Per item, in request order.
    pub results: Vec<BatchItem>,
    /// Items scored.
    pub succeeded: usize,
    /// Items rejected.
    pub failed: usize,
}

/// `POST /predict/batch`: JSON `{"items": [...]}` or `text/csv` with a `text` column (and
/// optional `id`, `channel` columns).
#[tracing::instrument(name = "predict_batch", skip_all)]
pub async fn predict_batch(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<BatchResponse>, ApiError> {
    let headers = request.headers().clone();
    let is_csv = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/csv"));
    if !is_json(&headers) && !is_csv {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json {\"items\": [...]} or text/csv with a text column",
        ));
    }
    let body = read_body(request).await?;
    let items: Vec<Result<PredictRequest, ApiError>> = if is_csv {
        parse_csv_items(&body)?
    } else {
        let batch: BatchRequest = parse_json(&body)?;
        batch
            .items
            .into_iter()
            .map(|v| {
                serde_json::from_value::<PredictRequest>(v)
                    .map_err(|e| ApiError::invalid("invalid_item", e.to_string()))
            })
            .collect()
    };
    let max = state.settings.batch_max;
    if items.len() > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("{} items; the limit is {max}", items.len()),
        ));
    }
    let served = state.served().ok_or_else(ApiError::no_model)?;
    let worker_state = state.clone();
    let scored = tokio::task::spawn_blocking(move || score_batch(&worker_state, &served, items))
        .await
        .map_err(|e| ApiError::internal("batch scoring failed", e))?;
    Ok(Json(scored))
}

fn score_batch(
    state: &AppState,
    served: &Arc<ServedModel>,
    items: Vec<Result<PredictRequest, ApiError>>,
) -> BatchResponse {
    let max_chars = state.settings.max_text_chars;
    let scored: Vec<Result<(PredictRequest, PredictResponse, text_model::Prediction), ApiError>> =
        items
            .into_par_iter()
            .map(|item| {
                let request = item?;
                validate_text(&request.text, max_chars)?;
                let (response, prediction) = score(state, served, &request);
                Ok((request, response, prediction))
            })
            .collect();
    let mut results = Vec::with_capacity(scored.len());
    let (mut succeeded, mut failed) = (0, 0);
    for item in scored {
        match item {
            Ok((request, response, prediction)) => {
                record(state, request, &response, &prediction);
                succeeded += 1;
                results.push(BatchItem::Ok(response));
            }
            Err(e) => {
                failed += 1;
                results.push(BatchItem::Err {
                    error: e.body()["error"].clone(),
                });
            }
        }
    }
    BatchResponse {
        model_version: served.version.clone(),
        results,
        succeeded,
        failed,
    }
}

fn parse_csv_items(body: &[u8]) -> Result<Vec<Result<PredictRequest, ApiError>>, ApiError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed_csv", e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let text_idx = column("text")
        .ok_or_else(|| ApiError::invalid("missing_column", "the CSV needs a text column"))?;
    let (id_idx, channel_idx) = (column("id"), column("channel"));
    Ok(reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| ApiError::invalid("malformed_row", e.to_string()))?;
            let field = |i: Option<usize>| {
                i.and_then(|i| record.get(i))
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            Ok(PredictRequest {
                text: record.get(text_idx).unwrap_or_default().to_string(),
                id: field(id_idx),
                channel: field(channel_idx),
                meta: None,
            })
        })
        .collect())
}
