//! The hyper-parameter search, the calibration and the folding of evasive spellings, on a
//! realistic corpus.

use demo_corpus::{generate, DemoOptions, Label};
use text_model::{
    stratified_split, train_cross_validated, CalibrationMethod, Corpus, SearchConfig, SearchMetric,
    TrainingConfig, TrainingOutcome,
};

fn corpus(options: &DemoOptions) -> (Corpus, Vec<bool>) {
    let messages = generate(options);
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    let labels = messages.iter().map(|m| m.label == Label::Fraud).collect();
    (
        Corpus::build(&texts, &TrainingConfig::default().tokenizer).unwrap(),
        labels,
    )
}

fn train(corpus: &Corpus, labels: &[bool], config: &TrainingConfig) -> TrainingOutcome {
    let (train, test) = stratified_split(labels, config.test_size, config.seed);
    train_cross_validated(corpus, labels, &train, &test, config, &|_| {}).unwrap()
}

fn with_grid(c: &[f64], metric: SearchMetric) -> TrainingConfig {
    TrainingConfig {
        search: SearchConfig {
            c: c.to_vec(),
            metric,
        },
        ..TrainingConfig::default()
    }
}

#[test]
fn the_search_picks_the_c_that_each_fixed_c_run_scores_best() {
    let (corpus, labels) = corpus(&DemoOptions {
        rows: 1200,
        seed: 5,
        label_noise: 0.03,
        ..DemoOptions::default()
    });
    // Over-regularised, default and almost unregularised: on short noisy messages these
    // differ, and only separate runs with C fixed say which is best.
    let grid = [0.001, 1.0, 1000.0];
    for metric in [SearchMetric::F1, SearchMetric::PrAuc] {
        let searched = train(&corpus, &labels, &with_grid(&grid, metric));
        assert!(searched.search.searched);
        assert_eq!(searched.search.grid.len(), 3);
        let fixed: Vec<f64> = grid
            .iter()
            .map(|&c| {
                let outcome = train(&corpus, &labels, &with_grid(&[c], metric));
                assert!(!outcome.search.searched);
                assert_eq!(outcome.search.chosen_c, c);
                outcome.search.grid[0].score
            })
            .collect();
        for (point, alone) in searched.search.grid.iter().zip(&fixed) {
            // Warm starts converge to the same optimum as cold ones, up to the tolerance.
            assert!(
                (point.score - alone).abs() < 0.01,
                "{metric:?} C={}: searched {} vs fixed {alone}",
                point.c,
                point.score
            );
        }
        let best = fixed
            .iter()
            .enumerate()
            .fold(0, |b, (i, s)| if *s > fixed[b] { i } else { b });
        let spread = fixed.iter().cloned().fold(f64::MIN, f64::max)
            - fixed.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            spread > 0.005,
            "{metric:?}: the grid points barely differ: {fixed:?}"
        );
        assert_eq!(
            searched.search.chosen_c, grid[best],
            "{metric:?}: chose {} but fixed runs scored {fixed:?}",
            searched.search.chosen_c
        );
    }
}

#[test]
fn calibration_lowers_the_calibration_error_on_held_out_rows() {
    // Few fraud rows and balanced class weights: the raw probabilities overstate fraud.
    let (corpus, labels) = corpus(&DemoOptions {
        rows: 2500,
        seed: 9,
        fraud_share: 0.1,
        label_noise: 0.02,
        ..DemoOptions::default()
    });
    let config = TrainingConfig {
        calibration: CalibrationMethod::Platt,
        ..with_grid(&[3.0], SearchMetric::F1)
    };
    let outcome = train(&corpus, &labels, &config);
    let c = &outcome.calibration;
    let raw = c.test_raw.as_ref().unwrap().ece;
    let calibrated = c.test_calibrated.as_ref().unwrap().ece;
    println!(
        "held-out ECE: raw {raw:.4}, calibrated {calibrated:.4}; {:?}",
        c.platt
    );
    assert!(calibrated < raw, "raw {raw} calibrated {calibrated}");
    assert!(c.oof_calibrated.ece < c.oof_raw.ece);
    // Auto keeps Platt scaling here, because it lowers the cross-validated log loss.
    assert!(c.log_loss_platt < c.log_loss_raw);
    let auto = train(
        &corpus,
        &labels,
        &TrainingConfig {
            calibration: CalibrationMethod::Auto,
            ..config.clone()
        },
    );
    assert_eq!(auto.calibration.method, CalibrationMethod::Platt);
    let none = train(
        &corpus,
        &labels,
        &TrainingConfig {
            calibration: CalibrationMethod::None,
            ..config
        },
    );
    assert_eq!(none.calibration.method, CalibrationMethod::None);
    assert_eq!(
        none.calibration.test_raw.as_ref().unwrap().ece,
        none.calibration.test_calibrated.as_ref().unwrap().ece
    );
}

#[test]
fn evasive_spellings_score_within_0_05_of_the_plain_message() {
    let (corpus, labels) = corpus(&DemoOptions {
        rows: 2000,
        seed: 3,
        ..DemoOptions::default()
    });
    let outcome = train(&corpus, &labels, &with_grid(&[10.0], SearchMetric::F1));
    let model = &outcome.model;
    let cases: &[(&str, &[&str])] = &[
        (
            "Your account has been suspended. Verify your identity now at http://secure-check.top",
            &[
                "Your acc\u{200b}ount has been sus\u{200d}pended. Ver\u{200b}ify your identity now at http://secure-check.top",
                "Your аccount has been suspеnded. Vеrify your identity now at http://secure-check.top",
                "Your account has been suspended. V.e.r.i.f.y your identity now at http://secure-check.top",
                "Your account has been s u s p e n d e d. Verify your identity now at http://secure-check.top",
                "Your acc💰ount has been suspended. Verify your identity now at http://secure-check.top",
                "Your acc0unt has been suspended. Verify your identity now at http://secure-check.top",
            ],
        ),
        (
            "兼职刷单，日结返利，加微信了解详情",
            &[
                "兼耳只刷dan，日结返莉，加薇信了解详情",
                "兼 职 刷 单，日结返利，加微信了解详情",
                "兼💰职刷🔥单，日结返利，加微信了解详情",
                "兼\u{200b}职刷\u{200b}单，日结返利，加微信了解详情",
            ],
        ),
        (
            "您的验证码为482913，请勿告诉他人",
            &["您的验证码为４８２９１３，请勿告诉他人"],
        ),
    ];
    for (plain, variants) in cases {
        let base = model.score(plain);
        for variant in *variants {
            let score = model.score(variant);
            assert!(
                (score - base).abs() <= 0.05,
                "{variant:?} scores {score:.3}, {plain:?} scores {base:.3}"
            );
            assert!(text_model::normalize(variant, 1000).folded || variant.contains('４'));
        }
    }
}
