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

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arc_swap::ArcSwapOption;
use artifact_store::Registry;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use fraudloop_config::Home;
use tokio::sync::Semaphore;
use tower::{Layer, Service, ServiceExt};

use crate::error::ApiError;
use crate::metrics::{route_index, Metrics};
pub use crate::settings::Settings;
use crate::state::{AppState, FeedbackIndex, RecentPredictions, ReloadError};

/// Every route of the service, behind the body limit and `Guard` (request metrics, load
/// shedding, timeout). The middleware wraps the router as a whole: layers added to a `Router`
/// wrap each route, and each request then re-boxes and clones the whole stack.
pub fn router(
    state: Arc<AppState>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let settings = state.settings.clone();
    // Keep metrics::ROUTES in step (the request metrics label by it; a test checks).
    let routes = Router::new()
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
        .with_state(state.clone());
    Guard {
        inner: DefaultBodyLimit::max(settings.max_body_bytes).layer(routes),
        metrics: state.metrics.clone(),
        permits: Arc::new(Semaphore::new(settings.concurrency_limit)),
        timeout: settings.request_timeout(),
        max_body_bytes: settings.max_body_bytes,
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /docs",
    )
}

/// The middleware of every request, in one service: counts requests and their latency by
/// route, method and status (including the 503s below); sheds requests over the concurrency
/// limit with 503 `overloaded` instead of queueing them; answers 503 `timeout` when a request
/// takes longer than the request timeout. Both 503s carry Retry-After. Refuses what the
/// headers already condemn (see [`error::refuse_by_headers`]).
#[derive(Clone)]
struct Guard<S> {
    inner: S,
    metrics: Arc<Metrics>,
    /// Requests in flight hold a permit until their response is ready.
    permits: Arc<Semaphore>,
    timeout: Duration,
    max_body_bytes: usize,
}

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
        let route = route_index(request.uri().path());
        let method = request.method().clone();
        let refused = crate::error::refuse_by_headers(request.headers(), self.max_body_bytes);
        let permit = self.permits.clone().try_acquire_owned();
        let (inner, metrics, timeout) = (self.inner.clone(), self.metrics.clone(), self.timeout);
        Box::pin(async move {
            let response = match (refused, permit) {
                (Some(refused), _) => refused.into_response(),
                (None, Ok(_permit)) => {
                    match tokio::time::timeout(timeout, inner.oneshot(request)).await {
                        Ok(Ok(response)) => response,
                        Err(_elapsed) => ApiError::new(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "timeout",
                            "the request took too long; retry shortly",
                        )
                        .into_response(),
                    }
                }
                (None, Err(_no_permit)) => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    "too many requests in flight; retry shortly",
                )
                .into_response(),
            };
            metrics.observe_request(
                route,
                &method,
                response.status(),
                started.elapsed().as_secs_f64(),
            );
            Ok(response)
        })
    }
}

/// A built service, bound and ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
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
        let state = Arc::new(AppState {
            recent: Arc::new(RecentPredictions::new(settings.recent_predictions)),
            settings: Arc::new(settings),
            registry,
            data_dir,
            instance: instance.into(),
            model: Arc::new(ArcSwapOption::empty()),
            metrics: Arc::new(Metrics::new()),
            prediction_log: Arc::new(prediction_log),
            feedback_log,
            feedback_index: Arc::new(Mutex::new(feedback_index)),
            feedback_stripes: Arc::new((0..64).map(|_| tokio::sync::Mutex::new(())).collect()),
            reload_lock: Arc::new(tokio::sync::Mutex::new(None)),
            disk_lookup: Arc::new(tokio::sync::Mutex::new(())),
        });
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
        let served = axum::serve(self.listener, axum::ServiceExt::into_make_service(app))
            .with_graceful_shutdown(shutdown)
            .await;
        poller.abort();
        let log = self.state.prediction_log.clone();
        tokio::task::spawn_blocking(move || log.flush()).await?;
        served.context("serving HTTP")
    }
}

/// Notices a changed `production` alias by itself.
async fn poll_registry(state: Arc<AppState>) {
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::header;

    use super::*;

    /// A guard around a handler that takes `delay`.
    fn guard(delay: Duration, limit: usize, timeout: Duration) -> Guard<axum::routing::Router> {
        let slow = move || async move {
            tokio::time::sleep(delay).await;
            "done"
        };
        Guard {
            inner: Router::new().route("/predict", post(slow)),
            metrics: Arc::new(Metrics::new()),
            permits: Arc::new(Semaphore::new(limit)),
            timeout,
            max_body_bytes: 1 << 20,
        }
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
        let mut guard = guard(Duration::from_secs(5), 4, Duration::from_millis(20));
        let response = guard.call(request()).await.unwrap();
        assert_503(response, "timeout").await;
        let served = guard
            .metrics
            .requests
            .with_label_values(&["/predict", "POST", "503"]);
        assert_eq!(served.get(), 1);
    }

    #[tokio::test]
    async fn requests_over_the_limit_are_shed_and_the_permit_comes_back() {
        let mut guard = guard(Duration::from_millis(200), 1, Duration::from_secs(5));
        let first = tokio::spawn(guard.call(request()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_503(guard.call(request()).await.unwrap(), "overloaded").await;
        assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
        assert_eq!(
            guard.call(request()).await.unwrap().status(),
            StatusCode::OK
        );
        let count = |status: &str| {
            guard
                .metrics
                .requests
                .with_label_values(&["/predict", "POST", status])
                .get()
        };
        assert_eq!((count("200"), count("503")), (2, 1));
    }
}
