//! Settings of `wheelwatch ci init`: which CI system, print or write, and the requirement files
//! the project's configuration names (watched on pull requests besides the usual ones).

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{CheckSettings, Env, GlobalSettings};
use crate::cli::CiInitArgs;

/// The CI system a configuration is generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CiSystem {
    /// GitHub Actions: `.github/workflows/wheel-health.yml`.
    Github,
    /// GitLab CI: `.gitlab-ci.yml`.
    Gitlab,
}

/// `wheelwatch ci init`, resolved.
#[derive(Clone, Debug)]
pub(crate) struct CiInitSettings {
    /// Which CI system.
    pub system: CiSystem,
    /// Print instead of writing.
    pub print: bool,
    /// Replace an existing file.
    pub force: bool,
    /// The file to write, under the project directory.
    pub path: PathBuf,
    /// Requirement and constraint files the configuration names, relative to the project
    /// (`/`-separated).
    pub watched: Vec<String>,
    /// Whether wheelwatch is configured here (`wheelwatch.toml` or `[tool.wheelwatch]`).
    pub configured: bool,
    /// The pip requirement the job installs wheelwatch from, when not this version.
    pub install: Option<String>,
}

fn relative(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

impl CiInitSettings {
    /// Resolves `ci init`'s flags; the watched files come from the configuration.
    pub(crate) fn resolve(
        args: &CiInitArgs,
        globals: &GlobalSettings,
        env: &dyn Env,
    ) -> Result<Self> {
        let system = if args.gitlab {
            CiSystem::Gitlab
        } else {
            CiSystem::Github
        };
        let path = globals.cwd.join(match system {
            CiSystem::Github => ".github/workflows/wheel-health.yml",
            CiSystem::Gitlab => ".gitlab-ci.yml",
        });
        let sources = CheckSettings::without_flags(globals, env)?.sources;
        let mut watched: Vec<String> = sources
            .files
            .iter()
            .chain(&sources.requirements)
            .chain(&sources.constraints)
            .map(|p| relative(p, &globals.cwd))
            .collect();
        watched.dedup();
        Ok(Self {
            system,
            print: args.print,
            force: args.force,
            path,
            watched,
            configured: globals.config.is_some(),
            install: match args.install.as_deref().map(str::trim) {
                Some("") => anyhow::bail!(
                    "--install: expected a pip requirement (`wheelwatch==0.1.0`, a wheel URL, or \
                     `git+URL@TAG`), found nothing"
                ),
                Some(spec) if spec.contains(['\n', '\r']) => anyhow::bail!(
                    "--install: expected a pip requirement on one line, found a line break"
                ),
                other => other.map(str::to_string),
            },
        })
    }
}
