//! Reset: archive, rebuild, then clean. Nothing is deleted before the new environment is built,
//! verified and swapped in: a reset that cannot build leaves the project exactly as it was
//! (plus the archive).
//!
//! 1. A `tar.gz` in `.wheelwatch/backups/reset-<UTC time>.tar.gz` of the current venv (the
//!    directory the venv path resolves to, stored under the venv path's name, symlinks inside it
//!    stored as symlinks) and of the project's requirement and lock files at its root
//!    (`requirements*.txt`, `constraints*.txt`, `pyproject.toml`, `setup.cfg`, `uv.lock`,
//!    `pylock*.toml`, `poetry.lock`, `pdm.lock`, `Pipfile`, `Pipfile.lock`) and
//!    `.wheelwatch/state.toml`. Written to a temporary name and renamed when complete.
//! 2. A fresh environment through the same build / verify / swap path as any switch.
//! 3. Removal of `__pycache__` directories, `*.pyc` / `*.pyo` files and `*.egg-info` under the
//!    project root. The walk never follows symlinks (a symlink is neither descended nor removed)
//!    and never enters `.wheelwatch`, the venv path, `<venv>.backup.*`, any other directory
//!    holding a `pyvenv.cfg` (other virtual environments: their caches belong to them), or
//!    `.git` / `.hg` / `.svn`. Every path is re-checked to be inside the root right before
//!    removal.
//! 4. Optionally `python -m pip cache purge` (with the new environment's interpreter); a failure
//!    there is a warning, not an error.
//! 5. Reset archives beyond `keep_backups` are removed, oldest first (never the one just
//!    written).
//!
//! [`plan_reset`] computes all of this and changes nothing (it takes no lock and writes no
//! file).

use fs_err::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use jiff::Timestamp;

use super::swap::{self, SwitchOutcome, SwitchPlan, VenvKind};
use super::{
    EnvError, Event, Project, Step, SwitchRequest, append_event, pause_point, process, redact_text,
};

/// A reset: the switch to perform afterwards, and whether to purge pip's cache.
#[derive(Debug, Clone)]
pub struct ResetRequest {
    /// The fresh environment to build (normally the same interpreter, operation `Reset`).
    pub switch: SwitchRequest,
    /// Run `python -m pip cache purge`.
    pub purge_pip_cache: bool,
}

/// What a reset would do.
#[derive(Debug, Clone)]
pub struct ResetPlan {
    /// The archive that would be written.
    pub archive: PathBuf,
    /// The venv directory that would be archived, if there is one.
    pub archive_venv: Option<PathBuf>,
    /// The requirement / lock / state files that would be archived.
    pub archive_files: Vec<PathBuf>,
    /// The cache paths that would be removed.
    pub remove: Vec<PathBuf>,
    /// The interpreter that would run `pip cache purge` (the new environment's), when asked for.
    pub purge_pip_cache_with: Option<PathBuf>,
    /// The switch that follows.
    pub switch: SwitchPlan,
}

/// What a reset did.
#[derive(Debug, Clone)]
pub struct ResetOutcome {
    /// The archive written.
    pub archive: PathBuf,
    /// The cache paths removed.
    pub removed: Vec<PathBuf>,
    /// Why `pip cache purge` did not work, if it did not.
    pub purge_warning: Option<String>,
    /// The switch.
    pub switch: SwitchOutcome,
}

const LOCK_FILES: &[&str] = &[
    "pyproject.toml",
    "setup.cfg",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile",
    "Pipfile.lock",
];

#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "Python and the tools write these names in lower case, and Linux names are case-sensitive"
)]
fn is_requirement_file(name: &str) -> bool {
    LOCK_FILES.contains(&name)
        || (name.starts_with("requirements") && name.ends_with(".txt"))
        || (name.starts_with("constraints") && name.ends_with(".txt"))
        || (name.starts_with("pylock") && name.ends_with(".toml"))
}

/// What [`reset`] would do; changes nothing.
pub fn plan_reset(project: &Project, req: &ResetRequest) -> Result<ResetPlan, EnvError> {
    let switch = swap::plan_switch(project, &req.switch)?;
    let archive_venv = match &switch.venv_kind {
        VenvKind::Managed { env_dir } => Some(env_dir.clone()),
        VenvKind::RealDir => Some(project.venv_path.clone()),
        VenvKind::ForeignLink { target } if target.is_dir() => Some(target.clone()),
        _ => None,
    };
    let mut archive_files = Vec::new();
    let entries =
        fs_err::read_dir(&project.root).map_err(|e| EnvError::io("read", &project.root, e))?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_requirement_file(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
            archive_files.push(entry.path());
        }
    }
    archive_files.sort();
    if project.state_file().is_file() {
        archive_files.push(project.state_file());
    }
    let mut remove = Vec::new();
    collect_caches(project, &project.root, &mut remove)?;
    let purge_pip_cache_with = req
        .purge_pip_cache
        .then(|| switch.env_dir.join("bin").join("python"));
    Ok(ResetPlan {
        archive: archive_path(project),
        archive_venv,
        archive_files,
        remove,
        purge_pip_cache_with,
        switch,
    })
}

fn archive_path(project: &Project) -> PathBuf {
    let base = format!("reset-{}", Timestamp::now().strftime("%Y%m%d_%H%M%S"));
    let dir = project.backups_dir();
    let mut candidate = dir.join(format!("{base}.tar.gz"));
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{base}_{n}.tar.gz"));
        n += 1;
    }
    candidate
}

#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "Python and the tools write these names in lower case, and Linux names are case-sensitive"
)]
fn collect_caches(project: &Project, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), EnvError> {
    let backup_prefix = super::swap::backup_prefix(project);
    let entries = fs_err::read_dir(dir).map_err(|e| EnvError::io("read", dir, e))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let Ok(meta) = fs_err::symlink_metadata(&path) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if meta.file_type().is_symlink() {
            continue;
        }
        if meta.is_dir() {
            if path == project.state_dir
                || path == project.venv_path
                || matches!(name.as_str(), ".git" | ".hg" | ".svn")
                || name.starts_with(&backup_prefix)
                || path.join("pyvenv.cfg").exists()
            {
                continue;
            }
            if name == "__pycache__" || name.ends_with(".egg-info") {
                out.push(path);
                continue;
            }
            collect_caches(project, &path, out)?;
        } else if name.ends_with(".pyc") || name.ends_with(".pyo") || name.ends_with(".egg-info") {
            out.push(path);
        }
    }
    Ok(())
}

fn write_archive(project: &Project, plan: &ResetPlan) -> Result<(), EnvError> {
    let dir = project.backups_dir();
    fs_err::create_dir_all(&dir).map_err(|e| EnvError::io("create", &dir, e))?;
    let mut tmp_name = plan.archive.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".partial");
    let tmp = plan.archive.with_file_name(tmp_name);
    let fail = |what: &Path, source: std::io::Error| EnvError::Archive {
        what: what.to_path_buf(),
        archive: plan.archive.clone(),
        source,
    };
    let file = File::create(&tmp).map_err(|e| fail(&tmp, e))?;
    let mut builder = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    builder.follow_symlinks(false);
    let result = (|| {
        if let Some(venv) = &plan.archive_venv {
            let name = project.venv_path.file_name().unwrap_or_default();
            builder
                .append_dir_all(name, venv)
                .map_err(|e| fail(venv, e))?;
        }
        for file in &plan.archive_files {
            let name = file.strip_prefix(&project.root).unwrap_or(file);
            builder
                .append_path_with_name(file, name)
                .map_err(|e| fail(file, e))?;
        }
        let gz = builder.into_inner().map_err(|e| fail(&tmp, e))?;
        let file = gz.finish().map_err(|e| fail(&tmp, e))?;
        file.sync_all().map_err(|e| fail(&tmp, e))?;
        fs_err::rename(&tmp, &plan.archive).map_err(|e| fail(&tmp, e))
    })();
    if result.is_err() {
        let _ = fs_err::remove_file(&tmp);
    }
    result
}

fn remove_caches(project: &Project, paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for path in paths {
        // Re-check right before removing: still inside the root, still not a symlink.
        if !path.starts_with(&project.root) || path.starts_with(&project.state_dir) {
            continue;
        }
        let result = match fs_err::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => continue,
            Ok(m) if m.is_dir() => fs_err::remove_dir_all(path),
            Ok(_) => fs_err::remove_file(path),
            Err(_) => continue,
        };
        match result {
            Ok(()) => removed.push(path.clone()),
            Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
        }
    }
    removed
}

fn purge_pip_cache(project: &Project, python: &Path) -> Option<String> {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "pip", "cache", "purge"]);
    match process::run(project, &mut cmd, Duration::from_mins(10), None) {
        Ok(out) if out.success() => None,
        Ok(out) => Some(format!("pip cache purge failed: {}", out.tail(2))),
        Err(e) => Some(e.to_string()),
    }
}

/// Archives, switches to a fresh environment, then cleans and optionally purges pip's cache.
/// Holds the project lock throughout. If the archive cannot be written nothing else happens; if
/// the new environment cannot be built and verified, nothing is removed.
pub fn reset(
    project: &Project,
    req: &ResetRequest,
    progress: &mut dyn FnMut(Step),
) -> Result<ResetOutcome, EnvError> {
    let _lock = project.lock()?;
    let prepared = (|| {
        swap::recover_locked(project)?;
        let plan = plan_reset(project, req)?;
        if !plan.switch.problems.is_empty() {
            return Err(EnvError::BadVenvPath {
                path: project.venv_path.clone(),
                why: plan.switch.problems.join("; "),
            });
        }
        write_archive(project, &plan)?;
        Ok(plan)
    })();
    let plan = match prepared {
        Ok(plan) => plan,
        Err(err) => {
            let mut ev = Event::new(req.switch.operation.events().2);
            ev.error = Some(redact_text(&err.to_string()));
            if let Err(e) = append_event(&project.events_file(), &ev) {
                tracing::warn!("{e}");
            }
            return Err(err);
        }
    };
    let switch = swap::switch_locked(project, &req.switch, progress)?;
    pause_point("rebuilt");
    let removed = remove_caches(project, &plan.remove);
    let purge_warning = plan
        .purge_pip_cache_with
        .as_ref()
        .and_then(|_| purge_pip_cache(project, &switch.env_dir.join("bin").join("python")));
    if let Some(w) = &purge_warning {
        tracing::warn!("{w}");
    }
    let pruned = swap::prune(
        project,
        &switch.env_dir,
        req.switch.keep_backups,
        Some(&plan.archive),
    )?;
    let mut switch = switch;
    switch.pruned.extend(pruned);
    Ok(ResetOutcome {
        archive: plan.archive,
        removed,
        purge_warning,
        switch,
    })
}
