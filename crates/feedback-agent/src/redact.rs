//! Redaction of personal data from anything sent to an external service: e-mail addresses,
//! Chinese ID numbers, card and account numbers, phone numbers.

use std::sync::LazyLock;

use regex::Regex;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .expect("valid regex")
});
/// Resident ID numbers: 17 digits and a check character.
static CN_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d{17}[\dXx]").expect("valid regex"));
/// IBAN-style account numbers.
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}").expect("valid regex"));
/// Runs of digits with the separators people write inside numbers.
static DIGITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\d(?:[\d \-().]*\d)?").expect("valid regex"));

/// The placeholders that replace redacted values.
pub const PLACEHOLDERS: [&str; 5] = ["[email]", "[id]", "[account]", "[card]", "[phone]"];

/// `text` with e-mail addresses, ID, card, account and phone numbers replaced by
/// placeholders. Numbers of up to six digits (amounts, short codes) are kept: they identify
/// nobody and often are what the message is about.
pub fn redact(text: &str) -> String {
    let text = EMAIL.replace_all(text, "[email]");
    let text = CN_ID.replace_all(&text, "[id]");
    let text = IBAN.replace_all(&text, "[account]");
    DIGITS
        .replace_all(&text, |caps: &regex::Captures<'_>| {
            let run = &caps[0];
            let digits = run.chars().filter(char::is_ascii_digit).count();
            match digits {
                0..=6 => run.to_string(),
                7..=12 => "[phone]".to_string(),
                _ => "[card]".to_string(),
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_numbers_and_addresses_are_replaced() {
        let text = "Call +1 202-555-0143 or 138-0000-1234, mail jane.doe@mail.example, \
                    card 4111 1111 1111 1111, ID 11010519491231002X, IBAN GB82WEST12345698765432, \
                    账号6222020000123456789，手机13800001234";
        let out = redact(text);
        for leaked in [
            "202-555-0143",
            "0000-1234",
            "jane.doe",
            "4111",
            "11010519491231002X",
            "GB82WEST",
            "6222020000123456789",
            "13800001234",
        ] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        for kept in [
            "[phone]",
            "[email]",
            "[card]",
            "[id]",
            "[account]",
            "账号",
            "手机",
        ] {
            assert!(out.contains(kept), "{kept} missing in {out}");
        }
    }

    #[test]
    fn amounts_and_short_codes_stay() {
        let out = redact("Pay $6.99 today or a $50 fine; code 4829 expires in 12 hours");
        assert_eq!(
            out,
            "Pay $6.99 today or a $50 fine; code 4829 expires in 12 hours"
        );
    }
}
