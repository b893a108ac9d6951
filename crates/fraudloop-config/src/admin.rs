//! The bearer token that guards every service's admin endpoints (reload, promote, rollback,
//! retrain), and the one check of an `Authorization` header against it.

/// A secret bearer token: compared in constant time, never printed (`Debug` is redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

/// Why an admin request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminDenied {
    /// The service has no token configured: admin endpoints refuse everything.
    Disabled,
    /// No `Authorization: Bearer ...` header.
    Missing,
    /// A token that is not the configured one.
    Invalid,
}

impl AdminDenied {
    /// The error code services answer with.
    pub fn code(self) -> &'static str {
        match self {
            AdminDenied::Disabled => "admin_disabled",
            AdminDenied::Missing => "missing_token",
            AdminDenied::Invalid => "invalid_token",
        }
    }

    /// A message for the caller; `enable_with` names the setting that enables admin endpoints.
    pub fn message(self, enable_with: &str) -> String {
        match self {
            AdminDenied::Disabled => {
                format!("admin endpoints are disabled: start the service with {enable_with} set")
            }
            AdminDenied::Missing => "send Authorization: Bearer <admin token>".into(),
            AdminDenied::Invalid => "the admin token is wrong".into(),
        }
    }
}

impl AdminToken {
    /// Shorter tokens are refused at start-up: they are guessable.
    pub const MIN_CHARS: usize = 8;

    /// Wraps a token as it is (tests; configuration goes through [`AdminToken::parse`]).
    pub fn new(token: impl Into<String>) -> AdminToken {
        AdminToken(token.into())
    }

    /// A token from configuration: surrounding whitespace is dropped; fewer than
    /// [`AdminToken::MIN_CHARS`] characters is an error (which never repeats the value).
    pub fn parse(value: &str) -> Result<AdminToken, String> {
        let token = value.trim();
        if token.chars().count() < Self::MIN_CHARS {
            return Err(format!(
                "the admin token must have at least {} characters",
                Self::MIN_CHARS
            ));
        }
        Ok(AdminToken(token.into()))
    }

    /// The token in environment variable `var` (`None` when unset: admin endpoints are
    /// disabled). Secrets come only from the environment, never from flags or files; an
    /// error names the variable, never its value (a mistyped token is nearly the secret).
    pub fn from_env(var: &str) -> Result<Option<AdminToken>, String> {
        match std::env::var(var) {
            Ok(value) => AdminToken::parse(&value)
                .map(Some)
                .map_err(|why| format!("{var} (value not shown: it is a secret): {why}")),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{var} is not valid UTF-8")),
        }
    }

    /// Constant-time comparison with a presented token, so response timing does not reveal
    /// how much of a guess was right.
    pub fn matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        // The length is not secret (it is at least MIN_CHARS); the bytes are.
        bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// Checks the value of an `Authorization` header (`None`: no header, or not UTF-8)
    /// against the configured token (`None`: admin endpoints disabled). The scheme name is
    /// case-insensitive, as HTTP defines it (`Bearer`, `bearer`).
    pub fn check(
        configured: Option<&AdminToken>,
        authorization: Option<&str>,
    ) -> Result<(), AdminDenied> {
        let expected = configured.ok_or(AdminDenied::Disabled)?;
        let presented = authorization
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(AdminDenied::Missing)?;
        if expected.matches(presented) {
            Ok(())
        } else {
            Err(AdminDenied::Invalid)
        }
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_exactly_and_never_printed() {
        let token = AdminToken::parse("  s3cret-token \n").unwrap();
        assert!(token.matches("s3cret-token"));
        assert!(!token.matches("s3cret-tokem"));
        assert!(!token.matches("s3cret"));
        assert!(!token.matches("s3cret-token-and-more"));
        assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
        assert!(AdminToken::parse("short").is_err());
        assert!(AdminToken::parse("   seven   ").is_err());
        // Characters, not bytes: four CJK characters are 12 bytes but too short.
        assert!(AdminToken::parse("管理令牌").is_err());
    }

    #[test]
    fn authorization_headers() {
        let token = AdminToken::new("s3cret-token");
        let check = |header| AdminToken::check(Some(&token), header);
        assert_eq!(check(Some("Bearer s3cret-token")), Ok(()));
        assert_eq!(check(Some("Bearer  s3cret-token ")), Ok(()));
        assert_eq!(check(Some("bearer s3cret-token")), Ok(()));
        assert_eq!(check(Some("BEARER s3cret-token")), Ok(()));
        assert_eq!(
            check(Some("Bearers s3cret-token")),
            Err(AdminDenied::Missing)
        );
        assert_eq!(check(Some("Bearer wrong-token")), Err(AdminDenied::Invalid));
        assert_eq!(check(Some("Bearer ")), Err(AdminDenied::Invalid));
        assert_eq!(check(Some("Basic czNjcmV0")), Err(AdminDenied::Missing));
        assert_eq!(check(Some("s3cret-token")), Err(AdminDenied::Missing));
        assert_eq!(check(None), Err(AdminDenied::Missing));
        assert_eq!(
            AdminToken::check(None, Some("Bearer s3cret-token")),
            Err(AdminDenied::Disabled)
        );
        assert_eq!(AdminDenied::Disabled.code(), "admin_disabled");
        assert!(AdminDenied::Disabled.message("X_TOKEN").contains("X_TOKEN"));
    }

    #[test]
    fn tokens_from_the_environment_are_checked_and_never_echoed() {
        std::env::set_var("FRAUDLOOP_ADMINTEST_SHORT", "hunter2");
        let err = AdminToken::from_env("FRAUDLOOP_ADMINTEST_SHORT").unwrap_err();
        assert!(err.contains("FRAUDLOOP_ADMINTEST_SHORT"), "{err}");
        assert!(err.contains("at least 8 characters"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        std::env::set_var("FRAUDLOOP_ADMINTEST_OK", " s3cret-token ");
        let token = AdminToken::from_env("FRAUDLOOP_ADMINTEST_OK")
            .unwrap()
            .unwrap();
        assert!(token.matches("s3cret-token"));
        std::env::set_var("FRAUDLOOP_ADMINTEST_EMPTY", "");
        assert!(AdminToken::from_env("FRAUDLOOP_ADMINTEST_EMPTY").is_err());
        assert!(AdminToken::from_env("FRAUDLOOP_ADMINTEST_UNSET")
            .unwrap()
            .is_none());
    }
}
