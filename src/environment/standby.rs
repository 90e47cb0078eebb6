//! Standby environments: the environment a switch would build, built (or found) beside the
//! active venv without swapping it in, so that `bench` can run the two side by side. The venv
//! path, the state, the env file and the event log are never touched.
//!
//! A standby is built by the very code a switch uses (create with `<python> -m venv`, check the
//! interpreter's version, install exactly the pins, import everything) under
//! `.wheelwatch/envs/<id>`, and its record (`wheelwatch-env.toml`) says `standby = true`, so
//! recovery keeps it although it was never active. An existing environment is reused instead
//! of building when it matches: same role, an interpreter of the version asked for, exactly the
//! same pins, and not the one the venv path points at (a previous environment of a switch, or
//! an earlier standby). There is at most one standby per role: building a new one removes the
//! older ones of that role.
//!
//! The caller holds the project lock for as long as it uses the environment (a switch's
//! recovery would otherwise take the benchmark's processes for a killed run's orphans).

use std::path::{Path, PathBuf};

use super::lock::ProjectLock;
use super::state::EnvMeta;
use super::swap::{self, VenvKind};
use super::{EnvError, Project, Step, SwitchRequest};

/// An environment ready to run, beside the active venv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standby {
    /// Its id.
    pub env_id: String,
    /// Its directory under `.wheelwatch/envs/`.
    pub env_dir: PathBuf,
    /// Its interpreter (`<env_dir>/bin/python`).
    pub python: PathBuf,
    /// The version its interpreter reported.
    pub python_version: String,
    /// An existing environment was reused (`false`: built now).
    pub reused: bool,
}

/// Finds or builds the environment `req` describes, without activating it (see the module
/// doc). `_lock` is the project lock, held by the caller.
pub fn standby(
    project: &Project,
    _lock: &ProjectLock,
    req: &SwitchRequest,
    progress: &mut dyn FnMut(Step),
) -> Result<Standby, EnvError> {
    swap::recover_locked(project)?;
    progress(Step::Locked);
    let active = match swap::inspect(project)? {
        VenvKind::Managed { env_dir } => Some(env_dir),
        _ => None,
    };
    let pins: Vec<String> = req.pins.iter().map(ToString::to_string).collect();
    let envs = project.envs_dir();
    let mut candidates: Vec<(PathBuf, EnvMeta)> = fs_err::read_dir(&envs)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                        && Some(p) != active.as_ref()
                })
                .filter_map(|p| EnvMeta::load(&p).map(|m| (p, m)))
                .collect()
        })
        .unwrap_or_default();
    // Newest first: ids start with their UTC creation time.
    candidates.sort_by(|a, b| b.0.cmp(&a.0));
    if let Some((dir, meta)) = candidates.iter().find(|(dir, meta)| {
        meta.role == req.role
            && swap::version_matches(&req.python_version, &meta.python_version)
            && meta.pins == pins
            && dir.join("bin").join("python").exists()
    }) {
        tracing::info!(
            "reusing {} for the {:?} environment",
            dir.display(),
            req.role
        );
        return Ok(Standby {
            env_id: meta.env_id.clone(),
            env_dir: dir.clone(),
            python: dir.join("bin").join("python"),
            python_version: meta.python_version.clone(),
            reused: true,
        });
    }
    let uv = req.installer.resolve()?;
    let (env_id, env_dir) = swap::claim_env_dir(project, req)?;
    let (mut meta, _verified) =
        match swap::build(project, req, uv.as_deref(), &env_id, &env_dir, progress) {
            Ok(built) => built,
            Err(e) => {
                swap::remove_dir_via_trash(project, &env_dir);
                return Err(e);
            }
        };
    meta.standby = true;
    if let Err(e) = meta.save(&env_dir) {
        swap::remove_dir_via_trash(project, &env_dir);
        return Err(e);
    }
    for (dir, old) in &candidates {
        if old.standby && old.role == req.role && old.activated_at.is_none() {
            remove_old(project, dir);
        }
    }
    Ok(Standby {
        env_id,
        python: env_dir.join("bin").join("python"),
        env_dir,
        python_version: meta.python_version,
        reused: false,
    })
}

fn remove_old(project: &Project, dir: &Path) {
    tracing::info!("removing the older standby environment {}", dir.display());
    swap::remove_dir_via_trash(project, dir);
}
