//! A real browser against the web UI and the real predict-api and drift-monitor: headless
//! Chromium driven over the DevTools protocol (one WebSocket, a few commands). It checks a
//! message and sees the result with its marked terms, gives feedback and sees it counted,
//! uploads a CSV and sorts and filters the table, switches the language, and takes a
//! screenshot of every page in both languages and on a phone-sized screen, written to
//! `<target>/web-ui-screenshots/`.
//!
//! Without Chromium (Debian `chromium`; `fonts-noto-cjk` for the Chinese screenshots) the test
//! prints a notice and passes; `.ci/run` installs both.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{stack, Running, SCAM};
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// The Chromium binary: `$CHROMIUM`, else the first of the usual names on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Where screenshots go: `<target>/web-ui-screenshots` (the test binary is in
/// `<target>/debug/deps/`).
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join("web-ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A headless Chromium and one page of it, driven over the DevTools protocol.
struct Chrome {
    child: Child,
    page: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Width, height and whether it is a phone.
    viewport: (f64, f64, bool),
    _profile: tempfile::TempDir,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Chrome {
    fn launch(binary: &Path) -> Chrome {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--disable-dev-shm-usage",
                "--lang=en-US",
                "--window-size=1280,1000",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        // Chromium prints its DevTools address on stderr once it listens.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let browser_url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium printed its DevTools address");
        let port = browser_url
            .trim_start_matches("ws://")
            .split(['/', ':'])
            .nth(1)
            .unwrap()
            .to_string();
        let targets: Value = reqwest::blocking::get(format!("http://127.0.0.1:{port}/json/list"))
            .unwrap()
            .json()
            .unwrap();
        let page_url = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string();
        let (mut page, _) = tungstenite::connect(page_url).expect("connect to the page");
        if let MaybeTlsStream::Plain(stream) = page.get_mut() {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
        }
        let mut chrome = Chrome {
            child,
            page,
            next_id: 0,
            viewport: (1280.0, 900.0, false),
            _profile: profile,
        };
        chrome.set_viewport(1280.0, 900.0, false);
        chrome.call("Page.enable", json!({}));
        chrome.call("Runtime.enable", json!({}));
        chrome
    }

    /// Sends a command and waits for its answer (events in between are skipped).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let answer = self.call_raw(method, params);
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    /// Sends a command; its whole answer, errors included.
    fn call_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({"id": id, "method": method, "params": params}).to_string();
        self.page.send(Message::text(command)).unwrap();
        loop {
            let message = self.page.read().expect("a DevTools message");
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["id"] == id {
                return value;
            }
        }
    }

    fn set_viewport(&mut self, width: f64, height: f64, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        );
    }

    /// Evaluates `expression` in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Waits until `condition` is true in the page.
    fn wait_for(&mut self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let expression = format!("document.readyState === 'complete' && !!({condition})");
        loop {
            // While the page changes, an evaluation can fail (its context is gone): not yet.
            let answer = self.call_raw(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            );
            if answer["result"]["result"]["value"] == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {condition}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens `url` and waits for it to load.
    fn open(&mut self, url: &str) {
        self.eval("window.__fresh = true");
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for("!window.__fresh");
    }

    /// Runs `action` (which leaves the page) and waits for the next page, where `condition`
    /// holds.
    fn navigate_by(&mut self, action: &str, condition: &str) {
        self.eval("window.__fresh = true");
        self.eval(action);
        self.wait_for(&format!("!window.__fresh && ({condition})"));
    }

    /// A screenshot of the whole page (up to 4000 CSS pixels tall), not only the viewport:
    /// the viewport is made as tall as the page for the shot, then put back.
    fn screenshot(&mut self, name: &str) {
        let (width, height, mobile) = self.viewport;
        let full = self
            .eval("document.documentElement.scrollHeight")
            .as_f64()
            .unwrap_or(height)
            .clamp(height, 4000.0);
        self.set_viewport(width, full, mobile);
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        self.set_viewport(width, height, mobile);
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.len() > 1000, "a screenshot with something in it");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_checks_screens_labels_and_switches_language() {
    let Some(binary) = chromium() else {
        eprintln!(
            "NOTICE: skipping the browser test: no chromium on the PATH \
             (apt-get install chromium fonts-noto-cjk, or set CHROMIUM)"
        );
        return;
    };
    let stack = stack(
        Running {
            predict: true,
            drift: true,
        },
        None,
    )
    .await;
    let base = stack.ui.base_url.clone();
    // The browser is driven with blocking calls, off the runtime that serves the stack.
    tokio::task::spawn_blocking(move || drive(&binary, &base))
        .await
        .unwrap();
    drop(stack);
}

fn drive(binary: &Path, base: &str) {
    let mut chrome = Chrome::launch(binary);

    // Check a message: the result card, the label and the marked terms.
    chrome.open(&format!("{base}/"));
    assert_eq!(chrome.eval("document.documentElement.lang"), json!("en"));
    chrome.screenshot("check-empty-en");
    chrome.eval(&format!(
        "document.getElementById('text').value = {}",
        json!(SCAM)
    ));
    chrome.navigate_by(
        "document.getElementById('check-button').click()",
        "document.getElementById('result')",
    );
    assert_eq!(
        chrome.eval("document.querySelector('[data-label]').dataset.label"),
        json!("fraud")
    );
    let marked = chrome
        .eval("Array.from(document.querySelectorAll('mark.term.fraud')).map(m => m.textContent)");
    assert!(
        !marked.as_array().unwrap().is_empty(),
        "terms are marked: {marked}"
    );
    chrome.screenshot("check-en");

    // Feedback on it, then the feedback page counts it.
    chrome.open(&format!("{base}/feedback"));
    assert_eq!(
        chrome.eval("document.getElementById('count-fraud').textContent"),
        json!("0")
    );
    chrome.open(&format!("{base}/"));
    chrome.navigate_by(
        "document.querySelector('button[data-action=mark-fraud]').click()",
        "document.querySelector('.flash.ok')",
    );
    chrome.open(&format!("{base}/feedback"));
    assert_eq!(
        chrome.eval("document.getElementById('count-fraud').textContent"),
        json!("1")
    );
    chrome.screenshot("feedback-en");

    // Screen a file: upload, the table, sorting and the filter.
    chrome.open(&format!("{base}/screen"));
    let csv = format!(
        "text\n\"{SCAM}\"\n\"hey, lunch tomorrow?\"\n您的包裹因地址不详被扣留，请点击 http://sf-express-help.top/x 补缴运费\n\
         Your OTP is 482913. Do not share it.\nCongratulations! You WON a FREE iPhone, claim at http://prize-now.xyz\n"
    );
    chrome.navigate_by(
        &format!(
            "(() => {{ const dt = new DataTransfer(); \
               dt.items.add(new File([{}], 'messages.csv', {{type: 'text/csv'}})); \
               const input = document.getElementById('file'); input.files = dt.files; \
               input.dispatchEvent(new Event('change')); \
               document.getElementById('upload-form').submit(); }})()",
            json!(csv)
        ),
        "document.getElementById('results')",
    );
    assert_eq!(
        chrome.eval("document.querySelectorAll('#results tbody tr').length"),
        json!(5)
    );
    // Sort by risk score, highest first (the second click reverses).
    chrome.eval("document.querySelectorAll('#results thead button')[2].click()");
    chrome.eval("document.querySelectorAll('#results thead button')[2].click()");
    let scores = chrome.eval(
        "Array.from(document.querySelectorAll('#results tbody tr')).map(r => Number(r.cells[2].dataset.value))",
    );
    let scores: Vec<f64> = serde_json::from_value(scores).unwrap();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "sorted descending: {scores:?}"
    );
    chrome.screenshot("screen-en");
    chrome.eval("const s = document.getElementById('level'); s.value = 'low'; s.dispatchEvent(new Event('change'))");
    let visible = chrome.eval(
        "Array.from(document.querySelectorAll('#results tbody tr')).filter(r => !r.hidden).map(r => r.dataset.level)",
    );
    let visible: Vec<String> = serde_json::from_value(visible).unwrap();
    assert!(
        !visible.is_empty() && visible.len() < 5 && visible.iter().all(|l| l == "low"),
        "{visible:?}"
    );

    for page in ["monitoring", "models"] {
        chrome.open(&format!("{base}/{page}"));
        chrome.screenshot(&format!("{page}-en"));
    }

    // Switch the language: every page in Chinese.
    chrome.open(&format!("{base}/"));
    chrome.navigate_by(
        "document.getElementById('lang-switch').click()",
        "document.documentElement.lang === 'zh-CN'",
    );
    let heading = chrome.eval("document.querySelector('h1').textContent");
    assert_eq!(heading, json!("检测一条消息"));
    // The result of this session stays, now in Chinese.
    assert_eq!(
        chrome.eval("document.querySelector('[data-label]').textContent.trim()"),
        json!("欺诈")
    );
    chrome.screenshot("check-zh");
    for page in ["screen", "monitoring", "models", "feedback"] {
        chrome.open(&format!("{base}/{page}"));
        assert_eq!(chrome.eval("document.documentElement.lang"), json!("zh-CN"));
        chrome.screenshot(&format!("{page}-zh"));
    }
    let cjk_font = chrome.eval("document.fonts.check('16px \"Noto Sans CJK SC\"')");
    if cjk_font != json!(true) {
        eprintln!("NOTICE: no CJK font: Chinese in the screenshots may be boxes (apt-get install fonts-noto-cjk)");
    }

    // A phone-sized screen: the navigation wraps and nothing scrolls sideways.
    chrome.viewport = (390.0, 844.0, true);
    chrome.set_viewport(390.0, 844.0, true);
    chrome.open(&format!("{base}/"));
    let overflow = chrome.eval("document.documentElement.scrollWidth - window.innerWidth");
    assert!(
        overflow.as_f64().unwrap() <= 1.0,
        "the page scrolls sideways on a phone by {overflow}px"
    );
    chrome.screenshot("check-phone-zh");
}
