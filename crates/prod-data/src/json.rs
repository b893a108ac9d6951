//! The JSON pieces that log lines are written with, byte for byte what `serde_json` writes,
//! for code that writes JSON by hand on a hot path (the prediction log, predict-api's
//! answers).

/// Appends `n` in decimal.
pub fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends `value` as serde_json does (shortest round-trip form; `null` when not finite).
pub fn write_f64(out: &mut Vec<u8>, value: f64) {
    serde_json::to_writer(&mut *out, &value).expect("writing to a Vec cannot fail");
}

/// A JSON string with serde_json's escapes: `"`, `\`, and the control characters below
/// 0x20 (`\b \t \n \f \r` by name, the rest as `\u00xx`); everything else verbatim. Clean
/// blocks of 32 bytes are skipped with a bit-parallel test of their four words (serde_json
/// looks at each byte), since texts rarely need an escape.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const BLOCK: usize = 32;
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut clean_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let flagged = match rest.first_chunk::<BLOCK>() {
            Some(block) => block_needs_escape(block),
            None => {
                // The tail, padded with spaces (which need no escape).
                let mut block = [b' '; BLOCK];
                block[..rest.len()].copy_from_slice(rest);
                block_needs_escape(&block)
            }
        };
        let end = bytes.len().min(i + BLOCK);
        if !flagged {
            i = end;
            continue;
        }
        // A block with an escape: byte by byte.
        for (at, &b) in bytes.iter().enumerate().take(end).skip(i) {
            if !needs_escape(b) {
                continue;
            }
            out.extend_from_slice(&bytes[clean_from..at]);
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
            }
            clean_from = at + 1;
        }
        i = end;
    }
    out.extend_from_slice(&bytes[clean_from..]);
    out.push(b'"');
}

/// Whether any byte of `block` needs an escape: the four words' flags OR-ed, one branch.
fn block_needs_escape(block: &[u8; 32]) -> bool {
    let word = |at: usize| {
        let bytes = block[at..at + 8].try_into().expect("eight bytes");
        escape_flags(u64::from_le_bytes(bytes))
    };
    word(0) | word(8) | word(16) | word(24) != 0
}

/// The high bit of each byte of `word` that may need an escape. Exact when non-zero: a
/// borrow in `x - 0x01..` or `x - 0x20..` starts only at a byte that is zero or below 0x20,
/// so a flagged word always holds such a byte.
fn escape_flags(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    control | quote | backslash
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_numbers_match_serde() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "【紧急通知】 \"quoted\" back\\slash\u{1}\u{7f}\n".into(),
            // Bytes 0x80..0xBF and 0xE2 next to the tested values: no false escapes.
            "¢£¥…“”‘’—中文 \u{80}\u{9f}\u{a0}\u{bf}".repeat(3),
        ];
        for b in 0u8..0x80 {
            for offset in 0..70 {
                texts.push(format!("{}{}yyyyyyyyy", "x".repeat(offset), b as char));
                texts.push(format!("{}{}", "x".repeat(offset), b as char));
            }
        }
        for text in &texts {
            let mut out = Vec::new();
            write_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
        for n in [0, 7, 10, 12345, u64::MAX] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(out, serde_json::to_vec(&n).unwrap());
        }
        let mut floats = vec![
            0.0,
            -0.0,
            0.1,
            1e300,
            f64::NAN,
            f64::INFINITY,
            -1.0,
            1e15 - 1.0,
        ];
        floats.extend((0..20_000).map(f64::from));
        floats.extend((0..=16).map(|e| 10f64.powi(e)));
        floats.extend((0..=16).map(|e| 10f64.powi(e) + 1.0));
        floats.extend([
            123_456_789_012_345.0,
            999_999_999_999_999.0,
            4_503_599_627_370_497.0,
        ]);
        for x in floats {
            let mut out = Vec::new();
            write_f64(&mut out, x);
            assert_eq!(out, serde_json::to_vec(&x).unwrap());
        }
    }
}
