//! The training half of TF-IDF: a [`Corpus`] of messages tokenised once, vocabularies and
//! idf weights fitted on any subset of its documents, and the training matrix.
//!
//! Cross-validation fits one vocabulary per fold, so the corpus interns every n-gram term as
//! a `u32` id up front and each fit works on integers only. A fit yields a
//! [`FittedCorpusVectorizer`]: the serving [`TfidfVectorizer`] plus the map from corpus term
//! ids to its features, which [`Corpus::transform`] uses to build the matrix without strings.

use rustc_hash::FxHashMap;

use rayon::prelude::*;
use sprs::CsMat;

use super::{TfidfConfig, TfidfVectorizer, NONE};
use crate::tokenize::{tokenize, Tokenized, TokenizerConfig};
use crate::Error;

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

#[cfg(test)]
mod tests {
    use super::super::testing::{all_terms, plain_config};
    use super::*;

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
}
