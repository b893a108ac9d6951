//! Checks that the corpus is neither trivial nor hopeless for the product's own model: trains
//! the TF-IDF + logistic-regression model of `text-model` on 5000 normal rows and reports held-out
//! F1, then scores a drifted batch to show that drift costs recall.
//!
//! Only built with the `model-check` feature, because it trains a real model (about half a
//! minute in a debug build) and depends on another crate's numerics. Run it with
//! `cargo test -p demo-corpus --features model-check --test model_quality -- --nocapture`.

use demo_corpus::{generate, DemoOptions, Label, DRIFT_THEMES};
use text_model::{
    stratified_split, train_cross_validated, Corpus, TrainingConfig, TrainingOutcome,
};

fn train(options: &DemoOptions) -> TrainingOutcome {
    let messages = generate(options);
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    let labels: Vec<bool> = messages.iter().map(|m| m.label == Label::Fraud).collect();
    let config = TrainingConfig::default();
    let corpus = Corpus::build(&texts, &config.tokenizer).unwrap();
    let (train, test) = stratified_split(&labels, config.test_size, config.seed);
    train_cross_validated(&corpus, &labels, &train, &test, &config, &|_| {}).unwrap()
}

#[test]
fn tfidf_logistic_regression_is_good_but_not_perfect() {
    // Without label noise the remaining errors come from the look-alike templates alone.
    let clean = train(&DemoOptions {
        label_noise: 0.0,
        ..DemoOptions::default()
    });
    let clean_metrics = clean.test_metrics.expect("a test split was given");
    println!("held-out metrics without label noise: {clean_metrics:?}");
    assert!(
        clean_metrics.f1 < 0.999,
        "the corpus is trivially separable"
    );

    let outcome = train(&DemoOptions::default());
    let metrics = outcome.test_metrics.expect("a test split was given");
    println!("held-out metrics on the normal batch: {metrics:?}");
    assert!(
        (0.90..=0.995).contains(&metrics.f1),
        "F1 {} is outside the intended 0.90-0.995 band",
        metrics.f1
    );

    // The drifted batch's new fraud should be caught less often than the familiar kind.
    let drifted = generate(&DemoOptions {
        seed: 7,
        drifted: true,
        label_noise: 0.0,
        ..DemoOptions::default()
    });
    let threshold = outcome.model.threshold();
    let recall = |keep: &dyn Fn(&&demo_corpus::DemoMessage) -> bool| {
        let rows: Vec<_> = drifted
            .iter()
            .filter(|m| m.label == Label::Fraud)
            .filter(keep)
            .collect();
        let caught = rows
            .iter()
            .filter(|m| outcome.model.score(&m.text) >= threshold)
            .count();
        caught as f64 / rows.len() as f64
    };
    let new_recall = recall(&|m| DRIFT_THEMES.contains(&m.theme));
    let old_recall = recall(&|m| !DRIFT_THEMES.contains(&m.theme));
    println!(
        "recall on drifted batch: familiar themes {old_recall:.3}, new themes {new_recall:.3}"
    );
    assert!(new_recall < old_recall, "drift should cost recall");
}
