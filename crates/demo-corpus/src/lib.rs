//! A deterministic generator of labelled demo data: short scam and legitimate messages (SMS,
//! chat and e-mail style) in English and Chinese, so that fraudloop can train, evaluate and demo
//! a model with nothing to download.
//!
//! # What it produces
//! - [`generate`] returns [`DemoMessage`]s: the text, its [`Label`] (fraud or legit), the theme
//!   it was drawn from, its kind, its template and its [`Language`]. [`DemoOptions`] sets the
//!   size, seed, class and language shares, label noise and whether the batch is *drifted*.
//! - [`write_csv`] writes them as `text,label,theme,language,kind,template`, the training-file
//!   layout (the trainer reads `text` and `label`; `trainer evaluate` reports per `kind`).
//! - [`FRAUD_THEMES`], [`DRIFT_THEMES`] and [`LEGIT_THEMES`] name the themes, [`FRAUD_KINDS`]
//!   and [`LEGIT_KINDS`] the kinds they belong to; [`theme_label`] gives a theme's class;
//!   [`DRIFT_VOCABULARY`] lists words that only drifted fraud uses.
//! - [`template_split`] holds whole templates out, to measure generalisation to phrasings a
//!   model never saw.
//!
//! # Design
//! Messages come from templates with alternatives and slot fillers (names, banks, couriers,
//! amounts, look-alike links, codes), then get a surface style: some ALL-CAPS urgency, emoji,
//! ASCII punctuation in Chinese, e-mail dressing for 12% of the e-mail-capable themes, and
//! evasive spellings for 12% of fraud (3% of legitimate messages): zero-width characters,
//! Cyrillic look-alikes, spaced or dotted letters, emoji inside words, digits for letters,
//! Chinese homophones and pinyin. Several
//! legitimate themes deliberately share vocabulary with scams (real one-time codes, real bank
//! fraud alerts, real courier links and import charges, promotions that say "win" or "限时"),
//! some scams copy genuine wording and differ only in the link, as smishing does, and about 1%
//! of labels are flipped by default. A TF-IDF + logistic-regression model therefore scores well
//! but not perfectly: about 0.97 held-out F1 with the default options (see the `model-check`
//! feature, which enables a test that trains `text-model` on the corpus).
//!
//! A *drifted* batch replaces most fraud (90%) with themes the normal batch never contains
//! (QR-code payments, fake charity appeals, concert-ticket resale, rental deposits),
//! with their own vocabulary, more emoji and English–Chinese code-mixing. The drift monitor's
//! tests compare it with a normal batch.
//!
//! The same [`DemoOptions`] always give byte-identical output: everything is drawn from one
//! `ChaCha8Rng` seeded with [`DemoOptions::seed`].
//!
//! # Example
//! ```
//! use demo_corpus::{generate, write_csv, DemoOptions, Label, Language};
//!
//! let options = DemoOptions { rows: 200, seed: 7, label_noise: 0.0, ..DemoOptions::default() };
//! let messages = generate(&options);
//! assert_eq!(messages.len(), 200);
//! assert_eq!(messages, generate(&options), "same options, same corpus");
//!
//! // Class and language shares are quotas, so they are exact up to rounding.
//! let fraud = messages.iter().filter(|m| m.label == Label::Fraud).count();
//! let chinese = messages.iter().filter(|m| m.language == Language::Chinese).count();
//! assert_eq!((fraud, chinese), (60, 80));
//!
//! let mut csv = Vec::new();
//! write_csv(&messages, &mut csv)?;
//! assert!(csv.starts_with(b"text,label,theme,language,kind,template\n"));
//! # Ok::<(), demo_corpus::Error>(())
//! ```
#![deny(missing_docs)]

mod render;
mod slots;
mod themes;

use std::fmt;
use std::io::Write;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Fraud themes of the normal batch, the kind of fraud the model is trained on: together they
/// cover the types anti-fraud authorities list as the most common (see [`FRAUD_KINDS`]).
pub const FRAUD_THEMES: &[&str] = &[
    "phishing_account",
    "parcel_fee",
    "refund",
    "prize",
    "bank_impersonation",
    "loan",
    "authority_impersonation",
    "crypto_investment",
    "task_job",
    "family_emergency",
    "fake_customer_service",
    "romance",
    "game_trading",
    "otp_theft",
    "phishing_tax",
    "boss_impersonation",
    "stock_investment",
];

/// Fraud themes that only a drifted batch contains.
pub const DRIFT_THEMES: &[&str] = &[
    "qr_payment",
    "charity_donation",
    "ticket_resale",
    "rental_deposit",
];

/// Legitimate themes; both kinds of batch use all of them.
pub const LEGIT_THEMES: &[&str] = &[
    "otp_code",
    "bill_payment",
    "delivery_notice",
    "personal_chat",
    "work_message",
    "shop_promotion",
    "appointment_reminder",
    "security_alert",
    "government_notice",
];

/// The kinds of fraud of the normal batch (the `kind` column): China's national anti-fraud
/// centre's and the FTC's most common types.
pub const FRAUD_KINDS: &[&str] = &[
    "order_brushing",
    "investment",
    "loan",
    "customer_service_refund",
    "impersonation_official",
    "impersonation_acquaintance",
    "romance",
    "game_trading",
    "otp_theft",
    "prize_lottery",
    "phishing_bank",
    "phishing_tax",
    "phishing_delivery",
];

/// The kinds of legitimate message, each the look-alike of some fraud.
pub const LEGIT_KINDS: &[&str] = &[
    "legit_otp",
    "legit_bank_alert",
    "legit_delivery",
    "legit_bill",
    "legit_government",
    "legit_marketing",
    "legit_appointment",
    "legit_chat",
];

/// Words and phrases that appear in drifted fraud messages and never in a normal batch
/// (matched case-insensitively). Drift tests can use them to check that the "new" vocabulary
/// really is new.
pub const DRIFT_VOCABULARY: &[&str] = &[
    // English.
    "qr code",
    "donat",
    "charity",
    "concert",
    "rental",
    "apartment",
    // Chinese.
    "二维码",
    "扫码",
    "捐款",
    "慈善",
    "演唱会",
    "门票",
    "房东",
    "租房",
];

/// Share of a drifted batch's fraud rows that come from [`DRIFT_THEMES`]; the rest still
/// come from [`FRAUD_THEMES`], because old scams do not disappear when new ones arrive.
pub const DRIFT_FRAUD_SHARE: f64 = 0.9;

/// How to generate a corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Number of messages.
    pub rows: usize,
    /// Seed of every random choice; the same options always give the same corpus.
    pub seed: u64,
    /// Share of fraud messages before label noise (0–1).
    pub fraud_share: f64,
    /// Share of Chinese messages (0–1), applied within each class.
    pub chinese_share: f64,
    /// Replace most fraud with the themes of [`DRIFT_THEMES`] and shift the writing style.
    pub drifted: bool,
    /// Probability (0–1) that a message's label is flipped, to keep evaluation honest.
    pub label_noise: f64,
}

impl Default for DemoOptions {
    /// 5000 rows, seed 42, 30% fraud, 40% Chinese, not drifted, 1% label noise.
    fn default() -> Self {
        DemoOptions {
            rows: 5000,
            seed: 42,
            fraud_share: 0.3,
            chinese_share: 0.4,
            drifted: false,
            label_noise: 0.01,
        }
    }
}

impl DemoOptions {
    /// Checks that the shares and the noise are within 0–1. [`generate`] clamps out-of-range
    /// values instead of failing; call this first to reject them, e.g. from a CLI.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, value) in [
            ("fraud_share", self.fraud_share),
            ("chinese_share", self.chinese_share),
            ("label_noise", self.label_noise),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::InvalidOption { name, value });
            }
        }
        Ok(())
    }
}

/// The class of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// A scam, phishing or fraud attempt.
    Fraud,
    /// A legitimate message.
    Legit,
}

impl Label {
    /// `"fraud"` or `"legit"`, as written in the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Fraud => "fraud",
            Label::Legit => "legit",
        }
    }

    /// True for [`Label::Fraud`].
    pub fn is_fraud(self) -> bool {
        self == Label::Fraud
    }

    fn flipped(self) -> Label {
        match self {
            Label::Fraud => Label::Legit,
            Label::Legit => Label::Fraud,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The main language of a message. Drifted messages may mix in words of the other language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// English.
    English,
    /// Simplified Chinese.
    Chinese,
}

impl Language {
    /// `"en"` or `"zh"`, as written in the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Chinese => "zh",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One generated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMessage {
    /// The message text; e-mails contain newlines.
    pub text: String,
    /// The label, after label noise; it can disagree with the theme's class.
    pub label: Label,
    /// The theme the text was drawn from (one of the `*_THEMES` names).
    pub theme: &'static str,
    /// The kind of fraud or legitimate message (one of [`FRAUD_KINDS`] or [`LEGIT_KINDS`],
    /// or a drift theme's name).
    pub kind: &'static str,
    /// The template's index among its theme's templates in its language: messages with the
    /// same theme, language and template share a phrasing (see [`template_split`]).
    pub template: usize,
    /// The main language of the text.
    pub language: Language,
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Writing the CSV failed.
    #[error("could not write the demo corpus as CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The underlying writer failed.
    #[error("could not write the demo corpus: {0}")]
    Io(#[from] std::io::Error),
    /// A share or probability is outside 0–1.
    #[error("option {name} must be between 0 and 1, got {value}")]
    InvalidOption {
        /// The option's field name.
        name: &'static str,
        /// The rejected value.
        value: f64,
    },
}

/// The class of a theme's messages before label noise, or `None` for an unknown theme.
pub fn theme_label(theme: &str) -> Option<Label> {
    themes::by_name(theme).map(|spec| spec.class)
}

/// Clamps a share to 0–1; NaN counts as 0 so that a bad value can never panic.
fn unit(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

/// `round(count × share)`, computed so that it never exceeds `count`.
fn quota(count: usize, share: f64) -> usize {
    // Corpus sizes are far below 2^52, so the float round trip is exact.
    let wanted = (count as f64 * share).round() as usize;
    wanted.min(count)
}

/// Picks a theme of a group by weight.
fn pick_weighted(
    group: &[&'static themes::ThemeSpec],
    rng: &mut ChaCha8Rng,
) -> &'static themes::ThemeSpec {
    let total: u32 = group.iter().map(|theme| theme.weight).sum();
    let mut ticket = rng.gen_range(0..total);
    for theme in group {
        if ticket < theme.weight {
            return theme;
        }
        ticket -= theme.weight;
    }
    group[group.len() - 1]
}

/// Generates a corpus. The same options always give the same messages, in the same order.
///
/// Class and language shares are quotas (`round(rows × share)`, languages within each class),
/// shuffled into a random order, so small corpora have the requested shares too. Label noise is
/// applied last and independently; the text of row *i* does not depend on `label_noise`.
/// Out-of-range shares are clamped to 0–1 (see [`DemoOptions::validate`]).
pub fn generate(options: &DemoOptions) -> Vec<DemoMessage> {
    let fraud_share = unit(options.fraud_share);
    let chinese_share = unit(options.chinese_share);
    let label_noise = unit(options.label_noise);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);

    let fraud_rows = quota(options.rows, fraud_share);
    let mut plan: Vec<(Label, Language)> = Vec::with_capacity(options.rows);
    for (class, count) in [
        (Label::Fraud, fraud_rows),
        (Label::Legit, options.rows - fraud_rows),
    ] {
        let chinese = quota(count, chinese_share);
        plan.extend(std::iter::repeat_n((class, Language::Chinese), chinese));
        plan.extend(std::iter::repeat_n(
            (class, Language::English),
            count - chinese,
        ));
    }
    plan.shuffle(&mut rng);

    let legit: Vec<_> = themes::group(Label::Legit, false).collect();
    let fraud: Vec<_> = themes::group(Label::Fraud, false).collect();
    let drift: Vec<_> = themes::group(Label::Fraud, true).collect();

    plan.into_iter()
        .map(|(class, language)| {
            let theme = match class {
                Label::Legit => pick_weighted(&legit, &mut rng),
                Label::Fraud if options.drifted && rng.gen_bool(DRIFT_FRAUD_SHARE) => {
                    pick_weighted(&drift, &mut rng)
                }
                Label::Fraud => pick_weighted(&fraud, &mut rng),
            };
            let (template, text) = render::message(theme, language, options.drifted, &mut rng);
            // Drawn even when the noise is 0, so that the noise level never shifts the random
            // stream and the same seed gives the same texts at every noise level.
            let flip = rng.gen::<f64>() < label_noise;
            DemoMessage {
                text,
                label: if flip { class.flipped() } else { class },
                theme: theme.name,
                kind: theme.kind,
                template,
                language,
            }
        })
        .collect()
}

/// The texts of the default corpus's first `rows` messages (for tests that need realistic text).
pub fn texts(rows: usize) -> Vec<String> {
    generate(&DemoOptions {
        rows,
        ..Default::default()
    })
    .into_iter()
    .map(|m| m.text)
    .collect()
}

/// Splits message indices into (train, test) by whole templates: about `test_share` of the
/// (theme, language, template) groups go to the test side with all their messages, so a model
/// is tested on phrasings it never saw, not on new fillers of phrasings it learnt.
pub fn template_split(
    messages: &[DemoMessage],
    test_share: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut groups: Vec<(&str, Language, usize)> = messages
        .iter()
        .map(|m| (m.theme, m.language, m.template))
        .collect();
    groups.sort_by_key(|&(theme, language, template)| (theme, language.as_str(), template));
    groups.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    groups.shuffle(&mut rng);
    let held: std::collections::HashSet<(&str, Language, usize)> = groups
        .iter()
        .take(quota(groups.len(), unit(test_share)))
        .copied()
        .collect();
    (0..messages.len()).partition(|&i| {
        let m = &messages[i];
        !held.contains(&(m.theme, m.language, m.template))
    })
}

/// Writes messages as CSV with the header `text,label,theme,language,kind,template`. Texts are
/// quoted as needed, so commas, quotes and newlines round-trip through any CSV reader.
pub fn write_csv<W: Write>(messages: &[DemoMessage], writer: W) -> Result<(), Error> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(["text", "label", "theme", "language", "kind", "template"])?;
    for message in messages {
        csv.write_record([
            message.text.as_str(),
            message.label.as_str(),
            message.theme,
            message.language.as_str(),
            message.kind,
            &message.template.to_string(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_constants_match_the_tables() {
        let names = |class, drift| {
            themes::group(class, drift)
                .map(|t| t.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Label::Fraud, false), FRAUD_THEMES);
        assert_eq!(names(Label::Fraud, true), DRIFT_THEMES);
        assert_eq!(names(Label::Legit, false), LEGIT_THEMES);
        assert!(names(Label::Legit, true).is_empty());
        let kinds = |class| {
            let mut kinds: Vec<&str> = themes::group(class, false).map(|t| t.kind).collect();
            kinds.sort_unstable();
            kinds.dedup();
            kinds
        };
        let sorted = |list: &[&'static str]| {
            let mut list = list.to_vec();
            list.sort_unstable();
            list
        };
        assert_eq!(kinds(Label::Fraud), sorted(FRAUD_KINDS));
        assert_eq!(kinds(Label::Legit), sorted(LEGIT_KINDS));
    }

    #[test]
    fn every_theme_has_enough_templates_and_subjects_when_it_can_be_an_email() {
        for theme in themes::THEMES {
            for language in [Language::English, Language::Chinese] {
                let count = theme.templates(language).len();
                assert!(
                    count >= 8,
                    "{} has {count} {language} templates",
                    theme.name
                );
                let subjects = theme.subjects(language).len();
                if theme.email == themes::EmailKind::None {
                    assert_eq!(subjects, 0, "{} is never an e-mail", theme.name);
                } else {
                    assert!(
                        subjects >= 3,
                        "{} has {subjects} {language} subjects",
                        theme.name
                    );
                }
            }
        }
    }

    #[test]
    fn quotas_round_and_never_exceed_the_count() {
        assert_eq!(quota(5000, 0.3), 1500);
        assert_eq!(quota(7, 0.5), 4);
        assert_eq!(quota(3, 1.0), 3);
        assert_eq!(quota(0, 0.4), 0);
        assert_eq!(unit(f64::NAN), 0.0);
        assert_eq!(unit(1.7), 1.0);
    }

    #[test]
    fn validate_rejects_out_of_range_shares() {
        assert!(DemoOptions::default().validate().is_ok());
        let bad = DemoOptions {
            fraud_share: 1.5,
            ..DemoOptions::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(Error::InvalidOption {
                name: "fraud_share",
                ..
            })
        ));
        let nan = DemoOptions {
            label_noise: f64::NAN,
            ..DemoOptions::default()
        };
        assert!(nan.validate().is_err());
    }
}
