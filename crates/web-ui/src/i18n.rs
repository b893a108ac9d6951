//! The page language (English or Chinese) and every fixed string of the pages in both.
//!
//! Strings are an enum rather than keys looked up at run time, so a missing translation is a
//! compile error, not an empty label.

use axum::http::HeaderMap;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "fraudloop_lang";

impl Lang {
    /// The `lang` attribute value and cookie value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// Parses a cookie or query value (`en`, `zh`, `zh-CN`).
    pub fn parse(value: &str) -> Option<Lang> {
        let v = value.trim().to_ascii_lowercase();
        if v == "en" || v.starts_with("en-") {
            Some(Lang::En)
        } else if v == "zh" || v.starts_with("zh-") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// The language of a request: the cookie when set, else the most preferred of English and
    /// Chinese in `Accept-Language`, else English.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        if let Some(lang) = crate::session::cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return lang;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::En)
    }

    /// The preferred language of an `Accept-Language` value among the two we have.
    pub fn from_accept_language(value: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (position, part) in value.split(',').enumerate() {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::parse) else {
                continue;
            };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            // Higher q wins; on a tie, the one listed first.
            if best.is_none_or(|(bq, bp, _)| q > bq || (q == bq && position < bp)) {
                best = Some((q, position, lang));
            }
        }
        best.map(|(_, _, lang)| lang)
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The language's own name, as the switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// A fixed string in this language.
    pub fn t(self, msg: Msg) -> &'static str {
        let (en, zh) = msg.texts();
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

macro_rules! messages {
    ($($name:ident => $en:literal, $zh:literal;)*) => {
        /// Every fixed string of the pages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Msg { $($name,)* }

        impl Msg {
            /// English and Chinese.
            pub fn texts(self) -> (&'static str, &'static str) {
                match self { $(Msg::$name => ($en, $zh),)* }
            }
        }
    };
}

messages! {
    AppName => "fraudloop", "fraudloop 反欺诈";
    SkipToContent => "Skip to content", "跳到正文";
    NavCheck => "Check a message", "检测消息";
    NavScreen => "Screen a file", "批量筛查";
    NavMonitoring => "Monitoring", "监控";
    NavModels => "Models", "模型";
    NavFeedback => "Feedback & agent", "反馈与助手";
    Language => "Language", "语言";
    AdminSignedIn => "Signed in as operator", "已以管理员身份登录";
    SignOut => "Sign out", "退出";
    AdminToken => "Admin token", "管理员令牌";
    SignIn => "Sign in", "登录";
    SignInHint => "Admin actions (promote, rollback, retrain, run now) need the admin token. It is kept on the server for this session only.", "管理操作（上线、回滚、重训练、立即运行）需要管理员令牌。令牌仅在本次会话中保存在服务器端。";
    SignedIn => "Signed in. Admin actions are enabled for this session.", "已登录，本次会话可执行管理操作。";
    SignedOut => "Signed out.", "已退出。";
    WrongToken => "That admin token is not valid.", "管理员令牌无效。";
    AdminDisabled => "Admin actions are disabled: the web UI was started without WEB_UI_ADMIN_TOKEN.", "管理操作已停用：Web 界面启动时未设置 WEB_UI_ADMIN_TOKEN。";
    NeedsSignIn => "This action needs the admin token: sign in first (top of the page).", "此操作需要管理员令牌，请先在页面顶部登录。";
    StaleForm => "The form expired (or came from another site). Please try again.", "表单已过期（或来自其他网站），请重试。";
    ServiceDown => "is not reachable", "无法连接";
    ServiceDownHint => "This part of the page needs it; everything else keeps working. Start it, or check its URL:", "本部分需要该服务，其他功能不受影响。请启动该服务或检查其地址：";
    ServiceError => "answered with an error", "返回了错误";
    NotAvailableYet => "not available", "不可用";
    // Check a message.
    CheckTitle => "Check a message", "检测一条消息";
    CheckIntro => "Paste an SMS, e-mail or chat message. The model scores it and shows the words that drove the score.", "粘贴短信、邮件或聊天消息，模型会给出风险评分，并标出影响评分的词语。";
    MessageLabel => "Message", "消息内容";
    Channel => "Channel", "渠道";
    Examples => "Examples", "示例";
    CheckButton => "Check", "检测";
    Result => "Result", "检测结果";
    RiskScore => "Risk score", "风险评分";
    Label => "Label", "判定";
    RiskLevel => "Risk level", "风险等级";
    ModelVersion => "Model version", "模型版本";
    Threshold => "Threshold", "阈值";
    PredictionId => "Prediction id", "预测编号";
    Fraud => "fraud", "欺诈";
    Legit => "legit", "正常";
    High => "high", "高";
    Medium => "medium", "中";
    Low => "low", "低";
    TermsTitle => "Why: the words that drove the score", "原因：影响评分的词语";
    TermsFraud => "pushes towards fraud", "偏向欺诈";
    TermsLegit => "pushes towards legit", "偏向正常";
    NoTerms => "No known word of the model in this message.", "这条消息中没有模型认识的词。";
    Actions => "Actions", "操作";
    MarkFraud => "Mark as fraud", "标记为欺诈";
    MarkLegit => "Mark as legit", "标记为正常";
    Notify => "Notify user / trigger agent", "通知用户 / 触发助手";
    FeedbackRecorded => "Feedback recorded", "反馈已记录";
    NotifySent => "Notice delivered", "通知已发送";
    // Screen a file.
    ScreenTitle => "Screen a file", "批量筛查文件";
    ScreenIntro => "Upload a CSV file with a text column (optional id and channel columns). Every row is scored; download the scored file or act on single rows.", "上传含 text 列的 CSV 文件（可选 id、channel 列）。每行都会评分，可下载评分结果或对单行操作。";
    CsvFile => "CSV file", "CSV 文件";
    Upload => "Upload and score", "上传并评分";
    MaxSize => "Largest file", "文件上限";
    TooLarge => "The file is larger than the limit", "文件超过大小上限";
    NoFile => "Choose a CSV file first.", "请先选择 CSV 文件。";
    BadCsv => "The file could not be scored", "无法为该文件评分";
    Rows => "Rows", "行数";
    Failed => "failed", "失败";
    Distribution => "Risk distribution", "风险分布";
    FilterLevel => "Show risk level", "按风险等级筛选";
    All => "all", "全部";
    DownloadCsv => "Download scored CSV", "下载评分结果 CSV";
    Text => "Text", "文本";
    SortHint => "Select a column heading to sort.", "点击列标题排序。";
    NoScreen => "No file screened yet in this session.", "本次会话尚未筛查文件。";
    ShowingRows => "Showing the first rows", "仅显示前若干行";
    // Monitoring.
    MonitoringTitle => "Monitoring", "监控";
    LatestReport => "Latest drift report", "最新漂移报告";
    Generated => "Generated", "生成时间";
    Window => "Window", "窗口";
    DatasetDrift => "Dataset drift", "数据漂移";
    TextDrift => "Text drift", "文本漂移";
    DriftedColumns => "Drifted columns", "漂移列";
    NewWords => "Words typical of new messages", "新消息中的典型词";
    Psi => "PSI of the risk score", "风险评分 PSI";
    Measured => "Measured on labelled feedback", "基于人工反馈的实测";
    Estimated => "Estimated without labels", "无标签估计";
    Validation => "validation", "验证集";
    Detected => "detected", "检测到";
    NotDetected => "not detected", "未检测到";
    NotEnoughData => "Not enough data for a verdict", "数据不足，无法判断";
    FullReport => "Open the full report", "查看完整报告";
    RunNow => "Run a report now", "立即生成报告";
    ReportRun => "Report computed", "报告已生成";
    Trends => "Trends", "趋势";
    DriftShareTrend => "Share of drifted columns", "漂移列占比";
    F1Trend => "F1: measured and estimated", "F1：实测与估计";
    PredictionsPerHour => "Predictions per hour by label (last 24 h)", "每小时预测数（按判定，最近 24 小时）";
    NoReportYet => "No report yet: the first run is under way.", "暂无报告：首次运行进行中。";
    NoData => "No data yet.", "暂无数据。";
    // Models.
    ModelsTitle => "Models", "模型";
    Served => "Served by predict-api", "predict-api 当前服务";
    Versions => "Registry versions", "注册表中的版本";
    Version => "Version", "版本";
    Created => "Created", "创建时间";
    Aliases => "Aliases", "别名";
    Data => "Training data", "训练数据";
    History => "Promotion and rollback history", "上线与回滚历史";
    When => "When", "时间";
    What => "What", "事件";
    Who => "Who", "操作者";
    Why => "Why", "原因";
    Promote => "Promote", "上线";
    Rollback => "Roll back to previous", "回滚到上一版本";
    Retrain => "Retrain now", "立即重训练";
    Reason => "Reason", "原因";
    Promoted => "Promoted", "已上线";
    RolledBack => "Rolled back", "已回滚";
    RetrainQueued => "Retraining queued", "重训练已排队";
    Jobs => "Training jobs", "训练任务";
    Rejected => "Rejected candidates", "被拒绝的候选模型";
    Decisions => "Recent policy decisions", "最近的策略决定";
    State => "State", "状态";
    NoneYet => "None yet.", "暂无。";
    EmptyRegistry => "The registry has no model yet: train one with `trainer train`.", "注册表中还没有模型：请用 `trainer train` 训练。";
    // Feedback and agent.
    FeedbackTitle => "Feedback & agent", "反馈与助手";
    LabelBalance => "Label balance", "标签分布";
    BySource => "By source", "按来源";
    RecentFeedback => "Recent feedback", "最近的反馈";
    Source => "Source", "来源";
    Outbox => "Notification outbox", "通知发件箱";
    AskTitle => "Ask the agent", "询问助手";
    Question => "Question", "问题";
    Ask => "Ask", "提问";
    Answer => "Answer", "回答";
    Citations => "Sources", "引用来源";
    Total => "Total", "合计";
    Optional => "optional", "可选";
    Now => "now", "现在";
    DayAgo => "−24 h", "24 小时前";
}
