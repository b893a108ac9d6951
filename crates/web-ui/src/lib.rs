//! The browser dashboard of fraudloop for risk analysts and operators: check a message, screen
//! a file, watch the model's health, manage model versions, read feedback and ask the agent.
//!
//! # Brief overview
//! - [`app`]: the state, the routes and [`Application`] (`build`, `port`, `run_until_stopped`).
//! - [`pages`]: one module per page (`check`, `screen`, `monitoring`, `models`, `feedback`) and
//!   the frame they share (`layout`: navigation, language switch, sign-in, notices, CSRF).
//! - [`clients`]: one typed client per service (predict-api, drift-monitor, the trainer,
//!   feedback-agent); a service that is down becomes a notice on its part of a page.
//! - [`session`]: sessions kept on the server (CSRF token, admin sign-in, last results).
//! - [`i18n`]: English and Chinese strings; the language from a cookie or `Accept-Language`.
//! - [`charts`], [`highlight`], [`screen`]: SVG charts, terms marked in a message, screened
//!   files and their CSV.
//!
//! Pages are rendered on the server with maud (every value escaped) and work without
//! JavaScript; a small script of our own (served at `/assets/app.js`, no CDN) adds sorting,
//! filtering, example texts and the upload size check.
#![deny(missing_docs)]

pub mod app;
pub mod charts;
pub mod clients;
pub mod highlight;
pub mod i18n;
pub mod pages;
pub mod screen;
pub mod session;
pub mod settings;

pub use app::{router, AppState, Application};
pub use fraudloop_http::shutdown_signal;
pub use settings::Settings;
