//! The fraud-message text model: normalisation, English/Chinese tokenisation, TF-IDF and
//! class-weighted logistic regression, with explanations and evaluation metrics.
//!
//! # Brief overview
//! - [`normalize()`] and [`tokenize()`] turn a raw message into tokens (jieba or character
//!   bigrams for Chinese, placeholders for URLs, e-mails, phones and money).
//! - [`Corpus`] tokenises a training set once; [`train_cross_validated`] fits per-fold
//!   vocabularies and classifiers, chooses the threshold on out-of-fold scores and fits the
//!   final [`FraudModel`].
//! - [`FraudModel::predict`] gives P(fraud), the label at the model's threshold, the terms that
//!   drove the score, and the message's [`TextDescriptors`].
//! - [`BinaryMetrics`] computes accuracy, precision, recall, F1, balanced accuracy, ROC-AUC and
//!   PR-AUC.
//!
//! **Architecture invariant:** no IO, no async, no HTTP or serialisation formats. Fitted model
//! internals are not `Serialize`; the artifact store owns the on-disk format and rebuilds
//! models through the `from_parts` constructors. The optional `serde` feature covers
//! configuration types only.
//!
//! # Example
//! ```
//! use text_model::{stratified_split, train_cross_validated, Corpus, TfidfConfig, TrainingConfig};
//!
//! let texts: Vec<String> = (0..40)
//!     .map(|i| if i % 2 == 0 { format!("claim your prize {i} at http://x{i}.top now") }
//!              else { format!("lunch at noon {i}? bring the notes") })
//!     .collect();
//! let labels: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
//! let config = TrainingConfig { tfidf: TfidfConfig { min_df: 1, ..Default::default() }, ..Default::default() };
//! let corpus = Corpus::build(&texts, &config.tokenizer).unwrap();
//! let (train, test) = stratified_split(&labels, 0.25, 42);
//! let outcome = train_cross_validated(&corpus, &labels, &train, &test, &config, &|_| {}).unwrap();
//! let prediction = outcome.model.predict("Claim your prize now: http://win.top");
//! assert!(prediction.label.is_fraud());
//! ```
#![deny(missing_docs)]

mod calibration;
mod charclass;
pub mod confusables;
mod descriptors;
mod error;
mod label;
mod logistic;
mod metrics;
mod model;
pub mod normalize;
pub mod tfidf;
pub mod tokenize;
mod training;
mod u64map;
mod visible;

pub use calibration::{
    expected_calibration_error, log_loss, CalibrationError, CalibrationMethod, Platt,
    ReliabilityBin, CALIBRATION_BINS,
};
pub use descriptors::{TextDescriptors, DESCRIPTOR_COLUMNS, DESCRIPTOR_COUNT};
pub use error::Error;
pub use label::{Label, UnknownLabel};
pub use logistic::{
    class_sample_weights, sigmoid, ClassWeight, CsrRecords, LogisticConfig, LogisticRegression,
    PreparedFit,
};
pub use metrics::{average_precision, roc_auc, BinaryMetrics, Confusion, ThresholdPolicy};
pub use model::{FraudModel, Prediction, TermContribution, DEFAULT_TOP_TERMS};
pub use normalize::{normalize, Normalized, DEFAULT_MAX_CHARS};
pub use tfidf::{
    Corpus, FittedCorpusVectorizer, SparseVector, TfidfConfig, TfidfVectorizer, Vectorized,
};
pub use tokenize::{tokenize, CjkMode, Tokenized, TokenizerConfig};
pub use training::{
    stratified_folds, stratified_split, train_cross_validated, train_cross_validated_weighted,
    CalibrationOutcome, GridPoint, Progress, SearchConfig, SearchMetric, SearchOutcome,
    TrainingConfig, TrainingOutcome, DEFAULT_C_GRID,
};
pub use visible::has_visible_text;
