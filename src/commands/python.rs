//! `wheelwatch python list`: every interpreter discovery finds, with where it was found and
//! whether it works (and, when not, the evidence).

use std::io::Write;

use anyhow::Result;

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::python::{Candidate, FindOptions, Unusable, discover_all};
use crate::settings::{Format, PythonListSettings};

/// Runs `wheelwatch python list`.
pub(crate) fn list(settings: PythonListSettings, printer: Printer) -> Result<ExitStatus> {
    let candidates = discover_all(&FindOptions::default());
    let mut out = printer.stdout();
    match settings.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &candidates).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Table => write_table(&mut out, &candidates, false)?,
        Format::Markdown => write_table(&mut out, &candidates, true)?,
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}

fn row(c: &Candidate) -> [String; 4] {
    match c.interpreter() {
        Some(i) => {
            let mut what = i.implementation.clone();
            if i.is_venv {
                what.push_str(", venv");
            }
            [
                i.version_label(),
                c.source.label().to_string(),
                c.path.display().to_string(),
                format!("usable ({what})"),
            ]
        }
        None => [
            "-".to_string(),
            c.source.label().to_string(),
            c.path.display().to_string(),
            match c.unusable() {
                // Not broken: pyenv selects another version here.
                Some(why @ Unusable::InactiveShim { .. }) => {
                    format!("inactive: {why}")
                }
                why => format!(
                    "UNUSABLE: {}",
                    why.map(ToString::to_string).unwrap_or_default()
                ),
            },
        ],
    }
}

fn write_table(out: &mut impl Write, candidates: &[Candidate], markdown: bool) -> Result<()> {
    let header = ["VERSION", "SOURCE", "PATH", "STATUS"];
    let rows: Vec<[String; 4]> = candidates.iter().map(row).collect();
    if markdown {
        writeln!(out, "| {} |", header.join(" | "))?;
        writeln!(out, "|---|---|---|---|")?;
        for r in &rows {
            writeln!(out, "| {} |", r.join(" | ").replace('\n', " "))?;
        }
        return Ok(());
    }
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r.iter()).take(3) {
            *w = (*w).max(cell.chars().count());
        }
    }
    writeln!(
        out,
        "{:<w0$}  {:<w1$}  {:<w2$}  {}",
        header[0],
        header[1],
        header[2],
        header[3],
        w0 = widths[0],
        w1 = widths[1],
        w2 = widths[2]
    )?;
    for (r, c) in rows.iter().zip(candidates) {
        writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {}",
            r[0],
            r[1],
            r[2],
            r[3].replace('\n', " | "),
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )?;
        for also in &c.also_found {
            writeln!(
                out,
                "{:<w0$}  {:<w1$}    = {}",
                "",
                also.source.label(),
                also.path.display(),
                w0 = widths[0],
                w1 = widths[1],
            )?;
        }
    }
    let usable = candidates.iter().filter(|c| c.usable).count();
    let inactive = candidates
        .iter()
        .filter(|c| matches!(c.unusable(), Some(Unusable::InactiveShim { .. })))
        .count();
    write!(
        out,
        "\n{usable} usable, {} unusable",
        candidates.len() - usable - inactive
    )?;
    if inactive > 0 {
        write!(out, ", {inactive} inactive pyenv shim(s)")?;
    }
    writeln!(out)?;
    Ok(())
}
