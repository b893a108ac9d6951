//! Binding, serving with request ids and access spans, graceful shutdown, periodic tasks.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::Request;
use axum::http::HeaderName;
use axum::response::Response;
use tower::Service;

/// The header carrying a request's id: taken from the client when sent, made up otherwise,
/// always echoed in the response and recorded on the access span.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A bound listener, ready to serve (port 0 binds a free port; see [`Server::port`]).
pub struct Server {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

impl Server {
    /// Binds `addr`.
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Server> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr()?;
        Ok(Server { listener, addr })
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
        axum::serve(
            self.listener,
            axum::ServiceExt::<Request>::into_make_service(service),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
    }
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
