//! The two sides of a comparison: the model's reference set and a window of production.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use prod_data::{FeedbackRecord, PredictionRecord};
use text_model::DESCRIPTOR_COLUMNS;

use crate::Error;

/// One message with what the comparison needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The message text.
    pub text: String,
    /// P(fraud) from a model that did not see the message.
    pub risk_score: f64,
    /// Predicted fraud at the model's threshold.
    pub predicted_fraud: bool,
    /// True label when known (always in the reference, from feedback in production).
    pub actual_fraud: Option<bool>,
    /// Descriptor values in [`DESCRIPTOR_COLUMNS`] order.
    pub descriptors: [f64; 11],
}

/// The production model's `ref_data.csv`.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Its rows.
    pub rows: Vec<Row>,
}

impl Reference {
    /// Reads a `ref_data.csv` written by the trainer.
    pub fn read(path: &Path) -> Result<Reference, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::Reference {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        Reference::parse(path, &bytes)
    }

    /// The reference rows of a loaded bundle, whose checksum the registry verified.
    pub fn from_bundle(bundle: &artifact_store::LoadedBundle) -> Result<Reference, Error> {
        let path = bundle.dir.join(artifact_store::REFERENCE_DATA_FILE);
        match &bundle.reference_data {
            Some(bytes) => Reference::parse(&path, bytes),
            None => Err(Error::Reference {
                path,
                detail: "the bundle has no reference data (train it with a current trainer)".into(),
            }),
        }
    }

    /// Parses the CSV bytes of a `ref_data.csv` (`path` names it in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Reference, Error> {
        let bad = |detail: String| Error::Reference {
            path: path.to_path_buf(),
            detail,
        };
        let mut reader = csv::Reader::from_reader(bytes);
        let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| bad(format!("missing column {name}")))
        };
        let (text, label, score, predicted) = (
            col("text")?,
            col("label")?,
            col("risk_score")?,
            col("predicted_label")?,
        );
        let descriptor_cols: Vec<usize> = DESCRIPTOR_COLUMNS
            .iter()
            .map(|c| col(c))
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| bad(e.to_string()))?;
            let num = |i: usize| {
                record
                    .get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|v| v.is_finite())
            };
            let mut descriptors = [0.0; 11];
            for (slot, &i) in descriptors.iter_mut().zip(&descriptor_cols) {
                *slot = num(i).ok_or_else(|| {
                    bad(format!("non-numeric descriptor at row {}", rows.len() + 2))
                })?;
            }
            rows.push(Row {
                text: record.get(text).unwrap_or_default().to_string(),
                risk_score: num(score).ok_or_else(|| {
                    bad(format!("non-numeric risk_score at row {}", rows.len() + 2))
                })?,
                predicted_fraud: record.get(predicted) == Some("fraud"),
                actual_fraud: Some(record.get(label) == Some("fraud")),
                descriptors,
            });
        }
        if rows.is_empty() {
            return Err(bad("no rows".into()));
        }
        Ok(Reference { rows })
    }
}

/// Which production rows form the current window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowSpec {
    /// At most this many of the latest predictions.
    pub last_n: usize,
    /// Only predictions younger than this, counted back from the moment the window is read
    /// (so a running service's window moves with time).
    pub max_age: Option<chrono::Duration>,
}

impl WindowSpec {
    /// The oldest time inside the window when it is read at `now`.
    pub fn since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.max_age.map(|age| now - age)
    }
}

/// A raw log line ordered by its time (then read order), for the window's min-heap. Lines are
/// parsed in full only once they are known to be in the window.
struct ByTime(DateTime<Utc>, u64, Vec<u8>);

/// The part of a prediction line needed to place it in the window.
#[derive(serde::Deserialize)]
struct Stamp {
    schema: u32,
    at: DateTime<Utc>,
}

impl PartialEq for ByTime {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for ByTime {}
impl PartialOrd for ByTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

/// The current window of production.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// Its rows, oldest first; labels from the latest feedback.
    pub rows: Vec<Row>,
    /// First and last prediction time.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Predictions read from the logs (before windowing).
    pub predictions_read: u64,
    /// Log lines skipped as torn or corrupt.
    pub skipped_lines: u64,
}

impl Current {
    /// Streams the prediction logs keeping only the window (memory bounded by `last_n`), then
    /// joins the latest feedback label of each prediction.
    pub fn read(data_dir: &Path, spec: WindowSpec) -> Result<Current, Error> {
        let capacity = spec.last_n.max(1);
        // Logs of several replicas interleave in time: a min-heap keeps the latest `last_n`.
        let mut window: BinaryHeap<Reverse<ByTime>> =
            BinaryHeap::with_capacity(capacity.min(1 << 16) + 1);
        let mut current = Current::default();
        let mut seq = 0u64;
        let since = spec.since(Utc::now());
        let stats = prod_data::read_lines(&prod_data::predictions_dir(data_dir), |line| {
            let Ok(stamp) = serde_json::from_slice::<Stamp>(line) else {
                return false;
            };
            if stamp.schema != prod_data::SCHEMA_VERSION {
                return false;
            }
            current.predictions_read += 1;
            if since.is_some_and(|since| stamp.at < since) {
                return true;
            }
            // A full window only takes lines newer than its oldest.
            let full = window.len() == capacity;
            if full
                && window
                    .peek()
                    .is_some_and(|Reverse(oldest)| oldest.0 >= stamp.at)
            {
                return true;
            }
            seq += 1;
            window.push(Reverse(ByTime(stamp.at, seq, line.to_vec())));
            if window.len() > capacity {
                window.pop();
            }
            true
        })?;
        current.skipped_lines += stats.skipped;
        let mut labels: HashMap<String, (DateTime<Utc>, bool)> = HashMap::new();
        let mut records: Vec<PredictionRecord> = Vec::with_capacity(window.len());
        for Reverse(ByTime(_, _, line)) in window.into_vec() {
            match serde_json::from_slice::<PredictionRecord>(&line) {
                Ok(record) => records.push(record),
                Err(_) => current.skipped_lines += 1,
            }
        }
        let wanted: std::collections::HashSet<&str> =
            records.iter().map(|p| p.prediction_id.as_str()).collect();
        let fb =
            prod_data::read_records(&prod_data::feedback_dir(data_dir), |f: FeedbackRecord| {
                if let Some(pid) = f
                    .prediction_id
                    .as_deref()
                    .filter(|pid| wanted.contains(pid))
                {
                    let entry = labels
                        .entry(pid.to_string())
                        .or_insert((f.at, f.label == "fraud"));
                    if f.at >= entry.0 {
                        *entry = (f.at, f.label == "fraud");
                    }
                }
            })?;
        current.skipped_lines += fb.skipped;
        records.sort_by_key(|p| p.at);
        current.span = records
            .first()
            .zip(records.last())
            .map(|(a, b)| (a.at, b.at));
        current.rows = records
            .into_iter()
            .map(|p| {
                let mut descriptors = [0.0; 11];
                for (slot, name) in descriptors.iter_mut().zip(DESCRIPTOR_COLUMNS) {
                    *slot = p.descriptors.get(name).copied().unwrap_or(0.0);
                }
                Row {
                    actual_fraud: labels.get(&p.prediction_id).map(|(_, l)| *l),
                    predicted_fraud: p.predicted_label == "fraud",
                    risk_score: p.risk_score,
                    text: p.text,
                    descriptors,
                }
            })
            .collect();
        Ok(current)
    }
}
