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
                .unigrams
                .into_iter()
                .map(|word| {
                    *unigram_ids.entry(word).or_insert_with_key(|w| {
                        terms.push(w.clone());
                        (terms.len() - 1) as u32
                    })
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

        let mut feature_of_term = vec![u32::MAX; self.terms.len()];
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
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for &row in rows {
            counts.clear();
            counts.extend(self.docs[row].iter().filter_map(|&t| {
                let f = fitted.feature_of_term[t as usize];
                (f != u32::MAX).then_some((f, 1))
            }));
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
            .filter(|&&t| fitted.feature_of_term[t as usize] == u32::MAX)
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

/// A fitted TF-IDF vectoriser: vocabulary in feature order and idf weights.
#[derive(Debug, Clone)]
pub struct TfidfVectorizer {
    tokenizer: TokenizerConfig,
    features: Vec<String>,
    index: FxHashMap<String, u32>,
    idf: Vec<f64>,
    sublinear_tf: bool,
}

/// One message as a sparse, L2-normalised TF-IDF vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    /// Feature indices, increasing.
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
        let index: FxHashMap<String, u32> = features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i as u32))
            .collect();
        if index.len() != features.len() {
            return Err(Error::InconsistentParts(
                "duplicate terms in the vocabulary".into(),
            ));
        }
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

    /// Feature index of a term.
    pub fn feature_index(&self, term: &str) -> Option<usize> {
        self.index.get(term).map(|&i| i as usize)
    }

    /// Tokenises and vectorises one raw message.
    pub fn transform(&self, raw: &str) -> (SparseVector, Tokenized) {
        let tokenized = tokenize(raw, &self.tokenizer);
        (self.transform_tokens(&tokenized.unigrams), tokenized)
    }

    /// Vectorises unigram tokens (n-grams are formed here).
    pub fn transform_tokens(&self, unigrams: &[String]) -> SparseVector {
        // The same terms as `ngrams`, looked up through one reused buffer instead of one new
        // string per n-gram: this is the hot path of every prediction.
        let mut counts: Vec<(u32, u32)> = Vec::with_capacity(unigrams.len() * 2);
        let mut term = String::new();
        for n in self.tokenizer.ngram_min..=self.tokenizer.ngram_max {
            for window in unigrams.windows(n) {
                let key = if n == 1 {
                    window[0].as_str()
                } else {
                    term.clear();
                    for (i, word) in window.iter().enumerate() {
                        if i > 0 {
                            term.push(' ');
                        }
                        term.push_str(word);
                    }
                    term.as_str()
                };
                if let Some(&f) = self.index.get(key) {
                    counts.push((f, 1));
                }
            }
        }
        let mut indices = Vec::new();
        let mut values = Vec::new();
        self.weigh_counts(&mut counts, &mut indices, &mut values);
        SparseVector { indices, values }
    }

    /// Share of `unigrams` that are not in the vocabulary.
    pub fn oov_rate(&self, unigrams: &[String]) -> f64 {
        if unigrams.is_empty() {
            return 0.0;
        }
        let unknown = unigrams
            .iter()
            .filter(|u| !self.index.contains_key(u.as_str()))
            .count();
        unknown as f64 / unigrams.len() as f64
    }

    /// Turns `(feature, 1)` occurrences into sorted, weighted, L2-normalised entries
    /// appended to `indices`/`values`.
    fn weigh_counts(
        &self,
        occurrences: &mut [(u32, u32)],
        indices: &mut Vec<usize>,
        values: &mut Vec<f64>,
    ) {
        occurrences.sort_unstable_by_key(|&(f, _)| f);
        let start = values.len();
        let mut i = 0;
        while i < occurrences.len() {
            let f = occurrences[i].0;
            let mut tf = 0u32;
            while i < occurrences.len() && occurrences[i].0 == f {
                tf += occurrences[i].1;
                i += 1;
            }
            let tf = if self.sublinear_tf {
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
        let (v, tok) = fitted.vectorizer().transform("zeta omega");
        assert!(v.indices.is_empty());
        assert_eq!(fitted.vectorizer().oov_rate(&tok.unigrams), 1.0);
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
        assert!(TfidfVectorizer::from_parts(t, vec!["a".into()], vec![f64::NAN], true).is_err());
    }
}
