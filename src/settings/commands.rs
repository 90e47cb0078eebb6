//! The typed settings of the commands beyond `check` (whose [`CheckSettings`] the parent
//! module resolves): each built here from its clap arguments, so that no command module sees a
//! clap type.

use anyhow::{Result, bail};

use super::{CheckSettings, GlobalSettings, Sourced, ValueSource};
use crate::cli::{
    self, ConfigArgs, DoctorArgs, EnvArgs, IndexArgs, PythonListArgs, ResetArgs, SourceArgs,
    SwitchArgs, TagsArgs, TargetArgs,
};

/// The format a command writes its report in on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON.
    Json,
    /// Markdown, for pull requests and CI summaries.
    Markdown,
}

impl From<cli::Format> for Format {
    fn from(format: cli::Format) -> Self {
        match format {
            cli::Format::Table => Self::Table,
            cli::Format::Json => Self::Json,
            cli::Format::Markdown => Self::Markdown,
        }
    }
}

/// Where `wheelwatch tags` takes its tags from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagsSettings {
    /// Computed for a target `PY[@PLATFORM]`.
    Computed(String),
    /// Probed from an interpreter on this machine.
    Probed(String),
}

impl TagsSettings {
    /// Resolves `tags`'s flags.
    pub fn resolve(args: TagsArgs) -> Result<Self> {
        match (args.python, args.target) {
            (Some(python), _) => Ok(Self::Probed(python)),
            (None, Some(target)) => Ok(Self::Computed(target)),
            (None, None) => bail!("name a target with --target or an interpreter with --python"),
        }
    }
}

/// Settings of `wheelwatch config`: the settings `check` would use with no flags.
#[derive(Clone, Debug)]
pub struct ConfigSettings {
    /// The effective settings.
    pub check: CheckSettings,
    /// Output format.
    pub format: Format,
}

impl ConfigSettings {
    /// Resolves `config`'s flags: the same resolution `check` performs, with no flags given.
    pub fn resolve(args: &ConfigArgs, globals: &GlobalSettings) -> Result<Self> {
        Ok(Self {
            check: CheckSettings::for_assessment(
                SourceArgs::default(),
                TargetArgs::default(),
                IndexArgs::default(),
                None,
                false,
                globals,
            )?,
            format: args.format.into(),
        })
    }
}

/// Settings of `wheelwatch doctor`.
#[derive(Clone, Debug)]
pub struct DoctorSettings {
    /// The Pythons and index to check, resolved as `check` resolves them.
    pub check: CheckSettings,
    /// Output format.
    pub format: Format,
}

impl DoctorSettings {
    /// Resolves `doctor`'s flags.
    pub fn resolve(args: DoctorArgs, globals: &GlobalSettings) -> Result<Self> {
        let DoctorArgs {
            targets,
            index,
            format,
        } = args;
        Ok(Self {
            check: CheckSettings::for_assessment(
                SourceArgs::default(),
                targets,
                index,
                None,
                false,
                globals,
            )?,
            format: format.into(),
        })
    }
}

/// Settings of `wheelwatch python list`.
#[derive(Clone, Copy, Debug)]
pub struct PythonListSettings {
    /// Output format.
    pub format: Format,
}

impl PythonListSettings {
    /// Resolves `python list`'s flags.
    pub fn resolve(args: &PythonListArgs) -> Self {
        Self {
            format: args.format.into(),
        }
    }
}

/// Which installer fills a new environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallerChoice {
    /// pip inside the new environment.
    Pip,
    /// uv (must be on PATH).
    Uv,
}

/// Options of the commands that switch environments.
#[derive(Clone, Debug)]
pub struct EnvSettings {
    /// Allow a venv path outside the project directory.
    pub allow_outside: bool,
    /// The installer.
    pub installer: InstallerChoice,
    /// How many previous environments and venv backups to keep.
    pub keep_backups: usize,
    /// Show what would be done and change nothing.
    pub dry_run: bool,
}

impl EnvSettings {
    /// Resolves the environment flags; `--venv` overrides the assessment's `venv` setting.
    fn resolve(args: EnvArgs, check: &mut CheckSettings) -> Self {
        let EnvArgs {
            venv,
            allow_outside,
            installer,
            keep_backups,
            dry_run,
        } = args;
        if let Some(venv) = venv {
            check.venv = Sourced::new(venv, ValueSource::Flag("--venv".into()));
        }
        Self {
            allow_outside,
            installer: match installer {
                cli::InstallerChoice::Pip => InstallerChoice::Pip,
                cli::InstallerChoice::Uv => InstallerChoice::Uv,
            },
            keep_backups,
            dry_run,
        }
    }
}

/// Settings of `wheelwatch fallback` and `wheelwatch promote`.
#[derive(Clone, Debug)]
pub struct SwitchSettings {
    /// The assessment that comes first (its `venv` is the one switched).
    pub check: CheckSettings,
    /// Environment options.
    pub env: EnvSettings,
    /// Why, as the user put it.
    pub reason: Option<String>,
    /// (fallback) The Python to switch to, as named; it is among the assessed fallbacks.
    pub to: Option<String>,
}

impl SwitchSettings {
    /// Resolves `fallback`'s flags: a `--to` Python is assessed as a fallback (first, unless
    /// already named).
    pub fn fallback(args: SwitchArgs, globals: &GlobalSettings) -> Result<Self> {
        let mut args = args;
        if let Some(to) = &args.to
            && !args.targets.fallback.iter().any(|f| f == to)
        {
            args.targets.fallback.insert(0, to.clone());
        }
        Self::resolve(args, globals)
    }

    /// Resolves `promote`'s flags (`--to` is refused: promote returns to the primary).
    pub fn promote(args: SwitchArgs, globals: &GlobalSettings) -> Result<Self> {
        if args.to.is_some() {
            bail!("--to is for `fallback`; `promote` always returns to the primary");
        }
        Self::resolve(args, globals)
    }

    fn resolve(args: SwitchArgs, globals: &GlobalSettings) -> Result<Self> {
        let SwitchArgs {
            sources,
            targets,
            index,
            env,
            threshold,
            pre,
            reason,
            to,
        } = args;
        let mut check =
            CheckSettings::for_assessment(sources, targets, index, threshold, pre, globals)?;
        let env = EnvSettings::resolve(env, &mut check);
        Ok(Self {
            check,
            env,
            reason,
            to,
        })
    }
}

/// Settings of `wheelwatch reset`.
#[derive(Clone, Debug)]
pub struct ResetSettings {
    /// The assessment that comes first.
    pub check: CheckSettings,
    /// Environment options.
    pub env: EnvSettings,
    /// `--python` was given: rebuild on it rather than on the active interpreter.
    pub explicit_python: bool,
    /// Also run `pip cache purge`.
    pub purge_pip_cache: bool,
    /// Really do it (else print the plan).
    pub yes: bool,
    /// Why, as the user put it.
    pub reason: Option<String>,
}

impl ResetSettings {
    /// Resolves `reset`'s flags.
    pub fn resolve(args: ResetArgs, globals: &GlobalSettings) -> Result<Self> {
        let ResetArgs {
            sources,
            targets,
            index,
            env,
            purge_pip_cache,
            yes,
            reason,
        } = args;
        let explicit_python = targets.python.is_some();
        let mut check =
            CheckSettings::for_assessment(sources, targets, index, None, false, globals)?;
        let env = EnvSettings::resolve(env, &mut check);
        Ok(Self {
            check,
            env,
            explicit_python,
            purge_pip_cache,
            yes,
            reason,
        })
    }
}
