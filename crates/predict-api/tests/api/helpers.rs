//! Shared test fixtures: small models trained from the demo corpus, a registry in a temporary
//! home, and the service running on a real loopback socket.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use artifact_store::{DataFingerprint, ModelVersion, NewBundle, Registry};
use predict_api::settings::AdminToken;
use predict_api::{Application, Settings};
use serde_json::Value;
use text_model::{
    stratified_split, train_cross_validated, Corpus, FraudModel, TfidfConfig, TrainingConfig,
};

/// The admin token every test app is started with.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// An obvious scam in the style of the demo corpus.
pub const SCAM_TEXT: &str = "URGENT: your bank account has been suspended. Verify your \
                             identity now at http://secure-bank-verify.top/login or your \
                             account will be closed";

/// An ordinary chat message.
pub const BENIGN_TEXT: &str =
    "hey, are we still on for lunch tomorrow? I'll bring the meeting notes";

/// How a model is trained: demo-corpus size and seed (the seed also drives the split and
/// folds), so different recipes give genuinely different models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recipe {
    /// Demo-corpus rows.
    pub rows: usize,
    /// Seed of the corpus, split and folds.
    pub seed: u64,
}

/// The model every app starts with as `v0001`.
pub const BASE_RECIPE: Recipe = Recipe { rows: 600, seed: 1 };

fn train(recipe: Recipe) -> FraudModel {
    let messages = demo_corpus::generate(&demo_corpus::DemoOptions {
        rows: recipe.rows,
        seed: recipe.seed,
        ..Default::default()
    });
    let texts: Vec<String> = messages.iter().map(|m| m.text.clone()).collect();
    let labels: Vec<bool> = messages.iter().map(|m| m.label.is_fraud()).collect();
    let config = TrainingConfig {
        tfidf: TfidfConfig {
            min_df: 1,
            ..Default::default()
        },
        seed: recipe.seed,
        ..Default::default()
    };
    let corpus = Corpus::build(&texts, &config.tokenizer).expect("demo corpus tokenises");
    let (train_rows, test_rows) = stratified_split(&labels, 0.2, recipe.seed);
    train_cross_validated(&corpus, &labels, &train_rows, &test_rows, &config, &|_| {})
        .expect("demo corpus trains")
        .model
}

/// One model per recipe, each trained once on first use.
type ModelCache = Mutex<HashMap<Recipe, Arc<OnceLock<Arc<FraudModel>>>>>;

/// A trained model, cached per recipe for the whole test binary (tests run in parallel and
/// many need the same model).
pub fn model(recipe: Recipe) -> Arc<FraudModel> {
    static CACHE: OnceLock<ModelCache> = OnceLock::new();
    let cell = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap()
        .entry(recipe)
        .or_default()
        .clone();
    cell.get_or_init(|| Arc::new(train(recipe))).clone()
}

/// [`model`] off the async worker threads.
pub async fn model_async(recipe: Recipe) -> Arc<FraudModel> {
    tokio::task::spawn_blocking(move || model(recipe))
        .await
        .unwrap()
}

/// A bundle for `model`, as the trainer would publish it.
pub fn bundle(model: &FraudModel, recipe: Recipe) -> NewBundle<'_> {
    NewBundle {
        model,
        metrics: serde_json::json!({"test": {"f1": 0.9}}),
        training_config: serde_json::json!({"rows": recipe.rows, "seed": recipe.seed}),
        training_data: DataFingerprint {
            sha256: format!("{:064x}", recipe.seed),
            rows: recipe.rows as u64,
            fraud: 0,
            legit: 0,
            source: format!("demo-corpus rows={} seed={}", recipe.rows, recipe.seed),
        },
        code_version: "predict-api tests".into(),
        extra_files: Vec::new(),
    }
}

/// Trains (cached) and publishes a model; returns its version.
pub async fn publish(registry: &Registry, recipe: Recipe) -> ModelVersion {
    let registry = registry.clone();
    tokio::task::spawn_blocking(move || {
        let model = model(recipe);
        registry
            .publish(bundle(&model, recipe))
            .expect("publishing a bundle")
            .0
    })
    .await
    .unwrap()
}

/// Which model the registry of a new app holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `v0001`, trained with [`BASE_RECIPE`], is production.
    WithModel,
    /// The registry is empty.
    Empty,
}

/// A running service.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A client without default timeouts beyond a generous one.
    pub client: reqwest::Client,
    /// The registry the service watches.
    pub registry: Registry,
    /// The home directory.
    pub home: PathBuf,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The settings every test app starts from.
pub fn test_settings(home: &Path) -> Settings {
    let mut settings = Settings::for_home(home);
    settings.admin_token = Some(AdminToken::new(ADMIN_TOKEN));
    settings.reload_poll_ms = 100;
    settings.instance = Some("api-test".into());
    settings
}

/// A trained home directory with `v0001` in production, for tests that start the binary.
pub async fn trained_home() -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path().join("artifacts")).unwrap();
    let version = publish(&registry, BASE_RECIPE).await;
    assert_eq!(version.to_string(), "v0001");
    (dir, registry)
}

/// Starts the service on a random port with `v0001` in production and default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Start::WithModel, |_| {}).await
}

/// Starts the service after `configure` adjusted its settings.
pub async fn spawn_app_with(start: Start, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let registry = Registry::open(home.join("artifacts")).unwrap();
    if start == Start::WithModel {
        let version = publish(&registry, BASE_RECIPE).await;
        assert_eq!(version.to_string(), "v0001");
    }
    let mut settings = test_settings(&home);
    configure(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: client(),
        registry,
        home,
        _dir: dir,
        shutdown: Some(tx),
    }
}

/// A client with a generous timeout, so a hung server fails the test instead of hanging it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

impl TestApp {
    /// `address + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs JSON.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs raw bytes with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GETs a path with the admin token.
    pub async fn get_admin(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
    }

    /// POSTs `/predict` and expects 200.
    pub async fn predict(&self, text: &str) -> Value {
        let response = self
            .post_json("/predict", &serde_json::json!({"text": text}))
            .await;
        json_with_status(response, 200).await
    }

    /// The served model version and threshold from `GET /model`.
    pub async fn model_info(&self) -> Value {
        json_with_status(self.get("/model").await, 200).await
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let response = self.get("/metrics").await;
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// Polls `GET /model` until it reports `version`.
    pub async fn wait_for_version(&self, version: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let response = self.get("/model").await;
            let served = if response.status() == 200 {
                response.json::<Value>().await.unwrap()["model_version"].clone()
            } else {
                Value::Null
            };
            if served == version {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "/model still reports {served} after {within:?}, expected {version}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Asserts the status and parses the JSON body, showing the body when the status is wrong.
pub async fn json_with_status(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Asserts an error response: status, `{"error": {"code", "message"}}` with this code and a
/// non-empty message, JSON content type. Returns the headers for further checks.
pub async fn assert_error(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> reqwest::header::HeaderMap {
    let headers = response.headers().clone();
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "error with content type {content_type:?}: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text}"));
    let error = body
        .get("error")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no error object: {text}"));
    assert_eq!(
        error.get("code").and_then(Value::as_str),
        Some(code),
        "{text}"
    );
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(!message.trim().is_empty(), "empty error message: {text}");
    assert_eq!(
        body.as_object().unwrap().len(),
        1,
        "only the error object: {text}"
    );
    headers
}

/// Asserts a 503 carries `Retry-After` with a positive number of seconds.
pub fn assert_retry_after(headers: &reqwest::header::HeaderMap) {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)
        .expect("a 503 carries Retry-After")
        .to_str()
        .unwrap();
    let seconds: u64 = value
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After {value:?}"));
    assert!(seconds > 0, "Retry-After {value:?}");
}

/// Scam and legitimate messages unseen by the base model (another corpus seed).
pub fn sample_texts(rows: usize, seed: u64) -> Vec<String> {
    demo_corpus::generate(&demo_corpus::DemoOptions {
        rows,
        seed,
        ..Default::default()
    })
    .into_iter()
    .map(|m| m.text)
    .collect()
}
