//! The middleware of every request, in one service.
//!
//! It is written by hand rather than stacked from `tower`'s `ConcurrencyLimit`, `LoadShed` and
//! `Timeout` layers because those answer with errors outside the service's JSON shape and
//! because layers added to a `Router` wrap each route, so each request re-boxes and clones
//! the whole stack. predict-api measured the difference (docs/benchmarks.md, "Run 5").

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

use crate::error::{refuse_by_headers, ApiError, ErrorCode};
use crate::metrics::RequestMetrics;
use crate::serve::REQUEST_ID;

/// Limits applied to every request and connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests processed at once; more are shed with 503 `overloaded` and Retry-After.
    pub concurrency: usize,
    /// Longest a request may take, once its body is in, before it is answered with 503
    /// `timeout`.
    pub request_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a client may take to send its request body; slower ones get 408
    /// `body_timeout` and the connection is closed. Bodies are read before a request takes
    /// one of the `concurrency` slots, so a slow sender holds a socket, never a slot.
    pub body_timeout: Duration,
    /// An idle keep-alive connection (or one slow to send its headers) is closed after this
    /// ([`crate::Server`] applies it).
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            concurrency: 512,
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 4 * 1024 * 1024,
            body_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(20),
        }
    }
}

/// Counts requests and their latency by route, method and status (including the 503s
/// below); refuses what the headers already condemn (a declared oversize body, a
/// `Content-Encoding`) before reading the body; reads the body within the body timeout
/// (408 `body_timeout`) and the size limit (413) before the request takes a slot, so slow
/// senders cannot hold the slots; sheds requests over the concurrency limit with 503
/// `overloaded` instead of queueing them; answers 503 `timeout` when a request takes longer
/// than the request timeout.
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    metrics: RequestMetrics,
    /// Requests in flight hold a permit until their response is ready.
    permits: Arc<Semaphore>,
    timeout: Duration,
    body_timeout: Duration,
    max_body_bytes: usize,
    ids: RequestIds,
}

/// Request ids: a per-process random prefix and a counter, so they are unique across
/// replicas and restarts and sortable within a process.
///
/// Made here rather than with tower-http's `SetRequestId` and `PropagateRequestId` layers:
/// those cost 6.2k instructions per `/predict` (request extensions map, a formatted UUID,
/// two more futures), 4.5 % of the whole request (callgrind, `bench/predict/ab.sh
/// --callgrind 1000`, docs/benchmarks.md "Service skeleton"); this costs a fraction.
#[derive(Clone)]
struct RequestIds {
    prefix: [u8; 8],
    next: Arc<AtomicU64>,
}

/// The longest request id a client may send; longer ones are replaced, not echoed.
const MAX_CLIENT_REQUEST_ID: usize = 128;

impl RequestIds {
    fn new() -> RequestIds {
        use std::hash::{BuildHasher, Hasher};
        // The standard library's randomly keyed hasher is random enough for a prefix.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let mut prefix = [0u8; 8];
        hex(hasher.finish() as u32 as u64, &mut prefix);
        RequestIds {
            prefix,
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The client's id when it sent a usable one, else a new one.
    fn for_request(&self, headers: &HeaderMap) -> HeaderValue {
        match headers.get(REQUEST_ID) {
            Some(id) if !id.is_empty() && id.len() <= MAX_CLIENT_REQUEST_ID => id.clone(),
            _ => {
                let mut id = [0u8; 8 + 1 + 12];
                id[..8].copy_from_slice(&self.prefix);
                id[8] = b'-';
                hex(self.next.fetch_add(1, Ordering::Relaxed), &mut id[9..]);
                HeaderValue::from_bytes(&id).expect("hex digits are a valid header value")
            }
        }
    }
}

/// Writes the low `out.len()` hex digits of `n` into `out`.
fn hex(mut n: u64, out: &mut [u8]) {
    for digit in out.iter_mut().rev() {
        *digit = b"0123456789abcdef"[(n & 0xf) as usize];
        n >>= 4;
    }
}

impl<S> Guard<S> {
    /// Guards `inner` (usually a whole `Router`, so the guard runs once per request).
    pub fn new(
        inner: S,
        metrics: RequestMetrics,
        limits: Limits,
    ) -> Guard<DefaultBodyLimitService<S>> {
        Guard {
            inner: DefaultBodyLimit::max(limits.max_body_bytes).layer(inner),
            metrics,
            permits: Arc::new(Semaphore::new(limits.concurrency)),
            timeout: limits.request_timeout,
            body_timeout: limits.body_timeout,
            max_body_bytes: limits.max_body_bytes,
            ids: RequestIds::new(),
        }
    }
}

/// The router behind its body limit.
pub type DefaultBodyLimitService<S> = <DefaultBodyLimit as Layer<S>>::Service;

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Readiness is decided per request (a permit or a 503), never by waiting.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let request_id = self.ids.for_request(request.headers());
        let route = self.metrics.routes().index(request.uri().path());
        let method = request.method().clone();
        // The access span: disabled (one atomic load) unless RUST_LOG enables
        // `fraudloop_http=debug`. tower-http's TraceLayer does the same job but wraps every
        // response body, which cost a boxed body per response in the paired load runs.
        let span = tracing::debug_span!(
            "request",
            method = %method,
            route = self.metrics.routes().label(route),
            request_id = request_id.to_str().unwrap_or_default(),
        );
        let refused = refuse_by_headers(request.headers(), self.max_body_bytes);
        let (inner, metrics, permits) = (
            self.inner.clone(),
            self.metrics.clone(),
            self.permits.clone(),
        );
        let (timeout, body_timeout, max_body_bytes) =
            (self.timeout, self.body_timeout, self.max_body_bytes);
        let answer = async move {
            let mut response = match refused {
                Some(refused) => refused.into_response(),
                None => match read_body_first(request, body_timeout, max_body_bytes).await {
                    Err(refused) => refused.into_response(),
                    // The slot is taken only now, with the whole body in memory: what runs
                    // under the concurrency limit and the request timeout is our own work.
                    Ok(request) => match permits.try_acquire_owned() {
                        Ok(_permit) => {
                            match tokio::time::timeout(timeout, inner.oneshot(request)).await {
                                Ok(Ok(response)) => response,
                                Err(_elapsed) => ApiError::timeout().into_response(),
                            }
                        }
                        Err(_no_permit) => ApiError::overloaded().into_response(),
                    },
                },
            };
            response.headers_mut().insert(REQUEST_ID, request_id);
            let seconds = started.elapsed().as_secs_f64();
            metrics.observe(route, &method, response.status(), seconds);
            tracing::debug!(status = response.status().as_u16(), seconds, "answered");
            Ok(response)
        };
        // A disabled span is not entered and left at every poll (500 instructions a request).
        if span.is_disabled() {
            Box::pin(answer)
        } else {
            Box::pin(answer.instrument(span))
        }
    }
}

/// Reads the whole body within `within` and `max_bytes`, and hands the request on with the
/// body in memory. A request without a body passes untouched.
async fn read_body_first(
    request: Request,
    within: Duration,
    max_bytes: usize,
) -> Result<Request, ApiError> {
    if request.body().is_end_stream() {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let mut collect = std::pin::pin!(collect_body(body, max_bytes));
    // Most bodies arrived with their headers: the timer is armed only for one that has not
    // (a timer per request showed in the paired load runs).
    let first = std::future::poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await;
    let collected = match first {
        Poll::Ready(collected) => collected,
        Poll::Pending => match tokio::time::timeout(within, collect).await {
            Ok(collected) => collected,
            Err(_elapsed) => return Err(ApiError::body_timeout(within)),
        },
    };
    collected.map(|bytes| Request::from_parts(parts, Body::from(bytes)))
}

/// The body's bytes, or 413 as soon as they pass `max_bytes` (a chunked body declares no
/// length), or 400 `unreadable_body` when the connection fails.
async fn collect_body(mut body: Body, max_bytes: usize) -> Result<Bytes, ApiError> {
    // The usual body is one chunk, handed on without a copy or an allocation; more are
    // joined into `joined`.
    let mut only: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::UnreadableBody,
                format!("the request body could not be read: {e}"),
            )
        })?;
        // Trailers carry nothing the services read.
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total > max_bytes {
                return Err(ApiError::payload_too_large());
            }
            match only.take() {
                None if joined.is_empty() => only = Some(data),
                None => joined.extend_from_slice(&data),
                Some(first) => {
                    joined.extend_from_slice(&first);
                    joined.extend_from_slice(&data);
                }
            }
        }
    }
    Ok(only.unwrap_or_else(|| Bytes::from(joined)))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{header, StatusCode};
    use axum::routing::post;
    use axum::Router;

    use super::*;
    use crate::routes::Routes;

    /// A guard around a handler that takes `delay`.
    fn guard(
        delay: Duration,
        concurrency: usize,
        request_timeout: Duration,
    ) -> (Guard<DefaultBodyLimitService<Router>>, RequestMetrics) {
        let slow = move || async move {
            tokio::time::sleep(delay).await;
            "done"
        };
        let table = Routes::<()>::new().post("/predict", slow).table();
        let metrics = RequestMetrics::new(&prometheus::Registry::new(), table);
        let router = Router::new().route("/predict", post(slow));
        let limits = Limits {
            concurrency,
            request_timeout,
            ..Limits::default()
        };
        (Guard::new(router, metrics.clone(), limits), metrics)
    }

    fn request() -> Request {
        Request::post("/predict").body(Body::empty()).unwrap()
    }

    async fn assert_503(response: Response, code: &str) {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(response.headers()[header::CONNECTION], "close");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }

    #[tokio::test]
    async fn slow_requests_time_out_with_503() {
        let (mut guard, metrics) = guard(Duration::from_secs(5), 4, Duration::from_millis(20));
        let response = guard.call(request()).await.unwrap();
        assert_503(response, "timeout").await;
        let served = metrics
            .requests
            .with_label_values(&["/predict", "POST", "503"]);
        assert_eq!(served.get(), 1);
    }

    #[tokio::test]
    async fn requests_over_the_limit_are_shed_and_the_permit_comes_back() {
        let (mut guard, metrics) = guard(Duration::from_millis(200), 1, Duration::from_secs(5));
        let first = tokio::spawn(guard.call(request()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_503(guard.call(request()).await.unwrap(), "overloaded").await;
        assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
        assert_eq!(
            guard.call(request()).await.unwrap().status(),
            StatusCode::OK
        );
        let count = |status: &str| {
            metrics
                .requests
                .with_label_values(&["/predict", "POST", status])
                .get()
        };
        assert_eq!((count("200"), count("503")), (2, 1));
    }

    /// A body that arrives in the given chunks.
    struct Chunks(std::collections::VecDeque<&'static [u8]>);

    impl axum::body::HttpBody for Chunks {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
            let chunk = self.0.pop_front();
            Poll::Ready(chunk.map(|chunk| Ok(hyper::body::Frame::data(Bytes::from_static(chunk)))))
        }
    }

    #[tokio::test]
    async fn bodies_in_many_chunks_are_joined_and_limited() {
        let body = |chunks: &[&'static [u8]]| Body::new(Chunks(chunks.iter().copied().collect()));
        let collect = |chunks, max| collect_body(body(chunks), max);
        assert_eq!(collect(&[b"ab"], 10).await.unwrap(), "ab");
        assert_eq!(collect(&[], 10).await.unwrap(), "");
        let many: &[&[u8]] = &[b"", b"ab", b"", b"cd", b"e"];
        assert_eq!(collect(many, 10).await.unwrap(), "abcde");
        let over = collect(&[b"abcdef", b"ghijk"], 10).await.unwrap_err();
        assert_eq!(over.into_response().status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn a_declared_oversize_body_is_refused_from_the_headers() {
        let (mut guard, _) = guard(Duration::ZERO, 4, Duration::from_secs(5));
        let request = Request::post("/predict")
            .header(header::CONTENT_LENGTH, (64u64 << 20).to_string())
            .body(Body::empty())
            .unwrap();
        let response = guard.call(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn every_response_carries_a_request_id() {
        let (mut guard, _) = guard(Duration::ZERO, 4, Duration::from_secs(5));
        let id = |response: &Response| response.headers()[REQUEST_ID].to_str().unwrap().to_owned();
        let first = id(&guard.call(request()).await.unwrap());
        let second = id(&guard.call(request()).await.unwrap());
        assert_eq!(first.len(), 21, "{first}");
        assert_ne!(first, second);
        assert_eq!(first[..9], second[..9], "one prefix per process");
        // The client's id is kept; an oversized one is replaced, not echoed.
        let with = |value: &str| {
            Request::post("/predict")
                .header(REQUEST_ID, value)
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(id(&guard.call(with("abc-123")).await.unwrap()), "abc-123");
        let long = "x".repeat(MAX_CLIENT_REQUEST_ID + 1);
        assert_ne!(id(&guard.call(with(&long)).await.unwrap()), long);
    }
}
