//! `wheelwatch doctor` end to end through the binary: a working primary, a broken one, a broken
//! primary rescued by a working fallback; the index check against a local server (never the
//! internet) with credentials that must not be shown.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::pyenv_pythons;

fn working_python() -> Option<PathBuf> {
    pyenv_pythons()
        .into_iter()
        .find(|(n, _)| n.starts_with("3.12.") || n.starts_with("3.11."))
        .map(|(_, p)| p)
}

/// A local index answering every request with 200, and the request paths it saw.
fn local_index() -> (
    String,
    crate::common::http::Server,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    let server = crate::common::http::Server::start(std::sync::Arc::new(move |req| {
        log.lock().unwrap().push(req.path);
        crate::common::http::Response::from_string("<html></html>")
    }));
    (server.addr().to_string(), server, seen)
}

fn doctor(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wheelwatch"));
    cmd.arg("doctor")
        .args(args)
        .current_dir(dir)
        .env("WHEELWATCH_CACHE_DIR", dir.join("cache"))
        .env("WHEELWATCH_PROBE_TIMEOUT", "10")
        .env_remove("WHEELWATCH_PYTHON")
        .env_remove("WHEELWATCH_FALLBACK")
        .env_remove("WHEELWATCH_INDEX_URL")
        .env_remove("PIP_INDEX_URL");
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(envs.iter().copied());
    cmd.output().unwrap()
}

/// `doctor` with a small machine-wide search (for the hint): no pyenv, no shims.
fn doctor_isolated(dir: &Path, args: &[&str]) -> Output {
    let empty = dir.join("empty");
    let _ = std::fs::create_dir(&empty);
    Command::new(env!("CARGO_BIN_EXE_wheelwatch"))
        .arg("doctor")
        .args(args)
        .current_dir(dir)
        .env("PATH", "/usr/bin:/bin")
        .env("PYENV_ROOT", &empty)
        .env("UV_PYTHON_INSTALL_DIR", &empty)
        .env("WHEELWATCH_CACHE_DIR", dir.join("cache"))
        .env_remove("WHEELWATCH_PYTHON")
        .env_remove("WHEELWATCH_FALLBACK")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX")
        .output()
        .unwrap()
}

#[cfg(unix)]
fn failing_shim(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("python3-broken");
    std::fs::write(
        &path,
        "#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A doctor table as the test can know it: the machine's own checks (compilers, Rust, disk) as
/// `<machine>`, `python`'s prefix, version and pip as placeholders, the temporary directory as
/// `<tmp>`, the local index's address as `<index>` and latencies as `<n>`.
fn normalize(table: &str, python: Option<&Path>, dir: &Path, index: Option<&str>) -> String {
    let mut text = table.to_string();
    if let Some(index) = index {
        text = text.replace(index, "<index>");
    }
    if let Some(python) = python {
        let prefix = python.parent().unwrap().parent().unwrap();
        let version = prefix.file_name().unwrap().to_string_lossy().into_owned();
        let minor = version.rsplitn(2, '.').last().unwrap().to_string();
        let pip = Command::new(python)
            .args(["-c", "import pip; print(pip.__version__)"])
            .output()
            .unwrap();
        let pip = String::from_utf8_lossy(&pip.stdout).trim().to_string();
        text = text
            .replace(&prefix.display().to_string(), "<prefix>")
            .replace(&format!("pip {pip}"), "pip <pip>")
            .replace(&format!("python{minor}"), "python<minor>")
            .replace(&version, "<version>");
    }
    text = text.replace(&dir.display().to_string(), "<tmp>");
    text.lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let machine = ["C compiler", "rustc", "cargo", "free space"]
                .iter()
                .find(|n| line.get(8..).is_some_and(|rest| rest.starts_with(*n)));
            if let Some(name) = machine {
                return format!("  {:<4}  {name}  <machine>", words[0]);
            }
            match line.find(" in ").zip(line.rfind(" ms")) {
                Some((a, b)) if a < b && line[a + 4..b].bytes().all(|c| c.is_ascii_digit()) => {
                    format!("{} in <n> ms{}", &line[..a], &line[b + 3..])
                }
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn working_primary_exits_zero_and_reports_its_checks() {
    let Some(python) = working_python() else {
        return crate::common::skip("no pyenv 3.11/3.12 interpreter");
    };
    let dir = tempfile::tempdir().unwrap();
    let (addr, _server, seen) = local_index();
    let url = format!("http://alice:s3cret@{addr}/simple/");
    let out = doctor(
        dir.path(),
        &["--python", python.to_str().unwrap(), "--index-url", &url],
        // Used only for https URLs, so the local http index is reached directly.
        &[("HTTPS_PROXY", "http://carol:proxys3cret@127.0.0.1:9")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "")
    );
    assert_eq!(
        normalize(&stdout, Some(&python), dir.path(), Some(&addr)),
        "primary <prefix>/bin/python3
  ok    interpreter   cpython <version> at <prefix>/bin/python3 (explicit)
  ok    pip           pip <pip>
  ok    venv          venv and ensurepip available
  ok    Python.h      <prefix>/include/python<minor>/Python.h
build tools
  ok    C compiler  <machine>
rust
  ok    rustc  <machine>
  ok    cargo  <machine>
disk
  ok    free space  <machine>
index
  ok    proxy         HTTPS_PROXY=http://***@127.0.0.1:9/
  ok    reachability  http://***@<index>/simple/: HTTP 200 in <n> ms

verdict: ready (primary <version>) — exit 0"
            .replace(
                "  ok    C compiler  <machine>",
                &machine_line(&stdout, "C compiler")
            )
            .replace("  ok    rustc  <machine>", &machine_line(&stdout, "rustc"))
            .replace("  ok    cargo  <machine>", &machine_line(&stdout, "cargo"))
            .replace(
                "  ok    free space  <machine>",
                &machine_line(&stdout, "free space")
            )
    );
    assert_eq!(*seen.lock().unwrap(), vec!["/simple/".to_string()]);
}

/// The normalized line of a machine check, with the status the machine gave it.
fn machine_line(table: &str, name: &str) -> String {
    let status = table
        .lines()
        .find(|l| l.get(8..).is_some_and(|rest| rest.starts_with(name)))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("missing");
    format!("  {status:<4}  {name}  <machine>")
}

#[cfg(target_os = "linux")]
#[test]
fn unreachable_index_exits_one_and_offline_skips_the_check() {
    let Some(python) = working_python() else {
        return crate::common::skip("no pyenv 3.11/3.12 interpreter");
    };
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, then closed.
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let url = format!("http://{addr}/simple/");
    let index_lines = |args: &[&str]| {
        let mut all = vec!["--python", python.to_str().unwrap(), "--index-url", &url];
        all.extend_from_slice(args);
        let out = doctor(dir.path(), &all, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let text = normalize(&stdout, Some(&python), dir.path(), Some(&addr));
        let from_index = text.split("\nindex\n").nth(1).unwrap_or(&text).to_string();
        (out.status.code(), from_index)
    };
    assert_eq!(
        index_lines(&[]),
        (
            Some(1),
            "  FAIL  reachability  could not reach http://<index>/simple/ (1 attempt(s)): error \
             sending request: client error (Connect): tcp connect error: Connection refused (os \
             error 111)
                      hint: check the network, proxy variables and the index URL; `--offline` uses only the cache

verdict: the index cannot be reached, so `check` cannot run (primary <version> usable) — exit 1"
                .to_string()
        )
    );
    assert_eq!(
        index_lines(&["--offline"]),
        (
            Some(0),
            "  skip  reachability  --offline: not checked; `check` answers from the cache only

verdict: ready (primary <version>) — exit 0"
                .to_string()
        )
    );
}

#[cfg(unix)]
#[test]
fn broken_primary_exits_one_with_evidence_and_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let shim = failing_shim(dir.path());
    let out = doctor_isolated(
        dir.path(),
        &["--python", shim.to_str().unwrap(), "--no-index"],
    );
    assert_eq!(out.status.code(), Some(1));
    // The usable interpreters the hint suggests are the machine's (system directories are
    // always searched): those two lines are `<discovery>`; the rest is compared whole.
    let table = String::from_utf8_lossy(&out.stdout);
    let normalized = normalize(&table, None, dir.path(), None)
        .lines()
        .map(|l| {
            let t = l.trim_start();
            if t.starts_with("usable but not matching: ")
                || t.starts_with("hint: pass one that works")
            {
                "<discovery>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let rust = |tool: &str| {
        let line = machine_line(&table, tool);
        if line.contains(" ok ") {
            line
        } else {
            format!(
                "{line}\n                      hint: install a Rust toolchain with rustup or your package manager"
            )
        }
    };
    assert_eq!(
        normalized,
        format!(
            "primary <tmp>/python3-broken
  FAIL  interpreter   no usable Python at `<tmp>/python3-broken`
                      - <tmp>/python3-broken (explicit): exited with code 127; stderr: pyenv: python3.12: command not found
<discovery>
<discovery>
build tools
{}
rust
{}
{}
disk
{}
index
  skip  reachability  --no-index: no index is used

verdict: no usable interpreter (neither the primary nor a fallback can create a venv) — exit 1",
            machine_line(&table, "C compiler"),
            rust("rustc"),
            rust("cargo"),
            machine_line(&table, "free space"),
        )
    );

    // The JSON says the same for machines.
    let out = doctor_isolated(
        dir.path(),
        &[
            "--python",
            shim.to_str().unwrap(),
            "--no-index",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut primary = report["interpreters"][0].clone();
    let error = primary["error"].as_str().unwrap().to_string();
    primary["error"] = error.lines().take(2).collect::<Vec<_>>().join("\n").into();
    assert_eq!(
        primary,
        serde_json::json!({
            "role": "primary",
            "request": shim,
            "request_source": "flag --python",
            "found": false,
            "usable": false,
            "pip_ok": false,
            "venv_ok": false,
            "python_h_present": false,
            "error": format!(
                "no usable Python at `{}`\n  - {} (explicit): exited with code 127; stderr: pyenv: python3.12: command not found",
                shim.display(),
                shim.display()
            ),
        })
    );
    assert_eq!(
        (report["ok"].clone(), report["exit_code"].clone()),
        (false.into(), 1.into())
    );
}

#[cfg(unix)]
#[test]
fn working_fallback_rescues_a_broken_primary() {
    let Some(python) = working_python() else {
        crate::common::skip("no pyenv 3.11/3.12 interpreter");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shim = failing_shim(dir.path());
    let out = doctor(
        dir.path(),
        &[
            "--python",
            shim.to_str().unwrap(),
            "--fallback",
            python.to_str().unwrap(),
            "--no-index",
            "--format",
            "json",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["interpreters"][0]["usable"], false);
    assert_eq!(report["interpreters"][1]["role"], "fallback");
    assert_eq!(report["interpreters"][1]["usable"], true);
}
