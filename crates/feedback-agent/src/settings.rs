//! feedback-agent settings: defaults, then a TOML file, then `FEEDBACK_AGENT_*` variables and
//! the variables other parts of the stack already use (`PREDICT_API_URL`, `GROQ_MODEL`, …),
//! then the command line. Keys and passwords come only from the environment ([`Secrets`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use fraudloop_config::{AdminToken, Home};
use serde::{Deserialize, Serialize};

/// The prefix of feedback-agent's own environment variables (`FEEDBACK_AGENT_ADDR`).
pub const ENV_PREFIX: &str = "FEEDBACK_AGENT_";
/// The environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "FEEDBACK_AGENT_ADMIN_TOKEN";

/// The command line.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "feedback-agent",
    version,
    about = "Explains high-risk messages, asks people to confirm, records their answers"
)]
pub struct Cli {
    /// A TOML settings file (keys as in `Settings`).
    #[arg(long, env = "FEEDBACK_AGENT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Shared home directory; default FRAUDLOOP_HOME, else the current directory.
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Listen address (overrides `addr`).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
}

/// feedback-agent settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Listen address (`FEEDBACK_AGENT_ADDR`).
    pub addr: SocketAddr,
    /// The shared home (not a setting: `--home` or `FRAUDLOOP_HOME`).
    #[serde(skip)]
    pub home: PathBuf,
    /// Where predict-api answers (`PREDICT_API_URL`).
    pub predict_api_url: String,
    /// The address people reach the agent at; confirm links start with it
    /// (`AGENT_PUBLIC_URL`).
    pub public_url: String,
    /// The knowledge base folder (default `<home>/knowledge_base`).
    pub knowledge_base: Option<PathBuf>,
    /// Hours a confirm link stays valid.
    pub link_ttl_hours: u64,
    /// Delivery when a request names none: `outbox`, `email` or `webhook`.
    pub default_channel: String,
    /// Chunks retrieved per answer.
    pub top_k: usize,
    /// OpenAI-compatible embeddings endpoint (`EMBEDDINGS_BASE_URL`).
    pub embeddings_base_url: String,
    /// Embeddings model (`EMBEDDINGS_MODEL`).
    pub embeddings_model: String,
    /// Vector size asked of the embeddings endpoint (`EMBEDDINGS_DIMENSIONS`; none: the
    /// model's default).
    pub embeddings_dimensions: Option<u32>,
    /// OpenAI-compatible chat endpoint (`GROQ_BASE_URL`).
    pub chat_base_url: String,
    /// Chat model (`GROQ_MODEL`).
    pub chat_model: String,
    /// Time allowed for one call to an external model, in milliseconds.
    pub llm_timeout_ms: u64,
    /// Retries of a call answered with 429 or 5xx (or timing out).
    pub llm_retries: u32,
    /// Longest wait before a retry, in milliseconds; a longer `Retry-After` gives up at once.
    pub llm_max_wait_ms: u64,
    /// SMTP server (`SMTP_HOST`; none: e-mail delivery is refused).
    pub smtp_host: Option<String>,
    /// SMTP port (`SMTP_PORT`).
    pub smtp_port: u16,
    /// `starttls`, `tls` (implicit) or `none` (`SMTP_TLS`).
    pub smtp_tls: String,
    /// Sender address (`SMTP_FROM`).
    pub smtp_from: String,
    /// n8n (or any) webhook that delivers notices (`N8N_WEBHOOK_URL`).
    pub webhook_url: Option<String>,
    /// Notices one contact may receive per hour.
    pub max_notices_per_contact_per_hour: u32,
    /// Auto mode: notify by itself for new predictions at this risk or above whose
    /// `meta.contact` has an e-mail address (none: off).
    pub auto_threshold: Option<f64>,
    /// Milliseconds between auto-mode passes over the prediction logs.
    pub auto_interval_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: "127.0.0.1:8003".parse().expect("static address"),
            home: PathBuf::from("."),
            predict_api_url: "http://127.0.0.1:8000".into(),
            public_url: "http://127.0.0.1:8003".into(),
            knowledge_base: None,
            link_ttl_hours: 72,
            default_channel: "outbox".into(),
            top_k: 3,
            embeddings_base_url: "https://dashscope.aliyuncs.com/compatible-mode/v1".into(),
            embeddings_model: "text-embedding-v4".into(),
            embeddings_dimensions: Some(1024),
            chat_base_url: "https://api.groq.com/openai/v1".into(),
            chat_model: "llama-3.3-70b-versatile".into(),
            llm_timeout_ms: 15_000,
            llm_retries: 2,
            llm_max_wait_ms: 10_000,
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: "starttls".into(),
            smtp_from: "Lakeshore Bank Fraud Team <fraud-alerts@lakeshorebank.example>".into(),
            webhook_url: None,
            max_notices_per_contact_per_hour: 3,
            auto_threshold: None,
            auto_interval_ms: 5000,
        }
    }
}

/// Settings the rest of the stack names without the agent's prefix.
const NAMED_ENV: [&str; 12] = [
    "PREDICT_API_URL",
    "AGENT_PUBLIC_URL",
    "EMBEDDINGS_BASE_URL",
    "EMBEDDINGS_MODEL",
    "EMBEDDINGS_DIMENSIONS",
    "GROQ_BASE_URL",
    "GROQ_MODEL",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TLS",
    "SMTP_FROM",
    "N8N_WEBHOOK_URL",
];

impl Settings {
    /// Defaults, the file, `FEEDBACK_AGENT_*`, the named variables, then the command line.
    pub fn load(cli: &Cli) -> anyhow::Result<Settings> {
        let mut settings: Settings =
            fraudloop_config::load_service_settings(cli.config.as_deref(), ENV_PREFIX)?;
        settings.apply_named_env(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))?;
        if let Some(addr) = cli.addr {
            settings.addr = addr;
        }
        settings.home = Home::resolve(cli.home.clone()).root().to_path_buf();
        Ok(settings)
    }

    /// Settings for a home, all else default (tests and embedding).
    pub fn for_home(home: impl Into<PathBuf>) -> Settings {
        Settings {
            home: home.into(),
            ..Settings::default()
        }
    }

    /// Applies `PREDICT_API_URL`, `GROQ_MODEL` and the other named variables.
    pub fn apply_named_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        for name in NAMED_ENV {
            let Some(value) = var(name) else { continue };
            match name {
                "PREDICT_API_URL" => self.predict_api_url = value,
                "AGENT_PUBLIC_URL" => self.public_url = value,
                "EMBEDDINGS_BASE_URL" => self.embeddings_base_url = value,
                "EMBEDDINGS_MODEL" => self.embeddings_model = value,
                "EMBEDDINGS_DIMENSIONS" => {
                    self.embeddings_dimensions =
                        Some(value.parse().with_context(|| format!("{name}={value}"))?)
                }
                "GROQ_BASE_URL" => self.chat_base_url = value,
                "GROQ_MODEL" => self.chat_model = value,
                "SMTP_HOST" => self.smtp_host = Some(value),
                "SMTP_PORT" => {
                    self.smtp_port = value.parse().with_context(|| format!("{name}={value}"))?
                }
                "SMTP_TLS" => self.smtp_tls = value,
                "SMTP_FROM" => self.smtp_from = value,
                "N8N_WEBHOOK_URL" => self.webhook_url = Some(value),
                _ => unreachable!("every named variable is handled"),
            }
        }
        Ok(())
    }

    /// The knowledge base folder.
    pub fn knowledge_base_dir(&self) -> PathBuf {
        self.knowledge_base
            .clone()
            .unwrap_or_else(|| self.home.join("knowledge_base"))
    }

    /// The agent's own folder under the home.
    pub fn agent_dir(&self) -> PathBuf {
        Home::new(&self.home).agent()
    }

    /// Time allowed for one external call.
    pub fn llm_timeout(&self) -> Duration {
        Duration::from_millis(self.llm_timeout_ms.max(1))
    }

    /// How long a link stays valid.
    pub fn link_ttl(&self) -> chrono::Duration {
        chrono::Duration::hours(self.link_ttl_hours.max(1) as i64)
    }

    /// Checks values that serde cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, url) in [
            ("predict_api_url", &self.predict_api_url),
            ("public_url", &self.public_url),
        ] {
            reqwest::Url::parse(url).with_context(|| format!("{name} {url:?} is not a URL"))?;
        }
        anyhow::ensure!(
            ["outbox", "email", "webhook"].contains(&self.default_channel.as_str()),
            "default_channel must be outbox, email or webhook"
        );
        anyhow::ensure!(
            ["starttls", "tls", "none"].contains(&self.smtp_tls.as_str()),
            "smtp_tls must be starttls, tls or none"
        );
        anyhow::ensure!(self.top_k >= 1, "top_k must be at least 1");
        Ok(())
    }
}

/// A secret value: never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Keys, passwords and tokens, read only from the environment.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// `DASHSCOPE_API_KEY`: turns on dense retrieval.
    pub embeddings_key: Option<Secret>,
    /// `GROQ_API_KEY`: turns on generated notices and answers.
    pub chat_key: Option<Secret>,
    /// `AGENT_LINK_SECRET`: signs confirm links (none: a random key per process, so links
    /// die with the process).
    pub link_secret: Option<Secret>,
    /// `SMTP_USERNAME`.
    pub smtp_username: Option<Secret>,
    /// `SMTP_PASSWORD`.
    pub smtp_password: Option<Secret>,
    /// `FEEDBACK_AGENT_ADMIN_TOKEN`: enables `POST /admin/reindex`.
    pub admin_token: Option<AdminToken>,
}

impl Secrets {
    /// Reads every secret from the environment.
    pub fn from_env() -> anyhow::Result<Secrets> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(Secret)
        };
        Ok(Secrets {
            embeddings_key: var("DASHSCOPE_API_KEY"),
            chat_key: var("GROQ_API_KEY"),
            link_secret: var("AGENT_LINK_SECRET"),
            smtp_username: var("SMTP_USERNAME"),
            smtp_password: var("SMTP_PASSWORD"),
            admin_token: AdminToken::from_env(ADMIN_TOKEN_ENV)
                .map_err(anyhow::Error::msg)
                .context("invalid settings")?,
        })
    }
}

/// Where the agent keeps its files (the layout is decided here once).
pub fn outbox_dir(agent_dir: &Path) -> PathBuf {
    agent_dir.join("outbox")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_variables_override_defaults_and_bad_numbers_are_errors() {
        let mut settings = Settings::default();
        settings
            .apply_named_env(|name| match name {
                "GROQ_MODEL" => Some("llama-3.1-8b-instant".into()),
                "EMBEDDINGS_DIMENSIONS" => Some("512".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(settings.chat_model, "llama-3.1-8b-instant");
        assert_eq!(settings.embeddings_dimensions, Some(512));
        assert_eq!(settings.embeddings_model, "text-embedding-v4");
        let bad = settings.apply_named_env(|name| (name == "SMTP_PORT").then(|| "x".into()));
        assert!(bad.is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("sk-live-123")), "Secret(***)");
    }
}
