use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::line::{write_record, PredictionLine};
use crate::{Error, FeedbackRecord, PredictionRecord};

/// Counters of one log, shared with the metrics endpoint.
#[derive(Debug, Default)]
pub struct LogStats {
    /// Records written.
    pub written: AtomicU64,
    /// Records dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Write or fsync failures.
    pub errors: AtomicU64,
}

/// Creates `<dir>/<kind>-<instance>-<utc start>-<pid>.jsonl`, a file only this process writes.
fn create_log_file(dir: &Path, kind: &str, instance: &str) -> Result<(File, PathBuf), Error> {
    std::fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
    let safe_instance: String = instance
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let path = dir.join(format!(
        "{kind}-{safe_instance}-{stamp}-{}.jsonl",
        std::process::id()
    ));
    let file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(Error::io("create", &path))?;
    // Make the new directory entry itself durable.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok((file, path))
}

fn to_line<T: serde::Serialize>(record: &T) -> Vec<u8> {
    let mut line = serde_json::to_vec(record).expect("log records serialise");
    line.push(b'\n');
    line
}

/// A prediction log line, serialised ahead of [`PredictionLog::log_encoded`] (for example on
/// the thread that scored it).
#[derive(Debug, Clone)]
pub struct EncodedPrediction(Vec<u8>);

impl EncodedPrediction {
    /// The JSON line (with its newline).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl PredictionLine<'_> {
    /// Serialises the line for [`PredictionLog::log_encoded`].
    pub fn encode(&self) -> EncodedPrediction {
        // The text plus ~600 bytes of fields: one allocation, no regrowth.
        let mut line = Vec::with_capacity(self.text.len() + 1024);
        self.write_to(&mut line);
        EncodedPrediction(line)
    }
}

/// The writer thread writes what is queued this often: it is never woken per record.
const WRITE_EVERY: Duration = Duration::from_millis(50);
/// ...and fsyncs at least this often while records arrive, so readers (the drift monitor) lag
/// by a fraction of a second, not by a batch size.
const SYNC_EVERY: Duration = Duration::from_millis(200);
/// The largest queue buffer the writer keeps for reuse (bytes).
const MAX_KEPT_BUFFER: usize = 8 << 20;

/// Records waiting for the writer thread.
#[derive(Debug, Default)]
struct Queue {
    /// Serialised lines, back to back.
    lines: Vec<u8>,
    records: usize,
    /// Callers of [`PredictionLog::flush`], answered after the fsync that covers them.
    flush_waiters: Vec<SyncSender<()>>,
    closed: bool,
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    capacity: usize,
    stats: Arc<LogStats>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves whole lines behind: keep using them.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The prediction log: records are serialised on the caller's thread, appended to an
/// in-memory queue, and written in batches by a background thread that wakes on a timer.
/// Logging never blocks and never wakes a thread (a wake per record would cost more than
/// the record), so a request pays a copy into the queue and nothing else.
#[derive(Debug)]
pub struct PredictionLog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
}

impl PredictionLog {
    /// Opens a new log file for this instance; at most `capacity` records wait in memory.
    pub fn open(data_dir: &Path, instance: &str, capacity: usize) -> Result<PredictionLog, Error> {
        let (file, path) =
            create_log_file(&crate::predictions_dir(data_dir), "predictions", instance)?;
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            capacity: capacity.max(1),
            stats: Arc::new(LogStats::default()),
        });
        let thread_shared = shared.clone();
        let thread_path = path.clone();
        let thread = std::thread::Builder::new()
            .name("prediction-log".into())
            .spawn(move || prediction_writer(file, &thread_path, &thread_shared))
            .map_err(Error::io("start writer thread for", &path))?;
        Ok(PredictionLog {
            shared,
            thread: Some(thread),
            path,
        })
    }

    /// Queues a record; returns false (and counts a drop) when the queue is full.
    pub fn log(&self, record: &PredictionRecord) -> bool {
        let mut line = Vec::new();
        write_record(&mut line, record);
        self.log_encoded(EncodedPrediction(line))
    }

    /// Queues a prediction without building a [`PredictionRecord`]; the same line as
    /// [`PredictionLog::log`] writes for the same values.
    pub fn log_line(&self, line: &PredictionLine<'_>) -> bool {
        self.log_encoded(line.encode())
    }

    /// Queues a serialised prediction; returns false (and counts a drop) when the queue is
    /// full or the log is closing.
    pub fn log_encoded(&self, line: EncodedPrediction) -> bool {
        let mut queue = self.shared.queue();
        if queue.records >= self.shared.capacity || queue.closed {
            drop(queue);
            self.shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        queue.lines.extend_from_slice(&line.0);
        queue.records += 1;
        true
    }

    /// Blocks until everything queued so far is written and fsynced.
    pub fn flush(&self) {
        let Some(thread) = &self.thread else {
            return;
        };
        let (tx, rx) = mpsc::sync_channel(1);
        self.shared.queue().flush_waiters.push(tx);
        thread.thread().unpark();
        // An error means the writer is gone, and with it anything it could still write.
        let _ = rx.recv();
    }

    /// The counters.
    pub fn stats(&self) -> Arc<LogStats> {
        self.shared.stats.clone()
    }

    /// This instance's log file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PredictionLog {
    /// Drains the queue, fsyncs and stops the writer.
    fn drop(&mut self) {
        self.shared.queue().closed = true;
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn prediction_writer(mut file: File, path: &Path, shared: &Shared) {
    let stats = &shared.stats;
    let mut batch = Vec::new();
    let mut unsynced = 0u64;
    let mut last_sync = Instant::now();
    loop {
        // Woken early only by flush() and drop(); spurious wake-ups are harmless.
        std::thread::park_timeout(WRITE_EVERY);
        let (records, flush_waiters, closed) = {
            let mut queue = shared.queue();
            std::mem::swap(&mut queue.lines, &mut batch);
            let records = std::mem::take(&mut queue.records);
            (
                records,
                std::mem::take(&mut queue.flush_waiters),
                queue.closed,
            )
        };
        if records > 0 {
            match file.write_all(&batch) {
                Ok(()) => unsynced += records as u64,
                Err(e) => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(path = %path.display(), error = %e, "prediction log write failed");
                }
            }
        }
        // The next swap hands this buffer back to the callers: keep its memory unless a burst
        // made it large.
        batch.clear();
        if batch.capacity() > MAX_KEPT_BUFFER {
            batch = Vec::new();
        }
        let sync_due = unsynced > 0 && last_sync.elapsed() >= SYNC_EVERY;
        if sync_due || !flush_waiters.is_empty() || closed {
            match file.sync_data() {
                Ok(()) => {
                    stats.written.fetch_add(unsynced, Ordering::Relaxed);
                }
                Err(e) => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(path = %path.display(), error = %e, "prediction log fsync failed");
                }
            }
            unsynced = 0;
            last_sync = Instant::now();
        }
        for done in flush_waiters {
            let _ = done.send(());
        }
        if closed {
            return;
        }
    }
}

type FeedbackJob = (Vec<u8>, SyncSender<Result<(), String>>);

/// The feedback log: [`FeedbackLog::append`] returns once the record is fsynced. Concurrent
/// appends share one fsync (group commit).
#[derive(Debug, Clone)]
pub struct FeedbackLog {
    sender: mpsc::Sender<FeedbackJob>,
    stats: Arc<LogStats>,
    path: PathBuf,
}

impl FeedbackLog {
    /// Opens a new feedback file for this instance.
    pub fn open(data_dir: &Path, instance: &str) -> Result<FeedbackLog, Error> {
        let (file, path) = create_log_file(&crate::feedback_dir(data_dir), "feedback", instance)?;
        let (sender, receiver) = mpsc::channel::<FeedbackJob>();
        let stats = Arc::new(LogStats::default());
        let thread_stats = stats.clone();
        let thread_path = path.clone();
        std::thread::Builder::new()
            .name("feedback-log".into())
            .spawn(move || feedback_writer(file, &thread_path, receiver, &thread_stats))
            .map_err(Error::io("start writer thread for", &path))?;
        Ok(FeedbackLog {
            sender,
            stats,
            path,
        })
    }

    /// Appends a record durably. Blocks until its fsync completes; call it off async threads.
    pub fn append(&self, record: &FeedbackRecord) -> Result<(), Error> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.sender
            .send((to_line(record), tx))
            .map_err(|_| Error::Closed("feedback"))?;
        match rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Io {
                action: "append to",
                path: self.path.clone(),
                source: std::io::Error::other(e),
            }),
            Err(_) => Err(Error::Closed("feedback")),
        }
    }

    /// The counters.
    pub fn stats(&self) -> Arc<LogStats> {
        self.stats.clone()
    }

    /// This instance's feedback file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn feedback_writer(mut file: File, path: &Path, receiver: Receiver<FeedbackJob>, stats: &LogStats) {
    // Ends when every FeedbackLog clone is dropped.
    while let Ok(first) = receiver.recv() {
        let jobs: Vec<FeedbackJob> = std::iter::once(first).chain(receiver.try_iter()).collect();
        let mut batch = Vec::with_capacity(jobs.iter().map(|(l, _)| l.len()).sum());
        for (line, _) in &jobs {
            batch.extend_from_slice(line);
        }
        let result = file.write_all(&batch).and_then(|()| file.sync_data());
        match &result {
            Ok(()) => {
                stats
                    .written
                    .fetch_add(jobs.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(path = %path.display(), error = %e, "feedback log write failed");
            }
        }
        for (_, reply) in jobs {
            let _ = reply.send(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_records, SCHEMA_VERSION};
    use std::collections::BTreeMap;

    pub(crate) fn prediction(id: &str) -> PredictionRecord {
        PredictionRecord {
            schema: SCHEMA_VERSION,
            prediction_id: id.into(),
            at: chrono::Utc::now(),
            instance: "test".into(),
            model_version: "v0001".into(),
            text: format!("text of {id}"),
            client_id: None,
            channel: Some("sms".into()),
            meta: None,
            risk_score: 0.9,
            predicted_label: "fraud".into(),
            threshold: 0.5,
            risk_level: "high".into(),
            descriptors: BTreeMap::from([("length".to_string(), 10.0)]),
            latency_us: 12,
        }
    }

    #[test]
    fn predictions_are_written_on_flush_and_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let log = PredictionLog::open(dir.path(), "api/1", 100).unwrap();
        assert!(log
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("predictions-api_1-"));
        for i in 0..10 {
            assert!(log.log(&prediction(&format!("p{i}"))));
        }
        log.flush();
        let mut ids = Vec::new();
        read_records(
            &crate::predictions_dir(dir.path()),
            |r: PredictionRecord| ids.push(r.prediction_id),
        )
        .unwrap();
        assert_eq!(ids.len(), 10);
        log.log(&prediction("last"));
        let stats = log.stats();
        drop(log);
        assert_eq!(stats.written.load(Ordering::Relaxed), 11);
        let mut n = 0;
        read_records(
            &crate::predictions_dir(dir.path()),
            |_: PredictionRecord| n += 1,
        )
        .unwrap();
        assert_eq!(n, 11);
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let log = PredictionLog::open(dir.path(), "x", 1).unwrap();
        let accepted = (0..10_000)
            .filter(|i| log.log(&prediction(&i.to_string())))
            .count();
        let dropped = log.stats().dropped.load(Ordering::Relaxed) as usize;
        assert_eq!(accepted + dropped, 10_000);
        assert!(
            dropped > 0,
            "a one-slot queue cannot take 10k records instantly"
        );
    }

    #[test]
    fn feedback_is_on_disk_when_append_returns() {
        let dir = tempfile::tempdir().unwrap();
        let log = FeedbackLog::open(dir.path(), "x").unwrap();
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let log = log.clone();
                std::thread::spawn(move || {
                    let record = FeedbackRecord {
                        schema: SCHEMA_VERSION,
                        feedback_id: format!("f{i}"),
                        at: chrono::Utc::now(),
                        instance: "x".into(),
                        prediction_id: Some(format!("p{i}")),
                        text: "t".into(),
                        label: "fraud".into(),
                        source: "user".into(),
                        contact: None,
                        comment: None,
                        model_version: None,
                        risk_score: None,
                    };
                    log.append(&record).unwrap();
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        // Read while the writer is still alive: acknowledged means readable.
        let mut n = 0;
        read_records(&crate::feedback_dir(dir.path()), |_: FeedbackRecord| n += 1).unwrap();
        assert_eq!(n, 8);
        assert_eq!(log.stats().written.load(Ordering::Relaxed), 8);
    }

    #[test]
    fn readers_skip_torn_and_corrupt_lines() {
        let dir = tempfile::tempdir().unwrap();
        let pdir = crate::predictions_dir(dir.path());
        std::fs::create_dir_all(&pdir).unwrap();
        let good = String::from_utf8(to_line(&prediction("a"))).unwrap();
        let other_schema = good.replace("\"schema\":1", "\"schema\":7");
        let torn = &good[..good.len() / 2];
        std::fs::write(
            pdir.join("a.jsonl"),
            format!("{good}not json\n{other_schema}\n{good}{torn}"),
        )
        .unwrap();
        std::fs::write(pdir.join("ignored.txt"), "whatever").unwrap();
        let mut n = 0;
        let stats = read_records(&pdir, |_: PredictionRecord| n += 1).unwrap();
        assert_eq!((n, stats.records, stats.skipped, stats.files), (2, 2, 3, 1));
        let none = read_records(&dir.path().join("missing"), |_: PredictionRecord| {}).unwrap();
        assert_eq!(none, crate::ReadStats::default());
    }
}
