//! `/openapi.json` documents every route; `/docs` renders it.

use serde_json::Value;

use serde_json::json;

use crate::helpers::{json_with_status, spawn_app, SCAM_TEXT};

/// The property names of a component schema.
fn properties<'a>(doc: &'a Value, schema: &str) -> Vec<&'a str> {
    doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema {schema} has properties"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Routes both ways, the error-code enum and every `$ref`: the check every service shares.
#[test]
fn the_document_matches_the_router_and_the_error_codes() {
    let doc: Value = serde_json::from_str(predict_api::routes::meta::OPENAPI).unwrap();
    fraudloop_http::testing::assert_openapi_matches(&doc, &predict_api::route_table());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_every_route() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let doc: Value = json_with_status(response, 200).await;
    let version = doc["openapi"]
        .as_str()
        .unwrap_or_else(|| panic!("no openapi version in {doc}"));
    assert!(version.starts_with("3."), "openapi {version}");
    assert!(doc["info"]["title"].is_string(), "info.title");
    let paths = doc["paths"].as_object().expect("paths");
    for documented in paths.keys() {
        // Paths with parameters are exercised by their own tests (a literal `{id}` is
        // rightly unknown).
        if documented.contains('{') {
            continue;
        }
        let served = app
            .client
            .get(app.url(documented))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_ne!(served, 404, "{documented} is documented but answers 404");
    }

    // The documented schemas cover what the service really sends.
    let prediction = app
        .post_json("/predict", &json!({"text": SCAM_TEXT, "id": "x"}))
        .await;
    let prediction = json_with_status(prediction, 200).await;
    let documented = properties(&doc, "Prediction");
    for field in prediction.as_object().unwrap().keys() {
        assert!(
            documented.contains(&field.as_str()),
            "Prediction.{field} is not documented"
        );
    }
    let request_fields = properties(&doc, "PredictRequest");
    for field in ["text", "id", "channel", "meta"] {
        assert!(
            request_fields.contains(&field),
            "PredictRequest.{field} is not documented"
        );
    }
    let feedback = app
        .post_json("/feedback", &json!({"prediction_id": prediction["prediction_id"], "label": "fraud", "comment": "c"}))
        .await;
    let feedback = json_with_status(feedback, 201).await;
    let documented = properties(&doc, "FeedbackRecord");
    for field in feedback.as_object().unwrap().keys() {
        assert!(
            documented.contains(&field.as_str()),
            "FeedbackRecord.{field} is not documented"
        );
    }
    let error = properties(&doc, "Error");
    assert_eq!(error, ["error"], "the error envelope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_page_renders_html() {
    let app = spawn_app().await;
    let response = app.get("/docs").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.to_lowercase().contains("<html"), "{html}");
    assert!(
        html.contains("fraudloop"),
        "the docs page names the service: {html}"
    );
}
