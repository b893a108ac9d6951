//! The service's errors: the shared shape and readers of `fraudloop-http`, and the errors
//! only predict-api answers with.

use axum::http::StatusCode;

pub use fraudloop_http::error::{
    is_json, parse_json, read_body, starts_with_object, ApiError, ApiJson, ErrorCode,
};

/// 503 while no verified model is loaded.
pub fn no_model() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::NoModel,
        "no verified model is loaded yet; train one with `trainer train` (the service picks it up by itself)",
    )
}
