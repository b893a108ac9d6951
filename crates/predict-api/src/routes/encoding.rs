//! The JSON the scoring endpoints answer with, written from borrowed values.
//!
//! Hand-written on purpose: `/predict` answers from the model's own buffers without building
//! a response struct and its strings per request, and strings are escaped by
//! `prod_data::json::write_str`, which checks 32 bytes per branch where serde_json goes byte
//! by byte. Measured on the whole request path (callgrind, 2,000 `/predict` requests,
//! docs/benchmarks.md section 5): the word-wise escape check alone took 1.8k of 135.9k
//! instructions per request off (`07f1210`), on top of the 8-byte check of `a2772f2`. The
//! writers have not been measured against a derived `Serialize` on these borrowed structs
//! as a whole; `PredictResponse` and `BatchResponse` are the reference shapes, and the tests
//! check these writers against them byte for byte.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use text_model::TermContribution;

use super::predict::Scored;
use crate::error::{ApiError, ErrorCode};

/// [`PredictResponse`], borrowed: the same JSON without copying its strings.
pub(crate) struct PredictResponseRef<'a> {
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
    pub(crate) fn new(
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
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
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
pub(crate) fn json_response(body: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// `{"error": {"code", "message"}}` of a rejected item.
pub(crate) fn item_error_json(e: &ApiError) -> Vec<u8> {
    #[derive(Serialize)]
    struct ItemError<'a> {
        error: ErrorBody<'a>,
    }
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        code: ErrorCode,
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
pub(crate) fn batch_body(model_version: &str, results: &[Vec<u8>], succeeded: usize) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::batch::{BatchItem, BatchResponse};
    use crate::routes::predict::{new_prediction_id, PredictResponse, TopTerm};

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
        let error = ApiError::invalid(ErrorCode::EmptyText, "text must not be \"empty\"");
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
}
