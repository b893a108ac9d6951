//! End-to-end tests of the closed loop (in `tests/`): predict-api, drift-monitor and
//! `trainer serve` running together on loopback on one shared home. The only crate allowed to
//! depend on services, and only for its tests.
