//! Scores the messages of a file with a registry's production model, over and over: a fixed
//! workload for instruction-count profiles of the scoring path.
//!
//!     score_profile REGISTRY_DIR MESSAGES_FILE [ROUNDS]
//!
//! MESSAGES_FILE holds one message per line. Every round scores each line once with
//! `predict_explained` (what predict-api does per request), so under
//! `valgrind --tool=callgrind` the cost per message is the total over `ROUNDS × lines`.
//!
//!     valgrind --tool=callgrind target/release/examples/score_profile home/registry msgs.txt 200
//!
//! `SCORE_PROFILE_STEP=normalize` or `=tokenize` profiles only that step.
use std::hint::black_box;

use artifact_store::Registry;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: score_profile REGISTRY_DIR MESSAGES_FILE [ROUNDS]";
    let registry = Registry::open(args.next().ok_or(usage)?)?;
    let messages = std::fs::read_to_string(args.next().ok_or(usage)?)?;
    let rounds: usize = args.next().map_or(Ok(100), |r| r.parse())?;
    let bundle = registry.load_production()?;
    let lines: Vec<&str> = messages.lines().filter(|l| !l.trim().is_empty()).collect();
    // SCORE_PROFILE_STEP=normalize|tokenize runs only that part of scoring.
    let step = std::env::var("SCORE_PROFILE_STEP").unwrap_or_default();
    let config = bundle.model.vectorizer().tokenizer_config().clone();
    let mut fraud = 0usize;
    for _ in 0..rounds {
        for line in &lines {
            match step.as_str() {
                "normalize" => {
                    black_box(text_model::normalize(black_box(line), config.max_chars));
                }
                "tokenize" => {
                    black_box(text_model::tokenize(black_box(line), &config));
                }
                _ => {
                    let prediction = bundle.model.predict_explained(black_box(line), 5);
                    fraud += usize::from(prediction.label == text_model::Label::Fraud);
                }
            }
        }
    }
    println!(
        "{} messages x {rounds} rounds scored, {fraud} fraud",
        lines.len()
    );
    Ok(())
}
