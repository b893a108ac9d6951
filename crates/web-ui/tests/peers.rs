//! The pages of the trainer service and feedback-agent against a local server speaking their
//! documented contracts (issues #14 and #15: `GET /jobs`, `POST /jobs` with a bearer token and
//! an `Idempotency-Key`, `GET /decisions`, `POST /notify`, `GET /outbox`, `POST /ask`), so the
//! clients' reading of them and what the UI sends are checked before those services exist.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{stack_with_peers, Browser, Running, ADMIN_TOKEN, SCAM};
use fraudloop_http::testing::spawn_app;
use serde_json::{json, Value};

/// What the fake peers received.
#[derive(Default)]
struct Received {
    jobs: Vec<(Option<String>, Option<String>, Value)>,
    notices: Vec<Value>,
    questions: Vec<Value>,
}

type Shared = Arc<Mutex<Received>>;

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn create_job(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let bearer = header(&headers, "authorization");
    let key = header(&headers, "idempotency-key");
    seen.lock().unwrap().jobs.push((bearer.clone(), key, body));
    if bearer.as_deref() != Some(&format!("Bearer {ADMIN_TOKEN}")) {
        let error = json!({"error": {"code": "invalid_token", "message": "wrong token"}});
        return (StatusCode::UNAUTHORIZED, Json(error));
    }
    (StatusCode::ACCEPTED, Json(json!({"job_id": "job-0003"})))
}

fn peers(seen: Shared) -> Router {
    Router::new()
        .route(
            "/jobs",
            get(|| async {
                Json(json!({"jobs": [
                    {"job_id": "job-0002", "state": "rejected", "reason": "drift",
                     "candidate": {"version": "v0009", "metrics": {"f1": 0.81}},
                     "verdict": {"promote": false, "reasons": ["worse on the recent rows by 3.1 points"]}},
                    {"job_id": "job-0001", "state": "succeeded", "reason": "labels",
                     "candidate": {"version": "v0008"}, "verdict": {"promote": true, "reasons": []}}
                ]}))
            })
            .post(create_job),
        )
        .route(
            "/decisions",
            get(|| async {
                Json(json!({"decisions": [
                    {"at": "2026-12-07T00:00:00Z", "action": "retrain", "rule": "feedback_since_training>=200", "outcome": "job-0002 rejected"}
                ]}))
            }),
        )
        .route(
            "/notify",
            post(|State(seen): State<Shared>, Json(body): Json<Value>| async move {
                seen.lock().unwrap().notices.push(body);
                Json(json!({"notice": {"subject": "Suspicious message / 可疑消息"},
                            "delivery": {"channel": "outbox", "status": "written"}}))
            }),
        )
        .route(
            "/outbox",
            get(|| async {
                Json(json!({"notices": [
                    {"at": "2026-12-07T00:01:00Z", "contact": {"email": "ana@example.com"},
                     "notice": {"subject": "Suspicious message / 可疑消息"},
                     "delivery": {"channel": "outbox", "status": "written"}}
                ]}))
            }),
        )
        .route(
            "/ask",
            post(|State(seen): State<Shared>, Json(body): Json<Value>| async move {
                seen.lock().unwrap().questions.push(body);
                Json(json!({"answer": "It asks you to pay a fee at a look-alike link.",
                            "citations": [{"file": "cases/fake-parcel.md", "heading": "Fake parcel fees"}],
                            "path": "template"}))
            }),
        )
        .with_state(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trainer_and_agent_pages_read_and_send_their_contracts() {
    let seen = Shared::default();
    let fake = spawn_app(peers(seen.clone())).await;
    let running = Running {
        predict: true,
        drift: false,
    };
    let stack = stack_with_peers(running, None, Some(fake.base_url.clone())).await;
    let mut b = Browser::new(&stack.ui.base_url);

    let models = b.get("/models").await;
    assert!(models.body.contains("v0009"), "{}", models.body);
    assert!(models
        .body
        .contains("worse on the recent rows by 3.1 points"));
    assert!(models.body.contains("feedback_since_training&gt;=200"));
    assert!(!models.body.contains("trainer is not reachable"));

    // Retrain: the session's token as the bearer, and one idempotency key per rendered form.
    b.sign_in(ADMIN_TOKEN).await;
    let page = b.get("/models").await;
    let key_at = page.body.find(r#"name="key" value=""#).unwrap();
    let rest = &page.body[key_at + r#"name="key" value=""#.len()..];
    let key = rest[..rest.find('"').unwrap()].to_string();
    for _ in 0..2 {
        let sent = b
            .post(
                "/models/retrain",
                &[
                    ("csrf", &page.csrf()),
                    ("reason", "drifted traffic"),
                    ("key", &key),
                ],
            )
            .await;
        assert_eq!(sent.status, 303);
    }
    assert!(b
        .get("/models")
        .await
        .body
        .contains("Retraining queued: job-0003"));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.jobs.len(), 2);
        for (bearer, sent_key, body) in &seen.jobs {
            assert_eq!(
                bearer.as_deref(),
                Some(format!("Bearer {ADMIN_TOKEN}").as_str())
            );
            assert_eq!(
                sent_key.as_deref(),
                Some(key.as_str()),
                "a double submit is one job"
            );
            assert_eq!(
                body,
                &json!({"kind": "retrain", "reason": "drifted traffic"})
            );
        }
    }

    // Notify on a checked message: the agent gets the prediction id and the page's language.
    let csrf = b.get("/").await.csrf();
    assert_eq!(
        b.post("/check", &[("csrf", &csrf), ("text", SCAM)])
            .await
            .status,
        303
    );
    let page = b.get("/").await;
    let id_at = page.body.find(r#"name="prediction_id" value=""#).unwrap();
    let rest = &page.body[id_at + r#"name="prediction_id" value=""#.len()..];
    let prediction_id = rest[..rest.find('"').unwrap()].to_string();
    b.post(
        "/actions/notify",
        &[
            ("csrf", &csrf),
            ("prediction_id", &prediction_id),
            ("back", "/"),
        ],
    )
    .await;
    assert!(b
        .get("/")
        .await
        .body
        .contains("Notice delivered: Suspicious message"));
    assert_eq!(
        seen.lock().unwrap().notices,
        [json!({"prediction_id": prediction_id, "contact": {"locale": "en"}})]
    );

    // The outbox and a cited answer.
    b.post(
        "/feedback/ask",
        &[
            ("csrf", &csrf),
            ("question", "what do we do now?"),
            ("prediction_id", &prediction_id),
        ],
    )
    .await;
    let page = b.get("/feedback").await;
    assert!(page.body.contains("ana@example.com"));
    assert!(page.body.contains("outbox: written"));
    assert!(page.body.contains("look-alike link"));
    assert!(page.body.contains("cases/fake-parcel.md"));
    assert_eq!(
        seen.lock().unwrap().questions,
        [json!({"question": "what do we do now?", "prediction_id": prediction_id})]
    );
}
