//! Running a candidate once with the embedded probe script (`probe.py`, argv only, `-E -s -B`,
//! a timeout after which the process group is killed) and turning what it printed into facts,
//! or into an [`Unusable`] verdict with the evidence: exit code, a stderr excerpt, what was
//! wrong. Results are cached in-process and on disk (keyed by path, real path, mtime and size,
//! and invalidated when the interpreter's `site-packages` or `pyvenv.cfg` changes).
//!
//! The tag ladder is computed by the interpreter itself (the script reimplements
//! `packaging.tags.sys_tags()` without third-party imports) because only the interpreter knows
//! its glibc, musl loader, build flags and `_manylinux` overrides.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

// Re-exported until `environment` imports it from `util` directly.
use crate::util::fs::{Durability, write_atomic};
pub use crate::util::process::{RunOutput, run_with_timeout};
use sha2::{Digest, Sha256};

/// The embedded probe script.
pub const PROBE_SCRIPT: &str = include_str!("probe.py");

const MARK: &str = "WHEELWATCH-PROBE ";
const EXCERPT: usize = 600;

/// Why a candidate cannot be used, with the evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unusable {
    /// Nothing at that path.
    Missing,
    /// A symbolic link whose target does not exist.
    BrokenSymlink {
        /// Where it points.
        target: PathBuf,
    },
    /// A chain of symbolic links that never ends.
    SymlinkLoop,
    /// A directory, not an executable.
    IsDirectory,
    /// A file without execute permission.
    NotExecutable,
    /// The operating system refused to start it.
    SpawnFailed {
        /// The error.
        error: String,
    },
    /// It ran and exited unsuccessfully (a broken shim, a crash).
    Failed {
        /// The exit code (`None`: killed by a signal).
        exit_code: Option<i32>,
        /// The end of its stderr.
        stderr: String,
    },
    /// It did not answer in time and was killed.
    TimedOut {
        /// The timeout in seconds.
        seconds: f64,
        /// Whatever it wrote to stderr.
        stderr: String,
    },
    /// It exited but did not print what a Python running the probe prints.
    Garbage {
        /// The exit code.
        exit_code: Option<i32>,
        /// The start of its stdout.
        stdout: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// A pyenv shim for a command that no selected pyenv version has: running it would exit
    /// with code 127 ("command not found"). Decided from pyenv's rules without running it.
    InactiveShim {
        /// The command (`python3.12`).
        command: String,
        /// The versions pyenv selects.
        selected: Vec<String>,
        /// Where that selection comes from.
        origin: super::pyenv::Origin,
        /// The executables of that name in installed versions (what the shim would run once
        /// selected), newest first.
        installed: Vec<PathBuf>,
    },
    /// A Python too old for wheelwatch (before 3.6).
    Unsupported {
        /// Its version.
        version: String,
    },
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // One line of stderr in a sentence; the whole excerpt stays in the JSON evidence.
        let with_stderr = |f: &mut std::fmt::Formatter<'_>, stderr: &str| {
            let mut lines = stderr.lines().map(str::trim).filter(|l| !l.is_empty());
            match lines.next() {
                None => Ok(()),
                Some(first) => {
                    let more = lines.count();
                    write!(f, "; stderr: {first}")?;
                    if more > 0 {
                        write!(f, " (+{more} more lines)")?;
                    }
                    Ok(())
                }
            }
        };
        match self {
            Self::Missing => f.write_str("does not exist"),
            Self::BrokenSymlink { target } => {
                write!(f, "broken symbolic link to `{}`", target.display())
            }
            Self::SymlinkLoop => f.write_str("symbolic link loop"),
            Self::IsDirectory => f.write_str("is a directory, not an executable"),
            Self::NotExecutable => f.write_str("is not executable (no execute permission)"),
            Self::SpawnFailed { error } => write!(f, "could not be started: {error}"),
            Self::Failed { exit_code, stderr } => {
                match exit_code {
                    Some(code) => write!(f, "exited with code {code}")?,
                    None => f.write_str("was killed by a signal")?,
                }
                with_stderr(f, stderr)
            }
            Self::TimedOut { seconds, stderr } => {
                write!(f, "did not answer within {seconds:.1} s and was killed")?;
                with_stderr(f, stderr)
            }
            Self::Garbage {
                exit_code,
                stdout,
                stderr,
            } => {
                write!(
                    f,
                    "did not behave like a Python interpreter (exit code {}); stdout: {:?}",
                    exit_code.map_or_else(|| "none".to_string(), |c| c.to_string()),
                    stdout.trim().chars().take(120).collect::<String>()
                )?;
                with_stderr(f, stderr)
            }
            Self::InactiveShim {
                command,
                selected,
                origin,
                installed,
            } => {
                write!(
                    f,
                    "is a pyenv shim for `{command}`, which the selected pyenv version{} {} (set by {origin}) do{} not have",
                    if selected.len() == 1 { "" } else { "s" },
                    selected.join(", "),
                    if selected.len() == 1 { "es" } else { "" },
                )?;
                match installed.as_slice() {
                    [] => f.write_str("; no installed pyenv version has it either"),
                    [one] => write!(f, "; the interpreter is {}", one.display()),
                    many => write!(
                        f,
                        "; the interpreters are {}",
                        many.iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
            Self::Unsupported { version } => write!(
                f,
                "is Python {version}, which wheelwatch does not support (3.6 or newer needed)"
            ),
        }
    }
}

/// What the probe script reports (the JSON after the marker).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawProbe {
    /// `sys.version_info` as `[major, minor, micro, releaselevel, serial]`.
    pub version_info: (u64, u64, u64, String, u64),
    /// `platform.python_version()`.
    pub python_full_version: String,
    /// `sys.executable`.
    pub executable: Option<String>,
    /// Set for Pythons before 3.6 (then nothing else is present).
    #[serde(default)]
    pub unsupported: bool,
    /// `sys.implementation.name`.
    #[serde(default)]
    pub implementation: String,
    /// `Py_GIL_DISABLED`.
    #[serde(default)]
    pub free_threaded: bool,
    /// `realpath(sys.executable)`.
    #[serde(default)]
    pub real_executable: Option<String>,
    /// `sys.prefix`.
    #[serde(default)]
    pub prefix: String,
    /// `sys.base_prefix`.
    #[serde(default)]
    pub base_prefix: String,
    /// sysconfig `include`.
    #[serde(default)]
    pub include: Option<String>,
    /// sysconfig `purelib`.
    #[serde(default)]
    pub purelib: Option<String>,
    /// PEP 508 marker values.
    #[serde(default)]
    pub markers: Option<super::Markers>,
    /// glibc or musl.
    #[serde(default)]
    pub libc: Option<super::Libc>,
    /// pip's version, if pip is importable.
    #[serde(default)]
    pub pip_version: Option<String>,
    /// `venv` importable.
    #[serde(default)]
    pub has_venv: bool,
    /// `ensurepip` importable and has its bundled wheels.
    #[serde(default)]
    pub has_ensurepip: bool,
    /// Supported tags, best first.
    #[serde(default)]
    pub tags: Vec<(String, String, String)>,
}

fn excerpt_tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.len() <= EXCERPT {
        return text.to_string();
    }
    let mut start = text.len() - EXCERPT;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

fn excerpt_head(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.len() <= EXCERPT {
        return text.to_string();
    }
    let mut end = EXCERPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Interprets the output of a probe run.
pub fn interpret(out: &RunOutput, timeout: Duration) -> Result<RawProbe, Unusable> {
    parse_output(out, timeout).and_then(supported)
}

fn supported(raw: RawProbe) -> Result<RawProbe, Unusable> {
    if raw.unsupported {
        Err(Unusable::Unsupported {
            version: raw.python_full_version,
        })
    } else {
        Ok(raw)
    }
}

/// What the probe printed, supported Python or not (an old Python's answer is cached too).
fn parse_output(out: &RunOutput, timeout: Duration) -> Result<RawProbe, Unusable> {
    if out.timed_out {
        return Err(Unusable::TimedOut {
            seconds: timeout.as_secs_f64(),
            stderr: excerpt_tail(&out.stderr),
        });
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix(MARK));
    let parsed = line.map(serde_json::from_str::<RawProbe>);
    match (out.status, parsed) {
        (Some(0), Some(Ok(raw))) => Ok(raw),
        (Some(0), _) => Err(Unusable::Garbage {
            exit_code: out.status,
            stdout: excerpt_head(&out.stdout),
            stderr: excerpt_tail(&out.stderr),
        }),
        (status, _) => Err(Unusable::Failed {
            exit_code: status,
            stderr: excerpt_tail(&out.stderr),
        }),
    }
}

/// How probing uses the on-disk cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// Read valid entries, write new ones.
    ReadWrite,
    /// Probe again (once per process) and write the result.
    Refresh,
    /// Neither read nor write the disk (the in-process cache still applies).
    Off,
}

/// Probing settings.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// How long an interpreter may take to answer.
    pub timeout: Duration,
    /// Disk cache use.
    pub cache: CacheUse,
    /// The cache directory (entries go under `interpreters/`).
    pub cache_dir: Option<PathBuf>,
}

/// The default probe timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            timeout: timeout_from_env().unwrap_or(DEFAULT_TIMEOUT),
            cache: CacheUse::ReadWrite,
            cache_dir: default_cache_dir(),
        }
    }
}

/// `WHEELWATCH_PROBE_TIMEOUT` (seconds, fractions allowed), if set and valid.
pub fn timeout_from_env() -> Option<Duration> {
    let v = std::env::var("WHEELWATCH_PROBE_TIMEOUT").ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs))
}

fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WHEELWATCH_CACHE_DIR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    crate::util::default_cache_dir()
}

/// Checks the file itself before running anything.
pub fn check_file(path: &Path) -> Result<PathBuf, Unusable> {
    let Ok(link_meta) = path.symlink_metadata() else {
        return Err(Unusable::Missing);
    };
    // `Path::canonicalize`, not `fs_err`'s: a symbolic link loop is told by the OS error code,
    // which `fs_err`'s error does not keep.
    match path.canonicalize() {
        Ok(real) => {
            let meta = real.metadata().map_err(|e| Unusable::SpawnFailed {
                error: e.to_string(),
            })?;
            if meta.is_dir() {
                return Err(Unusable::IsDirectory);
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if meta.permissions().mode() & 0o111 == 0 {
                    return Err(Unusable::NotExecutable);
                }
            }
            Ok(real)
        }
        Err(e) => {
            if is_loop(&e) {
                Err(Unusable::SymlinkLoop)
            } else if link_meta.file_type().is_symlink() && e.kind() == std::io::ErrorKind::NotFound
            {
                Err(Unusable::BrokenSymlink {
                    target: fs_err::read_link(path).unwrap_or_default(),
                })
            } else {
                Err(Unusable::SpawnFailed {
                    error: e.to_string(),
                })
            }
        }
    }
}

#[cfg(unix)]
fn is_loop(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
}

#[cfg(not(unix))]
fn is_loop(_e: &std::io::Error) -> bool {
    false
}

/// The outcome of probing one path.
pub type ProbeResult = Result<(PathBuf, RawProbe), Unusable>;

fn memory() -> &'static Mutex<HashMap<PathBuf, ProbeResult>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, ProbeResult>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Forgets every in-process result (tests; `doctor` after changing things).
pub fn clear_memory_cache() {
    if let Ok(mut m) = memory().lock() {
        m.clear();
    }
}

/// Probes `path` (as given, not canonicalised: a venv's `python` is a link whose location
/// matters). Returns the real path and the probe's facts, or why it is unusable.
pub fn probe(path: &Path, options: &ProbeOptions) -> ProbeResult {
    // In-process results are fresh by definition, even when refreshing the disk cache.
    if let Some(hit) = memory().lock().ok().and_then(|m| m.get(path).cloned()) {
        return hit;
    }
    let result = probe_uncached(path, options);
    if let Ok(mut m) = memory().lock() {
        m.insert(path.to_path_buf(), result.clone());
    }
    result
}

fn probe_uncached(path: &Path, options: &ProbeOptions) -> ProbeResult {
    let real = check_file(path)?;
    // A pyenv shim is probed through the executable it runs (cached on disk like any other),
    // decided by pyenv's rules without starting it.
    if let Some(shim) = super::pyenv::shim(path, &real) {
        match super::pyenv::resolve(&shim, &super::pyenv::ShimEnv::from_process(&shim.command)) {
            Some(super::pyenv::Resolution::Runs(exe)) => {
                tracing::debug!("{} is a pyenv shim for {}", path.display(), exe.display());
                return probe(&exe, options);
            }
            Some(super::pyenv::Resolution::NotSelected {
                selected,
                origin,
                installed,
            }) => {
                return Err(Unusable::InactiveShim {
                    command: shim.command,
                    selected,
                    origin,
                    installed,
                });
            }
            None => tracing::debug!("{}: a pyenv shim only pyenv can resolve", path.display()),
        }
    }
    let disk = DiskKey::new(path, &real, options);
    if options.cache == CacheUse::ReadWrite
        && let Some(raw) = disk.as_ref().and_then(DiskKey::read)
    {
        tracing::debug!("probe cache hit for {}", path.display());
        return Ok((real, supported(raw)?));
    }
    let mut cmd = Command::new(path);
    cmd.args(["-E", "-s", "-B", "-c", PROBE_SCRIPT]);
    let out = run_with_timeout(&mut cmd, options.timeout).map_err(|e| Unusable::SpawnFailed {
        error: e.to_string(),
    })?;
    tracing::debug!(
        "probed {} in {} ms",
        path.display(),
        out.elapsed.as_millis()
    );
    let raw = parse_output(&out, options.timeout)?;
    if let Some(disk) = disk {
        disk.write(&raw);
    }
    Ok((real, supported(raw)?))
}

struct DiskKey {
    file: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct DiskEntry {
    watched: Vec<(PathBuf, Option<u128>)>,
    probe: RawProbe,
}

fn mtime_ns(path: &Path) -> Option<u128> {
    path.metadata()
        .ok()?
        .modified()
        .ok()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_nanos())
}

fn watched_paths(raw: &RawProbe) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(p) = &raw.purelib {
        paths.push(PathBuf::from(p));
    }
    if !raw.prefix.is_empty() {
        paths.push(Path::new(&raw.prefix).join("pyvenv.cfg"));
    }
    paths
}

impl DiskKey {
    fn new(path: &Path, real: &Path, options: &ProbeOptions) -> Option<Self> {
        if options.cache == CacheUse::Off {
            return None;
        }
        let dir = options.cache_dir.as_ref()?.join("interpreters");
        // Scripts (pyenv shims, wrappers) answer differently depending on their surroundings:
        // only real executables are cached on disk.
        let mut head = [0u8; 2];
        let mut f = fs_err::File::open(real).ok()?;
        if f.read_exact(&mut head).is_ok() && &head == b"#!" {
            return None;
        }
        let meta = real.metadata().ok()?;
        let mut h = Sha256::new();
        h.update(PROBE_SCRIPT.as_bytes());
        h.update(path.as_os_str().as_encoded_bytes());
        h.update([0]);
        h.update(real.as_os_str().as_encoded_bytes());
        h.update([0]);
        h.update(mtime_ns(real)?.to_le_bytes());
        h.update(meta.len().to_le_bytes());
        let digest = h.finalize();
        let name = digest.iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        });
        Some(Self {
            file: dir.join(format!("{name}.json")),
        })
    }

    fn read(&self) -> Option<RawProbe> {
        let text = fs_err::read_to_string(&self.file).ok()?;
        let entry: DiskEntry = serde_json::from_str(&text).ok()?;
        entry
            .watched
            .iter()
            .all(|(p, m)| mtime_ns(p) == *m)
            .then_some(entry.probe)
    }

    fn write(&self, raw: &RawProbe) {
        let entry = DiskEntry {
            watched: watched_paths(raw)
                .into_iter()
                .map(|p| {
                    let m = mtime_ns(&p);
                    (p, m)
                })
                .collect(),
            probe: raw.clone(),
        };
        let Some(dir) = self.file.parent() else {
            return;
        };
        let result = (|| -> std::io::Result<()> {
            fs_err::create_dir_all(dir)?;
            let bytes = serde_json::to_vec(&entry)?;
            write_atomic(&self.file, &bytes, Durability::Cache)
        })();
        if let Err(e) = result {
            tracing::debug!(
                "could not write the probe cache `{}`: {e}",
                self.file.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(status: Option<i32>, stdout: &str, stderr: &str) -> RunOutput {
        RunOutput {
            status,
            timed_out: false,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn garbage_failure_and_old_python_are_told_apart() {
        let t = Duration::from_secs(1);
        assert!(matches!(
            interpret(&out(Some(0), "hello\n", ""), t),
            Err(Unusable::Garbage { .. })
        ));
        let failed = interpret(
            &out(Some(127), "", "pyenv: python3.12: command not found"),
            t,
        );
        assert_eq!(
            failed.unwrap_err().to_string(),
            "exited with code 127; stderr: pyenv: python3.12: command not found"
        );
        let old = format!(
            "{MARK}{{\"executable\": \"/x\", \"python_full_version\": \"2.7.18\", \"unsupported\": true, \"version_info\": [2, 7, 18, \"final\", 0]}}\n"
        );
        assert_eq!(
            interpret(&out(Some(0), &old, ""), t).unwrap_err(),
            Unusable::Unsupported {
                version: "2.7.18".into()
            }
        );
        // Truncated JSON is garbage, not a crash.
        assert!(matches!(
            interpret(
                &out(Some(0), &format!("{MARK}{{\"version_info\": [3,"), ""),
                t
            ),
            Err(Unusable::Garbage { .. })
        ));
    }

    #[test]
    fn long_stderr_is_cut_to_its_end() {
        let long = "x".repeat(5000) + "THE END";
        let e = excerpt_tail(long.as_bytes());
        assert!(e.ends_with("THE END"));
        assert!(e.len() < 700);
    }
}
