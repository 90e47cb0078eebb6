//! `wheelwatch check`: run the assessment ([`crate::assess`]), say which lock files were
//! written, hand the report to the chosen renderer and map the verdict to the exit status.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use tracing::info;

use super::history::Recorder;
use crate::assess::{self, Request};
use crate::exit::{ExitStatus, status_for_error};
use crate::health::Status;
use crate::printer::Printer;
use crate::report::{self, Recommendation, Report, Verdict};
use crate::settings::{CheckSettings, GlobalSettings, ProcessEnv, ReportFormat};
use crate::util::fs::{Durability, write_atomic};

/// Runs `wheelwatch check`.
pub(crate) fn run(
    settings: &CheckSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    // A report file that cannot be written is bad usage: said before anything is assessed.
    for path in settings
        .output
        .iter()
        .chain(settings.outputs.iter().map(|f| &f.path))
    {
        check_writable(path)?;
    }
    reconcile(settings, globals);
    let mut recorder = Recorder::open(settings.record, "check", settings, globals, printer);
    let assessment = assess::run(&Request::from_settings(settings, &globals.cwd, printer));
    let mut assessment = match assessment {
        Ok(a) => a,
        Err(e) => {
            if status_for_error(&e) == ExitStatus::AssessmentFailed {
                recorder.failed(&e);
            }
            return Err(e);
        }
    };
    // Written while the report is printed (the recorder waits for it before the end).
    recorder.assessment_in_background(&assessment);
    assessment.report.input_discovered = settings.sources.is_empty();
    // Annotations and SARIF locations are relative to the project (the repository's checkout).
    for origin in assessment.report.origins.iter_mut().flatten() {
        if let Ok(relative) = origin.file.strip_prefix(&globals.cwd) {
            origin.file = relative.to_path_buf();
        }
    }
    // Recommended commands work as printed: they repeat the flags the configuration lacks.
    for r in &mut assessment.report.recommendations {
        if let Recommendation::UseFallback { command, .. } = r {
            *command = super::rerun::command_line("fallback", settings, globals, &ProcessEnv)?;
        }
    }
    for line in &assessment.lock_notes {
        printer.note(format_args!("{line}"));
    }
    emit(&assessment.report, settings, printer)?;
    if let Some(hint) = not_found_hint(&assessment.report) {
        tracing::warn!("{hint}");
    }
    if let Some(line) = failure_line(&assessment.report) {
        printer.error(format_args!("{line}"));
    }
    // Reconciliations the check made are lifecycle events too (tied to the run: this waits
    // for it to be written).
    recorder.events(&globals.cwd.join(".wheelwatch").join("events.jsonl"));
    Ok(exit_status(assessment.report.verdict, settings.strict))
}

/// A hint when no assessed project was found at all: the index URL is probably wrong.
pub(crate) fn not_found_hint(report: &Report) -> Option<String> {
    let mut assessed = report
        .targets
        .iter()
        .flat_map(|t| &t.packages)
        .filter(|p| p.status != Status::Excluded)
        .peekable();
    assessed.peek()?;
    assessed.all(|p| p.status == Status::NotFound).then(|| {
        "no project was found on the index: is the index URL right? (--index-url, \
         PIP_INDEX_URL, or an --index-url line in a requirements file)"
            .to_string()
    })
}

/// On exit 3, the one stderr error saying why there is no verdict, whatever the report's
/// format and destination (the printer adds `error: `).
pub(crate) fn failure_line(report: &Report) -> Option<String> {
    if report.verdict != Verdict::AssessmentFailed {
        return None;
    }
    let first = report.targets.iter().find_map(|t| {
        t.packages
            .iter()
            .find(|p| p.status == Status::Error)
            .map(|p| format!("{} on {}: {}", p.name, t.name, p.reason))
            .or_else(|| {
                let error = t.resolution.as_ref()?.error.as_ref()?;
                Some(format!("resolving on {}: {error}", t.name))
            })
    });
    Some(format!(
        "assessment failed, no verdict: {}",
        first.unwrap_or_else(|| report.fallback_reason.clone().unwrap_or_default())
    ))
}

/// Brings the project's environment records in line with its venv, when wheelwatch manages
/// one here (see [`crate::environment::reconcile`]); a problem there is logged, never fatal to
/// a check.
fn reconcile(settings: &CheckSettings, globals: &GlobalSettings) {
    if !globals.cwd.join(".wheelwatch").is_dir() {
        return;
    }
    let result = crate::environment::Project::new(&globals.cwd, &settings.venv.value, true)
        .and_then(|project| crate::environment::reconcile(&project));
    if let Err(e) = result {
        tracing::warn!("could not check the environment records: {e}");
    }
}

/// The exit status a verdict maps to.
pub(crate) fn exit_status(verdict: Verdict, strict: bool) -> ExitStatus {
    match verdict {
        Verdict::PrimaryHealthy => ExitStatus::Success,
        Verdict::FallbackAvailable if !strict => ExitStatus::Success,
        Verdict::FallbackAvailable | Verdict::CompleteFailure => ExitStatus::Unhealthy,
        Verdict::AssessmentFailed => ExitStatus::AssessmentFailed,
    }
}

/// An I/O error's reason without the path `tempfile` adds to it.
fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => e.kind().to_string(),
    }
}

/// Renders the report in one format.
fn render(
    report: &Report,
    format: ReportFormat,
    out: &mut dyn Write,
    color: bool,
) -> std::io::Result<()> {
    match format {
        ReportFormat::Table => report::table::write(report, out, color),
        ReportFormat::Json => report::json::write(report, out),
        ReportFormat::Markdown => report::markdown::write(report, out),
        ReportFormat::Github => report::github::write(report, out),
        ReportFormat::Junit => report::junit::write(report, out),
        ReportFormat::Sarif => report::sarif::write(report, out),
    }
}

/// Says what is wrong with a report path the user gave, never a temporary file's name.
fn cannot_write(path: &Path, why: &dyn std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("cannot write the report to `{}`: {why}", path.display())
}

/// Fails when a report file's directory does not exist.
fn check_writable(path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(())
    } else {
        Err(cannot_write(
            path,
            &format_args!("the directory `{}` does not exist", dir.display()),
        ))
    }
}

/// Writes a rendered report to a file the user named (atomically).
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    check_writable(path)?;
    let cannot = |why: &dyn std::fmt::Display| cannot_write(path, why);
    write_atomic(path, bytes, Durability::Cache).map_err(|e| cannot(&io_reason(&e)))?;
    Ok(())
}

/// Appends the Markdown report to GitHub's job summary, within its 1 MiB
/// ([`report::github::step_summary`]). A failure is a warning: the summary is a courtesy.
fn append_step_summary(report: &Report, path: &Path, printer: Printer) {
    let mut markdown = Vec::new();
    if report::markdown::write(report, &mut markdown).is_err() {
        return;
    }
    let markdown = String::from_utf8_lossy(&markdown);
    let existing = fs_err::metadata(path).map_or(0, |m| m.len());
    let Some(text) = report::github::step_summary(&markdown, existing) else {
        printer.warning(format_args!(
            "the job summary `{}` is full (1 MiB); the report was not added to it",
            path.display()
        ));
        return;
    };
    let appended = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    match appended {
        Ok(()) => info!("appended the report to the job summary {}", path.display()),
        Err(e) => printer.warning(format_args!(
            "{}",
            crate::util::fs::io_message(
                &format!(
                    "cannot append the report to the job summary `{}`",
                    path.display()
                ),
                path,
                &e
            )
        )),
    }
}

/// Writes the report where the settings say: the `--format` report on stdout (or to the bare
/// `-o PATH`), each `-o FORMAT=PATH` file, and, when a `github` report is written and
/// `GITHUB_STEP_SUMMARY` is set, the Markdown report to the job summary.
pub(crate) fn emit(report: &Report, settings: &CheckSettings, printer: Printer) -> Result<()> {
    if let Some(path) = settings.output.as_deref() {
        let mut bytes = Vec::new();
        render(report, settings.format, &mut bytes, false)?;
        write_file(path, &bytes)?;
        info!("wrote the report to {}", path.display());
    } else {
        let mut out = printer.stdout();
        render(report, settings.format, &mut out, printer.color_stdout())?;
        out.flush()?;
    }
    for file in &settings.outputs {
        let mut bytes = Vec::new();
        render(report, file.format, &mut bytes, false)?;
        write_file(&file.path, &bytes)?;
        info!(
            "wrote the {} report to {}",
            file.format.name(),
            file.path.display()
        );
    }
    let github = settings.format == ReportFormat::Github
        || settings
            .outputs
            .iter()
            .any(|f| f.format == ReportFormat::Github);
    if github && let Some(path) = &settings.step_summary {
        append_step_summary(report, path, printer);
    }
    Ok(())
}

/// Writes what `render` draws to `output` (atomically, without colour) or to stdout (colour as
/// the printer says); a bad `--output` path is named in the error. For the commands with one
/// report (`matrix`, `plan`).
pub(crate) fn write_output(
    output: Option<&Path>,
    printer: Printer,
    render: impl Fn(&mut dyn Write, bool) -> std::io::Result<()>,
) -> Result<()> {
    if let Some(path) = output {
        let mut bytes = Vec::new();
        render(&mut bytes, false)?;
        write_file(path, &bytes)?;
        info!("wrote the report to {}", path.display());
    } else {
        let mut out = printer.stdout();
        render(&mut out, printer.color_stdout())?;
        out.flush()?;
    }
    Ok(())
}
