//! Binary classification metrics with fraud as the positive class, and threshold choice.

use crate::Error;

/// Counts of a binary confusion matrix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confusion {
    /// Fraud predicted fraud.
    pub tp: u64,
    /// Legit predicted fraud.
    pub fp: u64,
    /// Legit predicted legit.
    pub tn: u64,
    /// Fraud predicted legit.
    pub fn_: u64,
}

impl Confusion {
    /// Counts `(actual, predicted)` pairs, true = fraud.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> Confusion {
        let mut c = Confusion::default();
        for (actual, predicted) in pairs {
            match (actual, predicted) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
                (true, false) => c.fn_ += 1,
            }
        }
        c
    }

    /// All samples.
    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// Share of correct predictions.
    pub fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.total())
    }

    /// Of the messages flagged fraud, the share that is fraud (0 when none is flagged).
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// Of the fraud messages, the share flagged (0 when there is none).
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Recall of the legit class.
    pub fn specificity(&self) -> f64 {
        ratio(self.tn, self.tn + self.fp)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }

    /// Mean of the recalls of both classes.
    pub fn balanced_accuracy(&self) -> f64 {
        (self.recall() + self.specificity()) / 2.0
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// The metrics the trainer, the evaluator and the drift monitor report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BinaryMetrics {
    /// Share correct.
    pub accuracy: f64,
    /// Fraud precision.
    pub precision: f64,
    /// Fraud recall.
    pub recall: f64,
    /// Fraud F1.
    pub f1: f64,
    /// Mean per-class recall.
    pub balanced_accuracy: f64,
    /// Area under the ROC curve (None with a single class).
    pub roc_auc: Option<f64>,
    /// Average precision, the step-wise area under the precision-recall curve.
    pub pr_auc: Option<f64>,
    /// The confusion matrix at the threshold.
    pub confusion: Confusion,
}

impl BinaryMetrics {
    /// Metrics of `scores` (P(fraud)) against `actual` (true = fraud) at `threshold`.
    pub fn compute(actual: &[bool], scores: &[f64], threshold: f64) -> BinaryMetrics {
        assert_eq!(actual.len(), scores.len(), "one score per label");
        let confusion = Confusion::from_pairs(
            actual
                .iter()
                .zip(scores)
                .map(|(&a, &s)| (a, s >= threshold)),
        );
        BinaryMetrics {
            accuracy: confusion.accuracy(),
            precision: confusion.precision(),
            recall: confusion.recall(),
            f1: confusion.f1(),
            balanced_accuracy: confusion.balanced_accuracy(),
            roc_auc: roc_auc(actual, scores),
            pr_auc: average_precision(actual, scores),
            confusion,
        }
    }
}

/// ROC-AUC as the Mann-Whitney statistic, ties counted half. None unless both classes occur.
pub fn roc_auc(actual: &[bool], scores: &[f64]) -> Option<f64> {
    let pos = actual.iter().filter(|&&a| a).count();
    let neg = actual.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of (average) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += avg_rank * order[i..=j].iter().filter(|&&k| actual[k]).count() as f64;
        i = j + 1;
    }
    let (pos, neg) = (pos as f64, neg as f64);
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Average precision: `sum_n (R_n - R_{n-1}) P_n` over distinct score thresholds, highest first
/// (scikit-learn's `average_precision_score`). None without positives.
pub fn average_precision(actual: &[bool], scores: &[f64]) -> Option<f64> {
    let pos = actual.iter().filter(|&&a| a).count();
    if pos == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp, mut prev_recall, mut ap) = (0u64, 0u64, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let s = scores[order[i]];
        while i < order.len() && scores[order[i]] == s {
            if actual[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        let recall = tp as f64 / pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    }
    Some(ap)
}

/// How the decision threshold of a model is chosen on validation scores.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)
)]
pub enum ThresholdPolicy {
    /// The threshold with the highest F1.
    MaxF1,
    /// The highest-recall threshold whose precision is at least `precision`
    /// (falls back to the max-F1 threshold when no threshold reaches it).
    MinPrecision {
        /// Required precision, in (0, 1].
        precision: f64,
    },
    /// A fixed threshold.
    Fixed {
        /// The threshold, in (0, 1).
        threshold: f64,
    },
}

impl ThresholdPolicy {
    /// Picks the threshold for `scores` against `actual`. Candidate thresholds are the scores
    /// themselves; a chosen one lies halfway between it and the next lower score, so a small
    /// shift in scores does not flip the boundary sample.
    pub fn choose(&self, actual: &[bool], scores: &[f64]) -> Result<f64, Error> {
        if let ThresholdPolicy::Fixed { threshold } = *self {
            if !(threshold > 0.0 && threshold < 1.0) {
                return Err(Error::invalid_config(format_args!(
                    "threshold {threshold} must be in (0, 1)"
                )));
            }
            return Ok(threshold);
        }
        let pos = actual.iter().filter(|&&a| a).count();
        if pos == 0 || pos == actual.len() {
            return Err(Error::invalid_data(
                "threshold choice needs both classes in the validation scores",
            ));
        }
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let (mut tp, mut fp) = (0u64, 0u64);
        let mut best_f1 = (-1.0, 0.5);
        let mut best_precise: Option<(f64, f64)> = None;
        let mut i = 0;
        while i < order.len() {
            let s = scores[order[i]];
            while i < order.len() && scores[order[i]] == s {
                if actual[order[i]] {
                    tp += 1
                } else {
                    fp += 1
                }
                i += 1;
            }
            let next_lower = if i < order.len() {
                scores[order[i]]
            } else {
                0.0
            };
            let cut = (s + next_lower) / 2.0;
            let fn_ = pos as u64 - tp;
            let f1 = 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64;
            if f1 > best_f1.0 {
                best_f1 = (f1, cut);
            }
            if let ThresholdPolicy::MinPrecision { precision } = *self {
                let p = tp as f64 / (tp + fp) as f64;
                let recall = tp as f64 / pos as f64;
                if p >= precision && best_precise.is_none_or(|(r, _)| recall > r) {
                    best_precise = Some((recall, cut));
                }
            }
        }
        let chosen = match *self {
            ThresholdPolicy::MinPrecision { precision }
                if !(precision > 0.0 && precision <= 1.0) =>
            {
                return Err(Error::invalid_config(format_args!(
                    "precision {precision} must be in (0, 1]"
                )));
            }
            ThresholdPolicy::MinPrecision { .. } => best_precise.map_or(best_f1.1, |(_, cut)| cut),
            _ => best_f1.1,
        };
        Ok(chosen.clamp(1e-6, 1.0 - 1e-6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_metrics_match_hand_computation() {
        // tp 3, fp 1, tn 4, fn 2.
        let actual = [
            true, true, true, false, false, false, false, false, true, true,
        ];
        let scores = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.45, 0.05];
        let m = BinaryMetrics::compute(&actual, &scores, 0.5);
        assert_eq!(
            m.confusion,
            Confusion {
                tp: 3,
                fp: 1,
                tn: 4,
                fn_: 2
            }
        );
        assert!((m.accuracy - 0.7).abs() < 1e-12);
        assert!((m.precision - 0.75).abs() < 1e-12);
        assert!((m.recall - 0.6).abs() < 1e-12);
        assert!((m.f1 - 6.0 / 9.0).abs() < 1e-12);
        assert!((m.balanced_accuracy - (0.6 + 0.8) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn roc_auc_and_average_precision_by_hand() {
        // Positives at 0.9, 0.4; negatives at 0.8, 0.3. Pairs won: (0.9>0.8),(0.9>0.3),(0.4>0.3)
        // = 3 of 4 -> 0.75. AP: ranks 0.9(+) P=1 R=.5, 0.8(-), 0.4(+) P=2/3 R=1 ->
        // 0.5*1 + 0.5*2/3 = 0.8333.
        let actual = [true, false, true, false];
        let scores = [0.9, 0.8, 0.4, 0.3];
        assert!((roc_auc(&actual, &scores).unwrap() - 0.75).abs() < 1e-12);
        assert!((average_precision(&actual, &scores).unwrap() - 0.833_333_333).abs() < 1e-8);
        // Ties count half.
        assert!((roc_auc(&[true, false], &[0.5, 0.5]).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
    }

    #[test]
    fn zero_divisions_give_zero() {
        let c = Confusion {
            tp: 0,
            fp: 0,
            tn: 5,
            fn_: 0,
        };
        assert_eq!(c.precision(), 0.0);
        assert_eq!(c.recall(), 0.0);
        assert_eq!(c.f1(), 0.0);
    }

    #[test]
    fn threshold_policies() {
        let actual = [true, true, false, true, false, false];
        let scores = [0.95, 0.85, 0.7, 0.6, 0.3, 0.1];
        // Best F1 keeps the top 4 (tp 3, fp 1: F1 0.857); cut between 0.6 and 0.3.
        let t = ThresholdPolicy::MaxF1.choose(&actual, &scores).unwrap();
        assert!((t - 0.45).abs() < 1e-12, "{t}");
        // Precision 1.0 is reached only by the top two: cut between 0.85 and 0.7.
        let t = ThresholdPolicy::MinPrecision { precision: 1.0 }
            .choose(&actual, &scores)
            .unwrap();
        assert!((t - 0.775).abs() < 1e-12, "{t}");
        assert_eq!(
            ThresholdPolicy::Fixed { threshold: 0.3 }
                .choose(&actual, &scores)
                .unwrap(),
            0.3
        );
        assert!(ThresholdPolicy::Fixed { threshold: 1.5 }
            .choose(&actual, &scores)
            .is_err());
        assert!(ThresholdPolicy::MaxF1
            .choose(&[true, true], &[0.2, 0.3])
            .is_err());
    }
}
