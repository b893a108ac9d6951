//! The scoring hot path walks text by lead bytes and looks character properties up in a table;
//! these tests hold it to the plain character-by-character definitions it replaced, on the
//! demo corpus and on random strings built from the characters where the two could differ.
//! A model keeps scoring as it was trained only if tokens and descriptors never change.

use text_model::tokenize::is_cjk;
use text_model::{normalize, tokenize, CjkMode, Normalized, TextDescriptors, TokenizerConfig};

/// Unigram tokens by the definition: runs of CJK characters (bigrams, or the lone character),
/// runs of other alphanumerics or `_` (two characters or more), stop words dropped.
fn reference_unigrams(normalized: &str, config: &TokenizerConfig) -> Vec<String> {
    #[derive(PartialEq, Clone, Copy)]
    enum Run {
        Separator,
        Word,
        Cjk,
    }
    let kind = |c: char| {
        if is_cjk(c) {
            Run::Cjk
        } else if c.is_alphanumeric() || c == '_' {
            Run::Word
        } else {
            Run::Separator
        }
    };
    let keep = |t: &str| !(config.stop_words && text_model::tokenize::is_stop_word(t));
    let mut tokens = Vec::new();
    let chars: Vec<char> = normalized.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = kind(chars[i]);
        let mut j = i;
        while j < chars.len() && kind(chars[j]) == run {
            j += 1;
        }
        let piece: String = chars[i..j].iter().collect();
        match run {
            Run::Separator => {}
            Run::Word => {
                if j - i >= 2 && keep(&piece) {
                    tokens.push(piece);
                }
            }
            Run::Cjk => {
                if j - i == 1 {
                    if keep(&piece) {
                        tokens.push(piece);
                    }
                } else {
                    tokens.extend(chars[i..j].windows(2).map(|w| w.iter().collect()));
                }
            }
        }
        i = j;
    }
    tokens
}

/// The descriptors' character counts by the definition (`char` methods only).
fn reference_counts(raw: &str) -> (u32, f64, f64, u32, f64) {
    let (mut chars, mut non_space, mut letters, mut upper, mut digits, mut cjk, mut bangs) =
        (0u32, 0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
    for c in raw.chars() {
        chars += 1;
        if c.is_whitespace() {
            continue;
        }
        non_space += 1;
        if is_cjk(c) {
            cjk += 1;
        } else if c.is_alphabetic() {
            letters += 1;
            upper += u32::from(c.is_uppercase());
        } else if c.is_numeric() {
            digits += 1;
        } else if c == '!' || c == '！' {
            bangs += 1;
        }
    }
    let share = |n: u32, d: u32| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    (
        chars,
        share(upper, letters),
        share(digits, non_space),
        bangs,
        share(cjk, non_space),
    )
}

/// Characters where a shortcut could go wrong: every kind of whitespace, CJK and its
/// neighbours (ext A, the Yijing hexagrams just before U+4E00, ext B, compatibility
/// ideographs), kana, CJK and full-width punctuation, letters and digits of other scripts,
/// combining marks, emoji.
const ALPHABET: &[char] = &[
    'a', 'Z', 'q', '0', '7', '_', '-', '.', '!', '@', '$', ' ', '\t', '\n', '\u{b}', '\u{c}', '\r',
    '\u{85}', '\u{a0}', '\u{1680}', '\u{2003}', '\u{2028}', '\u{202f}', '\u{205f}', '\u{3000}',
    '\u{200b}', '中', '文', '钱', '的', '了', '㐀', '䶵', '䷀', '䷿', '一', '鿿', '𠀀', '豈', 'あ',
    'カ', 'ー', '々', '〇', '〡', '、', '。', '【', '】', '「', '，', '！', '？', '：', 'Ａ', 'ｚ',
    '５', 'É', 'ß', 'ǅ', 'Σ', 'я', '٣', '۴', '५', 'Ⅻ', '①', '½', '\u{301}', '\u{302a}', '😀', '🎉',
    '€', '¥', '£', '“', '—',
];

fn random_texts(n: usize) -> Vec<String> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let len = (next() % 40) as usize;
            (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect()
        })
        .collect()
}

fn corpus() -> Vec<String> {
    let mut texts = demo_corpus::texts(1500);
    texts.extend(random_texts(5000));
    texts
}

#[test]
fn unigrams_are_the_reference_tokens() {
    for stop_words in [true, false] {
        let config = TokenizerConfig {
            cjk: CjkMode::Bigram,
            stop_words,
            ..TokenizerConfig::default()
        };
        for text in corpus() {
            let tokenized = tokenize(&text, &config);
            let tokens: Vec<&str> = tokenized.unigrams().collect();
            let expected = reference_unigrams(&tokenized.normalized.text, &config);
            assert_eq!(tokens, expected, "{text:?} (stop words {stop_words})");
        }
    }
}

#[test]
fn descriptors_are_the_reference_counts() {
    for text in corpus() {
        let d = TextDescriptors::compute(&text, &Normalized::default(), 0, 0.0);
        let (chars, upper_share, digit_share, bangs, cjk_share) = reference_counts(&text);
        assert_eq!(
            (
                d.length,
                d.upper_share,
                d.digit_share,
                d.exclamation_count,
                d.cjk_share
            ),
            (chars, upper_share, digit_share, bangs, cjk_share),
            "{text:?}"
        );
    }
}

#[test]
fn normalised_text_is_folded_and_lowercase() {
    // Whatever the shortcuts, the result is single-spaced and has no upper-case letter that
    // lowercase would change.
    for text in corpus() {
        let Normalized { text: out, .. } = normalize(&text, 20_000);
        assert_eq!(
            out,
            out.split_whitespace().collect::<Vec<_>>().join(" "),
            "{text:?}"
        );
        assert_eq!(out, out.to_lowercase(), "{text:?}");
    }
}
