//! drift-monitor: does production still look like the training data, does the model still
//! perform, and why not.
//!
//! # Brief overview
//! - [`Reference`] is the production model's `ref_data.csv` (out-of-fold scores, descriptors,
//!   labels); [`Current`] is a window of the prediction logs with feedback labels joined.
//! - [`build_report`] runs the descriptor drift tests (Evidently's default test choice, from
//!   `drift-stats`), text content drift (a domain classifier, [`text_drift`]), PSI of the risk
//!   score, measured performance on labelled feedback and a label-free estimate
//!   ([`estimate`]).
//! - [`compute_report`] does all of it for a home directory; [`run_once`] also stores it
//!   under `reports/` through the [`ReportStore`] (a timestamped file, `latest.json`,
//!   `latest.html`, an index, retention).
//!
//! - [`service`] runs reports on a schedule and on demand and serves them as JSON, HTML and
//!   Prometheus gauges.
#![deny(missing_docs)]

mod data;
pub mod estimate;
pub mod html;
mod report;
pub mod service;
pub mod settings;
pub mod store;
pub mod text_drift;

use std::path::{Path, PathBuf};

pub use data::{Current, Reference, Row, WindowSpec};
pub use report::{
    build_report, ColumnReport, DatasetTest, Distribution, DriftConfig, DriftReport,
    PerformanceReport, PsiReport, REPORT_SCHEMA_VERSION,
};
pub use store::{ReportStore, Retention};

/// An error producing a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The registry or the production bundle could not be read.
    #[error(transparent)]
    Registry(#[from] artifact_store::Error),
    /// The production logs could not be read.
    #[error(transparent)]
    ProdData(#[from] prod_data::Error),
    /// The configured stores could not be opened.
    #[error(transparent)]
    Stores(#[from] fraudloop_stores::Error),
    /// The reference set is unusable.
    #[error("reference set {path}: {detail}")]
    Reference {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Writing the report failed.
    #[error("writing report {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Computes a report for the home's production model (nothing is stored).
pub fn compute_report(
    home: &fraudloop_config::Home,
    window: WindowSpec,
    config: &DriftConfig,
) -> Result<DriftReport, Error> {
    let stores = fraudloop_stores::Stores::shared(home)?;
    let bundle = stores.registry().load_production()?;
    let reference = Reference::from_bundle(&bundle)?;
    // Files are streamed line by line (memory bounded by the window); a database answers the
    // window in one query.
    let current = match stores.data_dir() {
        Some(dir) => Current::read(dir, window)?,
        None => Current::from_reader(&*stores.reader(), window)?,
    };
    let tokenizer = bundle.model.vectorizer().tokenizer_config().clone();
    Ok(build_report(
        &bundle.manifest.version.to_string(),
        &reference,
        &current,
        &bundle.metrics,
        &tokenizer,
        config,
    ))
}

/// Computes a report for the home's production model and stores it under `reports/` (with
/// the default retention).
pub fn run_once(
    home: &fraudloop_config::Home,
    window: WindowSpec,
    config: &DriftConfig,
) -> Result<DriftReport, Error> {
    let report = compute_report(home, window, config)?;
    store(&home.reports(), &report)?;
    Ok(report)
}

/// Stores a report under `dir` (see [`ReportStore::save`]); returns the report's path.
pub fn store(dir: &Path, report: &DriftReport) -> Result<PathBuf, Error> {
    let store = ReportStore::open(dir, Retention::default());
    store.save(report)?;
    Ok(dir.join(
        store
            .history()
            .last()
            .map(|e| e.name.clone())
            .unwrap_or_default(),
    ))
}
