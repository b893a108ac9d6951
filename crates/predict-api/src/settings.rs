//! Service settings: command line, environment, defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use serde::{Deserialize, Serialize};

pub use fraudloop_config::AdminToken;

/// The prefix of predict-api's environment variables (`PREDICT_API_MAX_BODY_BYTES=...`).
pub const ENV_PREFIX: &str = "PREDICT_API_";
/// The environment variable holding the admin token (read only from the environment).
pub const ADMIN_TOKEN_ENV: &str = "PREDICT_API_ADMIN_TOKEN";

/// The command line: where the settings file and the home are, and the listen address.
/// Everything else is a setting (defaults, then `--config`, then `PREDICT_API_*`).
#[derive(Debug, Clone, Parser)]
#[command(name = "predict-api", version, about = "Fraud-message scoring service")]
pub struct Cli {
    /// A TOML settings file (keys as in `Settings`, e.g. `max_text_chars = 5000`).
    #[arg(long, env = "PREDICT_API_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Shared home directory (models in artifacts/, production data in data/); default
    /// FRAUDLOOP_HOME, else the current directory.
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Listen address (overrides `addr` from the file and `PREDICT_API_ADDR`).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
}

/// predict-api settings. Each is also an environment variable: `PREDICT_API_` and the name
/// in capitals (`PREDICT_API_CONCURRENCY_LIMIT=256`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Listen address.
    pub addr: SocketAddr,
    /// Shared home directory (models in artifacts/, production data in data/).
    #[serde(skip)]
    pub home: PathBuf,
    /// Bearer token for /admin/* (unset: admin endpoints refuse every request).
    #[serde(skip)]
    pub admin_token: Option<AdminToken>,
    /// Name of this replica in log file names (default: host name and process id).
    #[serde(deserialize_with = "fraudloop_config::string_like")]
    pub instance: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest accepted message, in characters.
    pub max_text_chars: usize,
    /// Most items in one batch request.
    pub batch_max: usize,
    /// Request timeout, in milliseconds (counted once the body is in).
    pub request_timeout_ms: u64,
    /// Longest a client may take to send a request body, in milliseconds; slower ones get
    /// 408. Bodies are read before a request takes a concurrency slot.
    pub body_timeout_ms: u64,
    /// Keep-alive connections idle this long (or this slow to send a request's headers) are
    /// closed, in milliseconds.
    pub idle_timeout_ms: u64,
    /// Requests processed at once; more are shed with 503 and Retry-After.
    pub concurrency_limit: usize,
    /// How often the production alias is checked for a new model, in milliseconds.
    pub reload_poll_ms: u64,
    /// Risk-level bands: scores below the first are low, from the second on high ("0.3,0.7").
    pub risk_bands: RiskBands,
    /// Terms listed in each explanation.
    pub top_terms: usize,
    /// Predictions waiting to be logged before new ones are dropped (and counted).
    pub log_queue: usize,
    /// Recent predictions kept in memory for feedback lookups (older ones are read from disk).
    pub recent_predictions: usize,
    /// User labels (`source: user`) accepted per contact per minute; more get 429 (0: no
    /// limit). Users without a contact share one allowance.
    pub user_labels_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: "127.0.0.1:8000".parse().expect("static address"),
            home: PathBuf::from("."),
            admin_token: None,
            instance: None,
            max_body_bytes: 4 * 1024 * 1024,
            max_text_chars: 20_000,
            batch_max: 1000,
            request_timeout_ms: 10_000,
            body_timeout_ms: 5_000,
            idle_timeout_ms: 20_000,
            concurrency_limit: 512,
            reload_poll_ms: 2000,
            risk_bands: RiskBands {
                medium_from: 0.3,
                high_from: 0.7,
            },
            top_terms: 5,
            log_queue: 65_536,
            recent_predictions: 20_000,
            user_labels_per_minute: 20,
        }
    }
}

impl Settings {
    /// The settings of a run: defaults, then `--config`, then `PREDICT_API_*`, then the
    /// command line; the home from [`fraudloop_config::Home::resolve`]; the admin token from
    /// `PREDICT_API_ADMIN_TOKEN` only.
    pub fn load(cli: Cli) -> anyhow::Result<Settings> {
        let mut settings: Settings =
            fraudloop_config::load_service_settings(cli.config.as_deref(), ENV_PREFIX)?;
        settings.home = fraudloop_config::Home::resolve(cli.home)
            .root()
            .to_path_buf();
        if let Some(addr) = cli.addr {
            settings.addr = addr;
        }
        settings.admin_token = AdminToken::from_env(ADMIN_TOKEN_ENV)
            .map_err(anyhow::Error::msg)
            .context("invalid settings")?;
        settings.validate().context("invalid settings")?;
        Ok(settings)
    }

    /// Defaults for a home directory, listening on a random loopback port (for tests).
    pub fn for_home(home: impl Into<PathBuf>) -> Settings {
        Settings {
            home: home.into(),
            addr: "127.0.0.1:0".parse().expect("static address"),
            ..Settings::default()
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.concurrency_limit > 0,
            "concurrency_limit must be at least 1"
        );
        anyhow::ensure!(self.batch_max > 0, "batch_max must be at least 1");
        anyhow::ensure!(self.max_text_chars > 0, "max_text_chars must be at least 1");
        anyhow::ensure!(
            self.request_timeout_ms > 0,
            "request_timeout_ms must be at least 1"
        );
        anyhow::ensure!(
            self.body_timeout_ms > 0,
            "body_timeout_ms must be at least 1"
        );
        anyhow::ensure!(
            self.idle_timeout_ms > 0,
            "idle_timeout_ms must be at least 1"
        );
        Ok(())
    }

    /// The request limits every request runs under.
    pub fn limits(&self) -> fraudloop_http::Limits {
        fraudloop_http::Limits {
            concurrency: self.concurrency_limit,
            request_timeout: self.request_timeout(),
            max_body_bytes: self.max_body_bytes,
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
        }
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// The alias poll interval.
    pub fn reload_poll(&self) -> Duration {
        Duration::from_millis(self.reload_poll_ms.max(50))
    }

    /// This replica's name.
    pub fn instance_name(&self) -> String {
        self.instance.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_default();
            let host = if host.is_empty() {
                "local".to_string()
            } else {
                host
            };
            format!("{host}-{}", std::process::id())
        })
    }
}

/// Score bands of the risk levels, written `"0.3,0.7"` in settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskBands {
    /// Scores below this are low.
    pub medium_from: f64,
    /// Scores from this on are high.
    pub high_from: f64,
}

impl RiskBands {
    /// The level of a score.
    pub fn level(&self, score: f64) -> &'static str {
        if score >= self.high_from {
            "high"
        } else if score >= self.medium_from {
            "medium"
        } else {
            "low"
        }
    }
}

impl Serialize for RiskBands {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{},{}", self.medium_from, self.high_from))
    }
}

impl<'de> Deserialize<'de> for RiskBands {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_bands(&text).map_err(serde::de::Error::custom)
    }
}

fn parse_bands(s: &str) -> Result<RiskBands, String> {
    let parts: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    match parts[..] {
        [a, b] if 0.0 < a && a < b && b < 1.0 => Ok(RiskBands {
            medium_from: a,
            high_from: b,
        }),
        _ => Err(format!(
            "{s:?}: expected two increasing scores in (0, 1), like 0.3,0.7"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_bands() {
        assert_eq!(
            parse_bands("0.2, 0.8").unwrap(),
            RiskBands {
                medium_from: 0.2,
                high_from: 0.8
            }
        );
        assert!(parse_bands("0.8,0.2").is_err());
        assert!(parse_bands("x").is_err());
        let bands = parse_bands("0.3,0.7").unwrap();
        assert_eq!(
            (bands.level(0.1), bands.level(0.3), bands.level(0.7)),
            ("low", "medium", "high")
        );
    }
}
