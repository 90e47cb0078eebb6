//! Build, verify, swap, record, prune — and recovery from a run that was killed at any point of
//! that. See the parent module's doc for the protocol and its one documented window.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use jiff::Timestamp;

use super::install;
use super::process;
use super::state::{self, ActiveEnv, EnvMeta, Event, State, append_event, write_atomic};
use super::verify::{self, VerifyReport};
use super::{EnvError, Project, Step, SwitchRequest, pause_point};
use super::{explain, ignore};
use crate::util::fs::same_file;

/// What the venv path currently is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VenvKind {
    /// Nothing there.
    Missing,
    /// Our symlink to an environment under `.wheelwatch/envs/`.
    Managed {
        /// The environment it points at.
        env_dir: PathBuf,
    },
    /// A real directory: the user's own venv, moved aside at the first swap.
    RealDir,
    /// A symlink that is not ours; the link itself is moved aside at the first swap.
    ForeignLink {
        /// Where it points.
        target: PathBuf,
    },
    /// A regular file or something else that is not a venv: refused.
    NotADirectory,
}

/// What a switch would do; computing it changes nothing.
#[derive(Debug, Clone)]
pub struct SwitchPlan {
    /// The venv path.
    pub venv_path: PathBuf,
    /// What is there now.
    pub venv_kind: VenvKind,
    /// The environment directory a switch started now would create.
    pub env_dir: PathBuf,
    /// Where the current venv directory (or foreign link) would be moved aside to.
    pub migration_backup: Option<PathBuf>,
    /// The environment creation command.
    pub create_command: String,
    /// The install command (credentials redacted; the interpreter is the new environment's).
    pub install_command: String,
    /// Backups that would be removed afterwards to honour `keep_backups`.
    pub prune: Vec<PathBuf>,
    /// Reasons the switch would fail before building anything.
    pub problems: Vec<String>,
}

/// What a successful switch did.
#[derive(Debug, Clone)]
pub struct SwitchOutcome {
    /// The new environment's id.
    pub env_id: String,
    /// Its directory.
    pub env_dir: PathBuf,
    /// The venv path, now a symlink to `env_dir`.
    pub venv_path: PathBuf,
    /// The version its interpreter reported.
    pub python_version: String,
    /// The environment that was active before, if it was ours (kept as a backup).
    pub previous_env: Option<PathBuf>,
    /// Where the user's own venv directory (or foreign link) was moved to, at a migration.
    pub migration_backup: Option<PathBuf>,
    /// What the import check covered.
    pub verified: VerifyReport,
    /// Backups removed to honour `keep_backups`.
    pub pruned: Vec<PathBuf>,
    /// What recovery found before starting.
    pub recovery: RecoveryReport,
}

/// What [`recover`] found and fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// A half-done swap that was completed: the environment now at the venv path.
    pub completed_swap: Option<PathBuf>,
    /// A staged symlink left from an interrupted swap that was removed.
    pub removed_staged_link: bool,
    /// Never-activated environments (interrupted builds) removed.
    pub removed_staging: Vec<PathBuf>,
    /// Half-removed directories (trash) finished off.
    pub removed_trash: Vec<PathBuf>,
    /// The records were brought up to date with the venv path (a run died after swapping).
    pub state_repaired: bool,
    /// What the records said that the venv path contradicted, when they were rewritten.
    pub reconciled: Option<String>,
    /// Processes a killed run left running, killed.
    pub killed_orphans: Vec<u32>,
    /// Backups an older wheelwatch left beside the venv, moved under `.wheelwatch/backups/`.
    pub moved_backups: Vec<PathBuf>,
    /// Things recovery would not fix on its own.
    pub warnings: Vec<String>,
}

impl RecoveryReport {
    /// Nothing was found.
    pub fn is_clean(&self) -> bool {
        *self == Self::default()
    }
}

/// Looks at the venv path without following it.
pub(crate) fn inspect(project: &Project) -> Result<VenvKind, EnvError> {
    let venv = &project.venv_path;
    match fs_err::symlink_metadata(venv) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(VenvKind::Missing),
        Err(e) => Err(EnvError::io("inspect", venv, e)),
        Ok(m) if m.file_type().is_symlink() => {
            let target = absolute_link_target(venv)?;
            if target.parent() == Some(project.envs_dir().as_path()) {
                Ok(VenvKind::Managed { env_dir: target })
            } else {
                Ok(VenvKind::ForeignLink { target })
            }
        }
        Ok(m) if m.is_dir() => Ok(VenvKind::RealDir),
        Ok(_) => Ok(VenvKind::NotADirectory),
    }
}

fn absolute_link_target(link: &Path) -> Result<PathBuf, EnvError> {
    let target = fs_err::read_link(link).map_err(|e| EnvError::io("read the link", link, e))?;
    Ok(if target.is_relative() {
        link.parent().unwrap_or(Path::new("/")).join(target)
    } else {
        target
    })
}

fn staged_link(project: &Project) -> PathBuf {
    sibling(&project.venv_path, ".wheelwatch-swap")
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The name prefix of the venv's timestamped backups (`.venv.backup.`).
pub(crate) fn backup_prefix(project: &Project) -> String {
    format!(
        "{}.backup.",
        project
            .venv_path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
    )
}

const TRASH_SUFFIX: &str = ".wheelwatch-trash";

/// The name prefix of venv backups under `.wheelwatch/backups/`.
const VENV_BACKUP_PREFIX: &str = "venv-";

/// A not-yet-existing `.wheelwatch/backups/venv-YYYYmmdd_HHMMSS[_n]` for a venv inside the
/// project, `<venv>.backup.YYYYmmdd_HHMMSS[_n]` beside one outside it (a rename cannot cross
/// file systems).
fn migration_backup_path(project: &Project, now: Timestamp) -> PathBuf {
    let stamp = now.strftime("%Y%m%d_%H%M%S").to_string();
    if project.venv_path.starts_with(&project.root) {
        unique(
            &project.backups_dir(),
            &format!("{VENV_BACKUP_PREFIX}{stamp}"),
        )
    } else {
        beside_backup_path(project, &stamp)
    }
}

fn beside_backup_path(project: &Project, stamp: &str) -> PathBuf {
    let parent = project.venv_path.parent().unwrap_or(Path::new("/"));
    unique(parent, &format!("{}{stamp}", backup_prefix(project)))
}

fn unique(dir: &Path, base: &str) -> PathBuf {
    let mut candidate = dir.join(base);
    let mut n = 2;
    while fs_err::symlink_metadata(&candidate).is_ok() {
        candidate = dir.join(format!("{base}_{n}"));
        n += 1;
    }
    candidate
}

fn env_id_base(req: &SwitchRequest, now: Timestamp) -> String {
    let version: String = req
        .python_version
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let role = match req.role {
        super::Role::Primary => "primary",
        super::Role::Fallback => "fallback",
    };
    format!("{}-py{version}-{role}", now.strftime("%Y%m%dT%H%M%SZ"))
}

/// Creates and claims a fresh environment directory.
pub(super) fn claim_env_dir(
    project: &Project,
    req: &SwitchRequest,
) -> Result<(String, PathBuf), EnvError> {
    let envs = project.envs_dir();
    fs_err::create_dir_all(&envs).map_err(|e| EnvError::io("create", &envs, e))?;
    let base = env_id_base(req, Timestamp::now());
    let mut id = base.clone();
    let mut n = 2;
    loop {
        let dir = envs.join(&id);
        match fs_err::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                id = format!("{base}-{n}");
                n += 1;
            }
            Err(e) => return Err(EnvError::io("create", &dir, e)),
        }
    }
}

fn create_command(python: &Path, env_dir: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "venv"]).arg(env_dir);
    cmd
}

/// The active environment when it already is what `req` would build: the same role, an
/// interpreter of the same version at the same path, and exactly the same pins, with the venv
/// still pointing at it. A switch to it would rebuild what is there, so callers say so and do
/// nothing instead.
pub fn already_active(
    project: &Project,
    req: &SwitchRequest,
) -> Result<Option<ActiveEnv>, EnvError> {
    let state = State::load(&project.state_file())?;
    let Some(active) = state.active else {
        return Ok(None);
    };
    let same_python = same_file(&active.python, &req.python);
    if active.role != req.role || !same_python || active.python_version != req.python_version {
        return Ok(None);
    }
    let points_there = same_file(&project.venv_path, &active.env_dir);
    let pins: Vec<String> = req.pins.iter().map(ToString::to_string).collect();
    let same_pins = EnvMeta::load(&active.env_dir).is_some_and(|meta| meta.pins == pins);
    Ok((points_there && same_pins).then_some(active))
}

/// What [`switch`] would do, without doing it.
pub fn plan_switch(project: &Project, req: &SwitchRequest) -> Result<SwitchPlan, EnvError> {
    let kind = inspect(project)?;
    let mut problems = Vec::new();
    if kind == VenvKind::NotADirectory {
        problems.push(format!(
            "{} exists and is not a directory or symlink",
            project.venv_path.display()
        ));
    }
    let uv = match req.installer.resolve() {
        Ok(uv) => uv,
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    if !req.python.exists() {
        problems.push(format!("{} does not exist", req.python.display()));
    }
    let env_dir = project.envs_dir().join(env_id_base(req, Timestamp::now()));
    let env_python = env_dir.join("bin").join("python");
    let migration_backup = matches!(kind, VenvKind::RealDir | VenvKind::ForeignLink { .. })
        .then(|| migration_backup_path(project, Timestamp::now()));
    let mut candidates: Vec<PathBuf> = migration_backup.iter().cloned().collect();
    candidates.extend(list_backups(project, None)?);
    let prune = candidates.into_iter().skip(req.keep_backups).collect();
    Ok(SwitchPlan {
        venv_path: project.venv_path.clone(),
        venv_kind: kind,
        create_command: process::display(&create_command(&req.python, &env_dir)),
        install_command: process::display(&install::install_command(
            &env_python,
            uv.as_deref(),
            &req.pins,
            &req.index,
        )),
        env_dir,
        migration_backup,
        prune,
        problems,
    })
}

/// Builds, verifies and activates a new environment for `req`; see the module doc. On any error
/// before the swap the venv path is untouched and the new environment is gone.
pub fn switch(
    project: &Project,
    req: &SwitchRequest,
    progress: &mut dyn FnMut(Step),
) -> Result<SwitchOutcome, EnvError> {
    let lock = project.lock()?;
    let outcome = switch_locked(project, req, progress);
    drop(lock);
    outcome
}

/// [`switch`] with the lock already held by the caller (used by reset).
pub(crate) fn switch_locked(
    project: &Project,
    req: &SwitchRequest,
    progress: &mut dyn FnMut(Step),
) -> Result<SwitchOutcome, EnvError> {
    let recovery = recover_locked(project)?;
    let ignore = project.state_dir.join(".gitignore");
    if !ignore.exists() {
        // Environments hold absolute paths and whole venvs: never for version control.
        write_atomic(
            &ignore,
            b"# written by wheelwatch: nothing here belongs in git\n*\n",
        )?;
    }
    match ignore::ensure_gitignore(&project.root, &project.venv_path, false) {
        Ok(added) if !added.is_empty() => {
            tracing::info!("added {} to .gitignore", added.join(", "));
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("{e}"),
    }
    if let Some(requested) = &req.requested {
        let path = project.state_file();
        let mut state = State::load(&path)?;
        if state.requested.as_ref() != Some(requested) {
            state.requested = Some(requested.clone());
            state.updated_at = Some(Timestamp::now());
            state.save(&path)?;
        }
    }
    progress(Step::Locked);
    pause_point("locked");
    let (started, succeeded, failed) = req.operation.events();
    let mut event = Event::new(started);
    event.python = Some(req.python.clone());
    event.python_version = Some(req.python_version.clone());
    event.role = Some(req.role);
    event.reason = Some(req.reason.clone());
    append_event(&project.events_file(), &event)?;

    let fail = |err: EnvError| -> EnvError {
        let mut ev = Event::new(failed);
        ev.python = Some(req.python.clone());
        ev.python_version = Some(req.python_version.clone());
        ev.role = Some(req.role);
        ev.reason = Some(req.reason.clone());
        ev.error = Some(install::redact_text(&err.to_string()));
        if let Err(e) = append_event(&project.events_file(), &ev) {
            tracing::warn!("{e}");
        }
        err
    };

    let kind = inspect(project).map_err(fail)?;
    if kind == VenvKind::NotADirectory {
        return Err(fail(EnvError::BadVenvPath {
            path: project.venv_path.clone(),
            why: "it exists and is not a directory or symlink".into(),
        }));
    }
    let uv = req.installer.resolve().map_err(fail)?;

    let (env_id, env_dir) = claim_env_dir(project, req).map_err(fail)?;
    let built = build(project, req, uv.as_deref(), &env_id, &env_dir, progress)
        .and_then(|built| stage(project, &env_dir).map(|()| built));
    let (meta, verified) = match built {
        Ok(ok) => ok,
        Err(err) => {
            remove_dir_via_trash(project, &env_dir);
            let _ = fs_err::remove_file(staged_link(project));
            return Err(fail(err));
        }
    };

    progress(Step::Swapping);
    let migration_backup = match do_swap(project, &kind, &env_dir) {
        Ok(b) => b,
        Err(err) => {
            remove_dir_via_trash(project, &env_dir);
            let _ = fs_err::remove_file(staged_link(project));
            return Err(fail(err));
        }
    };
    progress(Step::Swapped);
    pause_point("swapped");

    record_activation(
        project,
        meta.clone(),
        &env_dir,
        succeeded,
        migration_backup.clone(),
        None,
    )?;
    pause_point("recorded");
    let pruned = prune(project, &env_dir, req.keep_backups, None)?;
    progress(Step::Recorded);
    Ok(SwitchOutcome {
        env_id,
        env_dir,
        venv_path: project.venv_path.clone(),
        python_version: meta.python_version,
        previous_env: match kind {
            VenvKind::Managed { env_dir } => Some(env_dir),
            _ => None,
        },
        migration_backup,
        verified,
        pruned,
        recovery,
    })
}

/// Creates, installs, verifies; writes the ready mark (the environment's record).
pub(super) fn build(
    project: &Project,
    req: &SwitchRequest,
    uv: Option<&Path>,
    env_id: &str,
    env_dir: &Path,
    progress: &mut dyn FnMut(Step),
) -> Result<(EnvMeta, VerifyReport), EnvError> {
    progress(Step::Creating);
    let out = process::run(
        project,
        &mut create_command(&req.python, env_dir),
        Duration::from_mins(10),
        None,
    )?;
    if !out.success() {
        return Err(EnvError::VenvCreate {
            python: req.python.clone(),
            detail: out.tail(5),
        });
    }
    let env_python = env_dir.join("bin").join("python");
    let probe = verify::probe(project, &env_python)?;
    if Path::new(&probe.prefix) == Path::new(&probe.base_prefix) {
        return Err(EnvError::Probe {
            python: env_python,
            detail: "it does not run as a virtual environment".into(),
        });
    }
    if !version_matches(&req.python_version, &probe.version) {
        return Err(EnvError::VersionMismatch {
            python: req.python.clone(),
            expected: req.python_version.clone(),
            found: probe.version,
        });
    }
    pause_point("created");

    progress(Step::Installing);
    if !req.pins.is_empty() {
        let mut cmd = install::install_command(&env_python, uv, &req.pins, &req.index);
        cmd.current_dir(env_dir);
        let log = project.logs_dir().join(format!("{env_id}-install.log"));
        let out = process::run(project, &mut cmd, Duration::from_hours(1), Some(&log))?;
        if !out.success() {
            let summary = explain::explain_install_failure(&out.stderr, &req.pins, &probe.version);
            let remedy = crate::catalog::installer::diagnose(&out.stderr)
                .and_then(|d| crate::report::phrases::remedy_hint(Some(d.issue)))
                .map_or_else(String::new, |hint| {
                    format!("; {hint} (`wheelwatch explain {}`)", log.display())
                });
            return Err(EnvError::Install {
                installer: req.installer.name(),
                summary,
                remedy,
                log,
            });
        }
    }
    pause_point("installed");

    progress(Step::Verifying);
    let verified = verify::verify(
        project,
        &env_python,
        &[probe.purelib.clone(), probe.platlib.clone()],
        env_dir,
    )?;
    let meta = EnvMeta {
        env_id: env_id.to_string(),
        python: req.python.clone(),
        python_version: probe.version,
        role: req.role,
        reason: req.reason.clone(),
        operation: req.operation,
        wheel_status: req.wheel_status.clone(),
        assessment_id: req.assessment_id.clone(),
        pins: req.pins.iter().map(ToString::to_string).collect(),
        created_at: Timestamp::now(),
        activated_at: None,
        standby: false,
    };
    meta.save(env_dir)?;
    pause_point("verified");
    Ok((meta, verified))
}

/// Writes the staged symlink `<venv>.wheelwatch-swap` to `env_dir`, ready for the swap.
fn stage(project: &Project, env_dir: &Path) -> Result<(), EnvError> {
    let staged = staged_link(project);
    let _ = fs_err::remove_file(&staged);
    fs_err::os::unix::fs::symlink(env_dir, &staged)
        .map_err(|e| EnvError::io("create the symlink", &staged, e))?;
    pause_point("staged");
    Ok(())
}

pub(super) fn version_matches(expected: &str, found: &str) -> bool {
    let found: Vec<&str> = found.split('.').collect();
    let expected: Vec<&str> = expected.trim().split('.').collect();
    expected.len() <= found.len() && expected.iter().zip(&found).all(|(a, b)| a == b)
}

/// The swap proper. Returns the migration backup path when the venv path was a real directory
/// or a foreign link.
fn do_swap(
    project: &Project,
    kind: &VenvKind,
    env_dir: &Path,
) -> Result<Option<PathBuf>, EnvError> {
    let venv = &project.venv_path;
    let staged = staged_link(project);
    let parent = venv.parent().unwrap_or(Path::new("/"));
    let backup = match kind {
        VenvKind::RealDir | VenvKind::ForeignLink { .. } => {
            let now = Timestamp::now();
            let mut backup = migration_backup_path(project, now);
            if let Some(dir) = backup.parent() {
                fs_err::create_dir_all(dir).map_err(|e| EnvError::io("create", dir, e))?;
            }
            if exchange(&staged, venv)? {
                // `venv` is the new environment's link now, in one step; the user's venv sits
                // at the staged name until it is moved aside (recovery does that after a kill).
                pause_point("swapping");
                sync_dir(parent);
                let backup = move_aside(project, &staged, now)?;
                tracing::info!("{} now points at {}", venv.display(), env_dir.display());
                return Ok(Some(backup));
            }
            if let Err(e) = fs_err::rename(venv, &backup) {
                if e.kind() != std::io::ErrorKind::CrossesDevices {
                    return Err(EnvError::io("move aside", venv, e));
                }
                // The venv is a mount point or on another file system: keep it beside.
                backup = beside_backup_path(project, &now.strftime("%Y%m%d_%H%M%S").to_string());
                fs_err::rename(venv, &backup).map_err(|e| EnvError::io("move aside", venv, e))?;
            }
            pause_point("swapping");
            if let Err(e) = fs_err::rename(&staged, venv) {
                // Put the user's venv back before reporting.
                let _ = fs_err::rename(&backup, venv);
                return Err(EnvError::io("swap in", venv, e));
            }
            Some(backup)
        }
        VenvKind::Missing | VenvKind::Managed { .. } => {
            pause_point("swapping");
            fs_err::rename(&staged, venv).map_err(|e| EnvError::io("swap in", venv, e))?;
            None
        }
        VenvKind::NotADirectory => {
            return Err(EnvError::BadVenvPath {
                path: venv.clone(),
                why: "it exists and is not a directory or symlink".into(),
            });
        }
    };
    sync_dir(parent);
    tracing::info!("{} now points at {}", venv.display(), env_dir.display());
    Ok(backup)
}

/// Swaps the two paths in one step (`renameat2(RENAME_EXCHANGE)`); `false` when this system or
/// file system cannot, so the caller falls back to two renames.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool, EnvError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => Ok(false),
        Err(e) => Err(EnvError::io("swap in", b, e.into())),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> Result<bool, EnvError> {
    Ok(false)
}

/// Moves the user's former venv (now at `from`) to its backup path.
fn move_aside(project: &Project, from: &Path, now: Timestamp) -> Result<PathBuf, EnvError> {
    let backup = migration_backup_path(project, now);
    match fs_err::rename(from, &backup) {
        Ok(()) => Ok(backup),
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
            let beside = beside_backup_path(project, &now.strftime("%Y%m%d_%H%M%S").to_string());
            fs_err::rename(from, &beside).map_err(|e| EnvError::io("move aside", from, e))?;
            Ok(beside)
        }
        Err(e) => Err(EnvError::io("move aside", from, e)),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = fs_err::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Marks `env_dir` activated and writes state, env file and the success event.
fn record_activation(
    project: &Project,
    mut meta: EnvMeta,
    env_dir: &Path,
    event_name: &str,
    backup: Option<PathBuf>,
    detail: Option<String>,
) -> Result<(), EnvError> {
    let now = Timestamp::now();
    let activated_at = *meta.activated_at.get_or_insert(now);
    meta.save(env_dir)?;
    let active = ActiveEnv {
        env_id: meta.env_id.clone(),
        env_dir: env_dir.to_path_buf(),
        venv_path: project.venv_path.clone(),
        python: meta.python.clone(),
        python_version: meta.python_version.clone(),
        role: meta.role,
        reason: meta.reason.clone(),
        operation: meta.operation,
        wheel_status: meta.wheel_status.clone(),
        assessment_id: meta.assessment_id.clone(),
        created_at: meta.created_at,
        activated_at,
    };
    let mut state = State::load(&project.state_file()).unwrap_or_default();
    state.active = Some(active.clone());
    state.updated_at = Some(now);
    state.save(&project.state_file())?;
    write_atomic(
        &project.env_file(),
        state::env_file_contents(&active).as_bytes(),
    )?;
    let mut ev = Event::new(event_name);
    ev.env_id = Some(meta.env_id);
    ev.python = Some(meta.python);
    ev.python_version = Some(meta.python_version);
    ev.role = Some(meta.role);
    ev.reason = Some(meta.reason);
    ev.backup = backup;
    ev.detail = detail;
    append_event(&project.events_file(), &ev)
}

/// Backups, newest first: previously active environments (not `exclude`) and
/// `<venv>.backup.*` entries.
fn list_backups(project: &Project, exclude: Option<&Path>) -> Result<Vec<PathBuf>, EnvError> {
    let mut found: Vec<(String, u8, PathBuf)> = Vec::new();
    let envs = project.envs_dir();
    if let Ok(entries) = fs_err::read_dir(&envs) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if Some(path.as_path()) == exclude || is_hidden(&path) {
                continue;
            }
            if let Some(at) = EnvMeta::load(&path).and_then(|m| m.activated_at) {
                found.push((at.strftime("%Y%m%d_%H%M%S").to_string(), 1, path));
            }
        }
    }
    if let Ok(entries) = fs_err::read_dir(project.backups_dir()) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stamp) = name.strip_prefix(VENV_BACKUP_PREFIX) {
                found.push((stamp.to_string(), 0, entry.path()));
            }
        }
    }
    for (stamp, path) in beside_backups(project)? {
        found.push((stamp, 0, path));
    }
    found.sort();
    found.reverse();
    Ok(found.into_iter().map(|(_, _, p)| p).collect())
}

/// `<venv>.backup.<stamp>` entries beside the venv: `(stamp, path)`.
fn beside_backups(project: &Project) -> Result<Vec<(String, PathBuf)>, EnvError> {
    let prefix = backup_prefix(project);
    let parent = project.venv_path.parent().unwrap_or(Path::new("/"));
    let entries = fs_err::read_dir(parent).map_err(|e| EnvError::io("read", parent, e))?;
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stamp) = name.strip_prefix(&prefix)
            && !name.ends_with(TRASH_SUFFIX)
        {
            found.push((stamp.to_string(), entry.path()));
        }
    }
    Ok(found)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Removes backups beyond the newest `keep` (never the active environment), reset archives
/// beyond the newest `keep` (never `keep_archive`) and installer logs beyond the newest `keep`
/// (never the active environment's).
pub(crate) fn prune(
    project: &Project,
    active: &Path,
    keep: usize,
    keep_archive: Option<&Path>,
) -> Result<Vec<PathBuf>, EnvError> {
    let mut pruned = Vec::new();
    for path in list_backups(project, Some(active))?.into_iter().skip(keep) {
        remove_dir_via_trash(project, &path);
        pruned.push(path);
    }
    let mut archives = files_named(&project.backups_dir(), "reset-", ".tar.gz");
    archives.retain(|p| Some(p.as_path()) != keep_archive);
    let keep_archives = keep.saturating_sub(usize::from(keep_archive.is_some()));
    for path in archives.into_iter().skip(keep_archives) {
        match fs_err::remove_file(&path) {
            Ok(()) => pruned.push(path),
            Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
        }
    }
    let active_log = format!(
        "{}-",
        active.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut logs = files_named(&project.logs_dir(), "", ".log");
    logs.retain(|p| {
        !p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(&active_log))
    });
    for path in logs.into_iter().skip(keep) {
        if fs_err::remove_file(&path).is_ok() {
            pruned.push(path);
        }
    }
    Ok(pruned)
}

/// Files in `dir` named `<prefix>…<suffix>`, newest name first (names start with a UTC time).
fn files_named(dir: &Path, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<(String, PathBuf)> = fs_err::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name.starts_with(prefix) && name.ends_with(suffix)).then(|| (name, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.reverse();
    found.into_iter().map(|(_, p)| p).collect()
}

/// Renames `dir` to a trash name (atomic), then deletes it. A kill during the deletion leaves
/// only trash, which recovery finishes off. Failures are logged, not fatal.
pub(super) fn remove_dir_via_trash(project: &Project, dir: &Path) {
    let trash = if dir.starts_with(&project.state_dir) {
        project.envs_dir().join(format!(
            ".trash-{}",
            dir.file_name().unwrap_or_default().to_string_lossy()
        ))
    } else {
        sibling(dir, TRASH_SUFFIX)
    };
    if let Err(e) = fs_err::rename(dir, &trash) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("could not remove {}: {e}", dir.display());
        }
        return;
    }
    remove_tree(&trash);
}

fn remove_tree(path: &Path) {
    let result = match fs_err::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs_err::remove_dir_all(path),
        Ok(_) => fs_err::remove_file(path),
        Err(_) => return,
    };
    if let Err(e) = result {
        tracing::warn!("could not remove {}: {e}", path.display());
    }
}

/// Finishes or undoes whatever an interrupted operation left: kills its leftover processes,
/// completes a half swap, removes stale staged links, never-activated environments and trash,
/// moves old-style backups under `.wheelwatch/backups/`, and reconciles the records with the
/// venv path. Takes the project lock.
pub fn recover(project: &Project) -> Result<RecoveryReport, EnvError> {
    let _lock = project.lock()?;
    recover_locked(project)
}

/// For every command, not only the ones that switch: when the records under `.wheelwatch/`
/// disagree with the venv path, or a killed run left something behind, runs [`recover`]. Takes
/// the lock only when there is something to repair, and then without waiting: when another
/// operation holds it, that operation recovers and this returns an empty report. A project
/// without `.wheelwatch/` is left alone.
pub fn reconcile(project: &Project) -> Result<RecoveryReport, EnvError> {
    if !project.state_dir.is_dir() || !needs_recovery(project)? {
        return Ok(RecoveryReport::default());
    }
    let mut quick = project.clone();
    quick.lock_timeout = Duration::ZERO;
    quick.printer = crate::printer::Printer::silent();
    match quick.lock() {
        Ok(_lock) => recover_locked(project),
        Err(EnvError::Locked { .. }) => Ok(RecoveryReport::default()),
        Err(e) => Err(e),
    }
}

/// Whether [`recover_locked`] would change anything (cheap: no subprocess, no lock).
fn needs_recovery(project: &Project) -> Result<bool, EnvError> {
    if fs_err::symlink_metadata(staged_link(project)).is_ok()
        || project.state_dir.join("children").exists()
        || !beside_backups(project)?.is_empty() && project.venv_path.starts_with(&project.root)
    {
        return Ok(true);
    }
    let state = State::load(&project.state_file())?;
    Ok(records_disagree(project, &state, &inspect(project)?).is_some())
}

/// What the records say that the venv path contradicts, if anything.
fn records_disagree(project: &Project, state: &State, kind: &VenvKind) -> Option<String> {
    let venv = project.venv_path.display();
    match (kind, &state.active) {
        (VenvKind::Managed { env_dir }, recorded) => {
            let meta = EnvMeta::load(env_dir)?;
            let truth = format!(
                "{venv} runs {} (Python {})",
                meta.env_id, meta.python_version
            );
            match recorded {
                None => Some(format!("state.toml named no environment but {truth}")),
                Some(a) if a.env_id != meta.env_id => Some(format!(
                    "state.toml named {} (Python {}) but {truth}",
                    a.env_id, a.python_version
                )),
                Some(_) if meta.activated_at.is_none() => {
                    Some(format!("{truth}, which was never marked active"))
                }
                Some(a) => {
                    let env = fs_err::read_to_string(project.env_file()).unwrap_or_default();
                    (env != state::env_file_contents(a)).then(|| {
                        format!(
                            "{} does not describe {}",
                            project.env_file().display(),
                            a.env_id
                        )
                    })
                }
            }
        }
        (_, Some(a)) => Some(format!(
            "state.toml named {} (Python {}) but {venv} {}",
            a.env_id,
            a.python_version,
            match kind {
                VenvKind::Missing => "does not exist".to_string(),
                VenvKind::RealDir => "is a directory wheelwatch does not manage".to_string(),
                VenvKind::ForeignLink { target } => format!(
                    "points to {}, which wheelwatch does not manage",
                    target.display()
                ),
                _ => "is not a directory".to_string(),
            }
        )),
        (_, None) => project.env_file().exists().then(|| {
            format!(
                "{} describes an environment {venv} is not",
                project.env_file().display()
            )
        }),
    }
}

pub(crate) fn recover_locked(project: &Project) -> Result<RecoveryReport, EnvError> {
    let mut report = RecoveryReport {
        killed_orphans: process::reap_orphans(project),
        ..RecoveryReport::default()
    };
    if !report.killed_orphans.is_empty() {
        let mut ev = Event::new("orphans_killed");
        ev.detail = Some(format!(
            "killed processes an interrupted operation left running: {}",
            report
                .killed_orphans
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        append_event(&project.events_file(), &ev)?;
    }
    let venv = &project.venv_path;
    let staged = staged_link(project);
    let venv_exists = fs_err::symlink_metadata(venv).is_ok();
    let staged_meta = fs_err::symlink_metadata(&staged).ok();
    let staged_is_ours = staged_meta
        .as_ref()
        .is_some_and(|m| m.file_type().is_symlink())
        && absolute_link_target(&staged)?.parent() == Some(project.envs_dir().as_path());
    if staged_meta.is_some() && !staged_is_ours {
        // Killed between the exchange and moving the user's venv aside: finish the move.
        let moved = move_aside(project, &staged, Timestamp::now());
        match moved {
            Ok(to) => report.moved_backups.push(to),
            Err(e) => report.warnings.push(e.to_string()),
        }
    } else if staged_meta.is_some() {
        let target = absolute_link_target(&staged)?;
        let ready = EnvMeta::load(&target).is_some();
        if !venv_exists && ready {
            fs_err::rename(&staged, venv).map_err(|e| EnvError::io("swap in", venv, e))?;
            sync_dir(venv.parent().unwrap_or(Path::new("/")));
            report.completed_swap = Some(target);
        } else {
            fs_err::remove_file(&staged)
                .map_err(|e| EnvError::io("remove the stale link", &staged, e))?;
            report.removed_staged_link = true;
        }
    }
    let kind = inspect(project)?;
    let active = match &kind {
        VenvKind::Managed { env_dir } => Some(env_dir.clone()),
        VenvKind::Missing => {
            if let Some(b) = list_backups(project, None)?.first() {
                report.warnings.push(format!(
                    "{} does not exist; the newest backup is {}",
                    venv.display(),
                    b.display()
                ));
            }
            None
        }
        _ => None,
    };

    let envs = project.envs_dir();
    if let Ok(entries) = fs_err::read_dir(&envs) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".trash-") {
                remove_tree(&path);
                report.removed_trash.push(path);
            } else if Some(&path) != active.as_ref()
                && EnvMeta::load(&path).is_none_or(|m| m.activated_at.is_none() && !m.standby)
            {
                remove_dir_via_trash(project, &path);
                report.removed_staging.push(path);
            }
        }
    }
    let parent = venv.parent().unwrap_or(Path::new("/"));
    let prefix = backup_prefix(project);
    if let Ok(entries) = fs_err::read_dir(parent) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && name.ends_with(TRASH_SUFFIX) {
                remove_tree(&entry.path());
                report.removed_trash.push(entry.path());
            }
        }
    }
    // Backups an older wheelwatch kept beside a venv inside the project belong under
    // .wheelwatch/backups/, out of the user's tree and of `git status`.
    if project.venv_path.starts_with(&project.root) {
        for (stamp, path) in beside_backups(project)? {
            let to = unique(
                &project.backups_dir(),
                &format!("{VENV_BACKUP_PREFIX}{stamp}"),
            );
            let moved = fs_err::create_dir_all(project.backups_dir())
                .and_then(|()| fs_err::rename(&path, &to));
            match moved {
                Ok(()) => report.moved_backups.push(to),
                Err(e) => report
                    .warnings
                    .push(format!("could not move {}: {e}", path.display())),
            }
        }
    }

    let state = State::load(&project.state_file())?;
    if let Some(detail) = records_disagree(project, &state, &kind) {
        match (&active, active.as_deref().and_then(EnvMeta::load)) {
            (Some(env_dir), Some(meta)) => {
                // A completed swap is "recovered"; records that were merely wrong are "reconciled".
                let name = if report.completed_swap.is_some() {
                    "recovered"
                } else {
                    "reconciled"
                };
                record_activation(project, meta, env_dir, name, None, Some(detail.clone()))?;
            }
            _ => {
                let mut state = state;
                state.active = None;
                state.updated_at = Some(Timestamp::now());
                state.save(&project.state_file())?;
                match fs_err::remove_file(project.env_file()) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(EnvError::io("remove", &project.env_file(), e));
                    }
                    _ => {}
                }
                let mut ev = Event::new("reconciled");
                ev.detail = Some(detail.clone());
                append_event(&project.events_file(), &ev)?;
            }
        }
        tracing::warn!("repaired the records: {detail}");
        report.state_repaired = true;
        report.reconciled = Some(detail);
    } else if let Some(env_dir) = &report.completed_swap
        && let Some(meta) = EnvMeta::load(env_dir)
    {
        // The swap completed here was already recorded (killed after the state write): say so.
        let mut ev = Event::new("recovered");
        ev.env_id = Some(meta.env_id);
        append_event(&project.events_file(), &ev)?;
    }
    if !report.is_clean() {
        tracing::info!(
            ?report,
            "recovered from an interrupted environment operation"
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::version_matches;

    #[test]
    fn versions() {
        assert!(version_matches("3.12", "3.12.1"));
        assert!(version_matches("3.12.1", "3.12.1"));
        assert!(!version_matches("3.1", "3.12.1"));
        assert!(!version_matches("3.11", "3.12.1"));
        assert!(!version_matches("3.12.1.4", "3.12.1"));
    }
}
