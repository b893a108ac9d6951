//! The loop's files on the shared volume, under `<home>/loop/`:
//!
//! ```text
//! loop/
//!   state.json          the policy's memory (cooldowns, decided reports, versions rolled back from)
//!   decisions.jsonl     the audit log: one decision per line, then outcome lines naming it
//!   revocations.jsonl   feedback labels an operator revoked
//!   jobs/<id>.json      one file per job, rewritten atomically at each state change
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use loop_policy::LoopState;
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

/// The loop's directory.
#[derive(Debug, Clone)]
pub struct LoopStore {
    dir: PathBuf,
}

impl LoopStore {
    /// The store of `home`.
    pub fn new(home: &Path) -> LoopStore {
        LoopStore {
            dir: home.join("loop"),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn jobs_dir(&self) -> PathBuf {
        self.dir.join("jobs")
    }

    /// Creates the directories.
    pub fn create(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(self.jobs_dir())
            .with_context(|| format!("creating {}", self.jobs_dir().display()))
    }

    /// The persisted state (default when none was written yet).
    pub fn load_state(&self) -> anyhow::Result<PersistedState> {
        let path = self.dir.join("state.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PersistedState::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the state whole or not at all.
    pub fn save_state(&self, state: &PersistedState) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(state).expect("state serialises");
        Ok(fraudloop_fs::write_atomically(
            &self.dir.join("state.json"),
            &bytes,
        )?)
    }

    /// Appends one line to the audit log (fsynced before it returns).
    pub fn append_decision(&self, line: &Value) -> anyhow::Result<()> {
        Ok(fraudloop_fs::append_line_synced(
            &self.dir.join("decisions.jsonl"),
            &line.to_string(),
        )?)
    }

    /// Every line of the audit log, oldest first (a torn last line is skipped).
    pub fn read_decisions(&self) -> anyhow::Result<Vec<Value>> {
        read_jsonl(&self.dir.join("decisions.jsonl"))
    }

    /// Records a revocation (fsynced before it returns).
    pub fn append_revocation(&self, r: &Revocation) -> anyhow::Result<()> {
        Ok(fraudloop_fs::append_line_synced(
            &self.dir.join("revocations.jsonl"),
            &serde_json::to_string(r).expect("revocations serialise"),
        )?)
    }

    /// The ids of revoked labels.
    pub fn revoked(&self) -> anyhow::Result<BTreeSet<String>> {
        Ok(read_jsonl(&self.dir.join("revocations.jsonl"))?
            .into_iter()
            .filter_map(|v| v["feedback_id"].as_str().map(str::to_string))
            .collect())
    }

    /// Writes a job's file whole or not at all.
    pub fn save_job(&self, job: &super::jobs::Job) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(job).expect("jobs serialise");
        Ok(fraudloop_fs::write_atomically(
            &self.jobs_dir().join(format!("{}.json", job.id)),
            &bytes,
        )?)
    }

    /// Every stored job, oldest first.
    pub fn load_jobs(&self) -> anyhow::Result<Vec<super::jobs::Job>> {
        let mut jobs = Vec::new();
        let entries = match std::fs::read_dir(self.jobs_dir()) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(jobs),
            Err(e) => return Err(e).context("listing jobs"),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "json") {
                let bytes =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                jobs.push(
                    serde_json::from_slice(&bytes)
                        .with_context(|| format!("reading {}", path.display()))?,
                );
            }
        }
        jobs.sort_by_key(|j: &super::jobs::Job| j.seq);
        Ok(jobs)
    }
}

fn read_jsonl(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    Ok(text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}
