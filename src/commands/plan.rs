//! `wheelwatch plan --to TARGET` (in progress).

use anyhow::{Result, bail};

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{GlobalSettings, PlanSettings};

/// Runs `wheelwatch plan`.
pub(crate) fn run(
    settings: &PlanSettings,
    _globals: &GlobalSettings,
    _printer: Printer,
) -> Result<ExitStatus> {
    bail!("plan --to {} is not implemented yet", settings.to)
}
