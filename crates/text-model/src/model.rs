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
        let coefficients = self.classifier.coefficients();
        let mut contributions: Vec<(usize, f64)> = vector
            .indices
            .iter()
            .zip(&vector.values)
            .map(|(&i, &v)| (i, v * coefficients[i]))
            .collect();
        // Largest absolute contribution first; ties by feature so explanations are stable.
        let order = |a: &(usize, f64), b: &(usize, f64)| {
            b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0))
        };
        if contributions.len() > top_k {
            contributions.select_nth_unstable_by(top_k, order);
            contributions.truncate(top_k);
        }
        contributions.sort_unstable_by(order);
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
