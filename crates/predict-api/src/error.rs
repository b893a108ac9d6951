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

/// Reads the whole body, mapping a body over the size limit to 413.
pub async fn read_body(request: Request) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is over the size limit",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    rejection.body_text(),
                )
            }
        })
}

/// Parses JSON: a syntax error is 400, a well-formed body of the wrong shape is 422.
pub fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::invalid("invalid_request", e.to_string()),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {e}"),
        ),
    })
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
