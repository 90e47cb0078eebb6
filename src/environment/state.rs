//! The records a project keeps under `.wheelwatch/`:
//! - `state.toml`: what was asked ([`Requested`]: the primary and fallbacks as the user wrote
//!   them and the interpreters they resolved to) and the active environment (interpreter path
//!   and version, role, reason, timestamps, assessment id), rewritten atomically (temporary
//!   file + rename);
//! - `env`: `key=value` lines for CI and shell consumers (`python_version`, `wheel_status`,
//!   `fallback_reason`, `fallback_timestamp`; the last two empty unless the role is fallback),
//!   values kept to one line;
//! - `events.jsonl`: one JSON object a line, appended with `O_APPEND` in a single `write(2)` per
//!   line and never rewritten (see [`append_event`]);
//! - per environment, `<env>/wheelwatch-env.toml` ([`EnvMeta`]): what it was built from and
//!   whether it was ever activated — what recovery trusts.

use fs_err::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{EnvError, Operation, Project, Role};

/// `.wheelwatch/state.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// When this file was last written.
    pub updated_at: Option<Timestamp>,
    /// What the user asked for, as of the last operation that said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<Requested>,
    /// The environment the venv path points at, when wheelwatch manages it.
    pub active: Option<ActiveEnv>,
}

/// The interpreters the project asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requested {
    /// The primary.
    pub primary: Option<RequestedPython>,
    /// The fallbacks, in order.
    #[serde(default)]
    pub fallbacks: Vec<RequestedPython>,
}

/// One interpreter as asked for and as found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedPython {
    /// As written (`3.12`, `3.13t`, a path).
    pub written: String,
    /// Where it was written (`flag --python`, `pyproject.toml (tool.wheelwatch.primary)`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The interpreter it resolved to on this machine, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// That interpreter's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Records what was asked in `state.toml`, keeping the rest; takes the project lock.
pub fn record_request(project: &Project, requested: Requested) -> Result<(), EnvError> {
    let _lock = project.lock()?;
    let path = project.state_file();
    let mut state = State::load(&path)?;
    if state.requested.as_ref() == Some(&requested) {
        return Ok(());
    }
    state.requested = Some(requested);
    state.updated_at = Some(Timestamp::now());
    state.save(&path)
}

/// The active environment as recorded in `state.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveEnv {
    /// The environment id (its directory name under `.wheelwatch/envs/`).
    pub env_id: String,
    /// The environment directory.
    pub env_dir: PathBuf,
    /// The user-facing venv path (a symlink to `env_dir`).
    pub venv_path: PathBuf,
    /// The base interpreter it was created with.
    pub python: PathBuf,
    /// That interpreter's version (as probed from the new environment).
    pub python_version: String,
    /// Primary or fallback.
    pub role: Role,
    /// Why this environment was built.
    pub reason: String,
    /// The operation that activated it.
    pub operation: Operation,
    /// The wheel status the caller recorded (e.g. the check verdict).
    pub wheel_status: String,
    /// The assessment this switch was based on, if any.
    pub assessment_id: Option<String>,
    /// When the environment was built.
    pub created_at: Timestamp,
    /// When it became active.
    pub activated_at: Timestamp,
}

impl State {
    /// Reads `path`; a missing file is the empty state.
    pub fn load(path: &Path) -> Result<Self, EnvError> {
        match fs_err::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| EnvError::Parse {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(EnvError::io("read", path, e)),
        }
    }

    /// Writes `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), EnvError> {
        let text = toml::to_string_pretty(self).map_err(|e| EnvError::Parse {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        write_atomic(path, text.as_bytes())
    }
}

/// The `key=value` env file contents for `active`.
pub fn env_file_contents(active: &ActiveEnv) -> String {
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    let (reason, when) = if active.role == Role::Fallback {
        (one_line(&active.reason), active.activated_at.to_string())
    } else {
        (String::new(), String::new())
    };
    format!(
        "python_version={}\nwheel_status={}\nfallback_reason={}\nfallback_timestamp={}\n",
        one_line(&active.python_version),
        one_line(&active.wheel_status),
        reason,
        when
    )
}

/// Written inside each environment directory: `wheelwatch-env.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvMeta {
    /// The environment id.
    pub env_id: String,
    /// The base interpreter.
    pub python: PathBuf,
    /// The probed version.
    pub python_version: String,
    /// Primary or fallback.
    pub role: Role,
    /// Why it was built.
    pub reason: String,
    /// The operation that built it.
    pub operation: Operation,
    /// The caller's wheel status.
    pub wheel_status: String,
    /// The assessment id.
    pub assessment_id: Option<String>,
    /// The pins installed.
    pub pins: Vec<String>,
    /// When it was built (and verified).
    pub created_at: Timestamp,
    /// When it first became active; `None` means it never was (a leftover of an interrupted
    /// switch, removed by recovery, unless it is a standby).
    pub activated_at: Option<Timestamp>,
    /// Built to stand beside the active venv (by `bench`), not to replace it: recovery keeps
    /// it although it was never active (see the standby module).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub standby: bool,
}

/// The metadata file name inside an environment directory.
pub const ENV_META_FILE: &str = "wheelwatch-env.toml";

impl EnvMeta {
    /// Reads the metadata of the environment at `env_dir`; `None` if absent or unreadable
    /// (an environment without it never finished verification).
    pub fn load(env_dir: &Path) -> Option<Self> {
        let text = fs_err::read_to_string(env_dir.join(ENV_META_FILE)).ok()?;
        toml::from_str(&text).ok()
    }

    /// Writes the metadata atomically.
    pub fn save(&self, env_dir: &Path) -> Result<(), EnvError> {
        let path = env_dir.join(ENV_META_FILE);
        let text = toml::to_string_pretty(self).map_err(|e| EnvError::Parse {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        write_atomic(&path, text.as_bytes())
    }
}

/// Writes `bytes` atomically and durably (synced before the rename over `path`).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EnvError> {
    crate::util::fs::write_atomic(path, bytes, crate::util::fs::Durability::Synced)
        .map_err(|e| EnvError::io("write", path, e))
}

/// One line of `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened.
    pub ts: Timestamp,
    /// `fallback_started`, `fallback_succeeded`, `fallback_failed`, `promote_started`,
    /// `promoted`, `promote_failed`, `reset_started`, `reset`, `reset_failed`, `recovered`,
    /// `reconciled`, `orphans_killed`.
    pub event: String,
    /// The process that wrote it.
    pub pid: u32,
    /// The environment concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_id: Option<String>,
    /// The interpreter concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<PathBuf>,
    /// Its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_version: Option<String>,
    /// The role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The reason given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error, for `*_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A backup made by this event (migrated venv directory or reset archive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
    /// What was found and done, for `reconciled` and `orphans_killed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Event {
    /// An event named `event` now, with nothing else filled in.
    pub fn new(event: &str) -> Self {
        Self {
            ts: Timestamp::now(),
            event: event.to_string(),
            pid: std::process::id(),
            env_id: None,
            python: None,
            python_version: None,
            role: None,
            reason: None,
            error: None,
            backup: None,
            detail: None,
        }
    }
}

/// Appends `event` as one line to `path`: opened with `O_APPEND`, written with a single
/// `write_all` of the whole line (one `write(2)` for any line a regular file accepts whole), so
/// concurrent writers never interleave within a line and earlier lines are never touched.
pub fn append_event(path: &Path, event: &Event) -> Result<(), EnvError> {
    let mut line = serde_json::to_string(event).map_err(|e| EnvError::Parse {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    line.push('\n');
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| EnvError::io("open", path, e))?;
    f.write_all(line.as_bytes())
        .map_err(|e| EnvError::io("append to", path, e))
}

/// Reads every event of `path` (for tests and `status`-like commands); unreadable lines are
/// skipped.
pub fn read_events(path: &Path) -> Result<Vec<Event>, EnvError> {
    match fs_err::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(EnvError::io("read", path, e)),
    }
}
