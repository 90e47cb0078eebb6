//! The terminal rendering of a [`Report`]: a package × target matrix, the problems with their
//! reasons, a line per target and the verdict with recommendations. Colour is optional (the
//! caller decides from the TTY, `--color` and `NO_COLOR`).

use std::io::{self, Write};

use owo_colors::{OwoColorize, Style};

use super::phrases::{self, role_name};
use super::{Report, ResolvedStatus, TargetReport, Verdict};
use crate::health::{PackageHealth, Status};

/// The text of one matrix cell and its style.
fn cell(p: &PackageHealth) -> (String, Style) {
    let v = p
        .version
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    match p.status {
        Status::Wheel if p.default_has_wheel => (format!("✓ {v}"), Style::new().green()),
        Status::Wheel => (format!("✓ {v}*"), Style::new().green()),
        Status::SdistOnly => (format!("✗ sdist {v}"), Style::new().yellow()),
        Status::NoDistribution => ("✗ none".to_string(), Style::new().red()),
        Status::NotFound => ("✗ not found".to_string(), Style::new().red()),
        Status::Excluded => ("– excluded".to_string(), Style::new().dimmed()),
        Status::NotAssessed => ("· url".to_string(), Style::new().dimmed()),
        Status::Error => ("? error".to_string(), Style::new().red().bold()),
    }
}

/// A matrix cell: when a wheel-only install of the whole tree exists, the version it installs
/// (what a fallback installs), `*` marking one older than a default install would take;
/// otherwise the direct view (the blockers sections explain the tree).
fn matrix_cell(t: &TargetReport, p: &PackageHealth) -> (String, Style) {
    let resolved = t
        .resolution
        .as_ref()
        .filter(|r| r.error.is_none() && r.wheel_only_exists)
        .filter(|_| matches!(p.status, Status::Wheel | Status::SdistOnly))
        .and_then(|r| {
            let entry = r.wheel_only.iter().find(|e| e.name == p.name)?;
            let older = r
                .default
                .iter()
                .find(|d| d.name == p.name)
                .is_some_and(|d| d.version != entry.version);
            let mark = if older { "*" } else { "" };
            Some(match entry.status {
                ResolvedStatus::Wheel => {
                    (format!("✓ {}{mark}", entry.version), Style::new().green())
                }
                ResolvedStatus::SdistOnly => {
                    (format!("✗ sdist {}", entry.version), Style::new().yellow())
                }
            })
        });
    resolved.unwrap_or_else(|| cell(p))
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

/// The transitive sections: blockers (with their paths), downgrades of a wheel-only install,
/// conflicts and failed resolutions. Direct requirements show in "problems" already.
fn write_tree_sections(
    report: &Report,
    out: &mut dyn Write,
    paint: &dyn Fn(&str, Style) -> String,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let mut blockers = Vec::new();
    let mut downgrades = Vec::new();
    let mut failures = Vec::new();
    let mut unknown = Vec::new();
    for t in &report.targets {
        for b in t.transitive_blockers() {
            let more = if b.paths.len() > 1 {
                format!(" and {} more paths", b.paths.len() - 1)
            } else {
                String::new()
            };
            blockers.push(format!(
                "  {} {} on {} ({}{more}): {}{}",
                paint(&b.name, Style::new().yellow()),
                b.version,
                t.name,
                b.first_path(),
                b.reason,
                b.newest_text()
            ));
            if let Some(hint) = phrases::remedy_hint(b.issue) {
                blockers.push(format!("    {}", paint(&hint, Style::new().dimmed())));
            }
        }
        for d in t.transitive_downgrades() {
            let via = super::resolution::first_indirect_path(&d.required_by)
                .map_or_else(String::new, |p| format!(" (via {p})"));
            downgrades.push(format!(
                "  {} {} → {} on {}{via}: {}",
                d.name, d.from, d.to, t.name, d.reason
            ));
        }
        if let Some(r) = &t.resolution {
            for p in r.default.iter().filter(|p| p.dependencies_unknown) {
                unknown.push(format!(
                    "  {} {} on {}: its sdist does not declare its dependencies (dynamic or \
                     metadata older than 2.2); what it pulls in when built is not assessed",
                    p.name, p.version, t.name
                ));
            }
            if let Some(e) = &r.error {
                failures.push(format!(
                    "  {} {}: {e}",
                    paint("resolution failed on", Style::new().red().bold()),
                    t.name
                ));
            }
            if let Some(c) = &r.conflict {
                failures.push(format!(
                    "  {} {}:",
                    paint("the requirements conflict on", Style::new().red()),
                    t.name
                ));
                for line in c.lines() {
                    failures.push(format!("    {line}"));
                }
            }
        }
    }
    for (title, lines) in [
        ("blockers (dependencies without a wheel)", blockers),
        (
            "downgrades (a wheel-only install takes older versions)",
            downgrades,
        ),
        ("unknown dependencies", unknown),
        ("resolution", failures),
    ] {
        if !lines.is_empty() {
            writeln!(out)?;
            writeln!(out, "{}", paint(title, bold))?;
            for line in lines {
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

/// Writes the report as a table.
pub fn write(report: &Report, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let paint = |text: &str, style: Style| -> String {
        if color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    };
    let bold = Style::new().bold();

    // Rows: the union of packages in requirement order (every target has the same list).
    let rows: Vec<(&str, &str)> = report
        .targets
        .first()
        .map(|t| {
            t.packages
                .iter()
                .map(|p| (p.name.as_str(), p.requirement.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let name_w = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let headers: Vec<(String, String)> = report
        .targets
        .iter()
        .map(|t| {
            (
                format!("{} ({})", t.python, role_name(t.role)),
                t.platform.clone(),
            )
        })
        .collect();
    let widths: Vec<usize> = report
        .targets
        .iter()
        .zip(&headers)
        .map(|(t, (h1, h2))| {
            t.packages
                .iter()
                .map(|p| matrix_cell(t, p).0.chars().count())
                .chain([h1.chars().count(), h2.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();

    write!(out, "{}", paint(&pad("package", name_w), bold))?;
    for ((h1, _), w) in headers.iter().zip(&widths) {
        write!(out, "  {}", paint(&pad(h1, *w), bold))?;
    }
    writeln!(out)?;
    write!(out, "{}", pad("", name_w))?;
    for ((_, h2), w) in headers.iter().zip(&widths) {
        write!(out, "  {}", paint(&pad(h2, *w), Style::new().dimmed()))?;
    }
    writeln!(out)?;
    for (i, (name, _)) in rows.iter().enumerate() {
        write!(out, "{}", pad(name, name_w))?;
        for (t, w) in report.targets.iter().zip(&widths) {
            let (text, style) = t
                .packages
                .get(i)
                .map_or((String::new(), Style::new()), |p| matrix_cell(t, p));
            write!(out, "  {}", paint(&pad(&text, *w), style))?;
        }
        writeln!(out)?;
    }
    if report.targets.iter().any(|t| {
        t.packages
            .iter()
            .any(|p| matrix_cell(t, p).0.ends_with('*'))
    }) {
        writeln!(
            out,
            "{}",
            paint(
                "* older than what a default install picks (it would build from source): see below",
                Style::new().dimmed()
            )
        )?;
    }

    let mut problems = Vec::new();
    for t in &report.targets {
        for p in &t.packages {
            if phrases::is_problem(p) {
                problems.push((t.name.as_str(), p));
            }
        }
    }
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint("problems", bold))?;
        for (target, p) in problems {
            let (_, style) = cell(p);
            writeln!(out, "  {} on {target}: {}", paint(&p.name, style), p.reason)?;
            if let Some(hint) = phrases::remedy_hint(p.issue) {
                writeln!(out, "    {}", paint(&hint, Style::new().dimmed()))?;
            }
        }
    }
    write_tree_sections(report, out, &paint)?;
    if !report.skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint("not assessed", bold))?;
        for s in &report.skipped {
            writeln!(out, "  {}: {}", s.requirement, s.reason)?;
        }
    }

    writeln!(out)?;
    writeln!(out, "{}", paint("targets", bold))?;
    let tw = report
        .targets
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for t in &report.targets {
        let state = if t.counts.error > 0 {
            paint("no answer", Style::new().red().bold())
        } else if t.healthy {
            paint("healthy  ", Style::new().green())
        } else {
            paint("unhealthy", Style::new().red())
        };
        write!(
            out,
            "  {}  {:<8}  {state}  {}/{} with wheels ({:.0}%)",
            pad(&t.name, tw),
            role_name(t.role),
            t.counts.wheel,
            t.counts.assessed,
            t.wheel_share * 100.0
        )?;
        match t.tree_summary() {
            Some(tree) => writeln!(out, "; {tree}")?,
            None => writeln!(out)?,
        }
        if let Some(path) = t.tags_source.interpreter() {
            let note = format!(
                "{}  tags and markers probed from {}",
                pad("", tw),
                path.display()
            );
            writeln!(out, "  {}", paint(&note, Style::new().dimmed()))?;
        }
    }

    writeln!(out)?;
    if report.input_discovered && !report.sources.is_empty() {
        writeln!(out, "read: {}", report.sources.join(", "))?;
    }
    let verdict_style = match report.verdict {
        Verdict::PrimaryHealthy => Style::new().green().bold(),
        Verdict::FallbackAvailable => Style::new().yellow().bold(),
        Verdict::CompleteFailure | Verdict::AssessmentFailed => Style::new().red().bold(),
    };
    write!(
        out,
        "verdict: {}",
        paint(report.verdict.describe(), verdict_style)
    )?;
    if let Some(f) = &report.recommended_fallback {
        write!(out, " (use {f})")?;
    }
    writeln!(out)?;
    if let Some(reason) = &report.fallback_reason {
        writeln!(out, "  {reason}")?;
    }
    if !report.recommendations.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint("recommendations", bold))?;
        for (i, r) in report.recommendations.iter().enumerate() {
            writeln!(out, "  {}. {}", i + 1, phrases::recommendation(r))?;
        }
    }
    Ok(())
}
