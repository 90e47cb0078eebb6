//! Running the interpreter, pip and uv for an environment operation: argv only, a deadline,
//! output captured or written to a log file, and **no child outliving wheelwatch**.
//!
//! # Children die with wheelwatch
//!
//! Every command runs under a supervisor: this same executable re-run as
//! `wheelwatch __supervise <parent pid> <program> <args>...` (dispatched by `main` before the
//! command line is parsed; see [`supervise`]). The supervisor leads a fresh process group, which
//! the installer and everything the installer starts inherit, and holds a *lifeline*: its stdin
//! is a pipe whose only writer is the wheelwatch process. When wheelwatch dies, however it dies
//! (SIGKILL included), the kernel closes that pipe; the supervisor reads end-of-file and kills
//! its whole process group. On Linux the supervisor also asks for a parent-death signal
//! (`PR_SET_PDEATHSIG` through rustix, which is a safe call on the calling process itself:
//! no `pre_exec` needed: SIGTERM once the parent is really gone, since the signal also fires
//! when only the spawning thread ends); SIGINT and SIGHUP sent to it kill the group too.
//! wheelwatch itself kills the group on timeout, when the command exits (anything it left
//! running in its group dies with it), and when it drops the handle (an error or a panic
//! unwinding).
//!
//! The supervisor is only used when the process registered the executable with
//! [`use_supervisor`] (the binary does at start; tests point it at the built binary); without
//! it commands run directly in their own process group, with the same timeout and drop kill.
//!
//! # The next run cleans up
//!
//! Every child is started with `WHEELWATCH_OWNER=<state dir>` in its environment (inherited by
//! pip's own children) and its process group is appended to `.wheelwatch/children` while it
//! runs. Recovery, holding the project lock, kills every process that still carries this
//! project's tag (found through `/proc/<pid>/environ` on Linux), and the recorded groups they
//! lead, so even a supervisor killed together with wheelwatch leaves nothing running after the
//! next operation starts. Elsewhere only the lifeline applies.

use fs_err::File;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::install::redact_text;
use super::{EnvError, Project};

/// The environment variable that tags a child with the project it works for.
pub(crate) const OWNER_VAR: &str = "WHEELWATCH_OWNER";

/// The hidden first argument that runs [`supervise`].
pub const SUPERVISE_ARG: &str = "__supervise";

/// How much output is kept in memory per stream (the rest goes to the log file, if any).
const OUTPUT_CAP: usize = 1 << 20;

static SUPERVISOR: OnceLock<PathBuf> = OnceLock::new();

/// Runs every environment subprocess under `exe __supervise` from now on (see the module doc).
/// `exe` must be the wheelwatch binary. The first call wins.
pub fn use_supervisor(exe: PathBuf) {
    let _ = SUPERVISOR.set(exe);
}

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
    pub(crate) fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The last `lines` lines of stderr (else stdout), credentials redacted: for error messages.
    pub(crate) fn tail(&self, lines: usize) -> String {
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

/// A running child's process group, killed when dropped unless it was reaped.
struct Running {
    child: Child,
    /// The lifeline (the supervisor's stdin); closing it kills the group.
    lifeline: Option<std::process::ChildStdin>,
    record: PathBuf,
    done: bool,
}

impl Running {
    fn pgid(&self) -> u32 {
        self.child.id()
    }

    fn kill(&mut self) {
        kill_group(self.pgid());
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.done = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.done {
            self.kill();
        }
        drop(self.lifeline.take());
        forget_child(&self.record, self.pgid());
    }
}

#[cfg(unix)]
fn kill_group(pgid: u32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pgid.cast_signed()) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pgid: u32) {}

/// Runs `cmd` for `project` to completion with stdin closed, killing its whole process group
/// after `timeout`. With `log`, stdout and stderr both go to that file (created or truncated)
/// and the captured stderr is its end; else both are captured. Python-affecting variables
/// that would make a venv's interpreter lie (`PYTHONHOME`, `PYTHONPATH`, `VIRTUAL_ENV`, ...)
/// are removed; pip is told not to prompt.
pub(crate) fn run(
    project: &Project,
    cmd: &mut Command,
    timeout: Duration,
    log: Option<&Path>,
) -> Result<Captured, EnvError> {
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
        .env(OWNER_VAR, &project.state_dir);
    let shown = display(cmd);
    tracing::debug!(command = %shown, "running");
    let spawn_err = |source: std::io::Error| EnvError::Spawn {
        program: cmd.get_program().to_string_lossy().into_owned(),
        source,
    };
    let mut outer = match SUPERVISOR.get() {
        Some(exe) => supervised(exe, cmd),
        None => clone_command(cmd),
    };
    outer.stdin(if SUPERVISOR.get().is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        outer.process_group(0);
    }
    let log_file = match log {
        Some(path) => {
            if let Some(dir) = path.parent() {
                fs_err::create_dir_all(dir).map_err(|e| EnvError::io("create", dir, e))?;
            }
            let file = File::create(path).map_err(|e| EnvError::io("create", path, e))?;
            let err = file
                .try_clone()
                .map_err(|e| EnvError::io("open", path, e))?;
            outer.stdout(file.into_file()).stderr(err.into_file());
            true
        }
        None => {
            outer.stdout(Stdio::piped()).stderr(Stdio::piped());
            false
        }
    };
    let started = Instant::now();
    let mut child = outer.spawn().map_err(spawn_err)?;
    let record = project.state_dir.join("children");
    remember_child(&record, child.id());
    let lifeline = child.stdin.take();
    let (tx, rx) = mpsc::channel();
    for (is_stdout, stream) in [
        (
            true,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
        (
            false,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
    ] {
        if let Some(stream) = stream {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = tx.send((
                    is_stdout,
                    crate::util::process::read_capped(stream, OUTPUT_CAP),
                ));
            });
        }
    }
    drop(tx);
    let mut running = Running {
        child,
        lifeline,
        record,
        done: false,
    };
    let deadline = started + timeout;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match running.child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(e) => {
                running.kill();
                return Err(EnvError::io("wait for", Path::new(&shown), e));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            break None;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let Some(status) = status else {
        running.kill();
        return Err(EnvError::Timeout {
            command: shown,
            seconds: timeout.as_secs(),
        });
    };
    running.done = true;
    // Anything the command left running in its group dies now, before we read its output.
    kill_group(running.pgid());
    drop(running);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    if !log_file {
        for _ in 0..2 {
            match rx.recv_timeout(Duration::from_secs(2)) {
                Ok((true, bytes)) => stdout = bytes,
                Ok((false, bytes)) => stderr = bytes,
                Err(_) => break,
            }
        }
    } else if let Some(path) = log {
        stderr = read_tail(path, OUTPUT_CAP);
    }
    let code = exit_code(status);
    tracing::debug!(command = %shown, code = ?code, "finished");
    Ok(Captured {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

#[cfg(unix)]
fn exit_code(status: std::process::ExitStatus) -> Option<i32> {
    // The supervisor reports a child killed by signal N as 128 + N, as shells do.
    match status.code() {
        Some(code) if SUPERVISOR.get().is_some() && code > 128 && code < 160 => None,
        code => code,
    }
}

#[cfg(not(unix))]
fn exit_code(status: std::process::ExitStatus) -> Option<i32> {
    status.code()
}

fn clone_command(cmd: &Command) -> Command {
    let mut out = Command::new(cmd.get_program());
    out.args(cmd.get_args());
    copy_env_and_dir(cmd, &mut out);
    out
}

fn supervised(exe: &Path, cmd: &Command) -> Command {
    let mut out = Command::new(exe);
    out.arg(SUPERVISE_ARG)
        .arg(std::process::id().to_string())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    copy_env_and_dir(cmd, &mut out);
    out
}

fn copy_env_and_dir(from: &Command, to: &mut Command) {
    for (key, value) in from.get_envs() {
        match value {
            Some(v) => to.env(key, v),
            None => to.env_remove(key),
        };
    }
    if let Some(dir) = from.get_current_dir() {
        to.current_dir(dir);
    }
}

/// The last `cap` bytes of `path`.
fn read_tail(path: &Path, cap: usize) -> Vec<u8> {
    let Ok(mut f) = File::open(path) else {
        return Vec::new();
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let start = len.saturating_sub(cap as u64);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_ok() {
        let _ = f.read_to_end(&mut buf);
    }
    buf
}

fn remember_child(record: &Path, pgid: u32) {
    let line = format!("{pgid}\n");
    let result = fs_err::OpenOptions::new()
        .append(true)
        .create(true)
        .open(record)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = result {
        tracing::debug!("could not record child {pgid} in {}: {e}", record.display());
    }
}

fn forget_child(record: &Path, pgid: u32) {
    let Ok(text) = fs_err::read_to_string(record) else {
        return;
    };
    let gone = pgid.to_string();
    let keep: String = text
        .lines()
        .filter(|l| l.trim() != gone && !l.trim().is_empty())
        .fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        });
    let _ = if keep.is_empty() {
        fs_err::remove_file(record)
    } else {
        fs_err::write(record, keep)
    };
}

/// Kills every process a previous, killed run left behind for `project` (see the module doc)
/// and forgets the recorded groups. Returns the pids killed. The caller holds the project lock,
/// so nothing of this project's may legitimately be running.
pub(crate) fn reap_orphans(project: &Project) -> Vec<u32> {
    let record = project.state_dir.join("children");
    let recorded: Vec<u32> = fs_err::read_to_string(&record)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let tagged = tagged_processes(&project.state_dir);
    let mut killed = Vec::new();
    for (pid, pgid) in &tagged {
        if recorded.contains(pgid) {
            kill_group(*pgid);
        }
        kill_pid(*pid);
        killed.push(*pid);
    }
    if !killed.is_empty() {
        // Wait (briefly) until they are gone, so that removing their directories does not race.
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until && !tagged_processes(&project.state_dir).is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
        tracing::info!(
            ?killed,
            "killed processes left running by an interrupted operation"
        );
    }
    let _ = fs_err::remove_file(&record);
    killed.sort_unstable();
    killed
}

#[cfg(unix)]
fn kill_pid(pid: u32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid.cast_signed()) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_pid(_pid: u32) {}

/// `(pid, process group)` of every live process (not this one) whose environment carries
/// `WHEELWATCH_OWNER=<state_dir>`.
pub(crate) fn tagged_processes(state_dir: &Path) -> Vec<(u32, u32)> {
    let mut tag = OsString::from(OWNER_VAR);
    tag.push("=");
    tag.push(state_dir.as_os_str());
    let tag = tag.into_encoded_bytes();
    let me = std::process::id();
    let mut found = Vec::new();
    let Ok(entries) = fs_err::read_dir("/proc") else {
        return found;
    };
    for entry in entries.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = fs_err::read(entry.path().join("environ")) else {
            continue;
        };
        if !environ.split(|b| *b == 0).any(|var| var == tag.as_slice()) {
            continue;
        }
        // A zombie keeps its environ readable until reaped, but is already dead.
        let Ok(stat) = fs_err::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(after) = stat.rsplit_once(") ").map(|(_, rest)| rest) else {
            continue;
        };
        let fields: Vec<&str> = after.split(' ').collect();
        if fields.first() == Some(&"Z") {
            continue;
        }
        let group = fields.get(2).and_then(|s| s.parse().ok()).unwrap_or(pid);
        found.push((pid, group));
    }
    found
}

/// The supervisor's body: `args` are `<parent pid> <program> <args>...`. Returns the exit code:
/// the program's own, 128 + N when a signal N killed it, 125 when it could not start. It
/// never returns when wheelwatch died: it kills its process group, itself included.
#[cfg(unix)]
#[allow(
    clippy::print_stderr,
    reason = "the supervisor is its own process: this is its `main`, and stderr is all it has"
)]
pub fn supervise(args: &[OsString]) -> i32 {
    use rustix::process::{Pid, Signal, getpgrp, getpid, getppid, kill_process_group};
    use tokio::signal::unix::{SignalKind, signal};

    let (Some(parent), Some(program)) = (args.first(), args.get(1)) else {
        eprintln!("wheelwatch {SUPERVISE_ARG}: expected <parent pid> <program> [args...]");
        return 125;
    };
    let Some(parent) = parent
        .to_str()
        .and_then(|s| s.parse::<i32>().ok())
        .and_then(Pid::from_raw)
    else {
        eprintln!(
            "wheelwatch {SUPERVISE_ARG}: invalid parent pid {}",
            parent.display()
        );
        return 125;
    };
    // Killing "our group" is only safe when the group is ours alone.
    if getpgrp() != getpid() {
        eprintln!("wheelwatch {SUPERVISE_ARG}: must lead its own process group");
        return 125;
    }
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::TERM));
    let parent_gone = move || getppid() != Some(parent);
    let kill_all = || -> ! {
        let _ = kill_process_group(getpid(), Signal::KILL);
        std::process::exit(137)
    };
    if parent_gone() {
        return 137;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wheelwatch {SUPERVISE_ARG}: {e}");
            return 125;
        }
    };
    // The lifeline: stdin reaches end-of-file when wheelwatch is gone.
    let (eof_tx, mut eof_rx) = tokio::sync::mpsc::channel::<()>(1);
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        let _ = eof_tx.blocking_send(());
    });
    runtime.block_on(async move {
        let mut signals = Vec::new();
        for kind in [
            SignalKind::terminate(),
            SignalKind::interrupt(),
            SignalKind::hangup(),
        ] {
            match signal(kind) {
                Ok(s) => signals.push(s),
                Err(e) => {
                    eprintln!("wheelwatch {SUPERVISE_ARG}: {e}");
                    return 125;
                }
            }
        }
        let mut child = match tokio::process::Command::new(program)
            .args(&args[2..])
            .stdin(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                eprintln!("could not run {}: {e}", program.to_string_lossy());
                return 125;
            }
        };
        let [term, int, hup] = &mut signals[..] else {
            unreachable!("three signals registered")
        };
        loop {
            tokio::select! {
                status = child.wait() => {
                    return match status {
                        Ok(s) => {
                            use std::os::unix::process::ExitStatusExt;
                            s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(9))
                        }
                        Err(_) => 125,
                    };
                }
                _ = eof_rx.recv() => kill_all(),
                _ = int.recv() => kill_all(),
                _ = hup.recv() => kill_all(),
                _ = term.recv() => {
                    // The parent-death signal. It also fires when only the thread that spawned
                    // us ends, so it counts only once the parent is really gone.
                    if parent_gone() {
                        kill_all();
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(250)) => {
                    if parent_gone() {
                        kill_all();
                    }
                }
            }
        }
    })
}

/// Not supported off Unix: environment operations are Unix-only.
#[cfg(not(unix))]
#[allow(clippy::print_stderr, reason = "the supervisor's `main`, as above")]
pub fn supervise(_args: &[OsString]) -> i32 {
    eprintln!("wheelwatch {SUPERVISE_ARG}: not supported on this platform");
    125
}

/// Whether `arg` is the hidden supervisor argument.
pub fn is_supervise_arg(arg: &OsStr) -> bool {
    arg == SUPERVISE_ARG
}
