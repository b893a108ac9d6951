//! `trainer serve` settings: defaults, then a TOML file, then `FRAUDLOOP_LOOP__*` variables;
//! the listen address from `TRAINER_ADDR`, the replicas from `PREDICT_API_URLS`, the admin
//! token only from `TRAINER_ADMIN_TOKEN`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use fraudloop_config::{AdminToken, Home};
use loop_policy::{GateSettings, LabelLimits, PolicyConfig, TrainingWeights};
use serde::{Deserialize, Serialize};

/// The prefix of the loop's environment variables (`FRAUDLOOP_LOOP__POLICY__MIN_LABELS=50`).
pub const ENV_PREFIX: &str = "FRAUDLOOP_LOOP__";
/// The environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "TRAINER_ADMIN_TOKEN";
/// The listen address's environment variable.
pub const ADDR_ENV: &str = "TRAINER_ADDR";
/// The predict-api replicas checked after each promotion (comma-separated base URLs).
pub const REPLICAS_ENV: &str = "PREDICT_API_URLS";

/// The loop's settings. Nested keys are sections in the file (`[policy]`) and `__` in the
/// environment (`FRAUDLOOP_LOOP__GATE__RECENT_MARGIN_POINTS=2`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoopSettings {
    /// Seconds between looks for a new drift report.
    pub poll_secs: f64,
    /// drift-monitor's base URL: the latest report is read from its `/reports/latest` (when
    /// the services share no folder). Empty: from the home's `reports/`.
    pub drift_monitor_url: String,
    /// Retrain at least this often (hours; 0: no schedule), when there are labels.
    pub schedule_hours: f64,
    /// Alert webhooks (comma-separated URLs; Slack-compatible JSON).
    pub alert_webhooks: String,
    /// An alert with the same rule and versions is sent once per this many minutes.
    pub alert_dedup_minutes: i64,
    /// Most alerts sent per hour.
    pub alerts_per_hour: usize,
    /// Delivery attempts per alert and webhook.
    pub alert_attempts: u32,
    /// Seconds every replica has to serve a promoted version before it is rolled back.
    pub replica_timeout_secs: u64,
    /// Promote candidates that pass the gate (false: register them and leave promotion to a
    /// person).
    pub auto_promote: bool,
    /// The policy's thresholds and cooldowns.
    pub policy: PolicyConfig,
    /// The promotion gate.
    pub gate: GateSettings,
    /// Limits on feedback labels.
    pub labels: LabelLimits,
    /// Weights of a retrain's training rows, by where they come from.
    pub weights: TrainingWeights,
}

impl Default for LoopSettings {
    fn default() -> Self {
        LoopSettings {
            poll_secs: 5.0,
            drift_monitor_url: String::new(),
            schedule_hours: 0.0,
            alert_webhooks: String::new(),
            alert_dedup_minutes: 60,
            alerts_per_hour: 20,
            alert_attempts: 3,
            replica_timeout_secs: 30,
            auto_promote: true,
            policy: PolicyConfig::default(),
            gate: GateSettings::default(),
            labels: LabelLimits::default(),
            weights: TrainingWeights::default(),
        }
    }
}

impl LoopSettings {
    /// Defaults, then `file`, then `FRAUDLOOP_LOOP__*`.
    pub fn load(file: Option<&Path>) -> anyhow::Result<LoopSettings> {
        let settings: LoopSettings = fraudloop_config::load_service_settings(file, ENV_PREFIX)?;
        anyhow::ensure!(
            settings.poll_secs > 0.0,
            "invalid settings: poll_secs must be positive"
        );
        anyhow::ensure!(
            settings.gate.recent_holdout_share > 0.0 && settings.gate.recent_holdout_share < 1.0,
            "invalid settings: gate.recent_holdout_share must be in (0, 1)"
        );
        settings
            .weights
            .validate()
            .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
        Ok(settings)
    }

    /// The webhook URLs.
    pub fn webhooks(&self) -> Vec<String> {
        split_list(&self.alert_webhooks)
    }
}

/// Everything `trainer serve` runs with.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Listen address.
    pub addr: SocketAddr,
    /// Shared home.
    pub home: PathBuf,
    /// Bearer token of the admin endpoints (None: refused).
    pub admin_token: Option<AdminToken>,
    /// predict-api replicas checked after a promotion.
    pub replicas: Vec<String>,
    /// The loop's settings.
    pub settings: LoopSettings,
    /// Training settings of retrains (`FRAUDLOOP_TRAINER_*`, as for `trainer train`).
    pub training: text_model::TrainingConfig,
}

impl ServiceSettings {
    /// Reads the environment: `TRAINER_ADDR` (default 127.0.0.1:8002), `PREDICT_API_URLS`,
    /// `TRAINER_ADMIN_TOKEN`, the loop's and the trainer's settings.
    pub fn from_env(
        home: Option<PathBuf>,
        config: Option<&Path>,
    ) -> anyhow::Result<ServiceSettings> {
        let addr = match std::env::var(ADDR_ENV) {
            Ok(a) => a
                .parse()
                .with_context(|| format!("{ADDR_ENV}={a:?} is not an address"))?,
            Err(_) => "127.0.0.1:8002".parse().expect("static address"),
        };
        let admin_token = AdminToken::from_env(ADMIN_TOKEN_ENV)
            .map_err(anyhow::Error::msg)
            .context("invalid settings")?;
        Ok(ServiceSettings {
            addr,
            home: Home::resolve(home).root().to_path_buf(),
            admin_token,
            replicas: split_list(&std::env::var(REPLICAS_ENV).unwrap_or_default()),
            settings: LoopSettings::load(config)?,
            training: crate::train::load_config(None)?,
        })
    }

    /// Seconds between looks for a report.
    pub fn poll(&self) -> Duration {
        Duration::from_secs_f64(self.settings.poll_secs)
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_nested_settings() {
        std::env::set_var("FRAUDLOOP_LOOP__POLICY__MIN_LABELS", "42");
        std::env::set_var("FRAUDLOOP_LOOP__GATE__RECENT_MARGIN_POINTS", "3.5");
        std::env::set_var(
            "FRAUDLOOP_LOOP__ALERT_WEBHOOKS",
            "http://a.example/hook, http://b.example/x/",
        );
        let s = LoopSettings::load(None).unwrap();
        assert_eq!(s.policy.min_labels, 42);
        assert_eq!(s.gate.recent_margin_points, 3.5);
        assert_eq!(
            s.webhooks(),
            ["http://a.example/hook", "http://b.example/x"]
        );
        std::env::set_var("FRAUDLOOP_LOOP__POLICY__MIN_LABLES", "1");
        let err = LoopSettings::load(None).unwrap_err();
        std::env::remove_var("FRAUDLOOP_LOOP__POLICY__MIN_LABLES");
        assert!(format!("{err:#}").contains("min_lables"), "{err:#}");
    }
}
