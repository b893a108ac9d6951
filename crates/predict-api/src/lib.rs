//! predict-api: the HTTP service that scores messages, takes feedback, records production data
//! and swaps in new models without failing a request.
//!
//! # Brief overview
//! - [`Application::build`] opens the configured stores (files under the home directory, or
//!   PostgreSQL and object storage: `fraudloop-stores`), loads the
//!   production model if there is one, and binds the listener (port 0 works; see
//!   [`Application::port`]). [`Application::run_until_stopped`] serves until the shutdown
//!   future resolves, then drains in-flight requests and flushes the logs.
//! - [`router`] is the whole HTTP surface, kept apart from the socket so tests can call it.
//! - A background task polls the registry's `production` alias and reloads on change; a
//!   corrupt or wrong-schema bundle is refused and the current model keeps serving.
//!
//! **Architecture invariant:** handlers load the served model once per request
//! (`AppState::served`), so a response never mixes two models.
#![deny(missing_docs)]

pub mod error;
pub mod metrics;
pub mod routes;
pub mod settings;
pub mod state;

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use arc_swap::ArcSwapOption;
use axum::extract::Request;
use axum::response::Response;
use fraudloop_config::Home;
use fraudloop_http::{Guard, RouteTable, Routes, Server};
use tower::Service;

use crate::metrics::Metrics;
pub use crate::settings::{Cli, Settings};
use crate::state::{AppState, FeedbackIndex, RecentPredictions, ReloadError};

pub use fraudloop_http::shutdown_signal;

/// Every route of the service, with its handler.
fn routes() -> Routes<Arc<AppState>> {
    Routes::new()
        .post("/predict", routes::predict::predict)
        .post("/predict/batch", routes::batch::predict_batch)
        .post("/feedback", routes::feedback::feedback)
        .get("/predictions/{id}", routes::predictions::prediction)
        .get("/health", fraudloop_http::health)
        .get("/ready", routes::meta::ready)
        .get("/model", routes::meta::model)
        .get("/metrics", routes::meta::metrics)
        .post("/admin/reload", routes::admin::reload)
        .get(
            "/admin/export/prod_data.csv",
            routes::admin::export_prod_data,
        )
        .get("/openapi.json", routes::meta::openapi)
        .get("/docs", routes::meta::docs)
}

/// The routes the router serves (metric labels and the OpenAPI check use it).
pub fn route_table() -> RouteTable {
    routes().table()
}

/// Every route of the service behind the shared request guard (body limit, request metrics,
/// load shedding, timeout). The guard wraps the router as a whole: layers added to a `Router`
/// wrap each route, and each request then re-boxes and clones the whole stack.
pub fn router(
    state: Arc<AppState>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let limits = state.settings.limits();
    let metrics = state.metrics.http.clone();
    Guard::new(routes().into_router().with_state(state), metrics, limits)
}

/// A built service, bound and ready to run.
pub struct Application {
    server: Server,
    state: Arc<AppState>,
}

impl Application {
    /// Opens storage, loads the production model (if any) and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let home = Home::new(&settings.home);
        let stores = tokio::task::spawn_blocking(move || fraudloop_stores::Stores::shared(&home))
            .await?
            .context("opening the stores")?;
        tracing::info!(stores = stores.describe(), "stores opened");
        let instance = settings.instance_name();
        let production = stores
            .writer(&instance, settings.log_queue)
            .context("opening the production data store")?;
        let feedback_index = {
            let production = production.clone();
            tokio::task::spawn_blocking(move || {
                production
                    .feedback_since(None)
                    .map(FeedbackIndex::from_records)
            })
            .await?
            .context("reading stored feedback")?
        };
        let state = Arc::new(AppState {
            recent: Arc::new(RecentPredictions::new(settings.recent_predictions)),
            contact_limiter: Arc::new(routes::contact_limit::ContactLimiter::new(
                settings.user_labels_per_minute,
            )),
            settings: Arc::new(settings),
            registry: stores.registry().clone(),
            instance: instance.into(),
            model: Arc::new(ArcSwapOption::empty()),
            metrics: Arc::new(Metrics::new(route_table())),
            production,
            feedback_index: Arc::new(Mutex::new(feedback_index)),
            feedback_stripes: Arc::new((0..64).map(|_| tokio::sync::Mutex::new(())).collect()),
            reload_lock: Arc::new(tokio::sync::Mutex::new(None)),
        });
        // Index the existing logs now, in the background, so the first feedback on an old
        // prediction does not wait for the first pass.
        {
            let production = state.production.clone();
            tokio::task::spawn_blocking(move || match production.warm_up() {
                Ok(()) => tracing::info!("indexed the prediction logs"),
                Err(e) => tracing::warn!(error = %e, "indexing the prediction logs"),
            });
        }
        match state.reload(false).await {
            Ok(outcome) => tracing::info!(?outcome, "model loaded"),
            Err(ReloadError::NoProduction) => {
                tracing::warn!("no production model yet; /ready answers 503 until one is trained")
            }
            Err(e) => {
                tracing::error!(error = %e, "could not load the production model; /ready answers 503")
            }
        }
        let server = Server::bind(state.settings.addr)
            .await?
            .idle_timeout(state.settings.limits().idle_timeout);
        Ok(Application { server, state })
    }

    /// The bound port (the real one when the settings asked for port 0).
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The shared state (for tests and embedding).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests and flushes the logs.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let poller_state = self.state.clone();
        let _poller = fraudloop_http::spawn_periodic(
            "registry poll",
            self.state.settings.reload_poll(),
            move || {
                let state = poller_state.clone();
                // A failed reload is counted and logged inside reload(); the current model
                // keeps serving and the next tick tries again.
                async move {
                    let _ = state.reload(false).await;
                    Ok(())
                }
            },
        );
        let app = router(self.state.clone());
        let served = self.server.serve(app, shutdown).await;
        let production = self.state.production.clone();
        tokio::task::spawn_blocking(move || production.flush()).await?;
        served
    }
}
