//! predict-api: scoring one message or a CSV file, feedback, the served model, reloads.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Backend, BackendError, Body};

/// One term of an explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopTerm {
    /// The term as the model's tokenizer wrote it (lower case; `__url__` for URLs).
    pub term: String,
    /// Signed contribution to the log-odds of fraud.
    pub weight: f64,
}

/// `POST /predict`'s answer (and each item of a batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The prediction's id (for feedback and notices).
    pub prediction_id: String,
    /// The caller's own id, echoed.
    #[serde(default)]
    pub id: Option<String>,
    /// `fraud` or `legit`.
    pub label: String,
    /// P(fraud).
    pub risk_score: f64,
    /// `low`, `medium` or `high`.
    pub risk_level: String,
    /// The model's decision threshold.
    pub threshold: f64,
    /// The model that scored it.
    pub model_version: String,
    /// The terms that drove the score.
    #[serde(default)]
    pub top_terms: Vec<TopTerm>,
}

/// One row of a batch: a prediction or the row's own error.
#[derive(Debug, Clone)]
pub enum BatchItem {
    /// Scored.
    Scored(Prediction),
    /// The row's error message.
    Failed(String),
}

/// `POST /predict/batch`'s answer.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// The model that scored the batch.
    pub model_version: String,
    /// The rows, in order.
    pub items: Vec<BatchItem>,
}

/// predict-api's client.
#[derive(Debug, Clone)]
pub struct PredictApi(pub Backend);

impl PredictApi {
    /// Scores one message.
    pub async fn predict(
        &self,
        text: &str,
        channel: Option<&str>,
    ) -> Result<Prediction, BackendError> {
        let mut body = json!({"text": text});
        if let Some(channel) = channel.filter(|c| !c.is_empty()) {
            body["channel"] = json!(channel);
        }
        let value = self
            .0
            .json(
                reqwest::Method::POST,
                "/predict",
                Body::Json(body),
                None,
                &[],
            )
            .await?;
        self.0.parse(value)
    }

    /// Scores a CSV file (a `text` column, optional `id` and `channel`).
    pub async fn predict_csv(&self, csv: Vec<u8>) -> Result<BatchResult, BackendError> {
        let value = self
            .0
            .json(
                reqwest::Method::POST,
                "/predict/batch",
                Body::Raw("text/csv", csv),
                None,
                &[],
            )
            .await?;
        let model_version = value["model_version"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let items = value["results"]
            .as_array()
            .ok_or_else(|| BackendError::Invalid {
                service: self.0.name,
                detail: "no results".into(),
            })?
            .iter()
            .map(|item| match item.get("error") {
                Some(error) => BatchItem::Failed(
                    error["message"]
                        .as_str()
                        .unwrap_or("invalid row")
                        .to_string(),
                ),
                None => match serde_json::from_value::<Prediction>(item.clone()) {
                    Ok(p) => BatchItem::Scored(p),
                    Err(e) => BatchItem::Failed(e.to_string()),
                },
            })
            .collect();
        Ok(BatchResult {
            model_version,
            items,
        })
    }

    /// Labels a prediction as an operator.
    pub async fn feedback(&self, prediction_id: &str, label: &str) -> Result<Value, BackendError> {
        let body = json!({"prediction_id": prediction_id, "label": label, "source": "operator"});
        self.0
            .json(
                reqwest::Method::POST,
                "/feedback",
                Body::Json(body),
                None,
                &[],
            )
            .await
    }

    /// The served model (`GET /model`).
    pub async fn model(&self) -> Result<Value, BackendError> {
        self.0.get("/model").await
    }

    /// A stored prediction (`GET /predictions/{id}`).
    pub async fn prediction(&self, id: &str) -> Result<Value, BackendError> {
        self.0.get(&format!("/predictions/{id}")).await
    }

    /// Loads the registry's production model now (`POST /admin/reload`).
    pub async fn reload(&self, token: &str) -> Result<Value, BackendError> {
        self.0
            .json(
                reqwest::Method::POST,
                "/admin/reload",
                Body::None,
                Some(token),
                &[],
            )
            .await
    }
}
