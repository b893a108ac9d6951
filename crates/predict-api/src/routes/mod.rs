//! HTTP handlers, one module per resource, and what the scoring handlers share.

pub mod admin;
pub mod batch;
pub mod contact_limit;
pub(crate) mod encoding;
pub mod feedback;
pub mod meta;
pub mod predict;
pub mod predictions;
pub mod validation;
