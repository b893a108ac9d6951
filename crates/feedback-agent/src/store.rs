//! The agent's files under `<home>/agent`: one JSON file per notice, the answers as an
//! append-only log (fsynced before the thank-you page), and the outbox.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::compose::{Draft, DraftPath};
use crate::links::Answer;

/// Who a notice is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Name, for the greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `en`, `zh`, `zh-CN`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// The two links of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// "Yes, it was a scam".
    pub confirm: String,
    /// "No, it was genuine".
    pub dispute: String,
}

/// A notice as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredNotice {
    /// Its id.
    pub notice_id: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The prediction it is about.
    pub prediction_id: String,
    /// The message in question.
    pub message: String,
    /// `en` or `zh`.
    pub lang: String,
    /// The recipient.
    pub contact: Contact,
    /// How it was delivered.
    pub channel: String,
    /// What it says.
    pub draft: Draft,
    /// Who wrote it.
    pub path: DraftPath,
    /// Its links.
    pub links: Links,
    /// When the links expire.
    pub expires_at: DateTime<Utc>,
}

/// An answer as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedAnswer {
    /// The notice.
    pub notice_id: String,
    /// The answer.
    pub answer: Answer,
    /// When.
    pub at: DateTime<Utc>,
    /// The feedback record predict-api stored.
    pub feedback_id: String,
}

/// One outbox entry: a notice delivered to disk instead of sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The notice.
    pub notice_id: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Recipient address, if known.
    pub to: Option<String>,
    /// Subject line.
    pub subject: String,
    /// The plain-text mail, links included.
    pub text: String,
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {detail}")]
pub struct StoreError {
    action: &'static str,
    path: PathBuf,
    detail: String,
}

fn err(action: &'static str, path: &Path) -> impl FnOnce(String) -> StoreError {
    let path = path.to_path_buf();
    move |detail| StoreError {
        action,
        path,
        detail,
    }
}

/// The agent's folder.
#[derive(Debug, Clone)]
pub struct AgentStore {
    dir: PathBuf,
}

/// A notice id as we hand them out (a UUID), so it is safe in a file name.
pub fn is_notice_id(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok() && id.len() == 36
}

impl AgentStore {
    /// The store in `dir` (folders are made on first write).
    pub fn new(dir: impl Into<PathBuf>) -> AgentStore {
        AgentStore { dir: dir.into() }
    }

    /// The embeddings cache folder.
    pub fn embeddings_dir(&self) -> PathBuf {
        self.dir.join("embeddings")
    }

    fn notices_dir(&self) -> PathBuf {
        self.dir.join("notices")
    }

    fn outbox_dir(&self) -> PathBuf {
        crate::settings::outbox_dir(&self.dir)
    }

    fn answers_file(&self) -> PathBuf {
        self.dir.join("answers.jsonl")
    }

    fn ensure(dir: &Path) -> Result<(), StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| err("create", dir)(e.to_string()))
    }

    /// Stores a notice durably.
    pub fn save_notice(&self, notice: &StoredNotice) -> Result<(), StoreError> {
        let dir = self.notices_dir();
        Self::ensure(&dir)?;
        let path = dir.join(format!("{}.json", notice.notice_id));
        let bytes = serde_json::to_vec_pretty(notice).expect("notices serialise");
        fraudloop_fs::write_atomically(&path, &bytes)
            .map_err(|e| err("write", &path)(e.to_string()))
    }

    /// A stored notice.
    pub fn notice(&self, id: &str) -> Result<Option<StoredNotice>, StoreError> {
        if !is_notice_id(id) {
            return Ok(None);
        }
        let path = self.notices_dir().join(format!("{id}.json"));
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| err("parse", &path)(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err("read", &path)(e.to_string())),
        }
    }

    /// Every recorded answer, by notice (a torn last line is skipped).
    pub fn answers(&self) -> Result<HashMap<String, RecordedAnswer>, StoreError> {
        let path = self.answers_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
            Err(e) => return Err(err("read", &path)(e.to_string())),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str::<RecordedAnswer>(l).ok())
            .map(|a| (a.notice_id.clone(), a))
            .collect())
    }

    /// Appends an answer, fsynced.
    pub fn record_answer(&self, answer: &RecordedAnswer) -> Result<(), StoreError> {
        Self::ensure(&self.dir)?;
        let path = self.answers_file();
        let line = serde_json::to_string(answer).expect("answers serialise");
        fraudloop_fs::append_line_synced(&path, &line)
            .map_err(|e| err("append", &path)(e.to_string()))
    }

    /// Writes an outbox entry.
    pub fn put_outbox(&self, entry: &OutboxEntry) -> Result<PathBuf, StoreError> {
        let dir = self.outbox_dir();
        Self::ensure(&dir)?;
        let path = dir.join(format!(
            "{}-{}.json",
            entry.created_at.format("%Y%m%dT%H%M%S%.3fZ"),
            entry.notice_id
        ));
        let bytes = serde_json::to_vec_pretty(entry).expect("entries serialise");
        fraudloop_fs::write_new_synced(&path, &bytes)
            .map_err(|e| err("write", &path)(e.to_string()))?;
        Ok(path)
    }

    /// The newest `limit` outbox entries, newest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let dir = self.outbox_dir();
        let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(err("list", &dir)(e.to_string())),
        };
        names.sort();
        names.reverse();
        Ok(names
            .into_iter()
            .take(limit)
            .filter_map(|p| std::fs::read(&p).ok())
            .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
            .collect())
    }
}
