//! `trainer evaluate`: a registered model's metrics on a labelled CSV, overall and per `kind`.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::{json, Value};
use text_model::{expected_calibration_error, BinaryMetrics, FraudModel};

use crate::data::LabelledData;
use crate::report::{metrics_json, metrics_text};

/// How a model does on the rows of one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct KindResult {
    /// The kind.
    pub kind: String,
    /// Rows of the kind.
    pub rows: usize,
    /// Fraud rows among them.
    pub fraud: usize,
    /// Rows flagged fraud.
    pub flagged: usize,
    /// Fraud rows flagged (share of the kind's fraud rows; None without fraud rows).
    pub recall: Option<f64>,
    /// Flagged rows that are fraud (None when nothing was flagged).
    pub precision: Option<f64>,
}

/// Per-kind recall and precision at `threshold`, kinds in name order.
pub fn per_kind(
    kinds: &[String],
    actual: &[bool],
    scores: &[f64],
    threshold: f64,
) -> Vec<KindResult> {
    let mut groups: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
    for ((kind, &a), &s) in kinds.iter().zip(actual).zip(scores) {
        let g = groups.entry(kind.as_str()).or_default();
        let flagged = s >= threshold;
        g.0 += 1;
        g.1 += usize::from(a);
        g.2 += usize::from(flagged);
        g.3 += usize::from(a && flagged);
    }
    groups
        .into_iter()
        .map(|(kind, (rows, fraud, flagged, caught))| KindResult {
            kind: kind.to_string(),
            rows,
            fraud,
            flagged,
            recall: (fraud > 0).then(|| caught as f64 / fraud as f64),
            precision: (flagged > 0).then(|| caught as f64 / flagged as f64),
        })
        .collect()
}

/// The evaluation of `model` on `data`, as JSON and as text.
pub fn evaluate(model: &FraudModel, version: &str, data: &LabelledData) -> (Value, String) {
    let scores: Vec<f64> = data.texts.par_iter().map(|t| model.score(t)).collect();
    let actual = data.is_fraud();
    let metrics = BinaryMetrics::compute(&actual, &scores, model.threshold());
    let calibration = expected_calibration_error(&actual, &scores);
    let mut json = metrics_json(&metrics);
    json["version"] = json!(version);
    json["threshold"] = json!(model.threshold());
    json["ece"] = json!((calibration.ece * 1e6).round() / 1e6);
    let mut text = metrics_text(&format!("{version} on {} rows", data.texts.len()), &metrics);
    text.push_str(&format!(
        "  expected calibration error {:.4}\n",
        calibration.ece
    ));
    if let Some(kinds) = &data.kinds {
        let results = per_kind(kinds, &actual, &scores, model.threshold());
        json["per_kind"] = results
            .iter()
            .map(|r| {
                json!({
                    "kind": r.kind,
                    "rows": r.rows,
                    "fraud": r.fraud,
                    "flagged": r.flagged,
                    "recall": r.recall,
                    "precision": r.precision,
                })
            })
            .collect();
        text.push_str(&format!(
            "per kind\n  {:<28} {:>5} {:>6} {:>8} {:>7} {:>9}\n",
            "kind", "rows", "fraud", "flagged", "recall", "precision"
        ));
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.3}"));
        for r in &results {
            text.push_str(&format!(
                "  {:<28} {:>5} {:>6} {:>8} {:>7} {:>9}\n",
                r.kind,
                r.rows,
                r.fraud,
                r.flagged,
                opt(r.recall),
                opt(r.precision)
            ));
        }
    }
    (json, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_kind_counts_recall_and_precision() {
        let kinds: Vec<String> = ["a", "a", "a", "b", "b"].map(String::from).to_vec();
        let actual = [true, true, false, false, false];
        let scores = [0.9, 0.2, 0.8, 0.1, 0.7];
        let r = per_kind(&kinds, &actual, &scores, 0.5);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].rows, r[0].fraud, r[0].flagged), (3, 2, 2));
        assert_eq!(r[0].recall, Some(0.5));
        assert_eq!(r[0].precision, Some(0.5));
        assert_eq!(
            (r[1].kind.as_str(), r[1].recall, r[1].flagged),
            ("b", None, 1)
        );
        assert_eq!(r[1].precision, Some(0.0));
    }
}
