//! The project the lifecycle tests (`fallback`, `promote`, `reset`, `init`, kill -9) act on: a git
//! repository with a 3.12 venv, `wwfast==1.0` (wheels for 3.11 only, and an sdist) and `wwpure`
//! (pure Python) from a local index, and a configuration naming 3.12 primary, 3.11 fallback.
//! Also the small helpers those tests share: git, waiting for a condition, masking digits.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::TestIndex;

/// The platform the projects' wheels are built for.
pub const LINUX: &str = "manylinux_2_17_x86_64";

/// The index: `wwfast` 1.0 has a wheel for 3.11 only (which raises on import when `broken`) and
/// an sdist; `wwpure` 2.0 is a pure-Python wheel.
pub fn lifecycle_index(broken: bool) -> TestIndex {
    TestIndex::builder()
        .project("wwfast", |p| {
            p.wheel_with("1.0", &format!("cp311-cp311-{LINUX}"), |w| {
                if broken {
                    w.raises_on_import()
                } else {
                    w.module_source("VALUE = 42\n")
                }
            })
            .sdist("1.0")
        })
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any"))
        .serve()
}

/// `wheelwatch.toml` naming computed targets, 3.12 primary and 3.11 fallback on Linux, and
/// the index: no interpreter is needed.
pub fn linux_config(index_url: &str) -> String {
    format!("primary = \"3.12@linux\"\nfallbacks = [\"3.11@linux\"]\nindex-url = \"{index_url}\"\n")
}

/// A project of `requirements` as its `requirements.txt` and [`linux_config`].
pub fn linux_project(index_url: &str, requirements: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), requirements).unwrap();
    std::fs::write(dir.path().join("wheelwatch.toml"), linux_config(index_url)).unwrap();
    dir
}

/// A project with a `py312` venv (`.venv`, without pip), `requirements` as its
/// `requirements.txt`, and a `wheelwatch.toml` naming 3.12 primary, 3.11 fallback and the index.
pub fn venv_project(index_url: &str, py312: &Path, requirements: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let status = Command::new(py312)
        .args(["-m", "venv", "--without-pip"])
        .arg(root.join(".venv"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(root.join("requirements.txt"), requirements).unwrap();
    std::fs::write(
        root.join("wheelwatch.toml"),
        format!("primary = \"3.12\"\nfallbacks = [\"3.11\"]\nindex-url = \"{index_url}\"\n"),
    )
    .unwrap();
    dir
}

/// A git project (everything committed): [`venv_project`] requiring `wwfast==1.0` and
/// `wwpure`, with `gitignore` as its `.gitignore`.
pub fn git_project(index_url: &str, py312: &Path, gitignore: &str) -> tempfile::TempDir {
    let dir = venv_project(index_url, py312, "wwfast==1.0\nwwpure\n");
    let root = dir.path();
    std::fs::write(root.join(".gitignore"), gitignore).unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "project"]);
    dir
}

/// Runs git in `dir` (as a throwaway identity); returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@localhost",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `done` every 50 ms; fails the test after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `text` with every run of digits written as `#` (pids, times, durations vary).
pub fn digits_masked(text: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// `text` with what differs between machines and runs in a lifecycle command's output masked:
/// the project directory (`<project>`), full CPython versions (`3.12.1` as `3.12.x`), pyenv's
/// interpreter paths, the host's glibc in manylinux tags, timestamps and the local index's port.
pub fn masked(text: &str, root: &Path) -> String {
    let mut text = text.to_string();
    if let Ok(real) = std::fs::canonicalize(root) {
        text = text.replace(&real.display().to_string(), "<project>");
    }
    text = text.replace(&root.display().to_string(), "<project>");
    if let Some(home) = std::env::var_os("HOME") {
        let pyenv = regex::escape(&format!("{}/.pyenv/", home.to_string_lossy()));
        text = regex::Regex::new(&format!(r"{pyenv}\S*"))
            .unwrap()
            .replace_all(&text, "<pyenv python>")
            .into_owned();
    }
    for (pattern, replacement) in [
        (r"(3\.\d{1,2})\.\d+", "$1.x"),
        (r"manylinux_2_\d+", "manylinux_2_<glibc>"),
        (r"\d{8}T\d{6}Z", "<time>"),
        (r"\d{8}_\d{6}", "<time>"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
    ] {
        text = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, replacement)
            .into_owned();
    }
    text
}
