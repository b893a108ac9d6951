//! feedback-agent: a high-risk message does not end as a bare score. The agent explains it in
//! plain language from the organisation's knowledge base, asks the person concerned to
//! confirm, and turns the answer into a label in predict-api.
//!
//! # Brief overview
//! - [`kb`] reads `knowledge_base/{en,zh}/*.md` into chunks cut at headings;
//!   [`retrieve::KbIndex`] ranks them with BM25 over the fraud model's own tokenizer, fused
//!   with dense vectors from an OpenAI-compatible embeddings endpoint ([`embed`]) when
//!   `DASHSCOPE_API_KEY` is set.
//! - [`llm`] writes notices and answers with an OpenAI-compatible chat endpoint
//!   (`GROQ_API_KEY`) in JSON mode, validated by [`compose::validate`]; [`compose`]'s
//!   templates write them offline and whenever the model fails. [`redact`] keeps personal
//!   numbers and addresses from leaving; [`external`] retries and times calls out.
//! - [`links`] signs the expiring confirm links; [`routes::confirm`] records an answer only
//!   on the page's POST, once per notice, as feedback in predict-api ([`upstream`]).
//! - [`deliver`] sends notices by SMTP, an n8n webhook or to the outbox; [`store`] keeps
//!   notices, answers and the outbox under `<home>/agent`.
//! - [`Application::build`] / [`Application::run_until_stopped`] serve it all.
#![deny(missing_docs)]

pub mod auto;
pub mod compose;
pub mod deliver;
pub mod embed;
pub mod external;
pub mod kb;
pub mod links;
pub mod llm;
pub mod metrics;
pub mod pages;
pub mod redact;
pub mod retrieve;
pub mod routes;
pub mod settings;
pub mod state;
pub mod store;
pub mod upstream;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::Request;
use axum::response::Response;
use fraudloop_http::{Guard, Limits, RouteTable, Routes, Server};
use tower::Service;

pub use crate::settings::{Cli, Secrets, Settings};
pub use crate::state::AppState;

fn routes() -> Routes<Arc<AppState>> {
    Routes::new()
        .post("/notify", routes::notify::notify)
        .get("/confirm", routes::confirm::show)
        .post("/confirm", routes::confirm::record)
        .post("/ask", routes::ask::ask)
        .get("/outbox", routes::outbox::list)
        .post("/admin/reindex", routes::admin::reindex)
        .get("/health", fraudloop_http::health)
        .get("/ready", routes::meta::ready)
        .get("/metrics", routes::meta::metrics)
        .get("/openapi.json", routes::meta::openapi)
}

/// The routes the router serves (metric labels and the OpenAPI check use it).
pub fn route_table() -> RouteTable {
    routes().table()
}

/// Limits: generation with retries and a repair can take a while (two calls of up to three
/// attempts of 15 s, and the waits between them), so the request timeout is far longer than
/// predict-api's.
fn limits() -> Limits {
    Limits {
        request_timeout: std::time::Duration::from_secs(180),
        max_body_bytes: 256 * 1024,
        ..Limits::default()
    }
}

/// Every route behind the shared request guard.
pub fn router(
    state: Arc<AppState>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let metrics = state.metrics.http.clone();
    Guard::new(routes().into_router().with_state(state), metrics, limits())
}

/// A built service, bound and ready to run.
pub struct Application {
    server: Server,
    state: Arc<AppState>,
}

impl Application {
    /// Reads and indexes the knowledge base (embedding it when configured) and binds.
    pub async fn build(settings: Settings, secrets: Secrets) -> anyhow::Result<Application> {
        let addr = settings.addr;
        let state = Arc::new(AppState::new(settings, secrets).await?);
        let server = Server::bind(addr)
            .await?
            .idle_timeout(limits().idle_timeout);
        Ok(Application { server, state })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let _auto = match self.state.settings.auto_threshold {
            Some(threshold) => {
                let home = fraudloop_config::Home::new(&self.state.settings.home);
                let source =
                    tokio::task::spawn_blocking(move || auto::PredictionSource::open(&home))
                        .await?
                        .context("auto mode: opening production data")?;
                let state = self.state.clone();
                let auto = Arc::new(tokio::sync::Mutex::new(auto::AutoState::default()));
                let every =
                    std::time::Duration::from_millis(self.state.settings.auto_interval_ms.max(100));
                Some(fraudloop_http::spawn_periodic(
                    "auto notify",
                    every,
                    move || {
                        let (state, auto, source) = (state.clone(), auto.clone(), source.clone());
                        async move {
                            auto::tick(&state, &auto, &source, threshold).await;
                            Ok(())
                        }
                    },
                ))
            }
            None => None,
        };
        self.server.serve(router(self.state), shutdown).await
    }
}
