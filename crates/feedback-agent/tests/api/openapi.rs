//! `/openapi.json` documents every route and lists every error code.

use serde_json::Value;

use crate::helpers::{json_with_status, spawn_agent, spawn_predict_api};

#[test]
fn the_error_code_enum_is_documented() {
    let doc: Value = serde_json::from_str(feedback_agent::routes::meta::OPENAPI).unwrap();
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
async fn every_route_is_documented_and_every_documented_route_is_served() {
    let predict = spawn_predict_api().await;
    let agent = spawn_agent(&predict.url, None, |_, _| {}).await;
    let doc = json_with_status(agent.get("/openapi.json").await, 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let served: Vec<(&str, String)> = feedback_agent::route_table()
        .endpoints()
        .map(|(p, m)| (p, m.as_str().to_ascii_lowercase()))
        .collect();
    for (path, method) in &served {
        assert!(
            paths.get(*path).and_then(|i| i.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(
                served.iter().any(|(p, m)| p == path && m == method),
                "{method} {path} is documented but not served"
            );
        }
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        assert!(
            doc.pointer(r.strip_prefix('#').unwrap()).is_some(),
            "dangling {r}"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
