//! A small WebDriver client for headless Chromium through `chromedriver`: enough to open a
//! page, find elements, read their text and attributes, click, type, run a script, read the
//! browser and performance logs and take a screenshot. Written by hand over a blocking
//! HTTP/1.1 connection per command (chromedriver on 127.0.0.1 answers with `Content-Length`):
//! the WebDriver crates pull an async stack and a second HTTP client for what is a dozen JSON
//! calls.
//!
//! ```ignore
//! let Some(browser) = Browser::find() else { return skip("no chromium/chromedriver") };
//! let session = browser.session(true)?;          // JavaScript on
//! session.open(&file_url)?;
//! let verdict = session.find_one(".verdict-word")?.text()?;
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The browser and its driver, found on this machine.
#[derive(Debug, Clone)]
pub struct Browser {
    /// `chromium` (or `chromium-browser`, `google-chrome`).
    pub chrome: PathBuf,
    /// `chromedriver`.
    pub driver: PathBuf,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

impl Browser {
    /// Chromium and chromedriver, when both are installed.
    pub fn find() -> Option<Self> {
        Some(Self {
            chrome: on_path(&["chromium", "chromium-browser", "google-chrome"])?,
            driver: on_path(&["chromedriver"])?,
        })
    }

    /// Starts a driver and a headless browser session with a fresh profile; JavaScript on or
    /// off.
    pub fn session(&self, javascript: bool) -> Result<Session, String> {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            l.local_addr().map_err(|e| e.to_string())?.port()
        };
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let driver = Command::new(&self.driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.driver.display()))?;
        let mut session = Session {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            id: String::new(),
            driver,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match session.call("GET", "/status", None) {
                Ok(v) if v["ready"] == json!(true) => break,
                _ if Instant::now() > deadline => {
                    return Err("chromedriver did not become ready in 20 s".to_string());
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        let mut prefs = json!({});
        if !javascript {
            prefs = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            format!("--user-data-dir={}", session.profile.path().display()),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-default-apps".to_string(),
            "--disable-domain-reliability".to_string(),
            "--disable-sync".to_string(),
            "--disable-extensions".to_string(),
            "--no-first-run".to_string(),
            "--no-default-browser-check".to_string(),
            "--metrics-recording-only".to_string(),
            "--window-size=1280,2200".to_string(),
        ];
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": self.chrome,
                        "args": args,
                        "prefs": prefs,
                    },
                    "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
                }
            }
        });
        let value = session.call("POST", "/session", Some(&caps))?;
        session.id = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {value}"))?
            .to_string();
        Ok(session)
    }
}

/// One browser session (closed, with its driver, on drop).
pub struct Session {
    addr: SocketAddr,
    id: String,
    driver: Child,
    profile: tempfile::TempDir,
}

/// An element of the page.
pub struct Element<'a> {
    session: &'a Session,
    id: String,
}

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session {
    /// One WebDriver command: its `value`, or the error WebDriver answered.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_mins(1)))
            .map_err(|e| e.to_string())?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        // chromedriver keeps the connection open: read the headers, then the body's length.
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        let split = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(format!("no HTTP answer from chromedriver: {raw:?}"));
            }
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut body = raw[split + 4..].to_vec();
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let chunked =
            header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let length: Option<usize> = header("content-length").and_then(|v| v.parse().ok());
        loop {
            let done = match length {
                Some(len) => body.len() >= len,
                None if chunked => body.ends_with(b"0\r\n\r\n"),
                None => false,
            };
            if done {
                break;
            }
            let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
        let body = if chunked { dechunk(&body) } else { body };
        let value: Value = serde_json::from_slice(&body).map_err(|e| {
            format!(
                "chromedriver answered {head}: {e}: {}",
                String::from_utf8_lossy(&body)
            )
        })?;
        let status_ok = head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200");
        if status_ok {
            Ok(value["value"].clone())
        } else {
            Err(format!("{method} {path}: {}", value["value"]))
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        self.call(method, &format!("/session/{}{path}", self.id), body)
    }

    /// Opens a URL (returns when the page has loaded).
    pub fn open(&self, url: &str) -> Result<(), String> {
        self.cmd("POST", "/url", Some(&json!({ "url": url })))
            .map(drop)
    }

    /// The document's title.
    pub fn title(&self) -> Result<String, String> {
        Ok(self
            .cmd("GET", "/title", None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>, String> {
        let value = self.cmd("POST", "/elements", Some(&by_css(css)))?;
        Ok(elements(self, &value))
    }

    /// The one element matching a CSS selector (an error when there is none).
    pub fn find_one(&self, css: &str) -> Result<Element<'_>, String> {
        self.find_all(css)?
            .into_iter()
            .next()
            .ok_or_else(|| format!("no element matches `{css}`"))
    }

    /// Runs a script in the page; its return value.
    pub fn script(&self, source: &str) -> Result<Value, String> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(&json!({"script": source, "args": []})),
        )
    }

    /// The entries of a log (`browser`, `performance`) since the last read.
    pub fn log(&self, kind: &str) -> Result<Vec<Value>, String> {
        Ok(self
            .cmd("POST", "/se/log", Some(&json!({ "type": kind })))?
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// A PNG screenshot of the viewport, written to `path`.
    pub fn screenshot(&self, path: &Path) -> Result<(), String> {
        use base64::Engine as _;
        let value = self.cmd("GET", "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, png).map_err(|e| e.to_string())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.id.is_empty() {
            let _ = self.cmd("DELETE", "", None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Element<'_> {
    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        self.session
            .cmd(method, &format!("/element/{}{path}", self.id), body)
    }

    /// Its rendered text.
    pub fn text(&self) -> Result<String, String> {
        Ok(self
            .cmd("GET", "/text", None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// An attribute's value.
    pub fn attribute(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self
            .cmd("GET", &format!("/attribute/{name}"), None)?
            .as_str()
            .map(ToString::to_string))
    }

    /// Whether it is displayed.
    pub fn displayed(&self) -> Result<bool, String> {
        Ok(self.cmd("GET", "/displayed", None)? == json!(true))
    }

    /// Clicks it.
    pub fn click(&self) -> Result<(), String> {
        self.cmd("POST", "/click", Some(&json!({}))).map(drop)
    }

    /// Types into it.
    pub fn send_keys(&self, text: &str) -> Result<(), String> {
        self.cmd("POST", "/value", Some(&json!({ "text": text })))
            .map(drop)
    }

    /// Elements inside it matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>, String> {
        let value = self.cmd("POST", "/elements", Some(&by_css(css)))?;
        Ok(elements(self.session, &value))
    }
}

/// A "find elements" request body for a CSS selector.
fn by_css(css: &str) -> Value {
    json!({"using": "css selector", "value": css})
}

/// The elements a "find elements" command answered.
fn elements<'s>(session: &'s Session, value: &Value) -> Vec<Element<'s>> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e[ELEMENT_KEY].as_str())
        .map(|id| Element {
            session,
            id: id.to_string(),
        })
        .collect()
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]);
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let after = &rest[eol + 2..];
        if n == 0 || after.len() < n {
            break;
        }
        out.extend_from_slice(&after[..n]);
        rest = after[n..].strip_prefix(b"\r\n").unwrap_or(&after[n..]);
    }
    out
}
