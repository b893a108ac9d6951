//! The one error shape of every service, `{"error": {"code", "message"}}`, its stable codes,
//! and the body readers that map every malformed request onto it.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// Every error code a fraudloop service answers with. The names are a stable API:
        /// clients branch on them, and every OpenAPI document lists them as an `enum` (a
        /// test per service checks it).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code's stable name, as sent in error bodies.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    /// The body is not valid JSON at all.
    MalformedJson => "malformed_json",
    /// Valid JSON of the wrong shape (missing or mistyped field, not an object).
    InvalidRequest => "invalid_request",
    /// The body's media type is not one the endpoint reads.
    UnsupportedMediaType => "unsupported_media_type",
    /// A `Content-Encoding` was sent; bodies are read as sent.
    UnsupportedEncoding => "unsupported_encoding",
    /// The body is over the size limit.
    PayloadTooLarge => "payload_too_large",
    /// The body could not be read (connection trouble, invalid chunking).
    UnreadableBody => "unreadable_body",
    /// The client took longer than the body timeout to send its request body.
    BodyTimeout => "body_timeout",
    /// No such endpoint or resource.
    NotFound => "not_found",
    /// The endpoint does not take that method.
    MethodNotAllowed => "method_not_allowed",
    /// A path parameter is not valid.
    InvalidPath => "invalid_path",
    /// Admin endpoints are disabled: no admin token is configured.
    AdminDisabled => "admin_disabled",
    /// An admin endpoint was called without a bearer token.
    MissingToken => "missing_token",
    /// An admin endpoint was called with the wrong token.
    InvalidToken => "invalid_token",
    /// Too many requests in flight; retry after the Retry-After delay.
    Overloaded => "overloaded",
    /// The request took longer than the request timeout.
    Timeout => "timeout",
    /// Something went wrong on our side; the cause is in the service log.
    Internal => "internal",
    /// The message has no visible character.
    EmptyText => "empty_text",
    /// The message is longer than the configured limit.
    TextTooLong => "text_too_long",
    /// One item of a batch is invalid.
    InvalidItem => "invalid_item",
    /// A batch has more items than the configured limit.
    BatchTooLarge => "batch_too_large",
    /// A label other than fraud or legit.
    InvalidLabel => "invalid_label",
    /// A feedback source other than the documented ones.
    InvalidSource => "invalid_source",
    /// `meta` is not a JSON object.
    InvalidMeta => "invalid_meta",
    /// Feedback names neither a prediction nor a text.
    MissingTarget => "missing_target",
    /// Feedback names both a prediction and a text.
    ConflictingTarget => "conflicting_target",
    /// A feedback comment is longer than the limit.
    CommentTooLong => "comment_too_long",
    /// No prediction has that id.
    UnknownPrediction => "unknown_prediction",
    /// A CSV upload is not valid CSV.
    MalformedCsv => "malformed_csv",
    /// One CSV row is invalid.
    MalformedRow => "malformed_row",
    /// The CSV upload lacks the text column.
    MissingColumn => "missing_column",
    /// No verified model is loaded yet.
    NoModel => "no_model",
    /// The registry has no production model.
    NoProductionModel => "no_production_model",
    /// The production bundle failed verification; the current model keeps serving.
    ModelRefused => "model_refused",
    /// The registry's aliases could not be read; the current model keeps serving.
    RegistryUnreadable => "registry_unreadable",
    /// No drift report has been computed yet.
    NoReport => "no_report",
    /// Computing a drift report failed.
    ReportFailed => "report_failed",
    /// A service this one depends on (predict-api for the feedback agent) did not answer.
    UpstreamUnavailable => "upstream_unavailable",
    /// Over a per-contact rate limit (notices from the agent, user labels on `/feedback`);
    /// retry later.
    RateLimited => "rate_limited",
    /// The knowledge base has no chunk to retrieve.
    KnowledgeBaseEmpty => "knowledge_base_empty",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An error answered to the client. 4xx carry a user-facing message; 5xx are opaque (the
/// cause is logged where it happens, never sent).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 422 for semantically invalid input.
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 404 for an unknown endpoint or resource.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 413 for a body over the size limit.
    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "the request body is over the size limit",
        )
    }

    /// 503 `overloaded`: too many requests in flight.
    pub fn overloaded() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Overloaded,
            "too many requests in flight; retry shortly",
        )
    }

    /// 503 `timeout`: the request took longer than the request timeout.
    pub fn timeout() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Timeout,
            "the request took too long; retry shortly",
        )
    }

    /// 408 `body_timeout`: the client did not send its body within `within`.
    pub fn body_timeout(within: std::time::Duration) -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::BodyTimeout,
            format!(
                "the request body did not arrive within {} ms",
                within.as_millis()
            ),
        )
    }

    /// 500 with an opaque message; the cause is logged here, not sent.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "{context}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "something went wrong; see the service log",
        )
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"error": {"code": self.code, "message": self.message}})
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        // These may be answered before the request body was read; the connection cannot be
        // reused then, so say so instead of letting the client's next request hit a closed
        // socket.
        if matches!(
            self.status,
            StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::REQUEST_TIMEOUT
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::UNSUPPORTED_MEDIA_TYPE
        ) {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// The fallback of every router: unknown endpoints in the error shape.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /openapi.json")
}

/// The method fallback of every router: a known path with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take that method; see /openapi.json",
    )
}

/// `text` with every absolute file path cut to its last component, for error messages that
/// go into answers, job records and alerts: where files live on a server is for its log only.
/// A path starts with `/` at the start or after a space, quote, `(` or `=`; URLs are kept.
pub fn without_paths(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_path = bytes[i] == b'/'
            && (i == 0
                || matches!(
                    bytes[i - 1],
                    b' ' | b'\t' | b'\n' | b'\'' | b'"' | b'(' | b'='
                ))
            && bytes.get(i + 1).is_some_and(|&b| b != b'/' && path_byte(b));
        if !starts_path {
            i += 1;
            continue;
        }
        let end = bytes[i..]
            .iter()
            .position(|&b| !path_byte(b))
            .map_or(bytes.len(), |n| i + n);
        let path = &text[i..end];
        let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        out.push_str(&text[copied..i]);
        out.push_str(last);
        copied = end;
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Bytes a path in a message is taken to consist of (a `:` or `,` ends it).
fn path_byte(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\'' | b'"' | b')' | b':' | b',' | b';'
    )
}

/// True when the request declares a JSON body.
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            // Compared in place: lowercasing a copy cost an allocation per request.
            let mime = mime.trim().as_bytes();
            let (prefix, suffix) = (b"application/", b"+json");
            mime.eq_ignore_ascii_case(b"application/json")
                || (mime.len() >= prefix.len() + suffix.len()
                    && mime[..prefix.len()].eq_ignore_ascii_case(prefix)
                    && mime[mime.len() - suffix.len()..].eq_ignore_ascii_case(suffix))
        })
}

/// What can be refused from the headers alone, before any of the body arrives: a declared
/// `Content-Length` over the limit (413 at once, not after reading up to the limit or waiting
/// for bytes that will never come), and a `Content-Encoding` (415: bodies are read as sent,
/// so a compressed one would be read as garbage).
pub fn refuse_by_headers(headers: &HeaderMap, max_body_bytes: usize) -> Option<ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_body_bytes as u64) {
        return Some(ApiError::payload_too_large());
    }
    match headers.get(header::CONTENT_ENCODING) {
        Some(encoding)
            if !encoding
                .as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(b"identity") =>
        {
            Some(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedEncoding,
                "send the body uncompressed (no Content-Encoding)",
            ))
        }
        _ => None,
    }
}

/// Reads the whole body, mapping a body over the size limit to 413.
pub async fn read_body(request: Request) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::UnreadableBody,
                    rejection.body_text(),
                )
            }
        })
}

/// Parses a JSON object body: a body that is not JSON at all is 400, whatever else is wrong
/// with it; well-formed JSON of the wrong shape (an array or a number instead of the object,
/// a missing or mistyped field) is 422.
pub fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    // serde fills a struct from an array too (by position): only an object is the documented
    // shape. Checked after parsing, so a valid request pays one byte comparison.
    match serde_json::from_slice(bytes) {
        Ok(value) if starts_with_object(bytes) => Ok(value),
        Ok(_) => Err(json_error(bytes, None)),
        Err(e) => Err(json_error(bytes, Some(e))),
    }
}

/// True when the first non-blank byte opens a JSON object.
pub fn starts_with_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The error for a body that did not parse as the request type (`shape`: serde's error, or
/// `None` when it parsed from something other than an object).
fn json_error(bytes: &[u8], shape: Option<serde_json::Error>) -> ApiError {
    // serde stops at the first problem, which may be a wrong field before a syntax error
    // further on: look at the syntax alone first. Parsed into a full `Value`, not skimmed
    // with `IgnoredAny`: skimming accepts invalid UTF-8 inside strings, numbers out of range
    // (`1e400`) and nesting past the recursion limit, which are not JSON either. Only failed
    // requests pay for it.
    if let Err(syntax) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {syntax}"),
        );
    }
    match shape {
        Some(e) if starts_with_object(bytes) => {
            ApiError::invalid(ErrorCode::InvalidRequest, e.to_string())
        }
        _ => ApiError::invalid(ErrorCode::InvalidRequest, "the body must be a JSON object"),
    }
}

/// A JSON body extractor with the service's error shape: 415 without a JSON content type,
/// 413 over the body limit, 400 for malformed JSON, 422 for a body of the wrong shape.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = read_body(request).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A path-parameter extractor whose rejection is the service's error shape (axum's own
/// answers in plain text).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection: PathRejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidPath,
                    rejection.body_text(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_file_names_and_urls_but_no_directories() {
        let cases = [
            (
                "retrain: reading /srv/fraudloop/data/feedback/r1.jsonl: Permission denied (os error 13)",
                "retrain: reading r1.jsonl: Permission denied (os error 13)",
            ),
            (
                "publishing v0003 (/tmp/home/artifacts/models/.staging-x1/): disk full",
                "publishing v0003 (.staging-x1): disk full",
            ),
            ("path='/etc/fraudloop/loop.toml', line 3", "path='loop.toml', line 3"),
            (
                "GET http://127.0.0.1:8000/model failed; see s3://bucket/prefix/models",
                "GET http://127.0.0.1:8000/model failed; see s3://bucket/prefix/models",
            ),
            ("a/b relative and / alone and 1/2 stay", "a/b relative and / alone and 1/2 stay"),
            ("/absolute/at/start 中文 /x/数据.csv", "start 中文 数据.csv"),
        ];
        for (text, want) in cases {
            assert_eq!(without_paths(text), want, "{text}");
        }
    }

    #[test]
    fn json_content_types() {
        // The previous definition, on a lowercased copy.
        let reference = |headers: &HeaderMap| {
            let Some(v) = headers[header::CONTENT_TYPE].to_str().ok() else {
                return false;
            };
            let mime = v.split(';').next().unwrap().trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        };
        for value in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ",
            "application/problem+json",
            "APPLICATION/VND.API+JSON;x=1",
            "application/+json",
            "application/json+",
            "application/jso",
            "text/json",
            "application/xml",
            "applicatio/+json",
            "",
            "+json",
            "application/ünicode+json",
            "äpplication/x+json",
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
            assert_eq!(is_json(&headers), reference(&headers), "{value:?}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn codes_are_unique_snake_case_names() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            assert_eq!(serde_json::to_value(code).unwrap(), name);
        }
    }

    #[test]
    fn syntax_errors_come_before_shape_errors() {
        for (body, status, code) in [
            (&b"{\"id\":\"a\"} xx"[..], 400, ErrorCode::MalformedJson),
            (b"[1,2]", 422, ErrorCode::InvalidRequest),
            (b"{\"text\": 3}", 422, ErrorCode::InvalidRequest),
        ] {
            #[derive(Deserialize, Debug)]
            #[allow(dead_code)]
            struct Body {
                text: String,
            }
            let err = parse_json::<Body>(body).unwrap_err();
            assert_eq!((err.status.as_u16(), err.code), (status, code), "{err}");
        }
    }

    /// What the README promises: a body that is not valid JSON is 400 `malformed_json`,
    /// including JSON that only a lenient skimmer accepts (invalid UTF-8 inside a string, a
    /// number out of range, nesting deeper than the parser allows), wherever it sits.
    #[test]
    fn invalid_json_anywhere_is_malformed() {
        let deep = format!(
            "{{\"text\":\"a\",\"x\":{}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        for body in [
            &b"{\"text\":\"a\xff\"}"[..],
            b"{\"text\":\"a\",\"x\":\"\xc3\"}",
            b"{\"text\":3,\"x\":\"\xff\"}",
            b"{\"text\":\"a\",\"x\":1e400}",
            b"{\"text\":1e400}",
            b"[\"\xff\"]",
            deep.as_bytes(),
        ] {
            // As the services' request types: unknown fields are refused.
            #[derive(Deserialize, Debug)]
            #[serde(deny_unknown_fields)]
            #[allow(dead_code)]
            struct Body {
                text: String,
            }
            let err = parse_json::<Body>(body).unwrap_err();
            assert_eq!(
                (err.status.as_u16(), err.code),
                (400, ErrorCode::MalformedJson),
                "{}: {err}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
