//! Nothing to link: this crate's tests read the workspace's manifests and sources and fail
//! when a rule of `ARCHITECTURE.md` that a machine can check is broken (see
//! `tests/invariants.rs`).
