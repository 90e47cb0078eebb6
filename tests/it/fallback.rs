//! `wheelwatch fallback` / `promote` / `reset` through the binary: real pyenv interpreters
//! (3.11 and 3.12), the local test index serving small real wheels, real venvs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::project::{git, git_project, lifecycle_index as index, masked};
use crate::common::{TestIndex, pythons_311_312, venv_minor, wheelwatch as ww};

/// A project with a 3.12 venv holding a file of the user's, and a requirement whose only wheels
/// are for 3.11.
fn setup(index_url: &str) -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let (py311, py312) = pythons_311_312()?;
    let dir = git_project(index_url, &py312, "__pycache__/\n.venv/\n.cache/\n");
    std::fs::write(dir.path().join(".venv/USER_MARKER"), "mine").unwrap();
    Some((dir, py311, py312))
}

/// `<venv>/bin/python`'s `major.minor`.
fn python_version(venv: &Path) -> String {
    venv_minor(venv).expect("the venv's python runs")
}

#[test]
fn fallback_switches_to_the_healthy_python_and_records_why() {
    let index = index(false);
    let Some((dir, _, _)) = setup(&index.url()) else {
        return;
    };
    let venv = dir.path().join(".venv");

    // Dry run first: nothing changes.
    let out = ww(dir.path())
        .args(["fallback", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(
        "fallback_dry_run",
        masked(&String::from_utf8_lossy(&out.stdout), dir.path())
    );
    assert!(venv.join("USER_MARKER").is_file() && !venv.is_symlink());

    let out = ww(dir.path()).args(["fallback"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(venv.is_symlink());
    assert_eq!(python_version(&venv), "3.11");
    let import = Command::new(venv.join("bin/python"))
        .args(["-c", "import wwfast, wwpure; print(wwfast.VALUE)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&import.stdout).trim(), "42");
    let state: toml::Value = toml::from_str(
        &std::fs::read_to_string(dir.path().join(".wheelwatch/state.toml")).unwrap(),
    )
    .unwrap();
    let active = &state["active"];
    assert_eq!(active["role"].as_str(), Some("fallback"));
    let reason = active["reason"].as_str().unwrap();
    assert!(
        reason.contains("wwfast"),
        "the reason names the blocking package: {reason}"
    );
    // The runbook's shell-friendly file: exactly its four keys, agreeing with the state.
    let env_file = std::fs::read_to_string(dir.path().join(".wheelwatch/env")).unwrap();
    let env: Vec<(&str, &str)> = env_file.lines().filter_map(|l| l.split_once('=')).collect();
    let keys: Vec<&str> = env.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "python_version",
            "wheel_status",
            "fallback_reason",
            "fallback_timestamp"
        ]
    );
    assert_eq!(env[0].1, active["python_version"].as_str().unwrap());
    assert!(env[0].1.starts_with("3.11."), "{env_file}");
    assert_eq!(env[1].1, "fallback_available");
    assert_eq!(env[2].1, reason);
    let events = std::fs::read_to_string(dir.path().join(".wheelwatch/events.jsonl")).unwrap();
    let names: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["fallback_started", "fallback_succeeded"]);
    // The user's own venv was kept as a backup, under .wheelwatch/ (not in the project's tree).
    let backup = std::fs::read_dir(dir.path().join(".wheelwatch/backups"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("venv-"))
        .expect("a timestamped backup");
    assert!(backup.path().join("USER_MARKER").is_file());
    // git sees nothing new but the .gitignore lines the fallback added (`.venv/` does not
    // match the symlink `.venv` now is).
    assert_eq!(
        git(dir.path(), &["status", "--porcelain"]),
        " M .gitignore\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "__pycache__/\n.venv/\n.cache/\n\
         # wheelwatch: the managed venv (a symlink, so no trailing slash) and its records\n\
         .venv\n.wheelwatch/\n"
    );

    // Promote refuses while the primary is still unhealthy, and changes nothing.
    let out = ww(dir.path()).args(["promote"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(python_version(&venv), "3.11");
}

#[test]
fn an_outage_or_a_broken_import_never_touches_the_venv() {
    let index = index(true);
    let Some((dir, _, _)) = setup(&index.url()) else {
        return;
    };
    let venv = dir.path().join(".venv");

    let out = ww(dir.path()).args(["fallback"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    insta::assert_snapshot!("fallback_broken_import", masked(&stderr, dir.path()));
    assert!(!venv.is_symlink() && venv.join("USER_MARKER").is_file());
    assert_eq!(python_version(&venv), "3.12");

    // The index answers 500: exit 3, nothing built.
    let down = TestIndex::builder()
        .project("wwfast", |p| p.status(500))
        .project("wwpure", |p| p.status(500))
        .serve();
    let out = ww(dir.path())
        .args(["fallback", "--index-url"])
        .arg(down.url())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!venv.is_symlink() && venv.join("USER_MARKER").is_file());
    let envs = dir.path().join(".wheelwatch/envs");
    let leftovers = std::fs::read_dir(&envs).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .count()
    });
    assert_eq!(leftovers, 0, "no environment left behind");
}

#[test]
fn reset_without_yes_changes_nothing() {
    let index = index(false);
    let Some((dir, _, _)) = setup(&index.url()) else {
        return;
    };
    std::fs::create_dir_all(dir.path().join("pkg/__pycache__")).unwrap();
    std::fs::write(dir.path().join("pkg/__pycache__/x.cpython-312.pyc"), "x").unwrap();
    let out = ww(dir.path())
        .args(["reset", "--fallback", "3.11"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The plan lists the __pycache__ directory on a line of its own.
    insta::assert_snapshot!("reset_plan", masked(&stdout, dir.path()));
    assert!(
        dir.path()
            .join("pkg/__pycache__/x.cpython-312.pyc")
            .is_file()
    );
    assert!(!dir.path().join(".wheelwatch/backups").exists());
}
