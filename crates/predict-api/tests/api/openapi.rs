//! `/openapi.json` documents every route; `/docs` renders it.

use serde_json::Value;

use serde_json::json;

use crate::helpers::{json_with_status, spawn_app, SCAM_TEXT};

/// Every `$ref` in the document, e.g. `#/components/schemas/Error`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The property names of a component schema.
fn properties<'a>(doc: &'a Value, schema: &str) -> Vec<&'a str> {
    doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema {schema} has properties"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Every (path, method) the router really serves, from the table it was built with.
fn served() -> Vec<(&'static str, String)> {
    predict_api::route_table()
        .endpoints()
        .map(|(path, method)| (path, method.as_str().to_ascii_lowercase()))
        .collect()
}

#[test]
fn the_error_code_enum_is_documented() {
    let doc: Value = serde_json::from_str(predict_api::routes::meta::OPENAPI).unwrap();
    let documented: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .expect("Error.code lists its values as an enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let codes: Vec<&str> = fraudloop_http::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(documented, codes);
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
    let served = served();
    for (path, method) in &served {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not documented"));
        assert!(
            item.get(method).is_some(),
            "{method} {path} is not documented: {item}"
        );
    }
    for (documented, item) in paths {
        for method in item.as_object().unwrap().keys() {
            if ["parameters", "summary", "description"].contains(&method.as_str()) {
                continue;
            }
            assert!(
                served.iter().any(|(p, m)| p == documented && m == method),
                "{method} {documented} is documented but not served"
            );
        }
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

    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
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
