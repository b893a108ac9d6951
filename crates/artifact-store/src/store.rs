//! The two store interfaces behind the registry, so the same services run on one machine
//! (files, the default: [`Registry`]) or beyond it (bundles in object storage, aliases and
//! history in a database, in the backend crates `store-object` and `store-postgres`).
//!
//! The interfaces are synchronous, like the file registry: backends that speak to a server
//! block the calling thread until the server has answered, which is what the callers already
//! expect from an fsync.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::format::{FileEntry, Manifest};
use crate::fsutil::sha256_hex;
use crate::registry::{
    assemble, bundle_contents, new_manifest, verify_file, verify_manifest, ManifestFields,
    METRICS_FILE,
};
use crate::{Aliases, Error, HistoryEvent, LoadedBundle, ModelVersion, NewBundle, Registry};

/// The manifest's object name inside a bundle.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The object holding the manifest's SHA-256, written last: a bundle without it, or whose
/// manifest does not match it, is not trusted.
pub const MANIFEST_CHECKSUM_NAME: &str = "manifest.sha256";

/// Where model bundles live: immutable versions, each a verified manifest and its files.
pub trait BundleStore: Send + Sync {
    /// Writes a bundle: every file under a staging name first, then the files of a new
    /// version, then the manifest, then its checksum last. Sets no alias. Returns the version.
    fn publish_bundle(&self, bundle: NewBundle<'_>) -> Result<ModelVersion, Error>;

    /// The versions whose manifests verify, oldest first.
    fn versions(&self) -> Result<Vec<ModelVersion>, Error>;

    /// A version's manifest, checked against its checksum and schema version.
    fn read_manifest(&self, version: ModelVersion) -> Result<Manifest, Error>;

    /// A version with every file verified against its manifest, ready to predict.
    fn load(&self, version: ModelVersion) -> Result<LoadedBundle, Error>;

    /// A version's `metrics.json`, verified against its manifest (`Null` when the bundle has
    /// none), without loading the model.
    fn read_metrics(&self, version: ModelVersion) -> Result<serde_json::Value, Error>;

    /// Stores a training or hold-out set under the SHA-256 of its bytes (content-addressed:
    /// the same rows are stored once) beside the bundles, so every version can be retrained
    /// from the store alone. Returns the hash.
    fn store_dataset(&self, bytes: &[u8]) -> Result<String, Error>;

    /// The stored dataset with this SHA-256, verified; `None` when the store has none.
    fn read_dataset(&self, sha256: &str) -> Result<Option<Vec<u8>>, Error>;

    /// The dataset as a local file, when the store keeps it in one (the file registry).
    fn local_dataset(&self, _sha256: &str) -> Option<PathBuf> {
        None
    }

    /// Removes what writers that died mid-publish left under staging, older than `max_age`.
    /// Returns how many staged bundles it removed.
    fn remove_stale_staging(&self, max_age: Duration) -> Result<usize, Error>;
}

/// True when `sha256` is 64 hex digits (a dataset name).
pub(crate) fn is_sha256(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Where the aliases `production` and `previous` and their history live. Every change is
/// serialised (a file lock, a database transaction) and recorded in the history.
pub trait AliasStore: Send + Sync {
    /// The current aliases (empty when none was ever set).
    fn aliases(&self) -> Result<Aliases, Error>;

    /// Every promotion and rollback, oldest first.
    fn history(&self) -> Result<Vec<HistoryEvent>, Error>;

    /// Makes `version` production; the old production becomes `previous`. Refused when it
    /// already is production. Callers verify that the version loads first
    /// ([`promote_verified`]).
    fn promote(
        &self,
        version: ModelVersion,
        actor: &str,
        reason: &str,
    ) -> Result<HistoryEvent, Error>;

    /// Swaps `production` and `previous`.
    fn rollback(&self, actor: &str, reason: &str) -> Result<HistoryEvent, Error>;

    /// Makes `version` production when nothing is (the first model of an empty registry);
    /// true when it did.
    fn initialize(&self, version: ModelVersion) -> Result<bool, Error>;
}

/// Publishes a bundle and makes it production when the registry had none, as
/// [`Registry::publish`] does on files.
pub fn publish_first_production(
    bundles: &dyn BundleStore,
    aliases: &dyn AliasStore,
    bundle: NewBundle<'_>,
) -> Result<(ModelVersion, bool), Error> {
    let version = bundles.publish_bundle(bundle)?;
    let promoted = aliases.initialize(version)?;
    Ok((version, promoted))
}

/// Verifies that `version` loads from `bundles`, then promotes it.
pub fn promote_verified(
    bundles: &dyn BundleStore,
    aliases: &dyn AliasStore,
    version: ModelVersion,
    actor: &str,
    reason: &str,
) -> Result<HistoryEvent, Error> {
    bundles.load(version)?;
    aliases.promote(version, actor, reason)
}

/// The production bundle: the alias from one store, the verified bundle from the other.
pub fn load_production(
    bundles: &dyn BundleStore,
    aliases: &dyn AliasStore,
) -> Result<LoadedBundle, Error> {
    let version = aliases
        .aliases()?
        .production
        .ok_or(Error::AliasUnset("production"))?;
    bundles.load(version)
}

/// What a store beyond the file system needs to write and read bundles in the registry's own
/// format (the same names, manifest and checksums as `models/vNNNN/` on disk), so the format
/// stays known to this crate alone.
#[derive(Debug)]
pub struct BundleWriter {
    files: Vec<(String, Vec<u8>)>,
    fields: ManifestFields,
}

impl BundleWriter {
    /// The files of `bundle` (model, metrics, extra files), validated.
    pub fn new(bundle: &NewBundle<'_>) -> Result<BundleWriter, Error> {
        let (files, fields) = bundle_contents(bundle)?;
        Ok(BundleWriter { files, fields })
    }

    /// The bundle's files by name, to write under a staging name.
    pub fn files(&self) -> &[(String, Vec<u8>)] {
        &self.files
    }

    /// The manifest of `version` listing these files, and its checksum (hex), to write after
    /// every file, the checksum last.
    pub fn manifest(&self, version: ModelVersion) -> (Vec<u8>, String) {
        let entries: BTreeMap<String, FileEntry> = self
            .files
            .iter()
            .map(|(name, bytes)| {
                let entry = FileEntry {
                    sha256: sha256_hex(bytes),
                    bytes: bytes.len() as u64,
                };
                (name.clone(), entry)
            })
            .collect();
        new_manifest(self.fields.clone(), version, entries)
    }
}

/// Reads bundles written by a [`BundleWriter`]: every check of the file registry.
#[derive(Debug, Clone, Copy)]
pub struct BundleReader;

impl BundleReader {
    /// The manifest of `version` from its bytes and its checksum object's text; `location`
    /// names it in errors.
    pub fn manifest(
        location: &Path,
        bytes: &[u8],
        checksum: &str,
        version: ModelVersion,
    ) -> Result<Manifest, Error> {
        verify_manifest(&location.join(MANIFEST_NAME), bytes, checksum, version)
    }

    /// One file's bytes checked against the manifest's entry.
    pub fn file(
        location: &Path,
        manifest: &Manifest,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        let path = location.join(name);
        let entry = manifest.files.get(name).ok_or_else(|| Error::Corrupt {
            path: path.clone(),
            detail: "not listed in the manifest".into(),
        })?;
        verify_file(&path, bytes, entry)
    }

    /// The verified `metrics.json` of a bundle from its bytes (`None` when the manifest lists
    /// none: the metrics are `Null`). [`BundleReader::metrics_file`] names the object to fetch.
    pub fn metrics(
        location: &Path,
        manifest: &Manifest,
        bytes: Option<Vec<u8>>,
    ) -> Result<serde_json::Value, Error> {
        let Some(bytes) = bytes else {
            return Ok(serde_json::Value::Null);
        };
        let verified = BundleReader::file(location, manifest, METRICS_FILE, bytes)?;
        serde_json::from_slice(&verified).map_err(|e| Error::Corrupt {
            path: location.join(METRICS_FILE),
            detail: e.to_string(),
        })
    }

    /// The name of the metrics object when the manifest lists one.
    pub fn metrics_file(manifest: &Manifest) -> Option<&'static str> {
        manifest
            .files
            .contains_key(METRICS_FILE)
            .then_some(METRICS_FILE)
    }

    /// A stored dataset's bytes checked against the SHA-256 that names it.
    pub fn dataset(location: &Path, sha256: &str, bytes: Vec<u8>) -> Result<Vec<u8>, Error> {
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(Error::ChecksumMismatch {
                path: location.to_path_buf(),
                expected: sha256.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Whether `sha256` can name a dataset (64 hex digits).
    pub fn is_dataset_name(sha256: &str) -> bool {
        is_sha256(sha256)
    }

    /// The bundle from its manifest and verified files.
    pub fn bundle(
        location: PathBuf,
        manifest: Manifest,
        files: BTreeMap<String, Vec<u8>>,
    ) -> Result<LoadedBundle, Error> {
        assemble(manifest, files, location)
    }
}

impl BundleStore for Registry {
    fn publish_bundle(&self, bundle: NewBundle<'_>) -> Result<ModelVersion, Error> {
        self.publish_with(bundle, false).map(|(version, _)| version)
    }

    fn versions(&self) -> Result<Vec<ModelVersion>, Error> {
        Registry::versions(self)
    }

    fn read_manifest(&self, version: ModelVersion) -> Result<Manifest, Error> {
        Registry::read_manifest(self, version)
    }

    fn load(&self, version: ModelVersion) -> Result<LoadedBundle, Error> {
        Registry::load(self, version)
    }

    fn read_metrics(&self, version: ModelVersion) -> Result<serde_json::Value, Error> {
        Registry::read_metrics(self, version)
    }

    fn store_dataset(&self, bytes: &[u8]) -> Result<String, Error> {
        Registry::store_dataset(self, bytes).map(|(sha, _)| sha)
    }

    fn read_dataset(&self, sha256: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(path) = self.dataset_path(sha256) else {
            return Ok(None);
        };
        let bytes = std::fs::read(&path).map_err(Error::io("read", &path))?;
        BundleReader::dataset(&path, sha256, bytes).map(Some)
    }

    fn local_dataset(&self, sha256: &str) -> Option<PathBuf> {
        self.dataset_path(sha256)
    }

    fn remove_stale_staging(&self, max_age: Duration) -> Result<usize, Error> {
        Registry::remove_stale_staging(self, max_age)
    }
}

impl AliasStore for Registry {
    fn aliases(&self) -> Result<Aliases, Error> {
        Registry::aliases(self)
    }

    fn history(&self) -> Result<Vec<HistoryEvent>, Error> {
        Registry::history(self)
    }

    fn promote(
        &self,
        version: ModelVersion,
        actor: &str,
        reason: &str,
    ) -> Result<HistoryEvent, Error> {
        Registry::promote(self, version, actor, reason)
    }

    fn rollback(&self, actor: &str, reason: &str) -> Result<HistoryEvent, Error> {
        Registry::rollback(self, actor, reason)
    }

    fn initialize(&self, version: ModelVersion) -> Result<bool, Error> {
        self.initialize_production(version)
    }
}
