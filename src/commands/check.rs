//! `wheelwatch check`: run the assessment ([`crate::assess`]), say which lock files were
//! written, hand the report to the chosen renderer and map the verdict to the exit status.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use tracing::info;

use crate::assess::{self, Request};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::report::{self, Report, Verdict};
use crate::settings::{CheckSettings, Format, GlobalSettings};
use crate::util::fs::{Durability, write_atomic};

/// Runs `wheelwatch check`.
pub fn run(
    settings: &CheckSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let assessment = assess::run(&Request::from_settings(settings, &globals.cwd, printer))?;
    for line in &assessment.lock_notes {
        printer.note(format_args!("{line}"));
    }
    emit(
        &assessment.report,
        settings.format,
        settings.output.as_deref(),
        printer,
    )?;
    Ok(exit_status(assessment.report.verdict, settings.strict))
}

/// The exit status a verdict maps to.
pub fn exit_status(verdict: Verdict, strict: bool) -> ExitStatus {
    match verdict {
        Verdict::PrimaryHealthy => ExitStatus::Success,
        Verdict::FallbackAvailable if !strict => ExitStatus::Success,
        Verdict::FallbackAvailable | Verdict::CompleteFailure => ExitStatus::Unhealthy,
        Verdict::AssessmentFailed => ExitStatus::AssessmentFailed,
    }
}

/// Writes the report where the settings say.
pub fn emit(
    report: &Report,
    format: Format,
    output: Option<&Path>,
    printer: Printer,
) -> Result<()> {
    let render = |out: &mut dyn Write, color: bool| -> std::io::Result<()> {
        match format {
            Format::Table => report::table::write(report, out, color),
            Format::Json => report::json::write(report, out),
            Format::Markdown => report::markdown::write(report, out),
        }
    };
    if let Some(path) = output {
        let mut bytes = Vec::new();
        render(&mut bytes, false)?;
        write_atomic(path, &bytes, Durability::Cache)
            .with_context(|| format!("failed to write the report to `{}`", path.display()))?;
        info!("wrote the report to {}", path.display());
    } else {
        let mut out = printer.stdout();
        render(&mut out, printer.color_stdout())?;
        out.flush()?;
    }
    Ok(())
}
