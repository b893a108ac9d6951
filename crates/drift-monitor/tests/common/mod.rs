//! Shared set-up: a home with a trained model, and production logs written as predict-api
//! writes them.
#![allow(dead_code)]

use std::collections::BTreeMap;

use artifact_store::Registry;
use demo_corpus::{generate, write_csv, DemoOptions};
use fraudloop_config::Home;
use prod_data::{FeedbackLog, FeedbackRecord, PredictionLog, PredictionRecord, SCHEMA_VERSION};
use text_model::DESCRIPTOR_COLUMNS;

pub fn trained_home() -> (tempfile::TempDir, Home) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let data = home.root().join("train.csv");
    let messages = generate(&DemoOptions {
        rows: 3000,
        seed: 42,
        ..DemoOptions::default()
    });
    write_csv(&messages, std::fs::File::create(&data).unwrap()).unwrap();
    let registry = Registry::open(home.artifacts()).unwrap();
    let args = trainer::train::TrainArgs {
        data,
        test_data: None,
        text_col: "text".into(),
        label_col: "label".into(),
        config: text_model::TrainingConfig::default(),
        progress: false,
    };
    trainer::train::train(&registry, &args).unwrap();
    (dir, home)
}

/// Scores messages with the production model and logs them as predict-api does; labels the
/// first `labelled` of them with their true labels.
pub fn serve(home: &Home, options: DemoOptions, labelled: usize) {
    serve_messages(home, generate(&options), options.seed, labelled);
}

/// [`serve`] for given messages; `batch` keeps their prediction ids apart from other batches'.
pub fn serve_messages(
    home: &Home,
    messages: Vec<demo_corpus::DemoMessage>,
    batch: u64,
    labelled: usize,
) {
    let bundle = Registry::open(home.artifacts())
        .unwrap()
        .load_production()
        .unwrap();
    let log = PredictionLog::open(&home.data(), "test", 100_000).unwrap();
    let feedback = FeedbackLog::open(&home.data(), "test").unwrap();
    for (i, m) in messages.into_iter().enumerate() {
        let p = bundle.model.predict(&m.text);
        let id = format!("{batch}-{i}");
        let descriptors: BTreeMap<String, f64> = DESCRIPTOR_COLUMNS
            .iter()
            .zip(p.descriptors.values())
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        log.log(&PredictionRecord {
            schema: SCHEMA_VERSION,
            prediction_id: id.clone(),
            at: chrono::Utc::now(),
            instance: "test".into(),
            model_version: bundle.manifest.version.to_string(),
            text: m.text.clone(),
            client_id: None,
            channel: None,
            meta: None,
            risk_score: p.score,
            predicted_label: p.label.to_string(),
            threshold: bundle.model.threshold(),
            risk_level: "low".into(),
            descriptors,
            latency_us: 1,
        });
        if i < labelled {
            feedback
                .append(&FeedbackRecord {
                    schema: SCHEMA_VERSION,
                    feedback_id: format!("f-{id}"),
                    at: chrono::Utc::now(),
                    instance: "test".into(),
                    prediction_id: Some(id),
                    text: m.text,
                    label: m.label.as_str().into(),
                    source: "operator".into(),
                    contact: None,
                    comment: None,
                    model_version: None,
                    risk_score: Some(p.score),
                })
                .unwrap();
        }
    }
    log.flush();
}
