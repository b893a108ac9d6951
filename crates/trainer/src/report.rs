//! Metrics as JSON (for scripts and `metrics.json`) and as text (for people).

use serde_json::{json, Value};
use text_model::BinaryMetrics;

/// The JSON object of one evaluation. Keys are stable: `accuracy`, `precision`, `recall`,
/// `f1`, `balanced_accuracy`, `roc_auc`, `pr_auc`, `confusion`, `rows`.
pub fn metrics_json(m: &BinaryMetrics) -> Value {
    let c = m.confusion;
    json!({
        "accuracy": round(m.accuracy),
        "precision": round(m.precision),
        "recall": round(m.recall),
        "f1": round(m.f1),
        "balanced_accuracy": round(m.balanced_accuracy),
        "roc_auc": m.roc_auc.map(round),
        "pr_auc": m.pr_auc.map(round),
        "confusion": {"tp": c.tp, "fp": c.fp, "tn": c.tn, "fn": c.fn_},
        "rows": c.total(),
    })
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Mean and population standard deviation.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// A metrics block as aligned text lines.
pub fn metrics_text(title: &str, m: &BinaryMetrics) -> String {
    let c = m.confusion;
    let opt = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{x:.4}"));
    format!(
        "{title}\n  accuracy {:.4}  precision {:.4}  recall {:.4}  f1 {:.4}  balanced_accuracy {:.4}\n  \
         roc_auc {}  pr_auc {}\n  confusion          predicted fraud  predicted legit\n    \
         actual fraud   {:>15}  {:>15}\n    actual legit   {:>15}  {:>15}\n",
        m.accuracy,
        m.precision,
        m.recall,
        m.f1,
        m.balanced_accuracy,
        opt(m.roc_auc),
        opt(m.pr_auc),
        c.tp,
        c.fn_,
        c.fp,
        c.tn
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_documented_keys() {
        let m = BinaryMetrics::compute(&[true, false, true, false], &[0.9, 0.2, 0.4, 0.6], 0.5);
        let v = metrics_json(&m);
        for key in [
            "accuracy",
            "precision",
            "recall",
            "f1",
            "balanced_accuracy",
            "roc_auc",
            "pr_auc",
            "confusion",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["confusion"], json!({"tp": 1, "fp": 1, "tn": 1, "fn": 1}));
        assert_eq!(v["f1"], 0.5);
    }

    #[test]
    fn mean_and_std() {
        let (m, s) = mean_std(&[1.0, 3.0]);
        assert_eq!((m, s), (2.0, 1.0));
    }
}
