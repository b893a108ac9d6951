//! TF-IDF with sublinear tf, smooth idf, document-frequency limits and L2 row norms.
//!
//! Training goes through [`Corpus`]: every message is tokenised once and its n-gram terms are
//! interned as integers, so cross-validation can fit a vocabulary per fold without
//! tokenising again. Prediction goes through [`TfidfVectorizer::transform`], which works on
//! strings; the two paths give identical vectors (tested).

use rustc_hash::FxHashMap;

use rayon::prelude::*;
use sprs::{CsMat, TriMat};

use crate::tokenize::{tokenize, Tokenized, TokenizerConfig};
use crate::u64map::U64Map;
use crate::Error;

/// Vocabulary and weighting settings.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct TfidfConfig {
    /// Ignore terms in fewer documents than this.
    pub min_df: usize,
    /// Ignore terms in more than this share of documents.
    pub max_df: f64,
    /// Keep at most this many terms, the most frequent ones.
    pub max_features: Option<usize>,
    /// Use `1 + ln(tf)` instead of raw counts.
    pub sublinear_tf: bool,
    /// Add one to document frequencies, as if one document contained every term.
    pub smooth_idf: bool,
}

impl Default for TfidfConfig {
    fn default() -> Self {
        TfidfConfig {
            min_df: 2,
            max_df: 0.95,
            max_features: Some(40_000),
            sublinear_tf: true,
            smooth_idf: true,
        }
    }
}

impl TfidfConfig {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return Err(Error::invalid_config(format_args!(
                "max_df {} must be in (0, 1]",
                self.max_df
            )));
        }
        if self.max_features == Some(0) {
            return Err(Error::invalid_config("max_features must be positive"));
        }
        Ok(())
    }
}

/// Messages tokenised once, with n-gram terms interned as `u32` ids.
#[derive(Debug, Clone)]
pub struct Corpus {
    config: TokenizerConfig,
    /// Term id to term text.
    terms: Vec<String>,
    /// Per document: its n-gram term ids, in token order, with repeats.
    docs: Vec<Vec<u32>>,
    /// Per document: its unigram term ids (for out-of-vocabulary rates).
    doc_unigrams: Vec<Vec<u32>>,
    /// Per document: the normalisation output (placeholder counts feed descriptors).
    normalized: Vec<crate::normalize::Normalized>,
}

impl Corpus {
    /// Tokenises every text (in parallel) and interns the terms.
    pub fn build<S: AsRef<str> + Sync>(
        texts: &[S],
        config: &TokenizerConfig,
    ) -> Result<Corpus, Error> {
        config.validate()?;
        let tokenized: Vec<Tokenized> = texts
            .par_iter()
            .map(|t| tokenize(t.as_ref(), config))
            .collect();

        let mut terms: Vec<String> = Vec::new();
        let mut unigram_ids: FxHashMap<String, u32> = FxHashMap::default();
        // N-gram keys are up to three unigram ids, padded with u32::MAX: no allocation.
        let mut ngram_ids: FxHashMap<[u32; 3], u32> = FxHashMap::default();
        let mut docs = Vec::with_capacity(tokenized.len());
        let mut doc_unigrams = Vec::with_capacity(tokenized.len());
        let mut normalized = Vec::with_capacity(tokenized.len());
        for tok in tokenized {
            let uni: Vec<u32> = tok
                .unigrams()
                .map(|word| match unigram_ids.get(word) {
                    Some(&id) => id,
                    None => {
                        let id = terms.len() as u32;
                        terms.push(word.to_string());
                        unigram_ids.insert(word.to_string(), id);
                        id
                    }
                })
                .collect();
            let mut doc = Vec::new();
            for n in config.ngram_min..=config.ngram_max {
                if n == 1 {
                    doc.extend_from_slice(&uni);
                    continue;
                }
                for window in uni.windows(n) {
                    let mut key = [u32::MAX; 3];
                    key[..n].copy_from_slice(window);
                    let id = *ngram_ids.entry(key).or_insert_with(|| {
                        let text: Vec<&str> =
                            window.iter().map(|&u| terms[u as usize].as_str()).collect();
                        terms.push(text.join(" "));
                        (terms.len() - 1) as u32
                    });
                    doc.push(id);
                }
            }
            docs.push(doc);
            doc_unigrams.push(uni);
            normalized.push(tok.normalized);
        }
        Ok(Corpus {
            config: config.clone(),
            terms,
            docs,
            doc_unigrams,
            normalized,
        })
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when there are no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The tokeniser settings the corpus was built with.
    pub fn tokenizer_config(&self) -> &TokenizerConfig {
        &self.config
    }

    /// Normalisation output of document `doc`.
    pub fn normalized(&self, doc: usize) -> &crate::normalize::Normalized {
        &self.normalized[doc]
    }

    /// Fits a vocabulary and idf weights on the documents in `rows`.
    pub fn fit(
        &self,
        rows: &[usize],
        config: &TfidfConfig,
    ) -> Result<FittedCorpusVectorizer, Error> {
        config.validate()?;
        if rows.is_empty() {
            return Err(Error::invalid_data("no documents to fit a vocabulary on"));
        }
        let mut df = vec![0u32; self.terms.len()];
        let mut tf_total = vec![0u64; self.terms.len()];
        let mut last_seen = vec![u32::MAX; self.terms.len()];
        for (i, &row) in rows.iter().enumerate() {
            for &t in &self.docs[row] {
                let t = t as usize;
                tf_total[t] += 1;
                if last_seen[t] != i as u32 {
                    last_seen[t] = i as u32;
                    df[t] += 1;
                }
            }
        }
        let n_docs = rows.len();
        let max_df_count = (config.max_df * n_docs as f64).floor() as u32;
        let mut kept: Vec<u32> = (0..self.terms.len() as u32)
            .filter(|&t| {
                let d = df[t as usize];
                d >= config.min_df.max(1) as u32 && d <= max_df_count.max(1)
            })
            .collect();
        if let Some(limit) = config.max_features {
            if kept.len() > limit {
                // Most frequent first; ties by term text so the choice is reproducible.
                kept.sort_unstable_by(|&a, &b| {
                    tf_total[b as usize]
                        .cmp(&tf_total[a as usize])
                        .then_with(|| self.terms[a as usize].cmp(&self.terms[b as usize]))
                });
                kept.truncate(limit);
            }
        }
        if kept.is_empty() {
            return Err(Error::invalid_data(
                "no term passes the document-frequency limits (min_df/max_df); the texts are too few or too short",
            ));
        }
        kept.sort_unstable_by(|&a, &b| self.terms[a as usize].cmp(&self.terms[b as usize]));

        let mut feature_of_term = vec![NONE; self.terms.len()];
        let mut features = Vec::with_capacity(kept.len());
        let mut idf = Vec::with_capacity(kept.len());
        for (feature, &t) in kept.iter().enumerate() {
            feature_of_term[t as usize] = feature as u32;
            features.push(self.terms[t as usize].clone());
            idf.push(idf_weight(
                n_docs,
                df[t as usize] as usize,
                config.smooth_idf,
            ));
        }
        let vectorizer =
            TfidfVectorizer::from_parts(self.config.clone(), features, idf, config.sublinear_tf)?;
        Ok(FittedCorpusVectorizer {
            vectorizer,
            feature_of_term,
        })
    }

    /// The TF-IDF matrix of the documents in `rows` (one CSR row each, in order).
    pub fn transform(&self, fitted: &FittedCorpusVectorizer, rows: &[usize]) -> CsMat<f64> {
        let ncols = fitted.vectorizer.n_features();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        indptr.push(0);
        let mut counts: Vec<u32> = Vec::new();
        for &row in rows {
            counts.clear();
            counts.extend(
                self.docs[row]
                    .iter()
                    .map(|&t| fitted.feature_of_term[t as usize])
                    .filter(|&f| f != NONE),
            );
            fitted
                .vectorizer
                .weigh_counts(&mut counts, &mut indices, &mut data);
            indptr.push(indices.len());
        }
        CsMat::new((rows.len(), ncols), indptr, indices, data)
    }

    /// Number of content tokens (unigrams after stop-word removal) of document `doc`.
    pub fn unigram_count(&self, doc: usize) -> usize {
        self.doc_unigrams[doc].len()
    }

    /// Share of document `doc`'s unigrams that are not features of `fitted`.
    pub fn oov_rate(&self, fitted: &FittedCorpusVectorizer, doc: usize) -> f64 {
        let uni = &self.doc_unigrams[doc];
        if uni.is_empty() {
            return 0.0;
        }
        let unknown = uni
            .iter()
            .filter(|&&t| fitted.feature_of_term[t as usize] == NONE)
            .count();
        unknown as f64 / uni.len() as f64
    }
}

/// A vectoriser fitted on a [`Corpus`], with the corpus's term ids mapped to features.
#[derive(Debug, Clone)]
pub struct FittedCorpusVectorizer {
    vectorizer: TfidfVectorizer,
    feature_of_term: Vec<u32>,
}

impl FittedCorpusVectorizer {
    /// The string-based vectoriser, for new texts.
    pub fn vectorizer(&self) -> &TfidfVectorizer {
        &self.vectorizer
    }

    /// Gives up the corpus mapping and keeps the vectoriser.
    pub fn into_vectorizer(self) -> TfidfVectorizer {
        self.vectorizer
    }
}

/// `ln((1 + n) / (1 + df)) + 1` when smoothing, else `ln(n / df) + 1` (scikit-learn's).
pub fn idf_weight(n_docs: usize, df: usize, smooth: bool) -> f64 {
    let s = if smooth { 1.0 } else { 0.0 };
    ((n_docs as f64 + s) / (df as f64 + s)).ln() + 1.0
}

/// "No id": an unknown word, a word that is not a unigram term, a corpus term without feature.
const NONE: u32 = u32::MAX;

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
    /// `indices`/`values`.
    fn weigh_counts(
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

/// Builds a CSR matrix from sparse rows (e.g. vectors of new messages).
pub fn rows_to_csr(rows: &[SparseVector], n_features: usize) -> CsMat<f64> {
    let mut tri = TriMat::new((rows.len(), n_features));
    for (r, row) in rows.iter().enumerate() {
        for (&c, &v) in row.indices.iter().zip(&row.values) {
            tri.add_triplet(r, c, v);
        }
    }
    tri.to_csr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_config() -> TokenizerConfig {
        TokenizerConfig {
            ngram_min: 1,
            ngram_max: 1,
            stop_words: false,
            ..TokenizerConfig::default()
        }
    }

    fn all_terms() -> TfidfConfig {
        TfidfConfig {
            min_df: 1,
            max_df: 1.0,
            max_features: None,
            sublinear_tf: false,
            smooth_idf: true,
        }
    }

    #[test]
    fn matches_hand_computed_weights() {
        // Documents: d0 = "win cash cash", d1 = "win prize", d2 = "hello friend"; n = 3.
        // Smooth idf: df 1 -> ln(4/2) + 1 = 1.693147; df 2 (win) -> ln(4/3) + 1 = 1.287682.
        // d0 raw: cash 2 * 1.693147 = 3.386294, win 1.287682; L2 norm = 3.622857.
        let texts = ["win cash cash", "win prize", "hello friend"];
        let corpus = Corpus::build(&texts, &plain_config()).unwrap();
        let fitted = corpus.fit(&[0, 1, 2], &all_terms()).unwrap();
        let v = fitted.vectorizer();
        assert_eq!(v.features(), ["cash", "friend", "hello", "prize", "win"]);
        assert!((v.idf()[4] - 1.287_682).abs() < 1e-6);
        assert!((v.idf()[0] - 1.693_147).abs() < 1e-6);
        let m = corpus.transform(&fitted, &[0]);
        let row: Vec<(usize, f64)> = m
            .outer_view(0)
            .unwrap()
            .iter()
            .map(|(c, &x)| (c, x))
            .collect();
        assert_eq!(row.len(), 2);
        assert_eq!(row[0].0, 0);
        assert!((row[0].1 - 3.386_294 / 3.622_857).abs() < 1e-5, "{row:?}");
        assert!((row[1].1 - 1.287_682 / 3.622_857).abs() < 1e-5, "{row:?}");
    }

    #[test]
    fn sublinear_tf_and_unsmoothed_idf() {
        // d0 = "cash cash cash win", d1 = "win"; idf unsmoothed: cash ln(2/1)+1 = 1.693147,
        // win ln(2/2)+1 = 1. Sublinear tf of cash: 1 + ln 3 = 2.098612.
        // d0 raw: cash 2.098612*1.693147 = 3.553258, win 1; norm = 3.691283.
        let texts = ["cash cash cash win", "win"];
        let corpus = Corpus::build(&texts, &plain_config()).unwrap();
        let config = TfidfConfig {
            sublinear_tf: true,
            smooth_idf: false,
            ..all_terms()
        };
        let fitted = corpus.fit(&[0, 1], &config).unwrap();
        let m = corpus.transform(&fitted, &[0]);
        let vals: Vec<f64> = m.outer_view(0).unwrap().iter().map(|(_, &x)| x).collect();
        assert!((vals[0] - 3.553_258 / 3.691_283).abs() < 1e-5, "{vals:?}");
        assert!((vals[1] - 1.0 / 3.691_283).abs() < 1e-5, "{vals:?}");
    }

    #[test]
    fn document_frequency_limits_and_max_features() {
        let texts = ["aa bb cc", "aa bb", "aa dd", "aa ee"];
        let corpus = Corpus::build(&texts, &plain_config()).unwrap();
        // aa is in 4/4 docs (> max_df 0.9); cc, dd, ee are in 1 doc (< min_df 2).
        let config = TfidfConfig {
            min_df: 2,
            max_df: 0.9,
            ..all_terms()
        };
        assert_eq!(
            corpus
                .fit(&[0, 1, 2, 3], &config)
                .unwrap()
                .vectorizer()
                .features(),
            ["bb"]
        );
        let top2 = TfidfConfig {
            max_features: Some(2),
            ..all_terms()
        };
        assert_eq!(
            corpus
                .fit(&[0, 1, 2, 3], &top2)
                .unwrap()
                .vectorizer()
                .features(),
            ["aa", "bb"]
        );
        let nothing = TfidfConfig {
            min_df: 5,
            ..all_terms()
        };
        assert!(corpus.fit(&[0, 1, 2, 3], &nothing).is_err());
    }

    #[test]
    fn corpus_and_string_paths_agree() {
        let texts = [
            "Free prize! Claim your free prize at http://win.xyz now",
            "您的包裹因地址不详被扣留，请点击链接补缴运费",
            "Meeting moved to 3pm, see you there",
            "Your parcel is held: pay the fee at parcel-help.top",
        ];
        let config = TokenizerConfig::default();
        let corpus = Corpus::build(&texts, &config).unwrap();
        let rows = [0, 1, 2, 3];
        let fitted = corpus
            .fit(
                &rows,
                &TfidfConfig {
                    min_df: 1,
                    ..TfidfConfig::default()
                },
            )
            .unwrap();
        let matrix = corpus.transform(&fitted, &rows);
        for (r, text) in texts.iter().enumerate() {
            let (v, _) = fitted.vectorizer().transform(text);
            let row = matrix.outer_view(r).unwrap();
            let expected: Vec<usize> = row.indices().to_vec();
            assert_eq!(v.indices, expected, "doc {r}");
            for (a, b) in v.values.iter().zip(row.data()) {
                assert!((a - b).abs() < 1e-12);
            }
            let norm: f64 = v.values.iter().map(|x| x * x).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-9);
        }
        assert!(fitted
            .vectorizer()
            .features()
            .iter()
            .any(|f| f == "free prize"));
    }

    #[test]
    fn unknown_words_give_empty_vector_and_full_oov() {
        let corpus = Corpus::build(&["alpha beta", "beta gamma"], &plain_config()).unwrap();
        let fitted = corpus.fit(&[0, 1], &all_terms()).unwrap();
        let vectorizer = fitted.vectorizer();
        let unknown = vectorizer.vectorize(&tokenize("zeta omega", &plain_config()));
        assert!(unknown.vector.indices.is_empty());
        assert_eq!(unknown.oov_rate, 1.0);
        let half = vectorizer.vectorize(&tokenize("zeta alpha", &plain_config()));
        assert_eq!(half.oov_rate, 0.5);
        assert_eq!(corpus.oov_rate(&fitted, 0), 0.0);
    }

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
