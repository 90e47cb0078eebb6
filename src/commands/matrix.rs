//! `wheelwatch matrix`: one assessment of every (Python, platform) pair (each index page
//! fetched once for all of them), the grid computed by [`crate::matrix`], rendered by
//! [`crate::report::matrix`] to stdout or `--output`.

use std::io::{IsTerminal, Write};

use anyhow::Result;

use super::check::{failure_line, write_output};
use crate::assess::{self, Request};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::report::{Verdict, matrix as render};
use crate::settings::{GlobalSettings, GridFormat, MatrixSettings};

/// Runs `wheelwatch matrix`.
pub(crate) fn run(
    settings: &MatrixSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let targets = settings.targets();
    let mut request = Request::from_settings(&settings.check, &globals.cwd, printer);
    request.primary = targets.first().cloned();
    request.fallbacks = Vec::new();
    request.targets = targets.iter().skip(1).cloned().collect();
    request.no_deps = !settings.tree;
    request.lock_dir = None;
    // Every page of the tree is read from the assessment.
    request.reuse_resolutions = false;
    let assessment = assess::run(&request)?;
    let platforms = if settings.platforms.is_empty() {
        // This machine's platform, as the assessment found it.
        let host = assessment
            .report
            .targets
            .first()
            .map(|t| t.platform.clone())
            .unwrap_or_default();
        vec![host]
    } else {
        settings.platforms.clone()
    };
    let grid = crate::matrix::build(
        &assessment,
        &settings.pythons,
        &platforms,
        settings.tree,
        request.pre,
    );
    let width = if settings.output.is_none() && std::io::stdout().is_terminal() {
        terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
    } else {
        std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
    };
    let render = |out: &mut dyn Write, _color: bool| -> std::io::Result<()> {
        match settings.format {
            GridFormat::Table => render::write_table(&grid, out, width),
            GridFormat::Markdown => render::write_markdown(&grid, out),
            GridFormat::Json => render::write_json(&grid, out),
            GridFormat::Csv => render::write_csv(&grid, out),
            GridFormat::Html => render::write_html(&grid, out),
        }
    };
    write_output(settings.output.as_deref(), printer, render)?;
    if let Some(line) = failure_line(&assessment.report) {
        printer.error(format_args!("{line}"));
    }
    Ok(if assessment.report.verdict == Verdict::AssessmentFailed {
        ExitStatus::AssessmentFailed
    } else {
        ExitStatus::Success
    })
}
