//! Distances between numeric samples: Wasserstein-1 (normed as Evidently does) and the binned
//! Jensen–Shannon distance.

use std::collections::BTreeSet;

use crate::categorical::{count_categories, js_from_weights};
use crate::{check_numeric, DriftError, F64Key};

/// Lower bound on the reference standard deviation used by [`wasserstein_distance_norm`]; the
/// same `0.001` as Evidently's `max(np.std(reference), 0.001)`.
pub const WASSERSTEIN_MIN_STD: f64 = 0.001;

/// Reference columns with at most this many distinct values are binned per value, not by
/// histogram, in [`jensen_shannon_numeric`] (Evidently's `get_binned_data` uses a histogram only
/// when `reference.nunique() > 20`).
pub const JS_PER_VALUE_MAX_UNIQUE: usize = 20;

/// First Wasserstein (earth mover's) distance between two 1-D empirical distributions, as
/// `scipy.stats.wasserstein_distance(a, b)`: `∫ |F_a(x) - F_b(x)| dx`.
///
/// # Errors
/// [`DriftError::EmptySample`] if either sample is empty, [`DriftError::NonFinite`] if a value is
/// NaN or infinite.
pub fn wasserstein_distance(a: &[f64], b: &[f64]) -> Result<f64, DriftError> {
    check_numeric(a, "first")?;
    check_numeric(b, "second")?;
    let mut u = a.to_vec();
    let mut v = b.to_vec();
    u.sort_by(f64::total_cmp);
    v.sort_by(f64::total_cmp);
    let mut all: Vec<f64> = u.iter().chain(&v).copied().collect();
    all.sort_by(f64::total_cmp);
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    let (mut iu, mut iv) = (0usize, 0usize);
    let mut total = 0.0;
    for w in all.windows(2) {
        let x = w[0];
        let delta = w[1] - w[0];
        while iu < u.len() && u[iu] <= x {
            iu += 1;
        }
        while iv < v.len() && v[iv] <= x {
            iv += 1;
        }
        total += (iu as f64 / nu - iv as f64 / nv).abs() * delta;
    }
    Ok(total)
}

/// Population standard deviation (`numpy.std`, `ddof=0`).
pub(crate) fn population_std(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    (ss / n).sqrt()
}

/// Evidently's normed Wasserstein distance:
/// `scipy.stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001)`
/// (population standard deviation, `ddof=0`).
///
/// A constant reference (standard deviation 0) is divided by [`WASSERSTEIN_MIN_STD`] exactly as
/// in Evidently: identical constant samples give 0, and any shift of the current data gives a
/// large value (`1000 ×` the raw distance), i.e. drift.
///
/// # Errors
/// As [`wasserstein_distance`].
///
/// # Example
/// ```
/// let d = drift_stats::wasserstein_distance_norm(&[0.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
/// assert!((d - 1.0 / 1.25f64.sqrt()).abs() < 1e-12);
/// ```
pub fn wasserstein_distance_norm(reference: &[f64], current: &[f64]) -> Result<f64, DriftError> {
    let distance = wasserstein_distance(reference, current)?;
    let norm = population_std(reference).max(WASSERSTEIN_MIN_STD);
    Ok(distance / norm)
}

/// `numpy.linspace(start, stop, num)` with `endpoint=True`, computed as NumPy does
/// (`i * step + start`, last value set to `stop`).
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut out: Vec<f64> = (0..num)
        .map(|i| {
            if step == 0.0 {
                i as f64 / div * delta + start
            } else {
                i as f64 * step + start
            }
        })
        .collect();
    if num > 1 {
        out[num - 1] = stop;
    }
    out
}

fn outer_edges(data: &[f64]) -> (f64, f64) {
    let first = data.iter().copied().fold(f64::INFINITY, f64::min);
    let last = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if first == last {
        (first - 0.5, last + 0.5)
    } else {
        (first, last)
    }
}

/// `numpy.histogram_bin_edges(data, bins='sturges')`: `ceil(range / (range / (log2(n) + 1)))`
/// equal-width bins over `[min, max]`.
pub(crate) fn sturges_bin_edges(data: &[f64]) -> Vec<f64> {
    let (first, last) = outer_edges(data);
    let min = data.iter().copied().fold(f64::INFINITY, f64::min);
    let max = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = (max - min) / ((data.len() as f64).log2() + 1.0);
    let n_bins = if width != 0.0 {
        ((last - first) / width).ceil() as usize
    } else {
        1
    };
    linspace(first, last, n_bins + 1)
}

/// `numpy.histogram_bin_edges(data, bins=n_bins)`: equal-width bins over `[min, max]`.
pub(crate) fn equal_width_bin_edges(data: &[f64], n_bins: usize) -> Vec<f64> {
    let (first, last) = outer_edges(data);
    linspace(first, last, n_bins + 1)
}

/// `numpy.histogram(data, edges)[0]`: bins are `[e_i, e_{i+1})`, the last one closed; values
/// outside `[e_0, e_last]` are not counted.
pub(crate) fn histogram_counts(data: &[f64], edges: &[f64]) -> Vec<u64> {
    let mut sorted = data.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = edges.len() - 1;
    let cum: Vec<usize> = edges
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            if i == last {
                sorted.partition_point(|&x| x <= e)
            } else {
                sorted.partition_point(|&x| x < e)
            }
        })
        .collect();
    cum.windows(2).map(|w| (w[1] - w[0]) as u64).collect()
}

/// Evidently's Jensen–Shannon distance for a numeric column.
///
/// * `bins = None` follows Evidently's `get_binned_data` (used by its `jensenshannon` stattest):
///   if the reference has more than [`JS_PER_VALUE_MAX_UNIQUE`] distinct values, both samples
///   are histogrammed on `numpy.histogram_bin_edges(concat(reference, current), bins='sturges')`
///   (edges from the pooled data, not from the reference alone); otherwise every distinct value
///   is its own category, exactly as [`jensen_shannon_distance`](crate::jensen_shannon_distance).
///   Evidently's `n_bins` argument is not used by that code path, so there is nothing to pass.
/// * `bins = Some(k)` always histograms, on `k` equal-width bins over the pooled range
///   (`numpy.histogram_bin_edges(concat(reference, current), bins=k)`).
///
/// Shares are `count / n` without smoothing and the distance is
/// `scipy.spatial.distance.jensenshannon(reference_shares, current_shares)` (natural log).
///
/// # Errors
/// [`DriftError::EmptySample`] if either sample is empty, [`DriftError::NonFinite`] for NaN or
/// infinite values, [`DriftError::InvalidArgument`] for `Some(0)` bins.
pub fn jensen_shannon_numeric(
    reference: &[f64],
    current: &[f64],
    bins: Option<usize>,
) -> Result<f64, DriftError> {
    check_numeric(reference, "reference")?;
    check_numeric(current, "current")?;
    let pooled: Vec<f64> = reference.iter().chain(current).copied().collect();
    let edges = match bins {
        Some(0) => {
            return Err(DriftError::InvalidArgument(
                "the number of bins must be positive".to_owned(),
            ))
        }
        Some(k) => equal_width_bin_edges(&pooled, k),
        None => {
            let unique: BTreeSet<F64Key> = reference.iter().map(|&x| F64Key::new(x)).collect();
            if unique.len() <= JS_PER_VALUE_MAX_UNIQUE {
                let r: Vec<F64Key> = reference.iter().map(|&x| F64Key::new(x)).collect();
                let c: Vec<F64Key> = current.iter().map(|&x| F64Key::new(x)).collect();
                let counts = count_categories(&r, &c);
                return crate::jensen_shannon_from_counts(&counts.reference, &counts.current);
            }
            sturges_bin_edges(&pooled)
        }
    };
    let n_ref = reference.len() as f64;
    let n_cur = current.len() as f64;
    let p: Vec<f64> = histogram_counts(reference, &edges)
        .iter()
        .map(|&c| c as f64 / n_ref)
        .collect();
    let q: Vec<f64> = histogram_counts(current, &edges)
        .iter()
        .map(|&c| c as f64 / n_cur)
        .collect();
    Ok(js_from_weights(&p, &q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_matches_numpy_shape() {
        assert_eq!(linspace(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }

    #[test]
    fn sturges_constant_data_is_one_bin() {
        assert_eq!(sturges_bin_edges(&[2.0, 2.0, 2.0]), vec![1.5, 2.5]);
    }

    #[test]
    fn histogram_last_bin_is_closed() {
        assert_eq!(
            histogram_counts(&[0.0, 0.5, 1.0, 1.0], &[0.0, 0.5, 1.0]),
            vec![1, 3]
        );
    }

    #[test]
    fn population_std_is_ddof0() {
        assert!((population_std(&[1.0, 2.0, 3.0, 4.0]) - 1.25f64.sqrt()).abs() < 1e-15);
    }
}
