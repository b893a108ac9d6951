//! Models: the registry's versions with their metrics and data fingerprints, the aliases, the
//! promotion and rollback history, the trainer's jobs (rejected candidates with their reasons)
//! and the policy's decisions; promote, roll back and retrain for a signed-in operator.
//!
//! The registry is read from the shared home (as every service reads it); promote and roll
//! back change its aliases through `artifact-store`, under its lock, exactly as the trainer's
//! command line does, then ask predict-api to reload at once (it would within seconds anyway).

use artifact_store::ModelVersion;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fraudloop_html::format::{time, Text};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{admin_token, backend_notice, check_csrf, csrf, page as frame, Nav};
use crate::app::{see_other, AppState, Ctx, FormData};
use crate::clients::trainer::{Decision, Job};
use crate::clients::BackendError;
use crate::i18n::{Lang, Msg};

/// One version as the page shows it.
struct VersionRow {
    version: String,
    created: String,
    aliases: Vec<&'static str>,
    threshold: f64,
    fingerprint: String,
    rows: u64,
    fraud: u64,
    legit: u64,
    metrics: Value,
}

struct RegistryView {
    versions: Vec<VersionRow>,
    history: Vec<artifact_store::HistoryEvent>,
}

fn read_registry(home: &fraudloop_config::Home) -> Result<RegistryView, String> {
    let stores = fraudloop_stores::Stores::shared(home).map_err(|e| e.to_string())?;
    let registry = stores.registry();
    let list = registry.list().map_err(|e| e.to_string())?;
    let mut versions: Vec<VersionRow> = list
        .into_iter()
        .map(|info| {
            let m = &info.manifest;
            VersionRow {
                version: m.version.to_string(),
                created: time(&m.created_at),
                aliases: info.aliases.clone(),
                threshold: m.threshold,
                fingerprint: m.training_data.sha256.chars().take(12).collect(),
                rows: m.training_data.rows,
                fraud: m.training_data.fraud,
                legit: m.training_data.legit,
                metrics: registry.read_metrics(m.version).unwrap_or(Value::Null),
            }
        })
        .collect();
    versions.reverse();
    let mut history = registry.history().map_err(|e| e.to_string())?;
    history.reverse();
    Ok(RegistryView { versions, history })
}

fn metric(v: &Value, key: &str) -> String {
    v[key]
        .as_f64()
        .or_else(|| v["test"][key].as_f64())
        .map_or("—".into(), |x| format!("{x:.3}"))
}

fn registry_section(ctx: &Ctx, view: &Result<RegistryView, String>) -> Markup {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    match view {
        Err(e) => html! { div.notice.down role="alert" { p { (Text(e)) } } },
        Ok(view) if view.versions.is_empty() => html! { p.hint { (t(Msg::EmptyRegistry)) } },
        Ok(view) => html! {
            section.card aria-labelledby="versions" {
                h2 id="versions" { (t(Msg::Versions)) }
                div.table-wrap { table id="versions-table" {
                    thead { tr {
                        th scope="col" { (t(Msg::Version)) }
                        th scope="col" { (t(Msg::Aliases)) }
                        th scope="col" { "F1" } th scope="col" { "Precision" } th scope="col" { "Recall" } th scope="col" { "ROC-AUC" }
                        th scope="col" { (t(Msg::Threshold)) }
                        th scope="col" { (t(Msg::Data)) }
                        th scope="col" { (t(Msg::Created)) }
                    } }
                    tbody {
                        @for v in &view.versions {
                            tr data-version=(v.version) {
                                th scope="row" { code { (v.version) } }
                                td { @for a in &v.aliases { span.badge class=(a) { (a) } " " } }
                                td { (metric(&v.metrics, "f1")) }
                                td { (metric(&v.metrics, "precision")) }
                                td { (metric(&v.metrics, "recall")) }
                                td { (metric(&v.metrics, "roc_auc")) }
                                td { (format!("{:.3}", v.threshold)) }
                                td { code.small title="sha256" { (v.fingerprint) } " · " (v.rows) " (" (v.fraud) "/" (v.legit) ")" }
                                td.small { (v.created) }
                            }
                        }
                    }
                } }
            }
            section.card aria-labelledby="history" {
                h2 id="history" { (t(Msg::History)) }
                @if view.history.is_empty() { p.hint { (t(Msg::NoneYet)) } } @else {
                    div.table-wrap { table {
                        thead { tr {
                            th scope="col" { (t(Msg::When)) } th scope="col" { (t(Msg::What)) }
                            th scope="col" { (t(Msg::Version)) } th scope="col" { (t(Msg::Who)) } th scope="col" { (t(Msg::Why)) }
                        } }
                        tbody { @for e in view.history.iter().take(50) {
                            tr {
                                td.small { (time(&e.at)) }
                                td { (format!("{:?}", e.kind).to_lowercase()) }
                                td { code { (e.version.to_string()) } @if let Some(r) = e.replaced { " ← " code { (r.to_string()) } } }
                                td { (Text(&e.actor)) }
                                td { (Text(&e.reason)) }
                            }
                        } }
                    } }
                }
            }
            @if ctx.signed_in() { (admin_forms(ctx, view)) }
        },
    }
}

fn admin_forms(ctx: &Ctx, view: &RegistryView) -> Markup {
    let t = |m| ctx.lang.t(m);
    let candidates: Vec<&VersionRow> = view
        .versions
        .iter()
        .filter(|v| !v.aliases.contains(&"production"))
        .collect();
    html! {
        section.card.admin aria-labelledby="model-actions" {
            h2 id="model-actions" { (t(Msg::Actions)) }
            @if !candidates.is_empty() {
                form method="post" action="/models/promote" data-confirm=(t(Msg::Promote)) {
                    (csrf(ctx))
                    label for="promote-version" { (t(Msg::Version)) }
                    select id="promote-version" name="version" {
                        @for v in &candidates { option value=(v.version) { (v.version) } }
                    }
                    label for="promote-reason" { (t(Msg::Reason)) }
                    input id="promote-reason" name="reason" required maxlength="500";
                    button type="submit" id="promote" { (t(Msg::Promote)) }
                }
            }
            form method="post" action="/models/rollback" data-confirm=(t(Msg::Rollback)) {
                (csrf(ctx))
                label for="rollback-reason" { (t(Msg::Reason)) }
                input id="rollback-reason" name="reason" required maxlength="500";
                button type="submit" id="rollback" { (t(Msg::Rollback)) }
            }
            form method="post" action="/models/retrain" {
                (csrf(ctx))
                input type="hidden" name="key" value=(format!("web-ui-{}", uuid::Uuid::now_v7()));
                label for="retrain-reason" { (t(Msg::Reason)) }
                input id="retrain-reason" name="reason" required maxlength="500";
                button type="submit" id="retrain" { (t(Msg::Retrain)) }
            }
        }
    }
}

fn trainer_section(
    lang: Lang,
    jobs: &Result<Vec<Job>, BackendError>,
    decisions: &Result<Vec<Decision>, BackendError>,
) -> Markup {
    let t = |m| lang.t(m);
    html! {
        section.card aria-labelledby="jobs" id="trainer" {
            h2 id="jobs" { (t(Msg::Jobs)) }
            @match jobs {
                Err(e) => (backend_notice(lang, e)),
                Ok(jobs) if jobs.is_empty() => p.hint { (t(Msg::NoneYet)) },
                Ok(jobs) => {
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "id" } th scope="col" { (t(Msg::State)) } th scope="col" { (t(Msg::Reason)) }
                                     th scope="col" { (t(Msg::Version)) } th scope="col" { (t(Msg::When)) } } }
                        tbody { @for j in jobs.iter().take(20) {
                            tr { td { code.small { (Text(&j.id)) } } td { (Text(&j.state)) } td { (Text(&j.reason)) }
                                 td { (Text(j.candidate.as_deref().unwrap_or("—"))) } td.small { (Text(&j.created_at)) } }
                        } }
                    } }
                    h3 { (t(Msg::Rejected)) }
                    @let rejected: Vec<&Job> = jobs.iter().filter(|j| j.state == "rejected").collect();
                    @if rejected.is_empty() { p.hint { (t(Msg::NoneYet)) } } @else {
                        ul { @for j in rejected {
                            li { code { (Text(j.candidate.as_deref().unwrap_or(&j.id))) } ": " (Text(&j.verdict_reasons.join("; "))) }
                        } }
                    }
                }
            }
            h2 { (t(Msg::Decisions)) }
            @match decisions {
                Err(e) => (backend_notice(lang, e)),
                Ok(d) if d.is_empty() => p.hint { (t(Msg::NoneYet)) },
                Ok(d) => div.table-wrap { table {
                    thead { tr { th scope="col" { (t(Msg::When)) } th scope="col" { (t(Msg::What)) } th scope="col" { "rule" } th scope="col" { "outcome" } } }
                    tbody { @for x in d.iter().take(20) {
                        tr { td.small { (Text(&x.at)) } td { (Text(&x.action)) } td { (Text(&x.rule)) } td { (Text(&x.outcome)) } }
                    } }
                } },
            }
        }
    }
}

/// `GET /models`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let home = state.home.clone();
    let registry = tokio::task::spawn_blocking(move || read_registry(&home));
    let (served, jobs, decisions) = tokio::join!(
        state.backends.predict.model(),
        state.backends.trainer.jobs(),
        state.backends.trainer.decisions()
    );
    let registry = registry
        .await
        .unwrap_or_else(|e| Err(format!("reading the registry: {e}")));
    let body = html! {
        section.card aria-labelledby="served" {
            h2 id="served" { (t(Msg::Served)) }
            @match &served {
                Err(e) => (backend_notice(lang, e)),
                Ok(m) => p { (t(Msg::ModelVersion)) " " strong id="served-version" { (Text(m["model_version"].as_str().unwrap_or("—"))) }
                             " · " (t(Msg::Threshold)) " " (m["threshold"].as_f64().map_or("—".into(), |x| format!("{x:.3}"))) },
            }
        }
        (registry_section(&ctx, &registry))
        (trainer_section(lang, &jobs, &decisions))
    };
    frame(&ctx, &state, Nav::Models, Msg::ModelsTitle, body).into_response()
}

/// The forms of the model actions.
#[derive(Debug, Deserialize)]
pub struct ModelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    key: String,
}

/// Checks the form and the sign-in; the admin token, or the response to send.
fn authorise(ctx: &Ctx, state: &AppState, form: &ModelForm) -> Result<String, Box<Response>> {
    check_csrf(ctx, state, &form.csrf)?;
    admin_token(ctx, state)
}

fn reason(form: &ModelForm) -> String {
    let r = form.reason.trim();
    if r.is_empty() {
        "web UI".into()
    } else {
        r.chars().take(500).collect()
    }
}

/// Tells predict-api to load the new production model now; it polls anyway, so a failure
/// only delays it and is reported, not fatal.
async fn reload(state: &AppState, token: &str) -> String {
    match state.backends.predict.reload(token).await {
        Ok(v) => format!(
            "predict-api: {}",
            v["model_version"].as_str().unwrap_or("reloaded")
        ),
        Err(e) => e.to_string(),
    }
}

async fn change_aliases(state: AppState, ctx: Ctx, form: ModelForm, promote: bool) -> Response {
    let token = match authorise(&ctx, &state, &form) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    let why = reason(&form);
    let home = state.home.clone();
    let version = form.version.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let stores = fraudloop_stores::Stores::shared(&home).map_err(|e| e.to_string())?;
        let registry = stores.registry();
        let event = if promote {
            let version: ModelVersion = registry.resolve(&version).map_err(|e| e.to_string())?;
            registry.promote(version, "web-ui operator", &why)
        } else {
            registry.rollback("web-ui operator", &why)
        };
        event.map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match outcome {
        Ok(event) => {
            let reloaded = reload(&state, &token).await;
            let what = if promote {
                Msg::Promoted
            } else {
                Msg::RolledBack
            };
            state.sessions.flash(
                &ctx.id,
                true,
                format!("{}: {} ({reloaded})", ctx.lang.t(what), event.version),
            );
        }
        Err(e) => state.sessions.flash(&ctx.id, false, e),
    }
    see_other("/models")
}

/// `POST /models/promote` (admin).
pub async fn promote(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<ModelForm>,
) -> Response {
    change_aliases(state, ctx, form, true).await
}

/// `POST /models/rollback` (admin).
pub async fn rollback(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<ModelForm>,
) -> Response {
    change_aliases(state, ctx, form, false).await
}

/// `POST /models/retrain` (admin): a retraining job on the trainer service; the key rendered
/// into the form is its idempotency key, so a double submit starts one job.
pub async fn retrain(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<ModelForm>,
) -> Response {
    let token = match authorise(&ctx, &state, &form) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    let key = if form.key.starts_with("web-ui-") && form.key.len() < 80 {
        form.key.clone()
    } else {
        format!("web-ui-{}", uuid::Uuid::now_v7())
    };
    match state
        .backends
        .trainer
        .retrain(&token, &reason(&form), &key)
        .await
    {
        Ok(job) => state.sessions.flash(
            &ctx.id,
            true,
            format!("{}: {job}", ctx.lang.t(Msg::RetrainQueued)),
        ),
        Err(e) => state.sessions.flash(&ctx.id, false, e.to_string()),
    }
    see_other("/models")
}
