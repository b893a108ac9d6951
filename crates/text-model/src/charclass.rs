//! Unicode properties of a character in one table lookup.
//!
//! Tokenising and describing a message ask, for every non-ASCII character, whether it is
//! CJK, whitespace, alphabetic, upper case, numeric or alphanumeric; the standard library
//! answers some of these with a binary search. The table holds the same answers for the Basic
//! Multilingual Plane (64 KiB, built when a model is loaded, or on first use); other characters
//! are asked directly.

use std::sync::LazyLock;

use crate::tokenize::is_cjk;

pub(crate) const WHITESPACE: u8 = 1;
pub(crate) const ALPHABETIC: u8 = 1 << 1;
pub(crate) const UPPERCASE: u8 = 1 << 2;
pub(crate) const NUMERIC: u8 = 1 << 3;
pub(crate) const CJK: u8 = 1 << 4;
pub(crate) const ALPHANUMERIC: u8 = 1 << 5;

fn compute(c: char) -> u8 {
    let bit = |yes: bool, flag: u8| if yes { flag } else { 0 };
    bit(c.is_whitespace(), WHITESPACE)
        | bit(c.is_alphabetic(), ALPHABETIC)
        | bit(c.is_uppercase(), UPPERCASE)
        | bit(c.is_numeric(), NUMERIC)
        | bit(is_cjk(c), CJK)
        | bit(c.is_alphanumeric(), ALPHANUMERIC)
}

static BMP: LazyLock<Box<[u8]>> = LazyLock::new(|| {
    (0..=0xFFFFu32)
        .map(|u| char::from_u32(u).map_or(0, compute))
        .collect()
});

/// Whether `lead` starts a character of U+5000..U+9FFF, all of them CJK ideographs
/// ([`is_cjk`]): the hot loops take these 3-byte characters without decoding them.
#[inline]
pub(crate) fn is_ideograph_lead(lead: u8) -> bool {
    matches!(lead, 0xE5..=0xE9)
}

/// Builds the table now (about 10 ms), so that no message pays for it.
pub(crate) fn build_table() {
    LazyLock::force(&BMP);
}

/// The flags of `c`.
#[inline]
pub(crate) fn flags(c: char) -> u8 {
    match BMP.get(c as usize) {
        Some(&f) => f,
        None => compute(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_the_standard_answers() {
        for c in [
            'a', 'Z', '5', ' ', '\u{3000}', '中', '，', '。', '！', 'É', '٣', 'Ⅻ', '😀', '𠀀',
        ] {
            assert_eq!(flags(c) & WHITESPACE != 0, c.is_whitespace(), "{c:?}");
            assert_eq!(flags(c) & ALPHABETIC != 0, c.is_alphabetic(), "{c:?}");
            assert_eq!(flags(c) & UPPERCASE != 0, c.is_uppercase(), "{c:?}");
            assert_eq!(flags(c) & NUMERIC != 0, c.is_numeric(), "{c:?}");
            assert_eq!(flags(c) & CJK != 0, is_cjk(c), "{c:?}");
            assert_eq!(flags(c) & ALPHANUMERIC != 0, c.is_alphanumeric(), "{c:?}");
        }
        // Spot values, so the table cannot agree with a broken `compute`.
        assert_eq!(flags('中'), CJK | ALPHABETIC | ALPHANUMERIC);
        assert_eq!(flags('，'), 0);
        assert_eq!(flags('\u{3000}'), WHITESPACE);
        assert_eq!(flags('É'), ALPHABETIC | UPPERCASE | ALPHANUMERIC);
        assert_eq!(flags('٣'), NUMERIC | ALPHANUMERIC);
        assert_eq!(flags('𠀀'), CJK | ALPHABETIC | ALPHANUMERIC);
    }
}
