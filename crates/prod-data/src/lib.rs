//! Production data: what the services saw and what people said about it.
//!
//! # Brief overview
//! - [`PredictionRecord`] and [`FeedbackRecord`] are the two record kinds, one JSON object per
//!   line, schema version [`SCHEMA_VERSION`]. Together they form `prod_data`: text,
//!   descriptors, risk score, predicted label, model version, timestamps and, once known, the
//!   true label. Labels only ever come from feedback.
//! - [`PredictionLog`] appends predictions from a background thread through a bounded queue:
//!   logging never slows a prediction, and what does not fit is dropped and counted.
//!   [`PredictionLine`] logs a prediction from borrowed values, in the same format, without
//!   building a record.
//! - [`FeedbackLog`] is durable before it acknowledges: appends are group-committed, and
//!   [`FeedbackLog::append`] returns only after the `fsync` that covers its record.
//! - [`read_records`] streams every file of a log directory, skipping (and counting) torn or
//!   corrupt lines; [`export_prod_data`] joins both logs into `prod_data.csv`.
//! - [`PredictionIndex`] finds one prediction by id, indexing each log file as it grows.
//!
//! - [`ProductionStore`] (writing) and [`ProductionReader`] (reading) are the interfaces over
//!   all of it: [`FileStore`] and [`FileReader`] on files (the default), `store-postgres` in
//!   PostgreSQL.
//!
//! Several replicas may share one volume: each writes its own files (the instance id is in the
//! name), files are only ever appended to, and readers tolerate a torn last line.
//!
//! **Architecture invariant:** no HTTP, no async runtime, no model code; plain files and threads.
#![deny(missing_docs)]

mod export;
mod index;
pub mod json;
mod line;
mod log;
mod loop_records;
mod read;
mod record;
mod store;

pub use export::{export_from_reader, export_prod_data, ExportStats, PROD_DATA_COLUMNS};
pub use index::{IndexStats, PredictionIndex};
pub use line::PredictionLine;
pub use log::{EncodedPrediction, FeedbackLog, LogStats, PredictionLog};
pub use loop_records::{LoopFiles, LoopRecords};
pub use read::{read_lines, read_records, ReadStats, Record};
pub use record::{FeedbackRecord, PredictionRecord, SCHEMA_VERSION};
pub use store::{FileReader, FileStore, ProductionReader, ProductionStore};

use std::path::{Path, PathBuf};

/// Subdirectory of the data directory holding prediction logs.
pub const PREDICTIONS_DIR: &str = "predictions";
/// Subdirectory of the data directory holding feedback logs.
pub const FEEDBACK_DIR: &str = "feedback";

/// `<data>/predictions`.
pub fn predictions_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(PREDICTIONS_DIR)
}

/// `<data>/feedback`.
pub fn feedback_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(FEEDBACK_DIR)
}

/// An error writing or reading production data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The log's writer thread has stopped (after a write error or shutdown).
    #[error("the {0} log is closed")]
    Closed(&'static str),
    /// A database backend failed.
    #[error("{action}: {detail}")]
    Backend {
        /// What was being done.
        action: &'static str,
        /// The backend's error.
        detail: String,
    },
    /// Writing the export failed.
    #[error("writing the export: {0}")]
    Export(#[from] csv::Error),
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}
