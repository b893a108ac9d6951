//! Text normalisation: HTML stripping, NFKC, lowercase, placeholders, whitespace folding.
//!
//! URLs, e-mail addresses, phone numbers and money amounts are strong fraud signals, but each
//! one is nearly unique, so they are replaced by placeholder tokens instead of growing the
//! vocabulary with one rare term per link.

use std::borrow::Cow;
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
    /// Whether evasive spellings (look-alike letters, invisible characters, spaced letters,
    /// wedged emoji, homophones) were folded.
    pub folded: bool,
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

/// The placeholder patterns, in priority order.
#[derive(Clone, Copy)]
enum Placeholder {
    Email,
    Url,
    Money,
    Phone,
}

const PLACEHOLDER_ORDER: [Placeholder; 4] = [
    Placeholder::Email,
    Placeholder::Url,
    Placeholder::Money,
    Placeholder::Phone,
];

// One search for all patterns. Where several match at the same place the earlier one wins:
// an e-mail contains a domain, a money amount contains digits that would otherwise read as a
// phone number. The matching pattern comes from the automaton itself, so no capture groups
// (and no backtracking engine) are needed.
static PLACEHOLDERS: LazyLock<regex_automata::meta::Regex> = LazyLock::new(|| {
    regex_automata::meta::Regex::new_many(&[
        EMAIL_PATTERN,
        URL_PATTERN,
        MONEY_PATTERN,
        PHONE_PATTERN,
    ])
    .expect("static regex")
});

const EMAIL_PATTERN: &str = r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}";
// A URL ends before CJK text or trailing punctuation ("see x.com/a, then" keeps the comma).
const URL_PATTERN: &str = concat!(
    r"(?:https?://|www\.)(?:[^\s<>()\[\]{}\p{Han}]*[^\s<>()\[\]{}\p{Han}.,;:!?'\x22])?",
    r"|(?-u:\b)[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.",
    r"(?:com|net|org|cn|io|xyz|top|info|biz|co|me|ly|cc|ru|tk|vip|shop|site|online|club|link|app|hk|tw|uk|us|gov|edu)",
    r"(?-u:\b)(?:/(?:[^\s<>()\[\]{}\p{Han}]*[^\s<>()\[\]{}\p{Han}.,;:!?'\x22])?)?"
);
const MONEY_PATTERN: &str = concat!(
    r"(?:[$€£¥₹]|(?-u:\b)(?:usd|rmb|hkd|eur|gbp|cny)\s?)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|万|千|百万)(?-u:\b))?",
    r"|\d[\d,]*(?:\.\d+)?\s?(?:万元|元|块钱|块|美元|英镑|欧元|港币|人民币|(?:usd|dollars?|euros?|pounds?|rmb|bucks)(?-u:\b))"
);
const PHONE_PATTERN: &str = r"\+?\(?\d[\d\s().-]{6,}\d";

/// Normalises one message. `max_chars` caps the characters read from the input (so a huge
/// message costs bounded work) and the characters of the result.
pub fn normalize(raw: &str, max_chars: usize) -> Normalized {
    let capped = cap_chars(raw, max_chars.saturating_mul(2));
    let without_html: Cow<'_, str> = if memchr::memchr2(b'<', b'&', capped.as_bytes()).is_some() {
        Cow::Owned(strip_html(capped))
    } else {
        Cow::Borrowed(capped)
    };
    let lowered = nfkc_lowercase(&without_html);
    let (folded, confusables) = crate::confusables::fold(&lowered);
    let folded: &str = &folded;

    let mut out = Normalized {
        folded: confusables,
        ..Normalized::default()
    };
    let mut replaced = String::with_capacity(folded.len() + 16);
    let mut copied = 0;
    for found in PLACEHOLDERS.find_iter(folded) {
        let matched = &folded[found.range()];
        let token = match PLACEHOLDER_ORDER[found.pattern().as_usize()] {
            Placeholder::Email => {
                out.emails += 1;
                EMAIL_TOKEN
            }
            Placeholder::Url => {
                out.urls += 1;
                URL_TOKEN
            }
            Placeholder::Money => {
                out.money += 1;
                MONEY_TOKEN
            }
            Placeholder::Phone => {
                // Short digit runs with separators ("2-3 days") are not phone numbers.
                if matched.bytes().filter(u8::is_ascii_digit).count() < 7 {
                    continue;
                }
                out.phones += 1;
                PHONE_TOKEN
            }
        };
        replaced.push_str(&folded[copied..found.start()]);
        replaced.push(' ');
        replaced.push_str(token);
        replaced.push(' ');
        copied = found.end();
    }
    replaced.push_str(&folded[copied..]);

    let mut text = fold_whitespace(&replaced);
    let kept = cap_chars(&text, max_chars).len();
    text.truncate(kept);
    out.text = text;
    out
}

/// Words separated by single spaces, as `split_whitespace` and `join(" ")` give them, in one
/// pass that looks at lead bytes only: just the lead bytes of non-ASCII whitespace (U+0085,
/// U+00A0, U+1680, U+2000..U+205F, U+3000) need a decoded character. A word is crossed by a
/// tight loop over its lead bytes and copied whole.
fn fold_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    loop {
        // Whitespace.
        while i < bytes.len() {
            match WHITESPACE_STEP[bytes[i] as usize] {
                ASCII_SPACE => i += 1,
                DECODE => match decoded_whitespace(text, i) {
                    Some(width) => i += width,
                    None => break,
                },
                _ => break,
            }
        }
        if i == bytes.len() {
            return out;
        }
        // A word.
        let start = i;
        while i < bytes.len() {
            let step = WHITESPACE_STEP[bytes[i] as usize];
            // 1..=4: the width of a character that is not whitespace.
            if step.wrapping_sub(1) < 4 {
                i += step as usize;
            } else if step == DECODE && decoded_whitespace(text, i).is_none() {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            } else {
                break;
            }
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&text[start..i]);
    }
}

/// The width of the character at `at` (a `DECODE` lead byte) when it is whitespace.
fn decoded_whitespace(text: &str, at: usize) -> Option<usize> {
    text[at..]
        .chars()
        .next()
        .filter(|c| c.is_whitespace())
        .map(char::len_utf8)
}

const ASCII_SPACE: u8 = 0;
const DECODE: u8 = 0xFF;

/// Per lead byte, for [`fold_whitespace`]: `ASCII_SPACE`, `DECODE` (the lead bytes of U+0085,
/// U+00A0, U+1680, U+2000..U+205F and U+3000, which need the character), or the width of a
/// character that is not whitespace.
static WHITESPACE_STEP: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' => ASCII_SPACE,
            0xC2 | 0xE1 | 0xE2 | 0xE3 => DECODE,
            0x00..=0x7F => 1,
            // Continuation bytes are never looked at: every step lands on a lead byte.
            0x80..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        b += 1;
    }
    table
};

/// NFKC, then lowercase.
///
/// Scoring calls this for every message, and the general path (a quick check, a rewrite and a
/// full Unicode lowercase) costs tens of microseconds for 400 Chinese characters. Almost every
/// message consists of characters that NFKC leaves alone and that have no case (ASCII aside),
/// plus full-width forms whose NFKC form is ASCII: those take one pass; anything else takes
/// the general path.
fn nfkc_lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        // Copy a run that stays as it is in one go: ASCII without capitals, and U+4000..U+9FFF
        // (CJK ideographs and the stable symbols just before them), whose lead bytes are
        // 0xE4..=0xE9; a character's continuation bytes are stepped over, not looked at.
        let mut end = i;
        while end < bytes.len() {
            match UNCHANGED_STEP[bytes[end] as usize] {
                0 => break,
                width => end += width as usize,
            }
        }
        if end > i {
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        match bytes[i] {
            b if b < 0x80 => {
                out.push(b.to_ascii_lowercase() as char);
                i += 1;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or_default();
                if is_fullwidth_form(c) {
                    out.push(fold_fullwidth(c).to_ascii_lowercase());
                } else if is_stable_caseless(c) {
                    out.push(c);
                } else {
                    return nfkc_lowercase_general(text);
                }
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Per lead byte, for [`nfkc_lowercase`]: the width of a character that NFKC and lowercase
/// leave alone (ASCII except capitals; U+4000..U+9FFF, lead bytes 0xE4..=0xE9), else 0.
static UNCHANGED_STEP: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'A'..=b'Z' => 0,
            0x00..=0x7F => 1,
            0xE4..=0xE9 => 3,
            _ => 0,
        };
        b += 1;
    }
    table
};

fn nfkc_lowercase_general(text: &str) -> String {
    // Full-width punctuation and the ideographic space fail the quick check; folding them
    // first often lets a message skip the rewrite.
    let folded: String = text.chars().map(fold_fullwidth).collect();
    let composed = match unicode_normalization::is_nfkc_quick(folded.chars()) {
        unicode_normalization::IsNormalized::Yes => folded,
        _ => folded.nfkc().collect(),
    };
    composed.to_lowercase()
}

/// Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, whose NFKC forms are ASCII.
fn is_fullwidth_form(c: char) -> bool {
    matches!(c as u32, 0xFF01..=0xFF5E | 0x3000)
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

/// Characters that NFKC maps to themselves, that never combine with a neighbour, and that have
/// no lowercase form: CJK ideographs, kana, CJK punctuation, typographic quotes and dashes,
/// common emoji. A test checks every one of them against the general path.
fn is_stable_caseless(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x9FFF // CJK unified ideographs, extension A and Yijing hexagram symbols
        | 0x3001..=0x3029 | 0x3030..=0x3035 | 0x3037 | 0x303B..=0x303F // CJK punctuation
        | 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x30FC..=0x30FE // kana, without combining marks
        | 0x2010 | 0x2012..=0x2015 | 0x2018..=0x201F | 0x2020..=0x2023 | 0x2030 // punctuation
        | 0x00A1..=0x00A7 | 0x00A9 | 0x00AB..=0x00AE | 0x00B0 | 0x00B1 | 0x00B6 | 0x00B7
        | 0x00BB | 0x00BF | 0x00D7 | 0x00F7 | 0x20AC | 0x20B9 // Latin-1 signs, euro, rupee
        | 0x1F300..=0x1F5FF | 0x1F600..=0x1F64F | 0x1F680..=0x1F6FF | 0x1F900..=0x1F9FF)
    // emoji
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
    // A string has at most as many characters as bytes.
    if s.len() <= max_chars {
        return s;
    }
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
    fn fast_path_characters_are_nfkc_stable_and_caseless() {
        use unicode_normalization::char::canonical_combining_class;
        let mut checked = 0;
        for c in (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| is_stable_caseless(c))
        {
            let nfkc: String = c.to_string().nfkc().collect();
            assert_eq!(nfkc, c.to_string(), "NFKC changes U+{:04X}", c as u32);
            assert!(
                c.to_lowercase().eq([c]),
                "U+{:04X} has a lowercase",
                c as u32
            );
            assert_eq!(
                canonical_combining_class(c),
                0,
                "U+{:04X} combines",
                c as u32
            );
            checked += 1;
        }
        assert!(checked > 20_000, "{checked}");
        for c in (0xFF01..=0xFF5E)
            .filter_map(char::from_u32)
            .chain(['\u{3000}'])
        {
            let nfkc: String = c.to_string().nfkc().collect();
            assert_eq!(nfkc, fold_fullwidth(c).to_string());
        }
    }

    #[test]
    fn fast_and_general_paths_agree() {
        for text in [
            "【中国邮政】您的包裹已被暂扣，请点击链接：http://x.cn 补充地址！",
            "Ｈｅｌｌｏ　ＷＯＲＬＤ，“quotes” — dash · 😀 ¥58 €5 ５０元",
            "カタカナ ひらがな 「引号」、。！？",
            "ΟΔΟΣ Straße ﬁle ①②③ Ⅻ café",
        ] {
            assert_eq!(nfkc_lowercase(text), nfkc_lowercase_general(text), "{text}");
        }
    }

    #[test]
    fn whitespace_folds_like_split_whitespace() {
        for text in [
            "",
            "   ",
            "a",
            " a  b\t\nc ",
            "x\u{3000}y\u{a0}z\u{2003}w\u{85}v\u{2028}u\u{b}t",
            "中文\u{3000}\u{3000}字 é\u{2060}f",
        ] {
            let expected = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(fold_whitespace(text), expected, "{text:?}");
        }
        use rand::{Rng, SeedableRng};
        let pieces = [
            " ", "  ", "\t", "\n", "\u{3000}", "\u{a0}", "\u{2003}", "\u{85}", "\u{2028}", "a",
            "word", "中文", "é", "\u{2060}", "·", "“", "。", "💰", "\u{1680}", "\u{b7}",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..20_000 {
            let text: String = (0..rng.gen_range(0..10))
                .map(|_| pieces[rng.gen_range(0..pieces.len())])
                .collect();
            let expected = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(fold_whitespace(&text), expected, "{text:?}");
        }
    }

    /// The placeholder pass as one alternation with capture groups (how it was first written),
    /// to check that the multi-pattern search picks the same pattern and span.
    fn placeholders_by_alternation(folded: &str) -> String {
        let alternation = Regex::new(&format!(
            "(?P<email>{EMAIL_PATTERN})|(?P<url>{URL_PATTERN})|(?P<money>{MONEY_PATTERN})|(?P<phone>{PHONE_PATTERN})"
        ))
        .unwrap();
        let replaced = alternation.replace_all(folded, |caps: &Captures<'_>| {
            let token = if caps.name("email").is_some() {
                EMAIL_TOKEN
            } else if caps.name("url").is_some() {
                URL_TOKEN
            } else if caps.name("money").is_some() {
                MONEY_TOKEN
            } else if caps[0].chars().filter(char::is_ascii_digit).count() < 7 {
                return caps[0].to_string();
            } else {
                PHONE_TOKEN
            };
            format!(" {token} ")
        });
        replaced.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn multi_pattern_search_matches_the_alternation() {
        let mut texts = demo_corpus::texts(1500);
        texts.extend(
            [
                "mail a.b@x.co.uk or see x.co.uk/a?b=1, pay usd 50 or 3 dollars, call (555) 123-4567",
                "¥58.00 5000元 1,000,000 rmb 12.5k €3 £ 7 bucks +86 138 0013 8000 2-3 days 123456",
                "www.example.com/path. https://t.co/x) http://中文.com 访问abc.top领取 x@y",
                "。www.x.com【¥5】ab中cd.com 价格：￥100元 ١٢٣٤٥٦٧٨ ५५५५५५५५ 转账usd5 请拨4008201234",
            ]
            .map(String::from),
        );
        // Random mixes of placeholder pieces and CJK, kana, other digits and punctuation.
        let pieces = [
            "http://", "www.", "@", ".com", ".cn", "usd", "rmb", "元", "万", "$", "¥", "€", "+",
            "(", ")", "-", ".", ",", " ", "\n", "a", "x", "0", "7", "5", "中", "文", "。", "，",
            "【", "カ", "々", "〇", "٣", "é", "😀", "/", "_", "%",
        ];
        let mut state = 0x1234_5678u64;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(state % 30) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            texts.push(text);
        }
        let mut placeholders = 0;
        for text in &texts {
            let n = norm(text);
            placeholders += n.urls + n.emails + n.phones + n.money;
            let lowered = nfkc_lowercase(text);
            let folded = crate::confusables::fold(&lowered).0;
            assert_eq!(n.text, placeholders_by_alternation(&folded), "{text}");
        }
        assert!(placeholders > 500, "{placeholders}");
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
