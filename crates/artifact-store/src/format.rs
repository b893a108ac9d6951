//! The on-disk format of a bundle, version [`SCHEMA_VERSION`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use text_model::{FraudModel, LogisticRegression, TfidfVectorizer, TokenizerConfig};

use crate::ModelVersion;

/// The bundle schema this build writes and reads. Bump it on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What a bundle's training data was: enough to tell whether two models saw the same data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFingerprint {
    /// SHA-256 of the training file's bytes (hex).
    pub sha256: String,
    /// Rows used.
    pub rows: u64,
    /// Rows labelled fraud.
    pub fraud: u64,
    /// Rows labelled legit.
    pub legit: u64,
    /// Where the data came from (a path or a description).
    pub source: String,
}

/// A file of the bundle with its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// SHA-256 of the file (hex).
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// `manifest.json`: what the bundle is and how to verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Bundle schema version.
    pub schema_version: u32,
    /// The version the registry gave the bundle.
    pub version: ModelVersion,
    /// When the bundle was written.
    pub created_at: DateTime<Utc>,
    /// The program that trained it (name, version, commit when known).
    pub code_version: String,
    /// The training data.
    pub training_data: DataFingerprint,
    /// The full training configuration.
    pub training_config: serde_json::Value,
    /// Decision threshold on P(fraud).
    pub threshold: f64,
    /// Vocabulary size.
    pub n_features: usize,
    /// Every other file of the bundle, by name.
    pub files: BTreeMap<String, FileEntry>,
}

/// `model.json`: the fitted model's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Tokeniser settings used in training (prediction must match them).
    pub tokenizer: TokenizerConfig,
    /// Whether term frequencies are `1 + ln(tf)`.
    pub sublinear_tf: bool,
    /// Vocabulary in feature order.
    pub features: Vec<String>,
    /// Idf weight per feature.
    pub idf: Vec<f64>,
    /// Logistic-regression weight per feature.
    pub coefficients: Vec<f64>,
    /// Logistic-regression bias.
    pub intercept: f64,
    /// Decision threshold on P(fraud).
    pub threshold: f64,
}

impl ModelFile {
    /// Captures a fitted model.
    pub fn from_model(model: &FraudModel) -> ModelFile {
        let v = model.vectorizer();
        ModelFile {
            tokenizer: v.tokenizer_config().clone(),
            sublinear_tf: v.sublinear_tf(),
            features: v.features().to_vec(),
            idf: v.idf().to_vec(),
            coefficients: model.classifier().coefficients().to_vec(),
            intercept: model.classifier().intercept(),
            threshold: model.threshold(),
        }
    }

    /// Rebuilds the model, checking that the parts fit together.
    pub fn into_model(self) -> Result<FraudModel, text_model::Error> {
        let vectorizer = TfidfVectorizer::from_parts(
            self.tokenizer,
            self.features,
            self.idf,
            self.sublinear_tf,
        )?;
        let classifier = LogisticRegression::from_parts(self.coefficients, self.intercept)?;
        FraudModel::from_parts(vectorizer, classifier, self.threshold)
    }
}
