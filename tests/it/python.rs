//! Interpreter discovery and probing against the interpreters on this machine (pyenv's several)
//! and fake ones made in a temporary directory: a failing shim, a script printing garbage, a
//! hanging one, a symlink loop, a directory named `python3.12`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::pyenv_pythons;
use wheelwatch::python::{
    CacheUse, DiscoveryEnv, FindOptions, ProbeOptions, PythonRequest, Source, Unusable,
    discover_all, find, probe::clear_memory_cache, probe_path,
};

fn minor_of(dir_name: &str) -> Option<(u32, u32)> {
    let mut it = dir_name.split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn quick(cache_dir: Option<PathBuf>) -> ProbeOptions {
    ProbeOptions {
        timeout: Duration::from_millis(3500),
        cache: if cache_dir.is_some() {
            CacheUse::ReadWrite
        } else {
            CacheUse::Off
        },
        cache_dir,
    }
}

#[cfg(unix)]
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A directory of broken "interpreters", plus `python3.12` → a real pyenv 3.12 when one exists.
#[cfg(unix)]
pub fn fake_bin(dir: &Path) -> Option<PathBuf> {
    script(
        dir,
        "python3",
        "echo 'pyenv: python3: command not found' >&2\nexit 1",
    );
    script(dir, "python3.11", "echo 'hello, I am not Python'");
    script(dir, "python3.10", "PATH=/usr/bin:/bin exec sleep 30");
    std::os::unix::fs::symlink(dir.join("python3.8"), dir.join("python3.9")).unwrap();
    std::os::unix::fs::symlink(dir.join("python3.9"), dir.join("python3.8")).unwrap();
    std::fs::create_dir(dir.join("python3.12")).unwrap();
    let real312 = pyenv_pythons()
        .into_iter()
        .find(|(n, _)| n.starts_with("3.12."))
        .map(|(_, p)| p);
    if let Some(real) = &real312 {
        std::os::unix::fs::symlink(real, dir.join("python3.13")).unwrap();
    }
    real312
}

#[cfg(unix)]
#[test]
fn broken_interpreters_are_reported_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let real = fake_bin(&bin);
    let cache = dir.path().join("cache");
    // The real interpreter is probed first without a hurry (under load, starting it may take
    // longer than the short timeout meant for the hanging fake); the rest finds it on disk.
    if real.is_some() {
        let patient = ProbeOptions {
            timeout: Duration::from_secs(30),
            ..quick(Some(cache.clone()))
        };
        probe_path(&bin.join("python3.13"), Source::Path, &patient).unwrap();
    }
    let options = FindOptions {
        env: DiscoveryEnv::path_only(OsString::from(&bin)),
        probe: quick(Some(cache)),
        parallelism: 4,
    };
    let start = Instant::now();
    let all = discover_all(&options);
    let elapsed = start.elapsed();
    // The hanging one is killed at the timeout, not after its 30 s sleep.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let listed: Vec<(PathBuf, Option<Unusable>)> = all
        .iter()
        .map(|c| (c.path.clone(), c.unusable().cloned()))
        .collect();
    let mut expected = vec![(
        bin.join("python3"),
        Some(Unusable::Failed {
            exit_code: Some(1),
            stderr: "pyenv: python3: command not found".into(),
        }),
    )];
    if real.is_some() {
        expected.push((bin.join("python3.13"), None));
    }
    expected.extend([
        (bin.join("python3.12"), Some(Unusable::IsDirectory)),
        (
            bin.join("python3.11"),
            Some(Unusable::Garbage {
                exit_code: Some(0),
                stdout: "hello, I am not Python".into(),
                stderr: String::new(),
            }),
        ),
        (
            bin.join("python3.10"),
            Some(Unusable::TimedOut {
                seconds: 3.5,
                stderr: String::new(),
            }),
        ),
        (bin.join("python3.9"), Some(Unusable::SymlinkLoop)),
        (bin.join("python3.8"), Some(Unusable::SymlinkLoop)),
    ]);
    // Every candidate in the directory, once, in discovery order, with its evidence.
    assert_eq!(listed, expected);

    // find: a version request skips the broken ones and says why nothing matched.
    let usable = real.as_ref().map_or_else(String::new, |_| {
        let version = &all[1].interpreter().unwrap().version;
        format!("\n  usable but not matching: {version} (PATH)")
    });
    let err = find(&"3.11".parse().unwrap(), &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no usable Python matching `3.11` was found\n  - {bin}/python3 (PATH): exited with \
             code 1; stderr: pyenv: python3: command not found\n  - {bin}/python3.11 (PATH): did \
             not behave like a Python interpreter (exit code 0); stdout: \"hello, I am not \
             Python\"{usable}\n  hint: install Python 3.11 (your package manager, pyenv or uv) or \
             pass `--python PATH`",
            bin = bin.display()
        )
    );
    // A name request reports the shim's failure with its stderr.
    let err = find(&PythonRequest::Name("python3".into()), &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no usable `python3` on PATH\n  - {}/python3 (PATH): exited with code 1; stderr: \
             pyenv: python3: command not found{usable}\n  hint: {}",
            bin.display(),
            match &all[1].interpreter() {
                Some(i) => format!(
                    "pass one that works, e.g. `--python {}` ({})",
                    bin.join("python3.13").display(),
                    i.version
                ),
                None => "install Python 3 (your package manager, pyenv or uv) or pass \
                         `--python PATH`"
                    .into(),
            }
        )
    );

    match real {
        Some(real) => {
            // The link named python3.13 is really 3.12: the probe, not the name, decides.
            let found = find(&"3.12".parse().unwrap(), &options).unwrap();
            assert_eq!(found.path, bin.join("python3.13"));
            assert_eq!(
                found.real_path,
                std::fs::canonicalize(&real).unwrap(),
                "real path"
            );
            assert!(find(&"3.13".parse().unwrap(), &options).is_err());
        }
        None => crate::common::skip("no pyenv 3.12 to link into the fake PATH"),
    }
}

#[test]
fn missing_paths_and_python2_are_unusable() {
    let options = quick(None);
    let missing = probe_path(
        Path::new("/nonexistent/wheelwatch/python3"),
        Source::Explicit,
        &options,
    );
    assert_eq!(missing.unwrap_err(), Unusable::Missing);
    let Some((_, py27)) = pyenv_pythons()
        .into_iter()
        .find(|(n, _)| n.starts_with("2."))
    else {
        crate::common::skip("no Python 2 under pyenv");
        return;
    };
    let options = ProbeOptions {
        timeout: Duration::from_secs(10),
        ..quick(None)
    };
    match probe_path(&py27, Source::Pyenv, &options) {
        Err(Unusable::Unsupported { version }) => assert!(version.starts_with("2.7")),
        other => panic!("Python 2.7 should be unsupported, got {other:?}"),
    }
}

/// Finds a `packaging` the interpreter can import: its own, or one in another pyenv
/// interpreter's site-packages (pure Python) put on PYTHONPATH.
fn reference_tags(python: &Path, others: &[(String, PathBuf)]) -> Option<(String, String)> {
    let code = "import json, sys, platform\n\
from packaging import tags, markers, __version__\n\
print(json.dumps({'version': __version__, 'tags': [[t.interpreter, t.abi, t.platform] for t in tags.sys_tags()], 'markers': markers.default_environment()}))";
    let mut pythonpaths: Vec<Option<PathBuf>> = vec![None];
    for (_, other) in others {
        let Some(prefix) = other.parent().and_then(Path::parent) else {
            continue;
        };
        let Ok(libs) = std::fs::read_dir(prefix.join("lib")) else {
            continue;
        };
        for lib in libs.filter_map(Result::ok) {
            let sp = lib.path().join("site-packages");
            if sp.join("packaging").join("tags.py").is_file() {
                pythonpaths.push(Some(sp));
            }
        }
    }
    for pp in pythonpaths {
        let mut cmd = Command::new(python);
        cmd.args(["-s", "-c", code]).env_remove("PYTHONPATH");
        if let Some(pp) = &pp {
            cmd.env("PYTHONPATH", pp);
        }
        let Ok(out) = cmd.output() else { continue };
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let from = pp.map_or_else(|| "its own".to_string(), |p| p.display().to_string());
            return Some((text, from));
        }
    }
    None
}

/// packaging before 26.3 listed native `linux_*` platforms after manylinux/musllinux within
/// each (interpreter, abi) run; 26.3 moved them first. Applies that change to an old list.
fn move_linux_first(tags: &[(String, String, String)]) -> Vec<(String, String, String)> {
    let mut out = Vec::with_capacity(tags.len());
    let mut i = 0;
    while i < tags.len() {
        let mut j = i;
        while j < tags.len() && tags[j].0 == tags[i].0 && tags[j].1 == tags[i].1 {
            j += 1;
        }
        let run = &tags[i..j];
        out.extend(run.iter().filter(|t| t.2.starts_with("linux_")).cloned());
        out.extend(run.iter().filter(|t| !t.2.starts_with("linux_")).cloned());
        i = j;
    }
    out
}

#[test]
fn probed_tags_and_markers_equal_packaging() {
    let pythons = pyenv_pythons();
    let mut compared = 0;
    for (name, python) in &pythons {
        if minor_of(name).is_none_or(|v| v < (3, 8)) {
            continue;
        }
        let Some((json, from)) = reference_tags(python, &pythons) else {
            crate::common::skip(format!(
                "{name}: no importable `packaging` (run `{} -m pip install packaging`)",
                python.display()
            ));
            continue;
        };
        let reference: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        let version = reference["version"].as_str().unwrap().to_string();
        let mut expected: Vec<(String, String, String)> =
            serde_json::from_value(reference["tags"].clone()).unwrap();
        let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        if parts < vec![26, 3] {
            expected = move_linux_first(&expected);
        }
        let options = ProbeOptions {
            timeout: Duration::from_secs(20),
            ..quick(None)
        };
        let interp = probe_path(python, Source::Pyenv, &options)
            .unwrap_or_else(|e| panic!("{name} unusable: {e}"));
        assert_eq!(
            interp.tags.len(),
            expected.len(),
            "{name}: tag count vs packaging {version} ({from})"
        );
        for (i, (got, want)) in interp.tags.iter().zip(&expected).enumerate() {
            assert_eq!(
                got, want,
                "{name}: tag #{i} differs from packaging {version} ({from})"
            );
        }
        let markers: serde_json::Value = serde_json::to_value(&interp.markers).unwrap();
        for (key, value) in reference["markers"].as_object().unwrap() {
            assert_eq!(&markers[key], value, "{name}: marker {key}");
        }
        let env = interp.marker_environment().unwrap();
        assert_eq!(
            env.python_full_version().version.to_string(),
            interp.version.to_string()
        );
        eprintln!(
            "{name}: {} tags equal packaging {version} ({from})",
            expected.len()
        );
        compared += 1;
    }
    if compared == 0 {
        crate::common::skip("no pyenv interpreter >= 3.8 with an importable `packaging`");
    }
}

#[test]
fn pyenv_versions_are_found_without_their_shims() {
    let pythons = pyenv_pythons();
    if pythons.is_empty() {
        crate::common::skip("no pyenv interpreters");
        return;
    }
    let root = pythons[0]
        .1
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap();
    let options = FindOptions {
        env: DiscoveryEnv {
            pyenv_root: Some(root.to_path_buf()),
            ..DiscoveryEnv::default()
        },
        probe: ProbeOptions {
            timeout: Duration::from_secs(20),
            ..quick(None)
        },
        parallelism: 4,
    };
    let all = discover_all(&options);
    for (name, path) in &pythons {
        let c = all
            .iter()
            .find(|c| &c.path == path)
            .unwrap_or_else(|| panic!("{} not discovered", path.display()));
        assert_eq!(c.source, Source::Pyenv);
        if minor_of(name).is_some_and(|v| v >= (3, 6)) {
            let i = c
                .interpreter()
                .unwrap_or_else(|| panic!("{name}: {:?}", c.unusable()));
            assert_eq!(
                i.version.to_string(),
                *name,
                "probe agrees with the directory"
            );
            assert!(i.has_venv);
        }
    }
    // Newest in a series; exact; range; free-threaded absent.
    let newest = |prefix: &str| {
        pythons
            .iter()
            .find(|(n, _)| n.starts_with(prefix))
            .map(|(n, _)| n.clone())
    };
    for series in ["3.12", "3.11", "3.10"] {
        if let Some(want) = newest(&format!("{series}.")) {
            let got = find(&series.parse().unwrap(), &options).unwrap();
            assert_eq!(got.version.to_string(), want);
            let exact = find(&want.parse().unwrap(), &options).unwrap();
            assert_eq!(exact.version.to_string(), want);
        }
    }
    if let Some(want) = newest("3.10.") {
        let got = find(&">=3.9,<3.11".parse().unwrap(), &options).unwrap();
        assert_eq!(got.version.to_string(), want, "newest in range");
    }
    if let Some(have) = newest("3.12.") {
        let err = find(&"3.12.99".parse().unwrap(), &options).unwrap_err();
        // Every usable pyenv CPython, newest first (8 at most), then the near miss and the
        // command that installs the one asked for.
        let usable: Vec<String> = pythons
            .iter()
            .filter(|(n, _)| minor_of(n).is_some_and(|v| v >= (3, 6)))
            .take(8)
            .map(|(n, _)| format!("{n} (pyenv)"))
            .collect();
        let have_path = &pythons.iter().find(|(n, _)| *n == have).unwrap().1;
        assert_eq!(
            err.to_string(),
            format!(
                "no usable Python matching `3.12.99` was found\n  usable but not matching: {}\n  \
                 hint: pyenv has {have}; pass `--python {}` to use it, or run `pyenv install \
                 3.12.99`",
                usable.join(", "),
                have_path.display()
            )
        );
    }
    assert!(find(&"3.13t".parse().unwrap(), &options).is_err() || newest("3.13").is_some());
}

#[test]
fn venvs_are_detected_and_the_disk_cache_is_invalidated() {
    let Some((_, base)) = pyenv_pythons()
        .into_iter()
        .find(|(n, _)| minor_of(n).is_some_and(|v| v >= (3, 8)))
    else {
        crate::common::skip("no pyenv interpreter >= 3.8 to make a venv with");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let status = Command::new(&base)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let python = venv.join("bin").join("python");
    let cache = dir.path().join("cache");
    let options = ProbeOptions {
        timeout: Duration::from_secs(20),
        ..quick(Some(cache.clone()))
    };
    clear_memory_cache();
    let first = probe_path(&python, Source::VirtualEnv, &options).unwrap();
    assert!(first.is_venv);
    assert_eq!(
        std::fs::canonicalize(&first.prefix).unwrap(),
        std::fs::canonicalize(&venv).unwrap()
    );
    assert_eq!(first.pip_version, None, "created --without-pip");
    // The entry is on disk: doctor a copy and see it come back (proving it is read).
    let entries: Vec<PathBuf> = std::fs::read_dir(cache.join("interpreters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "one cache entry");
    let text = std::fs::read_to_string(&entries[0]).unwrap();
    let tampered = text.replace(&first.markers.platform_release, "cached-marker");
    assert_ne!(text, tampered);
    std::fs::write(&entries[0], tampered).unwrap();
    clear_memory_cache();
    let second = probe_path(&python, Source::VirtualEnv, &options).unwrap();
    assert_eq!(second.markers.platform_release, "cached-marker");
    // Touching pyvenv.cfg (a watched file) invalidates the entry.
    std::thread::sleep(Duration::from_millis(20));
    let cfg = venv.join("pyvenv.cfg");
    let body = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, body).unwrap();
    clear_memory_cache();
    let third = probe_path(&python, Source::VirtualEnv, &options).unwrap();
    assert_eq!(
        third.markers.platform_release,
        first.markers.platform_release
    );
}

/// The candidates of a `python list --format json` whose path is under `dir`, with `dir`
/// written `<tmp>`: other interpreters on the machine (system directories) are not ours to know.
fn ours(list: &serde_json::Value, dir: &Path) -> Vec<serde_json::Value> {
    let dir = dir.display().to_string();
    list.as_array()
        .unwrap()
        .iter()
        .filter(|c| c["path"].as_str().is_some_and(|p| p.starts_with(&dir)))
        .map(|c| serde_json::from_str(&c.to_string().replace(&dir, "<tmp>")).unwrap())
        .collect()
}

#[cfg(unix)]
#[test]
fn python_list_reports_every_candidate_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let real = fake_bin(&bin);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let cache = dir.path().join("cache");
    // The real interpreter is probed first without a hurry (a loaded machine may take more
    // than the short timeout below to start it): the listing finds it in the probe cache, so
    // the short timeout applies only to the fakes, the hanging one included.
    let real_probe = real.as_ref().map(|_| {
        probe_path(
            &bin.join("python3.13"),
            Source::Path,
            &ProbeOptions {
                timeout: Duration::from_secs(30),
                ..quick(Some(cache.clone()))
            },
        )
        .unwrap()
    });
    let out = Command::new(env!("CARGO_BIN_EXE_wheelwatch"))
        .args(["python", "list", "--format", "json"])
        .current_dir(dir.path())
        .env("PATH", &bin)
        .env("PYENV_ROOT", &empty)
        .env("UV_PYTHON_INSTALL_DIR", &empty)
        .env("WHEELWATCH_CACHE_DIR", &cache)
        .env("WHEELWATCH_PROBE_TIMEOUT", "3.5")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX")
        .output()
        .unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "")
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unusable = |name: &str, reason: serde_json::Value, message: &str| {
        serde_json::json!({
            "path": format!("<tmp>/bin/{name}"),
            "source": "path",
            "also_found": [],
            "usable": false,
            "reason": reason,
            "message": message,
        })
    };
    let mut expected = vec![unusable(
        "python3",
        serde_json::json!({"kind": "failed", "exit_code": 1, "stderr": "pyenv: python3: command not found"}),
        "exited with code 1; stderr: pyenv: python3: command not found",
    )];
    if let Some(probe) = &real_probe {
        let mut usable: serde_json::Value = serde_json::from_str(
            &serde_json::to_string(&serde_json::json!({
                "path": bin.join("python3.13"),
                "source": "path",
                "also_found": [],
                "usable": true,
                "interpreter": probe,
            }))
            .unwrap()
            .replace(&dir.path().display().to_string(), "<tmp>"),
        )
        .unwrap();
        usable["interpreter"]["source"] = "path".into();
        expected.push(usable);
    }
    expected.extend([
        unusable(
            "python3.12",
            serde_json::json!({"kind": "is_directory"}),
            "is a directory, not an executable",
        ),
        unusable(
            "python3.11",
            serde_json::json!({"kind": "garbage", "exit_code": 0, "stdout": "hello, I am not Python", "stderr": ""}),
            "did not behave like a Python interpreter (exit code 0); stdout: \"hello, I am not Python\"",
        ),
        unusable(
            "python3.10",
            serde_json::json!({"kind": "timed_out", "seconds": 3.5, "stderr": ""}),
            "did not answer within 3.5 s and was killed",
        ),
        unusable(
            "python3.9",
            serde_json::json!({"kind": "symlink_loop"}),
            "symbolic link loop",
        ),
        unusable(
            "python3.8",
            serde_json::json!({"kind": "symlink_loop"}),
            "symbolic link loop",
        ),
    ]);
    assert_eq!(ours(&list, dir.path()), expected);
}

/// Writes a pyenv shim for `command` (as `pyenv rehash` writes them) into `<root>/shims`.
#[cfg(unix)]
fn pyenv_shim(root: &Path, command: &str) {
    use std::os::unix::fs::PermissionsExt;
    let root_text = root.display();
    let path = root.join("shims").join(command);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            "#!/usr/bin/env bash\nset -e\n[ -n \"$PYENV_DEBUG\" ] && set -x\n\nprogram=\"${{0##*/}}\"\n\n\
             export PYENV_ROOT=\"{root_text}\"\nexec \"{root_text}/libexec/pyenv\" exec \"$program\" \"$@\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A pyenv root whose shims cannot run (no `libexec/pyenv`): listing must decide what each
/// shim runs from pyenv's rules alone, and say what an unselected version's shim is.
#[cfg(unix)]
#[test]
fn python_list_resolves_pyenv_shims_without_running_them() {
    let (Some((py311, v311)), Some((py312, v312))) = (
        crate::common::pyenv_python("3.11"),
        crate::common::pyenv_python("3.12"),
    ) else {
        return crate::common::skip("needs pyenv CPython 3.11 and 3.12");
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pyenv");
    for (real, version, minor) in [(&py311, &v311, "3.11"), (&py312, &v312, "3.12")] {
        let bin = root.join("versions").join(version).join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(real, bin.join("python3")).unwrap();
        std::os::unix::fs::symlink(real, bin.join(format!("python{minor}"))).unwrap();
        pyenv_shim(&root, &format!("python{minor}"));
    }
    pyenv_shim(&root, "python3");
    std::fs::write(root.join("version"), format!("{v311}\n")).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let list = |extra: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_wheelwatch"))
            .args(["python", "list"])
            .current_dir(dir.path())
            .env("PATH", root.join("shims"))
            .env("PYENV_ROOT", &root)
            .env("UV_PYTHON_INSTALL_DIR", &empty)
            .env("WHEELWATCH_CACHE_DIR", dir.path().join("cache"))
            .env("WHEELWATCH_PROBE_TIMEOUT", "60")
            .env_remove("PYENV_VERSION")
            .env_remove("PYENV_DIR")
            .env_remove("PYENV_HOOK_PATH")
            .env_remove("VIRTUAL_ENV")
            .env_remove("CONDA_PREFIX")
            .envs(extra.iter().copied())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
        assert_eq!(out.status.code(), Some(0));
        // Our rows only (system directories are the machine's), `<tmp>` for the directory.
        let tmp = dir.path().display().to_string();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains(&tmp) || l.starts_with("VERSION"))
            .map(|l| l.replace(&tmp, "<tmp>"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        list(&[]),
        format!(
            "VERSION SOURCE PATH STATUS\n\
             {v311} PATH <tmp>/pyenv/shims/python3 usable (cpython)\n\
             PATH = <tmp>/pyenv/shims/python3.11\n\
             pyenv = <tmp>/pyenv/versions/{v311}/bin/python3\n\
             - PATH <tmp>/pyenv/shims/python3.12 inactive: is a pyenv shim for `python3.12`, which \
             the selected pyenv version {v311} (set by <tmp>/pyenv/version) does not have; the \
             interpreter is <tmp>/pyenv/versions/{v312}/bin/python3.12\n\
             {v312} pyenv <tmp>/pyenv/versions/{v312}/bin/python3 usable (cpython)"
        )
    );
    // PYENV_VERSION selects both, the second for what the first lacks.
    let both = format!("{v311}:{v312}");
    assert_eq!(
        list(&[("PYENV_VERSION", &both)]),
        format!(
            "VERSION SOURCE PATH STATUS\n\
             {v311} PATH <tmp>/pyenv/shims/python3 usable (cpython)\n\
             PATH = <tmp>/pyenv/shims/python3.11\n\
             pyenv = <tmp>/pyenv/versions/{v311}/bin/python3\n\
             {v312} PATH <tmp>/pyenv/shims/python3.12 usable (cpython)\n\
             pyenv = <tmp>/pyenv/versions/{v312}/bin/python3"
        )
    );
}

/// Installs `real`'s interpreter as pyenv version `name` under `root`: a copy of its executable
/// as `bin/python3` (a new file, as a rebuild or reinstall leaves it) beside a link to its
/// standard library, so it runs from there.
#[cfg(unix)]
fn install_pyenv_version(root: &Path, name: &str, real: &Path) {
    let prefix = root.join("versions").join(name);
    let _ = std::fs::remove_dir_all(&prefix);
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::copy(real, prefix.join("bin/python3")).unwrap();
    let real_prefix = std::fs::canonicalize(real)
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf();
    std::os::unix::fs::symlink(real_prefix.join("lib"), prefix.join("lib")).unwrap();
}

/// A `check` through a pyenv shim reads the probe of the interpreter the shim selects from the
/// cache, and probes again whenever that changes: `.python-version`, `PYENV_VERSION`, or the
/// interpreter itself (upgraded in place). The shims cannot run (no `libexec/pyenv`): every
/// answer comes from pyenv's rules and the probe cache.
#[cfg(unix)]
#[test]
fn check_through_a_shim_reprobes_when_the_selection_or_the_interpreter_changes() {
    let (Some((py311, v311)), Some((py312, v312))) = (
        crate::common::pyenv_python("3.11"),
        crate::common::pyenv_python("3.12"),
    ) else {
        return crate::common::skip("needs pyenv CPython 3.11 and 3.12");
    };
    let index = crate::common::TestIndex::builder()
        .project("requests", |p| p.wheel("2.32.3", "py3-none-any"))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pyenv");
    install_pyenv_version(&root, "old", &py311);
    install_pyenv_version(&root, "new", &py312);
    install_pyenv_version(&root, "project", &py311);
    pyenv_shim(&root, "python3");
    std::fs::write(root.join("version"), "old\n").unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let tmp = dir.path().display().to_string();
    // Each target as `name <- tags source`, then what the probe module did (durations out).
    let check = |extra: &[(&str, &str)]| {
        let (code, stdout, stderr) = crate::common::run(
            crate::common::wheelwatch(&project)
                .args(["check", "-p", "requests", "--python", "python3"])
                .args([
                    "--fallback",
                    "3.11@linux",
                    "--format",
                    "json",
                    "--index-url",
                ])
                .arg(index.url())
                .env("PATH", root.join("shims"))
                .env("PYENV_ROOT", &root)
                .env("RUST_LOG", "wheelwatch::python::probe=debug")
                .env("WHEELWATCH_PROBE_TIMEOUT", "60")
                .env_remove("PYENV_VERSION")
                .env_remove("PYENV_DIR")
                .env_remove("PYENV_HOOK_PATH")
                .envs(extra.iter().copied()),
        );
        assert_eq!(code, 0, "{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let mut lines: Vec<String> = report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| format!("{} <- {}", t["name"], t["tags_source"]))
            .collect();
        lines.extend(stderr.lines().map(|l| match l.split_once(" in ") {
            Some((probed, ms)) if l.contains(" probed ") && ms.ends_with(" ms") => {
                format!("{probed} in (time)")
            }
            _ => l.to_string(),
        }));
        let text = lines.join("\n").replace(&tmp, "<tmp>");
        regex::Regex::new(r"@(many|musl)linux_\d+_\d+_\w+")
            .unwrap()
            .replace_all(&text, "@<host>")
            .into_owned()
    };
    // The primary is named by the full version of the interpreter it found.
    let via = |version: &str, python: &str, how: &str| {
        format!(
            "\"{python}@<host>\" <- \"probed: <tmp>/pyenv/versions/{version}/bin/python3\"\n\
             \"3.11@<host>\" <- \"computed\"\n\
             DEBUG <tmp>/pyenv/shims/python3 is a pyenv shim for <tmp>/pyenv/versions/{version}/bin/python3\n\
             DEBUG {how} <tmp>/pyenv/versions/{version}/bin/python3{}",
            if how == "probed" { " in (time)" } else { "" }
        )
    };
    // The global version file: probed once, then read from the cache.
    assert_eq!(check(&[]), via("old", &v311, "probed"));
    assert_eq!(check(&[]), via("old", &v311, "probe cache hit for"));
    // A `.python-version` in the project selects another interpreter.
    std::fs::write(project.join(".python-version"), "new\n").unwrap();
    assert_eq!(check(&[]), via("new", &v312, "probed"));
    assert_eq!(check(&[]), via("new", &v312, "probe cache hit for"));
    // PYENV_VERSION wins over the file.
    assert_eq!(
        check(&[("PYENV_VERSION", "old")]),
        via("old", &v311, "probe cache hit for")
    );
    // The selected interpreter upgraded in place: same path, another executable.
    std::fs::write(project.join(".python-version"), "project\n").unwrap();
    assert_eq!(check(&[]), via("project", &v311, "probed"));
    install_pyenv_version(&root, "project", &py312);
    assert_eq!(check(&[]), via("project", &v312, "probed"));
    assert_eq!(check(&[]), via("project", &v312, "probe cache hit for"));
}
