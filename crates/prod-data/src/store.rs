//! The production-data interface, so predict-api and drift-monitor run on files (the default:
//! [`FileStore`]) or on a database (`store-postgres`, when `FRAUDLOOP_DATABASE_URL` is set)
//! with the same promises: predictions are stored off the request path through a bounded
//! queue (drops counted), feedback is durable before `append_feedback` returns.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::{
    read_records, Error, FeedbackLog, FeedbackRecord, LogStats, PredictionIndex, PredictionLog,
    PredictionRecord,
};

/// Where production records go and how they are read back.
pub trait ProductionStore: Send + Sync {
    /// Queues a prediction to be stored off the request path; false when the queue was full
    /// and it was dropped (and counted).
    fn log_prediction(&self, record: &PredictionRecord) -> bool;

    /// Returns once every prediction queued before the call is stored.
    fn flush(&self);

    /// Stores a label durably: when this returns `Ok`, a crash does not lose it.
    fn append_feedback(&self, record: &FeedbackRecord) -> Result<(), Error>;

    /// One prediction by id.
    fn find_prediction(&self, id: &str) -> Result<Option<PredictionRecord>, Error>;

    /// The drift monitor's window: the newest `limit` predictions at or after `since`
    /// (all when `None`), oldest first.
    fn prediction_window(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error>;

    /// Every feedback record at or after `since` (all when `None`), oldest first.
    fn feedback_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<FeedbackRecord>, Error>;

    /// The prediction queue's counters (written, dropped, errors).
    fn prediction_stats(&self) -> Arc<LogStats>;
}

/// The default store: this instance's append-only files under `<data>/predictions` and
/// `<data>/feedback`, read back across every instance's files.
#[derive(Debug)]
pub struct FileStore {
    data_dir: PathBuf,
    predictions: PredictionLog,
    feedback: FeedbackLog,
    index: Mutex<PredictionIndex>,
}

impl FileStore {
    /// Opens this instance's log files under `data_dir`; at most `queue` predictions wait.
    pub fn open(data_dir: &Path, instance: &str, queue: usize) -> Result<FileStore, Error> {
        Ok(FileStore {
            data_dir: data_dir.to_path_buf(),
            predictions: PredictionLog::open(data_dir, instance, queue)?,
            feedback: FeedbackLog::open(data_dir, instance)?,
            index: Mutex::new(PredictionIndex::new(crate::predictions_dir(data_dir))),
        })
    }
}

impl ProductionStore for FileStore {
    fn log_prediction(&self, record: &PredictionRecord) -> bool {
        self.predictions.log(record)
    }

    fn flush(&self) {
        self.predictions.flush();
    }

    fn append_feedback(&self, record: &FeedbackRecord) -> Result<(), Error> {
        self.feedback.append(record)
    }

    fn find_prediction(&self, id: &str) -> Result<Option<PredictionRecord>, Error> {
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .find(id)
    }

    fn prediction_window(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, Error> {
        // The newest `limit` records by time, memory bounded by `limit`.
        let mut newest: BinaryHeap<Reverse<Keyed>> = BinaryHeap::new();
        let mut seq = 0u64;
        read_records(
            &crate::predictions_dir(&self.data_dir),
            |r: PredictionRecord| {
                if since.is_some_and(|s| r.at < s) || limit == 0 {
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

    fn prediction_stats(&self) -> Arc<LogStats> {
        self.predictions.stats()
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
