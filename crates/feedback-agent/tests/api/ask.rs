//! Operator Q&A, offline, and the admin reindex.

use serde_json::json;

use crate::helpers::{
    assert_error, json_with_status, spawn_agent, spawn_predict_api, ADMIN_TOKEN, SCAM_TEXT,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_answered_from_the_knowledge_base_with_citations() {
    let predict = spawn_predict_api().await;
    let agent = spawn_agent(&predict.url, None, |_, _| {}).await;

    let answer = json_with_status(
        agent
            .post("/ask", &json!({"question": "A customer read a one-time passcode to a caller claiming to be the bank. What do we do now?"}))
            .await,
        200,
    )
    .await;
    assert_eq!(answer["path"], "template");
    assert_eq!(answer["lang"], "en");
    assert_eq!(answer["retrieval"]["path"], "lexical");
    let citations = answer["answer"]["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 3, "{answer}");
    assert!(citations
        .iter()
        .all(|c| c["file"].as_str().unwrap().starts_with("en/")));
    let body = answer["answer"]["body"].as_str().unwrap();
    let first_heading = citations[0]["heading"].as_str().unwrap();
    assert!(body.contains(first_heading), "{body}");

    // About a prediction: its score and terms are part of the answer.
    let scored = json_with_status(
        predict_post(&predict.url, &json!({"text": SCAM_TEXT})).await,
        200,
    )
    .await;
    let id = scored["prediction_id"].as_str().unwrap();
    let answer = json_with_status(
        agent
            .post(
                "/ask",
                &json!({"question": "Why was this flagged?", "prediction_id": id}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(answer["prediction"]["prediction_id"], id);
    assert_eq!(answer["prediction"]["risk_score"], scored["risk_score"]);
    let body = answer["answer"]["body"].as_str().unwrap();
    assert!(body.starts_with("The model scored this message"), "{body}");

    // Chinese questions get Chinese chunks.
    let answer = json_with_status(
        agent
            .post(
                "/ask",
                &json!({"question": "客户把短信验证码告诉了自称银行客服的人，怎么处理？"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(answer["lang"], "zh");
    assert!(answer["answer"]["citations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["file"].as_str().unwrap().starts_with("zh/")));

    for (body, status, code) in [
        (json!({"question": ""}), 422, "empty_text"),
        (json!({"question": "x".repeat(2001)}), 422, "text_too_long"),
        (json!({}), 422, "invalid_request"),
        (
            json!({"question": "why?", "prediction_id": "0190a0a0-0000-7000-8000-000000000000"}),
            404,
            "unknown_prediction",
        ),
    ] {
        assert_error(agent.post("/ask", &body).await, status, code).await;
    }
}

async fn predict_post(url: &str, body: &serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/predict"))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_is_found_after_reindex() {
    let predict = spawn_predict_api().await;
    let kb = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(kb.path().join("en")).unwrap();
    std::fs::write(
        kb.path().join("README.md"),
        "# About\n## Not indexed\nzebra crossing notes\n",
    )
    .unwrap();
    std::fs::write(
        kb.path().join("en/one.md"),
        "# One\n## Parcel fees\nA parcel fee text asks for a small payment.\n",
    )
    .unwrap();
    let dir = kb.path().to_path_buf();
    let agent = spawn_agent(&predict.url, None, move |s, _| s.knowledge_base = Some(dir)).await;
    let ready = json_with_status(agent.get("/ready").await, 200).await;
    assert_eq!(ready["chunks"], 1);
    assert_eq!(ready["retrieval"], "lexical");
    assert_eq!(ready["generation"], "template");

    std::fs::write(
        kb.path().join("en/two.md"),
        "# Two\n## Zebra loans\nA zebra loan asks for an upfront insurance fee.\n",
    )
    .unwrap();
    assert_error(
        agent
            .client
            .post(format!("{}/admin/reindex", agent.url))
            .send()
            .await
            .unwrap(),
        401,
        "missing_token",
    )
    .await;
    let reindexed = json_with_status(
        agent
            .client
            .post(format!("{}/admin/reindex", agent.url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(reindexed["chunks"], 2);
    assert_eq!(reindexed["files"], json!(["en/one.md", "en/two.md"]));
    let answer = json_with_status(
        agent
            .post("/ask", &json!({"question": "what is a zebra loan?"}))
            .await,
        200,
    )
    .await;
    assert_eq!(answer["answer"]["citations"][0]["heading"], "Zebra loans");
    assert!(agent
        .metrics()
        .await
        .contains("fraudloop_agent_knowledge_base_chunks 2"));

    // An empty knowledge base is not ready.
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_path_buf();
    let agent = spawn_agent(&predict.url, None, move |s, _| s.knowledge_base = Some(dir)).await;
    assert_error(agent.get("/ready").await, 503, "knowledge_base_empty").await;
    assert_eq!(agent.get("/health").await.status(), 200);
}
