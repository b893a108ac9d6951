//! The admin guard: an extractor that lets a handler run only with the right bearer token.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use fraudloop_config::{AdminDenied, AdminToken};

use crate::error::{ApiError, ErrorCode};

/// Service state that knows its admin token.
pub trait AdminAccess {
    /// The configured token (`None`: admin endpoints refuse everything).
    fn admin_token(&self) -> Option<&AdminToken>;

    /// The environment variable that sets the token, named in the 401 message.
    fn admin_token_env(&self) -> &'static str;
}

impl<T: AdminAccess> AdminAccess for Arc<T> {
    fn admin_token(&self) -> Option<&AdminToken> {
        (**self).admin_token()
    }

    fn admin_token_env(&self) -> &'static str {
        (**self).admin_token_env()
    }
}

/// Proof that the request carried the admin token: a handler that takes `Admin` as an
/// argument only runs for authorised requests; others get 401 in the error shape.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl<S: AdminAccess + Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Admin, ApiError> {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        AdminToken::check(state.admin_token(), authorization)
            .map(|()| Admin)
            .map_err(|denied| denied_error(denied, state.admin_token_env()))
    }
}

/// The 401 for a refused admin request.
pub fn denied_error(denied: AdminDenied, enable_with: &str) -> ApiError {
    let code = match denied {
        AdminDenied::Disabled => ErrorCode::AdminDisabled,
        AdminDenied::Missing => ErrorCode::MissingToken,
        AdminDenied::Invalid => ErrorCode::InvalidToken,
    };
    ApiError::new(StatusCode::UNAUTHORIZED, code, denied.message(enable_with))
}
