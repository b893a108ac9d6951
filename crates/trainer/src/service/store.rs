//! What the loop remembers: the policy's memory (cooldowns, decided reports, versions rolled
//! back from), the audit log (one decision per line, then outcome lines naming it), revoked
//! labels and one record per job, rewritten at each state change. Stored through
//! `prod_data::LoopRecords` (files under `<home>/loop/`, or PostgreSQL).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use loop_policy::LoopState;
use prod_data::LoopRecords;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the service remembers between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    /// The policy's memory.
    pub policy: LoopState,
    /// The latest report looked at.
    pub last_report: Option<String>,
    /// When the last retrain job was queued (for the schedule).
    pub last_retrain_at: Option<DateTime<Utc>>,
    /// Decisions written so far (numbers the next one).
    pub decisions: u64,
}

/// One revoked label.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revocation {
    /// The revoked feedback's id.
    pub feedback_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// The loop's records, typed: files under `<home>/loop/` by default, PostgreSQL when the
/// database is configured (`prod_data::LoopRecords`).
#[derive(Clone)]
pub struct LoopStore {
    records: Arc<dyn LoopRecords>,
}

impl LoopStore {
    /// The records of `home`, where the environment configures them. Blocking (connects to
    /// the database when there is one).
    pub fn open(home: &Path) -> anyhow::Result<LoopStore> {
        Ok(LoopStore {
            records: super::data::stores(home)?.loop_records(),
        })
    }

    /// The persisted state (default when none was written yet).
    pub fn load_state(&self) -> anyhow::Result<PersistedState> {
        match self.records.load_state()? {
            Some(state) => serde_json::from_value(state).context("reading the loop's state"),
            None => Ok(PersistedState::default()),
        }
    }

    /// Writes the state whole or not at all.
    pub fn save_state(&self, state: &PersistedState) -> anyhow::Result<()> {
        let value = serde_json::to_value(state).expect("state serialises");
        Ok(self.records.save_state(&value)?)
    }

    /// Appends one line to the audit log (durable before it returns).
    pub fn append_decision(&self, line: &Value) -> anyhow::Result<()> {
        Ok(self.records.append_decision(line)?)
    }

    /// Every line of the audit log, oldest first.
    pub fn read_decisions(&self) -> anyhow::Result<Vec<Value>> {
        Ok(self.records.decisions()?)
    }

    /// Records a revocation (durable before it returns).
    pub fn append_revocation(&self, r: &Revocation) -> anyhow::Result<()> {
        let value = serde_json::to_value(r).expect("revocations serialise");
        Ok(self.records.append_revocation(&value)?)
    }

    /// The ids of revoked labels.
    pub fn revoked(&self) -> anyhow::Result<BTreeSet<String>> {
        Ok(self
            .records
            .revocations()?
            .into_iter()
            .filter_map(|v| v["feedback_id"].as_str().map(str::to_string))
            .collect())
    }

    /// Stores a job whole, replacing its previous state.
    pub fn save_job(&self, job: &super::jobs::Job) -> anyhow::Result<()> {
        let value = serde_json::to_value(job).expect("jobs serialise");
        Ok(self.records.save_job(&job.id, job.seq, &value)?)
    }

    /// Every stored job, oldest first.
    pub fn load_jobs(&self) -> anyhow::Result<Vec<super::jobs::Job>> {
        self.records
            .jobs()?
            .into_iter()
            .map(|job| serde_json::from_value(job).context("reading a stored job"))
            .collect()
    }
}

/// Where a retrain keeps local copies of its datasets (when they live in object storage).
pub fn scratch_dir(home: &Path) -> PathBuf {
    home.join("loop").join("datasets")
}
