//! End-to-end tests of feedback-agent over real HTTP on loopback: a real predict-api, an
//! OpenAI-compatible fake (chat and embeddings) and an SMTP sink, both speaking the real
//! protocols.

mod ask;
mod confirm;
mod delivery;
mod fake_openai;
mod generation;
mod helpers;
mod openapi;
mod retrieval;
mod smtp_sink;
