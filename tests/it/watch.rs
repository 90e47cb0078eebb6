//! `wheelwatch watch` through the binary: a loop over the local test index whose answers change
//! between runs (a wheel appears, an outage, the wheel is yanked), asserting the history rows,
//! `history diff`, the alerts a local webhook receiver got (whole JSON bodies, unstable fields
//! normalized), and the metrics (file and endpoint) parsed by Prometheus's own Python parser
//! (`prometheus_client`, pyenv 3.12; .ci/run installs it). Also: SIGTERM mid-run, two watchers
//! on one project, kill -9 of a watcher, broken webhooks, `--print-systemd`/`--print-cron`, and
//! `--auto-fallback` acting only after N successful unhealthy runs (real pyenv 3.11/3.12 venvs).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::project::{linux_project, venv_project};
use crate::common::{FileSpec, TestIndex, pyenv_python, run, skip, wheelwatch as ww};

const LINUX: &str = "manylinux_2_17_x86_64";

/// A running watcher whose stderr lines arrive on a channel.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watcher {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let mut child = ww(dir)
            .arg("watch")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wheelwatch watch");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `text`; returns it.
    fn wait_for(&mut self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout | mpsc::RecvTimeoutError::Disconnected) => {
                    panic!(
                        "no stderr line with {text:?} within {limit:?}; saw:\n{}",
                        self.seen.join("\n")
                    )
                }
            }
        }
    }

    /// Waits for the `n`th run line (`run ID: …`, successful or failed) since the start.
    fn wait_run(&mut self, n: usize) -> String {
        loop {
            let count = self.seen.iter().filter(|l| is_run_line(l)).count();
            if count >= n {
                return self
                    .seen
                    .iter()
                    .filter(|l| is_run_line(l))
                    .nth(n - 1)
                    .unwrap()
                    .clone();
            }
            self.wait_for("run ", Duration::from_mins(1));
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit: (code, rest of stderr).
    fn wait_exit(mut self, limit: Duration) -> (Option<i32>, Vec<String>) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(line);
                }
                return (status.code(), std::mem::take(&mut self.seen));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "watcher did not exit within {limit:?}; saw:\n{}",
                    self.seen.join("\n")
                );
            }
            while let Ok(line) = self.lines.try_recv() {
                self.seen.push(line);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_run_line(line: &str) -> bool {
    line.starts_with("run ") || line.starts_with("warning: run ")
}

/// A webhook receiver: every POST body (JSON), answered 200.
struct Receiver2 {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

fn receiver() -> Receiver2 {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", server.server_addr().to_ip().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = String::new();
            request.as_reader().read_to_string(&mut body).unwrap();
            let value: Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("webhook body is not JSON ({e}): {body}"));
            shared.lock().unwrap().push(value);
            let _ = request.respond(tiny_http::Response::from_string("ok"));
        }
    });
    Receiver2 { url, bodies }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.to_string(), body.to_string())
}

/// Parses Prometheus text with `prometheus_client` (pyenv 3.12): families with their type,
/// help and samples (labels sorted by the parser's dict order), as JSON.
fn parse_metrics(text: &str) -> Option<Value> {
    let python = pyenv_python("3.12").map(|(p, _)| p)?;
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": fam.name, "type": fam.type, "help": fam.documentation,
                "samples": [[s.name, dict(sorted(s.labels.items())), s.value] for s in fam.samples]})
print(json.dumps(out))
"#;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named 'prometheus_client'") {
            return None;
        }
        panic!("prometheus_client refused the metrics ({err}):\n{text}");
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The per-package series of [`project`] after its index's first answer: wwlib has a wheel for
/// 3.11 only.
const PER_PACKAGE: [&str; 4] = [
    "wheelwatch_package_wheel{target=\"3.12@manylinux_2_28_x86_64\",role=\"primary\",package=\"wwlib\"} 0",
    "wheelwatch_package_wheel{target=\"3.12@manylinux_2_28_x86_64\",role=\"primary\",package=\"wwpure\"} 1",
    "wheelwatch_package_wheel{target=\"3.11@manylinux_2_28_x86_64\",role=\"fallback\",package=\"wwlib\"} 1",
    "wheelwatch_package_wheel{target=\"3.11@manylinux_2_28_x86_64\",role=\"fallback\",package=\"wwpure\"} 1",
];

/// The `wheelwatch_package_wheel` lines of a metrics text.
fn per_package_series(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("wheelwatch_package_wheel{"))
        .collect()
}

fn index() -> TestIndex {
    TestIndex::builder()
        .project("wwlib", |p| {
            p.wheel("1.0", &format!("cp311-cp311-{LINUX}")).sdist("1.0")
        })
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any").sdist("2.0"))
        .serve()
}

fn project(index: &TestIndex) -> tempfile::TempDir {
    linux_project(&index.url(), "wwlib>=1.0\nwwpure\n")
}

fn history_json(dir: &Path, args: &[&str]) -> Value {
    let (code, stdout, stderr) = run(ww(dir).arg("history").args(args).args(["--format", "json"]));
    assert_eq!(code, 0, "history {args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn run_rows(dir: &Path) -> Vec<(String, String, Value)> {
    history_json(dir, &["list"])
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|r| {
            (
                r["result"].as_str().unwrap().to_string(),
                r["command"].as_str().unwrap().to_string(),
                r["verdict"].clone(),
            )
        })
        .collect()
}

fn run_ids(dir: &Path) -> Vec<i64> {
    history_json(dir, &["list"])
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// Replaces the unstable parts of a webhook body: times, run ids (by position), the project's
/// name and the index URL.
fn normalize_alert(value: &Value, ids: &[i64], name: &str, index_url: &str) -> Value {
    let text = serde_json::to_string(value).unwrap();
    let mut v: Value =
        serde_json::from_str(&text.replace(name, "[NAME]").replace(index_url, "[INDEX]/")).unwrap();
    walk(&mut v, ids);
    v
}

/// Replaces times, run ids and fingerprints inside `v`.
fn walk(v: &mut Value, ids: &[i64]) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                match (k.as_str(), &*val) {
                    ("startsAt" | "endsAt" | "timestamp", Value::String(s))
                        if s != "0001-01-01T00:00:00Z" =>
                    {
                        *val = json!("[TIME]");
                    }
                    ("run", Value::String(s)) => {
                        let id: i64 = s.parse().unwrap();
                        let i = ids.iter().position(|x| *x == id).unwrap();
                        *val = json!(format!("[RUN{}]", i + 1));
                    }
                    ("run_id", Value::Number(n)) => {
                        let id = n.as_i64().unwrap();
                        let i = ids.iter().position(|x| *x == id).unwrap();
                        *val = json!(format!("[RUN{}]", i + 1));
                    }
                    ("fingerprint", Value::String(_)) => *val = json!("[FP]"),
                    _ => walk(val, ids),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, ids)),
        _ => {}
    }
}
fn project_name(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn wait_bodies(receiver: &Receiver2, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let bodies = receiver.bodies.lock().unwrap().clone();
        if bodies.len() >= n || Instant::now() > deadline {
            return bodies;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_watch_loop_records_alerts_and_exports_metrics_as_the_index_changes() {
    let index = index();
    let dir = project(&index);
    let dir = dir.path();
    let hook = receiver();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let metrics_file = dir.join("wheelwatch.prom");
    let mut w = Watcher::start(
        dir,
        &[
            "--interval",
            "1500ms",
            "--no-cache",
            "--notify",
            &hook.url,
            "--metrics-file",
            "wheelwatch.prom",
            "--metrics-listen",
            &addr,
        ],
    );
    // 1: wwlib has a wheel for 3.11 only: the fallback is needed.
    let line = w.wait_run(1);
    assert!(line.ends_with(": fallback available"), "{line}");
    // 2: a wheel for 3.12 appears.
    index.add_file(
        "wwlib",
        FileSpec::wheel("wwlib", "1.0", &format!("cp312-cp312-{LINUX}")),
    );
    let line = w.wait_run(2);
    assert!(line.ends_with(": primary healthy (3 change(s))"), "{line}");
    // 3-5: the index answers 503 for wwlib: three failed runs, then an alert.
    index.set_status("wwlib", Some(503));
    for n in 3..=5 {
        let line = w.wait_run(n);
        assert!(line.contains("the assessment failed"), "{line}");
    }
    // 6: it recovers, but the 3.12 wheel is yanked.
    index.set_status("wwlib", None);
    index.set_yanked(
        &format!("wwlib-1.0-cp312-cp312-{LINUX}.whl"),
        Some("broken build"),
    );
    let line = w.wait_run(6);
    assert!(
        line.ends_with(": fallback available (3 change(s))"),
        "{line}"
    );
    // The endpoint serves what the file holds.
    let (head, served) = http_get(&addr, "/metrics");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    let (head404, _) = http_get(&addr, "/other");
    assert!(head404.starts_with("HTTP/1.1 404"), "{head404}");
    w.signal("TERM");
    let (code, stderr) = w.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr:#?}");
    assert!(
        stderr.iter().any(|l| l == "SIGTERM: stopping"),
        "{stderr:#?}"
    );

    // History rows.
    assert_eq!(
        run_rows(dir),
        vec![
            ("ok".into(), "watch".into(), json!("fallback_available")),
            ("ok".into(), "watch".into(), json!("primary_healthy")),
            ("failed".into(), "watch".into(), json!("assessment_failed")),
            ("failed".into(), "watch".into(), json!("assessment_failed")),
            ("failed".into(), "watch".into(), json!("assessment_failed")),
            ("ok".into(), "watch".into(), json!("fallback_available")),
        ]
    );
    let ids = run_ids(dir);
    // history diff: the last two successful runs (2 and 6).
    let diff = history_json(dir, &["diff"]);
    let changes: Vec<(String, String, Value)> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["target"].as_str().unwrap().to_string(),
                c["package"].clone(),
            )
        })
        .collect();
    assert_eq!(
        (diff["run_before"].clone(), diff["run_after"].clone()),
        (json!(ids[1]), json!(ids[5]))
    );
    assert_eq!(
        (
            diff["verdict_before"].clone(),
            diff["verdict_after"].clone()
        ),
        (json!("primary_healthy"), json!("fallback_available"))
    );
    assert_eq!(
        changes,
        vec![
            (
                "health_changed".into(),
                "3.12@manylinux_2_28_x86_64".into(),
                Value::Null
            ),
            (
                "blocker_appeared".into(),
                "3.12@manylinux_2_28_x86_64".into(),
                json!("wwlib")
            ),
            (
                "wheel_lost".into(),
                "3.12@manylinux_2_28_x86_64".into(),
                json!("wwlib")
            ),
        ]
    );

    // Alerts: run 2 (verdict, blocker gone), run 5 (three failures), run 6 (recovered,
    // verdict, blocker appeared); whole bodies.
    let bodies = wait_bodies(&hook, 3);
    let name = project_name(dir);
    let bodies: Vec<Value> = bodies
        .iter()
        .map(|b| normalize_alert(b, &ids, &name, &index.url()))
        .collect();
    insta::assert_snapshot!(
        "watch_alerts",
        serde_json::to_string_pretty(&bodies).unwrap()
    );

    // Metrics: the file (rewritten atomically after each run) and the endpoint agree, and the
    // Prometheus parser reads them.
    let text = std::fs::read_to_string(&metrics_file).unwrap();
    assert_eq!(served, text);
    let Some(mut parsed) = parse_metrics(&text) else {
        return skip(
            "prometheus_client is not installed for pyenv 3.12 (pip install prometheus_client==0.23.1)",
        );
    };
    for fam in parsed.as_array_mut().unwrap() {
        let name = fam["name"].as_str().unwrap().to_string();
        for s in fam["samples"].as_array_mut().unwrap() {
            if name == "wheelwatch_assessment_duration_seconds" {
                assert!(s[2].as_f64().unwrap() > 0.0, "{s}");
                s[2] = json!("[SECONDS]");
            }
            if name == "wheelwatch_last_success_timestamp_seconds" {
                let t = s[2].as_f64().unwrap();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs_f64();
                assert!(t <= now + 1.0 && t > now - 120.0, "{t} vs {now}");
                s[2] = json!("[NOW]");
            }
        }
    }
    insta::assert_snapshot!(
        "watch_metrics",
        serde_json::to_string_pretty(&parsed).unwrap()
    );

    // `wheelwatch metrics` prints the same from the store.
    let (code, stdout, stderr) = run(ww(dir).arg("metrics"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, text);
    let (code, stdout, _) = run(ww(dir).args(["metrics", "--metrics-per-package"]));
    assert_eq!(code, 0);
    let per_package = per_package_series(&stdout);
    assert_eq!(per_package, PER_PACKAGE);
}

#[test]
fn sigterm_mid_run_finishes_or_abandons_it_and_exits_0() {
    // A run that finishes within the grace is recorded.
    let index = index();
    index.set_delay("wwlib", Some(Duration::from_millis(1200)));
    let dir = project(&index);
    let dir = dir.path();
    let mut w = Watcher::start(dir, &["--no-cache"]);
    w.wait_for("watching ", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    w.signal("TERM");
    let (code, stderr) = w.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr:#?}");
    assert!(
        stderr
            .iter()
            .any(|l| l == "SIGTERM: stopping; the current assessment has 3s to finish"),
        "{stderr:#?}"
    );
    assert!(
        stderr
            .iter()
            .any(|l| l.starts_with("run ") && l.ends_with(": fallback available")),
        "{stderr:#?}"
    );
    assert_eq!(
        run_rows(dir),
        vec![("ok".into(), "watch".into(), json!("fallback_available"))]
    );

    // One that does not is abandoned, unrecorded; the store is intact.
    index.set_delay("wwlib", Some(Duration::from_secs(30)));
    let mut w = Watcher::start(dir, &["--no-cache", "--interval", "1h"]);
    w.wait_for("watching ", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    w.signal("INT");
    let (code, stderr) = w.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(0), "{stderr:#?}");
    assert!(signalled.elapsed() < Duration::from_secs(15));
    assert_eq!(
        stderr
            .iter()
            .filter(|l| l.starts_with("SIGINT") || l.starts_with("abandoned"))
            .collect::<Vec<_>>(),
        [
            "SIGINT: stopping; the current assessment has 3s to finish",
            "abandoned the current assessment (not recorded)"
        ]
    );
    assert_eq!(run_rows(dir).len(), 1);
}

#[test]
fn a_second_watcher_on_the_same_project_is_refused() {
    let index = index();
    let dir = project(&index);
    let dir = dir.path();
    let mut first = Watcher::start(dir, &["--no-cache", "--interval", "1h"]);
    first.wait_run(1);
    let (code, stdout, stderr) = run(ww(dir).args(["watch", "--once", "--no-cache"]));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    let pid = first.child.id();
    let lock = std::fs::canonicalize(dir)
        .unwrap()
        .join(".wheelwatch/watch.lock");
    let expected_start = format!(
        "error: another watcher is running for this project: pid {pid} (`wheelwatch watch --no-cache --interval 1h`) since "
    );
    assert!(stderr.starts_with(&expected_start), "{stderr}");
    assert!(
        stderr.trim_end().ends_with(&format!(
            "ago); one watcher per project (lock: {})",
            lock.display()
        )) || stderr.trim_end().ends_with(&format!(
            "ago); one watcher per project (lock: {})",
            dir.join(".wheelwatch/watch.lock").display()
        )),
        "{stderr}"
    );
    first.signal("TERM");
    let (code, _) = first.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0));
    // Once the first has stopped, another may watch.
    let (code, _, stderr) = run(ww(dir).args(["watch", "--once", "--no-cache"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(run_rows(dir).len(), 2);
}

#[test]
fn kill_9_of_a_watcher_loses_no_recorded_run() {
    let index = index();
    let dir = project(&index);
    let dir = dir.path();
    for round in 0..3 {
        let mut w = Watcher::start(dir, &["--no-cache", "--interval", "200ms"]);
        w.wait_run(3);
        // Kill at a different moment of the cycle each round.
        std::thread::sleep(Duration::from_millis(70 * round));
        let status = Command::new("kill")
            .args(["-KILL", &w.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = w.child.wait();
        while let Ok(line) = w.lines.recv_timeout(Duration::from_millis(200)) {
            w.seen.push(line);
        }
        let reported: Vec<i64> = w
            .seen
            .iter()
            .filter(|l| l.starts_with("run "))
            .map(|l| l[4..].split(':').next().unwrap().parse().unwrap())
            .collect();
        let recorded = run_ids(dir);
        for id in &reported {
            assert!(
                recorded.contains(id),
                "run {id} was reported but is not in {recorded:?}"
            );
        }
    }
    // The store is consistent.
    let conn = rusqlite::Connection::open(dir.join(".wheelwatch/history.sqlite")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (code, _, stderr) = run(ww(dir).args(["watch", "--once", "--no-cache"]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_broken_webhook_does_not_stop_the_loop() {
    let index = TestIndex::builder()
        .project("wwlib", |p| p.status(503))
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any"))
        .serve();
    let dir = project(&index);
    let dir = dir.path();
    // Refuses connections.
    let refused = format!("http://127.0.0.1:{}/hook", free_port());
    // Answers 500.
    let failing = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let failing_url = format!("http://{}/hook", failing.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        for request in failing.incoming_requests() {
            let _ = request.respond(tiny_http::Response::from_string("no").with_status_code(500));
        }
    });
    // Accepts and never answers.
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_url = format!("http://{}/hook", hang.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in hang.incoming() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let mut w = Watcher::start(
        dir,
        &[
            "--no-cache",
            "--interval",
            "200ms",
            "--alert-after-failures",
            "1",
            "--notify-timeout",
            "20",
            "--notify",
            &hang_url,
            "--notify",
            &refused,
            "--notify",
            &failing_url,
            "--max-runs",
            "6",
        ],
    );
    // Run 1 alerts; the worker is stuck on the hanging webhook for a minute, and the loop goes
    // on regardless.
    w.wait_run(6);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let (code, stderr) = w.wait_exit(Duration::from_mins(1));
    assert_eq!(code, Some(0), "{stderr:#?}");
    assert_eq!(run_rows(dir).len(), 6);
    assert!(
        stderr
            .iter()
            .any(|l| l == "warning: some alerts were not delivered within 15s of stopping"),
        "{stderr:#?}"
    );
}

#[test]
fn broken_webhooks_are_retried_then_reported_and_the_notify_command_gets_the_alert() {
    let index = TestIndex::builder()
        .project("wwlib", |p| p.status(503))
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any"))
        .serve();
    let dir = project(&index);
    let dir = dir.path();
    let refused = format!("http://127.0.0.1:{}/hook", free_port());
    let failing = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let failing_url = format!("http://{}/hook", failing.server_addr().to_ip().unwrap());
    let attempts = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&attempts);
    std::thread::spawn(move || {
        for request in failing.incoming_requests() {
            *counted.lock().unwrap() += 1;
            let _ = request.respond(tiny_http::Response::from_string("no").with_status_code(500));
        }
    });
    let out = dir.join("alert.json");
    let (code, _, stderr) = run(ww(dir).args([
        "watch",
        "--once",
        "--no-cache",
        "--alert-after-failures",
        "1",
        "--notify",
        &refused,
        "--notify",
        &failing_url,
        "--notify-command",
        "sh",
        "-c",
        &format!("cat > {}", out.display()),
    ]));
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(*attempts.lock().unwrap(), 3);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: alert not delivered"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings[0].starts_with(&format!("warning: alert not delivered to {refused}: ")),
        "{stderr}"
    );
    assert!(warnings[0].ends_with("(3 attempts)"), "{stderr}");
    assert_eq!(
        warnings[1],
        format!("warning: alert not delivered to {failing_url}: HTTP 500 (3 attempts)")
    );
    let alert: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ids = run_ids(dir);
    let alert = normalize_alert(&alert, &ids, &project_name(dir), &index.url());
    assert_eq!(
        alert,
        json!({
            "kind": "assessment_failing",
            "project": "[NAME]",
            "run_id": "[RUN1]",
            "target": null,
            "package": null,
            "before": null,
            "after": null,
            "summary": "[NAME]: the assessment failed 1 times in a row: wwlib on 3.12@manylinux_2_28_x86_64: could not assess: [INDEX]/wwlib/ answered HTTP 503 (1 attempt(s))",
            "timestamp": "[TIME]"
        })
    );
}

#[test]
fn print_systemd_and_cron() {
    let index = index();
    let dir = project(&index);
    let dir = dir.path();
    std::fs::write(dir.join("pyproject.toml"), "[project]\nname = \"my_app\"\n").unwrap();
    let (code, stdout, stderr) = run(ww(dir).args([
        "watch",
        "--print-systemd",
        "--interval",
        "6h",
        "--notify",
        "http://127.0.0.1:9/hook",
        "--auto-fallback",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let exe = env!("CARGO_BIN_EXE_wheelwatch");
    let cwd = dir.display().to_string();
    let stdout = stdout.replace(exe, "[EXE]").replace(&cwd, "[DIR]");
    assert_eq!(
        stdout,
        "\
# wheelwatch-my-app.service (in ~/.config/systemd/user/ or /etc/systemd/system/)
[Unit]
Description=wheelwatch: wheel health of my_app
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory=[DIR]
ExecStart=[EXE] watch --once --notify http://127.0.0.1:9/hook --auto-fallback

# wheelwatch-my-app.timer
[Unit]
Description=Run wheelwatch for my_app every 6h

[Timer]
OnCalendar=*-*-* 00/6:00:00
RandomizedDelaySec=2160
Persistent=true

[Install]
WantedBy=timers.target

# Enable with: systemctl --user daemon-reload && systemctl --user enable --now wheelwatch-my-app.timer
"
    );
    let (code, stdout, stderr) = run(ww(dir).args([
        "watch",
        "--print-cron",
        "--interval",
        "15m",
        "--python",
        "3.13@linux",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.replace(exe, "[EXE]").replace(&cwd, "[DIR]"),
        "# wheelwatch for my_app, every 15m (add with `crontab -e`)\n\
         */15 * * * * cd [DIR] && [EXE] watch --python 3.13@linux --once\n"
    );
}

fn venv_python(venv: &Path) -> String {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("run venv python");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn auto_fallback_acts_after_n_successful_unhealthy_runs_and_auto_promote_returns() {
    let (Some(_), Some((py312, _))) = (pyenv_python("3.11"), pyenv_python("3.12")) else {
        return skip("needs pyenv CPython 3.11 and 3.12 with venv and ensurepip");
    };
    let index = TestIndex::builder()
        .project("wwfast", |p| {
            p.wheel_with("1.0", &format!("cp311-cp311-{LINUX}"), |w| {
                w.module_source("VALUE = 42\n")
            })
            .sdist("1.0")
        })
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any"))
        .serve();
    let project = venv_project(&index.url(), &py312, "wwfast==1.0\nwwpure\n");
    let dir = project.path();
    let venv = dir.join(".venv");
    let hook = receiver();
    let mut w = Watcher::start(
        dir,
        &[
            "--no-cache",
            "--interval",
            "2s",
            "--auto-fallback",
            "--auto-promote",
            "--promote-after",
            "1",
            "--notify",
            &hook.url,
        ],
    );
    // 1: unhealthy primary, 1 of 2.
    let line = w.wait_run(1);
    assert!(line.ends_with(": fallback available"), "{line}");
    // 2: an outage counts nothing.
    index.set_status("wwfast", Some(503));
    let line = w.wait_run(2);
    assert!(line.contains("the assessment failed"), "{line}");
    assert!(!venv.is_symlink(), "acted on an outage");
    assert_eq!(venv_python(&venv), "3.12");
    // 3: unhealthy again, 2 of 2: falls back.
    index.set_status("wwfast", None);
    let line = w.wait_run(3);
    assert!(line.ends_with(": fallback available (no change)"), "{line}");
    assert!(venv.is_symlink());
    assert_eq!(venv_python(&venv), "3.11");
    // 4: still unhealthy: already on the fallback, nothing more.
    let line = w.wait_run(4);
    assert!(line.ends_with(": fallback available (no change)"), "{line}");
    // 5: a 3.12 wheel appears: the primary is healthy once: promoted.
    index.add_file(
        "wwfast",
        FileSpec::wheel("wwfast", "1.0", &format!("cp312-cp312-{LINUX}"))
            .module_source("VALUE = 42\n"),
    );
    let line = w.wait_run(5);
    assert!(line.ends_with(": primary healthy (3 change(s))"), "{line}");
    assert_eq!(venv_python(&venv), "3.12");
    w.signal("TERM");
    let (code, stderr) = w.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr:#?}");

    // Recorded: the actions' events with their runs, and counted in the metrics.
    let ids = run_ids(dir);
    let show3 = history_json(dir, &["show", &ids[2].to_string()]);
    let kinds: Vec<&str> = show3["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["fallback_started", "fallback_succeeded"]);
    let show5 = history_json(dir, &["show", &ids[4].to_string()]);
    let kinds: Vec<&str> = show5["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["promote_started", "promoted"]);
    let (_, metrics, _) = run(ww(dir).arg("metrics"));
    let actions: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("wheelwatch_actions_total{"))
        .collect();
    assert_eq!(
        actions,
        [
            "wheelwatch_actions_total{action=\"fallback\"} 1",
            "wheelwatch_actions_total{action=\"promote\"} 1",
            "wheelwatch_actions_total{action=\"reset\"} 0",
        ]
    );
    // Alerted.
    let bodies = wait_bodies(&hook, 3);
    let alerts: Vec<(String, String)> = bodies
        .iter()
        .flat_map(|b| b["wheelwatch"].as_array().unwrap().clone())
        .map(|a| {
            let summary = a["summary"]
                .as_str()
                .unwrap()
                .split_once(": ")
                .unwrap()
                .1
                .to_string();
            (a["kind"].as_str().unwrap().to_string(), summary)
        })
        .collect();
    let alerts: Vec<(String, String)> = alerts
        .into_iter()
        // The venv's exact version and this machine's platform vary.
        .map(|(k, s)| {
            let s = s.split(" Python ").next().unwrap();
            (k, s.split("@manylinux").next().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        alerts,
        [
            (
                "fallback_taken".to_string(),
                "fell back: watch: the primary was unhealthy in 2 consecutive assessments; the venv runs".to_string()
            ),
            (
                "verdict_changed".to_string(),
                "verdict changed from fallback available to primary healthy".to_string()
            ),
            (
                "blocker_resolved".to_string(),
                "wwfast no longer blocks a wheel-only install on 3.12".to_string()
            ),
            (
                "promotion_taken".to_string(),
                "returned to the primary: watch: the primary was healthy in 1 consecutive assessments; the venv runs".to_string()
            ),
        ]
    );
}

/// The project of [`project`] with `watch` lines appended to its wheelwatch.toml.
fn project_with_watch_config(index: &TestIndex, watch: &str) -> tempfile::TempDir {
    let dir = project(index);
    let path = dir.path().join("wheelwatch.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(watch);
    std::fs::write(&path, text).unwrap();
    dir
}

#[test]
fn watch_reads_its_settings_from_the_configuration_and_flags_win() {
    let index = index();
    let dir = project_with_watch_config(
        &index,
        "\n[watch]\ninterval = \"6h\"\nnotify = [\"http://127.0.0.1:9/hook\"]\n\
         alert-after-failures = 5\nauto-fallback = true\nfallback-after = 4\n\
         metrics-file = \"out/wheelwatch.prom\"\nmetrics-per-package = true\n",
    );
    let dir = dir.path();
    std::fs::write(dir.join("pyproject.toml"), "[project]\nname = \"my_app\"\n").unwrap();
    let exe = env!("CARGO_BIN_EXE_wheelwatch");
    let cwd = dir.display().to_string();

    // The file's interval; its other keys are not repeated (the unit reads the file again).
    let (code, stdout, stderr) = run(ww(dir).args(["watch", "--print-cron"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.replace(exe, "[EXE]").replace(&cwd, "[DIR]"),
        "# wheelwatch for my_app, every 6h (add with `crontab -e`)\n\
         0 */6 * * * cd [DIR] && [EXE] watch --once\n"
    );
    // Flags win, and are repeated.
    let (code, stdout, stderr) = run(ww(dir).args([
        "watch",
        "--print-cron",
        "--interval",
        "15m",
        "--alert-after-failures",
        "2",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.replace(exe, "[EXE]").replace(&cwd, "[DIR]"),
        "# wheelwatch for my_app, every 15m (add with `crontab -e`)\n\
         */15 * * * * cd [DIR] && [EXE] watch --once --alert-after-failures 2\n"
    );

    // `config` shows the keys the file sets, and where they came from.
    let (code, stdout, stderr) = run(ww(dir).args(["config"]));
    assert_eq!(code, 0, "{stderr}");
    let config = dir.join("wheelwatch.toml").display().to_string();
    let watch_rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("watch.")).collect();
    let metrics_file = dir.join("out/wheelwatch.prom").display().to_string();
    let expected: Vec<String> = [
        ("interval", "21600s"),
        ("notify", "http://127.0.0.1:9/hook"),
        ("alert-after-failures", "5"),
        ("auto-fallback", "true"),
        ("fallback-after", "4"),
        ("metrics-file", metrics_file.as_str()),
        ("metrics-per-package", "true"),
    ]
    .iter()
    .map(|(key, value)| {
        format!(
            "{:<18} {value:<40} ({config} (watch.{key}))",
            format!("watch.{key}")
        )
    })
    .collect();
    assert_eq!(watch_rows, expected);
    let (code, stdout, stderr) = run(ww(dir).args(["config", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let value: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        value["watch"]["interval"],
        json!({ "value": "21600s", "source": format!("{config} (watch.interval)") })
    );

    // A run writes the metrics file the configuration names (relative to it), with the
    // per-package series it asks for.
    std::fs::create_dir(dir.join("out")).unwrap();
    let (code, _, stderr) = run(ww(dir).args(["watch", "--once"]));
    assert_eq!(code, 0, "{stderr}");
    let metrics = std::fs::read_to_string(dir.join("out/wheelwatch.prom")).unwrap();
    let per_package = per_package_series(&metrics);
    assert_eq!(per_package, PER_PACKAGE);
}

#[test]
fn bad_watch_settings_in_the_configuration_name_the_file_line_and_what_was_expected() {
    let index = index();
    let url = index.url();
    let cases: [(&str, &str, String); 4] = [
        (
            "wheelwatch.toml",
            "[watch]\ninterval = \"1w\"\n",
            "TOML parse error at line 5, column 12\n  |\n5 | interval = \"1w\"\n  |            ^^^^\n\
             invalid interval `1w`: unknown unit `w` (expected s, m, h or d)\n"
                .to_string(),
        ),
        (
            "wheelwatch.toml",
            "[watch]\nnotify = [\"ftp://127.0.0.1/x\"]\n",
            "TOML parse error at line 5, column 10\n  |\n5 | notify = [\"ftp://127.0.0.1/x\"]\n  |          ^^^^^^^^^^^^^^^^^^^^^\n\
             invalid notify URL `ftp://127.0.0.1/x`: expected http:// or https://\n"
                .to_string(),
        ),
        (
            "wheelwatch.toml",
            "[watch]\nintervall = \"1h\"\n",
            "TOML parse error at line 5, column 1\n  |\n5 | intervall = \"1h\"\n  | ^^^^^^^^^\n\
             unknown field `intervall`, expected one of `interval`, `notify`, `notify-command`, \
             `notify-timeout`, `alert-after-failures`, `auto-fallback`, `fallback-after`, \
             `auto-promote`, `promote-after`, `metrics-file`, `metrics-listen`, \
             `metrics-per-package`\n"
                .to_string(),
        ),
        (
            "pyproject.toml",
            "[tool.wheelwatch.watch]\nalert-after-failures = 0\n",
            "[tool.wheelwatch]: TOML parse error at line 7, column 24\n  |\n7 | alert-after-failures = 0\n  |                        ^\n\
             expected a whole number from 1 to 4294967295, got 0\n"
                .to_string(),
        ),
    ];
    for (file, watch, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "wwpure\n").unwrap();
        let head = if file == "pyproject.toml" {
            format!("[project]\nname = \"app\"\n\n[tool.wheelwatch]\nindex-url = \"{url}\"\n")
        } else {
            format!("primary = \"3.12@linux\"\nindex-url = \"{url}\"\n\n")
        };
        std::fs::write(dir.path().join(file), format!("{head}{watch}")).unwrap();
        let (code, stdout, stderr) = run(ww(dir.path()).args(["watch", "--once"]));
        assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
        assert_eq!(
            stderr,
            format!(
                "error: invalid configuration in `{}`: {expected}",
                dir.path().join(file).display()
            )
        );
    }
}
