//! `wheelwatch explain`: the issue catalog applied to a package (assessed on every target) or
//! to an installer's log; with no argument, the whole catalog. Exit 0 when something was
//! explained (or the catalog printed), 1 when the log matches no entry or the package has no
//! problem on any target.

use std::io::{Read as _, Write};

use anyhow::{Context, Result};

use crate::assess::{self, Request};
use crate::catalog::installer::diagnose;
use crate::catalog::render::{self, Finding};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::report::phrases::is_problem;
use crate::settings::{ExplainSettings, ExplainSubject, Format, GlobalSettings};

/// Said after "larger than 32 MiB" of a log too large to read.
const TOO_LARGE: &str = "more than any installer log explain reads";

/// Runs `wheelwatch explain`.
pub(crate) fn run(
    settings: ExplainSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let findings = match settings.subject {
        ExplainSubject::Catalog => {
            let mut out = printer.stdout();
            match settings.format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&render::catalog_json())?
                )?,
                Format::Table | Format::Markdown => render::write_catalog(&mut out)?,
            }
            out.flush()?;
            return Ok(ExitStatus::Success);
        }
        ExplainSubject::Log(path) => {
            let text = match &path {
                Some(path) => {
                    let bytes = crate::requirements::read_bounded_with(path, TOO_LARGE)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                None => {
                    let mut bytes = Vec::new();
                    std::io::stdin()
                        .lock()
                        .take(crate::requirements::MAX_FILE_SIZE + 1)
                        .read_to_end(&mut bytes)
                        .context("cannot read stdin")?;
                    anyhow::ensure!(
                        bytes.len() as u64 <= crate::requirements::MAX_FILE_SIZE,
                        "stdin: larger than {} MiB, {TOO_LARGE}",
                        crate::requirements::MAX_FILE_SIZE / (1024 * 1024)
                    );
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            };
            match diagnose(&text) {
                Some(d) => vec![Finding::from_diagnosis(&d)],
                None => {
                    printer.note(format_args!(
                        "nothing in {} matches the issue catalog (`wheelwatch explain` lists it)",
                        path.as_ref()
                            .map_or_else(|| "stdin".to_string(), |p| p.display().to_string())
                    ));
                    Vec::new()
                }
            }
        }
        ExplainSubject::Package(check) => {
            let assessment = assess::run(&Request::from_settings(&check, &globals.cwd, printer))?;
            let mut findings = Vec::new();
            for t in &assessment.report.targets {
                for p in t.packages.iter().filter(|p| is_problem(p)) {
                    let Some(issue) = p.issue else { continue };
                    findings.push(Finding {
                        target: Some(t.name.clone()),
                        package: Some(p.name.clone()),
                        version: p
                            .default_version
                            .as_ref()
                            .or(p.version.as_ref())
                            .map(ToString::to_string),
                        issue,
                        evidence: p.reason.clone(),
                        detail: p.issue_detail.clone(),
                        needs: crate::catalog::render::needs_of(issue, Some(&p.name)),
                    });
                }
            }
            if findings.is_empty() {
                printer.note(format_args!(
                    "no problem found: {} installs from a wheel on every target",
                    check.sources.packages.join(", ")
                ));
            }
            findings
        }
    };
    let mut out = printer.stdout();
    match settings.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&render::findings_json(&findings))?
        )?,
        Format::Table | Format::Markdown => render::write_findings(&mut out, &findings)?,
    }
    out.flush()?;
    Ok(if findings.is_empty() {
        ExitStatus::Unhealthy
    } else {
        ExitStatus::Success
    })
}
