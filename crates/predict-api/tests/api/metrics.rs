//! `/metrics`: the Prometheus text format with the service's series.

use std::io::Write;
use std::process::{Command, Stdio};

use regex::Regex;
use serde_json::json;

use crate::helpers::{json_with_status, spawn_app, BENIGN_TEXT, SCAM_TEXT};

/// Checks the text exposition format line by line.
fn check_exposition(text: &str) {
    let sample = Regex::new(
        r#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*,?\})? (([+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?)|[+-]Inf|NaN)( -?[0-9]+)?$"#,
    )
    .unwrap();
    let help = Regex::new(r"^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$").unwrap();
    let kind = Regex::new(
        r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$",
    )
    .unwrap();
    let mut typed = std::collections::HashSet::new();
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    for line in text.lines() {
        if line.starts_with("# HELP ") {
            assert!(help.is_match(line), "bad HELP line: {line:?}");
        } else if line.starts_with("# TYPE ") {
            let caps = kind
                .captures(line)
                .unwrap_or_else(|| panic!("bad TYPE line: {line:?}"));
            assert!(
                typed.insert(caps[1].to_string()),
                "TYPE declared twice: {line:?}"
            );
        } else if line.starts_with('#') {
            continue;
        } else {
            assert!(sample.is_match(line), "bad sample line: {line:?}");
            let name = line.split(['{', ' ']).next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|base| typed.contains(*base)))
                .unwrap_or(name);
            assert!(
                typed.contains(family),
                "sample before its TYPE line: {line:?}"
            );
        }
    }
}

fn value_of(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_valid_prometheus_text_with_the_service_series() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.predict(SCAM_TEXT).await;
    }
    let benign = app.predict(BENIGN_TEXT).await;
    json_with_status(
        app.post_json(
            "/feedback",
            &json!({"prediction_id": benign["prediction_id"], "label": "fraud"}),
        )
        .await,
        201,
    )
    .await;
    let response = app.post_json("/predict", &json!({"text": ""})).await;
    assert_eq!(response.status(), 422);
    let _ = app.get("/nope").await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(content_type.contains("version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    check_exposition(&text);

    assert_eq!(
        value_of(
            &text,
            r#"http_requests_total{method="POST",route="/predict",status="200"}"#
        ),
        4.0
    );
    assert_eq!(
        value_of(
            &text,
            r#"http_requests_total{method="POST",route="/predict",status="422"}"#
        ),
        1.0
    );
    assert_eq!(
        value_of(
            &text,
            r#"http_requests_total{method="POST",route="/feedback",status="201"}"#
        ),
        1.0
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_request_duration_seconds_bucket{method="POST",route="/predict",le="+Inf"} 5"#
        ),
        "{text}"
    );
    assert_eq!(
        value_of(
            &text,
            r#"http_request_duration_seconds_count{method="POST",route="/predict"}"#
        ),
        5.0
    );
    let predictions: f64 = text
        .lines()
        .filter(|l| l.starts_with("fraudloop_predictions_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(predictions, 4.0, "{text}");
    assert_eq!(value_of(&text, r#"fraudloop_risk_score_count"#), 4.0);
    assert_eq!(
        value_of(&text, r#"fraudloop_model_info{version="v0001"}"#),
        1.0
    );
    assert_eq!(
        value_of(
            &text,
            r#"fraudloop_feedback_total{label="fraud",source="user"}"#
        ),
        1.0
    );
    assert_eq!(
        value_of(&text, r#"fraudloop_model_reloads_total{result="ok"}"#),
        1.0
    );
    assert!(value_of(&text, "fraudloop_feedback_log_records_total") >= 1.0);

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

/// Requests are labelled by route: every route of the router by its path (whatever the
/// method and status), anything else as `unmatched`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_labelled_by_route() {
    let app = spawn_app().await;
    for route in predict_api::route_table().paths() {
        for response in [app.get(route).await, app.post_json(route, &json!({})).await] {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert!(
                !(status == 404 && body.contains("\"not_found\"")),
                "{route} is not routed: {body}"
            );
        }
    }
    let _ = app.get("/predict/").await;
    let _ = app.get("/Predict").await;
    // Any token is a method: made-up ones share one label instead of adding series.
    for method in ["FUZZA", "FUZZB"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.client.request(method, app.url("/predict")).send().await;
        assert_eq!(response.unwrap().status(), 405);
    }
    let text = app.metrics().await;
    assert!(!text.contains("FUZZ"), "{text}");
    assert_eq!(
        value_of(
            &text,
            r#"http_requests_total{method="OTHER",route="/predict",status="405"}"#
        ),
        2.0
    );
    assert_eq!(
        value_of(
            &text,
            r#"http_requests_total{method="GET",route="/predict",status="405"}"#
        ),
        1.0
    );
    assert_eq!(
        value_of(
            &text,
            r#"http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        2.0
    );
    for route in predict_api::route_table().paths() {
        assert!(
            text.contains(&format!(r#"route="{route}""#)),
            "no series for {route}:\n{text}"
        );
    }
}
