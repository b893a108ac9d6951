//! Per-message descriptors: the numeric columns the drift monitor compares between the
//! training reference and production.

use crate::charclass;
use crate::normalize::Normalized;

/// Descriptor column names, in the order of [`TextDescriptors::values`].
pub const DESCRIPTOR_COLUMNS: [&str; DESCRIPTOR_COUNT] = [
    "length",
    "word_count",
    "upper_share",
    "digit_share",
    "url_count",
    "email_count",
    "phone_count",
    "money_count",
    "exclamation_count",
    "cjk_share",
    "oov_rate",
    "folded",
];

/// How many descriptor columns there are.
pub const DESCRIPTOR_COUNT: usize = 12;

/// Describes one message.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TextDescriptors {
    /// Characters in the raw message.
    pub length: u32,
    /// Content tokens (words; Chinese segmented), stop words excluded.
    pub word_count: u32,
    /// Upper-case share of the letters.
    pub upper_share: f64,
    /// Digit share of the non-space characters.
    pub digit_share: f64,
    /// URLs and bare web domains.
    pub url_count: u32,
    /// E-mail addresses.
    pub email_count: u32,
    /// Phone numbers.
    pub phone_count: u32,
    /// Money amounts.
    pub money_count: u32,
    /// `!` and full-width `！`.
    pub exclamation_count: u32,
    /// CJK share of the non-space characters.
    pub cjk_share: f64,
    /// Share of the content tokens that the model's vocabulary does not know.
    pub oov_rate: f64,
    /// Whether normalisation had to fold an evasive spelling (look-alike letters, spaced
    /// letters, invisible characters, homophones): its mean is the share of such messages.
    pub folded: bool,
}

impl TextDescriptors {
    /// Describes `raw`, given its normalisation, its content-token count and its OOV rate.
    pub fn compute(raw: &str, normalized: &Normalized, word_count: usize, oov_rate: f64) -> Self {
        let (mut chars, mut non_space, mut letters, mut upper, mut digits, mut cjk, mut bangs) =
            (0u32, 0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
        // Lead bytes only: ASCII and the common CJK ideographs need no decoding.
        let mut ascii = [0u32; 6];
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                // Counted by class here, added up after the loop: no branch per character.
                ascii[ASCII_CLASS[b as usize] as usize] += 1;
                i += 1;
            } else if charclass::is_ideograph_lead(b) {
                chars += 1;
                i += 3;
                non_space += 1;
                cjk += 1;
            } else {
                let c = raw[i..].chars().next().unwrap_or_default();
                chars += 1;
                i += c.len_utf8();
                let flags = charclass::flags(c);
                if flags & charclass::WHITESPACE != 0 {
                    continue;
                }
                non_space += 1;
                if flags & charclass::CJK != 0 {
                    cjk += 1;
                } else if flags & charclass::ALPHABETIC != 0 {
                    letters += 1;
                    upper += u32::from(flags & charclass::UPPERCASE != 0);
                } else if flags & charclass::NUMERIC != 0 {
                    digits += 1;
                } else if c == '！' {
                    bangs += 1;
                }
            }
        }
        let [spaces, lower, capitals, ascii_digits, ascii_bangs, ascii_other] = ascii;
        let ascii_non_space = lower + capitals + ascii_digits + ascii_bangs + ascii_other;
        chars += spaces + ascii_non_space;
        non_space += ascii_non_space;
        letters += lower + capitals;
        upper += capitals;
        digits += ascii_digits;
        bangs += ascii_bangs;
        let share = |n: u32, d: u32| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        TextDescriptors {
            length: chars,
            word_count: word_count as u32,
            upper_share: share(upper, letters),
            digit_share: share(digits, non_space),
            url_count: normalized.urls,
            email_count: normalized.emails,
            phone_count: normalized.phones,
            money_count: normalized.money,
            exclamation_count: bangs,
            cjk_share: share(cjk, non_space),
            oov_rate,
            folded: normalized.folded,
        }
    }

    /// The values in [`DESCRIPTOR_COLUMNS`] order.
    pub fn values(&self) -> [f64; DESCRIPTOR_COUNT] {
        [
            self.length as f64,
            self.word_count as f64,
            self.upper_share,
            self.digit_share,
            self.url_count as f64,
            self.email_count as f64,
            self.phone_count as f64,
            self.money_count as f64,
            self.exclamation_count as f64,
            self.cjk_share,
            self.oov_rate,
            f64::from(u8::from(self.folded)),
        ]
    }
}

/// The class of an ASCII byte, as an index of the counts in [`TextDescriptors::compute`]:
/// whitespace, lower-case letter, capital, digit, `!`, anything else.
static ASCII_CLASS: [u8; 128] = {
    let mut table = [5u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_whitespace() || c == 0x0B {
            0
        } else if c.is_ascii_lowercase() {
            1
        } else if c.is_ascii_uppercase() {
            2
        } else if c.is_ascii_digit() {
            3
        } else if c == b'!' {
            4
        } else {
            5
        };
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    #[test]
    fn counts_by_hand() {
        let raw = "WIN $500 now!! 中奖";
        let n = normalize(raw, 1000);
        let d = TextDescriptors::compute(raw, &n, 3, 0.25);
        assert_eq!(d.length, 17);
        // Letters W I N n o w: 3 upper of 6.
        assert!((d.upper_share - 0.5).abs() < 1e-12);
        // Non-space: WIN(3) $500(4) now!!(5) 中奖(2) = 14; digits 3; CJK 2.
        assert!((d.digit_share - 3.0 / 14.0).abs() < 1e-12);
        assert!((d.cjk_share - 2.0 / 14.0).abs() < 1e-12);
        assert_eq!(
            (d.money_count, d.exclamation_count, d.word_count),
            (1, 2, 3)
        );
        assert_eq!(d.values()[10], 0.25);
    }

    #[test]
    fn counts_non_ascii_letters_digits_and_spaces() {
        let raw = "ÀÉ é！\u{3000}５\u{b}";
        let d = TextDescriptors::compute(raw, &normalize(raw, 1000), 1, 0.0);
        assert_eq!(d.length, 8);
        // Non-space: À É é ！ ５; letters À É é, two upper; one full-width digit.
        assert!((d.upper_share - 2.0 / 3.0).abs() < 1e-12);
        assert!((d.digit_share - 1.0 / 5.0).abs() < 1e-12);
        assert_eq!((d.exclamation_count, d.cjk_share), (1, 0.0));
    }

    #[test]
    fn empty_text_has_zero_shares() {
        let d = TextDescriptors::compute("", &Normalized::default(), 0, 0.0);
        assert_eq!(d.values(), [0.0; DESCRIPTOR_COUNT]);
    }

    #[test]
    fn marks_messages_that_needed_folding() {
        for (raw, folded) in [
            ("verify your paypal account", false),
            ("v.e.r.i.f.y your pаypal account", true),
            ("加薇信领取", true),
            ("明天下午3点开会", false),
        ] {
            let d = TextDescriptors::compute(raw, &normalize(raw, 1000), 3, 0.0);
            assert_eq!(d.folded, folded, "{raw}");
            assert_eq!(d.values()[11], f64::from(u8::from(folded)), "{raw}");
        }
    }
}
