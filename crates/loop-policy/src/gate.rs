//! The promotion gate's verdict from scores of production and candidate on the same rows.

use serde::{Deserialize, Serialize};

/// The gate's settings, stored with each verdict so it can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateSettings {
    /// The candidate's F1 on the recent labelled rows must beat production's by at least
    /// this many points ...
    pub recent_margin_points: f64,
    /// ... or, with F1 no worse, its log loss there must be at least this share lower. On a
    /// few dozen recent rows F1 moves in steps of one message, and a production model that
    /// already gets them right cannot be beaten in F1 at all; the log loss still shows
    /// which model learned the recent messages.
    pub recent_log_loss_margin: f64,
    /// The candidate may be at most this many points worse (`y`) on the original hold-out.
    pub holdout_tolerance_points: f64,
    /// Fewest recent labelled rows the gate judges on; with fewer it rejects.
    pub min_recent_rows: usize,
    /// Share of the labelled feedback, the most recent, held out from training for the gate.
    pub recent_holdout_share: f64,
    /// How many points the false-positive rate on the hard legitimate benchmark may rise
    /// (0: it may not rise at all).
    pub benchmark_tolerance_points: f64,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            recent_margin_points: 1.0,
            recent_log_loss_margin: 0.2,
            holdout_tolerance_points: 2.0,
            min_recent_rows: 20,
            recent_holdout_share: 0.25,
            benchmark_tolerance_points: 0.0,
        }
    }
}

/// One model's scores on the gate's rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GateScores {
    /// F1 on the time-ordered hold-out of the most recent labelled feedback.
    pub recent_f1: f64,
    /// Mean log loss of the probabilities on the same recent rows (0 in records written
    /// before it was scored).
    #[serde(default)]
    pub recent_log_loss: f64,
    /// F1 on the original hold-out.
    pub holdout_f1: f64,
    /// Share of the hard legitimate benchmark messages flagged as fraud.
    pub benchmark_fpr: f64,
}

/// The gate's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateVerdict {
    /// Promote the candidate.
    pub promote: bool,
    /// Every check, passed or failed, in words.
    pub reasons: Vec<String>,
}

/// Judges a candidate against production, both scored on the same rows (`recent_rows` of
/// them recent). Every check must pass.
pub fn gate(
    production: &GateScores,
    candidate: &GateScores,
    recent_rows: usize,
    settings: &GateSettings,
) -> GateVerdict {
    let mut reasons = Vec::new();
    let mut promote = true;
    let mut check = |ok: bool, text: String| {
        promote &= ok;
        reasons.push(format!("{}: {text}", if ok { "pass" } else { "fail" }));
    };
    let points = |a: f64, b: f64| (a - b) * 100.0;
    check(
        recent_rows >= settings.min_recent_rows,
        format!(
            "{recent_rows} recent labelled rows (at least {})",
            settings.min_recent_rows
        ),
    );
    let gain = points(candidate.recent_f1, production.recent_f1);
    let loss_cut = if production.recent_log_loss > 0.0 {
        1.0 - candidate.recent_log_loss / production.recent_log_loss
    } else {
        0.0
    };
    let by_f1 = gain >= settings.recent_margin_points;
    let by_loss = gain >= 0.0 && loss_cut >= settings.recent_log_loss_margin;
    check(
        by_f1 || by_loss,
        format!(
            "recent F1 {:.4} vs production {:.4} ({gain:+.1} points, at least +{}), or no worse with log loss {:.4} vs {:.4} ({:.0} % {}, at least {:.0} % lower)",
            candidate.recent_f1,
            production.recent_f1,
            settings.recent_margin_points,
            candidate.recent_log_loss,
            production.recent_log_loss,
            loss_cut.abs() * 100.0,
            if loss_cut >= 0.0 { "lower" } else { "higher" },
            settings.recent_log_loss_margin * 100.0
        ),
    );
    let change = points(candidate.holdout_f1, production.holdout_f1);
    check(
        change >= -settings.holdout_tolerance_points,
        format!(
            "original hold-out F1 {:.4} vs production {:.4} ({change:+.1} points, at most {} worse)",
            candidate.holdout_f1, production.holdout_f1, settings.holdout_tolerance_points
        ),
    );
    let rise = points(candidate.benchmark_fpr, production.benchmark_fpr);
    check(
        rise <= settings.benchmark_tolerance_points + 1e-9,
        format!(
            "false-positive rate on hard legitimate messages {:.3} vs production {:.3} (may rise by at most {} points)",
            candidate.benchmark_fpr, production.benchmark_fpr, settings.benchmark_tolerance_points
        ),
    );
    GateVerdict { promote, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(recent_f1: f64, holdout_f1: f64, benchmark_fpr: f64) -> GateScores {
        GateScores {
            recent_f1,
            recent_log_loss: 0.3,
            holdout_f1,
            benchmark_fpr,
        }
    }

    #[test]
    fn a_better_candidate_passes() {
        let v = gate(
            &scores(0.60, 0.95, 0.05),
            &scores(0.92, 0.94, 0.05),
            100,
            &GateSettings::default(),
        );
        assert!(v.promote, "{:?}", v.reasons);
        assert_eq!(v.reasons.len(), 4);
        assert!(v.reasons.iter().all(|r| r.starts_with("pass")));
    }

    #[test]
    fn each_check_can_reject() {
        let s = GateSettings::default();
        let prod = scores(0.60, 0.95, 0.05);
        let cases = [
            (scores(0.605, 0.95, 0.05), 100, "recent F1"),
            (scores(0.92, 0.92, 0.05), 100, "original hold-out"),
            (scores(0.92, 0.95, 0.10), 100, "hard legitimate"),
            (scores(0.92, 0.95, 0.05), 5, "recent labelled rows"),
        ];
        for (cand, rows, failing) in cases {
            let v = gate(&prod, &cand, rows, &s);
            assert!(!v.promote, "{failing}");
            let failed: Vec<_> = v.reasons.iter().filter(|r| r.starts_with("fail")).collect();
            assert_eq!(failed.len(), 1, "{failed:?}");
            assert!(failed[0].contains(failing), "{failed:?}");
        }
    }

    #[test]
    fn margins_are_configurable() {
        let prod = scores(0.60, 0.95, 0.05);
        let cand = scores(0.64, 0.90, 0.05);
        assert!(!gate(&prod, &cand, 50, &GateSettings::default()).promote);
        let lenient = GateSettings {
            holdout_tolerance_points: 6.0,
            ..GateSettings::default()
        };
        assert!(gate(&prod, &cand, 50, &lenient).promote);
        let strict = GateSettings {
            recent_margin_points: 5.0,
            ..lenient
        };
        assert!(!gate(&prod, &cand, 50, &strict).promote);
    }

    #[test]
    fn a_tie_in_f1_passes_only_with_a_clearly_lower_log_loss() {
        let s = GateSettings::default();
        let prod = GateScores {
            recent_log_loss: 0.20,
            ..scores(0.977, 0.95, 0.05)
        };
        let learned = GateScores {
            recent_log_loss: 0.08,
            ..scores(0.977, 0.95, 0.05)
        };
        let v = gate(&prod, &learned, 66, &s);
        assert!(v.promote, "{:?}", v.reasons);
        assert!(v.reasons[1].contains("60 % lower"), "{:?}", v.reasons);
        // A little lower is not enough.
        let slightly = GateScores {
            recent_log_loss: 0.18,
            ..learned
        };
        assert!(!gate(&prod, &slightly, 66, &s).promote);
        // A lower log loss never excuses a worse F1.
        let worse_f1 = GateScores {
            recent_f1: 0.96,
            ..learned
        };
        assert!(!gate(&prod, &worse_f1, 66, &s).promote);
        // Nor any other failed check.
        let noisier = GateScores {
            benchmark_fpr: 0.10,
            ..learned
        };
        assert!(!gate(&prod, &noisier, 66, &s).promote);
    }
}
