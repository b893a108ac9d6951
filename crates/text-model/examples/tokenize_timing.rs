//! Times normalisation and tokenisation over texts in a NUL-separated file.
//! Usage: cargo run --release -p text-model --example tokenize_timing -- FILE
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: tokenize_timing FILE");
    let raw = std::fs::read_to_string(path).expect("readable UTF-8 file");
    let texts: Vec<&str> = raw.split('\0').collect();
    let config = text_model::TokenizerConfig::default();
    let t = Instant::now();
    text_model::tokenize("预热", &config);
    println!("jieba init: {:.3}s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let n: usize = texts
        .iter()
        .map(|x| text_model::normalize(x, config.max_chars).text.len())
        .sum();
    println!("normalize: {:.3}s ({n} bytes)", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let n: usize = texts
        .iter()
        .map(|x| text_model::tokenize(x, &config).unigrams.len())
        .sum();
    println!(
        "tokenize (single thread): {:.3}s ({n} tokens)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let corpus = text_model::Corpus::build(&texts, &config).unwrap();
    println!(
        "corpus build: {:.3}s ({} docs)",
        t.elapsed().as_secs_f64(),
        corpus.len()
    );
}
