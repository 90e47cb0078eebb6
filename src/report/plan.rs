//! Renderers of an upgrade plan ([`crate::plan::Plan`]): a text report (the requirement files'
//! unified diff, the constraints file, what stays blocked, the re-assessment) and JSON
//! (`schema/plan.schema.json`). Pure.

use std::io::{self, Write};

use serde::Serialize;

use crate::plan::{ChangeKind, Plan};

/// A plan with its rendered edits.
#[derive(Debug, Serialize)]
pub(crate) struct PlanOutput<'a> {
    /// The plan.
    #[serde(flatten)]
    pub(crate) plan: &'a Plan,
    /// The unified diff of the requirement files (empty when none changes).
    pub(crate) diff: String,
    /// The constraints file's text.
    pub(crate) constraints: String,
    /// Where the constraints file was written, if it was.
    pub(crate) constraints_file: Option<String>,
}

/// The constraints file: a header, then one constraint a line.
pub(crate) fn constraints_text(plan: &Plan) -> String {
    let mut out = format!(
        "# Constraints for a wheel-only install on {} (wheelwatch plan), with the planned\n\
         # requirement changes: pip install -r requirements.txt -c this-file\n",
        plan.target
    );
    for c in plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Constraint)
    {
        out.push_str(&c.to);
        out.push('\n');
    }
    out
}

/// The text report.
pub(crate) fn write_text(p: &PlanOutput<'_>, out: &mut dyn Write) -> io::Result<()> {
    let plan = p.plan;
    let requirements = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Requirement)
        .count();
    let constraints = plan.changes.len() - requirements;
    let verdict = if plan.feasible {
        "feasible"
    } else {
        "no plan makes it healthy"
    };
    writeln!(
        out,
        "plan for {}: {verdict}; {requirements} requirement change{}, {constraints} constraint{}",
        plan.target,
        if requirements == 1 { "" } else { "s" },
        if constraints == 1 { "" } else { "s" },
    )?;
    writeln!(out)?;
    writeln!(out, "changes")?;
    if plan.changes.is_empty() {
        writeln!(out, "  none")?;
    }
    for c in &plan.changes {
        let kind = match c.kind {
            ChangeKind::Requirement => "raise",
            ChangeKind::Constraint => "constrain",
        };
        writeln!(out, "  {kind:<9}  {}  →  {}", c.from, c.to)?;
    }
    if !p.diff.is_empty() {
        writeln!(out)?;
        write!(out, "{}", p.diff)?;
    }
    writeln!(out)?;
    match &p.constraints_file {
        Some(path) => writeln!(out, "constraints (written to {path})")?,
        None => writeln!(out, "constraints (--constraints-out PATH writes them)")?,
    }
    for line in p.constraints.lines() {
        writeln!(out, "  {line}")?;
    }
    if !plan.still_blocked.is_empty() {
        writeln!(out)?;
        writeln!(out, "still blocked")?;
        for b in &plan.still_blocked {
            let version = b
                .version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            writeln!(out, "  {}{version}: {}", b.package, b.reason)?;
        }
    }
    if let Some(conflict) = &plan.conflict {
        writeln!(out)?;
        writeln!(out, "the requirements do not resolve")?;
        for line in conflict.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "after the plan (re-assessed)")?;
    writeln!(
        out,
        "  {}  {}  {}",
        plan.target, plan.after.verdict, plan.after.summary
    )?;
    Ok(())
}

/// The JSON form.
pub(crate) fn write_json(p: &PlanOutput<'_>, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, p)?;
    writeln!(out)
}
