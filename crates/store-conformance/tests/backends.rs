//! Every store suite against every backend. Files always run; PostgreSQL runs when
//! `FRAUDLOOP_TEST_DATABASE_URL` names a server (each test makes its own database there), and
//! S3 when `FRAUDLOOP_TEST_S3_URL` names a bucket (`s3://bucket`, each test under its own
//! prefix, settings from the `AWS_*` variables). `tests/stores/run.sh` starts both and sets
//! them; without them those tests print a notice and pass.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use artifact_store::{ModelVersion, Registry};
use prod_data::{FileStore, LoopFiles, LoopRecords, ProductionStore};
use store_conformance::{
    alias_store_suite, bundle_store_suite, loop_records_suite, production_store_suite, Tamper,
};
use store_object::ObjectBundleStore;
use store_postgres::{Database, PgAliasStore, PgLoopRecords, PgProductionStore};

struct FolderTamper(std::path::PathBuf);

impl Tamper for FolderTamper {
    fn overwrite(&self, version: ModelVersion, name: &str, bytes: &[u8]) {
        let path = self.0.join("models").join(version.to_string()).join(name);
        assert!(path.is_file(), "{} is not there to damage", path.display());
        std::fs::write(path, bytes).unwrap();
    }
}

struct ObjectTamper(ObjectBundleStore);

impl Tamper for ObjectTamper {
    fn overwrite(&self, version: ModelVersion, name: &str, bytes: &[u8]) {
        self.0
            .put_raw(&format!("models/{version}/{name}"), bytes)
            .unwrap();
    }
}

// ---- files (the default) ----

#[test]
fn bundles_on_the_file_registry() {
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path()).unwrap();
    bundle_store_suite(&registry, &FolderTamper(home.path().to_path_buf()));
}

#[test]
fn aliases_on_the_file_registry() {
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path()).unwrap();
    alias_store_suite(&registry, &registry);
}

#[test]
fn production_data_on_files() {
    let data = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    production_store_suite(&|| {
        let instance = format!("replica-{}", n.fetch_add(1, Ordering::Relaxed));
        Box::new(FileStore::open(data.path(), &instance, 10_000).unwrap())
    });
}

#[test]
fn loop_records_on_files() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("loop");
    loop_records_suite(&|| Box::new(LoopFiles::new(&dir)) as Box<dyn LoopRecords>);
}

#[test]
fn bundles_on_a_local_object_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let store = ObjectBundleStore::open(&url).unwrap();
    bundle_store_suite(&store, &FolderTamper(dir.path().to_path_buf()));
}

// ---- S3 ----

fn s3_store() -> Option<ObjectBundleStore> {
    let Ok(bucket) = std::env::var("FRAUDLOOP_TEST_S3_URL") else {
        eprintln!("FRAUDLOOP_TEST_S3_URL is unset: S3 not tested (tests/stores/run.sh sets it)");
        return None;
    };
    static N: AtomicUsize = AtomicUsize::new(0);
    let prefix = format!(
        "run-{}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    Some(ObjectBundleStore::open(&format!("{}/{prefix}", bucket.trim_end_matches('/'))).unwrap())
}

#[test]
fn bundles_on_s3() {
    let Some(store) = s3_store() else { return };
    bundle_store_suite(&store, &ObjectTamper(store.clone()));
}

// ---- PostgreSQL ----

/// A new, empty database on the test server.
fn database() -> Option<Database> {
    let Ok(url) = std::env::var("FRAUDLOOP_TEST_DATABASE_URL") else {
        eprintln!("FRAUDLOOP_TEST_DATABASE_URL is unset: PostgreSQL not tested (tests/stores/run.sh sets it)");
        return None;
    };
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "conformance_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let admin = Database::connect_server(&url).unwrap();
    admin.create_database(&name).unwrap();
    let (base, _) = url.rsplit_once('/').expect("the URL names a database");
    Some(Database::connect(&format!("{base}/{name}"), 8).unwrap())
}

#[test]
fn aliases_in_postgres_with_bundles_on_files() {
    let Some(db) = database() else { return };
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path()).unwrap();
    alias_store_suite(&registry, &PgAliasStore::new(&db));
}

#[test]
fn aliases_in_postgres_with_bundles_on_s3() {
    let Some(db) = database() else { return };
    let Some(store) = s3_store() else { return };
    alias_store_suite(&store, &PgAliasStore::new(&db));
}

#[test]
fn production_data_in_postgres() {
    let Some(db) = database() else { return };
    let db = Arc::new(db);
    production_store_suite(&|| {
        Box::new(PgProductionStore::open(&db, 10_000)) as Box<dyn ProductionStore>
    });
}

#[test]
fn loop_records_in_postgres() {
    let Some(db) = database() else { return };
    loop_records_suite(&|| Box::new(PgLoopRecords::new(&db)) as Box<dyn LoopRecords>);
}
