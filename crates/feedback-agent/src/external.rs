//! Calls to OpenAI-compatible endpoints (chat completions, embeddings): a timeout per
//! attempt, retries with backoff on 429, 5xx and timeouts that honour `Retry-After`, and
//! errors that never carry the key.

use std::time::{Duration, Instant};

use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use serde_json::Value;

use crate::metrics::Metrics;
use crate::settings::Secret;

/// Why an external call gave no usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExternalError {
    /// The endpoint kept answering 429 or 5xx, or timing out.
    #[error("{endpoint}: gave up after {attempts} attempts (last: {last})")]
    Exhausted {
        /// `chat` or `embeddings`.
        endpoint: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The endpoint asked to wait longer than the agent waits.
    #[error("{endpoint}: asked to retry after {seconds} s, longer than the agent waits")]
    RetryTooLate {
        /// `chat` or `embeddings`.
        endpoint: &'static str,
        /// The asked delay.
        seconds: u64,
    },
    /// A 4xx other than 429 (a wrong key, a wrong model): retrying would not help.
    #[error("{endpoint}: refused with {status}")]
    Refused {
        /// `chat` or `embeddings`.
        endpoint: &'static str,
        /// The status.
        status: u16,
    },
    /// The answer was not what the protocol promises.
    #[error("{endpoint}: unexpected answer: {detail}")]
    Protocol {
        /// `chat` or `embeddings`.
        endpoint: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl ExternalError {
    /// A short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ExternalError::Exhausted { .. } => "exhausted",
            ExternalError::RetryTooLate { .. } => "retry_too_late",
            ExternalError::Refused { .. } => "refused",
            ExternalError::Protocol { .. } => "protocol",
        }
    }
}

/// One OpenAI-compatible endpoint and how to call it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `chat` or `embeddings` (metric label).
    pub name: &'static str,
    /// Base URL, e.g. `https://api.groq.com/openai/v1`.
    pub base_url: String,
    /// The bearer key.
    pub key: Secret,
    /// Time allowed per attempt.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Longest wait before a retry.
    pub max_wait: Duration,
}

impl Endpoint {
    /// POSTs `body` to `base_url + path` and returns the JSON answer.
    pub async fn post_json(
        &self,
        http: &reqwest::Client,
        metrics: &Metrics,
        path: &str,
        body: &Value,
    ) -> Result<Value, ExternalError> {
        let url = format!("{}{path}", self.base_url.trim_end_matches('/'));
        let mut last;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let sent = http
                .post(&url)
                .bearer_auth(self.key.expose())
                .timeout(self.timeout)
                .json(body)
                .send()
                .await;
            // A retryable failure and the delay the endpoint asked for; anything else returns.
            let (failure, asked): (String, Option<Duration>) = match sent {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        match response.json::<Value>().await {
                            Ok(value) => {
                                metrics.observe_external(self.name, started.elapsed(), None);
                                return Ok(value);
                            }
                            Err(e) => (format!("reading the answer: {}", e.without_url()), None),
                        }
                    } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                        (
                            format!("status {}", status.as_u16()),
                            retry_after(response.headers()),
                        )
                    } else {
                        metrics.observe_external(self.name, started.elapsed(), Some("refused"));
                        return Err(ExternalError::Refused {
                            endpoint: self.name,
                            status: status.as_u16(),
                        });
                    }
                }
                // `without_url` keeps query strings out of logs; the key is in a header, never
                // in the URL or the error.
                Err(e) if e.is_timeout() => ("timed out".to_string(), None),
                Err(e) => (format!("request failed: {}", e.without_url()), None),
            };
            metrics.observe_external(self.name, started.elapsed(), Some("retryable"));
            last = failure;
            if attempt > self.retries {
                break;
            }
            let wait = match asked {
                Some(asked) if asked > self.max_wait => {
                    return Err(ExternalError::RetryTooLate {
                        endpoint: self.name,
                        seconds: asked.as_secs(),
                    })
                }
                Some(asked) => asked,
                None => backoff(attempt).min(self.max_wait),
            };
            tracing::warn!(endpoint = self.name, attempt, failure = %last, wait_ms = wait.as_millis() as u64, "retrying an external call");
            tokio::time::sleep(wait).await;
        }
        Err(ExternalError::Exhausted {
            endpoint: self.name,
            attempts: attempt,
            last,
        })
    }
}

/// Exponential backoff: 250 ms, 500 ms, 1 s, …
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.saturating_sub(1).min(10)))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds >= 0.0 && seconds.is_finite()).then(|| Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(3), Duration::from_secs(1));
    }
}
