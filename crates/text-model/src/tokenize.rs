//! Tokenisation for English and Chinese text, with stop words and word n-grams.
//!
//! Latin text splits into word tokens of two or more characters (the placeholders of
//! [`crate::normalize`] stay whole). Runs of CJK characters are segmented with jieba or cut into
//! character bigrams; see [`CjkMode`].

use std::sync::LazyLock;

use jieba_rs::Jieba;
use rustc_hash::FxHashSet;

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

/// Unigram tokens of an already normalised text, stop words removed.
pub fn unigrams(normalized: &str, config: &TokenizerConfig) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut run = Run::Separator;
    let mut start = 0;
    // Runs are sliced out of the text by byte offsets, not built char by char.
    for (i, c) in normalized.char_indices() {
        let kind = if is_cjk(c) {
            Run::Cjk
        } else if c.is_alphanumeric() || c == '_' {
            Run::Word
        } else {
            Run::Separator
        };
        if kind != run {
            flush_run(run, &normalized[start..i], &mut tokens, config);
            run = kind;
            start = i;
        }
    }
    flush_run(run, &normalized[start..], &mut tokens, config);
    tokens
}

fn flush_run(run: Run, text: &str, tokens: &mut Vec<String>, config: &TokenizerConfig) {
    let keep = |t: &str| !(config.stop_words && is_stop_word(t));
    match run {
        Run::Separator => {}
        // Single Latin letters and digits carry no meaning on their own (as in scikit-learn's
        // default token pattern).
        Run::Word => {
            if text.chars().nth(1).is_some() && keep(text) {
                tokens.push(text.to_string());
            }
        }
        Run::Cjk => match config.cjk {
            CjkMode::Jieba => {
                tokens.extend(
                    JIEBA
                        .cut(text, false)
                        .into_iter()
                        .filter(|p| keep(p))
                        .map(str::to_string),
                );
            }
            CjkMode::Bigram => {
                let chars: Vec<char> = text.chars().collect();
                if chars.len() == 1 {
                    if keep(text) {
                        tokens.push(text.to_string());
                    }
                } else {
                    tokens.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
                }
            }
        },
    }
}

/// Joins consecutive unigrams into the configured n-grams, in order: all n-grams of the
/// smallest size first. Joined with a single space, so `"free prize"` is one bigram term.
pub fn ngrams(unigrams: &[String], config: &TokenizerConfig) -> Vec<String> {
    let mut terms = Vec::new();
    for n in config.ngram_min..=config.ngram_max {
        if n == 1 {
            terms.extend(unigrams.iter().cloned());
            continue;
        }
        for window in unigrams.windows(n) {
            terms.push(window.join(" "));
        }
    }
    terms
}

/// A message taken apart: its normalised form, unigrams and all n-gram terms.
#[derive(Debug, Clone, Default)]
pub struct Tokenized {
    /// Normalisation output, with placeholder counts.
    pub normalized: Normalized,
    /// Unigram tokens after stop-word removal.
    pub unigrams: Vec<String>,
}

/// Normalises and tokenises one raw message.
pub fn tokenize(raw: &str, config: &TokenizerConfig) -> Tokenized {
    let normalized = normalize(raw, config.max_chars);
    let unigrams = unigrams(&normalized.text, config);
    Tokenized {
        normalized,
        unigrams,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str, cjk: CjkMode) -> Vec<String> {
        let config = TokenizerConfig {
            cjk,
            ..TokenizerConfig::default()
        };
        tokenize(s, &config).unigrams
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
        let uni: Vec<String> = ["free", "prize", "now"].map(String::from).to_vec();
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
