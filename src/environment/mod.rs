//! Switching a project's virtual environment without ever leaving the user without one: the
//! machinery behind `fallback`, `promote` and `reset`. This module owns building, verifying and
//! swapping environments, the project's records under `.wheelwatch/`, locking and crash
//! recovery. It does not discover or choose interpreters (the caller passes a Python path and the
//! version it expects) and does not decide what to install (the caller passes exact pins).
//!
//! # Layout
//!
//! ```text
//! <project>/.venv                      -> symlink to .wheelwatch/envs/<id> (absolute target)
//! <project>/.wheelwatch/envs/<id>/     one environment per switch; never moved after creation;
//!                                      <id>/wheelwatch-env.toml is its own record
//! <project>/.wheelwatch/backups/venv-YYYYmmdd_HHMMSS   the user's original venv directory,
//!                                      moved aside at the first swap
//! <project>/.wheelwatch/backups/reset-YYYYmmdd_HHMMSS.tar.gz   reset archives
//! <project>/.wheelwatch/logs/          installer logs (`<env id>-install.log`)
//! <project>/.wheelwatch/state.toml     what was asked and what is active (see state)
//! <project>/.wheelwatch/env            key=value summary for CI
//! <project>/.wheelwatch/events.jsonl   append-only event log
//! <project>/.wheelwatch/lock           exclusive lock (holder pid, start, command inside)
//! <project>/.wheelwatch/children       process groups of running subprocesses (see process)
//! <project>/.wheelwatch/.gitignore     `*`: none of this belongs in version control
//! ```
//!
//! Previous environments, venv backups, reset archives and installer logs are each bounded by
//! `keep_backups` (the newest are kept; the active environment and the archive a reset just
//! wrote always are). A venv outside the project keeps its backup beside it
//! (`<venv>.backup.YYYYmmdd_HHMMSS`), since a rename cannot cross file systems; backups an
//! older wheelwatch left there for a venv inside the project are moved under `backups/` by
//! recovery. A switch also adds the venv path (without a trailing slash: a symlink is not a
//! directory to git) and `.wheelwatch/` to the project's `.gitignore` when it has one.
//!
//! Virtual environments are not relocatable (`bin/pip`'s shebang and `bin/activate` embed the
//! absolute creation path), so an environment is created in its final home under
//! `.wheelwatch/envs/` and the venv path the user knows is a symlink to it. A switch:
//!
//! 1. takes the lock, runs [`recover`] (finishes or undoes whatever a killed run left);
//! 2. creates `envs/<id>` with `<python> -m venv`, checks the new interpreter's version;
//! 3. installs exactly the pins (`--no-deps`, `--only-binary` for wheel-assessed pins);
//! 4. imports every top-level module of every installed distribution (see [`top_level_modules`] for which names);
//! 5. writes `envs/<id>/wheelwatch-env.toml` (the "ready" mark) and a staged symlink
//!    `<venv>.wheelwatch-swap` next to the venv path;
//! 6. swaps: when the venv path is already our symlink, `rename(2)` of the staged link over it
//!    (atomic: every observer sees the old or the new environment). When it is a real directory
//!    (the user's own venv) or a foreign symlink, the staged link and the venv path are
//!    exchanged in one step (Linux `renameat2(RENAME_EXCHANGE)`, through rustix), so the venv
//!    path always exists, and the user's venv, now at the staged name, is then moved to
//!    `backups/venv-<UTC time>`; a kill in between leaves it at the staged name and recovery
//!    finishes the move. Where the exchange is not supported, two renames (venv aside, staged
//!    link in) leave a window of microseconds in which the venv path does not exist; a process
//!    killed in it leaves the staged link behind, and the next run's [`recover`] sees "venv path
//!    missing, ready staged link present" and completes the swap;
//! 7. records state, env file and events, marks the environment activated, prunes backups.
//!
//! Any failure before step 6 removes the new environment and leaves the venv path untouched.
//! Directories are removed by first renaming them to `envs/.trash-*` (atomic), so a kill during
//! a removal never leaves a half-deleted environment that looks usable; recovery empties the
//! trash. An environment without an `activated_at` in its metadata that is not the venv path's
//! target is a leftover of an interrupted switch and is removed by recovery.
//!
//! Paths: the project root and venv path must not contain `"`, `$`, `` ` ``, `\` or newlines
//! (older `venv` activate scripts embed the path in a double-quoted shell string); spaces and
//! single quotes are fine. The venv path must be inside the project unless `allow_outside`.
//!
//! Fault injection: `WHEELWATCH_PAUSE_AT=<step>` prints `paused at <step>` to stderr and
//! sleeps at that step (`locked`, `created`, `installed`, `verified`, `staged`, `swapping` —
//! between the two renames of a migration, just before the rename otherwise — `swapped`,
//! `recorded`), so tests can SIGKILL the process there.
//!
//! # Reconciliation
//!
//! The environment the venv path points to carries its own record (`wheelwatch-env.toml`), and
//! that record, not `state.toml`, is the truth. Recovery (run by every operation under the
//! lock, and by [`reconcile`] for any command) compares the two: a state naming another
//! environment (a kill between the swap and the state write), a state naming an environment
//! while the venv path is a directory wheelwatch does not manage, or an env file that does not
//! match, is rewritten from the truth and logged as a `reconciled` event saying what differed.
//!
//! Events: `<op>_started`, then `fallback_succeeded` / `promoted` / `reset` or `<op>_failed`
//! with the error (credentials redacted); `recovered` when recovery completed a half-done swap
//! and recorded it; `reconciled` when the records disagreed with the venv; `orphans_killed`
//! when a killed run's subprocesses were still running.
//!
//! Children never outlive wheelwatch: see [the process module](process) (a supervisor with a
//! lifeline and a parent-death signal, a process group, and a reaper in the next run).
//! Installer `uv` is exercised by argv tests only (no uv on the test machine).
//!
//! # API
//!
//! - [`Project::new`]`(root, venv_path, allow_outside)`;
//! - [`plan_switch`]`(&Project, &SwitchRequest) -> SwitchPlan` (changes nothing);
//! - [`switch`]`(&Project, &SwitchRequest, &mut dyn FnMut(Step)) -> Result<SwitchOutcome>`;
//! - [`recover`]`(&Project) -> Result<RecoveryReport>`;
//! - [`plan_reset`] / [`reset()`](fn@reset) (see [the reset module](mod@reset));
//! - [`standby()`](fn@standby)`(&Project, &ProjectLock, &SwitchRequest, progress) -> Standby`:
//!   the environment a switch would build, found or built beside the venv and never swapped in
//!   (for `bench`; see [the standby module](mod@standby)).
//! - [`State::load`] / [`State::save`], [`append_event`], [`read_events`].

mod explain;
mod ignore;
mod install;
mod lock;
pub mod process;
pub(crate) mod reset;
mod standby;
mod state;
mod swap;
mod verify;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::printer::Printer;

pub use explain::explain_install_failure;
pub use ignore::{ensure_gitignore, gitignore_entries};
pub use install::{InstallIndex, Installer, Pin, redact_text};
pub use lock::{LockHolder, ProjectLock};
pub use process::{supervise, use_supervisor};
pub use reset::{ResetOutcome, ResetPlan, ResetRequest, plan_reset, reset};
pub use standby::{Standby, standby};
pub use state::{
    ActiveEnv, ENV_META_FILE, EnvMeta, Event, Requested, RequestedPython, State, append_event,
    env_file_contents, read_events, record_request,
};
pub(crate) use swap::inspect;
pub use swap::{
    RecoveryReport, SwitchOutcome, SwitchPlan, VenvKind, already_active, plan_switch, reconcile,
    recover, switch,
};
pub use verify::{ImportFailure, VerifyReport, top_level_modules};
pub(crate) use verify::{distribution_modules, probe};

/// A project whose environment wheelwatch manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project directory (absolute, symlinks resolved).
    pub root: PathBuf,
    /// The venv path the user and tools use (absolute; parent symlinks resolved).
    pub venv_path: PathBuf,
    /// `<root>/.wheelwatch`.
    pub state_dir: PathBuf,
    /// How long a second operation waits for the lock before failing.
    pub lock_timeout: Duration,
    /// Where to say, at once, who holds the lock when an operation has to wait for it
    /// (nothing when quiet).
    pub printer: Printer,
}

impl Project {
    /// A project at `root` (which must exist) with its venv at `venv_path` (relative paths are
    /// taken from `root`; its parent directory must exist). The venv path must be inside the
    /// project unless `allow_outside`, and never the project itself or inside `.wheelwatch`.
    pub fn new(root: &Path, venv_path: &Path, allow_outside: bool) -> Result<Self, EnvError> {
        let root = fs_err::canonicalize(root).map_err(|e| EnvError::io("open", root, e))?;
        let joined = root.join(venv_path);
        let name = joined
            .file_name()
            .filter(|n| *n != "." && *n != "..")
            .ok_or_else(|| EnvError::BadVenvPath {
                path: joined.clone(),
                why: "it does not end in a directory name".into(),
            })?
            .to_os_string();
        let parent = joined.parent().unwrap_or(&root);
        let parent = fs_err::canonicalize(parent).map_err(|e| EnvError::io("open", parent, e))?;
        let venv = parent.join(name);
        let state_dir = root.join(".wheelwatch");
        check_path_chars(&root)?;
        check_path_chars(&venv)?;
        if venv == root || venv.starts_with(&state_dir) {
            return Err(EnvError::BadVenvPath {
                path: venv,
                why: "it is the project itself or inside .wheelwatch".into(),
            });
        }
        if !allow_outside && !venv.starts_with(&root) {
            return Err(EnvError::OutsideProject { venv, root });
        }
        Ok(Self {
            root,
            venv_path: venv,
            state_dir,
            lock_timeout: Duration::from_mins(1),
            printer: Printer::default(),
        })
    }

    /// `<state_dir>/envs`.
    pub fn envs_dir(&self) -> PathBuf {
        self.state_dir.join("envs")
    }

    /// `<state_dir>/backups`.
    pub fn backups_dir(&self) -> PathBuf {
        self.state_dir.join("backups")
    }

    /// `<state_dir>/state.toml`.
    pub fn state_file(&self) -> PathBuf {
        self.state_dir.join("state.toml")
    }

    /// `<state_dir>/env`.
    pub fn env_file(&self) -> PathBuf {
        self.state_dir.join("env")
    }

    /// `<state_dir>/events.jsonl`.
    pub fn events_file(&self) -> PathBuf {
        self.state_dir.join("events.jsonl")
    }

    /// `<state_dir>/lock`.
    pub fn lock_file(&self) -> PathBuf {
        self.state_dir.join("lock")
    }

    /// `<state_dir>/logs`.
    pub fn logs_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }

    /// Takes the project's exclusive lock, waiting up to `lock_timeout`; when it has to wait it
    /// says so at once (holder, since when, how long it will wait) through `printer`.
    pub fn lock(&self) -> Result<ProjectLock, EnvError> {
        ProjectLock::acquire(
            &self.lock_file(),
            self.lock_timeout,
            &mut |holder, timeout| {
                self.printer.note(format_args!(
                    "waiting for {}: held by {holder}; waiting up to {}s (--wait SECONDS)",
                    self.lock_file().display(),
                    timeout.as_secs()
                ));
            },
        )
    }
}

fn check_path_chars(path: &Path) -> Result<(), EnvError> {
    let text = path.to_string_lossy();
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '"' | '$' | '`' | '\\' | '\n' | '\r'))
    {
        return Err(EnvError::BadVenvPath {
            path: path.to_path_buf(),
            why: format!(
                "it contains {c:?}, which venv activate scripts cannot quote; spaces and single quotes are fine"
            ),
        });
    }
    Ok(())
}

/// What an environment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The interpreter the project wants.
    Primary,
    /// An older interpreter used because the primary lacks wheels.
    Fallback,
}

/// The operation asking for a switch; names the events written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// `fallback_started` / `fallback_succeeded` / `fallback_failed`.
    Fallback,
    /// `promote_started` / `promoted` / `promote_failed`.
    Promote,
    /// `reset_started` / `reset` / `reset_failed`.
    Reset,
}

impl Operation {
    /// The event names: (started, succeeded, failed).
    pub fn events(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Operation::Fallback => ("fallback_started", "fallback_succeeded", "fallback_failed"),
            Operation::Promote => ("promote_started", "promoted", "promote_failed"),
            Operation::Reset => ("reset_started", "reset", "reset_failed"),
        }
    }
}

/// Everything a switch needs.
#[derive(Debug, Clone)]
pub struct SwitchRequest {
    /// What is being done (names the events).
    pub operation: Operation,
    /// The base interpreter for the new environment.
    pub python: PathBuf,
    /// The version expected of it (`3.12` or `3.12.1`); the new environment's interpreter must
    /// report a version with these leading components.
    pub python_version: String,
    /// The role of the new environment.
    pub role: Role,
    /// Why (recorded in state, env file and events).
    pub reason: String,
    /// The assessment behind the switch, if any.
    pub assessment_id: Option<String>,
    /// The wheel status to record (e.g. the check verdict).
    pub wheel_status: String,
    /// Exactly what to install.
    pub pins: Vec<Pin>,
    /// Index settings for the installer.
    pub index: InstallIndex,
    /// pip (default) or uv.
    pub installer: Installer,
    /// How many previous environments / venv backups to keep.
    pub keep_backups: usize,
    /// What the project asked for, recorded in the state as soon as the lock is held (even
    /// when the switch then fails).
    pub requested: Option<Requested>,
}

/// Progress of a switch, reported as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The lock is held and leftovers are cleaned.
    Locked,
    /// Creating the environment.
    Creating,
    /// Created; installing.
    Installing,
    /// Installed; importing everything.
    Verifying,
    /// Verified; swapping the venv path.
    Swapping,
    /// The venv path points at the new environment.
    Swapped,
    /// State, env file and events written; old backups pruned.
    Recorded,
}

/// Errors of environment operations; each names the file, path or command concerned.
#[derive(Debug, Error)]
pub enum EnvError {
    /// A filesystem operation failed.
    #[error("{}", crate::util::fs::io_message(&format!("could not {what} {}", path.display()), path, source))]
    Io {
        /// The operation.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The venv path is outside the project.
    #[error(
        "the venv path {} is outside the project {} (pass --allow-outside to manage it anyway)",
        venv.display(),
        root.display()
    )]
    OutsideProject {
        /// The venv path.
        venv: PathBuf,
        /// The project root.
        root: PathBuf,
    },
    /// The venv path cannot be used.
    #[error("cannot use {} as the venv path: {why}", path.display())]
    BadVenvPath {
        /// The path.
        path: PathBuf,
        /// Why not.
        why: String,
    },
    /// Another operation holds the lock.
    #[error(
        "another wheelwatch operation holds {}: {holder}; gave up after {waited_secs:.0}s (--wait SECONDS waits longer)",
        lock.display(),
    )]
    Locked {
        /// The lock file.
        lock: PathBuf,
        /// Who holds it, as far as the lock file says.
        holder: LockHolder,
        /// How long this process waited.
        waited_secs: f64,
    },
    /// A pin is malformed.
    #[error("invalid pin {0}")]
    InvalidPin(String),
    /// uv was asked for but is not available.
    #[error("the uv installer was requested but is not available: {0}")]
    UvNotFound(String),
    /// A program could not be started.
    #[error("could not run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A program ran past its deadline and was killed.
    #[error("`{command}` did not finish within {seconds}s and was stopped")]
    Timeout {
        /// The command (credentials redacted).
        command: String,
        /// The deadline.
        seconds: u64,
    },
    /// `python -m venv` failed.
    #[error("creating a virtual environment with {} failed: {detail}", python.display())]
    VenvCreate {
        /// The base interpreter.
        python: PathBuf,
        /// The end of its output.
        detail: String,
    },
    /// The new environment's interpreter could not be queried.
    #[error("could not query the interpreter {}: {detail}", python.display())]
    Probe {
        /// The interpreter.
        python: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The interpreter is not the version asked for.
    #[error("{} is Python {found}, not the {expected} asked for", python.display())]
    VersionMismatch {
        /// The interpreter.
        python: PathBuf,
        /// Asked for.
        expected: String,
        /// Found.
        found: String,
    },
    /// The installer failed.
    #[error("{installer} could not install the pinned set: {summary} (full log: {}){remedy}", log.display())]
    Install {
        /// pip or uv.
        installer: &'static str,
        /// The package and why, in one line (see [`explain_install_failure`]).
        summary: String,
        /// The issue catalog's entry and its short remedy, as `; remedy (id): …`, or empty.
        remedy: String,
        /// The installer's whole output.
        log: PathBuf,
    },
    /// Some modules did not import.
    #[error(
        "the new environment does not import: {}",
        failures.iter().map(|f| format!("{} ({}): {}", f.module, f.distribution, f.error)).collect::<Vec<_>>().join("; ")
    )]
    Verify {
        /// One entry per failing module.
        failures: Vec<ImportFailure>,
    },
    /// The verification script died before reporting.
    #[error("the import check with {} died before reporting: {detail}", python.display())]
    VerifyCrashed {
        /// The interpreter.
        python: PathBuf,
        /// The end of its output.
        detail: String,
    },
    /// A record file is unreadable or unwritable as data.
    #[error("{}: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Writing the reset archive failed.
    #[error("could not archive {} into {}: {source}", what.display(), archive.display())]
    Archive {
        /// What was being archived.
        what: PathBuf,
        /// The archive.
        archive: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl EnvError {
    pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The fault-injection hook: with `WHEELWATCH_PAUSE_AT=<step>`, announce and sleep forever.
pub(crate) fn pause_point(step: &str) {
    if std::env::var_os("WHEELWATCH_PAUSE_AT").is_some_and(|v| v == step) {
        Printer::default().note(format_args!("paused at {step}"));
        loop {
            std::thread::sleep(Duration::from_hours(1));
        }
    }
}
