//! Choosing and running a drift test for one column, following Evidently's defaults.

use std::collections::BTreeSet;

use crate::categorical::count_categories;
use crate::{
    chi_square_from_counts, jensen_shannon_from_counts, jensen_shannon_numeric, ks_2samp,
    proportion_z_test, wasserstein_distance_norm, DriftError, F64Key,
};

/// Reference sizes up to this many rows use the p-value tests (KS, chi-square, z); larger
/// references use the distances (Wasserstein, Jensen–Shannon). Evidently's boundary.
pub const SMALL_REFERENCE_MAX_ROWS: usize = 1000;

/// Numeric columns with at most this many distinct values (over reference and current) are
/// tested as categorical. Evidently's boundary.
pub const LOW_CARDINALITY_MAX_UNIQUE: usize = 5;

/// One column of data: the reference or the current sample.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnSample {
    /// Numeric values (must be finite).
    Numeric(Vec<f64>),
    /// Category labels.
    Categorical(Vec<String>),
}

impl ColumnSample {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnSample::Numeric(v) => v.len(),
            ColumnSample::Categorical(v) => v.len(),
        }
    }

    /// Whether the sample has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `"numeric"` or `"categorical"`.
    pub fn kind(&self) -> &'static str {
        match self {
            ColumnSample::Numeric(_) => "numeric",
            ColumnSample::Categorical(_) => "categorical",
        }
    }
}

/// Whether a test's score is a p-value or a distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScoreKind {
    /// Small is drift: drift when the p-value is below the threshold.
    PValue,
    /// Large is drift: drift when the distance is at or above the threshold.
    Distance,
}

/// The drift tests of Evidently's default selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatTest {
    /// Two-sample Kolmogorov–Smirnov p-value ([`ks_2samp`]); numeric columns.
    Ks,
    /// Chi-square p-value ([`chi_square`](crate::chi_square)); categorical columns.
    ChiSquare,
    /// Two-proportion z-test p-value ([`proportion_z_test`]); binary columns.
    ZTest,
    /// Normed Wasserstein distance ([`wasserstein_distance_norm`]); numeric columns.
    Wasserstein,
    /// Jensen–Shannon distance ([`jensen_shannon_distance`](crate::jensen_shannon_distance),
    /// [`jensen_shannon_numeric`]); any column.
    JensenShannon,
}

impl StatTest {
    /// All tests.
    pub const ALL: [StatTest; 5] = [
        StatTest::Ks,
        StatTest::ChiSquare,
        StatTest::ZTest,
        StatTest::Wasserstein,
        StatTest::JensenShannon,
    ];

    /// Evidently's registered name: `"ks"`, `"chisquare"`, `"z"`, `"wasserstein"`,
    /// `"jensenshannon"`.
    pub fn name(self) -> &'static str {
        match self {
            StatTest::Ks => "ks",
            StatTest::ChiSquare => "chisquare",
            StatTest::ZTest => "z",
            StatTest::Wasserstein => "wasserstein",
            StatTest::JensenShannon => "jensenshannon",
        }
    }

    /// Evidently's default threshold: 0.05 for the p-value tests, 0.1 for the distances.
    pub fn default_threshold(self) -> f64 {
        match self.score_kind() {
            ScoreKind::PValue => 0.05,
            ScoreKind::Distance => 0.1,
        }
    }

    /// Whether the score is a p-value or a distance.
    pub fn score_kind(self) -> ScoreKind {
        match self {
            StatTest::Ks | StatTest::ChiSquare | StatTest::ZTest => ScoreKind::PValue,
            StatTest::Wasserstein | StatTest::JensenShannon => ScoreKind::Distance,
        }
    }

    /// Evidently's drift decision for `score` at `threshold`:
    /// KS `p <= threshold`; chi-square and z `p < threshold`; Wasserstein and Jensen–Shannon
    /// `distance >= threshold`. A NaN score is never drift.
    pub fn drifted(self, score: f64, threshold: f64) -> bool {
        match self {
            StatTest::Ks => score <= threshold,
            StatTest::ChiSquare | StatTest::ZTest => score < threshold,
            StatTest::Wasserstein | StatTest::JensenShannon => score >= threshold,
        }
    }

    /// Looks a test up by its [`name`](StatTest::name).
    pub fn from_name(name: &str) -> Option<StatTest> {
        StatTest::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for StatTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Outcome of [`column_drift`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnDrift {
    /// The test that was run.
    pub test: StatTest,
    /// Its score: a p-value or a distance, see [`StatTest::score_kind`].
    pub score: f64,
    /// The threshold applied.
    pub threshold: f64,
    /// Whether the column drifted, per [`StatTest::drifted`].
    pub drifted: bool,
}

fn numeric_keys(values: &[f64]) -> Vec<F64Key> {
    values.iter().map(|&x| F64Key::new(x)).collect()
}

fn check_kinds(reference: &ColumnSample, current: &ColumnSample) -> Result<(), DriftError> {
    if reference.kind() != current.kind() {
        return Err(DriftError::KindMismatch {
            reference: reference.kind(),
            current: current.kind(),
        });
    }
    if reference.is_empty() {
        return Err(DriftError::EmptySample { which: "reference" });
    }
    if current.is_empty() {
        return Err(DriftError::EmptySample { which: "current" });
    }
    if let (ColumnSample::Numeric(r), ColumnSample::Numeric(c)) = (reference, current) {
        crate::check_numeric(r, "reference")?;
        crate::check_numeric(c, "current")?;
    }
    Ok(())
}

/// Number of distinct values over both samples (Evidently's
/// `pd.concat([reference, current]).nunique()`).
fn unique_values(reference: &ColumnSample, current: &ColumnSample) -> usize {
    match (reference, current) {
        (ColumnSample::Numeric(r), ColumnSample::Numeric(c)) => r
            .iter()
            .chain(c)
            .map(|&x| F64Key::new(x))
            .collect::<BTreeSet<_>>()
            .len(),
        (ColumnSample::Categorical(r), ColumnSample::Categorical(c)) => {
            r.iter().chain(c).collect::<BTreeSet<_>>().len()
        }
        _ => unreachable!("kinds checked"),
    }
}

/// Evidently's default test for a column (`_get_default_stattest`).
///
/// The number of distinct values is counted over reference and current together, as Evidently
/// does; numeric columns with at most [`LOW_CARDINALITY_MAX_UNIQUE`] distinct values are
/// treated as categorical.
///
/// | reference rows | numeric, > 5 values | categorical or ≤ 5 values, > 2 values | ≤ 2 values |
/// |---|---|---|---|
/// | ≤ 1000 | KS | chi-square | z-test |
/// | > 1000 | normed Wasserstein | Jensen–Shannon | Jensen–Shannon |
///
/// # Errors
/// [`DriftError::KindMismatch`] if one sample is numeric and the other categorical,
/// [`DriftError::EmptySample`] / [`DriftError::NonFinite`] for unusable data.
///
/// # Example
/// ```
/// use drift_stats::{choose_test, ColumnSample, StatTest};
/// let reference = ColumnSample::Numeric((0..100).map(f64::from).collect());
/// let current = ColumnSample::Numeric((0..100).map(f64::from).collect());
/// assert_eq!(choose_test(&reference, &current).unwrap(), StatTest::Ks);
/// ```
pub fn choose_test(
    reference: &ColumnSample,
    current: &ColumnSample,
) -> Result<StatTest, DriftError> {
    check_kinds(reference, current)?;
    let n_values = unique_values(reference, current);
    let treat_numeric =
        matches!(reference, ColumnSample::Numeric(_)) && n_values > LOW_CARDINALITY_MAX_UNIQUE;
    Ok(if reference.len() <= SMALL_REFERENCE_MAX_ROWS {
        if treat_numeric {
            StatTest::Ks
        } else if n_values > 2 {
            StatTest::ChiSquare
        } else {
            StatTest::ZTest
        }
    } else if treat_numeric {
        StatTest::Wasserstein
    } else {
        StatTest::JensenShannon
    })
}

/// Category counts of both samples over the union of their values, in ascending order (numeric
/// values compare numerically, labels by their UTF-8 bytes, i.e. by code point, like Python).
fn category_counts(reference: &ColumnSample, current: &ColumnSample) -> (Vec<u64>, Vec<u64>) {
    let counts = match (reference, current) {
        (ColumnSample::Numeric(r), ColumnSample::Numeric(c)) => {
            count_categories(&numeric_keys(r), &numeric_keys(c))
        }
        (ColumnSample::Categorical(r), ColumnSample::Categorical(c)) => count_categories(r, c),
        _ => unreachable!("kinds checked"),
    };
    (counts.reference, counts.current)
}

/// Runs a drift test on one column: `test_override` if given (test and threshold), otherwise
/// [`choose_test`] with the test's [`default_threshold`](StatTest::default_threshold).
///
/// How each test reads the column:
/// * KS and Wasserstein need numeric samples.
/// * Chi-square and Jensen–Shannon on categorical samples (or on numeric ones, each distinct
///   value being a category, for chi-square) compare category frequencies; Jensen–Shannon on a
///   numeric column uses [`jensen_shannon_numeric`] with Evidently's binning (`bins = None`).
/// * The z-test, as in Evidently, takes the smallest category (in the order described above) as
///   "failure" and every other value as "success", then runs [`proportion_z_test`].
///
/// # Errors
/// [`DriftError::IncompatibleTest`] for KS or Wasserstein on categorical data, plus the errors of
/// [`choose_test`].
///
/// # Example
/// ```
/// use drift_stats::{column_drift, ColumnSample, StatTest};
/// let labels = |v: &[&str]| ColumnSample::Categorical(v.iter().map(|s| s.to_string()).collect());
/// let reference = labels(&["ham", "ham", "spam", "ham"]);
/// let current = labels(&["ham", "spam", "ham", "ham"]);
/// let drift = column_drift(&reference, &current, None).unwrap();
/// assert_eq!(drift.test, StatTest::ZTest);
/// assert!(!drift.drifted);
/// ```
pub fn column_drift(
    reference: &ColumnSample,
    current: &ColumnSample,
    test_override: Option<(StatTest, f64)>,
) -> Result<ColumnDrift, DriftError> {
    check_kinds(reference, current)?;
    let (test, threshold) = match test_override {
        Some(pair) => pair,
        None => {
            let test = choose_test(reference, current)?;
            (test, test.default_threshold())
        }
    };
    let incompatible = || DriftError::IncompatibleTest {
        test: test.name(),
        kind: reference.kind(),
    };
    let score = match test {
        StatTest::Ks => match (reference, current) {
            (ColumnSample::Numeric(r), ColumnSample::Numeric(c)) => ks_2samp(r, c)?.p_value,
            _ => return Err(incompatible()),
        },
        StatTest::Wasserstein => match (reference, current) {
            (ColumnSample::Numeric(r), ColumnSample::Numeric(c)) => {
                wasserstein_distance_norm(r, c)?
            }
            _ => return Err(incompatible()),
        },
        StatTest::ChiSquare => {
            let (r, c) = category_counts(reference, current);
            chi_square_from_counts(&r, &c)?.p_value
        }
        StatTest::ZTest => {
            let (r, c) = category_counts(reference, current);
            let ref_n: u64 = r.iter().sum();
            let cur_n: u64 = c.iter().sum();
            // Success = anything but the first (smallest) category.
            proportion_z_test(ref_n - r[0], ref_n, cur_n - c[0], cur_n)?.p_value
        }
        StatTest::JensenShannon => match (reference, current) {
            (ColumnSample::Numeric(r), ColumnSample::Numeric(c)) => {
                jensen_shannon_numeric(r, c, None)?
            }
            _ => {
                let (r, c) = category_counts(reference, current);
                jensen_shannon_from_counts(&r, &c)?
            }
        },
    };
    Ok(ColumnDrift {
        test,
        score,
        threshold,
        drifted: test.drifted(score, threshold),
    })
}
