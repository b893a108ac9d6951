//! The frame of every page (header, navigation, language switch, sign-in, notices), the
//! shared pieces of forms, and the session actions (sign in, sign out, language).

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use fraudloop_html::format::Text;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::app::{safe_back, see_other, AppState, Ctx, FormData};
use crate::clients::BackendError;
use crate::i18n::{Lang, Msg, LANG_COOKIE};

/// The pages of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/`.
    Check,
    /// `/screen`.
    Screen,
    /// `/monitoring`.
    Monitoring,
    /// `/models`.
    Models,
    /// `/feedback`.
    Feedback,
}

const NAV: [(Nav, &str, Msg); 5] = [
    (Nav::Check, "/", Msg::NavCheck),
    (Nav::Screen, "/screen", Msg::NavScreen),
    (Nav::Monitoring, "/monitoring", Msg::NavMonitoring),
    (Nav::Models, "/models", Msg::NavModels),
    (Nav::Feedback, "/feedback", Msg::NavFeedback),
];

/// The hidden CSRF field every form carries.
pub fn csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.session.csrf); }
}

/// The hidden field naming the page to come back to.
pub fn back(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="back" value=(ctx.here); }
}

/// A whole page.
pub fn page(ctx: &Ctx, state: &AppState, active: Nav, title: Msg, main: Markup) -> Html<String> {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let other = lang.other();
    let switch = format!(
        "/lang?to={}&back={}",
        if other == Lang::Zh { "zh" } else { "en" },
        encode(&ctx.here)
    );
    let admin_enabled = state.settings.admin_token.is_some();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (t(title)) " · " (t(Msg::AppName)) }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { (t(Msg::SkipToContent)) }
                header.top {
                    div.brand { a href="/" { (t(Msg::AppName)) } }
                    nav aria-label=(t(Msg::AppName)) {
                        ul {
                            @for (nav, href, msg) in NAV {
                                li {
                                    @if nav == active {
                                        a href=(href) aria-current="page" { (t(msg)) }
                                    } @else {
                                        a href=(href) { (t(msg)) }
                                    }
                                }
                            }
                        }
                    }
                    div.tools {
                        a.lang href=(switch) hreflang=(other.code()) lang=(other.code()) id="lang-switch" {
                            (other.name())
                        }
                        @if ctx.signed_in() {
                            form.inline method="post" action="/session/sign-out" {
                                (csrf(ctx)) (back(ctx))
                                span.badge { (t(Msg::AdminSignedIn)) }
                                button type="submit" { (t(Msg::SignOut)) }
                            }
                        } @else if admin_enabled {
                            details.signin {
                                summary { (t(Msg::SignIn)) }
                                form method="post" action="/session/sign-in" {
                                    (csrf(ctx)) (back(ctx))
                                    p.hint { (t(Msg::SignInHint)) }
                                    label for="admin-token" { (t(Msg::AdminToken)) }
                                    input id="admin-token" type="password" name="token"
                                        autocomplete="current-password" required;
                                    button type="submit" { (t(Msg::SignIn)) }
                                }
                            }
                        }
                    }
                }
                main id="main" {
                    @if let Some(flash) = &ctx.flash {
                        @if flash.ok {
                            p.flash.ok role="status" { (Text(&flash.text)) }
                        } @else {
                            p.flash.error role="alert" { (Text(&flash.text)) }
                        }
                    }
                    h1 { (t(title)) }
                    (main)
                }
            }
        }
    };
    Html(markup.into_string())
}

/// Percent-encodes a path for a query parameter.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The notice shown where a backend's part of the page would be.
pub fn backend_notice(lang: Lang, error: &BackendError) -> Markup {
    let t = |m| lang.t(m);
    match error {
        BackendError::Down {
            service,
            url,
            detail,
        } => html! {
            div.notice.down role="alert" {
                p { strong { (service) " " (t(Msg::ServiceDown)) } " (" (Text(detail)) ")." }
                p { (t(Msg::ServiceDownHint)) " " code { (Text(url)) } }
            }
        },
        BackendError::Status {
            service,
            status,
            message,
            ..
        } => html! {
            div.notice.down role="alert" {
                p { strong { (service) " " (t(Msg::ServiceError)) " " (status) } ": " (Text(message)) }
            }
        },
        BackendError::Invalid { service, detail } => html! {
            div.notice.down role="alert" {
                p { strong { (service) } ": " (Text(detail)) }
            }
        },
    }
}

/// A page answering a refused action (stale form, not signed in) with its status.
pub fn refusal(ctx: &Ctx, state: &AppState, status: StatusCode, message: Msg) -> Response {
    let body = html! {
        p.flash.error role="alert" { (ctx.lang.t(message)) }
        p { a href="/" { "← " (ctx.lang.t(Msg::NavCheck)) } }
    };
    (status, page(ctx, state, Nav::Check, Msg::Actions, body)).into_response()
}

/// True when the form's CSRF token is this session's; otherwise the 403 page to answer.
pub fn check_csrf(ctx: &Ctx, state: &AppState, presented: &str) -> Result<(), Box<Response>> {
    if state.sessions.csrf_ok(&ctx.id, presented) {
        Ok(())
    } else {
        Err(Box::new(refusal(
            ctx,
            state,
            StatusCode::FORBIDDEN,
            Msg::StaleForm,
        )))
    }
}

/// The session's admin token, or the 401 page to answer.
pub fn admin_token(ctx: &Ctx, state: &AppState) -> Result<String, Box<Response>> {
    let missing = if state.settings.admin_token.is_none() {
        Msg::AdminDisabled
    } else {
        Msg::NeedsSignIn
    };
    ctx.session
        .admin_token
        .clone()
        .ok_or_else(|| Box::new(refusal(ctx, state, StatusCode::UNAUTHORIZED, missing)))
}

/// A form with only the CSRF token and the page to come back to.
#[derive(Debug, Deserialize)]
pub struct PlainForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

impl PlainForm {
    /// The form's CSRF token.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /session/sign-in`.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    token: String,
}

/// `POST /session/sign-in`: checks the token against `WEB_UI_ADMIN_TOKEN` and keeps it in the
/// session (on the server) for the backends' admin endpoints.
pub async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<SignInForm>,
) -> Response {
    if let Err(refused) = check_csrf(&ctx, &state, &form.csrf) {
        return *refused;
    }
    let Some(expected) = &state.settings.admin_token else {
        return refusal(&ctx, &state, StatusCode::UNAUTHORIZED, Msg::AdminDisabled);
    };
    if !expected.matches(form.token.trim()) {
        // Never echoed, never logged.
        return refusal(&ctx, &state, StatusCode::UNAUTHORIZED, Msg::WrongToken);
    }
    let token = form.token.trim().to_string();
    state
        .sessions
        .update(&ctx.id, |s| s.admin_token = Some(token));
    state.sessions.rotate_csrf(&ctx.id);
    state
        .sessions
        .flash(&ctx.id, true, ctx.lang.t(Msg::SignedIn));
    see_other(&form.back)
}

/// `POST /session/sign-out`.
pub async fn sign_out(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<PlainForm>,
) -> Response {
    if let Err(refused) = check_csrf(&ctx, &state, &form.csrf) {
        return *refused;
    }
    state.sessions.update(&ctx.id, |s| s.admin_token = None);
    state.sessions.rotate_csrf(&ctx.id);
    state
        .sessions
        .flash(&ctx.id, true, ctx.lang.t(Msg::SignedOut));
    see_other(&form.back)
}

/// `GET /lang?to=zh&back=/models`.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    to: String,
    #[serde(default)]
    back: String,
}

/// `GET /lang`: remembers the language in a cookie (a preference, nothing else) and goes back.
pub async fn switch_language(Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.to).unwrap_or(Lang::En);
    let mut response = see_other(&safe_back(&q.back));
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        if lang == Lang::Zh { "zh" } else { "en" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
