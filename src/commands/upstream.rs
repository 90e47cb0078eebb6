//! `wheelwatch report upstream`: the vendor escalation report (see [`crate::report::upstream`]).

use anyhow::{Result, bail};

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{GlobalSettings, UpstreamSettings};

/// Runs `wheelwatch report upstream`.
pub(crate) fn run(
    _settings: &UpstreamSettings,
    _globals: &GlobalSettings,
    _printer: Printer,
) -> Result<ExitStatus> {
    bail!("`report upstream` is not built yet")
}
