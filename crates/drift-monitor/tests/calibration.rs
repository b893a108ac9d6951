//! Verdicts that hold at every window size: same-distribution windows of 100 rows raise no
//! alarm where Evidently's fixed thresholds did, a real shift is still caught on 100 rows, an
//! override keeps its fixed meaning, and the thresholds and their uncertainty in the JSON follow
//! the window size.

mod common;

use std::sync::OnceLock;

use artifact_store::{LoadedBundle, Registry};
use demo_corpus::{generate, DemoOptions};
use drift_monitor::{build_report, Current, DriftConfig, DriftReport, Reference, Row};
use drift_stats::StatTest;
use serde_json::Value;

/// The descriptors, the risk score and the predicted label.
const TESTED_COLUMNS: usize = text_model::DESCRIPTOR_COLUMNS.len() + 2;

/// A production model trained on 3000 demo messages and its reference set, shared by the
/// tests of this file (the home is deleted once both are in memory).
struct Setup {
    bundle: LoadedBundle,
    reference: Reference,
    /// 2000 fresh same-distribution messages (seed 99), scored by the model.
    pool: Vec<Row>,
    /// 500 messages of the drifted mode (new scam themes, seed 7), scored by the model.
    drifted: Vec<Row>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let (_dir, home) = common::trained_home();
        let bundle = Registry::open(home.artifacts())
            .unwrap()
            .load_production()
            .unwrap();
        let reference = Reference::read(&bundle.dir.join("ref_data.csv")).unwrap();
        let score = |options: DemoOptions| -> Vec<Row> {
            generate(&options)
                .into_iter()
                .map(|m| {
                    let p = bundle.model.predict(&m.text);
                    Row {
                        risk_score: p.score,
                        predicted_fraud: p.label.is_fraud(),
                        actual_fraud: None,
                        descriptors: p.descriptors.values(),
                        text: m.text,
                    }
                })
                .collect()
        };
        let pool = score(DemoOptions {
            rows: 2000,
            seed: 99,
            ..DemoOptions::default()
        });
        let drifted = score(DemoOptions {
            rows: 500,
            seed: 7,
            drifted: true,
            ..DemoOptions::default()
        });
        Setup {
            bundle,
            reference,
            pool,
            drifted,
        }
    })
}

fn report(rows: &[Row], config: &DriftConfig) -> DriftReport {
    let s = setup();
    build_report(
        &s.bundle.manifest.version.to_string(),
        &s.reference,
        &Current {
            rows: rows.to_vec(),
            ..Current::default()
        },
        &s.bundle.metrics,
        s.bundle.model.vectorizer().tokenizer_config(),
        config,
    )
}

/// Columns that Evidently's fixed thresholds (schema version 1) flag, from the same scores.
fn fixed_threshold_drifts(report: &DriftReport) -> usize {
    report
        .columns
        .iter()
        .filter(|c| {
            let test = StatTest::from_name(c.test).unwrap();
            test.drifted(c.score, test.default_threshold())
        })
        .count()
}

fn column<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Twenty disjoint random windows of 100 rows from the reference's distribution: nothing
/// changed, so every alarm is false. With fixed thresholds several columns of nearly every
/// window pass them, and where half of them do, schema version 1 reported dataset drift; at
/// calibrated thresholds a window raises an alarm only with probability alpha = 2.5 %.
#[test]
fn same_distribution_windows_of_100_rows_raise_no_dataset_drift() {
    let config = DriftConfig::default();
    let mut fixed_columns = 0;
    let (mut alarms, mut column_alarms, mut text_alarms) = (Vec::new(), 0, 0);
    for (w, window) in setup().pool.chunks(100).enumerate() {
        let r = report(window, &config);
        assert_eq!(r.columns.len(), TESTED_COLUMNS);
        let fixed = fixed_threshold_drifts(&r);
        fixed_columns += fixed;
        // Where schema 1's fixed rule called dataset drift (half the columns past their
        // thresholds), the calibrated verdict must not.
        if fixed * 2 >= r.columns.len() {
            assert!(
                !r.dataset_drift,
                "window {w}: {} ({fixed} of {TESTED_COLUMNS} columns past the fixed thresholds)",
                r.status
            );
        }
        if r.dataset_drift {
            let drifted: Vec<&str> = r
                .columns
                .iter()
                .filter(|c| c.drifted)
                .map(|c| c.name.as_str())
                .collect();
            alarms.push((w, r.status.clone(), drifted.join(",")));
        }
        column_alarms += usize::from(r.columns.iter().any(|c| c.drifted));
        text_alarms += usize::from(r.text_drift.as_ref().unwrap().detected);
    }
    // What schema version 1 made of the same windows.
    assert!(
        fixed_columns >= 40,
        "{fixed_columns} fixed-threshold column alarms"
    );
    // Expected: 0.5 windows (alpha = 2.5 % of 20) for each verdict; at that rate 3 or more
    // windows of 20 alarm with probability 1.3 % (binomial), and exactly 2 with 7.5 %.
    assert!(alarms.len() <= 2, "dataset drift in {alarms:?}");
    assert!(
        column_alarms <= 2,
        "drifted columns in {column_alarms} of 20 windows"
    );
    assert!(
        text_alarms <= 2,
        "{text_alarms} text-drift alarms in 20 windows"
    );
}

/// New scam themes and wording, 100 rows at a time: the out-of-vocabulary rate moves far
/// beyond chance in every window. The domain classifier, which sees only 50 held-out messages of
/// a 100-row window, needs more rows to be sure: on all 500 it separates the sides too.
#[test]
fn a_clear_shift_is_still_caught_at_100_rows() {
    let config = DriftConfig::default();
    let drifted = &setup().drifted;
    for (w, window) in drifted.chunks(100).enumerate() {
        let r = report(window, &config);
        let oov = r.columns.iter().find(|c| c.name == "oov_rate").unwrap();
        assert!(
            r.dataset_drift && oov.drifted && oov.current_mean > oov.reference_mean,
            "window {w}: {} {oov:?}",
            r.status
        );
        assert!(r.dataset_test.as_ref().unwrap().p_value <= config.alpha);
    }
    let all = report(drifted, &config);
    let text = all.text_drift.as_ref().unwrap();
    assert!(all.dataset_drift && text.detected, "{}", all.status);
    assert!(text.ci_low > 0.5, "{text:?}");
}

/// The JSON says how uncertain each verdict is at this window size: thresholds, p-values and
/// the AUC's interval are wider on 100 rows than on 1000.
#[test]
fn thresholds_and_uncertainty_in_the_json_follow_the_window_size() {
    let config = DriftConfig::default();
    let pool = &setup().pool;
    let small = serde_json::to_value(report(&pool[..100], &config)).unwrap();
    let large = serde_json::to_value(report(&pool[..1000], &config)).unwrap();
    for json in [&small, &large] {
        assert_eq!(json["schema_version"], 2);
        let test = &json["dataset_test"];
        assert_eq!(test["method"], "permutation_max_t");
        assert_eq!(test["alpha"], 0.025);
        assert_eq!(test["permutations"], 199);
        assert_eq!(test["columns_tested"], TESTED_COLUMNS);
        assert!(test["seed"].is_u64());
        let critical = num(&test["critical_value"]);
        assert!(critical > 2.0 && critical < 6.0, "{critical}");
        assert!(num(&test["p_value"]) > 0.0 && num(&test["p_value"]) <= 1.0);
        for c in json["columns"].as_array().unwrap() {
            let (p, adjusted) = (num(&c["p_value"]), num(&c["adjusted_p_value"]));
            assert!(p > 0.0 && p <= adjusted && adjusted <= 1.0, "{c}");
            let method = c["threshold_method"].as_str().unwrap();
            assert!(method == "permutation" || method == "fixed", "{c}");
            let (threshold, null, fixed) = (
                num(&c["threshold"]),
                num(&c["null_threshold"]),
                num(&c["fixed_threshold"]),
            );
            // Distances: the larger of the two; p-values (none here) the smaller.
            assert_eq!(threshold, null.max(fixed), "{c}");
            assert!(num(&c["null_median"]) <= null, "{c}");
        }
        let text = &json["text_drift"];
        assert_eq!(text["alpha"], 0.025);
        assert_eq!(text["fixed_threshold"], 0.55);
        let auc = num(&text["roc_auc"]);
        assert!(num(&text["ci_low"]) < auc && auc < num(&text["ci_high"]));
        assert!(num(&text["p_value"]) > 0.0);
    }
    let length = |json: &Value, field: &str| num(&column(json, "length")[field]);
    assert_eq!(column(&small, "length")["test"], "wasserstein");
    // Chance's reach for `length`: about 0.34 on 100 rows, 0.11 on 1000.
    let (small_null, large_null) = (
        length(&small, "null_threshold"),
        length(&large, "null_threshold"),
    );
    assert!(small_null > 0.2 && small_null < 0.6, "{small_null}");
    assert!(
        small_null > 2.0 * large_null,
        "{small_null} vs {large_null}"
    );
    assert!(length(&small, "threshold") > length(&large, "threshold"));
    assert_eq!(column(&small, "length")["threshold_method"], "permutation");
    assert!(length(&small, "null_median") > length(&large, "null_median"));
    let text = |json: &Value, field: &str| num(&json["text_drift"][field]);
    assert!(text(&small, "null_threshold") > text(&large, "null_threshold"));
    assert!(text(&small, "threshold") > 0.55, "{}", small["text_drift"]);
    assert_eq!(large["text_drift"]["threshold_method"], "fixed");
    let width = |json: &Value| text(json, "ci_high") - text(json, "ci_low");
    assert!(width(&small) > 2.0 * width(&large));
}

/// Same inputs, same report: the re-splits are seeded from the data.
#[test]
fn the_same_inputs_give_the_same_report() {
    let config = DriftConfig::default();
    let window = &setup().pool[300..500];
    let mut a = serde_json::to_value(report(window, &config)).unwrap();
    let mut b = serde_json::to_value(report(window, &config)).unwrap();
    a["generated_at"] = Value::Null;
    b["generated_at"] = Value::Null;
    assert_eq!(a, b);
    // Another window gets other re-splits.
    let c = serde_json::to_value(report(&setup().pool[500..700], &config)).unwrap();
    assert_ne!(a["dataset_test"]["seed"], c["dataset_test"]["seed"]);
}

/// `--override column=test:threshold` is the user's choice: the column keeps that fixed
/// threshold, has no calibration fields, and stays out of the family-wise test.
#[test]
fn an_override_keeps_its_fixed_meaning() {
    let config = DriftConfig {
        overrides: vec![("length".to_string(), StatTest::Wasserstein, 0.02)],
        ..DriftConfig::default()
    };
    let r = report(&setup().pool[..100], &config);
    let length = r.columns.iter().find(|c| c.name == "length").unwrap();
    assert_eq!(length.test, "wasserstein");
    assert_eq!((length.threshold, length.fixed_threshold), (0.02, 0.02));
    assert_eq!(length.threshold_method, "override");
    assert_eq!(length.drifted, length.score >= 0.02);
    assert!(
        length.drifted,
        "chance alone passes 0.02 at 100 rows: {length:?}"
    );
    assert_eq!(
        (
            length.null_threshold,
            length.p_value,
            length.adjusted_p_value
        ),
        (None, None, None)
    );
    let test = r.dataset_test.as_ref().unwrap();
    assert_eq!(test.columns_tested, TESTED_COLUMNS - 1);
    // One overridden column of all is below the drift share: no dataset drift from it.
    assert!(!r.dataset_drift, "{}", r.status);
    assert!(!test.share_drift && !test.calibrated_drift);
}

#[test]
fn the_estimate_says_it_is_unreliable_when_the_served_model_is_poorly_calibrated() {
    let s = setup();
    let rows = &s.pool[..500];
    let calibrated = report(rows, &DriftConfig::default());
    let estimate = calibrated.estimated_performance.as_ref().unwrap();
    assert!(
        !estimate
            .caveats
            .iter()
            .any(|c| c.contains("poorly calibrated")),
        "the trainer calibrates its models: ECE {} {:?}",
        s.bundle.metrics["ece"],
        estimate.caveats
    );
    // The same model, had its training reported a large calibration error.
    let mut metrics = s.bundle.metrics.clone();
    metrics["ece"] = serde_json::json!(0.25);
    let poor = build_report(
        &s.bundle.manifest.version.to_string(),
        &s.reference,
        &Current {
            rows: rows.to_vec(),
            ..Current::default()
        },
        &metrics,
        s.bundle.model.vectorizer().tokenizer_config(),
        &DriftConfig::default(),
    );
    let estimate = poor.estimated_performance.as_ref().unwrap();
    assert!(!estimate.assumptions_hold);
    assert!(
        estimate
            .caveats
            .iter()
            .any(|c| c.contains("poorly calibrated") && c.contains("0.250")),
        "{:?}",
        estimate.caveats
    );
}
