//! Text content drift: can a classifier tell reference messages from current ones?
//!
//! A TF-IDF + logistic-regression domain classifier is trained on half of both sides and scored
//! on the other half. An ROC-AUC near 0.5 means the texts look alike; the words with the largest
//! weights for each side, and the current messages that look least like the reference, explain
//! what changed.

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
    /// AUC threshold used when the reference has more than 1000 rows.
    pub auc_threshold: f64,
    /// Random-score AUCs drawn for the small-reference threshold (its 95th percentile).
    pub permutations: usize,
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
            permutations: 500,
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
    /// The threshold applied.
    pub threshold: f64,
    /// How the threshold was set: `fixed` (> 1000 reference rows) or `permutation`.
    pub threshold_method: &'static str,
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

/// Runs the check. `reference_rows_total` decides the threshold rule. None when either side
/// has fewer than 10 messages.
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
    let fitted = corpus.fit(&train, &tfidf).ok()?;
    let x_train = corpus.transform(&fitted, &train);
    let y_train: Vec<bool> = train.iter().map(|&r| is_current[r]).collect();
    let logistic = LogisticConfig {
        class_weight: ClassWeight::Balanced,
        max_iterations: 200,
        gradient_tolerance: 1e-5,
        ..LogisticConfig::default()
    };
    let classifier = logistic.fit_csr(&x_train, &y_train, None).ok()?;
    let x_test = corpus.transform(&fitted, &test);
    let scores = classifier.probabilities(&x_test);
    let y_test: Vec<bool> = test.iter().map(|&r| is_current[r]).collect();
    let auc = roc_auc(&y_test, &scores)?;

    let (threshold, threshold_method) = if reference_rows_total > 1000 {
        (config.auc_threshold, "fixed")
    } else {
        // The AUC random scores reach on this very split: what chance alone looks like here.
        let mut aucs: Vec<f64> = (0..config.permutations)
            .filter_map(|_| {
                let random: Vec<f64> = (0..y_test.len())
                    .map(|_| rand::Rng::gen::<f64>(&mut rng))
                    .collect();
                roc_auc(&y_test, &random)
            })
            .collect();
        aucs.sort_by(f64::total_cmp);
        let p95 = aucs
            .get(((aucs.len() as f64) * 0.95) as usize)
            .copied()
            .unwrap_or(config.auc_threshold);
        (p95, "permutation")
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
        threshold,
        threshold_method,
        top_words,
        reference_words,
        examples,
        reference_rows: reference.len(),
        current_rows: current.len(),
    })
}
