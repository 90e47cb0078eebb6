//! Running one benchmark command once in one environment and measuring it: wall time, CPU time
//! (user + system) and peak resident memory of the command and everything it waited for.
//!
//! The command runs through [the environment module's runner](crate::environment::process):
//! argv only, stdin closed, under the supervisor whose process group dies with wheelwatch, with
//! a deadline. Between the supervisor and the command sits a small measuring script run by the
//! environment's own interpreter (`python -I -S -B`): it forks, execs the command (found on
//! `PATH` with the environment's `bin` first, `VIRTUAL_ENV` set), and reaps it with
//! `os.wait4`, which returns the kernel's resource usage of exactly that child (its CPU time
//! and peak RSS include the descendants it waited for). That is the `wait4(2)` the measurement
//! needs: this crate forbids `unsafe`, and neither the standard library nor rustix exposes a
//! child's `rusage`. Wall time is taken in the script around fork and wait, so neither the
//! supervisor's nor the script's own start-up is counted. The script also enforces the
//! timeout (SIGKILL to the command when it passes); the runner's own deadline, a little
//! later, is the backstop, and whatever the command left in its process group is killed when
//! the script exits.
//!
//! Bytecode is never written (`PYTHONDONTWRITEBYTECODE=1`), so running in the active venv
//! leaves it exactly as it was.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::environment::{EnvError, Project, process};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RunStatus {
    /// Exit code 0.
    Ok,
    /// A non-zero exit code or a signal.
    Failed,
    /// Killed at the deadline.
    Timeout,
    /// Could not be started (not found, not executable) or not measured.
    Error,
}

impl RunStatus {
    /// The JSON key.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Error => "error",
        }
    }
}

/// One measured run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Run {
    /// How it ended.
    pub status: RunStatus,
    /// Wall time in seconds (up to the kill for a timeout; `None` when not measured).
    pub wall_s: Option<f64>,
    /// User + system CPU seconds of the command and the children it waited for.
    pub cpu_s: Option<f64>,
    /// Peak resident set size in KiB.
    pub peak_rss_kib: Option<u64>,
    /// The exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
    /// Why it failed, in one line (the end of its stderr, the start error), when it did.
    pub detail: Option<String>,
    /// The command's stderr (capped); used for `-X importtime`, not reported.
    #[serde(skip)]
    pub stderr: String,
}

/// Where and how a command runs.
#[derive(Clone, Debug)]
pub(crate) struct Runner<'a> {
    /// The project (for the runner's tagging and child records).
    pub project: &'a Project,
    /// The environment's interpreter (`<env>/bin/python`), which also runs the measuring script.
    pub python: PathBuf,
    /// The environment's directory (its `bin` goes first on `PATH`).
    pub env_dir: PathBuf,
    /// The working directory of the command.
    pub cwd: PathBuf,
    /// The deadline of one run.
    pub timeout: Duration,
}

/// The measuring script: `<result file> <env dir> <cwd> <timeout s> <argv>...`.
const MEASURE: &str = r"import json, os, signal, sys, time
out, env_dir, cwd, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
argv = sys.argv[5:]
env = dict(os.environ)
env['VIRTUAL_ENV'] = env_dir
env['PATH'] = os.path.join(env_dir, 'bin') + os.pathsep + env.get('PATH', '')
env['PYTHONDONTWRITEBYTECODE'] = '1'
r, w = os.pipe()
timed_out = []
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.close(r)
    try:
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    except BaseException as e:
        os.write(w, ('%s: %s' % (type(e).__name__, e)).encode('utf-8', 'replace'))
    os._exit(127)
os.close(w)
def expire(signum, frame):
    timed_out.append(True)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
signal.signal(signal.SIGALRM, expire)
signal.setitimer(signal.ITIMER_REAL, timeout)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
signal.setitimer(signal.ITIMER_REAL, 0)
start_error = os.read(r, 4096).decode('utf-8', 'replace')
result = {'wall_s': wall, 'cpu_s': ru.ru_utime + ru.ru_stime, 'peak_rss_kib': ru.ru_maxrss,
          'exit_code': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
          'signal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
          'timed_out': bool(timed_out), 'start_error': start_error or None}
with open(out, 'w', encoding='utf-8') as f:
    json.dump(result, f)
";

#[derive(Deserialize)]
struct Measured {
    wall_s: f64,
    cpu_s: f64,
    peak_rss_kib: u64,
    exit_code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    start_error: Option<String>,
}

/// Extra time the runner's backstop deadline allows beyond the command's own.
const BACKSTOP: Duration = Duration::from_secs(30);

impl Runner<'_> {
    /// Runs `argv` once and measures it; `scratch` is a directory for the result file.
    pub(crate) fn run(&self, argv: &[String], scratch: &Path) -> Run {
        let result_file = scratch.join("wheelwatch-bench-run.json");
        let _ = fs_err::remove_file(&result_file);
        let mut cmd = Command::new(&self.python);
        cmd.args(["-I", "-S", "-B", "-c", MEASURE])
            .arg(&result_file)
            .arg(&self.env_dir)
            .arg(&self.cwd)
            .arg(format!("{:.3}", self.timeout.as_secs_f64()))
            .args(argv)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .current_dir(scratch);
        let captured = match process::run(self.project, &mut cmd, self.timeout + BACKSTOP, None) {
            Ok(c) => c,
            Err(EnvError::Timeout { .. }) => {
                return Run {
                    status: RunStatus::Timeout,
                    wall_s: None,
                    cpu_s: None,
                    peak_rss_kib: None,
                    exit_code: None,
                    signal: None,
                    detail: Some(format!(
                        "did not finish within {}s and was stopped",
                        self.timeout.as_secs()
                    )),
                    stderr: String::new(),
                };
            }
            Err(e) => return error_run(e.to_string()),
        };
        let text = fs_err::read_to_string(&result_file).unwrap_or_default();
        let _ = fs_err::remove_file(&result_file);
        let Ok(m) = serde_json::from_str::<Measured>(&text) else {
            return error_run(format!(
                "the measuring script with {} died before reporting: {}",
                self.python.display(),
                captured.tail(3)
            ));
        };
        let (status, detail) = if m.timed_out {
            (
                RunStatus::Timeout,
                Some(format!(
                    "did not finish within {}s and was stopped",
                    self.timeout.as_secs()
                )),
            )
        } else if let Some(e) = &m.start_error {
            (
                RunStatus::Error,
                Some(format!("could not start `{}`: {e}", argv[0])),
            )
        } else if m.exit_code == Some(0) {
            (RunStatus::Ok, None)
        } else {
            let how = match (m.exit_code, m.signal) {
                (Some(code), _) => format!("exit code {code}"),
                (None, Some(sig)) => format!("killed by signal {sig}"),
                (None, None) => "ended abnormally".to_string(),
            };
            let tail = captured.tail(1);
            (
                RunStatus::Failed,
                Some(if tail.is_empty() {
                    how
                } else {
                    format!("{how}: {tail}")
                }),
            )
        };
        Run {
            status,
            wall_s: Some(m.wall_s),
            cpu_s: Some(m.cpu_s),
            peak_rss_kib: Some(m.peak_rss_kib),
            exit_code: m.exit_code,
            signal: m.signal,
            detail,
            stderr: captured.stderr,
        }
    }
}

fn error_run(detail: String) -> Run {
    Run {
        status: RunStatus::Error,
        wall_s: None,
        cpu_s: None,
        peak_rss_kib: None,
        exit_code: None,
        signal: None,
        detail: Some(detail),
        stderr: String::new(),
    }
}
