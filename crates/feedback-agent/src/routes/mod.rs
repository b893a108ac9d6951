//! HTTP handlers, one module per resource.

pub mod admin;
pub mod ask;
pub mod confirm;
pub mod meta;
pub mod notify;
pub mod outbox;

use axum::http::StatusCode;
use fraudloop_http::{ApiError, ErrorCode};

use crate::upstream::UpstreamError;

/// The longest message the agent takes (predict-api's default limit).
pub const MAX_TEXT_CHARS: usize = 20_000;

/// An upstream failure as the agent answers it.
pub fn upstream_error(e: UpstreamError) -> ApiError {
    match e {
        UpstreamError::UnknownPrediction => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownPrediction,
            "predict-api has no prediction with that id",
        ),
        UpstreamError::Refused(message) => ApiError::invalid(
            ErrorCode::InvalidRequest,
            format!("predict-api refused the message: {message}"),
        ),
        UpstreamError::Unavailable(detail) => {
            tracing::warn!(%detail, "predict-api unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::UpstreamUnavailable,
                "predict-api did not answer; retry shortly",
            )
        }
    }
}

/// Checks a message the agent is given.
pub fn validate_text(text: &str) -> Result<(), ApiError> {
    if !text_model::has_visible_text(text) {
        return Err(ApiError::invalid(
            ErrorCode::EmptyText,
            "text has no visible character",
        ));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid(
            ErrorCode::TextTooLong,
            format!("text is limited to {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A prediction id as predict-api hands them out, checked before it is sent anywhere.
pub fn validate_prediction_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty()
        || id.len() > 128
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownPrediction,
            "no prediction has that id",
        ));
    }
    Ok(())
}
