//! `POST /feedback`: stored records, idempotency, label changes, plain-text labels, the
//! production-data export, and predictions made by other replicas.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::{json_with_status, spawn_app, spawn_app_with, Start, SCAM_TEXT};

/// Parses the export into rows keyed by column name.
fn parse_export(body: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .map(str::to_string)
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_is_stored_idempotent_and_exported_with_the_latest_label() {
    let app = spawn_app().await;
    let prediction = app.predict(SCAM_TEXT).await;
    let pid = prediction["prediction_id"].as_str().unwrap().to_string();

    // First feedback: 201 with the stored record.
    let first = json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": pid, "label": "fraud"}),
        )
        .await,
        201,
    )
    .await;
    let first_id = first["feedback_id"]
        .as_str()
        .expect("feedback_id")
        .to_string();
    assert!(uuid::Uuid::parse_str(&first_id).is_ok());
    assert_eq!(first["prediction_id"], pid.as_str());
    assert_eq!(
        first["text"], SCAM_TEXT,
        "the text is copied from the prediction"
    );
    assert_eq!(first["label"], "fraud");
    assert_eq!(first["source"], "user", "the default source");
    assert_eq!(first["model_version"], "v0001");
    assert_eq!(first["risk_score"], prediction["risk_score"]);
    assert_eq!(first["schema"], 1);
    assert!(first["at"].is_string());

    // The same feedback again: 200 and the same record.
    let again = json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": pid, "label": "fraud", "source": "user"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again, first);
    // Another spelling of the same label is the same feedback.
    let spelled = json_with_status(
        app.post_json("/feedback", &json!({"prediction_id": pid, "label": "spam"}))
            .await,
        200,
    )
    .await;
    assert_eq!(spelled["feedback_id"], first_id.as_str());

    // A changed label is new feedback, and the latest wins.
    let changed = json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": pid, "label": "legit", "comment": "my bank really sent it"}),
        )
        .await,
        201,
    )
    .await;
    let changed_id = changed["feedback_id"].as_str().unwrap().to_string();
    assert_ne!(changed_id, first_id);
    assert_eq!(changed["label"], "legit");
    assert_eq!(changed["comment"], "my bank really sent it");
    let changed_again = json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": pid, "label": "legit", "comment": "my bank really sent it"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed_again["feedback_id"], changed_id.as_str());

    // Plain-text labelling: 201, then idempotent.
    let text_body = json!({"text": "Claim your tax refund now at http://hmrc-refund.top", "label": "fraud", "source": "operator"});
    let text_first = json_with_status(app.post_json("/feedback", &text_body).await, 201).await;
    assert!(text_first["prediction_id"].is_null(), "{text_first}");
    assert!(text_first.get("model_version").is_none(), "{text_first}");
    assert_eq!(text_first["source"], "operator");
    let text_again = json_with_status(app.post_json("/feedback", &text_body).await, 200).await;
    assert_eq!(text_again["feedback_id"], text_first["feedback_id"]);
    // A different label on the same text is another record.
    let text_other = json_with_status(
        app.post_json("/feedback", &json!({"text": "Claim your tax refund now at http://hmrc-refund.top", "label": "legit", "source": "operator"})).await,
        201,
    )
    .await;
    assert_ne!(text_other["feedback_id"], text_first["feedback_id"]);

    // The export joins the prediction with its latest label.
    let response = app.get_admin("/admin/export/prod_data.csv").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows = parse_export(&response.text().await.unwrap());
    let row = rows
        .iter()
        .find(|r| r.get("prediction_id").map(String::as_str) == Some(pid.as_str()))
        .unwrap_or_else(|| panic!("prediction {pid} is in the export: {rows:?}"));
    assert_eq!(row["label"], "legit", "the latest label wins: {row:?}");
    assert_eq!(row["label_source"], "user");
    assert_eq!(row["feedback_count"], "2", "{row:?}");
    assert_eq!(row["text"], SCAM_TEXT);
    assert_eq!(row["model_version"], "v0001");
    assert_eq!(
        row["predicted_label"],
        prediction["label"].as_str().unwrap()
    );
    let exported: f64 = row["risk_score"].parse().unwrap();
    assert!((exported - prediction["risk_score"].as_f64().unwrap()).abs() < 1e-6);
    for column in ["length", "url_count", "oov_rate"] {
        assert!(
            row.contains_key(column),
            "descriptor column {column}: {row:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_finds_predictions_made_by_another_replica() {
    let app = spawn_app().await;
    let dir = app.home.join("data").join("predictions");
    let record = prod_data::PredictionRecord {
        schema: prod_data::SCHEMA_VERSION,
        prediction_id: "0190c0de-1111-7222-8333-444455556666".into(),
        at: chrono::Utc::now(),
        instance: "other-replica".into(),
        model_version: "v0007".into(),
        text: "Your account is locked, verify at http://other-replica.top".into(),
        client_id: Some("theirs".into()),
        channel: Some("sms".into()),
        meta: None,
        risk_score: 0.8125,
        predicted_label: "fraud".into(),
        threshold: 0.5,
        risk_level: "high".into(),
        descriptors: BTreeMap::from([("length".to_string(), 57.0)]),
        latency_us: 321,
    };
    let mut line = serde_json::to_string(&record).unwrap();
    line.push('\n');
    // Sanity: the record is the documented schema-1 line.
    assert!(line.starts_with("{\"schema\":1,"), "{line}");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("other-replica.jsonl"), line).unwrap();

    let stored = json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": record.prediction_id, "label": "fraud", "source": "agent"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(stored["prediction_id"], record.prediction_id.as_str());
    assert_eq!(stored["text"], record.text.as_str());
    assert_eq!(stored["model_version"], "v0007");
    assert_eq!(stored["risk_score"], 0.8125);
    assert_eq!(stored["source"], "agent");
    let again = json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": record.prediction_id, "label": "fraud", "source": "agent"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["feedback_id"], stored["feedback_id"]);

    // The feedback is on disk in this replica's feedback log.
    let mut found: Vec<Value> = Vec::new();
    prod_data::read_records(
        &app.home.join("data").join("feedback"),
        |f: prod_data::FeedbackRecord| found.push(serde_json::to_value(f).unwrap()),
    )
    .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["feedback_id"], stored["feedback_id"]);
}

/// A prediction of another replica, as its log holds it.
fn other_replica_record(i: usize) -> prod_data::PredictionRecord {
    prod_data::PredictionRecord {
        schema: prod_data::SCHEMA_VERSION,
        prediction_id: format!("0190c0de-1111-7222-8333-{i:012}"),
        at: chrono::Utc::now(),
        instance: "other-replica".into(),
        model_version: "v0007".into(),
        text: format!(
            "{i}: {}",
            "Your parcel is held, pay the fee at http://x.top ".repeat(18)
        ),
        client_id: None,
        channel: Some("sms".into()),
        meta: None,
        risk_score: 0.75,
        predicted_label: "fraud".into(),
        threshold: 0.5,
        risk_level: "high".into(),
        descriptors: BTreeMap::from([("length".to_string(), 900.0)]),
        latency_us: 321,
    }
}

/// Feedback on an unknown id must not scan every prediction log (once, each unknown id read
/// all logs one at a time, and 30 clients sending random UUIDs made legitimate feedback time
/// out); and an id is never echoed whole (a 3 MB id came back in a 3 MB 404).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_cheap_and_never_echoed_whole() {
    let app = spawn_app_with(Start::WithModel, |s| s.recent_predictions = 1).await;
    let dir = app.home.join("data").join("predictions");
    std::fs::create_dir_all(&dir).unwrap();
    // ~20 MB of another replica's predictions; the one to label is the first.
    let mut log = String::new();
    for i in 0..20_000 {
        log.push_str(&serde_json::to_string(&other_replica_record(i)).unwrap());
        log.push('\n');
    }
    std::fs::write(dir.join("predictions-other-replica.jsonl"), log).unwrap();
    let wanted = other_replica_record(0).prediction_id;

    // A 1 MB id: 404, with a short body.
    let huge = "f".repeat(1 << 20);
    let response = app
        .post_json(
            "/feedback",
            &json!({"prediction_id": huge, "label": "fraud"}),
        )
        .await;
    let headers_len = response.content_length().unwrap_or(0);
    let body = assert_error_body(response, 404, "unknown_prediction").await;
    assert!(
        body.len() < 1000 && headers_len < 1000,
        "the 404 echoes the id: {} bytes",
        body.len()
    );

    // 30 clients send unknown ids while one labels a known prediction.
    let flood: Vec<_> = (0..30)
        .map(|i| {
            let (client, url) = (app.client.clone(), app.url("/feedback"));
            tokio::spawn(async move {
                for j in 0..5 {
                    let id = format!("0190c0de-9999-7222-8333-{:012}", i * 100 + j);
                    let r = client
                        .post(&url)
                        .json(&json!({"prediction_id": id, "label": "fraud"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 404);
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let stored = json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": wanted, "label": "legit"}),
        )
        .await,
        201,
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(stored["model_version"], "v0007");
    for f in flood {
        f.await.unwrap();
    }
    // Generous: a scan per unknown id took tens of seconds here; the index, milliseconds.
    assert!(
        waited < std::time::Duration::from_secs(5),
        "labelling a known prediction took {waited:?} among unknown ids"
    );
}

async fn assert_error_body(response: reqwest::Response, status: u16, code: &str) -> String {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "{}", &text[..text.len().min(300)]);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], code);
    text
}

/// One contact cannot flood `/feedback` with user labels; other contacts and operators are
/// not held back by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_labels_are_rate_limited_per_contact() {
    let app = spawn_app_with(Start::WithModel, |s| s.user_labels_per_minute = 3).await;
    let label = |i: usize, source: &str, contact: &str| json!({"text": format!("message number {i}"), "label": "legit", "source": source, "contact": contact});
    for i in 0..3 {
        json_with_status(
            app.post_json("/feedback", &label(i, "user", "mallory"))
                .await,
            201,
        )
        .await;
    }
    let refused = app
        .post_json("/feedback", &label(3, "user", "mallory"))
        .await;
    let body = assert_error_body(refused, 429, "rate_limited").await;
    assert!(body.contains("at most 3 a minute"), "{body}");
    let stored = json_with_status(
        app.post_json("/feedback", &label(4, "user", "alice")).await,
        201,
    )
    .await;
    assert_eq!(stored["contact"], "alice");
    json_with_status(
        app.post_json("/feedback", &label(5, "operator", "mallory"))
            .await,
        201,
    )
    .await;
}
