//! Versioned model bundles on a shared volume, and the registry that names them.
//!
//! # Brief overview
//! - [`Registry`] owns `<home>/artifacts/`: bundles under `models/vNNNN/`, the aliases
//!   `production` and `previous` in `aliases.json`, and the append-only promotion history in
//!   `history.jsonl`.
//! - [`Registry::publish`] writes a [`NewBundle`] into a staging directory, fsyncs every file,
//!   records SHA-256 checksums in `manifest.json` and only then renames the directory into
//!   place: a crash never leaves a half-written bundle that looks valid.
//! - [`Registry::load`] verifies the schema version and every checksum before rebuilding the
//!   [`text_model::FraudModel`]; anything else is refused with an [`Error`].
//!
//! - [`BundleStore`] and [`AliasStore`] are the interfaces behind it: [`Registry`] implements
//!   both on files (the default); `store-object` keeps bundles in object storage and
//!   `store-postgres` aliases and history in PostgreSQL, in this crate's format
//!   ([`BundleWriter`], [`BundleReader`]).
//! - [`ModelRegistry`] is the registry the services hold: one bundle store and one alias store
//!   (files by default), with resolving, listing, loading production, verified promotion and
//!   rollback and training datasets written once over the interfaces.
//!
//! **Architecture invariant:** no HTTP, no async, no CLI or config parsing. This crate alone
//! knows the on-disk format of a model; the text model itself is not `Serialize`.
//!
//! # Layout
//! ```text
//! artifacts/
//!   models/v0001/{manifest.json, model.json, metrics.json, ref_data.csv}
//!   aliases.json        {"production": "v0002", "previous": "v0001"}
//!   history.jsonl       one promotion or rollback per line
//!   .staging/           bundles being written
//!   .lock               serialises registry changes across processes
//! ```
#![deny(missing_docs)]

mod error;
mod facade;
mod format;
mod fsutil;
mod registry;
mod store;
mod version;

pub use error::Error;
pub use facade::ModelRegistry;
pub use format::{DataFingerprint, FileEntry, Manifest, ModelFile, SCHEMA_VERSION};
pub use registry::{
    AliasName, Aliases, HistoryEvent, HistoryKind, LoadedBundle, NewBundle, Registry, Staging,
    VersionInfo, REFERENCE_DATA_FILE,
};
pub use store::{
    load_production, promote_verified, publish_first_production, AliasStore, BundleReader,
    BundleStore, BundleWriter, MANIFEST_CHECKSUM_NAME, MANIFEST_NAME,
};
pub use version::ModelVersion;
