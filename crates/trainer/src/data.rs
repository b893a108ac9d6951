//! Reading labelled CSV files, with errors that name the file, the line and the problem.

use std::path::{Path, PathBuf};

use artifact_store::DataFingerprint;
use sha2::{Digest, Sha256};
use text_model::Label;

/// A labelled data file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be read.
    #[error("{file}: cannot read")]
    Read {
        /// The file.
        file: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A problem tied to one line.
    #[error("{file}:{line}: {problem}")]
    Line {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// A problem with the file as a whole.
    #[error("{file}: {problem}")]
    File {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Texts with labels, as read from one file.
#[derive(Debug, Clone)]
pub struct LabelledData {
    /// Message texts.
    pub texts: Vec<String>,
    /// Their labels.
    pub labels: Vec<Label>,
    /// Each row's `kind` (a finer category such as `phishing_bank`), when the file has a
    /// `kind` column.
    pub kinds: Option<Vec<String>>,
    /// Each row's training weight, when the file has a `weight` column (positive numbers; a
    /// row of weight 3 counts as much as three copies of it).
    pub weights: Option<Vec<f64>>,
    /// What the data was.
    pub fingerprint: DataFingerprint,
}

impl LabelledData {
    /// Labels as booleans, true = fraud.
    pub fn is_fraud(&self) -> Vec<bool> {
        self.labels.iter().map(|l| l.is_fraud()).collect()
    }
}

/// The optional column that gives each row a finer category for per-kind evaluation.
pub const KIND_COLUMN: &str = "kind";

/// The optional column that weighs each training row (default 1).
pub const WEIGHT_COLUMN: &str = "weight";

/// Reads `path`, a CSV with a header naming `text_col` and `label_col`. `require_both_classes`
/// is set for training data.
pub fn read_labelled_csv(
    path: &Path,
    text_col: &str,
    label_col: &str,
    require_both_classes: bool,
) -> Result<LabelledData, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let file_err = |problem: String| DataError::File {
        file: path.to_path_buf(),
        problem,
    };
    let line_err = |line: u64, problem: String| DataError::Line {
        file: path.to_path_buf(),
        line,
        problem,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_err(
            "the file is empty: expected a header line and data rows".into(),
        ));
    }

    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, &bytes, e))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let found: Vec<&str> = headers.iter().collect();
    let text_idx = find(text_col).ok_or_else(|| {
        file_err(format!(
            "missing column {text_col:?} (columns found: {})",
            found.join(", ")
        ))
    })?;
    let label_idx = find(label_col).ok_or_else(|| {
        file_err(format!(
            "missing column {label_col:?} (columns found: {})",
            found.join(", ")
        ))
    })?;

    let kind_idx = find(KIND_COLUMN);
    let mut kinds = kind_idx.map(|_| Vec::new());
    let weight_idx = find(WEIGHT_COLUMN);
    let mut weights = weight_idx.map(|_| Vec::new());
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, &bytes, e))?;
        // Counting lines is linear in the offset: only done for a row that is rejected.
        let line = || {
            record
                .position()
                .map_or(0, |p| physical_line(&bytes, p.byte()))
        };
        let text = record.get(text_idx).unwrap_or_default();
        // The rule predict-api refuses texts by: no visible character (NUL, zero-width
        // spaces and whitespace alone) is an empty text.
        if !text_model::has_visible_text(text) {
            return Err(line_err(
                line(),
                format!("empty text in column {text_col:?}"),
            ));
        }
        let raw_label = record.get(label_idx).unwrap_or_default();
        let label: Label = raw_label
            .parse()
            .map_err(|e: text_model::UnknownLabel| line_err(line(), e.to_string()))?;
        if let (Some(weights), Some(i)) = (weights.as_mut(), weight_idx) {
            let raw = record.get(i).unwrap_or_default().trim();
            let weight = match raw.parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 => w,
                _ => {
                    return Err(line_err(
                        line(),
                        format!("weight {raw:?} is not a positive number"),
                    ))
                }
            };
            weights.push(weight);
        }
        texts.push(text.to_string());
        labels.push(label);
        if let (Some(kinds), Some(i)) = (kinds.as_mut(), kind_idx) {
            kinds.push(record.get(i).unwrap_or_default().trim().to_string());
        }
    }
    if texts.is_empty() {
        return Err(file_err("no data rows after the header".into()));
    }
    let fraud = labels.iter().filter(|l| l.is_fraud()).count() as u64;
    let legit = labels.len() as u64 - fraud;
    if require_both_classes && (fraud == 0 || legit == 0) {
        return Err(file_err(format!(
            "only one class present (fraud: {fraud}, legit: {legit}); training needs both"
        )));
    }
    let fingerprint = DataFingerprint {
        sha256: hex::encode(Sha256::digest(&bytes)),
        rows: labels.len() as u64,
        fraud,
        legit,
        source: path.display().to_string(),
    };
    Ok(LabelledData {
        texts,
        labels,
        kinds,
        weights,
        fingerprint,
    })
}

/// The 1-based line of a byte offset. The csv crate's own line counter is off by one after
/// CRLF line ends and blank lines, so lines are counted from the bytes.
fn physical_line(bytes: &[u8], offset: u64) -> u64 {
    let mut at = (offset as usize).min(bytes.len());
    let mut line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    // The reported offset may sit on the previous line's terminator or on blank lines.
    while at < bytes.len() && (bytes[at] == b'\r' || bytes[at] == b'\n') {
        line += u64::from(bytes[at] == b'\n');
        at += 1;
    }
    line
}

fn csv_error(path: &Path, bytes: &[u8], e: csv::Error) -> DataError {
    let file = path.to_path_buf();
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, err } => DataError::Line {
            file,
            line: pos.as_ref().map_or(0, |p| physical_line(bytes, p.byte())),
            problem: format!(
                "text is not valid UTF-8 (field {}); re-encode the file as UTF-8",
                err.field() + 1
            ),
        },
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => DataError::Line {
            file,
            line: pos.as_ref().map_or(0, |p| physical_line(bytes, p.byte())),
            problem: format!("{len} fields where the header has {expected_len}"),
        },
        _ => DataError::File {
            file,
            problem: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(content: &[u8]) -> Result<LabelledData, DataError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        std::fs::write(&path, content).unwrap();
        read_labelled_csv(&path, "text", "label", true)
    }

    #[test]
    fn reads_labels_in_every_spelling() {
        let d = read(b"text,label\n\"win, now\",spam\nhello,ham\nfree cash,1\nhi,0\n").unwrap();
        assert_eq!(d.texts, ["win, now", "hello", "free cash", "hi"]);
        assert_eq!(d.is_fraud(), [true, false, true, false]);
        assert_eq!(
            (d.fingerprint.rows, d.fingerprint.fraud, d.fingerprint.legit),
            (4, 2, 2)
        );
        assert_eq!(d.fingerprint.sha256.len(), 64);
    }

    #[test]
    fn an_optional_weight_column_weighs_rows() {
        let d = read(b"text,label\nwin,fraud\nhi,legit\n").unwrap();
        assert_eq!(d.weights, None);
        let d = read(b"text,label,weight\nwin,fraud,2\nhi,legit,0.5\n").unwrap();
        assert_eq!(d.weights, Some(vec![2.0, 0.5]));
        for bad in ["0", "-1", "NaN", "inf", ""] {
            let csv = format!("text,label,weight\nwin,fraud,1\nhi,legit,{bad}\n");
            let e = read(csv.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("data.csv:3: weight"), "{bad}: {e}");
        }
    }

    #[test]
    fn errors_name_the_line_and_problem() {
        let e = read(b"text,label\nhello,legit\nwin,maybe\n")
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("data.csv:3: unknown label \"maybe\": expected fraud/legit, 1/0, spam/ham, scam, phishing or true/false"), "{e}");
        let e = read(b"text,label\nhello,legit\n\xff\xfe,fraud\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("data.csv:3: text is not valid UTF-8"), "{e}");
        let e = read(b"message,label\nhello,legit\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing column \"text\" (columns found: message, label)"),
            "{e}"
        );
        let e = read(b"").unwrap_err().to_string();
        assert!(e.contains("the file is empty"), "{e}");
        let e = read(b"text,label\n").unwrap_err().to_string();
        assert!(e.contains("no data rows"), "{e}");
        let e = read(b"text,label\na,fraud\nb,spam\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("only one class present (fraud: 2, legit: 0)"),
            "{e}"
        );
        let e = read(b"text,label\n  ,fraud\n").unwrap_err().to_string();
        assert!(e.contains("data.csv:2: empty text"), "{e}");
        // Once accepted for training although predict-api refuses it as `empty_text`.
        let e = read(b"text,label\na,legit\n\0\0\0,fraud\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("data.csv:3: empty text"), "{e}");
        let e = read("text,label\n\u{200B}\u{FEFF},fraud\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("data.csv:2: empty text"), "{e}");
        let e = read(b"text,label\na,fraud,extra\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("data.csv:2: 3 fields where the header has 2"),
            "{e}"
        );
    }
}
