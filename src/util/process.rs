//! Running a subprocess with a timeout: argv only, no stdin, output captured (capped), and on
//! timeout the process and (on Unix) its process group killed. Used by interpreter probing,
//! the environment builder and `doctor`; every layer may use it.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How much of each stream is kept.
const OUTPUT_CAP: usize = 4 * 1024 * 1024;

/// What a finished (or killed) process left behind.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// The exit code; `None` when killed by a signal or on timeout.
    pub status: Option<i32>,
    /// Killed because the timeout passed.
    pub timed_out: bool,
    /// Standard output (capped).
    pub stdout: Vec<u8>,
    /// Standard error (capped).
    pub stderr: Vec<u8>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Reads `r` to its end, keeping at most about `cap` bytes (the rest is drained, so the writer
/// never blocks on a full pipe).
pub(crate) fn read_capped(mut r: impl Read, cap: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if buf.len() < cap {
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        }
    }
    buf
}

#[cfg(unix)]
fn kill_tree(child: &mut std::process::Child) {
    let pid = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.kill();
}

#[cfg(not(unix))]
fn kill_tree(child: &mut std::process::Child) {
    let _ = child.kill();
}

/// Runs a command with no stdin, capturing output, killing it (and, on Unix, its process
/// group) when `timeout` passes.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> std::io::Result<RunOutput> {
    run_with_input(cmd, None, timeout)
}

/// [`run_with_timeout`] with `input` written to the command's stdin (then closed) when given
/// (written from a thread: a command that does not read it cannot block us).
pub(crate) fn run_with_input(
    cmd: &mut Command,
    input: Option<Vec<u8>>,
    timeout: Duration,
) -> std::io::Result<RunOutput> {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        std::thread::spawn(move || {
            use std::io::Write as _;
            // A command that exits without reading its input is not an error here.
            let _ = stdin.write_all(&bytes);
        });
    }
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send((true, read_capped(out, OUTPUT_CAP)));
        });
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send((false, read_capped(err, OUTPUT_CAP)));
        });
    }
    drop(tx);
    let deadline = start + timeout;
    let mut status = None;
    let mut timed_out = false;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(s) = child.try_wait()? {
            status = Some(s);
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            timed_out = true;
            kill_tree(&mut child);
            let _ = child.wait();
            break;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    // Collect output; a grandchild still holding a pipe must not hang us.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let grace = if timed_out {
        Duration::from_millis(200)
    } else {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(200))
    };
    let collect_deadline = Instant::now() + grace;
    for _ in 0..2 {
        let left = collect_deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((true, bytes)) => stdout = bytes,
            Ok((false, bytes)) => stderr = bytes,
            Err(_) => {
                kill_tree(&mut child);
                break;
            }
        }
    }
    Ok(RunOutput {
        status: status.and_then(|s| s.code()),
        timed_out,
        stdout,
        stderr,
        elapsed: start.elapsed(),
    })
}
