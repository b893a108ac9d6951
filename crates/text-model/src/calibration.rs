//! Probability calibration: Platt scaling of decision values, chosen by cross-validation on
//! out-of-fold scores, and the expected calibration error with its reliability curve.
//!
//! Class weighting makes logistic regression's probabilities too high for the minority
//! class; the drift monitor's label-free estimate assumes a score of 0.8 means "fraud 80 % of
//! the time". Platt scaling maps a decision value `z` to `sigmoid(a * z + b)`, which folds
//! into the linear model itself (`a * w`, `a * intercept + b`), so a calibrated model is still
//! a logistic regression and its bundle format does not change.

use crate::logistic::sigmoid;
use crate::Error;

/// How scores are calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CalibrationMethod {
    /// Platt scaling when it lowers the cross-validated log loss of the out-of-fold scores,
    /// else none.
    #[default]
    Auto,
    /// Always Platt scaling.
    Platt,
    /// The classifier's own probabilities.
    None,
}

/// A fitted Platt scaling: `P = sigmoid(a * z + b)` of a decision value `z`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Platt {
    /// Slope.
    pub a: f64,
    /// Offset.
    pub b: f64,
}

impl Platt {
    /// The identity: the classifier's own probabilities.
    pub const IDENTITY: Platt = Platt { a: 1.0, b: 0.0 };

    /// Fits `a`, `b` by Newton's method on the log loss, with Platt's smoothed targets
    /// (`(n+ + 1) / (n+ + 2)` and `1 / (n- + 2)`) so separable scores do not diverge.
    pub fn fit(decisions: &[f64], actual: &[bool]) -> Result<Platt, Error> {
        let pos = actual.iter().filter(|&&a| a).count() as f64;
        let neg = actual.len() as f64 - pos;
        if pos == 0.0 || neg == 0.0 {
            return Err(Error::invalid_data("calibration needs both classes"));
        }
        let hi = (pos + 1.0) / (pos + 2.0);
        let lo = 1.0 / (neg + 2.0);
        let t: Vec<f64> = actual.iter().map(|&a| if a { hi } else { lo }).collect();
        let (mut a, mut b) = (1.0, 0.0);
        let loss = |a: f64, b: f64| -> f64 {
            decisions
                .iter()
                .zip(&t)
                .map(|(&z, &t)| {
                    let f = a * z + b;
                    // log(1 + e^f) - t f, stable.
                    (if f > 0.0 {
                        f + (-f).exp().ln_1p()
                    } else {
                        f.exp().ln_1p()
                    }) - t * f
                })
                .sum()
        };
        let mut current = loss(a, b);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-12, 0.0, 1e-12);
            for (&z, &t) in decisions.iter().zip(&t) {
                let p = sigmoid(a * z + b);
                let d = p - t;
                let w = p * (1.0 - p);
                ga += d * z;
                gb += d;
                haa += w * z * z;
                hab += w * z;
                hbb += w;
            }
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-300 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            // Backtracking keeps every step a descent.
            let mut step = 1.0;
            let mut improved = false;
            while step > 1e-10 {
                let (na, nb) = (a - step * da, b - step * db);
                let next = loss(na, nb);
                if next <= current {
                    improved = current - next > 1e-12 * current.abs().max(1.0);
                    (a, b, current) = (na, nb, next);
                    break;
                }
                step /= 2.0;
            }
            if !improved {
                break;
            }
        }
        Ok(Platt { a, b })
    }

    /// The calibrated probability of a decision value.
    pub fn apply(&self, decision: f64) -> f64 {
        sigmoid(self.a * decision + self.b)
    }
}

/// Mean log loss of probabilities, clipped away from 0 and 1.
pub fn log_loss(actual: &[bool], scores: &[f64]) -> f64 {
    let n = actual.len().max(1) as f64;
    actual
        .iter()
        .zip(scores)
        .map(|(&a, &p)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            -(if a { p.ln() } else { (1.0 - p).ln() })
        })
        .sum::<f64>()
        / n
}

/// One bin of a reliability curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReliabilityBin {
    /// Lower edge of the bin's score range.
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Rows whose score falls in the bin.
    pub count: usize,
    /// Their mean score.
    pub mean_score: f64,
    /// Their share of fraud.
    pub fraud_rate: f64,
}

/// Expected calibration error and its reliability curve over equal-width score bins.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationError {
    /// `sum over bins of (count / n) * |fraud_rate - mean_score|`.
    pub ece: f64,
    /// The non-empty bins, lowest first.
    pub bins: Vec<ReliabilityBin>,
}

/// Bins of [`expected_calibration_error`].
pub const CALIBRATION_BINS: usize = 10;

/// The expected calibration error of `scores` against `actual` over
/// [`CALIBRATION_BINS`] equal-width bins.
pub fn expected_calibration_error(actual: &[bool], scores: &[f64]) -> CalibrationError {
    let k = CALIBRATION_BINS;
    let mut sums = vec![(0usize, 0.0f64, 0usize); k];
    for (&a, &s) in actual.iter().zip(scores) {
        let bin = ((s * k as f64) as usize).min(k - 1);
        sums[bin].0 += 1;
        sums[bin].1 += s;
        sums[bin].2 += usize::from(a);
    }
    let n = actual.len().max(1) as f64;
    let mut ece = 0.0;
    let mut bins = Vec::new();
    for (i, &(count, score_sum, fraud)) in sums.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let mean_score = score_sum / count as f64;
        let fraud_rate = fraud as f64 / count as f64;
        ece += count as f64 / n * (fraud_rate - mean_score).abs();
        bins.push(ReliabilityBin {
            lower: i as f64 / k as f64,
            upper: (i + 1) as f64 / k as f64,
            count,
            mean_score,
            fraud_rate,
        });
    }
    CalibrationError { ece, bins }
}

/// Cross-fitted Platt probabilities: each fold's decision values are mapped by a scaling
/// fitted on the other folds, so their calibration error is an honest estimate.
pub fn cross_fitted_platt(
    decisions: &[f64],
    actual: &[bool],
    fold_of: &[usize],
    folds: usize,
) -> Result<Vec<f64>, Error> {
    let mut out = vec![f64::NAN; decisions.len()];
    for k in 0..folds {
        let (z, y): (Vec<f64>, Vec<bool>) = decisions
            .iter()
            .zip(actual)
            .zip(fold_of)
            .filter(|(_, &f)| f != k)
            .map(|((&z, &y), _)| (z, y))
            .unzip();
        let platt = Platt::fit(&z, &y)?;
        for (i, &f) in fold_of.iter().enumerate() {
            if f == k {
                out[i] = platt.apply(decisions[i]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_recovers_a_known_scaling() {
        // Labels drawn from sigmoid(0.5 z - 1): the fit must find roughly a = 0.5, b = -1.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let z: Vec<f64> = (0..20000).map(|i| (i as f64 / 1000.0) - 10.0).collect();
        let y: Vec<bool> = z
            .iter()
            .map(|&z| uniform() < sigmoid(0.5 * z - 1.0))
            .collect();
        let platt = Platt::fit(&z, &y).unwrap();
        assert!((platt.a - 0.5).abs() < 0.05, "{platt:?}");
        assert!((platt.b + 1.0).abs() < 0.1, "{platt:?}");
    }

    #[test]
    fn ece_is_zero_for_perfect_bins_and_large_for_overconfident_ones() {
        let actual = [true, false, true, false];
        assert!(expected_calibration_error(&actual, &[0.5; 4]).ece < 1e-12);
        let over = expected_calibration_error(&actual, &[0.95; 4]);
        assert!((over.ece - 0.45).abs() < 1e-12, "{over:?}");
        assert_eq!(over.bins.len(), 1);
        assert_eq!(over.bins[0].count, 4);
    }
}
