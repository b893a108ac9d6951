//! Model bundles in object storage through the `object_store` crate: S3 and S3-compatible
//! servers (`s3://bucket/prefix`) or a local folder (`file:///path`), in the registry's own
//! format (`models/vNNNN/` with `manifest.json` and `manifest.sha256`), so a folder registry
//! copied into a bucket reads the same.
//!
//! # Publishing
//! Objects cannot be renamed atomically, so a bundle becomes visible the way a manifest-last
//! protocol allows: every file is uploaded under `staging/<random>/`; the next version is
//! reserved by creating `reservations/vNNNN` only if it does not exist (a conditional put, so
//! two trainers on two machines never take the same number); the files are copied to
//! `models/vNNNN/`; then `manifest.json`; then `manifest.sha256`, last. Readers list only
//! versions with a checksum object and verify the manifest against it and every file against
//! the manifest ([`artifact_store::BundleReader`]): a writer that dies at any point leaves
//! nothing a reader trusts.
//!
//! The interface is synchronous ([`artifact_store::BundleStore`]); this crate runs its own small
//! tokio runtime and blocks the caller until the store has answered.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use artifact_store::{
    BundleReader, BundleWriter, LoadedBundle, Manifest, ModelVersion, NewBundle,
    MANIFEST_CHECKSUM_NAME, MANIFEST_NAME,
};
use futures_util::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};
use rand::Rng as _;
use store_runtime::StoreRuntime;

/// The environment variable naming the bundle store: `s3://bucket/prefix` or `file:///path`.
/// Unset: the registry folder under the home, as on one machine.
pub const BUNDLE_STORE_ENV: &str = "FRAUDLOOP_BUNDLE_STORE";

/// The S3 settings read from the environment, each only when set: credentials, region, and an
/// endpoint (`AWS_ENDPOINT`, or the AWS SDKs' `AWS_ENDPOINT_URL`) with `AWS_ALLOW_HTTP=true`
/// for S3-compatible servers without TLS.
pub const S3_ENV: [&str; 7] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
];

const MODELS: &str = "models";
const STAGING: &str = "staging";
const RESERVATIONS: &str = "reservations";
const DATASETS: &str = "datasets";

/// An error configuring the store.
#[derive(Debug, thiserror::Error)]
#[error("bundle store {url}: {detail}")]
pub struct ConfigError {
    url: String,
    detail: String,
}

/// [`artifact_store::BundleStore`] on an object store.
#[derive(Debug, Clone)]
pub struct ObjectBundleStore {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    url: String,
    runtime: Arc<StoreRuntime>,
}

impl ObjectBundleStore {
    /// The store at `url`: `s3://bucket[/prefix]` (settings from [`S3_ENV`]) or
    /// `file:///path` (the folder is created).
    pub fn open(url: &str) -> Result<ObjectBundleStore, ConfigError> {
        let fail = |detail: String| ConfigError {
            url: url.to_string(),
            detail,
        };
        let (store, prefix): (Arc<dyn ObjectStore>, String) = if let Some(rest) =
            url.strip_prefix("s3://")
        {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(fail("no bucket".into()));
            }
            let mut builder = AmazonS3Builder::new().with_bucket_name(bucket);
            let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
            if let Some(v) = var("AWS_ACCESS_KEY_ID") {
                builder = builder.with_access_key_id(v);
            }
            if let Some(v) = var("AWS_SECRET_ACCESS_KEY") {
                builder = builder.with_secret_access_key(v);
            }
            if let Some(v) = var("AWS_SESSION_TOKEN") {
                builder = builder.with_token(v);
            }
            if let Some(v) = var("AWS_REGION") {
                builder = builder.with_region(v);
            }
            if let Some(v) = var("AWS_ENDPOINT").or_else(|| var("AWS_ENDPOINT_URL")) {
                builder = builder.with_endpoint(v);
            }
            if var("AWS_ALLOW_HTTP").is_some_and(|v| v == "true") {
                builder = builder.with_allow_http(true);
            }
            let s3 = builder.build().map_err(|e| fail(e.to_string()))?;
            (Arc::new(s3), prefix.trim_matches('/').to_string())
        } else if let Some(path) = url.strip_prefix("file://") {
            std::fs::create_dir_all(path).map_err(|e| fail(e.to_string()))?;
            let local = LocalFileSystem::new_with_prefix(path).map_err(|e| fail(e.to_string()))?;
            (Arc::new(local), String::new())
        } else {
            return Err(fail("expected s3://bucket/prefix or file:///path".into()));
        };
        Ok(ObjectBundleStore {
            store,
            prefix: ObjectPath::from(prefix),
            url: url.trim_end_matches('/').to_string(),
            runtime: Arc::new(StoreRuntime::new("object-store").map_err(|e| fail(e.to_string()))?),
        })
    }

    /// The store named by [`BUNDLE_STORE_ENV`]; `None` when it is unset or empty.
    pub fn from_env() -> Option<Result<ObjectBundleStore, ConfigError>> {
        let url = std::env::var(BUNDLE_STORE_ENV)
            .ok()
            .filter(|u| !u.is_empty())?;
        Some(ObjectBundleStore::open(&url))
    }

    fn path(&self, parts: &[&str]) -> ObjectPath {
        parts
            .iter()
            .fold(self.prefix.clone(), |p, part| p.child(*part))
    }

    fn location(&self, version: ModelVersion) -> PathBuf {
        PathBuf::from(format!("{}/{MODELS}/{version}", self.url))
    }

    /// Runs `future` on the store's runtime and waits for it (from any thread).
    fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, object_store::Error>> + Send + 'static,
    ) -> Result<T, object_store::Error> {
        self.runtime.wait_for(future).unwrap_or_else(|| {
            Err(object_store::Error::Generic {
                store: "bundle store",
                source: "the store's runtime stopped".into(),
            })
        })
    }

    /// Writes one object under the store's prefix as it is, bypassing the publishing
    /// protocol (`models/v0001/model.json`): for repairs, and for tests that damage a bundle.
    pub fn put_raw(&self, key: &str, bytes: &[u8]) -> Result<(), artifact_store::Error> {
        let parts: Vec<&str> = key.split('/').collect();
        let path = self.path(&parts);
        let store = self.store.clone();
        let payload = PutPayload::from(bytes.to_vec());
        self.run(async move { store.put(&path, payload).await.map(|_| ()) })
            .map_err(backend("write an object"))
    }

    /// The store's URL (`s3://bucket/prefix`, `file:///path`).
    pub fn url(&self) -> &str {
        &self.url
    }

    fn get(&self, path: ObjectPath) -> Result<Vec<u8>, object_store::Error> {
        let store = self.store.clone();
        self.run(async move { Ok(store.get(&path).await?.bytes().await?.to_vec()) })
    }
}

fn backend(action: &'static str) -> impl FnOnce(object_store::Error) -> artifact_store::Error {
    move |e| match e {
        object_store::Error::NotFound { path, .. } => artifact_store::Error::Corrupt {
            path: PathBuf::from(path),
            detail: "missing".into(),
        },
        e => artifact_store::Error::Backend {
            action,
            detail: e.to_string(),
        },
    }
}

impl artifact_store::BundleStore for ObjectBundleStore {
    fn publish_bundle(&self, bundle: NewBundle<'_>) -> Result<ModelVersion, artifact_store::Error> {
        let writer = BundleWriter::new(&bundle)?;
        let staging_id = format!("{:016x}", rand::thread_rng().gen::<u64>());
        let store = self.store.clone();
        let staged: Vec<(String, ObjectPath, Vec<u8>)> = writer
            .files()
            .iter()
            .map(|(name, bytes)| {
                (
                    name.clone(),
                    self.path(&[STAGING, &staging_id, name]),
                    bytes.clone(),
                )
            })
            .collect();
        // 1. Every file under the staging prefix.
        {
            let store = store.clone();
            let staged = staged.clone();
            self.run(async move {
                for (_, path, bytes) in staged {
                    store.put(&path, PutPayload::from(bytes)).await?;
                }
                Ok(())
            })
            .map_err(backend("upload a staged bundle file"))?;
        }
        // 2. A version number of its own: create-if-absent on the reservation.
        let reservations = self.path(&[RESERVATIONS]);
        let taken: Vec<ModelVersion> = {
            let store = store.clone();
            self.run(async move {
                let metas: Vec<object_store::ObjectMeta> =
                    store.list(Some(&reservations)).try_collect().await?;
                Ok(metas
                    .iter()
                    .filter_map(|m| m.location.filename().and_then(|n| n.parse().ok()))
                    .collect())
            })
            .map_err(backend("list reserved versions"))?
        };
        let mut version = taken
            .iter()
            .max()
            .map_or(ModelVersion::new(1), |v| v.next());
        let mut reserved = false;
        for _ in 0..1000 {
            let path = self.path(&[RESERVATIONS, &version.to_string()]);
            let store = store.clone();
            let created = self.run(async move {
                let options = PutOptions {
                    mode: PutMode::Create,
                    ..PutOptions::default()
                };
                match store
                    .put_opts(&path, PutPayload::from_static(b""), options)
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
                    // Some S3-compatible servers answer a failed precondition with another
                    // status (moto: 403): taken when the reservation exists.
                    Err(e) => match store.head(&path).await {
                        Ok(_) => Ok(false),
                        Err(_) => Err(e),
                    },
                }
            });
            if created.map_err(backend("reserve a version"))? {
                reserved = true;
                break;
            }
            version = version.next();
        }
        if !reserved {
            return Err(artifact_store::Error::Rejected(
                "no free version number after 1000 tries".into(),
            ));
        }
        // 3. The files into the version, then the manifest, then its checksum, last.
        let (manifest, checksum) = writer.manifest(version);
        let version_name = version.to_string();
        let targets: Vec<(ObjectPath, ObjectPath)> = staged
            .iter()
            .map(|(name, from, _)| (from.clone(), self.path(&[MODELS, &version_name, name])))
            .collect();
        let manifest_path = self.path(&[MODELS, &version_name, MANIFEST_NAME]);
        let checksum_path = self.path(&[MODELS, &version_name, MANIFEST_CHECKSUM_NAME]);
        self.run(async move {
            for (from, to) in &targets {
                store.copy(from, to).await?;
            }
            store
                .put(&manifest_path, PutPayload::from(manifest))
                .await?;
            store
                .put(&checksum_path, PutPayload::from(checksum.into_bytes()))
                .await?;
            for (from, _) in &targets {
                let _ = store.delete(from).await;
            }
            Ok(())
        })
        .map_err(backend("publish a bundle"))?;
        Ok(version)
    }

    fn versions(&self) -> Result<Vec<ModelVersion>, artifact_store::Error> {
        let store = self.store.clone();
        let models = self.path(&[MODELS]);
        let mut versions: Vec<ModelVersion> = self
            .run(async move {
                let metas: Vec<object_store::ObjectMeta> =
                    store.list(Some(&models)).try_collect().await?;
                Ok(metas
                    .iter()
                    .filter(|m| m.location.filename() == Some(MANIFEST_CHECKSUM_NAME))
                    .filter_map(|m| {
                        let parts: Vec<_> = m.location.parts().collect();
                        parts
                            .len()
                            .checked_sub(2)
                            .and_then(|i| parts[i].as_ref().parse().ok())
                    })
                    .collect())
            })
            .map_err(backend("list versions"))?;
        versions.sort();
        Ok(versions)
    }

    fn read_manifest(&self, version: ModelVersion) -> Result<Manifest, artifact_store::Error> {
        let name = version.to_string();
        let checksum = match self.get(self.path(&[MODELS, &name, MANIFEST_CHECKSUM_NAME])) {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(artifact_store::Error::NotFound(version))
            }
            Err(e) => return Err(backend("read a manifest checksum")(e)),
        };
        let bytes = self
            .get(self.path(&[MODELS, &name, MANIFEST_NAME]))
            .map_err(backend("read a manifest"))?;
        BundleReader::manifest(
            &self.location(version),
            &bytes,
            &String::from_utf8_lossy(&checksum),
            version,
        )
    }

    fn load(&self, version: ModelVersion) -> Result<LoadedBundle, artifact_store::Error> {
        let manifest = self.read_manifest(version)?;
        let location = self.location(version);
        let name = version.to_string();
        let mut files = BTreeMap::new();
        for file in manifest.files.keys() {
            let bytes = self
                .get(self.path(&[MODELS, &name, file]))
                .map_err(backend("read a bundle file"))?;
            let verified = BundleReader::file(&location, &manifest, file, bytes)?;
            files.insert(file.clone(), verified);
        }
        BundleReader::bundle(location, manifest, files)
    }

    fn read_metrics(
        &self,
        version: ModelVersion,
    ) -> Result<serde_json::Value, artifact_store::Error> {
        let manifest = self.read_manifest(version)?;
        let bytes = match BundleReader::metrics_file(&manifest) {
            Some(file) => Some(
                self.get(self.path(&[MODELS, &version.to_string(), file]))
                    .map_err(backend("read a bundle file"))?,
            ),
            None => None,
        };
        BundleReader::metrics(&self.location(version), &manifest, bytes)
    }

    fn store_dataset(&self, bytes: &[u8]) -> Result<String, artifact_store::Error> {
        let sha = hex_sha256(bytes);
        let path = self.path(&[DATASETS, &format!("{sha}.csv")]);
        let store = self.store.clone();
        let payload = PutPayload::from(bytes.to_vec());
        // Content-addressed: a second writer of the same rows writes the same bytes.
        self.run(async move { store.put(&path, payload).await.map(|_| ()) })
            .map_err(backend("store a dataset"))?;
        Ok(sha)
    }

    fn read_dataset(&self, sha256: &str) -> Result<Option<Vec<u8>>, artifact_store::Error> {
        if !BundleReader::is_dataset_name(sha256) {
            return Ok(None);
        }
        let name = format!("{sha256}.csv");
        match self.get(self.path(&[DATASETS, &name])) {
            Ok(bytes) => {
                let location = PathBuf::from(format!("{}/{DATASETS}/{name}", self.url));
                BundleReader::dataset(&location, sha256, bytes).map(Some)
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(backend("read a dataset")(e)),
        }
    }

    fn remove_stale_staging(&self, max_age: Duration) -> Result<usize, artifact_store::Error> {
        let store = self.store.clone();
        let staging = self.path(&[STAGING]);
        let depth = staging.parts().count();
        self.run(async move {
            let metas: Vec<object_store::ObjectMeta> =
                store.list(Some(&staging)).try_collect().await?;
            let now = chrono::Utc::now();
            let mut removed = std::collections::BTreeSet::new();
            for meta in metas {
                let old = (now - meta.last_modified)
                    .to_std()
                    .is_ok_and(|age| age > max_age);
                if old {
                    store.delete(&meta.location).await?;
                    if let Some(id) = meta.location.parts().nth(depth) {
                        removed.insert(id.as_ref().to_string());
                    }
                }
            }
            Ok(removed.len())
        })
        .map_err(backend("remove stale staged files"))
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}
