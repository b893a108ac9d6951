use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::Error;

/// What a read saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Records handed to the callback.
    pub records: u64,
    /// Lines skipped: torn (a writer was interrupted), corrupt or of another schema.
    pub skipped: u64,
    /// Files read.
    pub files: u64,
}

/// Streams every record of every `*.jsonl` file in `dir` (sorted by name) to `visit`. A
/// missing directory holds no records. Memory use is one line at a time.
pub fn read_records<T: Record>(dir: &Path, mut visit: impl FnMut(T)) -> Result<ReadStats, Error> {
    read_lines(dir, |line| match serde_json::from_slice::<T>(line) {
        Ok(record) if record.schema() == crate::SCHEMA_VERSION => {
            visit(record);
            true
        }
        _ => false,
    })
}

/// Streams every complete, non-blank line of every `*.jsonl` file in `dir` (sorted by name) to
/// `visit`, which answers whether the line was a valid record. Torn last lines and lines
/// `visit` rejects are counted as skipped. For readers that parse only part of each line.
pub fn read_lines(dir: &Path, mut visit: impl FnMut(&[u8]) -> bool) -> Result<ReadStats, Error> {
    let mut stats = ReadStats::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stats),
        Err(e) => {
            return Err(Error::Io {
                action: "list",
                path: dir.to_path_buf(),
                source: e,
            })
        }
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut line = Vec::new();
    for path in files {
        let file = File::open(&path).map_err(Error::io("open", &path))?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        stats.files += 1;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(Error::io("read", &path))?;
            if n == 0 {
                break;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            // A line without its newline is the torn tail of an interrupted write.
            let complete = line.last() == Some(&b'\n');
            if complete && visit(&line) {
                stats.records += 1;
            } else {
                stats.skipped += 1;
            }
        }
    }
    if stats.skipped > 0 {
        tracing::warn!(dir = %dir.display(), skipped = stats.skipped, "skipped torn or corrupt log lines");
    }
    Ok(stats)
}

/// A log record with a schema version.
pub trait Record: DeserializeOwned {
    /// The record's schema version.
    fn schema(&self) -> u32;
}

impl Record for crate::PredictionRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
}

impl Record for crate::FeedbackRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
}
