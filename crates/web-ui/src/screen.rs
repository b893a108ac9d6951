//! A screened file: its rows with their scores, the scored CSV, the risk histogram.

use crate::clients::predict::{BatchItem, BatchResult};

/// One row of a screened file.
#[derive(Debug, Clone)]
pub struct ScreenRow {
    /// The row's number in the file (1 = first data row).
    pub line: usize,
    /// The message.
    pub text: String,
    /// The score, or the row's error.
    pub outcome: BatchItem,
}

/// A screened file, kept in the session for the table and the download.
#[derive(Debug, Clone)]
pub struct Screened {
    /// The uploaded file's name.
    pub file_name: String,
    /// The model that scored it.
    pub model_version: String,
    /// Every row, in file order.
    pub rows: Vec<ScreenRow>,
}

/// Histogram bins of the risk score.
pub const BINS: usize = 10;

impl Screened {
    /// Joins the uploaded texts with predict-api's answer (same order, one each).
    pub fn new(file_name: String, texts: Vec<String>, result: BatchResult) -> Screened {
        let rows = result
            .items
            .into_iter()
            .enumerate()
            .map(|(i, outcome)| ScreenRow {
                line: i + 1,
                text: texts.get(i).cloned().unwrap_or_default(),
                outcome,
            })
            .collect();
        Screened {
            file_name,
            model_version: result.model_version,
            rows,
        }
    }

    /// Rows scored, rows failed.
    pub fn counts(&self) -> (usize, usize) {
        let scored = self
            .rows
            .iter()
            .filter(|r| matches!(r.outcome, BatchItem::Scored(_)))
            .count();
        (scored, self.rows.len() - scored)
    }

    /// Scored rows per risk-score bin of width 0.1.
    pub fn histogram(&self) -> [usize; BINS] {
        let mut bins = [0; BINS];
        for row in &self.rows {
            if let BatchItem::Scored(p) = &row.outcome {
                let bin = ((p.risk_score * BINS as f64) as usize).min(BINS - 1);
                bins[bin] += 1;
            }
        }
        bins
    }

    /// Scored rows per risk level: low, medium, high.
    pub fn levels(&self) -> [usize; 3] {
        let mut out = [0; 3];
        for row in &self.rows {
            if let BatchItem::Scored(p) = &row.outcome {
                match p.risk_level.as_str() {
                    "high" => out[2] += 1,
                    "medium" => out[1] += 1,
                    _ => out[0] += 1,
                }
            }
        }
        out
    }

    /// The scored file: the text and every field of the answer, one row per input row.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record([
            "line",
            "text",
            "label",
            "risk_score",
            "risk_level",
            "threshold",
            "model_version",
            "prediction_id",
            "top_terms",
            "error",
        ])?;
        for row in &self.rows {
            let line = row.line.to_string();
            match &row.outcome {
                BatchItem::Scored(p) => {
                    let terms = p
                        .top_terms
                        .iter()
                        .map(|t| format!("{}:{:+.3}", t.term, t.weight))
                        .collect::<Vec<_>>()
                        .join(" ");
                    out.write_record([
                        line.as_str(),
                        &row.text,
                        &p.label,
                        &format!("{:.6}", p.risk_score),
                        &p.risk_level,
                        &format!("{:.6}", p.threshold),
                        &p.model_version,
                        &p.prediction_id,
                        &terms,
                        "",
                    ])?;
                }
                BatchItem::Failed(message) => {
                    out.write_record([
                        line.as_str(),
                        &row.text,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        message,
                    ])?;
                }
            }
        }
        out.into_inner().map_err(|e| e.into_error().into())
    }
}

/// Why an uploaded file cannot be screened, before predict-api sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// Not UTF-8.
    #[error("the file is not UTF-8 text (save it as CSV UTF-8)")]
    NotUtf8,
    /// Not CSV, or no text column.
    #[error("{0}")]
    Csv(String),
}

/// The `text` column of an uploaded CSV, for the table (predict-api reads the same bytes).
pub fn texts_of(csv_bytes: &[u8]) -> Result<Vec<String>, UploadError> {
    let body = std::str::from_utf8(csv_bytes).map_err(|_| UploadError::NotUtf8)?;
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| UploadError::Csv(e.to_string()))?
        .clone();
    let column = headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("text"))
        .ok_or_else(|| UploadError::Csv("the CSV needs a header row with a text column".into()))?;
    let mut texts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| UploadError::Csv(e.to_string()))?;
        texts.push(record.get(column).unwrap_or_default().to_string());
    }
    if texts.is_empty() {
        return Err(UploadError::Csv("the CSV has a header but no rows".into()));
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::predict::Prediction;

    fn scored(score: f64, level: &str) -> BatchItem {
        BatchItem::Scored(Prediction {
            prediction_id: format!("p{score}"),
            id: None,
            label: if score >= 0.5 { "fraud" } else { "legit" }.into(),
            risk_score: score,
            risk_level: level.into(),
            threshold: 0.5,
            model_version: "v0001".into(),
            top_terms: vec![],
        })
    }

    #[test]
    fn the_scored_csv_keeps_every_row_in_order_with_its_error() {
        let screened = Screened::new(
            "f.csv".into(),
            vec!["a, \"quoted\"".into(), " ".into(), "c".into()],
            BatchResult {
                model_version: "v0001".into(),
                items: vec![
                    scored(0.95, "high"),
                    BatchItem::Failed("empty text".into()),
                    scored(0.05, "low"),
                ],
            },
        );
        let csv = String::from_utf8(screened.to_csv().unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][1], "a, \"quoted\"");
        assert_eq!(&rows[0][4], "high");
        assert_eq!(&rows[1][9], "empty text");
        assert_eq!(screened.histogram()[9], 1);
        assert_eq!(screened.histogram()[0], 1);
        assert_eq!(screened.levels(), [1, 0, 1]);
        assert_eq!(screened.counts(), (2, 1));
    }

    #[test]
    fn uploads_without_a_text_column_or_rows_are_refused() {
        assert!(matches!(
            texts_of(b"message\nhi\n"),
            Err(UploadError::Csv(_))
        ));
        assert!(matches!(texts_of(b"text\n"), Err(UploadError::Csv(_))));
        assert_eq!(texts_of(b"\xff\xfe"), Err(UploadError::NotUtf8));
        assert_eq!(
            texts_of("\u{feff}id,text\n1,hi\n".as_bytes()).unwrap(),
            ["hi"]
        );
    }
}
