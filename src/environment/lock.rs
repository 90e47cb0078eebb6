//! One environment operation at a time per project: an exclusive advisory lock on
//! `.wheelwatch/lock` (std's `File::try_lock`, `flock(2)` on Linux, released by the kernel when
//! the holder dies, SIGKILL included, so a lock is never stale). The holder writes its pid into
//! the file so that a waiting invocation can name it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::EnvError;

/// A held project lock; released on drop.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    path: PathBuf,
}

impl ProjectLock {
    /// Takes the lock at `path`, waiting up to `timeout` for another holder to finish.
    pub fn acquire(path: &Path, timeout: Duration) -> Result<Self, EnvError> {
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
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if started.elapsed() >= timeout {
                        return Err(EnvError::Locked {
                            lock: path.to_path_buf(),
                            holder: holder_pid(path),
                            waited_secs: started.elapsed().as_secs_f64(),
                        });
                    }
                    thread::sleep(Duration::from_millis(100));
                }
                Err(TryLockError::Error(e)) => return Err(EnvError::io("lock", path, e)),
            }
        }
        let mark = format!("{}\n", std::process::id());
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

/// The pid written by the current holder, if readable.
fn holder_pid(path: &Path) -> Option<u32> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
