//! In-process scoring latency of one ~400-character message, and jieba vs character bigrams.
//!
//!     cargo bench -p text-model --bench scoring
//!     cargo bench -p text-model --bench scoring -- predict/    # one group (criterion filter)
//!
//! Setup (not timed by criterion, reported on stderr): a model is trained from the demo corpus
//! (`demo_corpus::DemoOptions::default()`: 5000 rows, 30% fraud, 40% Chinese, 1% label noise)
//! with the default `TrainingConfig` (1–2-grams, 40k features, 5-fold CV, max-F1 threshold),
//! once with `CjkMode::Bigram` (the default) and once with `CjkMode::Jieba`, on the same
//! stratified 80/20 split. For each mode it prints the held-out F1 (all rows and Chinese rows
//! only), the vocabulary size and the training time, for the split seeds in
//! `SCORING_BENCH_SEEDS` (comma-separated, default `42,7,2024`; the first one's models are
//! the ones benchmarked).
//!
//! Groups:
//! - `predict/{en,zh,mixed}`: `FraudModel::predict` (score + top terms + descriptors), default
//!   (bigram) model.
//! - `score/{en,zh,mixed}`: `FraudModel::score` (probability only), default (bigram) model.
//! - `cjk_mode/{predict,score}_{jieba,bigram}`: the Chinese message with each mode's own model.
//! - Before the criterion groups, a *paired* run (stderr, "paired:" lines) times the same
//!   operations interleaved, in blocks of `SCORING_BENCH_BLOCK` calls (default 50) for
//!   `SCORING_BENCH_ROUNDS` rounds (default 200), and prints each one's median per-call time
//!   over the rounds. On a shared, noisy machine this keeps the comparison side by side: every
//!   variant sees the same load, where criterion's groups run minutes apart.
//! - `normalize/...` and `tokenize/...`: `text_model::normalize` (HTML, NFKC, lowercase,
//!   placeholder regex) and `text_model::tokenize` (normalise + segment + stop words) alone,
//!   to show where the time of a prediction goes.
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use demo_corpus::{DemoOptions, Language};
use text_model::{
    normalize, stratified_split, tokenize, train_cross_validated, BinaryMetrics, CjkMode, Corpus,
    FraudModel, TokenizerConfig, TrainingConfig,
};

/// ~400 characters: a bank-impersonation / phishing SMS-email hybrid.
const EN: &str = "URGENT: Your Wells Fargo online banking account has been temporarily SUSPENDED \
due to unusual sign-in activity from a new device. To avoid permanent closure, verify your \
identity within 24 hours at http://wellsfargo-secure-verify.top/login and confirm your card \
number, PIN and the one-time code we sent to +1 415 555 0199. A refund of $1,250.00 is pending \
and will be released after verification. Do not ignore this notice.";

/// ~400 characters of Chinese: parcel fee + "safe account" + prize scam.
const ZH: &str = "【中国邮政】尊敬的客户您好，您的包裹因地址信息不完整已被暂扣在本市转运中心，\
请在二十四小时内点击链接 http://ems-cn-track.top/addr 补充收件地址并支付2.9元重新派送费用，\
逾期包裹将被退回寄件人并产生额外的仓储费用。另外，系统检测到您的银行卡存在异常交易记录，\
为保障您的资金安全，请立即联系客服专员王经理，电话 400 820 1234，按照提示将卡内资金转入\
安全账户进行验证，验证完成后资金将在三十分钟内原路退回。温馨提示：为了加快处理速度，\
请将收到的六位数验证码回复给我们，以便尽快完成身份核验。您还可以领取一张面值一百元的\
购物优惠券，名额有限，先到先得，活动仅限今日有效，请尽快点击链接领取，过期作废。\
恭喜您被选为本月的幸运用户，可免费参加抽奖，奖品包括最新款手机和现金红包，\
请于今晚十二点前完成登记，逾期视为自动放弃。如有疑问请回复本短信或拨打客服热线咨询。";

/// ~400 characters of English/Chinese code-mixing.
const MIXED: &str = "Hi 王先生, your 顺丰快递 parcel SF1234567890 is on hold at customs. \
您需要支付关税 ¥58.00 才能放行, please pay within 24 hours here: http://sf-express-cn.top/pay \
否则包裹将被退回. Also 您的积分 3,200 points will expire tonight, 立即兑换 gift cards at the \
link. 如有疑问请联系客服 WhatsApp +86 138 0013 8000. 温馨提示: do not share your 验证码 with \
anyone except our official agent. 请尽快点击链接 to confirm your address. Reply STOP to \
unsubscribe. Thank you 谢谢!";

struct Trained {
    model: FraudModel,
    f1: f64,
    f1_zh: f64,
    n_features: usize,
    seconds: f64,
}

fn train(texts: &[&str], labels: &[bool], chinese: &[bool], cjk: CjkMode, seed: u64) -> Trained {
    let mut config = TrainingConfig::default();
    config.tokenizer.cjk = cjk;
    config.seed = seed;
    let started = Instant::now();
    let corpus = Corpus::build(texts, &config.tokenizer).expect("corpus");
    let (train_rows, test_rows) = stratified_split(labels, config.test_size, config.seed);
    let outcome = train_cross_validated(&corpus, labels, &train_rows, &test_rows, &config, &|_| {})
        .expect("training");
    let seconds = started.elapsed().as_secs_f64();
    let threshold = outcome.model.threshold();
    let f1 = outcome.test_metrics.as_ref().expect("test rows").f1;
    let zh_rows: Vec<usize> = test_rows.iter().copied().filter(|&r| chinese[r]).collect();
    let actual: Vec<bool> = zh_rows.iter().map(|&r| labels[r]).collect();
    let scores: Vec<f64> = zh_rows.iter().map(|&r| outcome.scores[r]).collect();
    let f1_zh = BinaryMetrics::compute(&actual, &scores, threshold).f1;
    Trained {
        n_features: outcome.model.vectorizer().n_features(),
        model: outcome.model,
        f1,
        f1_zh,
        seconds,
    }
}

fn seeds() -> Vec<u64> {
    let raw = std::env::var("SCORING_BENCH_SEEDS").unwrap_or_else(|_| "42,7,2024".into());
    let seeds: Vec<u64> = raw
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("SCORING_BENCH_SEEDS: comma-separated integers")
        })
        .collect();
    assert!(!seeds.is_empty(), "SCORING_BENCH_SEEDS is empty");
    seeds
}

/// Trains both modes for every seed, prints the quality table, returns the first seed's models.
fn setup() -> (FraudModel, FraudModel) {
    for (name, text) in [("en", EN), ("zh", ZH), ("mixed", MIXED)] {
        eprintln!(
            "message {name}: {} chars, {} bytes",
            text.chars().count(),
            text.len()
        );
    }
    // First jieba use loads its dictionary (lazily, once per process): time it separately.
    let jieba = TokenizerConfig {
        cjk: CjkMode::Jieba,
        ..TokenizerConfig::default()
    };
    let t = Instant::now();
    black_box(tokenize("预热", &jieba));
    eprintln!(
        "jieba dictionary load (first CJK tokenisation): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let options = DemoOptions::default();
    let messages = demo_corpus::generate(&options);
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    let labels: Vec<bool> = messages.iter().map(|m| m.label.is_fraud()).collect();
    let chinese: Vec<bool> = messages
        .iter()
        .map(|m| m.language == Language::Chinese)
        .collect();
    eprintln!(
        "demo corpus: {} rows, {} fraud, {} Chinese (seed {}, label noise {})",
        texts.len(),
        labels.iter().filter(|&&l| l).count(),
        chinese.iter().filter(|&&c| c).count(),
        options.seed,
        options.label_noise
    );
    eprintln!("mode    split_seed  test_F1  test_F1_zh  n_features  train_s");
    let mut first = None;
    let mut sums = [[0.0f64; 2]; 2];
    let seeds = seeds();
    for &seed in &seeds {
        let mut pair = Vec::new();
        for (m, (name, mode)) in [("jieba", CjkMode::Jieba), ("bigram", CjkMode::Bigram)]
            .into_iter()
            .enumerate()
        {
            let t = train(&texts, &labels, &chinese, mode, seed);
            eprintln!(
                "{name:<7} {seed:>10}  {:>7.4}  {:>10.4}  {:>10}  {:>7.2}",
                t.f1, t.f1_zh, t.n_features, t.seconds
            );
            sums[m][0] += t.f1;
            sums[m][1] += t.f1_zh;
            pair.push(t.model);
        }
        if first.is_none() {
            let bigram = pair.pop().unwrap();
            let jieba = pair.pop().unwrap();
            first = Some((jieba, bigram));
        }
    }
    let n = seeds.len() as f64;
    for (m, name) in ["jieba", "bigram"].iter().enumerate() {
        eprintln!(
            "{name:<7} {:>10}  {:>7.4}  {:>10.4}",
            "mean",
            sums[m][0] / n,
            sums[m][1] / n
        );
    }
    first.unwrap()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| v.parse().expect("positive integer"))
}

/// Interleaved timing: each round runs every case for one block of calls; prints the median
/// per-call time over the rounds and its ratio to the first case.
fn paired(title: &str, cases: &[(&str, &dyn Fn())]) {
    let rounds = env_usize("SCORING_BENCH_ROUNDS", 200);
    let block = env_usize("SCORING_BENCH_BLOCK", 50);
    let mut samples = vec![Vec::with_capacity(rounds); cases.len()];
    for (_, f) in cases {
        for _ in 0..block {
            f(); // warm-up
        }
    }
    for _ in 0..rounds {
        for (i, (_, f)) in cases.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..block {
                f();
            }
            samples[i].push(t.elapsed().as_secs_f64() * 1e6 / block as f64);
        }
    }
    let medians: Vec<f64> = samples
        .iter_mut()
        .map(|xs| {
            xs.sort_by(f64::total_cmp);
            xs[xs.len() / 2]
        })
        .collect();
    eprintln!("paired: {title} ({rounds} rounds x {block} calls, interleaved)");
    for (i, (name, _)) in cases.iter().enumerate() {
        let xs = &samples[i];
        eprintln!(
            "paired:   {name:<16} median {:>8.2} us  p10 {:>8.2}  p90 {:>8.2}  ratio to {} {:.3}",
            medians[i],
            xs[xs.len() / 10],
            xs[xs.len() * 9 / 10],
            cases[0].0,
            medians[i] / medians[0]
        );
    }
}

fn benches(c: &mut Criterion) {
    let (jieba, bigram) = setup();
    // Sanity: the benchmarked texts are scams and both models say so (or at least score them).
    for (name, text) in [("en", EN), ("zh", ZH), ("mixed", MIXED)] {
        let p = bigram.predict(text);
        eprintln!(
            "default (bigram) model on {name}: score {:.4} label {:?}, {} top terms, jieba-model score {:.4}",
            p.score,
            p.label,
            p.top_terms.len(),
            jieba.score(text)
        );
    }

    let jieba_cfg = jieba.vectorizer().tokenizer_config().clone();
    let bigram_cfg = bigram.vectorizer().tokenizer_config().clone();
    let max_chars = jieba_cfg.max_chars;
    paired(
        "default (bigram) model, one ~400-char message",
        &[
            ("predict en", &|| {
                black_box(bigram.predict(black_box(EN)));
            }),
            ("predict zh", &|| {
                black_box(bigram.predict(black_box(ZH)));
            }),
            ("predict mixed", &|| {
                black_box(bigram.predict(black_box(MIXED)));
            }),
            ("score en", &|| {
                black_box(bigram.score(black_box(EN)));
            }),
            ("score zh", &|| {
                black_box(bigram.score(black_box(ZH)));
            }),
            ("score mixed", &|| {
                black_box(bigram.score(black_box(MIXED)));
            }),
        ],
    );
    paired(
        "Chinese message: jieba vs bigram, and where the time goes",
        &[
            ("predict jieba", &|| {
                black_box(jieba.predict(black_box(ZH)));
            }),
            ("predict bigram", &|| {
                black_box(bigram.predict(black_box(ZH)));
            }),
            ("score jieba", &|| {
                black_box(jieba.score(black_box(ZH)));
            }),
            ("score bigram", &|| {
                black_box(bigram.score(black_box(ZH)));
            }),
            ("tokenize jieba", &|| {
                black_box(tokenize(black_box(ZH), &jieba_cfg));
            }),
            ("tokenize bigram", &|| {
                black_box(tokenize(black_box(ZH), &bigram_cfg));
            }),
            ("normalize", &|| {
                black_box(normalize(black_box(ZH), max_chars));
            }),
        ],
    );

    let mut g = c.benchmark_group("predict");
    for (name, text) in [("en", EN), ("zh", ZH), ("mixed", MIXED)] {
        g.bench_function(name, |b| b.iter(|| bigram.predict(black_box(text))));
    }
    g.finish();

    let mut g = c.benchmark_group("score");
    for (name, text) in [("en", EN), ("zh", ZH), ("mixed", MIXED)] {
        g.bench_function(name, |b| b.iter(|| bigram.score(black_box(text))));
    }
    g.finish();

    let mut g = c.benchmark_group("cjk_mode");
    g.bench_function("predict_jieba", |b| b.iter(|| jieba.predict(black_box(ZH))));
    g.bench_function("predict_bigram", |b| {
        b.iter(|| bigram.predict(black_box(ZH)))
    });
    g.bench_function("score_jieba", |b| b.iter(|| jieba.score(black_box(ZH))));
    g.bench_function("score_bigram", |b| b.iter(|| bigram.score(black_box(ZH))));
    g.finish();

    let mut g = c.benchmark_group("normalize");
    for (name, text) in [("en", EN), ("zh", ZH), ("mixed", MIXED)] {
        g.bench_function(name, |b| b.iter(|| normalize(black_box(text), max_chars)));
    }
    g.finish();

    let mut g = c.benchmark_group("tokenize");
    g.bench_function("en", |b| b.iter(|| tokenize(black_box(EN), &jieba_cfg)));
    g.bench_function("zh_jieba", |b| {
        b.iter(|| tokenize(black_box(ZH), &jieba_cfg))
    });
    g.bench_function("zh_bigram", |b| {
        b.iter(|| tokenize(black_box(ZH), &bigram_cfg))
    });
    g.bench_function("mixed_jieba", |b| {
        b.iter(|| tokenize(black_box(MIXED), &jieba_cfg))
    });
    g.finish();
}

criterion_group! {
    name = scoring;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = benches
}
criterion_main!(scoring);
