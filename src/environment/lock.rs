//! One environment operation at a time per project: an exclusive advisory lock on
//! `.wheelwatch/lock` (std's `File::try_lock`, `flock(2)` on Linux, released by the kernel when
//! the holder dies, SIGKILL included, so a lock is never stale). The holder writes who it is
//! into the file (`pid`, `since`, `command`, one `key=value` a line), so that a waiting
//! invocation can say at once who holds it, since when, and how long it will wait.

use fs_err::{File, OpenOptions};
use std::fs::TryLockError;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::EnvError;
use super::install::redact_text;

/// A held project lock; released on drop.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    path: PathBuf,
}

/// Who holds a lock, as its holder wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockHolder {
    /// The holder's process id.
    pub pid: Option<u32>,
    /// When it took the lock.
    pub since: Option<Timestamp>,
    /// Its command line (credentials redacted).
    pub command: Option<String>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid}")?,
            None => f.write_str("an unknown process")?,
        }
        if let Some(command) = &self.command {
            write!(f, " (`{command}`)")?;
        }
        if let Some(since) = self.since {
            let ago = Timestamp::now().duration_since(since).as_secs().max(0);
            write!(
                f,
                " since {} ({ago}s ago)",
                since.strftime("%Y-%m-%d %H:%M:%S UTC")
            )?;
        }
        Ok(())
    }
}

impl LockHolder {
    /// Parses the lock file's text (the older form, a bare pid, included).
    fn parse(text: &str) -> Self {
        let mut holder = Self::default();
        for line in text.lines() {
            match line.split_once('=') {
                Some(("pid", v)) => holder.pid = v.trim().parse().ok(),
                Some(("since", v)) => holder.since = v.trim().parse().ok(),
                Some(("command", v)) => holder.command = Some(v.trim().to_string()),
                None => {
                    if let Ok(pid) = line.trim().parse() {
                        holder.pid = Some(pid);
                    }
                }
                _ => {}
            }
        }
        holder
    }

    fn this_process() -> String {
        let args: Vec<String> = std::env::args()
            .map(|a| a.replace(['\n', '\r'], " "))
            .collect();
        let mut command = args.join(" ");
        if let Some(first) = args.first()
            && let Some(name) = Path::new(first).file_name()
        {
            // The program's name, not its full path, keeps the line short.
            command = std::iter::once(name.to_string_lossy().into_owned())
                .chain(args.iter().skip(1).cloned())
                .collect::<Vec<_>>()
                .join(" ");
        }
        format!(
            "pid={}\nsince={}\ncommand={}\n",
            std::process::id(),
            Timestamp::now(),
            redact_text(&command)
        )
    }
}

impl ProjectLock {
    /// Takes the lock at `path`, waiting up to `timeout` for another holder to finish. When the
    /// lock is busy, `notice` is called at once with the holder (read from the file) so that
    /// the waiting is visible.
    pub fn acquire(
        path: &Path,
        timeout: Duration,
        notice: &mut dyn FnMut(&LockHolder, Duration),
    ) -> Result<Self, EnvError> {
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| EnvError::io("create", dir, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| EnvError::io("open", path, e))?;
        let started = Instant::now();
        let mut announced = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if !announced {
                        announced = true;
                        notice(&holder(path), timeout);
                    }
                    if started.elapsed() >= timeout {
                        return Err(EnvError::Locked {
                            lock: path.to_path_buf(),
                            holder: holder(path),
                            waited_secs: started.elapsed().as_secs_f64(),
                        });
                    }
                    thread::sleep(Duration::from_millis(100).min(timeout));
                }
                Err(TryLockError::Error(e)) => return Err(EnvError::io("lock", path, e)),
            }
        }
        let mark = LockHolder::this_process();
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(mark.as_bytes()))
            .map_err(|e| EnvError::io("write", path, e))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The current holder, as far as the file says.
fn holder(path: &Path) -> LockHolder {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    LockHolder::parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_round_trip_and_old_form() {
        let h = LockHolder::parse(
            "pid=42\nsince=2026-12-01T06:40:00Z\ncommand=wheelwatch fallback --to 3.11\n",
        );
        assert_eq!(h.pid, Some(42));
        assert_eq!(h.command.as_deref(), Some("wheelwatch fallback --to 3.11"));
        assert_eq!(h.since, Some("2026-12-01T06:40:00Z".parse().unwrap()));
        assert_eq!(LockHolder::parse("77\n").pid, Some(77));
        assert_eq!(
            LockHolder::parse("garbage").to_string(),
            "an unknown process"
        );
    }
}
