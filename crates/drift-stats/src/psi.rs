//! Population Stability Index on reference-quantile bins.

use crate::{check_numeric, DriftError};

/// Default number of PSI bins (deciles of the reference).
pub const DEFAULT_PSI_BINS: usize = 10;

/// Floor applied to every bin share before the PSI term is computed, so that an empty bin
/// contributes a large but finite amount instead of `ln 0`.
pub const PSI_SHARE_FLOOR: f64 = 1e-4;

/// PSI below this value: no meaningful shift.
pub const PSI_MODERATE: f64 = 0.1;
/// PSI at or above this value: significant shift.
pub const PSI_SIGNIFICANT: f64 = 0.25;

/// One PSI bin: the interval `[lower, upper)` and both samples' shares in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PsiBin {
    /// Inclusive lower bound; `-inf` for the first bin.
    pub lower: f64,
    /// Exclusive upper bound; `+inf` for the last bin.
    pub upper: f64,
    /// Share of the reference in the bin, floored at [`PSI_SHARE_FLOOR`].
    pub ref_share: f64,
    /// Share of the current sample in the bin, floored at [`PSI_SHARE_FLOOR`].
    pub cur_share: f64,
}

/// Result of [`psi`].
#[derive(Debug, Clone, PartialEq)]
pub struct Psi {
    /// `Σ (cur_share - ref_share) · ln(cur_share / ref_share)` over the bins (non-negative).
    pub value: f64,
    /// The bins, in ascending order; they cover the whole real line.
    pub bins: Vec<PsiBin>,
}

/// Conventional interpretation band of a PSI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PsiBand {
    /// PSI < 0.1: no meaningful shift (`"none"`).
    Negligible,
    /// 0.1 <= PSI < 0.25: moderate shift (`"moderate"`).
    Moderate,
    /// PSI >= 0.25: significant shift (`"significant"`).
    Significant,
}

impl PsiBand {
    /// `"none"`, `"moderate"` or `"significant"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PsiBand::Negligible => "none",
            PsiBand::Moderate => "moderate",
            PsiBand::Significant => "significant",
        }
    }
}

impl std::fmt::Display for PsiBand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Band of a PSI value: `< 0.1` none, `0.1..0.25` moderate, `>= 0.25` significant. NaN maps
/// to [`PsiBand::Negligible`].
pub fn psi_band(value: f64) -> PsiBand {
    if value >= PSI_SIGNIFICANT {
        PsiBand::Significant
    } else if value >= PSI_MODERATE {
        PsiBand::Moderate
    } else {
        PsiBand::Negligible
    }
}

/// `numpy.quantile(sorted, q)` with the default `'linear'` method, including NumPy's
/// two-sided linear interpolation.
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = q * (n - 1) as f64;
    let lo = virtual_index.floor();
    let lo_i = (lo as usize).min(n - 1);
    let hi_i = (lo_i + 1).min(n - 1);
    let t = virtual_index - lo;
    let (a, b) = (sorted[lo_i], sorted[hi_i]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Population Stability Index of `current` against `reference` on quantile bins of the
/// reference.
///
/// Cut points are the reference quantiles at `k / bins` for `k = 1..bins-1` (NumPy's default
/// linear interpolation), with duplicates removed (so heavily tied references give fewer bins).
/// Bins are `[cut_{i-1}, cut_i)`, the first starting at `-inf` and the last ending at `+inf`,
/// so current values outside the reference range still count. Each share is floored at
/// [`PSI_SHARE_FLOOR`], and `PSI = Σ (cur - ref) · ln(cur / ref)`.
///
/// This is the classic credit-scoring PSI for model scores. It differs from Evidently's `psi`
/// stattest, which bins on Sturges histogram edges of the pooled data.
///
/// # Errors
/// [`DriftError::EmptySample`] if either sample is empty, [`DriftError::NonFinite`] for NaN or
/// infinite values, [`DriftError::InvalidArgument`] if `bins` is 0.
///
/// # Example
/// ```
/// let scores: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
/// let p = drift_stats::psi(&scores, &scores, drift_stats::DEFAULT_PSI_BINS).unwrap();
/// assert!(p.value.abs() < 1e-12);
/// assert_eq!(drift_stats::psi_band(p.value).as_str(), "none");
/// ```
pub fn psi(reference: &[f64], current: &[f64], bins: usize) -> Result<Psi, DriftError> {
    check_numeric(reference, "reference")?;
    check_numeric(current, "current")?;
    if bins == 0 {
        return Err(DriftError::InvalidArgument(
            "the number of PSI bins must be positive".to_owned(),
        ));
    }
    let mut sorted = reference.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut cuts: Vec<f64> = (1..bins)
        .map(|k| quantile_sorted(&sorted, k as f64 / bins as f64))
        .collect();
    cuts.dedup();

    let bin_of = |x: f64| cuts.partition_point(|&c| c <= x);
    let shares = |data: &[f64]| {
        let mut counts = vec![0u64; cuts.len() + 1];
        for &x in data {
            counts[bin_of(x)] += 1;
        }
        let n = data.len() as f64;
        counts
            .into_iter()
            .map(|c| (c as f64 / n).max(PSI_SHARE_FLOOR))
            .collect::<Vec<f64>>()
    };
    let ref_shares = shares(reference);
    let cur_shares = shares(current);

    let mut value = 0.0;
    let mut out = Vec::with_capacity(ref_shares.len());
    for (i, (&r, &c)) in ref_shares.iter().zip(&cur_shares).enumerate() {
        value += (c - r) * (c / r).ln();
        out.push(PsiBin {
            lower: if i == 0 {
                f64::NEG_INFINITY
            } else {
                cuts[i - 1]
            },
            upper: cuts.get(i).copied().unwrap_or(f64::INFINITY),
            ref_share: r,
            cur_share: c,
        });
    }
    Ok(Psi { value, bins: out })
}
