//! Text content drift: can a classifier tell reference messages from current ones?
//!
//! A TF-IDF + logistic-regression domain classifier is trained on half of both sides and scored
//! on the other half. An ROC-AUC near 0.5 means the texts look alike; the words with the largest
//! weights for each side, and the current messages that look least like the reference, explain
//! what changed.
//!
//! How far above 0.5 chance alone goes depends on how many messages are scored: the threshold
//! is the AUC that random relabellings of the held-out half exceed in at most `alpha` of cases
//! (exact at any size, see [`drift_stats::auc_permutation_test`]), and never below Evidently's
//! fixed 0.55 when the reference has more than 1000 rows.
//!
//! Only one half is scored, on purpose. Scoring the other half too with a classifier fitted on
//! the first (cross-fitting) doubles the scored messages, but each half's scores then depend on
//! the other half's labels, the two AUCs are correlated under the null hypothesis, and a
//! relabelling null that ignores it raised 9.5 % false alarms at 100 rows instead of 2.5 %.

use drift_stats::{auc_permutation_test, PermutationConfig, DEFAULT_ALPHA};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use text_model::{
    roc_auc, stratified_split, ClassWeight, Corpus, LogisticConfig, TfidfConfig, TokenizerConfig,
};

/// Settings of the text-drift check.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDriftConfig {
    /// Messages sampled from each side at most.
    pub max_per_side: usize,
    /// Evidently's fixed AUC threshold, applied as a floor when the reference has more than
    /// 1000 rows.
    pub auc_threshold: f64,
    /// Random relabellings of the held-out half that give the AUC's null distribution.
    pub permutations: usize,
    /// False-alarm rate of the verdict: the share of same-distribution windows, of any size,
    /// flagged by chance.
    pub alpha: f64,
    /// Words listed per side.
    pub top_words: usize,
    /// Example messages listed.
    pub examples: usize,
    /// Seed of sampling, split and permutations.
    pub seed: u64,
}

impl Default for TextDriftConfig {
    fn default() -> Self {
        TextDriftConfig {
            max_per_side: 5000,
            auc_threshold: 0.55,
            permutations: 999,
            alpha: DEFAULT_ALPHA,
            top_words: 15,
            examples: 5,
            seed: 7,
        }
    }
}

/// The text-drift verdict and its explanation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TextDrift {
    /// Whether the domain classifier tells the sides apart better than the threshold.
    pub detected: bool,
    /// ROC-AUC of the domain classifier on the held-out half.
    pub roc_auc: f64,
    /// Lower end of the AUC's 95 % confidence interval (DeLong).
    pub ci_low: f64,
    /// Upper end of the AUC's 95 % confidence interval (DeLong).
    pub ci_high: f64,
    /// The threshold applied: the larger of `null_threshold` and `fixed_threshold`.
    pub threshold: f64,
    /// Which one set it: `permutation` or `fixed`.
    pub threshold_method: &'static str,
    /// The AUC that random relabellings of the held-out half exceed in at most `alpha` of
    /// cases: chance's reach at this size.
    pub null_threshold: f64,
    /// Evidently's fixed threshold (0.55) when the reference has more than 1000 rows.
    pub fixed_threshold: Option<f64>,
    /// Permutation p-value of the AUC (one-sided).
    pub p_value: f64,
    /// False-alarm rate of the verdict.
    pub alpha: f64,
    /// Relabellings drawn.
    pub permutations: usize,
    /// Words most typical of current messages, strongest first.
    pub top_words: Vec<WordWeight>,
    /// Words most typical of reference messages, strongest first.
    pub reference_words: Vec<WordWeight>,
    /// Current messages the classifier finds least like the reference.
    pub examples: Vec<String>,
    /// Messages used from each side.
    pub reference_rows: usize,
    /// Messages used from the current side.
    pub current_rows: usize,
}

/// A word and its domain-classifier weight.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WordWeight {
    /// The term.
    pub word: String,
    /// Its coefficient (positive: current; negative: reference).
    pub weight: f64,
}

fn sample<'a>(texts: &[&'a str], n: usize, rng: &mut ChaCha8Rng) -> Vec<&'a str> {
    if texts.len() <= n {
        return texts.to_vec();
    }
    texts.choose_multiple(rng, n).copied().collect()
}

/// Runs the check. `reference_rows_total` decides whether Evidently's fixed threshold applies as
/// a floor (more than 1000 rows). None when either side has fewer than 10 messages or the
/// classifier cannot be fitted.
pub fn text_drift(
    reference: &[&str],
    current: &[&str],
    reference_rows_total: usize,
    tokenizer: &TokenizerConfig,
    config: &TextDriftConfig,
) -> Option<TextDrift> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let reference = sample(reference, config.max_per_side, &mut rng);
    let current = sample(current, config.max_per_side, &mut rng);
    if reference.len() < 10 || current.len() < 10 {
        return None;
    }
    let texts: Vec<&str> = reference.iter().chain(current.iter()).copied().collect();
    let is_current: Vec<bool> = (0..texts.len()).map(|i| i >= reference.len()).collect();
    let corpus = Corpus::build(&texts, tokenizer).ok()?;
    let (train, test) = stratified_split(&is_current, 0.5, config.seed);
    let tfidf = TfidfConfig {
        min_df: 2,
        max_df: 1.0,
        max_features: Some(20_000),
        ..TfidfConfig::default()
    };
    let logistic = LogisticConfig {
        class_weight: ClassWeight::Balanced,
        max_iterations: 200,
        gradient_tolerance: 1e-5,
        ..LogisticConfig::default()
    };
    let fitted = corpus.fit(&train, &tfidf).ok()?;
    let x_train = corpus.transform(&fitted, &train);
    let y_train: Vec<bool> = train.iter().map(|&r| is_current[r]).collect();
    let classifier = logistic.fit_csr(&x_train, &y_train, None).ok()?;
    let x_test = corpus.transform(&fitted, &test);
    let scores = classifier.probabilities(&x_test);
    let y_test: Vec<bool> = test.iter().map(|&r| is_current[r]).collect();
    let auc = roc_auc(&y_test, &scores)?;

    // Chance's reach on this very held-out half. The seed depends on the scores, so that the
    // same inputs give the same report and different windows independent relabellings.
    let seed = scores.iter().fold(config.seed, |h, s| {
        (h ^ s.to_bits()).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let null = auc_permutation_test(
        &scores,
        &y_test,
        &PermutationConfig {
            permutations: config.permutations,
            alpha: config.alpha,
            seed,
        },
    )
    .map_err(|e| tracing::warn!(error = %e, "text-drift null distribution failed"))
    .ok()?;
    let fixed_threshold = (reference_rows_total > 1000).then_some(config.auc_threshold);
    let (threshold, threshold_method) = match fixed_threshold {
        Some(fixed) if fixed > null.null_threshold => (fixed, "fixed"),
        _ => (null.null_threshold, "permutation"),
    };

    let features = fitted.vectorizer().features();
    let mut weights: Vec<(usize, f64)> = classifier
        .coefficients()
        .iter()
        .copied()
        .enumerate()
        .collect();
    weights.sort_by(|a, b| b.1.total_cmp(&a.1));
    let word = |&(i, w): &(usize, f64)| WordWeight {
        word: features[i].clone(),
        weight: w,
    };
    let top_words = weights
        .iter()
        .take_while(|(_, w)| *w > 0.0)
        .take(config.top_words)
        .map(word)
        .collect();
    let reference_words = weights
        .iter()
        .rev()
        .take_while(|(_, w)| *w < 0.0)
        .take(config.top_words)
        .map(word)
        .collect();
    let mut current_scored: Vec<(f64, &str)> = test
        .iter()
        .zip(&scores)
        .filter(|(&r, _)| is_current[r])
        .map(|(&r, &s)| (s, texts[r]))
        .collect();
    current_scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let examples = current_scored
        .iter()
        .take(config.examples)
        .map(|(_, t)| t.chars().take(300).collect())
        .collect();
    Some(TextDrift {
        detected: auc > threshold,
        roc_auc: auc,
        ci_low: null.ci_low,
        ci_high: null.ci_high,
        threshold,
        threshold_method,
        null_threshold: null.null_threshold,
        fixed_threshold,
        p_value: null.p_value,
        alpha: config.alpha,
        permutations: config.permutations,
        top_words,
        reference_words,
        examples,
        reference_rows: reference.len(),
        current_rows: current.len(),
    })
}
