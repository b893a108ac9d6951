//! The SVG charts of the pages, drawn on the server: a risk gauge, a histogram, line charts of
//! trends and stacked bars. No chart library and no script; they print and work offline.
//! SVG elements are always closed explicitly (`<line …></line>`), as inside HTML a bare one
//! would swallow the next element.

use fraudloop_html::format::{Px, Text};
use maud::{html, Markup};

/// Colour of fraud / high risk (dark red: readable on white, distinct in greyscale).
pub const FRAUD: &str = "#b3261e";
/// Colour of medium risk.
pub const MEDIUM: &str = "#9a6700";
/// Colour of legit / low risk.
pub const LEGIT: &str = "#1b6e3a";
/// Second series colour (Okabe–Ito blue).
pub const BLUE: &str = "#0072B2";

fn clamp01(x: f64) -> f64 {
    if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The colour of a risk level.
pub fn level_colour(level: &str) -> &'static str {
    match level {
        "high" => FRAUD,
        "medium" => MEDIUM,
        _ => LEGIT,
    }
}

/// A half-circle gauge of a risk score with the model's threshold marked.
pub fn gauge(score: f64, threshold: f64, level: &str, aria: &str) -> Markup {
    let (cx, cy, r) = (100.0, 100.0, 80.0);
    let point = |v: f64, radius: f64| {
        let angle = std::f64::consts::PI * (1.0 - clamp01(v));
        (cx + radius * angle.cos(), cy - radius * angle.sin())
    };
    let (ex, ey) = point(score, r);
    let (tx1, ty1) = point(threshold, r - 14.0);
    let (tx2, ty2) = point(threshold, r + 14.0);
    let large = 0;
    html! {
        svg.gauge viewBox="0 0 200 120" role="img" aria-label=(Text(aria)) {
            path d=(format!("M {} {} A {r} {r} 0 0 1 {} {}", cx - r, cy, cx + r, cy))
                fill="none" stroke="#d9d9d9" stroke-width="18" {}
            @if score > 0.0 {
                path d=(format!("M {} {} A {r} {r} 0 {large} 1 {:.1} {:.1}", cx - r, cy, ex, ey))
                    fill="none" stroke=(level_colour(level)) stroke-width="18" {}
            }
            line x1=(Px(tx1)) y1=(Px(ty1)) x2=(Px(tx2)) y2=(Px(ty2)) stroke="#111"
                stroke-width="2" stroke-dasharray="3 2" {}
            text x="100" y="92" text-anchor="middle" class="gauge-value" {
                (format!("{:.0}%", clamp01(score) * 100.0))
            }
            text x="20" y="116" text-anchor="middle" class="tick" { "0" }
            text x="180" y="116" text-anchor="middle" class="tick" { "100%" }
        }
    }
}

/// Bars of counts per bin, each coloured by `colour(bin)`, with labels under the ends.
pub fn histogram(
    aria: &str,
    counts: &[usize],
    colour: impl Fn(usize) -> &'static str,
    left_label: &str,
    right_label: &str,
) -> Markup {
    let (w, h) = (520.0, 180.0);
    let (left, right, top, bottom) = (36.0, 8.0, 10.0, 26.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = counts.len().max(1) as f64;
    let slot = pw / n;
    html! {
        svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(Text(aria)) {
            @for k in 0..=2 {
                @let v = max * k as f64 / 2.0;
                @let y = top + ph - v / max * ph;
                line x1=(left) y1=(Px(y)) x2=(Px(w - right)) y2=(Px(y)) class="grid" {}
                text x=(Px(left - 4.0)) y=(Px(y + 3.5)) class="tick" text-anchor="end" { (format!("{v:.0}")) }
            }
            @for (i, &c) in counts.iter().enumerate() {
                @let bh = c as f64 / max * ph;
                rect x=(Px(left + slot * i as f64 + 2.0)) y=(Px(top + ph - bh)) width=(Px(slot - 4.0))
                    height=(Px(bh)) fill=(colour(i)) {
                    title { (c) }
                }
            }
            line x1=(left) y1=(Px(top + ph)) x2=(Px(w - right)) y2=(Px(top + ph)) class="axis" {}
            text x=(left) y=(Px(h - 8.0)) class="tick" { (Text(left_label)) }
            text x=(Px(w - right)) y=(Px(h - 8.0)) class="tick" text-anchor="end" { (Text(right_label)) }
        }
    }
}

/// One line of a line chart: a name, a colour and values (None: a gap).
pub struct Series<'a> {
    /// The legend's name.
    pub name: &'a str,
    /// Its colour.
    pub colour: &'static str,
    /// One value per x position.
    pub values: Vec<Option<f64>>,
}

/// The width a legend entry takes at the tick font size (a CJK character is about twice as
/// wide as a Latin one), with room for its swatch and a gap.
fn legend_width(name: &str) -> f64 {
    let units: f64 = name
        .chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum();
    14.0 + units * 5.6 + 18.0
}

/// Lines over evenly spaced points (reports in time order), with the first and last time
/// under the axis. `ymax` fixes the top of the scale (shares and F1: 1.0).
pub fn line_chart(aria: &str, series: &[Series<'_>], first: &str, last: &str, ymax: f64) -> Markup {
    let (w, h) = (520.0, 190.0);
    let (left, right, top, bottom) = (36.0, 8.0, 10.0, 44.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let n = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let x = |i: usize| {
        left + if n > 1 {
            pw * i as f64 / (n - 1) as f64
        } else {
            pw / 2.0
        }
    };
    let y = |v: f64| top + ph - (v / ymax).clamp(0.0, 1.0) * ph;
    html! {
        svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(Text(aria)) {
            @for k in 0..=2 {
                @let v = ymax * k as f64 / 2.0;
                line x1=(left) y1=(Px(y(v))) x2=(Px(w - right)) y2=(Px(y(v))) class="grid" {}
                text x=(Px(left - 4.0)) y=(Px(y(v) + 3.5)) class="tick" text-anchor="end" { (format!("{v:.1}")) }
            }
            @for s in series {
                @let points: Vec<String> = s.values.iter().enumerate()
                    .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| format!("{:.1},{:.1}", x(i), y(v))))
                    .collect();
                @if points.len() > 1 {
                    polyline points=(points.join(" ")) fill="none" stroke=(s.colour) stroke-width="2" {}
                }
                @for p in &points {
                    @let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
                    circle cx=(px) cy=(py) r="2.5" fill=(s.colour) {}
                }
            }
            line x1=(left) y1=(Px(top + ph)) x2=(Px(w - right)) y2=(Px(top + ph)) class="axis" {}
            text x=(left) y=(Px(top + ph + 14.0)) class="tick" { (Text(first)) }
            text x=(Px(w - right)) y=(Px(top + ph + 14.0)) class="tick" text-anchor="end" { (Text(last)) }
            @for (i, s) in series.iter().enumerate() {
                @let lx = left + series[..i].iter().map(|s| legend_width(s.name)).sum::<f64>();
                rect x=(Px(lx)) y=(Px(h - 12.0)) width="10" height="10" fill=(s.colour) {}
                text x=(Px(lx + 14.0)) y=(Px(h - 3.0)) class="tick" { (Text(s.name)) }
            }
        }
    }
}

/// Stacked bars of two counts per slot (fraud on top of legit), with the first and last slot
/// named under the axis.
pub fn stacked_bars(
    aria: &str,
    slots: &[(usize, usize)],
    names: (&str, &str),
    first: &str,
    last: &str,
) -> Markup {
    let (w, h) = (520.0, 190.0);
    let (left, right, top, bottom) = (36.0, 8.0, 10.0, 44.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let max = slots.iter().map(|(a, b)| a + b).max().unwrap_or(0).max(1) as f64;
    let slot = pw / slots.len().max(1) as f64;
    html! {
        svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(Text(aria)) {
            @for k in 0..=2 {
                @let v = max * k as f64 / 2.0;
                @let y = top + ph - v / max * ph;
                line x1=(left) y1=(Px(y)) x2=(Px(w - right)) y2=(Px(y)) class="grid" {}
                text x=(Px(left - 4.0)) y=(Px(y + 3.5)) class="tick" text-anchor="end" { (format!("{v:.0}")) }
            }
            @for (i, &(fraud, legit)) in slots.iter().enumerate() {
                @let x = left + slot * i as f64 + 1.0;
                @let lh = legit as f64 / max * ph;
                @let fh = fraud as f64 / max * ph;
                rect x=(Px(x)) y=(Px(top + ph - lh)) width=(Px((slot - 2.0).max(1.0))) height=(Px(lh)) fill=(LEGIT) {
                    title { (legit) }
                }
                rect x=(Px(x)) y=(Px(top + ph - lh - fh)) width=(Px((slot - 2.0).max(1.0))) height=(Px(fh)) fill=(FRAUD) {
                    title { (fraud) }
                }
            }
            line x1=(left) y1=(Px(top + ph)) x2=(Px(w - right)) y2=(Px(top + ph)) class="axis" {}
            text x=(left) y=(Px(top + ph + 14.0)) class="tick" { (Text(first)) }
            text x=(Px(w - right)) y=(Px(top + ph + 14.0)) class="tick" text-anchor="end" { (Text(last)) }
            rect x=(left) y=(Px(h - 12.0)) width="10" height="10" fill=(FRAUD) {}
            text x=(Px(left + 14.0)) y=(Px(h - 3.0)) class="tick" { (Text(names.0)) }
            rect x=(Px(left + 160.0)) y=(Px(h - 12.0)) width="10" height="10" fill=(LEGIT) {}
            text x=(Px(left + 174.0)) y=(Px(h - 3.0)) class="tick" { (Text(names.1)) }
        }
    }
}
