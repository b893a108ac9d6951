//! Greetings, stock paragraphs and sign-offs that turn a short message into an e-mail.
//!
//! Scam and genuine notices share several paragraphs word for word ("Reference number…",
//! "please disregard…"), because scams copy real notices; only some paragraphs carry the
//! pressure (deadlines, secrecy, fees) that tells them apart.

use super::EmailKind;
use crate::{Label, Language};

/// The pieces of one kind of e-mail in one language.
pub(crate) struct EmailParts {
    pub greetings: &'static [&'static str],
    pub paragraphs: &'static [&'static str],
    pub signoffs: &'static [&'static str],
}

const NOTICE_GREETINGS_EN: &[&str] = &[
    "Dear Customer,",
    "Dear {customer},",
    "Hello,",
    "Dear valued customer,",
    "Hi {name},",
];
const NOTICE_GREETINGS_ZH: &[&str] = &[
    "尊敬的客户：",
    "{customer}您好：",
    "您好！",
    "亲爱的用户：",
    "尊敬的会员：",
];
const NOTICE_SIGNOFFS_EN: &[&str] = &[
    "Kind regards,\n{org}",
    "Sincerely,\nThe {org} team",
    "Best wishes,\n{org} Support",
    "Regards,\n{org} Customer Service",
];
const NOTICE_SIGNOFFS_ZH: &[&str] = &["{org}\n{date}", "{org} 敬上", "此致\n敬礼！\n{org}"];

const FRAUD_PARAGRAPHS_EN: &[&str] = &[
    "Failure to complete this [step|verification] within [24|48] hours will result in the permanent suspension of your account and the loss of any remaining balance.",
    "For your protection, do not discuss this notice with anyone until the process is complete. Our agents are standing by to assist you.",
    "Our records show that we have tried to contact you several times without success. This is our final attempt before the case is closed.",
    "To avoid delays, make sure the details you enter match those held on file. Incomplete or incorrect submissions cannot be processed and may incur an additional fee.",
    "Please note that this link is unique to you and will expire [shortly|in 12 hours|after one use]. Do not forward it.",
    "Once your details are confirmed, the funds will be released to your account within [one hour|the same day], minus a small handling charge.",
    "We apologise for any inconvenience and thank you for your prompt cooperation.",
    "Reference number: {code}. Please keep this number for your records.",
    "If you have already completed this request, please disregard this message.",
];
const LEGIT_PARAGRAPHS_EN: &[&str] = &[
    "If you have any questions, visit our Help Centre or reply to this email and a member of our team will get back to you [within two working days|as soon as possible].",
    "You are receiving this email because you have an account with us. You can change your notification preferences at any time in your account settings.",
    "We will never ask you for your password, PIN or one-time passcodes by email, text message or phone call.",
    "This is an automated message, so please do not reply directly to this email.",
    "Our customer service team is available Monday to Friday, 9am to 6pm. Calls may be recorded for training and quality purposes.",
    "Thank you for choosing us. We look forward to [serving you again|seeing you soon].",
    "We apologise for any inconvenience and thank you for your prompt cooperation.",
    "Reference number: {code}. Please keep this number for your records.",
    "If you have already completed this request, please disregard this message.",
];
const FRAUD_PARAGRAPHS_ZH: &[&str] = &[
    "请您务必在[24小时|48小时]内完成上述操作，逾期未处理的，系统将自动冻结您的账户，由此产生的一切损失由您本人承担。",
    "为保护您的信息安全，请勿将本通知内容告知他人，办理过程中如有疑问，请直接联系专属客服，我们将竭诚为您服务。",
    "我们已多次尝试与您联系但未能成功，本通知为最后一次提醒，请您高度重视并尽快处理，以免影响您的正常使用。",
    "请确保您填写的信息与预留信息一致，信息不完整或有误将导致办理失败，并可能产生额外的手续费用。",
    "该链接为您的专属办理通道，仅限本人使用，[将在12小时后失效|使用一次后自动失效]，请勿转发。",
    "信息核实无误后，款项将在[1小时|当天]内发放至您的账户，期间请保持电话畅通，不要向任何人透露办理进度。",
    "给您带来的不便，敬请谅解，感谢您的理解与配合。",
    "业务编号：{code}，请妥善保存以备查询。",
    "如您已办理完成，请忽略本通知。",
];
const LEGIT_PARAGRAPHS_ZH: &[&str] = &[
    "如有任何疑问，您可以登录官方APP查看帮助中心，或回复本邮件，我们的工作人员将在[两个工作日内|第一时间]与您联系。",
    "您收到此邮件是因为您是我们的注册用户，您可以随时在账户设置中修改通知偏好或退订此类邮件。",
    "我们不会通过邮件、短信或电话向您索要密码、支付密码或短信验证码，请注意保护个人信息安全。",
    "本邮件由系统自动发送，请勿直接回复。",
    "客服热线服务时间为周一至周五9:00-18:00，为提升服务质量，您的通话可能会被录音。",
    "感谢您一直以来的支持与信任，期待再次为您服务。",
    "给您带来的不便，敬请谅解，感谢您的理解与配合。",
    "业务编号：{code}，请妥善保存以备查询。",
    "如您已办理完成，请忽略本通知。",
];

const COLLEAGUE_GREETINGS_EN: &[&str] = &["Hi {name},", "Hello {name},", "Hi all,", "Dear {name},"];
const COLLEAGUE_GREETINGS_ZH: &[&str] =
    &["{name}你好：", "各位同事：", "{name}，你好！", "大家好："];
const COLLEAGUE_PARAGRAPHS_EN: &[&str] = &[
    "Let me know if anything is unclear or if you'd like to go through it on a call.",
    "I've put the notes from last week's meeting in the shared folder, in case they're useful.",
    "No rush on this, but it would be great to have it before the end of the week.",
    "Also, a quick heads-up: I'll be out of the office on {weekday} afternoon.",
    "Thanks again for your help with this, it's much appreciated.",
    "I've copied {name2} so they're in the loop.",
    "The draft timeline is: first review on {date}, sign-off the week after, and launch at the end of the month if nothing slips.",
    "On the budget side, we are still within the plan, but the vendor quote came in a bit higher than expected, so I'd like your view before we commit.",
];
const COLLEAGUE_PARAGRAPHS_ZH: &[&str] = &[
    "如有不清楚的地方随时找我，也可以约个时间电话沟通一下。",
    "上周会议的纪要我已经放在共享文件夹里了，供大家参考。",
    "这个不是特别急，但最好能在本周五之前完成，辛苦了。",
    "另外提醒一下，我{weekday}下午请假，有急事请打我电话。",
    "再次感谢大家的配合与支持！",
    "已抄送{name2}，方便同步进展。",
    "初步的时间安排是：{date}完成第一轮评审，下周确认方案，如果一切顺利月底上线。",
    "预算方面目前还在计划范围内，但供应商的报价比预期略高，正式确认之前想先听听大家的意见。",
];
const COLLEAGUE_SIGNOFFS_EN: &[&str] = &["Thanks,\n{name2}", "Best,\n{name2}", "Cheers,\n{name2}"];
const COLLEAGUE_SIGNOFFS_ZH: &[&str] = &["谢谢！\n{name2}", "{name2}\n{date}"];

const FRAUD_NOTICE_EN: EmailParts = EmailParts {
    greetings: NOTICE_GREETINGS_EN,
    paragraphs: FRAUD_PARAGRAPHS_EN,
    signoffs: NOTICE_SIGNOFFS_EN,
};
const LEGIT_NOTICE_EN: EmailParts = EmailParts {
    greetings: NOTICE_GREETINGS_EN,
    paragraphs: LEGIT_PARAGRAPHS_EN,
    signoffs: NOTICE_SIGNOFFS_EN,
};
const FRAUD_NOTICE_ZH: EmailParts = EmailParts {
    greetings: NOTICE_GREETINGS_ZH,
    paragraphs: FRAUD_PARAGRAPHS_ZH,
    signoffs: NOTICE_SIGNOFFS_ZH,
};
const LEGIT_NOTICE_ZH: EmailParts = EmailParts {
    greetings: NOTICE_GREETINGS_ZH,
    paragraphs: LEGIT_PARAGRAPHS_ZH,
    signoffs: NOTICE_SIGNOFFS_ZH,
};
const COLLEAGUE_EN: EmailParts = EmailParts {
    greetings: COLLEAGUE_GREETINGS_EN,
    paragraphs: COLLEAGUE_PARAGRAPHS_EN,
    signoffs: COLLEAGUE_SIGNOFFS_EN,
};
const COLLEAGUE_ZH: EmailParts = EmailParts {
    greetings: COLLEAGUE_GREETINGS_ZH,
    paragraphs: COLLEAGUE_PARAGRAPHS_ZH,
    signoffs: COLLEAGUE_SIGNOFFS_ZH,
};

/// Every set of parts, so a test can render all of them.
#[cfg(test)]
pub(crate) const EMAIL_PARTS_FOR_TESTS: &[&EmailParts] = &[
    &FRAUD_NOTICE_EN,
    &LEGIT_NOTICE_EN,
    &FRAUD_NOTICE_ZH,
    &LEGIT_NOTICE_ZH,
    &COLLEAGUE_EN,
    &COLLEAGUE_ZH,
];

/// The parts for a theme's e-mail kind, class and language. `EmailKind::None` never reaches
/// here; it falls back to the notice parts so the function stays total.
pub(crate) fn email_parts(
    kind: EmailKind,
    class: Label,
    language: Language,
) -> &'static EmailParts {
    match (kind, class, language) {
        (EmailKind::Colleague, _, Language::English) => &COLLEAGUE_EN,
        (EmailKind::Colleague, _, Language::Chinese) => &COLLEAGUE_ZH,
        (_, Label::Fraud, Language::English) => &FRAUD_NOTICE_EN,
        (_, Label::Fraud, Language::Chinese) => &FRAUD_NOTICE_ZH,
        (_, Label::Legit, Language::English) => &LEGIT_NOTICE_EN,
        (_, Label::Legit, Language::Chinese) => &LEGIT_NOTICE_ZH,
    }
}
