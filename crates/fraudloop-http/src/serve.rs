//! Binding, serving with idle connections closed, graceful shutdown, periodic tasks.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::Request;
use axum::http::HeaderName;
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
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

    /// Closes a connection that has sent no complete request head for `idle` (an idle
    /// keep-alive connection, or a client sending its headers slowly). Without it, every idle
    /// socket a client leaves open stays open for good.
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
        let service = service.map_request(|request: hyper::Request<hyper::body::Incoming>| {
            request.map(axum::body::Body::new)
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(self.idle_timeout);
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
            let connection = http.serve_connection(
                TokioIo::new(stream),
                TowerToHyperService::new(service.clone()),
            );
            let mut stop = stop.subscribe();
            let open = open.subscribe();
            tokio::spawn(async move {
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
        }
        drop(self.listener);
        let _ = stop.send(true);
        open.closed().await;
        Ok(())
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
