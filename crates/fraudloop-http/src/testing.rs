//! Test support: a service on a real loopback socket.

use std::convert::Infallible;

use axum::extract::Request;
use axum::response::Response;
use tower::Service;

use crate::serve::Server;

/// A service running on `127.0.0.1` at a free port until dropped.
pub struct SpawnedApp {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SpawnedApp {
    /// The URL of `path` on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for SpawnedApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `service` exactly as a service binary does ([`Server::serve`]) on port 0.
pub async fn spawn_app<S>(service: S) -> SpawnedApp
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    let server = Server::bind(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind a loopback port");
    let base_url = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(service, async {
        let _ = stopped.await;
    }));
    SpawnedApp {
        base_url,
        stop: Some(stop),
    }
}
