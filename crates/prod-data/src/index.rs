//! Finding one prediction by id without reading every log.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{Error, PredictionRecord};

/// Bytes read from a log at a time while indexing.
const CHUNK: usize = 1 << 20;

/// Where each prediction id sits in the prediction logs of a directory (every replica's),
/// kept per log file and extended as the files grow: each refresh reads only the bytes
/// appended since the last one, so after the first pass a lookup of any id, known or not,
/// costs a hash lookup and the new tail of each file, not a scan of every log.
///
/// Keys are 64-bit hashes of the ids (about 20 bytes of memory per prediction); a hit is
/// confirmed by reading and parsing its line, so a collision costs a read, never a wrong
/// answer.
#[derive(Debug)]
pub struct PredictionIndex {
    dir: PathBuf,
    files: HashMap<PathBuf, FileIndex>,
    /// When the last refresh began: it saw every line written before then.
    last_refresh: Option<Instant>,
}

/// What one log file holds.
#[derive(Debug, Default)]
struct FileIndex {
    /// Bytes indexed so far: always the end of a complete line.
    indexed_to: u64,
    /// Id hash → offset of its line.
    offsets: HashMap<u64, u64>,
    /// Lines whose id hash was already taken in this file (collisions, repeated ids).
    more: Vec<(u64, u64)>,
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Log files indexed.
    pub files: u64,
    /// Lines indexed, in total.
    pub lines: u64,
    /// Bytes read by this refresh.
    pub bytes_read: u64,
}

impl PredictionIndex {
    /// An empty index of the prediction logs in `dir` (nothing is read until
    /// [`PredictionIndex::refresh`] or [`PredictionIndex::find`]).
    pub fn new(dir: impl Into<PathBuf>) -> PredictionIndex {
        PredictionIndex {
            dir: dir.into(),
            files: HashMap::new(),
            last_refresh: None,
        }
    }

    /// Indexes what was appended to the logs since the last refresh, and new log files.
    pub fn refresh(&mut self) -> Result<IndexStats, Error> {
        self.last_refresh = Some(Instant::now());
        let mut stats = IndexStats::default();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stats),
            Err(e) => return Err(Error::io("list", &self.dir)(e)),
        };
        for path in entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        {
            let index = self.files.entry(path.clone()).or_default();
            stats.bytes_read += index.extend(&path)?;
            stats.files += 1;
            stats.lines += (index.offsets.len() + index.more.len()) as u64;
        }
        Ok(stats)
    }

    /// The prediction with this id, from any replica's log (after a refresh).
    pub fn find(&mut self, id: &str) -> Result<Option<PredictionRecord>, Error> {
        self.find_asked_at(id, Instant::now())
    }

    /// The prediction with this id as the logs stood at `asked` (when the question came):
    /// refreshes first unless a refresh began at `asked` or later, which saw every line
    /// written before the question. Lookups queued behind one another so share one refresh,
    /// instead of each listing and reading every log's tail (30 clients asking for unknown
    /// ids made the lookups queue 80–437 ms at p99).
    pub fn find_asked_at(
        &mut self,
        id: &str,
        asked: Instant,
    ) -> Result<Option<PredictionRecord>, Error> {
        if self.last_refresh.is_none_or(|began| began < asked) {
            self.refresh()?;
        }
        let key = id_hash(id.as_bytes());
        for (path, index) in &self.files {
            let candidates = index.offsets.get(&key).into_iter().chain(
                index
                    .more
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, offset)| offset),
            );
            for &offset in candidates {
                if let Some(record) = read_record_at(path, offset)? {
                    if record.prediction_id == id && record.schema == crate::SCHEMA_VERSION {
                        return Ok(Some(record));
                    }
                }
            }
        }
        Ok(None)
    }
}

impl FileIndex {
    /// Indexes the complete lines after `indexed_to`; returns the bytes read.
    fn extend(&mut self, path: &Path) -> Result<u64, Error> {
        let mut file = match File::open(path) {
            Ok(file) => file,
            // Removed since it was listed: nothing to index.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io("open", path)(e)),
        };
        let len = file.metadata().map_err(Error::io("stat", path))?.len();
        if len <= self.indexed_to {
            return Ok(0);
        }
        file.seek(SeekFrom::Start(self.indexed_to))
            .map_err(Error::io("seek", path))?;
        let mut read = 0u64;
        let mut pending: Vec<u8> = Vec::new();
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut chunk).map_err(Error::io("read", path))?;
            if n == 0 {
                break;
            }
            read += n as u64;
            pending.extend_from_slice(&chunk[..n]);
            let mut start = 0;
            while let Some(end) = memchr_newline(&pending[start..]) {
                let line = &pending[start..start + end];
                if let Some(id) = line_id(line) {
                    let key = id_hash(id.as_bytes());
                    let offset = self.indexed_to;
                    if let Some(taken) = self.offsets.insert(key, offset) {
                        // Keep both: the first stays in `offsets`, the other in `more`.
                        self.offsets.insert(key, taken);
                        self.more.push((key, offset));
                    }
                }
                self.indexed_to += end as u64 + 1;
                start += end + 1;
            }
            // A line without its newline yet (being written, or torn) waits for the next
            // refresh.
            pending.drain(..start);
        }
        Ok(read)
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// The prediction id of a log line: read from the fixed prefix every writer of this crate
/// produces (`{"schema":1,"prediction_id":"…"`), else by parsing the line.
fn line_id(line: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    const HEAD: &[u8] = b"{\"schema\":";
    const ID: &[u8] = b",\"prediction_id\":\"";
    if let Some(rest) = line.strip_prefix(HEAD) {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if let Some(rest) = rest[digits..].strip_prefix(ID) {
            if let Some(end) = rest.iter().position(|&b| b == b'"' || b == b'\\') {
                if rest[end] == b'"' {
                    return std::str::from_utf8(&rest[..end])
                        .ok()
                        .map(std::borrow::Cow::Borrowed);
                }
            }
        }
    }
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        prediction_id: std::borrow::Cow<'a, str>,
    }
    serde_json::from_slice::<Id<'_>>(line)
        .ok()
        .map(|id| id.prediction_id)
}

/// FNV-1a: stable, fast on 36-byte ids, and good enough when hits are confirmed.
fn id_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The record whose line starts at `offset`, if that line is a complete, valid record.
fn read_record_at(path: &Path, offset: u64) -> Result<Option<PredictionRecord>, Error> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("open", path)(e)),
    };
    file.seek(SeekFrom::Start(offset))
        .map_err(Error::io("seek", path))?;
    let mut line = Vec::new();
    BufReader::with_capacity(16 << 10, file)
        .read_until(b'\n', &mut line)
        .map_err(Error::io("read", path))?;
    Ok(serde_json::from_slice(&line).ok())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn record(id: &str) -> PredictionRecord {
        PredictionRecord {
            schema: crate::SCHEMA_VERSION,
            prediction_id: id.into(),
            at: chrono::Utc::now(),
            instance: "t".into(),
            model_version: "v0001".into(),
            text: format!("text of {id}"),
            client_id: None,
            channel: None,
            meta: None,
            risk_score: 0.5,
            predicted_label: "fraud".into(),
            threshold: 0.5,
            risk_level: "medium".into(),
            descriptors: Default::default(),
            latency_us: 1,
        }
    }

    fn line(r: &PredictionRecord) -> String {
        let mut line = serde_json::to_string(r).unwrap();
        line.push('\n');
        line
    }

    #[test]
    fn finds_ids_across_files_and_reads_only_what_was_appended() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("predictions-a.jsonl");
        let b = dir.path().join("predictions-b.jsonl");
        let mut fa = std::fs::File::create(&a).unwrap();
        for i in 0..1000 {
            fa.write_all(line(&record(&format!("a-{i}"))).as_bytes())
                .unwrap();
        }
        // A torn last line, and lines in another field order and with escapes.
        fa.write_all(b"{\"schema\":1,\"prediction_id\":\"torn")
            .unwrap();
        let mut other = serde_json::to_value(record("b\"quoted")).unwrap();
        other.as_object_mut().unwrap().remove("schema");
        other.as_object_mut().unwrap().remove("text");
        let mut fb = std::fs::File::create(&b).unwrap();
        writeln!(
            fb,
            "{{\"text\":\"moved first\",\"schema\":1,{}",
            &serde_json::to_string(&other).unwrap()[1..]
        )
        .unwrap();
        fb.write_all(b"not json at all\n").unwrap();

        let mut index = PredictionIndex::new(dir.path());
        assert_eq!(index.find("a-7").unwrap().unwrap().text, "text of a-7");
        assert_eq!(index.find("a-999").unwrap().unwrap().prediction_id, "a-999");
        assert_eq!(
            index.find("b\"quoted").unwrap().unwrap().text,
            "moved first"
        );
        assert!(index.find("torn").unwrap().is_none());
        assert!(index.find("nope").unwrap().is_none());

        // Unknown ids cost nothing more once the logs are indexed (but the torn tail, which
        // waits for its newline).
        assert_eq!(index.refresh().unwrap().bytes_read, 33);
        // The torn line completes; a new record follows.
        fa.write_all(b"\"}\n").unwrap();
        fa.write_all(line(&record("a-new")).as_bytes()).unwrap();
        assert!(index.find("a-new").unwrap().is_some());
        let stats = index.refresh().unwrap();
        assert_eq!((stats.files, stats.bytes_read), (2, 0));
    }

    #[test]
    fn a_hash_collision_is_confirmed_by_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        std::fs::write(&path, line(&record("x")) + &line(&record("x"))).unwrap();
        let mut index = PredictionIndex::new(dir.path());
        index.refresh().unwrap();
        let file = index.files.get_mut(&path).unwrap();
        // Pretend "y" hashed like "x": its candidate line is x's, which is not y.
        let (&key, &offset) = file.offsets.iter().next().unwrap();
        file.offsets.remove(&key);
        file.offsets.insert(id_hash(b"y"), offset);
        assert!(index.find("y").unwrap().is_none());
        // The repeated id's second line is still found through `more`.
        assert_eq!(index.find("x").unwrap().unwrap().prediction_id, "x");
    }

    #[test]
    fn lookups_asked_before_a_refresh_share_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        std::fs::write(&path, line(&record("old"))).unwrap();
        let mut index = PredictionIndex::new(dir.path());
        let asked_before = Instant::now();
        assert!(index.find("old").unwrap().is_some());
        // Written after the refresh: a lookup asked before it does not refresh again (what
        // was on disk when it was asked has been seen)...
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(line(&record("new")).as_bytes()).unwrap();
        assert!(index.find_asked_at("new", asked_before).unwrap().is_none());
        // ...and one asked now does.
        assert!(index
            .find_asked_at("new", Instant::now())
            .unwrap()
            .is_some());
    }
}
