//! End to end on real files: the trainer writes a model and its reference set, production
//! logs are written as predict-api writes them, and the monitor compares the two.

mod common;

use common::{serve, serve_messages, trained_home};
use demo_corpus::DemoOptions;
use drift_monitor::{run_once, DriftConfig, WindowSpec};

fn window() -> WindowSpec {
    WindowSpec {
        last_n: 1000,
        max_age: None,
    }
}

#[test]
fn a_clean_batch_shows_no_drift_and_a_drifted_one_shows_its_new_themes() {
    let (_dir, home) = trained_home();
    serve(
        &home,
        DemoOptions {
            rows: 1000,
            seed: 99,
            ..DemoOptions::default()
        },
        200,
    );
    let clean = run_once(&home, window(), &DriftConfig::default()).unwrap();
    assert_eq!(clean.window.rows, 1000);
    assert!(!clean.dataset_drift, "{:?}", clean.columns);
    let text = clean.text_drift.as_ref().unwrap();
    assert!(!text.detected, "clean batch AUC {}", text.roc_auc);
    assert!(clean.psi.as_ref().unwrap().value < 0.1);
    assert!(clean.performance.measured);
    assert_eq!(clean.performance.labelled_rows, 200);
    let f1 = clean.performance.current.as_ref().unwrap()["f1"]
        .as_f64()
        .unwrap();
    assert!(f1 > 0.85, "clean f1 {f1}");
    let estimate = clean.estimated_performance.as_ref().unwrap();
    assert!(
        estimate.assumptions_hold,
        "{:?} {:?}",
        estimate.caveats, clean.columns
    );

    // The latest 1000 rows are now a drifted batch: new scam themes and wording.
    serve(
        &home,
        DemoOptions {
            rows: 1000,
            seed: 7,
            drifted: true,
            ..DemoOptions::default()
        },
        0,
    );
    let drifted = run_once(&home, window(), &DriftConfig::default()).unwrap();
    let text = drifted.text_drift.as_ref().unwrap();
    assert!(
        text.detected,
        "drifted batch AUC {} threshold {}",
        text.roc_auc, text.threshold
    );
    let top: Vec<&str> = text
        .top_words
        .iter()
        .take(15)
        .map(|w| w.word.as_str())
        .collect();
    // A top term names a new theme when it contains a theme word or is a (2+ character) part
    // of one ("qr" of "qr code").
    let names_theme = |w: &str| {
        demo_corpus::DRIFT_VOCABULARY
            .iter()
            .any(|d| w.contains(d) || (w.chars().count() >= 2 && d.contains(w)))
    };
    let new_theme_words = top.iter().filter(|w| names_theme(w)).count();
    assert!(
        new_theme_words >= 2,
        "top words {top:?} name too few new-theme words"
    );
    let oov = drifted
        .columns
        .iter()
        .find(|c| c.name == "oov_rate")
        .unwrap();
    assert!(
        oov.drifted && oov.current_mean > oov.reference_mean,
        "{oov:?}"
    );
    assert!(
        !drifted
            .estimated_performance
            .as_ref()
            .unwrap()
            .assumptions_hold
    );
    assert!(!drifted.performance.measured, "no feedback in this window");

    // Reports are stored, the latest one replacing latest.json.
    let latest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.reports().join("latest.json")).unwrap())
            .unwrap();
    assert_eq!(latest["text_drift"]["detected"], true);
    let mut stored: Vec<String> = std::fs::read_dir(home.reports())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("report-"))
        .collect();
    stored.sort();
    assert_eq!(stored, ["index.json", "latest.html", "latest.json"]);
    let reports = std::fs::read_dir(home.reports())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("report-")
        })
        .count();
    assert_eq!(reports, 2, "one file per report");
}

#[test]
fn a_wave_of_evasive_spellings_drifts_the_folded_share() {
    let (_dir, home) = trained_home();
    let options = DemoOptions {
        rows: 1000,
        seed: 99,
        ..DemoOptions::default()
    };
    serve(&home, options.clone(), 0);
    let folded = |report: &drift_monitor::DriftReport| {
        report
            .columns
            .iter()
            .find(|c| c.name == "folded")
            .cloned()
            .expect("the folded column is tested")
    };
    let clean = folded(&run_once(&home, window(), &DriftConfig::default()).unwrap());
    assert!(!clean.drifted, "{clean:?}");

    // The next 1000 messages: every other one has zero-width spaces between its characters.
    let mut messages = demo_corpus::generate(&DemoOptions {
        seed: 98,
        ..options
    });
    for m in messages.iter_mut().step_by(2) {
        m.text = m.text.chars().map(|c| format!("{c}\u{200b}")).collect();
    }
    serve_messages(&home, messages, 98, 0);
    let wave = folded(&run_once(&home, window(), &DriftConfig::default()).unwrap());
    assert!(
        wave.drifted && wave.current_mean > clean.current_mean + 0.4,
        "clean {clean:?} wave {wave:?}"
    );
}

#[test]
fn a_small_window_says_not_enough_data() {
    let (_dir, home) = trained_home();
    serve(
        &home,
        DemoOptions {
            rows: 40,
            seed: 3,
            ..DemoOptions::default()
        },
        0,
    );
    let report = run_once(&home, window(), &DriftConfig::default()).unwrap();
    assert!(!report.window.enough_data);
    assert!(
        report.status.starts_with("not enough data: 40 of the 100"),
        "{}",
        report.status
    );
    assert!(report.columns.is_empty() && report.text_drift.is_none());
}

#[test]
fn corrupt_log_lines_are_skipped_and_counted() {
    let (_dir, home) = trained_home();
    serve(
        &home,
        DemoOptions {
            rows: 150,
            seed: 5,
            ..DemoOptions::default()
        },
        0,
    );
    let dir = prod_data::predictions_dir(&home.data());
    std::fs::write(
        dir.join("zz-torn.jsonl"),
        "{\"schema\":1,\"prediction_id\":\"x\"\nnot json\n{\"sche",
    )
    .unwrap();
    let report = run_once(&home, window(), &DriftConfig::default()).unwrap();
    assert_eq!(report.window.rows, 150);
    assert_eq!(report.window.skipped_lines, 3);
}
