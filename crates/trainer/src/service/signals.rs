//! A drift report and the state of labels and registry around it, as the policy's
//! [`Signals`].

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context as _;
use artifact_store::HistoryKind;
use chrono::{DateTime, Utc};
use fraudloop_config::Home;
use loop_policy::{LabelLimits, PolicyConfig, Regression, Signals};
use serde_json::Value;

use super::data::{self, Row};

/// The latest drift report (`reports/latest.json`), if drift-monitor has written one.
pub fn latest_report(home: &Path) -> anyhow::Result<Option<Value>> {
    let path = Home::new(home).reports().join("latest.json");
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", path.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// A report's id: drift-monitor's time stamp, unique per report.
pub fn report_id(report: &Value) -> Option<String> {
    report["generated_at"]
        .as_str()
        .map(|t| format!("report-{t}"))
}

/// What [`signals`] needs besides the report.
pub struct SignalContext<'a> {
    /// Shared home.
    pub home: &'a Path,
    /// Policy thresholds (for the regression check's minimum rows).
    pub policy: &'a PolicyConfig,
    /// Label limits.
    pub labels: &'a LabelLimits,
    /// Revoked feedback ids.
    pub revoked: &'a BTreeSet<String>,
    /// Retrain at least this often (hours; 0 none).
    pub schedule_hours: f64,
    /// When the last retrain was queued.
    pub last_retrain_at: Option<DateTime<Utc>>,
    /// A retrain job is queued or running.
    pub retrain_running: bool,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The signals of `report`. Blocking: reads the feedback logs and, after a promotion with
/// enough labelled rows since, scores the production and previous models on them.
pub fn signals(report: &Value, ctx: &SignalContext<'_>) -> anyhow::Result<Signals> {
    let stores = data::stores(ctx.home)?;
    let registry = stores.registry();
    let aliases = registry.aliases()?;
    let production = aliases
        .production
        .context("the registry has no production model")?;
    let trained_at = registry.read_manifest(production)?.created_at;
    let (labels, _) = data::live_labels_from(&*stores.reader(), ctx.revoked, ctx.labels)?;
    let labels_since_production = labels.iter().filter(|l| l.at > trained_at).count();
    let labels_since_last_retrain = ctx
        .last_retrain_at
        .filter(|queued| *queued > trained_at)
        .map(|queued| labels.iter().filter(|l| l.at > queued).count());

    let enough_data = report["window"]["enough_data"].as_bool().unwrap_or(false);
    let drifted_columns: Vec<String> = report["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["drifted"].as_bool() == Some(true))
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    let performance = &report["performance"];
    let estimated = &report["estimated_performance"];
    let (f1_drop_points, f1_source) = if performance["measured"].as_bool() == Some(true) {
        (
            performance["degradation_points"]["f1"].as_f64().map(|d| -d),
            Some("measured".to_string()),
        )
    } else if estimated["assumptions_hold"].as_bool() == Some(true) {
        let drop = performance["reference"]["f1"]
            .as_f64()
            .zip(estimated["f1"].as_f64())
            .map(|(validation, now)| (validation - now) * 100.0);
        (drop, Some("estimated".to_string()))
    } else {
        (None, None)
    };
    let schedule_due = ctx.schedule_hours > 0.0
        && ctx
            .last_retrain_at
            .is_none_or(|t| (ctx.now - t).num_seconds() as f64 >= ctx.schedule_hours * 3600.0);

    // Only a promotion can cause a regression; its effect is judged on the labels given since.
    let mut regression = None;
    let last = registry.history()?.into_iter().last();
    if let (Some(event), Some(previous)) = (last, aliases.previous) {
        if event.version == production {
            let rows: Vec<Row> = labels
                .iter()
                .filter(|l| l.at > event.at)
                .map(|l| (l.text.clone(), l.is_fraud))
                .collect();
            if rows.len() >= ctx.policy.regression_min_rows.max(1) {
                let production_model = registry.load(production)?.model;
                let previous_model = registry.load(previous)?.model;
                regression = Some(Regression {
                    production: production.to_string(),
                    previous: previous.to_string(),
                    caused_by_promotion: event.kind == HistoryKind::Promote,
                    rows: rows.len(),
                    production_f1: data::f1(&production_model, &rows),
                    previous_f1: data::f1(&previous_model, &rows),
                });
            }
        }
    }
    Ok(Signals {
        report_id: report_id(report).unwrap_or_default(),
        model_version: report["model_version"]
            .as_str()
            .map_or_else(|| production.to_string(), str::to_string),
        enough_data,
        dataset_drift: enough_data && report["dataset_drift"].as_bool() == Some(true),
        text_drift: enough_data && report["text_drift"]["detected"].as_bool() == Some(true),
        drifted_columns,
        labels_since_production,
        labels_since_last_retrain,
        f1_drop_points,
        f1_source,
        schedule_due,
        regression,
        retrain_running: ctx.retrain_running,
    })
}
