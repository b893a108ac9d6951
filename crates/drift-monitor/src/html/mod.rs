//! The drift report as one self-contained HTML page for risk analysts.
//!
//! [`render_html`] turns a [`DriftReport`] into a page with inline CSS and inline SVG charts:
//! no scripts, no external fonts, stylesheets or images, so it opens offline, can be mailed as
//! an attachment and prints on paper. Headings are bilingual (English / 中文).
//!
//! The page is written with maud templates, which escape every spliced value, so a string
//! taken from the report (column names, words, example messages, the model version) can never
//! become markup. The work is split by job: this file has the page and its header,
//! `sections.rs` the drift sections, `performance.rs` the measured and estimated performance,
//! `charts.rs` the SVG charts, `format.rs` how values read, and `report.css` the style.

use maud::{html, Markup, PreEscaped};

use crate::report::DriftReport;

mod charts;
use fraudloop_html::format;
mod performance;
mod sections;
#[cfg(test)]
mod tests;

use format::{duration, num, pct, signed, time, Text};

/// The page's stylesheet, inlined so that the page needs no other file.
const STYLE: &str = include_str!("report.css");

/// Renders the report as a self-contained HTML page (inline CSS and SVG; no scripts and no
/// external resources). Every string from the report is escaped.
pub fn render_html(report: &DriftReport) -> String {
    let page = html! {
        // The doctype as the page always wrote it: HTML does not care about its case, but
        // tools that sniff the first bytes of a saved report may.
        (PreEscaped("<!doctype html>"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title {
                    "Drift report / 漂移报告 — model " (Text(&report.model_version)) " — "
                    (time(&report.generated_at))
                }
                // The stylesheet is a constant of this crate, not data, so it goes in as is.
                style { (PreEscaped(STYLE)) }
            }
            body {
                (header(report))
                (sections::data_drift(report))
                (sections::distributions(report))
                (sections::text_drift(report.text_drift.as_ref(), report.window.enough_data))
                (sections::psi(report.psi.as_ref(), report.window.enough_data))
                (performance::measured(&report.performance))
                (performance::estimated(report.estimated_performance.as_ref(), &report.performance))
                footer {
                    "fraudloop drift-monitor · report schema version " (report.schema_version)
                    " · generated " (time(&report.generated_at)) " · model "
                    (Text(&report.model_version))
                    ". Tests follow Evidently's defaults; PSI bands: < 0.1 none, 0.1–0.25 \
                     moderate, ≥ 0.25 significant. 检验方法遵循 Evidently 默认规则。"
                }
            }
        }
    };
    let mut out = page.into_string();
    // A trailing newline, as the page always had: a saved report ends like any text file.
    out.push('\n');
    out
}

/// The overall verdict: a CSS class, an English and a Chinese headline.
fn verdict(report: &DriftReport) -> (&'static str, &'static str, &'static str) {
    let text = report.text_drift.as_ref().is_some_and(|t| t.detected);
    let psi_band = report.psi.as_ref().map_or("none", |p| p.band);
    let any_column = report.columns.iter().any(|c| c.drifted);
    if !report.window.enough_data {
        (
            "warn",
            "Not enough data for a verdict",
            "数据不足，无法判断",
        )
    } else if report.dataset_drift || text || psi_band == "significant" {
        ("bad", "Drift detected", "检测到漂移")
    } else if any_column || psi_band == "moderate" {
        (
            "warn",
            "Some drift — keep watching",
            "存在部分漂移，需持续关注",
        )
    } else {
        ("good", "No drift detected", "未检测到漂移")
    }
}

/// The CSS class of a PSI band: significant is bad, moderate a warning, anything else good.
fn band_class(band: &str) -> &'static str {
    match band {
        "significant" => "bad",
        "moderate" => "warn",
        _ => "good",
    }
}

/// One reason per line for the header, each with a class; the lines are plain text.
fn findings(report: &DriftReport) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !report.window.enough_data {
        return out;
    }
    let drifted = report.columns.iter().filter(|c| c.drifted).count();
    out.push((
        if report.dataset_drift {
            "bad"
        } else if drifted > 0 {
            "warn"
        } else {
            "good"
        },
        format!(
            "Data drift / 数据漂移: {drifted} of {} columns drifted ({}; the dataset counts as \
             drifted from {})",
            report.columns.len(),
            pct(report.drift_share),
            pct(report.drift_share_threshold)
        ),
    ));
    if let Some(t) = &report.text_drift {
        out.push((
            if t.detected { "bad" } else { "good" },
            format!(
                "Text drift / 文本漂移: {} (AUC {:.3} vs threshold {:.3})",
                if t.detected {
                    "detected 已检测到"
                } else {
                    "not detected 未检测到"
                },
                t.roc_auc,
                t.threshold
            ),
        ));
    }
    if let Some(p) = &report.psi {
        out.push((
            band_class(p.band),
            format!(
                "Risk-score PSI / 风险分数 PSI: {} ({})",
                num(p.value),
                p.band
            ),
        ));
    }
    if let Some(current) = report
        .performance
        .current
        .as_ref()
        .filter(|_| report.performance.measured)
    {
        let f1 = current["f1"].as_f64();
        let delta = report.performance.degradation_points["f1"].as_f64();
        if let (Some(f1), Some(delta)) = (f1, delta) {
            out.push((
                if delta <= -5.0 {
                    "bad"
                } else if delta <= -2.0 {
                    "warn"
                } else {
                    "good"
                },
                format!(
                    "Measured F1 / 实测 F1: {f1:.3} ({} points vs validation)",
                    signed(delta)
                ),
            ));
        }
    }
    if let Some(e) = report
        .estimated_performance
        .as_ref()
        .filter(|e| !e.assumptions_hold)
    {
        out.push((
            "warn",
            format!(
                "The label-free estimate may be wrong / 无标签估计可能不可靠: {} caveat(s), see below",
                e.caveats.len()
            ),
        ));
    }
    out
}

/// The page header: title, verdict with its findings, the window's facts and section links.
fn header(report: &DriftReport) -> Markup {
    let w = &report.window;
    let (class, en, zh) = verdict(report);
    let found = findings(report);
    let span = match (&w.from, &w.to) {
        (Some(from), Some(to)) => format!("{} → {} ({})", time(from), time(to), duration(from, to)),
        _ => "—".into(),
    };
    html! {
        header {
            h1 { "Drift report " span.zh { "/ 漂移报告" } }
            div class=(format_args!("verdict {class}")) role="status" {
                div.headline { (en) " / " (zh) }
                div.status { (Text(&report.status)) }
                @if !found.is_empty() {
                    ul {
                        @for (class, line) in &found {
                            li class=(class) { (Text(line)) }
                        }
                    }
                }
            }
            @if !w.enough_data {
                div.banner id="not-enough-data" {
                    "Not enough data / 数据不足: the window has " (w.rows) " rows, " (w.min_rows)
                    " are needed for a verdict. Drift tests were not run; collect more \
                     predictions or widen the window. 当前窗口只有 " (w.rows) " 条记录，至少需要 "
                    (w.min_rows) " 条才能给出结论。"
                }
            }
            div.meta {
                div { span { "Model version / 模型版本" } code { (Text(&report.model_version)) } }
                div { span { "Generated / 生成时间" } (time(&report.generated_at)) }
                div {
                    span { "Window / 时间窗口" }
                    (w.rows) " current rows vs " (w.reference_rows) " reference rows"
                }
                div { span { "Time span / 时间跨度" } (span) }
                div {
                    span { "Minimum rows / 最少记录数" }
                    (w.min_rows) " (" (if w.enough_data { "met 已满足" } else { "not met 未满足" }) ")"
                }
                div { span { "Skipped log lines / 跳过的日志行" } (w.skipped_lines) }
            }
            nav aria-label="sections" {
                a href="#data-drift" { "Data drift 数据漂移" }
                a href="#distributions" { "Distributions 分布" }
                a href="#text-drift" { "Text drift 文本漂移" }
                a href="#psi" { "PSI" }
                a href="#performance" { "Performance 模型表现" }
                a href="#estimated" { "Estimated 估计" }
            }
        }
    }
}
