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
