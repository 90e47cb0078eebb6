//! A project's lifecycle through the binary: `init`, waiting for the lock, children that never
//! outlive wheelwatch, kill -9 at every step of `fallback` and `reset`. Real pyenv 3.11 and
//! 3.12, the local test index serving small real wheels, real venvs, real git.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::project::{
    LINUX, digits_masked, git, git_project, lifecycle_index, masked, wait_until,
};
use crate::common::{TestIndex, pythons_311_312, run, venv_minor, wheelwatch as ww};

fn pythons() -> Option<(PathBuf, PathBuf)> {
    pythons_311_312()
}

fn index() -> TestIndex {
    lifecycle_index(false)
}

/// A git project with a 3.12 venv, requirements and a configuration naming the index.
fn project(index: &TestIndex, py312: &Path) -> tempfile::TempDir {
    git_project(&index.url(), py312, ".cache/\n.venv\n.wheelwatch/\n")
}

/// Spawns `wheelwatch <args>` paused at `step`; returns once it says so.
fn spawn_paused(dir: &Path, args: &[&str], step: &str) -> Child {
    let mut child = ww(dir)
        .args(args)
        .env("WHEELWATCH_PAUSE_AT", step)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("paused at ") {
                let _ = tx.send(Ok(line));
                return;
            }
            seen.push(line);
        }
        let _ = tx.send(Err(seen.join("\n")));
    });
    match rx.recv_timeout(Duration::from_mins(3)) {
        Ok(Ok(line)) => assert_eq!(line, format!("paused at {step}")),
        other => {
            let _ = child.kill();
            panic!("never paused at {step}: {other:?}");
        }
    }
    child
}

/// Live processes whose environment names this project's state directory (what wheelwatch
/// tags its children with).
fn tagged(root: &Path) -> Vec<u32> {
    let state_dir = std::fs::canonicalize(root).unwrap().join(".wheelwatch");
    let tag = format!("WHEELWATCH_OWNER={}", state_dir.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.starts_with('Z')))
            .unwrap_or(true);
        if !zombie && env.split(|b| *b == 0).any(|v| v == tag.as_bytes()) {
            found.push(pid);
        }
    }
    found
}

fn venv_version(root: &Path) -> Option<String> {
    venv_minor(&root.join(".venv"))
}

/// The state's active environment id and the one `.venv` points at (its own record).
fn state_and_truth(root: &Path) -> (Option<String>, Option<String>) {
    let state: toml::Value = std::fs::read_to_string(root.join(".wheelwatch/state.toml"))
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or(toml::Value::Table(toml::map::Map::new()));
    let recorded = state
        .get("active")
        .and_then(|a| a.get("env_id"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let truth = std::fs::read_to_string(root.join(".venv/wheelwatch-env.toml"))
        .ok()
        .and_then(|t| toml::from_str::<toml::Value>(&t).ok())
        .and_then(|m| m.get("env_id").and_then(|v| v.as_str()).map(str::to_string));
    (recorded, truth)
}

fn events(root: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(root.join(".wheelwatch/events.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_lock_wait_says_at_once_who_holds_it_and_for_how_long_it_waits() {
    let Some((_, py312)) = pythons() else { return };
    let index = index();
    let dir = project(&index, &py312);
    let root = dir.path();
    let mut holder = spawn_paused(root, &["fallback"], "locked");
    let started = Instant::now();
    let (code, stdout, stderr) = run(ww(root).args(["fallback", "--wait", "2"]));
    let waited = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    let lock = std::fs::canonicalize(root)
        .unwrap()
        .join(".wheelwatch/lock");
    let venv = std::fs::canonicalize(root).unwrap().join(".venv");
    let holder_text = format!(
        "pid {} (`wheelwatch fallback`) since 2026-12-01 07:00:00 UTC (0s ago)",
        holder.id()
    );
    assert_eq!(
        digits_masked(&stderr),
        digits_masked(&format!(
            "waiting for {}: held by {holder_text}; waiting up to 2s (--wait SECONDS)\n\
             error: failed to switch {} to 3.11@{LINUX}; it is unchanged: another wheelwatch \
             operation holds {}: {holder_text}; gave up after 2s (--wait SECONDS waits longer)\n",
            lock.display(),
            venv.display(),
            lock.display(),
        )),
        "{stderr}"
    );
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(waited >= Duration::from_secs(2), "{waited:?}");
    // The venv is untouched and the user's.
    assert!(!root.join(".venv").is_symlink());
}

#[test]
fn children_die_with_wheelwatch_and_the_next_run_kills_leftovers() {
    let Some((_, py312)) = pythons() else { return };
    let index = index();
    let dir = project(&index, &py312);
    let root = dir.path();
    // Warm the cache so that the next assessment asks the index nothing; then make the index
    // hang on wwfast's page: pip, asking for it, is stuck in a subprocess of wheelwatch.
    let (code, _, stderr) = run(ww(root).args(["check"]));
    assert_eq!(code, 0, "{stderr}");
    index.set_delay("wwfast", Some(Duration::from_secs(20)));
    let pages = || index.count_requests("/simple/wwfast/");
    let before = pages();

    // 1. wheelwatch is killed while pip runs: pip's whole group dies with it.
    let mut first = ww(root)
        .arg("fallback")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("pip to ask for wwfast", Duration::from_mins(2), || {
        pages() > before
    });
    let running = tagged(root);
    assert!(
        running.len() >= 2,
        "the supervisor and pip run tagged: {running:?}"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    wait_until("the children to die", Duration::from_secs(5), || {
        tagged(root).is_empty()
    });

    // 2. What escapes the group (a build step that calls setsid, or a machine that killed the
    //    supervisor too) carries the project's tag: the next run kills it and says so.
    let state_dir = std::fs::canonicalize(root).unwrap().join(".wheelwatch");
    let mut escaped = Command::new("sleep")
        .arg("300")
        .env("WHEELWATCH_OWNER", &state_dir)
        .process_group(0)
        .spawn()
        .unwrap();
    let orphans = vec![escaped.id()];
    // Until `sleep` has exec'd, /proc shows the forked test's environment, without the tag.
    wait_until(
        "the escaped process to carry the tag",
        Duration::from_secs(10),
        || tagged(root) == orphans,
    );
    index.set_delay("wwfast", None);
    let (code, stdout, stderr) = run(ww(root).arg("fallback"));
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("fallback_after_orphans", masked(&stdout, root));
    assert!(tagged(root).is_empty(), "{:?}", tagged(root));
    let killed: Vec<serde_json::Value> = events(root)
        .into_iter()
        .filter(|e| e["event"] == "orphans_killed")
        .collect();
    assert_eq!(killed.len(), 1, "{killed:?}");
    escaped.wait().unwrap();
    assert_eq!(
        killed[0]["detail"],
        format!(
            "killed processes an interrupted operation left running: {}",
            orphans
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    );
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

/// After a kill: `.venv` runs, nothing of ours is running, and once the next command has run
/// the state names what `.venv` points to.
fn assert_survivable(root: &Path, step: &str) {
    assert!(
        venv_version(root).is_some(),
        "kill at {step}: .venv does not run"
    );
    assert!(
        tagged(root).is_empty(),
        "kill at {step}: {:?}",
        tagged(root)
    );
    let (code, _, stderr) = run(ww(root).args(["fallback", "--dry-run"]));
    assert_eq!(code, 0, "kill at {step}: {stderr}");
    let (recorded, truth) = state_and_truth(root);
    if truth.is_some() {
        assert_eq!(
            recorded, truth,
            "kill at {step}: state disagrees with .venv"
        );
    }
    assert!(
        venv_version(root).is_some(),
        "after recovery from {step}: .venv does not run"
    );
    assert_eq!(
        git(root, &["status", "--porcelain"]),
        "",
        "kill at {step}: git sees leftovers"
    );
}

#[test]
fn kill_9_at_every_step_of_fallback_and_reset_leaves_a_working_venv() {
    let Some((_, py312)) = pythons() else { return };
    let index = index();
    let dir = project(&index, &py312);
    let root = dir.path();
    for step in [
        "locked",
        "created",
        "installed",
        "verified",
        "staged",
        "swapping",
        "swapped",
        "recorded",
    ] {
        // --rebuild: once a kill leaves the venv on the fallback, a plain fallback does nothing.
        let mut child = spawn_paused(root, &["fallback", "--rebuild"], step);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_survivable(root, step);
    }
    for step in ["created", "swapping", "swapped", "rebuilt"] {
        let mut child = spawn_paused(root, &["reset", "--yes", "--python", "3.11"], step);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_survivable(root, &format!("reset {step}"));
    }
    assert_eq!(venv_version(root).as_deref(), Some("3.11"));
    let names: Vec<String> = events(root)
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.iter().any(|n| n == "recovered" || n == "reconciled"),
        "{names:?}"
    );
}

#[test]
fn init_writes_tool_wheelwatch_into_pyproject_and_keeps_everything_else() {
    let Some((_, py312)) = pythons() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let pyproject = "# my project\n[project]\nname = \"demo\"  # the name\nversion = \"1.0\"\n\
                     dependencies = [\"six\"]\n\n[tool.black]\nline-length = 100\n";
    std::fs::write(root.join("pyproject.toml"), pyproject).unwrap();
    std::fs::write(root.join("requirements.txt"), "six\n").unwrap();
    std::fs::write(root.join(".gitignore"), "__pycache__/\n.venv/\n").unwrap();
    let py = py312.display().to_string();
    let (code, stdout, stderr) = run(ww(root).args([
        "init",
        "--python",
        &py,
        "--fallback",
        "3.11@linux-aarch64",
        "--target",
        "3.13t@linux-aarch64",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let version = Command::new(&py312)
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    assert_eq!(
        stdout,
        format!(
            "wrote pyproject.toml:\n  [tool.wheelwatch]\n  primary = \"{py}\"\n  \
             fallbacks = [\"3.11@linux-aarch64\"]\n  targets = [\"3.13t@linux-aarch64\"]\n  \
             requirements = [\"requirements.txt\"]\n  venv = \".venv\"\n\
             primary {py}: Python {version} at {py}\n\
             fallback 3.11@linux-aarch64: a named platform: assessed with computed tags\n\
             added to .gitignore: .venv, .wheelwatch/\nnext: wheelwatch check\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(root.join("pyproject.toml")).unwrap(),
        format!(
            "{pyproject}\n[tool.wheelwatch]\nprimary = \"{py}\"\n\
             fallbacks = [\"3.11@linux-aarch64\"]\ntargets = [\"3.13t@linux-aarch64\"]\n\
             requirements = [\"requirements.txt\"]\nvenv = \".venv\"\n"
        )
    );
    // `config` reads it back, from where it was written.
    let (code, stdout, _) = run(ww(root).args(["config", "--format", "json"]));
    assert_eq!(code, 0);
    let config: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        config["settings"]["primary"]["value"],
        py.as_str(),
        "{config}"
    );

    // A second init refuses to overwrite, and changes nothing.
    let before = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    let (code, stdout, stderr) = run(ww(root).args(["init", "--python", "3.12"]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: pyproject.toml already configures wheelwatch ([tool.wheelwatch]); edit it, or \
         pass --force to replace it\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("pyproject.toml")).unwrap(),
        before
    );
}

#[test]
fn init_takes_the_primary_from_the_existing_venv_and_refuses_bad_input() {
    let Some((_, py312)) = pythons() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Bad input: exit 2, nothing written.
    let (code, stdout, stderr) = run(ww(root).args(["init", "--python", "3.x"]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    insta::assert_snapshot!("init_bad_python", masked(&stderr, root));
    let (code, _, stderr) = run(ww(root).arg("init"));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: no --python given and no venv at .venv to take the primary from; pass --python \
         3.12 (or the version you deploy on)\n"
    );
    assert_eq!(
        std::fs::read_dir(root).unwrap().count(),
        0,
        "nothing written"
    );

    let status = Command::new(&py312)
        .args(["-m", "venv", "--without-pip"])
        .arg(root.join(".venv"))
        .status()
        .unwrap();
    assert!(status.success());
    let (code, stdout, stderr) = run(ww(root).args(["init", "--fallback", "3.11@linux"]));
    assert_eq!(code, 0, "{stderr}");
    let version = Command::new(root.join(".venv/bin/python"))
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let first_line_of_primary = stdout
        .lines()
        .find(|l| l.starts_with("primary 3.12: Python "))
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        stdout,
        format!(
            "wrote wheelwatch.toml:\n  primary = \"3.12\"\n  fallbacks = [\"3.11@linux\"]\n  \
             venv = \".venv\"\n{first_line_of_primary}\n\
             fallback 3.11@linux: a named platform: assessed with computed tags\n\
             the primary is the interpreter of .venv (Python {version})\n\
             added to .gitignore: .venv, .wheelwatch/\nnext: wheelwatch check\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(root.join("wheelwatch.toml")).unwrap(),
        "primary = \"3.12\"\nfallbacks = [\"3.11@linux\"]\nvenv = \".venv\"\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".gitignore")).unwrap(),
        "# wheelwatch: the managed venv (a symlink, so no trailing slash) and its records\n\
         .venv\n.wheelwatch/\n"
    );
}

/// The "done when": init, check, the printed recommendation run verbatim, promote
/// refused while 3.12 is unhealthy, reset onto the healthy fallback, the index then serving a
/// cp312 wheel, promote back, reset on the primary; `git status` clean and the state matching
/// `.venv` after every step.
#[test]
fn the_lifecycle_follows_the_configuration_and_the_assessment() {
    let Some((_, py312)) = pythons() else { return };
    let index = index();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let status = Command::new(&py312)
        .args(["-m", "venv", "--without-pip"])
        .arg(root.join(".venv"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(root.join("requirements.txt"), "wwfast==1.0\nwwpure\n").unwrap();
    std::fs::write(root.join(".gitignore"), ".cache/\n").unwrap();
    // Every command sees the test index and never trusts a cached page for long.
    let cmd = |args: &[&str]| {
        let mut c = ww(root);
        c.args(args)
            .env("WHEELWATCH_INDEX_URL", index.url())
            .env("WHEELWATCH_CACHE_MAX_AGE", "0");
        run(&mut c)
    };
    let clean_and_consistent = |step: &str, minor: &str, role: &str| {
        assert_eq!(
            git(root, &["status", "--porcelain"]),
            "",
            "after {step}: git sees changes"
        );
        assert_eq!(venv_version(root).as_deref(), Some(minor), "after {step}");
        let (recorded, truth) = state_and_truth(root);
        assert_eq!(recorded, truth, "after {step}: state and .venv disagree");
        let state: toml::Value =
            toml::from_str(&std::fs::read_to_string(root.join(".wheelwatch/state.toml")).unwrap())
                .unwrap();
        assert_eq!(state["active"]["role"].as_str(), Some(role), "after {step}");
        assert_eq!(
            state["requested"]["primary"]["written"].as_str(),
            Some("3.12"),
            "after {step}"
        );
        assert_eq!(
            state["requested"]["fallbacks"][0]["written"].as_str(),
            Some("3.11"),
            "after {step}"
        );
    };

    let (code, _, stderr) = cmd(&["init", "--python", "3.12", "--fallback", "3.11"]);
    assert_eq!(code, 0, "{stderr}");
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "project"]);

    // check: a fallback is available, and the report says how to use it.
    let (code, stdout, stderr) = cmd(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    let recommended = stdout
        .lines()
        .find_map(|l| {
            l.split('`')
                .find(|part| part.starts_with("wheelwatch fallback"))
        })
        .unwrap_or_else(|| panic!("no fallback command recommended:\n{stdout}"))
        .to_string();
    assert_eq!(recommended, "wheelwatch fallback");
    let args: Vec<&str> = recommended.split_whitespace().skip(1).collect();
    let (code, stdout, stderr) = cmd(&args);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("lifecycle_fallback", masked(&stdout, root));
    clean_and_consistent("fallback", "3.11", "fallback");
    // A second fallback finds the venv already on it with the same pins: nothing is rebuilt.
    let envs = || {
        std::fs::read_dir(root.join(".wheelwatch/envs"))
            .unwrap()
            .count()
    };
    let before = envs();
    let (code, stdout, stderr) = cmd(&["fallback"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("lifecycle_fallback_again", masked(&stdout, root));
    assert_eq!(
        envs(),
        before,
        "a second fallback built another environment"
    );
    clean_and_consistent("second fallback", "3.11", "fallback");

    // promote is refused while 3.12 is unhealthy, and changes nothing.
    let (code, stdout, stderr) = cmd(&["promote"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    insta::assert_snapshot!("lifecycle_promote_refused", masked(&stderr, root));
    clean_and_consistent("refused promote", "3.11", "fallback");

    // reset rebuilds on the interpreter the assessment says is healthy: the fallback.
    let (code, stdout, stderr) = cmd(&["reset", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("lifecycle_reset_on_fallback", masked(&stdout, root));
    clean_and_consistent("reset on the fallback", "3.11", "fallback");

    // The index now serves a cp312 wheel: promote returns to the configured primary.
    index.add_file(
        "wwfast",
        crate::common::FileSpec::wheel("wwfast", "1.0", &format!("cp312-cp312-{LINUX}"))
            .module_source("VALUE = 42\n"),
    );
    let (code, stdout, stderr) = cmd(&["promote"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("lifecycle_promote", masked(&stdout, root));
    clean_and_consistent("promote", "3.12", "primary");
    // A second promote has nothing to do.
    let (code, stdout, stderr) = cmd(&["promote"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("lifecycle_promote_again", masked(&stdout, root));

    // reset rebuilds on the primary, now healthy.
    let (code, stdout, stderr) = cmd(&["reset", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("lifecycle_reset_on_primary", masked(&stdout, root));
    clean_and_consistent("reset on the primary", "3.12", "primary");
    let archives = std::fs::read_dir(root.join(".wheelwatch/backups"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("reset-"))
        .count();
    assert_eq!(archives, 2);
}

/// reset refuses, exit 1, and changes nothing when no interpreter is healthy.
#[test]
fn reset_refuses_when_nothing_is_healthy() {
    let Some((_, py312)) = pythons() else { return };
    let index = TestIndex::builder()
        .project("wwslow", |p| p.sdist("1.0"))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let status = Command::new(&py312)
        .args(["-m", "venv", "--without-pip"])
        .arg(root.join(".venv"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(root.join(".venv/USER_MARKER"), "mine").unwrap();
    std::fs::write(root.join("requirements.txt"), "wwslow==1.0\n").unwrap();
    std::fs::write(
        root.join("wheelwatch.toml"),
        format!(
            "primary = \"3.12\"\nfallbacks = [\"3.11\"]\nindex-url = \"{}\"\n",
            index.url()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("pkg/__pycache__")).unwrap();
    std::fs::write(root.join("pkg/__pycache__/m.cpython-312.pyc"), "x").unwrap();
    let (code, stdout, stderr) = run(ww(root).args(["reset", "--yes"]));
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    insta::assert_snapshot!("reset_nothing_healthy", masked(&stderr, root));
    assert!(root.join(".venv/USER_MARKER").is_file());
    assert!(root.join("pkg/__pycache__/m.cpython-312.pyc").is_file());
    assert!(!root.join(".wheelwatch/backups").exists());
}

#[test]
fn each_command_offers_only_the_options_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let help = |cmd: &str| {
        let (code, stdout, _) = run(ww(dir.path()).args([cmd, "--help"]));
        assert_eq!(code, 0);
        stdout
    };
    let options = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                l.trim_start()
                    .split([' ', ','])
                    .find(|w| w.starts_with("--"))
            })
            .map(str::to_string)
            .collect()
    };
    assert!(options(&help("fallback")).contains(&"--to".to_string()));
    assert!(!options(&help("promote")).contains(&"--to".to_string()));
    assert!(options(&help("promote")).contains(&"--dry-run".to_string()));
    let reset = options(&help("reset"));
    assert!(reset.contains(&"--yes".to_string()), "{reset:?}");
    assert!(!reset.contains(&"--dry-run".to_string()), "{reset:?}");
    assert!(reset.contains(&"--keep-backups".to_string()), "{reset:?}");
    assert!(reset.contains(&"--wait".to_string()), "{reset:?}");
}

#[test]
fn a_report_to_a_missing_directory_says_so_once_and_names_only_the_users_path() {
    let index = TestIndex::builder()
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any"))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "wwpure\n").unwrap();
    let (code, stdout, stderr) = run(ww(dir.path())
        .args([
            "check",
            "--python",
            "3.12@linux",
            "-o",
            "missing/dir/report.txt",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: cannot write the report to `missing/dir/report.txt`: the directory \
         `missing/dir` does not exist\n"
    );
}
