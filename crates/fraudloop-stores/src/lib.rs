//! Opens the stores a service is configured for, so every binary chooses its backends by
//! configuration alone and holds interfaces, never a backend:
//!
//! | environment | model bundles | aliases and history | production data, loop records |
//! | --- | --- | --- | --- |
//! | neither set (default) | `<home>/artifacts/models` | `<home>/artifacts/aliases.json` | `<home>/data/*.jsonl`, `<home>/loop/` |
//! | `FRAUDLOOP_DATABASE_URL` | `<home>/artifacts/models` | PostgreSQL | PostgreSQL |
//! | both | `FRAUDLOOP_BUNDLE_STORE` (`s3://bucket/prefix`, `AWS_*`) | PostgreSQL | PostgreSQL |
//!
//! A bundle store beyond the home needs the database: the aliases must live where every
//! machine sees them and changes are serialised (a file lock serialises one machine only).
//!
//! # Brief overview
//! - [`StoreConfig`] is the configuration ([`StoreConfig::from_env`]).
//! - [`Stores::open`] connects (and migrates the database) once; [`Stores::shared`] keeps one
//!   [`Stores`] per home for the whole process, so call sites that know only the home reuse
//!   one pool.
//! - [`Stores::registry`] is the [`ModelRegistry`]; [`Stores::reader`] reads production data;
//!   [`Stores::writer`] is a replica's writer (its own log files, or the database).
//! - Training datasets are content-addressed in the bundle store (`datasets/<sha256>.csv` in
//!   the folder or the bucket); staged bundles of crashed writers are removed by the bundle
//!   store ([`ModelRegistry::remove_stale_staging`]) on every backend.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use artifact_store::{ModelRegistry, Registry};
use fraudloop_config::Home;
use prod_data::{FileReader, FileStore, LoopFiles, LoopRecords, ProductionReader, ProductionStore};
use store_object::ObjectBundleStore;
use store_postgres::{Database, PgAliasStore, PgLoopRecords, PgProductionStore};

pub use store_object::BUNDLE_STORE_ENV;
pub use store_postgres::DATABASE_URL_ENV;

/// Connections each process keeps to the database: a replica's feedback, lookups and its
/// prediction writer, and a reader or two.
const POOL_SIZE: u32 = 8;

/// An error opening the stores.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is inconsistent.
    #[error("store configuration: {0}")]
    Config(String),
    /// The bundle store could not be opened.
    #[error(transparent)]
    Bundles(#[from] store_object::ConfigError),
    /// The database could not be reached or migrated.
    #[error(transparent)]
    Database(#[from] store_postgres::Error),
    /// The file registry could not be opened.
    #[error(transparent)]
    Registry(#[from] artifact_store::Error),
    /// The production-data files could not be opened.
    #[error(transparent)]
    ProdData(#[from] prod_data::Error),
}

/// Which backends to use; empty means files under the home.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StoreConfig {
    /// PostgreSQL URL for production data, aliases and history.
    pub database_url: Option<String>,
    /// Object-store URL for model bundles (`s3://bucket/prefix`, `file:///path`).
    pub bundle_store: Option<String>,
}

impl std::fmt::Debug for StoreConfig {
    // The database URL may carry a password: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("database", &self.database_url.as_ref().map(|_| "[set]"))
            .field("bundle_store", &self.bundle_store)
            .finish()
    }
}

impl StoreConfig {
    /// From [`DATABASE_URL_ENV`] and [`BUNDLE_STORE_ENV`] (empty values count as unset).
    pub fn from_env() -> StoreConfig {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        StoreConfig {
            database_url: var(DATABASE_URL_ENV),
            bundle_store: var(BUNDLE_STORE_ENV),
        }
    }

    /// True when everything lives in files under the home.
    pub fn is_files(&self) -> bool {
        self.database_url.is_none() && self.bundle_store.is_none()
    }
}

enum Production {
    Files(PathBuf),
    Postgres(Database),
}

/// The opened stores of one home.
pub struct Stores {
    registry: ModelRegistry,
    production: Production,
    reader: Arc<dyn ProductionReader>,
    loop_records: Arc<dyn LoopRecords>,
    description: String,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Stores {
    /// Opens the stores `config` names for `home`. Blocking: connects to and migrates the
    /// database when one is configured (from async code, call it in `spawn_blocking`).
    pub fn open(home: &Home, config: &StoreConfig) -> Result<Stores, Error> {
        let database = match &config.database_url {
            Some(url) => Some(Database::connect(url, POOL_SIZE)?),
            None => None,
        };
        let registry = match (&config.bundle_store, &database) {
            (None, None) => ModelRegistry::files(home.artifacts())?,
            (None, Some(db)) => {
                let bundles = Arc::new(Registry::open(home.artifacts())?);
                let location = format!("{} + PostgreSQL", home.artifacts().display());
                ModelRegistry::new(bundles, Arc::new(PgAliasStore::new(db)), location)
            }
            (Some(url), Some(db)) => {
                let bundles = ObjectBundleStore::open(url)?;
                let location = format!("{} + PostgreSQL", bundles.url());
                ModelRegistry::new(Arc::new(bundles), Arc::new(PgAliasStore::new(db)), location)
            }
            (Some(_), None) => {
                return Err(Error::Config(format!(
                    "{BUNDLE_STORE_ENV} needs {DATABASE_URL_ENV}: the aliases must live where \
                     every machine sees them"
                )))
            }
        };
        let (production, reader, loop_records): (
            Production,
            Arc<dyn ProductionReader>,
            Arc<dyn LoopRecords>,
        ) = match database {
            Some(db) => {
                let reader = Arc::new(PgProductionStore::open(&db, 1));
                let loop_records = Arc::new(PgLoopRecords::new(&db));
                (Production::Postgres(db), reader, loop_records)
            }
            None => {
                let dir = home.data();
                let reader = Arc::new(FileReader::new(&dir));
                let loop_records = Arc::new(LoopFiles::new(&home.root().join("loop")));
                (Production::Files(dir), reader, loop_records)
            }
        };
        let description = format!(
            "registry {}, production data {}",
            registry.location(),
            match &production {
                Production::Files(dir) => dir.display().to_string(),
                Production::Postgres(_) => "PostgreSQL".to_string(),
            }
        );
        Ok(Stores {
            registry,
            production,
            reader,
            loop_records,
            description,
        })
    }

    /// The stores of `home` as the environment configures them, opened once per process and
    /// shared by every caller (one database pool, one bundle-store client).
    pub fn shared(home: &Home) -> Result<Arc<Stores>, Error> {
        static OPEN: OnceLock<Mutex<HashMap<PathBuf, Arc<Stores>>>> = OnceLock::new();
        let mut open = OPEN
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(stores) = open.get(home.root()) {
            return Ok(stores.clone());
        }
        let stores = Arc::new(Stores::open(home, &StoreConfig::from_env())?);
        open.insert(home.root().to_path_buf(), stores.clone());
        Ok(stores)
    }

    /// The model registry.
    pub fn registry(&self) -> &ModelRegistry {
        &self.registry
    }

    /// Reads production data (every replica's).
    pub fn reader(&self) -> Arc<dyn ProductionReader> {
        self.reader.clone()
    }

    /// The closed loop's records (the trainer service's state, decisions, revocations, jobs):
    /// files under `<home>/loop/`, or the database.
    pub fn loop_records(&self) -> Arc<dyn LoopRecords> {
        self.loop_records.clone()
    }

    /// A replica's writer: its own log files named after `instance` under the home, or the
    /// database; at most `queue` predictions wait to be stored.
    pub fn writer(&self, instance: &str, queue: usize) -> Result<Arc<dyn ProductionStore>, Error> {
        Ok(match &self.production {
            Production::Files(dir) => Arc::new(FileStore::open(dir, instance, queue)?),
            Production::Postgres(db) => Arc::new(PgProductionStore::open(db, queue)),
        })
    }

    /// The data directory when production data is in files (readers that stream the files
    /// themselves use it); `None` on a database.
    pub fn data_dir(&self) -> Option<&Path> {
        match &self.production {
            Production::Files(dir) => Some(dir),
            Production::Postgres(_) => None,
        }
    }

    /// Where things are, for the service log (no secrets).
    pub fn describe(&self) -> &str {
        &self.description
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_by_default_and_a_bundle_store_needs_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let stores = Stores::open(&home, &StoreConfig::default()).unwrap();
        assert_eq!(stores.data_dir(), Some(home.data().as_path()));
        assert!(stores.registry().versions().unwrap().is_empty());
        // Opening writes nothing; a writer creates its own files.
        assert!(!home.artifacts().exists() && !home.data().exists());
        let writer = stores.writer("replica-a", 10).unwrap();
        assert_eq!(writer.feedback_since(None).unwrap().len(), 0);
        assert!(home.data().join("predictions").is_dir());

        let config = StoreConfig {
            database_url: None,
            bundle_store: Some(format!("file://{}/bucket", dir.path().display())),
        };
        let err = Stores::open(&home, &config).unwrap_err().to_string();
        assert!(err.contains(DATABASE_URL_ENV), "{err}");
        let debug = format!(
            "{:?}",
            StoreConfig {
                database_url: Some("postgres://u:secret@h/db".into()),
                bundle_store: None
            }
        );
        assert!(!debug.contains("secret"), "{debug}");
    }
}
