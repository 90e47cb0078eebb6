//! `wheelwatch dashboard` end to end: a store filled by real `check --record` runs against the
//! local test index whose answers change between runs (a wheel appears, the index fails, a
//! new version comes out), plus lifecycle events, with a project name, a requirement and an
//! event reason that carry HTML and script. The generated file is checked as text, then
//! opened in headless Chromium through chromedriver, with JavaScript on and off: the DOM
//! (verdict, one chart per target with one point per run, the grid, the hostile strings as
//! text and no element they tried to inject), no console errors, no network request, a
//! screenshot under `target/tmp/dashboard/`. `--serve` answers with the store as it is at
//! each request.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::common::project::linux_config;
use crate::common::webdriver::{Browser, Session};
use crate::common::{FileSpec, TestIndex, run, skip, wheelwatch as ww};

const LINUX: &str = "manylinux_2_17_x86_64";
const PRIMARY: &str = "3.12@manylinux_2_28_x86_64";
const FALLBACK: &str = "3.11@manylinux_2_28_x86_64";
/// The project's name (from pyproject.toml).
const HOSTILE_NAME: &str =
    r#"<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"#;
/// A fallback event's reason.
const HOSTILE_REASON: &str =
    r#"</li><script>window.__pwned=3</script><iframe src="http://example.invalid/"></iframe>"#;
/// A marker string in a requirement (a marker's strings are any ASCII).
const HOSTILE_MARKER: &str = "<img src=x onerror=window.__pwned=4>";

/// A recorded history: four runs (nothing healthy; the primary healthy; an outage; a new
/// version) and a fallback and a promotion event.
struct History {
    _index: TestIndex,
    dir: tempfile::TempDir,
}

fn event(kind: &str, role: &str, reason: &str) -> String {
    let ts = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ");
    serde_json::json!({"ts": ts.to_string(), "event": kind, "pid": 1, "role": role, "reason": reason})
        .to_string()
}

fn append(path: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

fn check_record(dir: &Path, expected: i32) {
    let (code, _, stderr) = run(ww(dir).args(["check", "--record", "--no-cache"]));
    assert_eq!(code, expected, "{stderr}");
}

fn recorded_history() -> History {
    let index = TestIndex::builder()
        .project("wwlib", |p| p.sdist("1.0"))
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any").sdist("2.0"))
        .project("wwhost", |p| p.wheel("1.0", "py3-none-any"))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("requirements.txt"),
        format!("wwlib==1.0\nwwpure\nwwhost ; platform_release == \"{HOSTILE_MARKER}\"\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("pyproject.toml"),
        format!("[project]\nname = '{HOSTILE_NAME}'\n"),
    )
    .unwrap();
    std::fs::write(d.join("wheelwatch.toml"), linux_config(&index.url())).unwrap();
    std::fs::create_dir(d.join(".wheelwatch")).unwrap();
    let events = d.join(".wheelwatch/events.jsonl");
    // 1: wwlib has only an sdist: nothing is healthy.
    check_record(d, 1);
    // 2: a fallback was taken (by hand, say); a wheel for 3.12 appears.
    append(
        &events,
        &event("fallback_succeeded", "fallback", HOSTILE_REASON),
    );
    index.add_file(
        "wwlib",
        FileSpec::wheel("wwlib", "1.0", &format!("cp312-cp312-{LINUX}")),
    );
    check_record(d, 0);
    // 3: the index fails: an outage.
    index.set_status("wwlib", Some(500));
    check_record(d, 3);
    index.set_status("wwlib", None);
    // 4: back on the primary; wwpure 2.1 is out.
    append(
        &events,
        &event("promoted", "primary", "the primary is healthy"),
    );
    index.add_file("wwpure", FileSpec::wheel("wwpure", "2.1", "py3-none-any"));
    check_record(d, 0);
    History { _index: index, dir }
}

fn generate(dir: &Path) -> PathBuf {
    let out = dir.join("dashboard.html");
    let (code, stdout, stderr) = run(ww(dir).args(["dashboard", "-o", "dashboard.html"]));
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.starts_with(&format!("wrote {} (", out.display())),
        "{stderr}"
    );
    out
}

#[test]
fn dashboard_file_escapes_everything_and_draws_every_run() {
    let history = recorded_history();
    let html = std::fs::read_to_string(generate(history.dir.path())).unwrap();
    let lower = html.to_ascii_lowercase();
    // Only the page's own script; nothing injected.
    assert_eq!(lower.matches("<script").count(), 1, "{html}");
    assert_eq!(lower.matches("<img").count(), 0);
    assert_eq!(lower.matches("<iframe").count(), 0);
    // The hostile strings are there, as text.
    assert!(html.contains(
        "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;"
    ));
    assert!(html.contains(
        "&lt;/li&gt;&lt;script&gt;window.__pwned=3&lt;/script&gt;&lt;iframe src=&quot;http://example.invalid/&quot;&gt;&lt;/iframe&gt;"
    ));
    assert!(html.contains("&lt;img src=x onerror=window.__pwned=4&gt;"));
    // Nothing to fetch: no `src` attribute, and links only to data or within the page.
    assert_eq!(lower.matches(" src=\"").count(), 0, "{html}");
    for (i, _) in lower.match_indices(" href=\"") {
        let value = &lower[i + 7..];
        assert!(
            value.starts_with("data:") || value.starts_with('#'),
            "{}",
            &value[..40.min(value.len())]
        );
    }
    // Two targets, three successful runs: two charts of three points.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 2);
    assert_eq!(html.matches("<circle class=\"pt").count(), 6);
    assert_eq!(html.matches("data-points=\"3\"").count(), 2);
    assert!(html.contains("data-verdict=\"primary_healthy\""));
    assert!(html.len() < 200_000, "{} bytes", html.len());
}

/// Runs `check` on the page in `session`, JavaScript on or off.
fn assert_page(session: &Session, url: &str, javascript: bool, shot: &str) {
    // What the browser did before the page (its own start page) is not the page's doing.
    session.log("performance").unwrap();
    session.log("browser").unwrap();
    session.open(url).unwrap();
    assert_eq!(
        session.title().unwrap(),
        format!("wheelwatch dashboard · {HOSTILE_NAME}")
    );
    let html_class = session
        .find_one("html")
        .unwrap()
        .attribute("class")
        .unwrap();
    assert_eq!(html_class.as_deref(), javascript.then_some("js"));
    // The verdict, and the outage before it.
    assert_eq!(
        session.find_one(".verdict-word").unwrap().text().unwrap(),
        "primary healthy"
    );
    let heading = session
        .find_one("section.project h2")
        .unwrap()
        .text()
        .unwrap();
    assert!(
        heading.starts_with(HOSTILE_NAME),
        "the project's name is shown as text: {heading}"
    );
    // Each target's health and what changed since the previous run.
    let cards: Vec<String> = session
        .find_all(".target")
        .unwrap()
        .iter()
        .map(|c| c.text().unwrap())
        .collect();
    assert_eq!(
        cards,
        vec![
            format!(
                "{PRIMARY}\nprimary healthy\nwheel share (tree)\n100 %\nwheel share (direct)\n\
                 100 %\nblockers\n0\nversion wwpure: 2.0 → 2.1"
            ),
            format!(
                "{FALLBACK}\nfallback unhealthy\nwheel share (tree)\n50 %\nwheel share (direct)\n\
                 50 %\nblockers\n1\nversion wwpure: 2.0 → 2.1"
            ),
        ]
    );
    // One chart per target, one point per successful run, marks for the events and outage.
    let charts = session.find_all("svg.chart").unwrap();
    let targets: Vec<Option<String>> = charts
        .iter()
        .map(|c| c.attribute("data-target").unwrap())
        .collect();
    assert_eq!(
        targets,
        vec![Some(PRIMARY.to_string()), Some(FALLBACK.to_string())]
    );
    for chart in &charts {
        assert_eq!(chart.find_all("circle.pt").unwrap().len(), 3);
        for kind in ["fallback", "promotion", "outage"] {
            assert_eq!(
                chart.find_all(&format!("line.mk-{kind}")).unwrap().len(),
                1,
                "{kind}"
            );
        }
    }
    // The grid of the newest run.
    let rows: Vec<String> = session
        .find_all("table.grid tr")
        .unwrap()
        .iter()
        .map(|r| {
            r.find_all("th, td")
                .unwrap()
                .iter()
                .map(|c| c.text().unwrap().replace('\n', " / "))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            format!("package | {PRIMARY} | {FALLBACK}"),
            "wwlib | ✓ 1.0 / wheel | ✗ 1.0 / sdist only".to_string(),
            "wwpure | ✓ 2.1 / wheel | ✓ 2.1 / wheel".to_string(),
            "wwhost | · / excluded | · / excluded".to_string(),
        ]
    );
    let row_title = session
        .find_one("tr[data-package=wwhost] th")
        .unwrap()
        .attribute("title")
        .unwrap();
    assert_eq!(
        row_title.as_deref(),
        Some(format!("wwhost ; platform_release == \"{HOSTILE_MARKER}\"").as_str())
    );
    // The runs table and the events, the hostile reason as text.
    assert_eq!(
        session.find_all("table.runs-table tbody tr").unwrap().len(),
        4
    );
    let events: Vec<String> = session
        .find_all(".timeline li .words")
        .unwrap()
        .iter()
        .map(|e| e.text().unwrap())
        .collect();
    assert_eq!(
        events,
        vec![
            "role primary · reason: the primary is healthy".to_string(),
            format!("role fallback · reason: {HOSTILE_REASON}"),
        ]
    );
    // Nothing was injected.
    assert_eq!(session.find_all("script").unwrap().len(), 1);
    assert_eq!(session.find_all("img, iframe").unwrap().len(), 0);
    // The toggle and the filter need JavaScript: hidden without it.
    let toggle = session.find_one("#theme-toggle").unwrap();
    assert_eq!(toggle.displayed().unwrap(), javascript);
    if javascript {
        assert_eq!(
            session
                .script("return window.__pwned === undefined")
                .unwrap(),
            Value::Bool(true)
        );
        assert_eq!(toggle.text().unwrap(), "Theme: auto");
        toggle.click().unwrap();
        let theme = || {
            session
                .find_one("html")
                .unwrap()
                .attribute("data-theme")
                .unwrap()
        };
        assert_eq!(theme().as_deref(), Some("light"));
        toggle.click().unwrap();
        assert_eq!(theme().as_deref(), Some("dark"));
        session
            .find_one("input[data-table]")
            .unwrap()
            .send_keys("failed")
            .unwrap();
        let shown: Vec<Option<String>> = session
            .find_all("table.runs-table tbody tr")
            .unwrap()
            .iter()
            .filter(|r| r.displayed().unwrap())
            .map(|r| r.attribute("class").unwrap())
            .collect();
        assert_eq!(shown, vec![Some("r-failed".to_string())]);
        // Sorting by run id: oldest first after one click.
        session
            .find_one("table.runs-table th button")
            .unwrap()
            .click()
            .unwrap();
        let order = || -> Vec<String> {
            session
                .find_all("table.runs-table tbody tr")
                .unwrap()
                .iter()
                .map(|r| r.attribute("data-run").unwrap().unwrap_or_default())
                .collect()
        };
        assert_eq!(order(), ["1", "2", "3", "4"]);
        session
            .find_one("table.runs-table th button")
            .unwrap()
            .click()
            .unwrap();
        assert_eq!(order(), ["4", "3", "2", "1"]);
    } else {
        assert!(!session.find_one(".filter").unwrap().displayed().unwrap());
    }
    // No console errors, no request but the page itself.
    let errors: Vec<Value> = session
        .log("browser")
        .unwrap()
        .into_iter()
        .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
        .collect();
    assert!(errors.is_empty(), "console: {errors:#?}");
    let performance = session.log("performance").unwrap();
    let requests: Vec<String> = performance
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e["message"].as_str()?).ok())
        .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
        .filter_map(|m| {
            let params = &m["message"]["params"];
            let request = params["request"]["url"].as_str()?.to_string();
            let by_page = params["documentURL"].as_str() == Some(url);
            let network = ["http:", "https:", "ws:", "wss:", "ftp:"]
                .iter()
                .any(|s| request.starts_with(s));
            ((by_page && request != url && !request.starts_with("data:")) || network)
                .then_some(request)
        })
        .collect();
    assert!(requests.is_empty(), "network requests: {requests:?}");
    // The log does see requests: the page's own is there.
    assert!(
        performance
            .iter()
            .any(|e| e["message"].as_str().is_some_and(|m| m.contains(url))),
        "the performance log shows no request at all"
    );
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("dashboard")
        .join(shot);
    session.screenshot(&path).unwrap();
    eprintln!("screenshot: {}", path.display());
}

#[test]
fn dashboard_in_a_headless_browser_with_and_without_javascript() {
    let Some(browser) = Browser::find() else {
        return skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
        );
    };
    let history = recorded_history();
    let file = generate(history.dir.path());
    let url = format!("file://{}", file.display());
    for javascript in [true, false] {
        let session = browser.session(javascript).unwrap();
        assert_page(
            &session,
            &url,
            javascript,
            if javascript {
                "dashboard-js.png"
            } else {
                "dashboard-no-js.png"
            },
        );
    }
}

/// One GET on `addr`: (status line, body).
fn get(addr: &str, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

#[test]
fn dashboard_serve_reads_the_store_for_every_request() {
    let history = recorded_history();
    let d = history.dir.path();
    let mut child = ww(d)
        .args(["dashboard", "--serve", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("serving the dashboard on http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let (status, body) = get(&addr, "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("<p class=\"muted\">4 runs recorded, 1 failed.</p>"));
    check_record(d, 0);
    let (status, body) = get(&addr, "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("<p class=\"muted\">5 runs recorded, 1 failed.</p>"));
    assert_eq!(get(&addr, "/other").0, "HTTP/1.1 404 Not Found");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn dashboard_of_a_shared_sqlite_store_has_a_project_picker() {
    let store_dir = tempfile::tempdir().unwrap();
    let store = store_dir.path().join("shared.sqlite");
    project_picker(&store.display().to_string(), "alpha", "beta");
}

#[test]
fn dashboard_of_a_postgres_store_has_a_project_picker() {
    let Ok(url) = std::env::var("WHEELWATCH_TEST_PG") else {
        return skip("WHEELWATCH_TEST_PG is not set (no PostgreSQL server to test against)");
    };
    // The server is shared with other tests: names of our own.
    let suffix = std::process::id();
    project_picker(&url, &format!("alpha-{suffix}"), &format!("beta-{suffix}"));
}

/// The section id (`project-N`) of project `name` in the page.
fn section_id(html: &str, name: &str) -> String {
    let tail = format!("\" data-project=\"{name}\">");
    let end = html
        .find(&tail)
        .unwrap_or_else(|| panic!("no section for {name}"));
    let start = html[..end].rfind("id=\"").unwrap() + 4;
    html[start..end].to_string()
}

/// Two projects recording into one store: the page of the second has both, the second shown
/// first, a picker with JavaScript and both one after the other without.
fn project_picker(store: &str, first: &str, second: &str) {
    let index = TestIndex::builder()
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any"))
        .serve();
    let mut dirs = Vec::new();
    for name in [first, second] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "wwpure\n").unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            format!("[project]\nname = \"{name}\"\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("wheelwatch.toml"),
            format!(
                "primary = \"3.12@linux\"\nindex-url = \"{}\"\nstore = \"{store}\"\n",
                index.url(),
            ),
        )
        .unwrap();
        check_record(dir.path(), 0);
        dirs.push(dir);
    }
    let file = generate(dirs[1].path());
    let html = std::fs::read_to_string(&file).unwrap();
    let (a, b) = (section_id(&html, first), section_id(&html, second));
    assert!(html.contains(&format!("<option value=\"{a}\">{first} (")));
    assert!(html.contains(&format!("<option value=\"{b}\" selected>{second} (")));
    assert!(html.contains(&format!("<li><a href=\"#{a}\">{first}</a>")));
    let Some(browser) = Browser::find() else {
        return skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
        );
    };
    let url = format!("file://{}", file.display());
    let session = browser.session(true).unwrap();
    session.open(&url).unwrap();
    assert_eq!(shown(&session), vec![second.to_string()]);
    session
        .find_one(&format!("#project-picker option[value={a}]"))
        .unwrap()
        .click()
        .unwrap();
    assert_eq!(shown(&session), vec![first.to_string()]);
    assert!(
        !session
            .find_one(".project-links")
            .unwrap()
            .displayed()
            .unwrap()
    );
    drop(session);
    // Without JavaScript every project is there, after links to each.
    let session = browser.session(false).unwrap();
    session.open(&url).unwrap();
    let all = shown(&session);
    assert!(
        all.contains(&first.to_string()) && all.contains(&second.to_string()),
        "{all:?}"
    );
    assert!(
        session
            .find_one(".project-links")
            .unwrap()
            .displayed()
            .unwrap()
    );
}

/// The projects displayed.
fn shown(session: &Session) -> Vec<String> {
    session
        .find_all("section.project")
        .unwrap()
        .iter()
        .filter(|s| s.displayed().unwrap())
        .map(|s| s.attribute("data-project").unwrap().unwrap_or_default())
        .collect()
}
