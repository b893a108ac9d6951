//! Shared state: the served model (swapped atomically on reload), logs, indices, metrics.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use artifact_store::{Manifest, ModelRegistry};
use chrono::{DateTime, Utc};
use prod_data::{FeedbackRecord, ProductionStore};
use text_model::FraudModel;

use crate::metrics::Metrics;
use crate::settings::Settings;

/// A verified model and what the service reports about it. Immutable: a reload swaps in a
/// new value, so one request always sees one model's score, version and explanation.
#[derive(Debug)]
pub struct ServedModel {
    /// Registry version, e.g. `v0003` (shared with the predictions it made).
    pub version: Arc<str>,
    /// The model.
    pub model: FraudModel,
    /// Its manifest.
    pub manifest: Manifest,
    /// The trainer's evaluation.
    pub metrics: serde_json::Value,
    /// When this process loaded it.
    pub loaded_at: DateTime<Utc>,
}

/// What a feedback request needs to know about a prediction.
#[derive(Debug, Clone)]
pub struct PredictionSummary {
    /// The message text.
    pub text: String,
    /// The model version that scored it.
    pub model_version: Arc<str>,
    /// Its risk score.
    pub risk_score: f64,
}

/// Predictions by id, and their ids oldest first (for eviction).
type RecentMap = (HashMap<u128, Arc<PredictionSummary>>, VecDeque<u128>);

/// The most recent predictions, for feedback lookups without reading the log. Keyed by the
/// UUID value, so remembering a prediction allocates no key strings.
#[derive(Debug, Default)]
pub struct RecentPredictions {
    capacity: usize,
    inner: Mutex<RecentMap>,
}

impl RecentPredictions {
    /// Keeps at most `capacity` predictions, evicting the oldest.
    pub fn new(capacity: usize) -> RecentPredictions {
        RecentPredictions {
            capacity: capacity.max(1),
            inner: Mutex::default(),
        }
    }

    /// The key of a prediction id: only the canonical form (lowercase, hyphenated) that this
    /// service hands out, so another spelling of the same UUID stays unknown, as in the log.
    pub fn key(id: &str) -> Option<u128> {
        let uuid = uuid::Uuid::try_parse(id).ok()?;
        let mut canonical = [0u8; uuid::fmt::Hyphenated::LENGTH];
        (uuid.hyphenated().encode_lower(&mut canonical) == id).then_some(uuid.as_u128())
    }

    /// Remembers a prediction.
    pub fn insert(&self, id: uuid::Uuid, summary: Arc<PredictionSummary>) {
        self.insert_many(std::iter::once((id, summary)));
    }

    /// Remembers several predictions under one lock.
    pub fn insert_many(
        &self,
        entries: impl IntoIterator<Item = (uuid::Uuid, Arc<PredictionSummary>)>,
    ) {
        let mut guard = self.inner.lock().expect("recent-predictions lock");
        let (map, order) = &mut *guard;
        for (id, summary) in entries {
            let key = id.as_u128();
            if map.insert(key, summary).is_none() {
                order.push_back(key);
            }
        }
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    /// A remembered prediction.
    pub fn get(&self, id: &str) -> Option<Arc<PredictionSummary>> {
        let key = Self::key(id)?;
        self.inner
            .lock()
            .expect("recent-predictions lock")
            .0
            .get(&key)
            .cloned()
    }
}

/// Stored feedback, for idempotency: the latest record per prediction, and plain-text
/// feedback by content.
#[derive(Debug, Default)]
pub struct FeedbackIndex {
    by_prediction: HashMap<String, FeedbackRecord>,
    by_content: HashMap<u64, FeedbackRecord>,
}

impl FeedbackIndex {
    /// Builds the index from stored feedback (every replica's).
    pub fn from_records(records: Vec<FeedbackRecord>) -> FeedbackIndex {
        let mut index = FeedbackIndex::default();
        records.into_iter().for_each(|f| index.remember(f));
        index
    }

    /// The key of feedback on a plain text.
    pub fn content_key(text: &str, label: &str, source: &str, comment: Option<&str>) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (text, label, source, comment).hash(&mut h);
        h.finish()
    }

    /// Records stored feedback (the latest per prediction wins).
    pub fn remember(&mut self, f: FeedbackRecord) {
        match &f.prediction_id {
            Some(pid) => {
                let newer = self.by_prediction.get(pid).is_none_or(|old| f.at >= old.at);
                if newer {
                    self.by_prediction.insert(pid.clone(), f);
                }
            }
            None => {
                let key = Self::content_key(&f.text, &f.label, &f.source, f.comment.as_deref());
                self.by_content.entry(key).or_insert(f);
            }
        }
    }

    /// The latest feedback on a prediction.
    pub fn for_prediction(&self, pid: &str) -> Option<&FeedbackRecord> {
        self.by_prediction.get(pid)
    }

    /// Feedback with exactly this content on a plain text.
    pub fn for_content(&self, key: u64) -> Option<&FeedbackRecord> {
        self.by_content.get(&key)
    }
}

/// Everything handlers share, behind one `Arc` (handlers and middleware get
/// `Arc<AppState>`, so a request clones one pointer, not every field).
pub struct AppState {
    /// Settings.
    pub settings: Arc<Settings>,
    /// The model registry.
    pub registry: ModelRegistry,
    /// This replica's name.
    pub instance: Arc<str>,
    /// The served model, if any.
    pub model: Arc<ArcSwapOption<ServedModel>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Where predictions and feedback are stored and looked up (this replica's log files, or
    /// the database).
    pub production: Arc<dyn ProductionStore>,
    /// Recent predictions.
    pub recent: Arc<RecentPredictions>,
    /// Stored feedback.
    pub feedback_index: Arc<Mutex<FeedbackIndex>>,
    /// Serialises feedback for the same key (striped), so duplicates are detected.
    pub feedback_stripes: Arc<Vec<tokio::sync::Mutex<()>>>,
    /// Serialises reloads.
    pub reload_lock: Arc<tokio::sync::Mutex<Option<String>>>,
    /// Per-contact limit on user labels.
    pub contact_limiter: Arc<crate::routes::contact_limit::ContactLimiter>,
}

impl AppState {
    /// The served model, loaded once per request.
    pub fn served(&self) -> Option<Arc<ServedModel>> {
        self.model.load_full()
    }

    /// The feedback stripe for a key.
    pub fn stripe(&self, key: &str) -> &tokio::sync::Mutex<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        &self.feedback_stripes[(h.finish() % self.feedback_stripes.len() as u64) as usize]
    }

    /// Finds a prediction in memory, else in the production store (on files: the index of
    /// every replica's prediction logs, where an unknown id costs a hash lookup and the logs'
    /// new tails, not a scan).
    pub async fn find_prediction(&self, id: &str) -> Option<Arc<PredictionSummary>> {
        if let Some(found) = self.recent.get(id) {
            return Some(found);
        }
        let production = self.production.clone();
        let wanted = id.to_string();
        let found =
            tokio::task::spawn_blocking(move || match production.find_prediction(&wanted) {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "looking up a prediction for feedback");
                    None
                }
            })
            .await
            .ok()
            .flatten()?;
        let found = Arc::new(PredictionSummary {
            text: found.text,
            model_version: found.model_version.into(),
            risk_score: found.risk_score,
        });
        // Ids this service did not hand out are not cached; they are rare and stay findable.
        if let Some(key) = RecentPredictions::key(id) {
            self.recent
                .insert(uuid::Uuid::from_u128(key), found.clone());
        }
        Some(found)
    }
}

/// The outcome of a reload attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// Production is the version already served.
    Unchanged(String),
    /// A new version is served.
    Loaded {
        /// The version served before, if any.
        from: Option<String>,
        /// The version served now.
        to: String,
    },
}

/// Why a reload did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The registry has no production model.
    #[error("the registry has no production model yet")]
    NoProduction,
    /// The bundle is corrupt, partial or of another schema; the current model keeps serving.
    #[error("refused {version}: {source}")]
    Refused {
        /// The refused version.
        version: String,
        /// Why.
        source: artifact_store::Error,
    },
    /// The registry could not be read.
    #[error("reading the registry: {0}")]
    Registry(#[from] artifact_store::Error),
}

/// Marks a registry read failure (not a version) in the reload lock's last failure.
const REGISTRY_ERROR: &str = "registry: ";

impl AppState {
    /// Loads the registry's production model if it differs from the served one. With
    /// `force`, retries a version that failed before.
    pub async fn reload(&self, force: bool) -> Result<ReloadOutcome, ReloadError> {
        let mut last_failed = self.reload_lock.lock().await;
        // Off the async threads: the alias store may be a database.
        let registry = self.registry.clone();
        let aliases = tokio::task::spawn_blocking(move || registry.aliases())
            .await
            .expect("reading the aliases does not panic");
        let aliases = match aliases {
            Ok(aliases) => aliases,
            Err(source) => {
                // A corrupt or unreadable aliases file is a failed reload like a corrupt
                // bundle: counted, logged once per distinct error, and the current model
                // keeps serving.
                self.metrics.reloads.with_label_values(&["failed"]).inc();
                let marker = format!("{REGISTRY_ERROR}{source}");
                if last_failed.as_deref() != Some(marker.as_str()) {
                    tracing::error!(error = %source, "cannot read the registry's aliases; the current model keeps serving");
                    *last_failed = Some(marker);
                }
                return Err(ReloadError::Registry(source));
            }
        };
        if last_failed
            .as_deref()
            .is_some_and(|f| f.starts_with(REGISTRY_ERROR))
        {
            tracing::info!("the registry's aliases are readable again");
            *last_failed = None;
        }
        let wanted = aliases
            .production
            .ok_or(ReloadError::NoProduction)?
            .to_string();
        let current = self.served().map(|s| s.version.to_string());
        if current.as_deref() == Some(wanted.as_str()) {
            return Ok(ReloadOutcome::Unchanged(wanted));
        }
        if !force && last_failed.as_deref() == Some(wanted.as_str()) {
            return Ok(ReloadOutcome::Unchanged(current.unwrap_or_default()));
        }
        let registry = self.registry.clone();
        let version: artifact_store::ModelVersion = wanted.parse()?;
        let loaded = tokio::task::spawn_blocking(move || {
            let bundle = registry.load(version)?;
            // Warm lazily built tables (the jieba dictionary) before the first request needs them.
            bundle.model.score("预热 warm-up");
            Ok::<_, artifact_store::Error>(bundle)
        })
        .await
        .expect("model loading does not panic");
        match loaded {
            Ok(bundle) => {
                let served = ServedModel {
                    version: wanted.as_str().into(),
                    model: bundle.model,
                    manifest: bundle.manifest,
                    metrics: bundle.metrics,
                    loaded_at: Utc::now(),
                };
                self.model.store(Some(Arc::new(served)));
                if let Some(old) = &current {
                    let _ = self.metrics.model_info.remove_label_values(&[old]);
                }
                self.metrics.model_info.with_label_values(&[&wanted]).set(1);
                self.metrics.reloads.with_label_values(&["ok"]).inc();
                *last_failed = None;
                tracing::info!(from = ?current, to = %wanted, "serving a new model");
                Ok(ReloadOutcome::Loaded {
                    from: current,
                    to: wanted,
                })
            }
            Err(source) => {
                self.metrics.reloads.with_label_values(&["failed"]).inc();
                tracing::error!(version = %wanted, error = %source, "refused a model; the current one keeps serving");
                *last_failed = Some(wanted.clone());
                Err(ReloadError::Refused {
                    version: wanted,
                    source,
                })
            }
        }
    }
}

impl fraudloop_http::AdminAccess for AppState {
    fn admin_token(&self) -> Option<&fraudloop_config::AdminToken> {
        self.settings.admin_token.as_ref()
    }

    fn admin_token_env(&self) -> &'static str {
        crate::settings::ADMIN_TOKEN_ENV
    }
}
