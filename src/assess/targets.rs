//! The inputs of an assessment: which requirement sources to read (the default input when none
//! is named) and which targets to assess, each with how its host interpreter is found: probed
//! now (a path or executable name: its version is the target's), looked up while the index is
//! fetched (a version such as `3.12` without `@PLATFORM`), or not at all (a named platform).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::str::FromStr;

use anyhow::{Context, Result, bail};

use super::Request;
use super::interpreters::{self, HostInterpreter};
use crate::python::{Interpreter, PythonRequest};
use crate::report::phrases;
use crate::requirements::{self, Source};
use crate::target::{Role, Target};

/// Turns the request's sources into loader sources (the default input when none is named).
pub(crate) fn sources(request: &Request) -> Result<Vec<Source>> {
    let s = &request.sources;
    let mut out = Vec::new();
    if s.is_empty() {
        out.push(requirements::discover(&request.cwd)?);
    }
    for file in &s.files {
        out.push(Source::from_user_path(file)?);
    }
    out.extend(s.requirements.iter().cloned().map(Source::RequirementsTxt));
    out.extend(s.constraints.iter().cloned().map(Source::Constraints));
    out.extend(s.packages.iter().cloned().map(Source::Package));
    for source in &mut out {
        if let Source::Pyproject { extras, groups, .. } = source {
            extras.clone_from(&s.extras);
            groups.clone_from(&s.groups);
        }
    }
    if (!s.extras.is_empty() || !s.groups.is_empty())
        && !out
            .iter()
            .any(|src| matches!(src, Source::Pyproject { .. }))
    {
        bail!("--extra and --group select parts of a pyproject.toml, but none is among the inputs");
    }
    Ok(out)
}

/// How a source is named in the report.
pub(crate) fn source_label(source: &Source) -> String {
    match source {
        Source::RequirementsTxt(p) | Source::Constraints(p) | Source::Lock(p) => {
            p.display().to_string()
        }
        Source::Pyproject {
            path,
            extras,
            groups,
        } => {
            let mut label = path.display().to_string();
            if !extras.is_empty() {
                let _ = write!(label, " [extras: {}]", extras.join(", "));
            }
            if !groups.is_empty() {
                let _ = write!(label, " [groups: {}]", groups.join(", "));
            }
            label
        }
        Source::Package(spec) => format!("--package {spec}"),
    }
}

/// How a target's host interpreter is found.
pub(crate) enum Probe {
    /// Computed tags: the target names a platform.
    None,
    /// Look this request (a version) up while the index is fetched.
    Request(String),
    /// Already probed (a path or executable name was given).
    Done(Box<Interpreter>),
}

impl Probe {
    /// The request to look up on the probe thread.
    pub(crate) fn lookup(&self) -> Option<String> {
        match self {
            Self::Request(r) => Some(r.clone()),
            Self::None | Self::Done(_) => None,
        }
    }

    /// The outcome, given what the probe thread found for [`Self::lookup`].
    pub(crate) fn into_host_interpreter(
        self,
        found: Option<Result<Interpreter, String>>,
    ) -> HostInterpreter {
        match (self, found) {
            (Self::Done(interpreter), _) => HostInterpreter::Probed(interpreter),
            (Self::Request(_), Some(Ok(interpreter))) => {
                HostInterpreter::Probed(Box::new(interpreter))
            }
            (Self::Request(_), Some(Err(reason))) => HostInterpreter::Missing(reason),
            (Self::Request(_) | Self::None, None) | (Self::None, Some(_)) => {
                HostInterpreter::NotLookedUp
            }
        }
    }
}

/// A target to assess.
pub(crate) struct Planned {
    pub(crate) target: Target,
    pub(crate) requested: String,
    pub(crate) probe: Probe,
}

/// The primary, fallback and extra targets, in that order; the same Python and platform named
/// twice is assessed once, in its first role.
pub(crate) fn plan(request: &Request) -> Result<Vec<Planned>> {
    let host = crate::host::host_platform()
        .context("failed to detect this machine's platform; name one with --target PY@PLATFORM")?;
    let primary = request
        .primary
        .clone()
        .unwrap_or_else(|| "python3".to_string());
    let role_targets = std::iter::once((primary, Role::Primary)).chain(
        request
            .fallbacks
            .iter()
            .map(|f| (f.clone(), Role::Fallback)),
    );
    let mut out = Vec::new();
    for (value, role) in role_targets {
        // An interpreter named by path or by executable name (`python3`) is probed now: its
        // version is the target's. Versions are parsed as targets and probed later if installed.
        // A range (`>=3.11,<3.13`) names the newest installed interpreter inside it.
        let names_interpreter = matches!(
            PythonRequest::from_str(&value),
            Ok(PythonRequest::Path(_) | PythonRequest::Name(_) | PythonRequest::Range(_))
        );
        if names_interpreter {
            let (target, interpreter) = interpreters::target_for_path(&value, &host, role)
                .with_context(|| format!("no usable interpreter `{value}`"))?;
            out.push(Planned {
                target,
                requested: value,
                probe: Probe::Done(Box::new(interpreter)),
            });
        } else {
            let target = Target::parse(&value, &host, role).with_context(|| {
                format!("invalid {} Python `{value}`", phrases::role_name(role))
            })?;
            let probe = if value.contains('@') {
                Probe::None
            } else {
                Probe::Request(value.clone())
            };
            out.push(Planned {
                target,
                requested: value,
                probe,
            });
        }
    }
    for t in &request.targets {
        let target = Target::parse(t, &host, Role::Extra)
            .with_context(|| format!("invalid target `{t}`"))?;
        out.push(Planned {
            target,
            requested: t.clone(),
            probe: Probe::None,
        });
    }
    let mut seen = HashSet::new();
    out.retain(|p| seen.insert(p.target.name()));
    Ok(out)
}
