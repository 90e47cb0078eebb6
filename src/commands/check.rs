//! `wheelwatch check`: load requirements, build targets, fetch index pages once per project,
//! assess every package on every target, render the report. (In progress.)

use anyhow::Result;

use crate::cli::CheckArgs;
use crate::exit::ExitStatus;
use crate::settings::{CheckSettings, GlobalSettings, ProcessEnv};

/// Runs `wheelwatch check`.
pub fn run(args: CheckArgs, globals: &GlobalSettings) -> Result<ExitStatus> {
    let _settings = CheckSettings::resolve(args, globals, &ProcessEnv)?;
    anyhow::bail!("check is not implemented yet")
}
