//! The production-data interfaces, so the services run on files (the default: [`FileStore`]
//! for a writer, [`FileReader`] for readers) or on a database (`store-postgres`, when `FRAUDLOOP_DATABASE_URL` is set)
//! with the same promises: predictions are stored off the request path through a bounded
//! queue (drops counted), feedback is durable before `append_feedback` returns.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::{
    read_records, EncodedPrediction, Error, ExportStats, FeedbackLog, FeedbackRecord, LogStats,
    PredictionIndex, PredictionLog, PredictionRecord,
};

/// How production records are read back: what the drift monitor, the trainer and the
/// dashboards need, and what predict-api needs to find a prediction by id.
pub trait ProductionReader: Send + Sync {
    /// One prediction by id.
    fn find_prediction(&self, id: &str) -> Result<Option<PredictionRecord>, Error>;

    /// The drift monitor's window: the newest `limit` predictions at or after `since`
    /// (all when `None`), oldest first.
    fn prediction_window(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error>;

    /// The newest `limit` predictions at or after `since` that scored at least `min_risk`,
    /// oldest first: what the feedback agent's auto mode reads (a database filters in its
    /// query, so a pass reads only the risky rows).
    fn risky_predictions_since(
        &self,
        since: DateTime<Utc>,
        min_risk: f64,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error>;

    /// Every feedback record at or after `since` (all when `None`), oldest first.
    fn feedback_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<FeedbackRecord>, Error>;

    /// Writes `prod_data.csv` (see [`crate::export_prod_data`]).
    fn export(
        &self,
        descriptor_columns: &[&str],
        out: &mut dyn Write,
    ) -> Result<ExportStats, Error> {
        crate::export_from_reader(self, descriptor_columns, out)
    }

    /// Reads ahead what lookups by id will need (the file index), so the first one does not
    /// wait for it. Blocking; nothing to do by default.
    fn warm_up(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Where production records go, and how they are read back.
pub trait ProductionStore: ProductionReader {
    /// Queues a prediction to be stored off the request path; false when the queue was full
    /// and it was dropped (and counted).
    fn log_prediction(&self, record: &PredictionRecord) -> bool;

    /// [`ProductionStore::log_prediction`] of a line serialised on the request's thread.
    fn log_encoded(&self, line: EncodedPrediction) -> bool {
        match serde_json::from_slice::<PredictionRecord>(line.as_bytes()) {
            Ok(record) => self.log_prediction(&record),
            Err(_) => {
                self.prediction_stats()
                    .errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                false
            }
        }
    }

    /// Returns once every prediction queued before the call is stored.
    fn flush(&self);

    /// Stores a label durably: when this returns `Ok`, a crash does not lose it.
    fn append_feedback(&self, record: &FeedbackRecord) -> Result<(), Error>;

    /// The prediction queue's counters (written, dropped, errors).
    fn prediction_stats(&self) -> Arc<LogStats>;

    /// The stored feedback's counters.
    fn feedback_stats(&self) -> Arc<LogStats>;
}

/// Reads every instance's append-only files under `<data>/predictions` and `<data>/feedback`;
/// writes nothing.
#[derive(Debug)]
pub struct FileReader {
    data_dir: PathBuf,
    index: Mutex<PredictionIndex>,
}

impl FileReader {
    /// The logs under `data_dir` (which may not exist yet).
    pub fn new(data_dir: &Path) -> FileReader {
        FileReader {
            data_dir: data_dir.to_path_buf(),
            index: Mutex::new(PredictionIndex::new(crate::predictions_dir(data_dir))),
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The newest `limit` records that `keep` accepts, oldest first; memory bounded by `limit`.
    fn newest_where(
        &self,
        limit: usize,
        keep: impl Fn(&PredictionRecord) -> bool,
    ) -> Result<Vec<PredictionRecord>, Error> {
        let mut newest: BinaryHeap<Reverse<Keyed>> = BinaryHeap::new();
        let mut seq = 0u64;
        read_records(
            &crate::predictions_dir(&self.data_dir),
            |r: PredictionRecord| {
                if limit == 0 || !keep(&r) {
                    return;
                }
                seq += 1;
                newest.push(Reverse(Keyed(r.at, seq, r)));
                if newest.len() > limit {
                    newest.pop();
                }
            },
        )?;
        let mut out: Vec<Keyed> = newest.into_iter().map(|Reverse(k)| k).collect();
        out.sort();
        Ok(out.into_iter().map(|k| k.2).collect())
    }

    fn index(&self) -> std::sync::MutexGuard<'_, PredictionIndex> {
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The default store: this instance's append-only files under `<data>/predictions` and
/// `<data>/feedback`, read back across every instance's files.
#[derive(Debug)]
pub struct FileStore {
    reader: FileReader,
    predictions: PredictionLog,
    feedback: FeedbackLog,
}

impl FileStore {
    /// Opens this instance's log files under `data_dir`; at most `queue` predictions wait.
    pub fn open(data_dir: &Path, instance: &str, queue: usize) -> Result<FileStore, Error> {
        Ok(FileStore {
            reader: FileReader::new(data_dir),
            predictions: PredictionLog::open(data_dir, instance, queue)?,
            feedback: FeedbackLog::open(data_dir, instance)?,
        })
    }
}

impl ProductionReader for FileReader {
    fn find_prediction(&self, id: &str) -> Result<Option<PredictionRecord>, Error> {
        // Asked before queueing for the index: lookups queued behind one another share the
        // refresh that the first of them makes.
        let asked = Instant::now();
        self.index().find_asked_at(id, asked)
    }

    fn prediction_window(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error> {
        self.newest_where(limit, |r| since.is_none_or(|s| r.at >= s))
    }

    fn risky_predictions_since(
        &self,
        since: DateTime<Utc>,
        min_risk: f64,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error> {
        self.newest_where(limit, |r| r.at >= since && r.risk_score >= min_risk)
    }

    fn feedback_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<FeedbackRecord>, Error> {
        let mut out = Vec::new();
        read_records(&crate::feedback_dir(&self.data_dir), |r: FeedbackRecord| {
            if since.is_none_or(|s| r.at >= s) {
                out.push(r);
            }
        })?;
        out.sort_by_key(|r| r.at);
        Ok(out)
    }

    fn export(
        &self,
        descriptor_columns: &[&str],
        out: &mut dyn Write,
    ) -> Result<ExportStats, Error> {
        crate::export_prod_data(&self.data_dir, descriptor_columns, out)
    }

    fn warm_up(&self) -> Result<(), Error> {
        self.index().refresh().map(|_| ())
    }
}

impl ProductionReader for FileStore {
    fn find_prediction(&self, id: &str) -> Result<Option<PredictionRecord>, Error> {
        self.reader.find_prediction(id)
    }

    fn prediction_window(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error> {
        self.reader.prediction_window(since, limit)
    }

    fn risky_predictions_since(
        &self,
        since: DateTime<Utc>,
        min_risk: f64,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error> {
        self.reader.risky_predictions_since(since, min_risk, limit)
    }

    fn feedback_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<FeedbackRecord>, Error> {
        self.reader.feedback_since(since)
    }

    fn export(
        &self,
        descriptor_columns: &[&str],
        out: &mut dyn Write,
    ) -> Result<ExportStats, Error> {
        self.reader.export(descriptor_columns, out)
    }

    fn warm_up(&self) -> Result<(), Error> {
        self.reader.warm_up()
    }
}

impl ProductionStore for FileStore {
    fn log_prediction(&self, record: &PredictionRecord) -> bool {
        self.predictions.log(record)
    }

    fn log_encoded(&self, line: EncodedPrediction) -> bool {
        self.predictions.log_encoded(line)
    }

    fn flush(&self) {
        self.predictions.flush();
    }

    fn append_feedback(&self, record: &FeedbackRecord) -> Result<(), Error> {
        self.feedback.append(record)
    }

    fn prediction_stats(&self) -> Arc<LogStats> {
        self.predictions.stats()
    }

    fn feedback_stats(&self) -> Arc<LogStats> {
        self.feedback.stats()
    }
}

/// A record ordered by time, then by read order.
struct Keyed(DateTime<Utc>, u64, PredictionRecord);

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}
