//! Check a message: the text box with examples, the result card (gauge, label, risk level,
//! model version, the message with its terms marked) and the actions on a prediction
//! (operator feedback, notify the person concerned).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fraudloop_html::format::Text;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{back, backend_notice, check_csrf, csrf, page as frame, Nav};
use crate::app::{see_other, AppState, Ctx, FormData};
use crate::charts::{gauge, level_colour};
use crate::clients::predict::Prediction;
use crate::highlight::{highlight, Piece};
use crate::i18n::{Lang, Msg};

/// Example messages: scams and look-alike legitimate ones, in both languages.
const EXAMPLES: [(&str, &str); 6] = [
    (
        "Parcel / 包裹",
        "您的包裹因地址不详被扣留，请点击 http://sf-express-help.top/x 补缴运费",
    ),
    (
        "Bank / 银行",
        "URGENT: your bank account has been suspended. Verify your identity now at http://secure-bank-verify.top/login",
    ),
    (
        "Prize / 中奖",
        "Congratulations! You WON a FREE iPhone, claim at http://prize-now.xyz before midnight",
    ),
    ("OTP / 验证码", "Your OTP is 482913. Do not share it with anyone, including our staff."),
    ("Lunch / 午饭", "hey, are we still on for lunch tomorrow? I'll bring the meeting notes"),
    ("快递 / Delivery", "【顺丰速运】您的快件已由前台代收，如有疑问请联系快递员。"),
];

/// The label in the page language.
pub fn label_text(lang: Lang, label: &str) -> &'static str {
    match label {
        "fraud" => lang.t(Msg::Fraud),
        _ => lang.t(Msg::Legit),
    }
}

/// The risk level in the page language.
pub fn level_text(lang: Lang, level: &str) -> &'static str {
    match level {
        "high" => lang.t(Msg::High),
        "medium" => lang.t(Msg::Medium),
        _ => lang.t(Msg::Low),
    }
}

/// The buttons acting on one prediction: fraud, legit, notify.
pub fn prediction_actions(ctx: &Ctx, prediction_id: &str, compact: bool) -> Markup {
    let t = |m| ctx.lang.t(m);
    html! {
        div.actions {
            form.inline method="post" action="/actions/feedback" {
                (csrf(ctx)) (back(ctx))
                input type="hidden" name="prediction_id" value=(prediction_id);
                button.fraud type="submit" name="label" value="fraud" data-action="mark-fraud" {
                    @if compact { (t(Msg::Fraud)) } @else { (t(Msg::MarkFraud)) }
                }
                button.legit type="submit" name="label" value="legit" data-action="mark-legit" {
                    @if compact { (t(Msg::Legit)) } @else { (t(Msg::MarkLegit)) }
                }
            }
            form.inline method="post" action="/actions/notify" {
                (csrf(ctx)) (back(ctx))
                input type="hidden" name="prediction_id" value=(prediction_id);
                button type="submit" data-action="notify" title=(t(Msg::Notify)) {
                    @if compact { "✉" span.visually-hidden { (t(Msg::Notify)) } } @else { (t(Msg::Notify)) }
                }
            }
        }
    }
}

/// The message with its terms marked.
pub fn marked_message(text: &str, p: &Prediction) -> Markup {
    html! {
        p.message lang="" {
            @for piece in highlight(text, &p.top_terms) {
                @match piece {
                    Piece::Plain(s) => (Text(s)),
                    Piece::Term(s, w) => {
                        mark class=(if w > 0.0 { "term fraud" } else { "term legit" })
                            title=(format!("{w:+.3}")) { (Text(s)) }
                    }
                }
            }
        }
    }
}

fn result_card(ctx: &Ctx, text: &str, p: &Prediction) -> Markup {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let aria = format!(
        "{} {:.0}%, {} {}",
        t(Msg::RiskScore),
        p.risk_score * 100.0,
        t(Msg::RiskLevel),
        level_text(lang, &p.risk_level)
    );
    html! {
        section.card.result id="result" aria-labelledby="result-title" {
            h2 id="result-title" { (t(Msg::Result)) }
            div.result-grid {
                (gauge(p.risk_score, p.threshold, &p.risk_level, &aria))
                dl.facts {
                    dt { (t(Msg::Label)) }
                    dd { strong.label data-label=(p.label) style=(format!("color:{}", level_colour(if p.label == "fraud" { "high" } else { "low" }))) {
                        (label_text(lang, &p.label))
                    } }
                    dt { (t(Msg::RiskLevel)) }
                    dd { span.level data-level=(p.risk_level) { (level_text(lang, &p.risk_level)) } }
                    dt { (t(Msg::RiskScore)) }
                    dd { (format!("{:.3}", p.risk_score)) " (" (t(Msg::Threshold)) " " (format!("{:.3}", p.threshold)) ")" }
                    dt { (t(Msg::ModelVersion)) }
                    dd { code { (Text(&p.model_version)) } }
                    dt { (t(Msg::PredictionId)) }
                    dd { code.small { (Text(&p.prediction_id)) } }
                }
            }
            h3 { (t(Msg::TermsTitle)) }
            (marked_message(text, p))
            @if p.top_terms.is_empty() {
                p.hint { (t(Msg::NoTerms)) }
            } @else {
                ul.terms {
                    @for term in &p.top_terms {
                        li class=(if term.weight > 0.0 { "fraud" } else { "legit" }) {
                            code { (Text(&term.term)) } " "
                            (format!("{:+.3}", term.weight)) " · "
                            (if term.weight > 0.0 { t(Msg::TermsFraud) } else { t(Msg::TermsLegit) })
                        }
                    }
                }
            }
            h3 { (t(Msg::Actions)) }
            (prediction_actions(ctx, &p.prediction_id, false))
        }
    }
}

/// The page: the form (holding `typed` when a check failed), then the error or the last
/// result of this session.
fn render(state: &AppState, ctx: &Ctx, typed: Option<&str>, error: Option<Markup>) -> Response {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let (text, result) = match (typed, &ctx.session.checked) {
        (Some(typed), _) => (typed, None),
        (None, Some((text, p))) => (text.as_str(), Some(p)),
        (None, None) => ("", None),
    };
    let body = html! {
        p.intro { (t(Msg::CheckIntro)) }
        form.card method="post" action="/check" {
            (csrf(ctx))
            label for="text" { (t(Msg::MessageLabel)) }
            textarea id="text" name="text" rows="5" required maxlength="20000" { (text) }
            div.row {
                label for="channel" { (t(Msg::Channel)) }
                select id="channel" name="channel" {
                    option value="" { "—" }
                    @for c in ["sms", "email", "chat"] { option value=(c) { (c) } }
                }
                button.primary type="submit" id="check-button" { (t(Msg::CheckButton)) }
            }
            fieldset.examples {
                legend { (t(Msg::Examples)) }
                @for (name, example) in EXAMPLES {
                    button type="button" class="example" data-example=(example) { (name) }
                }
            }
        }
        @if let Some(error) = error { (error) }
        @if let Some(p) = result { (result_card(ctx, text, p)) }
    };
    frame(ctx, state, Nav::Check, Msg::CheckTitle, body).into_response()
}

/// `GET /`: the form, and the last result of this session.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    render(&state, &ctx, None, None)
}

/// The check form.
#[derive(Debug, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    channel: String,
}

/// `POST /check`: scores the message; the result is kept in the session and shown by `GET /`
/// (so reloading the page does not score it again).
pub async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<CheckForm>,
) -> Response {
    if let Err(refused) = check_csrf(&ctx, &state, &form.csrf) {
        return *refused;
    }
    let channel = Some(form.channel.as_str()).filter(|c| ["sms", "email", "chat"].contains(c));
    match state.backends.predict.predict(&form.text, channel).await {
        Ok(p) => {
            let text = form.text.clone();
            state
                .sessions
                .update(&ctx.id, |s| s.checked = Some((text, p)));
            see_other("/#result")
        }
        Err(e) => {
            // The typed text stays in the box, with what went wrong under it; a refused text
            // (empty, too long) is the user's to fix, a service that is down is not.
            let notice = backend_notice(ctx.lang, &e);
            let mut response = render(&state, &ctx, Some(&form.text), Some(notice));
            if !e.is_down() {
                *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            }
            response
        }
    }
}

/// An action on one prediction.
#[derive(Debug, Deserialize)]
pub struct PredictionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    prediction_id: String,
    #[serde(default)]
    label: String,
}

/// `POST /actions/feedback`: the operator's label, sent to predict-api with `source=operator`.
pub async fn feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<PredictionForm>,
) -> Response {
    if let Err(refused) = check_csrf(&ctx, &state, &form.csrf) {
        return *refused;
    }
    let lang = ctx.lang;
    match state
        .backends
        .predict
        .feedback(&form.prediction_id, &form.label)
        .await
    {
        Ok(_) => state.sessions.flash(
            &ctx.id,
            true,
            format!(
                "{}: {} → {}",
                lang.t(Msg::FeedbackRecorded),
                form.prediction_id,
                label_text(lang, &form.label)
            ),
        ),
        Err(e) => state.sessions.flash(&ctx.id, false, e.to_string()),
    }
    see_other(&form.back)
}

/// `POST /actions/notify`: feedback-agent explains the prediction to the person concerned.
pub async fn notify(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<PredictionForm>,
) -> Response {
    if let Err(refused) = check_csrf(&ctx, &state, &form.csrf) {
        return *refused;
    }
    let locale = if ctx.lang == Lang::Zh { "zh" } else { "en" };
    match state
        .backends
        .agent
        .notify(&form.prediction_id, locale)
        .await
    {
        Ok(notice) => state.sessions.flash(
            &ctx.id,
            true,
            format!(
                "{}: {} {}",
                ctx.lang.t(Msg::NotifySent),
                notice.subject,
                notice.delivery
            ),
        ),
        Err(e) => state.sessions.flash(&ctx.id, false, e.to_string()),
    }
    see_other(&form.back)
}
