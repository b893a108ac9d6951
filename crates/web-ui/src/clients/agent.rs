//! feedback-agent: notices to the person concerned, the outbox, the operator's Q&A.
//!
//! Written from the contract of its issue (`POST /notify`, `GET /outbox`, `POST /ask`); fields
//! are read leniently.

use serde_json::{json, Value};

use super::{list, Backend, BackendError, Body};

/// A cited source of an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    /// The knowledge-base file.
    pub file: String,
    /// The heading of the chunk.
    pub heading: String,
}

/// The agent's answer to a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The answer's text.
    pub text: String,
    /// What it cites.
    pub citations: Vec<Citation>,
    /// Which path produced it (`llm`, `template`, …), when said.
    pub path: String,
}

/// One notice of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// When it was written.
    pub at: String,
    /// To whom.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// How it went out (`outbox`, `smtp`, `webhook`) and with what result.
    pub delivery: String,
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl Notice {
    fn from_json(v: &Value) -> Notice {
        let notice = v.get("notice").unwrap_or(v);
        let delivery = v.get("delivery").unwrap_or(&Value::Null);
        Notice {
            at: text(v.get("at").or_else(|| v.get("created_at"))),
            to: text(
                v.get("to")
                    .or_else(|| v.pointer("/contact/email"))
                    .or_else(|| v.pointer("/contact/name")),
            ),
            subject: text(notice.get("subject")),
            delivery: [
                text(delivery.get("channel").or_else(|| v.get("channel"))),
                text(delivery.get("status").or_else(|| delivery.get("result"))),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": "),
        }
    }
}

/// feedback-agent's client.
#[derive(Debug, Clone)]
pub struct FeedbackAgent(pub Backend);

impl FeedbackAgent {
    /// Explains a prediction to the person concerned and delivers it (the outbox by
    /// default); returns the notice as delivered.
    pub async fn notify(&self, prediction_id: &str, locale: &str) -> Result<Notice, BackendError> {
        let body = json!({"prediction_id": prediction_id, "contact": {"locale": locale}});
        let value = self
            .0
            .json(
                reqwest::Method::POST,
                "/notify",
                Body::Json(body),
                None,
                &[],
            )
            .await?;
        Ok(Notice::from_json(&value))
    }

    /// The notices delivered to the outbox, as the agent lists them (an admin endpoint: its
    /// entries hold working confirm links).
    pub async fn outbox(&self, admin_token: Option<&str>) -> Result<Vec<Notice>, BackendError> {
        let value = self
            .0
            .json(reqwest::Method::GET, "/outbox", Body::None, admin_token, &[])
            .await?;
        let items = ["entries", "notices", "items"]
            .iter()
            .map(|key| list(&value, key))
            .find(|items| !items.is_empty())
            .unwrap_or_default();
        Ok(items.iter().map(Notice::from_json).collect())
    }

    /// An operator's question, about a prediction or in general.
    pub async fn ask(
        &self,
        question: &str,
        prediction_id: Option<&str>,
    ) -> Result<Answer, BackendError> {
        let mut body = json!({"question": question});
        if let Some(id) = prediction_id.filter(|id| !id.is_empty()) {
            body["prediction_id"] = json!(id);
        }
        let value = self
            .0
            .json(reqwest::Method::POST, "/ask", Body::Json(body), None, &[])
            .await?;
        // The agent answers with its draft (`subject`, `body`, `reasons`, `advice`,
        // `citations`); a plain string answer is read too.
        let answer = value.get("answer");
        let draft = answer.filter(|a| a.is_object());
        let citations = list(draft.unwrap_or(&value), "citations")
            .iter()
            .map(|c| Citation {
                file: text(c.get("file").or_else(|| c.get("source"))),
                heading: text(c.get("heading").or_else(|| c.get("title"))),
            })
            .collect();
        let answer_text = match draft {
            Some(draft) => {
                let mut parts = vec![text(draft.get("body"))];
                for key in ["reasons", "advice"] {
                    parts.extend(list(draft, key).iter().map(|item| text(Some(item))));
                }
                parts.retain(|p| !p.is_empty());
                parts.join("\n")
            }
            None => text(answer.or_else(|| value.get("text"))),
        };
        Ok(Answer {
            text: answer_text,
            citations,
            path: text(value.get("path").or_else(|| value.get("generated_by"))),
        })
    }
}
