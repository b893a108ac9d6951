//! drift-monitor settings: defaults, then a TOML file, then `DRIFT_MONITOR_*` variables, then
//! the command line; the admin token only from the environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use drift_stats::StatTest;
use fraudloop_config::{AdminToken, Home};
use serde::{Deserialize, Serialize};

use crate::service::{ServiceSettings, ADMIN_TOKEN_ENV};
use crate::store::Retention;
use crate::{DriftConfig, WindowSpec};

/// The prefix of drift-monitor's environment variables (`DRIFT_MONITOR_MIN_ROWS=200`).
pub const ENV_PREFIX: &str = "DRIFT_MONITOR_";

/// drift-monitor settings. Each is also an environment variable: `DRIFT_MONITOR_` and the
/// name in capitals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Listen address of the service.
    pub addr: SocketAddr,
    /// Seconds between scheduled reports.
    pub interval_secs: u64,
    /// Compare at most the latest N predictions.
    pub window_rows: usize,
    /// Compare only predictions of the last M minutes (counted back from each run).
    pub window_minutes: Option<i64>,
    /// Below this many rows the report says "not enough data".
    pub min_rows: usize,
    /// Share of drifted columns from which the dataset counts as drifted.
    pub drift_share: f64,
    /// Per-column test overrides, `column=test:threshold` (e.g. `oov_rate=wasserstein:0.2`).
    pub overrides: Vec<String>,
    /// Stored reports kept (the newest).
    pub keep_reports: usize,
    /// Stored reports older than this many days are removed (0: kept whatever their age).
    pub keep_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: "127.0.0.1:8001".parse().expect("static address"),
            interval_secs: 300,
            window_rows: 5000,
            window_minutes: None,
            min_rows: 100,
            drift_share: 0.5,
            overrides: Vec::new(),
            keep_reports: 2000,
            keep_days: 90,
        }
    }
}

impl Settings {
    /// Defaults, then `file`, then `DRIFT_MONITOR_*`.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        Ok(fraudloop_config::load_service_settings(file, ENV_PREFIX)?)
    }

    /// The window of each run.
    pub fn window(&self) -> WindowSpec {
        WindowSpec {
            last_n: self.window_rows,
            max_age: self.window_minutes.map(chrono::Duration::minutes),
        }
    }

    /// The report settings.
    pub fn drift_config(&self) -> anyhow::Result<DriftConfig> {
        let overrides = self
            .overrides
            .iter()
            .map(|o| parse_override(o).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()
            .context("overrides")?;
        anyhow::ensure!(
            self.drift_share > 0.0 && self.drift_share <= 1.0,
            "drift_share must be in (0, 1]"
        );
        Ok(DriftConfig {
            min_rows: self.min_rows,
            drift_share_threshold: self.drift_share,
            overrides,
            ..DriftConfig::default()
        })
    }

    /// How many stored reports are kept.
    pub fn retention(&self) -> Retention {
        Retention {
            max_reports: self.keep_reports.max(1),
            max_age: (self.keep_days > 0).then(|| chrono::Duration::days(self.keep_days.into())),
        }
    }

    /// The service's settings for `home`, with the admin token from the environment.
    pub fn service(&self, home: Option<PathBuf>) -> anyhow::Result<ServiceSettings> {
        let admin_token = AdminToken::from_env(ADMIN_TOKEN_ENV)
            .map_err(anyhow::Error::msg)
            .context("invalid settings")?;
        Ok(ServiceSettings {
            addr: self.addr,
            home: Home::resolve(home).root().to_path_buf(),
            admin_token,
            interval: Duration::from_secs(self.interval_secs.max(1)),
            window: self.window(),
            config: self.drift_config()?,
            retention: self.retention(),
        })
    }
}

/// Parses `column=test:threshold`.
pub fn parse_override(s: &str) -> Result<(String, StatTest, f64), String> {
    let (column, rest) = s.split_once('=').ok_or("expected column=test:threshold")?;
    let (test, threshold) = rest
        .split_once(':')
        .ok_or("expected column=test:threshold")?;
    let test = StatTest::from_name(test).ok_or_else(|| {
        format!("unknown test {test:?} (ks, chisquare, z, wasserstein, jensenshannon)")
    })?;
    let threshold: f64 = threshold.parse().map_err(|e| format!("threshold: {e}"))?;
    Ok((column.to_string(), test, threshold))
}
