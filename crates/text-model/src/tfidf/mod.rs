//! TF-IDF with sublinear tf, smooth idf, document-frequency limits and L2 row norms.
//!
//! The module has two halves with different jobs, in two files. Training goes through
//! [`Corpus`] (`corpus.rs`): every message is tokenised once and its n-gram terms are
//! interned as integers, so cross-validation can fit a vocabulary per fold without
//! tokenising again. Prediction goes through [`TfidfVectorizer`] (`vectorizer.rs`), whose
//! [`TfidfVectorizer::transform`] works on strings and is the hot scoring path; the two paths
//! give identical vectors (tested here). This file holds what both halves share: the
//! vocabulary settings, the "no id" sentinel and the CSR helper.

use sprs::{CsMat, TriMat};

use crate::Error;

mod corpus;
mod vectorizer;

pub use corpus::{idf_weight, Corpus, FittedCorpusVectorizer};
pub use vectorizer::{SparseVector, TfidfVectorizer, Vectorized};

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

/// "No id": an unknown word, a word that is not a unigram term, a corpus term without feature.
const NONE: u32 = u32::MAX;

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

/// Configurations shared by the tests of both halves.
#[cfg(test)]
mod testing {
    use super::TfidfConfig;
    use crate::tokenize::TokenizerConfig;

    /// Unigrams only and no stop words, so that hand-computed weights stay small.
    pub(super) fn plain_config() -> TokenizerConfig {
        TokenizerConfig {
            ngram_min: 1,
            ngram_max: 1,
            stop_words: false,
            ..TokenizerConfig::default()
        }
    }

    /// Keeps every term and weighs raw counts.
    pub(super) fn all_terms() -> TfidfConfig {
        TfidfConfig {
            min_df: 1,
            max_df: 1.0,
            max_features: None,
            sublinear_tf: false,
            smooth_idf: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{all_terms, plain_config};
    use super::*;
    use crate::tokenize::{tokenize, TokenizerConfig};

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
}
