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

#[cfg(test)]
mod tests {
    //! Delivery against real HTTP receivers on loopback.

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::post;
    use axum::{Json, Router};
    use prometheus::Opts;
    use tokio::sync::Notify;

    use super::*;

    /// A webhook receiver: answers 500 to the first `fail_first` requests, then 200, and keeps
    /// what it accepted. With `hold`, every request waits until the test releases it.
    #[derive(Clone, Default)]
    struct Receiver {
        fail_first: usize,
        requests: Arc<AtomicUsize>,
        accepted: Arc<Mutex<Vec<Value>>>,
        hold: Option<Arc<Notify>>,
    }

    async fn hook(State(r): State<Receiver>, Json(body): Json<Value>) -> StatusCode {
        if let Some(hold) = &r.hold {
            hold.notified().await;
        }
        if r.requests.fetch_add(1, Ordering::SeqCst) < r.fail_first {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        r.accepted.lock().unwrap().push(body);
        StatusCode::OK
    }

    async fn spawn(receiver: Receiver) -> fraudloop_http::testing::SpawnedApp {
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(receiver);
        fraudloop_http::testing::spawn_app(app).await
    }

    fn counter() -> IntCounterVec {
        IntCounterVec::new(Opts::new("alerts_total", "test"), &["outcome"]).unwrap()
    }

    fn count(c: &IntCounterVec, outcome: &str) -> u64 {
        c.with_label_values(&[outcome]).get()
    }

    async fn wait_for(what: &str, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ok() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn open_gate() -> AlertGate {
        AlertGate::new(chrono::Duration::minutes(60), 1000)
    }

    #[tokio::test]
    async fn a_failing_receiver_is_retried_until_it_accepts_slack_compatible_json() {
        let receiver = Receiver {
            fail_first: 2,
            ..Receiver::default()
        };
        let app = spawn(receiver.clone()).await;
        let c = counter();
        let alerter = Alerter::start(vec![app.url("/hook")], open_gate(), 3, c.clone());
        let outcome = alerter.send(
            "R8:alert:v0001",
            "fraudloop [Warning] alert (R8): text drift",
            json!({"decision": "d-000007"}),
        );
        assert_eq!(outcome, "alert queued to 1 webhook(s)");
        wait_for("delivery", || count(&c, "delivered") == 1).await;
        assert_eq!(
            receiver.requests.load(Ordering::SeqCst),
            3,
            "two refusals, one retry each"
        );
        let accepted = receiver.accepted.lock().unwrap().clone();
        assert_eq!(accepted.len(), 1);
        // Slack's incoming-webhook shape (n8n's webhook node takes any JSON), details beside it.
        assert_eq!(
            accepted[0]["text"],
            "fraudloop [Warning] alert (R8): text drift"
        );
        assert_eq!(accepted[0]["fraudloop"]["decision"], "d-000007");
        assert_eq!(count(&c, "failed"), 0);
    }

    #[tokio::test]
    async fn a_receiver_that_keeps_failing_is_given_up_on_and_the_next_one_still_gets_it() {
        let down = Receiver {
            fail_first: usize::MAX,
            ..Receiver::default()
        };
        let up = Receiver::default();
        let (down_app, up_app) = (spawn(down.clone()).await, spawn(up.clone()).await);
        // A port nobody listens on: connection refused.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/hook", l.local_addr().unwrap())
        };
        let c = counter();
        let alerter = Alerter::start(
            vec![closed, down_app.url("/hook"), up_app.url("/hook")],
            open_gate(),
            2,
            c.clone(),
        );
        alerter.send("rejected:v0003", "candidate v0003 rejected", json!({}));
        wait_for("the working receiver", || {
            up.accepted.lock().unwrap().len() == 1
        })
        .await;
        assert_eq!(
            count(&c, "failed"),
            2,
            "the closed port and the failing receiver"
        );
        assert_eq!(count(&c, "delivered"), 1);
        assert_eq!(down.requests.load(Ordering::SeqCst), 2, "two attempts");
    }

    #[tokio::test]
    async fn a_stuck_receiver_never_blocks_the_loop() {
        let hold = Arc::new(Notify::new());
        let stuck = Receiver {
            hold: Some(hold.clone()),
            ..Receiver::default()
        };
        let app = spawn(stuck.clone()).await;
        let c = counter();
        let alerter = Alerter::start(vec![app.url("/hook")], open_gate(), 1, c.clone());
        alerter.send("first", "first", json!({}));
        // The receiver holds the first delivery; every further alert is answered at once:
        // queued while there is room, then dropped (and counted), never waited for.
        let outcomes: Vec<String> = (0..QUEUE + 10)
            .map(|i| alerter.send(&format!("k{i}"), "more", json!({})))
            .collect();
        let queued = outcomes.iter().filter(|o| o.contains("queued")).count();
        let dropped = outcomes.iter().filter(|o| o.contains("dropped")).count();
        assert_eq!(queued + dropped, QUEUE + 10);
        assert!(dropped >= 10, "{dropped} dropped");
        assert_eq!(count(&c, "dropped"), dropped as u64);
        assert!(stuck.accepted.lock().unwrap().is_empty());
        // Released, the receiver gets what was queued.
        hold.notify_waiters();
        let releaser = tokio::spawn(async move {
            loop {
                hold.notify_waiters();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        wait_for("the queued alerts", || {
            stuck.accepted.lock().unwrap().len() == queued + 1
        })
        .await;
        releaser.abort();
    }

    #[tokio::test]
    async fn duplicates_and_floods_are_held_back_before_delivery() {
        let receiver = Receiver::default();
        let app = spawn(receiver.clone()).await;
        let c = counter();
        let gate = AlertGate::new(chrono::Duration::minutes(60), 2);
        let alerter = Alerter::start(vec![app.url("/hook")], gate, 3, c.clone());
        assert!(alerter
            .send("R8:alert:v0001", "drift", json!({}))
            .contains("queued"));
        assert_eq!(
            alerter.send("R8:alert:v0001", "drift again", json!({})),
            "alert not sent (duplicate)"
        );
        assert!(alerter
            .send("rejected:v0002", "rejected", json!({}))
            .contains("queued"));
        assert_eq!(
            alerter.send("rejected:v0003", "rejected", json!({})),
            "alert not sent (rate limited)"
        );
        wait_for("two deliveries", || count(&c, "delivered") == 2).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let texts: Vec<Value> = receiver
            .accepted
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["text"].clone())
            .collect();
        assert_eq!(texts, [json!("drift"), json!("rejected")]);
        assert_eq!(count(&c, "duplicate"), 1);
        assert_eq!(count(&c, "rate_limited"), 1);
    }
}
