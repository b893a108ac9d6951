//! What the loop reads: human labels from the feedback logs, the production bundle's
//! reference rows, and the fixed benchmark of hard legitimate messages.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context as _;
use artifact_store::LoadedBundle;
use loop_policy::{training_labels, FeedbackLabel, LabelLimits, LabelSource, TrainingLabel};
use prod_data::FeedbackRecord;
use text_model::{BinaryMetrics, FraudModel, Label};

/// A message with its label (true = fraud).
pub type Row = (String, bool);

/// Genuine messages that look like scams: one-time codes, bank alerts, delivery notices and
/// bills, in English and Chinese. A candidate may not flag more of them than production.
pub const HARD_LEGIT: &str = include_str!("hard_legit.txt");

/// More genuine messages of the same kinds, never in the benchmark: every retrain learns
/// from them (weighted), so that labels of a new scam wave do not teach the candidate to
/// flag genuine alerts. The benchmark stays unseen, so it still measures that.
pub const HARD_LEGIT_TRAINING: &str = include_str!("hard_legit_training.txt");

/// The benchmark's messages.
pub fn hard_legit() -> Vec<Row> {
    legit_lines(HARD_LEGIT)
}

/// The training examples of hard legitimate messages.
pub fn hard_legit_training() -> Vec<Row> {
    legit_lines(HARD_LEGIT_TRAINING)
}

fn legit_lines(text: &str) -> Vec<Row> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| (l.to_string(), false))
        .collect()
}

/// Every feedback record in the logs under `data_dir` as a label (see [`feedback_labels`]).
pub fn read_feedback(data_dir: &Path) -> anyhow::Result<(Vec<FeedbackLabel>, BTreeSet<String>)> {
    feedback_labels(&prod_data::FileReader::new(data_dir))
}

/// The stores of the home (files, or the configured database and bucket), opened once.
pub fn stores(home: &Path) -> anyhow::Result<std::sync::Arc<fraudloop_stores::Stores>> {
    fraudloop_stores::Stores::shared(&fraudloop_config::Home::new(home))
        .context("opening the stores")
}

/// Every feedback record as a label (records with an unknown source or label are skipped),
/// and every text that has ever been labelled (revoked or not).
pub fn feedback_labels(
    reader: &dyn prod_data::ProductionReader,
) -> anyhow::Result<(Vec<FeedbackLabel>, BTreeSet<String>)> {
    let mut labels = Vec::new();
    let mut texts = BTreeSet::new();
    let records: Vec<FeedbackRecord> = reader
        .feedback_since(None)
        .context("reading the feedback logs")?;
    records.into_iter().for_each(|r| {
        texts.insert(r.text.clone());
        let (Some(source), Ok(label)) = (LabelSource::parse(&r.source), r.label.parse::<Label>())
        else {
            return;
        };
        labels.push(FeedbackLabel {
            id: r.feedback_id,
            at: r.at,
            text: r.text,
            is_fraud: label.is_fraud(),
            source,
            contact: r.contact,
        });
    });
    Ok((labels, texts))
}

/// The human labels that count: revocations honoured, one per text.
pub fn live_labels(
    data_dir: &Path,
    revoked: &BTreeSet<String>,
    limits: &LabelLimits,
) -> anyhow::Result<(Vec<TrainingLabel>, BTreeSet<String>)> {
    live_labels_from(&prod_data::FileReader::new(data_dir), revoked, limits)
}

/// [`live_labels`] from any production store.
pub fn live_labels_from(
    reader: &dyn prod_data::ProductionReader,
    revoked: &BTreeSet<String>,
    limits: &LabelLimits,
) -> anyhow::Result<(Vec<TrainingLabel>, BTreeSet<String>)> {
    let (feedback, texts) = feedback_labels(reader)?;
    Ok((training_labels(&feedback, revoked, limits), texts))
}

/// The bundle's reference rows, split into its training rows and its hold-out (test) rows.
pub fn reference_rows(bundle: &LoadedBundle) -> anyhow::Result<(Vec<Row>, Vec<Row>)> {
    let bytes = bundle.reference_data.as_deref().with_context(|| {
        format!(
            "{} has no reference rows to retrain from",
            bundle.manifest.version
        )
    })?;
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("reference rows lack the {name} column"))
    };
    let (text, label, split) = (col("text")?, col("label")?, col("split")?);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.context("reading the reference rows")?;
        let is_fraud = record[label]
            .parse::<Label>()
            .map_err(|e| anyhow::anyhow!("reference rows: {e}"))?
            .is_fraud();
        let row = (record[text].to_string(), is_fraud);
        if &record[split] == "test" {
            test.push(row);
        } else {
            train.push(row);
        }
    }
    Ok((train, test))
}

/// A labelled CSV (`text,label`) of `rows`.
pub fn labelled_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["text", "label"]).expect("in-memory CSV");
    for (text, fraud) in rows {
        w.write_record([text.as_str(), label_name(*fraud)])
            .expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// A labelled, weighted CSV (`text,label,weight`) of `rows`, as `trainer train` reads it.
pub fn weighted_csv(rows: &[(Row, f64)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["text", "label", crate::data::WEIGHT_COLUMN])
        .expect("in-memory CSV");
    for ((text, fraud), weight) in rows {
        w.write_record([text.as_str(), label_name(*fraud), &weight.to_string()])
            .expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

fn label_name(fraud: bool) -> &'static str {
    if fraud {
        "fraud"
    } else {
        "legit"
    }
}

/// F1 of `model` on `rows` at its own threshold (NaN without rows).
pub fn f1(model: &FraudModel, rows: &[Row]) -> f64 {
    if rows.is_empty() {
        return f64::NAN;
    }
    let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
    let scores: Vec<f64> = rows.iter().map(|r| model.score(&r.0)).collect();
    BinaryMetrics::compute(&labels, &scores, model.threshold()).f1
}

/// Mean log loss of the model's probabilities on `rows` (NaN when there are none).
pub fn log_loss(model: &FraudModel, rows: &[Row]) -> f64 {
    if rows.is_empty() {
        return f64::NAN;
    }
    let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
    let scores: Vec<f64> = rows.iter().map(|r| model.score(&r.0)).collect();
    text_model::log_loss(&labels, &scores)
}

/// Share of `rows` the model flags as fraud.
pub fn flagged_share(model: &FraudModel, rows: &[Row]) -> f64 {
    if rows.is_empty() {
        return 0.0;
    }
    let flagged = rows
        .iter()
        .filter(|r| model.score(&r.0) >= model.threshold())
        .count();
    flagged as f64 / rows.len() as f64
}
