//! The service on a real loopback port: scheduled and on-demand reports, JSON, HTML, metrics,
//! admin token.

mod common;

use std::time::Duration;

use common::{serve, trained_home};
use demo_corpus::DemoOptions;
use drift_monitor::service::{route_table, router, Application, ServiceSettings, ServiceState};
use drift_monitor::{DriftConfig, Retention, WindowSpec};
use fraudloop_config::AdminToken;

fn settings(home: &std::path::Path) -> ServiceSettings {
    ServiceSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        home: home.to_path_buf(),
        admin_token: Some(AdminToken::new("drift-admin-token")),
        interval: Duration::from_secs(3600),
        window: WindowSpec {
            last_n: 1000,
            max_age: None,
        },
        config: DriftConfig::default(),
        retention: Retention::default(),
    }
}

async fn start_with(settings: ServiceSettings) -> String {
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    base
}

async fn start(home: &std::path::Path) -> String {
    start_with(settings(home)).await
}

async fn admin_run(base: &str) -> serde_json::Value {
    let ran = reqwest::Client::new()
        .post(format!("{base}/admin/run"))
        .bearer_auth("drift-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(ran.status(), 200);
    ran.json().await.unwrap()
}

async fn metrics_text(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of one series in the Prometheus text format.
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

/// Every file and directory under `root` except `reports/`, with size and modification
/// time.
fn snapshot(root: &std::path::Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path == root.join("reports") {
                continue;
            }
            let meta = entry.metadata().unwrap();
            out.push((path.clone(), meta.len(), meta.modified().unwrap()));
            if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The window is counted back from each run, so a running service's window moves: rows
/// that were current become too old. And a report without enough data resets every gauge
/// that the previous report had set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_moves_and_every_report_resets_every_gauge() {
    let (dir, home) = trained_home();
    serve(
        &home,
        DemoOptions {
            rows: 300,
            seed: 21,
            drifted: true,
            ..DemoOptions::default()
        },
        0,
    );
    let mut settings = settings(dir.path());
    settings.window.max_age = Some(chrono::Duration::seconds(4));
    let base = start_with(settings).await;
    // The scheduled first run is under way; this one waits for it (one at a time).
    let first = admin_run(&base).await;
    assert_eq!(first["window"]["rows"], 300, "fresh rows are in the window");
    assert_eq!(first["text_drift"]["detected"], true, "{}", first["status"]);
    let text = metrics_text(&base).await;
    assert_eq!(series(&text, "fraudloop_text_drift_detected"), 1.0);
    assert!(series(&text, "fraudloop_text_drift_auc") > 0.5);

    tokio::time::sleep(Duration::from_millis(4500)).await;
    let second = admin_run(&base).await;
    assert_eq!(
        second["window"]["rows"], 0,
        "the rows aged out of the window"
    );
    assert_eq!(second["window"]["enough_data"], false);
    let text = metrics_text(&base).await;
    assert_eq!(
        series(&text, "fraudloop_text_drift_detected"),
        0.0,
        "{text}"
    );
    assert!(series(&text, "fraudloop_text_drift_auc").is_nan(), "{text}");
    assert_eq!(series(&text, "fraudloop_drift_dataset_detected"), 0.0);
    assert_eq!(series(&text, "fraudloop_drift_enough_data"), 0.0);
    assert!(series(&text, "fraudloop_risk_score_psi").is_nan(), "{text}");
}

/// After a restart the stored latest report is served at once (and sets the gauges), before
/// any new run; the monitor writes nothing outside `reports/`; old reports are removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_report_survives_a_restart_and_nothing_is_written_outside_reports() {
    let (dir, home) = trained_home();
    serve(
        &home,
        DemoOptions {
            rows: 200,
            seed: 22,
            ..DemoOptions::default()
        },
        0,
    );
    // The trainer leaves an empty staging folder; a reader must not recreate it.
    std::fs::remove_dir(home.artifacts().join(".staging")).unwrap();
    let before = snapshot(dir.path());
    let mut kept = settings(dir.path());
    kept.retention.max_reports = 2;
    let state = ServiceState::new(kept.clone()).await;
    for _ in 0..3 {
        state.run().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let latest = state.run().await.unwrap();
    assert_eq!(
        snapshot(dir.path()),
        before,
        "files changed outside reports/"
    );
    let stored: Vec<_> = std::fs::read_dir(home.reports())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.starts_with("report-"))
        .collect();
    assert_eq!(stored.len(), 2, "retention keeps two: {stored:?}");

    // A new process: nothing has run yet, the stored report is served.
    let restarted = ServiceState::new(kept).await;
    let app = fraudloop_http::testing::spawn_app(router(restarted)).await;
    let served: serde_json::Value = reqwest::get(app.url("/reports/latest"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["generated_at"], latest.value["generated_at"]);
    let html = reqwest::get(app.url("/reports/latest.html")).await.unwrap();
    assert_eq!(html.status(), 200);
    let text = metrics_text(&app.base_url).await;
    assert_eq!(
        series(&text, "fraudloop_drift_window_rows{side=\"current\"}"),
        200.0
    );
    let history: serde_json::Value = reqwest::get(app.url("/reports/history"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["points"].as_array().unwrap().len(), 2, "{history}");
}

/// Unknown paths, wrong methods and bad names answer in the error shape; a name that would
/// leave `reports/` is refused even when it looks like a report and the path exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_json_and_report_names_cannot_escape() {
    let (dir, home) = trained_home();
    serve(
        &home,
        DemoOptions {
            rows: 150,
            seed: 23,
            ..DemoOptions::default()
        },
        0,
    );
    let state = ServiceState::new(settings(dir.path())).await;
    state.run().await.unwrap();
    // A folder whose name passes for a report: `report-a/../../artifacts/aliases.json`
    // resolves to a real file unless the name is refused.
    std::fs::create_dir(home.reports().join("report-a")).unwrap();
    let app = fraudloop_http::testing::spawn_app(router(state)).await;
    let client = reqwest::Client::new();
    for (method, path, status, code) in [
        ("GET", "/nope", 404, "not_found"),
        ("DELETE", "/reports", 405, "method_not_allowed"),
        ("GET", "/admin/run", 405, "method_not_allowed"),
        (
            "GET",
            "/reports/report-a%2F..%2F..%2Fartifacts%2Faliases.json",
            404,
            "not_found",
        ),
        ("GET", "/reports/..%2Flatest.json", 404, "not_found"),
        ("GET", "/reports/%FF.json", 400, "invalid_path"),
    ] {
        let response = client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        assert!(response.headers().contains_key("x-request-id"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{method} {path}: {body}");
    }
}

/// The OpenAPI document lists exactly the routes the router serves, and the error codes.
#[test]
fn openapi_documents_every_route_and_error_code() {
    let doc: serde_json::Value = serde_json::from_str(drift_monitor::service::OPENAPI).unwrap();
    fraudloop_http::testing::assert_openapi_matches(&doc, &route_table());
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
