use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The record schema this build writes. Readers skip records of other versions.
pub const SCHEMA_VERSION: u32 = 1;

/// One answered prediction (a line of `data/predictions/*.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRecord {
    /// Record schema version.
    pub schema: u32,
    /// Unique id, returned to the caller for feedback.
    pub prediction_id: String,
    /// When the prediction was made.
    pub at: DateTime<Utc>,
    /// The service instance that made it.
    pub instance: String,
    /// The model version that scored it.
    pub model_version: String,
    /// The message text.
    pub text: String,
    /// The caller's own id for the message, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Channel (sms, email, chat, ...), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Caller metadata, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// P(fraud).
    pub risk_score: f64,
    /// `fraud` or `legit` at the model's threshold.
    pub predicted_label: String,
    /// The model's threshold.
    pub threshold: f64,
    /// `low`, `medium` or `high`.
    pub risk_level: String,
    /// Text descriptors by column name.
    pub descriptors: BTreeMap<String, f64>,
    /// Time spent scoring, in microseconds.
    pub latency_us: u64,
}

/// One label given by a person or an agent (a line of `data/feedback/*.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    /// Record schema version.
    pub schema: u32,
    /// Unique id of this feedback.
    pub feedback_id: String,
    /// When it was received.
    pub at: DateTime<Utc>,
    /// The service instance that stored it.
    pub instance: String,
    /// The prediction it labels (None for bulk labelling of plain texts).
    #[serde(default)]
    pub prediction_id: Option<String>,
    /// The message text (copied from the prediction when there is one).
    pub text: String,
    /// The true label: `fraud` or `legit`.
    pub label: String,
    /// Who labelled it: `user`, `operator` or `agent`.
    pub source: String,
    /// Who the user is (an account, phone or e-mail as the caller knows them), when given:
    /// user labels are rate-limited and capped per contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Free-text comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The model version that made the prediction, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// The prediction's risk score, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<f64>,
}
