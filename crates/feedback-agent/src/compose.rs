//! What a notice or an answer says: the schema generated output must meet, its checks
//! (lengths, citations, links), and the deterministic templates that write it offline.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::kb::{Chunk, Lang};

/// A chunk cited by an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The file, relative to the knowledge base.
    pub file: String,
    /// The section heading.
    pub heading: String,
}

impl Citation {
    /// The citation of a chunk.
    pub fn of(chunk: &Chunk) -> Citation {
        Citation {
            file: chunk.file.clone(),
            heading: chunk.heading.clone(),
        }
    }
}

/// A notice or an answer, whoever wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// One line.
    pub subject: String,
    /// A few sentences.
    pub body: String,
    /// Why the message is suspicious (or why the answer holds).
    pub reasons: Vec<String>,
    /// What to do.
    pub advice: Vec<String>,
    /// The chunks it rests on.
    pub citations: Vec<Citation>,
}

/// Which path wrote a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftPath {
    /// The chat model, output validated.
    Llm,
    /// The deterministic template (no key, or the model failed).
    Template,
}

impl DraftPath {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            DraftPath::Llm => "llm",
            DraftPath::Template => "template",
        }
    }
}

/// Length limits of generated output, in characters.
pub const MAX_SUBJECT: usize = 120;
/// Longest body.
pub const MAX_BODY: usize = 1500;
/// Most reasons or advice items.
pub const MAX_ITEMS: usize = 6;
/// Longest reason or advice item.
pub const MAX_ITEM: usize = 300;

/// What generated output must look like: the JSON the chat model is asked for, with sources
/// cited by their ids (`S1`, `S2`, …).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedDraft {
    /// One line.
    pub subject: String,
    /// A few sentences.
    pub body: String,
    /// Reasons.
    pub reasons: Vec<String>,
    /// Advice.
    pub advice: Vec<String>,
    /// Source ids.
    pub citations: Vec<String>,
}

/// The JSON schema given to the model (and documented in `openapi.json`).
pub const DRAFT_SCHEMA: &str = r#"{"type":"object","additionalProperties":false,"required":["subject","body","reasons","advice","citations"],"properties":{"subject":{"type":"string","maxLength":120},"body":{"type":"string","maxLength":1500},"reasons":{"type":"array","maxItems":6,"items":{"type":"string","maxLength":300}},"advice":{"type":"array","maxItems":6,"items":{"type":"string","maxLength":300}},"citations":{"type":"array","minItems":1,"items":{"type":"string","description":"a source id such as S1"}}}}"#;

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.)[^\s<>()\[\]{}'\x22，。]+").expect("valid regex")
});
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,12}\b").expect("valid regex")
});

/// The host of a URL-like string, lowercase, without `www.`.
fn host_of(url: &str) -> String {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .to_ascii_lowercase();
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or_default()
        .to_string();
    host.strip_prefix("www.")
        .map(str::to_string)
        .unwrap_or(host)
}

/// The hosts a message names (links and bare domains): output must not repeat them.
pub fn hosts_in(text: &str) -> Vec<String> {
    let mut hosts: Vec<String> = URL
        .find_iter(text)
        .map(|m| host_of(m.as_str()))
        .chain(DOMAIN.find_iter(text).map(|m| host_of(m.as_str())))
        .filter(|h| h.contains('.'))
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// True when `host` is one of `own` or a subdomain of one.
fn is_own(host: &str, own: &[String]) -> bool {
    own.iter()
        .any(|o| host == o || host.ends_with(&format!(".{o}")))
}

/// Checks generated output and turns its source ids into citations. `sources` are the
/// chunks offered (`S1` is the first); `own_hosts` the hosts links may point at;
/// `message_hosts` the hosts named by the message under review.
pub fn validate(
    generated: GeneratedDraft,
    sources: &[&Chunk],
    own_hosts: &[String],
    message_hosts: &[String],
) -> Result<Draft, String> {
    let count = |s: &str| s.chars().count();
    if generated.subject.trim().is_empty() || generated.body.trim().is_empty() {
        return Err("subject and body must not be empty".into());
    }
    if count(&generated.subject) > MAX_SUBJECT || count(&generated.body) > MAX_BODY {
        return Err(format!(
            "subject is limited to {MAX_SUBJECT} characters and body to {MAX_BODY}"
        ));
    }
    for list in [&generated.reasons, &generated.advice] {
        if list.len() > MAX_ITEMS
            || list
                .iter()
                .any(|i| count(i) > MAX_ITEM || i.trim().is_empty())
        {
            return Err(format!(
                "reasons and advice take at most {MAX_ITEMS} non-empty items of {MAX_ITEM} characters"
            ));
        }
    }
    let all_text = std::iter::once(&generated.subject)
        .chain([&generated.body])
        .chain(&generated.reasons)
        .chain(&generated.advice)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    for m in URL.find_iter(&all_text) {
        let host = host_of(m.as_str());
        if !is_own(&host, own_hosts) {
            return Err(format!("links may only point at our own sites, not {host}"));
        }
    }
    for host in hosts_in(&all_text) {
        if message_hosts.contains(&host) && !is_own(&host, own_hosts) {
            return Err(format!("the output repeats the message's address {host}"));
        }
    }
    if generated.citations.is_empty() {
        return Err("cite at least one source".into());
    }
    let mut citations = Vec::new();
    for id in &generated.citations {
        let chunk = id
            .trim()
            .strip_prefix('S')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| sources.get(n))
            .ok_or_else(|| {
                format!(
                    "unknown source id {id:?}; use the ids S1..S{}",
                    sources.len()
                )
            })?;
        let citation = Citation::of(chunk);
        if !citations.contains(&citation) {
            citations.push(citation);
        }
    }
    Ok(Draft {
        subject: generated.subject.trim().to_string(),
        body: generated.body.trim().to_string(),
        reasons: generated.reasons,
        advice: generated.advice,
        citations,
    })
}

/// What the templates know about the prediction.
#[derive(Debug, Clone)]
pub struct PredictionFacts {
    /// P(fraud).
    pub risk_score: f64,
    /// `low`, `medium`, `high`.
    pub risk_level: String,
    /// Terms with a positive weight, strongest first.
    pub fraud_terms: Vec<String>,
}

/// A term as people read it (the model's placeholders named).
fn readable_term(term: &str, lang: Lang) -> String {
    let named = match (term, lang) {
        ("__url__", Lang::En) => "a link",
        ("__url__", Lang::Zh) => "链接",
        ("__phone__", Lang::En) => "a phone number",
        ("__phone__", Lang::Zh) => "电话号码",
        ("__money__", Lang::En) => "an amount of money",
        ("__money__", Lang::Zh) => "金额",
        ("__email__", Lang::En) => "an e-mail address",
        ("__email__", Lang::Zh) => "电子邮箱地址",
        _ => return format!("“{}”", term.replace(' ', "")),
    };
    named.to_string()
}

/// The paragraph after a bold label (`**What to do:** …`) in a chunk, if any.
fn labelled(chunk: &Chunk, labels: &[&str]) -> Option<String> {
    for label in labels {
        if let Some(at) = chunk.body.find(label) {
            let rest = chunk.body[at + label.len()..].trim_start_matches([':', '：', '*', ' ']);
            let paragraph = rest.split("\n\n").next().unwrap_or_default().trim();
            if !paragraph.is_empty() {
                return Some(paragraph.to_string());
            }
        }
    }
    None
}

/// The first bullet points of a chunk.
fn bullets(chunk: &Chunk, n: usize) -> Vec<String> {
    chunk
        .body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .take(n)
        .map(str::to_string)
        .collect()
}

/// Sentences of a paragraph, at most `n`.
fn sentences(text: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '。' | '！' | '？')
            || (matches!(c, '.' | '!' | '?') && current.trim().len() >= 12)
        {
            let s = current.trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            current.clear();
            if out.len() == n {
                return out;
            }
        }
    }
    if !current.trim().is_empty() && out.len() < n {
        out.push(current.trim().to_string());
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// The offline notice: filled from the prediction and the retrieved chunks, in `lang`.
pub fn template_notice(lang: Lang, facts: &PredictionFacts, chunks: &[&Chunk]) -> Draft {
    let percent = (facts.risk_score * 100.0).round();
    let terms: Vec<String> = facts
        .fraud_terms
        .iter()
        .take(4)
        .map(|t| readable_term(t, lang))
        .collect();
    let top = chunks.first();
    let (subject, body) = match lang {
        Lang::En => (
            "Security check: was this message a scam?".to_string(),
            format!(
                "Our fraud checks rated a message sent to you as {} risk ({percent}%).{} Please tell us with one of the links below whether it was a scam. Do not reply to the message, open its links or call numbers in it.",
                facts.risk_level,
                top.map(|c| format!(" It resembles a known pattern: {}.", c.heading)).unwrap_or_default()
            ),
        ),
        Lang::Zh => (
            "安全提醒：请确认这条消息是否为诈骗".to_string(),
            format!(
                "我们的反欺诈系统将您收到的一条消息评为{}风险（{percent}%）。{}请通过下方链接告诉我们它是否为诈骗。请勿回复该消息、点击其中的链接或拨打其中的电话。",
                match facts.risk_level.as_str() {
                    "high" => "高",
                    "medium" => "中",
                    _ => "低",
                },
                top.map(|c| format!("它与已知的诈骗类型相似：{}。", c.heading)).unwrap_or_default()
            ),
        ),
    };
    let mut reasons = Vec::new();
    if !terms.is_empty() {
        reasons.push(match lang {
            Lang::En => format!(
                "The message contains {}, which weigh towards fraud.",
                terms.join(", ")
            ),
            Lang::Zh => format!("消息中含有{}，这些特征指向诈骗。", terms.join("、")),
        });
    }
    if let Some(chunk) = top {
        reasons.extend(bullets(chunk, 2));
    }
    let mut advice: Vec<String> = top
        .and_then(|c| labelled(c, &["**What to do:**", "**防范与处置：**"]))
        .map(|p| sentences(&p, 3))
        .unwrap_or_default();
    if advice.is_empty() {
        advice = match lang {
            Lang::En => vec![
                "Never share a one-time passcode, PIN or password with anyone, including bank staff.".into(),
                "Check any request through the official app or the number on the back of your card.".into(),
            ],
            Lang::Zh => vec![
                "任何人（包括银行工作人员）索要验证码、密码都不要提供。".into(),
                "如需核实，请通过官方App或银行卡背面的客服电话联系我们。".into(),
            ],
        };
    }
    Draft {
        subject,
        body,
        reasons: reasons
            .into_iter()
            .map(|r| truncate(&r, MAX_ITEM))
            .take(MAX_ITEMS)
            .collect(),
        advice: advice
            .into_iter()
            .map(|a| truncate(&a, MAX_ITEM))
            .take(MAX_ITEMS)
            .collect(),
        citations: chunks.iter().map(|c| Citation::of(c)).collect(),
    }
}

/// The offline answer to an operator's question: the most relevant sections, quoted.
pub fn template_answer(
    lang: Lang,
    question: &str,
    facts: Option<&PredictionFacts>,
    chunks: &[&Chunk],
) -> Draft {
    let subject = truncate(question.trim(), MAX_SUBJECT);
    let mut body = String::new();
    if let Some(facts) = facts {
        let terms: Vec<String> = facts
            .fraud_terms
            .iter()
            .take(5)
            .map(|t| readable_term(t, lang))
            .collect();
        body.push_str(&match lang {
            Lang::En => format!(
                "The model scored this message {:.0}% ({} risk){}. ",
                facts.risk_score * 100.0,
                facts.risk_level,
                if terms.is_empty() {
                    String::new()
                } else {
                    format!("; the terms that drove the score: {}", terms.join(", "))
                }
            ),
            Lang::Zh => format!(
                "模型给这条消息的风险分为{:.0}%（{}）{}。",
                facts.risk_score * 100.0,
                facts.risk_level,
                if terms.is_empty() {
                    String::new()
                } else {
                    format!("，主要依据：{}", terms.join("、"))
                }
            ),
        });
    }
    body.push_str(match lang {
        Lang::En => "From the knowledge base: ",
        Lang::Zh => "知识库中的相关内容：",
    });
    let quoted: Vec<String> = chunks
        .iter()
        .map(|c| {
            format!(
                "{} — {}",
                c.heading,
                sentences(&strip_markdown(&c.body), 2).join(" ")
            )
        })
        .collect();
    body.push_str(&quoted.join(match lang {
        Lang::En => " | ",
        Lang::Zh => "；",
    }));
    let advice = chunks
        .iter()
        .find_map(|c| labelled(c, &["**What to do:**", "**防范与处置：**"]))
        .map(|p| sentences(&p, 3))
        .unwrap_or_default();
    Draft {
        subject,
        body: truncate(&body, MAX_BODY),
        reasons: chunks.first().map(|c| bullets(c, 3)).unwrap_or_default(),
        advice: advice.into_iter().map(|a| truncate(&a, MAX_ITEM)).collect(),
        citations: chunks.iter().map(|c| Citation::of(c)).collect(),
    }
}

/// Markdown emphasis and quote marks removed, lines joined.
fn strip_markdown(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.trim_start_matches(['>', '-', ' '])
                .replace("**", "")
                .replace('`', "")
        })
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::chunk_markdown;

    fn chunks() -> Vec<Chunk> {
        chunk_markdown(
            "en/cases.md",
            "# Cases\n## Parcel fee\n**Red flags:**\n- A fee of $1.99.\n- A lookalike link.\n\n**What to do:** do not use the link. Check the parcel in the shop's app. Freeze the card if you paid.\n",
        )
    }

    fn generated(body: &str, citations: &[&str]) -> GeneratedDraft {
        GeneratedDraft {
            subject: "Was this a scam?".into(),
            body: body.into(),
            reasons: vec!["A fee is asked.".into()],
            advice: vec!["Do not pay.".into()],
            citations: citations.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn validation_checks_citations_links_and_lengths() {
        let chunks = chunks();
        let sources: Vec<&Chunk> = chunks.iter().collect();
        let own = vec!["lakeshorebank.example".to_string()];
        let message_hosts = hosts_in("pay at http://parcel-fee.test/x now");
        assert_eq!(message_hosts, ["parcel-fee.test"]);
        let ok = validate(
            generated("Check https://www.lakeshorebank.example/help.", &["S1"]),
            &sources,
            &own,
            &message_hosts,
        )
        .unwrap();
        assert_eq!(
            ok.citations,
            [Citation {
                file: "en/cases.md".into(),
                heading: "Parcel fee".into()
            }]
        );
        for (body, cites) in [
            ("Pay at https://evil.example/pay", &["S1"][..]),
            ("Go to parcel-fee.test to pay", &["S1"]),
            ("Fine.", &["S2"]),
            ("Fine.", &[]),
            ("", &["S1"]),
        ] {
            assert!(
                validate(generated(body, cites), &sources, &own, &message_hosts).is_err(),
                "{body} {cites:?}"
            );
        }
        let long = "x".repeat(MAX_BODY + 1);
        assert!(validate(generated(&long, &["S1"]), &sources, &own, &message_hosts).is_err());
    }

    #[test]
    fn templates_use_the_prediction_and_the_chunks() {
        let chunks = chunks();
        let refs: Vec<&Chunk> = chunks.iter().collect();
        let facts = PredictionFacts {
            risk_score: 0.93,
            risk_level: "high".into(),
            fraud_terms: vec!["__url__".into(), "parcel".into()],
        };
        let en = template_notice(Lang::En, &facts, &refs);
        assert!(en.body.contains("high risk (93%)"), "{}", en.body);
        assert!(en.body.contains("Parcel fee"));
        assert!(en.reasons[0].contains("a link") && en.reasons[0].contains("“parcel”"));
        assert_eq!(en.reasons[1], "A fee of $1.99.");
        assert_eq!(en.advice[0], "do not use the link.");
        let zh = template_notice(Lang::Zh, &facts, &refs);
        assert!(zh.body.contains("高风险（93%）"), "{}", zh.body);
        let answer = template_answer(Lang::En, "why flagged?", Some(&facts), &refs);
        assert!(
            answer.body.starts_with("The model scored this message 93%"),
            "{}",
            answer.body
        );
        assert_eq!(answer.citations.len(), 1);
    }
}
