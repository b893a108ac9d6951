//! Training with stratified cross-validation: out-of-fold scores, threshold choice, final fit.
//!
//! Every row of the reference set gets a score from a model that did not see it: training rows
//! from their cross-validation fold's model, held-out rows from the final model. Scoring rows
//! with the model that trained on them makes the reference look falsely confident.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::calibration::{
    cross_fitted_platt, expected_calibration_error, log_loss, CalibrationError, CalibrationMethod,
    Platt,
};
use crate::logistic::{class_sample_weights, sigmoid, LogisticConfig, LogisticRegression};
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
    /// The hyper-parameter search.
    pub search: SearchConfig,
    /// Score calibration on the out-of-fold scores.
    pub calibration: CalibrationMethod,
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
            search: SearchConfig::default(),
            calibration: CalibrationMethod::Auto,
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
        self.search.validate()?;
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

/// What the hyper-parameter search maximises, on the pooled out-of-fold scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SearchMetric {
    /// F1 at the threshold the threshold policy picks.
    #[default]
    F1,
    /// Average precision (area under the precision-recall curve).
    PrAuc,
    /// Balanced accuracy at the threshold the threshold policy picks.
    BalancedAccuracy,
}

impl SearchMetric {
    fn score(self, actual: &[bool], scores: &[f64], policy: &ThresholdPolicy) -> f64 {
        match self {
            SearchMetric::PrAuc => crate::metrics::average_precision(actual, scores).unwrap_or(0.0),
            SearchMetric::F1 | SearchMetric::BalancedAccuracy => {
                let Ok(threshold) = policy.choose(actual, scores) else {
                    return 0.0;
                };
                let m = BinaryMetrics::compute(actual, scores, threshold);
                if self == SearchMetric::F1 {
                    m.f1
                } else {
                    m.balanced_accuracy
                }
            }
        }
    }
}

/// The hyper-parameter search: which values of C cross-validation compares.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct SearchConfig {
    /// The grid of C values, fitted in increasing order, each fit starting from the previous
    /// one's solution. Empty: no search, `logistic.c` is used. One value fixes C.
    pub c: Vec<f64>,
    /// What the search maximises.
    pub metric: SearchMetric,
}

/// The default grid: a decade in half-decade steps either side of scikit-learn's C = 1,
/// reaching the weak regularisation long e-mails want.
pub const DEFAULT_C_GRID: [f64; 6] = [0.3, 1.0, 3.0, 10.0, 30.0, 100.0];

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            c: DEFAULT_C_GRID.to_vec(),
            metric: SearchMetric::F1,
        }
    }
}

impl SearchConfig {
    fn validate(&self) -> Result<(), Error> {
        if let Some(c) = self.c.iter().find(|c| !(c.is_finite() && **c > 0.0)) {
            return Err(Error::invalid_config(format_args!(
                "search.c: {c} must be positive"
            )));
        }
        Ok(())
    }
}

impl TrainingConfig {
    /// The C values cross-validation compares, increasing and without repeats.
    pub fn c_path(&self) -> Vec<f64> {
        let mut path = if self.search.c.is_empty() {
            vec![self.logistic.c]
        } else {
            self.search.c.clone()
        };
        path.sort_by(f64::total_cmp);
        path.dedup();
        path
    }
}

/// One grid point of the search and its cross-validated score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridPoint {
    /// The value of C.
    pub c: f64,
    /// The search metric on the pooled out-of-fold scores.
    pub score: f64,
}

/// What the search compared and chose.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    /// The metric compared.
    pub metric: SearchMetric,
    /// Every grid point in increasing C.
    pub grid: Vec<GridPoint>,
    /// The chosen C (the best score; ties go to the smaller C, the simpler model).
    pub chosen_c: f64,
    /// False when a single value was given, so nothing was searched.
    pub searched: bool,
}

/// How the final model's scores were calibrated.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationOutcome {
    /// The method used (`Platt` or `None`, never `Auto`).
    pub method: CalibrationMethod,
    /// The Platt scaling folded into the final model (identity for `None`).
    pub platt: Platt,
    /// Cross-validated log loss of the out-of-fold scores without and with Platt scaling.
    pub log_loss_raw: f64,
    /// See `log_loss_raw`.
    pub log_loss_platt: f64,
    /// Calibration error of the out-of-fold scores before calibration.
    pub oof_raw: CalibrationError,
    /// Calibration error of the out-of-fold scores after (cross-fitted) calibration.
    pub oof_calibrated: CalibrationError,
    /// Calibration error of the test rows before and after calibration (None without them).
    pub test_raw: Option<CalibrationError>,
    /// See `test_raw`.
    pub test_calibrated: Option<CalibrationError>,
}

/// Training progress, reported as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// One of the fits (every grid point of every cross-validation fold and of the final
    /// model) finished.
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
    /// The final model, fitted on all training rows at the chosen C, calibrated, with the
    /// chosen threshold.
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
    /// The hyper-parameter search.
    pub search: SearchOutcome,
    /// The calibration.
    pub calibration: CalibrationOutcome,
}

/// One fit's vectoriser and its classifiers along the C path, with the decision values of
/// the rows it held out (one vector per grid point).
struct PathFit {
    vectorizer: FittedCorpusVectorizer,
    classifiers: Vec<LogisticRegression>,
    held_out: Vec<usize>,
    decisions: Vec<Vec<f64>>,
}

#[allow(clippy::too_many_arguments)]
fn fit_path(
    corpus: &Corpus,
    labels: &[bool],
    row_weights: Option<&[f64]>,
    fit_on: &[usize],
    held_out: Vec<usize>,
    config: &TrainingConfig,
    keep_classifiers: bool,
    fitted: &(dyn Fn() + Sync),
) -> Result<PathFit, Error> {
    let path = config.c_path();
    let vectorizer = corpus.fit(fit_on, &config.tfidf)?;
    let x = corpus.transform(&vectorizer, fit_on);
    let y: Vec<bool> = fit_on.iter().map(|&r| labels[r]).collect();
    let x_held = corpus.transform(&vectorizer, &held_out);
    // Row weights scale the class weights (a row of weight 3 counts as three copies of it,
    // without leaking copies across cross-validation folds).
    let sample_weights = row_weights.map(|w| {
        class_sample_weights(&y, config.logistic.class_weight)
            .into_iter()
            .zip(fit_on)
            .map(|(c, &r)| c * w[r])
            .collect::<Vec<f64>>()
    });
    let mut classifiers = Vec::new();
    let mut decisions = Vec::with_capacity(path.len());
    let mut previous: Option<LogisticRegression> = None;
    let prepared = config.logistic.prepare(&x, &y, sample_weights.as_deref())?;
    for &c in &path {
        let classifier = prepared.fit(c, previous.as_ref())?;
        decisions.push(
            x_held
                .outer_iterator()
                .map(|row| classifier.decision(row.indices(), row.data()))
                .collect(),
        );
        fitted();
        if keep_classifiers {
            classifiers.push(classifier.clone());
        }
        previous = Some(classifier);
    }
    Ok(PathFit {
        vectorizer,
        classifiers,
        held_out,
        decisions,
    })
}

/// Cross-validates every C of the search grid on `train_rows`, chooses C and the calibration
/// on the out-of-fold scores, chooses the threshold on the calibrated out-of-fold scores,
/// fits the final model on all `train_rows` and scores `test_rows` with it. `labels` are
/// indexed by corpus row, true = fraud. The folds and the final fit run in parallel, each
/// walking the C path with warm starts.
pub fn train_cross_validated(
    corpus: &Corpus,
    labels: &[bool],
    train_rows: &[usize],
    test_rows: &[usize],
    config: &TrainingConfig,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<TrainingOutcome, Error> {
    train_cross_validated_weighted(
        corpus, labels, None, train_rows, test_rows, config, progress,
    )
}

/// [`train_cross_validated`] with a weight per corpus row (finite, positive), which scales
/// that row's share of the classifier's loss in every fit. The search, calibration and
/// threshold still count each out-of-fold row once.
pub fn train_cross_validated_weighted(
    corpus: &Corpus,
    labels: &[bool],
    row_weights: Option<&[f64]>,
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
    if let Some(w) = row_weights {
        if w.len() != corpus.len() {
            return Err(Error::invalid_data(format_args!(
                "{} row weights for {} texts",
                w.len(),
                corpus.len()
            )));
        }
        if let Some(bad) = w.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
            return Err(Error::invalid_data(format_args!(
                "row weight {bad} is not a positive number"
            )));
        }
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
    let path = config.c_path();
    let total = (config.folds + 1) * path.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let fitted = || {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(Progress::FitDone { done: n, total });
    };

    // Fits 0..k are the folds; fit k is the final model, which keeps its whole path so the
    // chosen C need not be fitted again after the search.
    let fits: Vec<Result<PathFit, Error>> = (0..=config.folds)
        .into_par_iter()
        .map(|k| {
            if k == config.folds {
                return fit_path(
                    corpus,
                    labels,
                    row_weights,
                    train_rows,
                    test_rows.to_vec(),
                    config,
                    true,
                    &fitted,
                );
            }
            let rows_where = |keep: &dyn Fn(usize) -> bool| -> Vec<usize> {
                train_rows
                    .iter()
                    .zip(&folds)
                    .filter(|(_, &f)| keep(f))
                    .map(|(&r, _)| r)
                    .collect()
            };
            fit_path(
                corpus,
                labels,
                row_weights,
                &rows_where(&|f| f != k),
                rows_where(&|f| f == k),
                config,
                false,
                &fitted,
            )
        })
        .collect();
    let mut fits: Vec<PathFit> = fits.into_iter().collect::<Result<_, _>>()?;
    let final_fit = fits.pop().expect("the final fit is always present");

    // Out-of-fold decision values per grid point, in `train_rows` order.
    let mut position = vec![usize::MAX; corpus.len()];
    train_rows
        .iter()
        .enumerate()
        .for_each(|(i, &r)| position[r] = i);
    let mut oof_decisions = vec![vec![f64::NAN; train_rows.len()]; path.len()];
    for fit in &fits {
        for (g, decisions) in fit.decisions.iter().enumerate() {
            for (&row, &d) in fit.held_out.iter().zip(decisions) {
                oof_decisions[g][position[row]] = d;
            }
        }
    }
    let grid: Vec<GridPoint> = path
        .iter()
        .zip(&oof_decisions)
        .map(|(&c, decisions)| {
            let scores: Vec<f64> = decisions.iter().map(|&d| sigmoid(d)).collect();
            GridPoint {
                c,
                score: config
                    .search
                    .metric
                    .score(&train_labels, &scores, &config.threshold),
            }
        })
        .collect();
    let best = grid.iter().enumerate().fold(
        0,
        |best, (g, p)| if p.score > grid[best].score { g } else { best },
    );
    let search = SearchOutcome {
        metric: config.search.metric,
        grid: grid.clone(),
        chosen_c: path[best],
        searched: path.len() > 1,
    };

    // Calibration on the chosen grid point's out-of-fold decision values.
    let decisions = &oof_decisions[best];
    let raw_oof: Vec<f64> = decisions.iter().map(|&d| sigmoid(d)).collect();
    let cross_fitted = cross_fitted_platt(decisions, &train_labels, &folds, config.folds)?;
    let log_loss_raw = log_loss(&train_labels, &raw_oof);
    let log_loss_platt = log_loss(&train_labels, &cross_fitted);
    let method = match config.calibration {
        CalibrationMethod::Auto if log_loss_platt < log_loss_raw => CalibrationMethod::Platt,
        CalibrationMethod::Auto => CalibrationMethod::None,
        other => other,
    };
    let platt = match method {
        CalibrationMethod::Platt => Platt::fit(decisions, &train_labels)?,
        _ => Platt::IDENTITY,
    };
    let oof_scores: Vec<f64> = decisions.iter().map(|&d| platt.apply(d)).collect();

    let mut scores = vec![f64::NAN; corpus.len()];
    let mut oov_rates = vec![f64::NAN; corpus.len()];
    let mut fold_of = vec![None; corpus.len()];
    for (k, fit) in fits.iter().enumerate() {
        for &row in &fit.held_out {
            scores[row] = oof_scores[position[row]];
            oov_rates[row] = corpus.oov_rate(&fit.vectorizer, row);
            fold_of[row] = Some(k);
        }
    }
    let test_decisions = &final_fit.decisions[best];
    for (&row, &d) in final_fit.held_out.iter().zip(test_decisions) {
        scores[row] = platt.apply(d);
        oov_rates[row] = corpus.oov_rate(&final_fit.vectorizer, row);
    }

    let threshold = config.threshold.choose(&train_labels, &oof_scores)?;
    let oof_metrics = BinaryMetrics::compute(&train_labels, &oof_scores, threshold);
    let fold_metrics = fits
        .iter()
        .map(|fit| {
            let y: Vec<bool> = fit.held_out.iter().map(|&r| labels[r]).collect();
            let s: Vec<f64> = fit.held_out.iter().map(|&r| scores[r]).collect();
            BinaryMetrics::compute(&y, &s, threshold)
        })
        .collect();
    let test_labels: Vec<bool> = test_rows.iter().map(|&r| labels[r]).collect();
    let test_scores: Vec<f64> = test_rows.iter().map(|&r| scores[r]).collect();
    let test_metrics = (!test_rows.is_empty())
        .then(|| BinaryMetrics::compute(&test_labels, &test_scores, threshold));
    let calibration = CalibrationOutcome {
        method,
        platt,
        log_loss_raw,
        log_loss_platt,
        oof_raw: expected_calibration_error(&train_labels, &raw_oof),
        oof_calibrated: expected_calibration_error(
            &train_labels,
            if method == CalibrationMethod::Platt {
                &cross_fitted
            } else {
                &raw_oof
            },
        ),
        test_raw: (!test_rows.is_empty()).then(|| {
            let raw: Vec<f64> = test_decisions.iter().map(|&d| sigmoid(d)).collect();
            expected_calibration_error(&test_labels, &raw)
        }),
        test_calibrated: (!test_rows.is_empty())
            .then(|| expected_calibration_error(&test_labels, &test_scores)),
    };

    let classifier = final_fit
        .classifiers
        .into_iter()
        .nth(best)
        .expect("the final fit keeps every grid point");
    // Platt scaling folds into the linear model: sigmoid(a (w.x + b0) + b).
    let classifier = LogisticRegression::from_parts(
        classifier
            .coefficients()
            .iter()
            .map(|w| w * platt.a)
            .collect(),
        classifier.intercept() * platt.a + platt.b,
    )?;
    let model = FraudModel::from_parts(
        final_fit.vectorizer.into_vectorizer(),
        classifier,
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
        search,
        calibration,
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
        assert_eq!(calls.into_inner(), 6 * config.c_path().len());
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
    fn row_weights_move_the_fit_and_unit_weights_change_nothing() {
        let mut texts: Vec<String> = (0..60)
            .map(|i| {
                if i % 3 == 0 {
                    format!("urgent claim your prize {i} now click verify account")
                } else {
                    format!("see you at lunch {i} tomorrow, bring the meeting notes")
                }
            })
            .collect();
        let mut labels: Vec<bool> = (0..60).map(|i| i % 3 == 0).collect();
        // One genuine and one fraudulent message about the same invoice.
        texts.push("your quarterly invoice is ready".into());
        labels.push(false);
        texts.push("your quarterly invoice is overdue".into());
        labels.push(true);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let corpus = Corpus::build(&refs, &TokenizerConfig::default()).unwrap();
        let rows: Vec<usize> = (0..texts.len()).collect();
        let config = TrainingConfig {
            tfidf: TfidfConfig {
                min_df: 1,
                ..TfidfConfig::default()
            },
            search: SearchConfig {
                c: vec![10.0],
                ..SearchConfig::default()
            },
            ..TrainingConfig::default()
        };
        let fit = |weights: Option<&[f64]>| {
            train_cross_validated_weighted(&corpus, &labels, weights, &rows, &[], &config, &|_| {})
                .map(|o| o.model.score("quarterly invoice"))
        };
        let plain = fit(None).unwrap();
        let ones = vec![1.0; texts.len()];
        assert_eq!(fit(Some(&ones)).unwrap(), plain);
        let mut genuine_heavy = ones.clone();
        genuine_heavy[60] = 20.0;
        let mut fraud_heavy = ones.clone();
        fraud_heavy[61] = 20.0;
        let (low, high) = (
            fit(Some(&genuine_heavy)).unwrap(),
            fit(Some(&fraud_heavy)).unwrap(),
        );
        assert!(low < plain && plain < high, "{low} < {plain} < {high}");
        let mut bad = ones;
        bad[3] = 0.0;
        let err = fit(Some(&bad)).unwrap_err();
        assert!(err.to_string().contains("row weight 0"), "{err}");
        assert!(fit(Some(&[1.0; 3])).is_err());
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
