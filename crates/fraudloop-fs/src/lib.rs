//! Durable file primitives: the one place where fraudloop writes a file that a reader must
//! see whole, or that must survive a crash once acknowledged.
//!
//! # Brief overview
//! - [`write_atomically`] replaces a file: readers see the old or the new content, never a
//!   mix, and after it returns the new content and its name survive a power cut (the file
//!   and its directory are fsynced).
//! - [`write_new_synced`] creates a file that must not exist yet and fsyncs it.
//! - [`append_line_synced`] appends one line and fsyncs it before returning.
//! - [`sync_dir`] makes a rename or a new entry in a directory durable.
//!
//! A rename alone is atomic but not durable: without the directory fsync a crash can bring
//! back the old name, so an acknowledged write would be lost. That is why no other crate
//! renames files by itself (a test in `fraudloop-http`'s tidy suite checks it).
#![deny(missing_docs)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file operation that failed, with what was being done and to which path.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct FsError {
    /// What was being done ("create", "fsync directory", ...).
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

impl FsError {
    /// A closure mapping an `io::Error` to an `FsError` for `action` on `path`.
    pub fn at(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FsError {
        let path = path.to_path_buf();
        move |source| FsError {
            action,
            path,
            source,
        }
    }
}

/// Replaces `path` with `bytes` atomically and durably. The parent directory must exist.
///
/// The content goes to a uniquely named temporary file in the same directory (so the rename
/// stays on one file system), which is fsynced, renamed over `path`, and then the directory
/// is fsynced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let dir = parent(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(FsError::at("create a temporary file in", dir))?;
    tmp.write_all(bytes)
        .map_err(FsError::at("write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(FsError::at("fsync", tmp.path()))?;
    tmp.persist(path)
        .map_err(|e| FsError::at("rename into place", path)(e.error))?;
    sync_dir(dir)
}

/// Creates `path` (which must not exist), writes `bytes` and fsyncs the file. The caller
/// syncs the directory once after creating several files.
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(FsError::at("create", path))?;
    file.write_all(bytes).map_err(FsError::at("write", path))?;
    file.sync_all().map_err(FsError::at("fsync", path))
}

/// Appends `line` and a newline in one write, and fsyncs before returning.
pub fn append_line_synced(path: &Path, line: &str) -> Result<(), FsError> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(FsError::at("open for append", path))?;
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    file.write_all(buf.as_bytes())
        .map_err(FsError::at("append to", path))?;
    file.sync_data().map_err(FsError::at("fsync", path))
}

/// Makes a rename or a new entry in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), FsError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(FsError::at("fsync directory", dir))
}

/// Renames `from` to `to` (a file or a directory) and fsyncs the target's directory, so the
/// move survives a crash.
pub fn rename_durably(from: &Path, to: &Path) -> Result<(), FsError> {
    std::fs::rename(from, to).map_err(FsError::at("move into place", to))?;
    sync_dir(parent(to))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latest.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two, longer");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["latest.json"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(&dir.path().join("no/such/file"), b"x").unwrap_err();
        assert!(err.to_string().contains("no/such"), "{err}");
    }

    #[test]
    fn new_files_are_never_overwritten_and_lines_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_new_synced(&path, b"a").unwrap();
        assert!(write_new_synced(&path, b"b").is_err());
        let log = dir.path().join("log");
        append_line_synced(&log, "x").unwrap();
        append_line_synced(&log, "y").unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "x\ny\n");
        let moved = dir.path().join("g");
        rename_durably(&path, &moved).unwrap();
        assert_eq!(std::fs::read(&moved).unwrap(), b"a");
    }
}
