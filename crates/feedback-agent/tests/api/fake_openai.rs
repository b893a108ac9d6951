//! An OpenAI-compatible server on loopback: `POST /chat/completions` and `POST /embeddings`,
//! with scripted failures (429 with Retry-After, 500, slow answers, invalid JSON) and a
//! record of every request it received.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// One scripted chat answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status with an optional Retry-After (seconds).
    Status(u16, Option<&'static str>),
    /// Wait, then answer with a valid draft.
    Slow(Duration),
    /// A 200 whose message content is this string.
    Content(String),
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `/chat/completions` or `/embeddings`.
    pub path: &'static str,
    /// The Authorization header.
    pub authorization: String,
    /// The JSON body.
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    script: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Received>>,
    embeddings_fail: AtomicBool,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeOpenAi {
    /// `http://127.0.0.1:<port>/v1`.
    pub base_url: String,
    inner: Arc<Inner>,
    _server: Arc<fraudloop_http::testing::SpawnedApp>,
}

/// A valid draft citing S1.
pub fn valid_draft() -> String {
    json!({
        "subject": "Please check this message",
        "body": "This message shows the signs of a parcel fee scam. See https://lakeshorebank.example/security for how we contact you.",
        "reasons": ["It asks for a small fee through a link."],
        "advice": ["Do not pay; check the parcel in the shop's app."],
        "citations": ["S1"]
    })
    .to_string()
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    })
}

/// A deterministic bag-of-words vector: words (and CJK characters) hashed into 64 buckets.
pub fn embed_text(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; 64];
    let lower = text.to_lowercase();
    let mut word = String::new();
    let mut bump = |w: &str| {
        if w.chars().count() > 2 || w.chars().any(|c| c as u32 > 0x2E80) {
            let h = w.bytes().fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100000001b3)
            });
            v[(h % 64) as usize] += 1.0;
        }
    };
    for c in lower.chars() {
        if c as u32 > 0x2E80 {
            bump(&word);
            word.clear();
            bump(&c.to_string());
        } else if c.is_alphanumeric() {
            word.push(c);
        } else {
            bump(&word);
            word.clear();
        }
    }
    bump(&word);
    v
}

async fn chat(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(&inner, "/chat/completions", &headers, &body);
    let next = inner.script.lock().unwrap().pop_front();
    match next {
        None => Json(completion(&valid_draft())).into_response(),
        Some(Reply::Status(code, retry_after)) => {
            let mut response = (
                StatusCode::from_u16(code).unwrap(),
                Json(json!({"error": {"message": "scripted", "type": "scripted"}})),
            )
                .into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", seconds.parse().unwrap());
            }
            response
        }
        Some(Reply::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            Json(completion(&valid_draft())).into_response()
        }
        Some(Reply::Content(content)) => Json(completion(&content)).into_response(),
    }
}

async fn embeddings(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(&inner, "/embeddings", &headers, &body);
    if inner.embeddings_fail.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "scripted").into_response();
    }
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => return (StatusCode::BAD_REQUEST, "input").into_response(),
    };
    if inputs.len() > 10 {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "batch size is invalid, it should not be larger than 10"}}))).into_response();
    }
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": embed_text(t)}))
        .collect();
    Json(json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}})).into_response()
}

fn record(inner: &Inner, path: &'static str, headers: &HeaderMap, body: &Value) {
    inner.received.lock().unwrap().push(Received {
        path,
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: body.clone(),
    });
}

impl FakeOpenAi {
    /// Starts the fake.
    pub async fn start() -> FakeOpenAi {
        let inner = Arc::new(Inner::default());
        let router = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .with_state(inner.clone());
        let server = fraudloop_http::testing::spawn_app(router).await;
        FakeOpenAi {
            base_url: server.url("/v1"),
            inner,
            _server: Arc::new(server),
        }
    }

    /// Queues chat answers (after them, valid drafts).
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.script.lock().unwrap().extend(replies);
    }

    /// Makes `/embeddings` answer 500 (or stop doing so).
    pub fn fail_embeddings(&self, fail: bool) {
        self.inner.embeddings_fail.store(fail, Ordering::SeqCst);
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Requests to one path.
    pub fn received_at(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        self.inner.received.lock().unwrap().clear();
    }
}
