//! Environment switching with real interpreters (pyenv 3.11 and 3.12), real `venv`, real pip
//! installing small real wheels written by these tests (no network: `--no-index
//! --find-links`). Proves: a switch replaces the user's venv and everything in it works (pip,
//! console scripts, `activate`); failures leave the old venv untouched; SIGKILL at every step
//! leaves a working venv (after recovery for the documented window); operations serialize;
//! reset plans change nothing and resets archive and clean.
//!
//! Kill tests re-run this test binary as a child (`--exact environment::child_switch --ignored`)
//! with `WHEELWATCH_PAUSE_AT` set, wait for `paused at <step>` and SIGKILL it.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use wheelwatch::environment::{
    self, EnvError, InstallIndex, Installer, Operation, Pin, Project, ResetRequest, Role, State,
    SwitchRequest, read_events,
};

use crate::common::{pyenv_python, venv_minor};

struct Pythons {
    old: (PathBuf, String),
    new: (PathBuf, String),
}

fn pythons() -> Option<Pythons> {
    // Subprocesses run under the real binary's supervisor, as they do in `wheelwatch`.
    environment::use_supervisor(PathBuf::from(env!("CARGO_BIN_EXE_wheelwatch")));
    if let (Some(old), Some(new)) = (pyenv_python("3.11"), pyenv_python("3.12")) {
        Some(Pythons { old, new })
    } else {
        crate::common::skip("needs pyenv CPython 3.11 and 3.12 with venv and ensurepip");
        None
    }
}

/// Writes a minimal real wheel `{name}-{version}-py3-none-any.whl` into `dir`.
fn write_wheel(
    dir: &Path,
    name: &str,
    version: &str,
    files: &[(&str, &str)],
    top_level: Option<&str>,
    entry_points: Option<&str>,
) {
    let info = format!("{name}-{version}.dist-info");
    let mut all: Vec<(String, String)> = files
        .iter()
        .map(|(p, c)| ((*p).to_string(), (*c).to_string()))
        .collect();
    all.push((
        format!("{info}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
    ));
    all.push((
        format!("{info}/WHEEL"),
        "Wheel-Version: 1.0\nGenerator: wheelwatch-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            .to_string(),
    ));
    if let Some(t) = top_level {
        all.push((format!("{info}/top_level.txt"), t.to_string()));
    }
    if let Some(e) = entry_points {
        all.push((format!("{info}/entry_points.txt"), e.to_string()));
    }
    let mut record = String::new();
    for (p, _) in &all {
        record.push_str(p);
        record.push_str(",,\n");
    }
    record.push_str(&info);
    record.push_str("/RECORD,,\n");
    all.push((format!("{info}/RECORD"), record));
    let path = dir.join(format!("{name}-{version}-py3-none-any.whl"));
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    for (p, c) in all {
        zip.start_file(p, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(c.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

struct Fixture {
    _tmp: tempfile::TempDir,
    /// The project root: its name has a space and a single quote.
    root: PathBuf,
    wheels: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("my proj's dir");
    let wheels = tmp.path().join("wheel house");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&wheels).unwrap();
    write_wheel(
        &wheels,
        "wwdemo",
        "1.0",
        &[
            (
                "wwdemo/__init__.py",
                "VALUE = 42\ndef main():\n    print('hello from wwdemo')\n",
            ),
            ("wwdemo_extra.py", "X = 1\n"),
        ],
        None,
        Some("[console_scripts]\nwwdemo-hello = wwdemo:main\n"),
    );
    write_wheel(
        &wheels,
        "wwbroken",
        "1.0",
        &[(
            "wwbroken/__init__.py",
            "raise RuntimeError('wwbroken refuses to import')\n",
        )],
        Some("wwbroken\n"),
        None,
    );
    Fixture {
        _tmp: tmp,
        root,
        wheels,
    }
}

/// The user's existing venv: a real directory (no pip, to keep it quick) with a marker file.
fn make_old_venv(root: &Path, python: &Path) {
    let out = Command::new(python)
        .args(["-m", "venv", "--without-pip"])
        .arg(root.join(".venv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    fs::write(root.join(".venv/OLD_MARKER"), "the user's venv").unwrap();
}

fn request(
    op: Operation,
    role: Role,
    python: &(PathBuf, String),
    pins: &[&str],
    wheels: &Path,
) -> SwitchRequest {
    SwitchRequest {
        operation: op,
        python: python.0.clone(),
        python_version: python.1.clone(),
        role,
        reason: "numpy has no wheel for 3.13\non this target".into(),
        assessment_id: Some("assess-1".into()),
        wheel_status: "missing-wheels".into(),
        pins: pins.iter().map(|p| Pin::parse(p, true).unwrap()).collect(),
        index: InstallIndex {
            find_links: vec![wheels.to_string_lossy().into_owned()],
            no_index: true,
            ..InstallIndex::default()
        },
        installer: Installer::Pip,
        keep_backups: 2,
        requested: None,
    }
}

/// `text` with every count of seconds (`12s`) written as `Ns`.
fn seconds_masked(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            out.push_str(if c == 's' { "N" } else { &digits });
            digits.clear();
        }
        out.push(c);
    }
    out.push_str(&digits);
    out
}

fn minor_of(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn env_dirs(root: &Path) -> Vec<String> {
    fs::read_dir(root.join(".wheelwatch/envs"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn assert_old_venv_intact(fx: &Fixture, py: &Pythons) {
    let venv = fx.root.join(".venv");
    let meta = fs::symlink_metadata(&venv).unwrap();
    assert!(meta.is_dir() && !meta.file_type().is_symlink());
    assert_eq!(
        fs::read_to_string(venv.join("OLD_MARKER")).unwrap(),
        "the user's venv"
    );
    assert_eq!(venv_minor(&venv), Some(minor_of(&py.old.1)));
    assert!(
        env_dirs(&fx.root).is_empty(),
        "staging left: {:?}",
        env_dirs(&fx.root)
    );
    assert!(!fx.root.join(".venv.wheelwatch-swap").exists());
}

#[test]
fn switch_replaces_the_users_venv_and_everything_in_it_works() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let mut steps = Vec::new();
    let req = request(
        Operation::Fallback,
        Role::Fallback,
        &py.new,
        &["wwdemo==1.0"],
        &fx.wheels,
    );
    let outcome = environment::switch(&project, &req, &mut |s| steps.push(s)).unwrap();
    assert!(steps.len() >= 6, "{steps:?}");

    let venv = fx.root.join(".venv");
    assert!(
        fs::symlink_metadata(&venv)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(venv_minor(&venv), Some(minor_of(&py.new.1)));
    assert!(
        outcome.verified.modules.iter().any(|m| m == "wwdemo")
            && outcome.verified.modules.iter().any(|m| m == "wwdemo_extra"),
        "{:?}",
        outcome.verified.modules
    );

    // pip, through the symlinked path.
    let pip = Command::new(venv.join("bin/pip"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(pip.status.success(), "{pip:?}");
    assert!(
        String::from_utf8_lossy(&pip.stdout).contains(&format!("python {}", minor_of(&py.new.1)))
    );
    // A console script of an installed package.
    let hello = Command::new(venv.join("bin/wwdemo-hello"))
        .output()
        .unwrap();
    assert!(hello.status.success(), "{hello:?}");
    assert_eq!(
        String::from_utf8_lossy(&hello.stdout),
        "hello from wwdemo\n"
    );
    // `source bin/activate` in a real shell, from a script file, venv path as an argument.
    let script = fx.root.join("activate test.sh");
    fs::write(
        &script,
        "source \"$1/bin/activate\" && python -c 'import sys, wwdemo; print(wwdemo.VALUE, sys.prefix != sys.base_prefix)' && test -n \"$VIRTUAL_ENV\"\n",
    )
    .unwrap();
    let shell = Command::new("bash")
        .args(["--noprofile", "--norc"])
        .arg(&script)
        .arg(&venv)
        .output()
        .unwrap();
    assert!(shell.status.success(), "{shell:?}");
    assert_eq!(String::from_utf8_lossy(&shell.stdout), "42 True\n");

    // The user's venv was moved aside intact, under .wheelwatch/backups/.
    let backup = outcome.migration_backup.clone().unwrap();
    assert_eq!(backup.parent(), Some(project.backups_dir().as_path()));
    assert!(
        backup
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("venv-")
    );
    assert_eq!(
        fs::read_to_string(backup.join("OLD_MARKER")).unwrap(),
        "the user's venv"
    );

    // Records.
    let state = State::load(&project.state_file()).unwrap();
    let active = state.active.unwrap();
    assert_eq!(active.python_version, py.new.1);
    assert_eq!(active.role, Role::Fallback);
    assert_eq!(active.assessment_id.as_deref(), Some("assess-1"));
    assert_eq!(active.env_dir, outcome.env_dir);
    let env_file = fs::read_to_string(project.env_file()).unwrap();
    let kv: BTreeMap<&str, &str> = env_file.lines().filter_map(|l| l.split_once('=')).collect();
    assert_eq!(kv["python_version"], py.new.1);
    assert_eq!(kv["wheel_status"], "missing-wheels");
    assert_eq!(
        kv["fallback_reason"],
        "numpy has no wheel for 3.13 on this target"
    );
    assert!(!kv["fallback_timestamp"].is_empty());
    let events_before = fs::read_to_string(project.events_file()).unwrap();
    let names: Vec<String> = read_events(&project.events_file())
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(names, ["fallback_started", "fallback_succeeded"]);

    // Promote back: one atomic rename, the previous env kept, the oldest backup pruned.
    let mut req = request(
        Operation::Promote,
        Role::Primary,
        &py.old,
        &["wwdemo==1.0"],
        &fx.wheels,
    );
    req.keep_backups = 1;
    let second = environment::switch(&project, &req, &mut |_| {}).unwrap();
    assert_eq!(venv_minor(&venv), Some(minor_of(&py.old.1)));
    assert_eq!(second.previous_env.as_ref(), Some(&outcome.env_dir));
    assert!(outcome.env_dir.is_dir(), "previous env kept as a backup");
    assert_eq!(second.pruned, std::slice::from_ref(&backup));
    assert!(!backup.exists());
    let hello = Command::new(venv.join("bin/wwdemo-hello"))
        .output()
        .unwrap();
    assert!(hello.status.success(), "{hello:?}");
    let events_after = fs::read_to_string(project.events_file()).unwrap();
    assert!(events_after.starts_with(&events_before), "events rewritten");
    let names: Vec<String> = read_events(&project.events_file())
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        names,
        [
            "fallback_started",
            "fallback_succeeded",
            "promote_started",
            "promoted"
        ]
    );
    let env_file = fs::read_to_string(project.env_file()).unwrap();
    assert!(env_file.contains("fallback_reason=\n"), "{env_file}");
}

#[test]
fn an_import_failure_leaves_the_old_venv_intact() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let req = request(
        Operation::Fallback,
        Role::Fallback,
        &py.new,
        &["wwdemo==1.0", "wwbroken==1.0"],
        &fx.wheels,
    );
    let err = environment::switch(&project, &req, &mut |_| {}).unwrap_err();
    let EnvError::Verify { failures } = &err else {
        panic!("expected an import failure, got {err}");
    };
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].module, "wwbroken");
    assert_eq!(
        failures[0].error,
        "RuntimeError: wwbroken refuses to import"
    );
    assert_old_venv_intact(&fx, &py);
    let events = read_events(&project.events_file()).unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.event, "fallback_failed");
    assert!(last.error.as_deref().unwrap().contains("wwbroken refuses"));
}

#[test]
fn an_install_failure_leaves_the_old_venv_intact() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let req = request(
        Operation::Fallback,
        Role::Fallback,
        &py.new,
        &["wwdemo==1.0", "wwmissing==9.9"],
        &fx.wheels,
    );
    let err = environment::switch(&project, &req, &mut |_| {}).unwrap_err();
    let EnvError::Install { log, .. } = &err else {
        panic!("{err}");
    };
    // One line: the package and why, and where the whole log is.
    assert_eq!(
        err.to_string(),
        format!(
            "pip could not install the pinned set: wwmissing 9.9: the index offers no file of it \
             that installs on CPython {} here (full log: {}); remedy (no-matching-distribution): \
             check the name, version and index; `wheelwatch explain PACKAGE` shows the wheels \
             (`wheelwatch explain {}`)",
            minor_of(&py.new.1),
            log.display(),
            log.display()
        )
    );
    assert_eq!(log.parent(), Some(project.logs_dir().as_path()));
    let text = fs::read_to_string(log).unwrap();
    assert!(
        text.lines()
            .any(|l| l == "ERROR: No matching distribution found for wwmissing==9.9"),
        "{text}"
    );
    assert_old_venv_intact(&fx, &py);
}

#[test]
fn missing_uv_fails_before_building() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let mut req = request(
        Operation::Fallback,
        Role::Fallback,
        &py.new,
        &["wwdemo==1.0"],
        &fx.wheels,
    );
    req.installer = Installer::Uv(Some(fx.root.join("no such uv")));
    let err = environment::switch(&project, &req, &mut |_| {}).unwrap_err();
    assert!(matches!(err, EnvError::UvNotFound(_)), "{err}");
    assert_old_venv_intact(&fx, &py);
}

#[test]
fn venv_paths_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    fs::create_dir_all(&root).unwrap();
    let err = Project::new(&root, Path::new("../elsewhere"), false).unwrap_err();
    assert!(matches!(err, EnvError::OutsideProject { .. }), "{err}");
    assert!(Project::new(&root, Path::new("../elsewhere"), true).is_ok());
    assert!(Project::new(&root, Path::new(".wheelwatch/v"), false).is_err());
    let quoted = tmp.path().join("a \"quoted\" dir");
    fs::create_dir_all(&quoted).unwrap();
    let err = Project::new(&quoted, Path::new(".venv"), false).unwrap_err();
    assert!(err.to_string().contains("cannot quote"), "{err}");
}

#[test]
fn a_held_lock_names_its_holder() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let mut project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    project.lock_timeout = Duration::from_millis(500);
    let held = project.lock().unwrap();
    let req = request(
        Operation::Fallback,
        Role::Fallback,
        &py.new,
        &["wwdemo==1.0"],
        &fx.wheels,
    );
    let err = environment::switch(&project, &req, &mut |_| {}).unwrap_err();
    let EnvError::Locked { holder, lock, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(lock, &project.lock_file());
    assert_eq!(holder.pid, Some(std::process::id()));
    assert!(
        holder.since.is_some() && holder.command.is_some(),
        "{holder:?}"
    );
    assert_eq!(
        seconds_masked(&err.to_string()),
        seconds_masked(&format!(
            "another wheelwatch operation holds {}: {holder}; gave up after 1s (--wait SECONDS \
             waits longer)",
            project.lock_file().display()
        ))
    );
    drop(held);
    assert_old_venv_intact(&fx, &py);
}

#[test]
fn concurrent_switches_serialize() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let mut project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    project.lock_timeout = Duration::from_mins(10);
    let handles: Vec<_> = [
        (Operation::Fallback, Role::Fallback, py.new.clone()),
        (Operation::Promote, Role::Primary, py.old.clone()),
    ]
    .into_iter()
    .map(|(op, role, python)| {
        let project = project.clone();
        let req = request(op, role, &python, &["wwdemo==1.0"], &fx.wheels);
        std::thread::spawn(move || environment::switch(&project, &req, &mut |_| {}))
    })
    .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let events = read_events(&project.events_file()).unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    // Whichever went first finished before the other started.
    assert!(names[0].ends_with("_started") && names[2].ends_with("_started"));
    assert!(!names[1].ends_with("_started") && !names[3].ends_with("_started"));
    // The venv is the one the second operation built.
    let second_version = events[3].python_version.clone().unwrap();
    assert_eq!(
        venv_minor(&fx.root.join(".venv")),
        Some(minor_of(&second_version))
    );
}

/// Not a test on its own: the child process of the kill tests (see module doc).
#[test]
#[ignore = "run by the kill tests as a child process"]
fn child_switch() {
    let Some(root) = std::env::var_os("WW_CHILD_ROOT") else {
        return;
    };
    let python = PathBuf::from(std::env::var_os("WW_CHILD_PYTHON").unwrap());
    let version = std::env::var("WW_CHILD_VERSION").unwrap();
    let wheels = PathBuf::from(std::env::var_os("WW_CHILD_WHEELS").unwrap());
    let project = Project::new(Path::new(&root), Path::new(".venv"), false).unwrap();
    let req = request(
        Operation::Fallback,
        Role::Fallback,
        &(python, version),
        &["wwdemo==1.0"],
        &wheels,
    );
    environment::switch(&project, &req, &mut |_| {}).unwrap();
}

/// Runs a switch of `fx`'s project to `python` in a child process and SIGKILLs it once it
/// reports `paused at <step>`.
fn switch_in_child_and_kill_at(fx: &Fixture, python: &(PathBuf, String), step: &str) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "environment::child_switch",
            "--ignored",
            "--nocapture",
        ])
        .env("WW_CHILD_ROOT", &fx.root)
        .env("WW_CHILD_PYTHON", &python.0)
        .env("WW_CHILD_VERSION", &python.1)
        .env("WW_CHILD_WHEELS", &fx.wheels)
        .env("WHEELWATCH_PAUSE_AT", step)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wanted = format!("paused at {step}");
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_mins(5)) {
            Ok(line) if line.trim() == wanted => break,
            Ok(line) => seen.push(line),
            Err(e) => {
                let _ = child.kill();
                panic!("child never paused at {step} ({e}); stderr: {seen:#?}");
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Migration case (the venv path is the user's real directory): SIGKILL at `step`, then check
/// the venv and recovery.
fn kill_at(step: &str) {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    switch_in_child_and_kill_at(&fx, &py.new, step);

    let venv = fx.root.join(".venv");
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let swapped = matches!(step, "swapped" | "recorded");
    if step == "swapping" {
        // Between the exchange and moving the user's venv aside: the venv path is already the
        // new environment, the user's venv waits at the staged name.
        assert_eq!(venv_minor(&venv), Some(minor_of(&py.new.1)));
        let staged = fx.root.join(".venv.wheelwatch-swap");
        assert_eq!(
            fs::read_to_string(staged.join("OLD_MARKER")).unwrap(),
            "the user's venv"
        );
    } else if swapped {
        assert_eq!(venv_minor(&venv), Some(minor_of(&py.new.1)));
    } else {
        assert_eq!(venv_minor(&venv), Some(minor_of(&py.old.1)));
    }
    let report = environment::recover(&project).unwrap();
    if step == "swapping" || swapped {
        assert_eq!(venv_minor(&venv), Some(minor_of(&py.new.1)), "{report:?}");
        let hello = Command::new(venv.join("bin/wwdemo-hello"))
            .output()
            .unwrap();
        assert!(hello.status.success(), "{hello:?}");
        let state = State::load(&project.state_file()).unwrap();
        assert_eq!(state.active.unwrap().python_version, py.new.1);
        assert_eq!(env_dirs(&fx.root).len(), 1, "{:?}", env_dirs(&fx.root));
        if step == "swapping" {
            // The user's venv is where a completed switch would have put it.
            let [moved] = report.moved_backups.as_slice() else {
                panic!("{report:?}");
            };
            assert_eq!(moved.parent(), Some(project.backups_dir().as_path()));
            assert_eq!(
                fs::read_to_string(moved.join("OLD_MARKER")).unwrap(),
                "the user's venv"
            );
            assert!(!fx.root.join(".venv.wheelwatch-swap").exists());
        }
        if step != "recorded" {
            assert!(report.state_repaired, "{report:?}");
        }
    } else {
        assert_old_venv_intact(&fx, &py);
        if step != "locked" {
            assert!(!report.removed_staging.is_empty(), "{report:?}");
        }
    }
    // A second recovery finds nothing left to do.
    assert!(environment::recover(&project).unwrap().is_clean());
}

#[test]
fn kill_at_locked() {
    kill_at("locked");
}
#[test]
fn kill_at_created() {
    kill_at("created");
}
#[test]
fn kill_at_installed() {
    kill_at("installed");
}
#[test]
fn kill_at_verified() {
    kill_at("verified");
}
#[test]
fn kill_at_staged() {
    kill_at("staged");
}
#[test]
fn kill_at_swapping() {
    kill_at("swapping");
}
#[test]
fn kill_at_swapped() {
    kill_at("swapped");
}
#[test]
fn kill_at_recorded() {
    kill_at("recorded");
}

/// Every path under `dir` (not following symlinks) with its type, size and mtime.
fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, (bool, u64, SystemTime)>) {
    for entry in fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).unwrap();
        out.insert(
            path.clone(),
            (meta.is_dir(), meta.len(), meta.modified().unwrap()),
        );
        if meta.is_dir() {
            snapshot(&path, out);
        }
    }
}

/// A project with caches inside, a venv with its own cache, and a symlink to caches outside.
fn reset_fixture(py: &Pythons) -> (Fixture, PathBuf) {
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let r = &fx.root;
    fs::create_dir_all(r.join("pkg/__pycache__")).unwrap();
    fs::write(r.join("pkg/__pycache__/m.cpython-312.pyc"), "x").unwrap();
    fs::write(r.join("pkg/m.py"), "").unwrap();
    fs::write(r.join("pkg/old.pyo"), "x").unwrap();
    fs::create_dir_all(r.join("src/demo.egg-info")).unwrap();
    fs::write(r.join("src/demo.egg-info/PKG-INFO"), "x").unwrap();
    fs::write(r.join("requirements.txt"), "wwdemo==1.0\n").unwrap();
    fs::create_dir_all(r.join(".venv/lib/__pycache__")).unwrap();
    let outside = fx.root.parent().unwrap().join("outside");
    fs::create_dir_all(outside.join("__pycache__")).unwrap();
    fs::write(outside.join("__pycache__/keep.pyc"), "x").unwrap();
    std::os::unix::fs::symlink(&outside, r.join("linked")).unwrap();
    (fx, outside)
}

#[test]
fn reset_plan_changes_nothing() {
    let Some(py) = pythons() else { return };
    let (fx, _outside) = reset_fixture(&py);
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let req = ResetRequest {
        switch: request(
            Operation::Reset,
            Role::Primary,
            &py.new,
            &["wwdemo==1.0"],
            &fx.wheels,
        ),
        purge_pip_cache: true,
    };
    let mut before = BTreeMap::new();
    snapshot(fx.root.parent().unwrap(), &mut before);
    let plan = environment::plan_reset(&project, &req).unwrap();
    let mut after = BTreeMap::new();
    snapshot(fx.root.parent().unwrap(), &mut after);
    assert_eq!(before, after, "the plan changed the filesystem");

    let root = fs::canonicalize(&fx.root).unwrap();
    assert_eq!(
        plan.remove,
        [
            root.join("pkg/__pycache__"),
            root.join("pkg/old.pyo"),
            root.join("src/demo.egg-info"),
        ]
    );
    assert_eq!(plan.archive_files, [root.join("requirements.txt")]);
    assert_eq!(plan.archive_venv, Some(root.join(".venv")));
    assert!(!plan.archive.exists());
    assert!(plan.switch.migration_backup.is_some());
    assert!(
        plan.switch.problems.is_empty(),
        "{:?}",
        plan.switch.problems
    );
    assert!(plan.purge_pip_cache_with.is_some());
}

#[test]
fn reset_archives_cleans_and_rebuilds() {
    let Some(py) = pythons() else { return };
    let (fx, outside) = reset_fixture(&py);
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let req = ResetRequest {
        switch: request(
            Operation::Reset,
            Role::Primary,
            &py.new,
            &["wwdemo==1.0"],
            &fx.wheels,
        ),
        purge_pip_cache: false,
    };
    let outcome = environment::reset(&project, &req, &mut |_| {}).unwrap();
    // Archive: the old venv (its marker) and the requirements file.
    let file = fs::File::open(&outcome.archive).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n == ".venv/OLD_MARKER"), "{names:?}");
    assert!(names.iter().any(|n| n == "requirements.txt"), "{names:?}");
    assert!(names.iter().any(|n| n == ".venv/bin/python"), "{names:?}");
    // Caches gone, sources kept, nothing outside or inside the old venv touched.
    let r = &fx.root;
    assert!(!r.join("pkg/__pycache__").exists());
    assert!(!r.join("pkg/old.pyo").exists());
    assert!(!r.join("src/demo.egg-info").exists());
    assert!(r.join("pkg/m.py").exists());
    assert!(outside.join("__pycache__/keep.pyc").exists());
    let backup = outcome.switch.migration_backup.clone().unwrap();
    assert!(backup.join("lib/__pycache__").is_dir());
    // Rebuilt.
    assert_eq!(venv_minor(&r.join(".venv")), Some(minor_of(&py.new.1)));
    let names: Vec<String> = read_events(&project.events_file())
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(names, ["reset_started", "reset"]);
}

/// Managed case: the venv path is already our symlink, so the swap is one atomic rename; killed
/// just before it, the previous environment keeps working without any recovery.
#[test]
fn kill_before_an_atomic_swap_keeps_the_previous_environment() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let req = request(
        Operation::Fallback,
        Role::Fallback,
        &py.new,
        &["wwdemo==1.0"],
        &fx.wheels,
    );
    let first = environment::switch(&project, &req, &mut |_| {}).unwrap();
    assert_eq!(first.migration_backup, None, "nothing to migrate");
    let venv = fx.root.join(".venv");
    switch_in_child_and_kill_at(&fx, &py.old, "swapping");
    assert_eq!(venv_minor(&venv), Some(minor_of(&py.new.1)));
    assert!(fx.root.join(".venv.wheelwatch-swap").exists());
    let report = environment::recover(&project).unwrap();
    assert!(report.removed_staged_link, "{report:?}");
    assert_eq!(report.removed_staging.len(), 1, "{report:?}");
    assert_eq!(venv_minor(&venv), Some(minor_of(&py.new.1)));
    assert_eq!(env_dirs(&fx.root), std::slice::from_ref(&first.env_id));
    assert_eq!(
        State::load(&project.state_file())
            .unwrap()
            .active
            .unwrap()
            .env_id,
        first.env_id
    );
}

#[test]
fn a_switch_plan_changes_nothing_and_shows_no_secrets() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    make_old_venv(&fx.root, &py.old.0);
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let mut req = request(
        Operation::Fallback,
        Role::Fallback,
        &py.new,
        &["wwdemo==1.0"],
        &fx.wheels,
    );
    req.index.index_url = Some("https://alice:s3cret@mirror.invalid/simple".into());
    req.installer = Installer::Uv(Some(fx.root.join("no uv here")));
    let mut before = BTreeMap::new();
    snapshot(fx.root.parent().unwrap(), &mut before);
    let plan = environment::plan_switch(&project, &req).unwrap();
    let mut after = BTreeMap::new();
    snapshot(fx.root.parent().unwrap(), &mut after);
    assert_eq!(before, after);
    assert_eq!(plan.venv_kind, environment::VenvKind::RealDir);
    assert!(plan.migration_backup.is_some());
    assert!(
        !plan.install_command.contains("s3cret"),
        "{}",
        plan.install_command
    );
    assert!(plan.install_command.contains("wwdemo==1.0"));
    assert!(
        plan.problems.iter().any(|p| p.contains("uv")),
        "{:?}",
        plan.problems
    );
}

#[test]
fn records_that_disagree_with_the_venv_are_repaired_and_logged() {
    let Some(py) = pythons() else { return };
    let fx = fixture();
    let project = Project::new(&fx.root, Path::new(".venv"), false).unwrap();
    let venv = fx.root.join(".venv");
    let first = environment::switch(
        &project,
        &request(
            Operation::Fallback,
            Role::Fallback,
            &py.new,
            &["wwdemo==1.0"],
            &fx.wheels,
        ),
        &mut |_| {},
    )
    .unwrap();
    let state_after_first = fs::read(project.state_file()).unwrap();
    let env_after_first = fs::read(project.env_file()).unwrap();
    let second = environment::switch(
        &project,
        &request(
            Operation::Promote,
            Role::Primary,
            &py.old,
            &["wwdemo==1.0"],
            &fx.wheels,
        ),
        &mut |_| {},
    )
    .unwrap();
    // A kill between the swap and the state write leaves the first switch's records.
    fs::write(project.state_file(), &state_after_first).unwrap();
    fs::write(project.env_file(), &env_after_first).unwrap();

    let report = environment::reconcile(&project).unwrap();
    let detail = format!(
        "state.toml named {} (Python {}) but {} runs {} (Python {})",
        first.env_id,
        first.python_version,
        project.venv_path.display(),
        second.env_id,
        second.python_version
    );
    assert_eq!(report.reconciled.as_deref(), Some(detail.as_str()));
    let active = State::load(&project.state_file()).unwrap().active.unwrap();
    assert_eq!(active.env_id, second.env_id);
    assert_eq!(
        fs::read_to_string(project.env_file()).unwrap(),
        environment::env_file_contents(&active)
    );
    let last = read_events(&project.events_file()).unwrap().pop().unwrap();
    assert_eq!(
        (last.event.as_str(), last.detail.as_deref()),
        ("reconciled", Some(detail.as_str()))
    );
    // Nothing is left to repair.
    assert!(environment::reconcile(&project).unwrap().is_clean());

    // The user puts a venv of their own in place: the state stops naming an environment.
    fs::remove_file(&venv).unwrap();
    make_old_venv(&fx.root, &py.old.0);
    let report = environment::reconcile(&project).unwrap();
    let detail = format!(
        "state.toml named {} (Python {}) but {} is a directory wheelwatch does not manage",
        second.env_id,
        second.python_version,
        project.venv_path.display()
    );
    assert_eq!(report.reconciled.as_deref(), Some(detail.as_str()));
    assert_eq!(State::load(&project.state_file()).unwrap().active, None);
    assert!(!project.env_file().exists());
    assert!(environment::reconcile(&project).unwrap().is_clean());
}
