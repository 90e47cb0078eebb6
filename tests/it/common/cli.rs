//! Running the `wheelwatch` binary in tests.

use std::path::Path;
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
