//! The trainer service (`trainer serve`): retraining jobs and the policy's decisions.
//!
//! Written from the contract of its issue (`POST /jobs` with an `Idempotency-Key`, `GET /jobs`,
//! `GET /jobs/{id}`, `GET /decisions`); fields are read leniently, so a field the service adds
//! or leaves out shows as absent rather than failing the page.

use serde_json::{json, Value};

use super::{list, Backend, BackendError, Body};

/// A training job as the models page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// `queued`, `running`, `succeeded`, `failed` or `rejected`.
    pub state: String,
    /// Why it was started.
    pub reason: String,
    /// When it was created, as sent.
    pub created_at: String,
    /// The candidate's version, once registered.
    pub candidate: Option<String>,
    /// The gate's reasons (why a candidate was rejected or promoted).
    pub verdict_reasons: Vec<String>,
}

impl Job {
    fn from_json(v: &Value) -> Job {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let verdict = v
            .get("verdict")
            .or_else(|| v.get("gate"))
            .unwrap_or(&Value::Null);
        let reasons = match verdict.get("reasons") {
            Some(Value::Array(items)) => items.iter().map(text).collect(),
            Some(other) if !other.is_null() => vec![text(other)],
            _ => verdict
                .get("reason")
                .map(text)
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect(),
        };
        let candidate = v
            .get("candidate")
            .and_then(|c| c.get("version").or(Some(c)))
            .or_else(|| v.get("candidate_version"))
            .map(text)
            .filter(|s| !s.is_empty() && !s.starts_with('{'));
        Job {
            id: text(
                v.get("job_id")
                    .or_else(|| v.get("id"))
                    .unwrap_or(&Value::Null),
            ),
            state: text(v.get("state").unwrap_or(&Value::Null)),
            reason: text(v.get("reason").unwrap_or(&Value::Null)),
            created_at: text(
                v.get("created_at")
                    .or_else(|| v.get("queued_at"))
                    .unwrap_or(&Value::Null),
            ),
            candidate,
            verdict_reasons: reasons,
        }
    }
}

/// One decision of the policy, as the models page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// When.
    pub at: String,
    /// `ok`, `alert`, `retrain` or `rollback`.
    pub action: String,
    /// The rule that fired.
    pub rule: String,
    /// What came of it.
    pub outcome: String,
}

impl Decision {
    fn from_json(v: &Value) -> Decision {
        let text = |key: &str| match v.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        Decision {
            at: text("at"),
            action: text("action"),
            rule: text("rule"),
            outcome: text("outcome"),
        }
    }
}

/// The trainer service's client.
#[derive(Debug, Clone)]
pub struct Trainer(pub Backend);

impl Trainer {
    /// Every job, newest first as the service lists them.
    pub async fn jobs(&self) -> Result<Vec<Job>, BackendError> {
        let value = self.0.get("/jobs").await?;
        Ok(list(&value, "jobs").iter().map(Job::from_json).collect())
    }

    /// The policy's decisions, newest first.
    pub async fn decisions(&self) -> Result<Vec<Decision>, BackendError> {
        let value = self.0.get("/decisions").await?;
        Ok(list(&value, "decisions")
            .iter()
            .map(Decision::from_json)
            .collect())
    }

    /// Starts a retraining job; the same `idempotency_key` names the same job.
    pub async fn retrain(
        &self,
        token: &str,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<String, BackendError> {
        let value = self
            .0
            .json(
                reqwest::Method::POST,
                "/jobs",
                Body::Json(json!({"kind": "retrain", "reason": reason})),
                Some(token),
                &[("Idempotency-Key", idempotency_key)],
            )
            .await?;
        Ok(value["job_id"].as_str().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_read_the_documented_fields_and_tolerate_variants() {
        let job = Job::from_json(&json!({
            "job_id": "j1", "state": "rejected", "reason": "drift",
            "candidate": {"version": "v0003", "metrics": {"f1": 0.9}},
            "verdict": {"promote": false, "reasons": ["worse on recent rows by 0.04"]}
        }));
        assert_eq!(job.id, "j1");
        assert_eq!(job.candidate.as_deref(), Some("v0003"));
        assert_eq!(job.verdict_reasons, ["worse on recent rows by 0.04"]);
        let bare = Job::from_json(&json!({"id": 7, "state": "queued"}));
        assert_eq!(bare.id, "7");
        assert!(bare.candidate.is_none() && bare.verdict_reasons.is_empty());
    }
}
