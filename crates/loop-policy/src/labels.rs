//! Feedback → training labels: revocations honoured, trusted sources first, user labels
//! capped per contact, so nobody can poison the model by flooding `/feedback`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who gave a label, from least to most trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelSource {
    /// A user of the product (anyone who can reach `/feedback`).
    User,
    /// An automated agent relaying a person's answer.
    Agent,
    /// A risk or operations analyst.
    Operator,
}

impl LabelSource {
    /// Parses `user`, `agent` or `operator`.
    pub fn parse(s: &str) -> Option<LabelSource> {
        match s {
            "user" => Some(LabelSource::User),
            "agent" => Some(LabelSource::Agent),
            "operator" => Some(LabelSource::Operator),
            _ => None,
        }
    }
}

/// One label as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackLabel {
    /// The feedback's id (what a revocation names).
    pub id: String,
    /// When it was received.
    pub at: DateTime<Utc>,
    /// The message.
    pub text: String,
    /// True for fraud.
    pub is_fraud: bool,
    /// Who gave it.
    pub source: LabelSource,
    /// Who the user is (for the per-contact cap), when known.
    pub contact: Option<String>,
}

/// Limits on labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelLimits {
    /// Most user labels one contact contributes to a training set (the latest ones); users
    /// without a contact share one allowance.
    pub max_user_labels_per_contact: usize,
}

impl Default for LabelLimits {
    fn default() -> Self {
        LabelLimits {
            max_user_labels_per_contact: 50,
        }
    }
}

/// How much a training row weighs in a retrain, by where it comes from (a row of weight 2
/// counts as much as two copies of it). Labels of a new wave are few next to the original
/// training set, so trusted ones weigh more; user labels weigh least, so a flood of them
/// cannot outweigh the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainingWeights {
    /// A row of the production model's own training set.
    pub original: f64,
    /// A label from an operator.
    pub operator: f64,
    /// A label an agent relayed.
    pub agent: f64,
    /// A label from a user.
    pub user: f64,
    /// A genuine message of the shipped hard-legitimate training examples.
    pub hard_legit: f64,
}

impl Default for TrainingWeights {
    fn default() -> Self {
        TrainingWeights {
            original: 1.0,
            operator: 2.0,
            agent: 1.5,
            user: 0.5,
            hard_legit: 5.0,
        }
    }
}

impl TrainingWeights {
    /// The weight of a label from `source`.
    pub fn of(&self, source: LabelSource) -> f64 {
        match source {
            LabelSource::Operator => self.operator,
            LabelSource::Agent => self.agent,
            LabelSource::User => self.user,
        }
    }

    /// An error naming the first weight that is not a positive number.
    pub fn validate(&self) -> Result<(), String> {
        let all = [
            ("original", self.original),
            ("operator", self.operator),
            ("agent", self.agent),
            ("user", self.user),
            ("hard_legit", self.hard_legit),
        ];
        match all.iter().find(|(_, w)| !(w.is_finite() && *w > 0.0)) {
            Some((name, w)) => Err(format!("weights.{name} = {w} must be a positive number")),
            None => Ok(()),
        }
    }
}

/// The label a text trains with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingLabel {
    /// The message.
    pub text: String,
    /// True for fraud.
    pub is_fraud: bool,
    /// The winning label's source.
    pub source: LabelSource,
    /// When the winning label was given.
    pub at: DateTime<Utc>,
}

/// One label per text from `feedback`: revoked labels are dropped, user labels beyond a
/// contact's allowance are dropped (the latest kept), and per text the most trusted source
/// wins, its latest label among equals. Sorted by time of the winning label, oldest first.
pub fn training_labels(
    feedback: &[FeedbackLabel],
    revoked: &BTreeSet<String>,
    limits: &LabelLimits,
) -> Vec<TrainingLabel> {
    let mut live: Vec<&FeedbackLabel> = feedback
        .iter()
        .filter(|f| !revoked.contains(&f.id))
        .collect();
    // Latest first, so the per-contact allowance keeps the latest labels.
    live.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    let mut per_contact: HashMap<&str, usize> = HashMap::new();
    let mut best: BTreeMap<&str, &FeedbackLabel> = BTreeMap::new();
    for f in live {
        if f.source == LabelSource::User {
            let used = per_contact
                .entry(f.contact.as_deref().unwrap_or(""))
                .or_default();
            if *used >= limits.max_user_labels_per_contact {
                continue;
            }
            *used += 1;
        }
        // Iterating latest first: a later-seen label replaces only from a more trusted source.
        match best.get(f.text.as_str()) {
            Some(current) if current.source >= f.source => {}
            _ => {
                best.insert(&f.text, f);
            }
        }
    }
    let mut out: Vec<TrainingLabel> = best
        .into_values()
        .map(|f| TrainingLabel {
            text: f.text.clone(),
            is_fraud: f.is_fraud,
            source: f.source,
            at: f.at,
        })
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.text.cmp(&b.text)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(id: &str, minute: i64, text: &str, fraud: bool, source: LabelSource) -> FeedbackLabel {
        FeedbackLabel {
            id: id.into(),
            at: "2026-12-07T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
                + chrono::Duration::minutes(minute),
            text: text.into(),
            is_fraud: fraud,
            source,
            contact: None,
        }
    }

    #[test]
    fn the_latest_label_wins_and_texts_are_deduplicated() {
        let f = [
            label("1", 0, "a", true, LabelSource::Operator),
            label("2", 5, "a", false, LabelSource::Operator),
            label("3", 1, "b", true, LabelSource::Operator),
        ];
        let out = training_labels(&f, &BTreeSet::new(), &LabelLimits::default());
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].text.as_str(), out[0].is_fraud), ("b", true));
        assert_eq!((out[1].text.as_str(), out[1].is_fraud), ("a", false));
    }

    #[test]
    fn operators_outrank_later_user_labels() {
        let f = [
            label("1", 0, "a", true, LabelSource::Operator),
            label("2", 9, "a", false, LabelSource::User),
        ];
        let out = training_labels(&f, &BTreeSet::new(), &LabelLimits::default());
        assert_eq!(
            (out[0].is_fraud, out[0].source),
            (true, LabelSource::Operator)
        );
    }

    #[test]
    fn a_revoked_label_is_not_used() {
        let f = [
            label("1", 0, "a", true, LabelSource::Operator),
            label("2", 5, "a", false, LabelSource::Operator),
        ];
        let revoked = BTreeSet::from(["2".to_string()]);
        let out = training_labels(&f, &revoked, &LabelLimits::default());
        assert!(out[0].is_fraud);
        let all = BTreeSet::from(["1".to_string(), "2".to_string()]);
        assert!(training_labels(&f, &all, &LabelLimits::default()).is_empty());
    }

    #[test]
    fn user_labels_weigh_least_and_weights_must_be_positive() {
        let w = TrainingWeights::default();
        assert!(w.of(LabelSource::User) < w.of(LabelSource::Agent));
        assert!(w.of(LabelSource::Agent) < w.of(LabelSource::Operator));
        assert!(w.validate().is_ok());
        let bad = TrainingWeights {
            user: 0.0,
            ..TrainingWeights::default()
        };
        assert!(bad.validate().unwrap_err().contains("weights.user"));
    }

    #[test]
    fn one_contact_cannot_flood_the_training_set() {
        let mut f: Vec<FeedbackLabel> = (0..500)
            .map(|i| {
                let mut l = label(
                    &format!("u{i}"),
                    i,
                    &format!("spam {i}"),
                    false,
                    LabelSource::User,
                );
                l.contact = Some("mallory".into());
                l
            })
            .collect();
        let mut honest = label("h", 1, "honest", true, LabelSource::User);
        honest.contact = Some("alice".into());
        f.push(honest);
        let limits = LabelLimits {
            max_user_labels_per_contact: 10,
        };
        let out = training_labels(&f, &BTreeSet::new(), &limits);
        assert_eq!(out.len(), 11);
        assert!(out.iter().any(|l| l.text == "honest"));
        // Mallory's latest ten are kept.
        assert!(out.iter().any(|l| l.text == "spam 499"));
        assert!(!out.iter().any(|l| l.text == "spam 0"));
    }
}
