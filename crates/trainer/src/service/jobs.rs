//! Retraining jobs: the training set (original rows + human labels), training through
//! [`crate::train::train`], and the promotion gate on the same rows for both models.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context as _;
use artifact_store::ModelVersion;
use chrono::{DateTime, Utc};
use loop_policy::{gate, GateScores, GateSettings, GateVerdict, LabelLimits, TrainingWeights};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::data::{self, Row};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for the one worker.
    Queued,
    /// Being worked on.
    Running,
    /// Done: the candidate passed the gate (and was promoted when promotion is on).
    Succeeded,
    /// Something went wrong (including an interruption); nothing half-done was promoted.
    Failed,
    /// The candidate was registered but the gate rejected it.
    Rejected,
}

impl JobState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Rejected => "rejected",
        }
    }

    /// True once the job will not change any more.
    pub fn is_final(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

/// `POST /jobs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// `retrain` (the only kind).
    pub kind: String,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// Drill: train on flipped labels, to see the gate reject a bad candidate.
    #[serde(default)]
    pub flip_labels: bool,
    /// Promote a candidate that passes the gate (default: the service's `auto_promote`).
    #[serde(default)]
    pub promote: Option<bool>,
}

/// A job, as stored in `loop/jobs/<id>.json` and answered by `GET /jobs/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// `job-000001`, …
    pub id: String,
    /// Order of creation.
    pub seq: u64,
    /// `retrain`.
    pub kind: String,
    /// Why it was started.
    pub reason: String,
    /// The `Idempotency-Key` it was created with (a report's id for the loop's own jobs).
    pub idempotency_key: Option<String>,
    /// The decision that started it, if the loop did.
    pub decision_id: Option<String>,
    /// Drill: labels flipped.
    pub flip_labels: bool,
    /// Promote when the gate passes.
    pub promote: bool,
    /// Where it is.
    pub state: JobState,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// What it is doing now.
    pub progress: String,
    /// The latest log lines.
    pub log: Vec<String>,
    /// The production version it was compared with.
    pub production: Option<String>,
    /// The candidate version it registered.
    pub candidate: Option<String>,
    /// The candidate's training metrics.
    pub metrics: Option<Value>,
    /// The training and hold-out sets (content-addressed in the registry) and their sizes.
    pub data: Option<Value>,
    /// The gate: settings, scores of both models, verdict and reasons.
    pub gate: Option<Value>,
    /// Whether the candidate became production.
    pub promoted: bool,
    /// What went wrong.
    pub error: Option<String>,
}

/// Log lines kept per job.
const LOG_TAIL: usize = 50;

impl Job {
    /// A new queued job.
    pub fn new(seq: u64, request: &JobRequest, key: Option<String>, promote: bool) -> Job {
        Job {
            id: format!("job-{seq:06}"),
            seq,
            kind: request.kind.clone(),
            reason: request
                .reason
                .clone()
                .unwrap_or_else(|| "requested".to_string()),
            idempotency_key: key,
            decision_id: None,
            flip_labels: request.flip_labels,
            promote: request.promote.unwrap_or(promote),
            state: JobState::Queued,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            progress: "queued".into(),
            log: Vec::new(),
            production: None,
            candidate: None,
            metrics: None,
            data: None,
            gate: None,
            promoted: false,
            error: None,
        }
    }

    /// Adds a log line (and makes it the progress).
    pub fn note(&mut self, line: impl Into<String>) {
        let line = line.into();
        tracing::info!(job = %self.id, "{line}");
        self.progress = line.clone();
        self.log
            .push(format!("{} {line}", Utc::now().format("%H:%M:%S%.3f")));
        if self.log.len() > LOG_TAIL {
            self.log.remove(0);
        }
    }

    /// Ends the job.
    pub fn finish(&mut self, state: JobState, line: impl Into<String>) {
        self.note(line);
        self.state = state;
        self.finished_at = Some(Utc::now());
    }
}

/// What a retrain produced.
#[derive(Debug, Clone)]
pub struct RetrainOutcome {
    /// The production version it was compared with.
    pub production: ModelVersion,
    /// The registered candidate.
    pub candidate: ModelVersion,
    /// Its training metrics.
    pub metrics: Value,
    /// The data it was trained and judged on.
    pub data: Value,
    /// The gate's record (settings, scores, verdict).
    pub gate: Value,
    /// The verdict.
    pub verdict: GateVerdict,
}

/// What a retrain needs besides the job.
pub struct RetrainContext<'a> {
    /// Shared home.
    pub home: &'a Path,
    /// Training settings.
    pub training: &'a text_model::TrainingConfig,
    /// Gate settings.
    pub gate: &'a GateSettings,
    /// Label limits.
    pub labels: &'a LabelLimits,
    /// Weights of the training rows.
    pub weights: &'a TrainingWeights,
    /// Revoked feedback ids.
    pub revoked: &'a BTreeSet<String>,
}

/// Builds the training set, trains and registers a candidate, and judges it against
/// production on the same rows. Blocking; `note` reports progress.
pub fn retrain(
    ctx: &RetrainContext<'_>,
    flip_labels: bool,
    note: &mut dyn FnMut(String),
) -> anyhow::Result<RetrainOutcome> {
    let stores = data::stores(ctx.home)?;
    let registry = stores.registry();
    let production = registry
        .load_production()
        .context("loading the production model")?;
    let production_version = production.manifest.version;
    note(format!("reading data (production {production_version})"));
    let (base_train, holdout) = data::reference_rows(&production)?;
    let (labels, labelled_texts) =
        data::live_labels_from(&*stores.reader(), ctx.revoked, ctx.labels)?;

    // The most recent labels are held out for the gate, never trained on.
    let n = labels.len();
    let share = (n as f64 * ctx.gate.recent_holdout_share).ceil() as usize;
    let n_recent = share.max(ctx.gate.min_recent_rows.min(n / 2)).min(n);
    let (older, recent) = labels.split_at(n - n_recent);
    let recent: Vec<Row> = recent
        .iter()
        .map(|l| (l.text.clone(), l.is_fraud))
        .collect();
    let held_out: BTreeSet<&str> = holdout
        .iter()
        .chain(&recent)
        .map(|r| r.0.as_str())
        .collect();
    // Original rows whose text was ever labelled take the feedback's (latest, unrevoked)
    // label instead, so a revocation also removes a label an earlier retrain learned.
    let w = ctx.weights;
    let mut train: Vec<(Row, f64)> = base_train
        .into_iter()
        .filter(|r| !labelled_texts.contains(&r.0) && !held_out.contains(r.0.as_str()))
        .map(|r| (r, w.original))
        .collect();
    let from_feedback = older
        .iter()
        .filter(|l| !held_out.contains(l.text.as_str()))
        .map(|l| ((l.text.clone(), l.is_fraud), w.of(l.source)))
        .collect::<Vec<_>>();
    let feedback_rows = from_feedback.len();
    train.extend(from_feedback);
    // Genuine look-alikes of scams (never the gate's benchmark), unless already present.
    let present: BTreeSet<String> = train.iter().map(|r| r.0 .0.clone()).collect();
    let anchors: Vec<(Row, f64)> = data::hard_legit_training()
        .into_iter()
        .filter(|r| !present.contains(&r.0) && !held_out.contains(r.0.as_str()))
        .map(|r| (r, w.hard_legit))
        .collect();
    let anchor_rows = anchors.len();
    train.extend(anchors);
    if flip_labels {
        train.iter_mut().for_each(|r| r.0 .1 = !r.0 .1);
    }
    // Local copies to train from when the datasets live in object storage.
    let scratch = super::store::scratch_dir(ctx.home);
    let (train_sha, train_path) = registry.store_dataset(&data::weighted_csv(&train), &scratch)?;
    let (holdout_sha, holdout_path) =
        registry.store_dataset(&data::labelled_csv(&holdout), &scratch)?;
    note(format!(
        "training on {} rows ({feedback_rows} from feedback{}, {anchor_rows} genuine look-alikes), hold-out {} rows, recent hold-out {} rows",
        train.len(),
        if flip_labels { ", labels flipped" } else { "" },
        holdout.len(),
        recent.len()
    ));
    let report = crate::train::train(
        registry,
        &crate::train::TrainArgs {
            data: train_path,
            test_data: Some(holdout_path),
            text_col: "text".into(),
            label_col: "label".into(),
            config: ctx.training.clone(),
            progress: false,
        },
    )?;
    let candidate: ModelVersion = report.json["version"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .context("the trainer reported no version")?;
    note(format!(
        "registered {candidate}; judging it against {production_version}"
    ));
    let candidate_bundle = registry.load(candidate)?;
    let benchmark = data::hard_legit();
    let score = |model: &text_model::FraudModel| GateScores {
        recent_f1: data::f1(model, &recent),
        recent_log_loss: data::log_loss(model, &recent),
        holdout_f1: data::f1(model, &holdout),
        benchmark_fpr: data::flagged_share(model, &benchmark),
    };
    let (prod_scores, cand_scores) = (score(&production.model), score(&candidate_bundle.model));
    let verdict = gate(&prod_scores, &cand_scores, recent.len(), ctx.gate);
    let gate_record = json!({
        "settings": ctx.gate,
        "production": {"version": production_version.to_string(), "scores": prod_scores},
        "candidate": {"version": candidate.to_string(), "scores": cand_scores},
        "rows": {"recent": recent.len(), "holdout": holdout.len(), "benchmark": benchmark.len()},
        "promote": verdict.promote,
        "reasons": verdict.reasons,
    });
    let data = json!({
        "training_sha256": train_sha,
        "holdout_sha256": holdout_sha,
        "training_rows": train.len(),
        "feedback_rows": feedback_rows,
        "hard_legit_training_rows": anchor_rows,
        "weights": ctx.weights,
        "holdout_rows": holdout.len(),
        "recent_rows": recent.len(),
        "flip_labels": flip_labels,
    });
    Ok(RetrainOutcome {
        production: production_version,
        candidate,
        metrics: report.json,
        data,
        gate: gate_record,
        verdict,
    })
}
