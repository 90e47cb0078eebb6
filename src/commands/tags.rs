//! `wheelwatch tags`: print a target's compatible tags, best first, one a line.

use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::TagsArgs;
use crate::exit::ExitStatus;
use crate::settings::GlobalSettings;
use crate::tags::Tags;
use crate::target::{Role, Target};

/// Runs `wheelwatch tags`.
pub fn run(args: &TagsArgs, _globals: &GlobalSettings) -> Result<ExitStatus> {
    let host = crate::host::host_platform().context("failed to detect this machine's platform")?;
    let target = Target::parse(&args.target, &host, Role::Extra)?;
    let tags = Tags::new(&target.python, &target.platform);
    let mut out = std::io::stdout().lock();
    for (py, abi, plat) in tags.iter() {
        writeln!(out, "{py}-{abi}-{plat}")?;
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}
