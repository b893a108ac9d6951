//! Text normalisation: HTML stripping, NFKC, lowercase, placeholders, whitespace folding.
//!
//! URLs, e-mail addresses, phone numbers and money amounts are strong fraud signals, but each
//! one is nearly unique, so they are replaced by placeholder tokens instead of growing the
//! vocabulary with one rare term per link.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use unicode_normalization::UnicodeNormalization;

/// Placeholder token that replaces a URL or bare web domain.
pub const URL_TOKEN: &str = "__url__";
/// Placeholder token that replaces an e-mail address.
pub const EMAIL_TOKEN: &str = "__email__";
/// Placeholder token that replaces a phone number.
pub const PHONE_TOKEN: &str = "__phone__";
/// Placeholder token that replaces a money amount.
pub const MONEY_TOKEN: &str = "__money__";

/// Default cap on the characters kept from one message.
pub const DEFAULT_MAX_CHARS: usize = 20_000;

/// A normalised message and the placeholder counts found while normalising it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The normalised text: lowercase, NFKC, placeholders, single spaces.
    pub text: String,
    /// How many URLs were replaced.
    pub urls: u32,
    /// How many e-mail addresses were replaced.
    pub emails: u32,
    /// How many phone numbers were replaced.
    pub phones: u32,
    /// How many money amounts were replaced.
    pub money: u32,
}

static HTML_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(script|style|head)(?-u:\b)[^>]*>.*?</(script|style|head)\s*>|<!--.*?-->")
        .expect("static regex")
});
static HTML_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)</?[a-zA-Z!][^<>]*>").expect("static regex"));
static HTML_ENTITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});").expect("static regex")
});

// One pass, alternatives in priority order: an e-mail contains a domain, a money amount
// contains digits that would otherwise read as a phone number.
static PLACEHOLDERS: LazyLock<Regex> = LazyLock::new(|| {
    let email = r"(?P<email>[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})";
    // A URL ends before CJK text or trailing punctuation ("see x.com/a, then" keeps the comma).
    let url = concat!(
        r"(?P<url>(?:https?://|www\.)(?:[^\s<>()\[\]{}\p{Han}]*[^\s<>()\[\]{}\p{Han}.,;:!?'\x22])?",
        r"|(?-u:\b)[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.",
        r"(?:com|net|org|cn|io|xyz|top|info|biz|co|me|ly|cc|ru|tk|vip|shop|site|online|club|link|app|hk|tw|uk|us|gov|edu)",
        r"(?-u:\b)(?:/(?:[^\s<>()\[\]{}\p{Han}]*[^\s<>()\[\]{}\p{Han}.,;:!?'\x22])?)?)"
    );
    let money = concat!(
        r"(?P<money>(?:[$€£¥₹]|(?-u:\b)(?:usd|rmb|hkd|eur|gbp|cny)\s?)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|万|千|百万)(?-u:\b))?",
        r"|\d[\d,]*(?:\.\d+)?\s?(?:万元|元|块钱|块|美元|英镑|欧元|港币|人民币|(?:usd|dollars?|euros?|pounds?|rmb|bucks)(?-u:\b)))"
    );
    let phone = r"(?P<phone>\+?\(?\d[\d\s().-]{6,}\d)";
    Regex::new(&format!("{email}|{url}|{money}|{phone}")).expect("static regex")
});

/// Normalises one message. `max_chars` caps the characters read from the input (so a huge
/// message costs bounded work) and the characters of the result.
pub fn normalize(raw: &str, max_chars: usize) -> Normalized {
    let capped = cap_chars(raw, max_chars.saturating_mul(2));
    let without_html = if capped.contains('<') || capped.contains('&') {
        strip_html(capped)
    } else {
        capped.to_string()
    };
    // Most messages are already NFKC (plain ASCII always is): skip the rewrite for them.
    // Chinese text usually fails the quick check only for full-width punctuation and the
    // ideographic space, whose NFKC forms are plain ASCII: fold those first, cheaply.
    let composed = match unicode_normalization::is_nfkc_quick(without_html.chars()) {
        unicode_normalization::IsNormalized::Yes => without_html,
        _ => {
            let folded: String = without_html.chars().map(fold_fullwidth).collect();
            match unicode_normalization::is_nfkc_quick(folded.chars()) {
                unicode_normalization::IsNormalized::Yes => folded,
                _ => folded.nfkc().collect(),
            }
        }
    };
    let folded = if composed.is_ascii() {
        composed.to_ascii_lowercase()
    } else {
        composed.to_lowercase()
    };

    let mut out = Normalized::default();
    let replaced = PLACEHOLDERS.replace_all(&folded, |caps: &Captures<'_>| {
        let token = if caps.name("email").is_some() {
            out.emails += 1;
            EMAIL_TOKEN
        } else if caps.name("url").is_some() {
            out.urls += 1;
            URL_TOKEN
        } else if caps.name("money").is_some() {
            out.money += 1;
            MONEY_TOKEN
        } else {
            // Short digit runs with separators ("2-3 days") are not phone numbers.
            let digits = caps[0].chars().filter(char::is_ascii_digit).count();
            if digits < 7 {
                return caps[0].to_string();
            }
            out.phones += 1;
            PHONE_TOKEN
        };
        format!(" {token} ")
    });

    let mut text = String::with_capacity(replaced.len());
    for word in replaced.split_whitespace() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(word);
    }
    out.text = cap_chars(&text, max_chars).to_string();
    out
}

/// The NFKC form of full-width ASCII (U+FF01..U+FF5E) and the ideographic space; other
/// characters unchanged.
fn fold_fullwidth(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// Removes scripts, styles, comments and tags, and decodes the common HTML entities.
pub fn strip_html(input: &str) -> String {
    let no_blocks = HTML_BLOCK.replace_all(input, " ");
    let no_tags = HTML_TAG.replace_all(&no_blocks, " ");
    HTML_ENTITY
        .replace_all(&no_tags, |caps: &Captures<'_>| {
            decode_entity(&caps[1]).unwrap_or_else(|| caps[0].to_string())
        })
        .into_owned()
}

fn decode_entity(name: &str) -> Option<String> {
    let c = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
    } else if let Some(dec) = name.strip_prefix('#') {
        char::from_u32(dec.parse().ok()?)?
    } else {
        match name.to_ascii_lowercase().as_str() {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "copy" => '©',
            "reg" => '®',
            "pound" => '£',
            "euro" => '€',
            "yen" => '¥',
            _ => return None,
        }
    };
    Some(c.to_string())
}

/// The longest prefix of `s` with at most `max_chars` characters.
pub fn cap_chars(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((byte, _)) => &s[..byte],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Normalized {
        normalize(s, DEFAULT_MAX_CHARS)
    }

    #[test]
    fn replaces_urls_emails_phones_and_money() {
        let n = norm("URGENT! Visit http://bit.ly/x9 or paypa1-secure.com/login, mail help@bank.co.uk, call +1 (555) 123-4567 to claim $1,000.00");
        assert_eq!(
            n.text,
            "urgent! visit __url__ or __url__ , mail __email__ , call __phone__ to claim __money__"
        );
        assert_eq!((n.urls, n.emails, n.phones, n.money), (2, 1, 1, 1));
    }

    #[test]
    fn chinese_amounts_and_fullwidth_forms() {
        // Full-width digits and letters fold to ASCII under NFKC.
        let n = norm("恭喜您中奖５０００元，请登录ＷＷＷ.ｅｘａｍｐｌｅ.ｃｏｍ领取，客服电话１３８００１３８０００");
        assert_eq!(
            n.text,
            "恭喜您中奖 __money__ ,请登录 __url__ 领取,客服电话 __phone__"
        );
        assert_eq!((n.urls, n.phones, n.money), (1, 1, 1));
    }

    #[test]
    fn fullwidth_fast_path_matches_nfkc() {
        let text = "你好，世界！（测试）ＡＢＣ１２３　ｘｙｚ？：；「引号」～";
        let expected: String = text.nfkc().collect::<String>().to_lowercase();
        let expected = expected.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(norm(text).text, expected);
    }

    #[test]
    fn short_numbers_are_not_phones() {
        let n = norm("Your code is 483920, valid 5-10 min");
        assert_eq!(n.text, "your code is 483920, valid 5-10 min");
        assert_eq!(n.phones, 0);
    }

    #[test]
    fn strips_html_and_decodes_entities() {
        let n = norm("<html><head><title>x</title></head><body><p>Hello&nbsp;&amp; <b>welcome</b></p><script>var a=1;</script>&#20320;&#x597D;</body></html>");
        assert_eq!(n.text, "hello & welcome 你好");
    }

    #[test]
    fn folds_whitespace_and_caps_length() {
        assert_eq!(norm("  a \n\t b  ").text, "a b");
        assert_eq!(normalize("abcdef", 3).text, "abc");
        assert_eq!(normalize("中文字符", 2).text, "中文");
        assert_eq!(norm("").text, "");
    }
}
