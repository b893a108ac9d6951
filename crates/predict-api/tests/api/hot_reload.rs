//! Hot reload under load: promotions and a rollback while clients hammer /predict; no request
//! fails and every response is exactly what the version it names would answer.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use artifact_store::ModelVersion;
use serde_json::{json, Value};
use text_model::FraudModel;

use crate::helpers::{model_async, publish, sample_texts, spawn_app, Recipe, BASE_RECIPE};

/// Versions 2-4: other corpus sizes and seeds, so scores genuinely differ from v0001's.
const RECIPES: [Recipe; 3] = [
    Recipe { rows: 400, seed: 2 },
    Recipe { rows: 500, seed: 3 },
    Recipe { rows: 700, seed: 4 },
];

const CLIENTS: usize = 8;

#[derive(Debug)]
struct Observed {
    text: String,
    response: Value,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotions_under_load_never_fail_or_mix_models() {
    let app = Arc::new(spawn_app().await);
    // Train the other versions before the load starts (cached per recipe).
    for recipe in RECIPES {
        model_async(recipe).await;
    }
    let base = model_async(BASE_RECIPE).await;
    let texts = Arc::new(sample_texts(240, 99));
    // The versions really differ on these texts.
    for recipe in RECIPES {
        let other = model_async(recipe).await;
        let differing = texts
            .iter()
            .filter(|t| (other.score(t) - base.score(t)).abs() > 1e-6)
            .count();
        assert!(
            differing > texts.len() / 2,
            "{recipe:?} differs from the base model on {differing} texts"
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (app, texts, stop) = (app.clone(), texts.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut observed = Vec::new();
            let mut failures = Vec::new();
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let text = texts[i % texts.len()].clone();
                i += CLIENTS;
                match app
                    .client
                    .post(app.url("/predict"))
                    .json(&json!({"text": text}))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => match r.json::<Value>().await {
                        Ok(response) => observed.push(Observed { text, response }),
                        Err(e) => failures.push(format!("unreadable body: {e}")),
                    },
                    Ok(r) => {
                        let status = r.status();
                        failures.push(format!("{status}: {}", r.text().await.unwrap_or_default()));
                    }
                    Err(e) => failures.push(format!("transport: {e}")),
                }
            }
            (observed, failures)
        }));
    }

    // Publish, promote and roll back every ~300 ms while the clients run.
    let registry = app.registry.clone();
    let v = ModelVersion::new;
    let started = Instant::now();
    let mut timeline: Vec<String> = Vec::new();
    let mut step =
        |name: String| timeline.push(format!("{:>5} ms {name}", started.elapsed().as_millis()));
    let promote = |version: ModelVersion| {
        let registry = registry.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                registry.promote(version, "test", "hot reload under load")
            })
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("promoting {version}: {e}"))
        }
    };
    let pause = || tokio::time::sleep(Duration::from_millis(300));
    pause().await;
    for (i, recipe) in RECIPES.iter().enumerate() {
        let version = publish(&registry, *recipe).await;
        assert_eq!(version, v(i as u32 + 2));
        promote(version).await;
        step(format!("promoted {version}"));
        pause().await;
        if i == 1 {
            let r = registry.clone();
            let event =
                tokio::task::spawn_blocking(move || r.rollback("test", "rollback under load"))
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(event.version, v(2));
            step("rolled back to v0002".into());
            pause().await;
        }
    }
    for n in [1, 3, 2, 4, 1, 3] {
        promote(v(n)).await;
        step(format!("promoted {}", v(n)));
        pause().await;
    }
    let final_version = registry.aliases().unwrap().production.unwrap();
    assert_eq!(final_version, v(3));
    stop.store(true, Ordering::Relaxed);

    let mut observed = Vec::new();
    let mut failures = Vec::new();
    for client in clients {
        let (o, f) = client.await.unwrap();
        observed.extend(o);
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} failed requests, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(
        observed.len() >= 100,
        "only {} requests in {:?}",
        observed.len(),
        started.elapsed()
    );

    // Re-score every response with the model of the version it names.
    let mut models: HashMap<String, Arc<FraudModel>> = HashMap::new();
    let mut expected: HashMap<(String, String), text_model::Prediction> = HashMap::new();
    let mut seen = BTreeSet::new();
    for Observed { text, response } in &observed {
        let version = response["model_version"]
            .as_str()
            .expect("model_version")
            .to_string();
        seen.insert(version.clone());
        if !models.contains_key(&version) {
            let r = app.registry.clone();
            let parsed: ModelVersion = version.parse().unwrap();
            let bundle = tokio::task::spawn_blocking(move || r.load(parsed))
                .await
                .unwrap()
                .unwrap();
            models.insert(version.clone(), Arc::new(bundle.model));
        }
        let model = &models[&version];
        let want = expected
            .entry((version.clone(), text.clone()))
            .or_insert_with(|| model.predict_explained(text, 5));
        let score = response["risk_score"].as_f64().unwrap();
        assert!(
            (score - want.score).abs() <= 1e-12,
            "{version} scored {text:?} {score}, its model says {}",
            want.score
        );
        assert_eq!(
            response["threshold"].as_f64(),
            Some(model.threshold()),
            "{version} threshold"
        );
        assert_eq!(
            response["label"],
            want.label.as_str(),
            "{version} label of {text:?}"
        );
        let terms = response["top_terms"].as_array().unwrap();
        assert_eq!(
            terms.len(),
            want.top_terms.len(),
            "{version} explanation of {text:?}"
        );
        for (got, want) in terms.iter().zip(&want.top_terms) {
            assert_eq!(
                got["term"],
                want.term.as_str(),
                "{version} explanation of {text:?}"
            );
            assert!((got["weight"].as_f64().unwrap() - want.weight).abs() <= 1e-12);
        }
    }
    assert!(
        seen.len() >= 2,
        "responses named only {seen:?}; timeline:\n{}",
        timeline.join("\n")
    );
    eprintln!(
        "hot reload: {} requests, {} versions seen {seen:?}, {} reloads in {:?}",
        observed.len(),
        seen.len(),
        timeline.len(),
        started.elapsed()
    );

    // After the load, the service settles on the final production version.
    app.wait_for_version(&final_version.to_string(), Duration::from_secs(5))
        .await;
    let metrics = app.metrics().await;
    assert!(
        !metrics.contains("fraudloop_model_reloads_total{result=\"failed\"}"),
        "no reload failed:\n{metrics}"
    );
}
