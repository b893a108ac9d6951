//! The closed loop end to end on loopback: predict-api, drift-monitor (a report every
//! second) and `trainer serve` run as the real services on one shared home, on demo data.
//!
//! Clean traffic → ok; drifted traffic plus k labels → retrain → the gate passes → the new
//! version is served; a candidate trained on flipped labels → rejected; a forced bad
//! promotion → regression on labelled rows → rollback, never back to the bad version. A
//! client scores messages throughout and no request may fail.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use artifact_store::Registry;
use fraudloop_config::{AdminToken, Home};
use serde_json::{json, Value};

const TOKEN: &str = "loop-admin-token";

fn demo(rows: usize, seed: u64, drifted: bool) -> Vec<demo_corpus::DemoMessage> {
    demo_corpus::generate(&demo_corpus::DemoOptions {
        rows,
        seed,
        drifted,
        label_noise: 0.0,
        ..Default::default()
    })
}

fn train_first_model(home: &Path) {
    let csv = home.join("train.csv");
    let mut bytes = Vec::new();
    demo_corpus::write_csv(&demo(1200, 1, false), &mut bytes).unwrap();
    std::fs::write(&csv, bytes).unwrap();
    let registry = Registry::open(Home::new(home).artifacts()).unwrap();
    trainer::train::train(
        &registry,
        &trainer::train::TrainArgs {
            data: csv,
            test_data: None,
            text_col: "text".into(),
            label_col: "label".into(),
            config: text_model::TrainingConfig::default(),
            progress: false,
        },
    )
    .unwrap();
}

struct Services {
    predict: String,
    trainer: String,
    http: reqwest::Client,
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

async fn start(home: &Path) -> Services {
    let mut stops = Vec::new();
    let mut stopper = || {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        stops.push(tx);
        async move {
            let _ = rx.await;
        }
    };

    let mut api = predict_api::Settings::for_home(home);
    api.addr = "127.0.0.1:0".parse().unwrap();
    api.reload_poll_ms = 100;
    api.instance = Some("replica-1".into());
    let api = predict_api::Application::build(api).await.unwrap();
    let predict = format!("http://127.0.0.1:{}", api.port());
    tokio::spawn(api.run_until_stopped(stopper()));

    let monitor = drift_monitor::service::ServiceSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        home: home.to_path_buf(),
        admin_token: None,
        interval: Duration::from_secs(1),
        window: drift_monitor::WindowSpec {
            last_n: 300,
            max_age: None,
        },
        config: drift_monitor::DriftConfig {
            min_rows: 100,
            min_labelled: 30,
            permutations: 100,
            ..Default::default()
        },
        retention: drift_monitor::Retention::default(),
    };
    let monitor = drift_monitor::service::Application::build(monitor)
        .await
        .unwrap();
    tokio::spawn(monitor.run_until_stopped(stopper()));

    let mut settings = trainer::service::LoopSettings {
        poll_secs: 0.3,
        replica_timeout_secs: 20,
        ..Default::default()
    };
    // Every retrain rule waits for all 200 labels of step 2, wherever the 1 s reports fall.
    settings.policy.min_labels = 200;
    settings.policy.retrain_min_labels = 200;
    settings.policy.regression_min_rows = 40;
    settings.policy.cooldowns.retrain_secs = 0;
    settings.policy.cooldowns.alert_secs = 0;
    settings.policy.cooldowns.rollback_secs = 3600;
    // The gate keeps its defaults (no rise of the hard-legitimate false-positive rate).
    let service = trainer::service::ServiceSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        home: home.to_path_buf(),
        admin_token: Some(AdminToken::new(TOKEN)),
        replicas: vec![predict.clone()],
        settings,
        training: text_model::TrainingConfig::default(),
    };
    let app = trainer::service::Application::build(service).await.unwrap();
    let trainer = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped(stopper()));
    Services {
        predict,
        trainer,
        http: reqwest::Client::new(),
        _stops: stops,
    }
}

impl Services {
    async fn get(&self, url: String) -> Value {
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn served(&self) -> String {
        self.get(format!("{}/model", self.predict)).await["model_version"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Scores `messages` in batches and labels the first `label` of them as an operator
    /// would (their true labels); returns the F1 of the served answers.
    async fn traffic(&self, messages: &[demo_corpus::DemoMessage], label: usize) -> f64 {
        let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
        for (chunk_no, chunk) in messages.chunks(100).enumerate() {
            let items: Vec<Value> = chunk.iter().map(|m| json!({"text": m.text})).collect();
            let r: Value = self
                .http
                .post(format!("{}/predict/batch", self.predict))
                .json(&json!({ "items": items }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for (i, (m, p)) in chunk
                .iter()
                .zip(r["results"].as_array().unwrap())
                .enumerate()
            {
                let predicted = p["label"] == "fraud";
                let actual = m.label.is_fraud();
                match (predicted, actual) {
                    (true, true) => tp += 1.0,
                    (true, false) => fp += 1.0,
                    (false, true) => fn_ += 1.0,
                    _ => {}
                }
                if chunk_no * 100 + i < label {
                    let status = self
                        .http
                        .post(format!("{}/feedback", self.predict))
                        .json(&json!({
                            "prediction_id": p["prediction_id"],
                            "label": if actual { "fraud" } else { "legit" },
                            "source": "operator",
                        }))
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert!(status.is_success(), "feedback: {status}");
                }
            }
        }
        2.0 * tp / (2.0 * tp + fp + fn_)
    }

    async fn decisions(&self) -> Vec<Value> {
        self.get(format!("{}/decisions", self.trainer)).await["decisions"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Waits for a decision beyond the first `seen` that satisfies `want`.
    async fn wait_decision(&self, seen: usize, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let all = self.decisions().await;
            let newer = all.len().saturating_sub(seen);
            if let Some(d) = all[..newer].iter().rev().find(|d| want(d)) {
                return d.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {what} decision; decisions: {all:#?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn wait_job(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let job = self.get(format!("{}/jobs/{id}", self.trainer)).await;
            let state = job["state"].as_str().expect("a job").to_string();
            if !["queued", "running"].contains(&state.as_str()) {
                return job;
            }
            assert!(Instant::now() < deadline, "job {id} stuck: {job:#}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn wait_served(&self, version: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.served().await != version {
            assert!(Instant::now() < deadline, "{version} never served");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_loop_retrains_rejects_and_rolls_back_without_a_failed_request() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    tokio::task::spawn_blocking({
        let home = home.clone();
        move || train_first_model(&home)
    })
    .await
    .unwrap();
    let s = Arc::new(start(&home).await);
    assert_eq!(s.served().await, "v0001");

    // A client scoring one message after another for the whole test.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let client = tokio::spawn({
        let (s, stop, ok, failed) = (s.clone(), stop.clone(), ok.clone(), failed.clone());
        async move {
            let texts = demo(50, 99, false);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = s
                    .http
                    .post(format!("{}/predict", s.predict))
                    .json(&json!({"text": texts[i % texts.len()].text}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });

    // 1. Clean traffic: ok.
    let clean_f1 = s.traffic(&demo(250, 2, false), 0).await;
    let d = s
        .wait_decision(0, "ok on clean traffic", |d| {
            d["signals"]["enough_data"] == true
        })
        .await;
    assert_eq!(d["action"], "ok", "{d:#}");

    // 2. Drifted traffic with k labels: retrain, gate passes, the new version is served.
    let seen = s.decisions().await.len();
    let drifted = demo(400, 3, true);
    let drift_started = Instant::now();
    let drifted_f1_before = s.traffic(&drifted, 200).await;
    let d = s
        .wait_decision(seen, "retrain", |d| d["action"] == "retrain")
        .await;
    assert!(
        d["reason"].as_str().unwrap().contains("human labels"),
        "{d:#}"
    );
    let job_id = d["outcome"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap();
    let job_id = job_id.trim_end_matches(';').to_string();
    let job = s.wait_job(&job_id).await;
    assert_eq!(job["state"], "succeeded", "{job:#}");
    assert_eq!(job["gate"]["promote"], true);
    let v2 = job["candidate"].as_str().unwrap().to_string();
    assert!(job["promoted"].as_bool().unwrap());
    s.wait_served(&v2).await;
    println!(
        "loop latency (first drifted request to {v2} served): {:.1} s",
        drift_started.elapsed().as_secs_f64()
    );
    let drifted_f1_after = s.traffic(&demo(300, 4, true), 0).await;
    assert!(
        drifted_f1_after > drifted_f1_before,
        "F1 on drifted traffic {drifted_f1_before:.3} → {drifted_f1_after:.3} (clean {clean_f1:.3})"
    );
    println!(
        "F1 on clean traffic {clean_f1:.3}; on drifted traffic {drifted_f1_before:.3} before the loop, {drifted_f1_after:.3} after"
    );
    // The audit log shows the job's result under the decision.
    let logged = s.decisions().await;
    let retrain = logged
        .iter()
        .find(|x| x["decision_id"] == d["decision_id"])
        .unwrap();
    assert_eq!(
        retrain["later_outcomes"][0]["state"], "succeeded",
        "{retrain:#}"
    );

    // 3. A candidate trained on flipped labels: rejected, with reasons; the same key gives
    // the same job.
    let post = |key: &'static str| {
        s.http
            .post(format!("{}/jobs", s.trainer))
            .bearer_auth(TOKEN)
            .header("Idempotency-Key", key)
            .json(&json!({"kind": "retrain", "reason": "gate drill", "flip_labels": true}))
            .send()
    };
    let r = post("drill-1").await.unwrap();
    assert_eq!(r.status(), 202);
    let bad_id = r.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let again = post("drill-1")
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(again["job_id"], bad_id.as_str());
    let unauthorised = s
        .http
        .post(format!("{}/jobs", s.trainer))
        .json(&json!({"kind": "retrain"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
    let bad = s.wait_job(&bad_id).await;
    assert_eq!(bad["state"], "rejected", "{bad:#}");
    assert!(bad["gate"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().starts_with("fail")));
    let v3 = bad["candidate"].as_str().unwrap().to_string();
    assert_eq!(s.served().await, v2, "a rejected candidate is not served");

    // 4. Someone promotes the bad candidate anyway: labelled traffic shows the regression,
    // the loop rolls back to the version before it and does not bounce back.
    let registry = Registry::open(Home::new(&home).artifacts()).unwrap();
    registry
        .promote(v3.parse().unwrap(), "drill", "forced bad promotion")
        .unwrap();
    s.wait_served(&v3).await;
    let seen = s.decisions().await.len();
    s.traffic(&demo(200, 5, true), 80).await;
    let d = s
        .wait_decision(seen, "rollback", |d| d["action"] == "rollback")
        .await;
    assert_eq!(d["rule"], "R2", "{d:#}");
    assert_eq!(d["versions"]["rolled_back_from"], v3.as_str());
    s.wait_served(&v2).await;
    assert_eq!(
        registry.aliases().unwrap().production.unwrap().to_string(),
        v2
    );
    // More reports come; none rolls back again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rollbacks = s
        .decisions()
        .await
        .iter()
        .filter(|d| d["action"] == "rollback")
        .count();
    assert_eq!(rollbacks, 1);

    stop.store(true, Ordering::Relaxed);
    client.await.unwrap();
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "failed /predict requests"
    );
    assert!(ok.load(Ordering::Relaxed) > 50);
    for d in s.decisions().await {
        assert!(!d["reason"].as_str().unwrap().is_empty(), "{d:#}");
    }
    let metrics = s
        .http
        .get(format!("{}/metrics", s.trainer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("fraudloop_loop_decisions_total{action=\"rollback\"} 1"),
        "{metrics}"
    );
}
