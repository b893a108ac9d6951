//! `POST /predict`: the response fields and their consistency.

use serde_json::{json, Value};

use crate::helpers::{json_with_status, spawn_app, BENIGN_TEXT, SCAM_TEXT};

fn level(score: f64) -> &'static str {
    if score >= 0.7 {
        "high"
    } else if score >= 0.3 {
        "medium"
    } else {
        "low"
    }
}

/// Checks every field of one prediction against the served model's threshold.
fn check_prediction(p: &Value, threshold: f64) {
    let fields = p.as_object().expect("a JSON object");
    let prediction_id = p["prediction_id"]
        .as_str()
        .expect("prediction_id is a string");
    assert!(
        uuid::Uuid::parse_str(prediction_id).is_ok(),
        "prediction_id {prediction_id:?}"
    );
    let score = p["risk_score"].as_f64().expect("risk_score is a number");
    assert!((0.0..=1.0).contains(&score), "risk_score {score}");
    let label = p["label"].as_str().unwrap();
    assert!(["fraud", "legit"].contains(&label), "label {label:?}");
    assert_eq!(
        label == "fraud",
        score >= threshold,
        "label {label} for score {score} at threshold {threshold}"
    );
    assert_eq!(p["risk_level"], level(score), "risk level of {score}");
    assert_eq!(
        p["threshold"].as_f64(),
        Some(threshold),
        "threshold as in GET /model"
    );
    assert_eq!(p["model_version"], "v0001");
    assert!(p["latency_us"].is_u64(), "latency_us: {}", p["latency_us"]);
    let terms = p["top_terms"].as_array().expect("top_terms is an array");
    assert!(
        terms.len() <= 5,
        "at most the configured 5 terms: {terms:?}"
    );
    for t in terms {
        assert!(t["term"].as_str().is_some_and(|s| !s.is_empty()), "{t}");
        let w = t["weight"].as_f64().expect("weight is a number");
        assert!(w.is_finite() && w != 0.0, "weight {w}");
    }
    let weights: Vec<f64> = terms
        .iter()
        .map(|t| t["weight"].as_f64().unwrap().abs())
        .collect();
    assert!(
        weights.windows(2).all(|w| w[0] >= w[1]),
        "top_terms by |weight|: {terms:?}"
    );
    for key in fields.keys() {
        assert!(
            [
                "prediction_id",
                "id",
                "label",
                "risk_score",
                "risk_level",
                "threshold",
                "model_version",
                "top_terms",
                "latency_us"
            ]
            .contains(&key.as_str()),
            "unexpected field {key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predict_returns_a_consistent_explained_score() {
    let app = spawn_app().await;
    let model = app.model_info().await;
    assert_eq!(model["model_version"], "v0001");
    let threshold = model["threshold"]
        .as_f64()
        .expect("GET /model has a threshold");
    assert!(threshold > 0.0 && threshold < 1.0);

    let scam = json_with_status(
        app.post_json(
            "/predict",
            &json!({"text": SCAM_TEXT, "id": "msg-42", "channel": "sms"}),
        )
        .await,
        200,
    )
    .await;
    check_prediction(&scam, threshold);
    assert_eq!(scam["id"], "msg-42", "the caller's id is echoed");
    let terms = scam["top_terms"].as_array().unwrap();
    assert!(!terms.is_empty(), "a scam text is explained: {scam}");
    assert!(
        terms.iter().any(|t| t["weight"].as_f64().unwrap() > 0.0),
        "a scam has terms pushing towards fraud: {terms:?}"
    );
    assert_eq!(scam["label"], "fraud", "{scam}");

    let benign = app.predict(BENIGN_TEXT).await;
    check_prediction(&benign, threshold);
    assert!(
        benign.get("id").is_none(),
        "no id was sent, none echoed: {benign}"
    );
    assert_eq!(benign["label"], "legit", "{benign}");
    assert!(
        scam["risk_score"].as_f64().unwrap() > benign["risk_score"].as_f64().unwrap(),
        "scam {} vs benign {}",
        scam["risk_score"],
        benign["risk_score"]
    );
    assert_ne!(
        scam["prediction_id"], benign["prediction_id"],
        "ids are unique"
    );

    // The same text scores the same every time.
    let again = app.predict(SCAM_TEXT).await;
    assert_eq!(again["risk_score"], scam["risk_score"]);
    assert_eq!(again["top_terms"], scam["top_terms"]);

    // A readiness probe agrees.
    let ready = json_with_status(app.get("/ready").await, 200).await;
    assert_eq!(ready["model_version"], "v0001");
    let health = json_with_status(app.get("/health").await, 200).await;
    assert_eq!(health["status"], "ok");
}

/// `/model` is public: it names the training file, not where it lives on the trainer's
/// machine (once, it showed the absolute path given to `--data`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_info_names_the_training_file_without_its_path() {
    let app = crate::helpers::spawn_app().await;
    let registry = app.registry.clone();
    let version = tokio::task::spawn_blocking(move || {
        let recipe = crate::helpers::BASE_RECIPE;
        let model = crate::helpers::model(recipe);
        let mut bundle = crate::helpers::bundle(&model, recipe);
        bundle.training_data.source = "/srv/private/fraud-team/exports/train_2026.csv".into();
        let version = registry.publish(bundle).unwrap().0;
        registry.promote(version, "test", "path check").unwrap();
        version
    })
    .await
    .unwrap();
    app.wait_for_version(&version.to_string(), std::time::Duration::from_secs(10))
        .await;
    let info = app.model_info().await;
    assert_eq!(info["training_data"]["source"], "train_2026.csv", "{info}");
    assert!(!info.to_string().contains("/srv/private"), "{info}");
}
