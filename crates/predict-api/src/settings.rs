//! Service settings: command line, environment, defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

pub use fraudloop_config::AdminToken;

/// predict-api settings. Every flag also reads an environment variable.
#[derive(Debug, Clone, Parser)]
#[command(name = "predict-api", version, about = "Fraud-message scoring service")]
pub struct Settings {
    /// Listen address.
    #[arg(long, env = "PREDICT_API_ADDR", default_value = "127.0.0.1:8000")]
    pub addr: SocketAddr,
    /// Shared home directory (models in artifacts/, production data in data/).
    #[arg(long, env = fraudloop_config::HOME_ENV, default_value = ".")]
    pub home: PathBuf,
    /// Bearer token for /admin/* (unset: admin endpoints refuse every request).
    #[arg(long, env = "PREDICT_API_ADMIN_TOKEN", hide_env_values = true, value_parser = fraudloop_config::AdminTokenParser)]
    pub admin_token: Option<AdminToken>,
    /// Name of this replica in log file names (default: host name and process id).
    #[arg(long, env = "PREDICT_API_INSTANCE")]
    pub instance: Option<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "PREDICT_API_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest accepted message, in characters.
    #[arg(long, env = "PREDICT_API_MAX_TEXT_CHARS", default_value_t = 20_000)]
    pub max_text_chars: usize,
    /// Most items in one batch request.
    #[arg(long, env = "PREDICT_API_BATCH_MAX", default_value_t = 1000)]
    pub batch_max: usize,
    /// Request timeout, in milliseconds.
    #[arg(long, env = "PREDICT_API_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// Requests processed at once; more are shed with 503 and Retry-After.
    #[arg(long, env = "PREDICT_API_CONCURRENCY_LIMIT", default_value_t = 512)]
    pub concurrency_limit: usize,
    /// How often the production alias is checked for a new model, in milliseconds.
    #[arg(long, env = "PREDICT_API_RELOAD_POLL_MS", default_value_t = 2000)]
    pub reload_poll_ms: u64,
    /// Risk-level bands: scores below the first are low, from the second on high.
    #[arg(long, env = "PREDICT_API_RISK_BANDS", default_value = "0.3,0.7", value_parser = parse_bands)]
    pub risk_bands: RiskBands,
    /// Terms listed in each explanation.
    #[arg(long, env = "PREDICT_API_TOP_TERMS", default_value_t = 5)]
    pub top_terms: usize,
    /// Predictions waiting to be logged before new ones are dropped (and counted).
    #[arg(long, env = "PREDICT_API_LOG_QUEUE", default_value_t = 65_536)]
    pub log_queue: usize,
    /// Recent predictions kept in memory for feedback lookups (older ones are read from disk).
    #[arg(long, env = "PREDICT_API_RECENT_PREDICTIONS", default_value_t = 20_000)]
    pub recent_predictions: usize,
}

impl Settings {
    /// Defaults for a home directory, listening on a random loopback port (for tests).
    pub fn for_home(home: impl Into<PathBuf>) -> Settings {
        let mut settings = Settings::parse_from(["predict-api"]);
        settings.home = home.into();
        settings.addr = "127.0.0.1:0".parse().expect("static address");
        settings
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

/// Score bands of the risk levels.
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
