//! Resident memory of a process that loads a trained model, optionally after scoring one message.
//!
//!     rss_probe MODEL.tsv [none|en|zh|mixed] [--cjk jieba|bigram]
//!
//! MODEL.tsv is a trained model's parameters as plain text (bench/scale/model_json_to_tsv.py
//! writes it from a registry bundle's model.json): `#key<TAB>value` header lines
//! (threshold, intercept, sublinear_tf, cjk, ngram_min, ngram_max, stop_words, max_chars),
//! then one `term<TAB>idf<TAB>coefficient` line per feature, in feature order.
//! `--cjk` overrides the model's CJK mode (to see the memory of the other tokeniser; the
//! scores are then meaningless).
//!
//! Prints VmRSS/VmHWM (from /proc/self/status) at start, after the model is built, and after
//! `predict` on the message (`none`: no message). Each variant should run in its own process:
//! the jieba dictionary is loaded lazily, once per process, on the first CJK tokenisation.
//!
//!     cargo run --release -p text-model --example rss_probe -- model.tsv zh
use std::hint::black_box;

use text_model::{CjkMode, FraudModel, LogisticRegression, TfidfVectorizer, TokenizerConfig};

const EN: &str = "URGENT: Your Wells Fargo online banking account has been temporarily SUSPENDED \
due to unusual sign-in activity. Verify your identity within 24 hours at \
http://wellsfargo-secure-verify.top/login and confirm your card number and PIN.";
const ZH: &str = "【中国邮政】尊敬的客户您好，您的包裹因地址信息不完整已被暂扣，请在二十四小时内\
点击链接 http://ems-cn-track.top/addr 补充收件地址并支付2.9元重新派送费用，逾期包裹将被退回。";
const MIXED: &str = "Hi 王先生, your 顺丰快递 parcel is on hold at customs. 您需要支付关税 ¥58.00 \
才能放行, please pay here: http://sf-express-cn.top/pay 否则包裹将被退回.";

fn status() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb = |key: &str| -> u64 {
        s.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

fn report(stage: &str) -> (u64, u64) {
    let (rss, hwm) = status();
    println!(
        "{stage:<14} VmRSS {:>8.1} MiB  VmHWM {:>8.1} MiB",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    (rss, hwm)
}

fn load(path: &str, cjk_override: Option<CjkMode>) -> FraudModel {
    let raw = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut tokenizer = TokenizerConfig::default();
    let (mut threshold, mut intercept, mut sublinear) = (0.5, 0.0, true);
    let mut features = Vec::new();
    let mut idf = Vec::new();
    let mut coefficients = Vec::new();
    for line in raw.lines() {
        if let Some(header) = line.strip_prefix('#') {
            let (key, value) = header.split_once('\t').expect("#key<TAB>value");
            match key {
                "threshold" => threshold = value.parse().unwrap(),
                "intercept" => intercept = value.parse().unwrap(),
                "sublinear_tf" => sublinear = value == "true",
                "cjk" => {
                    tokenizer.cjk = match value {
                        "jieba" => CjkMode::Jieba,
                        "bigram" => CjkMode::Bigram,
                        other => panic!("unknown cjk mode {other}"),
                    }
                }
                "ngram_min" => tokenizer.ngram_min = value.parse().unwrap(),
                "ngram_max" => tokenizer.ngram_max = value.parse().unwrap(),
                "stop_words" => tokenizer.stop_words = value == "true",
                "max_chars" => tokenizer.max_chars = value.parse().unwrap(),
                _ => {}
            }
            continue;
        }
        let mut parts = line.rsplitn(3, '\t');
        let coef: f64 = parts.next().unwrap().parse().expect("coefficient");
        let w: f64 = parts.next().expect("idf").parse().expect("idf");
        let term = parts.next().expect("term");
        features.push(term.to_string());
        idf.push(w);
        coefficients.push(coef);
    }
    drop(raw);
    if let Some(mode) = cjk_override {
        tokenizer.cjk = mode;
    }
    let vectorizer =
        TfidfVectorizer::from_parts(tokenizer, features, idf, sublinear).expect("vectoriser");
    let classifier = LogisticRegression::from_parts(coefficients, intercept).expect("classifier");
    FraudModel::from_parts(vectorizer, classifier, threshold).expect("model")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let mut cjk = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cjk" => {
                cjk = Some(match it.next().map(String::as_str) {
                    Some("jieba") => CjkMode::Jieba,
                    Some("bigram") => CjkMode::Bigram,
                    other => panic!("--cjk jieba|bigram, got {other:?}"),
                })
            }
            _ => positional.push(a.clone()),
        }
    }
    let path = positional
        .first()
        .expect("usage: rss_probe MODEL.tsv [none|en|zh|mixed] [--cjk jieba|bigram]");
    let what = positional.get(1).map(String::as_str).unwrap_or("none");
    let text = match what {
        "none" => None,
        "en" => Some(EN),
        "zh" => Some(ZH),
        "mixed" => Some(MIXED),
        other => panic!("unknown message {other}"),
    };

    report("start");
    let model = load(path, cjk);
    let (rss0, _) = report("model loaded");
    println!(
        "model: {} terms, cjk {:?}",
        model.vectorizer().n_features(),
        model.vectorizer().tokenizer_config().cjk
    );
    if let Some(text) = text {
        let p = black_box(model.predict(black_box(text)));
        let (rss1, _) = report(&format!("after {what}"));
        println!(
            "score {:.4}; RSS delta of the first predict: {:+.1} MiB",
            p.score,
            (rss1 as f64 - rss0 as f64) / 1024.0
        );
    }
}
