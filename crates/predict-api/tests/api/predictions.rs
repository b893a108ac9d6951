//! `GET /predictions/{id}`: a prediction looked up from memory or from any replica's log,
//! explained by the model version that scored it.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{assert_error, json_with_status, publish, spawn_app, Recipe, SCAM_TEXT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prediction_reads_back_as_it_was_answered() {
    let app = spawn_app().await;
    let answered = app.predict(SCAM_TEXT).await;
    let id = answered["prediction_id"].as_str().unwrap();
    let got = json_with_status(app.get(&format!("/predictions/{id}")).await, 200).await;
    assert_eq!(got["prediction_id"], id);
    assert_eq!(got["text"], SCAM_TEXT);
    for field in [
        "risk_score",
        "label",
        "risk_level",
        "threshold",
        "model_version",
        "top_terms",
    ] {
        assert_eq!(got[field], answered[field], "{field}: {got}");
    }
    assert_eq!(got["label"], "fraud");

    assert_error(
        app.get("/predictions/0190a0a0-0000-7000-8000-000000000000")
            .await,
        404,
        "unknown_prediction",
    )
    .await;
    assert_error(
        app.get(&format!("/predictions/{}", "a".repeat(300))).await,
        404,
        "unknown_prediction",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replicas_prediction_is_found_and_explained_by_its_own_model() {
    let app = spawn_app().await;
    let answered = app.predict(SCAM_TEXT).await;
    // Another replica's log line: not in this process's memory, only in the shared folder.
    let record = prod_data::PredictionRecord {
        schema: prod_data::SCHEMA_VERSION,
        prediction_id: "replica-b-0001".into(),
        at: chrono::Utc::now(),
        instance: "replica-b".into(),
        model_version: "v0001".into(),
        text: SCAM_TEXT.into(),
        client_id: None,
        channel: None,
        meta: None,
        risk_score: answered["risk_score"].as_f64().unwrap(),
        predicted_label: "fraud".into(),
        threshold: answered["threshold"].as_f64().unwrap(),
        risk_level: "high".into(),
        descriptors: Default::default(),
        latency_us: 1,
    };
    let log = prod_data::PredictionLog::open(&app.home.join("data"), "replica-b", 16).unwrap();
    assert!(log.log(&record));
    log.flush();

    // Production moves on to another model: the explanation still comes from v0001.
    let v2 = publish(&app.registry, Recipe { rows: 400, seed: 7 }).await;
    app.registry.promote(v2, "test", "move on").unwrap();
    app.wait_for_version(&v2.to_string(), Duration::from_secs(20))
        .await;

    let got: Value = json_with_status(app.get("/predictions/replica-b-0001").await, 200).await;
    assert_eq!(got["text"], SCAM_TEXT);
    assert_eq!(got["model_version"], "v0001");
    assert_eq!(got["top_terms"], answered["top_terms"], "{got}");
    assert_eq!(got["threshold"], answered["threshold"]);
    // The served model would explain it differently.
    let now = app.predict(SCAM_TEXT).await;
    assert_eq!(now["model_version"], json!(v2.to_string()));
    assert_ne!(now["top_terms"], got["top_terms"]);
}
