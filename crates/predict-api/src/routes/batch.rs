//! `POST /predict/batch`: many messages in one request, as JSON items or a CSV upload; a
//! batch parses, scores, serialises and counts its items in parallel, and a bad item fails
//! alone.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::encoding::{batch_body, item_error_json, json_response};
use prod_data::EncodedPrediction;

use super::predict::{answer, log_line, summary, PredictRequest, PredictResponse};
use super::validation::validate_request;
use crate::error::{is_json, parse_json, read_body, starts_with_object, ApiError, ErrorCode};
use crate::state::{AppState, PredictionSummary, ServedModel};

/// A batch of messages. Items stay unparsed until each is scored, in parallel; a malformed
/// item fails alone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest<'a> {
    /// The messages, answered in order.
    #[serde(borrow)]
    pub items: Vec<&'a RawValue>,
}

/// One result of a batch: a prediction or that item's error. The reference shape of what
/// the batch answers (see [`PredictResponse`]).
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

/// The batch answer (reference shape).
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
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let is_csv = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/csv"));
    if !is_json(headers) && !is_csv {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send application/json {\"items\": [...]} or text/csv with a text column",
        ));
    }
    let body = read_body(request).await?;
    // Parsing a large body is CPU work too: all of it runs off the async workers.
    tokio::task::spawn_blocking(move || answer_batch(&state, &body, is_csv))
        .await
        .map_err(|e| ApiError::internal("batch scoring failed", e))?
}

fn answer_batch(state: &AppState, body: &[u8], is_csv: bool) -> Result<Response, ApiError> {
    let max = state.settings.batch_max;
    let check_size = |items: usize| {
        if items > max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BatchTooLarge,
                format!("{items} items; the limit is {max}"),
            ));
        }
        Ok(())
    };
    let outcomes = if is_csv {
        let items = parse_csv_items(body)?;
        check_size(items.len())?;
        let served = state.served().ok_or_else(crate::error::no_model)?;
        let outcomes = score_items(state, &served, items.into_par_iter());
        (served, outcomes)
    } else {
        let batch: BatchRequest = parse_json(body)?;
        check_size(batch.items.len())?;
        let served = state.served().ok_or_else(crate::error::no_model)?;
        let outcomes = score_items(
            state,
            &served,
            batch.items.par_iter().map(|raw| parse_item(raw)),
        );
        (served, outcomes)
    };
    let (served, outcomes) = outcomes;
    // In request order, so the log keeps the batch's order; one lock for the whole batch.
    let mut remembered = Vec::with_capacity(outcomes.len());
    let mut results = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        if let Some(logged) = outcome.logged {
            state.production.log_encoded(logged.line);
            remembered.push((logged.id, logged.summary));
        }
        results.push(outcome.json);
    }
    let succeeded = remembered.len();
    state.recent.insert_many(remembered);
    Ok(json_response(batch_body(
        &served.version,
        &results,
        succeeded,
    )))
}

/// A batch item as JSON; `message` without serde_json's position: items used to be parsed
/// from a `serde_json::Value`, which has none, and a position inside one item says little.
fn parse_item(raw: &RawValue) -> Result<PredictRequest, ApiError> {
    // As for a single request: serde would also fill the struct from an array.
    if !starts_with_object(raw.get().as_bytes()) {
        return Err(ApiError::invalid(
            ErrorCode::InvalidItem,
            "each item must be a JSON object with a text",
        ));
    }
    serde_json::from_str(raw.get()).map_err(|e| {
        let message = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        let message = match message.strip_suffix(&position) {
            Some(short) if e.line() > 0 => short.to_string(),
            _ => message,
        };
        ApiError::invalid(ErrorCode::InvalidItem, message)
    })
}

/// What one batch item contributes: its JSON in `results` and, when scored, what to log and
/// remember (done in request order after the parallel part).
struct ItemOutcome {
    json: Vec<u8>,
    logged: Option<Logged>,
}

struct Logged {
    line: EncodedPrediction,
    id: uuid::Uuid,
    summary: Arc<PredictionSummary>,
}

/// Validates, scores, serialises and counts every item in parallel.
fn score_items(
    state: &AppState,
    served: &ServedModel,
    items: impl IndexedParallelIterator<Item = Result<PredictRequest, ApiError>>,
) -> Vec<ItemOutcome> {
    let max_chars = state.settings.max_text_chars;
    items
        .map(|item| {
            let request = match item.and_then(|r| validate_request(&r, max_chars).map(|()| r)) {
                Ok(request) => request,
                Err(e) => {
                    return ItemOutcome {
                        json: item_error_json(&e),
                        logged: None,
                    }
                }
            };
            let (scored, json) = answer(state, served, &request);
            let line = log_line(state, served, &request, &scored);
            ItemOutcome {
                json,
                logged: Some(Logged {
                    line,
                    id: scored.id,
                    summary: summary(request, served, &scored),
                }),
            }
        })
        .collect()
}

fn parse_csv_items(body: &[u8]) -> Result<Vec<Result<PredictRequest, ApiError>>, ApiError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedCsv,
                e.to_string(),
            )
        })?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let text_idx = column("text").ok_or_else(|| {
        ApiError::invalid(ErrorCode::MissingColumn, "the CSV needs a text column")
    })?;
    let (id_idx, channel_idx) = (column("id"), column("channel"));
    Ok(reader
        .records()
        .map(|record| {
            let record =
                record.map_err(|e| ApiError::invalid(ErrorCode::MalformedRow, e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Item errors read as they did when items were parsed from a `serde_json::Value`.
    #[test]
    fn item_errors_keep_their_messages() {
        for item in [
            r#"{"text": 17}"#,
            r#"{"id": "x"}"#,
            r#"{"text": "a", "extra": 1}"#,
            r#"{"text": "a", "meta": {"k": [1]}, "id": null}"#,
            "{\n\"text\": true}",
            " {\"text\": \"a\"}",
        ] {
            let old = serde_json::from_str::<serde_json::Value>(item)
                .and_then(serde_json::from_value::<PredictRequest>)
                .map(|r| r.text)
                .map_err(|e| e.to_string());
            let raw: Box<RawValue> = serde_json::from_str(item).unwrap();
            let new = parse_item(&raw).map(|r| r.text).map_err(|e| {
                assert_eq!(e.code, ErrorCode::InvalidItem);
                e.message
            });
            assert_eq!(new, old, "{item}");
        }
        // serde would read `["a"]` as a request: anything but an object is refused first.
        for item in [r#""just a string""#, "null", "[1, 2]", r#"["a"]"#, "1.5"] {
            let raw: Box<RawValue> = serde_json::from_str(item).unwrap();
            let error = parse_item(&raw).unwrap_err();
            assert_eq!(
                (error.code, error.message.as_str()),
                (
                    ErrorCode::InvalidItem,
                    "each item must be a JSON object with a text"
                ),
                "{item}"
            );
        }
    }
}
