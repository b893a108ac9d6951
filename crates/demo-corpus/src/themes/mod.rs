//! The theme tables: every theme's templates in English and Chinese, its class, its weight and
//! whether it may be rendered as an e-mail.

mod common;
mod drift;
mod email;
mod fraud;
mod legit;

pub(crate) use email::email_parts;
#[cfg(test)]
pub(crate) use email::EMAIL_PARTS_FOR_TESTS;

use crate::{Label, Language};

/// Which e-mail dressing a theme may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailKind {
    /// Never an e-mail (chat, one-time codes, relative-in-trouble texts).
    None,
    /// An organisation writing to a customer.
    Notice,
    /// A colleague writing to a colleague.
    Colleague,
}

/// One theme: a kind of message with a fixed class.
pub(crate) struct ThemeSpec {
    /// Stable identifier written to the `theme` column.
    pub name: &'static str,
    /// The kind of fraud or legitimate message (`phishing_bank`, `legit_otp`), written to the
    /// `kind` column; several themes may share one kind.
    pub kind: &'static str,
    /// The class every message of the theme has before label noise.
    pub class: Label,
    /// True for fraud themes that only the drifted batch contains.
    pub drift: bool,
    /// Relative frequency within its group (legit, normal fraud, or drift fraud).
    pub weight: u32,
    /// Whether and how the theme may be rendered as an e-mail.
    pub email: EmailKind,
    /// Chat-like themes get more emoji and, in English, all-lowercase variants.
    pub casual: bool,
    /// English templates.
    pub en: &'static [&'static str],
    /// Chinese templates.
    pub zh: &'static [&'static str],
    /// English e-mail subjects (empty when `email` is `None`).
    pub subjects_en: &'static [&'static str],
    /// Chinese e-mail subjects (empty when `email` is `None`).
    pub subjects_zh: &'static [&'static str],
}

impl ThemeSpec {
    pub(crate) fn templates(&self, language: Language) -> &'static [&'static str] {
        match language {
            Language::English => self.en,
            Language::Chinese => self.zh,
        }
    }

    pub(crate) fn subjects(&self, language: Language) -> &'static [&'static str] {
        match language {
            Language::English => self.subjects_en,
            Language::Chinese => self.subjects_zh,
        }
    }
}

/// Every theme. The order is part of the output: changing it changes what a seed generates.
pub(crate) const THEMES: &[ThemeSpec] = &[
    fraud::PHISHING_ACCOUNT,
    fraud::PARCEL_FEE,
    fraud::REFUND,
    fraud::PRIZE,
    fraud::BANK_IMPERSONATION,
    fraud::LOAN,
    fraud::AUTHORITY_IMPERSONATION,
    common::CRYPTO_INVESTMENT,
    common::TASK_JOB,
    common::FAMILY_EMERGENCY,
    common::FAKE_CUSTOMER_SERVICE,
    common::ROMANCE,
    common::GAME_TRADING,
    common::OTP_THEFT,
    common::PHISHING_TAX,
    common::BOSS_IMPERSONATION,
    common::STOCK_INVESTMENT,
    drift::QR_PAYMENT,
    drift::CHARITY_DONATION,
    drift::TICKET_RESALE,
    drift::RENTAL_DEPOSIT,
    legit::OTP_CODE,
    legit::BILL_PAYMENT,
    legit::DELIVERY_NOTICE,
    legit::PERSONAL_CHAT,
    legit::WORK_MESSAGE,
    legit::SHOP_PROMOTION,
    legit::APPOINTMENT_REMINDER,
    legit::SECURITY_ALERT,
    common::GOVERNMENT_NOTICE,
];

/// The themes of one group, in table order.
pub(crate) fn group(class: Label, drift: bool) -> impl Iterator<Item = &'static ThemeSpec> {
    THEMES
        .iter()
        .filter(move |theme| theme.class == class && theme.drift == drift)
}

/// Looks a theme up by name.
pub(crate) fn by_name(name: &str) -> Option<&'static ThemeSpec> {
    THEMES.iter().find(|theme| theme.name == name)
}
