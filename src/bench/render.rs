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
        if let Some(cpu) = &comparison.cpu {
            let _ = writeln!(s, "  => {}", cpu.verdict);
        }
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
        "| command | primary median | fallback median | ratio | {:.0}% CI | verdict | CPU time |",
        report
            .comparisons
            .first()
            .map_or(95.0, |c| c.confidence * 100.0)
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for (k, c) in report.comparisons.iter().enumerate() {
        let median = |env: &EnvironmentResult| {
            let r = &env.commands[k];
            r.median_s.map_or_else(|| r.status.to_string(), secs)
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            escape(&display_name(&c.command)).replace('`', "'"),
            report.environments.first().map(median).unwrap_or_default(),
            report.environments.get(1).map(median).unwrap_or_default(),
            c.ratio
                .map_or_else(|| "–".to_string(), |r| format!("{r:.3}")),
            match (c.ci_low, c.ci_high) {
                (Some(l), Some(h)) => format!("{l:.3}–{h:.3}"),
                _ => "–".to_string(),
            },
            escape(&c.verdict),
            c.cpu
                .as_ref()
                .map_or_else(|| "–".to_string(), |c| escape(&c.verdict))
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
        _ => format!("no successful run ({ok} of {total})"),
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::measure::{Run, RunStatus};
    use super::super::stats::Bootstrap;
    use super::super::{
        BenchCommand, BenchReport, EnvironmentResult, Role, command_result, compare,
    };

    fn run(status: RunStatus, wall: f64) -> Run {
        Run {
            status,
            wall_s: Some(wall),
            cpu_s: Some(wall * 0.9),
            peak_rss_kib: Some(10_240),
            exit_code: (status == RunStatus::Ok).then_some(0).or(Some(3)),
            signal: None,
            detail: (status != RunStatus::Ok).then(|| "exit code 3".to_string()),
            stderr: String::new(),
        }
    }

    fn report() -> BenchReport {
        let imports = BenchCommand::imports(&["wwfast".to_string()]);
        let tests = BenchCommand::configured(vec!["pytest".into(), "-q".into()]);
        let a = [
            command_result(
                &imports,
                [0.050, 0.052, 0.051, 0.049]
                    .iter()
                    .map(|w| run(RunStatus::Ok, *w))
                    .collect(),
                Some(Vec::new()),
            ),
            command_result(&tests, vec![run(RunStatus::Ok, 1.5); 4], None),
        ];
        let b = [
            command_result(
                &imports,
                [0.054, 0.056, 0.055, 0.053]
                    .iter()
                    .map(|w| run(RunStatus::Ok, *w))
                    .collect(),
                Some(Vec::new()),
            ),
            command_result(&tests, vec![run(RunStatus::Failed, 0.2); 4], None),
        ];
        let how = Bootstrap::default();
        BenchReport {
            schema_version: 1,
            timestamp: "2026-12-02T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            runs: 4,
            warmup: 1,
            timeout_s: 300.0,
            seed: how.seed,
            resamples: how.resamples,
            comparisons: vec![
                compare("imports", &a[0], &b[0], how),
                compare("pytest -q", &a[1], &b[1], how),
            ],
            environments: vec![
                EnvironmentResult {
                    role: Role::Primary,
                    python: "3.12.1".into(),
                    path: PathBuf::from("/p/.venv"),
                    active: true,
                    reused: None,
                    commands: a.to_vec(),
                },
                EnvironmentResult {
                    role: Role::Fallback,
                    python: "3.11.9".into(),
                    path: PathBuf::from("/p/.wheelwatch/envs/x"),
                    active: false,
                    reused: Some(false),
                    commands: b.to_vec(),
                },
            ],
        }
    }

    #[test]
    fn table_and_markdown() {
        let report = report();
        let mut out = Vec::new();
        super::table(&report, &mut out).unwrap();
        let table = String::from_utf8(out).unwrap();
        let verdict = &report.comparisons[0].verdict;
        let cpu_verdict = &report.comparisons[0].cpu.as_ref().unwrap().verdict;
        assert!(
            cpu_verdict.starts_with("the fallback uses 8% more CPU time (95% CI "),
            "{cpu_verdict}"
        );
        assert!(report.comparisons[1].cpu.is_none());
        assert!(
            verdict.starts_with("the fallback is 8% slower (95% CI "),
            "{verdict}"
        );
        assert_eq!(
            table,
            format!(
                "\
Benchmark: primary against fallback
  primary  Python 3.12.1   /p/.venv (the active venv)
  fallback Python 3.11.9   /p/.wheelwatch/envs/x (built for this comparison)
  4 runs each after 1 warm-up, alternating; timeout 300s per run

imports
  primary  median 50.5 ms (min 49.0 ms, max 52.0 ms), CPU 45.5 ms, peak 10.0 MiB; 4 of 4 runs ok
  fallback median 54.5 ms (min 53.0 ms, max 56.0 ms), CPU 49.0 ms, peak 10.0 MiB; 4 of 4 runs ok
  => {verdict}
  => {cpu_verdict}

pytest -q
  primary  median 1.500 s (min 1.500 s, max 1.500 s), CPU 1.350 s, peak 10.0 MiB; 4 of 4 runs ok
  fallback no successful run (0 of 4)
           failed: exit code 3
  => not compared: it needs at least 2 successful runs in each environment (primary 4 of 4, fallback 0 of 4)
"
            )
        );
        let mut out = Vec::new();
        super::markdown(&report, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "\
## Benchmark: primary against fallback

- **primary**: Python 3.12.1, /p/.venv (the active venv)
- **fallback**: Python 3.11.9, /p/.wheelwatch/envs/x (built for this comparison)
- 4 runs each after 1 warm-up, alternating; timeout 300s per run

| command | primary median | fallback median | ratio | 95% CI | verdict | CPU time |
|---|---|---|---|---|---|---|
| `imports` | 50.5 ms | 54.5 ms | 1.079 | {:.3}–{:.3} | {verdict} | {cpu_verdict} |
| `pytest -q` | 1.500 s | failed | – | – | not compared: it needs at least 2 successful runs in each environment (primary 4 of 4, fallback 0 of 4) | – |
",
                report.comparisons[0].ci_low.unwrap(),
                report.comparisons[0].ci_high.unwrap(),
            )
        );
    }
}
