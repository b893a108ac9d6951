//! Auto mode: new predictions at or above a risk threshold whose `meta.contact` names an
//! e-mail address get a notice without being asked, once per contact and message, within the
//! contact's hourly limit. Only predictions made after the agent started count: the replicas'
//! log files are tailed from where they end, the database is read by time from the start.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use prod_data::{PredictionRecord, ProductionReader};
use sha2::{Digest, Sha256};

use crate::deliver::Channel;
use crate::state::AppState;
use crate::store::Contact;

/// How far before the previous pass each database pass reads again: a replica stores a
/// prediction a little after its time (its writer inserts every 50 ms and retries for about
/// 1.5 s), so a row can appear behind one already read. Clocks must agree this well.
const LATE: chrono::Duration = chrono::Duration::seconds(10);

/// At most this many risky predictions per database pass (the newest when more arrived).
const READ_LIMIT: usize = 20_000;

/// Where auto mode finds new predictions.
#[derive(Clone)]
pub enum PredictionSource {
    /// The replicas' log files in this folder (one machine), tailed.
    Logs(PathBuf),
    /// Production data in a database, read by time.
    Reader(Arc<dyn ProductionReader>),
}

impl PredictionSource {
    /// What the environment configures for `home`: the log files by default, the database
    /// when `FRAUDLOOP_DATABASE_URL` is set. Blocking (connects to the database).
    pub fn open(
        home: &fraudloop_config::Home,
    ) -> Result<PredictionSource, fraudloop_stores::Error> {
        if fraudloop_stores::StoreConfig::from_env()
            .database_url
            .is_none()
        {
            return Ok(PredictionSource::Logs(prod_data::predictions_dir(
                &home.data(),
            )));
        }
        Ok(PredictionSource::Reader(
            fraudloop_stores::Stores::shared(home)?.reader(),
        ))
    }

    /// The new predictions that qualify since the last pass (the first pass only notes
    /// where production data ends).
    fn read(
        &self,
        state: &mut AutoState,
        threshold: f64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candidate>, prod_data::Error> {
        let records = match self {
            PredictionSource::Logs(dir) => new_log_records(state, dir),
            PredictionSource::Reader(reader) => {
                new_stored_records(state, reader.as_ref(), threshold, now)?
            }
        };
        Ok(records
            .into_iter()
            .filter_map(|record| Candidate::from_record(record, threshold))
            .collect())
    }
}

/// What auto mode remembers between passes.
#[derive(Debug, Default)]
pub struct AutoState {
    /// Bytes of each log already read (complete lines only).
    offsets: HashMap<PathBuf, u64>,
    /// When the previous database pass ran.
    cursor: Option<DateTime<Utc>>,
    /// Ids the previous database pass read (the next one reads some of them again).
    seen: HashMap<String, DateTime<Utc>>,
    /// (contact, message hash) already notified.
    notified: HashSet<(String, String)>,
    started: bool,
}

/// A prediction that qualifies for a notice.
struct Candidate {
    prediction_id: String,
    text: String,
    contact: Contact,
}

impl Candidate {
    /// At or above the threshold, with a contact that has an e-mail address.
    fn from_record(record: PredictionRecord, threshold: f64) -> Option<Candidate> {
        if record.risk_score < threshold {
            return None;
        }
        let contact = record
            .meta
            .as_ref()
            .and_then(|m| m.get("contact"))
            .and_then(|c| serde_json::from_value::<Contact>(c.clone()).ok())
            .filter(|c| c.email.is_some())?;
        Some(Candidate {
            prediction_id: record.prediction_id,
            text: record.text,
            contact,
        })
    }
}

/// Reads the complete lines appended to the logs in `dir` since the last pass (the first
/// pass only notes where the logs end).
fn new_log_records(state: &mut AutoState, dir: &Path) -> Vec<PredictionRecord> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        state.started = true;
        return out;
    };
    for path in entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
    {
        let Ok(mut file) = std::fs::File::open(&path) else {
            continue;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let offset = state
            .offsets
            .entry(path.clone())
            .or_insert(if state.started { 0 } else { len });
        if len <= *offset || file.seek(SeekFrom::Start(*offset)).is_err() {
            continue;
        }
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            continue;
        }
        // Only complete lines; a line being written waits for the next pass.
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        *offset += complete as u64;
        out.extend(
            bytes[..complete]
                .split(|&b| b == b'\n')
                .filter_map(|line| serde_json::from_slice::<PredictionRecord>(line).ok()),
        );
    }
    state.started = true;
    out
}

/// The risky predictions stored since the last pass, each once, late ones included (the first
/// pass only notes what is there). Each pass reads from [`LATE`] before the previous one.
fn new_stored_records(
    state: &mut AutoState,
    reader: &dyn ProductionReader,
    threshold: f64,
    now: DateTime<Utc>,
) -> Result<Vec<PredictionRecord>, prod_data::Error> {
    let since = state.cursor.unwrap_or(now) - LATE;
    let records = reader.risky_predictions_since(since, threshold, READ_LIMIT)?;
    if records.len() == READ_LIMIT {
        tracing::warn!(
            limit = READ_LIMIT,
            "auto mode: more risky predictions than one pass reads; the oldest were skipped"
        );
    }
    let fresh: Vec<PredictionRecord> = records
        .into_iter()
        .filter(|r| state.seen.insert(r.prediction_id.clone(), r.at).is_none())
        .collect();
    state.seen.retain(|_, at| *at >= since);
    state.cursor = Some(now);
    if !state.started {
        state.started = true;
        return Ok(Vec::new());
    }
    Ok(fresh)
}

/// One pass: notifies the new high-risk predictions with a contact.
pub async fn tick(
    state: &AppState,
    auto: &tokio::sync::Mutex<AutoState>,
    source: &PredictionSource,
    threshold: f64,
) {
    let mut auto = auto.lock().await;
    // Reads off the async workers; the state goes along and comes back.
    let mut taken = std::mem::take(&mut *auto);
    let source = source.clone();
    let read = tokio::task::spawn_blocking(move || {
        let candidates = source.read(&mut taken, threshold, Utc::now());
        (taken, candidates)
    })
    .await;
    let candidates = match read {
        Ok((taken, candidates)) => {
            *auto = taken;
            match candidates {
                Ok(candidates) => candidates,
                Err(e) => {
                    tracing::warn!(error = %e, "auto mode: reading new predictions failed");
                    return;
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "auto mode: reading new predictions failed");
            return;
        }
    };
    for candidate in candidates {
        let email = candidate
            .contact
            .email
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let key = (
            email.clone(),
            hex::encode(Sha256::digest(candidate.text.as_bytes())),
        );
        if auto.notified.contains(&key) {
            continue;
        }
        let allowed = state.contacts.lock().expect("contacts lock").try_take(
            &email,
            state.settings.max_notices_per_contact_per_hour,
            Utc::now(),
        );
        if !allowed {
            tracing::info!("auto mode: contact over its hourly limit; skipped");
            continue;
        }
        let prediction = match state.predict.prediction(&candidate.prediction_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "auto mode: looking the prediction up failed");
                continue;
            }
        };
        let channel = Channel::parse(&state.settings.default_channel).unwrap_or(Channel::Outbox);
        match crate::routes::notify::write_notice(state, &prediction, candidate.contact, channel)
            .await
        {
            Ok(notice) => {
                let delivery = state.delivery.deliver(channel, &notice.stored).await;
                state.metrics.notice(
                    notice.stored.path.as_str(),
                    channel.as_str(),
                    delivery.status,
                );
                auto.notified.insert(key);
            }
            Err(e) => tracing::warn!(error = %e, "auto mode: writing a notice failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prod_data::{FileReader, FileStore, ProductionStore as _};

    fn record(id: &str, at: DateTime<Utc>, risk: f64, email: Option<&str>) -> PredictionRecord {
        PredictionRecord {
            schema: prod_data::SCHEMA_VERSION,
            prediction_id: id.to_string(),
            at,
            instance: "replica-a".into(),
            model_version: "v0001".into(),
            text: format!("message {id}"),
            client_id: None,
            channel: None,
            meta: email.map(|e| serde_json::json!({"contact": {"email": e}})),
            risk_score: risk,
            predicted_label: if risk >= 0.5 { "fraud" } else { "legit" }.into(),
            threshold: 0.5,
            risk_level: "high".into(),
            descriptors: Default::default(),
            latency_us: 10,
        }
    }

    fn ids(candidates: &[Candidate]) -> Vec<&str> {
        let mut ids: Vec<&str> = candidates
            .iter()
            .map(|c| c.prediction_id.as_str())
            .collect();
        ids.sort();
        ids
    }

    /// The database path, through the reader interface every backend implements (the file
    /// reader here; PostgreSQL's passes the same suite in `store-conformance`).
    #[test]
    fn stored_predictions_are_read_once_each_late_ones_included_and_none_from_before_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let writer = FileStore::open(dir.path(), "replica-a", 100).unwrap();
        let source = PredictionSource::Reader(Arc::new(FileReader::new(dir.path())));
        let start = Utc::now();
        let second = chrono::Duration::seconds(1);
        let mail = Some("someone@mail.example");
        writer.log_prediction(&record("before-start", start - second, 0.9, mail));
        writer.flush();

        let mut state = AutoState::default();
        let first = source.read(&mut state, 0.5, start).unwrap();
        assert!(first.is_empty(), "the first pass notes what is there");

        for r in [
            record("high", start + second, 0.9, mail),
            record("low", start + second, 0.2, mail),
            record("no-contact", start + second, 0.9, None),
            // Stored after the pass above but made before it: still new.
            record("late", start - second * 2, 0.8, mail),
        ] {
            writer.log_prediction(&r);
        }
        writer.flush();
        let second_pass = source.read(&mut state, 0.5, start + second * 2).unwrap();
        assert_eq!(ids(&second_pass), ["high", "late"]);

        writer.log_prediction(&record("next", start + second * 3, 0.7, mail));
        writer.flush();
        let third = source.read(&mut state, 0.5, start + second * 4).unwrap();
        assert_eq!(ids(&third), ["next"], "each prediction once");
        assert!(source
            .read(&mut state, 0.5, start + second * 5)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn log_files_are_tailed_from_where_they_ended_at_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let writer = FileStore::open(dir.path(), "replica-a", 100).unwrap();
        let source = PredictionSource::Logs(prod_data::predictions_dir(dir.path()));
        let now = Utc::now();
        let mail = Some("someone@mail.example");
        writer.log_prediction(&record("before-start", now, 0.9, mail));
        writer.flush();
        let mut state = AutoState::default();
        assert!(source.read(&mut state, 0.5, now).unwrap().is_empty());
        writer.log_prediction(&record("high", now, 0.9, mail));
        writer.log_prediction(&record("low", now, 0.1, mail));
        writer.flush();
        assert_eq!(ids(&source.read(&mut state, 0.5, now).unwrap()), ["high"]);
        assert!(source.read(&mut state, 0.5, now).unwrap().is_empty());
    }
}
