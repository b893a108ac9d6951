//! The closed loop's own records: the policy's state, the audit log of its decisions, revoked
//! labels and retraining jobs. They are JSON values here (the trainer service owns their
//! shapes); files under `<home>/loop/` by default, tables in PostgreSQL beyond one machine.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Error;

/// Where the trainer service keeps what it must remember and what it must be able to show.
/// Every write is durable when it returns.
pub trait LoopRecords: Send + Sync {
    /// The saved state; `None` before the first save.
    fn load_state(&self) -> Result<Option<Value>, Error>;
    /// Replaces the state whole.
    fn save_state(&self, state: &Value) -> Result<(), Error>;
    /// Appends one line to the audit log.
    fn append_decision(&self, line: &Value) -> Result<(), Error>;
    /// The audit log, oldest first.
    fn decisions(&self) -> Result<Vec<Value>, Error>;
    /// Appends one revocation.
    fn append_revocation(&self, line: &Value) -> Result<(), Error>;
    /// Every revocation, oldest first.
    fn revocations(&self) -> Result<Vec<Value>, Error>;
    /// Stores job `id` (number `seq`), replacing what was stored for it.
    fn save_job(&self, id: &str, seq: u64, job: &Value) -> Result<(), Error>;
    /// Every job, by number.
    fn jobs(&self) -> Result<Vec<Value>, Error>;
}

/// [`LoopRecords`] in files (one machine):
///
/// ```text
/// loop/
///   state.json          the state, rewritten atomically
///   decisions.jsonl     the audit log, one line per decision or outcome
///   revocations.jsonl   revoked labels
///   jobs/<id>.json      one file per job, rewritten atomically at each change
/// ```
#[derive(Debug, Clone)]
pub struct LoopFiles {
    dir: PathBuf,
}

impl LoopFiles {
    /// The records in `dir` (created on the first write).
    pub fn new(dir: &Path) -> LoopFiles {
        LoopFiles {
            dir: dir.to_path_buf(),
        }
    }

    fn jobs_dir(&self) -> PathBuf {
        self.dir.join("jobs")
    }

    fn create(&self, dir: &Path) -> Result<(), Error> {
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))
    }

    fn append(&self, name: &str, line: &Value) -> Result<(), Error> {
        self.create(&self.dir)?;
        fraudloop_fs::append_line_synced(&self.dir.join(name), &line.to_string())
            .map_err(Error::from)
    }
}

impl From<fraudloop_fs::FsError> for Error {
    fn from(e: fraudloop_fs::FsError) -> Error {
        Error::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

/// The complete lines of a JSON-lines file (a torn last line is skipped); none when absent.
fn read_jsonl(path: &Path) -> Result<Vec<Value>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("read", path)(e)),
    };
    Ok(text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

fn read_json(path: &Path) -> Result<Option<Value>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::io("parse", path)(std::io::Error::other(e))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path)(e)),
    }
}

impl LoopRecords for LoopFiles {
    fn load_state(&self) -> Result<Option<Value>, Error> {
        read_json(&self.dir.join("state.json"))
    }

    fn save_state(&self, state: &Value) -> Result<(), Error> {
        self.create(&self.dir)?;
        let bytes = serde_json::to_vec_pretty(state).expect("JSON values serialise");
        Ok(fraudloop_fs::write_atomically(
            &self.dir.join("state.json"),
            &bytes,
        )?)
    }

    fn append_decision(&self, line: &Value) -> Result<(), Error> {
        self.append("decisions.jsonl", line)
    }

    fn decisions(&self) -> Result<Vec<Value>, Error> {
        read_jsonl(&self.dir.join("decisions.jsonl"))
    }

    fn append_revocation(&self, line: &Value) -> Result<(), Error> {
        self.append("revocations.jsonl", line)
    }

    fn revocations(&self) -> Result<Vec<Value>, Error> {
        read_jsonl(&self.dir.join("revocations.jsonl"))
    }

    fn save_job(&self, id: &str, seq: u64, job: &Value) -> Result<(), Error> {
        let dir = self.jobs_dir();
        self.create(&dir)?;
        let mut stored = job.clone();
        if let Some(fields) = stored.as_object_mut() {
            fields.entry("seq").or_insert(seq.into());
        }
        let bytes = serde_json::to_vec_pretty(&stored).expect("JSON values serialise");
        Ok(fraudloop_fs::write_atomically(
            &dir.join(format!("{id}.json")),
            &bytes,
        )?)
    }

    fn jobs(&self) -> Result<Vec<Value>, Error> {
        let dir = self.jobs_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", &dir)(e)),
        };
        let mut jobs = Vec::new();
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().is_some_and(|x| x == "json") {
                jobs.extend(read_json(&path)?);
            }
        }
        jobs.sort_by_key(|j| j["seq"].as_u64());
        Ok(jobs)
    }
}
