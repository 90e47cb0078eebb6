//! Finding interpreters on this machine for tests: pyenv's versions, the newest of a minor
//! version, the first that can run some code, the two the lifecycle tests switch between.

use std::path::{Path, PathBuf};
use std::process::Command;

/// pyenv's installed interpreters as (directory name, python path), newest first.
pub fn pyenv_pythons() -> Vec<(String, PathBuf)> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    let Some(root) = root else { return Vec::new() };
    let Ok(entries) = std::fs::read_dir(root.join("versions")) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let py = ["bin/python3", "bin/python"]
                .iter()
                .map(|p| e.path().join(p))
                .find(|p| p.is_file())?;
            Some((name, py))
        })
        .collect();
    out.sort_by_key(|(n, _)| {
        std::cmp::Reverse(
            n.split('.')
                .map(|p| p.parse::<u32>().unwrap_or(0))
                .collect::<Vec<_>>(),
        )
    });
    out
}

/// The newest pyenv CPython of a minor version (`"3.11"`) that can create venvs with pip:
/// (its `python3`, its full version).
pub fn pyenv_python(minor: &str) -> Option<(PathBuf, String)> {
    let (name, python) = pyenv_pythons()
        .into_iter()
        .find(|(name, _)| name.starts_with(&format!("{minor}.")))?;
    Command::new(&python)
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some((python, name))
}

/// Candidate interpreters: `python3` on PATH, then pyenv's 3.1x versions, newest first.
pub fn interpreters() -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("python3")];
    found.extend(
        pyenv_pythons()
            .into_iter()
            .filter(|(name, _)| name.starts_with("3.1"))
            .map(|(_, python)| python),
    );
    found
}

/// The first of [`interpreters`] that runs `code` successfully.
pub fn python_with(code: &str) -> Option<PathBuf> {
    interpreters().into_iter().find(|py| {
        Command::new(py)
            .args(["-c", code])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// pyenv CPython 3.11 and 3.12 (each with venv and ensurepip), or `None` after
/// [`super::skip`].
pub fn pythons_311_312() -> Option<(PathBuf, PathBuf)> {
    if let (Some((py311, _)), Some((py312, _))) = (pyenv_python("3.11"), pyenv_python("3.12")) {
        Some((py311, py312))
    } else {
        super::skip("needs pyenv CPython 3.11 and 3.12 with venv and ensurepip");
        None
    }
}

/// `<venv>/bin/python`'s `major.minor`, or `None` if it does not run.
pub fn venv_minor(venv: &Path) -> Option<String> {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
