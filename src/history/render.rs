//! Rendering of `history list | show | diff | summary` as a table, JSON or Markdown. Pure:
//! writes to any [`std::io::Write`]. The JSON of `list` and `diff` is a contract described by
//! `schema/history-list.schema.json` and `schema/history-diff.schema.json`.
//!
//! Everything that came from package metadata or the index (names, versions, reasons, paths)
//! is escaped in Markdown (a package name cannot open a link or an HTML tag).

use std::io::{self, Write};

use serde::Serialize;

use super::diff::RunDiff;
use super::summary::Summary;
use super::{RunDetails, RunRecord};

/// Output formats (mirrors the settings' format, so this module needs no settings type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Aligned columns for people.
    Table,
    /// JSON.
    Json,
    /// Markdown.
    Markdown,
}

fn json<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Markdown-escapes text from outside (package metadata, reasons, paths).
pub(crate) fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Aligned columns, two spaces apart, no trailing spaces.
fn columns(headers: &[&str], rows: &[Vec<String>], out: &mut dyn Write) -> io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>, out: &mut dyn Write| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            if i + 1 < cells.len() {
                text.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(headers.to_vec(), out)?;
    for r in rows {
        line(r.iter().map(String::as_str).collect(), out)?;
    }
    Ok(())
}

fn md_table(headers: &[&str], rows: &[Vec<String>], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "| {} |", headers.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(headers.len()))?;
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

fn verdict_text(run: &RunRecord) -> String {
    match (&run.verdict, &run.error) {
        (Some(v), _) => v.replace('_', " "),
        (None, _) => "failed".to_string(),
    }
}

fn seconds_text(s: i64) -> String {
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m {}s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}h {}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d {}h", s / 86_400, (s % 86_400) / 3600)
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// `history list`.
pub(crate) fn list(runs: &[RunRecord], format: Format, out: &mut dyn Write) -> io::Result<()> {
    let headers = [
        "run",
        "time",
        "command",
        "verdict",
        "duration",
        "requests",
        "cache hits",
    ];
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.timestamp.clone(),
                r.command.clone(),
                verdict_text(r),
                format!("{} ms", r.duration_ms),
                r.requests.to_string(),
                r.cache_hits.to_string(),
            ]
        })
        .collect();
    match format {
        Format::Json => json(runs, out),
        Format::Table if runs.is_empty() => writeln!(out, "No runs recorded yet."),
        Format::Table => columns(&headers, &rows, out),
        Format::Markdown => {
            writeln!(out, "## wheelwatch history")?;
            writeln!(out)?;
            if runs.is_empty() {
                return writeln!(out, "No runs recorded yet.");
            }
            md_table(&headers, &rows, out)
        }
    }
}

/// `history show RUN`.
pub(crate) fn show(d: &RunDetails, format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        return json(d, out);
    }
    let r = &d.run;
    let mdown = format == Format::Markdown;
    let esc = |t: &str| if mdown { md(t) } else { t.to_string() };
    if mdown {
        writeln!(out, "## Run {}: {}", r.id, verdict_text(r))?;
        writeln!(out)?;
    } else {
        writeln!(out, "Run {}: {}", r.id, verdict_text(r))?;
    }
    let facts = [
        ("time", r.timestamp.clone()),
        ("command", r.command.clone()),
        ("project", format!("{} ({})", r.project, r.project_location)),
        ("inputs", r.inputs.join(", ")),
        ("inputs hash", r.inputs_hash.clone()),
        ("tool version", r.tool_version.clone()),
        (
            "stats",
            format!(
                "{} ms, {} projects, {} requests, {} cache hits",
                r.duration_ms, r.projects, r.requests, r.cache_hits
            ),
        ),
    ];
    for (k, v) in facts {
        if mdown {
            writeln!(out, "- {k}: {}", esc(&v))?;
        } else {
            writeln!(out, "  {k:<13}{v}")?;
        }
    }
    if let Some(e) = &r.error {
        if mdown {
            writeln!(out, "- error: {}", esc(e))?;
        } else {
            writeln!(out, "  {:<13}{e}", "error")?;
        }
    }
    writeln!(out)?;
    if !d.targets.is_empty() {
        let headers = ["target", "role", "healthy", "wheels", "packages"];
        let rows: Vec<Vec<String>> = d
            .targets
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.role.clone(),
                    if t.healthy { "yes" } else { "no" }.to_string(),
                    percent(t.wheel_share),
                    format!("{}/{}", t.counts.wheel, t.counts.assessed),
                ]
            })
            .collect();
        if mdown {
            md_table(&headers, &rows, out)?;
        } else {
            columns(&headers, &rows, out)?;
        }
        writeln!(out)?;
        let headers = ["target", "package", "status", "version", "wheel"];
        let rows: Vec<Vec<String>> = d
            .packages
            .iter()
            .map(|p| {
                vec![
                    p.target.clone(),
                    p.name.clone(),
                    p.status.replace('_', " "),
                    p.version.clone().unwrap_or_default(),
                    p.wheel.clone().unwrap_or_default(),
                ]
            })
            .collect();
        if mdown {
            md_table(&headers, &rows, out)?;
        } else {
            columns(&headers, &rows, out)?;
        }
    }
    if !d.blockers.is_empty() {
        writeln!(out)?;
        writeln!(out, "Blockers:")?;
        for b in &d.blockers {
            let path = b
                .paths
                .first()
                .map_or_else(|| b.name.clone(), |p| p.join(" -> "));
            writeln!(
                out,
                "{}{} on {}: {} ({})",
                if mdown { "- " } else { "  " },
                esc(&b.name),
                esc(&b.target),
                esc(&path),
                esc(&b.reason)
            )?;
        }
    }
    if !d.downgrades.is_empty() {
        writeln!(out)?;
        writeln!(out, "Downgrades:")?;
        for g in &d.downgrades {
            writeln!(
                out,
                "{}{} on {}: {} -> {}",
                if mdown { "- " } else { "  " },
                esc(&g.name),
                esc(&g.target),
                esc(&g.from),
                esc(&g.to)
            )?;
        }
    }
    if !d.events.is_empty() {
        writeln!(out)?;
        writeln!(out, "Events:")?;
        for e in &d.events {
            writeln!(
                out,
                "{}{} {}",
                if mdown { "- " } else { "  " },
                e.timestamp,
                esc(&e.kind)
            )?;
        }
    }
    Ok(())
}

fn change_sentence(c: &super::Change) -> String {
    use super::ChangeKind as K;
    let pkg = c.package.clone().unwrap_or_default();
    let before = c.before.clone().unwrap_or_default().replace('_', " ");
    let after = c.after.clone().unwrap_or_default().replace('_', " ");
    match c.kind {
        K::HealthChanged => format!("became {after} (was {before})"),
        K::BlockerAppeared => format!(
            "{pkg} now blocks a wheel-only install ({})",
            c.detail.clone().unwrap_or_default()
        ),
        K::BlockerGone => format!("{pkg} no longer blocks a wheel-only install"),
        K::WheelGained => format!("{pkg} gained a wheel (was {before})"),
        K::WheelLost => format!("{pkg} lost its wheel (now {after})"),
        K::StatusChanged | K::VersionChanged => format!("{pkg}: {before} -> {after}"),
        K::PackageAdded => format!("{pkg} added ({after})"),
        K::PackageRemoved => format!("{pkg} removed"),
    }
}

/// `history diff`.
pub(crate) fn diff(d: &RunDiff, format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        return json(d, out);
    }
    let mdown = format == Format::Markdown;
    let v = |v: &Option<String>| {
        v.clone()
            .unwrap_or_else(|| "failed".into())
            .replace('_', " ")
    };
    let heading = format!(
        "Run {} ({}) -> run {} ({})",
        d.run_before, d.timestamp_before, d.run_after, d.timestamp_after
    );
    if mdown {
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
    } else {
        writeln!(out, "{heading}")?;
    }
    if d.verdict_changed {
        writeln!(
            out,
            "{}verdict: {} -> {}",
            if mdown { "" } else { "  " },
            v(&d.verdict_before),
            v(&d.verdict_after)
        )?;
    } else {
        writeln!(
            out,
            "{}verdict: {} (unchanged)",
            if mdown { "" } else { "  " },
            v(&d.verdict_after)
        )?;
    }
    if d.changes.is_empty() {
        writeln!(out, "{}no changes", if mdown { "\n" } else { "  " })?;
        return Ok(());
    }
    writeln!(out)?;
    let headers = ["target", "change", "what"];
    let rows: Vec<Vec<String>> = d
        .changes
        .iter()
        .map(|c| {
            vec![
                c.target.clone(),
                c.kind.key().replace('_', " "),
                change_sentence(c),
            ]
        })
        .collect();
    if mdown {
        md_table(&headers, &rows, out)
    } else {
        columns(&headers, &rows, out)
    }
}

/// `history summary`.
pub(crate) fn summary(s: &Summary, format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        return json(s, out);
    }
    let mdown = format == Format::Markdown;
    let bullet = if mdown { "- " } else { "  " };
    if mdown {
        writeln!(out, "## wheelwatch history summary")?;
        writeln!(out)?;
    } else {
        writeln!(out, "History summary")?;
    }
    let range = match (&s.first_run, &s.last_run) {
        (Some(a), Some(b)) => format!(", {a} to {b}"),
        _ => String::new(),
    };
    writeln!(
        out,
        "{bullet}runs: {} ({} with a verdict, {} failed){range}",
        s.runs, s.successful_runs, s.failed_runs
    )?;
    if !s.verdicts.is_empty() {
        let parts: Vec<String> = s
            .verdicts
            .iter()
            .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
            .collect();
        writeln!(out, "{bullet}verdicts: {}", parts.join(", "))?;
    }
    writeln!(
        out,
        "{bullet}actions: {} fallbacks, {} promotions, {} resets, {} failed",
        s.fallbacks, s.promotions, s.resets, s.failed_actions
    )?;
    writeln!(
        out,
        "{bullet}time on a fallback: {}{}",
        seconds_text(s.seconds_on_fallback),
        if s.on_fallback_now {
            " (on a fallback now)"
        } else {
            ""
        }
    )?;
    let recover = match (s.mean_seconds_to_recover, s.max_seconds_to_recover) {
        (Some(mean), Some(max)) => format!(
            "{} recoveries, mean {}, longest {}",
            s.recoveries,
            seconds_text(mean),
            seconds_text(max)
        ),
        _ => "no recovery recorded".to_string(),
    };
    writeln!(out, "{bullet}time to recover: {recover}")?;
    if let Some(since) = &s.unhealthy_since {
        writeln!(out, "{bullet}primary not healthy since {since}")?;
    }
    if s.wheel_share.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let headers = [
        "target",
        "role",
        s.granularity.as_str(),
        "runs",
        "wheel share (mean, min-max)",
    ];
    let rows: Vec<Vec<String>> = s
        .wheel_share
        .iter()
        .flat_map(|t| {
            t.points.iter().map(|p| {
                vec![
                    t.target.clone(),
                    t.role.clone(),
                    p.period.clone(),
                    p.runs.to_string(),
                    format!(
                        "{} ({}-{})",
                        percent(p.mean),
                        percent(p.min),
                        percent(p.max)
                    ),
                ]
            })
        })
        .collect();
    if mdown {
        md_table(&headers, &rows, out)
    } else {
        columns(&headers, &rows, out)
    }
}
