use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use text_model::FraudModel;

use crate::format::{DataFingerprint, FileEntry, Manifest, ModelFile, SCHEMA_VERSION};
use fraudloop_fs::{append_line_synced, rename_durably, sync_dir, write_atomically};

use crate::fsutil::{sha256_hex, write_synced};
use crate::{Error, ModelVersion};

const MODELS_DIR: &str = "models";
const DATASETS_DIR: &str = "datasets";
const STAGING_DIR: &str = ".staging";
const LOCK_FILE: &str = ".lock";
const ALIASES_FILE: &str = "aliases.json";
const HISTORY_FILE: &str = "history.jsonl";
const MANIFEST_FILE: &str = "manifest.json";
/// Holds the SHA-256 of `manifest.json`, so a damaged manifest is caught like any other file.
const MANIFEST_CHECKSUM_FILE: &str = "manifest.sha256";
const MODEL_FILE: &str = "model.json";
pub(crate) const METRICS_FILE: &str = "metrics.json";
/// The bundle file holding the reference rows drift-monitor compares production with.
pub const REFERENCE_DATA_FILE: &str = "ref_data.csv";

/// The registry's aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasName {
    /// The model the services serve.
    Production,
    /// The model served before the current production one (the rollback target).
    Previous,
}

impl AliasName {
    /// The alias as written in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            AliasName::Production => "production",
            AliasName::Previous => "previous",
        }
    }
}

/// `aliases.json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aliases {
    /// The served model.
    pub production: Option<ModelVersion>,
    /// The model served before it.
    pub previous: Option<ModelVersion>,
}

impl Aliases {
    /// The version an alias points to.
    pub fn get(&self, alias: AliasName) -> Option<ModelVersion> {
        match alias {
            AliasName::Production => self.production,
            AliasName::Previous => self.previous,
        }
    }

    /// The aliases that point to `version`.
    pub fn names_of(&self, version: ModelVersion) -> Vec<&'static str> {
        [AliasName::Production, AliasName::Previous]
            .into_iter()
            .filter(|a| self.get(*a) == Some(version))
            .map(AliasName::as_str)
            .collect()
    }
}

/// What happened to the `production` alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// The first model of an empty registry became production.
    Initial,
    /// A version was promoted.
    Promote,
    /// Production went back to the previous version.
    Rollback,
}

/// One line of `history.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub kind: HistoryKind,
    /// The new production version.
    pub version: ModelVersion,
    /// The production version it replaced.
    pub replaced: Option<ModelVersion>,
    /// Who (a user, a service, the promotion gate).
    pub actor: String,
    /// Why.
    pub reason: String,
}

/// A summary of one stored version (read without verifying checksums).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    /// Its manifest.
    pub manifest: Manifest,
    /// The aliases pointing to it.
    pub aliases: Vec<&'static str>,
}

/// A verified bundle.
#[derive(Debug, Clone)]
pub struct LoadedBundle {
    /// The manifest.
    pub manifest: Manifest,
    /// The model, ready to predict.
    pub model: FraudModel,
    /// The trainer's evaluation (`metrics.json`), verified against the manifest.
    pub metrics: serde_json::Value,
    /// The reference rows the trainer stored ([`REFERENCE_DATA_FILE`]), verified against
    /// the manifest; `None` when the bundle has none.
    pub reference_data: Option<Vec<u8>>,
    /// The bundle's directory.
    pub dir: PathBuf,
}

/// Everything a new bundle holds besides what the registry adds (version, checksums).
#[derive(Debug, Clone)]
pub struct NewBundle<'a> {
    /// The fitted model.
    pub model: &'a FraudModel,
    /// The trainer's evaluation, stored as `metrics.json`.
    pub metrics: serde_json::Value,
    /// The configuration it was trained with.
    pub training_config: serde_json::Value,
    /// The training data's fingerprint.
    pub training_data: DataFingerprint,
    /// Program name and version.
    pub code_version: String,
    /// Further files by name, e.g. `ref_data.csv`.
    pub extra_files: Vec<(String, Vec<u8>)>,
}

/// The model registry rooted at an `artifacts/` directory.
#[derive(Debug, Clone)]
pub struct Registry {
    root: PathBuf,
}

impl Registry {
    /// Opens the registry at `root` (usually `<home>/artifacts`). Opening writes nothing:
    /// readers (predict-api, drift-monitor) never create files in the registry, and the
    /// directories appear with the first bundle a writer stages. A registry that does not
    /// exist yet reads as empty.
    pub fn open(root: impl Into<PathBuf>) -> Result<Registry, Error> {
        Ok(Registry { root: root.into() })
    }

    /// Creates the registry's directories (writers only).
    fn create_dirs(&self) -> Result<(), Error> {
        for dir in [self.root.join(MODELS_DIR), self.root.join(STAGING_DIR)] {
            fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
        }
        Ok(())
    }

    /// The registry's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a version's bundle.
    pub fn bundle_dir(&self, version: ModelVersion) -> PathBuf {
        self.root.join(MODELS_DIR).join(version.to_string())
    }

    /// The aliases file, which services watch to notice a new production model.
    pub fn aliases_path(&self) -> PathBuf {
        self.root.join(ALIASES_FILE)
    }

    /// Takes the cross-process registry lock until the returned file is dropped.
    fn lock(&self) -> Result<File, Error> {
        self.create_dirs()?;
        let path = self.root.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io("open lock", &path))?;
        file.lock().map_err(Error::io("lock", &path))?;
        Ok(file)
    }

    /// Starts writing a bundle in a private staging directory.
    pub fn stage(&self) -> Result<Staging, Error> {
        let name = format!(
            "{}-{:016x}",
            std::process::id(),
            rand::thread_rng().gen::<u64>()
        );
        self.create_dirs()?;
        let dir = self.root.join(STAGING_DIR).join(name);
        fs::create_dir(&dir).map_err(Error::io("create staging directory", &dir))?;
        Ok(Staging {
            registry: self.clone(),
            dir,
            files: BTreeMap::new(),
            committed: false,
        })
    }

    /// Writes, verifies and registers a bundle. The first bundle of a registry without a
    /// production model becomes production. Returns the new version and whether it was
    /// promoted.
    pub fn publish(&self, bundle: NewBundle<'_>) -> Result<(ModelVersion, bool), Error> {
        self.publish_with(bundle, true)
    }

    /// [`Registry::publish`], optionally leaving the aliases alone.
    pub(crate) fn publish_with(
        &self,
        bundle: NewBundle<'_>,
        first_becomes_production: bool,
    ) -> Result<(ModelVersion, bool), Error> {
        let mut staging = self.stage()?;
        let model_file = ModelFile::from_model(bundle.model);
        staging.write(MODEL_FILE, &to_json(&model_file))?;
        staging.write(METRICS_FILE, &to_json(&bundle.metrics))?;
        for (name, bytes) in &bundle.extra_files {
            staging.write(name, bytes)?;
        }
        staging.commit(
            ManifestFields {
                code_version: bundle.code_version,
                training_data: bundle.training_data,
                training_config: bundle.training_config,
                threshold: bundle.model.threshold(),
                n_features: bundle.model.vectorizer().n_features(),
            },
            first_becomes_production,
        )
    }

    /// Removes staging directories older than `max_age`: leftovers of crashed writers.
    pub fn remove_stale_staging(&self, max_age: Duration) -> Result<usize, Error> {
        let dir = self.root.join(STAGING_DIR);
        let mut removed = 0;
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io("list", &dir)(e)),
        };
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > max_age);
            if old && fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Stores a training or hold-out set under `datasets/<sha256>.csv`, named by the SHA-256
    /// of its bytes (content-addressed: the same rows are stored once). Returns the hash and
    /// the path. A version's manifest records the hash of the file it was trained on, so every
    /// version can be retrained from the registry alone.
    pub fn store_dataset(&self, bytes: &[u8]) -> Result<(String, PathBuf), Error> {
        let sha = sha256_hex(bytes);
        let dir = self.root.join(DATASETS_DIR);
        fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
        let path = dir.join(format!("{sha}.csv"));
        let intact = fs::read(&path).is_ok_and(|stored| sha256_hex(&stored) == sha);
        if !intact {
            write_atomically(&path, bytes)?;
        }
        Ok((sha, path))
    }

    /// The stored dataset with this SHA-256, if the registry has it.
    pub fn dataset_path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = crate::store::is_sha256(sha256);
        let path = self.root.join(DATASETS_DIR).join(format!("{sha256}.csv"));
        (valid && path.is_file()).then_some(path)
    }

    /// All stored versions, oldest first.
    pub fn versions(&self) -> Result<Vec<ModelVersion>, Error> {
        let dir = self.root.join(MODELS_DIR);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", &dir)(e)),
        };
        let mut versions: Vec<ModelVersion> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .collect();
        versions.sort();
        Ok(versions)
    }

    /// Summaries of all versions, oldest first.
    pub fn list(&self) -> Result<Vec<VersionInfo>, Error> {
        let aliases = self.aliases()?;
        self.versions()?
            .into_iter()
            .map(|v| {
                Ok(VersionInfo {
                    manifest: self.read_manifest(v)?,
                    aliases: aliases.names_of(v),
                })
            })
            .collect()
    }

    /// The current aliases (empty when none was ever set).
    pub fn aliases(&self) -> Result<Aliases, Error> {
        let path = self.aliases_path();
        match fs::read(&path) {
            Ok(bytes) => from_json(&path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Aliases::default()),
            Err(e) => Err(Error::Io {
                action: "read",
                path,
                source: e,
            }),
        }
    }

    /// The promotion and rollback history, oldest first.
    pub fn history(&self) -> Result<Vec<HistoryEvent>, Error> {
        let path = self.root.join(HISTORY_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::Io {
                    action: "read",
                    path,
                    source: e,
                })
            }
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| from_json(&path, l.as_bytes()))
            .collect()
    }

    /// Resolves `production`, `previous`, `latest` or a version (`v0003`, `3`) to an existing
    /// version.
    pub fn resolve(&self, reference: &str) -> Result<ModelVersion, Error> {
        let version = named_version(
            reference,
            || self.aliases(),
            || Ok(self.versions()?.last().copied()),
        )?;
        if !self.bundle_dir(version).is_dir() {
            return Err(Error::NotFound(version));
        }
        Ok(version)
    }

    /// Reads a manifest after checking it against its checksum and schema version.
    pub fn read_manifest(&self, version: ModelVersion) -> Result<Manifest, Error> {
        let dir = self.bundle_dir(version);
        if !dir.is_dir() {
            return Err(Error::NotFound(version));
        }
        let path = dir.join(MANIFEST_FILE);
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        let sum_path = dir.join(MANIFEST_CHECKSUM_FILE);
        let expected = fs::read_to_string(&sum_path).map_err(Error::io("read", &sum_path))?;
        verify_manifest(&path, &bytes, &expected, version)
    }

    /// Loads a version, verifying the schema and every file's checksum.
    pub fn load(&self, version: ModelVersion) -> Result<LoadedBundle, Error> {
        let manifest = self.read_manifest(version)?;
        let dir = self.bundle_dir(version);
        let mut contents = BTreeMap::new();
        for (name, entry) in &manifest.files {
            contents.insert(name.clone(), read_verified(&dir.join(name), entry)?);
        }
        assemble(manifest, contents, dir)
    }

    /// A version's `metrics.json`, verified against its manifest (`Null` when the bundle
    /// has none), without loading the model.
    pub fn read_metrics(&self, version: ModelVersion) -> Result<serde_json::Value, Error> {
        let manifest = self.read_manifest(version)?;
        let Some(entry) = manifest.files.get(METRICS_FILE) else {
            return Ok(serde_json::Value::Null);
        };
        let path = self.bundle_dir(version).join(METRICS_FILE);
        let bytes = read_verified(&path, entry)?;
        from_json(&path, &bytes)
    }

    /// Loads the production model.
    pub fn load_production(&self) -> Result<LoadedBundle, Error> {
        let version = self
            .aliases()?
            .production
            .ok_or(Error::AliasUnset("production"))?;
        self.load(version)
    }

    /// Makes `version` production (after verifying it loads); the old production becomes
    /// `previous`. Recorded in the history.
    pub fn promote(
        &self,
        version: ModelVersion,
        actor: &str,
        reason: &str,
    ) -> Result<HistoryEvent, Error> {
        let _lock = self.lock()?;
        self.load(version)?;
        let aliases = self.aliases()?;
        if aliases.production == Some(version) {
            return Err(Error::Rejected(format!("{version} is already production")));
        }
        let new = Aliases {
            production: Some(version),
            previous: aliases.production,
        };
        self.change_aliases(new, HistoryKind::Promote, aliases.production, actor, reason)
    }

    /// Swaps `production` and `previous`. Recorded in the history.
    pub fn rollback(&self, actor: &str, reason: &str) -> Result<HistoryEvent, Error> {
        let _lock = self.lock()?;
        let aliases = self.aliases()?;
        let target = aliases.previous.ok_or(Error::AliasUnset("previous"))?;
        self.load(target)?;
        let new = Aliases {
            production: Some(target),
            previous: aliases.production,
        };
        self.change_aliases(
            new,
            HistoryKind::Rollback,
            aliases.production,
            actor,
            reason,
        )
    }

    /// Makes `version` production when nothing is; true when it did.
    pub(crate) fn initialize_production(&self, version: ModelVersion) -> Result<bool, Error> {
        let _lock = self.lock()?;
        if self.aliases()?.production.is_some() {
            return Ok(false);
        }
        self.read_manifest(version)?;
        let new = Aliases {
            production: Some(version),
            previous: None,
        };
        self.change_aliases(
            new,
            HistoryKind::Initial,
            None,
            "registry",
            "first model of an empty registry",
        )?;
        Ok(true)
    }

    /// Writes the aliases, then the history line. Callers hold the lock.
    fn change_aliases(
        &self,
        new: Aliases,
        kind: HistoryKind,
        replaced: Option<ModelVersion>,
        actor: &str,
        reason: &str,
    ) -> Result<HistoryEvent, Error> {
        let version = new.production.expect("alias changes always set production");
        write_atomically(&self.aliases_path(), &to_json(&new))?;
        let event = HistoryEvent {
            at: Utc::now(),
            kind,
            version,
            replaced,
            actor: actor.to_string(),
            reason: reason.to_string(),
        };
        let line = serde_json::to_string(&event).expect("history events serialise");
        append_line_synced(&self.root.join(HISTORY_FILE), &line)?;
        Ok(event)
    }
}

/// Manifest fields the caller provides at commit time.
#[derive(Debug, Clone)]
pub(crate) struct ManifestFields {
    code_version: String,
    training_data: DataFingerprint,
    training_config: serde_json::Value,
    threshold: f64,
    n_features: usize,
}

/// A bundle being written. Nothing is visible in the registry until [`Staging::commit`]
/// renames it into place; dropping it removes the staging directory.
#[derive(Debug)]
pub struct Staging {
    registry: Registry,
    dir: PathBuf,
    files: BTreeMap<String, FileEntry>,
    committed: bool,
}

impl Staging {
    /// The staging directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes and fsyncs one file of the bundle.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        check_file_name(name)?;
        let sha256 = write_synced(&self.dir.join(name), bytes)?;
        self.files.insert(
            name.to_string(),
            FileEntry {
                sha256,
                bytes: bytes.len() as u64,
            },
        );
        Ok(())
    }

    fn commit(
        mut self,
        fields: ManifestFields,
        first_becomes_production: bool,
    ) -> Result<(ModelVersion, bool), Error> {
        let registry = self.registry.clone();
        let _lock = registry.lock()?;
        let version = registry
            .versions()?
            .last()
            .map_or(ModelVersion::new(1), |v| v.next());
        let (manifest_bytes, manifest_sum) = new_manifest(fields, version, self.files.clone());
        write_synced(&self.dir.join(MANIFEST_FILE), &manifest_bytes)?;
        write_synced(
            &self.dir.join(MANIFEST_CHECKSUM_FILE),
            manifest_sum.as_bytes(),
        )?;
        sync_dir(&self.dir)?;
        let target = registry.bundle_dir(version);
        rename_durably(&self.dir, &target)?;
        self.committed = true;

        let aliases = registry.aliases()?;
        let promoted = first_becomes_production && aliases.production.is_none();
        if promoted {
            let new = Aliases {
                production: Some(version),
                previous: None,
            };
            registry.change_aliases(
                new,
                HistoryKind::Initial,
                None,
                "registry",
                "first model of an empty registry",
            )?;
        }
        Ok((version, promoted))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Reads a bundle file and checks it against its manifest entry.
fn read_verified(path: &Path, entry: &FileEntry) -> Result<Vec<u8>, Error> {
    let bytes = fs::read(path).map_err(Error::io("read", path))?;
    verify_file(path, bytes, entry)
}

/// Checks a bundle file's bytes against its manifest entry (`path` names it in errors).
pub(crate) fn verify_file(
    path: &Path,
    bytes: Vec<u8>,
    entry: &FileEntry,
) -> Result<Vec<u8>, Error> {
    let actual = sha256_hex(&bytes);
    if actual != entry.sha256 || bytes.len() as u64 != entry.bytes {
        return Err(Error::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: entry.sha256.clone(),
            actual,
        });
    }
    Ok(bytes)
}

/// Checks a manifest's bytes against its checksum file's text, its schema version and the
/// version it should name (`path` names it in errors).
pub(crate) fn verify_manifest(
    path: &Path,
    bytes: &[u8],
    checksum: &str,
    version: ModelVersion,
) -> Result<Manifest, Error> {
    let path = path.to_path_buf();
    let actual = sha256_hex(bytes);
    if checksum.trim() != actual {
        return Err(Error::ChecksumMismatch {
            path,
            expected: checksum.trim().to_string(),
            actual,
        });
    }
    let raw: serde_json::Value = from_json(&path, bytes)?;
    let found = raw
        .get("schema_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as u32;
    if found != SCHEMA_VERSION {
        return Err(Error::UnsupportedSchema {
            path,
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let manifest: Manifest = from_json(&path, bytes)?;
    if manifest.version != version {
        return Err(Error::Corrupt {
            path,
            detail: format!("manifest names version {}", manifest.version),
        });
    }
    Ok(manifest)
}

/// A bundle from its verified manifest and verified files, read from `dir`.
pub(crate) fn assemble(
    manifest: Manifest,
    mut contents: BTreeMap<String, Vec<u8>>,
    dir: PathBuf,
) -> Result<LoadedBundle, Error> {
    let model_path = dir.join(MODEL_FILE);
    let model_bytes = contents.get(MODEL_FILE).ok_or_else(|| Error::Corrupt {
        path: model_path.clone(),
        detail: "not listed in the manifest".into(),
    })?;
    let model_file: ModelFile = from_json(&model_path, model_bytes)?;
    let model = model_file
        .into_model()
        .map_err(|source| Error::InvalidModel {
            path: model_path,
            source,
        })?;
    let metrics_path = dir.join(METRICS_FILE);
    let metrics = match contents.get(METRICS_FILE) {
        Some(bytes) => from_json(&metrics_path, bytes)?,
        None => serde_json::Value::Null,
    };
    let reference_data = contents.remove(REFERENCE_DATA_FILE);
    Ok(LoadedBundle {
        manifest,
        model,
        metrics,
        reference_data,
        dir,
    })
}

/// A bundle's files by name.
pub(crate) type BundleFiles = Vec<(String, Vec<u8>)>;

/// The files of a new bundle (model, metrics, extra files) and the manifest that lists them,
/// for stores that write bundles elsewhere than a folder.
pub(crate) fn bundle_contents(
    bundle: &NewBundle<'_>,
) -> Result<(BundleFiles, ManifestFields), Error> {
    let mut files = vec![
        (
            MODEL_FILE.to_string(),
            to_json(&ModelFile::from_model(bundle.model)),
        ),
        (METRICS_FILE.to_string(), to_json(&bundle.metrics)),
    ];
    for (name, bytes) in &bundle.extra_files {
        check_file_name(name)?;
        files.push((name.clone(), bytes.clone()));
    }
    let fields = ManifestFields {
        code_version: bundle.code_version.clone(),
        training_data: bundle.training_data.clone(),
        training_config: bundle.training_config.clone(),
        threshold: bundle.model.threshold(),
        n_features: bundle.model.vectorizer().n_features(),
    };
    Ok((files, fields))
}

/// The manifest of `version` listing `files`, its bytes and their checksum.
pub(crate) fn new_manifest(
    fields: ManifestFields,
    version: ModelVersion,
    files: BTreeMap<String, FileEntry>,
) -> (Vec<u8>, String) {
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        version,
        created_at: Utc::now(),
        code_version: fields.code_version,
        training_data: fields.training_data,
        training_config: fields.training_config,
        threshold: fields.threshold,
        n_features: fields.n_features,
        files,
    };
    let bytes = to_json(&manifest);
    let sum = sha256_hex(&bytes);
    (bytes, sum)
}

/// Refuses names that are not plain file names, or that are the manifest's own.
fn check_file_name(name: &str) -> Result<(), Error> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && ![MANIFEST_FILE, MANIFEST_CHECKSUM_FILE].contains(&name);
    if valid {
        Ok(())
    } else {
        Err(Error::Rejected(format!(
            "{name:?} is not an allowed bundle file name"
        )))
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("registry types serialise");
    bytes.push(b'\n');
    bytes
}

fn from_json<T: for<'de> Deserialize<'de>>(path: &Path, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// The version `reference` names (`production`, `previous`, `latest`, `v0003`, `3`), before
/// anyone checks that it exists.
pub(crate) fn named_version(
    reference: &str,
    aliases: impl FnOnce() -> Result<Aliases, Error>,
    latest: impl FnOnce() -> Result<Option<ModelVersion>, Error>,
) -> Result<ModelVersion, Error> {
    Ok(match reference {
        "production" => aliases()?
            .production
            .ok_or(Error::AliasUnset("production"))?,
        "previous" => aliases()?.previous.ok_or(Error::AliasUnset("previous"))?,
        "latest" => latest()?.ok_or(Error::AliasUnset("latest"))?,
        other => other.parse()?,
    })
}
