//! The performance sections: measured on labelled feedback, and estimated without labels.

use maud::{html, Markup};

use super::format::{json_num, num, pct, signed, Text};
use super::sections::heading;
use crate::estimate::EstimatedPerformance;
use crate::report::PerformanceReport;

/// The metrics of the report's JSON, in the order a reader expects them, with their labels.
const METRICS: [(&str, &str); 6] = [
    ("accuracy", "Accuracy / 准确率"),
    ("precision", "Precision / 精确率"),
    ("recall", "Recall / 召回率"),
    ("f1", "F1"),
    ("balanced_accuracy", "Balanced accuracy / 平衡准确率"),
    ("roc_auc", "ROC-AUC"),
];

/// A change against validation, in points: a drop of 5 or more is bad, of 2 or more a warning.
fn change(delta: Option<f64>) -> Markup {
    html! {
        @match delta {
            Some(d) if d <= -5.0 => span.bad { "▼ " (signed(d)) },
            Some(d) if d <= -2.0 => span.warn { "▼ " (signed(d)) },
            Some(d) if d > 0.0 => span.good { "▲ " (signed(d)) },
            Some(d) => (signed(d)),
            None => "—",
        }
    }
}

/// Performance measured on the window's labelled feedback, against validation; when there is
/// too little feedback, the validation metrics alone.
pub(super) fn measured(p: &PerformanceReport) -> Markup {
    let current = p.current.as_ref().filter(|_| p.measured);
    html! {
        section {
            (heading("performance", "Measured performance", "实测模型表现"))
            @if let Some(current) = current {
                p {
                    "On " b { (p.labelled_rows) } " messages with feedback labels, at the model's \
                     served threshold. Points = current minus validation, in percentage points. \
                     基于 " (p.labelled_rows) " 条带反馈标签的短信；差值单位为百分点。"
                }
                table style="max-width:760px" {
                    thead {
                        tr {
                            th { "Metric / 指标" }
                            th.n { "Current / 当前" }
                            th.n { "Validation / 验证集" }
                            th.n { "Change, points / 变化（百分点）" }
                        }
                    }
                    tbody {
                        @for (key, label) in METRICS {
                            tr {
                                td { (label) }
                                td.n { (json_num(&current[key])) }
                                td.n { (json_num(&p.reference[key])) }
                                td.n { (change(p.degradation_points[key].as_f64())) }
                            }
                        }
                    }
                }
                (confusion(&current["confusion"]))
            } @else {
                p.muted {
                    "Not measured: " (p.labelled_rows) " labelled rows in the window; enough \
                     labelled feedback with both fraud and legitimate messages is needed. \
                     未测量：窗口内仅有 " (p.labelled_rows)
                    " 条带标签反馈，需要足够且同时包含欺诈与正常的反馈。"
                }
                @if let Some(obj) = p.reference.as_object().filter(|o| !o.is_empty()) {
                    table style="max-width:520px" {
                        thead { tr { th { "Metric / 指标" } th.n { "Validation / 验证集" } } }
                        tbody {
                            @for (key, label) in METRICS {
                                @if let Some(v) = obj.get(key) {
                                    tr { td { (label) } td.n { (json_num(v)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The confusion matrix with counts and shares; nothing when a count is missing.
fn confusion(c: &serde_json::Value) -> Markup {
    let (Some(tp), Some(fp), Some(tn), Some(fn_)) = (
        c["tp"].as_u64(),
        c["fp"].as_u64(),
        c["tn"].as_u64(),
        c["fn"].as_u64(),
    ) else {
        return html! {};
    };
    let total = (tp + fp + tn + fn_).max(1) as f64;
    let cell = |class: &str, n: u64, what: &str| {
        html! {
            td class=(class) { b { (n) } (pct(n as f64 / total)) " · " (what) }
        }
    };
    html! {
        h3 { "Confusion matrix / 混淆矩阵" }
        table.confusion {
            tr { th {} th { "Predicted fraud / 预测欺诈" } th { "Predicted legit / 预测正常" } }
            tr {
                th { "Actual fraud / 实际欺诈" }
                (cell("ok", tp, "caught 识别"))
                (cell("err", fn_, "missed 漏报"))
            }
            tr {
                th { "Actual legit / 实际正常" }
                (cell("err", fp, "false alarm 误报"))
                (cell("ok", tn, "correct 正确"))
            }
        }
    }
}

/// The label-free estimate next to the measured and validation metrics, with its caveats
/// first when its assumptions may not hold.
pub(super) fn estimated(e: Option<&EstimatedPerformance>, p: &PerformanceReport) -> Markup {
    let measured = p.current.as_ref().filter(|_| p.measured);
    html! {
        section {
            (heading("estimated", "Estimated vs measured performance", "估计表现与实测表现对比"))
            @if let Some(e) = e {
                @if !e.assumptions_hold {
                    div.caveats role="alert" {
                        strong { "⚠ The estimate may be wrong / 估计值可能不可靠" }
                        ul {
                            @for c in &e.caveats {
                                li { (Text(c)) }
                            }
                        }
                        p {
                            "Trust measured performance on labelled feedback over the estimate. \
                             请以带标签反馈的实测结果为准。"
                        }
                    }
                }
                p.note {
                    "Confidence-based estimate (CBPE) over " (e.rows) " rows, without labels: it \
                     assumes the link between text and label has not changed and that the score \
                     calibration from the reference still holds. Raw-score calibration error on \
                     the reference: " (num(e.raw_score_calibration_error)) ". \
                     基于置信度的无标签估计，前提是文本与标签的关系未变、分数校准仍然有效。"
                }
                table style="max-width:760px" {
                    thead {
                        tr {
                            th { "Metric / 指标" }
                            th.n { "Estimated, no labels / 估计值" }
                            th.n { "Measured on feedback / 实测值" }
                            th.n { "Validation / 验证集" }
                        }
                    }
                    tbody {
                        @for (key, label, value) in [
                            ("precision", "Precision / 精确率", e.precision),
                            ("recall", "Recall / 召回率", e.recall),
                            ("f1", "F1", e.f1),
                            ("accuracy", "Accuracy / 准确率", e.accuracy),
                        ] {
                            tr {
                                td { (label) }
                                td.n { (format_args!("{value:.3}")) }
                                td.n {
                                    @if let Some(m) = measured {
                                        (json_num(&m[key]))
                                    } @else {
                                        "not measured 未测量"
                                    }
                                }
                                td.n { (json_num(&p.reference[key])) }
                            }
                        }
                    }
                }
            } @else {
                p.muted {
                    "No label-free estimate (not enough data or reference rows). \
                     无无标签估计（数据或参考样本不足）。"
                }
            }
        }
    }
}
