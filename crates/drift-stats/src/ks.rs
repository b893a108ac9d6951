//! Two-sample Kolmogorov–Smirnov test.

use crate::kolmogorov::{gcd, kstwo_sf, two_sample_exact_sf};
use crate::{check_numeric, DriftError, TestResult};

/// Largest sample size for which [`KsMethod::Auto`] uses the exact distribution; SciPy's
/// `MAX_AUTO_N` in `ks_2samp`.
pub const KS_MAX_AUTO_EXACT_N: usize = 10_000;

/// How the p-value of [`ks_2samp_with`] is computed; mirrors SciPy's `method=` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KsMethod {
    /// SciPy's default `method='auto'`: [`KsMethod::Exact`] when both samples have at most
    /// [`KS_MAX_AUTO_EXACT_N`] values, otherwise [`KsMethod::Asymptotic`].
    #[default]
    Auto,
    /// The exact null distribution of the two-sample statistic (lattice-path counting), falling
    /// back to [`KsMethod::Asymptotic`] when `n1 / gcd >= i32::MAX / (n2 / gcd)` or when the
    /// computation leaves `[0, 1]`, as SciPy does. The reported statistic is rounded to the
    /// nearest multiple of `1 / lcm(n1, n2)`, as SciPy does in this mode.
    Exact,
    /// SciPy's `method='asymp'`: the one-sample two-sided distribution `kstwo` evaluated at
    /// `n = round(n1 n2 / (n1 + n2))` (not the limiting Kolmogorov distribution).
    Asymptotic,
}

/// Two-sided two-sample Kolmogorov–Smirnov test, matching `scipy.stats.ks_2samp(a, b)`
/// (`alternative='two-sided'`, `method='auto'`).
///
/// The statistic is `D = sup_x |F_a(x) - F_b(x)|` over the empirical CDFs (ties handled as in
/// SciPy, by evaluating both CDFs at every observed value). The p-value is exact for samples of
/// at most 10 000 values and uses SciPy's asymptotic approximation beyond; see [`KsMethod`].
///
/// # Errors
/// [`DriftError::EmptySample`] if either sample is empty, [`DriftError::NonFinite`] if a value is
/// NaN or infinite.
///
/// # Example
/// ```
/// let r = drift_stats::ks_2samp(&[1.0, 2.0, 3.0, 4.0], &[3.5, 4.5, 5.5, 6.5]).unwrap();
/// assert_eq!(r.statistic, 0.75);
/// ```
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Result<TestResult, DriftError> {
    ks_2samp_with(a, b, KsMethod::Auto)
}

/// [`ks_2samp`] with an explicit p-value method (SciPy's `method=`).
///
/// # Errors
/// As [`ks_2samp`].
pub fn ks_2samp_with(a: &[f64], b: &[f64], method: KsMethod) -> Result<TestResult, DriftError> {
    check_numeric(a, "first")?;
    check_numeric(b, "second")?;
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let d = ks_statistic_sorted(&a, &b);
    let (statistic, p_value) = ks_sf(a.len() as u64, b.len() as u64, d, method);
    Ok(TestResult { statistic, p_value })
}

/// The p-value of a two-sample KS statistic `d` for samples of `n1` and `n2` values, as
/// [`ks_2samp_with`] computes it: `(statistic, p_value)`, where the statistic is rounded to the
/// lattice of `1 / lcm(n1, n2)` when the exact distribution is used. Both sizes must be positive.
pub(crate) fn ks_sf(n1: u64, n2: u64, d: f64, method: KsMethod) -> (f64, f64) {
    let mut method = match method {
        KsMethod::Auto => {
            if n1.max(n2) <= KS_MAX_AUTO_EXACT_N as u64 {
                KsMethod::Exact
            } else {
                KsMethod::Asymptotic
            }
        }
        KsMethod::Exact => {
            let g = gcd(n1, n2);
            if (n1 / g) as f64 >= f64::from(i32::MAX) / (n2 / g) as f64 {
                KsMethod::Asymptotic
            } else {
                KsMethod::Exact
            }
        }
        KsMethod::Asymptotic => KsMethod::Asymptotic,
    };

    if method == KsMethod::Exact {
        if let Some((d_exact, p)) = two_sample_exact_sf(n1, n2, d) {
            return (d_exact, p.clamp(0.0, 1.0));
        }
        method = KsMethod::Asymptotic;
    }
    debug_assert_eq!(method, KsMethod::Asymptotic);
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = m * n / (m + n);
    // SciPy rounds half to even; `en` is only below 1 for n1 = n2 = 1, where SciPy's
    // `kstwo.sf(d, 0)` is NaN and we use n = 1 instead.
    let n_eff = (en.round_ties_even() as u64).max(1);
    (d, kstwo_sf(n_eff, d).clamp(0.0, 1.0))
}

/// `sup |F_a - F_b|` for sorted samples, computed exactly as SciPy does (`searchsorted(...,
/// 'right') / n` at every pooled value; `max(cdf_a - cdf_b)` versus `-min(cdf_a - cdf_b)`).
fn ks_statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let mut max_s = f64::NEG_INFINITY;
    let mut min_s = f64::INFINITY;
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        // Next pooled value, and both counts of values <= it.
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        let diff = i as f64 / n1 - j as f64 / n2;
        max_s = max_s.max(diff);
        min_s = min_s.min(diff);
    }
    let min_s = (-min_s).clamp(0.0, 1.0);
    if min_s > max_s {
        min_s
    } else {
        max_s
    }
}
