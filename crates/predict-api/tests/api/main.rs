//! End-to-end tests of predict-api over real HTTP on a loopback port (and, for durability, the
//! real binary).

mod batch;
mod durability;
mod errors;
mod feedback;
mod helpers;
mod hot_reload;
mod load_shedding;
mod metrics;
mod openapi;
mod predict;
mod predictions;
mod reload_refusal;
