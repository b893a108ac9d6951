//! The drift sections of the page: per-column data drift, the distributions, text drift and
//! the PSI of the risk score, plus the small pieces every section uses.

use maud::{html, Markup};

use super::band_class;
use super::charts::{
    auc_gauge, bar_chart, distribution_axis, word_bar, AxisLabels, CUR_COLOUR, REF_COLOUR,
};
use super::format::{num, pct, score, Text};
use crate::report::{ColumnReport, DriftReport, PsiReport};
use crate::text_drift::{TextDrift, WordWeight};

/// A bilingual section heading with an anchor for the header's links.
pub(super) fn heading(id: &str, en: &str, zh: &str) -> Markup {
    html! {
        h2 id=(id) { (en) " " span.zh lang="zh-Hans" { "/ " (zh) } }
    }
}

/// The drift badge of a column.
fn badge(drifted: bool) -> Markup {
    html! {
        @if drifted {
            span.badge.bad { "DRIFT · 漂移" }
        } @else {
            span.badge.good { "OK · 正常" }
        }
    }
}

/// The rule a test applies, for the table: p-value tests drift when small, distances when large.
fn rule(test: &str, threshold: f64) -> String {
    let t = num(threshold);
    match test {
        "ks" => format!("p ≤ {t}"),
        "chisquare" | "z" => format!("p < {t}"),
        "wasserstein" | "jensenshannon" => format!("d ≥ {t}"),
        _ => t,
    }
}

/// A test's name as an analyst knows it; an unknown test keeps the report's name.
fn test_name(test: &str) -> &str {
    match test {
        "ks" => "Kolmogorov–Smirnov",
        "chisquare" => "chi-square",
        "z" => "z-test (proportions)",
        "wasserstein" => "Wasserstein (normed)",
        "jensenshannon" => "Jensen–Shannon",
        other => other,
    }
}

/// Columns for display: drifted first, otherwise in the report's order.
fn sorted_columns(columns: &[ColumnReport]) -> Vec<&ColumnReport> {
    let mut sorted: Vec<&ColumnReport> = columns.iter().collect();
    sorted.sort_by_key(|c| !c.drifted);
    sorted
}

/// The per-column drift tests as a table, drifted columns first.
pub(super) fn data_drift(report: &DriftReport) -> Markup {
    let drifted = report.columns.iter().filter(|c| c.drifted).count();
    let total = report.columns.len();
    html! {
        section {
            (heading("data-drift", "Data drift", "数据漂移"))
            @if report.columns.is_empty() {
                p.muted { "No column was tested. 未进行任何列的检验。" }
            } @else {
                p {
                    b { (drifted) " of " (total) } " columns drifted (" (pct(report.drift_share))
                    "); the dataset counts as drifted from " (pct(report.drift_share_threshold))
                    ": "
                    b {
                        @if report.dataset_drift {
                            "dataset drift / 数据集漂移"
                        } @else {
                            "no dataset drift / 数据集未漂移"
                        }
                    }
                    ". 共 " (total) " 列中有 " (drifted) " 列漂移。"
                }
                p.note {
                    "p-value tests (KS, chi-square, z) flag drift when p is small; distances \
                     (Wasserstein, Jensen–Shannon) when the distance is large. p 值检验：p 越小越可能漂移；\
                     距离类检验：距离越大越可能漂移。"
                }
                @if let Some(d) = &report.dataset_test {
                    p.note {
                        "Thresholds are calibrated at this window's size: "
                        (d.permutations) " random re-splits of reference and current rows give \
                         what chance alone reaches, and the " (d.columns_tested)
                        " columns are tested as one family (Westfall–Young max-T), so a window \
                         from the reference's distribution is flagged with probability at most "
                        b { (pct(d.alpha)) } ". Family-wise p = " b { (score(d.p_value)) } ". "
                        "阈值按当前窗口大小校准（" (d.permutations) " 次随机重划分），"
                        (d.columns_tested) " 列作为一个整体检验，误报率不超过 " (pct(d.alpha)) "。"
                    }
                }
                table {
                    thead {
                        tr {
                            th { "Column / 列" }
                            th { "Test / 检验" }
                            th.n { "Score / 得分" }
                            th.n { "Drift if / 漂移条件" }
                            th.n { "Chance at this size / 随机水平" }
                            th.n { "Adjusted p / 校正 p 值" }
                            th { "Result / 结果" }
                            th.n { "Reference mean / 参考均值" }
                            th.n { "Current mean / 当前均值" }
                        }
                    }
                    tbody {
                        @for c in sorted_columns(&report.columns) {
                            tr class=[c.drifted.then_some("drifted")] {
                                td { code { (Text(&c.name)) } }
                                td { (Text(test_name(c.test))) }
                                td.n { (score(c.score)) }
                                td.n { (rule(c.test, c.threshold)) }
                                td.n {
                                    @match c.null_median {
                                        Some(m) => (score(m)),
                                        None => span.muted { "override" },
                                    }
                                }
                                td.n {
                                    @match c.adjusted_p_value {
                                        Some(p) => (score(p)),
                                        None => "–",
                                    }
                                }
                                td { (badge(c.drifted)) }
                                td.n { (num(c.reference_mean)) }
                                td.n { (num(c.current_mean)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One small multiple per column: reference and current shares on the column's bins.
pub(super) fn distributions(report: &DriftReport) -> Markup {
    html! {
        section {
            (heading("distributions", "Distributions", "分布对比"))
            @if report.columns.is_empty() {
                p.muted { "No column was tested. 未进行任何列的检验。" }
            } @else {
                p.note {
                    "Share of rows per bin, reference "
                    b style=(format_args!("color:{REF_COLOUR}")) { "■" }
                    " vs current "
                    b style=(format_args!("color:{CUR_COLOUR}")) { "■" }
                    "; drifted columns first, framed in red. \
                     每个区间的占比：参考数据 vs 当前数据；漂移列排在前面并以红框标出。"
                }
                div.grid-charts {
                    @for c in sorted_columns(&report.columns) {
                        @let d = &c.distribution;
                        figure class=[c.drifted.then_some("drifted")] {
                            figcaption { code { (Text(&c.name)) } (badge(c.drifted)) }
                            div.means {
                                "mean 均值: " (num(c.reference_mean)) " → " (num(c.current_mean))
                            }
                            @if d.bins.is_empty() {
                                p.muted { "No distribution. 无分布数据。" }
                            } @else {
                                (bar_chart(
                                    &format!("Distribution of {}: reference vs current", c.name),
                                    &d.bins,
                                    &d.reference,
                                    &d.current,
                                    &distribution_axis(d),
                                    320.0,
                                ))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The words typical of one side, each with a bar scaled to the strongest weight.
fn word_table(title: &str, words: &[WordWeight], colour: &str) -> Markup {
    let max = words
        .iter()
        .map(|w| w.weight.abs())
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max)
        .max(1e-12);
    html! {
        div {
            h3 { (title) }
            @if words.is_empty() {
                p.muted { "None. 无。" }
            } @else {
                table.words {
                    thead { tr { th { "Word / 词" } th.n { "Weight / 权重" } th {} } }
                    tbody {
                        @for w in words {
                            @let len = if w.weight.is_finite() {
                                w.weight.abs() / max * 100.0
                            } else {
                                0.0
                            };
                            tr {
                                td { code { (Text(&w.word)) } }
                                td.n { (format_args!("{:+.3}", w.weight)) }
                                td.bar { (word_bar(len, colour)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How the text-drift threshold was set, in words.
fn threshold_method(method: &str) -> &str {
    match method {
        "fixed" => "fixed threshold for references over 1000 rows / 固定阈值",
        "permutation" => "what random relabellings reach at this size / 按当前样本量的随机置换阈值",
        other => other,
    }
}

/// The domain classifier's verdict, the words that tell the sides apart and example messages.
pub(super) fn text_drift(text: Option<&TextDrift>, enough: bool) -> Markup {
    html! {
        section {
            (heading("text-drift", "Text drift", "文本漂移"))
            @if let Some(t) = text {
                p {
                    @if t.detected {
                        span.badge.bad { "TEXT DRIFT · 文本漂移" }
                    } @else {
                        span.badge.good { "NO TEXT DRIFT · 无文本漂移" }
                    }
                    " A classifier trained to tell current messages from reference ones reaches "
                    b { "ROC-AUC " (format_args!("{:.3}", t.roc_auc)) }
                    " against a threshold of "
                    b { (format_args!("{:.3}", t.threshold)) }
                    " (" (Text(threshold_method(t.threshold_method))) "). \
                     0.5 means the texts look alike; the higher, the more the messages changed. \
                     用于区分当前与参考短信的分类器 AUC 越接近 0.5，说明文本越相似。"
                }
                p.note {
                    "95 % interval of the AUC: " (format_args!("{:.3}–{:.3}", t.ci_low, t.ci_high))
                    "; chance reaches " (format_args!("{:.3}", t.null_threshold))
                    " at this size (" (t.permutations) " relabellings, false-alarm rate "
                    (pct(t.alpha)) "); p = " (score(t.p_value)) ". AUC 的 95% 区间为 "
                    (format_args!("{:.3}–{:.3}", t.ci_low, t.ci_high)) "，随机水平 "
                    (format_args!("{:.3}", t.null_threshold)) "。"
                }
                (auc_gauge(t))
                p.note {
                    (t.reference_rows) " reference and " (t.current_rows)
                    " current messages used. 使用参考短信 " (t.reference_rows) " 条、当前短信 "
                    (t.current_rows) " 条。"
                }
                div.two {
                    (word_table(
                        "Words typical of current messages / 当前短信特征词",
                        &t.top_words,
                        CUR_COLOUR,
                    ))
                    (word_table(
                        "Words typical of reference messages / 参考短信特征词",
                        &t.reference_words,
                        REF_COLOUR,
                    ))
                }
                h3 { "Current messages least like the reference / 与参考数据差异最大的当前短信" }
                @if t.examples.is_empty() {
                    p.muted { "None. 无。" }
                } @else {
                    ul.examples {
                        @for e in &t.examples {
                            li { (Text(e)) }
                        }
                    }
                }
            } @else if enough {
                p.muted { "Not computed: too few messages on one side. 未计算：样本过少。" }
            } @else {
                p.muted { "Not computed: not enough data. 未计算：数据不足。" }
            }
        }
    }
}

/// A PSI bin as a range; the outer bins are open towards infinity.
fn psi_bin_label(lower: f64, upper: f64) -> String {
    match (lower.is_finite(), upper.is_finite()) {
        (false, true) => format!("< {}", num(upper)),
        (true, false) => format!("≥ {}", num(lower)),
        (true, true) => format!("{}–{}", num(lower), num(upper)),
        (false, false) => "all".into(),
    }
}

/// The Population Stability Index of the risk score, with its bins as a chart and a table.
pub(super) fn psi(psi: Option<&PsiReport>, enough: bool) -> Markup {
    html! {
        section {
            (heading("psi", "Risk-score stability (PSI)", "风险分数稳定性 (PSI)"))
            @if let Some(p) = psi {
                @let class = band_class(p.band);
                p {
                    span class=(format_args!("kv {class}")) { (num(p.value)) }
                    " "
                    span class=(format_args!("badge {class}")) { (Text(p.band)) }
                }
                p.note {
                    "Population Stability Index of the risk score on reference deciles: \
                     < 0.1 none, 0.1–0.25 moderate, ≥ 0.25 significant shift. \
                     风险分数的群体稳定性指数：< 0.1 无明显变化，0.1–0.25 中等，≥ 0.25 显著。"
                }
                @if !p.bins.is_empty() {
                    (psi_bins(p))
                }
            } @else if enough {
                p.muted { "Not computed. 未计算。" }
            } @else {
                p.muted { "Not computed: not enough data. 未计算：数据不足。" }
            }
        }
    }
}

/// The PSI bins: reference and current shares as bars, then as numbers.
fn psi_bins(p: &PsiReport) -> Markup {
    let labels: Vec<String> = p.bins.iter().map(|b| psi_bin_label(b.0, b.1)).collect();
    let reference: Vec<f64> = p.bins.iter().map(|b| b.2).collect();
    let current: Vec<f64> = p.bins.iter().map(|b| b.3).collect();
    html! {
        div style="max-width:760px" {
            (bar_chart(
                "Risk-score shares per PSI bin: reference vs current",
                &labels,
                &reference,
                &current,
                &AxisLabels::Each,
                760.0,
            ))
        }
        table style="max-width:760px" {
            thead {
                tr {
                    th { "Risk-score bin / 分数区间" }
                    th.n { "Reference / 参考" }
                    th.n { "Current / 当前" }
                }
            }
            tbody {
                @for (label, (r, c)) in labels.iter().zip(reference.iter().zip(&current)) {
                    tr { td { (label) } td.n { (pct(*r)) } td.n { (pct(*c)) } }
                }
            }
        }
    }
}
