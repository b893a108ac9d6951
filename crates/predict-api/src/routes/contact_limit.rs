//! Per-contact limit on user labels: one contact flooding `/feedback` with labels is refused
//! after `user_labels_per_minute` in a minute, so nobody can poison a retrain by volume.
//! Operator and agent labels are not limited here (they come from trusted callers).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Contacts remembered before old windows are swept.
const SWEEP_AT: usize = 100_000;
const WINDOW: Duration = Duration::from_secs(60);

/// Fixed one-minute windows per contact.
#[derive(Debug)]
pub struct ContactLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl ContactLimiter {
    /// A limiter admitting `per_minute` user labels per contact (0: no limit).
    pub fn new(per_minute: u32) -> ContactLimiter {
        ContactLimiter {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// Admits one label from `contact`, or says how many seconds until the contact's window
    /// ends.
    pub fn admit(&self, contact: &str, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut windows = self.windows.lock().expect("contact limiter lock");
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(contact.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_contact_has_its_own_minute() {
        let limiter = ContactLimiter::new(2);
        let t0 = Instant::now();
        assert!(limiter.admit("mallory", t0).is_ok());
        assert!(limiter.admit("mallory", t0).is_ok());
        assert!(limiter.admit("mallory", t0).is_err());
        assert!(limiter.admit("alice", t0).is_ok());
        assert!(limiter
            .admit("mallory", t0 + Duration::from_secs(61))
            .is_ok());
        assert!(ContactLimiter::new(0).admit("x", t0).is_ok());
    }
}
