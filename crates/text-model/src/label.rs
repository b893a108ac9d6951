use std::fmt;
use std::str::FromStr;

/// The class of a message. `Fraud` is the positive class everywhere (metrics, scores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// Legitimate message (ham).
    Legit,
    /// Fraud, scam or phishing message (spam).
    Fraud,
}

impl Label {
    /// The canonical lowercase name used in files and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Legit => "legit",
            Label::Fraud => "fraud",
        }
    }

    /// True for the positive class.
    pub fn is_fraud(self) -> bool {
        self == Label::Fraud
    }

    /// The label a score gets at a decision threshold (`score >= threshold` is fraud).
    pub fn from_score(score: f64, threshold: f64) -> Label {
        if score >= threshold {
            Label::Fraud
        } else {
            Label::Legit
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The label text was none of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label {0:?}: expected fraud/legit, 1/0, spam/ham, scam, phishing or true/false")]
pub struct UnknownLabel(pub String);

impl FromStr for Label {
    type Err = UnknownLabel;

    /// Accepts the spellings found in public corpora, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fraud" | "1" | "spam" | "scam" | "phishing" | "true" | "yes" => Ok(Label::Fraud),
            "legit" | "0" | "ham" | "legitimate" | "false" | "no" => Ok(Label::Legit),
            _ => Err(UnknownLabel(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_spelling() {
        for s in [
            "fraud", "FRAUD", "1", "spam", " Spam ", "scam", "phishing", "true",
        ] {
            assert_eq!(s.parse::<Label>().unwrap(), Label::Fraud, "{s}");
        }
        for s in ["legit", "0", "ham", "HAM", "legitimate", "false"] {
            assert_eq!(s.parse::<Label>().unwrap(), Label::Legit, "{s}");
        }
        assert!("maybe".parse::<Label>().is_err());
        assert!("".parse::<Label>().is_err());
    }

    #[test]
    fn threshold_is_inclusive() {
        assert_eq!(Label::from_score(0.5, 0.5), Label::Fraud);
        assert_eq!(Label::from_score(0.4999, 0.5), Label::Legit);
    }
}
