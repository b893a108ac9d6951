//! The drift report as one self-contained HTML page for risk analysts.
//!
//! [`render_html`] turns a [`DriftReport`] into a page with inline CSS and inline SVG charts:
//! no scripts, no external fonts, stylesheets or images, so it opens offline, can be mailed as
//! an attachment and prints on paper. Headings are bilingual (English / 中文). Every string
//! taken from the report (column names, words, example messages) is HTML-escaped.

use chrono::{DateTime, Utc};

use crate::estimate::EstimatedPerformance;
use crate::report::{ColumnReport, Distribution, DriftReport, PerformanceReport, PsiReport};
use crate::text_drift::{TextDrift, WordWeight};

/// Reference colour (Okabe–Ito blue): dark, so it stays distinct from current in greyscale.
const REF_COLOUR: &str = "#0072B2";
/// Current colour (Okabe–Ito orange): light.
const CUR_COLOUR: &str = "#E69F00";

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values (and SVG).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value for display: adapts the precision to the magnitude; `—` for NaN.
fn num(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else if x.is_infinite() {
        if x > 0.0 { "∞" } else { "−∞" }.into()
    } else if x == 0.0 {
        "0".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else if x.abs() >= 1e-3 {
        format!("{x:.3}")
    } else {
        format!("{x:.2e}")
    }
}

/// A test score: p-values can be tiny, so small ones are shown in scientific notation.
fn score(x: f64) -> String {
    if x.is_finite() && x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else if x.is_finite() {
        format!("{x:.4}")
    } else {
        num(x)
    }
}

/// A share in [0, 1] as a percentage.
fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "—".into()
    }
}

/// A share for chart geometry: non-finite and negative values draw as nothing.
fn share(x: f64) -> f64 {
    if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn duration(from: &DateTime<Utc>, to: &DateTime<Utc>) -> String {
    let s = (*to - *from).num_seconds().max(0);
    if s < 120 {
        format!("{s} s")
    } else if s < 2 * 3600 {
        format!("{} min", s / 60)
    } else if s < 3 * 86_400 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else {
        format!("{:.1} d", s as f64 / 86_400.0)
    }
}

/// A bilingual section heading with an anchor.
fn heading(id: &str, en: &str, zh: &str) -> String {
    format!("<h2 id=\"{id}\">{en} <span class=\"zh\" lang=\"zh-Hans\">/ {zh}</span></h2>\n")
}

fn badge(drifted: bool) -> &'static str {
    if drifted {
        "<span class=\"badge bad\">DRIFT · 漂移</span>"
    } else {
        "<span class=\"badge good\">OK · 正常</span>"
    }
}

/// The rule a test applies, for the table: p-value tests drift when small, distances when large.
fn rule(test: &str, threshold: f64) -> String {
    let t = num(threshold);
    match test {
        "ks" => format!("p ≤ {t}"),
        "chisquare" | "z" => format!("p &lt; {t}"),
        "wasserstein" | "jensenshannon" => format!("d ≥ {t}"),
        _ => t,
    }
}

fn test_name(test: &str) -> String {
    match test {
        "ks" => "Kolmogorov–Smirnov".into(),
        "chisquare" => "chi-square".into(),
        "z" => "z-test (proportions)".into(),
        "wasserstein" => "Wasserstein (normed)".into(),
        "jensenshannon" => "Jensen–Shannon".into(),
        other => esc(other),
    }
}

/// Columns for display: drifted first, otherwise in the report's order.
fn sorted_columns(columns: &[ColumnReport]) -> Vec<&ColumnReport> {
    let mut sorted: Vec<&ColumnReport> = columns.iter().collect();
    sorted.sort_by_key(|c| !c.drifted);
    sorted
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

/// One reason per line for the header, each with a class.
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
                esc(p.band)
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

fn band_class(band: &str) -> &'static str {
    match band {
        "significant" => "bad",
        "moderate" => "warn",
        _ => "good",
    }
}

fn signed(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.2}")
    } else {
        "—".into()
    }
}

/// Which bin labels to print under a chart's x axis.
enum AxisLabels {
    /// Every bin's label (categories).
    Each,
    /// Only the two ends: a lower bound at the left, an upper bound at the right.
    Ends(String, String),
}

/// A grouped bar chart of two distributions on shared bins, as inline SVG.
fn bar_chart(
    aria: &str,
    bins: &[String],
    reference: &[f64],
    current: &[f64],
    axis: &AxisLabels,
    w: f64,
) -> String {
    let h = 170.0;
    let (left, right, top, bottom) = (38.0, 8.0, 10.0, 34.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let n = bins.len().max(1);
    let max = reference
        .iter()
        .chain(current)
        .map(|&x| share(x))
        .fold(0.0, f64::max);
    // A round top of the scale whose half is round too: a multiple of 10 % (2 % below 10 %).
    let step = if max > 0.1 { 0.1 } else { 0.02 };
    let ymax = ((max / step - 1e-9).ceil() * step).clamp(0.02, 1.0);
    let y = |v: f64| top + ph - share(v) / ymax * ph;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">\n",
        esc(aria)
    );
    for k in 0..=2 {
        let v = ymax * k as f64 / 2.0;
        let gy = y(v);
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{gy:.1}\" x2=\"{:.1}\" y2=\"{gy:.1}\" class=\"grid\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{:.0}%</text>\n",
            w - right,
            left - 4.0,
            gy + 3.5,
            v * 100.0
        ));
    }
    let group = pw / n as f64;
    let bar = (group * 0.4).min(22.0);
    for (i, label) in bins.iter().enumerate() {
        let r = reference.get(i).copied().unwrap_or(0.0);
        let c = current.get(i).copied().unwrap_or(0.0);
        let cx = left + group * (i as f64 + 0.5);
        let tip = format!("{label}: reference {}, current {}", pct(r), pct(c));
        for (x, v, colour, class) in [(cx - bar, r, REF_COLOUR, "ref"), (cx, c, CUR_COLOUR, "cur")]
        {
            let top_y = y(v);
            svg.push_str(&format!(
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{top_y:.1}\" width=\"{bar:.1}\" \
                 height=\"{:.1}\" fill=\"{colour}\"><title>{}</title></rect>\n",
                (top + ph - top_y).max(0.0),
                esc(&tip)
            ));
        }
        if let AxisLabels::Each = axis {
            let text: String = label.chars().take(14).collect();
            svg.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"middle\">{}</text>\n",
                top + ph + 13.0,
                esc(&text)
            ));
        }
    }
    if let AxisLabels::Ends(lo, hi) = axis {
        svg.push_str(&format!(
            "<text x=\"{left}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"start\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text>\n",
            top + ph + 13.0,
            esc(lo),
            w - right,
            top + ph + 13.0,
            esc(hi)
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" class=\"axis\"/>\n",
        top + ph,
        w - right
    ));
    // Legend inside the chart, so that each small multiple stands alone when printed.
    let ly = h - 6.0;
    svg.push_str(&format!(
        "<rect x=\"{left}\" y=\"{:.1}\" width=\"9\" height=\"9\" fill=\"{REF_COLOUR}\"/>\
         <text x=\"{:.1}\" y=\"{ly:.1}\" class=\"tick\">reference 参考</text>\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\" fill=\"{CUR_COLOUR}\" class=\"cur\"/>\
         <text x=\"{:.1}\" y=\"{ly:.1}\" class=\"tick\">current 当前</text>\n",
        ly - 8.0,
        left + 13.0,
        left + 110.0,
        ly - 8.0,
        left + 123.0
    ));
    svg.push_str("</svg>\n");
    svg
}

/// Axis labels of a distribution: the ends of numeric ranges (`lo–hi`), or every category.
fn distribution_axis(d: &Distribution) -> AxisLabels {
    let ranges: Option<Vec<(&str, &str)>> = d.bins.iter().map(|b| b.split_once('–')).collect();
    match ranges {
        Some(r) if !r.is_empty() && d.bins.len() > 3 => {
            AxisLabels::Ends(r[0].0.to_string(), r[r.len() - 1].1.to_string())
        }
        _ => AxisLabels::Each,
    }
}

const STYLE: &str = r#"
:root { --ink:#1a1a1a; --muted:#555; --line:#c8c8c8; --bg:#fff; --panel:#f6f7f9;
  --good:#1b5e20; --good-bg:#e6f2e7; --warn:#7a4a00; --warn-bg:#fff3d6;
  --bad:#a4161a; --bad-bg:#fde7e7; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 1160px; padding: 24px; color: var(--ink); background: var(--bg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC",
  "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 16px 0 6px; }
.zh { font-weight: normal; color: var(--muted); }
.muted, .note { color: var(--muted); }
.note { font-size: 13px; margin: 4px 0 10px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
header .meta { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: 4px 24px; margin: 12px 0; }
header .meta div span { color: var(--muted); display: block; font-size: 12px; }
.verdict { border: 2px solid; border-left-width: 10px; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
.verdict .headline { font-size: 22px; font-weight: 700; }
.verdict .status { margin-top: 4px; }
.verdict ul { margin: 8px 0 0; padding-left: 20px; }
.good { color: var(--good); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.verdict.good { background: var(--good-bg); border-color: var(--good); }
.verdict.warn { background: var(--warn-bg); border-color: var(--warn); }
.verdict.bad { background: var(--bad-bg); border-color: var(--bad); }
.banner { border: 2px dashed var(--warn); background: var(--warn-bg); color: var(--warn);
  padding: 12px 16px; border-radius: 6px; font-weight: 600; margin: 12px 0; }
.caveats { border: 3px solid var(--bad); background: var(--bad-bg); padding: 12px 16px;
  border-radius: 6px; margin: 12px 0; }
.caveats strong { color: var(--bad); font-size: 17px; }
.caveats ul { margin: 6px 0 0; padding-left: 20px; }
nav { font-size: 14px; margin: 8px 0 0; }
nav a { color: var(--ink); margin-right: 14px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td:first-child { white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.drifted td { background: var(--bad-bg); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 700; white-space: nowrap; border: 1px solid; }
.badge.bad { background: var(--bad); color: #fff; border-color: var(--bad); }
.badge.good { background: var(--good-bg); color: var(--good); border-color: var(--good); }
.badge.warn { background: var(--warn-bg); color: var(--warn); border-color: var(--warn); }
.grid-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
figure { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); break-inside: avoid; page-break-inside: avoid; }
figure.drifted { border: 2px solid var(--bad); }
figcaption { font-size: 13px; font-weight: 600; margin-bottom: 2px; display: flex;
  justify-content: space-between; gap: 6px; align-items: baseline; }
figure .means { font-size: 12px; color: var(--muted); }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: #e0e0e0; stroke-width: 1; }
svg .axis { stroke: #666; stroke-width: 1; }
svg .tick { font-size: 10px; fill: #444; }
svg rect.cur { stroke: #7a5200; stroke-width: 0.6; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.words td.bar { width: 45%; }
.examples { list-style: none; padding: 0; margin: 0; }
.examples li { background: var(--panel); border-left: 4px solid var(--bad); padding: 6px 10px;
  margin: 6px 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 14px; }
.confusion { width: auto; }
.confusion td, .confusion th { text-align: center; padding: 8px 14px; border: 1px solid var(--line); }
.confusion td.ok { background: var(--good-bg); }
.confusion td.err { background: var(--bad-bg); }
.confusion td b { font-size: 18px; display: block; }
.kv { font-size: 28px; font-weight: 700; }
footer { margin-top: 36px; padding-top: 8px; border-top: 1px solid var(--line); font-size: 12px; color: var(--muted); }
@media (max-width: 720px) { .two { grid-template-columns: 1fr; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section, table, .verdict, .caveats { break-inside: avoid; page-break-inside: avoid; }
  .grid-charts { grid-template-columns: repeat(3, 1fr); }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Renders the report as a self-contained HTML page (inline CSS and SVG; no scripts and no
/// external resources). Every string from the report is escaped.
pub fn render_html(report: &DriftReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n",
    );
    out.push_str(&format!(
        "<title>Drift report / 漂移报告 — model {} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&report.model_version),
        time(&report.generated_at)
    ));
    out.push_str(&header(report));
    out.push_str(&data_drift(report));
    out.push_str(&distributions(report));
    out.push_str(&text_section(
        report.text_drift.as_ref(),
        report.window.enough_data,
    ));
    out.push_str(&psi_section(report.psi.as_ref(), report.window.enough_data));
    out.push_str(&performance_section(&report.performance));
    out.push_str(&estimate_section(
        report.estimated_performance.as_ref(),
        &report.performance,
    ));
    out.push_str(&format!(
        "<footer>fraudloop drift-monitor · report schema version {} · generated {} · \
         model {}. Tests follow Evidently's defaults; PSI bands: &lt; 0.1 none, 0.1–0.25 \
         moderate, ≥ 0.25 significant. 检验方法遵循 Evidently 默认规则。</footer>\n",
        report.schema_version,
        time(&report.generated_at),
        esc(&report.model_version)
    ));
    out.push_str("</body>\n</html>\n");
    out
}

fn header(report: &DriftReport) -> String {
    let w = &report.window;
    let mut out =
        String::from("<header>\n<h1>Drift report <span class=\"zh\">/ 漂移报告</span></h1>\n");
    let (class, en, zh) = verdict(report);
    out.push_str(&format!(
        "<div class=\"verdict {class}\" role=\"status\"><div class=\"headline\">{en} / {zh}</div>\
         <div class=\"status\">{}</div>",
        esc(&report.status)
    ));
    let found = findings(report);
    if !found.is_empty() {
        out.push_str("<ul>");
        for (class, line) in found {
            out.push_str(&format!("<li class=\"{class}\">{line}</li>"));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>\n");
    if !w.enough_data {
        out.push_str(&format!(
            "<div class=\"banner\" id=\"not-enough-data\">Not enough data / 数据不足: the window has \
             {} rows, {} are needed for a verdict. Drift tests were not run; collect more \
             predictions or widen the window. 当前窗口只有 {} 条记录，至少需要 {} 条才能给出结论。</div>\n",
            w.rows, w.min_rows, w.rows, w.min_rows
        ));
    }
    let span = match (&w.from, &w.to) {
        (Some(from), Some(to)) => format!("{} → {} ({})", time(from), time(to), duration(from, to)),
        _ => "—".into(),
    };
    out.push_str("<div class=\"meta\">");
    for (label, value) in [
        (
            "Model version / 模型版本",
            format!("<code>{}</code>", esc(&report.model_version)),
        ),
        ("Generated / 生成时间", time(&report.generated_at)),
        (
            "Window / 时间窗口",
            format!(
                "{} current rows vs {} reference rows",
                w.rows, w.reference_rows
            ),
        ),
        ("Time span / 时间跨度", span),
        (
            "Minimum rows / 最少记录数",
            format!(
                "{} ({})",
                w.min_rows,
                if w.enough_data {
                    "met 已满足"
                } else {
                    "not met 未满足"
                }
            ),
        ),
        (
            "Skipped log lines / 跳过的日志行",
            w.skipped_lines.to_string(),
        ),
    ] {
        out.push_str(&format!("<div><span>{label}</span>{value}</div>"));
    }
    out.push_str("</div>\n<nav aria-label=\"sections\"><a href=\"#data-drift\">Data drift 数据漂移</a>\
         <a href=\"#distributions\">Distributions 分布</a><a href=\"#text-drift\">Text drift 文本漂移</a>\
         <a href=\"#psi\">PSI</a><a href=\"#performance\">Performance 模型表现</a>\
         <a href=\"#estimated\">Estimated 估计</a></nav>\n</header>\n");
    out
}

fn data_drift(report: &DriftReport) -> String {
    let mut out = String::from("<section>\n");
    out.push_str(&heading("data-drift", "Data drift", "数据漂移"));
    if report.columns.is_empty() {
        out.push_str(
            "<p class=\"muted\">No column was tested. 未进行任何列的检验。</p>\n</section>\n",
        );
        return out;
    }
    let drifted = report.columns.iter().filter(|c| c.drifted).count();
    out.push_str(&format!(
        "<p><b>{drifted} of {}</b> columns drifted ({}); the dataset counts as drifted from {}: \
         <b>{}</b>. 共 {} 列中有 {drifted} 列漂移。</p>\n",
        report.columns.len(),
        pct(report.drift_share),
        pct(report.drift_share_threshold),
        if report.dataset_drift {
            "dataset drift / 数据集漂移"
        } else {
            "no dataset drift / 数据集未漂移"
        },
        report.columns.len(),
    ));
    out.push_str(
        "<p class=\"note\">p-value tests (KS, chi-square, z) flag drift when p is small; distances \
         (Wasserstein, Jensen–Shannon) when the distance is large. p 值检验：p 越小越可能漂移；\
         距离类检验：距离越大越可能漂移。</p>\n",
    );
    out.push_str(
        "<table>\n<thead><tr><th>Column / 列</th><th>Test / 检验</th><th class=\"n\">Score / 得分</th>\
         <th class=\"n\">Drift if / 漂移条件</th><th>Result / 结果</th>\
         <th class=\"n\">Reference mean / 参考均值</th><th class=\"n\">Current mean / 当前均值</th></tr></thead>\n<tbody>\n",
    );
    for c in sorted_columns(&report.columns) {
        out.push_str(&format!(
            "<tr{}><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            if c.drifted { " class=\"drifted\"" } else { "" },
            esc(&c.name),
            test_name(c.test),
            score(c.score),
            rule(c.test, c.threshold),
            badge(c.drifted),
            num(c.reference_mean),
            num(c.current_mean),
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

fn distributions(report: &DriftReport) -> String {
    let mut out = String::from("<section>\n");
    out.push_str(&heading("distributions", "Distributions", "分布对比"));
    if report.columns.is_empty() {
        out.push_str(
            "<p class=\"muted\">No column was tested. 未进行任何列的检验。</p>\n</section>\n",
        );
        return out;
    }
    out.push_str(&format!(
        "<p class=\"note\">Share of rows per bin, reference <b style=\"color:{REF_COLOUR}\">■</b> \
         vs current <b style=\"color:{CUR_COLOUR}\">■</b>; drifted columns first, framed in red. \
         每个区间的占比：参考数据 vs 当前数据；漂移列排在前面并以红框标出。</p>\n<div class=\"grid-charts\">\n"
    ));
    for c in sorted_columns(&report.columns) {
        let d = &c.distribution;
        out.push_str(&format!(
            "<figure{}><figcaption><code>{}</code>{}</figcaption>\
             <div class=\"means\">mean 均值: {} → {}</div>\n",
            if c.drifted { " class=\"drifted\"" } else { "" },
            esc(&c.name),
            badge(c.drifted),
            num(c.reference_mean),
            num(c.current_mean)
        ));
        if d.bins.is_empty() {
            out.push_str("<p class=\"muted\">No distribution. 无分布数据。</p>");
        } else {
            out.push_str(&bar_chart(
                &format!("Distribution of {}: reference vs current", c.name),
                &d.bins,
                &d.reference,
                &d.current,
                &distribution_axis(d),
                320.0,
            ));
        }
        out.push_str("</figure>\n");
    }
    out.push_str("</div>\n</section>\n");
    out
}

/// A horizontal gauge of the domain classifier's AUC against its threshold (scale 0.5–1).
fn auc_gauge(t: &TextDrift) -> String {
    let (w, h, left, right) = (520.0, 58.0, 10.0, 10.0);
    let pw = w - left - right;
    let x = |v: f64| left + ((v.clamp(0.5, 1.0) - 0.5) / 0.5) * pw;
    let colour = if t.detected { "#a4161a" } else { "#1b5e20" };
    let mut svg = format!(
        "<svg class=\"chart\" style=\"max-width:520px\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-label=\"ROC-AUC {:.3} against threshold {:.3}\">\n\
         <rect x=\"{left}\" y=\"12\" width=\"{pw}\" height=\"16\" fill=\"#eee\" stroke=\"#999\"/>\n",
        t.roc_auc, t.threshold
    );
    if t.roc_auc.is_finite() {
        svg.push_str(&format!(
            "<rect x=\"{left}\" y=\"12\" width=\"{:.1}\" height=\"16\" fill=\"{colour}\"/>\n",
            x(t.roc_auc) - left
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"{0:.1}\" y1=\"4\" x2=\"{0:.1}\" y2=\"36\" stroke=\"#000\" stroke-width=\"2\" \
         stroke-dasharray=\"4 2\"/>\n\
         <text x=\"{0:.1}\" y=\"48\" class=\"tick\" text-anchor=\"middle\">threshold 阈值 {1:.3}</text>\n",
        x(t.threshold),
        t.threshold
    ));
    for v in [0.5, 0.75, 1.0] {
        let anchor = if v == 0.5 {
            "start"
        } else if v == 1.0 {
            "end"
        } else {
            "middle"
        };
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" class=\"tick\" text-anchor=\"{anchor}\">{v:.2}</text>\n",
            x(v),
            if (v - t.threshold).abs() < 0.08 {
                9
            } else {
                48
            }
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

fn word_table(title: &str, words: &[WordWeight], colour: &str) -> String {
    let mut out = format!("<div><h3>{title}</h3>\n");
    if words.is_empty() {
        out.push_str("<p class=\"muted\">None. 无。</p></div>\n");
        return out;
    }
    let max = words
        .iter()
        .map(|w| w.weight.abs())
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max)
        .max(1e-12);
    out.push_str(
        "<table class=\"words\"><thead><tr><th>Word / 词</th><th class=\"n\">Weight / 权重</th>\
         <th></th></tr></thead><tbody>\n",
    );
    for w in words {
        let len = if w.weight.is_finite() {
            w.weight.abs() / max * 100.0
        } else {
            0.0
        };
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td class=\"n\">{:+.3}</td><td class=\"bar\">\
             <svg viewBox=\"0 0 100 10\" width=\"100%\" height=\"10\" preserveAspectRatio=\"none\" \
             aria-hidden=\"true\"><rect width=\"{len:.1}\" height=\"10\" fill=\"{colour}\"/></svg></td></tr>\n",
            esc(&w.word),
            w.weight
        ));
    }
    out.push_str("</tbody></table></div>\n");
    out
}

fn text_section(text: Option<&TextDrift>, enough: bool) -> String {
    let mut out = String::from("<section>\n");
    out.push_str(&heading("text-drift", "Text drift", "文本漂移"));
    let Some(t) = text else {
        out.push_str(if enough {
            "<p class=\"muted\">Not computed: too few messages on one side. 未计算：样本过少。</p>\n"
        } else {
            "<p class=\"muted\">Not computed: not enough data. 未计算：数据不足。</p>\n"
        });
        out.push_str("</section>\n");
        return out;
    };
    out.push_str(&format!(
        "<p><span class=\"badge {}\">{}</span> A classifier trained to tell current messages from \
         reference ones reaches <b>ROC-AUC {:.3}</b> against a threshold of <b>{:.3}</b> ({}). \
         0.5 means the texts look alike; the higher, the more the messages changed. \
         用于区分当前与参考短信的分类器 AUC 越接近 0.5，说明文本越相似。</p>\n",
        if t.detected { "bad" } else { "good" },
        if t.detected {
            "TEXT DRIFT · 文本漂移"
        } else {
            "NO TEXT DRIFT · 无文本漂移"
        },
        t.roc_auc,
        t.threshold,
        match t.threshold_method {
            "fixed" => "fixed threshold for references over 1000 rows / 固定阈值".to_string(),
            "permutation" => {
                "95th percentile of random-score AUCs on the same split / 随机分数 AUC 的 95 分位数"
                    .to_string()
            }
            other => esc(other),
        }
    ));
    out.push_str(&auc_gauge(t));
    out.push_str(&format!(
        "<p class=\"note\">{} reference and {} current messages used. 使用参考短信 {} 条、当前短信 {} 条。</p>\n",
        t.reference_rows, t.current_rows, t.reference_rows, t.current_rows
    ));
    out.push_str("<div class=\"two\">\n");
    out.push_str(&word_table(
        "Words typical of current messages / 当前短信特征词",
        &t.top_words,
        CUR_COLOUR,
    ));
    out.push_str(&word_table(
        "Words typical of reference messages / 参考短信特征词",
        &t.reference_words,
        REF_COLOUR,
    ));
    out.push_str("</div>\n");
    out.push_str(
        "<h3>Current messages least like the reference / 与参考数据差异最大的当前短信</h3>\n",
    );
    if t.examples.is_empty() {
        out.push_str("<p class=\"muted\">None. 无。</p>\n");
    } else {
        out.push_str("<ul class=\"examples\">\n");
        for e in &t.examples {
            out.push_str(&format!("<li>{}</li>\n", esc(e)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

fn psi_bin_label(lower: f64, upper: f64) -> String {
    match (lower.is_finite(), upper.is_finite()) {
        (false, true) => format!("< {}", num(upper)),
        (true, false) => format!("≥ {}", num(lower)),
        (true, true) => format!("{}–{}", num(lower), num(upper)),
        (false, false) => "all".into(),
    }
}

fn psi_section(psi: Option<&PsiReport>, enough: bool) -> String {
    let mut out = String::from("<section>\n");
    out.push_str(&heading(
        "psi",
        "Risk-score stability (PSI)",
        "风险分数稳定性 (PSI)",
    ));
    let Some(p) = psi else {
        out.push_str(if enough {
            "<p class=\"muted\">Not computed. 未计算。</p>\n</section>\n"
        } else {
            "<p class=\"muted\">Not computed: not enough data. 未计算：数据不足。</p>\n</section>\n"
        });
        return out;
    };
    let class = band_class(p.band);
    out.push_str(&format!(
        "<p><span class=\"kv {class}\">{}</span> <span class=\"badge {class}\">{}</span></p>\n\
         <p class=\"note\">Population Stability Index of the risk score on reference deciles: \
         &lt; 0.1 none, 0.1–0.25 moderate, ≥ 0.25 significant shift. \
         风险分数的群体稳定性指数：&lt; 0.1 无明显变化，0.1–0.25 中等，≥ 0.25 显著。</p>\n",
        num(p.value),
        esc(p.band)
    ));
    if !p.bins.is_empty() {
        let labels: Vec<String> = p.bins.iter().map(|b| psi_bin_label(b.0, b.1)).collect();
        let reference: Vec<f64> = p.bins.iter().map(|b| b.2).collect();
        let current: Vec<f64> = p.bins.iter().map(|b| b.3).collect();
        out.push_str("<div style=\"max-width:760px\">");
        out.push_str(&bar_chart(
            "Risk-score shares per PSI bin: reference vs current",
            &labels,
            &reference,
            &current,
            &AxisLabels::Each,
            760.0,
        ));
        out.push_str("</div>\n<table style=\"max-width:760px\">\n<thead><tr><th>Risk-score bin / 分数区间</th>\
             <th class=\"n\">Reference / 参考</th><th class=\"n\">Current / 当前</th></tr></thead>\n<tbody>\n");
        for (label, (r, c)) in labels.iter().zip(reference.iter().zip(&current)) {
            out.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                esc(label),
                pct(*r),
                pct(*c)
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
    out
}

const METRICS: [(&str, &str); 6] = [
    ("accuracy", "Accuracy / 准确率"),
    ("precision", "Precision / 精确率"),
    ("recall", "Recall / 召回率"),
    ("f1", "F1"),
    ("balanced_accuracy", "Balanced accuracy / 平衡准确率"),
    ("roc_auc", "ROC-AUC"),
];

fn json_num(v: &serde_json::Value) -> String {
    v.as_f64().map_or("—".into(), |x| format!("{x:.3}"))
}

fn performance_section(p: &PerformanceReport) -> String {
    let mut out = String::from("<section>\n");
    out.push_str(&heading(
        "performance",
        "Measured performance",
        "实测模型表现",
    ));
    let current = p.current.as_ref().filter(|_| p.measured);
    let Some(current) = current else {
        out.push_str(&format!(
            "<p class=\"muted\">Not measured: {} labelled rows in the window; enough labelled \
             feedback with both fraud and legitimate messages is needed. \
             未测量：窗口内仅有 {} 条带标签反馈，需要足够且同时包含欺诈与正常的反馈。</p>\n",
            p.labelled_rows, p.labelled_rows
        ));
        if let Some(obj) = p.reference.as_object().filter(|o| !o.is_empty()) {
            out.push_str(
                "<table style=\"max-width:520px\"><thead><tr><th>Metric / 指标</th>\
                 <th class=\"n\">Validation / 验证集</th></tr></thead><tbody>\n",
            );
            for (key, label) in METRICS {
                if let Some(v) = obj.get(key) {
                    out.push_str(&format!(
                        "<tr><td>{label}</td><td class=\"n\">{}</td></tr>\n",
                        json_num(v)
                    ));
                }
            }
            out.push_str("</tbody></table>\n");
        }
        out.push_str("</section>\n");
        return out;
    };
    out.push_str(&format!(
        "<p>On <b>{}</b> messages with feedback labels, at the model's served threshold. \
         Points = current minus validation, in percentage points. \
         基于 {} 条带反馈标签的短信；差值单位为百分点。</p>\n",
        p.labelled_rows, p.labelled_rows
    ));
    out.push_str(
        "<table style=\"max-width:760px\">\n<thead><tr><th>Metric / 指标</th>\
         <th class=\"n\">Current / 当前</th><th class=\"n\">Validation / 验证集</th>\
         <th class=\"n\">Change, points / 变化（百分点）</th></tr></thead>\n<tbody>\n",
    );
    for (key, label) in METRICS {
        let delta = p.degradation_points[key].as_f64();
        let change = match delta {
            Some(d) if d <= -5.0 => format!("<span class=\"bad\">▼ {}</span>", signed(d)),
            Some(d) if d <= -2.0 => format!("<span class=\"warn\">▼ {}</span>", signed(d)),
            Some(d) if d > 0.0 => format!("<span class=\"good\">▲ {}</span>", signed(d)),
            Some(d) => signed(d),
            None => "—".into(),
        };
        out.push_str(&format!(
            "<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{change}</td></tr>\n",
            json_num(&current[key]),
            json_num(&p.reference[key]),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    let c = &current["confusion"];
    if let (Some(tp), Some(fp), Some(tn), Some(fn_)) = (
        c["tp"].as_u64(),
        c["fp"].as_u64(),
        c["tn"].as_u64(),
        c["fn"].as_u64(),
    ) {
        let total = (tp + fp + tn + fn_).max(1) as f64;
        let cell = |class: &str, n: u64, what: &str| {
            format!(
                "<td class=\"{class}\"><b>{n}</b>{} · {what}</td>",
                pct(n as f64 / total)
            )
        };
        out.push_str(&format!(
            "<h3>Confusion matrix / 混淆矩阵</h3>\n<table class=\"confusion\">\n\
             <tr><th></th><th>Predicted fraud / 预测欺诈</th><th>Predicted legit / 预测正常</th></tr>\n\
             <tr><th>Actual fraud / 实际欺诈</th>{}{}</tr>\n\
             <tr><th>Actual legit / 实际正常</th>{}{}</tr>\n</table>\n",
            cell("ok", tp, "caught 识别"),
            cell("err", fn_, "missed 漏报"),
            cell("err", fp, "false alarm 误报"),
            cell("ok", tn, "correct 正确"),
        ));
    }
    out.push_str("</section>\n");
    out
}

fn estimate_section(e: Option<&EstimatedPerformance>, p: &PerformanceReport) -> String {
    let mut out = String::from("<section>\n");
    out.push_str(&heading(
        "estimated",
        "Estimated vs measured performance",
        "估计表现与实测表现对比",
    ));
    let Some(e) = e else {
        out.push_str(
            "<p class=\"muted\">No label-free estimate (not enough data or reference rows). \
             无无标签估计（数据或参考样本不足）。</p>\n</section>\n",
        );
        return out;
    };
    if !e.assumptions_hold {
        out.push_str(
            "<div class=\"caveats\" role=\"alert\"><strong>⚠ The estimate may be wrong / \
             估计值可能不可靠</strong><ul>\n",
        );
        for c in &e.caveats {
            out.push_str(&format!("<li>{}</li>\n", esc(c)));
        }
        out.push_str(
            "</ul><p>Trust measured performance on labelled feedback over the estimate. \
             请以带标签反馈的实测结果为准。</p></div>\n",
        );
    }
    out.push_str(&format!(
        "<p class=\"note\">Confidence-based estimate (CBPE) over {} rows, without labels: it assumes the \
         link between text and label has not changed and that the score calibration from the \
         reference still holds. Raw-score calibration error on the reference: {}. \
         基于置信度的无标签估计，前提是文本与标签的关系未变、分数校准仍然有效。</p>\n",
        e.rows,
        num(e.raw_score_calibration_error)
    ));
    let measured = p.current.as_ref().filter(|_| p.measured);
    out.push_str(
        "<table style=\"max-width:760px\">\n<thead><tr><th>Metric / 指标</th>\
         <th class=\"n\">Estimated, no labels / 估计值</th>\
         <th class=\"n\">Measured on feedback / 实测值</th>\
         <th class=\"n\">Validation / 验证集</th></tr></thead>\n<tbody>\n",
    );
    for (key, label, value) in [
        ("precision", "Precision / 精确率", e.precision),
        ("recall", "Recall / 召回率", e.recall),
        ("f1", "F1", e.f1),
        ("accuracy", "Accuracy / 准确率", e.accuracy),
    ] {
        out.push_str(&format!(
            "<tr><td>{label}</td><td class=\"n\">{:.3}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            value,
            measured.map_or("not measured 未测量".into(), |m| json_num(&m[key])),
            json_num(&p.reference[key]),
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::WindowReport;
    use chrono::TimeZone;

    fn column(name: &str, test: &'static str, score: f64, drifted: bool) -> ColumnReport {
        ColumnReport {
            name: name.to_string(),
            test,
            score,
            threshold: 0.1,
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
                threshold: 0.55,
                threshold_method: "fixed",
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
        r.status = "1 of 3 columns drifted".into();
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
            !hostile.contains("src=\"http")
                && !hostile.contains("<img")
                && !hostile.contains("<link")
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
        let table = &html
            [html.find("id=\"data-drift\"").unwrap()..html.find("id=\"distributions\"").unwrap()];
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
        assert!(
            small.contains("Not enough data / 数据不足: the window has 12 rows, 100 are needed")
        );
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
        assert!(
            html.contains("class=\"caveats\"") && html.contains("text drift detected: new kinds")
        );
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
        assert_eq!(esc("a&<>\"'"), "a&amp;&lt;&gt;&quot;&#39;");
    }
}
