//! Screen a file: a CSV upload scored by predict-api, the results table (sortable, filtered
//! by risk level), the risk distribution, the scored CSV and per-row actions.

use std::sync::Arc;

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fraudloop_html::format::Text;
use maud::{html, Markup};
use serde::Deserialize;

use super::check::{label_text, level_text, prediction_actions};
use super::layout::{backend_notice, check_csrf, csrf, page as frame, Nav};
use crate::app::{see_other, AppState, Ctx};
use crate::charts::{histogram, level_colour, FRAUD, LEGIT, MEDIUM};
use crate::clients::predict::BatchItem;
use crate::i18n::Msg;
use crate::screen::{texts_of, Screened, BINS};

/// Rows shown in the table (all of them are in the download).
const TABLE_ROWS: usize = 1000;

/// `?level=high`: the table's filter without JavaScript.
#[derive(Debug, Default, Deserialize)]
pub struct ScreenQuery {
    #[serde(default)]
    level: String,
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn render(state: &AppState, ctx: &Ctx, level: &str, error: Option<Markup>) -> Response {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let max = state.settings.max_upload_bytes;
    let screened = ctx.session.screened.clone();
    let body = html! {
        p.intro { (t(Msg::ScreenIntro)) }
        form.card method="post" action="/screen" enctype="multipart/form-data" id="upload-form" {
            (csrf(ctx))
            label for="file" { (t(Msg::CsvFile)) }
            input id="file" type="file" name="file" accept=".csv,text/csv" required
                data-max-bytes=(max) aria-describedby="file-hint";
            p.hint id="file-hint" { (t(Msg::MaxSize)) ": " (mb(max)) }
            p.flash.error id="file-error" role="alert" hidden
                data-too-large=(format!("{} ({})", t(Msg::TooLarge), mb(max))) {}
            button.primary type="submit" { (t(Msg::Upload)) }
        }
        @if let Some(error) = error { (error) }
        @match &screened {
            None => p.hint { (t(Msg::NoScreen)) },
            Some(s) => (results(ctx, s, level)),
        }
    };
    frame(ctx, state, Nav::Screen, Msg::ScreenTitle, body).into_response()
}

fn results(ctx: &Ctx, s: &Screened, level: &str) -> Markup {
    let lang = ctx.lang;
    let t = |m| lang.t(m);
    let (scored, failed) = s.counts();
    let levels = s.levels();
    let colour = |bin: usize| {
        let mid = (bin as f64 + 0.5) / BINS as f64;
        if mid >= 0.7 {
            FRAUD
        } else if mid >= 0.3 {
            MEDIUM
        } else {
            LEGIT
        }
    };
    let aria = format!(
        "{}: {} {}, {} {}, {} {}",
        t(Msg::Distribution),
        levels[0],
        t(Msg::Low),
        levels[1],
        t(Msg::Medium),
        levels[2],
        t(Msg::High)
    );
    html! {
        section.card aria-labelledby="screen-summary" {
            h2 id="screen-summary" { (Text(&s.file_name)) }
            p {
                (t(Msg::Rows)) ": " strong id="rows-scored" { (scored) }
                @if failed > 0 { ", " (failed) " " (t(Msg::Failed)) }
                " · " (t(Msg::ModelVersion)) " " code { (Text(&s.model_version)) }
                " · " (t(Msg::High)) " " (levels[2]) " · " (t(Msg::Medium)) " " (levels[1])
                " · " (t(Msg::Low)) " " (levels[0])
            }
            p { a.button href="/screen/scored.csv" download id="download-csv" { (t(Msg::DownloadCsv)) } }
            h3 { (t(Msg::Distribution)) }
            (histogram(&aria, &s.histogram(), colour, "0", "1"))
        }
        section.card aria-labelledby="screen-table" {
            h2 id="screen-table" { (t(Msg::Result)) }
            form.row method="get" action="/screen" id="level-filter" {
                label for="level" { (t(Msg::FilterLevel)) }
                select id="level" name="level" {
                    @for (value, msg) in [("", Msg::All), ("high", Msg::High), ("medium", Msg::Medium), ("low", Msg::Low)] {
                        option value=(value) selected[level == value] { (t(msg)) }
                    }
                }
                noscript { button type="submit" { "OK" } }
            }
            p.hint { (t(Msg::SortHint)) }
            @if s.rows.len() > TABLE_ROWS { p.hint { (t(Msg::ShowingRows)) " (" (TABLE_ROWS) ")" } }
            div.table-wrap {
                table.sortable id="results" {
                    thead { tr {
                        th scope="col" aria-sort="ascending" { button type="button" data-sort="num" { "#" } }
                        th scope="col" { button type="button" data-sort="text" { (t(Msg::Text)) } }
                        th scope="col" { button type="button" data-sort="num" { (t(Msg::RiskScore)) } }
                        th scope="col" { button type="button" data-sort="text" { (t(Msg::RiskLevel)) } }
                        th scope="col" { button type="button" data-sort="text" { (t(Msg::Label)) } }
                        th scope="col" { (t(Msg::Actions)) }
                    } }
                    tbody {
                        @for row in s.rows.iter().take(TABLE_ROWS) {
                            @match &row.outcome {
                                BatchItem::Scored(p) => {
                                    @if level.is_empty() || level == p.risk_level {
                                        tr data-level=(p.risk_level) {
                                            td data-value=(row.line) { (row.line) }
                                            td.text { (Text(&row.text)) }
                                            td data-value=(format!("{:.6}", p.risk_score)) { (format!("{:.3}", p.risk_score)) }
                                            td data-value=(p.risk_level) {
                                                span.dot style=(format!("background:{}", level_colour(&p.risk_level))) {}
                                                (level_text(lang, &p.risk_level))
                                            }
                                            td data-value=(p.label) { (label_text(lang, &p.label)) }
                                            td { (prediction_actions(ctx, &p.prediction_id, true)) }
                                        }
                                    }
                                }
                                BatchItem::Failed(message) => {
                                    @if level.is_empty() {
                                        tr data-level="" {
                                            td data-value=(row.line) { (row.line) }
                                            td.text { (Text(&row.text)) }
                                            td data-value="-1" colspan="4" { span.error { (t(Msg::Failed)) ": " (Text(message)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /screen`.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<ScreenQuery>, QueryRejection>,
) -> Response {
    let level = query.map(|Query(q)| q.level).unwrap_or_default();
    render(&state, &ctx, &level, None)
}

fn refused(state: &AppState, ctx: &Ctx, status: StatusCode, message: String) -> Response {
    let mut response = render(
        state,
        ctx,
        "",
        Some(html! { p.flash.error role="alert" id="upload-error" { (Text(&message)) } }),
    );
    *response.status_mut() = status;
    response
}

/// `POST /screen`: a multipart form with `csrf` and `file`.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let t = |m| ctx.lang.t(m);
    let mut multipart = match multipart {
        Ok(multipart) => multipart,
        Err(e) => {
            return refused(
                &state,
                &ctx,
                e.status(),
                format!("{}: {}", t(Msg::BadCsv), e.body_text()),
            )
        }
    };
    let max = state.settings.max_upload_bytes;
    let mut csrf_value = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let file_name = field.file_name().unwrap_or("upload.csv").to_string();
                let bytes = match field.bytes().await {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        return refused(
                            &state,
                            &ctx,
                            e.status(),
                            format!("{}: {}", t(Msg::BadCsv), e.body_text()),
                        )
                    }
                };
                match name.as_str() {
                    "csrf" => csrf_value = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = Some((file_name, bytes.to_vec())),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                return refused(
                    &state,
                    &ctx,
                    e.status(),
                    format!("{}: {}", t(Msg::BadCsv), e.body_text()),
                )
            }
        }
    }
    if let Err(refusal) = check_csrf(&ctx, &state, &csrf_value) {
        return *refusal;
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refused(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            t(Msg::NoFile).into(),
        );
    };
    if bytes.len() > max {
        return refused(
            &state,
            &ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{}: {} > {}", t(Msg::TooLarge), mb(bytes.len()), mb(max)),
        );
    }
    let texts = match texts_of(&bytes) {
        Ok(texts) => texts,
        Err(e) => {
            return refused(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{}: {e}", t(Msg::BadCsv)),
            )
        }
    };
    // predict-api reads the same rows; a byte-order mark would name the column "\u{feff}text".
    let body = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    match state.backends.predict.predict_csv(body).await {
        Ok(result) => {
            let screened = Arc::new(Screened::new(file_name, texts, result));
            state
                .sessions
                .update(&ctx.id, |s| s.screened = Some(screened));
            see_other("/screen")
        }
        Err(e) if e.is_down() => {
            let notice = backend_notice(ctx.lang, &e);
            let mut response = render(&state, &ctx, "", Some(notice));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
        Err(e) => refused(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{}: {e}", t(Msg::BadCsv)),
        ),
    }
}

/// `GET /screen/scored.csv`: the last screened file with its scores.
pub async fn download(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(screened) = ctx.session.screened.clone() else {
        return refused(
            &state,
            &ctx,
            StatusCode::NOT_FOUND,
            ctx.lang.t(Msg::NoScreen).into(),
        );
    };
    match screened.to_csv() {
        Ok(bytes) => {
            let stem = screened
                .file_name
                .trim_end_matches(".csv")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
                .collect::<String>();
            let disposition = format!(
                "attachment; filename=\"{}-scored.csv\"",
                if stem.is_empty() { "screened" } else { &stem }
            );
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => fraudloop_http::ApiError::internal("writing the scored CSV", e).into_response(),
    }
}
