//! A corrupt bundle promoted behind the registry's back is refused; the current model keeps
//! serving.

use std::time::Duration;

use artifact_store::ModelVersion;
use serde_json::json;

use crate::helpers::{json_with_status, publish, spawn_app, Recipe, ADMIN_TOKEN, SCAM_TEXT};

fn failed_reloads(metrics: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("fraudloop_model_reloads_total{result=\"failed\"} "))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_production_bundle_is_refused_and_v0001_keeps_serving() {
    let app = spawn_app().await;
    let before = app.predict(SCAM_TEXT).await;
    assert_eq!(before["model_version"], "v0001");

    let version = publish(&app.registry, Recipe { rows: 400, seed: 2 }).await;
    assert_eq!(version, ModelVersion::new(2));
    let model_json = app.registry.bundle_dir(version).join("model.json");
    let mut bytes = std::fs::read(&model_json).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&model_json, bytes).unwrap();
    // The registry itself refuses to promote it...
    assert!(app.registry.promote(version, "test", "corrupt").is_err());
    // ...so point production at it by hand (atomically, as a confused operator's tool might).
    let aliases = app.registry.aliases_path();
    let tmp = aliases.with_extension("tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(&json!({"production": "v0002", "previous": "v0001"})).unwrap(),
    )
    .unwrap();
    std::fs::rename(&tmp, &aliases).unwrap();
    assert_eq!(app.registry.aliases().unwrap().production, Some(version));

    let response = app
        .client
        .post(app.url("/admin/reload"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    assert!(body.contains("\"model_refused\""), "{body}");
    // The cause names the bundle's files by absolute path; the answer must not.
    let home = app.home.display().to_string();
    assert!(
        !body.contains(&home) && !body.contains("/models/"),
        "an admin error shows a path: {body}"
    );

    // Give the poller a few rounds too: it must not swap in the corrupt model either.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let model = app.model_info().await;
    assert_eq!(model["model_version"], "v0001");
    let ready = json_with_status(app.get("/ready").await, 200).await;
    assert_eq!(ready["model_version"], "v0001");
    let metrics = app.metrics().await;
    assert!(
        failed_reloads(&metrics) >= 1.0,
        "a failed reload is counted:\n{metrics}"
    );
    assert!(
        metrics.contains("fraudloop_model_info{version=\"v0001\"} 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("fraudloop_model_info{version=\"v0002\"}"),
        "{metrics}"
    );

    for _ in 0..5 {
        let after = app.predict(SCAM_TEXT).await;
        assert_eq!(after["model_version"], "v0001");
        assert_eq!(after["risk_score"], before["risk_score"]);
    }

    // Repairing production (back to a good bundle) is picked up again.
    let good = publish(&app.registry, Recipe { rows: 500, seed: 3 }).await;
    assert_eq!(good, ModelVersion::new(3));
    app.registry.promote(good, "test", "fixed").unwrap();
    app.wait_for_version("v0003", Duration::from_secs(5)).await;
    assert_eq!(app.predict(SCAM_TEXT).await["model_version"], "v0003");
}

/// A corrupt `aliases.json` is a failed reload like a corrupt bundle: counted, answered in
/// the error shape (without the file's path), and the current model keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_aliases_file_is_counted_and_v0001_keeps_serving() {
    let app = spawn_app().await;
    assert_eq!(app.predict(SCAM_TEXT).await["model_version"], "v0001");
    let before = failed_reloads(&app.metrics().await);
    std::fs::write(app.registry.aliases_path(), b"{\"production\": \"v00").unwrap();

    // The poller (every 100 ms here) meets the corrupt file a few times.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let metrics = app.metrics().await;
    assert!(
        failed_reloads(&metrics) >= before + 2.0,
        "each failed read is counted:\n{metrics}"
    );
    let response = app
        .client
        .post(app.url("/admin/reload"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = json_with_status(response, 409).await;
    assert_eq!(body["error"]["code"], "registry_unreadable", "{body}");
    let message = body["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("v0001"), "{message}");
    assert!(!message.contains('/'), "no path in the answer: {message}");
    assert_eq!(app.predict(SCAM_TEXT).await["model_version"], "v0001");
    assert_eq!(
        json_with_status(app.get("/ready").await, 200).await["model_version"],
        "v0001"
    );
}
