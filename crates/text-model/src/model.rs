//! The fitted fraud model: vectoriser, classifier and decision threshold, with explanations.

use crate::descriptors::TextDescriptors;
use crate::label::Label;
use crate::logistic::LogisticRegression;
use crate::tfidf::{TfidfVectorizer, Vectorized};
use crate::tokenize::tokenize;
use crate::Error;

/// How many terms an explanation lists by default.
pub const DEFAULT_TOP_TERMS: usize = 5;

/// A term and how much it moved the decision value (tf-idf weight x coefficient): positive
/// pushes towards fraud, negative towards legit.
#[derive(Debug, Clone, PartialEq)]
pub struct TermContribution {
    /// The vocabulary term (a word or an n-gram).
    pub term: String,
    /// Its signed contribution to the log-odds of fraud.
    pub weight: f64,
}

/// The model's answer for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// P(fraud), in [0, 1].
    pub score: f64,
    /// `Fraud` when `score >= threshold`.
    pub label: Label,
    /// The terms with the largest absolute contributions, largest first.
    pub top_terms: Vec<TermContribution>,
    /// The message's descriptors (with its OOV rate against this model).
    pub descriptors: TextDescriptors,
}

/// A trained model. Immutable: a new version is a new value.
#[derive(Debug, Clone)]
pub struct FraudModel {
    vectorizer: TfidfVectorizer,
    classifier: LogisticRegression,
    threshold: f64,
}

impl FraudModel {
    /// Assembles a model, checking that the parts fit together.
    pub fn from_parts(
        vectorizer: TfidfVectorizer,
        classifier: LogisticRegression,
        threshold: f64,
    ) -> Result<Self, Error> {
        if vectorizer.n_features() != classifier.coefficients().len() {
            return Err(Error::InconsistentParts(format!(
                "{} vocabulary terms but {} coefficients",
                vectorizer.n_features(),
                classifier.coefficients().len()
            )));
        }
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(Error::InconsistentParts(format!(
                "threshold {threshold} is not in (0, 1)"
            )));
        }
        Ok(FraudModel {
            vectorizer,
            classifier,
            threshold,
        })
    }

    /// The vectoriser.
    pub fn vectorizer(&self) -> &TfidfVectorizer {
        &self.vectorizer
    }

    /// The classifier.
    pub fn classifier(&self) -> &LogisticRegression {
        &self.classifier
    }

    /// The decision threshold on P(fraud).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Scores and explains one message with the default number of terms.
    pub fn predict(&self, text: &str) -> Prediction {
        self.predict_explained(text, DEFAULT_TOP_TERMS)
    }

    /// Scores one message and lists its `top_k` most influential terms.
    pub fn predict_explained(&self, text: &str, top_k: usize) -> Prediction {
        let tokenized = tokenize(text, self.vectorizer.tokenizer_config());
        let Vectorized { vector, oov_rate } = self.vectorizer.vectorize(&tokenized);
        let score = self.classifier.probability(&vector.indices, &vector.values);
        let contributions = top_contributions(
            &vector.indices,
            &vector.values,
            self.classifier.coefficients(),
            top_k,
        );
        let top_terms = contributions
            .into_iter()
            .map(|(i, weight)| TermContribution {
                term: self.vectorizer.features()[i].clone(),
                weight,
            })
            .collect();
        let descriptors = TextDescriptors::compute(
            text,
            &tokenized.normalized,
            tokenized.unigram_count(),
            oov_rate,
        );
        Prediction {
            score,
            label: Label::from_score(score, self.threshold),
            top_terms,
            descriptors,
        }
    }

    /// P(fraud) of one message, without explanation.
    pub fn score(&self, text: &str) -> f64 {
        let (vector, _) = self.vectorizer.transform(text);
        self.classifier.probability(&vector.indices, &vector.values)
    }
}

/// The `top_k` largest `|value × coefficient|` of a vector, largest first; ties by feature, so
/// explanations are stable. One pass with a small sorted buffer: most entries cost a single
/// comparison with the buffer's last.
fn top_contributions(
    indices: &[usize],
    values: &[f64],
    coefficients: &[f64],
    top_k: usize,
) -> Vec<(usize, f64)> {
    // Is `a` ranked before `b`?
    let before = |a: &(usize, f64), b: &(usize, f64)| {
        b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)) == std::cmp::Ordering::Less
    };
    // `top_k` comes from configuration; the vector bounds what can be held.
    let mut top: Vec<(usize, f64)> = Vec::with_capacity(top_k.min(indices.len()) + 1);
    if top_k == 0 {
        return top;
    }
    for (&i, &v) in indices.iter().zip(values) {
        let entry = (i, v * coefficients[i]);
        if top.len() == top_k && !before(&entry, &top[top_k - 1]) {
            continue;
        }
        let at = top.partition_point(|held| before(held, &entry));
        top.insert(at, entry);
        top.truncate(top_k);
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_contributions_are_a_full_sort_cut_short() {
        let mut state = 0x9e37_79b9u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let coefficients: Vec<f64> = (0..500)
            .map(|_| (next() % 2001) as f64 / 1000.0 - 1.0)
            .collect();
        for round in 0..200 {
            let n = (next() % 300) as usize;
            let mut indices: Vec<usize> = (0..500).collect();
            indices.rotate_left(round);
            indices.truncate(n);
            // Repeated values make ties, which the feature index must break.
            let values: Vec<f64> = (0..n).map(|_| (next() % 4) as f64 * 0.25).collect();
            let mut all: Vec<(usize, f64)> = indices
                .iter()
                .zip(&values)
                .map(|(&i, &v)| (i, v * coefficients[i]))
                .collect();
            all.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
            for k in [0, 1, 5, 17, 400, usize::MAX] {
                let expected = &all[..k.min(all.len())];
                assert_eq!(
                    top_contributions(&indices, &values, &coefficients, k),
                    expected,
                    "round {round}, k {k}"
                );
            }
        }
    }
}
