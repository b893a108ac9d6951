//! Signed, expiring confirm links: `base64url(payload).base64url(HMAC-SHA256(payload))`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a person answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    /// "Yes, it was a scam": label `fraud`.
    Confirm,
    /// "No, it was genuine": label `legit`.
    Dispute,
}

impl Answer {
    /// The label recorded in predict-api.
    pub fn label(self) -> &'static str {
        match self {
            Answer::Confirm => "fraud",
            Answer::Dispute => "legit",
        }
    }

    /// `confirm` or `dispute`.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Confirm => "confirm",
            Answer::Dispute => "dispute",
        }
    }

    /// From a form value.
    pub fn parse(value: &str) -> Option<Answer> {
        match value {
            "confirm" => Some(Answer::Confirm),
            "dispute" => Some(Answer::Dispute),
            _ => None,
        }
    }
}

/// What a link carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    /// The notice.
    #[serde(rename = "n")]
    pub notice_id: String,
    /// The answer the link stands for (the page offers both).
    #[serde(rename = "a")]
    pub answer: Answer,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token we signed (or altered).
    Forged,
    /// Signed, but past its expiry.
    Expired,
}

/// Signs and checks link tokens with one key.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(***)")
    }
}

impl LinkSigner {
    /// A signer with this key.
    pub fn new(key: &[u8]) -> LinkSigner {
        LinkSigner { key: key.to_vec() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    /// A token for these claims.
    pub fn sign(&self, claims: &LinkClaims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialise");
        let mut mac = self.mac();
        mac.update(&payload);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// The claims of a token we signed that has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkClaims, TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Forged)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Forged)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Forged)?;
        let mut mac = self.mac();
        mac.update(&payload);
        // Constant-time comparison.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Forged)?;
        let claims: LinkClaims =
            serde_json::from_slice(&payload).map_err(|_| TokenError::Forged)?;
        if claims.expires <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire_and_resist_tampering() {
        let signer = LinkSigner::new(b"a secret of some length");
        let now = Utc::now();
        let claims = LinkClaims {
            notice_id: "n1".into(),
            answer: Answer::Confirm,
            expires: now.timestamp() + 60,
        };
        let token = signer.sign(&claims);
        assert_eq!(signer.verify(&token, now), Ok(claims.clone()));
        assert_eq!(
            signer.verify(&token, now + chrono::Duration::seconds(61)),
            Err(TokenError::Expired)
        );
        let other = LinkSigner::new(b"another secret");
        assert_eq!(other.verify(&token, now), Err(TokenError::Forged));
        let (_, signature) = token.split_once('.').unwrap();
        let tampered_claims = LinkClaims {
            answer: Answer::Dispute,
            ..claims
        };
        let tampered = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered_claims).unwrap())
        );
        assert_eq!(signer.verify(&tampered, now), Err(TokenError::Forged));
        for junk in ["", ".", "abc", "a.b.c", "!!.??"] {
            assert_eq!(signer.verify(junk, now), Err(TokenError::Forged), "{junk}");
        }
    }
}
