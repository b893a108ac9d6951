//! Auto mode: new predictions at or above a risk threshold whose `meta.contact` names an
//! e-mail address get a notice without being asked, once per contact and message, within the
//! contact's hourly limit. The prediction logs are tailed from where the agent started.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::deliver::Channel;
use crate::state::AppState;
use crate::store::Contact;

/// What auto mode remembers between passes.
#[derive(Debug, Default)]
pub struct AutoState {
    /// Bytes of each log already read (complete lines only).
    offsets: HashMap<PathBuf, u64>,
    /// (contact, message hash) already notified.
    notified: HashSet<(String, String)>,
    started: bool,
}

/// A candidate from the logs.
struct Candidate {
    prediction_id: String,
    text: String,
    contact: Contact,
}

/// Reads the complete lines appended to the logs in `dir` since the last pass (the first
/// pass only notes where the logs end).
fn new_records(state: &mut AutoState, dir: &Path, threshold: f64) -> Vec<Candidate> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        state.started = true;
        return out;
    };
    for path in entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
    {
        let Ok(mut file) = std::fs::File::open(&path) else {
            continue;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let offset = state
            .offsets
            .entry(path.clone())
            .or_insert(if state.started { 0 } else { len });
        if len <= *offset || file.seek(SeekFrom::Start(*offset)).is_err() {
            continue;
        }
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            continue;
        }
        // Only complete lines; a line being written waits for the next pass.
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        *offset += complete as u64;
        for line in bytes[..complete].split(|&b| b == b'\n') {
            let Ok(record) = serde_json::from_slice::<prod_data::PredictionRecord>(line) else {
                continue;
            };
            if record.risk_score < threshold {
                continue;
            }
            let Some(contact) = record
                .meta
                .as_ref()
                .and_then(|m| m.get("contact"))
                .and_then(|c| serde_json::from_value::<Contact>(c.clone()).ok())
                .filter(|c| c.email.is_some())
            else {
                continue;
            };
            out.push(Candidate {
                prediction_id: record.prediction_id,
                text: record.text,
                contact,
            });
        }
    }
    state.started = true;
    out
}

/// One pass: notifies the new high-risk predictions with a contact.
pub async fn tick(state: &AppState, auto: &tokio::sync::Mutex<AutoState>, threshold: f64) {
    let mut auto = auto.lock().await;
    let dir = prod_data::predictions_dir(&fraudloop_config::Home::new(&state.settings.home).data());
    // File reads off the async workers; the state goes along and comes back.
    let mut taken = std::mem::take(&mut *auto);
    let (taken, candidates) = match tokio::task::spawn_blocking(move || {
        let candidates = new_records(&mut taken, &dir, threshold);
        (taken, candidates)
    })
    .await
    {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(error = %e, "auto mode: reading the prediction logs failed");
            return;
        }
    };
    *auto = taken;
    for candidate in candidates {
        let email = candidate
            .contact
            .email
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let key = (
            email.clone(),
            hex::encode(Sha256::digest(candidate.text.as_bytes())),
        );
        if auto.notified.contains(&key) {
            continue;
        }
        let allowed = state.contacts.lock().expect("contacts lock").try_take(
            &email,
            state.settings.max_notices_per_contact_per_hour,
            Utc::now(),
        );
        if !allowed {
            tracing::info!("auto mode: contact over its hourly limit; skipped");
            continue;
        }
        let prediction = match state.predict.prediction(&candidate.prediction_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "auto mode: looking the prediction up failed");
                continue;
            }
        };
        let channel = Channel::parse(&state.settings.default_channel).unwrap_or(Channel::Outbox);
        match crate::routes::notify::write_notice(state, &prediction, candidate.contact, channel)
            .await
        {
            Ok(notice) => {
                let delivery = state.delivery.deliver(channel, &notice.stored).await;
                state.metrics.notice(
                    notice.stored.path.as_str(),
                    channel.as_str(),
                    delivery.status,
                );
                auto.notified.insert(key);
            }
            Err(e) => tracing::warn!(error = %e, "auto mode: writing a notice failed"),
        }
    }
}
