//! Markdown rendering of a [`Report`], for pull-request comments and CI job summaries.

use std::io::{self, Write};

use super::Report;
use crate::health::Status;

fn esc(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Writes the report as Markdown.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## wheelwatch: {}", report.verdict.describe())?;
    writeln!(out)?;
    if let Some(f) = &report.recommended_fallback {
        writeln!(out, "Recommended fallback: `{f}`")?;
        writeln!(out)?;
    }
    if let Some(reason) = &report.fallback_reason {
        writeln!(out, "{}", esc(reason))?;
        writeln!(out)?;
    }
    write!(out, "| package |")?;
    for t in &report.targets {
        write!(out, " {} ({:?}) |", t.name, t.role)?;
    }
    writeln!(out)?;
    write!(out, "|---|")?;
    for _ in &report.targets {
        write!(out, "---|")?;
    }
    writeln!(out)?;
    let rows = report.targets.first().map_or(0, |t| t.packages.len());
    for i in 0..rows {
        let name = &report.targets[0].packages[i].name;
        write!(out, "| {} |", esc(name))?;
        for t in &report.targets {
            let p = &t.packages[i];
            let v = p.version.as_deref().unwrap_or("");
            let text = match p.status {
                Status::Wheel => format!(":white_check_mark: {v}"),
                Status::SdistOnly => format!(":warning: sdist {v}"),
                Status::NoDistribution => ":x: none".into(),
                Status::NotFound => ":x: not found".into(),
                Status::Excluded => "excluded".into(),
                Status::NotAssessed => "not assessed".into(),
                Status::Error => ":boom: error".into(),
            };
            write!(out, " {text} |")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(out, "| target | role | healthy | wheels |")?;
    writeln!(out, "|---|---|---|---|")?;
    for t in &report.targets {
        writeln!(
            out,
            "| {} | {:?} | {} | {}/{} |",
            t.name,
            t.role,
            if t.healthy { "yes" } else { "no" },
            t.counts.wheel,
            t.counts.assessed
        )?;
    }
    let problems: Vec<String> = report
        .targets
        .iter()
        .flat_map(|t| {
            t.packages
                .iter()
                .filter(|p| {
                    matches!(
                        p.status,
                        Status::SdistOnly
                            | Status::NoDistribution
                            | Status::NotFound
                            | Status::Error
                    ) || (p.status == Status::Wheel && !p.default_has_wheel)
                })
                .map(move |p| format!("- **{}** on `{}`: {}", p.name, t.name, esc(&p.reason)))
        })
        .collect();
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Problems")?;
        writeln!(out)?;
        for line in problems {
            writeln!(out, "{line}")?;
        }
    }
    let mut tree = Vec::new();
    for t in &report.targets {
        for b in t.transitive_blockers() {
            tree.push(format!(
                "- **{}** {} on `{}` ({}): {}{}",
                b.name,
                b.version,
                t.name,
                esc(&b.first_path()),
                esc(&b.reason),
                b.newest_text()
            ));
        }
        for d in t.transitive_downgrades() {
            tree.push(format!(
                "- {} {} → {} on `{}` (wheel-only): {}",
                d.name,
                d.from,
                d.to,
                t.name,
                esc(&d.reason)
            ));
        }
        if let Some(r) = &t.resolution {
            if let Some(e) = &r.error {
                tree.push(format!("- resolution failed on `{}`: {}", t.name, esc(e)));
            }
            if let Some(c) = &r.conflict {
                tree.push(format!(
                    "- the requirements conflict on `{}`: {}",
                    t.name,
                    esc(&c.replace('\n', " "))
                ));
            }
        }
    }
    if !tree.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Dependencies")?;
        writeln!(out)?;
        for line in tree {
            writeln!(out, "{line}")?;
        }
    }
    if !report.recommendations.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Recommendations")?;
        writeln!(out)?;
        for r in &report.recommendations {
            writeln!(out, "- {}", esc(r))?;
        }
    }
    Ok(())
}
