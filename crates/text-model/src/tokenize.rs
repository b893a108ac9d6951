//! Tokenisation for English and Chinese text, with stop words and word n-grams.
//!
//! Latin text splits into word tokens of two or more characters (the placeholders of
//! [`crate::normalize`] stay whole). Runs of CJK characters are segmented with jieba or cut into
//! character bigrams; see [`CjkMode`].

use std::sync::LazyLock;

use jieba_rs::Jieba;
use rustc_hash::FxHashSet;

use crate::charclass;
use crate::normalize::{normalize, Normalized, DEFAULT_MAX_CHARS};
use crate::Error;

/// How runs of CJK characters become tokens.
///
/// Bigrams are the default: on the demo corpus (40 % Chinese) both modes reach the same F1
/// (0.972), while jieba's dictionary adds about 50 MiB to every process that scores Chinese
/// text and 0.2–0.4 s to its first Chinese message (docs/benchmarks.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CjkMode {
    /// Dictionary-based word segmentation with jieba (no HMM, so results are reproducible).
    Jieba,
    /// Overlapping character bigrams: no dictionary, robust to new slang.
    #[default]
    Bigram,
}

/// Tokeniser settings. Part of a trained model: prediction must tokenise as training did.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct TokenizerConfig {
    /// Smallest word n-gram (1 = single words).
    pub ngram_min: usize,
    /// Largest word n-gram.
    pub ngram_max: usize,
    /// CJK segmentation.
    pub cjk: CjkMode,
    /// Drop English and Chinese stop words before forming n-grams.
    pub stop_words: bool,
    /// Characters kept from one message.
    pub max_chars: usize,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            ngram_min: 1,
            ngram_max: 2,
            cjk: CjkMode::Bigram,
            stop_words: true,
            max_chars: DEFAULT_MAX_CHARS,
        }
    }
}

impl TokenizerConfig {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if self.ngram_min == 0 || self.ngram_min > self.ngram_max || self.ngram_max > 3 {
            return Err(Error::invalid_config(format_args!(
                "ngram range ({}, {}) must satisfy 1 <= min <= max <= 3",
                self.ngram_min, self.ngram_max
            )));
        }
        if self.max_chars == 0 {
            return Err(Error::invalid_config("max_chars must be positive"));
        }
        Ok(())
    }
}

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

static STOP_WORDS: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| {
    let mut set: FxHashSet<&'static str> = FxHashSet::default();
    for code in ["en", "zh"] {
        set.extend(stop_words::lookup(code).unwrap_or_default().iter().copied());
    }
    set
});

/// True if `word` is an English or Chinese stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(word)
}

/// True for characters segmented as Chinese/Japanese text.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF
        | 0x3040..=0x30FF)
}

#[derive(PartialEq, Clone, Copy)]
enum Run {
    Separator,
    Word,
    Cjk,
}

/// Appends the byte spans of the unigram tokens of an already normalised text to `spans`,
/// stop words removed. Tokens are slices of the text: scoring allocates no string per token.
pub fn unigram_spans(normalized: &str, config: &TokenizerConfig, spans: &mut Vec<Span>) {
    let bytes = normalized.as_bytes();
    let bigrams = config.cjk == CjkMode::Bigram;
    let mut run = Run::Separator;
    let mut start = 0;
    let mut previous = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Lead bytes only; ASCII and the common CJK ideographs need no decoding.
        let (kind, width) = match bytes[i] {
            b if b < 0x80 => {
                let kind = ASCII_RUN[b as usize];
                if kind == run {
                    // The rest of an ASCII word or gap in one tight loop.
                    i += 1;
                    while i < bytes.len() && bytes[i] < 0x80 && ASCII_RUN[bytes[i] as usize] == run
                    {
                        i += 1;
                    }
                    continue;
                }
                (kind, 1)
            }
            b if charclass::is_ideograph_lead(b) => (Run::Cjk, 3),
            _ => {
                let c = normalized[i..].chars().next().unwrap_or_default();
                let flags = charclass::flags(c);
                let kind = if flags & charclass::CJK != 0 {
                    Run::Cjk
                } else if flags & charclass::ALPHANUMERIC != 0 {
                    Run::Word
                } else {
                    Run::Separator
                };
                (kind, c.len_utf8())
            }
        };
        if kind != run {
            flush_run(run, normalized, start, i, spans, config);
            run = kind;
            start = i;
        } else if bigrams && kind == Run::Cjk {
            // Bigrams are emitted as the run goes; a lone character waits for the run's end.
            spans.push((previous as u32, (i + width) as u32));
        }
        previous = i;
        i += width;
    }
    flush_run(run, normalized, start, normalized.len(), spans, config);
}

/// The run an ASCII character belongs to: letters, digits and `_` make words.
static ASCII_RUN: [Run; 128] = {
    let mut table = [Run::Separator; 128];
    let mut b = 0;
    while b < 128 {
        if (b as u8).is_ascii_alphanumeric() || b == b'_' as usize {
            table[b] = Run::Word;
        }
        b += 1;
    }
    table
};

/// A token's byte range in its normalised text.
pub type Span = (u32, u32);

fn flush_run(
    run: Run,
    text: &str,
    start: usize,
    end: usize,
    spans: &mut Vec<Span>,
    config: &TokenizerConfig,
) {
    let keep = |t: &str| !(config.stop_words && is_stop_word(t));
    let span = |from: usize, to: usize| (from as u32, to as u32);
    let piece = &text[start..end];
    match run {
        Run::Separator => {}
        // Single Latin letters and digits carry no meaning on their own (as in scikit-learn's
        // default token pattern).
        Run::Word => {
            if piece.chars().nth(1).is_some() && keep(piece) {
                spans.push(span(start, end));
            }
        }
        Run::Cjk => match config.cjk {
            CjkMode::Jieba => {
                for word in JIEBA.cut(piece, false) {
                    if keep(word) {
                        // jieba's words are slices of the run.
                        let from = start + (word.as_ptr() as usize - piece.as_ptr() as usize);
                        spans.push(span(from, from + word.len()));
                    }
                }
            }
            CjkMode::Bigram => {
                // Longer runs gave their bigrams in `unigram_spans`.
                if piece.chars().nth(1).is_none() && keep(piece) {
                    spans.push(span(start, end));
                }
            }
        },
    }
}

/// Joins consecutive unigrams into the configured n-grams, in order: all n-grams of the
/// smallest size first. Joined with a single space, so `"free prize"` is one bigram term.
pub fn ngrams<S: AsRef<str>>(unigrams: &[S], config: &TokenizerConfig) -> Vec<String> {
    let mut terms = Vec::new();
    for n in config.ngram_min..=config.ngram_max {
        for window in unigrams.windows(n) {
            let words: Vec<&str> = window.iter().map(AsRef::as_ref).collect();
            terms.push(words.join(" "));
        }
    }
    terms
}

/// A message taken apart: its normalised form and its unigram tokens.
#[derive(Debug, Clone, Default)]
pub struct Tokenized {
    /// Normalisation output, with placeholder counts.
    pub normalized: Normalized,
    /// Unigram tokens after stop-word removal, as spans of `normalized.text`.
    spans: Vec<Span>,
}

impl Tokenized {
    /// The unigram tokens, in order.
    pub fn unigrams(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.spans
            .iter()
            .map(|&(from, to)| &self.normalized.text[from as usize..to as usize])
    }

    /// The unigram tokens as byte ranges of `normalized.text`.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Number of unigram tokens.
    pub fn unigram_count(&self) -> usize {
        self.spans.len()
    }
}

/// Normalises and tokenises one raw message.
pub fn tokenize(raw: &str, config: &TokenizerConfig) -> Tokenized {
    let normalized = normalize(raw, config.max_chars);
    let mut spans = Vec::with_capacity(normalized.text.len() / 3);
    unigram_spans(&normalized.text, config, &mut spans);
    Tokenized { normalized, spans }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str, cjk: CjkMode) -> Vec<String> {
        let config = TokenizerConfig {
            cjk,
            ..TokenizerConfig::default()
        };
        tokenize(s, &config)
            .unigrams()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn english_words_without_stop_words() {
        assert_eq!(
            toks(
                "Your account has been SUSPENDED! Verify it at http://x.io now",
                CjkMode::Jieba
            ),
            ["account", "suspended", "verify", "__url__"]
        );
    }

    #[test]
    fn chinese_with_jieba() {
        assert_eq!(
            toks("恭喜您中奖了，请点击链接领取奖品", CjkMode::Jieba),
            // 了 and 您 are stop words; 请 is not in the list.
            ["恭喜", "中奖", "请", "点击", "链接", "领取", "奖品"]
        );
    }

    #[test]
    fn chinese_with_bigrams() {
        assert_eq!(toks("中奖了", CjkMode::Bigram), ["中奖", "奖了"]);
        // A lone character is kept unless it is a stop word.
        assert_eq!(toks("钱", CjkMode::Bigram), ["钱"]);
        assert!(toks("的", CjkMode::Bigram).is_empty());
    }

    #[test]
    fn mixed_language_and_emoji() {
        assert_eq!(
            toks(
                "🎉 Congratulations! 您的包裹 parcel 已被扣留 🚚 pay fee",
                CjkMode::Jieba
            ),
            [
                "congratulations",
                "包裹",
                "parcel",
                "已",
                "扣留",
                "pay",
                "fee"
            ]
        );
    }

    #[test]
    fn empty_and_punctuation_only() {
        assert!(toks("", CjkMode::Jieba).is_empty());
        assert!(toks("  !!! ... 🎉🎉 ", CjkMode::Jieba).is_empty());
    }

    #[test]
    fn ngrams_in_order() {
        let config = TokenizerConfig::default();
        let uni = ["free", "prize", "now"];
        assert_eq!(
            ngrams(&uni, &config),
            ["free", "prize", "now", "free prize", "prize now"]
        );
        let only_bigrams = TokenizerConfig {
            ngram_min: 2,
            ..config
        };
        assert_eq!(ngrams(&uni, &only_bigrams), ["free prize", "prize now"]);
    }

    #[test]
    fn config_validation() {
        assert!(TokenizerConfig::default().validate().is_ok());
        let bad = TokenizerConfig {
            ngram_min: 2,
            ngram_max: 1,
            ..TokenizerConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
