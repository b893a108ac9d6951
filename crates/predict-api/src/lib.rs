//! predict-api: the HTTP service that scores messages, takes feedback, records production data
//! and swaps in new models without failing a request.
//!
//! # Brief overview
//! - [`Application::build`] opens the registry and logs under the home directory, loads the
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

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use arc_swap::ArcSwapOption;
use artifact_store::Registry;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{BoxError, Router};
use fraudloop_config::Home;
use tower::ServiceBuilder;

use crate::error::ApiError;
use crate::metrics::Metrics;
pub use crate::settings::Settings;
use crate::state::{AppState, FeedbackIndex, RecentPredictions, ReloadError};

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let overload = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(overload_error))
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            settings.concurrency_limit,
        ))
        .timeout(settings.request_timeout());
    Router::new()
        .route("/predict", post(routes::predict::predict))
        .route("/predict/batch", post(routes::predict::predict_batch))
        .route("/feedback", post(routes::feedback::feedback))
        .route("/health", get(routes::meta::health))
        .route("/ready", get(routes::meta::ready))
        .route("/model", get(routes::meta::model))
        .route("/metrics", get(routes::meta::metrics))
        .route("/admin/reload", post(routes::admin::reload))
        .route(
            "/admin/export/prod_data.csv",
            get(routes::admin::export_prod_data),
        )
        .route("/openapi.json", get(routes::meta::openapi))
        .route("/docs", get(routes::meta::docs))
        .fallback(routes::meta::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(overload)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            track_requests,
        ))
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /docs",
    )
}

/// Load shedding and timeouts answer 503 with Retry-After instead of queueing without bound.
async fn overload_error(error: BoxError) -> ApiError {
    if error.is::<tower::load_shed::error::Overloaded>() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many requests in flight; retry shortly",
        )
    } else if error.is::<tower::timeout::error::Elapsed>() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long; retry shortly",
        )
    } else {
        ApiError::internal("request failed in middleware", error)
    }
}

/// Counts requests and their latency by matched route and status.
async fn track_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    state
        .metrics
        .requests
        .with_label_values(&[&route, &method, &status])
        .inc();
    state
        .metrics
        .request_duration
        .with_label_values(&[&route, &method])
        .observe(started.elapsed().as_secs_f64());
    response
}

/// A built service, bound and ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
    port: u16,
}

impl Application {
    /// Opens storage, loads the production model (if any) and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let home = Home::new(&settings.home);
        let registry = Registry::open(home.artifacts()).with_context(|| {
            format!(
                "opening the model registry in {}",
                home.artifacts().display()
            )
        })?;
        let data_dir = home.data();
        let instance = settings.instance_name();
        let prediction_log =
            prod_data::PredictionLog::open(&data_dir, &instance, settings.log_queue)
                .context("opening the prediction log")?;
        let feedback_log = prod_data::FeedbackLog::open(&data_dir, &instance)
            .context("opening the feedback log")?;
        let feedback_index = {
            let dir = data_dir.clone();
            tokio::task::spawn_blocking(move || FeedbackIndex::load(&dir))
                .await?
                .context("reading stored feedback")?
        };
        let state = AppState {
            recent: Arc::new(RecentPredictions::new(settings.recent_predictions)),
            settings: Arc::new(settings),
            registry,
            data_dir,
            instance: instance.into(),
            model: Arc::new(ArcSwapOption::empty()),
            metrics: Metrics::new(),
            prediction_log: Arc::new(prediction_log),
            feedback_log,
            feedback_index: Arc::new(Mutex::new(feedback_index)),
            feedback_stripes: Arc::new((0..64).map(|_| tokio::sync::Mutex::new(())).collect()),
            reload_lock: Arc::new(tokio::sync::Mutex::new(None)),
            disk_lookup: Arc::new(tokio::sync::Mutex::new(())),
        };
        match state.reload(false).await {
            Ok(outcome) => tracing::info!(?outcome, "model loaded"),
            Err(ReloadError::NoProduction) => {
                tracing::warn!("no production model yet; /ready answers 503 until one is trained")
            }
            Err(e) => {
                tracing::error!(error = %e, "could not load the production model; /ready answers 503")
            }
        }
        let listener = tokio::net::TcpListener::bind(state.settings.addr)
            .await
            .with_context(|| format!("binding {}", state.settings.addr))?;
        let port = listener.local_addr()?.port();
        Ok(Application {
            listener,
            state,
            port,
        })
    }

    /// The bound port (the real one when the settings asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
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
        let poller = tokio::spawn(poll_registry(self.state.clone()));
        let app = router(self.state.clone());
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        poller.abort();
        let log = self.state.prediction_log.clone();
        tokio::task::spawn_blocking(move || log.flush()).await?;
        served.context("serving HTTP")
    }
}

/// Notices a changed `production` alias by itself.
async fn poll_registry(state: AppState) {
    let mut interval = tokio::time::interval(state.settings.reload_poll());
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        // Errors are counted and logged inside reload; the poller keeps going.
        let _ = state.reload(false).await;
    }
}

/// Resolves on Ctrl-C or SIGTERM.
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
    tracing::info!("shutting down: draining requests and flushing logs");
}
