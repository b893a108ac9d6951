//! Label-free performance estimation (confidence-based, as NannyML's CBPE).
//!
//! The model's scores are calibrated on the reference set (histogram binning on its
//! out-of-fold scores and true labels). For a current message with calibrated probability
//! `c`, a fraud prediction is a true positive with probability `c` and a false positive with
//! `1 - c`; summing gives the expected confusion matrix without any label. This holds only if
//! the relation between text and label has not changed (no concept drift) and the calibration
//! carries over, which text drift can break; the report says so.

use serde::Serialize;

/// Expected performance without labels.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EstimatedPerformance {
    /// Expected precision.
    pub precision: f64,
    /// Expected recall.
    pub recall: f64,
    /// Expected F1.
    pub f1: f64,
    /// Expected accuracy.
    pub accuracy: f64,
    /// Rows the estimate covers.
    pub rows: usize,
    /// Expected calibration error of the raw risk scores on the reference, which the binning
    /// corrects (0 = the raw scores were already calibrated).
    pub raw_score_calibration_error: f64,
    /// False when a known condition breaks the estimate's assumptions.
    pub assumptions_hold: bool,
    /// Why they may not hold.
    pub caveats: Vec<String>,
}

/// Histogram-binning calibration fitted on reference scores and labels.
#[derive(Debug, Clone)]
pub struct Calibration {
    edges: Vec<f64>,
    rates: Vec<f64>,
    /// Expected calibration error of the raw scores on the reference.
    pub raw_error: f64,
}

impl Calibration {
    /// Fits `bins` quantile bins; each bin's rate is its (smoothed) fraud share.
    pub fn fit(scores: &[f64], labels: &[bool], bins: usize) -> Option<Calibration> {
        if scores.len() < bins.max(2) * 5 {
            return None;
        }
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        let per_bin = scores.len().div_ceil(bins);
        let (mut edges, mut rates, mut error) = (Vec::new(), Vec::new(), 0.0);
        for chunk in order.chunks(per_bin) {
            let fraud = chunk.iter().filter(|&&i| labels[i]).count() as f64;
            let rate = (fraud + 0.5) / (chunk.len() as f64 + 1.0);
            let mean_score = chunk.iter().map(|&i| scores[i]).sum::<f64>() / chunk.len() as f64;
            error += (chunk.len() as f64 / scores.len() as f64)
                * (mean_score - fraud / chunk.len() as f64).abs();
            edges.push(scores[*chunk.last().expect("chunks are non-empty")]);
            rates.push(rate);
        }
        Some(Calibration {
            edges,
            rates,
            raw_error: error,
        })
    }

    /// The calibrated probability of a score.
    pub fn probability(&self, score: f64) -> f64 {
        let bin = self
            .edges
            .partition_point(|&e| e < score)
            .min(self.rates.len() - 1);
        self.rates[bin]
    }
}

/// Estimates performance of `(score, predicted_fraud)` rows.
pub fn estimate(
    calibration: &Calibration,
    rows: &[(f64, bool)],
    caveats: Vec<String>,
) -> EstimatedPerformance {
    let (mut tp, mut fp, mut fn_, mut tn) = (0.0, 0.0, 0.0, 0.0);
    for &(score, predicted_fraud) in rows {
        let c = calibration.probability(score);
        if predicted_fraud {
            tp += c;
            fp += 1.0 - c;
        } else {
            fn_ += c;
            tn += 1.0 - c;
        }
    }
    let div = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    EstimatedPerformance {
        precision: div(tp, tp + fp),
        recall: div(tp, tp + fn_),
        f1: div(2.0 * tp, 2.0 * tp + fp + fn_),
        accuracy: div(tp + tn, tp + fp + fn_ + tn),
        rows: rows.len(),
        raw_score_calibration_error: calibration.raw_error,
        assumptions_hold: caveats.is_empty(),
        caveats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibrated_scores_give_the_expected_confusion() {
        // A perfectly calibrated reference: in each bin the fraud share equals the score.
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for bin in 0..10 {
            let p = (bin as f64 + 0.5) / 10.0;
            for i in 0..100 {
                scores.push(p);
                labels.push((i as f64) < p * 100.0);
            }
        }
        let cal = Calibration::fit(&scores, &labels, 10).unwrap();
        assert!(cal.raw_error < 0.01, "{}", cal.raw_error);
        assert!((cal.probability(0.95) - 95.5 / 101.0).abs() < 1e-12);
        // Current: one row at 0.95 predicted fraud, one at 0.05 predicted legit.
        let est = estimate(&cal, &[(0.95, true), (0.05, false)], vec![]);
        let (c_hi, c_lo) = (95.5 / 101.0, 5.5 / 101.0);
        assert!((est.precision - c_hi).abs() < 1e-12);
        assert!((est.recall - c_hi / (c_hi + c_lo)).abs() < 1e-12);
        assert!(est.assumptions_hold);
        let caveated = estimate(&cal, &[(0.95, true)], vec!["text drift".into()]);
        assert!(!caveated.assumptions_hold);
    }

    #[test]
    fn too_few_reference_rows_give_no_calibration() {
        assert!(Calibration::fit(&[0.1, 0.9], &[false, true], 10).is_none());
    }
}
