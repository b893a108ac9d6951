//! Statistical core for data-drift detection: compares a production ("current") sample of a
//! column with a reference sample, the way [Evidently](https://www.evidentlyai.com/)'s data-drift
//! preset does, with every statistic checked against SciPy.
//!
//! # Overview
//! | function | statistic | matches |
//! |---|---|---|
//! | [`ks_2samp`] | two-sample Kolmogorov–Smirnov, two-sided | `scipy.stats.ks_2samp(a, b)` (`method='auto'`: exact p-value up to 10 000 values per sample, SciPy's asymptotic form beyond; [`ks_2samp_with`] picks the mode) |
//! | [`chi_square`] | chi-square goodness of fit of current counts to reference shares | `scipy.stats.chisquare(f_obs, f_exp)` as called by Evidently |
//! | [`proportion_z_test`] | pooled two-proportion z-test, two-sided | Evidently's `z` stattest |
//! | [`wasserstein_distance_norm`] | Wasserstein-1 / std of reference | `scipy.stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)` |
//! | [`jensen_shannon_distance`], [`jensen_shannon_numeric`] | Jensen–Shannon distance (natural log) | `scipy.spatial.distance.jensenshannon(p, q)` on Evidently's binning |
//! | [`psi`] | Population Stability Index on reference deciles | hand-computed formula |
//! | [`kstwo_sf`] | survival function of the one-sample two-sided KS statistic | `scipy.stats.kstwo.sf(x, n)` |
//!
//! [`StatTest`] names the five tests with Evidently's names, default thresholds and drift
//! rules; [`choose_test`] reproduces Evidently's default choice for a column and
//! [`column_drift`] runs it (or an override).
//!
//! # Sample-size-aware verdicts
//! Evidently's fixed thresholds ignore how small the current sample is: on 100 rows, chance
//! alone pushes many distances past 0.1. Two permutation tests calibrate verdicts at the actual
//! sample sizes instead, deterministically for a given seed:
//!
//! | function | what it decides | null distribution |
//! |---|---|---|
//! | [`family_drift`] | which columns of a table drifted, with a family-wise false-alarm rate `alpha` over all columns | random re-splits of the pooled rows into reference and window (the same re-split for every column), combined by Westfall–Young max-T |
//! | [`auc_permutation_test`] | whether a held-out ROC-AUC beats chance; with DeLong's 95 % interval | random relabellings of the scored items |
//!
//! Numeric inputs must be finite: NaN and infinities are rejected with
//! [`DriftError::NonFinite`] (drop missing values before calling). Empty samples are rejected
//! with [`DriftError::EmptySample`].
//!
//! The crate is pure computation: no IO, no async, no serialisation; results are plain structs.
//!
//! # Example
//! ```
//! use drift_stats::{column_drift, ks_2samp, psi, psi_band, ColumnSample, PsiBand, StatTest};
//!
//! let reference: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin()).collect();
//! let shifted: Vec<f64> = reference.iter().map(|x| x + 1.0).collect();
//!
//! // A single statistic.
//! let ks = ks_2samp(&reference, &shifted).unwrap();
//! assert!(ks.p_value < 1e-10);
//!
//! // Evidently-style column drift: 200 reference rows of a numeric column -> KS at 0.05.
//! let drift = column_drift(
//!     &ColumnSample::Numeric(reference.clone()),
//!     &ColumnSample::Numeric(shifted.clone()),
//!     None,
//! )
//! .unwrap();
//! assert_eq!(drift.test, StatTest::Ks);
//! assert_eq!(drift.threshold, 0.05);
//! assert!(drift.drifted);
//!
//! // PSI of model scores on reference deciles.
//! let p = psi(&reference, &shifted, 10).unwrap();
//! assert_eq!(psi_band(p.value), PsiBand::Significant);
//! ```
#![deny(missing_docs)]

mod auc;
mod categorical;
mod kolmogorov;
mod ks;
mod numeric;
mod permutation;
mod psi;
mod select;

pub use auc::{auc_permutation_test, AucTest};

pub use categorical::{
    chi_square, chi_square_from_counts, jensen_shannon_distance, jensen_shannon_from_counts,
    missing_category_share, proportion_z_test,
};
pub use kolmogorov::kstwo_sf;
pub use ks::{ks_2samp, ks_2samp_with, KsMethod, KS_MAX_AUTO_EXACT_N};
pub use numeric::{
    jensen_shannon_numeric, wasserstein_distance, wasserstein_distance_norm,
    JS_PER_VALUE_MAX_UNIQUE, WASSERSTEIN_MIN_STD,
};
pub use permutation::{
    family_drift, CalibratedDrift, FamilyDrift, PermutationConfig, ThresholdSource, DEFAULT_ALPHA,
    DEFAULT_PERMUTATIONS,
};
pub use psi::{
    psi, psi_band, Psi, PsiBand, PsiBin, DEFAULT_PSI_BINS, PSI_MODERATE, PSI_SHARE_FLOOR,
    PSI_SIGNIFICANT,
};
pub use select::{
    choose_test, column_drift, ColumnDrift, ColumnSample, ScoreKind, StatTest,
    LOW_CARDINALITY_MAX_UNIQUE, SMALL_REFERENCE_MAX_ROWS,
};

/// Statistic and p-value of a hypothesis test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    /// The test statistic (KS `D`, chi-square `X²`, or `z`).
    pub statistic: f64,
    /// Two-sided p-value in `[0, 1]`.
    pub p_value: f64,
}

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriftError {
    /// A sample (or its total count) is empty.
    #[error("the {which} sample is empty")]
    EmptySample {
        /// Which sample: `"reference"`, `"current"`, `"first"` or `"second"`.
        which: &'static str,
    },
    /// A numeric sample contains NaN or an infinity.
    #[error("the {which} sample contains a NaN or infinite value")]
    NonFinite {
        /// Which sample.
        which: &'static str,
    },
    /// Count vectors for the same categories have different lengths.
    #[error("count vectors differ in length: reference {reference}, current {current}")]
    LengthMismatch {
        /// Length of the reference counts.
        reference: usize,
        /// Length of the current counts.
        current: usize,
    },
    /// One sample is numeric and the other categorical.
    #[error("reference is {reference} but current is {current}")]
    KindMismatch {
        /// Kind of the reference sample.
        reference: &'static str,
        /// Kind of the current sample.
        current: &'static str,
    },
    /// The requested test does not apply to this kind of column.
    #[error("the {test} test does not apply to {kind} columns")]
    IncompatibleTest {
        /// The test's name.
        test: &'static str,
        /// The column's kind.
        kind: &'static str,
    },
    /// An argument is out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A column of a family test has other row counts than the first column.
    #[error(
        "column {column} has {} reference and {} current rows, the first column {} and {}",
        found.0, found.1, expected.0, expected.1
    )]
    RowCountMismatch {
        /// Index of the offending column.
        column: usize,
        /// Reference and current rows of the first column.
        expected: (usize, usize),
        /// Reference and current rows of this column.
        found: (usize, usize),
    },
}

/// Rejects empty samples and non-finite values.
pub(crate) fn check_numeric(x: &[f64], which: &'static str) -> Result<(), DriftError> {
    if x.is_empty() {
        return Err(DriftError::EmptySample { which });
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(DriftError::NonFinite { which });
    }
    Ok(())
}

/// A finite `f64` usable as an ordered category key; `-0.0` and `0.0` are the same key (as in
/// pandas' `nunique` / `value_counts`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct F64Key(f64);

impl F64Key {
    pub(crate) fn new(x: f64) -> Self {
        F64Key(if x == 0.0 { 0.0 } else { x })
    }
}

impl PartialEq for F64Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}

impl Eq for F64Key {}

impl PartialOrd for F64Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for F64Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
