//! The agent's client of predict-api: look a prediction up, score a text, record an answer.

use serde::{Deserialize, Serialize};
use serde_json::json;

/// One influential term of a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopTerm {
    /// The term.
    pub term: String,
    /// Its signed contribution to the log-odds of fraud.
    pub weight: f64,
}

/// A prediction as the agent uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Its id in predict-api.
    pub prediction_id: String,
    /// The message.
    #[serde(default)]
    pub text: String,
    /// P(fraud).
    pub risk_score: f64,
    /// `fraud` or `legit`.
    pub label: String,
    /// `low`, `medium`, `high`.
    pub risk_level: String,
    /// The model version that scored it.
    pub model_version: String,
    /// The terms that drove the score.
    #[serde(default)]
    pub top_terms: Vec<TopTerm>,
}

/// predict-api did not give what was asked.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Unreachable, timed out, or a 5xx.
    #[error("predict-api is unavailable: {0}")]
    Unavailable(String),
    /// No prediction has that id.
    #[error("no prediction has that id")]
    UnknownPrediction,
    /// predict-api refused the request (4xx), with its error message.
    #[error("predict-api refused the request: {0}")]
    Refused(String),
}

/// A predict-api client.
#[derive(Debug, Clone)]
pub struct PredictApi {
    http: reqwest::Client,
    base_url: String,
}

impl PredictApi {
    /// A client of the predict-api at `base_url`.
    pub fn new(http: reqwest::Client, base_url: &str) -> PredictApi {
        PredictApi {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    async fn read<T: serde::de::DeserializeOwned>(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, UpstreamError> {
        let response =
            response.map_err(|e| UpstreamError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(UpstreamError::Unavailable(format!(
                "status {}",
                status.as_u16()
            )));
        }
        if status.is_client_error() {
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            if body["error"]["code"] == "unknown_prediction" {
                return Err(UpstreamError::UnknownPrediction);
            }
            return Err(UpstreamError::Refused(
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("no message")
                    .to_string(),
            ));
        }
        response.json().await.map_err(|e| {
            UpstreamError::Unavailable(format!("unreadable answer: {}", e.without_url()))
        })
    }

    /// `GET /predictions/{id}`.
    pub async fn prediction(&self, id: &str) -> Result<Prediction, UpstreamError> {
        let mut url = reqwest::Url::parse(&format!("{}/predictions/", self.base_url))
            .map_err(|e| UpstreamError::Unavailable(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| UpstreamError::Unavailable("base URL cannot take a path".into()))?
            .pop_if_empty()
            .push(id);
        Self::read(self.http.get(url).send().await).await
    }

    /// `POST /predict`.
    pub async fn predict(
        &self,
        text: &str,
        channel: Option<&str>,
    ) -> Result<Prediction, UpstreamError> {
        let mut body = json!({"text": text});
        if let Some(channel) = channel {
            body["channel"] = json!(channel);
        }
        let mut prediction: Prediction = Self::read(
            self.http
                .post(format!("{}/predict", self.base_url))
                .json(&body)
                .send()
                .await,
        )
        .await?;
        prediction.text = text.to_string();
        Ok(prediction)
    }

    /// `POST /feedback` with `source=user`; returns the stored feedback id.
    pub async fn feedback(
        &self,
        prediction_id: &str,
        label: &str,
        comment: &str,
    ) -> Result<String, UpstreamError> {
        #[derive(Deserialize)]
        struct Stored {
            feedback_id: String,
        }
        let stored: Stored = Self::read(
            self.http
                .post(format!("{}/feedback", self.base_url))
                .json(&json!({
                    "prediction_id": prediction_id,
                    "label": label,
                    "source": "user",
                    "comment": comment,
                }))
                .send()
                .await,
        )
        .await?;
        Ok(stored.feedback_id)
    }
}
