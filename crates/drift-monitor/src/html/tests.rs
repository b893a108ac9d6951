//! Tests of the HTML report: escaping, self-containment, structure and content, on reports
//! built here by hand so that every case (drift, no drift, too little data) is covered.

use chrono::{TimeZone, Utc};
use maud::Render;

use super::format::{num, score, Text};
use super::render_html;
use crate::estimate::EstimatedPerformance;
use crate::report::{
    ColumnReport, DatasetTest, Distribution, DriftReport, PerformanceReport, PsiReport,
    WindowReport,
};
use crate::text_drift::{TextDrift, WordWeight};

/// A column tested with `test`, drifted or not, on ten numeric bins.
fn column(name: &str, test: &'static str, score: f64, drifted: bool) -> ColumnReport {
    ColumnReport {
        name: name.to_string(),
        test,
        score,
        threshold: 0.1,
        threshold_method: "permutation",
        fixed_threshold: 0.1,
        null_threshold: Some(0.08),
        null_median: Some(0.03),
        p_value: Some(if drifted { 0.001 } else { 0.4 }),
        adjusted_p_value: Some(if drifted { 0.004 } else { 0.9 }),
        drifted,
        reference_mean: 0.2,
        current_mean: if drifted { 0.6 } else { 0.21 },
        distribution: Distribution {
            bins: (0..10)
                .map(|i| format!("{:.3}–{:.3}", i as f64 / 10.0, (i + 1) as f64 / 10.0))
                .collect(),
            reference: vec![0.1; 10],
            current: if drifted {
                vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 0.2, 0.2]
            } else {
                vec![0.1; 10]
            },
        },
    }
}

/// A full report: drift in `url_count`, text drift with the given example messages.
fn report(examples: Vec<String>) -> DriftReport {
    let at = |h| Utc.with_ymd_and_hms(2025, 3, 1, h, 0, 0).unwrap();
    DriftReport {
        schema_version: crate::REPORT_SCHEMA_VERSION,
        generated_at: at(12),
        model_version: "v0003".into(),
        window: WindowReport {
            rows: 1000,
            reference_rows: 1600,
            from: Some(at(8)),
            to: Some(at(11)),
            min_rows: 100,
            enough_data: true,
            skipped_lines: 0,
        },
        status: "dataset drift: 1 of 2 columns drifted; text drift (AUC 0.912)".into(),
        dataset_drift: true,
        drift_share: 0.5,
        drift_share_threshold: 0.5,
        dataset_test: Some(DatasetTest {
            method: "permutation_max_t",
            alpha: 0.025,
            permutations: 199,
            seed: 11,
            columns_tested: 3,
            p_value: 0.004,
            critical_value: Some(2.9),
            calibrated_drift: true,
            share_drift: true,
        }),
        columns: vec![
            column("length", "wasserstein", 0.02, false),
            column("url_count", "wasserstein", 0.43, true),
            ColumnReport {
                distribution: Distribution {
                    bins: vec!["fraud".into(), "legit".into()],
                    reference: vec![0.4, 0.6],
                    current: vec![0.7, 0.3],
                },
                ..column("predicted_label", "jensenshannon", 0.05, false)
            },
        ],
        text_drift: Some(TextDrift {
            detected: true,
            roc_auc: 0.912,
            ci_low: 0.88,
            ci_high: 0.94,
            threshold: 0.55,
            threshold_method: "fixed",
            null_threshold: 0.53,
            fixed_threshold: Some(0.55),
            p_value: 0.002,
            alpha: 0.025,
            permutations: 199,
            top_words: vec![
                WordWeight {
                    word: "__url__".into(),
                    weight: 2.5,
                },
                WordWeight {
                    word: "快递".into(),
                    weight: 1.2,
                },
            ],
            reference_words: vec![WordWeight {
                word: "lunch".into(),
                weight: -1.7,
            }],
            examples,
            reference_rows: 1600,
            current_rows: 1000,
        }),
        psi: Some(PsiReport {
            value: 0.31,
            band: "significant",
            bins: vec![
                (f64::NEG_INFINITY, 0.2, 0.5, 0.2),
                (0.2, 0.7, 0.3, 0.3),
                (0.7, f64::INFINITY, 0.2, 0.5),
            ],
        }),
        performance: PerformanceReport {
            labelled_rows: 120,
            measured: true,
            current: Some(serde_json::json!({
                "accuracy": 0.8, "precision": 0.7, "recall": 0.6, "f1": 0.646,
                "balanced_accuracy": 0.75, "roc_auc": 0.85,
                "confusion": {"tp": 30, "fp": 13, "tn": 66, "fn": 11}
            })),
            reference: serde_json::json!({
                "accuracy": 0.95, "precision": 0.93, "recall": 0.9, "f1": 0.915,
                "balanced_accuracy": 0.94, "roc_auc": 0.98
            }),
            degradation_points: serde_json::json!({
                "accuracy": -15.0, "precision": -23.0, "recall": -30.0, "f1": -26.9,
                "balanced_accuracy": -19.0, "roc_auc": -13.0
            }),
        },
        estimated_performance: Some(EstimatedPerformance {
            precision: 0.9,
            recall: 0.88,
            f1: 0.89,
            accuracy: 0.93,
            rows: 1000,
            raw_score_calibration_error: 0.04,
            assumptions_hold: false,
            caveats: vec!["text drift detected: new kinds of messages".into()],
        }),
    }
}

/// A window too small for a verdict: no tests, no charts.
fn small_report() -> DriftReport {
    let mut r = report(vec![]);
    r.window.rows = 12;
    r.window.enough_data = false;
    r.status = "not enough data: 12 of the 100 rows needed".into();
    r.dataset_drift = false;
    r.drift_share = 0.0;
    r.columns.clear();
    r.text_drift = None;
    r.psi = None;
    r.estimated_performance = None;
    r.performance.measured = false;
    r.performance.current = None;
    r.performance.degradation_points = serde_json::json!({});
    r
}

/// A report without drift: permutation threshold, calm PSI, no labelled feedback yet.
fn calm_report() -> DriftReport {
    let mut r = report(vec![]);
    r.status = "no drift".into();
    r.dataset_drift = false;
    r.drift_share = 0.0;
    r.columns = vec![
        column("length", "ks", 0.62, false),
        column("digit_share", "wasserstein", 0.01, false),
    ];
    let t = r.text_drift.as_mut().unwrap();
    t.detected = false;
    t.roc_auc = 0.51;
    t.threshold = 0.57;
    t.threshold_method = "permutation";
    t.reference_words.clear();
    r.psi = Some(PsiReport {
        value: 0.004,
        band: "none",
        bins: (0..10)
            .map(|i| {
                let lo = if i == 0 {
                    f64::NEG_INFINITY
                } else {
                    i as f64 / 10.0
                };
                let hi = if i == 9 {
                    f64::INFINITY
                } else {
                    (i + 1) as f64 / 10.0
                };
                (lo, hi, 0.1, 0.1 + if i % 2 == 0 { 0.004 } else { -0.004 })
            })
            .collect(),
    });
    r.performance.measured = false;
    r.performance.labelled_rows = 7;
    r.performance.current = None;
    let e = r.estimated_performance.as_mut().unwrap();
    e.assumptions_hold = true;
    e.caveats.clear();
    r
}

/// Some drift but no verdict of dataset drift: a moderate PSI, odd values, no text check.
fn partial_report() -> DriftReport {
    let mut r = report(vec![]);
    r.status = "1 of 4 columns drifted".into();
    r.dataset_drift = false;
    r.drift_share = 1.0 / 3.0;
    r.columns = vec![
        column("length", "ks", 1e-9, true),
        column("exclamations", "chisquare", f64::NAN, false),
        column("caps_share", "z", 0.4, false),
        column("mystery", "custom-test", 0.0, false),
    ];
    r.columns[1].distribution.bins.clear();
    r.columns[2].distribution = Distribution {
        bins: vec!["a".into(), "b".into(), "c".into()],
        reference: vec![0.2, f64::NAN, 0.5],
        current: vec![0.25, 0.3, 0.45],
    };
    r.columns[3].reference_mean = f64::INFINITY;
    r.text_drift = None;
    r.psi = Some(PsiReport {
        value: 0.17,
        band: "moderate",
        bins: vec![],
    });
    r.performance.degradation_points = serde_json::json!({
        "accuracy": 1.5, "precision": -3.0, "recall": 0.0, "f1": -2.5,
        "balanced_accuracy": null, "roc_auc": -0.5
    });
    r.estimated_performance = None;
    r
}

/// Writes sample pages for a visual check in a browser:
/// `DRIFT_HTML_SAMPLE_DIR=/tmp/pages cargo test -p drift-monitor --lib write_sample_pages -- --ignored`.
#[test]
#[ignore = "writes sample pages for a visual check"]
fn write_sample_pages() {
    let dir = std::env::var_os("DRIFT_HTML_SAMPLE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("drift-html-samples"));
    std::fs::create_dir_all(&dir).unwrap();
    let examples = vec![
        "您的包裹因地址不详被扣留，请点击链接 __url__ 补缴运费".to_string(),
        "URGENT: verify your account at __url__ within 24 hours or it will be closed".into(),
        "Tom & \"Jerry\" <b>win</b> 'now'".into(),
    ];
    for (name, r) in [
        ("full", report(examples)),
        ("small", small_report()),
        ("calm", calm_report()),
        ("partial", partial_report()),
    ] {
        std::fs::write(dir.join(format!("{name}.html")), render_html(&r)).unwrap();
    }
}

/// How often `needle` occurs in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn example_messages_and_names_are_escaped() {
    let mut r = report(vec![
        "<script>alert(1)</script>".into(),
        "Tom & \"Jerry\" <b>win</b> 'now'".into(),
    ]);
    r.model_version = "v1<i>".into();
    r.columns[0].name = "len<gth>".into();
    r.text_drift.as_mut().unwrap().top_words[0].word = "<img>".into();
    r.estimated_performance.as_mut().unwrap().caveats[0] = "a<b".into();
    let html = render_html(&r);
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Tom &amp; &quot;Jerry&quot; &lt;b&gt;win&lt;/b&gt; &#39;now&#39;"));
    assert!(!html.contains("<b>win</b>"));
    assert!(!html.contains("v1<i>") && html.contains("v1&lt;i&gt;"));
    assert!(!html.contains("len<gth>") && html.contains("len&lt;gth&gt;"));
    assert!(!html.contains("<img>") && html.contains("&lt;img&gt;"));
    assert!(html.contains("a&lt;b"));
}

#[test]
fn markup_in_words_and_column_names_is_escaped_by_the_engine() {
    // Words from messages, column names and category names come from production data: any of
    // them may hold markup or quotes, in text and in attribute values (chart labels).
    let mut r = report(vec![]);
    r.model_version = "v\"9<script>".into();
    r.columns[1].name = "url\"count<script>alert(1)</script>".into();
    r.columns[2].distribution.bins[0] = "<script>fraud\"".into();
    let t = r.text_drift.as_mut().unwrap();
    t.top_words[0].word = "<script>alert(\"w\")</script>".into();
    t.reference_words[0].word = "\"lunch\"".into();
    let html = render_html(&r);
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(!html.contains("\"lunch\"") && html.contains("<code>&quot;lunch&quot;</code>"));
    assert!(html.contains("<code>&lt;script&gt;alert(&quot;w&quot;)&lt;/script&gt;</code>"));
    assert!(html.contains("<code>url&quot;count&lt;script&gt;alert(1)&lt;/script&gt;</code>"));
    assert!(
        html.contains(
            "aria-label=\"Distribution of url&quot;count&lt;script&gt;alert(1)&lt;/script&gt;: \
             reference vs current\""
        ),
        "a quote in a column name does not end the chart's attribute"
    );
    assert!(
        html.contains("<title>&lt;script&gt;fraud&quot;: reference 40.0%, current 70.0%</title>")
    );
    assert!(html.contains("<code>v&quot;9&lt;script&gt;</code>"));
    // Escaping changes no structure: the same charts as in the plain report.
    assert_eq!(count(&html, "<svg"), 3 + 1 + 1 + 3);
}

#[test]
fn page_references_no_external_resource() {
    // Nothing of the page's own refers to a network address.
    let html = render_html(&report(vec!["Lunch at 1?".into()]));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script") && !html.contains("@import"));
    assert!(!html.contains("src=") && !html.contains("url("));
    // Message text with URLs stays text: every link is an in-page anchor.
    let hostile = render_html(&report(vec![
        "claim <img src=\"http://evil.example/x.png\"> at https://prize.example/".into(),
        "<link rel=stylesheet href='https://cdn.example/a.css'>".into(),
    ]));
    assert!(
        !hostile.contains("src=\"http") && !hostile.contains("<img") && !hostile.contains("<link")
    );
    for (i, _) in hostile.match_indices("href=") {
        // An attribute (a raw quote) must be an anchor; escaped text (`&#39;`) is no link.
        let value = &hostile[i + 5..];
        assert!(
            value.starts_with("\"#") || value.starts_with('&'),
            "external href: {}",
            &value[..40.min(value.len())]
        );
    }
    assert!(
        count(&hostile, "href=") >= 6,
        "the section links are in-page anchors"
    );
}

#[test]
fn drifted_column_is_listed_first_with_a_badge() {
    let html = render_html(&report(vec![]));
    let table =
        &html[html.find("id=\"data-drift\"").unwrap()..html.find("id=\"distributions\"").unwrap()];
    let url = table
        .find("<code>url_count</code>")
        .expect("drifted column listed");
    let length = table
        .find("<code>length</code>")
        .expect("stable column listed");
    assert!(url < length, "drifted columns come first");
    let row = &table[url..table[url..].find("</tr>").unwrap() + url];
    assert!(
        row.contains("DRIFT · 漂移"),
        "drift badge in the row: {row}"
    );
    let stable = &table[length..table[length..].find("</tr>").unwrap() + length];
    assert!(stable.contains("OK · 正常") && !stable.contains("DRIFT"));
    assert_eq!(count(table, "<tr class=\"drifted\">"), 1);
    assert!(html.contains("Drift detected / 检测到漂移"));
}

#[test]
fn not_enough_data_banner_only_for_small_windows() {
    let small = render_html(&small_report());
    assert!(small.contains("id=\"not-enough-data\""));
    assert!(small.contains("Not enough data / 数据不足: the window has 12 rows, 100 are needed"));
    assert!(small.contains("Not enough data for a verdict"));
    assert!(!small.contains("<svg"), "no charts without data");
    let full = render_html(&report(vec![]));
    assert!(!full.contains("id=\"not-enough-data\""));
}

#[test]
fn structure_is_well_formed() {
    for r in [report(vec!["x".into()]), small_report()] {
        let html = render_html(&r);
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.trim_end().ends_with("</html>"));
        for tag in ["svg", "section", "table", "figure", "ul", "div", "tr", "td"] {
            let open = count(&html, &format!("<{tag}>")) + count(&html, &format!("<{tag} "));
            let close = count(&html, &format!("</{tag}>"));
            assert_eq!(open, close, "unbalanced <{tag}>");
        }
        assert_eq!(count(&html, "<body>"), 1);
        for (i, _) in html.match_indices("href=\"#") {
            let id = &html[i + 7..i + 7 + html[i + 7..].find('"').unwrap()];
            assert!(
                html.contains(&format!("id=\"{id}\"")),
                "no target for #{id}"
            );
        }
    }
    let html = render_html(&report(vec![]));
    // Three columns' small multiples, the PSI chart, the AUC gauge, three word bars.
    assert_eq!(count(&html, "<svg"), 3 + 1 + 1 + 3);
    for section in [
        "Data drift",
        "Text drift",
        "Measured performance",
        "数据漂移",
        "文本漂移",
    ] {
        assert!(html.contains(section), "{section}");
    }
}

#[test]
fn performance_caveats_and_psi_are_shown() {
    let html = render_html(&report(vec![]));
    assert!(html.contains("▼ -26.90"), "F1 degradation in points");
    assert!(
        html.contains("<b>30</b>") && html.contains("<b>11</b>"),
        "confusion counts"
    );
    assert!(html.contains("class=\"caveats\"") && html.contains("text drift detected: new kinds"));
    assert!(
        html.contains("&lt; 0.200") && html.contains("≥ 0.700"),
        "open PSI bins"
    );
    let mut ok = report(vec![]);
    ok.estimated_performance.as_mut().unwrap().assumptions_hold = true;
    ok.estimated_performance.as_mut().unwrap().caveats.clear();
    assert!(!render_html(&ok).contains("class=\"caveats\""));
}

#[test]
fn numbers_format_for_reading() {
    assert_eq!(num(f64::NAN), "—");
    assert_eq!(num(f64::NEG_INFINITY), "−∞");
    assert_eq!(num(123.456), "123.5");
    assert_eq!(num(0.1234), "0.123");
    assert_eq!(score(1e-12), "1.00e-12");
    assert_eq!(score(0.05), "0.0500");
    assert_eq!(
        Text("a&<>\"'b'").render().into_string(),
        "a&amp;&lt;&gt;&quot;&#39;b&#39;"
    );
}
