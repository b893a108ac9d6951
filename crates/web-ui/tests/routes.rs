//! Every page and action against the real predict-api and drift-monitor on loopback ports,
//! and with each of them down; the trainer service and feedback-agent are down throughout
//! (their pages must say so and the rest must work).

mod common;

use common::{stack, Browser, Running, ADMIN_TOKEN, SCAM};

const UP: Running = Running {
    predict: true,
    drift: true,
};
const DOWN: Running = Running {
    predict: false,
    drift: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checked_message_shows_its_score_and_marked_terms_and_feedback_is_counted() {
    let stack = stack(UP, None).await;
    let mut b = Browser::new(&stack.ui.base_url);
    let page = b.get("/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"<html lang="en">"#));
    let checked = b
        .post(
            "/check",
            &[("csrf", &page.csrf()), ("text", SCAM), ("channel", "sms")],
        )
        .await;
    assert_eq!(checked.status, 303, "{}", checked.body);
    let page = b.get("/").await;
    assert!(page.body.contains(r#"data-label="fraud""#), "{}", page.body);
    assert!(page.body.contains("v0001"));
    assert!(page.body.contains(r#"<mark class="term fraud""#));
    assert!(
        page.body.contains(r#"role="img""#),
        "the gauge is an image with a label"
    );
    let id_at = page.body.find(r#"name="prediction_id" value=""#).unwrap();
    let rest = &page.body[id_at + r#"name="prediction_id" value=""#.len()..];
    let prediction_id = rest[..rest.find('"').unwrap()].to_string();

    // Nothing labelled yet; one operator label later, the feedback page counts it.
    let before = b.get("/feedback").await;
    assert!(
        before.body.contains(r#"<dd id="count-fraud">0</dd>"#),
        "{}",
        before.body
    );
    let labelled = b
        .post(
            "/actions/feedback",
            &[
                ("csrf", &page.csrf()),
                ("prediction_id", &prediction_id),
                ("label", "fraud"),
                ("back", "/"),
            ],
        )
        .await;
    assert_eq!(labelled.status, 303);
    assert_eq!(labelled.location.as_deref(), Some("/"));
    let after = b.get("/").await;
    assert!(after.body.contains("Feedback recorded"), "{}", after.body);
    let feedback = b.get("/feedback").await;
    assert!(
        feedback.body.contains(r#"<dd id="count-fraud">1</dd>"#),
        "{}",
        feedback.body
    );
    assert!(feedback.body.contains("operator: 1"));

    // The agent is down: notifying says so, and nothing else breaks.
    let notified = b
        .post(
            "/actions/notify",
            &[
                ("csrf", &page.csrf()),
                ("prediction_id", &prediction_id),
                ("back", "/"),
            ],
        )
        .await;
    assert_eq!(notified.status, 303);
    let after = b.get("/").await;
    assert!(
        after.body.contains("feedback-agent is not reachable"),
        "{}",
        after.body
    );
    assert!(
        feedback.body.contains("feedback-agent"),
        "the outbox says the agent is down"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_session_token_are_refused_and_do_nothing() {
    let stack = stack(UP, None).await;
    let mut b = Browser::new(&stack.ui.base_url);
    let page = b.get("/").await;
    for csrf in ["", "forged", &page.csrf()[1..]] {
        let refused = b.post("/check", &[("csrf", csrf), ("text", SCAM)]).await;
        assert_eq!(refused.status, 403, "csrf {csrf:?}");
        assert!(refused.body.contains("The form expired"));
    }
    // Another browser's token does not work in this session either.
    let mut other = Browser::new(&stack.ui.base_url);
    let theirs = other.get("/").await.csrf();
    assert_eq!(
        b.post("/check", &[("csrf", &theirs), ("text", SCAM)])
            .await
            .status,
        403
    );
    assert!(
        !b.get("/").await.body.contains("data-label="),
        "nothing was scored"
    );
    // A body that is not a form is refused in the shared error shape.
    let client = reqwest::Client::new();
    let response = client
        .post(stack.ui.url("/check"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screened_file_gives_a_table_a_chart_and_a_scored_csv() {
    let stack = stack(UP, Some(4096)).await;
    let mut b = Browser::new(&stack.ui.base_url);
    let csrf = b.get("/screen").await.csrf();
    let csv = format!(
        "id,text\n1,\"{SCAM}\"\n2,\"hey, are we still on for lunch tomorrow?\"\n3,\" \"\n4,您的包裹因地址不详被扣留，请点击 http://sf-express-help.top/x 补缴运费\n"
    );
    let uploaded = b.upload(&csrf, "inbox.csv", csv.into_bytes()).await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let page = b.get("/screen").await;
    assert!(
        page.body.contains(r#"<strong id="rows-scored">3</strong>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 failed"));
    assert_eq!(page.body.matches(r#"<tr data-level="#).count(), 4);
    assert!(page.body.contains(r#"<svg class="chart""#));
    // The filter without JavaScript: only high-risk rows.
    let high = b.get("/screen?level=high").await;
    let high_rows = high.body.matches(r#"<tr data-level="high""#).count();
    assert!(high_rows >= 1);
    assert_eq!(high.body.matches(r#"<tr data-level="#).count(), high_rows);

    let download = b.get("/screen/scored.csv").await;
    assert_eq!(download.status, 200);
    assert!(download.content_type.starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(download.body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][2], "fraud");
    assert!(!rows[2][9].is_empty(), "the blank row carries its error");
    assert!(rows[3][1].contains("包裹"));

    // A file without a text column, a file that is not UTF-8, no file, a file over the limit.
    let csrf = page.csrf();
    let bad = b
        .upload(&csrf, "bad.csv", b"message\nhello\n".to_vec())
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("text column"), "{}", bad.body);
    let binary = b
        .upload(&csrf, "bad.csv", vec![0xff, 0xfe, 0x00, 0x41])
        .await;
    assert_eq!(binary.status, 422);
    assert!(binary.body.contains("UTF-8"));
    let empty = b.upload(&csrf, "empty.csv", Vec::new()).await;
    assert_eq!(empty.status, 422);
    let big = format!("text\n{}\n", "a".repeat(5000));
    let too_large = b.upload(&csrf, "big.csv", big.into_bytes()).await;
    assert_eq!(too_large.status, 413);
    assert!(
        too_large.body.contains("larger than the limit"),
        "{}",
        too_large.body
    );
    // Far beyond the limit: the guard refuses before reading it.
    let huge = format!("text\n{}\n", "a".repeat(200_000));
    assert_eq!(
        b.upload(&csrf, "huge.csv", huge.into_bytes()).await.status,
        413
    );
    // The earlier result is still there.
    assert!(b.get("/screen").await.body.contains("inbox.csv"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_follows_accept_language_and_the_switch() {
    let stack = stack(DOWN, None).await;
    let mut b = Browser::new(&stack.ui.base_url);
    b.accept_language = Some("zh-CN,zh;q=0.9,en;q=0.8");
    let page = b.get("/models").await;
    assert!(page.body.contains(r#"<html lang="zh-CN">"#));
    assert!(page.body.contains("检测消息"));
    b.accept_language = Some("fr-FR, en;q=0.5, zh;q=0.4");
    assert!(b.get("/").await.body.contains(r#"<html lang="en">"#));
    let switched = b.get("/lang?to=zh&back=/models").await;
    assert_eq!(switched.status, 303);
    assert_eq!(switched.location.as_deref(), Some("/models"));
    let page = b.get("/models").await;
    assert!(
        page.body.contains(r#"<html lang="zh-CN">"#),
        "the cookie wins"
    );
    // Only our own paths are redirect targets.
    let outside = b.get("/lang?to=en&back=//evil.example/").await;
    assert_eq!(outside.location.as_deref(), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_works_and_says_what_is_missing_when_the_services_are_down() {
    let stack = stack(DOWN, None).await;
    let mut b = Browser::new(&stack.ui.base_url);
    for (path, missing) in [
        ("/", None),
        ("/screen", None),
        ("/monitoring", Some("drift-monitor is not reachable")),
        ("/models", Some("predict-api is not reachable")),
        ("/models", Some("trainer is not reachable")),
        ("/feedback", Some("feedback-agent is not reachable")),
        (
            "/monitoring/report.html",
            Some("drift-monitor is not reachable"),
        ),
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        if let Some(missing) = missing {
            assert!(page.body.contains(missing), "{path}: {}", page.body);
        }
    }
    // The registry is read from the shared home, so the versions show without predict-api.
    assert!(b
        .get("/models")
        .await
        .body
        .contains(r#"data-version="v0001""#));
    let csrf = b.get("/").await.csrf();
    let checked = b.post("/check", &[("csrf", &csrf), ("text", SCAM)]).await;
    assert_eq!(checked.status, 200);
    assert!(checked.body.contains("predict-api is not reachable"));
    assert!(
        checked.body.contains("Verify your identity"),
        "the typed text stays"
    );
    let uploaded = b.upload(&csrf, "x.csv", b"text\nhello\n".to_vec()).await;
    assert_eq!(uploaded.status, 503);
    assert!(uploaded.body.contains("predict-api is not reachable"));
    let asked = b
        .post(
            "/feedback/ask",
            &[("csrf", &csrf), ("question", "why was it flagged?")],
        )
        .await;
    assert_eq!(asked.status, 303);
    let page = b.get("/feedback").await;
    assert!(page.body.contains("why was it flagged?"));
    assert!(page.body.matches("feedback-agent is not reachable").count() >= 2);
    // Static parts.
    let css = b.get("/assets/app.css").await;
    assert!(css.content_type.starts_with("text/css"));
    assert!(b
        .get("/assets/app.js")
        .await
        .body
        .contains("addEventListener"));
    assert!(b
        .get("/metrics")
        .await
        .body
        .contains("http_requests_total{"));
    assert!(
        b.get("/ready").await.body.contains("ready"),
        "ready with every backend down"
    );
    assert_eq!(b.get("/health").await.status, 200);
    let unknown = b.get("/nope").await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_actions_need_the_token_and_change_what_is_served() {
    let stack = stack(UP, None).await;
    let mut b = Browser::new(&stack.ui.base_url);
    // A second version to promote.
    {
        let home = stack.home.clone();
        tokio::task::spawn_blocking(move || common::train(&home, 2))
            .await
            .unwrap();
    }
    let csrf = b.get("/models").await.csrf();
    for (path, form) in [
        (
            "/models/promote",
            vec![("version", "v0002"), ("reason", "r")],
        ),
        ("/models/rollback", vec![("reason", "r")]),
        ("/models/retrain", vec![("reason", "r")]),
        ("/monitoring/run", vec![]),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let refused = b.post(path, &fields).await;
        assert_eq!(refused.status, 401, "{path}");
        assert!(refused.body.contains("needs the admin token"), "{path}");
    }
    let wrong = b.sign_in("not-the-token").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("not valid"));
    assert!(
        !wrong.body.contains("not-the-token"),
        "a refused token is never echoed"
    );
    let signed = b.sign_in(ADMIN_TOKEN).await;
    assert_eq!(signed.status, 303);
    let page = b.get("/models").await;
    assert!(page.body.contains("Signed in as operator"));
    assert!(
        !page.body.contains(ADMIN_TOKEN),
        "the token never reaches the page"
    );
    // The old form's token was rotated at sign-in.
    let stale = b
        .post("/models/rollback", &[("csrf", &csrf), ("reason", "x")])
        .await;
    assert_eq!(stale.status, 403);

    let csrf = page.csrf();
    let promoted = b
        .post(
            "/models/promote",
            &[("csrf", &csrf), ("version", "v0002"), ("reason", "better")],
        )
        .await;
    assert_eq!(promoted.status, 303);
    let page = b.get("/models").await;
    assert!(page.body.contains("Promoted: v0002"), "{}", page.body);
    let aliases = artifact_store::Registry::open(stack.home.artifacts())
        .unwrap()
        .aliases()
        .unwrap();
    assert_eq!(aliases.production.unwrap().to_string(), "v0002");
    assert_eq!(served_version(&stack.predict_url).await, "v0002");
    assert!(page.body.contains("web-ui operator"));

    let rolled = b
        .post(
            "/models/rollback",
            &[("csrf", &csrf), ("reason", "false positives")],
        )
        .await;
    assert_eq!(rolled.status, 303);
    assert!(b.get("/models").await.body.contains("Rolled back: v0001"));
    assert_eq!(served_version(&stack.predict_url).await, "v0001");

    // The trainer is down: retraining says so.
    let retrain = b
        .post("/models/retrain", &[("csrf", &csrf), ("reason", "drift")])
        .await;
    assert_eq!(retrain.status, 303);
    assert!(b
        .get("/models")
        .await
        .body
        .contains("trainer is not reachable"));

    // Run a drift report now, with the session's token.
    let run = b.post("/monitoring/run", &[("csrf", &csrf)]).await;
    assert_eq!(run.status, 303);
    let page = b.get("/monitoring").await;
    assert!(page.body.contains("Report computed"), "{}", page.body);
    assert!(page.body.contains(r#"id="latest-report""#));
    assert!(page.body.contains(r#"<svg class="chart""#), "trend charts");
    let full = b.get("/monitoring/report.html").await;
    assert_eq!(full.status, 200);
    assert!(
        full.body.contains("Drift report"),
        "drift-monitor's own page"
    );

    let csrf = b.get("/").await.csrf();
    let out = b
        .post("/session/sign-out", &[("csrf", &csrf), ("back", "/")])
        .await;
    assert_eq!(out.status, 303);
    assert!(!b
        .get("/models")
        .await
        .body
        .contains("Signed in as operator"));
}

/// The version predict-api serves: the web UI asked it to reload before answering, so the new
/// one is served already (its own poll would take up to 200 ms more).
async fn served_version(predict_url: &str) -> String {
    let model: serde_json::Value = reqwest::get(format!("{predict_url}/model"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    model["model_version"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
