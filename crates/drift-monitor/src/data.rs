//! The two sides of a comparison: the model's reference set and a window of production.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use prod_data::{FeedbackRecord, PredictionRecord};
use text_model::{DEFAULT_MAX_CHARS, DESCRIPTOR_COLUMNS, DESCRIPTOR_COUNT};

/// The descriptor an older reference may lack.
const FOLDED_COLUMN: &str = "folded";

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
    pub descriptors: [f64; DESCRIPTOR_COUNT],
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
        // `folded` came after the first trainers: from an older reference it is recomputed
        // from the text, which is all it depends on.
        let descriptor_cols: Vec<Option<usize>> = DESCRIPTOR_COLUMNS
            .iter()
            .map(|&c| match col(c) {
                Err(_) if c == FOLDED_COLUMN => Ok(None),
                found => found.map(Some),
            })
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
            let message = record.get(text).unwrap_or_default();
            let mut descriptors = [0.0; DESCRIPTOR_COUNT];
            for (slot, &i) in descriptors.iter_mut().zip(&descriptor_cols) {
                *slot = match i {
                    Some(i) => num(i).ok_or_else(|| {
                        bad(format!("non-numeric descriptor at row {}", rows.len() + 2))
                    })?,
                    None => {
                        let normalized = text_model::normalize(message, DEFAULT_MAX_CHARS);
                        f64::from(u8::from(normalized.folded))
                    }
                };
            }
            rows.push(Row {
                text: message.to_string(),
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

/// The part of a prediction line needed to place it in the window, read from a line that is
/// checked to be a whole prediction record: every field a `PredictionRecord` requires is
/// there with its type. Only `schema` and `at` are kept; strings are checked, not copied.
/// (Once, lines holding only `{"schema":1,"at":…}` took window slots and were dropped after
/// the window was chosen: 5,000 of them dated in the future emptied the window.)
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Stamp {
    schema: u32,
    at: DateTime<Utc>,
    prediction_id: AnyStr,
    instance: AnyStr,
    model_version: AnyStr,
    text: AnyStr,
    #[serde(default)]
    client_id: Option<AnyStr>,
    #[serde(default)]
    channel: Option<AnyStr>,
    risk_score: f64,
    predicted_label: AnyStr,
    threshold: f64,
    risk_level: AnyStr,
    descriptors: AnyNumbers,
    latency_us: u64,
}

/// Any JSON string, checked and not kept.
struct AnyStr;

impl<'de> serde::Deserialize<'de> for AnyStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = AnyStr;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<AnyStr, E> {
                Ok(AnyStr)
            }
        }
        d.deserialize_str(Visit)
    }
}

/// Any JSON object of numbers (the descriptors), checked and not kept.
struct AnyNumbers;

impl<'de> serde::Deserialize<'de> for AnyNumbers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = AnyNumbers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of numbers")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AnyNumbers, A::Error> {
                while map.next_entry::<AnyStr, f64>()?.is_some() {}
                Ok(AnyNumbers)
            }
        }
        d.deserialize_map(Visit)
    }
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
        let mut records: Vec<PredictionRecord> = Vec::with_capacity(window.len());
        for Reverse(ByTime(_, _, line)) in window.into_vec() {
            match serde_json::from_slice::<PredictionRecord>(&line) {
                Ok(record) => records.push(record),
                Err(_) => current.skipped_lines += 1,
            }
        }
        current.join(records, |visit| {
            prod_data::read_records(&prod_data::feedback_dir(data_dir), visit).map(|s| s.skipped)
        })?;
        Ok(current)
    }

    /// The window from a production store (a database: the window is one query there), with
    /// the latest feedback label of each prediction.
    pub fn from_reader(
        reader: &dyn prod_data::ProductionReader,
        spec: WindowSpec,
    ) -> Result<Current, Error> {
        let since = spec.since(Utc::now());
        let records = reader.prediction_window(since, spec.last_n.max(1))?;
        // Feedback comes after its prediction; an hour's margin covers replicas' clocks.
        let labels_since = records
            .iter()
            .map(|p| p.at)
            .min()
            .map(|first| first - chrono::Duration::hours(1));
        let feedback = reader.feedback_since(labels_since)?;
        let mut current = Current {
            predictions_read: records.len() as u64,
            ..Current::default()
        };
        current.join(records, |visit| {
            feedback.into_iter().for_each(visit);
            Ok(0)
        })?;
        Ok(current)
    }

    /// Joins the latest feedback label of each of `records` (from `feedback`, which returns
    /// how many lines it skipped) and keeps them as the window's rows.
    fn join(
        &mut self,
        mut records: Vec<PredictionRecord>,
        feedback: impl FnOnce(&mut dyn FnMut(FeedbackRecord)) -> Result<u64, prod_data::Error>,
    ) -> Result<(), Error> {
        let current = self;
        let mut labels: HashMap<String, (DateTime<Utc>, bool)> = HashMap::new();
        let wanted: std::collections::HashSet<&str> =
            records.iter().map(|p| p.prediction_id.as_str()).collect();
        let fb = feedback(&mut |f: FeedbackRecord| {
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
        current.skipped_lines += fb;
        records.sort_by_key(|p| p.at);
        current.span = records
            .first()
            .zip(records.last())
            .map(|(a, b)| (a.at, b.at));
        current.rows = records
            .into_iter()
            .map(|p| {
                let mut descriptors = [0.0; DESCRIPTOR_COUNT];
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(i: usize, at: DateTime<Utc>) -> String {
        let record = PredictionRecord {
            schema: prod_data::SCHEMA_VERSION,
            prediction_id: format!("p-{i}"),
            at,
            instance: "t".into(),
            model_version: "v0001".into(),
            text: format!("message \"{i}\"\nwith escapes"),
            client_id: None,
            channel: Some("sms".into()),
            meta: Some(serde_json::json!({"k": [1, 2]})),
            risk_score: 0.25,
            predicted_label: "legit".into(),
            threshold: 0.5,
            risk_level: "low".into(),
            descriptors: DESCRIPTOR_COLUMNS
                .iter()
                .map(|c| (c.to_string(), 1.0))
                .collect(),
            latency_us: 7,
        };
        serde_json::to_string(&record).unwrap() + "\n"
    }

    /// Half-records never take window slots: 5,000 lines of only `schema` and `at`, dated in
    /// the future, once emptied a window over valid predictions ("not enough data").
    #[test]
    fn an_older_reference_gets_folded_from_its_text() {
        let older: Vec<&str> = DESCRIPTOR_COLUMNS
            .iter()
            .copied()
            .filter(|&c| c != FOLDED_COLUMN)
            .collect();
        let zeros = vec!["0"; older.len()].join(",");
        let csv = format!(
            "text,label,risk_score,predicted_label,{}\n\
             verify your account,fraud,0.9,fraud,{zeros}\n\
             v.e.r.i.f.y your account,fraud,0.9,fraud,{zeros}\n",
            older.join(",")
        );
        let reference = Reference::parse(Path::new("ref_data.csv"), csv.as_bytes()).unwrap();
        let folded = DESCRIPTOR_COLUMNS
            .iter()
            .position(|&c| c == FOLDED_COLUMN)
            .unwrap();
        let values: Vec<f64> = reference
            .rows
            .iter()
            .map(|r| r.descriptors[folded])
            .collect();
        assert_eq!(values, [0.0, 1.0]);

        // Any other missing descriptor is still an error.
        let without_length = csv.replacen("length,", "", 1);
        let err = Reference::parse(Path::new("ref_data.csv"), without_length.as_bytes())
            .expect_err("length is required");
        assert!(err.to_string().contains("missing column length"), "{err}");
    }

    #[test]
    fn half_records_do_not_take_window_slots() {
        let dir = tempfile::tempdir().unwrap();
        let logs = prod_data::predictions_dir(dir.path());
        std::fs::create_dir_all(&logs).unwrap();
        let now = Utc::now();
        let mut valid = String::new();
        for i in 0..300 {
            valid.push_str(&prediction(
                i,
                now - chrono::Duration::seconds(300 - i as i64),
            ));
        }
        let future = (now + chrono::Duration::days(30)).to_rfc3339();
        let mut forged = String::new();
        for i in 0..5000 {
            forged.push_str(&match i % 4 {
                0 => format!("{{\"schema\":1,\"at\":\"{future}\"}}\n"),
                // Almost whole: a field of the wrong type, or one missing.
                1 => prediction(i, now + chrono::Duration::days(30))
                    .replace("\"risk_score\":0.25", "\"risk_score\":\"high\""),
                2 => prediction(i, now + chrono::Duration::days(30))
                    .replace("\"text\":", "\"texts\":"),
                _ => prediction(i, now + chrono::Duration::days(30))
                    .replace("\"length\":1.0", "\"length\":\"x\""),
            });
        }
        std::fs::write(logs.join("a.jsonl"), valid).unwrap();
        std::fs::write(logs.join("b.jsonl"), forged).unwrap();

        let spec = WindowSpec {
            last_n: 100,
            max_age: None,
        };
        let current = Current::read(dir.path(), spec).unwrap();
        assert_eq!(current.rows.len(), 100, "the window holds valid rows only");
        assert_eq!(current.predictions_read, 300);
        assert_eq!(current.skipped_lines, 5000);
        assert_eq!(current.rows[99].text, "message \"299\"\nwith escapes");
    }
}
