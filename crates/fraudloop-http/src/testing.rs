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

/// Panics unless a service's hand-written OpenAPI document lists exactly the routes its router
/// serves (the [`RouteTable`] the router was built from), both ways, lists every [`ErrorCode`]
/// as the `Error.code` enum in order, and has no dangling `$ref`. Every service's tests call it,
/// so a route or an error code added without its documentation fails there.
pub fn assert_openapi_matches(doc: &serde_json::Value, table: &crate::RouteTable) {
    let paths = doc["paths"].as_object().expect("the document has paths");
    let served: Vec<(&str, String)> = table
        .endpoints()
        .map(|(path, method)| (path, method.as_str().to_ascii_lowercase()))
        .collect();
    for (path, method) in &served {
        assert!(
            paths.get(*path).and_then(|item| item.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for method in item.keys() {
            if ["parameters", "summary", "description"].contains(&method.as_str()) {
                continue;
            }
            assert!(
                served.iter().any(|(p, m)| p == path && m == method),
                "{method} {path} is documented but not served"
            );
        }
    }
    let documented: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .expect("Error.code lists its values as an enum")
        .iter()
        .map(|code| code.as_str().unwrap_or_default())
        .collect();
    let codes: Vec<&str> = crate::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        documented, codes,
        "the Error.code enum is not ErrorCode::ALL"
    );
    let mut refs = Vec::new();
    collect_refs(doc, &mut refs);
    for reference in refs {
        let resolves = reference
            .strip_prefix('#')
            .is_some_and(|pointer| doc.pointer(pointer).is_some());
        assert!(resolves, "dangling $ref {reference}");
    }
}

fn collect_refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value {
                    serde_json::Value::String(target) if key == "$ref" => out.push(target),
                    _ => collect_refs(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
