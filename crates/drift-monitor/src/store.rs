//! The `reports/` folder: every report as JSON, the newest also as `latest.json` and
//! `latest.html`, and an index of headline numbers so that listing and trends never parse
//! every stored report. Old reports are removed by count and age.
//!
//! drift-monitor writes nothing outside this folder; every write goes through
//! `fraudloop_fs` (temporary file, fsync, rename, directory fsync).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{DriftReport, Error};

/// The newest report as JSON.
pub const LATEST_JSON: &str = "latest.json";
/// The newest report as HTML.
pub const LATEST_HTML: &str = "latest.html";
/// The index of stored reports, oldest first.
pub const INDEX_FILE: &str = "index.json";

/// How many reports are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    /// At most this many reports (the newest).
    pub max_reports: usize,
    /// Reports older than this are removed (`None`: kept whatever their age).
    pub max_age: Option<chrono::Duration>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_reports: 2000,
            max_age: Some(chrono::Duration::days(90)),
        }
    }
}

/// The headline numbers of one stored report: what `/reports` and `/reports/history` show.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndexEntry {
    /// The report's file name under `reports/`.
    pub name: String,
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// The model compared.
    pub model_version: Value,
    /// Current rows.
    pub rows: Value,
    /// Whether the window had enough rows for verdicts.
    pub enough_data: Value,
    /// Dataset drift verdict.
    pub dataset_drift: Value,
    /// Share of drifted columns.
    pub drift_share: Value,
    /// Text-drift ROC-AUC.
    pub text_drift_auc: Value,
    /// Text-drift verdict.
    pub text_drift: Value,
    /// PSI of the risk score.
    pub psi: Value,
    /// F1 on labelled feedback.
    pub f1_measured: Value,
    /// Label-free F1 estimate.
    pub f1_estimated: Value,
}

impl IndexEntry {
    /// The entry of a report stored as `name`, read from its JSON form (the stored form, so
    /// an entry rebuilt from the files equals the one written with them).
    pub fn from_json(name: &str, r: &Value) -> Option<IndexEntry> {
        Some(IndexEntry {
            name: name.to_string(),
            generated_at: serde_json::from_value(r["generated_at"].clone()).ok()?,
            model_version: r["model_version"].clone(),
            rows: r["window"]["rows"].clone(),
            enough_data: r["window"]["enough_data"].clone(),
            dataset_drift: r["dataset_drift"].clone(),
            drift_share: r["drift_share"].clone(),
            text_drift_auc: r["text_drift"]["roc_auc"].clone(),
            text_drift: r["text_drift"]["detected"].clone(),
            psi: r["psi"]["value"].clone(),
            f1_measured: r["performance"]["current"]["f1"].clone(),
            f1_estimated: r["estimated_performance"]["f1"].clone(),
        })
    }
}

/// The newest report, as served.
#[derive(Debug, Clone)]
pub struct Latest {
    /// Its JSON.
    pub json: Arc<[u8]>,
    /// Its HTML page.
    pub html: Arc<str>,
    /// The JSON, parsed (gauges are set from it).
    pub value: Arc<Value>,
}

/// The `reports/` folder. Blocking file IO: call it from blocking threads.
#[derive(Debug, Clone)]
pub struct ReportStore {
    dir: PathBuf,
    retention: Retention,
    index: Arc<RwLock<Vec<IndexEntry>>>,
}

fn write_error(e: fraudloop_fs::FsError) -> Error {
    Error::Write {
        path: e.path,
        source: e.source,
    }
}

fn is_report_name(name: &str) -> bool {
    name.starts_with("report-")
        && name.ends_with(".json")
        && !name.contains(['/', '\\'])
        && !name.contains("..")
}

impl ReportStore {
    /// Opens `dir` (which need not exist yet) and loads its index, rebuilding it from the
    /// report files when it is missing or unreadable (homes written before the index).
    pub fn open(dir: &Path, retention: Retention) -> ReportStore {
        let index = match std::fs::read(dir.join(INDEX_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Vec<IndexEntry>>(&bytes).ok())
        {
            Some(index) => index,
            None => rebuild_index(dir),
        };
        ReportStore {
            dir: dir.to_path_buf(),
            retention,
            index: Arc::new(RwLock::new(index)),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores a report: `report-<time>.json`, `latest.json`, `latest.html`, then the index
    /// (after removing reports past retention). Returns what is now served as latest.
    pub fn save(&self, report: &DriftReport) -> Result<Latest, Error> {
        std::fs::create_dir_all(&self.dir).map_err(|source| Error::Write {
            path: self.dir.clone(),
            source,
        })?;
        let json = serde_json::to_vec_pretty(report).expect("reports serialise");
        let html = crate::html::render_html(report);
        let value: Value = serde_json::from_slice(&json).expect("a report reads back");
        let name = format!(
            "report-{}.json",
            report.generated_at.format("%Y%m%dT%H%M%S%.3fZ")
        );
        fraudloop_fs::write_atomically(&self.dir.join(&name), &json).map_err(write_error)?;
        fraudloop_fs::write_atomically(&self.dir.join(LATEST_JSON), &json).map_err(write_error)?;
        fraudloop_fs::write_atomically(&self.dir.join(LATEST_HTML), html.as_bytes())
            .map_err(write_error)?;
        let entry = IndexEntry::from_json(&name, &value).expect("a new report has a time");
        let mut index = self.index.write().expect("index lock");
        index.retain(|e| e.name != name);
        index.push(entry);
        self.apply_retention(&mut index, report.generated_at);
        let bytes = serde_json::to_vec(&*index).expect("index entries serialise");
        fraudloop_fs::write_atomically(&self.dir.join(INDEX_FILE), &bytes).map_err(write_error)?;
        Ok(Latest {
            json: json.into(),
            html: html.into(),
            value: Arc::new(value),
        })
    }

    fn apply_retention(&self, index: &mut Vec<IndexEntry>, now: DateTime<Utc>) {
        let too_many = index
            .len()
            .saturating_sub(self.retention.max_reports.max(1));
        let cutoff = self.retention.max_age.map(|age| now - age);
        let mut removed = 0;
        index.retain(|entry| {
            let expired = removed < too_many || cutoff.is_some_and(|c| entry.generated_at < c);
            if expired {
                removed += 1;
                // A file that is already gone is as good as removed.
                let _ = std::fs::remove_file(self.dir.join(&entry.name));
            }
            !expired
        });
    }

    /// The newest stored report (after a restart, the one the last run wrote).
    pub fn load_latest(&self) -> Option<Latest> {
        let json = std::fs::read(self.dir.join(LATEST_JSON)).ok()?;
        let value: Value = serde_json::from_slice(&json).ok()?;
        let html = std::fs::read_to_string(self.dir.join(LATEST_HTML)).ok()?;
        Some(Latest {
            json: json.into(),
            html: html.into(),
            value: Arc::new(value),
        })
    }

    /// Headline numbers of every stored report, oldest first.
    pub fn history(&self) -> Vec<IndexEntry> {
        self.index.read().expect("index lock").clone()
    }

    /// The bytes of a stored report, by the name the index lists. Only indexed names are
    /// read, so no request can name another file.
    pub fn read(&self, name: &str) -> Option<Vec<u8>> {
        let listed = self
            .index
            .read()
            .expect("index lock")
            .iter()
            .any(|e| e.name == name);
        if !listed {
            return None;
        }
        std::fs::read(self.dir.join(name)).ok()
    }
}

fn rebuild_index(dir: &Path) -> Vec<IndexEntry> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| is_report_name(n))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .iter()
        .filter_map(|name| {
            let bytes = std::fs::read(dir.join(name)).ok()?;
            let value: Value = serde_json::from_slice(&bytes).ok()?;
            IndexEntry::from_json(name, &value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_never_leave_the_folder() {
        for name in ["report-1.json", "report-20261206T101010.000Z.json"] {
            assert!(is_report_name(name), "{name}");
        }
        for name in [
            "latest.json",
            "index.json",
            "report-../x.json",
            "report-a/../../artifacts/aliases.json",
            "report-a\\..\\x.json",
            "report-1.json.tmp",
        ] {
            assert!(!is_report_name(name), "{name}");
        }
    }
}
