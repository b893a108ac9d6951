//! Binding, serving with idle connections closed, graceful shutdown, periodic tasks.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::Request;
use axum::http::HeaderName;
use axum::response::Response;
use hyper_util::rt::TokioIo;
use tower::util::Oneshot;
use tower::{Service, ServiceExt as _};

use crate::guard::Limits;

/// The header carrying a request's id: taken from the client when sent, made up otherwise,
/// always echoed in the response and recorded on the access span.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A bound listener, ready to serve (port 0 binds a free port; see [`Server::port`]).
pub struct Server {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    idle_timeout: Duration,
}

impl Server {
    /// Binds `addr`; connections idle for [`Limits::default`]'s `idle_timeout` are closed
    /// (see [`Server::idle_timeout`]).
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Server> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr()?;
        Ok(Server {
            listener,
            addr,
            idle_timeout: Limits::default().idle_timeout,
        })
    }

    /// Closes a connection that has had no request in progress and completed no request head
    /// for `idle` to `1.5 × idle` (an idle keep-alive connection, or a client sending its
    /// headers slowly). Without it, every idle socket a client leaves open stays open for good.
    pub fn idle_timeout(mut self, idle: Duration) -> Server {
        self.idle_timeout = idle.max(Duration::from_millis(1));
        self
    }

    /// The bound port (the real one when the address asked for port 0).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `service` until `shutdown` resolves, then stops accepting, closes idle
    /// connections and lets requests in flight finish (the request timeout bounds them).
    /// The [`crate::Guard`] gives every request its `x-request-id` and access span.
    ///
    /// The accept loop is ours rather than `axum::serve`'s because that one gives hyper no
    /// timer, so idle connections were never closed.
    pub async fn serve<S>(
        self,
        service: S,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()>
    where
        S: Service<Request, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let mut http = hyper::server::conn::http1::Builder::new();
        // hyper gets no timer: its header-read timeout arms one per request, which cost 3 % of
        // `/predict`'s throughput in the paired runs. Each connection's watchdog (`Activity`)
        // closes idle and slow-header connections with one timer per idle period instead.
        http.header_read_timeout(None);
        // Without half-close, hyper reads the socket again while every request is in flight to
        // notice a client that hung up: a `recv` that finds nothing and, since the request
        // still holds its read buffer, a fresh 8 KiB buffer, on every request. Our handlers
        // are short and bounded by the request timeout, so one that outlives its client only
        // finds out when its answer cannot be written.
        http.half_close(true);
        let idle = self.idle_timeout;
        // Connections watch `stop` to begin their graceful shutdown, and each holds a clone of
        // `open`, so `closed()` resolves when the last one is done.
        let (stop, _) = tokio::sync::watch::channel(false);
        let (open, _) = tokio::sync::watch::channel(());
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(e) => {
                        // Per-connection failures (a reset before accept) are nothing to wait
                        // for; others (out of file descriptors) pass with time.
                        if !is_connection_error(&e) {
                            tracing::error!(error = %e, "accepting a connection failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let activity = Arc::new(Activity::default());
            let connection = http.serve_connection(
                TokioIo::new(stream),
                TrackedService {
                    service: service.clone(),
                    activity: activity.clone(),
                },
            );
            let mut stop = stop.subscribe();
            let open = open.subscribe();
            let serving = tokio::spawn(async move {
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    _ = connection.as_mut() => {}
                    // `stop` changes once, to true (or its sender is gone: stop too).
                    _ = stop.changed() => {
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.await;
                    }
                }
                drop(open);
            });
            // The watchdog is a task of its own, so the connection's task does not poll its
            // timer at every wake-up. Aborting drops the connection, which closes the socket;
            // it only fires between requests, so no answer is cut off.
            tokio::spawn(async move {
                if activity.idle_for(idle, &serving).await {
                    serving.abort();
                }
            });
        }
        drop(self.listener);
        let _ = stop.send(true);
        open.closed().await;
        Ok(())
    }
}

/// What a connection's watchdog watches: a count of request starts and ends, so an odd count
/// means a request is in progress (HTTP/1.1 serves one request at a time per connection).
/// Marking both costs two uncontended atomic adds per request.
#[derive(Default)]
struct Activity {
    events: AtomicU64,
}

impl Activity {
    fn request_started(self: &Arc<Self>) -> RequestInProgress {
        self.events.fetch_add(1, Ordering::Relaxed);
        RequestInProgress(self.clone())
    }

    /// True once the connection has been idle for `idle` to `1.5 × idle` (no request in
    /// progress, none started or finished); false once `serving` has ended by itself.
    async fn idle_for(&self, idle: Duration, serving: &tokio::task::JoinHandle<()>) -> bool {
        let tick = idle / 2;
        let mut last_seen = self.events.load(Ordering::Relaxed);
        let mut quiet_ticks = 0;
        loop {
            tokio::time::sleep(tick).await;
            if serving.is_finished() {
                return false;
            }
            let seen = self.events.load(Ordering::Relaxed);
            if seen == last_seen && seen.is_multiple_of(2) {
                quiet_ticks += 1;
                if quiet_ticks == 2 {
                    return true;
                }
            } else {
                quiet_ticks = 0;
                last_seen = seen;
            }
        }
    }
}

/// Marks a request's end when dropped: answered, or abandoned with its connection.
struct RequestInProgress(Arc<Activity>);

impl Drop for RequestInProgress {
    fn drop(&mut self) {
        self.0.events.fetch_add(1, Ordering::Relaxed);
    }
}

/// A connection's service: the shared tower service, with the connection's activity marked.
struct TrackedService<S> {
    service: S,
    activity: Arc<Activity>,
}

impl<S> hyper::service::Service<hyper::Request<hyper::body::Incoming>> for TrackedService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TrackedFuture<Oneshot<S, Request>>;

    fn call(&self, request: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        TrackedFuture {
            _request: self.activity.request_started(),
            inner: self
                .service
                .clone()
                .oneshot(request.map(axum::body::Body::new)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The service's future, holding the mark of its request in progress.
    struct TrackedFuture<F> {
        #[pin]
        inner: F,
        _request: RequestInProgress,
    }
}

impl<F: Future> Future for TrackedFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` and Kubernetes send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: draining requests");
}

/// A background task that runs on an interval until dropped.
#[must_use = "the task stops when this is dropped"]
pub struct PeriodicTask {
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for PeriodicTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Runs `tick` every `every` (the first at once) until the returned task is dropped. A tick
/// that fails is logged with the task's name, and the next one runs on schedule: one bad
/// tick never stops the loop. Ticks never overlap; a late one delays the rest.
pub fn spawn_periodic<F, Fut>(name: &'static str, every: Duration, mut tick: F) -> PeriodicTask
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let handle = tokio::spawn(async move {
        let mut interval = tokio::time::interval(every.max(Duration::from_millis(1)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = tick().await {
                tracing::warn!(
                    task = name,
                    error = format!("{e:#}"),
                    "periodic task failed"
                );
            }
        }
    });
    PeriodicTask { handle }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A server with a 300 ms idle timeout whose `/slow` takes a second.
    async fn serve_with_short_idle_timeout() -> SocketAddr {
        let server = Server::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
            .idle_timeout(Duration::from_millis(300));
        let addr = server.local_addr();
        let app = axum::Router::new().route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                "done"
            }),
        );
        tokio::spawn(server.serve(app, std::future::pending()));
        addr
    }

    #[tokio::test]
    async fn a_connection_dribbling_its_headers_is_closed() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let addr = serve_with_short_idle_timeout().await;
        let (mut read, mut write) = tokio::net::TcpStream::connect(addr)
            .await
            .unwrap()
            .into_split();
        let started = std::time::Instant::now();
        // A byte every 20 ms: always active, never a whole request head.
        let dribble = tokio::spawn(async move {
            let _ = write
                .write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                .await;
            while write.write_all(b"a").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(10), read.read(&mut buf)).await;
        dribble.abort();
        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "closed by the server: {read:?}"
        );
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
            "closed after {waited:?}"
        );
    }

    #[tokio::test]
    async fn a_request_slower_than_the_idle_timeout_is_answered() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let addr = serve_with_short_idle_timeout().await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 256];
        while !answer.ends_with(b"done") {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
                .await
                .expect("an answer within 5 s")
                .unwrap();
            assert!(
                n > 0,
                "closed before the answer: {:?}",
                String::from_utf8_lossy(&answer)
            );
            answer.extend_from_slice(&buf[..n]);
        }
        assert!(
            answer.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }

    #[tokio::test]
    async fn periodic_tasks_survive_failures_and_stop_when_dropped() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let task = spawn_periodic("test", Duration::from_millis(5), move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                anyhow::ensure!(n.is_multiple_of(2), "odd run {n}");
                Ok(())
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(task);
        let after_drop = runs.load(Ordering::SeqCst);
        assert!(
            after_drop >= 4,
            "a failing tick stopped the loop: {after_drop} runs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            after_drop,
            "still running after drop"
        );
    }
}
