//! Training with stratified cross-validation: out-of-fold scores, threshold choice, final fit.
//!
//! Every row of the reference set gets a score from a model that did not see it: training rows
//! from their cross-validation fold's model, held-out rows from the final model. Scoring rows
//! with the model that trained on them makes the reference look falsely confident.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::logistic::LogisticConfig;
use crate::metrics::{BinaryMetrics, ThresholdPolicy};
use crate::model::FraudModel;
use crate::tfidf::{Corpus, FittedCorpusVectorizer, TfidfConfig};
use crate::tokenize::TokenizerConfig;
use crate::Error;

/// Everything that decides how a model is trained.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct TrainingConfig {
    /// Tokenisation.
    pub tokenizer: TokenizerConfig,
    /// Vocabulary and weighting.
    pub tfidf: TfidfConfig,
    /// Classifier.
    pub logistic: LogisticConfig,
    /// Decision-threshold choice on the out-of-fold scores.
    pub threshold: ThresholdPolicy,
    /// Cross-validation folds (at least 2).
    pub folds: usize,
    /// Share of rows held out for the final evaluation when no test file is given.
    pub test_size: f64,
    /// Seed of every random choice (splits, folds).
    pub seed: u64,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            tokenizer: TokenizerConfig::default(),
            tfidf: TfidfConfig::default(),
            logistic: LogisticConfig::default(),
            threshold: ThresholdPolicy::MaxF1,
            folds: 5,
            test_size: 0.2,
            seed: 42,
        }
    }
}

impl TrainingConfig {
    /// Checks every part.
    pub fn validate(&self) -> Result<(), Error> {
        self.tokenizer.validate()?;
        self.tfidf.validate()?;
        self.logistic.validate()?;
        if self.folds < 2 {
            return Err(Error::invalid_config("folds must be at least 2"));
        }
        if !(0.0..0.9).contains(&self.test_size) {
            return Err(Error::invalid_config(format_args!(
                "test_size {} must be in [0, 0.9)",
                self.test_size
            )));
        }
        Ok(())
    }
}

/// Splits row indices into (train, test), keeping each class's share in both.
pub fn stratified_split(labels: &[bool], test_size: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rows.shuffle(&mut rng);
        let n_test = (rows.len() as f64 * test_size).round() as usize;
        test.extend_from_slice(&rows[..n_test]);
        train.extend_from_slice(&rows[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Assigns each of `labels` to one of `k` folds, dealing each class round-robin after a
/// shuffle so every fold has the class balance of the whole.
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0; labels.len()];
    let mut next = 0;
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rows.shuffle(&mut rng);
        for row in rows {
            fold[row] = next % k;
            next += 1;
        }
    }
    fold
}

/// Training progress, reported as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// One of the fits (cross-validation folds, then the final model) finished.
    FitDone {
        /// Fits finished so far.
        done: usize,
        /// Fits in all.
        total: usize,
    },
}

/// The result of [`train_cross_validated`].
#[derive(Debug, Clone)]
pub struct TrainingOutcome {
    /// The final model, fitted on all training rows, with the chosen threshold.
    pub model: FraudModel,
    /// Per corpus row: a score from a model that did not see the row (NaN for rows in
    /// neither set).
    pub scores: Vec<f64>,
    /// Per corpus row: its OOV rate against the vocabulary of the model that scored it.
    pub oov_rates: Vec<f64>,
    /// Per corpus row: its cross-validation fold (None for test rows).
    pub fold_of: Vec<Option<usize>>,
    /// Metrics of each fold's model on its own held-out fold, at the chosen threshold.
    pub fold_metrics: Vec<BinaryMetrics>,
    /// Metrics of all out-of-fold scores at the chosen threshold.
    pub oof_metrics: BinaryMetrics,
    /// Metrics of the final model on the test rows (None without test rows).
    pub test_metrics: Option<BinaryMetrics>,
}

struct Fit {
    vectorizer: FittedCorpusVectorizer,
    classifier: crate::logistic::LogisticRegression,
}

fn fit_rows(
    corpus: &Corpus,
    labels: &[bool],
    rows: &[usize],
    config: &TrainingConfig,
) -> Result<Fit, Error> {
    let vectorizer = corpus.fit(rows, &config.tfidf)?;
    let x = corpus.transform(&vectorizer, rows);
    let y: Vec<bool> = rows.iter().map(|&r| labels[r]).collect();
    let classifier = config.logistic.fit_csr(&x, &y, None)?;
    Ok(Fit {
        vectorizer,
        classifier,
    })
}

/// Cross-validates on `train_rows`, chooses the threshold on the out-of-fold scores, fits the
/// final model on all `train_rows` and scores `test_rows` with it. `labels` are indexed by
/// corpus row, true = fraud. The fits run in parallel.
pub fn train_cross_validated(
    corpus: &Corpus,
    labels: &[bool],
    train_rows: &[usize],
    test_rows: &[usize],
    config: &TrainingConfig,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<TrainingOutcome, Error> {
    config.validate()?;
    if labels.len() != corpus.len() {
        return Err(Error::invalid_data(format_args!(
            "{} labels for {} texts",
            labels.len(),
            corpus.len()
        )));
    }
    let train_labels: Vec<bool> = train_rows.iter().map(|&r| labels[r]).collect();
    let positives = train_labels.iter().filter(|&&l| l).count();
    let negatives = train_labels.len() - positives;
    if positives.min(negatives) < config.folds {
        return Err(Error::invalid_data(format_args!(
            "{}-fold cross-validation needs at least {} rows of each class; the training rows have {} fraud and {} legit",
            config.folds, config.folds, positives, negatives
        )));
    }
    let folds = stratified_folds(&train_labels, config.folds, config.seed);
    let total = config.folds + 1;
    let done = std::sync::atomic::AtomicUsize::new(0);

    // Fits 0..k are the folds; fit k is the final model.
    let fits: Vec<Result<(Fit, Vec<usize>), Error>> = (0..=config.folds)
        .into_par_iter()
        .map(|k| {
            let (fit_on, held_out): (Vec<usize>, Vec<usize>) = if k == config.folds {
                (train_rows.to_vec(), test_rows.to_vec())
            } else {
                let fit_on = train_rows
                    .iter()
                    .zip(&folds)
                    .filter(|(_, &f)| f != k)
                    .map(|(&r, _)| r)
                    .collect();
                let held = train_rows
                    .iter()
                    .zip(&folds)
                    .filter(|(_, &f)| f == k)
                    .map(|(&r, _)| r)
                    .collect();
                (fit_on, held)
            };
            let fit = fit_rows(corpus, labels, &fit_on, config)?;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(Progress::FitDone { done: n, total });
            Ok((fit, held_out))
        })
        .collect();
    let fits: Vec<(Fit, Vec<usize>)> = fits.into_iter().collect::<Result<_, _>>()?;

    let mut scores = vec![f64::NAN; corpus.len()];
    let mut oov_rates = vec![f64::NAN; corpus.len()];
    let mut fold_of = vec![None; corpus.len()];
    for (k, (fit, held_out)) in fits.iter().enumerate() {
        let x = corpus.transform(&fit.vectorizer, held_out);
        for (&row, score) in held_out.iter().zip(fit.classifier.probabilities(&x)) {
            scores[row] = score;
            oov_rates[row] = corpus.oov_rate(&fit.vectorizer, row);
            if k < config.folds {
                fold_of[row] = Some(k);
            }
        }
    }

    let oof_scores: Vec<f64> = train_rows.iter().map(|&r| scores[r]).collect();
    let threshold = config.threshold.choose(&train_labels, &oof_scores)?;
    let oof_metrics = BinaryMetrics::compute(&train_labels, &oof_scores, threshold);
    let fold_metrics = fits[..config.folds]
        .iter()
        .map(|(_, held)| {
            let y: Vec<bool> = held.iter().map(|&r| labels[r]).collect();
            let s: Vec<f64> = held.iter().map(|&r| scores[r]).collect();
            BinaryMetrics::compute(&y, &s, threshold)
        })
        .collect();
    let test_metrics = (!test_rows.is_empty()).then(|| {
        let y: Vec<bool> = test_rows.iter().map(|&r| labels[r]).collect();
        let s: Vec<f64> = test_rows.iter().map(|&r| scores[r]).collect();
        BinaryMetrics::compute(&y, &s, threshold)
    });

    let (final_fit, _) = fits
        .into_iter()
        .next_back()
        .expect("the final fit is always present");
    let model = FraudModel::from_parts(
        final_fit.vectorizer.into_vectorizer(),
        final_fit.classifier,
        threshold,
    )?;
    Ok(TrainingOutcome {
        model,
        scores,
        oov_rates,
        fold_of,
        fold_metrics,
        oof_metrics,
        test_metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_folds_keep_class_balance() {
        let labels: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect(); // 25 fraud
        let (train, test) = stratified_split(&labels, 0.2, 7);
        assert_eq!(test.len(), 20);
        assert_eq!(test.iter().filter(|&&r| labels[r]).count(), 5);
        assert_eq!(train.len() + test.len(), 100);
        let folds = stratified_folds(&labels, 5, 7);
        for k in 0..5 {
            let members: Vec<usize> = (0..100).filter(|&i| folds[i] == k).collect();
            assert_eq!(members.len(), 20);
            assert_eq!(
                members.iter().filter(|&&r| labels[r]).count(),
                5,
                "fold {k}"
            );
        }
        assert_eq!(
            stratified_split(&labels, 0.2, 7),
            (train, test),
            "same seed, same split"
        );
    }

    fn corpus_of(n: usize) -> (Corpus, Vec<bool>) {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            if i % 3 == 0 {
                texts.push(format!(
                    "urgent claim your prize {i} now click http://win{i}.xyz verify account"
                ));
                labels.push(true);
            } else {
                texts.push(format!(
                    "see you at lunch {i} tomorrow, bring the meeting notes please"
                ));
                labels.push(false);
            }
        }
        (
            Corpus::build(&texts, &TokenizerConfig::default()).unwrap(),
            labels,
        )
    }

    #[test]
    fn every_row_gets_an_unseen_score() {
        let (corpus, labels) = corpus_of(60);
        let (train, test) = stratified_split(&labels, 0.25, 1);
        let config = TrainingConfig {
            tfidf: TfidfConfig {
                min_df: 1,
                ..TfidfConfig::default()
            },
            ..TrainingConfig::default()
        };
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let outcome = train_cross_validated(&corpus, &labels, &train, &test, &config, &|_| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(calls.into_inner(), 6);
        assert!(outcome.scores.iter().all(|s| (0.0..=1.0).contains(s)));
        assert!(train.iter().all(|&r| outcome.fold_of[r].is_some()));
        assert!(test.iter().all(|&r| outcome.fold_of[r].is_none()));
        assert_eq!(outcome.fold_metrics.len(), 5);
        assert_eq!(outcome.test_metrics.unwrap().f1, 1.0);
        let p = outcome
            .model
            .predict("urgent: claim your prize, click http://x.xyz to verify");
        assert!(p.label.is_fraud(), "{p:?}");
        assert!(!outcome
            .model
            .predict("lunch tomorrow? bring the notes")
            .label
            .is_fraud());
        assert!(p.top_terms.iter().all(|t| t.weight.abs() > 0.0));
    }

    #[test]
    fn too_few_rows_of_a_class_is_a_clear_error() {
        let (corpus, mut labels) = corpus_of(12);
        labels.iter_mut().enumerate().for_each(|(i, l)| *l = i == 0);
        let rows: Vec<usize> = (0..12).collect();
        let err = train_cross_validated(
            &corpus,
            &labels,
            &rows,
            &[],
            &TrainingConfig::default(),
            &|_| {},
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("at least 5 rows of each class"),
            "{err}"
        );
    }
}
