//! The store interfaces are synchronous, their backends' clients (object storage, PostgreSQL)
//! are async: each backend keeps a [`StoreRuntime`] of one worker thread and waits on it.
//!
//! Waiting is a channel, not `block_on`, so a call works from any thread, including one that
//! is already running async code (a service's handler); and the runtime is shut down without
//! waiting when the store goes, so dropping a store inside async code does not panic.
#![deny(missing_docs)]

use std::future::Future;
use std::sync::mpsc;

/// A backend's own runtime.
#[derive(Debug)]
pub struct StoreRuntime(Option<tokio::runtime::Runtime>);

impl StoreRuntime {
    /// One worker thread named `thread_name`, with timers and IO.
    pub fn new(thread_name: &str) -> std::io::Result<StoreRuntime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(thread_name)
            .enable_all()
            .build()
            .map(|runtime| StoreRuntime(Some(runtime)))
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("the runtime lives until drop")
    }

    /// Runs `future` and waits for its output; `None` when the runtime stopped first.
    pub fn wait_for<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.runtime().spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().ok()
    }

    /// Starts `future` in the background (a writer task).
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        self.runtime().spawn(future);
    }
}

impl Drop for StoreRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_from_inside_async_code_and_drops_there_without_panicking() {
        let outer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let answer = outer.block_on(async {
            let store = StoreRuntime::new("store-test").unwrap();
            let answer = store.wait_for(async {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                std::thread::current().name().map(str::to_string)
            });
            drop(store); // `Runtime`'s own drop would panic here
            answer
        });
        assert_eq!(answer, Some(Some("store-test".to_string())));
    }

    #[test]
    fn a_future_that_never_ends_does_not_outlive_the_store() {
        let store = StoreRuntime::new("store-test").unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        store.spawn(async move {
            let _keep = tx;
            std::future::pending::<()>().await;
        });
        drop(store);
        // The task (and its sender) is gone once the runtime is shut down.
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(5)),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
    }
}
