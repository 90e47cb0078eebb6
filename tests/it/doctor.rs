//! `wheelwatch doctor` end to end through the binary: a working primary, a broken one, a broken
//! primary rescued by a working fallback; the index check against a local server (never the
//! internet) with credentials that must not be shown.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::python::pyenv_pythons;

fn working_python() -> Option<PathBuf> {
    pyenv_pythons()
        .into_iter()
        .find(|(n, _)| n.starts_with("3.12.") || n.starts_with("3.11."))
        .map(|(_, p)| p)
}

/// A local index answering every request with 200, serving `count` requests.
fn local_index(count: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..count {
            let Ok(Some(req)) = server.recv_timeout(std::time::Duration::from_secs(20)) else {
                break;
            };
            seen.push(req.url().to_string());
            let _ = req.respond(tiny_http::Response::from_string("<html></html>"));
        }
        seen
    });
    (format!("127.0.0.1:{port}"), handle)
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

#[test]
fn working_primary_exits_zero_and_reports_its_checks() {
    let Some(python) = working_python() else {
        crate::common::skip("no pyenv 3.11/3.12 interpreter");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (addr, server) = local_index(1);
    let url = format!("http://alice:s3cret@{addr}/simple/");
    let out = doctor(
        dir.path(),
        &[
            "--python",
            python.to_str().unwrap(),
            "--index-url",
            &url,
            "--format",
            "json",
        ],
        // Used only for https URLs, so the local http index is reached directly.
        &[("HTTPS_PROXY", "http://carol:proxys3cret@127.0.0.1:9")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("proxys3cret"), "proxy credentials leaked");
    assert!(
        stdout.contains("\"HTTPS_PROXY\""),
        "proxy not reported: {stdout}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("s3cret"), "credentials leaked: {stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["exit_code"], 0);
    let primary = &report["interpreters"][0];
    assert_eq!(primary["role"], "primary");
    assert_eq!(primary["found"], true);
    assert_eq!(primary["usable"], true);
    assert_eq!(primary["venv_ok"], true);
    assert!(primary["version"].as_str().unwrap().starts_with("3.1"));
    assert!(primary["pip_version"].is_string(), "{primary}");
    let checks = report["checks"].as_array().unwrap();
    let index = checks
        .iter()
        .find(|c| c["section"] == "index" && c["name"] == "reachability")
        .unwrap();
    assert_eq!(index["status"], "ok", "{index}");
    assert!(index["detail"].as_str().unwrap().contains("HTTP 200"));
    assert!(index["detail"].as_str().unwrap().contains(&addr));
    for name in ["C compiler", "rustc", "free space"] {
        assert!(
            checks.iter().any(|c| c["name"] == name),
            "no `{name}` check in {checks:#?}"
        );
    }
    let seen = server.join().unwrap();
    assert_eq!(seen, vec!["/simple/".to_string()]);
}

#[cfg(unix)]
#[test]
fn broken_primary_exits_one_with_evidence_and_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let shim = failing_shim(dir.path());
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["ok"], false);
    let primary = &report["interpreters"][0];
    assert_eq!(primary["found"], false);
    assert_eq!(primary["usable"], false);
    let error = primary["error"].as_str().unwrap();
    assert!(error.contains("exited with code 127"), "{error}");
    assert!(error.contains("command not found"), "{error}");
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "interpreter")
        .unwrap();
    assert_eq!(check["status"], "fail");
    assert!(
        check["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "{check}"
    );

    // The table says the same for people, with the hint.
    let out = doctor_isolated(
        dir.path(),
        &["--python", shim.to_str().unwrap(), "--no-index"],
    );
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("FAIL"), "{table}");
    assert!(table.contains("hint:"), "{table}");
    assert!(table.contains("exit 1"), "{table}");
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
