//! HTTP handlers, one module per resource.

pub mod admin;
pub mod feedback;
pub mod meta;
pub mod predict;
