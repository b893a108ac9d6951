//! The pages, one module each, and the frame they share.

pub mod check;
pub mod feedback;
pub mod layout;
pub mod models;
pub mod monitoring;
pub mod screen;
