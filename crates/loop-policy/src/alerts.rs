//! Alert de-duplication and rate limiting.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

/// Whether an alert goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertVerdict {
    /// Send it.
    Send,
    /// The same alert went out within the de-duplication window.
    Duplicate,
    /// Too many alerts went out within the last hour.
    RateLimited,
}

impl AlertVerdict {
    /// The verdict's name, for metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertVerdict::Send => "sent",
            AlertVerdict::Duplicate => "duplicate",
            AlertVerdict::RateLimited => "rate_limited",
        }
    }
}

/// De-duplicates alerts by key within a window and caps how many go out per hour.
#[derive(Debug, Clone)]
pub struct AlertGate {
    dedup_window: Duration,
    max_per_hour: usize,
    last_sent: BTreeMap<String, DateTime<Utc>>,
    sent: VecDeque<DateTime<Utc>>,
}

impl AlertGate {
    /// A gate that suppresses a key seen within `dedup_window` and sends at most
    /// `max_per_hour` alerts per rolling hour.
    pub fn new(dedup_window: Duration, max_per_hour: usize) -> AlertGate {
        AlertGate {
            dedup_window,
            max_per_hour,
            last_sent: BTreeMap::new(),
            sent: VecDeque::new(),
        }
    }

    /// Whether the alert `key` goes out at `now`; a `Send` is counted.
    pub fn admit(&mut self, key: &str, now: DateTime<Utc>) -> AlertVerdict {
        while self
            .sent
            .front()
            .is_some_and(|t| *t <= now - Duration::hours(1))
        {
            self.sent.pop_front();
        }
        self.last_sent.retain(|_, t| *t > now - self.dedup_window);
        if self.last_sent.contains_key(key) {
            return AlertVerdict::Duplicate;
        }
        if self.sent.len() >= self.max_per_hour {
            return AlertVerdict::RateLimited;
        }
        self.last_sent.insert(key.to_string(), now);
        self.sent.push_back(now);
        AlertVerdict::Send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_floods_are_held_back() {
        let t0: DateTime<Utc> = "2026-12-07T00:00:00Z".parse().unwrap();
        let mut gate = AlertGate::new(Duration::minutes(30), 3);
        assert_eq!(gate.admit("drift", t0), AlertVerdict::Send);
        assert_eq!(
            gate.admit("drift", t0 + Duration::minutes(10)),
            AlertVerdict::Duplicate
        );
        assert_eq!(gate.admit("a", t0), AlertVerdict::Send);
        assert_eq!(gate.admit("b", t0), AlertVerdict::Send);
        assert_eq!(gate.admit("c", t0), AlertVerdict::RateLimited);
        // The window passes: the same key goes out again; the hour passes: the cap resets.
        assert_eq!(
            gate.admit("drift", t0 + Duration::minutes(61)),
            AlertVerdict::Send
        );
        assert_eq!(
            gate.admit("c", t0 + Duration::minutes(61)),
            AlertVerdict::Send
        );
    }
}
