//! `POST /predict/batch`: JSON and CSV, per-item errors, the size limit.

use serde_json::{json, Value};

use crate::helpers::{assert_error, json_with_status, spawn_app, BENIGN_TEXT, SCAM_TEXT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_batch_answers_in_order_with_per_item_errors() {
    let app = spawn_app().await;
    let items = json!({"items": [
        {"text": SCAM_TEXT, "id": "first"},
        {"text": BENIGN_TEXT, "id": "second", "channel": "chat"},
        {"text": "   ", "id": "blank"},
        {"text": 17, "id": "typed"},
        {"text": "Your parcel is held, pay the import fee at http://post-fee.top", "id": "fifth"},
    ]});
    let batch = json_with_status(app.post_json("/predict/batch", &items).await, 200).await;
    assert_eq!(batch["model_version"], "v0001");
    assert_eq!(batch["succeeded"], 3, "{batch}");
    assert_eq!(batch["failed"], 2, "{batch}");
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let ids: Vec<&Value> = results.iter().map(|r| &r["id"]).collect();
    assert_eq!(
        ids,
        [
            &json!("first"),
            &json!("second"),
            &Value::Null,
            &Value::Null,
            &json!("fifth")
        ]
    );
    assert_eq!(results[2]["error"]["code"], "empty_text", "{batch}");
    assert!(results[2]["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(results[3]["error"]["code"], "invalid_item", "{batch}");
    for i in [0, 1, 4] {
        assert!(results[i].get("error").is_none(), "{}", results[i]);
        assert_eq!(results[i]["model_version"], "v0001");
        assert!(results[i]["prediction_id"].is_string());
    }

    // Each result is what /predict answers for the same text.
    let single = app.predict(SCAM_TEXT).await;
    assert_eq!(results[0]["risk_score"], single["risk_score"]);
    assert_eq!(results[0]["top_terms"], single["top_terms"]);
    assert!(results[0]["risk_score"].as_f64() > results[1]["risk_score"].as_f64());

    // Every scored item gets its own prediction id, usable for feedback.
    let response = app
        .post_json(
            "/feedback",
            &json!({"prediction_id": results[4]["prediction_id"], "label": "fraud"}),
        )
        .await;
    let stored = json_with_status(response, 201).await;
    assert_eq!(
        stored["text"],
        "Your parcel is held, pay the import fee at http://post-fee.top"
    );

    // An empty batch is a valid, empty answer.
    let empty = json_with_status(
        app.post_json("/predict/batch", &json!({"items": []})).await,
        200,
    )
    .await;
    assert_eq!(
        (empty["succeeded"].as_u64(), empty["failed"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_batch_keeps_order_ids_and_quoted_fields() {
    let app = spawn_app().await;
    let tricky = "Hello Ann, the invoice is attached,\nsee you \"tomorrow\" at 10";
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["text", "id"]).unwrap();
    writer.write_record([SCAM_TEXT, "row-1"]).unwrap();
    writer.write_record([tricky, "row-2"]).unwrap();
    writer.write_record(["", "row-3"]).unwrap();
    writer.write_record([BENIGN_TEXT, ""]).unwrap();
    let body = writer.into_inner().unwrap();
    assert!(String::from_utf8_lossy(&body)
        .contains("\"Hello Ann, the invoice is attached,\nsee you \"\"tomorrow\"\" at 10\""));

    let response = app
        .post_raw("/predict/batch", "text/csv; charset=utf-8", body)
        .await;
    let batch = json_with_status(response, 200).await;
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{batch}");
    assert_eq!(
        (batch["succeeded"].as_u64(), batch["failed"].as_u64()),
        (Some(3), Some(1)),
        "{batch}"
    );
    assert_eq!(results[0]["id"], "row-1");
    assert_eq!(results[1]["id"], "row-2");
    assert_eq!(results[2]["error"]["code"], "empty_text");
    assert!(
        results[3].get("id").is_none(),
        "an empty id cell is no id: {}",
        results[3]
    );
    assert_eq!(results[0]["label"], "fraud", "{}", results[0]);

    // The quoted text arrived whole: the prediction log has it verbatim.
    let response = app
        .post_json(
            "/feedback",
            &json!({"prediction_id": results[1]["prediction_id"], "label": "legit"}),
        )
        .await;
    let stored = json_with_status(response, 201).await;
    assert_eq!(stored["text"], tricky);
    let single = app.predict(tricky).await;
    assert_eq!(results[1]["risk_score"], single["risk_score"]);

    // Columns may come in any order and include extra ones.
    let body = "channel,id,text,extra\nsms,a,\"win, win\",x\nemail,b,hello,y\n";
    let batch = json_with_status(app.post_raw("/predict/batch", "text/csv", body).await, 200).await;
    assert_eq!(batch["results"][0]["id"], "a");
    assert_eq!(batch["results"][1]["id"], "b");
    assert_eq!(batch["succeeded"], 2);

    // A CSV without a text column is refused as a whole.
    let response = app
        .post_raw("/predict/batch", "text/csv", "message,id\nhello,1\n")
        .await;
    assert_error(response, 422, "missing_column").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_over_the_limit_are_refused() {
    let app = spawn_app().await;
    let items: Vec<Value> = (0..1001)
        .map(|i| json!({"text": format!("message {i}")}))
        .collect();
    let response = app
        .post_json("/predict/batch", &json!({"items": items}))
        .await;
    assert_error(response, 413, "batch_too_large").await;

    let mut csv = String::from("text\n");
    for i in 0..1001 {
        csv.push_str(&format!("message {i}\n"));
    }
    let response = app.post_raw("/predict/batch", "text/csv", csv).await;
    assert_error(response, 413, "batch_too_large").await;

    // Exactly at the limit is fine.
    let items: Vec<Value> = (0..1000)
        .map(|i| json!({"text": format!("message {i}"), "id": i.to_string()}))
        .collect();
    let batch = json_with_status(
        app.post_json("/predict/batch", &json!({"items": items}))
            .await,
        200,
    )
    .await;
    assert_eq!(batch["succeeded"], 1000);
    assert_eq!(batch["results"][999]["id"], "999");
}
