//! The drift report: descriptor drift, text drift, PSI, measured and estimated performance.

use chrono::{DateTime, Utc};
use drift_stats::{
    choose_test, column_drift, family_drift, psi, psi_band, ColumnSample, PermutationConfig,
    StatTest, DEFAULT_ALPHA, DEFAULT_PERMUTATIONS, DEFAULT_PSI_BINS,
};
use serde::Serialize;
use text_model::{BinaryMetrics, TokenizerConfig, DESCRIPTOR_COLUMNS};

use crate::data::{Current, Reference, Row};
use crate::estimate::{estimate, Calibration, EstimatedPerformance};
use crate::text_drift::{text_drift, TextDrift, TextDriftConfig};

/// Version of the JSON report schema (`docs/drift-report.md`). Version 2: column and text
/// thresholds are calibrated at the window's size, the dataset verdict is family-wise
/// (`dataset_test`), and the uncertainty fields were added.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// Settings of a report.
#[derive(Debug, Clone)]
pub struct DriftConfig {
    /// Below this many current rows the report says "not enough data" instead of guessing.
    pub min_rows: usize,
    /// Share of drifted columns from which the dataset counts as drifted (Evidently's rule,
    /// kept beside the family-wise test; it only adds alarms through overridden columns).
    pub drift_share_threshold: f64,
    /// Per-column test and threshold overrides, by column name. An overridden column keeps
    /// its fixed threshold and is left out of the calibrated family.
    pub overrides: Vec<(String, StatTest, f64)>,
    /// Family-wise false-alarm rate of the dataset verdict: the chance that a window from the
    /// reference's distribution flags any calibrated column.
    pub alpha: f64,
    /// Random re-splits of reference and window rows that calibrate the column thresholds.
    pub permutations: usize,
    /// Mixed with a hash of the data into the seed of the re-splits, so that the same inputs
    /// always give the same report.
    pub seed: u64,
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
            alpha: DEFAULT_ALPHA,
            permutations: DEFAULT_PERMUTATIONS,
            seed: 7,
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
    /// Threshold applied to `score` at this window's size: the stricter of `null_threshold`
    /// and `fixed_threshold` (or the override's threshold).
    pub threshold: f64,
    /// How `threshold` was set: `permutation` (the family-wise null threshold at this size was
    /// stricter), `fixed` (Evidently's fixed threshold was stricter, or the calibration could
    /// not run and the null fields are None) or `override`.
    pub threshold_method: &'static str,
    /// Evidently's fixed threshold of the test (0.05 or 0.1), or the override's threshold.
    pub fixed_threshold: f64,
    /// The family-wise permutation threshold at this window size, in score units; None for an
    /// override.
    pub null_threshold: Option<f64>,
    /// Median score of same-distribution re-splits at this window size: what chance alone
    /// typically gives. None for an override.
    pub null_median: Option<f64>,
    /// Permutation p-value of this column alone. None for an override.
    pub p_value: Option<f64>,
    /// p-value adjusted for testing every calibrated column (Westfall–Young max-T); the column
    /// drifts when it is at most the family's alpha (and the score is beyond the fixed
    /// threshold). None for an override.
    pub adjusted_p_value: Option<f64>,
    /// Whether it drifted. A calibrated `oov_rate` drifts only upwards: a lower rate than the
    /// reference's is expected (see `build_report`).
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

/// How the dataset verdict was reached.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DatasetTest {
    /// `permutation_max_t`: a permutation test over the calibrated columns as one family
    /// (Westfall–Young single-step max-T).
    pub method: &'static str,
    /// Family-wise false-alarm rate.
    pub alpha: f64,
    /// Random re-splits drawn.
    pub permutations: usize,
    /// Seed of the re-splits (derived from the configured seed and a hash of the data).
    pub seed: u64,
    /// Columns in the family (all but the overridden ones).
    pub columns_tested: usize,
    /// Family-wise p-value: the smallest adjusted p-value of the columns.
    pub p_value: f64,
    /// Critical value of the standardised statistics (None without columns).
    pub critical_value: Option<f64>,
    /// Whether a calibrated column drifted (the family-wise verdict).
    pub calibrated_drift: bool,
    /// Whether `drift_share >= drift_share_threshold` (Evidently's rule).
    pub share_drift: bool,
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
    /// Whether the dataset drifted: a calibrated column drifted at the family-wise alpha, or
    /// the share of drifted columns reached `drift_share_threshold`.
    pub dataset_drift: bool,
    /// Share of drifted columns.
    pub drift_share: f64,
    /// The threshold on the share.
    pub drift_share_threshold: f64,
    /// How the dataset verdict was reached; None when there is not enough data.
    pub dataset_test: Option<DatasetTest>,
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

/// Above this expected calibration error the label-free estimate says it is unreliable: it
/// assumes a score means what it says.
pub const POOR_CALIBRATION_ECE: f64 = 0.1;

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
            dataset_test: None,
            columns: Vec::new(),
            text_drift: None,
            psi: None,
            performance,
            estimated_performance: None,
        };
    }

    // The descriptor columns, then the risk score (prediction drift), then the label.
    let mut candidates: Vec<Candidate> = Vec::with_capacity(DESCRIPTOR_COLUMNS.len() + 2);
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
        candidates.push(Candidate {
            name: name.to_string(),
            means: (mean(&r), mean(&c)),
            distribution: Distribution::numeric(&r, &c),
            reference: ColumnSample::Numeric(r),
            current: ColumnSample::Numeric(c),
        });
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
    candidates.push(Candidate {
        name: "predicted_label".to_string(),
        means: (share(&reference.rows), share(&current.rows)),
        distribution: Distribution::categorical(&ref_labels, &cur_labels),
        reference: ColumnSample::Categorical(ref_labels),
        current: ColumnSample::Categorical(cur_labels),
    });
    let seed = data_seed(config.seed, reference, current);
    let ref_texts: Vec<&str> = reference.rows.iter().map(|r| r.text.as_str()).collect();
    let cur_texts: Vec<&str> = current.rows.iter().map(|r| r.text.as_str()).collect();
    // The column re-splits and the text classifier are independent: run them side by side.
    let ((columns, dataset_test), text) = rayon::join(
        || test_columns(candidates, config, seed),
        || {
            text_drift(
                &ref_texts,
                &cur_texts,
                reference.rows.len(),
                tokenizer,
                &config.text,
            )
        },
    );
    let drifted = columns.iter().filter(|c| c.drifted).count();
    let drift_share = if columns.is_empty() {
        0.0
    } else {
        drifted as f64 / columns.len() as f64
    };
    let share_drift = drift_share >= config.drift_share_threshold;
    let dataset_test = DatasetTest {
        share_drift,
        ..dataset_test
    };
    let dataset_drift = dataset_test.calibrated_drift || share_drift;

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
        .any(|c| c.name == OOV_COLUMN && c.drifted && c.current_mean > c.reference_mean)
    {
        caveats.push(
            "the out-of-vocabulary rate drifted: the model sees words it never learned".to_string(),
        );
    }
    let estimated = Calibration::fit(&ref_scores, &ref_labels, 10).map(|cal| {
        // The trainer's held-out calibration error when the bundle reports one, else the
        // reference's own.
        let ece = validation_metrics["ece"]
            .as_f64()
            .unwrap_or(cal.raw_error);
        if ece > POOR_CALIBRATION_ECE {
            caveats.push(format!(
                "the served model's risk scores are poorly calibrated (expected calibration error {ece:.3} > {POOR_CALIBRATION_ECE}): the estimate leans on a re-calibration that may not carry over; retrain to calibrate"
            ));
        }
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
        dataset_test: Some(dataset_test),
        columns,
        text_drift: text,
        psi: psi_report,
        performance,
        estimated_performance: estimated,
    }
}

/// One column before its test.
struct Candidate {
    name: String,
    reference: ColumnSample,
    current: ColumnSample,
    means: (f64, f64),
    distribution: Distribution,
}

/// The out-of-vocabulary rate, which drifts only upwards.
const OOV_COLUMN: &str = "oov_rate";

/// The method name of [`DatasetTest::method`].
const DATASET_METHOD: &str = "permutation_max_t";

/// Tests the columns: the overridden ones at their fixed thresholds, all others as one
/// calibrated family. Returns the columns in their original order and the family's summary
/// (its `share_drift` is left for the caller). A column whose test cannot run is left out with
/// a warning.
fn test_columns(
    candidates: Vec<Candidate>,
    config: &DriftConfig,
    seed: u64,
) -> (Vec<ColumnReport>, DatasetTest) {
    let override_of = |name: &str| {
        config
            .overrides
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, t, th)| (*t, *th))
    };
    let usable: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| {
            let check = match override_of(&c.name) {
                Some(over) => column_drift(&c.reference, &c.current, Some(over)).map(|_| ()),
                None => choose_test(&c.reference, &c.current).map(|_| ()),
            };
            if let Err(e) = &check {
                tracing::warn!(column = c.name, error = %e, "column skipped");
            }
            check.is_ok()
        })
        .collect();
    let family_members: Vec<usize> = (0..usable.len())
        .filter(|&i| override_of(&usable[i].name).is_none())
        .collect();
    let pairs: Vec<(&ColumnSample, &ColumnSample)> = family_members
        .iter()
        .map(|&i| (&usable[i].reference, &usable[i].current))
        .collect();
    let permutation = PermutationConfig {
        permutations: config.permutations,
        alpha: config.alpha,
        seed,
    };
    let family = match family_drift(&pairs, &permutation) {
        Ok(family) => Some(family),
        Err(e) => {
            // Only a bad configuration gets here (the columns were checked): fall back to
            // Evidently's fixed thresholds rather than give no verdict.
            tracing::warn!(error = %e, "column calibration failed; fixed thresholds used");
            None
        }
    };
    let mut reports = Vec::with_capacity(usable.len());
    let mut calibrated_drift = false;
    for (i, c) in usable.into_iter().enumerate() {
        let calibrated = family.as_ref().and_then(|f| {
            family_members
                .iter()
                .position(|&m| m == i)
                .map(|k| f.columns[k])
        });
        let report = |test: StatTest, score, threshold, method, drifted| ColumnReport {
            name: c.name.clone(),
            test: test.name(),
            score,
            threshold,
            threshold_method: method,
            fixed_threshold: threshold,
            null_threshold: None,
            null_median: None,
            p_value: None,
            adjusted_p_value: None,
            drifted,
            reference_mean: c.means.0,
            current_mean: c.means.1,
            distribution: c.distribution.clone(),
        };
        let column = match (calibrated, override_of(&c.name)) {
            (Some(d), _) => ColumnReport {
                // Fewer unknown words than the reference is expected, not drift: the
                // reference's rates come from the cross-validation folds, whose vocabularies
                // are smaller than the served model's (about 0.09 normed Wasserstein on
                // same-distribution data, enough to pass the fixed threshold on large windows).
                drifted: d.drifted && (c.name != OOV_COLUMN || c.means.1 > c.means.0),
                fixed_threshold: d.fixed_threshold,
                null_threshold: Some(d.null_threshold),
                null_median: Some(d.null_median),
                p_value: Some(d.p_value),
                adjusted_p_value: Some(d.adjusted_p_value),
                ..report(
                    d.test,
                    d.score,
                    d.threshold,
                    d.threshold_source.as_str(),
                    d.drifted,
                )
            },
            (None, over) => match column_drift(&c.reference, &c.current, over) {
                Ok(d) => {
                    let method = if over.is_some() { "override" } else { "fixed" };
                    report(d.test, d.score, d.threshold, method, d.drifted)
                }
                Err(e) => {
                    tracing::warn!(column = c.name, error = %e, "column skipped");
                    continue;
                }
            },
        };
        calibrated_drift |= calibrated.is_some() && column.drifted;
        reports.push(column);
    }
    let summary = DatasetTest {
        method: DATASET_METHOD,
        alpha: config.alpha,
        permutations: config.permutations,
        seed,
        columns_tested: family.as_ref().map_or(0, |f| f.columns.len()),
        p_value: family.as_ref().map_or(1.0, |f| f.p_value),
        critical_value: family
            .as_ref()
            .map(|f| f.critical_value)
            .filter(|v| v.is_finite()),
        calibrated_drift,
        share_drift: false,
    };
    (reports, summary)
}

/// A seed that depends only on the inputs: the configured seed, both sizes and every value the
/// tests see of the current window and the reference (FNV-1a over their bits). Reports of the
/// same data are identical; different windows get independent re-splits, so that the Monte
/// Carlo error of the thresholds averages out over windows instead of repeating. Cut to 53 bits
/// so that it survives a round trip through JSON numbers in any language.
fn data_seed(seed: u64, reference: &Reference, current: &Current) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        for byte in x.to_le_bytes() {
            h = (h ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    };
    eat(seed);
    for rows in [&reference.rows, &current.rows] {
        eat(rows.len() as u64);
        for row in rows.iter() {
            eat(row.risk_score.to_bits());
            eat(u64::from(row.predicted_fraud));
            for d in row.descriptors {
                eat(d.to_bits());
            }
        }
    }
    h & ((1 << 53) - 1)
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
