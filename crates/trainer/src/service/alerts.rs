//! Alerts to webhooks (Slack-compatible JSON: `{"text": ...}`, plus the details under
//! `fraudloop`), de-duplicated and rate-limited, delivered off the loop with retries: a
//! webhook that is down never blocks a decision.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use loop_policy::{AlertGate, AlertVerdict};
use prometheus::IntCounterVec;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// Alerts waiting for delivery; more are dropped (and counted).
const QUEUE: usize = 256;

/// Sends alerts.
#[derive(Clone)]
pub struct Alerter {
    queue: mpsc::Sender<Value>,
    gate: Arc<Mutex<AlertGate>>,
    webhooks: usize,
    counter: IntCounterVec,
}

impl Alerter {
    /// Starts the delivery task for `webhooks`; outcomes are counted in `counter`
    /// (label `outcome`).
    pub fn start(
        webhooks: Vec<String>,
        gate: AlertGate,
        attempts: u32,
        counter: IntCounterVec,
    ) -> Alerter {
        let (queue, mut rx) = mpsc::channel::<Value>(QUEUE);
        let delivered = counter.clone();
        let n = webhooks.len();
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("HTTP client");
            while let Some(body) = rx.recv().await {
                for url in &webhooks {
                    let outcome = deliver(&client, url, &body, attempts.max(1)).await;
                    delivered.with_label_values(&[outcome]).inc();
                }
            }
        });
        Alerter {
            queue,
            gate: Arc::new(Mutex::new(gate)),
            webhooks: n,
            counter,
        }
    }

    /// Queues an alert unless the same `key` went out recently or too many did; returns
    /// what happened, in words, for the audit log. Never waits.
    pub fn send(&self, key: &str, text: &str, details: Value) -> String {
        if self.webhooks == 0 {
            return "no alert webhook configured".to_string();
        }
        let verdict = self
            .gate
            .lock()
            .expect("alert gate lock")
            .admit(key, Utc::now());
        if verdict != AlertVerdict::Send {
            self.counter.with_label_values(&[verdict.as_str()]).inc();
            return format!("alert not sent ({})", verdict.as_str().replace('_', " "));
        }
        let body = json!({"text": text, "fraudloop": details});
        match self.queue.try_send(body) {
            Ok(()) => format!("alert queued to {} webhook(s)", self.webhooks),
            Err(_) => {
                self.counter.with_label_values(&["dropped"]).inc();
                "alert dropped (delivery queue full)".to_string()
            }
        }
    }
}

async fn deliver(client: &reqwest::Client, url: &str, body: &Value, attempts: u32) -> &'static str {
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt - 1))).await;
        }
        match client.post(url).json(body).send().await {
            Ok(r) if r.status().is_success() => return "delivered",
            Ok(r) => tracing::warn!(%url, status = %r.status(), attempt, "alert webhook refused"),
            Err(e) => tracing::warn!(%url, error = %e, attempt, "alert webhook unreachable"),
        }
    }
    "failed"
}
