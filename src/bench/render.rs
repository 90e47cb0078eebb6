//! `wheelwatch bench`'s renderers: a plain-text report for people, JSON (the
//! [`BenchReport`] itself) and Markdown for pull requests and CI summaries.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{BenchReport, CommandResult, EnvironmentResult};

/// Writes the report as text.
pub(crate) fn table(report: &BenchReport, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "Benchmark: primary against fallback");
    for env in &report.environments {
        let _ = writeln!(
            s,
            "  {:<8} Python {:<8} {}",
            env.role.key(),
            env.python,
            where_(env)
        );
    }
    let _ = writeln!(
        s,
        "  {} runs each after {} warm-up, alternating; timeout {}s per run",
        report.runs, report.warmup, report.timeout_s
    );
    for (k, comparison) in report.comparisons.iter().enumerate() {
        let _ = writeln!(s);
        let _ = writeln!(s, "{}", display_name(&comparison.command));
        for env in &report.environments {
            let c = &env.commands[k];
            let _ = writeln!(s, "  {:<8} {}", env.role.key(), line(c));
            if let Some(error) = &c.error {
                let _ = writeln!(s, "           {}: {error}", c.status);
            }
        }
        let _ = writeln!(s, "  => {}", comparison.verdict);
        for env in &report.environments {
            if let Some(slowest) = env.commands[k].slowest_imports.as_ref()
                && !slowest.is_empty()
            {
                let list: Vec<String> = slowest
                    .iter()
                    .take(5)
                    .map(|i| format!("{} {}", i.module, ms(i.self_us as f64 / 1e6)))
                    .collect();
                let _ = writeln!(
                    s,
                    "  slowest imports, {}: {}",
                    env.role.key(),
                    list.join(", ")
                );
            }
        }
    }
    out.write_all(s.as_bytes())
}

/// Writes the report as pretty JSON.
pub(crate) fn json(report: &BenchReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// Writes the report as Markdown.
pub(crate) fn markdown(report: &BenchReport, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "## Benchmark: primary against fallback\n");
    for env in &report.environments {
        let _ = writeln!(
            s,
            "- **{}**: Python {}, {}",
            env.role.key(),
            env.python,
            escape(&where_(env))
        );
    }
    let _ = writeln!(
        s,
        "- {} runs each after {} warm-up, alternating; timeout {}s per run\n",
        report.runs, report.warmup, report.timeout_s
    );
    let _ = writeln!(
        s,
        "| command | primary median | fallback median | ratio | {:.0}% CI | verdict |",
        report
            .comparisons
            .first()
            .map_or(95.0, |c| c.confidence * 100.0)
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for (k, c) in report.comparisons.iter().enumerate() {
        let median = |env: &EnvironmentResult| {
            let r = &env.commands[k];
            r.median_s.map_or_else(|| r.status.to_string(), secs)
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} |",
            escape(&display_name(&c.command)).replace('`', "'"),
            report.environments.first().map(median).unwrap_or_default(),
            report.environments.get(1).map(median).unwrap_or_default(),
            c.ratio
                .map_or_else(|| "–".to_string(), |r| format!("{r:.3}")),
            match (c.ci_low, c.ci_high) {
                (Some(l), Some(h)) => format!("{l:.3}–{h:.3}"),
                _ => "–".to_string(),
            },
            escape(&c.verdict)
        );
    }
    out.write_all(s.as_bytes())
}

fn where_(env: &EnvironmentResult) -> String {
    let what = if env.active {
        "the active venv".to_string()
    } else if env.reused == Some(true) {
        "reused".to_string()
    } else {
        "built for this comparison".to_string()
    };
    format!("{} ({what})", env.path.display())
}

/// The import benchmark's argv holds the whole script: show its name only.
fn display_name(name: &str) -> String {
    name.replace('\n', " ")
}

fn line(c: &CommandResult) -> String {
    let ok = c.runs_s.len();
    let total = c.runs.len();
    match (c.median_s, c.min_s, c.max_s) {
        (Some(median), Some(min), Some(max)) => {
            let mut text = format!(
                "median {} (min {}, max {})",
                secs(median),
                secs(min),
                secs(max)
            );
            if let Some(cpu) = c.median_cpu_s {
                let _ = write!(text, ", CPU {}", secs(cpu));
            }
            if let Some(rss) = c.peak_rss_kib {
                let _ = write!(text, ", peak {:.1} MiB", rss as f64 / 1024.0);
            }
            let _ = write!(text, "; {ok} of {total} runs ok");
            text
        }
        _ => format!("{}: no successful run ({ok} of {total})", c.status),
    }
}

fn secs(s: f64) -> String {
    if s < 1.0 { ms(s) } else { format!("{s:.3} s") }
}

fn ms(s: f64) -> String {
    format!("{:.1} ms", s * 1000.0)
}

/// Markdown table cells: pipes and angle brackets escaped, newlines flattened.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}
