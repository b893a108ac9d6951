//! web-ui settings: defaults, then a TOML file, then `WEB_UI_*` variables, then the command
//! line; the backends' base URLs from `PREDICT_API_URL`, `DRIFT_MONITOR_URL`, `TRAINER_URL` and
//! `FEEDBACK_AGENT_URL` (the names every service uses to find the others); the admin token only
//! from the environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use fraudloop_config::AdminToken;
use serde::{Deserialize, Serialize};

/// The prefix of web-ui's own environment variables (`WEB_UI_ADDR=0.0.0.0:8080`).
pub const ENV_PREFIX: &str = "WEB_UI_";

/// The environment variable holding the token an operator signs in with.
pub const ADMIN_TOKEN_ENV: &str = "WEB_UI_ADMIN_TOKEN";

/// web-ui settings. Each is also an environment variable: `WEB_UI_` and the name in capitals;
/// the four URLs also from their shared names (`PREDICT_API_URL`…), which win when set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Listen address.
    pub addr: SocketAddr,
    /// predict-api's base URL.
    pub predict_api_url: String,
    /// drift-monitor's base URL.
    pub drift_monitor_url: String,
    /// The trainer service's base URL.
    pub trainer_url: String,
    /// feedback-agent's base URL.
    pub feedback_agent_url: String,
    /// Largest CSV upload, in bytes.
    pub max_upload_bytes: usize,
    /// How long a backend may take to answer, in milliseconds.
    pub backend_timeout_ms: u64,
    /// A browser session (and its admin sign-in) ends after this many idle minutes.
    pub session_idle_minutes: u64,
    /// The shared home (artifacts/, data/), read for the registry and the feedback log.
    #[serde(skip)]
    pub home: PathBuf,
    /// The token operators sign in with (None: admin actions are disabled).
    #[serde(skip)]
    pub admin_token: Option<AdminToken>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: "127.0.0.1:8080".parse().expect("static address"),
            predict_api_url: "http://127.0.0.1:8000".into(),
            drift_monitor_url: "http://127.0.0.1:8001".into(),
            trainer_url: "http://127.0.0.1:8002".into(),
            feedback_agent_url: "http://127.0.0.1:8003".into(),
            max_upload_bytes: 2 * 1024 * 1024,
            backend_timeout_ms: 15_000,
            session_idle_minutes: 12 * 60,
            home: PathBuf::from("."),
            admin_token: None,
        }
    }
}

/// The shared names of the backends' URLs, read after `WEB_UI_*`.
const SHARED_URLS: [&str; 4] = [
    "PREDICT_API_URL",
    "DRIFT_MONITOR_URL",
    "TRAINER_URL",
    "FEEDBACK_AGENT_URL",
];

impl Settings {
    /// Defaults, then `file`, then `WEB_UI_*`, then the shared URL variables; the home from
    /// `home` or `FRAUDLOOP_HOME`; the admin token from [`ADMIN_TOKEN_ENV`].
    pub fn load(file: Option<&Path>, home: Option<PathBuf>) -> anyhow::Result<Settings> {
        let mut settings: Settings = fraudloop_config::load_service_settings(file, ENV_PREFIX)?;
        for (var, field) in SHARED_URLS.iter().zip([
            &mut settings.predict_api_url,
            &mut settings.drift_monitor_url,
            &mut settings.trainer_url,
            &mut settings.feedback_agent_url,
        ]) {
            if let Some(value) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
                *field = value;
            }
        }
        settings.home = fraudloop_config::Home::resolve(home).root().to_path_buf();
        settings.admin_token = AdminToken::from_env(ADMIN_TOKEN_ENV)
            .map_err(anyhow::Error::msg)
            .context("invalid settings")?;
        settings.validate().context("invalid settings")?;
        Ok(settings)
    }

    /// Defaults for tests: a home, a random loopback port and the given backends.
    pub fn for_tests(home: impl Into<PathBuf>) -> Settings {
        Settings {
            addr: "127.0.0.1:0".parse().expect("static address"),
            home: home.into(),
            ..Settings::default()
        }
    }

    fn validate(&mut self) -> anyhow::Result<()> {
        for url in [
            &mut self.predict_api_url,
            &mut self.drift_monitor_url,
            &mut self.trainer_url,
            &mut self.feedback_agent_url,
        ] {
            let trimmed = url.trim().trim_end_matches('/').to_string();
            anyhow::ensure!(
                trimmed.starts_with("http://") || trimmed.starts_with("https://"),
                "{trimmed:?} is not an http(s) URL"
            );
            *url = trimmed;
        }
        anyhow::ensure!(
            self.max_upload_bytes >= 1024,
            "max_upload_bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.backend_timeout_ms > 0,
            "backend_timeout_ms must be at least 1"
        );
        Ok(())
    }

    /// How long a backend may take.
    pub fn backend_timeout(&self) -> Duration {
        Duration::from_millis(self.backend_timeout_ms)
    }

    /// How long an idle session lives.
    pub fn session_idle(&self) -> Duration {
        Duration::from_secs(self.session_idle_minutes.max(1) * 60)
    }
}
