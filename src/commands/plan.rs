//! `wheelwatch plan --to TARGET`: assesses the target, lets [`crate::plan`] plan changes,
//! re-assesses with them until the target is healthy or nothing more can change, then writes
//! the requirement files' diff (the files are read, never changed), the constraints file
//! (`--constraints-out`) and the re-assessment.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::check::write_output;
use crate::assess::{self, Request};
use crate::exit::{AssessmentError, ExitStatus};
use crate::plan::{PlanState, Round};
use crate::printer::Printer;
use crate::report::plan::{PlanOutput, constraints_text, write_json, write_text};
use crate::requirements::RequirementSet;
use crate::settings::{Format, GlobalSettings, PlanSettings};
use crate::util::fs::{Durability, write_atomic};

/// At most this many re-assessments: each raises at least one version, so real trees need few.
const MAX_ROUNDS: usize = 8;

/// Runs `wheelwatch plan`.
pub(crate) fn run(
    settings: &PlanSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let mut request = Request::from_settings(&settings.check, &globals.cwd, printer);
    request.primary = Some(settings.to.clone());
    request.fallbacks = Vec::new();
    request.targets = Vec::new();
    request.no_deps = false;
    request.lock_dir = None;
    // Every page of the tree is read from the assessment.
    request.reuse_resolutions = false;
    let first = assess::run(&request)?;
    let original = first.requirements.clone();
    let mut state = PlanState::default();
    let mut last = first;
    for _ in 0..MAX_ROUNDS {
        match state.round(&last) {
            Round::Healthy | Round::Stuck => break,
            Round::Failed => {
                let line = super::check::failure_line(&last.report)
                    .unwrap_or_else(|| "the target could not be assessed".to_string());
                return Err(AssessmentError(anyhow::anyhow!("{line}")).into());
            }
            Round::Changed => {
                request.edits = state.edits();
                last = assess::run(&request)?;
            }
        }
    }
    let plan = state.finish(&original, &last);
    let diff = requirement_diff(&original, &plan, &globals.cwd)?;
    let constraints = constraints_text(&plan);
    if let Some(path) = &settings.constraints_out {
        write_atomic(path, constraints.as_bytes(), Durability::Cache)
            .with_context(|| format!("cannot write the constraints to `{}`", path.display()))?;
    }
    let output = PlanOutput {
        plan: &plan,
        diff,
        constraints,
        constraints_file: settings
            .constraints_out
            .as_ref()
            .map(|p| p.display().to_string()),
    };
    write_output(None, printer, |out, _color| match settings.format {
        Format::Json => write_json(&output, out),
        Format::Table | Format::Markdown => write_text(&output, out),
    })?;
    Ok(if plan.feasible {
        ExitStatus::Success
    } else if plan.after.verdict == "assessment_failed" {
        ExitStatus::AssessmentFailed
    } else {
        ExitStatus::Unhealthy
    })
}

/// The unified diff of every requirement file a planned change edits (paths as the user named
/// them).
fn requirement_diff(
    original: &RequirementSet,
    plan: &crate::plan::Plan,
    cwd: &std::path::Path,
) -> Result<String> {
    let mut edits: BTreeMap<PathBuf, Vec<(usize, String, String)>> = BTreeMap::new();
    for change in &plan.changes {
        for declared in &original.requirements {
            if declared.requirement.name.as_ref() != change.package {
                continue;
            }
            if change.kind != crate::plan::ChangeKind::Requirement {
                continue;
            }
            if let Some(origin) = &declared.origin {
                edits.entry(origin.file.clone()).or_default().push((
                    origin.line,
                    declared.raw.clone(),
                    change.to.clone(),
                ));
            }
        }
    }
    let mut out = String::new();
    for (file, edits) in edits {
        let path = if file.is_absolute() {
            file.clone()
        } else {
            cwd.join(&file)
        };
        let old = fs_err::read_to_string(&path)
            .with_context(|| format!("cannot read `{}` again", file.display()))?;
        let new = crate::plan::edit_text(&old, &edits);
        let label = file
            .strip_prefix(cwd)
            .unwrap_or(&file)
            .display()
            .to_string();
        let diff = similar::TextDiff::from_lines(&old, &new);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{label}"), &format!("b/{label}"))
                .to_string(),
        );
    }
    Ok(out)
}
