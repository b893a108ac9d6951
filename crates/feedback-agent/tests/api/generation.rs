//! Generation and dense retrieval against an OpenAI-compatible server: validated output,
//! retries honouring Retry-After, repair, timeouts, fallbacks, redaction and caching.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fake_openai::{valid_draft, FakeOpenAi, Reply};
use crate::helpers::{
    json_with_status, spawn_agent, spawn_predict_api, use_fake, API_KEY, SCAM_TEXT,
};

/// A message full of personal data that must not leave.
const LEAKY: &str = "Dear John, your card 4111 1111 1111 1111 is blocked. Call +1 202-555-0143 or write to john.smith@mail.example, ID 11010519491231002X, to verify at http://card-unlock.top now";

const SECRETS: [&str; 6] = [
    "4111 1111 1111 1111",
    "202-555-0143",
    "john.smith@mail.example",
    "11010519491231002X",
    "1111",
    "555-0143",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_notice_is_validated_cited_and_nothing_personal_leaves() {
    let predict = spawn_predict_api().await;
    let fake = FakeOpenAi::start().await;
    let agent = spawn_agent(&predict.url, None, |s, k| use_fake(s, k, &fake.base_url)).await;
    // The knowledge base was embedded at start, at most ten inputs per call.
    let indexing = fake.received_at("/embeddings");
    let inputs: usize = indexing
        .iter()
        .map(|r| r.body["input"].as_array().unwrap().len())
        .sum();
    assert!(inputs > 100, "{inputs} chunks embedded");
    assert_eq!(indexing.len(), inputs.div_ceil(10), "ten inputs per call");
    assert!(indexing
        .iter()
        .all(|r| r.body["input"].as_array().unwrap().len() <= 10
            && r.body["model"] == "text-embedding-v4"
            && r.body["dimensions"] == 64));
    fake.clear();

    let response = agent.post("/notify", &json!({"text": LEAKY, "contact": {"email": "john.smith@mail.example", "name": "John"}})).await;
    let raw = response.text().await.unwrap();
    assert!(!raw.contains(API_KEY));
    let notice: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(notice["path"], "llm", "{notice}");
    assert_eq!(notice["retrieval"]["path"], "hybrid", "{notice}");
    assert_eq!(notice["notice"]["subject"], "Please check this message");
    let first_source = &notice["retrieval"]["sources"][0];
    assert_eq!(
        notice["notice"]["citations"][0]["file"],
        first_source["file"]
    );
    assert_eq!(
        notice["notice"]["citations"][0]["heading"],
        first_source["heading"]
    );

    let received = fake.received();
    assert_eq!(
        received
            .iter()
            .filter(|r| r.path == "/chat/completions")
            .count(),
        1
    );
    assert!(
        received.iter().any(|r| r.path == "/embeddings"),
        "the query was embedded"
    );
    for request in &received {
        assert_eq!(request.authorization, format!("Bearer {API_KEY}"));
        let sent = request.body.to_string();
        for secret in SECRETS {
            assert!(
                !sent.contains(secret),
                "{secret} sent to {}: {sent}",
                request.path
            );
        }
    }
    let chat = &received
        .iter()
        .find(|r| r.path == "/chat/completions")
        .unwrap()
        .body;
    assert_eq!(chat["response_format"]["type"], "json_object");
    let user = chat["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("<<<MESSAGE")
            && user.contains("[card]")
            && user.contains("[phone]")
            && user.contains("[email]")
            && user.contains("[id]"),
        "{user}"
    );
    assert!(chat["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("untrusted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_honour_retry_after_and_5xx_then_succeed() {
    let predict = spawn_predict_api().await;
    let fake = FakeOpenAi::start().await;
    let agent = spawn_agent(&predict.url, None, |s, k| use_fake(s, k, &fake.base_url)).await;
    fake.clear();
    fake.script([Reply::Status(429, Some("1")), Reply::Status(500, None)]);
    let started = Instant::now();
    let notice = json_with_status(
        agent.post("/notify", &json!({"text": SCAM_TEXT})).await,
        201,
    )
    .await;
    assert_eq!(notice["path"], "llm", "{notice}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    assert_eq!(fake.received_at("/chat/completions").len(), 3);
    let metrics = agent.metrics().await;
    assert!(
        metrics.contains(
            "fraudloop_agent_external_errors_total{endpoint=\"chat\",kind=\"retryable\"} 2"
        ),
        "{metrics}"
    );
    assert!(metrics
        .contains("fraudloop_agent_external_request_duration_seconds_count{endpoint=\"chat\"} 3"));

    // A Retry-After longer than the agent waits: the template answers at once.
    fake.clear();
    fake.script([Reply::Status(429, Some("3600"))]);
    let started = Instant::now();
    let notice = json_with_status(
        agent.post("/notify", &json!({"text": SCAM_TEXT})).await,
        201,
    )
    .await;
    assert_eq!(notice["path"], "template");
    assert!(
        notice["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("retry after 3600"),
        "{notice}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(fake.received_at("/chat/completions").len(), 1);

    // 5xx on every attempt: retries are bounded, then the template.
    fake.clear();
    fake.script([
        Reply::Status(503, None),
        Reply::Status(502, None),
        Reply::Status(500, None),
    ]);
    let notice = json_with_status(
        agent.post("/notify", &json!({"text": SCAM_TEXT})).await,
        201,
    )
    .await;
    assert_eq!(notice["path"], "template");
    assert!(
        notice["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("gave up after 3 attempts"),
        "{notice}"
    );
    assert_eq!(fake.received_at("/chat/completions").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_output_is_repaired_once_then_the_template_writes() {
    let predict = spawn_predict_api().await;
    let fake = FakeOpenAi::start().await;
    let agent = spawn_agent(&predict.url, None, |s, k| use_fake(s, k, &fake.base_url)).await;

    // Not JSON, then valid: repaired.
    fake.clear();
    fake.script([Reply::Content(
        "Sure! Here is your notice: {subject: ...".into(),
    )]);
    let notice = json_with_status(
        agent.post("/notify", &json!({"text": SCAM_TEXT})).await,
        201,
    )
    .await;
    assert_eq!(notice["path"], "llm", "{notice}");
    let calls = fake.received_at("/chat/completions");
    assert_eq!(calls.len(), 2);
    let repair = calls[1].body["messages"].as_array().unwrap();
    assert_eq!(repair.len(), 4);
    assert!(
        repair[3]["content"].as_str().unwrap().contains("refused"),
        "{repair:?}"
    );

    // A link to somewhere else, then a missing field: the template, with the reason.
    fake.clear();
    let foreign = valid_draft().replace(
        "https://lakeshorebank.example/security",
        "https://secure-bank-verify.top/login",
    );
    fake.script([
        Reply::Content(foreign),
        Reply::Content(json!({"subject": "x", "body": "y"}).to_string()),
    ]);
    let notice = json_with_status(
        agent.post("/notify", &json!({"text": SCAM_TEXT})).await,
        201,
    )
    .await;
    assert_eq!(notice["path"], "template", "{notice}");
    assert!(
        notice["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("invalid output"),
        "{notice}"
    );
    assert_eq!(fake.received_at("/chat/completions").len(), 2);
    assert!(!notice
        .to_string()
        .contains("secure-bank-verify.top/login\""));
    let metrics = agent.metrics().await;
    assert!(
        metrics.contains("kind=\"invalid_output\"} 2")
            && metrics.contains("kind=\"invalid_repair\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_model_times_out_to_the_template() {
    let predict = spawn_predict_api().await;
    let fake = FakeOpenAi::start().await;
    let agent = spawn_agent(&predict.url, None, |s, k| {
        use_fake(s, k, &fake.base_url);
        s.llm_timeout_ms = 300;
        s.llm_retries = 1;
    })
    .await;
    fake.script([
        Reply::Slow(Duration::from_secs(5)),
        Reply::Slow(Duration::from_secs(5)),
    ]);
    let started = Instant::now();
    let answer = json_with_status(agent.post("/ask", &json!({"question": "What should a customer do after sharing a one-time passcode?"})).await, 200).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer["path"], "template", "{answer}");
    assert!(
        answer["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{answer}"
    );
    assert!(!answer["answer"]["citations"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_failures_fall_back_to_lexical_and_vectors_are_cached() {
    let predict = spawn_predict_api().await;
    let fake = FakeOpenAi::start().await;
    let home = tempfile::tempdir().unwrap();
    let first = spawn_agent(&predict.url, Some(home.path()), |s, k| {
        use_fake(s, k, &fake.base_url)
    })
    .await;
    let chunks_embedded: usize = fake
        .received_at("/embeddings")
        .iter()
        .map(|r| r.body["input"].as_array().unwrap().len())
        .sum();
    assert!(chunks_embedded > 100, "{chunks_embedded}");

    // The query cannot be embedded: lexical answers, and says so.
    fake.fail_embeddings(true);
    let notice = json_with_status(
        first.post("/notify", &json!({"text": SCAM_TEXT})).await,
        201,
    )
    .await;
    assert_eq!(notice["retrieval"]["path"], "lexical_fallback", "{notice}");
    assert!(notice["retrieval"]["note"]
        .as_str()
        .unwrap()
        .contains("embeddings endpoint failed"));
    assert!(!notice["notice"]["citations"].as_array().unwrap().is_empty());
    drop(first);

    // A restart on the same home reads every chunk vector from the cache, even with the
    // endpoint down.
    fake.clear();
    let second = spawn_agent(&predict.url, Some(home.path()), |s, k| {
        use_fake(s, k, &fake.base_url)
    })
    .await;
    assert!(
        fake.received_at("/embeddings").is_empty(),
        "chunks were embedded again"
    );
    let ready = json_with_status(second.get("/ready").await, 200).await;
    assert_eq!(ready["retrieval"], "hybrid");
    assert_eq!(ready["generation"], "llm");

    // A new model name misses the cache; with the endpoint down the index is lexical.
    let third = spawn_agent(&predict.url, Some(home.path()), |s, k| {
        use_fake(s, k, &fake.base_url);
        s.embeddings_model = "text-embedding-v3".into();
        s.llm_retries = 0;
    })
    .await;
    let ready = json_with_status(third.get("/ready").await, 200).await;
    assert_eq!(ready["retrieval"], "lexical_fallback");
    let answer = json_with_status(
        third
            .post("/ask", &json!({"question": "快递说要补缴运费，是真的吗？"}))
            .await,
        200,
    )
    .await;
    assert_eq!(answer["retrieval"]["path"], "lexical_fallback");
    assert!(answer["retrieval"]["note"]
        .as_str()
        .unwrap()
        .contains("could not be embedded"));
}
