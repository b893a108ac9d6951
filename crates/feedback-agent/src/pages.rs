//! The pages people see from a confirm link, in their language. maud escapes every spliced
//! value, so the message under review (untrusted) can never become markup. No scripts, no
//! external resources.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::links::Answer;
use crate::store::StoredNotice;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.5}\
blockquote{background:#f4f5f7;border-left:4px solid #c62828;margin:1rem 0;padding:.75rem 1rem;white-space:pre-wrap;word-break:break-word}\
form{display:flex;gap:1rem;flex-wrap:wrap;margin-top:1.5rem}\
button{font-size:1rem;padding:.7rem 1.2rem;border-radius:6px;border:1px solid #888;background:#fff;cursor:pointer}\
button.suggested{border-width:3px}\
button[value=confirm]{border-color:#c62828}button[value=dispute]{border-color:#2e7d32}\
.muted{color:#5f6b7a;font-size:.9rem}";

/// Page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLang {
    /// English.
    En,
    /// Chinese.
    Zh,
    /// Both (the notice, and so its language, is unknown).
    Both,
}

impl PageLang {
    /// From a notice's `lang`.
    pub fn of(lang: &str) -> PageLang {
        if lang == "zh" {
            PageLang::Zh
        } else {
            PageLang::En
        }
    }

    fn t(self, en: &'static str, zh: &'static str) -> String {
        match self {
            PageLang::En => en.to_string(),
            PageLang::Zh => zh.to_string(),
            PageLang::Both => format!("{en} / {zh}"),
        }
    }

    fn html_lang(self) -> &'static str {
        match self {
            PageLang::Zh => "zh-CN",
            _ => "en",
        }
    }
}

fn page(lang: PageLang, title: &str, content: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (content) }
        }
    }
    .into_string()
}

/// The page a link opens: the message and two buttons that POST the answer.
pub fn confirm_page(notice: &StoredNotice, token: &str, suggested: Answer, action: &str) -> String {
    let lang = PageLang::of(&notice.lang);
    let title = lang.t("Was this message a scam?", "这条消息是诈骗吗？");
    let class = |a: Answer| if a == suggested { "suggested" } else { "" };
    page(
        lang,
        &title,
        html! {
            h1 { (title) }
            p { (lang.t(
                "Our fraud checks flagged this message sent to you. Please tell us what it was; your answer helps protect other customers.",
                "我们的反欺诈系统标记了您收到的这条消息。请告诉我们它是否为诈骗，您的回答将帮助保护其他客户。"
            )) }
            blockquote { (notice.message) }
            p { (notice.draft.body) }
            form method="post" action=(action) {
                input type="hidden" name="token" value=(token);
                button type="submit" name="answer" value="confirm" class=(class(Answer::Confirm)) {
                    (lang.t("Yes, it was a scam", "是诈骗"))
                }
                button type="submit" name="answer" value="dispute" class=(class(Answer::Dispute)) {
                    (lang.t("No, it was genuine", "不是诈骗"))
                }
            }
            p.muted { (lang.t(
                "Nothing is recorded until you press a button.",
                "在您点击按钮之前，我们不会记录任何内容。"
            )) }
        },
    )
}

/// After the answer is recorded (and when the same answer is sent again).
pub fn thanks_page(lang: PageLang, answer: Answer) -> String {
    let title = lang.t("Thank you", "感谢您的反馈");
    let said = match answer {
        Answer::Confirm => lang.t(
            "You told us the message was a scam. Do not reply to it, open its links or call its numbers; delete it.",
            "您确认该消息为诈骗。请勿回复、点击其中的链接或拨打其中的电话，直接删除即可。",
        ),
        Answer::Dispute => lang.t(
            "You told us the message was genuine. We will use your answer to improve our checks.",
            "您确认该消息不是诈骗。我们会根据您的反馈改进识别。",
        ),
    };
    page(lang, &title, html! { h1 { (title) } p { (said) } })
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a link we made.
    Forged,
    /// Past its expiry.
    Expired,
    /// Already answered (with another answer, or opened again after answering).
    Used,
    /// predict-api could not record the answer; nothing was recorded.
    Unavailable,
}

/// The page for a refused link.
pub fn refused_page(lang: PageLang, refusal: Refusal) -> String {
    let (title, text) = match refusal {
        Refusal::Forged => (
            lang.t("This link is not valid", "链接无效"),
            lang.t(
                "This link was not issued by us or has been altered. Nothing was recorded. If you received it in a message, treat that message as suspicious.",
                "该链接不是我们发出的，或已被篡改，未记录任何内容。如果它出现在您收到的消息中，请对该消息保持警惕。",
            ),
        ),
        Refusal::Expired => (
            lang.t("This link has expired", "链接已过期"),
            lang.t(
                "This link has expired and nothing was recorded. If you still want to report the message, contact us through the official app.",
                "该链接已过期，未记录任何内容。如仍需反馈，请通过官方App联系我们。",
            ),
        ),
        Refusal::Used => (
            lang.t("This link has already been used", "链接已使用"),
            lang.t(
                "An answer was already recorded for this message. Nothing more was recorded.",
                "这条消息的反馈已经记录，本次未再记录任何内容。",
            ),
        ),
        Refusal::Unavailable => (
            lang.t("Please try again later", "请稍后重试"),
            lang.t(
                "We could not record your answer just now. Nothing was recorded; please use the link again in a few minutes.",
                "暂时无法记录您的反馈，本次未记录任何内容，请几分钟后再次打开链接。",
            ),
        ),
    };
    page(lang, &title, html! { h1 { (title) } p { (text) } })
}
