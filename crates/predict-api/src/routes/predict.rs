//! `POST /predict` and `POST /predict/batch`.
//!
//! Everything here runs once per message, next to the model, so it avoids work the answer does
//! not need: responses and log lines are written from borrowed values (no response structs,
//! records or descriptor maps built and dropped), metric series are resolved once, and a batch
//! parses, scores, serialises and counts its items in parallel.

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use prod_data::{EncodedPrediction, PredictionLine};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use text_model::{TermContribution, DESCRIPTOR_COLUMNS};

use crate::error::{is_json, parse_json, read_body, starts_with_object, ApiError, ApiJson};
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

/// Checks a message: not blank, not over the length limit.
pub fn validate_text(text: &str, max_chars: usize) -> Result<(), ApiError> {
    // Stops at the first visible character, so a real message costs one or two checks.
    if text.chars().all(is_blank) {
        return Err(ApiError::invalid(
            "empty_text",
            "text must not be empty, whitespace or invisible characters",
        ));
    }
    // A text has at most as many characters as bytes: count only when it could be too long.
    if text.len() > max_chars {
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(ApiError::invalid(
                "text_too_long",
                format!("text has {chars} characters; the limit is {max_chars}"),
            ));
        }
    }
    Ok(())
}

/// Characters that show nothing: whitespace, control characters and the zero-width
/// format characters (a text of only U+200B or U+FEFF is as empty as one of spaces).
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        )
}

/// Checks a request to score: its text (see [`validate_text`]) and that `meta`, when given,
/// is an object, as documented.
pub fn validate_request(request: &PredictRequest, max_chars: usize) -> Result<(), ApiError> {
    validate_text(&request.text, max_chars)?;
    match &request.meta {
        None | Some(serde_json::Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::invalid(
            "invalid_meta",
            "meta must be a JSON object",
        )),
    }
}

/// One scored message; the response, the log line and the metrics borrow from it.
struct Scored {
    id: uuid::Uuid,
    /// `id`, hyphenated lowercase: the `prediction_id` of the response and the log.
    id_text: [u8; uuid::fmt::Hyphenated::LENGTH],
    prediction: text_model::Prediction,
    risk_level: &'static str,
    latency_us: u64,
}

impl Scored {
    fn prediction_id(&self) -> &str {
        std::str::from_utf8(&self.id_text).expect("a hyphenated UUID is ASCII")
    }
}

/// A new prediction id (time-ordered) and its canonical text.
fn new_prediction_id() -> (uuid::Uuid, [u8; uuid::fmt::Hyphenated::LENGTH]) {
    let id = uuid::Uuid::now_v7();
    let mut id_text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut id_text);
    (id, id_text)
}

/// Scores one validated message with one model (no logging).
fn score(state: &AppState, served: &ServedModel, text: &str) -> Scored {
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

/// [`PredictResponse`], borrowed: the same JSON without copying its strings.
struct PredictResponseRef<'a> {
    prediction_id: &'a str,
    id: Option<&'a str>,
    label: &'static str,
    risk_score: f64,
    risk_level: &'a str,
    threshold: f64,
    model_version: &'a str,
    top_terms: &'a [TermContribution],
    latency_us: u64,
}

impl<'a> PredictResponseRef<'a> {
    fn new(
        scored: &'a Scored,
        client_id: Option<&'a str>,
        threshold: f64,
        model_version: &'a str,
    ) -> Self {
        PredictResponseRef {
            prediction_id: scored.prediction_id(),
            id: client_id,
            label: scored.prediction.label.as_str(),
            risk_score: scored.prediction.score,
            risk_level: scored.risk_level,
            threshold,
            model_version,
            top_terms: &scored.prediction.top_terms,
            latency_us: scored.latency_us,
        }
    }

    /// Appends what serialising the [`PredictResponse`] gives (the tests compare the two), by
    /// hand: serde's string escaping goes byte by byte, keys included.
    fn write_to(&self, out: &mut Vec<u8>) {
        use prod_data::json::{write_f64, write_str, write_u64};
        out.extend_from_slice(b"{\"prediction_id\":");
        write_str(out, self.prediction_id);
        if let Some(id) = self.id {
            out.extend_from_slice(b",\"id\":");
            write_str(out, id);
        }
        out.extend_from_slice(b",\"label\":");
        write_str(out, self.label);
        out.extend_from_slice(b",\"risk_score\":");
        write_f64(out, self.risk_score);
        out.extend_from_slice(b",\"risk_level\":");
        write_str(out, self.risk_level);
        out.extend_from_slice(b",\"threshold\":");
        write_f64(out, self.threshold);
        out.extend_from_slice(b",\"model_version\":");
        write_str(out, self.model_version);
        out.extend_from_slice(b",\"top_terms\":[");
        for (i, term) in self.top_terms.iter().enumerate() {
            out.extend_from_slice(if i == 0 {
                b"{\"term\":"
            } else {
                b",{\"term\":"
            });
            write_str(out, &term.term);
            out.extend_from_slice(b",\"weight\":");
            write_f64(out, term.weight);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"latency_us\":");
        write_u64(out, self.latency_us);
        out.push(b'}');
    }
}

/// A 200 with a JSON body that is already serialised (what `axum::Json` answers).
fn json_response(body: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Descriptor columns sorted by name: the key order of the log's `descriptors` object.
static DESCRIPTOR_ORDER: LazyLock<[usize; DESCRIPTOR_COLUMNS.len()]> = LazyLock::new(|| {
    let mut order: [usize; DESCRIPTOR_COLUMNS.len()] = std::array::from_fn(|i| i);
    order.sort_by_key(|&i| DESCRIPTOR_COLUMNS[i]);
    order
});

/// The prediction's log line, serialised on the calling thread.
fn log_line(
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
fn summary(
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
    let served = state.served().ok_or_else(ApiError::no_model)?;
    let (scored, body) = answer(&state, &served, &request);
    state
        .prediction_log
        .log_encoded(log_line(&state, &served, &request, &scored));
    state
        .recent
        .insert(scored.id, summary(request, &served, &scored));
    Ok(json_response(body))
}

/// Scores a validated message, writes its JSON answer and counts it in the metrics.
fn answer(state: &AppState, served: &ServedModel, request: &PredictRequest) -> (Scored, Vec<u8>) {
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
            "unsupported_media_type",
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
                "batch_too_large",
                format!("{items} items; the limit is {max}"),
            ));
        }
        Ok(())
    };
    let outcomes = if is_csv {
        let items = parse_csv_items(body)?;
        check_size(items.len())?;
        let served = state.served().ok_or_else(ApiError::no_model)?;
        let outcomes = score_items(state, &served, items.into_par_iter());
        (served, outcomes)
    } else {
        let batch: BatchRequest = parse_json(body)?;
        check_size(batch.items.len())?;
        let served = state.served().ok_or_else(ApiError::no_model)?;
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
            state.prediction_log.log_encoded(logged.line);
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
            "invalid_item",
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
        ApiError::invalid("invalid_item", message)
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

/// `{"error": {"code", "message"}}` of a rejected item.
fn item_error_json(e: &ApiError) -> Vec<u8> {
    #[derive(Serialize)]
    struct ItemError<'a> {
        error: ErrorBody<'a>,
    }
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        code: &'a str,
        message: &'a str,
    }
    serde_json::to_vec(&ItemError {
        error: ErrorBody {
            code: e.code,
            message: &e.message,
        },
    })
    .expect("writing JSON to a Vec cannot fail")
}

/// The [`BatchResponse`] JSON around items that are already serialised.
fn batch_body(model_version: &str, results: &[Vec<u8>], succeeded: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(96 + results.iter().map(|r| r.len() + 1).sum::<usize>());
    body.extend_from_slice(b"{\"model_version\":");
    serde_json::to_writer(&mut body, model_version).expect("writing JSON to a Vec cannot fail");
    body.extend_from_slice(b",\"results\":[");
    for (i, result) in results.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(result);
    }
    body.extend_from_slice(b"],\"succeeded\":");
    body.extend_from_slice(succeeded.to_string().as_bytes());
    body.extend_from_slice(b",\"failed\":");
    body.extend_from_slice((results.len() - succeeded).to_string().as_bytes());
    body.push(b'}');
    body
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(label: text_model::Label, terms: &[(&str, f64)]) -> Scored {
        let (id, id_text) = new_prediction_id();
        Scored {
            id,
            id_text,
            prediction: text_model::Prediction {
                score: 0.812_345_678_9,
                label,
                top_terms: terms
                    .iter()
                    .map(|(term, weight)| TermContribution {
                        term: term.to_string(),
                        weight: *weight,
                    })
                    .collect(),
                descriptors: Default::default(),
            },
            risk_level: "high",
            latency_us: 117,
        }
    }

    fn reference(scored: &Scored, client_id: Option<&str>, threshold: f64) -> PredictResponse {
        PredictResponse {
            prediction_id: scored.prediction_id().to_string(),
            id: client_id.map(str::to_string),
            label: scored.prediction.label.to_string(),
            risk_score: scored.prediction.score,
            risk_level: scored.risk_level.to_string(),
            threshold,
            model_version: "v0007".into(),
            top_terms: scored
                .prediction
                .top_terms
                .iter()
                .map(|t| TopTerm {
                    term: t.term.clone(),
                    weight: t.weight,
                })
                .collect(),
            latency_us: scored.latency_us,
        }
    }

    /// The borrowed writers give the bytes that serialising the reference types gives.
    #[test]
    fn answers_are_the_reference_json() {
        let threshold = 0.5076;
        let cases = [
            (
                scored(
                    text_model::Label::Fraud,
                    &[
                        ("__url__", 1.25),
                        ("紧急 通知", -0.5),
                        ("q\"b\\s\u{1}", 0.0),
                    ],
                ),
                Some("client \"7\""),
            ),
            (scored(text_model::Label::Legit, &[]), None),
        ];
        let mut results = Vec::new();
        let mut reference_items = Vec::new();
        for (scored, client_id) in &cases {
            let mut json = Vec::new();
            PredictResponseRef::new(scored, *client_id, threshold, "v0007").write_to(&mut json);
            let expected = reference(scored, *client_id, threshold);
            assert_eq!(json, serde_json::to_vec(&expected).unwrap());
            results.push(json);
            reference_items.push(BatchItem::Ok(expected));
        }
        let error = ApiError::invalid("empty_text", "text must not be \"empty\"");
        results.push(item_error_json(&error));
        reference_items.push(BatchItem::Err {
            error: error.body()["error"].clone(),
        });
        let reference_batch = BatchResponse {
            model_version: "v0007".into(),
            results: reference_items,
            succeeded: 2,
            failed: 1,
        };
        assert_eq!(
            batch_body("v0007", &results, 2),
            serde_json::to_vec(&reference_batch).unwrap()
        );
        let empty = BatchResponse {
            model_version: "v0007".into(),
            results: Vec::new(),
            succeeded: 0,
            failed: 0,
        };
        assert_eq!(
            batch_body("v0007", &[], 0),
            serde_json::to_vec(&empty).unwrap()
        );
    }

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
                assert_eq!(e.code, "invalid_item");
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
                    "invalid_item",
                    "each item must be a JSON object with a text"
                ),
                "{item}"
            );
        }
    }

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

    #[test]
    fn text_length_limit_counts_characters() {
        assert!(validate_text("ab", 2).is_ok());
        assert!(validate_text("紧急", 2).is_ok(), "6 bytes, 2 characters");
        assert_eq!(
            validate_text("紧急通", 2).unwrap_err().code,
            "text_too_long"
        );
        assert_eq!(validate_text(" \n", 2).unwrap_err().code, "empty_text");
    }
}
