//! Running the `wheelwatch` binary in tests, and finding the machine's pyenv interpreters.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, run in `dir` with a clean environment: no pip or wheelwatch variables from the
/// caller, its own cache directory, no pip configuration files, no colour, no retries.
pub fn wheelwatch(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wheelwatch"));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().to_string();
        if key.starts_with("PIP_")
            || key.starts_with("WHEELWATCH_")
            || key == "RUST_LOG"
            || key == "VIRTUAL_ENV"
        {
            cmd.env_remove(&key);
        }
    }
    cmd.env("WHEELWATCH_CACHE_DIR", dir.join(".cache"))
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("NO_COLOR", "1")
        .env("WHEELWATCH_HTTP_RETRIES", "0");
    cmd
}

/// Runs a command: (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run wheelwatch");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The newest pyenv CPython of a minor version (`"3.11"`) that can create venvs with pip:
/// (its `python3`, its full version).
pub fn pyenv_python(minor: &str) -> Option<(PathBuf, String)> {
    let versions = PathBuf::from(std::env::var_os("HOME")?).join(".pyenv/versions");
    let mut names: Vec<String> = std::fs::read_dir(&versions)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{minor}.")))
        .collect();
    names.sort_by_key(|n| {
        n.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    let name = names.pop()?;
    let python = versions.join(&name).join("bin/python3");
    Command::new(&python)
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some((python, name))
}
