//! Renderers of the compatibility matrix ([`crate::matrix::Matrix`]): a terminal table that
//! folds a grid wider than the terminal into blocks of columns (the package column repeated),
//! Markdown, JSON (`schema/matrix.schema.json`), CSV (one line per cell, for spreadsheets) and a
//! self-contained HTML page (inline style, no script, everything from the index escaped). Pure:
//! each writes to any [`std::io::Write`]. The CSV is written by hand: four kinds of fields, quoted
//! per RFC 4180 by [`csv_field`]; a crate would add nothing.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::matrix::{Cell, CellStatus, Matrix};

/// `7/9`.
fn ratio(wheels: usize, total: usize) -> String {
    format!("{wheels}/{total}")
}

/// A cell as text: `2.0.3`, `✗ 2.1.1` (needs a build; 2.1.1 is the first version with a wheel
/// there), `✗`, `–`, `·`, `?`.
pub(crate) fn cell_text(cell: &Cell) -> String {
    match cell.status {
        CellStatus::Wheel => cell
            .version
            .as_ref()
            .map_or_else(|| "✓".to_string(), ToString::to_string),
        CellStatus::NoWheel => match &cell.first_with_wheel {
            Some(v) => format!("✗ {v}"),
            None => "✗".to_string(),
        },
        CellStatus::None => match &cell.first_with_wheel {
            Some(v) => format!("– {v}"),
            None => "–".to_string(),
        },
        CellStatus::NotNeeded => "·".to_string(),
        CellStatus::Error => "?".to_string(),
    }
}

const LEGEND: &str = "a version: it installs from a wheel · ?: the index did not answer\n\
                      ✗ V: needs a source build; V is the first later version with a wheel there\n\
                      – V: nothing installs (V: as for ✗) · ·: not installed there";

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// The table, folded into blocks of target columns so no line is longer than `max_width`
/// (`None`: one block).
pub(crate) fn write_table(
    m: &Matrix,
    out: &mut dyn Write,
    max_width: Option<usize>,
) -> io::Result<()> {
    let n = m.totals.len();
    let mut first_col = vec!["package".to_string(), String::new()];
    first_col.extend(m.rows.iter().map(|r| {
        if r.direct || !m.tree {
            r.package.clone()
        } else {
            format!("  {}", r.package)
        }
    }));
    first_col.push("wheels".to_string());
    let first_w = first_col.iter().map(|s| width(s)).max().unwrap_or(0);
    let columns: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let t = &m.totals[i];
            let mut col = vec![t.python.clone(), t.platform.clone()];
            col.extend(m.rows.iter().map(|r| cell_text(&r.cells[i])));
            col.push(ratio(t.wheels, t.total));
            col
        })
        .collect();
    let mut total_col = vec!["wheels".to_string(), String::new()];
    total_col.extend(m.rows.iter().map(|r| ratio(r.wheels, r.total)));
    let all_w: usize = m.totals.iter().map(|t| t.wheels).sum();
    let all_t: usize = m.totals.iter().map(|t| t.total).sum();
    total_col.push(ratio(all_w, all_t));
    let col_w = |c: &Vec<String>| c.iter().map(|s| width(s)).max().unwrap_or(0);
    let total_w = col_w(&total_col);
    // Blocks of columns that fit.
    let mut blocks: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = first_w;
    for (i, col) in columns.iter().enumerate() {
        let w = col_w(col) + 2;
        let last = i + 1 == n;
        let need = w + if last { total_w + 2 } else { 0 };
        if let Some(max) = max_width
            && used + need > max
            && !blocks.last().is_some_and(Vec::is_empty)
        {
            blocks.push(Vec::new());
            used = first_w;
        }
        used += w;
        blocks.last_mut().expect("one block").push(i);
    }
    for (b, block) in blocks.iter().enumerate() {
        if b > 0 {
            writeln!(out)?;
        }
        let last_block = b + 1 == blocks.len();
        for line in 0..first_col.len() {
            let mut text = pad(&first_col[line], first_w);
            for &i in block {
                text.push_str("  ");
                text.push_str(&pad(&columns[i][line], col_w(&columns[i])));
            }
            if last_block {
                text.push_str("  ");
                text.push_str(&total_col[line]);
            }
            writeln!(out, "{}", text.trim_end())?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{LEGEND}")?;
    Ok(())
}

fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Markdown table: one column per target, row and column totals.
pub(crate) fn write_markdown(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    let mut header = String::from("| package |");
    let mut rule = String::from("|---|");
    for t in &m.totals {
        let _ = write!(
            header,
            " {} {} |",
            md_escape(&t.python),
            md_escape(&t.platform)
        );
        rule.push_str("---|");
    }
    header.push_str(" wheels |");
    rule.push_str("---|");
    writeln!(out, "{header}")?;
    writeln!(out, "{rule}")?;
    for r in &m.rows {
        let mut line = format!("| {} |", md_escape(&r.package));
        for c in &r.cells {
            let _ = write!(line, " {} |", md_escape(&cell_text(c)));
        }
        let _ = write!(line, " {} |", ratio(r.wheels, r.total));
        writeln!(out, "{line}")?;
    }
    let mut line = String::from("| **wheels** |");
    for t in &m.totals {
        let _ = write!(line, " {} |", ratio(t.wheels, t.total));
    }
    let all_w: usize = m.totals.iter().map(|t| t.wheels).sum();
    let all_t: usize = m.totals.iter().map(|t| t.total).sum();
    let _ = write!(line, " {} |", ratio(all_w, all_t));
    writeln!(out, "{line}")?;
    writeln!(out)?;
    for line in LEGEND.lines() {
        writeln!(out, "{}  ", md_escape(line))?;
    }
    Ok(())
}

/// The JSON form (`schema/matrix.schema.json`).
pub(crate) fn write_json(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, m)?;
    writeln!(out)
}

/// One RFC 4180 field.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV, one line per cell: `package,python,platform,status,version,first_with_wheel`.
pub(crate) fn write_csv(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "package,python,platform,status,version,first_with_wheel"
    )?;
    let opt =
        |v: &Option<pep440_rs::Version>| v.as_ref().map(ToString::to_string).unwrap_or_default();
    for r in &m.rows {
        for c in &r.cells {
            let status = serde_json::to_value(c.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            writeln!(
                out,
                "{},{},{},{},{},{}",
                csv_field(&r.package),
                csv_field(&c.python),
                csv_field(&c.platform),
                status,
                csv_field(&opt(&c.version)),
                csv_field(&opt(&c.first_with_wheel)),
            )?;
        }
    }
    Ok(())
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#fff}\
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}\
thead th{background:#f6f8fa}td.wheel{background:#dafbe1}td.no_wheel{background:#ffebe9}\
td.none{background:#eaeef2}td.not_needed{color:#8c959f}td.error{background:#fff8c5}\
tfoot td{font-weight:600}@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}\
thead th{background:#161b22}th,td{border-color:#30363d}td.wheel{background:#033a16}\
td.no_wheel{background:#5d0f12}td.none{background:#21262d}td.error{background:#4b3a00}}";

/// A self-contained HTML page: no script, no external resource.
pub(crate) fn write_html(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(
        out,
        "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wheelwatch matrix</title>\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>{STYLE}</style></head><body>"
    )?;
    writeln!(out, "<h1>Wheel compatibility matrix</h1>")?;
    writeln!(out, "<table><thead><tr><th>package</th>")?;
    for t in &m.totals {
        writeln!(
            out,
            "<th>{}<br>{}</th>",
            html_escape(&t.python),
            html_escape(&t.platform)
        )?;
    }
    writeln!(out, "<th>wheels</th></tr></thead><tbody>")?;
    for r in &m.rows {
        write!(out, "<tr><th>{}</th>", html_escape(&r.package))?;
        for c in &r.cells {
            let class = serde_json::to_value(c.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            write!(
                out,
                "<td class=\"{class}\">{}</td>",
                html_escape(&cell_text(c))
            )?;
        }
        writeln!(out, "<td>{}</td></tr>", ratio(r.wheels, r.total))?;
    }
    write!(out, "</tbody><tfoot><tr><th>wheels</th>")?;
    for t in &m.totals {
        write!(out, "<td>{}</td>", ratio(t.wheels, t.total))?;
    }
    let all_w: usize = m.totals.iter().map(|t| t.wheels).sum();
    let all_t: usize = m.totals.iter().map(|t| t.total).sum();
    writeln!(out, "<td>{}</td></tr></tfoot></table>", ratio(all_w, all_t))?;
    let legend: Vec<String> = LEGEND.lines().map(html_escape).collect();
    writeln!(out, "<p>{}</p>", legend.join("<br>"))?;
    writeln!(out, "</body></html>")?;
    Ok(())
}
