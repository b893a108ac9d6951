//! Times the steps of normalisation and tokenisation of one message, many times over.
//! Usage: cargo run --release -p text-model --example tokenize_timing -- FILE
use std::time::Instant;

fn time(label: &str, n: u32, mut f: impl FnMut()) {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    println!(
        "{label:<28} {:>8.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: tokenize_timing FILE");
    let text = std::fs::read_to_string(path).expect("readable UTF-8 file");
    let config = text_model::TokenizerConfig::default();
    let n = 20_000;
    let normalized = text_model::normalize(&text, config.max_chars);
    time("normalize", n, || {
        std::hint::black_box(text_model::normalize(&text, config.max_chars));
    });
    time("to_lowercase", n, || {
        std::hint::black_box(text.to_lowercase());
    });
    time("nfkc quick check", n, || {
        std::hint::black_box(unicode_normalization::is_nfkc_quick(text.chars()));
    });
    time("unigrams (bigram mode)", n, || {
        let mut spans = Vec::new();
        text_model::tokenize::unigram_spans(&normalized.text, &config, &mut spans);
        std::hint::black_box(spans);
    });
    time("tokenize", n, || {
        std::hint::black_box(text_model::tokenize(&text, &config));
    });
}
