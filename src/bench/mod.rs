//! `wheelwatch bench`'s measurement and its report: runs each benchmark command in two
//! environments (A, the primary's, and B, the fallback's), compares them and says what the
//! runs show. This module owns the run order, the per-command results and the comparison;
//! [`stats`] is the pure statistics, [`measure`] one measured run (a subprocess),
//! [`importtime`] the `-X importtime` parser and [`render`] the table, JSON and Markdown.
//! Which environments and commands to use is the command's business (`commands::bench`).
//!
//! # Order
//!
//! For each command: `warmup` runs in A and in B (not counted), then `runs` runs per
//! environment, alternating: A B, B A, A B, … (each pair starts with the other environment, so
//! neither always runs first after the other has warmed the caches). A run that times out, or
//! that cannot be started, ends that command in that environment (every further run would
//! cost the same); a failing run (non-zero exit) does not. For the default import benchmark,
//! one more run per environment with `-X importtime` gives the slowest imports (that run is not
//! timed: import-time tracing slows imports down).
//!
//! Only successful runs count for the median and the comparison; each run keeps its status.

pub(crate) mod importtime;
pub(crate) mod measure;
pub(crate) mod render;
pub(crate) mod stats;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use importtime::ImportTime;
use measure::{Run, RunStatus, Runner};
use stats::{Bootstrap, Verdict};

/// The JSON report's version (its shape: see the README's `bench` section).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The name of the default benchmark: importing every top-level module of the dependencies.
pub(crate) const IMPORTS: &str = "imports";

/// How many slowest imports are reported per environment.
const SLOWEST_IMPORTS: usize = 10;

/// A command to benchmark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BenchCommand {
    /// Its name in the report (`imports`, or the argv joined by spaces).
    pub name: String,
    /// What to run (`argv[0]` is looked up with the environment's `bin` first on `PATH`).
    pub argv: Vec<String>,
    /// Whether it is the import benchmark (which also gets an `-X importtime` breakdown).
    pub imports: bool,
}

impl BenchCommand {
    /// A configured command, named by its argv.
    pub(crate) fn configured(argv: Vec<String>) -> Self {
        Self {
            name: argv.join(" "),
            argv,
            imports: false,
        }
    }

    /// The import benchmark over `modules` (which must be non-empty): one
    /// `python -I -B -c "import a\nimport b…"` process.
    pub(crate) fn imports(modules: &[String]) -> Self {
        Self {
            name: IMPORTS.to_string(),
            // -I ignores PYTHONDONTWRITEBYTECODE: -B keeps the venv free of new .pyc files.
            argv: vec![
                "python".to_string(),
                "-I".to_string(),
                "-B".to_string(),
                "-c".to_string(),
                import_script(modules),
            ],
            imports: true,
        }
    }
}

fn import_script(modules: &[String]) -> String {
    modules.iter().fold(String::new(), |mut script, m| {
        script.push_str("import ");
        script.push_str(m);
        script.push('\n');
        script
    })
}

/// How to measure.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The commands, in order.
    pub commands: Vec<BenchCommand>,
    /// Counted runs per environment and command.
    pub runs: usize,
    /// Uncounted runs per environment and command, first.
    pub warmup: usize,
    /// The deadline of one run.
    pub timeout: Duration,
    /// The comparison's bootstrap.
    pub bootstrap: Bootstrap,
}

/// What an environment is for, in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    /// The configured primary's.
    Primary,
    /// The fallback's.
    Fallback,
}

impl Role {
    /// `primary` / `fallback`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Fallback => "fallback",
        }
    }
}

/// One of the two environments measured.
#[derive(Clone, Debug)]
pub(crate) struct Environment {
    /// Its role.
    pub role: Role,
    /// Its Python version (`3.12.1`).
    pub python: String,
    /// Its directory (the active venv's real directory, or one under `.wheelwatch/envs/`).
    pub dir: PathBuf,
    /// Whether it is the active venv.
    pub active: bool,
    /// For the environment that is not active: whether an existing one was reused.
    pub reused: Option<bool>,
}

/// One command in one environment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct CommandResult {
    /// The command's name.
    pub name: String,
    /// What ran.
    pub argv: Vec<String>,
    /// `ok` (every run), `partial` (some), else the first unsuccessful run's status.
    pub status: &'static str,
    /// Why the first unsuccessful run failed.
    pub error: Option<String>,
    /// Every counted run, in order.
    pub runs: Vec<Run>,
    /// Wall seconds of the successful runs, in order.
    pub runs_s: Vec<f64>,
    /// Their median.
    pub median_s: Option<f64>,
    /// Their minimum.
    pub min_s: Option<f64>,
    /// Their maximum.
    pub max_s: Option<f64>,
    /// Median CPU seconds of the successful runs.
    pub median_cpu_s: Option<f64>,
    /// Largest peak RSS of the successful runs, KiB.
    pub peak_rss_kib: Option<u64>,
    /// For the import benchmark: the imports with the most time of their own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slowest_imports: Option<Vec<ImportTime>>,
}

/// One environment's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct EnvironmentResult {
    /// `primary` or `fallback`.
    pub role: Role,
    /// Its Python version.
    pub python: String,
    /// Its directory.
    pub path: PathBuf,
    /// Whether it is the active venv.
    pub active: bool,
    /// For the other environment: whether an existing one was reused (`false`: built now).
    pub reused: Option<bool>,
    /// Per command, in plan order.
    pub commands: Vec<CommandResult>,
}

/// B against A for one command.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Comparison {
    /// The command's name.
    pub command: String,
    /// median(fallback) / median(primary); `null` without enough successful runs.
    pub ratio: Option<f64>,
    /// The interval's lower end.
    pub ci_low: Option<f64>,
    /// Its upper end.
    pub ci_high: Option<f64>,
    /// Its confidence level.
    pub confidence: f64,
    /// `slower`, `faster`, `no_difference` or `not_compared`.
    pub outcome: &'static str,
    /// In words.
    pub verdict: String,
    /// The same for CPU time (user + system), steadier than wall time on a busy machine;
    /// `null` without enough successful runs.
    pub cpu: Option<CpuComparison>,
}

/// B against A in CPU time for one command.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct CpuComparison {
    /// median CPU(fallback) / median CPU(primary).
    pub ratio: f64,
    /// The interval's lower end.
    pub ci_low: f64,
    /// Its upper end.
    pub ci_high: f64,
    /// `slower` (more CPU time), `faster` (less) or `no_difference`.
    pub outcome: &'static str,
    /// In words.
    pub verdict: String,
}

/// The whole benchmark.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct BenchReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When it ran (RFC 3339, UTC).
    pub timestamp: String,
    /// wheelwatch's version.
    pub tool_version: String,
    /// Counted runs per environment and command.
    pub runs: usize,
    /// Warm-up runs per environment and command.
    pub warmup: usize,
    /// The deadline of one run, seconds.
    pub timeout_s: f64,
    /// The bootstrap's seed and resamples.
    pub seed: u64,
    /// Resamples drawn.
    pub resamples: usize,
    /// Primary first, then fallback.
    pub environments: Vec<EnvironmentResult>,
    /// One per command, in plan order.
    pub comparisons: Vec<Comparison>,
}

impl BenchReport {
    /// Whether any run did not succeed.
    pub(crate) fn complete(&self) -> bool {
        self.environments
            .iter()
            .flat_map(|e| &e.commands)
            .all(|c| c.status == "ok")
    }
}

/// Progress, as it happens.
pub(crate) enum Progress<'a> {
    /// Starting a command.
    Command(&'a BenchCommand),
    /// A run finished (`counted` false for warm-ups and the import-time run).
    Run {
        /// Which environment.
        role: Role,
        /// The result.
        run: &'a Run,
        /// Counted?
        counted: bool,
    },
}

/// Runs the plan in `a` (the primary's environment) and `b` (the fallback's). `scratch` is a
/// private directory for result files.
pub(crate) fn run(
    runners: [&Runner<'_>; 2],
    envs: [&Environment; 2],
    plan: &Plan,
    scratch: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> BenchReport {
    let mut results: [Vec<CommandResult>; 2] = [Vec::new(), Vec::new()];
    for command in &plan.commands {
        progress(Progress::Command(command));
        let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
        let mut stopped = [false, false];
        for _ in 0..plan.warmup {
            for i in 0..2 {
                if stopped[i] {
                    continue;
                }
                let run = runners[i].run(&command.argv, scratch);
                progress(Progress::Run {
                    role: envs[i].role,
                    run: &run,
                    counted: false,
                });
                if ends_command(run.status) {
                    // The failure is the result: keep it as the environment's one run.
                    stopped[i] = true;
                    runs[i].push(run);
                }
            }
        }
        for pair in 0..plan.runs {
            let order = if pair % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                if stopped[i] {
                    continue;
                }
                let run = runners[i].run(&command.argv, scratch);
                progress(Progress::Run {
                    role: envs[i].role,
                    run: &run,
                    counted: true,
                });
                stopped[i] = ends_command(run.status);
                runs[i].push(run);
            }
        }
        for i in 0..2 {
            let slowest = (command.imports && runs[i].iter().any(|r| r.status == RunStatus::Ok))
                .then(|| {
                    let mut argv = command.argv.clone();
                    argv.splice(1..1, ["-X".to_string(), "importtime".to_string()]);
                    let run = runners[i].run(&argv, scratch);
                    progress(Progress::Run {
                        role: envs[i].role,
                        run: &run,
                        counted: false,
                    });
                    importtime::slowest(&importtime::parse(&run.stderr), SLOWEST_IMPORTS)
                });
            results[i].push(command_result(
                command,
                std::mem::take(&mut runs[i]),
                slowest,
            ));
        }
    }
    let comparisons = plan
        .commands
        .iter()
        .enumerate()
        .map(|(k, c)| compare(&c.name, &results[0][k], &results[1][k], plan.bootstrap))
        .collect();
    let [ra, rb] = results;
    let env_result = |env: &Environment, commands| EnvironmentResult {
        role: env.role,
        python: env.python.clone(),
        path: env.dir.clone(),
        active: env.active,
        reused: env.reused,
        commands,
    };
    BenchReport {
        schema_version: SCHEMA_VERSION,
        timestamp: jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string()),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        runs: plan.runs,
        warmup: plan.warmup,
        timeout_s: plan.timeout.as_secs_f64(),
        seed: plan.bootstrap.seed,
        resamples: plan.bootstrap.resamples,
        environments: vec![env_result(envs[0], ra), env_result(envs[1], rb)],
        comparisons,
    }
}

fn ends_command(status: RunStatus) -> bool {
    matches!(status, RunStatus::Timeout | RunStatus::Error)
}

fn command_result(
    command: &BenchCommand,
    runs: Vec<Run>,
    slowest_imports: Option<Vec<ImportTime>>,
) -> CommandResult {
    let ok: Vec<&Run> = runs.iter().filter(|r| r.status == RunStatus::Ok).collect();
    let runs_s: Vec<f64> = ok.iter().filter_map(|r| r.wall_s).collect();
    let cpu: Vec<f64> = ok.iter().filter_map(|r| r.cpu_s).collect();
    let spread = stats::spread(&runs_s);
    let first_bad = runs.iter().find(|r| r.status != RunStatus::Ok);
    let status = match first_bad {
        None if runs.is_empty() => "error",
        None => "ok",
        Some(_) if !ok.is_empty() => "partial",
        Some(bad) => bad.status.key(),
    };
    CommandResult {
        name: command.name.clone(),
        argv: command.argv.clone(),
        status,
        error: first_bad.and_then(|r| r.detail.clone()),
        runs_s,
        median_s: spread.map(|s| s.median),
        min_s: spread.map(|s| s.min),
        max_s: spread.map(|s| s.max),
        median_cpu_s: stats::median(&cpu),
        peak_rss_kib: ok.iter().filter_map(|r| r.peak_rss_kib).max(),
        slowest_imports,
        runs,
    }
}

/// The comparison of one command's results, B against A.
pub(crate) fn compare(
    name: &str,
    a: &CommandResult,
    b: &CommandResult,
    how: Bootstrap,
) -> Comparison {
    let cpu = |r: &CommandResult| -> Vec<f64> {
        r.runs
            .iter()
            .filter(|run| run.status == RunStatus::Ok)
            .filter_map(|run| run.cpu_s)
            .collect()
    };
    let cpu = stats::ratio_of_medians(&cpu(a), &cpu(b), how).map(|e| {
        let verdict = Verdict::of(e);
        CpuComparison {
            ratio: e.ratio,
            ci_low: e.ci_low,
            ci_high: e.ci_high,
            outcome: verdict.key(),
            verdict: verdict.describe_cpu("fallback"),
        }
    });
    match stats::ratio_of_medians(&a.runs_s, &b.runs_s, how) {
        Some(estimate) => {
            let verdict = Verdict::of(estimate);
            Comparison {
                command: name.to_string(),
                ratio: Some(estimate.ratio),
                ci_low: Some(estimate.ci_low),
                ci_high: Some(estimate.ci_high),
                confidence: estimate.confidence,
                outcome: verdict.key(),
                verdict: verdict.describe("fallback"),
                cpu,
            }
        }
        None => Comparison {
            command: name.to_string(),
            ratio: None,
            ci_low: None,
            ci_high: None,
            confidence: how.confidence,
            outcome: "not_compared",
            verdict: format!(
                "not compared: it needs at least {} successful runs in each environment \
                 (primary {} of {}, fallback {} of {})",
                stats::MIN_SAMPLES,
                a.runs_s.len(),
                a.runs.len(),
                b.runs_s.len(),
                b.runs.len()
            ),
            cpu,
        },
    }
}

/// The report's comparisons as history rows.
pub(crate) fn history_rows<'a>(report: &'a BenchReport) -> Vec<crate::history::BenchRow> {
    let env = |role: Role| report.environments.iter().find(|e| e.role == role);
    let (primary, fallback) = (env(Role::Primary), env(Role::Fallback));
    let active = report
        .environments
        .iter()
        .find(|e| e.active)
        .map_or("primary", |e| e.role.key());
    report
        .comparisons
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let result = |e: Option<&'a EnvironmentResult>| e.and_then(|e| e.commands.get(k));
            let (pa, fb) = (result(primary), result(fallback));
            crate::history::BenchRow {
                command: c.command.clone(),
                primary_python: primary.map(|e| e.python.clone()).unwrap_or_default(),
                fallback_python: fallback.map(|e| e.python.clone()).unwrap_or_default(),
                active_role: active.to_string(),
                runs: report.runs,
                primary_ok: pa.map_or(0, |r| r.runs_s.len()),
                fallback_ok: fb.map_or(0, |r| r.runs_s.len()),
                primary_median_s: pa.and_then(|r| r.median_s),
                fallback_median_s: fb.and_then(|r| r.median_s),
                ratio: c.ratio,
                ci_low: c.ci_low,
                ci_high: c.ci_high,
                confidence: c.confidence,
                outcome: c.outcome.to_string(),
                verdict: c.verdict.clone(),
                cpu_ratio: c.cpu.as_ref().map(|c| c.ratio),
                cpu_ci_low: c.cpu.as_ref().map(|c| c.ci_low),
                cpu_ci_high: c.cpu.as_ref().map(|c| c.ci_high),
            }
        })
        .collect()
}
