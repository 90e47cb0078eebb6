//! The typed settings of the commands beyond `check` (whose [`CheckSettings`] the parent
//! module resolves): each built here from its clap arguments, so that no command module sees a
//! clap type.

use anyhow::{Result, bail};

use super::{CheckSettings, GlobalSettings};
use crate::cli::{
    self, ConfigArgs, DoctorArgs, IndexArgs, PythonListArgs, SourceArgs, TagsArgs, TargetArgs,
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
