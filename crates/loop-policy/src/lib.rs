//! The closed loop's decisions as pure, deterministic functions.
//!
//! # Brief overview
//! - [`decide`] turns the [`Signals`] of one drift report, the loop's [`LoopState`] and the
//!   [`PolicyConfig`] into one [`Decision`]: `ok`, `alert`, `retrain` or `rollback`, with the
//!   rule that fired (the README's policy table, rule for rule) and why.
//!   One report gets one decision: a report already decided returns that decision again.
//! - [`LoopState::record`] remembers a decision (cooldowns, decided reports);
//!   [`LoopState::record_rollback`] marks the version rolled back from as bad, so that a
//!   rollback can never bounce back to it.
//! - [`gate`] is the promotion gate's verdict from scores of the production model and the
//!   candidate on the same rows.
//! - [`AlertGate`] de-duplicates and rate-limits alerts.
//! - [`training_labels`] turns feedback into training labels: revoked labels dropped, the
//!   latest label of the most trusted source winning per text, user labels capped per contact;
//!   [`TrainingWeights`] weigh them by source in a retrain.
//!
//! **Architecture invariant:** no IO, no clock, no HTTP: the caller passes the time in.
#![deny(missing_docs)]

mod alerts;
mod gate;
mod labels;
mod policy;

pub use alerts::{AlertGate, AlertVerdict};
pub use gate::{gate, GateScores, GateSettings, GateVerdict};
pub use labels::{
    training_labels, FeedbackLabel, LabelLimits, LabelSource, TrainingLabel, TrainingWeights,
};
pub use policy::{
    decide, Action, Cooldowns, Decision, LoopState, PolicyConfig, Regression, Severity, Signals,
};
