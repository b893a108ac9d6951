//! The registry as the services use it, on any backend: one bundle store and one alias store
//! behind [`ModelRegistry`], with the operations derived from them written once (resolving a
//! reference, listing versions with their aliases, loading production, verified promotion and
//! rollback, datasets as local files for training).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::store::{AliasStore, BundleStore};
use crate::{
    Aliases, Error, HistoryEvent, LoadedBundle, Manifest, ModelVersion, NewBundle, Registry,
    VersionInfo,
};

/// The model registry on the configured backends: bundles in a [`BundleStore`] (a folder, or
/// object storage), aliases and history in an [`AliasStore`] (a file with a lock, or a
/// database). Cheap to clone.
#[derive(Clone)]
pub struct ModelRegistry {
    bundles: Arc<dyn BundleStore>,
    aliases: Arc<dyn AliasStore>,
    location: String,
}

impl std::fmt::Debug for ModelRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelRegistry")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl ModelRegistry {
    /// The registry on `bundles` and `aliases`; `location` says where in messages.
    pub fn new(
        bundles: Arc<dyn BundleStore>,
        aliases: Arc<dyn AliasStore>,
        location: impl Into<String>,
    ) -> ModelRegistry {
        ModelRegistry {
            bundles,
            aliases,
            location: location.into(),
        }
    }

    /// The file registry at `root` for both (one machine, the default).
    pub fn files(root: impl Into<PathBuf>) -> Result<ModelRegistry, Error> {
        Ok(ModelRegistry::from(&Registry::open(root)?))
    }

    /// Where the registry is, for messages (a folder, or `s3://… + PostgreSQL`).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The bundle store.
    pub fn bundles(&self) -> &dyn BundleStore {
        &*self.bundles
    }

    /// The alias store.
    pub fn alias_store(&self) -> &dyn AliasStore {
        &*self.aliases
    }

    /// The current aliases (empty when none was ever set).
    pub fn aliases(&self) -> Result<Aliases, Error> {
        self.aliases.aliases()
    }

    /// Every promotion and rollback, oldest first.
    pub fn history(&self) -> Result<Vec<HistoryEvent>, Error> {
        self.aliases.history()
    }

    /// The stored versions, oldest first.
    pub fn versions(&self) -> Result<Vec<ModelVersion>, Error> {
        self.bundles.versions()
    }

    /// Summaries of all versions with the aliases pointing to them, oldest first.
    pub fn list(&self) -> Result<Vec<VersionInfo>, Error> {
        let aliases = self.aliases()?;
        self.versions()?
            .into_iter()
            .map(|v| {
                Ok(VersionInfo {
                    manifest: self.bundles.read_manifest(v)?,
                    aliases: aliases.names_of(v),
                })
            })
            .collect()
    }

    /// Resolves `production`, `previous`, `latest` or a version (`v0003`, `3`) to a stored
    /// version.
    pub fn resolve(&self, reference: &str) -> Result<ModelVersion, Error> {
        let versions = self.versions()?;
        let version = crate::registry::named_version(
            reference,
            || self.aliases(),
            || Ok(versions.last().copied()),
        )?;
        if !versions.contains(&version) {
            return Err(Error::NotFound(version));
        }
        Ok(version)
    }

    /// A version's manifest, verified.
    pub fn read_manifest(&self, version: ModelVersion) -> Result<Manifest, Error> {
        self.bundles.read_manifest(version)
    }

    /// A version, every file verified.
    pub fn load(&self, version: ModelVersion) -> Result<LoadedBundle, Error> {
        self.bundles.load(version)
    }

    /// A version's verified `metrics.json` without loading the model.
    pub fn read_metrics(&self, version: ModelVersion) -> Result<serde_json::Value, Error> {
        self.bundles.read_metrics(version)
    }

    /// The production bundle.
    pub fn load_production(&self) -> Result<LoadedBundle, Error> {
        crate::load_production(&*self.bundles, &*self.aliases)
    }

    /// Publishes a bundle; the first of a registry without production becomes production.
    /// Returns the version and whether it was promoted.
    pub fn publish(&self, bundle: NewBundle<'_>) -> Result<(ModelVersion, bool), Error> {
        crate::publish_first_production(&*self.bundles, &*self.aliases, bundle)
    }

    /// Makes `version` production after verifying that it loads.
    pub fn promote(
        &self,
        version: ModelVersion,
        actor: &str,
        reason: &str,
    ) -> Result<HistoryEvent, Error> {
        crate::promote_verified(&*self.bundles, &*self.aliases, version, actor, reason)
    }

    /// Swaps `production` and `previous` after verifying that `previous` loads.
    pub fn rollback(&self, actor: &str, reason: &str) -> Result<HistoryEvent, Error> {
        let target = self
            .aliases()?
            .previous
            .ok_or(Error::AliasUnset("previous"))?;
        self.bundles.load(target)?;
        self.aliases.rollback(actor, reason)
    }

    /// Removes bundles that crashed writers left half-staged, older than `max_age`.
    pub fn remove_stale_staging(&self, max_age: Duration) -> Result<usize, Error> {
        self.bundles.remove_stale_staging(max_age)
    }

    /// Stores a dataset content-addressed in the bundle store and returns its SHA-256 and a
    /// local file with its bytes to train from: the store's own file when it keeps one (the
    /// file registry's `datasets/<sha256>.csv`), else a copy under `scratch`.
    pub fn store_dataset(&self, bytes: &[u8], scratch: &Path) -> Result<(String, PathBuf), Error> {
        let sha = self.bundles.store_dataset(bytes)?;
        if let Some(path) = self.bundles.local_dataset(&sha) {
            return Ok((sha, path));
        }
        std::fs::create_dir_all(scratch).map_err(Error::io("create directory", scratch))?;
        let path = scratch.join(format!("{sha}.csv"));
        fraudloop_fs::write_atomically(&path, bytes)?;
        Ok((sha, path))
    }

    /// The stored dataset with this SHA-256, verified.
    pub fn read_dataset(&self, sha256: &str) -> Result<Option<Vec<u8>>, Error> {
        self.bundles.read_dataset(sha256)
    }
}

impl From<&Registry> for ModelRegistry {
    /// The file registry for both bundles and aliases.
    fn from(registry: &Registry) -> ModelRegistry {
        let registry = Arc::new(registry.clone());
        let location = registry.root().display().to_string();
        ModelRegistry::new(registry.clone(), registry, location)
    }
}

impl From<&ModelRegistry> for ModelRegistry {
    fn from(registry: &ModelRegistry) -> ModelRegistry {
        registry.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datasets_on_files_train_from_the_registry_file() {
        let dir = tempfile::tempdir().unwrap();
        let registry = ModelRegistry::files(dir.path().join("artifacts")).unwrap();
        let (sha, path) = registry
            .store_dataset(b"text,label\nhi,legit\n", &dir.path().join("scratch"))
            .unwrap();
        assert!(path.starts_with(dir.path().join("artifacts")), "{path:?}");
        assert_eq!(std::fs::read(&path).unwrap(), b"text,label\nhi,legit\n");
        assert_eq!(
            registry.read_dataset(&sha).unwrap().as_deref(),
            Some(&b"text,label\nhi,legit\n"[..])
        );
        assert!(!dir.path().join("scratch").exists());
        assert_eq!(registry.read_dataset(&"0".repeat(64)).unwrap(), None);
        assert!(matches!(registry.resolve("v0001"), Err(Error::NotFound(_))));
    }
}
