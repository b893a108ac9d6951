//! `/openapi.json` documents every route and lists every error code.

use crate::helpers::{json_with_status, spawn_agent, spawn_predict_api};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented_and_every_documented_route_is_served() {
    let predict = spawn_predict_api().await;
    let agent = spawn_agent(&predict.url, None, |_, _| {}).await;
    let doc = json_with_status(agent.get("/openapi.json").await, 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    fraudloop_http::testing::assert_openapi_matches(&doc, &feedback_agent::route_table());
}
