//! What makes a message acceptable to score: visible text within the length limit, and a
//! `meta` that is an object.

use super::predict::PredictRequest;
use crate::error::{ApiError, ErrorCode};

/// Checks a message: not blank, not over the length limit.
pub fn validate_text(text: &str, max_chars: usize) -> Result<(), ApiError> {
    // The trainer applies the same rule to training texts.
    if !text_model::has_visible_text(text) {
        return Err(ApiError::invalid(
            ErrorCode::EmptyText,
            "text must not be empty, whitespace or invisible characters",
        ));
    }
    // A text has at most as many characters as bytes: count only when it could be too long.
    if text.len() > max_chars {
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(ApiError::invalid(
                ErrorCode::TextTooLong,
                format!("text has {chars} characters; the limit is {max_chars}"),
            ));
        }
    }
    Ok(())
}

/// Checks a request to score: its text (see [`validate_text`]) and that `meta`, when given,
/// is an object, as documented.
pub fn validate_request(request: &PredictRequest, max_chars: usize) -> Result<(), ApiError> {
    validate_text(&request.text, max_chars)?;
    match &request.meta {
        None | Some(serde_json::Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::invalid(
            ErrorCode::InvalidMeta,
            "meta must be a JSON object",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_length_limit_counts_characters() {
        assert!(validate_text("ab", 2).is_ok());
        assert!(validate_text("紧急", 2).is_ok(), "6 bytes, 2 characters");
        assert_eq!(
            validate_text("紧急通", 2).unwrap_err().code,
            ErrorCode::TextTooLong
        );
        assert_eq!(
            validate_text(" \n", 2).unwrap_err().code,
            ErrorCode::EmptyText
        );
    }
}
