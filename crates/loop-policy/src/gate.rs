//! The promotion gate's verdict from scores of production and candidate on the same rows.

use serde::{Deserialize, Serialize};

/// The gate's settings, stored with each verdict so it can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateSettings {
    /// The candidate's F1 on the recent labelled rows must beat production's by at least
    /// this many points.
    pub recent_margin_points: f64,
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
    check(
        gain >= settings.recent_margin_points,
        format!(
            "recent F1 {:.4} vs production {:.4} ({gain:+.1} points, at least +{})",
            candidate.recent_f1, production.recent_f1, settings.recent_margin_points
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
}
