//! The inline SVG charts: grouped bars of two distributions, the AUC gauge and word bars.
//!
//! Charts are drawn on the server as SVG inside the page, so the report needs no script and
//! no chart library, opens offline and prints. SVG elements are always closed explicitly
//! (`<line …></line>`): inside HTML a bare `<line …>` would stay open and swallow the next
//! element.

use maud::{html, Markup};

use super::format::{pct, Px, Text};
use crate::report::Distribution;
use crate::text_drift::TextDrift;

/// Reference colour (Okabe–Ito blue): dark, so it stays distinct from current in greyscale.
pub(super) const REF_COLOUR: &str = "#0072B2";
/// Current colour (Okabe–Ito orange): light.
pub(super) const CUR_COLOUR: &str = "#E69F00";

/// A share for chart geometry: non-finite and negative values draw as nothing.
fn share(x: f64) -> f64 {
    if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Which bin labels to print under a chart's x axis.
pub(super) enum AxisLabels {
    /// Every bin's label (categories).
    Each,
    /// Only the two ends: a lower bound at the left, an upper bound at the right.
    Ends(String, String),
}

/// Axis labels of a distribution: the ends of numeric ranges (`lo–hi`), or every category.
pub(super) fn distribution_axis(d: &Distribution) -> AxisLabels {
    let ranges: Option<Vec<(&str, &str)>> = d.bins.iter().map(|b| b.split_once('–')).collect();
    match ranges {
        Some(r) if !r.is_empty() && d.bins.len() > 3 => {
            AxisLabels::Ends(r[0].0.to_string(), r[r.len() - 1].1.to_string())
        }
        _ => AxisLabels::Each,
    }
}

/// A grouped bar chart of two distributions on shared bins, `w` units wide.
pub(super) fn bar_chart(
    aria: &str,
    bins: &[String],
    reference: &[f64],
    current: &[f64],
    axis: &AxisLabels,
    w: f64,
) -> Markup {
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
    let group = pw / n as f64;
    let bar = (group * 0.4).min(22.0);
    let baseline = top + ph;
    let label_y = baseline + 13.0;
    // The legend sits inside the chart, so that each small multiple stands alone when printed.
    let ly = h - 6.0;
    html! {
        svg.chart viewBox=(format_args!("0 0 {w} {h}")) role="img" aria-label=(Text(aria)) {
            @for k in 0..=2 {
                @let v = ymax * k as f64 / 2.0;
                @let gy = y(v);
                line x1=(left) y1=(Px(gy)) x2=(Px(w - right)) y2=(Px(gy)) class="grid" {}
                text x=(Px(left - 4.0)) y=(Px(gy + 3.5)) class="tick" text-anchor="end" {
                    (format_args!("{:.0}%", v * 100.0))
                }
            }
            @for (i, label) in bins.iter().enumerate() {
                @let r = reference.get(i).copied().unwrap_or(0.0);
                @let c = current.get(i).copied().unwrap_or(0.0);
                @let cx = left + group * (i as f64 + 0.5);
                @let tip = format!("{label}: reference {}, current {}", pct(r), pct(c));
                @for (x, v, colour, class) in [(cx - bar, r, REF_COLOUR, "ref"), (cx, c, CUR_COLOUR, "cur")] {
                    @let top_y = y(v);
                    rect class=(class) x=(Px(x)) y=(Px(top_y)) width=(Px(bar))
                        height=(Px((baseline - top_y).max(0.0))) fill=(colour) {
                        title { (Text(&tip)) }
                    }
                }
                @if let AxisLabels::Each = axis {
                    // Long category names are cut so that neighbouring labels do not overlap.
                    @let short: String = label.chars().take(14).collect();
                    text x=(Px(cx)) y=(Px(label_y)) class="tick" text-anchor="middle" {
                        (Text(&short))
                    }
                }
            }
            @if let AxisLabels::Ends(lo, hi) = axis {
                text x=(left) y=(Px(label_y)) class="tick" text-anchor="start" { (Text(lo)) }
                text x=(Px(w - right)) y=(Px(label_y)) class="tick" text-anchor="end" { (Text(hi)) }
            }
            line x1=(left) y1=(Px(baseline)) x2=(Px(w - right)) y2=(Px(baseline)) class="axis" {}
            rect x=(left) y=(Px(ly - 8.0)) width="9" height="9" fill=(REF_COLOUR) {}
            text x=(Px(left + 13.0)) y=(Px(ly)) class="tick" { "reference 参考" }
            rect x=(Px(left + 110.0)) y=(Px(ly - 8.0)) width="9" height="9" fill=(CUR_COLOUR) class="cur" {}
            text x=(Px(left + 123.0)) y=(Px(ly)) class="tick" { "current 当前" }
        }
    }
}

/// A horizontal gauge of the domain classifier's AUC against its threshold (scale 0.5–1).
pub(super) fn auc_gauge(t: &TextDrift) -> Markup {
    let (w, h, left, right) = (520.0, 58.0, 10.0, 10.0);
    let pw = w - left - right;
    let x = |v: f64| left + ((v.clamp(0.5, 1.0) - 0.5) / 0.5) * pw;
    let colour = if t.detected { "#a4161a" } else { "#1b5e20" };
    let threshold_x = x(t.threshold);
    html! {
        svg.chart style="max-width:520px" viewBox=(format_args!("0 0 {w} {h}")) role="img"
            aria-label=(format_args!("ROC-AUC {:.3} against threshold {:.3}", t.roc_auc, t.threshold)) {
            rect x=(left) y="12" width=(pw) height="16" fill="#eee" stroke="#999" {}
            @if t.roc_auc.is_finite() {
                rect x=(left) y="12" width=(Px(x(t.roc_auc) - left)) height="16" fill=(colour) {}
            }
            line x1=(Px(threshold_x)) y1="4" x2=(Px(threshold_x)) y2="36" stroke="#000"
                stroke-width="2" stroke-dasharray="4 2" {}
            text x=(Px(threshold_x)) y="48" class="tick" text-anchor="middle" {
                "threshold 阈值 " (format_args!("{:.3}", t.threshold))
            }
            @for v in [0.5, 0.75, 1.0] {
                @let anchor = if v == 0.5 {
                    "start"
                } else if v == 1.0 {
                    "end"
                } else {
                    "middle"
                };
                // A scale label too close to the threshold's moves above the bar.
                @let label_y = if (v - t.threshold).abs() < 0.08 { 9 } else { 48 };
                text x=(Px(x(v))) y=(label_y) class="tick" text-anchor=(anchor) {
                    (format_args!("{v:.2}"))
                }
            }
        }
    }
}

/// A word's weight as a bar of `len` per cent of the table cell's width.
pub(super) fn word_bar(len: f64, colour: &str) -> Markup {
    html! {
        svg viewBox="0 0 100 10" width="100%" height="10" preserveAspectRatio="none"
            aria-hidden="true" {
            rect width=(Px(len)) height="10" fill=(colour) {}
        }
    }
}
