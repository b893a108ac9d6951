//! The service on a real loopback port: scheduled and on-demand reports, JSON, HTML, metrics,
//! admin token.

mod common;

use std::time::Duration;

use common::{serve, trained_home};
use demo_corpus::DemoOptions;
use drift_monitor::service::ServiceSettings;
use drift_monitor::{DriftConfig, WindowSpec};
use fraudloop_config::AdminToken;

async fn start(home: &std::path::Path) -> String {
    let settings = ServiceSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        home: home.to_path_buf(),
        admin_token: Some(AdminToken::new("drift-admin-token")),
        interval: Duration::from_secs(3600),
        window: WindowSpec {
            last_n: 1000,
            since: None,
        },
        config: DriftConfig::default(),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(drift_monitor::service::serve(
        settings,
        std::future::pending(),
        move |port| {
            let _ = tx.send(port);
        },
    ));
    format!("http://127.0.0.1:{}", rx.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_scheduled_and_on_demand_reports() {
    let (dir, home) = trained_home();
    serve(
        &home,
        DemoOptions {
            rows: 300,
            seed: 11,
            ..DemoOptions::default()
        },
        0,
    );
    let base = start(dir.path()).await;
    let client = reqwest::Client::new();

    // The first scheduled run starts at once.
    let mut latest = None;
    for _ in 0..100 {
        let r = client
            .get(format!("{base}/reports/latest"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            latest = Some(r.json::<serde_json::Value>().await.unwrap());
            break;
        }
        assert_eq!(r.status(), 404);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let latest = latest.expect("a scheduled report within 10 s");
    assert_eq!(latest["window"]["rows"], 300);
    assert_eq!(
        latest["schema_version"],
        drift_monitor::REPORT_SCHEMA_VERSION
    );

    let html = client
        .get(format!("{base}/reports/latest.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(
        html.to_lowercase().starts_with("<!doctype html>"),
        "{}",
        &html[..80.min(html.len())]
    );
    // Self-contained: message texts may quote links, but nothing is loaded from elsewhere.
    for attr in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(
            !html.contains(attr),
            "external resource ({attr}) in the HTML report"
        );
    }

    // Admin run needs the token.
    let denied = client
        .post(format!("{base}/admin/run"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let body: serde_json::Value = denied.json().await.unwrap();
    assert_eq!(body["error"]["code"], "missing_token", "{body}");
    let wrong = client
        .post(format!("{base}/admin/run"))
        .bearer_auth("nope-nope-nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_token", "{body}");
    serve(
        &home,
        DemoOptions {
            rows: 200,
            seed: 12,
            drifted: true,
            ..DemoOptions::default()
        },
        0,
    );
    let ran = client
        .post(format!("{base}/admin/run"))
        .bearer_auth("drift-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(ran.status(), 200);
    let report: serde_json::Value = ran.json().await.unwrap();
    assert_eq!(report["window"]["rows"], 500);

    let list: serde_json::Value = client
        .get(format!("{base}/reports"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names = list["reports"].as_array().unwrap();
    assert_eq!(names.len(), 2);
    let first = names[0].as_str().unwrap();
    let stored = client
        .get(format!("{base}/reports/{first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200);
    let history: serde_json::Value = client
        .get(format!("{base}/reports/history"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let points = history["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{history}");
    assert_eq!(points[0]["rows"], 300, "oldest first");
    assert_eq!(points[1]["rows"], 500);
    assert!(points[1]["text_drift_auc"].as_f64().unwrap() > 0.5);
    let escape = client
        .get(format!("{base}/reports/..%2Flatest.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(escape.status(), 404);

    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        "fraudloop_drift_share ",
        "fraudloop_drift_column_score{column=\"oov_rate\",test=\"wasserstein\"}",
        "fraudloop_text_drift_auc ",
        "fraudloop_risk_score_psi ",
        "fraudloop_model_performance{kind=\"estimated\",metric=\"f1\"}",
        "fraudloop_drift_window_rows{side=\"current\"} 500",
        "fraudloop_drift_runs_total{result=\"ok\"} 2",
        "fraudloop_drift_last_run_duration_seconds ",
    ] {
        assert!(metrics.contains(series), "missing {series} in\n{metrics}");
    }
}
