//! The WebDriver harness: a plain static file server (`python3 -m http.server`, exactly what
//! the README tells people to try), chromedriver, and a headless Chromium session, all started
//! on free loopback ports by the test and stopped when it ends.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long any wait may take before the journey fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: run the journeys through `cargo xtask test`, which builds the site first")
    });
    let path = PathBuf::from(value);
    assert!(
        path.join("index.html").is_file(),
        "{name}={} has no index.html",
        path.display()
    );
    path
}

/// The relative-URL release build (servable under any path).
pub fn relative_dist() -> PathBuf {
    env_path("TESTBED_DIST_RELATIVE")
}

/// The `--public-url /course/` release build; it lives in a folder named `course`.
pub fn subpath_dist() -> PathBuf {
    env_path("TESTBED_DIST_SUBPATH")
}

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `python3 -m http.server` over a folder, on a free loopback port.
pub struct StaticServer {
    _child: Guard,
    pub origin: String,
}

/// `http.server` that adds response headers to every file, as a host configured for them
/// would: argv is the folder, then `Name: value` lines.
const SERVER_WITH_HEADERS: &str = r#"
import functools, http.server, sys
root, headers = sys.argv[1], [h.split(": ", 1) for h in sys.argv[2:]]
class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        for name, value in headers:
            self.send_header(name, value)
        super().end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
port = server.server_address[1]
print(f"Serving HTTP on 127.0.0.1 port {port} (http://127.0.0.1:{port}/) ...", flush=True)
server.serve_forever()
"#;

impl StaticServer {
    pub fn start(root: &Path) -> Self {
        let mut command = Command::new("python3");
        command
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root);
        Self::spawn(command)
    }

    /// A static server that sends `headers` (`Name: value`) with every file.
    pub fn start_with_headers(root: &Path, headers: &[&str]) -> Self {
        let mut command = Command::new("python3");
        command
            .args(["-u", "-c", SERVER_WITH_HEADERS])
            .arg(root)
            .args(headers);
        Self::spawn(command)
    }

    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts a static server");
        let stdout = child.stdout.take().expect("server stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let child = Guard(child);
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let line = rx
            .recv_timeout(PATIENCE)
            .expect("the static server says where it serves");
        let port: u16 = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in server output: {line}"));
        Self {
            _child: child,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

static BROWSERS: AtomicUsize = AtomicUsize::new(0);

/// chromedriver plus one headless Chromium session with browser logging on.
pub struct Browser {
    pub client: Client,
    _driver: Guard,
    profile: PathBuf,
}

impl Browser {
    pub async fn start() -> Self {
        Self::start_with_args(&[]).await
    }

    /// [`Browser::start`] with more Chromium switches.
    pub async fn start_with_args(extra_args: &[&str]) -> Self {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Guard(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}")),
        );
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not listen on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let n = BROWSERS.fetch_add(1, Ordering::SeqCst);
        let profile =
            std::env::temp_dir().join(format!("testbed-lab-chromium-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            },
            "goog:loggingPrefs": { "browser": "ALL" }
        });
        let mut capabilities = capabilities;
        if let Some(args) = capabilities["goog:chromeOptions"]["args"].as_array_mut() {
            args.extend(extra_args.iter().map(|a| Value::from(*a)));
        }
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session in headless Chromium");
        Self {
            client,
            _driver: driver,
            profile,
        }
    }

    /// Loads `url` as a fresh document (not a same-page hash change): a real deep link.
    pub async fn open(&self, url: &str) {
        self.client.goto("about:blank").await.expect("about:blank");
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Waits until the element matching `css` has exactly `expected` as its text.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let started = Instant::now();
        let mut last = String::from("(no element)");
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text.trim() == expected {
                    return;
                }
                last = text;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for `{css}` to read {expected:?}; it reads {last:?} at {}",
                self.client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the element matching `css`, brings it to the middle of the window (so the
    /// sticky site header never covers it) and clicks it.
    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"));
        self.eval(&format!(
            "const e = document.querySelector({}); if (e) e.scrollIntoView({{ block: 'center' }}); return true;",
            serde_json::to_string(css).expect("json")
        ))
        .await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Waits for the element matching `css` and returns its text.
    pub async fn text_of(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
            .text()
            .await
            .unwrap_or_default()
    }

    /// Sends `keys` to whatever has focus, as a keyboard would: through WebDriver's key
    /// actions, which go to the document, not to one element. (Element Send Keys needs the
    /// element to be interactable; for the frame between a graded question hiding its Check
    /// button and the feedback taking focus, the focused button is not, and the command fails.)
    /// Shift, Control, Alt and Meta stay held until [`Key::Null`] or the end of `keys`.
    ///
    /// Then it waits two animation frames, as a person's next key comes after the page has
    /// drawn: the app moves focus one frame after a navigation, a graded answer or a moved
    /// item, and a key sent before that lands where the focus is about to leave.
    pub async fn press(&self, keys: &str) {
        let modifiers: Vec<char> = [Key::Shift, Key::Control, Key::Alt, Key::Meta]
            .iter()
            .filter_map(|k| k.to_string().chars().next())
            .collect();
        let null = Key::Null.to_string().chars().next();
        let mut held = Vec::new();
        let mut actions = KeyActions::new("keyboard".to_owned());
        for c in keys.chars() {
            if Some(c) == null {
                for value in held.drain(..).rev() {
                    actions = actions.then(KeyAction::Up { value });
                }
            } else if modifiers.contains(&c) {
                actions = actions.then(KeyAction::Down { value: c });
                held.push(c);
            } else {
                actions = actions
                    .then(KeyAction::Down { value: c })
                    .then(KeyAction::Up { value: c });
            }
        }
        for value in held.into_iter().rev() {
            actions = actions.then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.expect("keys");
        self.settle().await;
    }

    /// Waits two animation frames, so that a focus move the page scheduled for the next frame
    /// (after a navigation, a graded answer, a moved item) has happened.
    pub async fn settle(&self) {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
                vec![],
            )
            .await
            .expect("two frames");
    }

    /// Runs a script and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Reads and clears the browser console log (Chromium's `goog:loggingPrefs`).
    pub async fn console_entries(&self) -> Vec<Value> {
        match self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("browser log")
        {
            Value::Array(entries) => entries,
            other => panic!("unexpected log payload {other}"),
        }
    }

    /// Waits until quiz question `qid` shows its verdict, marked right or wrong as `correct`.
    pub async fn wait_for_verdict(&self, qid: &str, correct: bool) {
        self.wait_until(
            &format!("{qid} to be marked {}", if correct { "right" } else { "wrong" }),
            &format!(
                "const v = document.querySelector(\"[data-testid='quiz-verdict-{qid}']\"); return !!v && v.dataset.correct === '{correct}';"
            ),
        )
        .await;
    }

    /// Waits until `script` (a function body) returns `true`; `what` names it in the failure.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let started = Instant::now();
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(script, vec![]).await {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {what} ({script})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the window as `<name>.png` in `$TESTBED_SCREENSHOTS`, when that is set
    /// (for a person to look at; journeys assert on the DOM, never on pixels).
    pub async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("TESTBED_SCREENSHOTS") else {
            return;
        };
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Fails on any error or warning in the browser console since the last read.
    pub async fn assert_console_clean(&self) {
        let bad: Vec<Value> = self
            .console_entries()
            .await
            .into_iter()
            .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
            .collect();
        assert!(bad.is_empty(), "console errors or warnings: {bad:?}");
    }

    /// Waits until the element's text starts with `prefix`, and returns it; on failure the
    /// text of `status_css` says where the page was.
    pub async fn wait_for_prefix(
        &self,
        css: &str,
        prefix: &str,
        patience: Duration,
        status_css: &str,
    ) -> String {
        self.wait_for_prefix_every(css, prefix, patience, status_css, Duration::from_millis(50))
            .await
    }

    /// [`Self::wait_for_prefix`], looking every `poll`: a run whose speed is measured is
    /// watched once a second, since each look costs the renderer and chromedriver CPU time
    /// that the workers being measured would otherwise have.
    pub async fn wait_for_prefix_every(
        &self,
        css: &str,
        prefix: &str,
        patience: Duration,
        status_css: &str,
        poll: Duration,
    ) -> String {
        let started = Instant::now();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = e.text().await
                && text.starts_with(prefix)
            {
                return text;
            }
            assert!(
                started.elapsed() < patience,
                "waited {patience:?} for `{css}` to start with {prefix:?}; status: {}",
                self.text_of(status_css).await
            );
            tokio::time::sleep(poll).await;
        }
    }

    /// Saves a PNG of the whole page (not only the window) as `<name>.png` in
    /// `$TESTBED_SCREENSHOTS`, when that is set, then restores the journeys' window size.
    pub async fn screenshot_page(&self, name: &str) {
        let Some(dir) = std::env::var_os("TESTBED_SCREENSHOTS") else {
            return;
        };
        let height = self
            .eval("return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap_or(900) as u32;
        let _ = self
            .client
            .set_window_size(1280, height.clamp(900, 4000))
            .await;
        let png = self.client.screenshot().await.expect("screenshot");
        let _ = self.client.set_window_size(1280, 900).await;
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write png");
    }

    /// Pages loaded from now on ignore their Content-Security-Policy. Only for a journey that
    /// reads a download back with `fetch(blob:…)`, which the site's policy refuses (the site
    /// itself never fetches a blob); the CSP journey checks the policy.
    pub async fn bypass_csp(&self) {
        self.client
            .issue_cmd(DevToolsCommand {
                method: "Page.setBypassCSP".into(),
                params: json!({ "enabled": true }),
            })
            .await
            .expect("Page.setBypassCSP");
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A Chrome DevTools Protocol command through chromedriver (outside the W3C standard).
#[derive(Debug)]
struct DevToolsCommand {
    method: String,
    params: Value,
}

impl WebDriverCompatibleCommand for DevToolsCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.method, "params": self.params }).to_string()),
        )
    }
}

/// chromedriver's log endpoint (outside the W3C standard, so not in fantoccini).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}
