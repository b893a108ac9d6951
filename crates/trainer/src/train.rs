//! `trainer train`: cross-validated training, the reference set and the model bundle.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use artifact_store::{ModelRegistry, NewBundle};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use text_model::{
    stratified_split, train_cross_validated_weighted, CalibrationError, Corpus, Label, Progress,
    TextDescriptors, TrainingConfig, TrainingOutcome, DESCRIPTOR_COLUMNS,
};

use crate::data::{read_labelled_csv, LabelledData};
use crate::report::{mean_std, metrics_json, metrics_text};

/// Columns of `ref_data.csv`, after which come the descriptor columns.
pub const REF_DATA_COLUMNS: [&str; 6] = [
    "text",
    "label",
    "split",
    "fold",
    "risk_score",
    "predicted_label",
];

/// Options of `trainer train`.
#[derive(Debug, Clone)]
pub struct TrainArgs {
    /// Training CSV.
    pub data: PathBuf,
    /// Optional held-out CSV (otherwise `test_size` of `data` is held out).
    pub test_data: Option<PathBuf>,
    /// Text column name.
    pub text_col: String,
    /// Label column name.
    pub label_col: String,
    /// Training settings.
    pub config: TrainingConfig,
    /// Show progress bars.
    pub progress: bool,
}

/// The result of a training run, as printed.
#[derive(Debug)]
pub struct TrainReport {
    /// The JSON summary (also what `--json` prints).
    pub json: Value,
    /// The human summary.
    pub text: String,
}

/// Trains, writes the bundle and reference set into the registry (on any backend; a file
/// `&Registry` works too), and reports.
pub fn train(registry: impl Into<ModelRegistry>, args: &TrainArgs) -> anyhow::Result<TrainReport> {
    let registry = registry.into();
    let started = Instant::now();
    let config = &args.config;
    config
        .validate()
        .context("invalid training configuration")?;
    let train_data = read_labelled_csv(&args.data, &args.text_col, &args.label_col, true)?;
    let test_data = match &args.test_data {
        Some(path) => Some(read_labelled_csv(
            path,
            &args.text_col,
            &args.label_col,
            false,
        )?),
        None => None,
    };

    // One corpus for train and test rows, so each text is tokenised once.
    let mut texts: Vec<&str> = train_data.texts.iter().map(String::as_str).collect();
    let mut labels = train_data.labels.clone();
    let (train_rows, test_rows) = match &test_data {
        Some(test) => {
            texts.extend(test.texts.iter().map(String::as_str));
            labels.extend(test.labels.iter().copied());
            let n = train_data.texts.len();
            ((0..n).collect(), (n..texts.len()).collect())
        }
        None => stratified_split(&train_data.is_fraud(), config.test_size, config.seed),
    };
    let is_fraud: Vec<bool> = labels.iter().map(|l| l.is_fraud()).collect();
    // Row weights of the training rows (test rows are only scored; they weigh 1).
    let row_weights: Option<Vec<f64>> = train_data.weights.as_ref().map(|w| {
        let mut all = w.clone();
        all.resize(texts.len(), 1.0);
        all
    });

    let spinner = bar(args.progress, None, "tokenising");
    let corpus =
        Corpus::build(&texts, &config.tokenizer).context("tokenising the training texts")?;
    spinner.finish_and_clear();
    tracing::info!(
        rows = corpus.len(),
        seconds = started.elapsed().as_secs_f64(),
        "tokenised"
    );
    let fits = bar(
        args.progress,
        Some(((config.folds + 1) * config.c_path().len()) as u64),
        "searching C (cross-validation folds + final model)",
    );
    let outcome = train_cross_validated_weighted(
        &corpus,
        &is_fraud,
        row_weights.as_deref(),
        &train_rows,
        &test_rows,
        config,
        &|p| match p {
            Progress::FitDone { done, total } => {
                fits.set_length(total as u64);
                fits.set_position(done as u64)
            }
        },
    )
    .context("training failed")?;
    fits.finish_and_clear();
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "fitted");

    let metrics = training_metrics(&outcome, config, train_rows.len(), test_rows.len());
    let ref_data = reference_csv(&corpus, &texts, &labels, &outcome, &test_rows)
        .context("writing ref_data.csv")?;
    let fingerprint = match &test_data {
        Some(test) => combine_fingerprints(&train_data, test),
        None => train_data.fingerprint.clone(),
    };
    registry.remove_stale_staging(Duration::from_secs(3600))?;
    let (version, promoted) = registry
        .publish(NewBundle {
            model: &outcome.model,
            metrics: metrics.clone(),
            training_config: serde_json::to_value(config).expect("training config serialises"),
            training_data: fingerprint,
            code_version: crate::code_version(),
            extra_files: vec![(artifact_store::REFERENCE_DATA_FILE.to_string(), ref_data)],
        })
        .context("writing the model bundle")?;

    let mut json = metrics;
    json["version"] = json!(version.to_string());
    json["promoted"] = json!(promoted);
    json["seconds"] = json!((started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0);
    let mut text = String::new();
    let (f1_mean, f1_std) = mean_std(
        &outcome
            .fold_metrics
            .iter()
            .map(|m| m.f1)
            .collect::<Vec<_>>(),
    );
    text.push_str(&format!(
        "trained {version} on {} rows ({} held out), {} terms, threshold {:.4}, in {:.1}s\n",
        train_rows.len(),
        test_rows.len(),
        outcome.model.vectorizer().n_features(),
        outcome.model.threshold(),
        started.elapsed().as_secs_f64()
    ));
    text.push_str(&search_text(&outcome));
    text.push_str(&format!(
        "cross-validation ({} folds): f1 {f1_mean:.4} ± {f1_std:.4}\n",
        config.folds
    ));
    text.push_str(&metrics_text(
        "out-of-fold (training rows)",
        &outcome.oof_metrics,
    ));
    if let Some(m) = &outcome.test_metrics {
        text.push_str(&metrics_text("held-out test", m));
    }
    text.push_str(&if promoted {
        format!("{version} is now production (first model of this registry)\n")
    } else {
        format!("{version} registered; make it production with: trainer promote {version}\n")
    });
    Ok(TrainReport { json, text })
}

fn bar(enabled: bool, len: Option<u64>, message: &'static str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    match len {
        Some(n) => {
            let pb = ProgressBar::new(n);
            pb.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
                    .expect("static template"),
            );
            pb.set_message(message);
            pb
        }
        None => {
            let pb = ProgressBar::new_spinner();
            pb.set_message(message);
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        }
    }
}

/// `metrics.json`: the headline keys are the held-out test metrics (or out-of-fold ones
/// without a test set), with the cross-validation detail beside them.
fn training_metrics(
    outcome: &TrainingOutcome,
    config: &TrainingConfig,
    n_train: usize,
    n_test: usize,
) -> Value {
    let headline = outcome
        .test_metrics
        .as_ref()
        .unwrap_or(&outcome.oof_metrics);
    let mut v = metrics_json(headline);
    let f1s: Vec<f64> = outcome.fold_metrics.iter().map(|m| m.f1).collect();
    let (f1_mean, f1_std) = mean_std(&f1s);
    v["evaluated_on"] = json!(if outcome.test_metrics.is_some() {
        "test"
    } else {
        "out_of_fold"
    });
    v["test"] = outcome
        .test_metrics
        .as_ref()
        .map_or(Value::Null, metrics_json);
    v["cross_validation"] = json!({
        "folds": config.folds,
        "out_of_fold": metrics_json(&outcome.oof_metrics),
        "per_fold": outcome.fold_metrics.iter().map(metrics_json).collect::<Vec<_>>(),
        "f1_mean": f1_mean,
        "f1_std": f1_std,
    });
    v["search"] = search_json(outcome);
    v["calibration"] = calibration_json(outcome);
    v["c"] = json!(outcome.search.chosen_c);
    v["ece"] = json!(round6(headline_calibration(outcome).ece));
    v["threshold"] = json!(outcome.model.threshold());
    v["threshold_policy"] = serde_json::to_value(config.threshold).expect("policy serialises");
    v["n_features"] = json!(outcome.model.vectorizer().n_features());
    v["train_rows"] = json!(n_train);
    v["test_rows"] = json!(n_test);
    v
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The calibration error of the rows the headline metrics describe.
fn headline_calibration(outcome: &TrainingOutcome) -> &CalibrationError {
    let c = &outcome.calibration;
    c.test_calibrated.as_ref().unwrap_or(&c.oof_calibrated)
}

fn search_json(outcome: &TrainingOutcome) -> Value {
    let s = &outcome.search;
    json!({
        "metric": s.metric,
        "searched": s.searched,
        "chosen": {"c": s.chosen_c},
        "grid": s.grid.iter().map(|p| json!({"c": p.c, "score": round6(p.score)})).collect::<Vec<_>>(),
    })
}

fn calibration_error_json(e: &CalibrationError) -> Value {
    json!({
        "ece": round6(e.ece),
        "reliability": e.bins.iter().map(|b| json!({
            "lower": b.lower,
            "upper": b.upper,
            "count": b.count,
            "mean_score": round6(b.mean_score),
            "fraud_rate": round6(b.fraud_rate),
        })).collect::<Vec<_>>(),
    })
}

fn calibration_json(outcome: &TrainingOutcome) -> Value {
    let c = &outcome.calibration;
    let opt = |e: &Option<CalibrationError>| e.as_ref().map_or(Value::Null, calibration_error_json);
    json!({
        "method": c.method,
        "platt": {"a": c.platt.a, "b": c.platt.b},
        "cv_log_loss": {"none": round6(c.log_loss_raw), "platt": round6(c.log_loss_platt)},
        "ece": round6(headline_calibration(outcome).ece),
        "out_of_fold": {"uncalibrated": calibration_error_json(&c.oof_raw), "calibrated": calibration_error_json(&c.oof_calibrated)},
        "test": {"uncalibrated": opt(&c.test_raw), "calibrated": opt(&c.test_calibrated)},
    })
}

fn search_text(outcome: &TrainingOutcome) -> String {
    let s = &outcome.search;
    let c = &outcome.calibration;
    let grid: Vec<String> = s
        .grid
        .iter()
        .map(|p| format!("{}: {:.4}", p.c, p.score))
        .collect();
    format!(
        "C = {} ({}; {:?} by C: {})\ncalibration {:?}: ECE {:.4} (uncalibrated {:.4})\n",
        s.chosen_c,
        if s.searched {
            "chosen by cross-validation"
        } else {
            "fixed"
        },
        s.metric,
        grid.join(", "),
        c.method,
        headline_calibration(outcome).ece,
        c.test_raw.as_ref().unwrap_or(&c.oof_raw).ece,
    )
}

/// `ref_data.csv`: one row per training or test message with its descriptors, its unseen
/// risk score and its label.
fn reference_csv(
    corpus: &Corpus,
    texts: &[&str],
    labels: &[Label],
    outcome: &TrainingOutcome,
    test_rows: &[usize],
) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = REF_DATA_COLUMNS
        .iter()
        .chain(DESCRIPTOR_COLUMNS.iter())
        .copied()
        .collect();
    writer.write_record(&header)?;
    let threshold = outcome.model.threshold();
    let mut is_test = vec![false; texts.len()];
    test_rows.iter().for_each(|&r| is_test[r] = true);
    for (row, text) in texts.iter().enumerate() {
        let score = outcome.scores[row];
        if score.is_nan() {
            continue;
        }
        let descriptors = TextDescriptors::compute(
            text,
            corpus.normalized(row),
            corpus.unigram_count(row),
            outcome.oov_rates[row],
        );
        let mut record = vec![
            text.to_string(),
            labels[row].to_string(),
            if is_test[row] {
                "test".into()
            } else {
                "train".into()
            },
            outcome.fold_of[row].map_or(String::new(), |f| f.to_string()),
            format!("{score:.6}"),
            Label::from_score(score, threshold).to_string(),
        ];
        record.extend(descriptors.values().iter().map(|v| format!("{v:.6}")));
        writer.write_record(&record)?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn combine_fingerprints(
    train: &LabelledData,
    test: &LabelledData,
) -> artifact_store::DataFingerprint {
    use sha2::{Digest, Sha256};
    let (a, b) = (&train.fingerprint, &test.fingerprint);
    artifact_store::DataFingerprint {
        sha256: hex::encode(Sha256::digest(format!("{}{}", a.sha256, b.sha256))),
        rows: a.rows + b.rows,
        fraud: a.fraud + b.fraud,
        legit: a.legit + b.legit,
        source: format!("{} + test {}", a.source, b.source),
    }
}

/// Loads the training configuration: defaults, then the TOML file, then
/// `FRAUDLOOP_TRAINER_*` environment variables.
/// A value of `logistic.c` given in the file or the environment fixes C: the search grid
/// is dropped, so setting C by hand means what it says.
pub fn load_config(file: Option<&Path>) -> anyhow::Result<TrainingConfig> {
    let mut config: TrainingConfig = fraudloop_config::load_layered(file, TRAINER_ENV_PREFIX)?;
    let given: GivenC = fraudloop_config::load_layered(file, TRAINER_ENV_PREFIX)?;
    if given.logistic.c.is_some() {
        config.search.c.clear();
    }
    Ok(config)
}

const TRAINER_ENV_PREFIX: &str = "FRAUDLOOP_TRAINER_";

/// Only whether `logistic.c` was given; every other key is checked by [`TrainingConfig`].
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct GivenC {
    #[serde(default)]
    logistic: GivenLogistic,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct GivenLogistic {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    c: Option<f64>,
}
