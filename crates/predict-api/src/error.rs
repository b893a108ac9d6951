//! The service's error shape: `{"error": {"code", "message"}}`, and the JSON extractor that
//! maps every malformed request onto it.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// An error answered to the client. 4xx carry a user-facing message; 5xx are opaque and
/// logged.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 422 for semantically invalid input.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 413 for a body over the size limit.
    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is over the size limit",
        )
    }

    /// 503 while no verified model is loaded.
    pub fn no_model() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_model",
            "no verified model is loaded yet; train one with `trainer train` (the service picks it up by itself)",
        )
    }

    /// 500 with an opaque message; the cause is logged, not sent.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "{context}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong; see the service log",
        )
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"error": {"code": self.code, "message": self.message}})
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
/// so a compressed one would be scored as garbage).
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
                "unsupported_encoding",
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
                    "unreadable_body",
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
pub(crate) fn starts_with_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The error for a body that did not parse as the request type (`shape`: serde's error, or
/// `None` when it parsed from something other than an object).
fn json_error(bytes: &[u8], shape: Option<serde_json::Error>) -> ApiError {
    // serde stops at the first problem, which may be a wrong field before a syntax error
    // further on: look at the syntax alone first.
    if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {syntax}"),
        );
    }
    match shape {
        Some(e) if starts_with_object(bytes) => ApiError::invalid("invalid_request", e.to_string()),
        _ => ApiError::invalid("invalid_request", "the body must be a JSON object"),
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
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = read_body(request).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
