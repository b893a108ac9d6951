use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use crate::{
    feedback_dir, predictions_dir, read_records, Error, FeedbackRecord, PredictionRecord,
    ProductionReader,
};

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
    /// Rows of feedback on a prediction the logs do not hold (lost with the prediction log's
    /// queue in a crash, or in a log since removed): written from the feedback record alone.
    pub labels_without_prediction: u64,
    /// Log lines skipped as torn or corrupt.
    pub skipped_lines: u64,
}

/// Writes `prod_data.csv`: every prediction with its latest feedback label (the latest
/// feedback wins; earlier ones stay in the log as history), then the latest feedback on
/// predictions the logs do not hold, then feedback given on plain texts. Every acknowledged
/// label is in it: the prediction log is best-effort (a crash loses what is still queued),
/// the feedback log is fsynced before the 201, and a feedback record carries the text, score
/// and model version itself.
/// `descriptor_columns` name the descriptor columns to include, in order.
pub fn export_prod_data<W: Write>(
    data_dir: &Path,
    descriptor_columns: &[&str],
    out: W,
) -> Result<ExportStats, Error> {
    export_with(
        |visit| read_records(&feedback_dir(data_dir), visit).map(|s| s.skipped),
        |visit| read_records(&predictions_dir(data_dir), visit).map(|s| s.skipped),
        descriptor_columns,
        out,
    )
}

/// [`export_prod_data`] from any [`ProductionReader`] (every prediction and feedback record it
/// holds, read into memory).
pub fn export_from_reader<W: Write>(
    reader: &(impl ProductionReader + ?Sized),
    descriptor_columns: &[&str],
    out: W,
) -> Result<ExportStats, Error> {
    export_with(
        |visit| {
            reader.feedback_since(None)?.into_iter().for_each(visit);
            Ok(0)
        },
        |visit| {
            reader
                .prediction_window(None, usize::MAX)?
                .into_iter()
                .for_each(visit);
            Ok(0)
        },
        descriptor_columns,
        out,
    )
}

/// The export from two record sources, each returning how many lines it skipped.
fn export_with<W: Write>(
    feedback: impl FnOnce(&mut dyn FnMut(FeedbackRecord)) -> Result<u64, Error>,
    predictions: impl FnOnce(&mut dyn FnMut(PredictionRecord)) -> Result<u64, Error>,
    descriptor_columns: &[&str],
    out: W,
) -> Result<ExportStats, Error> {
    let mut stats = ExportStats::default();
    let mut latest: HashMap<String, (FeedbackRecord, u64)> = HashMap::new();
    let mut text_only: Vec<FeedbackRecord> = Vec::new();
    let fb = feedback(&mut |f: FeedbackRecord| match f.prediction_id.clone() {
        Some(pid) => {
            let entry = latest.entry(pid).or_insert_with(|| (f.clone(), 0));
            entry.1 += 1;
            if f.at >= entry.0.at {
                entry.0 = f;
            }
        }
        None => text_only.push(f),
    })?;
    stats.skipped_lines += fb;

    let mut writer = csv::Writer::from_writer(out);
    let header: Vec<&str> = PROD_DATA_COLUMNS
        .iter()
        .chain(descriptor_columns)
        .copied()
        .collect();
    writer.write_record(&header)?;
    let mut write_error = None;
    let mut joined: HashSet<String> = HashSet::new();
    let preds = predictions(&mut |p: PredictionRecord| {
        if write_error.is_some() {
            return;
        }
        let feedback = latest.get(&p.prediction_id);
        stats.predictions += 1;
        if feedback.is_some() {
            stats.labelled += 1;
            joined.insert(p.prediction_id.clone());
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
    stats.skipped_lines += preds;
    let mut unjoined: Vec<(FeedbackRecord, u64)> = latest
        .into_iter()
        .filter(|(pid, _)| !joined.contains(pid))
        .map(|(_, entry)| entry)
        .collect();
    unjoined.sort_by(|a, b| (a.0.at, &a.0.feedback_id).cmp(&(b.0.at, &b.0.feedback_id)));
    for (f, count) in unjoined {
        stats.labels_without_prediction += 1;
        writer.write_record(feedback_row(f, count, descriptor_columns))?;
    }
    for f in text_only {
        stats.text_only_feedback += 1;
        writer.write_record(feedback_row(f, 1, descriptor_columns))?;
    }
    writer.flush().map_err(|e| Error::Export(e.into()))?;
    Ok(stats)
}

/// The export row of a label that stands alone (its prediction is not in the logs, or it
/// labels a plain text): what the feedback record carries, empty prediction columns.
fn feedback_row(f: FeedbackRecord, count: u64, descriptor_columns: &[&str]) -> Vec<String> {
    let mut row = vec![
        f.prediction_id.unwrap_or_default(),
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
        count.to_string(),
    ];
    row.extend(descriptor_columns.iter().map(|_| String::new()));
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FeedbackLog, PredictionRecord};

    fn feedback(pid: Option<&str>, label: &str, text: &str) -> FeedbackRecord {
        FeedbackRecord {
            schema: crate::SCHEMA_VERSION,
            feedback_id: format!("f-{pid:?}-{label}"),
            at: chrono::Utc::now(),
            instance: "t".into(),
            prediction_id: pid.map(str::to_string),
            text: text.into(),
            label: label.into(),
            source: "user".into(),
            contact: None,
            comment: None,
            model_version: pid.map(|_| "v0003".into()),
            risk_score: pid.map(|_| 0.25),
        }
    }

    /// A prediction answered but still in the log's queue at a crash is lost by design; the
    /// label given on it was acknowledged, so the export keeps it (once, it was dropped).
    #[test]
    fn every_acknowledged_label_is_exported_even_without_its_prediction() {
        let dir = tempfile::tempdir().unwrap();
        let logged = PredictionRecord {
            schema: crate::SCHEMA_VERSION,
            prediction_id: "logged".into(),
            at: chrono::Utc::now(),
            instance: "t".into(),
            model_version: "v0003".into(),
            text: "logged text".into(),
            client_id: None,
            channel: None,
            meta: None,
            risk_score: 0.5,
            predicted_label: "fraud".into(),
            threshold: 0.5,
            risk_level: "medium".into(),
            descriptors: Default::default(),
            latency_us: 1,
        };
        let predictions = crate::predictions_dir(dir.path());
        std::fs::create_dir_all(&predictions).unwrap();
        std::fs::write(
            predictions.join("p.jsonl"),
            serde_json::to_string(&logged).unwrap() + "\n",
        )
        .unwrap();
        let log = FeedbackLog::open(dir.path(), "t").unwrap();
        log.append(&feedback(Some("logged"), "fraud", "logged text"))
            .unwrap();
        log.append(&feedback(Some("lost-1"), "legit", "lost one"))
            .unwrap();
        log.append(&feedback(Some("lost-2"), "fraud", "lost two"))
            .unwrap();
        log.append(&feedback(None, "fraud", "plain text")).unwrap();

        let mut out = Vec::new();
        let stats = export_prod_data(dir.path(), &[], &mut out).unwrap();
        assert_eq!(
            (
                stats.predictions,
                stats.labelled,
                stats.labels_without_prediction,
                stats.text_only_feedback
            ),
            (1, 1, 2, 1)
        );
        let mut reader = csv::Reader::from_reader(&out[..]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let labels: Vec<(&str, &str, &str, &str, &str)> = rows
            .iter()
            .map(|r| (&r[0], &r[2], &r[3], &r[5], &r[8]))
            .collect();
        assert_eq!(
            labels,
            [
                ("logged", "v0003", "logged text", "0.500000", "fraud"),
                ("lost-1", "v0003", "lost one", "0.250000", "legit"),
                ("lost-2", "v0003", "lost two", "0.250000", "fraud"),
                ("", "", "plain text", "", "fraud"),
            ]
        );
    }
}
