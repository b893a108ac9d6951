//! Typed clients of the services the web UI talks to, one module per service, so that a change
//! of a service's API is adapted in one place.
//!
//! Every call returns a [`BackendError`] instead of failing the page: a service that is down or
//! answers with an error becomes a notice on the part of the page that needs it.

use std::time::Duration;

use serde_json::Value;

pub mod agent;
pub mod drift;
pub mod predict;
pub mod trainer;

/// Why a call to a service gave no answer to show.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    /// Nothing answered (connection refused, timeout, DNS).
    #[error("{service} is not reachable at {url}: {detail}")]
    Down {
        /// The service's name.
        service: &'static str,
        /// Its base URL.
        url: String,
        /// What the connection attempt said.
        detail: String,
    },
    /// The service answered with an error status.
    #[error("{service} answered {status}: {message}")]
    Status {
        /// The service's name.
        service: &'static str,
        /// The HTTP status.
        status: u16,
        /// The stable error code, when the body had one.
        code: Option<String>,
        /// The message (the service's own, when the body had one).
        message: String,
    },
    /// The service answered 2xx with a body we cannot read.
    #[error("{service} sent an answer the web UI cannot read: {detail}")]
    Invalid {
        /// The service's name.
        service: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl BackendError {
    /// True when the service did not answer at all.
    pub fn is_down(&self) -> bool {
        matches!(self, BackendError::Down { .. })
    }

    /// The service's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            BackendError::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

/// One service: its name, base URL and a shared HTTP client.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The service's name, as pages show it.
    pub name: &'static str,
    /// Base URL without a trailing slash.
    pub base_url: String,
    http: reqwest::Client,
}

/// A request body.
pub enum Body {
    /// No body.
    None,
    /// JSON.
    Json(Value),
    /// Bytes with a content type.
    Raw(&'static str, Vec<u8>),
}

impl Backend {
    /// A client of the service at `base_url`; calls give up after `timeout`.
    pub fn new(name: &'static str, base_url: &str, timeout: Duration) -> Backend {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .build()
            .expect("an HTTP client without custom TLS settings builds");
        Backend {
            name,
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// The URL of `path` on the service.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends a request and returns the body of a 2xx answer.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Body,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), BackendError> {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request = match body {
            Body::None => request,
            Body::Json(v) => request.json(&v),
            Body::Raw(content_type, bytes) => request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes),
        };
        let response = request.send().await.map_err(|e| BackendError::Down {
            service: self.name,
            url: self.base_url.clone(),
            detail: describe(&e),
        })?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| BackendError::Down {
                service: self.name,
                url: self.base_url.clone(),
                detail: describe(&e),
            })?
            .to_vec();
        if (200..300).contains(&status) {
            return Ok((status, bytes));
        }
        // The shared error shape, {"error": {"code", "message"}}; anything else as text.
        let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
        let code = parsed
            .as_ref()
            .and_then(|v| v["error"]["code"].as_str())
            .map(str::to_string);
        let message = parsed
            .as_ref()
            .and_then(|v| v["error"]["message"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                    .trim()
                    .to_string()
            });
        Err(BackendError::Status {
            service: self.name,
            status,
            code,
            message,
        })
    }

    /// A JSON answer.
    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Body,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Value, BackendError> {
        let (_, bytes) = self.send(method, path, body, bearer, headers).await?;
        serde_json::from_slice(&bytes).map_err(|e| BackendError::Invalid {
            service: self.name,
            detail: e.to_string(),
        })
    }

    /// `GET path` as JSON.
    pub async fn get(&self, path: &str) -> Result<Value, BackendError> {
        self.json(reqwest::Method::GET, path, Body::None, None, &[])
            .await
    }

    /// A typed value from JSON, or [`BackendError::Invalid`].
    pub fn parse<T: serde::de::DeserializeOwned>(&self, value: Value) -> Result<T, BackendError> {
        serde_json::from_value(value).map_err(|e| BackendError::Invalid {
            service: self.name,
            detail: e.to_string(),
        })
    }
}

/// The innermost cause of a failed request, which says what happened (connection refused,
/// timed out) where reqwest's own message only says that sending failed.
fn describe(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    if e.is_timeout() {
        "timed out".into()
    } else {
        source.to_string()
    }
}

/// A list from an answer that is either an array or an object holding one under `key`.
pub fn list(value: &Value, key: &str) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Object(map) => map
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
