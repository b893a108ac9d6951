//! `trainer serve` on loopback: the API contract, idempotent jobs, restart after a crash and
//! label revocation.

use fraudloop_config::AdminToken;
use serde_json::{json, Value};
use trainer::service::{route_table, router, LoopService, LoopSettings, ServiceSettings, OPENAPI};

const TOKEN: &str = "service-test-token";

fn settings(home: &std::path::Path) -> ServiceSettings {
    ServiceSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        home: home.to_path_buf(),
        admin_token: Some(AdminToken::new(TOKEN)),
        replicas: vec![],
        settings: LoopSettings::default(),
        training: text_model::TrainingConfig::default(),
    }
}

#[test]
fn openapi_documents_every_route_and_error_code() {
    let doc: Value = serde_json::from_str(OPENAPI).unwrap();
    fraudloop_http::testing::assert_openapi_matches(&doc, &route_table());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_interrupted_by_a_crash_fails_cleanly_and_queued_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("loop/jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let job = |id: &str, seq: u64, state: &str| {
        json!({
            "id": id, "seq": seq, "kind": "retrain", "reason": "test", "idempotency_key": null,
            "decision_id": null, "flip_labels": false, "promote": true, "state": state,
            "created_at": "2026-12-07T00:00:00Z", "started_at": null, "finished_at": null,
            "progress": state, "log": [], "production": null, "candidate": null, "metrics": null,
            "data": null, "gate": null, "promoted": false, "error": null
        })
    };
    std::fs::write(
        jobs.join("job-000001.json"),
        job("job-000001", 1, "running").to_string(),
    )
    .unwrap();
    std::fs::write(
        jobs.join("job-000002.json"),
        job("job-000002", 2, "queued").to_string(),
    )
    .unwrap();
    let service = LoopService::open(settings(dir.path())).await.unwrap();
    let app = fraudloop_http::testing::spawn_app(router(service)).await;
    let client = reqwest::Client::new();
    let first: Value = client
        .get(app.url("/jobs/job-000001"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["state"], "failed", "{first:#}");
    assert!(first["error"].as_str().unwrap().contains("interrupted"));
    // The failure is on disk too, not only in memory.
    let stored: Value =
        serde_json::from_slice(&std::fs::read(jobs.join("job-000001.json")).unwrap()).unwrap();
    assert_eq!(stored["state"], "failed");
    let second: Value = client
        .get(app.url("/jobs/job-000002"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["state"], "queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_returns_the_same_job() {
    let dir = tempfile::tempdir().unwrap();
    let service = LoopService::open(settings(dir.path())).await.unwrap();
    // The worker is not running: jobs stay queued, so only the bookkeeping is tested.
    let app = fraudloop_http::testing::spawn_app(router(service)).await;
    let client = reqwest::Client::new();
    let post = |key: Option<&str>, body: Value| {
        let mut r = client.post(app.url("/jobs")).bearer_auth(TOKEN).json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        r.send()
    };
    let a = post(Some("k1"), json!({"kind": "retrain"})).await.unwrap();
    assert_eq!(a.status(), 202);
    let a: Value = a.json().await.unwrap();
    let b: Value = post(Some("k1"), json!({"kind": "retrain"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["job_id"], b["job_id"]);
    let c: Value = post(Some("k2"), json!({"kind": "retrain"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(a["job_id"], c["job_id"]);
    let bad = post(None, json!({"kind": "explode"})).await.unwrap();
    assert_eq!(bad.status(), 422);
    let denied = client
        .post(app.url("/jobs"))
        .json(&json!({"kind": "retrain"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let listed: Value = client
        .get(app.url("/jobs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["jobs"].as_array().unwrap().len(), 2);
    let missing = client
        .get(app.url("/jobs/job-999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_revokes_a_label() {
    let dir = tempfile::tempdir().unwrap();
    let log = prod_data::FeedbackLog::open(&dir.path().join("data"), "test").unwrap();
    log.append(&prod_data::FeedbackRecord {
        schema: prod_data::SCHEMA_VERSION,
        feedback_id: "f-1".into(),
        at: chrono::Utc::now(),
        instance: "test".into(),
        prediction_id: None,
        text: "win a prize now".into(),
        label: "legit".into(),
        source: "user".into(),
        contact: Some("mallory".into()),
        comment: None,
        model_version: None,
        risk_score: None,
    })
    .unwrap();
    drop(log);
    let service = LoopService::open(settings(dir.path())).await.unwrap();
    let app = fraudloop_http::testing::spawn_app(router(service)).await;
    let client = reqwest::Client::new();
    let unknown = client
        .post(app.url("/admin/feedback/nope/revoke"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let denied = client
        .post(app.url("/admin/feedback/f-1/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let r = client
        .post(app.url("/admin/feedback/f-1/revoke?reason=poisoning"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let revoked = trainer::service::revoked(dir.path()).unwrap();
    assert!(revoked.contains("f-1"));
    let (labels, _) = trainer::service::data::live_labels(
        &dir.path().join("data"),
        &revoked,
        &Default::default(),
    )
    .unwrap();
    assert!(labels.is_empty(), "a revoked label is not used: {labels:?}");
}
