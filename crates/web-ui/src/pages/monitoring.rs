//! Monitoring: drift-monitor's latest report in short, trends from its report index, the
//! predictions per hour from the shared logs, the full report and "run now".

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Timelike, Utc};
use fraudloop_html::format::{num, pct, Text};
use maud::{html, Markup};
use serde_json::Value;

use super::layout::{admin_token, backend_notice, check_csrf, csrf, page as frame, Nav, PlainForm};
use crate::app::{see_other, AppState, Ctx, FormData};
use crate::charts::{line_chart, stacked_bars, Series, BLUE, FRAUD};
use crate::i18n::{Lang, Msg};

fn yes_no(lang: Lang, v: &Value) -> &'static str {
    if v.as_bool().unwrap_or(false) {
        lang.t(Msg::Detected)
    } else {
        lang.t(Msg::NotDetected)
    }
}

fn n(v: &Value) -> String {
    v.as_f64().map_or("—".into(), num)
}

fn summary(lang: Lang, r: &Value) -> Markup {
    let t = |m| lang.t(m);
    let enough = r["window"]["enough_data"].as_bool().unwrap_or(false);
    let drifted: Vec<&str> = r["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["drifted"].as_bool().unwrap_or(false))
        .filter_map(|c| c["name"].as_str())
        .collect();
    let words: Vec<&str> = r["text_drift"]["top_words"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["word"].as_str())
        .take(10)
        .collect();
    let perf = &r["performance"];
    let est = &r["estimated_performance"];
    html! {
        section.card aria-labelledby="latest" id="latest-report" {
            h2 id="latest" { (t(Msg::LatestReport)) }
            p.status { strong { (Text(r["status"].as_str().unwrap_or_default())) } }
            dl.facts {
                dt { (t(Msg::Generated)) } dd { (full_time(&r["generated_at"])) }
                dt { (t(Msg::ModelVersion)) } dd { code { (Text(r["model_version"].as_str().unwrap_or_default())) } }
                dt { (t(Msg::Window)) } dd { (count(&r["window"]["rows"])) " / " (count(&r["window"]["reference_rows"])) }
                @if !enough {
                    dt { (t(Msg::DatasetDrift)) } dd { (t(Msg::NotEnoughData)) }
                } @else {
                    dt { (t(Msg::DatasetDrift)) }
                    dd { (yes_no(lang, &r["dataset_drift"])) " · " (pct(r["drift_share"].as_f64().unwrap_or(f64::NAN))) }
                    dt { (t(Msg::DriftedColumns)) }
                    dd { @if drifted.is_empty() { "—" } @else { (Text(&drifted.join(", "))) } }
                    dt { (t(Msg::TextDrift)) }
                    dd { (yes_no(lang, &r["text_drift"]["detected"])) " · AUC " (n(&r["text_drift"]["roc_auc"]))
                         " (" (t(Msg::Threshold)) " " (n(&r["text_drift"]["threshold"])) ")" }
                    @if !words.is_empty() {
                        dt { (t(Msg::NewWords)) }
                        dd { @for w in &words { code.word { (Text(w)) } " " } }
                    }
                    dt { (t(Msg::Psi)) }
                    dd { (n(&r["psi"]["value"])) " · " (Text(r["psi"]["band"].as_str().unwrap_or("—"))) }
                }
                dt { (t(Msg::Measured)) }
                dd {
                    @if perf["measured"].as_bool().unwrap_or(false) {
                        "F1 " (n(&perf["current"]["f1"])) " · " (t(Msg::Validation)) " " (n(&perf["reference"]["f1"]))
                        " (" (n(&perf["degradation_points"]["f1"])) " pt)"
                    } @else {
                        "— (" (n(&perf["labelled_rows"])) ")"
                    }
                }
                dt { (t(Msg::Estimated)) }
                dd { @if est.is_object() { "F1 " (n(&est["f1"])) } @else { "—" } }
            }
            p { a.button href="/monitoring/report.html" id="full-report" { (t(Msg::FullReport)) } }
        }
    }
}

fn count(v: &Value) -> String {
    v.as_u64().map_or("—".into(), |n| n.to_string())
}

fn full_time(v: &Value) -> String {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| fraudloop_html::format::time(&t.with_timezone(&Utc)))
        .unwrap_or_else(|| "—".into())
}

fn short_time(v: &Value) -> String {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc).format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn trends(lang: Lang, points: &[Value]) -> Markup {
    let t = |m| lang.t(m);
    let first = points
        .first()
        .map(|p| short_time(&p["generated_at"]))
        .unwrap_or_default();
    let last = points
        .last()
        .map(|p| short_time(&p["generated_at"]))
        .unwrap_or_default();
    let values = |key: &str| points.iter().map(|p| p[key].as_f64()).collect::<Vec<_>>();
    html! {
        h3 { (t(Msg::DriftShareTrend)) }
        (line_chart(t(Msg::DriftShareTrend), &[Series { name: t(Msg::DriftShareTrend), colour: FRAUD, values: values("drift_share") }], &first, &last, 1.0))
        h3 { (t(Msg::F1Trend)) }
        (line_chart(t(Msg::F1Trend), &[
            Series { name: t(Msg::Measured), colour: BLUE, values: values("f1_measured") },
            Series { name: t(Msg::Estimated), colour: FRAUD, values: values("f1_estimated") },
        ], &first, &last, 1.0))
    }
}

/// Predictions per hour of the last 24 hours, fraud and legit, from the shared logs.
fn per_hour(home: &fraudloop_config::Home, now: DateTime<Utc>) -> Vec<(usize, usize)> {
    let start = (now - Duration::hours(23))
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let mut slots: BTreeMap<i64, (usize, usize)> = (0..24).map(|h| (h, (0, 0))).collect();
    let Ok(stores) = fraudloop_stores::Stores::shared(home) else {
        return slots.into_values().collect();
    };
    let mut count = |r: prod_data::PredictionRecord| {
        let hour = (r.at - start).num_hours();
        if r.at >= start && hour < 24 {
            let slot = slots.entry(hour).or_default();
            if r.predicted_label == "fraud" {
                slot.0 += 1;
            } else {
                slot.1 += 1;
            }
        }
    };
    // Files are streamed; a database answers for the last day in one query.
    match stores.data_dir() {
        Some(dir) => {
            let _ = prod_data::read_records(&prod_data::predictions_dir(dir), count);
        }
        None => {
            if let Ok(records) = stores.reader().prediction_window(Some(start), usize::MAX) {
                records.into_iter().for_each(&mut count);
            }
        }
    }
    slots.into_values().collect()
}

/// `GET /monitoring`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let drift = &state.backends.drift;
    let (latest, history) = tokio::join!(drift.latest(), drift.history());
    let home = state.home.clone();
    let now = Utc::now();
    let hours = tokio::task::spawn_blocking(move || per_hour(&home, now))
        .await
        .unwrap_or_default();
    let body = html! {
        @match &latest {
            Err(e) => (backend_notice(lang, e)),
            Ok(None) => p.hint { (t(Msg::NoReportYet)) },
            Ok(Some(report)) => (summary(lang, report)),
        }
        @if ctx.signed_in() {
            form method="post" action="/monitoring/run" {
                (csrf(&ctx))
                button.primary type="submit" id="run-now" { (t(Msg::RunNow)) }
            }
        }
        section.card aria-labelledby="trends" {
            h2 id="trends" { (t(Msg::Trends)) }
            @match &history {
                Err(e) => (backend_notice(lang, e)),
                Ok(points) if points.is_empty() => p.hint { (t(Msg::NoData)) },
                Ok(points) => (trends(lang, points)),
            }
            h3 { (t(Msg::PredictionsPerHour)) }
            @if hours.iter().all(|(f, l)| f + l == 0) {
                p.hint { (t(Msg::NoData)) }
            } @else {
                (stacked_bars(t(Msg::PredictionsPerHour), &hours, (t(Msg::Fraud), t(Msg::Legit)), t(Msg::DayAgo), t(Msg::Now)))
            }
        }
    };
    frame(&ctx, &state, Nav::Monitoring, Msg::MonitoringTitle, body).into_response()
}

/// `GET /monitoring/report.html`: drift-monitor's full page, through the web UI (so only the
/// UI needs to be reachable from the analyst's browser).
pub async fn full_report(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.backends.drift.latest_html().await {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(e) => {
            let body = backend_notice(ctx.lang, &e);
            frame(&ctx, &state, Nav::Monitoring, Msg::LatestReport, body).into_response()
        }
    }
}

/// `POST /monitoring/run` (admin): a report now.
pub async fn run(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<PlainForm>,
) -> Response {
    if let Err(refused) = check_csrf(&ctx, &state, form.csrf()) {
        return *refused;
    }
    let token = match admin_token(&ctx, &state) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    match state.backends.drift.run(&token).await {
        Ok(report) => state.sessions.flash(
            &ctx.id,
            true,
            format!(
                "{}: {}",
                ctx.lang.t(Msg::ReportRun),
                report["status"].as_str().unwrap_or_default()
            ),
        ),
        Err(e) => state.sessions.flash(&ctx.id, false, e.to_string()),
    }
    see_other("/monitoring")
}
