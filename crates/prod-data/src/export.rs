use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use crate::{feedback_dir, predictions_dir, read_records, Error, FeedbackRecord, PredictionRecord};

/// Columns of `prod_data.csv` before the descriptor columns.
pub const PROD_DATA_COLUMNS: [&str; 12] = [
    "prediction_id",
    "predicted_at",
    "model_version",
    "text",
    "channel",
    "risk_score",
    "predicted_label",
    "risk_level",
    "label",
    "label_source",
    "labelled_at",
    "feedback_count",
];

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Prediction rows.
    pub predictions: u64,
    /// Of which labelled by feedback.
    pub labelled: u64,
    /// Rows of feedback on plain texts (bulk labelling), without a prediction.
    pub text_only_feedback: u64,
    /// Log lines skipped as torn or corrupt.
    pub skipped_lines: u64,
}

/// Writes `prod_data.csv`: every prediction with its latest feedback label (the latest
/// feedback wins; earlier ones stay in the log as history), then feedback given on plain texts.
/// `descriptor_columns` name the descriptor columns to include, in order.
pub fn export_prod_data<W: Write>(
    data_dir: &Path,
    descriptor_columns: &[&str],
    out: W,
) -> Result<ExportStats, Error> {
    let mut stats = ExportStats::default();
    let mut latest: HashMap<String, (FeedbackRecord, u64)> = HashMap::new();
    let mut text_only: Vec<FeedbackRecord> = Vec::new();
    let fb = read_records(&feedback_dir(data_dir), |f: FeedbackRecord| {
        match f.prediction_id.clone() {
            Some(pid) => {
                let entry = latest.entry(pid).or_insert_with(|| (f.clone(), 0));
                entry.1 += 1;
                if f.at >= entry.0.at {
                    entry.0 = f;
                }
            }
            None => text_only.push(f),
        }
    })?;
    stats.skipped_lines += fb.skipped;

    let mut writer = csv::Writer::from_writer(out);
    let header: Vec<&str> = PROD_DATA_COLUMNS
        .iter()
        .chain(descriptor_columns)
        .copied()
        .collect();
    writer.write_record(&header)?;
    let mut write_error = None;
    let preds = read_records(&predictions_dir(data_dir), |p: PredictionRecord| {
        if write_error.is_some() {
            return;
        }
        let feedback = latest.get(&p.prediction_id);
        stats.predictions += 1;
        if feedback.is_some() {
            stats.labelled += 1;
        }
        let mut row = vec![
            p.prediction_id.clone(),
            p.at.to_rfc3339(),
            p.model_version.clone(),
            p.text.clone(),
            p.channel.clone().unwrap_or_default(),
            format!("{:.6}", p.risk_score),
            p.predicted_label.clone(),
            p.risk_level.clone(),
            feedback.map(|(f, _)| f.label.clone()).unwrap_or_default(),
            feedback.map(|(f, _)| f.source.clone()).unwrap_or_default(),
            feedback.map(|(f, _)| f.at.to_rfc3339()).unwrap_or_default(),
            feedback.map_or(0, |(_, n)| *n).to_string(),
        ];
        row.extend(descriptor_columns.iter().map(|c| {
            p.descriptors
                .get(*c)
                .map_or(String::new(), |v| format!("{v:.6}"))
        }));
        if let Err(e) = writer.write_record(&row) {
            write_error = Some(e);
        }
    })?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    stats.skipped_lines += preds.skipped;
    for f in text_only {
        stats.text_only_feedback += 1;
        let mut row = vec![
            String::new(),
            String::new(),
            f.model_version.unwrap_or_default(),
            f.text,
            String::new(),
            f.risk_score.map_or(String::new(), |s| format!("{s:.6}")),
            String::new(),
            String::new(),
            f.label,
            f.source,
            f.at.to_rfc3339(),
            "1".into(),
        ];
        row.extend(descriptor_columns.iter().map(|_| String::new()));
        writer.write_record(&row)?;
    }
    writer.flush().map_err(|e| Error::Export(e.into()))?;
    Ok(stats)
}
