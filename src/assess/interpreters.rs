//! Host targets use real tags: when `--python` / `--fallback` name an interpreter that exists on
//! this machine (a version such as `3.12` without `@PLATFORM`, or a path), `check` probes it and
//! assesses with the tags and marker environment that interpreter reports, instead of computed
//! ones, and says so in the report (`tags_source`). Targets with an explicit platform, and host
//! targets whose interpreter is not installed here, use computed tags.

use std::str::FromStr;

use anyhow::{Result, anyhow};
use pep440_rs::Version;
use pep508_rs::MarkerEnvironment;
use tracing::{debug, info};

use crate::platform::Platform;
use crate::python::{FindOptions, Interpreter, PythonRequest};
use crate::report::TagsSource;
use crate::tags::Tags;
use crate::target::{PythonSpec, Role, Target};

/// The target of an interpreter given by path: its own version, on the host platform.
pub(crate) fn target_for_path(
    value: &str,
    host: &Platform,
    role: Role,
) -> Result<(Target, Interpreter)> {
    let request =
        PythonRequest::from_str(value).map_err(|e| anyhow!("invalid Python `{value}`: {e}"))?;
    // An interpreter the user named that is missing or unusable is a usage error (exit 2).
    let interpreter =
        crate::python::find(&request, &FindOptions::default()).map_err(|e| anyhow!("{e}"))?;
    let release = interpreter.version.release();
    let python = PythonSpec {
        major: u8::try_from(release.first().copied().unwrap_or(3)).unwrap_or(3),
        minor: u8::try_from(release.get(1).copied().unwrap_or(0)).unwrap_or(0),
        patch: release.get(2).and_then(|p| u16::try_from(*p).ok()),
        free_threaded: interpreter.free_threaded,
    };
    Ok((
        Target {
            python,
            platform: host.clone(),
            role,
        },
        interpreter,
    ))
}

/// The host interpreter behind a target.
#[derive(Clone, Debug)]
pub enum HostInterpreter {
    /// Found and probed (its tags are the target's when its version and build match).
    Probed(Box<Interpreter>),
    /// Looked up and not found here, or unusable: why.
    Missing(String),
    /// Not looked up: the target names a platform, so its tags are computed.
    NotLookedUp,
}

/// Looks up the interpreters for host targets (`None` where nothing was asked; the error
/// message where the interpreter is not installed here or unusable).
pub(crate) fn probe_all(requests: &[Option<String>]) -> Vec<Option<Result<Interpreter, String>>> {
    requests
        .iter()
        .map(|request| {
            let request = request.as_ref()?;
            let parsed = match PythonRequest::from_str(request) {
                Ok(parsed) => parsed,
                Err(e) => return Some(Err(format!("invalid Python `{request}`: {e}"))),
            };
            match crate::python::find(&parsed, &FindOptions::default()) {
                Ok(interpreter) => Some(Ok(interpreter)),
                Err(err) => {
                    debug!("no interpreter for {request} on this machine: {err}");
                    tracing::warn!(
                        "Python {request} is not installed here: assessing it with computed tags"
                    );
                    Some(Err(err.to_string()))
                }
            }
        })
        .collect()
}

/// The newest installed interpreter of a target's Python (any platform named).
pub(crate) fn find_for(target: &Target) -> anyhow::Result<Interpreter> {
    let wanted = target.python.to_string();
    let request =
        PythonRequest::from_str(&wanted).map_err(|e| anyhow!("invalid Python `{wanted}`: {e}"))?;
    crate::python::find(&request, &FindOptions::default()).map_err(|e| anyhow!("{e}"))
}

/// What assessment needs of a target, from the probed interpreter when it matches the target.
pub(crate) struct TargetTags {
    /// Supported tags, best first.
    pub(crate) tags: Tags,
    /// `python_full_version`.
    pub(crate) python: Version,
    /// The marker environment.
    pub(crate) env: MarkerEnvironment,
    /// Computed, or probed from an interpreter.
    pub(crate) source: TagsSource,
}

/// Tags for a target: probed when an interpreter of the same version and build was found.
pub(crate) fn target_tags(target: &Target, interpreter: &HostInterpreter) -> TargetTags {
    if let HostInterpreter::Probed(interp) = interpreter {
        let release = interp.version.release();
        let same = release.first().copied() == Some(u64::from(target.python.major))
            && release.get(1).copied() == Some(u64::from(target.python.minor))
            && interp.free_threaded == target.python.free_threaded
            && !interp.tags.is_empty();
        match (same, interp.marker_environment()) {
            (true, Ok(env)) => {
                // A pyenv shim is not the interpreter: name what it ran.
                let shown = if interp.path.components().any(|c| c.as_os_str() == "shims") {
                    interp.real_path.as_path()
                } else {
                    interp.path.as_path()
                };
                info!(
                    "{}: tags probed from {}",
                    target.name(),
                    interp.path.display()
                );
                return TargetTags {
                    tags: Tags::from_ordered(interp.tags.clone()),
                    python: interp.version.clone(),
                    env,
                    source: TagsSource::Probed {
                        interpreter: shown.to_path_buf(),
                    },
                };
            }
            _ => debug!(
                "{} does not match {}; using computed tags",
                interp.path.display(),
                target.name()
            ),
        }
    }
    TargetTags {
        tags: Tags::new(&target.python, &target.platform),
        python: target.python.full_version(),
        env: target.marker_environment(),
        source: TagsSource::Computed,
    }
}
