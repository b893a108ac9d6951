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

/// A home with a first model trained on `rows` demo messages.
/// One C and three folds: a model in well under a second.
fn quick_training() -> text_model::TrainingConfig {
    text_model::TrainingConfig {
        search: text_model::SearchConfig {
            c: vec![10.0],
            ..Default::default()
        },
        folds: 3,
        ..Default::default()
    }
}

fn home_with_a_model(rows: usize, config: &text_model::TrainingConfig) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("train.csv");
    let mut bytes = Vec::new();
    let messages = demo_corpus::generate(&demo_corpus::DemoOptions {
        rows,
        seed: 7,
        ..Default::default()
    });
    demo_corpus::write_csv(&messages, &mut bytes).unwrap();
    std::fs::write(&csv, bytes).unwrap();
    let registry =
        artifact_store::Registry::open(fraudloop_config::Home::new(dir.path()).artifacts())
            .unwrap();
    trainer::train::train(
        &registry,
        &trainer::train::TrainArgs {
            data: csv,
            test_data: None,
            text_col: "text".into(),
            label_col: "label".into(),
            config: config.clone(),
            progress: false,
        },
    )
    .unwrap();
    dir
}

#[test]
fn a_retrain_weighs_rows_by_source_and_learns_look_alikes_but_never_the_benchmark() {
    use trainer::service::data;
    use trainer::service::jobs::{retrain, RetrainContext};
    let config = quick_training();
    let dir = home_with_a_model(300, &config);
    let log = prod_data::FeedbackLog::open(&dir.path().join("data"), "test").unwrap();
    let drifted = demo_corpus::generate(&demo_corpus::DemoOptions {
        rows: 120,
        seed: 8,
        drifted: true,
        label_noise: 0.0,
        ..Default::default()
    });
    let start = chrono::Utc::now() - chrono::Duration::hours(1);
    for (i, m) in drifted.iter().enumerate() {
        log.append(&prod_data::FeedbackRecord {
            schema: prod_data::SCHEMA_VERSION,
            feedback_id: format!("f-{i}"),
            at: start + chrono::Duration::seconds(i as i64),
            instance: "test".into(),
            prediction_id: None,
            text: m.text.clone(),
            label: m.label.as_str().into(),
            source: if i % 2 == 0 { "operator" } else { "user" }.into(),
            contact: Some(format!("user-{i}")),
            comment: None,
            model_version: None,
            risk_score: None,
        })
        .unwrap();
    }
    drop(log);
    let settings = LoopSettings::default();
    let ctx = RetrainContext {
        home: dir.path(),
        training: &config,
        gate: &settings.gate,
        labels: &settings.labels,
        weights: &settings.weights,
        revoked: &Default::default(),
    };
    let out = retrain(&ctx, false, &mut |_| {}).unwrap();
    let sha = out.data["training_sha256"].as_str().unwrap();
    let stored = dir.path().join(format!("artifacts/datasets/{sha}.csv"));
    let mut reader = csv::Reader::from_path(&stored).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["text", "label", "weight"],
        "the stored training set keeps the weights"
    );
    let weight_of: std::collections::HashMap<String, f64> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].parse().unwrap())
        })
        .collect();
    // The most recent labels are the gate's and never trained on; the older ones weigh by
    // source.
    let recent = out.data["recent_rows"].as_u64().unwrap() as usize;
    assert!(recent >= 20, "{recent}");
    let trained = &drifted[..drifted.len() - recent];
    let once = |t: &str| drifted.iter().filter(|m| m.text == t).count() == 1;
    for (i, m) in trained.iter().enumerate().filter(|(_, m)| once(&m.text)) {
        let want = if i % 2 == 0 { 2.0 } else { 0.5 };
        assert_eq!(weight_of.get(&m.text), Some(&want), "{}", m.text);
    }
    for m in drifted[drifted.len() - recent..]
        .iter()
        .filter(|m| once(&m.text))
    {
        assert!(
            !weight_of.contains_key(&m.text),
            "a gate row was trained on"
        );
    }
    let look_alikes = data::hard_legit_training();
    assert_eq!(look_alikes.len(), 48);
    assert_eq!(out.data["hard_legit_training_rows"], 48);
    for (text, fraud) in &look_alikes {
        assert!(!fraud);
        assert_eq!(weight_of.get(text), Some(&5.0), "{text}");
    }
    for (text, _) in data::hard_legit() {
        assert!(
            !weight_of.contains_key(&text),
            "benchmark row trained on: {text}"
        );
    }
    assert!(weight_of.values().filter(|w| **w == 1.0).count() > 200);
}

#[test]
fn the_benchmark_and_the_look_alikes_share_no_message() {
    use trainer::service::data;
    let benchmark: std::collections::BTreeSet<String> =
        data::hard_legit().into_iter().map(|r| r.0).collect();
    assert_eq!(benchmark.len(), 30);
    let look_alikes = data::hard_legit_training();
    assert!(look_alikes.iter().all(|r| !benchmark.contains(&r.0)));
    // Both languages in both.
    let cjk = |t: &String| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(look_alikes.iter().any(|r| cjk(&r.0)) && look_alikes.iter().any(|r| !cjk(&r.0)));
}

fn write_report(home: &std::path::Path, generated_at: &str) {
    let reports = home.join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let report = json!({
        "generated_at": generated_at,
        "model_version": "v0001",
        "window": {"enough_data": true},
        "dataset_drift": true,
        "columns": [{"name": "length", "drifted": true}, {"name": "url_count", "drifted": false}],
        "text_drift": {"detected": false},
        "performance": {"measured": false},
    });
    std::fs::write(reports.join("latest.json"), report.to_string()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_report_one_action_across_restarts_and_the_cooldown_holds() {
    let config = quick_training();
    let dir = home_with_a_model(300, &config);
    let with_webhook = || {
        let mut s = settings(dir.path());
        // Nothing listens there: delivery fails in the background, the decision does not wait.
        s.settings.alert_webhooks = "http://127.0.0.1:9/hook".into();
        s
    };
    write_report(dir.path(), "2026-12-07T01:00:00Z");
    let service = LoopService::open(with_webhook()).await.unwrap();
    let first = service
        .evaluate_latest()
        .await
        .unwrap()
        .expect("a decision");
    // Drift without labels to learn from: R8, ask people.
    assert_eq!(
        (first["action"].as_str(), first["rule"].as_str()),
        (Some("alert"), Some("R8"))
    );
    assert_eq!(first["outcome"], "alert queued to 1 webhook(s)");
    assert!(
        service.evaluate_latest().await.unwrap().is_none(),
        "same report, no second action"
    );
    drop(service);
    // After a restart the report is still decided.
    let service = LoopService::open(with_webhook()).await.unwrap();
    assert!(service.evaluate_latest().await.unwrap().is_none());
    // A new report with the same signals: the alert is cooling down (15 min), so ok.
    write_report(dir.path(), "2026-12-07T01:00:10Z");
    let second = service
        .evaluate_latest()
        .await
        .unwrap()
        .expect("a decision");
    assert_eq!(
        (second["action"].as_str(), second["rule"].as_str()),
        (Some("ok"), Some("R8"))
    );
    assert!(
        second["reason"]
            .as_str()
            .unwrap()
            .contains("alert cooling down"),
        "{second:#}"
    );
    let log = std::fs::read_to_string(dir.path().join("loop/decisions.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_says_why_without_the_servers_paths() {
    let config = quick_training();
    let dir = home_with_a_model(200, &config);
    // The production bundle no longer verifies: the retrain fails reading it, and the cause
    // names the file by its absolute path.
    let model = dir.path().join("artifacts/models/v0001/model.json");
    let mut bytes = std::fs::read(&model).unwrap();
    bytes.extend_from_slice(b" ");
    std::fs::write(&model, bytes).unwrap();

    let app = trainer::service::Application::build(settings(dir.path()))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let queued: Value = client
        .post(format!("{url}/jobs"))
        .bearer_auth(TOKEN)
        .json(&json!({"kind": "retrain", "reason": "test"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = queued["job_id"].as_str().unwrap().to_string();
    let mut job = Value::Null;
    for _ in 0..300 {
        job = client
            .get(format!("{url}/jobs/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["state"] != "queued" && job["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    assert_eq!(job["state"], "failed", "{job:#}");
    let error = job["error"].as_str().unwrap();
    assert!(
        error.contains("model.json"),
        "the answer names the file: {error}"
    );
    let home = dir.path().to_str().unwrap();
    assert!(!job.to_string().contains(home), "a server path in {job:#}");
}
