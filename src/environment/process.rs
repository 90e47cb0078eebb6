//! Running the interpreter, pip and uv: argv only, output captured, with a deadline. Hand-written
//! over `std::process` because std has no wait-with-timeout and pulling a crate for one poll loop
//! is not worth it.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::EnvError;
use super::install::redact_text;

/// What a finished subprocess said.
#[derive(Debug)]
pub(crate) struct Captured {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Captured {
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
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = display(cmd);
    tracing::debug!(command = %shown, "running");
    let mut child = cmd.spawn().map_err(|source| EnvError::Spawn {
        program: cmd.get_program().to_string_lossy().into_owned(),
        source,
    })?;
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_end(&mut buf);
        }
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EnvError::Timeout {
                    command: shown,
                    seconds: timeout.as_secs(),
                });
            }
            Ok(None) => thread::sleep(Duration::from_millis(25)),
            Err(source) => {
                return Err(EnvError::Spawn {
                    program: shown,
                    source,
                });
            }
        }
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    tracing::debug!(command = %shown, %status, "finished");
    Ok(Captured {
        status,
        stdout,
        stderr,
    })
}
