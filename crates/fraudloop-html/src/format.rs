//! How numbers, times and data strings read on a page.
//!
//! Everything here returns plain text (or a [`Render`] value) for maud to escape; nothing
//! builds markup.

use chrono::{DateTime, Utc};
use maud::Render;

/// A string taken from the report (a column name, a word, a message), escaped for HTML.
///
/// maud escapes `&`, `<`, `>` and `"`; this also writes `'` as `&#39;`, as the page always
/// has. maud quotes every attribute with `"`, so the apostrophe is safe on this page, but the
/// page's text gets pasted into other contexts (mail bodies, the later web UI) and scanned by
/// checks that look for `href='…'`; escaped, a message quoting markup never reads as an
/// attribute there either.
pub struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        let mut parts = self.0.split('\'');
        if let Some(first) = parts.next() {
            first.render_to(buffer);
        }
        for part in parts {
            buffer.push_str("&#39;");
            part.render_to(buffer);
        }
    }
}

/// A value for display: adapts the precision to the magnitude; `—` for NaN.
pub fn num(x: f64) -> String {
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
pub fn score(x: f64) -> String {
    if x.is_finite() && x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else if x.is_finite() {
        format!("{x:.4}")
    } else {
        num(x)
    }
}

/// A share in [0, 1] as a percentage.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "—".into()
    }
}

/// A change in percentage points with its sign; `—` when it is not a number.
pub fn signed(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.2}")
    } else {
        "—".into()
    }
}

/// A metric from the report's JSON with three decimals; `—` when it is absent.
pub fn json_num(v: &serde_json::Value) -> String {
    v.as_f64().map_or("—".into(), |x| format!("{x:.3}"))
}

/// A timestamp, always in UTC so that analysts in different offices read the same time.
pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The length of a time window in the unit a person would use for it.
pub fn duration(from: &DateTime<Utc>, to: &DateTime<Utc>) -> String {
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

/// A chart coordinate with one decimal: finer steps are invisible and only bloat the page.
pub struct Px(pub f64);

impl Render for Px {
    fn render_to(&self, buffer: &mut String) {
        format_args!("{:.1}", self.0).render_to(buffer);
    }
}
