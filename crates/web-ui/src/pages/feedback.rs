//! Feedback & agent: the label balance and recent feedback (from the shared feedback log, so
//! every replica's labels count), feedback-agent's outbox and the operator's Q&A.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fraudloop_html::format::{time, Text};
use maud::{html, Markup};
use prod_data::FeedbackRecord;
use serde::Deserialize;

use super::check::label_text;
use super::layout::{backend_notice, check_csrf, csrf, page as frame, Nav};
use crate::app::{see_other, AppState, Ctx, FormData};
use crate::clients::BackendError;
use crate::i18n::{Lang, Msg};
use crate::session::AskedQuestion;

/// Labels by label and by source, and the latest records.
#[derive(Debug, Default)]
pub struct FeedbackSummary {
    /// Records per label.
    pub by_label: BTreeMap<String, usize>,
    /// Records per source.
    pub by_source: BTreeMap<String, usize>,
    /// The newest records, newest first.
    pub recent: Vec<FeedbackRecord>,
}

/// Reads every feedback record of the home.
pub fn summarise(home: &fraudloop_config::Home, keep: usize) -> FeedbackSummary {
    let mut summary = FeedbackSummary::default();
    let mut all: Vec<FeedbackRecord> = fraudloop_stores::Stores::shared(home)
        .ok()
        .and_then(|stores| stores.reader().feedback_since(None).ok())
        .unwrap_or_default();
    for r in &all {
        *summary.by_label.entry(r.label.clone()).or_default() += 1;
        *summary.by_source.entry(r.source.clone()).or_default() += 1;
    }
    all.sort_by_key(|r| std::cmp::Reverse(r.at));
    all.truncate(keep);
    summary.recent = all;
    summary
}

fn balance(lang: Lang, s: &FeedbackSummary) -> Markup {
    let t = |m| lang.t(m);
    let total: usize = s.by_label.values().sum();
    let fraud = s.by_label.get("fraud").copied().unwrap_or(0);
    let legit = s.by_label.get("legit").copied().unwrap_or(0);
    let share = if total > 0 {
        fraud as f64 / total as f64
    } else {
        0.0
    };
    html! {
        section.card aria-labelledby="balance" {
            h2 id="balance" { (t(Msg::LabelBalance)) }
            dl.facts {
                dt { (t(Msg::Fraud)) } dd id="count-fraud" { (fraud) }
                dt { (t(Msg::Legit)) } dd id="count-legit" { (legit) }
                dt { (t(Msg::Total)) } dd id="count-total" { (total) }
            }
            @if total > 0 {
                svg.balance viewBox="0 0 100 8" preserveAspectRatio="none" role="img"
                    aria-label=(format!("{}: {fraud} / {legit}", t(Msg::LabelBalance))) {
                    rect width=(format!("{:.1}", share * 100.0)) height="8" fill=(crate::charts::FRAUD) {}
                    rect x=(format!("{:.1}", share * 100.0)) width=(format!("{:.1}", (1.0 - share) * 100.0)) height="8" fill=(crate::charts::LEGIT) {}
                }
            }
            h3 { (t(Msg::BySource)) }
            p { @for (source, n) in &s.by_source { span.badge { (Text(source)) ": " (n) } " " } }
            h3 { (t(Msg::RecentFeedback)) }
            @if s.recent.is_empty() { p.hint { (t(Msg::NoneYet)) } } @else {
                div.table-wrap { table id="recent-feedback" {
                    thead { tr { th scope="col" { (t(Msg::When)) } th scope="col" { (t(Msg::Label)) }
                                 th scope="col" { (t(Msg::Source)) } th scope="col" { (t(Msg::Text)) } } }
                    tbody { @for r in &s.recent {
                        tr { td.small { (time(&r.at)) } td { (label_text(lang, &r.label)) } td { (Text(&r.source)) }
                             td.text { (Text(&r.text.chars().take(200).collect::<String>())) } }
                    } }
                } }
            }
        }
    }
}

fn outbox(
    lang: Lang,
    notices: &Result<Vec<crate::clients::agent::Notice>, BackendError>,
) -> Markup {
    let t = |m| lang.t(m);
    html! {
        section.card aria-labelledby="outbox" {
            h2 id="outbox" { (t(Msg::Outbox)) }
            @match notices {
                Err(e) => (backend_notice(lang, e)),
                Ok(n) if n.is_empty() => p.hint { (t(Msg::NoneYet)) },
                Ok(n) => div.table-wrap { table {
                    thead { tr { th scope="col" { (t(Msg::When)) } th scope="col" { "To" } th scope="col" { "Subject" } th scope="col" { "Delivery" } } }
                    tbody { @for x in n.iter().take(30) {
                        tr { td.small { (Text(&x.at)) } td { (Text(&x.to)) } td { (Text(&x.subject)) } td { (Text(&x.delivery)) } }
                    } }
                } },
            }
        }
    }
}

fn ask_box(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let asked = ctx.session.asked.as_ref();
    html! {
        section.card aria-labelledby="ask" id="ask-section" {
            h2 id="ask" { (t(Msg::AskTitle)) }
            form method="post" action="/feedback/ask" {
                (csrf(ctx))
                label for="question" { (t(Msg::Question)) }
                textarea id="question" name="question" rows="2" required maxlength="2000" {
                    (asked.map(|a| a.question.as_str()).unwrap_or_default())
                }
                label for="ask-prediction" { (t(Msg::PredictionId)) " (" (t(Msg::Optional)) ")" }
                input id="ask-prediction" name="prediction_id" maxlength="100";
                button.primary type="submit" { (t(Msg::Ask)) }
            }
            @if let Some(AskedQuestion { answer, .. }) = asked {
                @match answer {
                    Err(e) => div.notice.down role="alert" { p { (Text(e)) } },
                    Ok(a) => div.answer aria-live="polite" {
                        h3 { (t(Msg::Answer)) @if !a.path.is_empty() { " " span.badge { (Text(&a.path)) } } }
                        p.pre { (Text(&a.text)) }
                        @if !a.citations.is_empty() {
                            h4 { (t(Msg::Citations)) }
                            ol { @for c in &a.citations { li { code { (Text(&c.file)) } " — " (Text(&c.heading)) } } }
                        }
                    },
                }
            }
        }
    }
}

/// `GET /feedback`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let home = state.home.clone();
    let summary = tokio::task::spawn_blocking(move || summarise(&home, 20));
    let notices = state
        .backends
        .agent
        .outbox(ctx.session.admin_token.as_deref())
        .await;
    let summary = summary.await.unwrap_or_default();
    let body = html! {
        (balance(lang, &summary))
        (outbox(lang, &notices))
        (ask_box(&ctx))
    };
    frame(&ctx, &state, Nav::Feedback, Msg::FeedbackTitle, body).into_response()
}

/// The question form.
#[derive(Debug, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    prediction_id: String,
}

/// `POST /feedback/ask`: the agent's cited answer, kept in the session for the page.
pub async fn ask(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<AskForm>,
) -> Response {
    if let Err(refused) = check_csrf(&ctx, &state, &form.csrf) {
        return *refused;
    }
    let question: String = form.question.trim().chars().take(2000).collect();
    let answer = state
        .backends
        .agent
        .ask(&question, Some(form.prediction_id.trim()))
        .await
        .map_err(|e| e.to_string());
    state.sessions.update(&ctx.id, |s| {
        s.asked = Some(AskedQuestion { question, answer })
    });
    see_other("/feedback#ask-section")
}
