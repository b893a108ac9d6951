//! Tests on category frequencies: chi-square goodness of fit, two-proportion z-test and the
//! Jensen–Shannon distance between category distributions.

use std::collections::BTreeMap;

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::{DriftError, TestResult};

/// Counts of each category over the union of both samples, in ascending category order.
pub(crate) struct CategoryCounts {
    /// Reference count per category.
    pub reference: Vec<u64>,
    /// Current count per category.
    pub current: Vec<u64>,
}

pub(crate) fn count_categories<T: Ord>(reference: &[T], current: &[T]) -> CategoryCounts {
    let mut map: BTreeMap<&T, (u64, u64)> = BTreeMap::new();
    for x in reference {
        map.entry(x).or_default().0 += 1;
    }
    for x in current {
        map.entry(x).or_default().1 += 1;
    }
    let (reference, current) = map.into_values().unzip();
    CategoryCounts { reference, current }
}

fn check_counts(reference: &[u64], current: &[u64]) -> Result<(u64, u64), DriftError> {
    if reference.len() != current.len() {
        return Err(DriftError::LengthMismatch {
            reference: reference.len(),
            current: current.len(),
        });
    }
    let n_ref: u64 = reference.iter().sum();
    let n_cur: u64 = current.iter().sum();
    if n_ref == 0 {
        return Err(DriftError::EmptySample { which: "reference" });
    }
    if n_cur == 0 {
        return Err(DriftError::EmptySample { which: "current" });
    }
    Ok((n_ref, n_cur))
}

/// Share given to a category that never occurs in the reference, before renormalising, in
/// [`chi_square`]: `min_share / 1e6` if the smallest non-zero reference share is at most `1e-4`,
/// otherwise `1e-4`. This is the rule of Evidently's `get_binned_data(..., feel_zeroes=True)`.
pub fn missing_category_share(min_nonzero_share: f64) -> f64 {
    if min_nonzero_share <= 1e-4 {
        min_nonzero_share / 1e6
    } else {
        1e-4
    }
}

/// Evidently's chi-square test for a categorical column.
///
/// Observed frequencies are the current counts per category over the union of categories;
/// expected frequencies are the reference shares times the current total. The result matches
/// `scipy.stats.chisquare(f_obs, f_exp)` (statistic `Σ (o - e)² / e`, p-value from the
/// chi-square distribution with `k - 1` degrees of freedom), which is what Evidently's
/// `chisquare` stattest calls with `f_exp = reference_count * n_current / n_reference`.
///
/// **Categories missing from the reference.** Evidently passes an expected frequency of 0 for
/// them, which makes SciPy's statistic infinite and the p-value 0. Here such a category gets
/// the reference share [`missing_category_share`] instead and all reference shares are then
/// renormalised to sum to 1 (so `Σ e = Σ o`, as `scipy.stats.chisquare` requires). The result is a
/// finite, very large statistic and a p-value that is still essentially 0 whenever the new
/// category is observed a few times, so the drift decision agrees with Evidently.
///
/// With a single category overall, the test is degenerate (0 degrees of freedom, SciPy returns
/// NaN): the result is statistic 0 and p-value 1 (no evidence of drift).
///
/// # Errors
/// [`DriftError::EmptySample`] if either sample is empty.
///
/// # Example
/// ```
/// let reference = ["a", "a", "b", "b"];
/// let current = ["a", "a", "a", "b"];
/// let r = drift_stats::chi_square(&reference, &current).unwrap();
/// assert!((r.statistic - 1.0).abs() < 1e-12);
/// ```
pub fn chi_square<T: Ord>(reference: &[T], current: &[T]) -> Result<TestResult, DriftError> {
    let counts = count_categories(reference, current);
    chi_square_from_counts(&counts.reference, &counts.current)
}

/// [`chi_square`] on pre-aggregated counts: `reference[i]` and `current[i]` count the same
/// category. Categories with a zero count in both are ignored.
///
/// # Errors
/// [`DriftError::LengthMismatch`] if the slices differ in length, [`DriftError::EmptySample`] if
/// either total is zero.
pub fn chi_square_from_counts(
    reference: &[u64],
    current: &[u64],
) -> Result<TestResult, DriftError> {
    let (n_ref, n_cur) = check_counts(reference, current)?;
    let pairs: Vec<(u64, u64)> = reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| (r, c))
        .filter(|&(r, c)| r > 0 || c > 0)
        .collect();
    let k = pairs.len();
    let any_missing = pairs.iter().any(|&(r, _)| r == 0);
    let expected: Vec<f64> = if any_missing {
        let min_share = pairs
            .iter()
            .filter(|&&(r, _)| r > 0)
            .map(|&(r, _)| r as f64 / n_ref as f64)
            .fold(f64::INFINITY, f64::min);
        let eps = missing_category_share(min_share);
        let shares: Vec<f64> = pairs
            .iter()
            .map(|&(r, _)| if r == 0 { eps } else { r as f64 / n_ref as f64 })
            .collect();
        let total: f64 = shares.iter().sum();
        shares.iter().map(|s| s / total * n_cur as f64).collect()
    } else {
        // Evidently: f_exp = reference_count * k_norm with k_norm = n_current / n_reference.
        let k_norm = n_cur as f64 / n_ref as f64;
        pairs.iter().map(|&(r, _)| r as f64 * k_norm).collect()
    };
    let statistic: f64 = pairs
        .iter()
        .zip(&expected)
        .map(|(&(_, o), &e)| {
            let d = o as f64 - e;
            d * d / e
        })
        .sum();
    if k < 2 {
        return Ok(TestResult {
            statistic: 0.0,
            p_value: 1.0,
        });
    }
    let dist = ChiSquared::new((k - 1) as f64).expect("k - 1 >= 1 degrees of freedom");
    let p_value = dist.sf(statistic);
    Ok(TestResult { statistic, p_value })
}

/// Two-sided two-proportion z-test with pooled proportion, as Evidently's `z` stattest:
///
/// `z = (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur))` with `P` the pooled share, and
/// p-value `2 Φ(-|z|)`. Evidently writes the p-value as `2 * (1 - norm.cdf(|z|))`, which is the
/// same number up to rounding (it merely underflows to 0 sooner for very large `|z|`). It is
/// evaluated with statrs as the equivalent `P(χ²₁ > z²)`, because statrs' regularised incomplete
/// gamma function is accurate to about 1e-15 where its `erfc` (used by `Normal::cdf`) is only
/// good to about 1e-10 relative.
///
/// If the pooled share is 0 or 1 (both samples are all failures or all successes) the
/// statistic is 0 and the p-value 1, as Evidently special-cases identical constant columns.
///
/// # Errors
/// [`DriftError::EmptySample`] if `ref_n` or `cur_n` is 0, [`DriftError::InvalidArgument`] if a
/// success count exceeds its sample size.
///
/// # Example
/// ```
/// let r = drift_stats::proportion_z_test(10, 100, 30, 100).unwrap();
/// assert!(r.p_value < 0.001);
/// ```
pub fn proportion_z_test(
    ref_successes: u64,
    ref_n: u64,
    cur_successes: u64,
    cur_n: u64,
) -> Result<TestResult, DriftError> {
    if ref_n == 0 {
        return Err(DriftError::EmptySample { which: "reference" });
    }
    if cur_n == 0 {
        return Err(DriftError::EmptySample { which: "current" });
    }
    if ref_successes > ref_n || cur_successes > cur_n {
        return Err(DriftError::InvalidArgument(
            "success count exceeds sample size".to_owned(),
        ));
    }
    let (n1, n2) = (ref_n as f64, cur_n as f64);
    let p1 = ref_successes as f64 / n1;
    let p2 = cur_successes as f64 / n2;
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if variance <= 0.0 {
        return Ok(TestResult {
            statistic: 0.0,
            p_value: 1.0,
        });
    }
    let statistic = (p1 - p2) / variance.sqrt();
    // 2 Φ(-|z|) = P(χ²₁ > z²). statrs' incomplete gamma is accurate to ~1e-15 here, while its
    // `erfc` (behind `Normal::cdf`) is only good to ~1e-10 relative in the tails.
    let p_value = ChiSquared::new(1.0)
        .expect("one degree of freedom")
        .sf(statistic * statistic)
        .min(1.0);
    Ok(TestResult { statistic, p_value })
}

/// Jensen–Shannon distance between two probability vectors, as
/// `scipy.spatial.distance.jensenshannon(p, q)` with its default natural-log base: both vectors
/// are normalised to sum 1, `m = (p + q) / 2`, and the result is
/// `sqrt((KL(p || m) + KL(q || m)) / 2)`, in `[0, sqrt(ln 2)]`.
pub(crate) fn js_from_weights(p: &[f64], q: &[f64]) -> f64 {
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    let mut left = 0.0;
    let mut right = 0.0;
    for (&pi, &qi) in p.iter().zip(q) {
        let (pi, qi) = (pi / sp, qi / sq);
        let m = (pi + qi) / 2.0;
        left += rel_entr(pi, m);
        right += rel_entr(qi, m);
    }
    ((left + right) / 2.0).max(0.0).sqrt()
}

/// `scipy.special.rel_entr`: `x ln(x / y)` for positive `x, y`, 0 for `x = 0`.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// Evidently's Jensen–Shannon distance for a categorical column.
///
/// Both samples are turned into category shares (`count / n`) over the union of categories, a
/// category absent from one sample having share 0 there (Evidently calls `get_binned_data` with
/// `feel_zeroes=False`, so no smoothing), and the distance is
/// `scipy.spatial.distance.jensenshannon(reference_shares, current_shares)` with the default
/// natural-log base (Evidently passes `base=None`). Range `[0, sqrt(ln 2)] ≈ [0, 0.8326]`.
///
/// # Errors
/// [`DriftError::EmptySample`] if either sample is empty.
///
/// # Example
/// ```
/// let d = drift_stats::jensen_shannon_distance(&["a", "b"], &["a", "b"]).unwrap();
/// assert_eq!(d, 0.0);
/// ```
pub fn jensen_shannon_distance<T: Ord>(reference: &[T], current: &[T]) -> Result<f64, DriftError> {
    let counts = count_categories(reference, current);
    jensen_shannon_from_counts(&counts.reference, &counts.current)
}

/// [`jensen_shannon_distance`] on pre-aggregated counts: `reference[i]` and `current[i]` count
/// the same category.
///
/// # Errors
/// [`DriftError::LengthMismatch`] if the slices differ in length, [`DriftError::EmptySample`] if
/// either total is zero.
pub fn jensen_shannon_from_counts(reference: &[u64], current: &[u64]) -> Result<f64, DriftError> {
    let (n_ref, n_cur) = check_counts(reference, current)?;
    let p: Vec<f64> = reference.iter().map(|&c| c as f64 / n_ref as f64).collect();
    let q: Vec<f64> = current.iter().map(|&c| c as f64 / n_cur as f64).collect();
    Ok(js_from_weights(&p, &q))
}
