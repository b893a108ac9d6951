//! Folding of evasive spellings: what scammers write to slip past keyword filters.
//!
//! Runs on NFKC-lowercased text (full-width digits and letters are ASCII by then) and undoes:
//! - invisible characters (zero-width spaces and joiners, soft hyphens, variation selectors);
//! - Cyrillic and Greek look-alikes inside Latin words (`pаypal` with a Cyrillic `а`);
//! - letters spaced or dotted apart (`v.e.r.i.f.y`, `p a y p a l`, `刷 单`);
//! - emoji wedged between letters or Chinese characters (`刷💰单`);
//! - digits standing in for letters inside a word (`amaz0n`, `l0an`);
//! - common homophones and pinyin of Chinese words filters look for (`薇信` for 微信).
//!
//! Every rule changes only text that ordinary messages do not contain, so folding leaves a
//! plain message as it is; [`fold`] says whether it changed anything, which the drift monitor
//! watches as the share of messages that needed folding.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::tokenize::is_cjk;

/// Invisible characters that only split words.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x206A..=0x206F
        | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xE0100..=0xE01EF)
}

/// The Latin letter a Cyrillic or Greek lower-case letter looks like.
fn latin_look_alike(c: char) -> Option<char> {
    Some(match c {
        'а' => 'a',
        'в' => 'b',
        'с' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' => 'e',
        'һ' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'п' => 'n',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' => 't',
        'и' | 'ц' => 'u',
        'ѵ' => 'v',
        'ԝ' | 'ш' => 'w',
        'х' => 'x',
        'у' => 'y',
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'γ' => 'y',
        _ => return None,
    })
}

/// The letter a digit stands for inside a word (`@` and `$` are left to the e-mail and money
/// placeholders).
fn letter_for_digit(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'l',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        _ => return None,
    })
}

/// Emoji and pictographs, which carry no word when wedged inside one.
fn is_pictograph(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF)
}

/// Separators that spaced-out letters use.
fn is_spacer(c: char) -> bool {
    matches!(
        c,
        ' ' | '.' | '-' | '_' | '*' | '·' | '•' | '/' | '|' | '~' | '+'
    )
}

/// Homophones, variant characters and pinyin of words that filters look for, with the word
/// they stand for.
const HOMOPHONES: &[(&str, &str)] = &[
    ("薇信", "微信"),
    ("威信", "微信"),
    ("徽信", "微信"),
    ("维信", "微信"),
    ("v信", "微信"),
    ("weixin", "微信"),
    ("扣扣", "qq"),
    ("企鹅号", "qq"),
    ("兼耳只", "兼职"),
    ("兼只", "兼职"),
    ("jianzhi", "兼职"),
    ("代款", "贷款"),
    ("待款", "贷款"),
    ("daikuan", "贷款"),
    ("刷dan", "刷单"),
    ("shuadan", "刷单"),
    ("返莉", "返利"),
    ("fanli", "返利"),
    ("菠菜", "博彩"),
    ("yzm", "验证码"),
    ("验证妈", "验证码"),
    ("驗證碼", "验证码"),
    ("转帐", "转账"),
    ("zhuanzhang", "转账"),
    ("徵信", "征信"),
];

/// The code points [`is_invisible`], [`is_pictograph`] and [`latin_look_alike`] can match:
/// invisible characters, pictographs, Greek and Cyrillic.
const SUSPECT_RANGES: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0370, 0x052F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180E),
    (0x200B, 0x206F),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0x1F000, 0x1FAFF),
    (0xE0100, 0xE01EF),
];

/// The UTF-8 lead bytes of [`SUSPECT_RANGES`]. Chinese (leads `E4`–`E9`) and ASCII never
/// match, so most text is passed over a byte at a time without decoding.
static SUSPECT_LEAD: [bool; 256] = {
    let mut table = [false; 256];
    let mut r = 0;
    while r < SUSPECT_RANGES.len() {
        let (mut cp, hi) = SUSPECT_RANGES[r];
        while cp <= hi {
            table[utf8_lead(cp) as usize] = true;
            cp += 1;
        }
        r += 1;
    }
    table
};

const fn utf8_lead(cp: u32) -> u8 {
    if cp < 0x80 {
        cp as u8
    } else if cp < 0x800 {
        0xC0 | (cp >> 6) as u8
    } else if cp < 0x10000 {
        0xE0 | (cp >> 12) as u8
    } else {
        0xF0 | (cp >> 18) as u8
    }
}

/// Whether some character of `text` satisfies `wanted`, deciding only the characters whose
/// lead byte is in [`SUSPECT_LEAD`] (`wanted` must be false for all others).
fn any_suspect(text: &str, wanted: impl Fn(char) -> bool) -> bool {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if SUSPECT_LEAD[b as usize] && text[i..].chars().next().is_some_and(&wanted) {
            return true;
        }
    }
    false
}

/// A letter of a word [`fold_mixed_script_words`] looks at.
fn is_word_letter(c: char) -> bool {
    c.is_alphabetic() && !is_cjk(c)
}

/// Whether [`fold_mixed_script_words`] can find something: a Greek or Cyrillic look-alike,
/// or a digit that stands for a letter, with a letter before it and a letter or such a digit
/// after it.
fn may_have_mixed_script_words(text: &str) -> bool {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if letter_for_digit(b as char).is_some() {
            if digit_in_word(text, i) {
                return true;
            }
        } else if SUSPECT_LEAD[b as usize]
            && text[i..]
                .chars()
                .next()
                .and_then(latin_look_alike)
                .is_some()
        {
            return true;
        }
    }
    false
}

/// What separates spaced-out letters: a spacer or whitespace.
fn is_separator(c: char) -> bool {
    is_spacer(c) || c.is_whitespace()
}

/// ASCII separators ([`is_separator`]).
static ASCII_SEPARATOR: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = matches!(
            b as u8,
            b' ' | b'.' | b'-' | b'_' | b'*' | b'/' | b'|' | b'~' | b'+' | b'\t'..=b'\r'
        );
        b += 1;
    }
    table
};

/// Lead bytes of the non-ASCII separators: `·`, `•` and Unicode's other white space
/// (U+0085, U+00A0, U+1680, U+2000–U+205F, U+3000).
fn may_lead_separator(lead: u8) -> bool {
    matches!(lead, 0xC2 | 0xE1 | 0xE2 | 0xE3)
}

/// Whether [`join_spaced_letters`] can find a run: two letters of the same script, each
/// standing alone between separators, one or two spacers apart. Only characters that follow
/// a separator are decoded.
fn may_have_spaced_letters(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut last_single: Option<(usize, bool)> = None; // where it ends, whether CJK
    let mut separator_before = true;
    let mut at = 0;
    while at < bytes.len() {
        let lead = bytes[at];
        let (separator, len) = if lead < 0x80 {
            (ASCII_SEPARATOR[lead as usize], 1)
        } else {
            let len = utf8_len(lead);
            let separator =
                may_lead_separator(lead) && text[at..].chars().next().is_some_and(is_separator);
            (separator, len)
        };
        if !separator && separator_before {
            let c = if lead < 0x80 {
                lead as char
            } else {
                text[at..].chars().next().unwrap_or_default()
            };
            let end = at + len;
            let alone = || text[end..].chars().next().is_none_or(is_separator);
            if (c.is_alphabetic() || is_cjk(c)) && alone() {
                let cjk = is_cjk(c);
                if let Some((last_end, last_cjk)) = last_single {
                    let gap = &text[last_end..at];
                    if last_cjk == cjk
                        && (1..=2).contains(&gap.chars().count())
                        && gap.chars().all(|g| is_spacer(g) || g == ' ')
                    {
                        return true;
                    }
                }
                last_single = Some((end, cjk));
            }
        }
        separator_before = separator;
        at += len;
    }
    false
}

/// The length of the UTF-8 sequence that `lead` starts.
const fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        _ => 2,
    }
}

/// One pass over the text for every homophone key, longest match first.
static HOMOPHONE_KEYS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(HOMOPHONES.iter().map(|(from, _)| from))
        .expect("static homophone keys")
});

/// The folded text and whether anything was folded.
///
/// One scan first tells which passes may change the text ([`quick_look`]); each pass that
/// may runs and allocates only when it finds something. Nearly every message has nothing,
/// and this runs on every `/predict`.
pub fn fold(text: &str) -> (Cow<'_, str>, bool) {
    let may_change = quick_look(text);
    let mut changed = false;
    let mut current: Cow<'_, str> = Cow::Borrowed(text);
    for (k, (may_change_now, pass)) in PASSES.iter().enumerate() {
        // After a pass changed the text, the scan's answer is about another text.
        let may = if changed {
            may_change_now(&current)
        } else {
            may_change & (1 << k) != 0
        };
        if !may {
            continue;
        }
        if let Some(next) = pass(&current) {
            current = Cow::Owned(next);
            changed = true;
        }
    }
    (current, changed)
}

/// A pass, and a quick look that says false only when the pass would change nothing.
type Pass = (fn(&str) -> bool, fn(&str) -> Option<String>);

const PASSES: [Pass; 4] = [
    (may_have_invisible_or_wedged, remove_invisible_and_wedged),
    (may_have_mixed_script_words, fold_mixed_script_words),
    (may_have_spaced_letters, join_spaced_letters),
    (may_have_homophones, replace_homophones),
];

/// Bits of [`quick_look`]'s answer, in the order of [`PASSES`].
const INVISIBLE: u8 = 1;
const MIXED: u8 = 1 << 1;
const SPACED: u8 = 1 << 2;
const HOMOPHONE: u8 = 1 << 3;
const EVERY_PASS: u8 = INVISIBLE | MIXED | SPACED | HOMOPHONE;

/// What [`quick_look`] does at a lead byte: steps over a character of that width that no pass
/// reacts to (ASCII letters, Chinese, other scripts), or looks at an ASCII separator, a digit
/// that stands for a letter, or a character to decode (a suspect, or a non-ASCII separator).
const SEPARATOR: u8 = 0x10;
const DIGIT: u8 = 0x20;
const DECODE: u8 = 0x30;

static LOOK_STEP: [u8; 256] = {
    let mut table = [1u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = if b < 128 && ASCII_SEPARATOR[b] {
            SEPARATOR
        } else if matches!(b as u8, b'0' | b'1' | b'3' | b'4' | b'5') {
            DIGIT
        } else if SUSPECT_LEAD[b] || matches!(b as u8, 0xC2 | 0xE1 | 0xE2 | 0xE3) {
            DECODE
        } else if b < 0x80 {
            1
        } else {
            // Continuation bytes are never reached: the scan moves a character at a time.
            utf8_len(b as u8) as u8
        };
        b += 1;
    }
    table
};

/// The four quick looks of [`PASSES`] in one scan, a bit per pass (`INVISIBLE`, `MIXED`,
/// `SPACED`, `HOMOPHONE`): the same answers as the looks one by one (a test checks), for
/// about a third of their instructions (`docs/benchmarks.md` section 8). Characters no pass
/// reacts to are stepped over a whole character at a time by a table lookup of their lead
/// byte; only separators, letter-like digits and a few lead bytes are looked at.
fn quick_look(text: &str) -> u8 {
    let bytes = text.as_bytes();
    let mut found = if HOMOPHONE_KEYS.is_match(text) {
        HOMOPHONE
    } else {
        0
    };
    let mut spaced = SpacedLetters::default();
    // The text's start counts as a separator.
    spaced.look_after_separator(text, 0, &mut found);
    let mut i = 0;
    while i < bytes.len() {
        let step = LOOK_STEP[bytes[i] as usize];
        if step < SEPARATOR {
            i += step as usize;
            continue;
        }
        match step {
            SEPARATOR => {
                i += 1;
                spaced.look_after_separator(text, i, &mut found);
            }
            DIGIT => {
                if digit_in_word(text, i) {
                    found |= MIXED;
                }
                i += 1;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or_default();
                i += c.len_utf8();
                if is_invisible(c) || is_pictograph(c) {
                    found |= INVISIBLE;
                }
                if latin_look_alike(c).is_some() {
                    found |= MIXED;
                }
                if is_separator(c) {
                    spaced.look_after_separator(text, i, &mut found);
                }
            }
        }
        if found == EVERY_PASS {
            break;
        }
    }
    found
}

/// [`may_have_spaced_letters`]' memory, for [`quick_look`]: where the last letter standing
/// alone ended, and whether it was Chinese.
#[derive(Default)]
struct SpacedLetters {
    last_single: Option<(usize, bool)>,
}

impl SpacedLetters {
    /// Looks at the character at `at`, which follows a separator (or starts the text): a
    /// letter standing alone one or two spacers after the last one is a run.
    fn look_after_separator(&mut self, text: &str, at: usize, found: &mut u8) {
        let bytes = text.as_bytes();
        // Most often an ASCII word of several letters follows: decided without decoding.
        if let [first, next, ..] = bytes[at.min(bytes.len())..] {
            if first < 0x80 && next < 0x80 && !ASCII_SEPARATOR[next as usize] {
                return;
            }
        }
        let Some(c) = text[at..].chars().next() else {
            return;
        };
        if is_separator(c) || !(c.is_alphabetic() || is_cjk(c)) {
            return;
        }
        let end = at + c.len_utf8();
        if !text[end..].chars().next().is_none_or(is_separator) {
            return;
        }
        let cjk = is_cjk(c);
        if let Some((last_end, last_cjk)) = self.last_single {
            let gap = &text[last_end..at];
            if last_cjk == cjk
                && (1..=2).contains(&gap.chars().count())
                && gap.chars().all(|g| is_spacer(g) || g == ' ')
            {
                *found |= SPACED;
            }
        }
        self.last_single = Some((end, cjk));
    }
}

/// Whether the ASCII digit at `i` stands for a letter inside a word: a letter before it, and
/// a letter or another such digit after it.
fn digit_in_word(text: &str, i: usize) -> bool {
    let bytes = text.as_bytes();
    let letter_after = bytes.get(i + 1).is_some_and(|&n| {
        n.is_ascii_alphabetic() || n >= 0x80 || letter_for_digit(n as char).is_some()
    });
    letter_after && text[..i].chars().next_back().is_some_and(is_word_letter)
}

fn may_have_invisible_or_wedged(text: &str) -> bool {
    any_suspect(text, |c| is_invisible(c) || is_pictograph(c))
}

fn may_have_homophones(text: &str) -> bool {
    HOMOPHONE_KEYS.is_match(text)
}

/// Drops invisible characters, and emoji that sit between two letters or Chinese
/// characters.
fn remove_invisible_and_wedged(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || is_cjk(c);
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for (i, &c) in chars.iter().enumerate() {
        if is_invisible(c) {
            changed = true;
            continue;
        }
        if is_pictograph(c) {
            let before = chars[..i]
                .iter()
                .rev()
                .find(|&&p| !is_pictograph(p) && !is_invisible(p));
            let after = chars[i + 1..]
                .iter()
                .find(|&&n| !is_pictograph(n) && !is_invisible(n));
            if let (Some(&b), Some(&a)) = (before, after) {
                if is_word(b) && is_word(a) {
                    changed = true;
                    continue;
                }
            }
        }
        out.push(c);
    }
    changed.then_some(out)
}

/// In words that mix Latin letters with Cyrillic/Greek look-alikes or with digits standing
/// for letters, maps those to the Latin letters they imitate.
fn fold_mixed_script_words(text: &str) -> Option<String> {
    let is_word_char = |c: char| c.is_alphanumeric() && !is_cjk(c);
    // Built from the first word that folds on; until then nothing is copied.
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut word_start: Option<usize> = None;
    let ends = text.char_indices().map(Some).chain([None]);
    for next in ends {
        let (at, in_word) = match next {
            Some((at, c)) => (at, is_word_char(c)),
            None => (text.len(), false),
        };
        match (word_start, in_word) {
            (None, true) => word_start = Some(at),
            (Some(start), false) => {
                word_start = None;
                if let Some(folded) = fold_word(&text[start..at]) {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    out.push_str(&text[copied..start]);
                    out.push_str(&folded);
                    copied = at;
                }
            }
            _ => {}
        }
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

fn fold_word(word: &str) -> Option<String> {
    // Almost every word has nothing to fold: say so without collecting its characters.
    if !word
        .chars()
        .any(|c| latin_look_alike(c).is_some() || letter_for_digit(c).is_some())
    {
        return None;
    }
    let latin = word.chars().filter(|c| c.is_ascii_alphabetic()).count();
    if latin == 0 {
        // A word all of look-alikes (`расе` is Russian; `рау` is not) stays as it is.
        return None;
    }
    let chars: Vec<char> = word.chars().collect();
    let mut changed = false;
    let mut out = String::with_capacity(word.len());
    for (i, &c) in chars.iter().enumerate() {
        if let Some(l) = latin_look_alike(c) {
            out.push(l);
            changed = true;
            continue;
        }
        // A digit stands for a letter only between two letters (`amaz0n`, not `mp3`), in a
        // word that has at least two Latin letters and no other digits (`b2b`, `4g5g` stay).
        if let Some(l) = letter_for_digit(c) {
            let letter = |p: Option<&char>| {
                p.is_some_and(|p| p.is_alphabetic() || letter_for_digit(*p).is_some())
            };
            let has_other_digits = chars
                .iter()
                .any(|d| d.is_ascii_digit() && letter_for_digit(*d).is_none());
            if i > 0
                && chars[i - 1].is_alphabetic()
                && letter(chars.get(i + 1))
                && latin >= 2
                && !has_other_digits
            {
                out.push(l);
                changed = true;
                continue;
            }
        }
        out.push(c);
    }
    changed.then_some(out)
}

/// Some(is_cjk) when `c`, between `before` and `after` (None at the ends), is a letter
/// standing alone between spacers.
fn single_letter(before: Option<char>, c: char, after: Option<char>) -> Option<bool> {
    let apart = |n: Option<char>| n.is_none_or(|n| is_spacer(n) || n.is_whitespace());
    if !apart(before) || !apart(after) {
        return None;
    }
    if is_cjk(c) {
        Some(true)
    } else if c.is_alphabetic() {
        Some(false)
    } else {
        None
    }
}

/// Joins runs of single letters spaced or dotted apart: three or more Latin letters
/// (`v.e.r.i.f.y`), two or more Chinese characters (`刷 单`).
fn join_spaced_letters(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let single = |i: usize| {
        let before = i.checked_sub(1).map(|b| chars[b]);
        single_letter(before, chars[i], chars.get(i + 1).copied())
    };
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < n {
        let Some(cjk) = single(i) else {
            out.push(chars[i]);
            i += 1;
            continue;
        };
        // Follow letter, one spacer (or spaces), letter, ... of the same script.
        let mut run = vec![i];
        let mut j = i + 1;
        loop {
            let mut k = j;
            let mut gap = 0;
            while k < n && (is_spacer(chars[k]) || chars[k] == ' ') && gap < 2 {
                k += 1;
                gap += 1;
            }
            if gap == 0 || k >= n || single(k) != Some(cjk) {
                break;
            }
            run.push(k);
            j = k + 1;
        }
        let needed = if cjk { 2 } else { 3 };
        if run.len() >= needed {
            run.iter().for_each(|&r| out.push(chars[r]));
            changed = true;
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}

fn replace_homophones(text: &str) -> Option<String> {
    HOMOPHONE_KEYS.find(text)?;
    let replacements: Vec<&str> = HOMOPHONES.iter().map(|(_, to)| *to).collect();
    Some(HOMOPHONE_KEYS.replace_all(text, &replacements))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> String {
        fold(text).0.into_owned()
    }

    #[test]
    fn folds_each_evasion() {
        assert_eq!(
            folded("ver\u{200b}ify your acc\u{200d}ount"),
            "verify your account"
        );
        assert_eq!(folded("pаypаl login"), "paypal login"); // Cyrillic а
        assert_eq!(folded("v.e.r.i.f.y now"), "verify now");
        assert_eq!(folded("p a y p a l"), "paypal");
        assert_eq!(folded("刷 单 返 利"), "刷单返利");
        assert_eq!(folded("刷💰单返利"), "刷单返利");
        assert_eq!(folded("amaz0n pr1me"), "amazon prlme");
        assert_eq!(folded("加薇信领取"), "加微信领取");
    }

    #[test]
    fn lead_byte_tables_cover_every_character_the_passes_look_for() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if is_invisible(c) || is_pictograph(c) || latin_look_alike(c).is_some() {
                let mut buf = [0u8; 4];
                let lead = c.encode_utf8(&mut buf).as_bytes()[0];
                assert!(SUSPECT_LEAD[lead as usize], "{c:?} (U+{:04X})", c as u32);
            }
        }
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let lead = c.encode_utf8(&mut buf).as_bytes()[0];
            if c.is_ascii() {
                assert_eq!(ASCII_SEPARATOR[lead as usize], is_separator(c), "{c:?}");
            } else if is_separator(c) {
                assert!(may_lead_separator(lead), "{c:?}");
            }
        }
        for (lead, suspect) in SUSPECT_LEAD.iter().enumerate() {
            assert!(
                !(*suspect && (lead < 0x80 || (0xE4..=0xE9).contains(&lead))),
                "{lead:#x}"
            );
        }
    }

    /// Texts that mix every ingredient the passes react to, at random.
    fn tricky_texts() -> Vec<String> {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "a", "b", "i", "pay", "pal", "amaz", "n", "0", "1", "3", "5", "7", "mp", "刷", "单",
            "微", "信", "中文", " ", " ", ".", "-", "·", "•", "\u{200b}", "\u{feff}", "💰", "😊",
            "а", "р", "е", "ο", "é", "ß", "\n", "\t", "\u{b}", "薇信", "yzm", "v信", "验证", "!",
            ",", "/", "__", "+", "~", "|", "*", "é3", "д4",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        (0..20_000)
            .map(|_| {
                let n = rng.gen_range(1..12);
                (0..n)
                    .map(|_| pieces[rng.gen_range(0..pieces.len())])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_quick_look_says_no_only_where_its_pass_changes_nothing() {
        let mut texts = tricky_texts();
        for plain in [
            "lunch at 1? bring the notes",
            "明天下午3点开会，记得带材料😊",
        ] {
            texts.push(plain.to_string());
        }
        let mut changed = [0usize; 4];
        for text in &texts {
            for (i, (may_change, pass)) in PASSES.iter().enumerate() {
                if pass(text).is_some() {
                    changed[i] += 1;
                    assert!(may_change(text), "pass {i} changes {text:?}");
                }
            }
        }
        // Every pass had work to do, so each quick look was put to the test.
        assert!(changed.iter().all(|&n| n > 10), "{changed:?}");
    }

    #[test]
    fn one_scan_answers_as_the_quick_looks_one_by_one() {
        let mut texts = tricky_texts();
        texts.extend(
            [
                "",
                " ",
                "a b",
                "1a",
                "x1",
                "刷 单",
                "lunch at 1? bring the notes",
            ]
            .map(String::from),
        );
        let mut seen = [0usize; 4];
        for text in &texts {
            let scan = quick_look(text);
            for (k, (may_change, _)) in PASSES.iter().enumerate() {
                let one = may_change(text);
                assert_eq!(scan & (1 << k) != 0, one, "pass {k} on {text:?}");
                seen[k] += usize::from(one);
            }
        }
        assert!(seen.iter().all(|&n| n > 100), "{seen:?}");
    }

    #[test]
    fn the_scan_decodes_every_lead_byte_a_quick_look_decodes() {
        for b in 0..=255u8 {
            if (0x80..0xC0).contains(&b) {
                continue; // continuation bytes
            }
            if LOOK_STEP[b as usize] < SEPARATOR {
                let width = if b < 0x80 { 1 } else { utf8_len(b) };
                assert_eq!(LOOK_STEP[b as usize] as usize, width, "{b:#x}");
            }
            let decoded = SUSPECT_LEAD[b as usize] || (b >= 0x80 && may_lead_separator(b));
            if decoded {
                assert_eq!(LOOK_STEP[b as usize], DECODE, "{b:#x}");
            }
        }
    }

    #[test]
    fn leaves_plain_text_alone() {
        for plain in [
            "lunch at 1? bring the notes",
            "your code is 482913, do not share it",
            "mp3 player, 4g network, b2b sales, covid19",
            "i am a fan of plan b",
            "明天下午3点开会，记得带材料😊",
            "встреча завтра в 10",
            "great 👍 thanks",
            "u.s. office",
        ] {
            let (out, changed) = fold(plain);
            assert!(!changed, "{plain:?} became {out:?}");
            assert_eq!(out, plain);
        }
    }
}
