//! Delivery by SMTP to a real SMTP server (an in-test sink), and by webhook.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::helpers::{json_with_status, spawn_agent, spawn_predict_api, token_of, SCAM_TEXT};
use crate::smtp_sink::SmtpSink;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_is_mailed_and_its_link_works() {
    let predict = spawn_predict_api().await;
    let sink = SmtpSink::start().await;
    let agent = spawn_agent(&predict.url, None, |s, _| {
        s.smtp_host = Some("127.0.0.1".into());
        s.smtp_port = sink.port;
        s.smtp_tls = "none".into();
        s.default_channel = "email".into();
    })
    .await;
    let notice = json_with_status(
        agent
            .post("/notify", &json!({"text": "您的包裹因地址不详被扣留，请点击 http://sf-express-help.top/x 补缴运费", "contact": {"email": "li.lei@mail.example", "name": "李雷"}}))
            .await,
        201,
    )
    .await;
    assert_eq!(notice["delivery"]["status"], "sent", "{notice}");
    assert_eq!(notice["delivery"]["detail"], "SMTP 250");
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["li.lei@mail.example"]);
    assert!(mails[0].from.contains("fraud-alerts@lakeshorebank.example"));
    let parsed = mail_parser::MessageParser::default()
        .parse(mails[0].data.as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), notice["notice"]["subject"].as_str());
    let body = parsed.body_text(0).unwrap();
    let confirm = notice["links"]["confirm"].as_str().unwrap();
    assert!(body.contains(confirm), "{body}");
    assert!(body.starts_with("李雷，您好"), "{body}");

    // The mailed link leads to the page, and the page's POST records.
    let page = agent.client.get(agent.local(confirm)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        agent.answer(&token_of(confirm), "confirm").await.status(),
        200
    );
    assert_eq!(predict.feedback().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_goes_to_the_webhook() {
    let predict = spawn_predict_api().await;
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let kept = got.clone();
    let hook = fraudloop_http::testing::spawn_app(Router::new().route(
        "/webhook/notice",
        post(move |Json(body): Json<Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                "ok"
            }
        }),
    ))
    .await;
    let url = hook.url("/webhook/notice");
    let agent = spawn_agent(&predict.url, None, |s, _| s.webhook_url = Some(url)).await;
    let notice = json_with_status(
        agent
            .post("/notify", &json!({"text": SCAM_TEXT, "channel": "webhook", "contact": {"email": "a@mail.example"}}))
            .await,
        201,
    )
    .await;
    assert_eq!(notice["delivery"]["status"], "sent", "{notice}");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["to"], "a@mail.example");
    assert_eq!(got[0]["links"], notice["links"]);
    assert!(got[0]["text"]
        .as_str()
        .unwrap()
        .contains(notice["links"]["dispute"].as_str().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_notifies_new_high_risk_predictions_once_per_contact() {
    let predict = spawn_predict_api().await;
    let home = predict.home.clone();
    let agent = crate::helpers::spawn_agent(&predict.url, Some(&home), |s, _| {
        s.auto_threshold = Some(0.5);
        s.auto_interval_ms = 100;
    })
    .await;
    let client = reqwest::Client::new();
    let predict_with = |text: &'static str, meta: Value| {
        let client = client.clone();
        let url = format!("{}/predict", predict.url);
        async move {
            let r = client
                .post(url)
                .json(&json!({"text": text, "meta": meta}))
                .send()
                .await
                .unwrap();
            json_with_status(r, 200).await
        }
    };
    let contact = json!({"contact": {"email": "auto@mail.example", "locale": "en"}});
    let scored = predict_with(SCAM_TEXT, contact.clone()).await;
    assert!(scored["risk_score"].as_f64().unwrap() >= 0.5, "{scored}");
    predict_with(SCAM_TEXT, contact.clone()).await; // the same message again: one notice
    predict_with(
        "hey, are we still on for lunch tomorrow? I'll bring the notes",
        contact,
    )
    .await;
    predict_with(SCAM_TEXT, json!({"source": "no contact"})).await;
    let mut entries = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let outbox = json_with_status(
            agent
                .client
                .get(format!("{}/outbox", agent.url))
                .bearer_auth(crate::helpers::ADMIN_TOKEN)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        entries = outbox["entries"].as_array().unwrap().clone();
        if !entries.is_empty() {
            // A little longer, so a second (wrong) notice would show.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            break;
        }
    }
    let outbox = json_with_status(
        agent
            .client
            .get(format!("{}/outbox", agent.url))
            .bearer_auth(crate::helpers::ADMIN_TOKEN)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let entries_now = outbox["entries"].as_array().unwrap();
    assert!(!entries.is_empty(), "no notice within 10 s");
    assert_eq!(entries_now.len(), 1, "{outbox}");
    assert_eq!(entries_now[0]["to"], "auto@mail.example");
}
