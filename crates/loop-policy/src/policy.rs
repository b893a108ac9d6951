//! Signals → action: the policy table of the README, rule for rule.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What the loop does about a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do.
    Ok,
    /// Tell a person (webhooks).
    Alert,
    /// Train a candidate on the training set plus human labels and put it through the gate.
    Retrain,
    /// Move `production` back to the version served before a promotion that hurt.
    Rollback,
}

impl Action {
    /// Every action, for metric labels.
    pub const ALL: [Action; 4] = [Action::Ok, Action::Alert, Action::Retrain, Action::Rollback];

    /// The action's name, as in the audit log and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Ok => "ok",
            Action::Alert => "alert",
            Action::Retrain => "retrain",
            Action::Rollback => "rollback",
        }
    }

    /// The cheaper action a failed (or cooling-down) one degrades to: retrain and rollback
    /// become an alert, an alert becomes ok (nothing is sent).
    pub fn degraded(self) -> Action {
        match self {
            Action::Retrain | Action::Rollback => Action::Alert,
            Action::Alert | Action::Ok => Action::Ok,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgent a decision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing wrong.
    Info,
    /// Worth a look.
    Warning,
    /// A high-impact column drifted, or a promotion hurt.
    Critical,
}

/// A promotion's effect, measured on labelled feedback received after it: the production
/// model and the one before it scored on the same rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    /// The production version.
    pub production: String,
    /// The version before it (the rollback target).
    pub previous: String,
    /// True when production became production through a promotion (not the first model, not
    /// a rollback).
    pub caused_by_promotion: bool,
    /// Labelled rows received since that promotion.
    pub rows: usize,
    /// F1 of production on them.
    pub production_f1: f64,
    /// F1 of the previous version on the same rows.
    pub previous_f1: f64,
}

/// What one drift report (and the state of labels and registry around it) says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// The report's id: the idempotency key of the decision.
    pub report_id: String,
    /// The production version the report was computed for.
    pub model_version: String,
    /// False when the report's window was too small for verdicts.
    pub enough_data: bool,
    /// Dataset (descriptor) drift detected.
    pub dataset_drift: bool,
    /// Text content drift detected.
    pub text_drift: bool,
    /// Names of the drifted columns.
    pub drifted_columns: Vec<String>,
    /// Human labels received since the production model was trained.
    pub labels_since_production: usize,
    /// Human labels since the last retrain was queued, when one was queued after the
    /// production model was trained. Such a retrain (rejected, or failed) already had the
    /// labels before it: retraining on them again would give the same candidate, so only
    /// newer labels count towards a retrain.
    #[serde(default)]
    pub labels_since_last_retrain: Option<usize>,
    /// Validation F1 minus current F1, in points (measured on labelled feedback, else the
    /// label-free estimate when its assumptions hold); None when neither is known.
    pub f1_drop_points: Option<f64>,
    /// `measured` or `estimated`: where `f1_drop_points` came from.
    pub f1_source: Option<String>,
    /// The optional retraining schedule is due.
    pub schedule_due: bool,
    /// The latest promotion's measured effect, when there are enough labelled rows since it.
    pub regression: Option<Regression>,
    /// A retrain job is queued or running: another would learn nothing new.
    pub retrain_running: bool,
}

/// Cooldown per action, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Cooldowns {
    /// Between two alerts.
    pub alert_secs: i64,
    /// Between two retrains.
    pub retrain_secs: i64,
    /// Between two rollbacks.
    pub rollback_secs: i64,
}

impl Default for Cooldowns {
    fn default() -> Self {
        Cooldowns {
            alert_secs: 900,
            retrain_secs: 3600,
            rollback_secs: 3600,
        }
    }
}

impl Cooldowns {
    fn of(&self, action: Action) -> Option<Duration> {
        let secs = match action {
            Action::Ok => return None,
            Action::Alert => self.alert_secs,
            Action::Retrain => self.retrain_secs,
            Action::Rollback => self.rollback_secs,
        };
        (secs > 0).then(|| Duration::seconds(secs))
    }
}

/// The policy's thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// `k`: human labels since the production model was trained that trigger a retrain.
    pub min_labels: usize,
    /// Fewest human labels for a retrain triggered by drift, an F1 drop or the schedule
    /// (without them a retrain could not learn anything new, so those raise an alert).
    pub retrain_min_labels: usize,
    /// `x`: an F1 drop of more than this many points below validation triggers.
    pub f1_drop_points: f64,
    /// Columns whose drift makes an alert critical.
    pub high_impact_columns: Vec<String>,
    /// A promotion counts as a regression when production's F1 is more than this many
    /// points below the previous version's, on the same rows.
    pub regression_points: f64,
    /// Fewest labelled rows since a promotion before its effect is judged.
    pub regression_min_rows: usize,
    /// Cooldown per action.
    pub cooldowns: Cooldowns,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            min_labels: 200,
            retrain_min_labels: 50,
            f1_drop_points: 5.0,
            high_impact_columns: vec!["url_count".into(), "oov_rate".into()],
            regression_points: 2.0,
            regression_min_rows: 50,
            cooldowns: Cooldowns::default(),
        }
    }
}

/// The policy's decision on one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The report decided on (the idempotency key).
    pub report_id: String,
    /// What to do.
    pub action: Action,
    /// The rule of the README's table that fired (`R1` … `R9`).
    pub rule: String,
    /// Why, in words.
    pub reason: String,
    /// How urgent.
    pub severity: Severity,
    /// True when the report had been decided before: the caller does nothing again.
    pub repeat: bool,
}

/// How many decided report ids are remembered for idempotency.
const REMEMBERED_REPORTS: usize = 1000;

/// What the policy remembers between reports (the caller persists it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoopState {
    /// The latest decisions by report id, oldest first.
    pub decided: VecDeque<(String, Decision)>,
    /// When each action was last taken (ok is not recorded).
    pub last_action_at: BTreeMap<Action, DateTime<Utc>>,
    /// Versions production was rolled back from: never rolled back to, never promoted again
    /// by the loop.
    pub rolled_back_from: BTreeSet<String>,
}

impl LoopState {
    /// The decision already taken on `report_id`, if any.
    pub fn decided(&self, report_id: &str) -> Option<&Decision> {
        self.decided
            .iter()
            .rev()
            .find(|(id, _)| id == report_id)
            .map(|(_, d)| d)
    }

    /// Remembers a decision taken at `now` (the action actually taken, after any
    /// degradation), starting its action's cooldown.
    pub fn record(&mut self, decision: &Decision, now: DateTime<Utc>) {
        if decision.repeat {
            return;
        }
        if decision.action != Action::Ok {
            self.last_action_at.insert(decision.action, now);
        }
        self.decided
            .push_back((decision.report_id.clone(), decision.clone()));
        while self.decided.len() > REMEMBERED_REPORTS {
            self.decided.pop_front();
        }
    }

    /// Remembers that production was rolled back from `bad`.
    pub fn record_rollback(&mut self, bad: &str) {
        self.rolled_back_from.insert(bad.to_string());
    }

    fn cooling_until(
        &self,
        action: Action,
        cooldowns: &Cooldowns,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let until = *self.last_action_at.get(&action)? + cooldowns.of(action)?;
        (now < until).then_some(until)
    }
}

/// Decides what to do about one report. Deterministic: the same signals, state, config and
/// time give the same decision. The first matching rule wins (the README's table, in order).
pub fn decide(
    signals: &Signals,
    state: &LoopState,
    config: &PolicyConfig,
    now: DateTime<Utc>,
) -> Decision {
    // R1: one action per report.
    if let Some(previous) = state.decided(&signals.report_id) {
        return Decision {
            repeat: true,
            ..previous.clone()
        };
    }
    let (mut action, rule, mut reason, severity) = rule(signals, state, config);
    if action == Action::Retrain && signals.retrain_running {
        reason.push_str("; a retrain is already queued or running, so ok");
        action = Action::Ok;
    }
    let mut decision = Decision {
        report_id: signals.report_id.clone(),
        action,
        rule: rule.to_string(),
        reason: String::new(),
        severity,
        repeat: false,
    };
    // Cooldowns: an action still cooling down degrades to the cheaper one, until ok.
    while let Some(until) = state.cooling_until(action, &config.cooldowns, now) {
        let cheaper = action.degraded();
        reason.push_str(&format!(
            "; {action} cooling down until {}, so {cheaper}",
            until.format("%Y-%m-%dT%H:%M:%SZ")
        ));
        action = cheaper;
    }
    decision.action = action;
    decision.reason = reason;
    decision
}

type Rule = (Action, &'static str, String, Severity);

fn rule(s: &Signals, state: &LoopState, c: &PolicyConfig) -> Rule {
    // R2/R3: a promotion that hurt, measured on labelled rows, is the only reason to roll back.
    if let Some(r) = &s.regression {
        let drop = (r.previous_f1 - r.production_f1) * 100.0;
        if r.caused_by_promotion && r.rows >= c.regression_min_rows && drop > c.regression_points {
            let evidence = format!(
                "after promoting {}, F1 on {} labelled rows is {:.3} vs {:.3} for {} on the same rows ({drop:.1} points worse, limit {})",
                r.production, r.rows, r.production_f1, r.previous_f1, r.previous, c.regression_points
            );
            if state.rolled_back_from.contains(&r.previous) {
                return (
                    Action::Alert,
                    "R3",
                    format!(
                        "{evidence}; {} was itself rolled back from, so no rollback to it",
                        r.previous
                    ),
                    Severity::Critical,
                );
            }
            return (Action::Rollback, "R2", evidence, Severity::Critical);
        }
    }
    let drift = s.enough_data && (s.dataset_drift || s.text_drift);
    let high_impact: Vec<&String> = s
        .drifted_columns
        .iter()
        .filter(|col| c.high_impact_columns.contains(col))
        .collect();
    let drift_words = || {
        let mut what = Vec::new();
        if s.dataset_drift {
            what.push(format!("dataset drift ({})", s.drifted_columns.join(", ")));
        }
        if s.text_drift {
            what.push("text drift".to_string());
        }
        what.join(" and ")
    };
    let drift_severity = if high_impact.is_empty() {
        Severity::Warning
    } else {
        Severity::Critical
    };
    let f1_dropped = s.f1_drop_points.filter(|d| *d > c.f1_drop_points);
    let (labels, since) = match s.labels_since_last_retrain {
        Some(newer) if newer < s.labels_since_production => (newer, "the last retrain".into()),
        _ => (
            s.labels_since_production,
            format!("{} was trained", s.model_version),
        ),
    };
    // R4: enough new human labels.
    if labels >= c.min_labels {
        return (
            Action::Retrain,
            "R4",
            format!("{labels} human labels since {since} (k = {})", c.min_labels),
            Severity::Info,
        );
    }
    let enough_to_learn = labels >= c.retrain_min_labels;
    // R5: performance dropped and there are labels to learn from.
    if let (Some(drop), true) = (f1_dropped, enough_to_learn) {
        return (
            Action::Retrain,
            "R5",
            format!(
                "{} F1 {drop:.1} points below validation (limit {}), {labels} human labels to learn from",
                s.f1_source.as_deref().unwrap_or("measured"),
                c.f1_drop_points
            ),
            Severity::Warning,
        );
    }
    // R6: drift and labels to learn from.
    if drift && enough_to_learn {
        return (
            Action::Retrain,
            "R6",
            format!("{}, {labels} human labels to learn from", drift_words()),
            drift_severity,
        );
    }
    // R7: the schedule.
    if s.schedule_due && enough_to_learn {
        return (
            Action::Retrain,
            "R7",
            format!("scheduled retrain, {labels} human labels since the last"),
            Severity::Info,
        );
    }
    // R8: something is wrong but there is nothing to learn from yet: ask people.
    if drift || f1_dropped.is_some() {
        let mut what = Vec::new();
        if drift {
            what.push(drift_words());
        }
        if let Some(drop) = f1_dropped {
            what.push(format!("F1 {drop:.1} points below validation"));
        }
        let severity = if f1_dropped.is_some() {
            drift_severity.max(Severity::Warning)
        } else {
            drift_severity
        };
        return (
            Action::Alert,
            "R8",
            format!(
                "{}; only {labels} human labels since {since} (a retrain needs {}): label recent messages",
                what.join(", "),
                c.retrain_min_labels
            ),
            severity,
        );
    }
    // R9: nothing to do.
    let reason = if s.enough_data {
        format!(
            "no drift, F1 within limits, {labels} human labels (k = {})",
            c.min_labels
        )
    } else {
        format!(
            "not enough data for drift verdicts, {labels} human labels (k = {})",
            c.min_labels
        )
    };
    (Action::Ok, "R9", reason, Severity::Info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-07T00:00:00Z".parse().unwrap()
    }

    fn clean(id: &str) -> Signals {
        Signals {
            report_id: id.to_string(),
            model_version: "v0001".into(),
            enough_data: true,
            dataset_drift: false,
            text_drift: false,
            drifted_columns: vec![],
            labels_since_production: 0,
            labels_since_last_retrain: None,
            f1_drop_points: Some(0.5),
            f1_source: Some("measured".into()),
            schedule_due: false,
            regression: None,
            retrain_running: false,
        }
    }

    fn regression(production_f1: f64, previous_f1: f64) -> Regression {
        Regression {
            production: "v0003".into(),
            previous: "v0002".into(),
            caused_by_promotion: true,
            rows: 80,
            production_f1,
            previous_f1,
        }
    }

    fn decide_fresh(s: &Signals) -> Decision {
        decide(s, &LoopState::default(), &PolicyConfig::default(), now())
    }

    #[test]
    fn r1_the_same_report_twice_gives_one_action() {
        let mut state = LoopState::default();
        let config = PolicyConfig::default();
        let mut s = clean("r1");
        s.labels_since_production = 500;
        let first = decide(&s, &state, &config, now());
        assert_eq!((first.action, first.repeat), (Action::Retrain, false));
        state.record(&first, now());
        // Even with other signals, the report already decided is not acted on again.
        s.regression = Some(regression(0.5, 0.9));
        let again = decide(&s, &state, &config, now() + Duration::hours(5));
        assert!(again.repeat);
        assert_eq!(again.action, Action::Retrain);
        assert_eq!(again.rule, "R4");
        state.record(&again, now());
        assert_eq!(state.decided.len(), 1);
    }

    #[test]
    fn r2_a_promotion_that_hurt_on_labelled_rows_is_rolled_back() {
        let mut s = clean("r2");
        s.regression = Some(regression(0.70, 0.90));
        let d = decide_fresh(&s);
        assert_eq!((d.action, d.rule.as_str()), (Action::Rollback, "R2"));
        assert_eq!(d.severity, Severity::Critical);
        assert!(d.reason.contains("20.0 points worse"), "{}", d.reason);
    }

    #[test]
    fn r2_needs_a_promotion_enough_rows_and_a_real_drop() {
        for (tweak, why) in [
            (
                Box::new(|r: &mut Regression| r.caused_by_promotion = false)
                    as Box<dyn Fn(&mut Regression)>,
                "not a promotion",
            ),
            (Box::new(|r: &mut Regression| r.rows = 10), "too few rows"),
            (
                Box::new(|r: &mut Regression| r.production_f1 = 0.89),
                "within the margin",
            ),
            (
                Box::new(|r: &mut Regression| r.production_f1 = 0.95),
                "better",
            ),
        ] {
            let mut r = regression(0.70, 0.90);
            tweak(&mut r);
            let mut s = clean("r2b");
            s.regression = Some(r);
            assert_eq!(decide_fresh(&s).action, Action::Ok, "{why}");
        }
    }

    #[test]
    fn input_drift_never_rolls_back() {
        let mut s = clean("drift");
        s.dataset_drift = true;
        s.text_drift = true;
        s.drifted_columns = vec!["url_count".into()];
        s.f1_drop_points = Some(40.0);
        s.labels_since_production = 100;
        let d = decide_fresh(&s);
        assert_ne!(d.action, Action::Rollback);
        assert_eq!(d.action, Action::Retrain);
    }

    #[test]
    fn r3_no_flip_flop_back_to_a_version_rolled_back_from() {
        let mut state = LoopState::default();
        let config = PolicyConfig::default();
        // v0003 hurt, so production went back to v0002 and v0003 is marked bad.
        let mut s = clean("a");
        s.regression = Some(regression(0.70, 0.90));
        let d = decide(&s, &state, &config, now());
        assert_eq!(d.action, Action::Rollback);
        state.record(&d, now());
        state.record_rollback("v0003");
        // Later the registry shows v0002 as production and v0003 as previous; even if v0002
        // now looks worse than v0003 on some rows, no rollback goes back to v0003.
        let mut later = clean("b");
        later.regression = Some(Regression {
            production: "v0002".into(),
            previous: "v0003".into(),
            caused_by_promotion: true,
            rows: 100,
            production_f1: 0.6,
            previous_f1: 0.9,
        });
        let d = decide(&later, &state, &config, now() + Duration::days(2));
        assert_eq!((d.action, d.rule.as_str()), (Action::Alert, "R3"));
        assert!(d.reason.contains("no rollback"), "{}", d.reason);
    }

    #[test]
    fn r4_k_labels_retrain() {
        let mut s = clean("r4");
        s.labels_since_production = 199;
        assert_eq!(decide_fresh(&s).action, Action::Ok);
        s.labels_since_production = 200;
        let d = decide_fresh(&s);
        assert_eq!((d.action, d.rule.as_str()), (Action::Retrain, "R4"));
    }

    #[test]
    fn r5_an_f1_drop_with_labels_retrains() {
        let mut s = clean("r5");
        s.f1_drop_points = Some(8.0);
        s.labels_since_production = 60;
        let d = decide_fresh(&s);
        assert_eq!((d.action, d.rule.as_str()), (Action::Retrain, "R5"));
        s.f1_drop_points = Some(4.0);
        assert_eq!(decide_fresh(&s).action, Action::Ok);
    }

    #[test]
    fn r6_drift_with_labels_retrains() {
        let mut s = clean("r6");
        s.text_drift = true;
        s.labels_since_production = 50;
        let d = decide_fresh(&s);
        assert_eq!((d.action, d.rule.as_str()), (Action::Retrain, "R6"));
        // Drift flags of a report without enough data are not verdicts.
        s.enough_data = false;
        assert_eq!(decide_fresh(&s).action, Action::Ok);
    }

    #[test]
    fn r7_the_schedule_retrains_only_with_labels() {
        let mut s = clean("r7");
        s.schedule_due = true;
        s.labels_since_production = 49;
        assert_eq!(decide_fresh(&s).action, Action::Ok);
        s.labels_since_production = 50;
        let d = decide_fresh(&s);
        assert_eq!((d.action, d.rule.as_str()), (Action::Retrain, "R7"));
    }

    #[test]
    fn r8_drift_without_labels_alerts_and_high_impact_columns_escalate() {
        let mut s = clean("r8");
        s.dataset_drift = true;
        s.drifted_columns = vec!["length".into()];
        let d = decide_fresh(&s);
        assert_eq!((d.action, d.rule.as_str()), (Action::Alert, "R8"));
        assert_eq!(d.severity, Severity::Warning);
        s.drifted_columns.push("url_count".into());
        assert_eq!(decide_fresh(&s).severity, Severity::Critical);
        let mut f = clean("r8b");
        f.f1_drop_points = Some(12.0);
        let d = decide_fresh(&f);
        assert_eq!((d.action, d.rule.as_str()), (Action::Alert, "R8"));
    }

    #[test]
    fn r9_clean_traffic_is_ok() {
        let d = decide_fresh(&clean("r9"));
        assert_eq!((d.action, d.rule.as_str()), (Action::Ok, "R9"));
        let mut s = clean("r9b");
        s.enough_data = false;
        s.f1_drop_points = None;
        let d = decide_fresh(&s);
        assert_eq!(d.action, Action::Ok);
        assert!(d.reason.contains("not enough data"));
    }

    #[test]
    fn cooldowns_degrade_retrain_to_alert_then_to_ok() {
        let config = PolicyConfig::default();
        let mut state = LoopState::default();
        let mut s = clean("c1");
        s.labels_since_production = 300;
        let d = decide(&s, &state, &config, now());
        assert_eq!(d.action, Action::Retrain);
        state.record(&d, now());
        // Ten minutes later: retrain is cooling down, so alert.
        s.report_id = "c2".into();
        let t2 = now() + Duration::minutes(10);
        let d = decide(&s, &state, &config, t2);
        assert_eq!((d.action, d.rule.as_str()), (Action::Alert, "R4"));
        assert!(d.reason.contains("retrain cooling down"), "{}", d.reason);
        state.record(&d, t2);
        // Five minutes after that: the alert is cooling down too.
        s.report_id = "c3".into();
        let d = decide(&s, &state, &config, t2 + Duration::minutes(5));
        assert_eq!(d.action, Action::Ok);
        // After the retrain cooldown, retrain again.
        s.report_id = "c4".into();
        let d = decide(&s, &state, &config, now() + Duration::minutes(61));
        assert_eq!(d.action, Action::Retrain);
    }

    #[test]
    fn a_rollback_cooling_down_alerts() {
        let config = PolicyConfig::default();
        let mut state = LoopState::default();
        state.last_action_at.insert(Action::Rollback, now());
        let mut s = clean("rb");
        s.regression = Some(regression(0.5, 0.9));
        let d = decide(&s, &state, &config, now() + Duration::minutes(1));
        assert_eq!(d.action, Action::Alert);
    }

    #[test]
    fn labels_a_rejected_retrain_had_do_not_trigger_again() {
        let config = PolicyConfig::default();
        let mut s = clean("after-rejection");
        s.labels_since_production = 300;
        s.dataset_drift = true;
        s.drifted_columns = vec!["url_count".into()];
        // The retrain queued after production was trained saw all 300 but 10.
        s.labels_since_last_retrain = Some(10);
        let d = decide(&s, &LoopState::default(), &config, now());
        assert_eq!((d.action, d.rule.as_str()), (Action::Alert, "R8"), "{d:?}");
        assert!(
            d.reason
                .contains("only 10 human labels since the last retrain"),
            "{}",
            d.reason
        );
        // k labels newer than that retrain trigger again.
        s.report_id = "more-labels".into();
        s.labels_since_production = 500;
        s.labels_since_last_retrain = Some(200);
        let d = decide(&s, &LoopState::default(), &config, now());
        assert_eq!((d.action, d.rule.as_str()), (Action::Retrain, "R4"));
        assert!(d.reason.contains("200 human labels"), "{}", d.reason);
        // Enough newer labels to learn from, with drift: R6.
        s.report_id = "some-labels".into();
        s.labels_since_last_retrain = Some(60);
        let d = decide(&s, &LoopState::default(), &config, now());
        assert_eq!((d.action, d.rule.as_str()), (Action::Retrain, "R6"));
    }

    #[test]
    fn a_retrain_under_way_is_not_doubled() {
        let mut s = clean("busy");
        s.labels_since_production = 300;
        s.retrain_running = true;
        let d = decide_fresh(&s);
        assert_eq!((d.action, d.rule.as_str()), (Action::Ok, "R4"));
        assert!(d.reason.contains("already queued or running"));
        // A rollback is not held back by a retrain.
        s.regression = Some(regression(0.5, 0.9));
        assert_eq!(decide_fresh(&s).action, Action::Rollback);
    }

    #[test]
    fn degradation_order() {
        assert_eq!(Action::Retrain.degraded(), Action::Alert);
        assert_eq!(Action::Rollback.degraded(), Action::Alert);
        assert_eq!(Action::Alert.degraded(), Action::Ok);
    }

    #[test]
    fn decisions_are_deterministic() {
        let mut s = clean("d");
        s.text_drift = true;
        s.labels_since_production = 70;
        assert_eq!(decide_fresh(&s), decide_fresh(&s));
    }

    #[test]
    fn the_state_remembers_a_bounded_number_of_reports() {
        let mut state = LoopState::default();
        for i in 0..REMEMBERED_REPORTS + 5 {
            let d = decide_fresh(&clean(&format!("r{i}")));
            state.record(&d, now());
        }
        assert_eq!(state.decided.len(), REMEMBERED_REPORTS);
        assert!(state.decided("r0").is_none());
        assert!(state
            .decided(&format!("r{}", REMEMBERED_REPORTS + 4))
            .is_some());
    }
}
