//! The template engine and the surface styling of a message.
//!
//! Templates use two constructs:
//! - `{slot}` is replaced by a filler from [`crate::slots`]. A slot keeps its value for the
//!   whole message (a bank named in the subject is the bank named in the body); a trailing
//!   digit (`{amount2}`) asks for a second, independent value of the same kind.
//! - `[a|b|c]` picks one alternative; alternatives may be empty (`[ now|]`) and may nest and
//!   contain slots. Alternatives multiply the distinct texts a template can produce, which is
//!   what keeps exact duplicates rare.
//!
//! An unknown slot is left in the text as `{name}` rather than panicking: the templates are
//! static, and a unit test renders every one of them and rejects any leftover brace.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::slots::{self, pick, Bank, Courier, Shop, Size, Utility};
use crate::themes::{self, EmailKind, ThemeSpec};
use crate::{Label, Language};

/// Share of e-mail-capable messages rendered as a full e-mail (subject, greeting, paragraphs,
/// sign-off) rather than as a short SMS or chat message.
const EMAIL_SHARE: f64 = 0.12;

/// The named organisations a message refers to, most recent last, so that a later
/// `{official_link}`, `{hotline}` or `{org}` belongs to the same organisation.
#[derive(Clone, Copy)]
enum Entity {
    Bank(&'static Bank),
    Courier(&'static Courier),
    Shop(&'static Shop),
    Utility(&'static Utility),
}

/// Renders the templates of one message, remembering the values its slots took.
pub(crate) struct Renderer<'r> {
    rng: &'r mut ChaCha8Rng,
    language: Language,
    drift: bool,
    cache: Vec<(&'static str, String)>,
    bank: Option<&'static Bank>,
    courier: Option<&'static Courier>,
    shop: Option<&'static Shop>,
    utility: Option<&'static Utility>,
    last_entity: Option<Entity>,
}

impl<'r> Renderer<'r> {
    /// A renderer for one message; `drift` selects the drift-only lure domains.
    pub(crate) fn new(rng: &'r mut ChaCha8Rng, language: Language, drift: bool) -> Self {
        Renderer {
            rng,
            language,
            drift,
            cache: Vec::new(),
            bank: None,
            courier: None,
            shop: None,
            utility: None,
            last_entity: None,
        }
    }

    /// Expands one template.
    pub(crate) fn render(&mut self, template: &'static str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        self.render_into(template, &mut out);
        out
    }

    fn render_into(&mut self, template: &'static str, out: &mut String) {
        let mut rest = template;
        while let Some(pos) = rest.find(['[', '{']) {
            out.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            if tail.starts_with('{') {
                let Some(end) = tail.find('}') else {
                    out.push_str(tail);
                    return;
                };
                self.slot(&tail[1..end], out);
                rest = &tail[end + 1..];
            } else {
                let Some(end) = matching_bracket(tail) else {
                    out.push_str(tail);
                    return;
                };
                let alternatives = split_alternatives(&tail[1..end]);
                let chosen = *pick(self.rng, &alternatives);
                self.render_into(chosen, out);
                rest = &tail[end + 1..];
            }
        }
        out.push_str(rest);
    }

    fn slot(&mut self, name: &'static str, out: &mut String) {
        if let Some((_, value)) = self.cache.iter().find(|(key, _)| *key == name) {
            out.push_str(value);
            return;
        }
        // `code4` and `last4` are kinds of their own; otherwise a trailing digit only asks for
        // a second value of the same kind (`amount2`).
        let value = match self.fill(name) {
            Some(value) => Some(value),
            None => self.fill(name.trim_end_matches(|c: char| c.is_ascii_digit())),
        };
        match value {
            Some(value) => {
                out.push_str(&value);
                self.cache.push((name, value));
            }
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
    }

    fn bank(&mut self) -> &'static Bank {
        let bank = match self.bank {
            Some(bank) => bank,
            None => {
                let bank = match self.language {
                    Language::English => pick(self.rng, slots::BANKS_EN),
                    Language::Chinese => pick(self.rng, slots::BANKS_ZH),
                };
                self.bank = Some(bank);
                bank
            }
        };
        self.last_entity = Some(Entity::Bank(bank));
        bank
    }

    fn courier(&mut self) -> &'static Courier {
        let courier = match self.courier {
            Some(courier) => courier,
            None => {
                let courier = match self.language {
                    Language::English => pick(self.rng, slots::COURIERS_EN),
                    Language::Chinese => pick(self.rng, slots::COURIERS_ZH),
                };
                self.courier = Some(courier);
                courier
            }
        };
        self.last_entity = Some(Entity::Courier(courier));
        courier
    }

    fn shop(&mut self) -> &'static Shop {
        let shop = match self.shop {
            Some(shop) => shop,
            None => {
                let shop = match self.language {
                    Language::English => pick(self.rng, slots::SHOPS_EN),
                    Language::Chinese => pick(self.rng, slots::SHOPS_ZH),
                };
                self.shop = Some(shop);
                shop
            }
        };
        self.last_entity = Some(Entity::Shop(shop));
        shop
    }

    fn utility(&mut self) -> &'static Utility {
        let utility = match self.utility {
            Some(utility) => utility,
            None => {
                let utility = match self.language {
                    Language::English => pick(self.rng, slots::UTILITIES_EN),
                    Language::Chinese => pick(self.rng, slots::UTILITIES_ZH),
                };
                self.utility = Some(utility);
                utility
            }
        };
        self.last_entity = Some(Entity::Utility(utility));
        utility
    }

    /// The value of one slot kind, or `None` for an unknown slot.
    fn fill(&mut self, base: &str) -> Option<String> {
        let lang = self.language;
        let value = match base {
            "name" => slots::NAMES.pick(self.rng, lang).to_string(),
            "surname" => slots::SURNAMES.pick(self.rng, lang).to_string(),
            "customer" => {
                let surname = slots::SURNAMES.pick(self.rng, lang);
                match lang {
                    Language::English => format!("{} {surname}", pick(self.rng, slots::TITLES_EN)),
                    Language::Chinese => format!("{surname}{}", pick(self.rng, slots::TITLES_ZH)),
                }
            }
            "doctor" => format!("Dr. {}", slots::SURNAMES.pick(self.rng, Language::English)),
            "relative" => slots::RELATIVES.pick(self.rng, lang).to_string(),
            "bank" => self.bank().name.to_string(),
            "courier" => self.courier().name.to_string(),
            "shop" => self.shop().name.to_string(),
            "tracking" => {
                let courier = self.courier();
                let len = if courier.prefix.len() > 2 {
                    12
                } else {
                    13 - courier.prefix.len()
                };
                format!("{}{}", courier.prefix, slots::digits(self.rng, len))
            }
            "official_link" => self.official_link(),
            "hotline" => self.hotline(),
            "org" => self.org(),
            "merchant" => slots::MERCHANTS.pick(self.rng, lang).to_string(),
            "utility" => self.utility().name.to_string(),
            "bill" => self.utility().bill.to_string(),
            "city" => slots::CITIES.pick(self.rng, lang).to_string(),
            "place" => slots::PLACES.pick(self.rng, lang).to_string(),
            "pickup" => slots::PICKUPS.pick(self.rng, lang).to_string(),
            "clinic" => slots::CLINICS.pick(self.rng, lang).to_string(),
            "dept" => slots::DEPARTMENTS.pick(self.rng, lang).to_string(),
            "prize" => slots::PRIZES.pick(self.rng, lang).to_string(),
            "freebie" => slots::FREEBIES.pick(self.rng, lang).to_string(),
            "agency" => pick(self.rng, slots::AGENCIES_EN).to_string(),
            "project" => slots::PROJECTS.pick(self.rng, lang).to_string(),
            "company" => slots::COMPANIES.pick(self.rng, lang).to_string(),
            "coin" => pick(self.rng, slots::COINS).to_string(),
            "platform" => pick(self.rng, slots::PLATFORMS).to_string(),
            "rate" => pick(self.rng, slots::RATES).to_string(),
            "app" => slots::CHAT_APPS.pick(self.rng, lang).to_string(),
            "payapp" => slots::PAY_APPS.pick(self.rng, lang).to_string(),
            "weekday" => slots::WEEKDAYS.pick(self.rng, lang).to_string(),
            "date" => slots::date(self.rng, lang),
            "time" => slots::time(self.rng, lang),
            "amount" => slots::money(self.rng, lang, Size::Medium),
            "small_amount" => slots::money(self.rng, lang, Size::Small),
            "big_amount" => slots::money(self.rng, lang, Size::Big),
            "scam_link" => slots::scam_link(self.rng, lang, self.drift),
            "email" => slots::scam_email(self.rng),
            "phone" => slots::phone(self.rng, lang),
            "code" => slots::digits(self.rng, 6),
            "code4" | "last4" => slots::digits(self.rng, 4),
            "order" => slots::order(self.rng, lang),
            "discount" => slots::discount(self.rng, lang),
            "promo" => slots::promo(self.rng),
            "count" => self.rng.gen_range(2u32..7).to_string(),
            "usdt" => {
                let units = self.rng.gen_range(1u64..400) * 50;
                let unit = *pick(self.rng, &[" USDT", " USDT", "U", " usdt"]);
                format!("{}{unit}", slots::thousands(units))
            }
            _ => return None,
        };
        Some(value)
    }

    fn official_link(&mut self) -> String {
        match self.last_entity {
            Some(Entity::Bank(bank)) => slots::official_link(self.rng, bank.domain, None),
            Some(Entity::Courier(courier)) => slots::official_link(self.rng, courier.domain, None),
            Some(Entity::Shop(shop)) => {
                slots::official_link(self.rng, shop.domain, Some(shop.short))
            }
            Some(Entity::Utility(utility)) => slots::official_link(self.rng, utility.domain, None),
            // With no organisation named (invoices, government bookings), link to an invoicing
            // or public-service site rather than inventing an organisation.
            None => slots::neutral_link(self.rng, self.language),
        }
    }

    fn hotline(&mut self) -> String {
        match self.last_entity {
            Some(Entity::Bank(bank)) => bank.hotline.to_string(),
            Some(Entity::Courier(courier)) => courier.hotline.to_string(),
            _ => match self.language {
                Language::English => format!("1-800-555-01{}", slots::digits(self.rng, 2)),
                Language::Chinese => {
                    format!(
                        "400-{}-{}",
                        slots::digits(self.rng, 3),
                        slots::digits(self.rng, 4)
                    )
                }
            },
        }
    }

    fn org(&mut self) -> String {
        match self.last_entity {
            Some(Entity::Bank(bank)) => bank.name.to_string(),
            Some(Entity::Courier(courier)) => courier.name.to_string(),
            Some(Entity::Shop(shop)) => shop.name.to_string(),
            Some(Entity::Utility(utility)) => utility.name.to_string(),
            None => match self.language {
                Language::English => "Accounts".to_string(),
                Language::Chinese => "客户服务中心".to_string(),
            },
        }
    }

    /// A full e-mail: subject, greeting, the theme's message as the first paragraph, up to a
    /// few stock paragraphs until the text is 300–700 characters long in English or 200–450 in
    /// Chinese (never past 800), and a sign-off.
    fn email(&mut self, theme: &ThemeSpec, body_template: &'static str) -> String {
        let lang = self.language;
        let parts = themes::email_parts(theme.email, theme.class, lang);
        let subject_template = *pick(self.rng, theme.subjects(lang));
        let subject = self.render(subject_template);
        let greeting_template = *pick(self.rng, parts.greetings);
        let greeting = self.render(greeting_template);
        let body = self.render(body_template);
        let signoff_template = *pick(self.rng, parts.signoffs);
        let signoff = self.render(signoff_template);
        let subject_label = match lang {
            Language::English => "Subject: ",
            Language::Chinese => "主题：",
        };

        // Chinese carries more per character, so the same e-mail is about half as many
        // characters; a handful of paragraphs keeps both from reading like boilerplate lists.
        let (target, max_paragraphs) = match lang {
            Language::English => (self.rng.gen_range(300usize..=700), 4),
            Language::Chinese => (self.rng.gen_range(200usize..=450), 5),
        };
        let fixed = subject_label.chars().count()
            + subject.chars().count()
            + greeting.chars().count()
            + body.chars().count()
            + signoff.chars().count()
            + 8;
        let mut length = fixed;
        let mut paragraphs: Vec<String> = Vec::new();
        let mut candidates: Vec<&'static str> = parts.paragraphs.to_vec();
        while length < target && !candidates.is_empty() && paragraphs.len() < max_paragraphs {
            let index = self
                .rng
                .gen_range(0..u32::try_from(candidates.len()).unwrap_or(1));
            let template = candidates.swap_remove(index as usize);
            let paragraph = self.render(template);
            let added = paragraph.chars().count() + 2;
            if length + added <= 800 {
                length += added;
                paragraphs.push(paragraph);
            }
        }

        let mut text = format!("{subject_label}{subject}\n\n{greeting}\n\n{body}");
        for paragraph in &paragraphs {
            text.push_str("\n\n");
            text.push_str(paragraph);
        }
        text.push_str("\n\n");
        text.push_str(&signoff);
        text
    }
}

/// Index of the `]` that closes the `[` at the start of `text`, honouring nesting.
fn matching_bracket(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, ch) in text.char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits the inside of `[...]` on the `|` characters that are not inside a nested bracket.
fn split_alternatives(inner: &'static str) -> Vec<&'static str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, ch) in inner.char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => {
                parts.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
}

/// How strongly a message's surface is restyled.
struct Style {
    emoji: f64,
    shout: f64,
    lowercase: f64,
    halfwidth: f64,
    mix: f64,
    evade: f64,
}

fn style_for(theme: &ThemeSpec, language: Language, drifted_batch: bool) -> Style {
    let fraud = theme.class == Label::Fraud;
    let mut style = Style {
        emoji: if theme.casual {
            0.25
        } else if fraud {
            0.10
        } else {
            0.08
        },
        shout: match (language, fraud) {
            (Language::English, true) => 0.06,
            (Language::English, false) => 0.01,
            (Language::Chinese, _) => 0.0,
        },
        lowercase: if theme.casual && language == Language::English {
            0.25
        } else {
            0.0
        },
        halfwidth: if language == Language::Chinese {
            0.12
        } else {
            0.0
        },
        mix: 0.0,
        // Scammers spell around keyword filters; a few legitimate senders' messages get the
        // same treatment (forwarded, pasted, mistyped), so an odd spelling is not a giveaway.
        evade: if fraud { 0.12 } else { 0.03 },
    };
    if drifted_batch {
        // Drift is not only new themes: the way people write moves too. Fraud moves most,
        // legitimate traffic a little, as it would in production.
        if fraud {
            style.emoji += 0.35;
            style.mix = 0.5;
        } else {
            style.emoji += 0.10;
            style.mix = 0.45;
        }
    }
    style
}

const FRAUD_EMOJI: &[&str] = &[
    "⚠️", "❗", "🎁", "💰", "🎉", "🔥", "📦", "✅", "👉", "‼️", "🚨", "💳",
];
const LEGIT_EMOJI: &[&str] = &[
    "😊", "👍", "❤️", "😂", "🙏", "🎉", "✅", "📦", "🛍️", "😅", "👌", "🙂",
];
const DRIFT_EMOJI: &[&str] = &[
    "🚀", "💎", "📈", "🤑", "🔥", "👇", "💸", "🙏", "😭", "🧧", "💯",
];

/// Code-mixing in drifted batches: Chinese words swapped for English or internet shorthand, and
/// (below) English words swapped for texting shorthand, plus mixed-language tails.
const MIX_ZH: &[(&str, &str)] = &[
    ("微信", "VX"),
    ("微信", "WeChat"),
    ("链接", "link"),
    ("收益", "profit"),
    ("好的", "OK"),
    ("赶紧", "快快"),
    ("手机", "phone"),
    ("账户", "account"),
    ("马上", "马上asap"),
    ("客服", "客服(CS)"),
    ("谢谢", "thx"),
];
const MIX_ZH_TAILS: &[&str] = &[
    " OK?",
    " thx🙏",
    " 快dd我",
    " 私我~",
    " hurry!",
    " 速度~",
    " (urgent)",
    " pls",
];
const MIX_EN: &[(&str, &str)] = &[
    ("Please", "Pls"),
    ("please", "pls"),
    (" you ", " u "),
    (" your ", " ur "),
    ("WeChat", "VX"),
    ("message me", "dd me"),
    ("today", "2day"),
];
const MIX_EN_TAILS: &[&str] = &[
    " pls 🙏",
    " asap!!",
    " 加我微信详聊",
    " 谢谢 thx",
    " ok?",
    " 私聊 DM me",
    " 速回",
];

/// Renders one message of `theme` in `language` and applies the surface style.
pub(crate) fn message(
    theme: &ThemeSpec,
    language: Language,
    drifted_batch: bool,
    rng: &mut ChaCha8Rng,
) -> (usize, String) {
    let templates = theme.templates(language);
    let index = rng.gen_range(0..templates.len());
    let template = templates[index];
    let as_email = theme.email != EmailKind::None && rng.gen_bool(EMAIL_SHARE);
    let text = {
        let mut renderer = Renderer::new(rng, language, theme.drift);
        if as_email {
            renderer.email(theme, template)
        } else {
            renderer.render(template)
        }
    };
    let style = style_for(theme, language, drifted_batch);
    (
        index,
        restyle(text, theme, language, as_email, drifted_batch, &style, rng),
    )
}

fn restyle(
    mut text: String,
    theme: &ThemeSpec,
    language: Language,
    as_email: bool,
    drifted_batch: bool,
    style: &Style,
    rng: &mut ChaCha8Rng,
) -> String {
    // The decisions are drawn first, in a fixed order, so that each one is independent of the
    // random numbers the other branches consume.
    let shout = rng.gen_bool(style.shout);
    let lowercase = rng.gen_bool(style.lowercase);
    let halfwidth = rng.gen_bool(style.halfwidth);
    let mix = rng.gen_bool(style.mix);
    let emoji = rng.gen_bool(style.emoji);
    let evade = rng.gen_bool(style.evade);

    if !as_email {
        if shout {
            text = map_words(&text, str::to_uppercase);
        } else if lowercase {
            text = map_words(&text, str::to_lowercase);
        }
    }
    if halfwidth {
        text = text.chars().map(halfwidth_punctuation).collect();
    }
    if mix {
        text = code_mix(text, language, rng);
    }
    if evade {
        text = evasive_spelling(&text, language, rng);
    }
    if emoji {
        let pool: &[&str] = if theme.class == Label::Fraud {
            FRAUD_EMOJI
        } else {
            LEGIT_EMOJI
        };
        let first = if drifted_batch && rng.gen_bool(0.5) {
            *pick(rng, DRIFT_EMOJI)
        } else {
            *pick(rng, pool)
        };
        let second = if rng.gen_bool(0.3) {
            *pick(rng, pool)
        } else {
            ""
        };
        if rng.gen_bool(0.3) && !as_email {
            text = format!("{first}{second} {text}");
        } else {
            let space = if language == Language::English {
                " "
            } else {
                ""
            };
            text = format!("{text}{space}{first}{second}");
        }
    }
    text
}

/// Chinese words filters look for, with the homophones, variant characters and pinyin that
/// scammers write instead.
const HOMOPHONES_ZH: &[(&str, &[&str])] = &[
    ("微信", &["薇信", "威信", "V信", "vx", "wx"]),
    ("兼职", &["兼耳只", "jianzhi", "兼.职"]),
    ("贷款", &["代款", "daikuan", "贷.款"]),
    ("刷单", &["刷dan", "shua单", "刷 单"]),
    ("验证码", &["yzm", "验证妈", "验.证.码"]),
    ("返利", &["返莉", "fanli"]),
    ("转账", &["转帐", "zhuan账"]),
    ("QQ", &["扣扣", "企鹅号"]),
    ("退款", &["退.款", "tui款"]),
    ("客服", &["客.服", "kefu"]),
];

/// Look-alike letters from other scripts.
const LOOK_ALIKES: &[(char, char)] = &[
    ('a', 'а'),
    ('e', 'е'),
    ('o', 'о'),
    ('p', 'р'),
    ('c', 'с'),
    ('x', 'х'),
    ('y', 'у'),
    ('i', 'і'),
];

/// Rewrites one word of the message the way filter-evading scams do: zero-width characters,
/// Cyrillic look-alikes, spaced or dotted letters, an emoji wedged inside, digits for letters,
/// and in Chinese homophones and pinyin.
fn evasive_spelling(text: &str, language: Language, rng: &mut ChaCha8Rng) -> String {
    if language == Language::Chinese && rng.gen_bool(0.6) {
        let present: Vec<&(&str, &[&str])> = HOMOPHONES_ZH
            .iter()
            .filter(|(word, _)| text.contains(word))
            .collect();
        if !present.is_empty() {
            let (word, variants) = **pick(rng, &present);
            return text.replacen(word, pick::<&str>(rng, variants), 1);
        }
        // Wedge an emoji or a dot between two Chinese characters.
        let chars: Vec<char> = text.chars().collect();
        let spots: Vec<usize> = (1..chars.len())
            .filter(|&i| is_han(chars[i - 1]) && is_han(chars[i]))
            .collect();
        if spots.is_empty() {
            return text.to_string();
        }
        let at = *pick(rng, &spots);
        let wedge = *pick(rng, &["💰", "🔥", "👉", ".", "·", " ", "\u{200b}"]);
        let mut out: String = chars[..at].iter().collect();
        out.push_str(wedge);
        out.extend(&chars[at..]);
        return out;
    }
    // A plain word of four or more letters, not part of a link or an address.
    let words: Vec<&str> = text.split(' ').collect();
    let candidates: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].len() >= 4 && words[i].chars().all(|c| c.is_ascii_alphabetic()))
        .collect();
    if candidates.is_empty() {
        return text.to_string();
    }
    let chosen = *pick(rng, &candidates);
    let word = words[chosen];
    let rewritten: String = match rng.gen_range(0..5u8) {
        0 => {
            let mut out = String::new();
            for (i, c) in word.chars().enumerate() {
                if i > 0 && i % 2 == 0 {
                    out.push('\u{200b}');
                }
                out.push(c);
            }
            out
        }
        1 => word
            .chars()
            .map(|c| {
                LOOK_ALIKES
                    .iter()
                    .find(|(latin, _)| *latin == c)
                    .map_or(c, |&(_, other)| other)
            })
            .collect(),
        2 => {
            let sep = *pick(rng, &[".", " ", "-", "*"]);
            word.chars().map(String::from).collect::<Vec<_>>().join(sep)
        }
        3 => {
            let mid = word.len() / 2;
            format!(
                "{}{}{}",
                &word[..mid],
                pick(rng, &["💰", "🔥", "✅"]),
                &word[mid..]
            )
        }
        _ => word
            .chars()
            .enumerate()
            .map(|(i, c)| match c {
                'o' if i > 0 => '0',
                'l' if i > 0 => '1',
                other => other,
            })
            .collect(),
    };
    let mut out: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    out[chosen] = rewritten;
    out.join(" ")
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Changes the case of every word except links and addresses, which people do not retype.
fn map_words(text: &str, change: fn(&str) -> String) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('/') || word.contains("www.") || word.contains('@') {
                word.to_string()
            } else {
                change(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Full-width Chinese punctuation typed as ASCII, as many people do on a laptop keyboard.
fn halfwidth_punctuation(ch: char) -> char {
    match ch {
        '，' => ',',
        '。' => '.',
        '！' => '!',
        '？' => '?',
        '：' => ':',
        '；' => ';',
        '（' => '(',
        '）' => ')',
        other => other,
    }
}

/// English–Chinese code-mixing: swaps a few words for the other language's shorthand and may
/// add a mixed-language tail.
fn code_mix(mut text: String, language: Language, rng: &mut ChaCha8Rng) -> String {
    let (swaps, tails) = match language {
        Language::English => (MIX_EN, MIX_EN_TAILS),
        Language::Chinese => (MIX_ZH, MIX_ZH_TAILS),
    };
    for (from, to) in swaps {
        if rng.gen_bool(0.5) && text.contains(from) {
            text = text.replacen(from, to, 1);
        }
    }
    if rng.gen_bool(0.6) {
        text.push_str(pick::<&str>(rng, tails));
    }
    text
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::themes::{EMAIL_PARTS_FOR_TESTS, THEMES};

    fn assert_clean(text: &str, origin: &str) {
        assert!(
            !text.contains(['{', '}', '[', ']', '|']),
            "template residue in {origin}: {text:?}"
        );
        assert!(!text.trim().is_empty(), "empty text from {origin}");
    }

    /// Renders every template and stock paragraph many times, so that an unknown slot or an
    /// unbalanced bracket anywhere in the tables fails here rather than shipping.
    #[test]
    fn every_template_renders_without_residue() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for theme in THEMES {
            for language in [Language::English, Language::Chinese] {
                let all = theme
                    .templates(language)
                    .iter()
                    .chain(theme.subjects(language));
                for template in all {
                    for _ in 0..30 {
                        let text = Renderer::new(&mut rng, language, theme.drift).render(template);
                        assert_clean(&text, template);
                    }
                }
            }
        }
        for template in EMAIL_PARTS_FOR_TESTS.iter().flat_map(|parts| {
            parts
                .greetings
                .iter()
                .chain(parts.paragraphs)
                .chain(parts.signoffs)
        }) {
            for language in [Language::English, Language::Chinese] {
                let text = Renderer::new(&mut rng, language, false).render(template);
                assert_clean(&text, template);
            }
        }
    }

    #[test]
    fn alternatives_nest_and_slots_repeat_their_value() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            let text = Renderer::new(&mut rng, Language::English, false)
                .render("[a[b|c]|d] {code} {code} {code2}");
            let words: Vec<&str> = text.split(' ').collect();
            assert!(["ab", "ac", "d"].contains(&words[0]), "{text}");
            assert_eq!(
                words[1], words[2],
                "a slot keeps its value within a message"
            );
        }
        let unknown = Renderer::new(&mut rng, Language::English, false).render("x {nope} y");
        assert_eq!(unknown, "x {nope} y");
    }

    #[test]
    fn emails_are_long_and_sms_are_short() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let theme = THEMES
            .iter()
            .find(|theme| theme.name == "bill_payment")
            .unwrap();
        for language in [Language::English, Language::Chinese] {
            for _ in 0..40 {
                let template = *pick(&mut rng, theme.templates(language));
                let text = Renderer::new(&mut rng, language, false).email(theme, template);
                let chars = text.chars().count();
                let floor = if language == Language::English {
                    250
                } else {
                    150
                };
                assert!((floor..=800).contains(&chars), "{chars} chars: {text}");
                let sms = Renderer::new(&mut rng, language, false).render(template);
                assert!(sms.chars().count() <= 260, "{sms}");
            }
        }
    }
}
