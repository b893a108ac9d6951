//! The serving half of TF-IDF: [`TfidfVectorizer`] turns one message into its sparse,
//! L2-normalised vector on the scoring path of every prediction.
//!
//! This code was tuned by instruction counts: words are looked up by their bytes packed into
//! integers, n-grams by word ids, and term frequencies are counted in a per-thread array. Keep
//! its loops as they are unless a measurement says otherwise.

use rustc_hash::FxHashMap;

use super::NONE;
use crate::tokenize::{tokenize, Tokenized, TokenizerConfig};
use crate::u64map::U64Map;
use crate::Error;

/// A fitted TF-IDF vectoriser: vocabulary in feature order and idf weights.
#[derive(Debug, Clone)]
pub struct TfidfVectorizer {
    tokenizer: TokenizerConfig,
    features: Vec<String>,
    index: TermIndex,
    idf: Vec<f64>,
    sublinear_tf: bool,
}

/// Finds the feature of a unigram or n-gram without building the n-gram's string.
///
/// Every word of every term gets an id; a unigram term is found by its word's id, an n-gram
/// term by its words' ids. Words of up to 8 bytes (most English words, every CJK bigram) are
/// keyed by their bytes packed into a `u64`, so scoring hashes integers, not strings.
#[derive(Debug, Clone, Default)]
struct TermIndex {
    short_words: U64Map,
    long_words: FxHashMap<Box<str>, u32>,
    /// Per word id: the feature of the unigram term, or `NONE`.
    unigram_feature: Vec<u32>,
    /// Bigram word ids (`first << 32 | second`) to feature.
    bigram_feature: U64Map,
    /// Trigram word ids to feature.
    trigram_feature: FxHashMap<[u32; 3], u32>,
}

/// A word's bytes as an integer key, if it has at most 8. Tokens never contain NUL (it is a
/// separator), so zero padding keeps keys unique.
fn packed(word: &str) -> Option<u64> {
    let bytes = word.as_bytes();
    // A loop, not a copy into a buffer: a variable-length copy is a call to memcpy.
    (bytes.len() <= 8).then(|| {
        bytes
            .iter()
            .rev()
            .fold(0u64, |key, &b| (key << 8) | u64::from(b))
    })
}

fn bigram_key(first: u32, second: u32) -> u64 {
    (u64::from(first) << 32) | u64::from(second)
}

impl TermIndex {
    fn build(features: &[String]) -> Result<TermIndex, Error> {
        let mut index = TermIndex::default();
        for (feature, term) in features.iter().enumerate() {
            let mut key = [NONE; 3];
            let mut n = 0;
            for word in term.split(' ') {
                if word.is_empty() || n == 3 {
                    return Err(Error::InconsistentParts(format!(
                        "vocabulary term {term:?} is not 1 to 3 words joined by single spaces"
                    )));
                }
                key[n] = index.intern(word);
                n += 1;
            }
            let slot = match n {
                1 => &mut index.unigram_feature[key[0] as usize],
                2 => index
                    .bigram_feature
                    .get_or_insert(bigram_key(key[0], key[1]), NONE),
                _ => index.trigram_feature.entry(key).or_insert(NONE),
            };
            if *slot != NONE {
                return Err(Error::InconsistentParts(format!(
                    "duplicate term {term:?} in the vocabulary"
                )));
            }
            *slot = feature as u32;
        }
        Ok(index)
    }

    fn intern(&mut self, word: &str) -> u32 {
        if let Some(id) = self.word(word) {
            return id;
        }
        let id = self.unigram_feature.len() as u32;
        self.unigram_feature.push(NONE);
        match packed(word) {
            Some(key) => *self.short_words.get_or_insert(key, id) = id,
            None => {
                self.long_words.insert(word.into(), id);
            }
        }
        id
    }

    fn word(&self, word: &str) -> Option<u32> {
        match packed(word) {
            Some(key) => self.short_words.get(key),
            None => self.long_words.get(word).copied(),
        }
    }

    /// The id of the word at `text[from..to]`; the same as [`TermIndex::word`], but a short
    /// word away from the end of the text is packed with one unaligned load.
    #[inline]
    fn word_at(&self, text: &str, from: usize, to: usize) -> Option<u32> {
        let len = to - from;
        if len <= 8 {
            if let Some(bytes) = text.as_bytes().get(from..from + 8) {
                let loaded = u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
                let mask = if len == 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * len)) - 1
                };
                return self.short_words.get(loaded & mask);
            }
        }
        self.word(&text[from..to])
    }

    /// The feature of a unigram term; `None` for an unknown word (`NONE`) too.
    fn unigram(&self, word: u32) -> Option<u32> {
        self.unigram_feature
            .get(word as usize)
            .copied()
            .filter(|&f| f != NONE)
    }

    /// The feature of an n-gram term (2 or 3 word ids); `None` if a word is unknown.
    fn ngram(&self, words: &[u32]) -> Option<u32> {
        match *words {
            [a, b] if a != NONE && b != NONE => self.bigram_feature.get(bigram_key(a, b)),
            [a, b, c] if a != NONE && b != NONE && c != NONE => {
                self.trigram_feature.get(&[a, b, c]).copied()
            }
            _ => None,
        }
    }
}

/// One message as a sparse, L2-normalised TF-IDF vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    /// Feature indices, each once: increasing, except in [`Vectorized`] (first occurrence
    /// first, since scoring needs no order).
    pub indices: Vec<usize>,
    /// Weights, same length as `indices`.
    pub values: Vec<f64>,
}

impl TfidfVectorizer {
    /// Rebuilds a vectoriser from stored parts.
    pub fn from_parts(
        tokenizer: TokenizerConfig,
        features: Vec<String>,
        idf: Vec<f64>,
        sublinear_tf: bool,
    ) -> Result<TfidfVectorizer, Error> {
        tokenizer.validate()?;
        if features.len() != idf.len() {
            return Err(Error::InconsistentParts(format!(
                "{} features but {} idf weights",
                features.len(),
                idf.len()
            )));
        }
        if let Some(bad) = idf.iter().find(|w| !w.is_finite() || **w <= 0.0) {
            return Err(Error::InconsistentParts(format!(
                "idf weight {bad} is not positive and finite"
            )));
        }
        let index = TermIndex::build(&features)?;
        // A vectoriser built from stored parts is about to score messages.
        crate::charclass::build_table();
        Ok(TfidfVectorizer {
            tokenizer,
            features,
            index,
            idf,
            sublinear_tf,
        })
    }

    /// The tokeniser settings.
    pub fn tokenizer_config(&self) -> &TokenizerConfig {
        &self.tokenizer
    }

    /// Terms in feature order.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// Idf weights in feature order.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// Whether term frequencies are `1 + ln(tf)`.
    pub fn sublinear_tf(&self) -> bool {
        self.sublinear_tf
    }

    /// Vocabulary size.
    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// Feature index of a term (words joined by single spaces).
    pub fn feature_index(&self, term: &str) -> Option<usize> {
        let mut words = [NONE; 3];
        let mut n = 0;
        for word in term.split(' ') {
            if n == 3 {
                return None;
            }
            words[n] = self.index.word(word)?;
            n += 1;
        }
        let feature = if n == 1 {
            self.index.unigram(words[0])
        } else {
            self.index.ngram(&words[..n])
        };
        feature.map(|f| f as usize)
    }

    /// Tokenises and vectorises one raw message.
    pub fn transform(&self, raw: &str) -> (SparseVector, Tokenized) {
        let tokenized = tokenize(raw, &self.tokenizer);
        let mut vector = self.vectorize(&tokenized).vector;
        let mut entries: Vec<(usize, f64)> =
            vector.indices.iter().copied().zip(vector.values).collect();
        entries.sort_unstable_by_key(|&(i, _)| i);
        (vector.indices, vector.values) = entries.into_iter().unzip();
        (vector, tokenized)
    }

    /// Vectorises a tokenised message (n-grams are formed here) and measures its OOV rate.
    /// The vector's entries are in order of first occurrence, not sorted by feature.
    pub fn vectorize(&self, tokenized: &Tokenized) -> Vectorized {
        let text = tokenized.normalized.text.as_str();
        let words: Vec<u32> = tokenized
            .spans()
            .iter()
            .map(|&(from, to)| {
                self.index
                    .word_at(text, from as usize, to as usize)
                    .unwrap_or(NONE)
            })
            .collect();
        let mut occurrences: Vec<u32> = Vec::with_capacity(words.len() * 2);
        let mut unknown = 0;
        for n in self.tokenizer.ngram_min..=self.tokenizer.ngram_max {
            if n == 1 {
                for &w in &words {
                    match self.index.unigram(w) {
                        Some(f) => occurrences.push(f),
                        None => unknown += 1,
                    }
                }
            } else {
                occurrences.extend(words.windows(n).filter_map(|ws| self.index.ngram(ws)));
            }
        }
        if self.tokenizer.ngram_min > 1 {
            unknown = words
                .iter()
                .filter(|&&w| self.index.unigram(w).is_none())
                .count();
        }
        let counts = count_unsorted(&occurrences, self.n_features());
        let mut vector = SparseVector {
            indices: Vec::with_capacity(counts.len()),
            values: Vec::with_capacity(counts.len()),
        };
        self.weigh(counts, &mut vector.indices, &mut vector.values);
        let oov_rate = if words.is_empty() {
            0.0
        } else {
            unknown as f64 / words.len() as f64
        };
        Vectorized { vector, oov_rate }
    }

    /// Turns feature occurrences into sorted, weighted, L2-normalised entries appended to
    /// `indices`/`values`. The training matrix ([`super::Corpus::transform`]) builds its rows
    /// with it; it lives here because it must weigh exactly as scoring does.
    pub(super) fn weigh_counts(
        &self,
        occurrences: &mut [u32],
        indices: &mut Vec<usize>,
        values: &mut Vec<f64>,
    ) {
        occurrences.sort_unstable();
        let counts = occurrences
            .chunk_by(|a, b| a == b)
            .map(|run| (run[0], run.len() as u32));
        self.weigh(counts, indices, values);
    }

    /// Appends `(feature, tf)` pairs as weighted, L2-normalised entries to `indices`/`values`.
    fn weigh(
        &self,
        counts: impl IntoIterator<Item = (u32, u32)>,
        indices: &mut Vec<usize>,
        values: &mut Vec<f64>,
    ) {
        let start = values.len();
        for (f, tf) in counts {
            let tf = if self.sublinear_tf && tf > 1 {
                1.0 + (tf as f64).ln()
            } else {
                tf as f64
            };
            indices.push(f as usize);
            values.push(tf * self.idf[f as usize]);
        }
        let norm = values[start..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            values[start..].iter_mut().for_each(|v| *v /= norm);
        }
    }
}

/// `(feature, occurrences)` in order of first occurrence, counted in a per-thread array
/// indexed by feature: no sorting (which cost a fifth of a prediction) and no hashing.
fn count_unsorted(occurrences: &[u32], n_features: usize) -> Vec<(u32, u32)> {
    thread_local! {
        static COUNTS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    COUNTS.with_borrow_mut(|counts| {
        if counts.len() < n_features {
            counts.resize(n_features, 0);
        }
        let mut first_seen = Vec::with_capacity(occurrences.len());
        for &f in occurrences {
            let count = &mut counts[f as usize];
            if *count == 0 {
                first_seen.push(f);
            }
            *count += 1;
        }
        // Leave the array zeroed for the next message.
        first_seen
            .into_iter()
            .map(|f| (f, std::mem::take(&mut counts[f as usize])))
            .collect()
    })
}

/// A message's TF-IDF vector and the share of its unigrams that are not vocabulary terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vectorized {
    /// The TF-IDF vector.
    pub vector: SparseVector,
    /// Out-of-vocabulary share of the unigram tokens (0 for a message without tokens).
    pub oov_rate: f64,
}

#[cfg(test)]
mod tests {
    use super::super::testing::plain_config;
    use super::*;

    #[test]
    fn from_parts_rejects_inconsistent_parts() {
        let t = plain_config();
        assert!(TfidfVectorizer::from_parts(t.clone(), vec!["a".into()], vec![], true).is_err());
        assert!(TfidfVectorizer::from_parts(
            t.clone(),
            vec!["a".into(), "a".into()],
            vec![1.0, 1.0],
            true
        )
        .is_err());
        assert!(
            TfidfVectorizer::from_parts(t.clone(), vec!["a".into()], vec![f64::NAN], true).is_err()
        );
        for malformed in ["a  b", "a b c d", " a"] {
            let parts = (vec![malformed.to_string()], vec![1.0]);
            assert!(TfidfVectorizer::from_parts(t.clone(), parts.0, parts.1, true).is_err());
        }
    }

    #[test]
    fn feature_index_finds_short_and_long_words_and_ngrams() {
        let features: Vec<String> = [
            "ab",
            "ab verylongword",
            "verylongword",
            "中奖 奖了",
            "x y z",
        ]
        .map(String::from)
        .to_vec();
        let config = TokenizerConfig {
            ngram_max: 3,
            ..plain_config()
        };
        let v = TfidfVectorizer::from_parts(config, features.clone(), vec![1.0; 5], true).unwrap();
        for (i, term) in features.iter().enumerate() {
            assert_eq!(v.feature_index(term), Some(i), "{term}");
        }
        for absent in ["x", "y z", "ab ab", "verylongwor", "中奖", "x y z w", ""] {
            assert_eq!(v.feature_index(absent), None, "{absent}");
        }
    }
}
