//! Running the interpreter, pip and uv: argv only, output captured, with a deadline. The
//! spawn-capture-kill loop is [`crate::python::probe::run_with_timeout`] (which also kills the
//! whole process group, so pip's own children die with it); this module adds the environment
//! clean-up for installers and the error mapping.

use std::process::Command;
use std::time::Duration;

use super::EnvError;
use super::install::redact_text;

/// What a finished subprocess said.
#[derive(Debug)]
pub(crate) struct Captured {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Captured {
    /// Whether the process exited with 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The last `lines` lines of stderr (else stdout), credentials redacted: for error messages.
    pub fn tail(&self, lines: usize) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let start = all.len().saturating_sub(lines);
        redact_text(&all[start..].join("\n"))
    }
}

/// A display form of a command line for logs and errors (credentials redacted).
pub(crate) fn display(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    redact_text(&parts.join(" "))
}

/// Runs `cmd` to completion with stdin closed and stdout/stderr captured; kills it after
/// `timeout`. Python-affecting variables that would make a venv's interpreter lie
/// (`PYTHONHOME`, `PYTHONPATH`, `VIRTUAL_ENV`, ...) are removed; pip is told not to prompt.
pub(crate) fn run(cmd: &mut Command, timeout: Duration) -> Result<Captured, EnvError> {
    for var in [
        "PYTHONHOME",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "__PYVENV_LAUNCHER__",
        "WHEELWATCH_PAUSE_AT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PIP_NO_INPUT", "1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    let shown = display(cmd);
    tracing::debug!(command = %shown, "running");
    let out =
        crate::python::probe::run_with_timeout(cmd, timeout).map_err(|source| EnvError::Spawn {
            program: cmd.get_program().to_string_lossy().into_owned(),
            source,
        })?;
    if out.timed_out {
        return Err(EnvError::Timeout {
            command: shown,
            seconds: timeout.as_secs(),
        });
    }
    tracing::debug!(command = %shown, code = ?out.status, "finished");
    Ok(Captured {
        code: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
