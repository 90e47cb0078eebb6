//! `wheelwatch ci init` (a CI workflow, from [`crate::workflow`]), `wheelwatch completions` and
//! the hidden `wheelwatch man`: the text comes from the core and the CLI definition, this module
//! only decides where it goes (stdout or the file) and refuses to replace a file without
//! `--force` (exit 2, nothing changed).

use std::io::Write;

use anyhow::{Result, bail};

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{CiInitSettings, CiSystem};
use crate::util::fs::{Durability, write_atomic};
use crate::workflow::{self, WorkflowOptions};

/// Runs `wheelwatch ci init`.
pub(crate) fn init(
    settings: &CiInitSettings,
    cwd: &std::path::Path,
    printer: Printer,
) -> Result<ExitStatus> {
    let mut options = WorkflowOptions::new(settings.watched.clone());
    if let Some(install) = &settings.install {
        options.install.clone_from(install);
    }
    let text = match settings.system {
        CiSystem::Github => workflow::github(&options),
        CiSystem::Gitlab => workflow::gitlab(&options),
    };
    if settings.print {
        let mut out = printer.stdout();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(ExitStatus::Success);
    }
    let shown = settings
        .path
        .strip_prefix(cwd)
        .unwrap_or(&settings.path)
        .display()
        .to_string();
    if settings.path.exists() && !settings.force {
        bail!("{shown} already exists; pass --force to replace it, or --print to see the new one");
    }
    if let Some(dir) = settings.path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    write_atomic(&settings.path, text.as_bytes(), Durability::Synced)
        .map_err(|e| anyhow::anyhow!("cannot write {shown}: {e}"))?;
    printer.note(format_args!("wrote {shown}"));
    if !settings.configured {
        printer.note(format_args!(
            "note: wheelwatch is not configured here, so the job checks ./requirements.txt (or \
             pyproject.toml) on python3 only: run `wheelwatch init --python … --fallback …` \
             and commit the configuration"
        ));
    }
    if settings.system == CiSystem::Github {
        printer.note(format_args!(
            "code scanning shows the SARIF results once the workflow has run on the default \
             branch; annotations and the job summary show on every run"
        ));
    }
    Ok(ExitStatus::Success)
}

/// Writes bytes generated from the CLI definition (a completion script, the man page) to
/// stdout.
pub(crate) fn print(bytes: &[u8], printer: Printer) -> Result<ExitStatus> {
    let mut out = printer.stdout();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(ExitStatus::Success)
}
