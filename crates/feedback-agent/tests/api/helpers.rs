//! A real predict-api with a small trained model, the agent in front of it, and helpers to
//! read what predict-api stored.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use artifact_store::{DataFingerprint, NewBundle, Registry};
use feedback_agent::settings::Secret;
use feedback_agent::{Application, Secrets, Settings};
use fraudloop_config::AdminToken;
use serde_json::Value;
use text_model::{
    stratified_split, train_cross_validated, Corpus, FraudModel, TfidfConfig, TrainingConfig,
};

/// The admin token of every test agent.
pub const ADMIN_TOKEN: &str = "agent-test-admin-token";
/// The link secret of every test agent.
pub const LINK_SECRET: &str = "agent-test-link-secret";
/// The public address in links (a name people use; tests swap in the real address).
pub const PUBLIC_URL: &str = "https://agent.lakeshorebank.example";
/// The API key the fake OpenAI server sees.
pub const API_KEY: &str = "sk-test-key-never-logged";

/// A scam in the demo corpus's style.
pub const SCAM_TEXT: &str = "URGENT: your bank account has been suspended. Verify your identity now at http://secure-bank-verify.top/login or your account will be closed";

fn model() -> Arc<FraudModel> {
    static MODEL: OnceLock<Arc<FraudModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let messages = demo_corpus::generate(&demo_corpus::DemoOptions {
                rows: 600,
                seed: 1,
                ..Default::default()
            });
            let texts: Vec<String> = messages.iter().map(|m| m.text.clone()).collect();
            let labels: Vec<bool> = messages.iter().map(|m| m.label.is_fraud()).collect();
            let config = TrainingConfig {
                tfidf: TfidfConfig {
                    min_df: 1,
                    ..Default::default()
                },
                seed: 1,
                ..Default::default()
            };
            let corpus = Corpus::build(&texts, &config.tokenizer).unwrap();
            let (train, test) = stratified_split(&labels, 0.2, 1);
            Arc::new(
                train_cross_validated(&corpus, &labels, &train, &test, &config, &|_| {})
                    .unwrap()
                    .model,
            )
        })
        .clone()
}

/// A running predict-api.
pub struct PredictApi {
    /// Its URL.
    pub url: String,
    /// Its home.
    pub home: PathBuf,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts predict-api on a home with a trained production model.
pub async fn spawn_predict_api() -> PredictApi {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let registry = Registry::open(home.join("artifacts")).unwrap();
    tokio::task::spawn_blocking(move || {
        let model = model();
        registry
            .publish(NewBundle {
                model: &model,
                metrics: serde_json::json!({"test": {"f1": 0.9}}),
                training_config: serde_json::json!({}),
                training_data: DataFingerprint {
                    sha256: format!("{:064x}", 1),
                    rows: 600,
                    fraud: 0,
                    legit: 0,
                    source: "demo".into(),
                },
                code_version: "feedback-agent tests".into(),
                extra_files: Vec::new(),
            })
            .unwrap();
    })
    .await
    .unwrap();
    let mut settings = predict_api::Settings::for_home(&home);
    settings.addr = "127.0.0.1:0".parse().unwrap();
    settings.instance = Some("agent-test".into());
    let app = predict_api::Application::build(settings).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    PredictApi {
        url,
        home,
        _dir: dir,
        _stop: stop,
    }
}

impl PredictApi {
    /// Every feedback record predict-api stored.
    pub fn feedback(&self) -> Vec<Value> {
        let dir = self.home.join("data").join("feedback");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .flat_map(|e| {
                std::fs::read_to_string(e.path())
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// The repository's knowledge base.
pub fn knowledge_base() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge_base")
}

/// A running agent.
pub struct Agent {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// A client.
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Settings and secrets of a test agent in front of `predict_url` (offline: no keys).
pub fn agent_config(home: &Path, predict_url: &str) -> (Settings, Secrets) {
    let mut settings = Settings::for_home(home);
    settings.addr = "127.0.0.1:0".parse().unwrap();
    settings.predict_api_url = predict_url.to_string();
    settings.public_url = PUBLIC_URL.to_string();
    settings.knowledge_base = Some(knowledge_base());
    settings.llm_timeout_ms = 3000;
    settings.llm_max_wait_ms = 3000;
    let secrets = Secrets {
        link_secret: Some(Secret::new(LINK_SECRET)),
        admin_token: Some(AdminToken::new(ADMIN_TOKEN)),
        ..Secrets::default()
    };
    (settings, secrets)
}

/// Points the agent's models at the fake server, with keys.
pub fn use_fake(settings: &mut Settings, secrets: &mut Secrets, base_url: &str) {
    settings.chat_base_url = base_url.to_string();
    settings.embeddings_base_url = base_url.to_string();
    settings.embeddings_dimensions = Some(64);
    secrets.chat_key = Some(Secret::new(API_KEY));
    secrets.embeddings_key = Some(Secret::new(API_KEY));
}

/// Starts an agent after `configure`; its home is a new temporary folder unless `home`.
pub async fn spawn_agent(
    predict_url: &str,
    home: Option<&Path>,
    configure: impl FnOnce(&mut Settings, &mut Secrets),
) -> Agent {
    let dir = home.is_none().then(|| tempfile::tempdir().unwrap());
    let home = home
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.as_ref().unwrap().path().to_path_buf());
    let (mut settings, mut secrets) = agent_config(&home, predict_url);
    configure(&mut settings, &mut secrets);
    let app = Application::build(settings, secrets).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Agent {
        url,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        _dir: dir,
        _stop: stop,
    }
}

impl Agent {
    /// POSTs JSON.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// A public link rewritten to the agent's real address.
    pub fn local(&self, link: &str) -> String {
        link.replace(PUBLIC_URL, &self.url)
    }

    /// POSTs the confirm page's form.
    pub async fn answer(&self, token: &str, answer: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/confirm", self.url))
            .form(&[("token", token), ("answer", answer)])
            .send()
            .await
            .unwrap()
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.get("/metrics").await.text().await.unwrap()
    }
}

/// The token of a link.
pub fn token_of(link: &str) -> String {
    link.split_once("token=").unwrap().1.to_string()
}

/// Asserts the status and returns the JSON body.
pub async fn json_with_status(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an error response with this status and code.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) {
    let body = json_with_status(response, status).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
