//! The drift report: descriptor drift, text drift, PSI, measured and estimated performance.

use chrono::{DateTime, Utc};
use drift_stats::{column_drift, psi, psi_band, ColumnSample, StatTest, DEFAULT_PSI_BINS};
use serde::Serialize;
use text_model::{BinaryMetrics, TokenizerConfig, DESCRIPTOR_COLUMNS};

use crate::data::{Current, Reference, Row};
use crate::estimate::{estimate, Calibration, EstimatedPerformance};
use crate::text_drift::{text_drift, TextDrift, TextDriftConfig};

/// Version of the JSON report schema (`docs/drift-report.md`).
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Settings of a report.
#[derive(Debug, Clone)]
pub struct DriftConfig {
    /// Below this many current rows the report says "not enough data" instead of guessing.
    pub min_rows: usize,
    /// Share of drifted columns from which the dataset counts as drifted.
    pub drift_share_threshold: f64,
    /// Per-column test and threshold overrides, by column name.
    pub overrides: Vec<(String, StatTest, f64)>,
    /// Fewest labelled rows for measured performance.
    pub min_labelled: usize,
    /// Text-drift settings.
    pub text: TextDriftConfig,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            min_rows: 100,
            drift_share_threshold: 0.5,
            overrides: Vec::new(),
            min_labelled: 30,
            text: TextDriftConfig::default(),
        }
    }
}

/// One column's drift test.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ColumnReport {
    /// Column name.
    pub name: String,
    /// Test used (Evidently's name: ks, chisquare, z, wasserstein, jensenshannon).
    pub test: &'static str,
    /// p-value or distance.
    pub score: f64,
    /// Threshold applied.
    pub threshold: f64,
    /// Whether it drifted.
    pub drifted: bool,
    /// Reference mean (numeric columns) or fraud share (predicted label).
    pub reference_mean: f64,
    /// Current mean or fraud share.
    pub current_mean: f64,
    /// Both distributions on shared bins, for plots.
    pub distribution: Distribution,
}

/// Two distributions on shared bins.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Distribution {
    /// Bin labels (`[lower, upper)` ranges or category names).
    pub bins: Vec<String>,
    /// Reference share per bin.
    pub reference: Vec<f64>,
    /// Current share per bin.
    pub current: Vec<f64>,
}

impl Distribution {
    /// Ten equal-width bins over the pooled range (one bin when all values are equal).
    pub fn numeric(reference: &[f64], current: &[f64]) -> Distribution {
        let (lo, hi) = reference
            .iter()
            .chain(current)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let n = if hi > lo { 10 } else { 1 };
        let width = if hi > lo { (hi - lo) / n as f64 } else { 1.0 };
        let shares = |values: &[f64]| {
            let mut counts = vec![0.0; n];
            for &v in values {
                counts[(((v - lo) / width) as usize).min(n - 1)] += 1.0;
            }
            counts
                .iter()
                .map(|c| c / values.len().max(1) as f64)
                .collect()
        };
        let bins = (0..n)
            .map(|i| {
                format!(
                    "{:.3}–{:.3}",
                    lo + width * i as f64,
                    lo + width * (i + 1) as f64
                )
            })
            .collect();
        Distribution {
            bins,
            reference: shares(reference),
            current: shares(current),
        }
    }

    /// Shares per category, categories sorted.
    pub fn categorical(reference: &[String], current: &[String]) -> Distribution {
        let mut bins: Vec<String> = reference.iter().chain(current).cloned().collect();
        bins.sort();
        bins.dedup();
        let shares = |values: &[String]| {
            bins.iter()
                .map(|b| {
                    values.iter().filter(|v| *v == b).count() as f64 / values.len().max(1) as f64
                })
                .collect()
        };
        Distribution {
            reference: shares(reference),
            current: shares(current),
            bins,
        }
    }
}

/// PSI of the risk score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PsiReport {
    /// PSI value.
    pub value: f64,
    /// `none` (< 0.1), `moderate` (< 0.25) or `significant`.
    pub band: &'static str,
    /// Per bin: `[lower, upper)`, reference share, current share.
    pub bins: Vec<(f64, f64, f64, f64)>,
}

/// Measured performance on labelled feedback in the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PerformanceReport {
    /// Labelled rows.
    pub labelled_rows: usize,
    /// Whether there were enough to measure.
    pub measured: bool,
    /// Metrics on them (at the model's threshold, as served).
    pub current: Option<serde_json::Value>,
    /// The model's validation metrics from training.
    pub reference: serde_json::Value,
    /// Current minus validation, in percentage points, per metric.
    pub degradation_points: serde_json::Value,
}

/// The window compared.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WindowReport {
    /// Current rows.
    pub rows: usize,
    /// Reference rows.
    pub reference_rows: usize,
    /// First and last prediction time.
    pub from: Option<DateTime<Utc>>,
    /// Last prediction time.
    pub to: Option<DateTime<Utc>>,
    /// Minimum rows for a verdict.
    pub min_rows: usize,
    /// False when the window is too small for a verdict.
    pub enough_data: bool,
    /// Log lines skipped as torn or corrupt.
    pub skipped_lines: u64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriftReport {
    /// Report schema version.
    pub schema_version: u32,
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// The model whose reference was used.
    pub model_version: String,
    /// The window.
    pub window: WindowReport,
    /// Human summary: "not enough data", or the verdicts.
    pub status: String,
    /// Whether the share of drifted columns reached the threshold.
    pub dataset_drift: bool,
    /// Share of drifted columns.
    pub drift_share: f64,
    /// The threshold on the share.
    pub drift_share_threshold: f64,
    /// Per-column tests.
    pub columns: Vec<ColumnReport>,
    /// Text content drift.
    pub text_drift: Option<TextDrift>,
    /// PSI of the risk score.
    pub psi: Option<PsiReport>,
    /// Measured performance.
    pub performance: PerformanceReport,
    /// Estimated performance.
    pub estimated_performance: Option<EstimatedPerformance>,
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Computes a report of `current` against `reference`.
pub fn build_report(
    model_version: &str,
    reference: &Reference,
    current: &Current,
    validation_metrics: &serde_json::Value,
    tokenizer: &TokenizerConfig,
    config: &DriftConfig,
) -> DriftReport {
    let enough = current.rows.len() >= config.min_rows;
    let window = WindowReport {
        rows: current.rows.len(),
        reference_rows: reference.rows.len(),
        from: current.span.map(|s| s.0),
        to: current.span.map(|s| s.1),
        min_rows: config.min_rows,
        enough_data: enough,
        skipped_lines: current.skipped_lines,
    };
    let performance = measured_performance(&current.rows, validation_metrics, config.min_labelled);
    if !enough {
        return DriftReport {
            schema_version: REPORT_SCHEMA_VERSION,
            generated_at: Utc::now(),
            model_version: model_version.to_string(),
            status: format!(
                "not enough data: {} of the {} rows needed",
                current.rows.len(),
                config.min_rows
            ),
            window,
            dataset_drift: false,
            drift_share: 0.0,
            drift_share_threshold: config.drift_share_threshold,
            columns: Vec::new(),
            text_drift: None,
            psi: None,
            performance,
            estimated_performance: None,
        };
    }

    let mut columns = Vec::new();
    // The descriptor columns, then the risk score (prediction drift).
    let value = |row: &Row, i: usize| {
        if i < DESCRIPTOR_COLUMNS.len() {
            row.descriptors[i]
        } else {
            row.risk_score
        }
    };
    for (i, name) in DESCRIPTOR_COLUMNS
        .iter()
        .chain(std::iter::once(&"risk_score"))
        .enumerate()
    {
        let r: Vec<f64> = reference.rows.iter().map(|row| value(row, i)).collect();
        let c: Vec<f64> = current.rows.iter().map(|row| value(row, i)).collect();
        let (r_mean, c_mean) = (mean(&r), mean(&c));
        let distribution = Distribution::numeric(&r, &c);
        let (reference_sample, current_sample) =
            (ColumnSample::Numeric(r), ColumnSample::Numeric(c));
        let means = (r_mean, c_mean);
        if let Some(report) = column(
            name,
            reference_sample,
            current_sample,
            means,
            distribution,
            config,
        ) {
            columns.push(report);
        }
    }
    let label = |rows: &[Row]| -> Vec<String> {
        rows.iter()
            .map(|r| if r.predicted_fraud { "fraud" } else { "legit" }.to_string())
            .collect()
    };
    let share = |rows: &[Row]| {
        mean(
            &rows
                .iter()
                .map(|r| f64::from(u8::from(r.predicted_fraud)))
                .collect::<Vec<_>>(),
        )
    };
    let (ref_labels, cur_labels) = (label(&reference.rows), label(&current.rows));
    let distribution = Distribution::categorical(&ref_labels, &cur_labels);
    let means = (share(&reference.rows), share(&current.rows));
    let (reference_sample, current_sample) = (
        ColumnSample::Categorical(ref_labels),
        ColumnSample::Categorical(cur_labels),
    );
    if let Some(report) = column(
        "predicted_label",
        reference_sample,
        current_sample,
        means,
        distribution,
        config,
    ) {
        columns.push(report);
    }
    let drifted = columns.iter().filter(|c| c.drifted).count();
    let drift_share = if columns.is_empty() {
        0.0
    } else {
        drifted as f64 / columns.len() as f64
    };
    let dataset_drift = drift_share >= config.drift_share_threshold;

    let ref_texts: Vec<&str> = reference.rows.iter().map(|r| r.text.as_str()).collect();
    let cur_texts: Vec<&str> = current.rows.iter().map(|r| r.text.as_str()).collect();
    let text = text_drift(
        &ref_texts,
        &cur_texts,
        reference.rows.len(),
        tokenizer,
        &config.text,
    );

    let ref_scores: Vec<f64> = reference.rows.iter().map(|r| r.risk_score).collect();
    let cur_scores: Vec<f64> = current.rows.iter().map(|r| r.risk_score).collect();
    let psi_report = psi(&ref_scores, &cur_scores, DEFAULT_PSI_BINS)
        .ok()
        .map(|p| PsiReport {
            value: p.value,
            band: psi_band(p.value).as_str(),
            bins: p
                .bins
                .iter()
                .map(|b| (b.lower, b.upper, b.ref_share, b.cur_share))
                .collect(),
        });

    let ref_labels: Vec<bool> = reference
        .rows
        .iter()
        .map(|r| r.actual_fraud.unwrap_or(false))
        .collect();
    let mut caveats = Vec::new();
    if text.as_ref().is_some_and(|t| t.detected) {
        caveats.push("text drift detected: new kinds of messages may be scored with a calibration that does not hold for them".to_string());
    }
    // Fewer unknown words than the reference is harmless (the final model's vocabulary is
    // larger than the cross-validation folds' that produced the reference rates).
    if columns
        .iter()
        .any(|c| c.name == "oov_rate" && c.drifted && c.current_mean > c.reference_mean)
    {
        caveats.push(
            "the out-of-vocabulary rate drifted: the model sees words it never learned".to_string(),
        );
    }
    let estimated = Calibration::fit(&ref_scores, &ref_labels, 10).map(|cal| {
        let rows: Vec<(f64, bool)> = current
            .rows
            .iter()
            .map(|r| (r.risk_score, r.predicted_fraud))
            .collect();
        estimate(&cal, &rows, caveats)
    });

    let mut verdicts = Vec::new();
    verdicts.push(if dataset_drift {
        format!(
            "dataset drift: {drifted} of {} columns drifted",
            columns.len()
        )
    } else {
        format!(
            "no dataset drift ({drifted} of {} columns drifted)",
            columns.len()
        )
    });
    if let Some(t) = &text {
        verdicts.push(if t.detected {
            format!("text drift (AUC {:.3})", t.roc_auc)
        } else {
            format!("no text drift (AUC {:.3})", t.roc_auc)
        });
    }
    DriftReport {
        schema_version: REPORT_SCHEMA_VERSION,
        generated_at: Utc::now(),
        model_version: model_version.to_string(),
        status: verdicts.join("; "),
        window,
        dataset_drift,
        drift_share,
        drift_share_threshold: config.drift_share_threshold,
        columns,
        text_drift: text,
        psi: psi_report,
        performance,
        estimated_performance: estimated,
    }
}

fn column(
    name: &str,
    reference: ColumnSample,
    current: ColumnSample,
    (reference_mean, current_mean): (f64, f64),
    distribution: Distribution,
    config: &DriftConfig,
) -> Option<ColumnReport> {
    let over = config
        .overrides
        .iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, t, th)| (*t, *th));
    match column_drift(&reference, &current, over) {
        Ok(d) => Some(ColumnReport {
            name: name.to_string(),
            test: d.test.name(),
            score: d.score,
            threshold: d.threshold,
            drifted: d.drifted,
            reference_mean,
            current_mean,
            distribution,
        }),
        Err(e) => {
            tracing::warn!(column = name, error = %e, "column skipped");
            None
        }
    }
}

fn measured_performance(
    rows: &[Row],
    validation: &serde_json::Value,
    min_labelled: usize,
) -> PerformanceReport {
    let labelled: Vec<&Row> = rows.iter().filter(|r| r.actual_fraud.is_some()).collect();
    let measured = labelled.len() >= min_labelled && {
        let fraud = labelled
            .iter()
            .filter(|r| r.actual_fraud == Some(true))
            .count();
        fraud > 0 && fraud < labelled.len()
    };
    let keys = [
        "accuracy",
        "precision",
        "recall",
        "f1",
        "balanced_accuracy",
        "roc_auc",
    ];
    let (current, degradation) = if measured {
        let actual: Vec<bool> = labelled
            .iter()
            .map(|r| r.actual_fraud == Some(true))
            .collect();
        // Predicted labels as served: scores mapped to 1/0 around 0.5 reproduce them exactly.
        let served: Vec<f64> = labelled
            .iter()
            .map(|r| if r.predicted_fraud { 1.0 } else { 0.0 })
            .collect();
        let scores: Vec<f64> = labelled.iter().map(|r| r.risk_score).collect();
        let at_served = BinaryMetrics::compute(&actual, &served, 0.5);
        let c = at_served.confusion;
        let metrics = serde_json::json!({
            "accuracy": at_served.accuracy,
            "precision": at_served.precision,
            "recall": at_served.recall,
            "f1": at_served.f1,
            "balanced_accuracy": at_served.balanced_accuracy,
            "roc_auc": text_model::roc_auc(&actual, &scores),
            "confusion": {"tp": c.tp, "fp": c.fp, "tn": c.tn, "fn": c.fn_},
        });
        let mut points = serde_json::Map::new();
        for key in keys {
            if let (Some(now), Some(then)) = (metrics[key].as_f64(), validation[key].as_f64()) {
                points.insert(
                    key.to_string(),
                    serde_json::json!(((now - then) * 10_000.0).round() / 100.0),
                );
            }
        }
        (Some(metrics), serde_json::Value::Object(points))
    } else {
        (None, serde_json::json!({}))
    };
    let reference = serde_json::Value::Object(
        keys.iter()
            .filter_map(|k| validation.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect(),
    );
    PerformanceReport {
        labelled_rows: labelled.len(),
        measured,
        current,
        reference,
        degradation_points: degradation,
    }
}
