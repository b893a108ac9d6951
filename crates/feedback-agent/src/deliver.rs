//! Delivery of notices: SMTP (lettre), an n8n webhook, or the outbox on disk (the offline
//! default).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use serde_json::json;

use crate::settings::{Secrets, Settings};
use crate::store::{AgentStore, OutboxEntry, StoredNotice};

/// Where a notice goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A file in `<home>/agent/outbox`, listed at `GET /outbox`.
    Outbox,
    /// An e-mail through the SMTP server.
    Email,
    /// A POST to the n8n webhook.
    Webhook,
}

impl Channel {
    /// From a request's `channel`.
    pub fn parse(value: &str) -> Option<Channel> {
        match value {
            "outbox" => Some(Channel::Outbox),
            "email" => Some(Channel::Email),
            "webhook" => Some(Channel::Webhook),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Outbox => "outbox",
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

/// What a delivery did.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryResult {
    /// The channel.
    pub channel: Channel,
    /// `sent`, `stored` or `failed`.
    pub status: &'static str,
    /// The SMTP reply, the webhook status, the outbox file, or the failure.
    pub detail: String,
}

/// How notices leave the agent.
#[derive(Clone)]
pub struct Delivery {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
    webhook_url: Option<String>,
    http: reqwest::Client,
    store: AgentStore,
}

/// The plain-text mail of a notice.
pub fn mail_text(notice: &StoredNotice) -> String {
    let zh = notice.lang == "zh";
    let mut text = String::new();
    let name = notice.contact.name.as_deref().unwrap_or_default();
    text.push_str(&match (zh, name.is_empty()) {
        (true, true) => "尊敬的客户：\n\n".to_string(),
        (true, false) => format!("{name}，您好：\n\n"),
        (false, true) => "Hello,\n\n".to_string(),
        (false, false) => format!("Dear {name},\n\n"),
    });
    text.push_str(&notice.draft.body);
    text.push_str("\n\n");
    let section = |title: &str, items: &[String], out: &mut String| {
        if !items.is_empty() {
            out.push_str(title);
            out.push('\n');
            for item in items {
                out.push_str("- ");
                out.push_str(item);
                out.push('\n');
            }
            out.push('\n');
        }
    };
    section(
        if zh {
            "可疑之处："
        } else {
            "Why it looks suspicious:"
        },
        &notice.draft.reasons,
        &mut text,
    );
    section(
        if zh { "建议：" } else { "What to do:" },
        &notice.draft.advice,
        &mut text,
    );
    text.push_str(if zh {
        "是诈骗，确认："
    } else {
        "Yes, it was a scam: "
    });
    text.push_str(&notice.links.confirm);
    text.push('\n');
    text.push_str(if zh {
        "不是诈骗，申诉："
    } else {
        "No, it was genuine: "
    });
    text.push_str(&notice.links.dispute);
    text.push_str("\n\n");
    let sources: Vec<String> = notice
        .draft
        .citations
        .iter()
        .map(|c| format!("{} — {}", c.file, c.heading))
        .collect();
    text.push_str(if zh { "依据：" } else { "Sources: " });
    text.push_str(&sources.join("; "));
    text.push('\n');
    text
}

impl Delivery {
    /// Delivery as configured (SMTP only with a host).
    pub fn new(
        settings: &Settings,
        secrets: &Secrets,
        http: reqwest::Client,
        store: AgentStore,
    ) -> anyhow::Result<Delivery> {
        let smtp = match &settings.smtp_host {
            None => None,
            Some(host) => {
                let builder = match settings.smtp_tls.as_str() {
                    "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                    "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
                    _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                };
                let mut builder = builder
                    .port(settings.smtp_port)
                    .timeout(Some(Duration::from_secs(20)));
                if let (Some(user), Some(password)) =
                    (&secrets.smtp_username, &secrets.smtp_password)
                {
                    builder = builder.credentials(Credentials::new(
                        user.expose().to_string(),
                        password.expose().to_string(),
                    ));
                }
                Some(builder.build())
            }
        };
        let from = match settings.smtp_host {
            Some(_) => Some(
                settings
                    .smtp_from
                    .parse::<Mailbox>()
                    .map_err(|e| anyhow::anyhow!("smtp_from {:?}: {e}", settings.smtp_from))?,
            ),
            None => None,
        };
        Ok(Delivery {
            smtp,
            from,
            webhook_url: settings.webhook_url.clone(),
            http,
            store,
        })
    }

    /// Why a channel cannot be used, if it cannot.
    pub fn unavailable(&self, channel: Channel, notice_has_email: bool) -> Option<&'static str> {
        match channel {
            Channel::Outbox => None,
            Channel::Email if self.smtp.is_none() => {
                Some("e-mail delivery is not configured (SMTP_HOST)")
            }
            Channel::Email if !notice_has_email => Some("e-mail delivery needs contact.email"),
            Channel::Email => None,
            Channel::Webhook if self.webhook_url.is_none() => {
                Some("webhook delivery is not configured (N8N_WEBHOOK_URL)")
            }
            Channel::Webhook => None,
        }
    }

    /// Delivers a notice.
    pub async fn deliver(&self, channel: Channel, notice: &StoredNotice) -> DeliveryResult {
        let text = mail_text(notice);
        let result = match channel {
            Channel::Outbox => {
                let store = self.store.clone();
                let entry = OutboxEntry {
                    notice_id: notice.notice_id.clone(),
                    created_at: notice.created_at,
                    to: notice.contact.email.clone(),
                    subject: notice.draft.subject.clone(),
                    text,
                };
                tokio::task::spawn_blocking(move || store.put_outbox(&entry))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()))
                    .map(|path| {
                        (
                            "stored",
                            path.file_name()
                                .unwrap_or_default()
                                .to_string_lossy()
                                .into_owned(),
                        )
                    })
            }
            Channel::Email => self.send_mail(notice, text).await,
            Channel::Webhook => self.post_webhook(notice, text).await,
        };
        match result {
            Ok((status, detail)) => DeliveryResult {
                channel,
                status,
                detail,
            },
            Err(detail) => {
                tracing::warn!(channel = channel.as_str(), %detail, "delivery failed");
                DeliveryResult {
                    channel,
                    status: "failed",
                    detail,
                }
            }
        }
    }

    async fn send_mail(
        &self,
        notice: &StoredNotice,
        text: String,
    ) -> Result<(&'static str, String), String> {
        let (Some(smtp), Some(from)) = (&self.smtp, &self.from) else {
            return Err("e-mail delivery is not configured".into());
        };
        let address = notice
            .contact
            .email
            .as_deref()
            .ok_or("no e-mail address")?
            .parse()
            .map_err(|e| format!("contact.email: {e}"))?;
        let to = Mailbox::new(notice.contact.name.clone(), address);
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(notice.draft.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| e.to_string())?;
        let response = smtp.send(message).await.map_err(|e| format!("SMTP: {e}"))?;
        Ok(("sent", format!("SMTP {}", response.code())))
    }

    async fn post_webhook(
        &self,
        notice: &StoredNotice,
        text: String,
    ) -> Result<(&'static str, String), String> {
        let url = self.webhook_url.as_deref().ok_or("no webhook configured")?;
        let response = self
            .http
            .post(url)
            .timeout(Duration::from_secs(10))
            .json(&json!({
                "notice_id": notice.notice_id,
                "to": notice.contact.email,
                "name": notice.contact.name,
                "lang": notice.lang,
                "subject": notice.draft.subject,
                "text": text,
                "links": notice.links,
            }))
            .send()
            .await
            .map_err(|e| format!("webhook: {}", e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(("sent", format!("webhook {}", status.as_u16())))
        } else {
            Err(format!("webhook answered {}", status.as_u16()))
        }
    }
}
