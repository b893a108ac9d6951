//! Prediction log lines written by hand: the same bytes as `serde_json::to_vec` of a
//! [`PredictionRecord`], without building one. A line is written for every prediction, so
//! the clones, the descriptor map and serde's byte-at-a-time string escaping were a
//! measurable share of a request's CPU.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::json::{write_f64, write_str, write_u64};
use crate::PredictionRecord;

/// A prediction to log, borrowed from the request path. Written exactly as the
/// [`PredictionRecord`] with the same values, and read back as one.
#[derive(Debug, Clone, Copy)]
pub struct PredictionLine<'a> {
    /// Unique id, returned to the caller for feedback.
    pub prediction_id: &'a str,
    /// When the prediction was made.
    pub at: DateTime<Utc>,
    /// The service instance that made it.
    pub instance: &'a str,
    /// The model version that scored it.
    pub model_version: &'a str,
    /// The message text.
    pub text: &'a str,
    /// The caller's own id for the message, if given.
    pub client_id: Option<&'a str>,
    /// Channel (sms, email, chat, ...), if given.
    pub channel: Option<&'a str>,
    /// Caller metadata, if given.
    pub meta: Option<&'a serde_json::Value>,
    /// P(fraud).
    pub risk_score: f64,
    /// `fraud` or `legit` at the model's threshold.
    pub predicted_label: &'a str,
    /// The model's threshold.
    pub threshold: f64,
    /// `low`, `medium` or `high`.
    pub risk_level: &'a str,
    /// Text descriptors by column name, in any order (written sorted by name, as the record's
    /// map is).
    pub descriptors: &'a [(&'a str, f64)],
    /// Time spent scoring, in microseconds.
    pub latency_us: u64,
}

impl PredictionLine<'_> {
    /// Appends the line (JSON and a newline) with schema version [`crate::SCHEMA_VERSION`].
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_prediction(out, crate::SCHEMA_VERSION, self);
    }
}

/// Appends `record` as one line; the same bytes as `serde_json::to_vec(record)` and a newline.
pub(crate) fn write_record(out: &mut Vec<u8>, record: &PredictionRecord) {
    let descriptors: Vec<(&str, f64)> = record
        .descriptors
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    let line = PredictionLine {
        prediction_id: &record.prediction_id,
        at: record.at,
        instance: &record.instance,
        model_version: &record.model_version,
        text: &record.text,
        client_id: record.client_id.as_deref(),
        channel: record.channel.as_deref(),
        meta: record.meta.as_ref(),
        risk_score: record.risk_score,
        predicted_label: &record.predicted_label,
        threshold: record.threshold,
        risk_level: &record.risk_level,
        descriptors: &descriptors,
        latency_us: record.latency_us,
    };
    write_prediction(out, record.schema, &line);
}

/// Field order and optional fields follow `PredictionRecord`'s derived `Serialize`.
fn write_prediction(out: &mut Vec<u8>, schema: u32, p: &PredictionLine<'_>) {
    out.reserve(320 + p.text.len() + p.descriptors.len() * 32);
    out.extend_from_slice(b"{\"schema\":");
    write_u64(out, schema.into());
    out.extend_from_slice(b",\"prediction_id\":");
    write_str(out, p.prediction_id);
    out.extend_from_slice(b",\"at\":");
    write_datetime(out, &p.at);
    out.extend_from_slice(b",\"instance\":");
    write_str(out, p.instance);
    out.extend_from_slice(b",\"model_version\":");
    write_str(out, p.model_version);
    out.extend_from_slice(b",\"text\":");
    write_str(out, p.text);
    if let Some(client_id) = p.client_id {
        out.extend_from_slice(b",\"client_id\":");
        write_str(out, client_id);
    }
    if let Some(channel) = p.channel {
        out.extend_from_slice(b",\"channel\":");
        write_str(out, channel);
    }
    if let Some(meta) = p.meta {
        out.extend_from_slice(b",\"meta\":");
        serde_json::to_writer(&mut *out, meta).expect("a JSON value serialises");
    }
    out.extend_from_slice(b",\"risk_score\":");
    write_f64(out, p.risk_score);
    out.extend_from_slice(b",\"predicted_label\":");
    write_str(out, p.predicted_label);
    out.extend_from_slice(b",\"threshold\":");
    write_f64(out, p.threshold);
    out.extend_from_slice(b",\"risk_level\":");
    write_str(out, p.risk_level);
    out.extend_from_slice(b",\"descriptors\":{");
    write_descriptors(out, p.descriptors);
    out.extend_from_slice(b"},\"latency_us\":");
    write_u64(out, p.latency_us);
    out.extend_from_slice(b"}\n");
}

/// Writes the pairs sorted by name, keeping the last of equal names: what the record's
/// `BTreeMap` holds and serialises.
fn write_descriptors(out: &mut Vec<u8>, pairs: &[(&str, f64)]) {
    let write_pair = |out: &mut Vec<u8>, first: bool, (name, value): (&str, f64)| {
        if !first {
            out.push(b',');
        }
        write_str(out, name);
        out.push(b':');
        write_f64(out, value);
    };
    // Callers on the request path pass the names already sorted.
    if pairs.windows(2).all(|w| w[0].0 < w[1].0) {
        for (i, &pair) in pairs.iter().enumerate() {
            write_pair(out, i == 0, pair);
        }
        return;
    }
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    // Stable, so among equal names the last one given stays last.
    order.sort_by(|&a, &b| pairs[a].0.cmp(pairs[b].0));
    let mut first = true;
    for (i, &index) in order.iter().enumerate() {
        let name = pairs[index].0;
        if order.get(i + 1).is_some_and(|&next| pairs[next].0 == name) {
            continue;
        }
        write_pair(out, first, pairs[index]);
        first = false;
    }
}

/// chrono's `Serialize` for `DateTime<Utc>` (RFC 3339, `Z`, 0/3/6/9 fraction digits), by
/// hand for the years 0–9999, through chrono otherwise.
fn write_datetime(out: &mut Vec<u8>, at: &DateTime<Utc>) {
    let year = at.year();
    if !(0..=9999).contains(&year) {
        serde_json::to_writer(&mut *out, at).expect("writing to a Vec cannot fail");
        return;
    }
    let two = |out: &mut Vec<u8>, n: u32| {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8])
    };
    let mut nano = at.nanosecond();
    let mut second = at.second();
    // A leap second is stored as nanoseconds past 1e9.
    if nano >= 1_000_000_000 {
        second += 1;
        nano -= 1_000_000_000;
    }
    out.push(b'"');
    two(out, year as u32 / 100);
    two(out, year as u32 % 100);
    out.push(b'-');
    two(out, at.month());
    out.push(b'-');
    two(out, at.day());
    out.push(b'T');
    two(out, at.hour());
    out.push(b':');
    two(out, at.minute());
    out.push(b':');
    two(out, second);
    let (value, digits) = if nano == 0 {
        (0, 0)
    } else if nano.is_multiple_of(1_000_000) {
        (nano / 1_000_000, 3)
    } else if nano.is_multiple_of(1_000) {
        (nano / 1_000, 6)
    } else {
        (nano, 9)
    };
    if digits > 0 {
        out.push(b'.');
        let mut buf = [b'0'; 9];
        let mut v = value;
        for slot in buf[..digits].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&buf[..digits]);
    }
    out.extend_from_slice(b"Z\"");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::SCHEMA_VERSION;

    fn serde_line(record: &PredictionRecord) -> Vec<u8> {
        let mut line = serde_json::to_vec(record).unwrap();
        line.push(b'\n');
        line
    }

    fn fast_line(record: &PredictionRecord) -> Vec<u8> {
        let mut line = Vec::new();
        write_record(&mut line, record);
        line
    }

    fn record(text: &str) -> PredictionRecord {
        PredictionRecord {
            schema: SCHEMA_VERSION,
            prediction_id: "019a0000-0000-7000-8000-000000000000".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 32).unwrap()
                + chrono::Duration::nanoseconds(123_456_789),
            instance: "host-1".into(),
            model_version: "v0001".into(),
            text: text.into(),
            client_id: None,
            channel: None,
            meta: None,
            risk_score: 0.9731,
            predicted_label: "fraud".into(),
            threshold: 0.5076,
            risk_level: "high".into(),
            descriptors: BTreeMap::from([
                ("length".to_string(), 392.0),
                ("cjk_share".to_string(), 0.912_345_678_9),
                ("oov_rate".to_string(), 0.0),
                ("word_count".to_string(), 1e-7),
            ]),
            latency_us: 1234,
        }
    }

    #[test]
    fn lines_are_byte_identical_to_serde() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "plain ascii text that is longer than eight bytes".into(),
            "【紧急通知】尊敬的客户您好，请点击链接 http://anquan-hecha.cn".into(),
            "quote \" backslash \\ slash / tab\t nl\n cr\r bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f}".into(),
            "emoji 🎉 and é and \u{2028} line separator".into(),
        ];
        // Every byte value below 0x80 at every offset within an eight-byte word.
        for b in 0u8..0x80 {
            for offset in 0..9 {
                let mut s = "x".repeat(offset);
                s.push(b as char);
                s.push_str("yyyyyyyyy");
                texts.push(s);
            }
        }
        for text in &texts {
            let mut r = record(text);
            assert_eq!(fast_line(&r), serde_line(&r), "{text:?}");
            r.client_id = Some(format!("id \"{text}\""));
            r.channel = Some("sms".into());
            r.meta = Some(serde_json::json!({"b": [1, 2.5, null], "a": text, "n": -3}));
            assert_eq!(fast_line(&r), serde_line(&r), "{text:?}");
        }
    }

    #[test]
    fn numbers_match_serde() {
        let mut r = record("t");
        for value in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1.0 / 3.0,
            1e21,
            1e-7,
            123_456_789.125,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            r.risk_score = value;
            r.threshold = -value;
            r.descriptors.insert("length".into(), value);
            assert_eq!(fast_line(&r), serde_line(&r), "{value}");
        }
        for latency in [0, 9, 10, 99, 100, 1_000_000, u64::MAX] {
            r.latency_us = latency;
            r.schema = latency as u32;
            assert_eq!(fast_line(&r), serde_line(&r), "{latency}");
        }
        r.descriptors.clear();
        assert_eq!(fast_line(&r), serde_line(&r));
    }

    #[test]
    fn timestamps_match_chrono() {
        let mut r = record("t");
        let base = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        for nano in [
            0,
            1,
            7_000,
            120_000,
            5_000_000,
            100_000_000,
            999_999_999,
            123_456_789,
            1_500_000_000, // leap second
            1_000_000_000,
        ] {
            let naive = base.and_hms_nano_opt(23, 59, 59, nano).unwrap();
            r.at = Utc.from_utc_datetime(&naive);
            assert_eq!(fast_line(&r), serde_line(&r), "{nano}");
        }
        for (y, m, d) in [
            (0, 1, 1),
            (9, 12, 31),
            (999, 2, 28),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 15),
        ] {
            let naive = NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_micro_opt(0, 0, 0, 42)
                .unwrap();
            r.at = Utc.from_utc_datetime(&naive);
            assert_eq!(fast_line(&r), serde_line(&r), "{y}-{m}-{d}");
        }
        r.at = Utc::now();
        assert_eq!(fast_line(&r), serde_line(&r));
    }

    #[test]
    fn borrowed_lines_read_back_as_records() {
        let meta = serde_json::json!({"k": "v"});
        let line = PredictionLine {
            prediction_id: "p1",
            at: Utc::now(),
            instance: "i",
            model_version: "v0002",
            text: "hello \"world\"",
            client_id: Some("c"),
            channel: None,
            meta: Some(&meta),
            risk_score: 0.25,
            predicted_label: "legit",
            threshold: 0.5,
            risk_level: "low",
            descriptors: &[("word_count", 2.0), ("length", 13.0), ("length", 14.0)],
            latency_us: 7,
        };
        let mut bytes = Vec::new();
        line.write_to(&mut bytes);
        let back: PredictionRecord = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.schema, SCHEMA_VERSION);
        assert_eq!(back.text, line.text);
        assert_eq!(back.client_id.as_deref(), Some("c"));
        assert_eq!(back.meta, Some(meta.clone()));
        assert_eq!(
            back.descriptors,
            BTreeMap::from([
                ("length".to_string(), 14.0),
                ("word_count".to_string(), 2.0)
            ])
        );
        assert_eq!(serde_line(&back), bytes);
    }
}
