//! Browser sessions: a random id in an HttpOnly, SameSite=Strict cookie, and on the server the
//! session's CSRF token, its admin sign-in, the last result and a one-shot notice.
//!
//! The admin token an operator enters is kept here, on the server, and never sent back to the
//! browser: pages only learn whether the session is signed in. Sessions live in memory; a
//! restart signs everybody out, which is the safe direction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;

use crate::clients::predict::Prediction;
use crate::screen::Screened;

/// The session cookie.
pub const SESSION_COOKIE: &str = "fraudloop_session";

/// At most this many sessions are kept; the least recently used go first.
const MAX_SESSIONS: usize = 10_000;

/// A one-shot notice shown on the next page (after a redirect).
#[derive(Debug, Clone)]
pub struct Flash {
    /// `ok` or `error` (the CSS class and the ARIA role follow it).
    pub ok: bool,
    /// The text.
    pub text: String,
}

/// An answer of the agent to an operator's question.
#[derive(Debug, Clone)]
pub struct AskedQuestion {
    /// The question.
    pub question: String,
    /// The answer, or why there is none.
    pub answer: Result<crate::clients::agent::Answer, String>,
}

/// What the server keeps for one browser.
#[derive(Clone)]
pub struct Session {
    /// The token every form of this session carries.
    pub csrf: String,
    /// The admin token entered by the operator (never rendered).
    pub admin_token: Option<String>,
    /// The last message checked on the check page.
    pub checked: Option<(String, Prediction)>,
    /// The last file screened.
    pub screened: Option<Arc<Screened>>,
    /// The last question asked.
    pub asked: Option<AskedQuestion>,
    /// A notice for the next page.
    pub flash: Option<Flash>,
    last_seen: Instant,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("signed_in", &self.admin_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The session store.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Mutex<HashMap<String, Session>>>,
    idle: Duration,
}

/// The session id of a request, put in its extensions by [`ensure_session`].
#[derive(Debug, Clone)]
pub struct SessionId(pub String);

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

impl Sessions {
    /// An empty store whose sessions end after `idle` without a request.
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            inner: Arc::default(),
            idle,
        }
    }

    /// True when `id` names a live session (and marks it as seen).
    fn touch(&self, id: &str) -> bool {
        let mut map = self.inner.lock().expect("session lock");
        match map.get_mut(id) {
            Some(s) if s.last_seen.elapsed() < self.idle => {
                s.last_seen = Instant::now();
                true
            }
            Some(_) => {
                map.remove(id);
                false
            }
            None => false,
        }
    }

    /// A new session; returns its id.
    fn create(&self) -> String {
        let id = random_hex(32);
        let mut map = self.inner.lock().expect("session lock");
        if map.len() >= MAX_SESSIONS {
            let idle = self.idle;
            map.retain(|_, s| s.last_seen.elapsed() < idle);
            if map.len() >= MAX_SESSIONS {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, s)| s.last_seen)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(
            id.clone(),
            Session {
                csrf: random_hex(32),
                admin_token: None,
                checked: None,
                screened: None,
                asked: None,
                flash: None,
                last_seen: Instant::now(),
            },
        );
        id
    }

    /// A copy of the session (the big parts are shared).
    pub fn get(&self, id: &SessionId) -> Option<Session> {
        self.inner.lock().expect("session lock").get(&id.0).cloned()
    }

    /// Changes the session.
    pub fn update(&self, id: &SessionId, change: impl FnOnce(&mut Session)) {
        if let Some(s) = self.inner.lock().expect("session lock").get_mut(&id.0) {
            change(s);
        }
    }

    /// Takes the session's notice (it shows once).
    pub fn take_flash(&self, id: &SessionId) -> Option<Flash> {
        self.inner
            .lock()
            .expect("session lock")
            .get_mut(&id.0)
            .and_then(|s| s.flash.take())
    }

    /// Sets the notice of the next page.
    pub fn flash(&self, id: &SessionId, ok: bool, text: impl Into<String>) {
        let text = text.into();
        self.update(id, |s| s.flash = Some(Flash { ok, text }));
    }

    /// True when `presented` is the session's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, id: &SessionId, presented: &str) -> bool {
        self.get(id)
            .is_some_and(|s| bool::from(s.csrf.as_bytes().ct_eq(presented.as_bytes())))
    }

    /// A new CSRF token for the session: after signing in or out, so a form rendered before
    /// the change cannot act after it.
    pub fn rotate_csrf(&self, id: &SessionId) {
        self.update(id, |s| s.csrf = random_hex(32));
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Middleware: every request has a live session (a new one when its cookie is missing,
/// unknown or expired, set in the response), named by [`SessionId`] in its extensions.
pub async fn ensure_session(
    State(sessions): State<Sessions>,
    mut request: Request,
    next: Next,
) -> Response {
    let existing = cookie(request.headers(), SESSION_COOKIE)
        .filter(|id| sessions.touch(id))
        .map(str::to_string);
    let (id, new) = match existing {
        Some(id) => (id, false),
        None => (sessions.create(), true),
    };
    request.extensions_mut().insert(SessionId(id.clone()));
    let mut response = next.run(request).await;
    if new {
        let cookie = format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    let headers = response.headers_mut();
    // Pages carry session-specific content (CSRF tokens, results): never cached.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    // Only our own script runs, forms post only to us, and no other site may frame the pages
    // (inline styles stay allowed: drift-monitor's report page is one self-contained file).
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
