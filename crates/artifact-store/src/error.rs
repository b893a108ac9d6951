use std::path::PathBuf;

use crate::ModelVersion;

/// An error reading or changing the registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not valid JSON of the expected shape.
    #[error("{path} is corrupt: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A bundle file does not match the checksum recorded in its manifest.
    #[error("checksum mismatch for {path}: manifest says {expected}, file has {actual}")]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// SHA-256 from the manifest.
        expected: String,
        /// SHA-256 of the file.
        actual: String,
    },
    /// The bundle's schema version is not one this build reads.
    #[error("{path} has schema version {found}; this build reads version {supported}")]
    UnsupportedSchema {
        /// The manifest.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// No bundle has this version.
    #[error("model version {0} does not exist")]
    NotFound(ModelVersion),
    /// The text is neither a version (`v0003`, `3`) nor an alias (`production`, `previous`).
    #[error("{0:?} is neither a model version like v0003 nor an alias (production, previous)")]
    InvalidReference(String),
    /// An alias is not set.
    #[error("no model is aliased {0} yet")]
    AliasUnset(&'static str),
    /// The requested change would not change anything.
    #[error("{0}")]
    Rejected(String),
    /// A store backend beyond the file system (object storage, a database) failed.
    #[error("{action}: {detail}")]
    Backend {
        /// What was being done.
        action: &'static str,
        /// The backend's error.
        detail: String,
    },
    /// The stored model parts do not form a valid model.
    #[error("model in {path} is invalid: {source}")]
    InvalidModel {
        /// The model file.
        path: PathBuf,
        /// The cause.
        source: text_model::Error,
    },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// True when the bundle exists but cannot be trusted (corrupt, tampered, wrong schema):
    /// a server keeps its current model instead.
    pub fn is_untrusted_bundle(&self) -> bool {
        matches!(
            self,
            Error::Corrupt { .. }
                | Error::ChecksumMismatch { .. }
                | Error::UnsupportedSchema { .. }
                | Error::InvalidModel { .. }
        )
    }
}
