//! The registry's use of the shared durable-file primitives (`fraudloop-fs`), with errors
//! mapped onto the registry's [`Error`].

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Error;

impl From<fraudloop_fs::FsError> for Error {
    fn from(e: fraudloop_fs::FsError) -> Error {
        Error::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

/// Writes `bytes` to a new file and fsyncs it. Returns its SHA-256 (hex).
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<String, Error> {
    fraudloop_fs::write_new_synced(path, bytes)?;
    Ok(sha256_hex(bytes))
}

/// SHA-256 of `bytes` as lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
