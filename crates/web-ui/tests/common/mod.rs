//! Shared set-up: a home with a trained model, the real predict-api and drift-monitor on
//! loopback ports, the web UI pointed at them, and a browser-like client (cookies, CSRF
//! tokens, no automatic redirects).
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use fraudloop_config::{AdminToken, Home};
use fraudloop_http::testing::{spawn_app, SpawnedApp};
use web_ui::{router, AppState, Settings};

/// The token of every service in these tests (one token, as start.sh sets it).
pub const ADMIN_TOKEN: &str = "web-ui-test-token";

pub const SCAM: &str = "URGENT: your bank account has been suspended. Verify your identity now at \
                        http://secure-bank-verify.top/login or your account will be closed";

/// Trains a model on the demo corpus into `home` (the first becomes production).
pub fn train(home: &Home, seed: u64) {
    let data = home.root().join(format!("train-{seed}.csv"));
    let messages = demo_corpus::generate(&demo_corpus::DemoOptions {
        rows: 800,
        seed,
        ..Default::default()
    });
    demo_corpus::write_csv(&messages, std::fs::File::create(&data).unwrap()).unwrap();
    let registry = artifact_store::Registry::open(home.artifacts()).unwrap();
    let args = trainer::train::TrainArgs {
        data,
        test_data: None,
        text_col: "text".into(),
        label_col: "label".into(),
        config: text_model::TrainingConfig::default(),
        progress: false,
    };
    trainer::train::train(&registry, &args).unwrap();
}

/// A free loopback port that nothing listens on (a service that is down).
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// predict-api, in-process, on a loopback port.
pub async fn start_predict_api(home: &Path) -> (String, tokio::task::JoinHandle<()>) {
    let mut settings = predict_api::Settings::for_home(home);
    settings.admin_token = Some(AdminToken::new(ADMIN_TOKEN));
    settings.reload_poll_ms = 200;
    let app = predict_api::Application::build(settings).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let handle = tokio::spawn(async move {
        app.run_until_stopped(std::future::pending()).await.unwrap();
    });
    (url, handle)
}

/// drift-monitor, in-process, on a loopback port (its first report runs at once).
pub async fn start_drift_monitor(home: &Path) -> (String, tokio::task::JoinHandle<()>) {
    let settings = drift_monitor::service::ServiceSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        home: home.to_path_buf(),
        admin_token: Some(AdminToken::new(ADMIN_TOKEN)),
        interval: Duration::from_secs(3600),
        window: drift_monitor::WindowSpec {
            last_n: 1000,
            max_age: None,
        },
        config: drift_monitor::DriftConfig::default(),
        retention: drift_monitor::Retention::default(),
    };
    let app = drift_monitor::service::Application::build(settings)
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let handle = tokio::spawn(async move {
        app.run_until_stopped(std::future::pending()).await.unwrap();
    });
    (url, handle)
}

/// The stack a test runs against.
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub home: Home,
    pub predict_url: String,
    pub drift_url: String,
    pub ui: SpawnedApp,
    _services: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for s in &self._services {
            s.abort();
        }
    }
}

/// Which backends run.
#[derive(Clone, Copy)]
pub struct Running {
    pub predict: bool,
    pub drift: bool,
}

/// A trained home, the chosen backends, and the web UI (trainer and feedback-agent are down:
/// they are other services' work).
pub async fn stack(running: Running, max_upload_bytes: Option<usize>) -> Stack {
    stack_with_peers(running, max_upload_bytes, None).await
}

/// As [`stack`], with the trainer service and feedback-agent at `peers` (one server speaking
/// both contracts) instead of down.
pub async fn stack_with_peers(
    running: Running,
    max_upload_bytes: Option<usize>,
    peers: Option<String>,
) -> Stack {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    {
        let home = home.clone();
        tokio::task::spawn_blocking(move || train(&home, 1))
            .await
            .unwrap();
    }
    let mut services = Vec::new();
    let predict_url = if running.predict {
        let (url, handle) = start_predict_api(dir.path()).await;
        services.push(handle);
        url
    } else {
        dead_url()
    };
    let drift_url = if running.drift {
        let (url, handle) = start_drift_monitor(dir.path()).await;
        services.push(handle);
        url
    } else {
        dead_url()
    };
    let mut settings = Settings::for_tests(dir.path());
    settings.predict_api_url = predict_url.clone();
    settings.drift_monitor_url = drift_url.clone();
    settings.trainer_url = peers.clone().unwrap_or_else(dead_url);
    settings.feedback_agent_url = peers.unwrap_or_else(dead_url);
    settings.admin_token = Some(AdminToken::new(ADMIN_TOKEN));
    settings.backend_timeout_ms = 20_000;
    if let Some(max) = max_upload_bytes {
        settings.max_upload_bytes = max;
    }
    let ui = spawn_app(router(AppState::new(settings))).await;
    Stack {
        dir,
        home,
        predict_url,
        drift_url,
        ui,
        _services: services,
    }
}

/// A browser-like client: keeps the cookies it is given, does not follow redirects.
pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
    pub accept_language: Option<&'static str>,
}

/// A response read whole.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub content_type: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .expect("a form with a CSRF token");
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            accept_language: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request.header("cookie", self.cookie_header());
        if let Some(lang) = self.accept_language {
            request = request.header("accept-language", lang);
        }
        let response = request.send().await.unwrap();
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            self.cookies.push((k.to_string(), v.to_string()));
        }
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string()),
            content_type: response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(request).await
    }

    pub async fn upload(&mut self, csrf: &str, name: &str, csv: Vec<u8>) -> Page {
        let boundary = "fraudloopboundary7MA4YWxk";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&csv);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = self
            .http
            .post(format!("{}/screen", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(request).await
    }

    /// Signs in with `token`.
    pub async fn sign_in(&mut self, token: &str) -> Page {
        let csrf = self.get("/models").await.csrf();
        self.post(
            "/session/sign-in",
            &[("csrf", &csrf), ("token", token), ("back", "/models")],
        )
        .await
    }
}
