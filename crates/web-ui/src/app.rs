//! The service: state, routes, the request context of every page, and `Application`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fraudloop_config::Home;
use fraudloop_http::{
    ApiError, ErrorCode, Guard, Limits, RequestMetrics, RouteTable, Routes, Server,
};
use prometheus::Registry;
use serde::de::DeserializeOwned;
use tower::Service;

use crate::clients::agent::FeedbackAgent;
use crate::clients::drift::DriftMonitor;
use crate::clients::predict::PredictApi;
use crate::clients::trainer::Trainer;
use crate::clients::Backend;
use crate::i18n::Lang;
use crate::pages;
use crate::session::{Flash, Session, SessionId, Sessions};
use crate::settings::Settings;

/// The services the web UI talks to.
#[derive(Clone)]
pub struct Backends {
    /// predict-api.
    pub predict: PredictApi,
    /// drift-monitor.
    pub drift: DriftMonitor,
    /// The trainer service.
    pub trainer: Trainer,
    /// feedback-agent.
    pub agent: FeedbackAgent,
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    /// The settings.
    pub settings: Arc<Settings>,
    /// The backends' clients.
    pub backends: Backends,
    /// Browser sessions.
    pub sessions: Sessions,
    /// The shared home (registry and logs are read from it).
    pub home: Home,
    registry: Registry,
    http: RequestMetrics,
}

impl AppState {
    /// A state for these settings.
    pub fn new(settings: Settings) -> AppState {
        let timeout = settings.backend_timeout();
        let backends = Backends {
            predict: PredictApi(Backend::new(
                "predict-api",
                &settings.predict_api_url,
                timeout,
            )),
            drift: DriftMonitor(Backend::new(
                "drift-monitor",
                &settings.drift_monitor_url,
                timeout,
            )),
            trainer: Trainer(Backend::new("trainer", &settings.trainer_url, timeout)),
            agent: FeedbackAgent(Backend::new(
                "feedback-agent",
                &settings.feedback_agent_url,
                timeout,
            )),
        };
        let registry = Registry::new();
        let http = RequestMetrics::new(&registry, route_table());
        AppState {
            sessions: Sessions::new(settings.session_idle()),
            home: Home::new(&settings.home),
            settings: Arc::new(settings),
            backends,
            registry,
            http,
        }
    }
}

/// What every page handler knows about its request: the language, the session (with its
/// CSRF token and sign-in), the path to come back to, and the notice to show once.
pub struct Ctx {
    /// The page language.
    pub lang: Lang,
    /// The session's id.
    pub id: SessionId,
    /// A copy of the session.
    pub session: Session,
    /// The request's path and query (where the language switch and forms come back to).
    pub here: String,
    /// The notice left by the previous action.
    pub flash: Option<Flash>,
}

impl Ctx {
    /// True when the session is signed in with the admin token.
    pub fn signed_in(&self) -> bool {
        self.session.admin_token.is_some()
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, ApiError> {
        let id = parts
            .extensions
            .get::<SessionId>()
            .cloned()
            .ok_or_else(|| ApiError::internal("session", "the session middleware did not run"))?;
        let flash = state.sessions.take_flash(&id);
        let session = state
            .sessions
            .get(&id)
            .ok_or_else(|| ApiError::internal("session", "the session vanished"))?;
        Ok(Ctx {
            lang: Lang::from_headers(&parts.headers),
            here: parts
                .uri
                .path_and_query()
                .map_or("/".into(), |p| p.as_str().to_string()),
            id,
            session,
            flash,
        })
    }
}

/// A form body (`application/x-www-form-urlencoded`), refused in the shared error shape.
pub struct FormData<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for FormData<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<FormData<T>, ApiError> {
        axum::Form::<T>::from_request(request, state)
            .await
            .map(|axum::Form(v)| FormData(v))
            .map_err(|e| {
                let status = e.status();
                let code = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    ErrorCode::UnsupportedMediaType
                } else if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ErrorCode::PayloadTooLarge
                } else {
                    ErrorCode::InvalidRequest
                };
                ApiError::new(status, code, e.body_text())
            })
    }
}

/// A path the browser may be sent back to: ours only (a relative path, never `//host`).
pub fn safe_back(back: &str) -> String {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.chars().any(char::is_control);
    if ok {
        back.to_string()
    } else {
        "/".into()
    }
}

/// 303 to `to` (a safe path).
pub fn see_other(to: &str) -> Response {
    Redirect::to(&safe_back(to)).into_response()
}

fn routes() -> Routes<AppState> {
    Routes::new()
        .get("/", pages::check::page)
        .post("/check", pages::check::check)
        .post("/actions/feedback", pages::check::feedback)
        .post("/actions/notify", pages::check::notify)
        .get("/screen", pages::screen::page)
        .post("/screen", pages::screen::upload)
        .get("/screen/scored.csv", pages::screen::download)
        .get("/monitoring", pages::monitoring::page)
        .get("/monitoring/report.html", pages::monitoring::full_report)
        .post("/monitoring/run", pages::monitoring::run)
        .get("/models", pages::models::page)
        .post("/models/promote", pages::models::promote)
        .post("/models/rollback", pages::models::rollback)
        .post("/models/retrain", pages::models::retrain)
        .get("/feedback", pages::feedback::page)
        .post("/feedback/ask", pages::feedback::ask)
        .post("/session/sign-in", pages::layout::sign_in)
        .post("/session/sign-out", pages::layout::sign_out)
        .get("/lang", pages::layout::switch_language)
        .get("/assets/app.css", app_css)
        .get("/assets/app.js", app_js)
        .get("/health", fraudloop_http::health)
        .get("/ready", ready)
        .get("/metrics", metrics)
}

/// The routes the router serves.
pub fn route_table() -> RouteTable {
    routes().table()
}

/// Every route behind the session middleware and the shared request guard.
pub fn router(
    state: AppState,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let limits = Limits {
        // The upload limit is checked by the upload handler, which answers with a page; the
        // guard's limit only stops bodies far beyond it.
        max_body_bytes: state.settings.max_upload_bytes + 64 * 1024,
        // Pages wait on backends (a batch of 1000 rows, a drift report run now).
        request_timeout: state.settings.backend_timeout() + std::time::Duration::from_secs(5),
        ..Limits::default()
    };
    let metrics = state.http.clone();
    let router = routes()
        .into_router()
        .layer(axum::middleware::from_fn_with_state(
            state.sessions.clone(),
            crate::session::ensure_session,
        ))
        .with_state(state);
    Guard::new(router, metrics, limits)
}

const APP_CSS: &str = include_str!("../assets/app.css");
const APP_JS: &str = include_str!("../assets/app.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// `GET /ready`: the UI serves as soon as it listens; a backend that is down is shown on the
/// pages that need it, so it never makes the UI unready (a load balancer would otherwise
/// hide the page that says what is missing).
async fn ready() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ready"}))
}

async fn metrics(State(state): State<AppState>) -> Response {
    fraudloop_http::metrics::text_response(fraudloop_http::metrics::render(&state.registry))
}

/// A built service, bound and ready to run.
pub struct Application {
    server: Server,
    state: AppState,
}

impl Application {
    /// Binds the listener (port 0 works).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let server = Server::bind(settings.addr).await?;
        Ok(Application {
            server,
            state: AppState::new(settings),
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.server.serve(router(self.state), shutdown).await
    }
}
