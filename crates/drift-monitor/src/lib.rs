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
//! - [`run_once`] does all of it for a home directory and stores the JSON report under
//!   `reports/` (a timestamped file plus `latest.json`).
//!
//! - [`service`] runs reports on a schedule and on demand and serves them as JSON, HTML and
//!   Prometheus gauges.
#![deny(missing_docs)]

mod data;
pub mod estimate;
pub mod html;
mod report;
pub mod service;
pub mod text_drift;

use std::path::{Path, PathBuf};

pub use data::{Current, Reference, Row, WindowSpec};
pub use report::{
    build_report, ColumnReport, Distribution, DriftConfig, DriftReport, PerformanceReport,
    PsiReport, REPORT_SCHEMA_VERSION,
};

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

/// Computes a report for the home's production model and stores it under `reports/`.
pub fn run_once(
    home: &fraudloop_config::Home,
    window: WindowSpec,
    config: &DriftConfig,
) -> Result<DriftReport, Error> {
    let registry = artifact_store::Registry::open(home.artifacts())?;
    let bundle = registry.load_production()?;
    let reference = Reference::read(&bundle.dir.join("ref_data.csv"))?;
    let current = Current::read(&home.data(), window)?;
    let tokenizer = bundle.model.vectorizer().tokenizer_config().clone();
    let validation = bundle.metrics.clone();
    let report = build_report(
        &bundle.manifest.version.to_string(),
        &reference,
        &current,
        &validation,
        &tokenizer,
        config,
    );
    store(&home.reports(), &report)?;
    Ok(report)
}

/// Writes `reports/report-<time>.json` and replaces `reports/latest.json`, each atomically.
pub fn store(dir: &Path, report: &DriftReport) -> Result<PathBuf, Error> {
    let write = |path: &Path, bytes: &[u8]| -> Result<(), Error> {
        let err = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(err)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    };
    let bytes = serde_json::to_vec_pretty(report).expect("reports serialise");
    let name = format!(
        "report-{}.json",
        report.generated_at.format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = dir.join(name);
    write(&path, &bytes)?;
    write(&dir.join("latest.json"), &bytes)?;
    Ok(path)
}
