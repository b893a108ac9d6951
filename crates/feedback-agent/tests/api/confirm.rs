//! The confirm flow, offline: notice → outbox → link opened (nothing stored) → the page's POST
//! stores the label in predict-api once; forged, expired and used links are refused.

use feedback_agent::links::{Answer, LinkClaims, LinkSigner};
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, json_with_status, spawn_agent, spawn_predict_api, token_of, ADMIN_TOKEN,
    LINK_SECRET, PUBLIC_URL, SCAM_TEXT,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_label_is_stored_once_and_only_by_the_pages_post() {
    let predict = spawn_predict_api().await;
    let agent = spawn_agent(&predict.url, None, |_, _| {}).await;

    let notice = json_with_status(
        agent
            .post(
                "/notify",
                &json!({"text": SCAM_TEXT, "contact": {"email": "jane@mail.example", "name": "Jane", "locale": "en-GB"}}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(notice["path"], "template", "{notice}");
    assert_eq!(notice["fallback_reason"], Value::Null);
    assert_eq!(notice["retrieval"]["path"], "lexical");
    assert_eq!(notice["lang"], "en");
    assert_eq!(notice["delivery"]["channel"], "outbox");
    assert_eq!(notice["delivery"]["status"], "stored");
    let citations = notice["notice"]["citations"].as_array().unwrap();
    assert!(!citations.is_empty(), "{notice}");
    assert!(citations
        .iter()
        .all(|c| c["file"].as_str().unwrap().starts_with("en/")));
    let confirm = notice["links"]["confirm"].as_str().unwrap();
    let dispute = notice["links"]["dispute"].as_str().unwrap();
    assert!(
        confirm.starts_with(&format!("{PUBLIC_URL}/confirm?token=")),
        "{confirm}"
    );
    assert_ne!(confirm, dispute);
    let prediction_id = notice["prediction_id"].as_str().unwrap().to_string();

    // The outbox holds the mail with both links (admin only).
    assert_eq!(agent.get("/outbox").await.status(), 401);
    let outbox = json_with_status(
        agent
            .client
            .get(format!("{}/outbox", agent.url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let entry = &outbox["entries"][0];
    assert_eq!(entry["notice_id"], notice["notice_id"]);
    assert_eq!(entry["to"], "jane@mail.example");
    let text = entry["text"].as_str().unwrap();
    assert!(
        text.contains(confirm) && text.contains(dispute) && text.starts_with("Dear Jane"),
        "{text}"
    );

    // A mail scanner opens both links, twice: pages, nothing stored.
    for link in [confirm, dispute, confirm] {
        let page = agent.client.get(agent.local(link)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Was this message a scam?") && html.contains("method=\"post\""),
            "{html}"
        );
        assert!(html.contains("value=\"confirm\"") && html.contains("value=\"dispute\""));
        assert!(
            html.contains("secure-bank-verify.top"),
            "the message is shown"
        );
    }
    assert!(predict.feedback().is_empty(), "a GET stored feedback");

    // The person presses "yes": stored in predict-api as a user label.
    let token = token_of(confirm);
    let thanks = agent.answer(&token, "confirm").await;
    assert_eq!(thanks.status(), 200);
    assert!(thanks.text().await.unwrap().contains("Thank you"));
    let stored = predict.feedback();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["prediction_id"], prediction_id.as_str());
    assert_eq!(stored[0]["label"], "fraud");
    assert_eq!(stored[0]["source"], "user");
    assert_eq!(stored[0]["text"], SCAM_TEXT);

    // The same POST again: the same page, nothing more stored.
    let again = agent.answer(&token, "confirm").await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("Thank you"));
    // Another answer, or the other link, once used: refused.
    assert_eq!(agent.answer(&token, "dispute").await.status(), 403);
    assert_eq!(
        agent.answer(&token_of(dispute), "dispute").await.status(),
        403
    );
    let used = agent.client.get(agent.local(confirm)).send().await.unwrap();
    assert_eq!(used.status(), 403);
    assert!(used.text().await.unwrap().contains("already been used"));
    assert_eq!(predict.feedback().len(), 1);

    let metrics = agent.metrics().await;
    assert!(
        metrics.contains("fraudloop_agent_confirmations_total{answer=\"confirm\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "fraudloop_agent_notices_total{channel=\"outbox\",delivery=\"stored\",path=\"template\"} 1"
    ));
    assert!(metrics.contains("fraudloop_agent_retrievals_total{path=\"lexical\"} 1"));
    promtool_check(&metrics);
}

/// `promtool check metrics` on the text, when promtool is installed (CI installs it).
fn promtool_check(text: &str) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    match Command::new("promtool").arg("--version").output() {
        Ok(out) if out.status.success() => {
            let mut child = Command::new("promtool")
                .args(["check", "metrics"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "promtool check metrics failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        _ => eprintln!("note: promtool is not installed; skipped `promtool check metrics`"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_unknown_tokens_are_refused_and_store_nothing() {
    let predict = spawn_predict_api().await;
    let agent = spawn_agent(&predict.url, None, |_, _| {}).await;
    let notice = json_with_status(
        agent
            .post("/notify", &json!({"text": "您的包裹因地址不详被扣留，请点击 http://sf-express-help.top/x 补缴运费"}))
            .await,
        201,
    )
    .await;
    assert_eq!(notice["lang"], "zh");
    let notice_id = notice["notice_id"].as_str().unwrap().to_string();
    let real = token_of(notice["links"]["confirm"].as_str().unwrap());

    let ours = LinkSigner::new(LINK_SECRET.as_bytes());
    let theirs = LinkSigner::new(b"someone else's secret");
    let claims = |expires: i64| LinkClaims {
        notice_id: notice_id.clone(),
        answer: Answer::Confirm,
        expires,
    };
    let now = chrono::Utc::now().timestamp();
    let (payload, signature) = real.split_once('.').unwrap();
    let mut flipped = signature.to_string();
    let last = if flipped.ends_with('A') { "B" } else { "A" };
    flipped.replace_range(flipped.len() - 1.., last);
    let cases = [
        (
            "forged with another key",
            theirs.sign(&claims(now + 3600)),
            "not valid",
        ),
        (
            "altered signature",
            format!("{payload}.{flipped}"),
            "not valid",
        ),
        ("garbage", "not-a-token".to_string(), "not valid"),
        ("empty", String::new(), "not valid"),
        ("expired", ours.sign(&claims(now - 1)), "expired"),
        (
            "unknown notice",
            ours.sign(&LinkClaims {
                notice_id: uuid::Uuid::now_v7().to_string(),
                ..claims(now + 3600)
            }),
            "not valid",
        ),
    ];
    for (case, token, says) in &cases {
        let page = agent
            .client
            .get(format!("{}/confirm?token={token}", agent.url))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 403, "GET {case}");
        assert!(page.text().await.unwrap().contains(says), "GET {case}");
        let posted = agent.answer(token, "confirm").await;
        assert_eq!(posted.status(), 403, "POST {case}");
    }
    // No token at all, and a form that is not a form.
    assert_eq!(agent.get("/confirm").await.status(), 403);
    let not_a_form = agent
        .client
        .post(format!("{}/confirm", agent.url))
        .json(&json!({"token": real, "answer": "confirm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 403);
    assert!(predict.feedback().is_empty());

    // The real token still works, in the recipient's language.
    let page = agent
        .client
        .get(format!("{}/confirm?token={real}", agent.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("这条消息是诈骗吗") && html.contains("lang=\"zh-CN\""),
        "{html}"
    );
    let thanks = agent.answer(&real, "dispute").await;
    assert_eq!(thanks.status(), 200);
    assert!(thanks.text().await.unwrap().contains("感谢"));
    let stored = predict.feedback();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["label"], "legit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_is_escaped_on_the_page() {
    let predict = spawn_predict_api().await;
    let agent = spawn_agent(&predict.url, None, |_, _| {}).await;
    let text =
        "<script>alert('x')</script> Your account is locked, verify at http://bank-secure.top";
    let notice = json_with_status(agent.post("/notify", &json!({"text": text})).await, 201).await;
    let page = agent
        .client
        .get(agent.local(notice["links"]["confirm"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_error_shape() {
    let predict = spawn_predict_api().await;
    let agent = spawn_agent(&predict.url, None, |s, _| {
        s.max_notices_per_contact_per_hour = 2
    })
    .await;
    for (body, status, code) in [
        (json!({"contact": {}}), 422, "missing_target"),
        (
            json!({"text": "a", "prediction_id": "b"}),
            422,
            "conflicting_target",
        ),
        (json!({"text": "   "}), 422, "empty_text"),
        (json!({"text": "x".repeat(20_001)}), 422, "text_too_long"),
        (
            json!({"text": "hi", "channel": "pigeon"}),
            422,
            "invalid_request",
        ),
        (
            json!({"text": "hi", "channel": "email", "contact": {"email": "a@b.example"}}),
            422,
            "invalid_request",
        ),
        (
            json!({"text": "hi", "channel": "webhook"}),
            422,
            "invalid_request",
        ),
        (
            json!({"text": "hi", "contact": {"email": "not an address"}}),
            422,
            "invalid_request",
        ),
        (json!({"text": "hi", "extra": 1}), 422, "invalid_request"),
        (
            json!({"prediction_id": "0190a0a0-0000-7000-8000-000000000000"}),
            404,
            "unknown_prediction",
        ),
        (
            json!({"prediction_id": "../../etc/passwd"}),
            404,
            "unknown_prediction",
        ),
    ] {
        assert_error(agent.post("/notify", &body).await, status, code).await;
    }
    let not_json = agent
        .client
        .post(format!("{}/notify", agent.url))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_error(not_json, 400, "malformed_json").await;

    // Per-contact rate limit.
    let body = json!({"text": SCAM_TEXT, "contact": {"email": "Busy@mail.example"}});
    json_with_status(agent.post("/notify", &body).await, 201).await;
    json_with_status(agent.post("/notify", &body).await, 201).await;
    let body = json!({"text": SCAM_TEXT, "contact": {"email": "busy@MAIL.example"}});
    assert_error(agent.post("/notify", &body).await, 429, "rate_limited").await;

    // predict-api gone: 503, nothing else.
    let orphan = spawn_agent("http://127.0.0.1:9", None, |_, _| {}).await;
    assert_error(
        orphan.post("/notify", &json!({"text": SCAM_TEXT})).await,
        503,
        "upstream_unavailable",
    )
    .await;
    assert_error(agent.get("/nope").await, 404, "not_found").await;
}
