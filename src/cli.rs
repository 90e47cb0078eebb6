//! The command-line interface: clap types only. Nothing outside this module and
//! [`crate::settings`] sees them; commands receive resolved settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tells whether every dependency of a Python project installs from a prebuilt wheel on the
/// Python versions and platforms you deploy to, and falls back safely when it does not.
#[derive(Debug, Parser)]
#[command(name = "wheelwatch", version, about, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More output on stderr (-v: debug, -vv: trace). `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colour on a terminal.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Also write timestamped log lines to this file.
    #[arg(long, value_name = "FILE", global = true)]
    pub log_file: Option<PathBuf>,
    /// Read configuration from this file instead of ./wheelwatch.toml or ./pyproject.toml.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The history store: a `postgres://` URL, or a SQLite file (default:
    /// .wheelwatch/history.sqlite). Also `WHEELWATCH_STORE` or `store = …` in the
    /// configuration.
    #[arg(long, value_name = "URL|FILE", global = true)]
    pub store: Option<String>,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Assess wheel availability per package and target, and give a verdict.
    Check(Box<CheckArgs>),
    /// Print the compatible wheel tags of a target, best first, one a line.
    Tags(TagsArgs),
    /// Show the effective configuration and where each value came from.
    Config(ConfigArgs),
    /// Move the venv to the first healthy fallback Python: build beside, install exactly what
    /// was assessed, verify by importing, swap atomically.
    Fallback(Box<FallbackArgs>),
    /// Move the venv back to the primary Python once it is healthy again.
    Promote(Box<SwitchArgs>),
    /// Emergency reset: archive the venv, rebuild it fresh on the healthy interpreter, then
    /// clear caches (needs --yes; without it, prints the plan).
    Reset(Box<ResetArgs>),
    /// Check this machine: interpreters, pip, venv, build tools, disk space, index.
    Doctor(DoctorArgs),
    /// Python interpreters on this machine.
    Python(PythonArgs),
    /// Write the project's interpreters and inputs to [tool.wheelwatch] in pyproject.toml (or
    /// wheelwatch.toml), and keep the venv and .wheelwatch/ out of git.
    Init(InitArgs),
    /// Recorded runs and lifecycle events: list, show, diff, summary, prune.
    History(HistoryArgs),
    /// Explain a wheel problem from the issue catalog: a package's problem on each target, or
    /// an installer's log (`-`: stdin); with no argument, the whole catalog.
    Explain(Box<ExplainArgs>),
    /// Reports built from an assessment: `upstream`, the requests to file with projects that
    /// block a wheel-only install.
    Report(Box<ReportArgs>),
    /// Run benchmark commands in the primary's and the fallback's environments and compare
    /// them (the active venv is never changed).
    Bench(Box<BenchArgs>),
    /// Write a self-contained HTML dashboard of the history (or serve it live).
    Dashboard(DashboardArgs),
    /// Continuous integration: generate a workflow that checks every configured target.
    Ci(CiArgs),
    /// Print a shell completion script: `wheelwatch completions bash > …`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), generated from this command-line definition.
    #[command(hide = true)]
    Man,
    /// Assess every --interval until stopped (or once): record each run, alert on changes,
    /// export metrics, and optionally fall back or promote on its own.
    Watch(Box<WatchArgs>),
    /// Print the project's metrics (Prometheus text format) from the history store.
    Metrics(MetricsArgs),
    /// A compatibility grid: packages × Python versions × platforms, each cell the version that
    /// installs from a wheel (or ✗ and the first version with one).
    Matrix(Box<MatrixArgs>),
    /// The smallest set of requirement changes that makes a target healthy (a wheel-only
    /// install of the whole tree), as a diff and a constraints file, re-assessed.
    Plan(Box<PlanArgs>),
}

/// `wheelwatch explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A package (`numpy`, `numpy==1.24.4`) to assess and explain on each target, or an
    /// installer's log file (pip or uv output; `-` reads stdin). A path that exists is a log.
    #[arg(value_name = "PACKAGE|LOGFILE")]
    pub subject: Option<String>,
    /// Targets (for a package).
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Index and cache (for a package).
    #[command(flatten)]
    pub index: IndexArgs,
    /// Consider pre-releases.
    #[arg(long)]
    pub pre: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `wheelwatch report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which report.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// `wheelwatch report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// For each project that blocks a wheel-only install: the evidence (environment, targets
    /// without a wheel and since when, which versions have which wheels, the project's links),
    /// how many of our packages it blocks, and an issue text ready to file.
    Upstream(Box<UpstreamArgs>),
}

/// `wheelwatch report upstream`.
#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// Only this blocking project.
    #[arg(value_name = "PACKAGE")]
    pub package: Option<String>,
    /// A requirements file, pyproject.toml or lock file, repeatable (default: the
    /// configuration's, else ./requirements.txt, else ./pyproject.toml).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirement: Vec<PathBuf>,
    /// A constraints file (pip format), repeatable.
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraint: Vec<PathBuf>,
    /// Targets.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Consider pre-releases.
    #[arg(long)]
    pub pre: bool,
    /// Output format: markdown (default) or json (schema/upstream-report.schema.json).
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `wheelwatch ci`.
#[derive(Debug, Args)]
pub struct CiArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CiCommand,
}

/// `wheelwatch ci` subcommands.
#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// Write .github/workflows/wheel-health.yml (or .gitlab-ci.yml): every 6 hours, on pull
    /// requests touching dependency files, and on demand; annotations, SARIF, job summary,
    /// reports as artifacts, cached index.
    Init(CiInitArgs),
}

/// `wheelwatch ci init`.
#[derive(Debug, Args)]
pub struct CiInitArgs {
    /// Print the file instead of writing it.
    #[arg(long)]
    pub print: bool,
    /// A GitLab CI pipeline (.gitlab-ci.yml) instead of a GitHub Actions workflow.
    #[arg(long)]
    pub gitlab: bool,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
    /// The pip requirement the job installs wheelwatch from: this version by default
    /// (`wheelwatch==VERSION`), or a wheel's URL, or `git+URL@TAG` to build it from source.
    #[arg(long, value_name = "SPEC")]
    pub install: Option<String>,
}

/// `wheelwatch completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// Shells `wheelwatch completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash (`source <(wheelwatch completions bash)`).
    Bash,
    /// Zsh (into a directory on `$fpath`, as `_wheelwatch`).
    Zsh,
    /// fish (`~/.config/fish/completions/wheelwatch.fish`).
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

/// The completion script for `shell`, generated from this definition.
pub fn completion_script(shell: CompletionShell) -> Vec<u8> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Elvish => Shell::Elvish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wheelwatch", &mut out);
    out
}

/// The man page (roff) of wheelwatch and its commands, generated from this definition: the
/// top-level page, then a page for each visible command and subcommand
/// (`wheelwatch-check`, `wheelwatch-ci-init`, …), one after the other.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    use clap::CommandFactory;
    fn render_subcommands(
        command: &clap::Command,
        prefix: &str,
        bin: &str,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        for sub in command
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let name = format!("{prefix}-{}", sub.get_name());
            let bin = format!("{bin} {}", sub.get_name());
            let page = sub
                .clone()
                .display_name(name.clone())
                .bin_name(bin.clone())
                .version(env!("CARGO_PKG_VERSION"));
            clap_mangen::Man::new(page).render(out)?;
            render_subcommands(sub, &name, &bin, out)?;
        }
        Ok(())
    }
    let mut command = Cli::command();
    command.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    render_subcommands(&command, "wheelwatch", "wheelwatch", &mut out)?;
    Ok(out)
}

/// `wheelwatch dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Write the page here (`-` for stdout).
    #[arg(short, long, value_name = "FILE", default_value = "dashboard.html")]
    pub output: PathBuf,
    /// Serve the page on this address instead (e.g. 127.0.0.1:8050), re-reading the store for
    /// every request.
    #[arg(long, value_name = "ADDR:PORT", conflicts_with = "output")]
    pub serve: Option<String>,
}

/// `wheelwatch watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Requirement sources.
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Targets.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Environment options (for --auto-fallback and --auto-promote).
    #[command(flatten)]
    pub env: EnvArgs,
    /// Health threshold (share of packages with a wheel), 0.0-1.0.
    #[arg(long, value_name = "SHARE", allow_hyphen_values = true, value_parser = parse_share)]
    pub threshold: Option<f64>,
    /// Consider pre-releases for every package.
    #[arg(long)]
    pub pre: bool,
    /// Time between assessments (`90s`, `15m`, `1h`, `1d`), with ±10% jitter [default: 1h].
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Assess once, record, alert and write metrics, then exit (for cron and systemd timers).
    #[arg(long, conflicts_with_all = ["print_systemd", "print_cron"])]
    pub once: bool,
    /// Stop after this many runs (tests).
    #[arg(long, value_name = "N", hide = true)]
    pub max_runs: Option<u64>,
    /// Print a systemd service and timer (Persistent=true) running `watch --once`, and exit.
    #[arg(long, conflicts_with = "print_cron")]
    pub print_systemd: bool,
    /// Print a crontab line running `watch --once` every --interval, and exit.
    #[arg(long)]
    pub print_cron: bool,
    /// POST alerts as JSON to this URL (Alertmanager-shaped; Slack's text/blocks for a Slack
    /// incoming webhook), repeatable.
    #[arg(long = "notify", value_name = "URL")]
    pub notify: Vec<String>,
    /// Run this program with each alert as JSON on stdin (argv, no shell). Put it last, or end
    /// its arguments with `;`.
    #[arg(long, value_name = "ARGV", num_args = 1.., allow_hyphen_values = true,
          value_terminator = ";")]
    pub notify_command: Vec<String>,
    /// Seconds an alert delivery may take (each attempt) [default: 10].
    #[arg(long, value_name = "SECONDS")]
    pub notify_timeout: Option<u64>,
    /// Alert when the assessment has failed this many times in a row [default: 3].
    #[arg(long, value_name = "N")]
    pub alert_after_failures: Option<u32>,
    /// Fall back on its own after N consecutive successful assessments with an unhealthy
    /// primary (an outage counts nothing).
    #[arg(long)]
    pub auto_fallback: bool,
    /// N for --auto-fallback [default: 2].
    #[arg(long, value_name = "N")]
    pub fallback_after: Option<u32>,
    /// Return to the primary on its own after N consecutive assessments with a healthy
    /// primary.
    #[arg(long)]
    pub auto_promote: bool,
    /// N for --auto-promote [default: 2].
    #[arg(long, value_name = "N")]
    pub promote_after: Option<u32>,
    /// Rewrite this file atomically with the metrics after each run (node_exporter's textfile
    /// collector).
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
    /// Serve the metrics at http://ADDR/metrics while watching (e.g. 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Also export one series per package and target.
    #[arg(long)]
    pub metrics_per_package: bool,
}

/// `wheelwatch metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Also export one series per package and target.
    #[arg(long)]
    pub metrics_per_package: bool,
}

/// `wheelwatch history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: HistoryCommand,
    /// Output format (JSON of `list` and `diff`: schema/history-*.schema.json).
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
}

/// `wheelwatch history` subcommands.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Recorded runs, newest first.
    List {
        /// At most this many runs.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Everything recorded about one run.
    Show {
        /// The run's id (as `history list` shows it).
        run: i64,
    },
    /// What changed between two runs (default: the last two successful runs).
    Diff {
        /// The older run (default: the second-to-last successful run).
        before: Option<i64>,
        /// The newer run (default: the last successful run).
        after: Option<i64>,
    },
    /// Runs and date range, wheel share per target over time, fallbacks, time on a fallback,
    /// time to recover.
    Summary,
    /// Delete runs and events older than N days.
    Prune {
        /// Keep this many days.
        #[arg(long, value_name = "N", default_value_t = 365)]
        keep_days: u32,
    },
    /// Generate synthetic runs into a store (for the benchmark script only).
    #[command(hide = true)]
    BenchFill {
        /// Runs to generate.
        #[arg(long, default_value_t = 10_000)]
        runs: usize,
        /// Packages per target.
        #[arg(long, default_value_t = 50)]
        packages: usize,
        /// Targets per run.
        #[arg(long, default_value_t = 6)]
        targets: usize,
    },
}

/// `wheelwatch init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The primary Python (`3.12`, `3.13t`, a path). Default: the interpreter of the existing
    /// venv.
    #[arg(long, value_name = "PY")]
    pub python: Option<String>,
    /// A fallback Python, repeatable, tried in order.
    #[arg(long = "fallback", value_name = "PY")]
    pub fallback: Vec<String>,
    /// An extra, informational target `PY[@PLATFORM]`, repeatable.
    #[arg(long = "target", value_name = "PY[@PLATFORM]")]
    pub target: Vec<String>,
    /// A requirement file to assess, repeatable. Default: requirements.txt when it exists
    /// (else pyproject.toml's dependencies are read).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirement: Vec<PathBuf>,
    /// The virtual environment wheelwatch manages (default: .venv).
    #[arg(long, value_name = "PATH")]
    pub venv: Option<PathBuf>,
    /// Replace an existing wheelwatch configuration.
    #[arg(long)]
    pub force: bool,
    /// Show what would be written and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON (for `check`, described by schema/report.schema.json).
    Json,
    /// Markdown, for pull requests and CI summaries.
    Markdown,
}

/// The report formats of `check` (on stdout with `--format`, to files with `-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table for people.
    Table,
    /// JSON, described by schema/report.schema.json.
    Json,
    /// Markdown, for pull requests and CI summaries.
    Markdown,
    /// GitHub Actions workflow commands: annotations at each requirement's line (and the
    /// Markdown report appended to the job summary when GITHUB_STEP_SUMMARY is set).
    Github,
    /// JUnit XML: a test suite per target, a test case per package.
    Junit,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// What to assess: requirement sources.
#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// Requirement files: requirements.txt, pyproject.toml, uv.lock, pylock.toml (kind detected
    /// from the name). Default: ./requirements.txt, else ./pyproject.toml.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// A requirements file (pip format), repeatable.
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirement: Vec<PathBuf>,
    /// A constraints file (pip format), repeatable.
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraint: Vec<PathBuf>,
    /// A requirement given inline (PEP 508), repeatable.
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub package: Vec<String>,
    /// Include this optional-dependencies extra of pyproject.toml, repeatable.
    #[arg(long = "extra", value_name = "NAME")]
    pub extra: Vec<String>,
    /// Include this PEP 735 dependency group of pyproject.toml, repeatable.
    #[arg(long = "group", value_name = "NAME")]
    pub group: Vec<String>,
}

/// Which Pythons and platforms to assess.
#[derive(Debug, Args, Default)]
pub struct TargetArgs {
    /// The primary Python: a version (`3.12`, `3.12.4`, `3.13t`, `cp312`) on this machine's
    /// platform (its real tags are probed when it is installed here), `PY@PLATFORM`, or an
    /// interpreter's path. Default: `python3` on PATH.
    #[arg(long, value_name = "PY")]
    pub python: Option<String>,
    /// A fallback Python (same forms as --python), repeatable, tried in order.
    #[arg(long = "fallback", value_name = "PY")]
    pub fallback: Vec<String>,
    /// An extra, informational target `PY[@PLATFORM]`, repeatable (e.g. `3.12@linux-aarch64`).
    #[arg(long = "target", value_name = "PY[@PLATFORM]")]
    pub target: Vec<String>,
}

/// Where packages come from and how responses are cached.
#[derive(Debug, Args, Default)]
pub struct IndexArgs {
    /// The base URL of the package index (PEP 503/691). Default: pip's setting, else the public
    /// index.
    #[arg(short = 'i', long, value_name = "URL")]
    pub index_url: Option<String>,
    /// An additional index, repeatable.
    #[arg(long = "extra-index-url", value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// A directory (or URL) of distributions to consider too, repeatable.
    #[arg(short = 'f', long = "find-links", value_name = "DIR")]
    pub find_links: Vec<String>,
    /// Ignore every index; use only --find-links.
    #[arg(long)]
    pub no_index: bool,
    /// The cache directory.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the cache.
    #[arg(long, conflicts_with_all = ["offline", "refresh"])]
    pub no_cache: bool,
    /// Answer from the cache only; make no network requests.
    #[arg(long, conflicts_with = "refresh")]
    pub offline: bool,
    /// Revalidate every cached response.
    #[arg(long)]
    pub refresh: bool,
}

/// `wheelwatch check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Requirement sources.
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Targets.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Share of assessed packages that must have a wheel for a target to be healthy (0.0-1.0).
    #[arg(long, value_name = "SHARE", allow_hyphen_values = true, value_parser = parse_share)]
    pub threshold: Option<f64>,
    /// Exit 0 only when the primary is healthy (a usable fallback is not enough).
    #[arg(long)]
    pub strict: bool,
    /// Consider pre-releases for every package.
    #[arg(long)]
    pub pre: bool,
    /// Assess only the direct requirements; do not resolve dependency trees.
    #[arg(long)]
    pub no_deps: bool,
    /// Write each target's wheel-only resolution to this directory, as `pylock.<target>.toml`
    /// (PEP 751) and `constraints.<target>.txt` (pinned, for `pip install -c`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_deps")]
    pub lock_dir: Option<PathBuf>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Also write the report in FORMAT to PATH, repeatable (`-o sarif=wheels.sarif -o
    /// junit=junit.xml`). FORMAT: table, json, markdown, github, junit, sarif. A bare PATH
    /// writes the --format report there instead of stdout.
    #[arg(short, long, value_name = "FORMAT=PATH")]
    pub output: Vec<String>,
    /// Record this run in the history store (also `record = true` in the configuration).
    #[arg(long)]
    pub record: bool,
}

impl CheckArgs {
    /// The arguments of an assessment run on behalf of another command (`doctor`, `fallback`,
    /// …): table format, stdout, not strict.
    pub fn for_assessment(
        sources: SourceArgs,
        targets: TargetArgs,
        index: IndexArgs,
        threshold: Option<f64>,
        pre: bool,
    ) -> Self {
        Self {
            sources,
            targets,
            index,
            threshold,
            strict: false,
            pre,
            format: CheckFormat::Table,
            output: Vec::new(),
            no_deps: false,
            lock_dir: None,
            record: false,
        }
    }
}

/// Which installer fills a new environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InstallerChoice {
    /// pip inside the new environment.
    Pip,
    /// uv (must be on PATH).
    Uv,
}

/// Options of the commands that switch environments.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The virtual environment to manage (default: configuration `venv`, else ./.venv).
    #[arg(long, value_name = "PATH")]
    pub venv: Option<PathBuf>,
    /// Allow a venv path outside the project directory.
    #[arg(long)]
    pub allow_outside: bool,
    /// The installer.
    #[arg(long, value_enum, default_value_t = InstallerChoice::Pip)]
    pub installer: InstallerChoice,
    /// How many previous environments, venv backups, reset archives and installer logs to
    /// keep (each).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub keep_backups: usize,
    /// How long to wait for another wheelwatch operation on this project to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub wait: u64,
}

/// `wheelwatch fallback`.
#[derive(Debug, Args)]
pub struct FallbackArgs {
    /// What every switch takes.
    #[command(flatten)]
    pub switch: SwitchArgs,
    /// Switch to this Python instead of the first healthy fallback; it must be healthy.
    #[arg(long, value_name = "PY")]
    pub to: Option<String>,
}

/// `wheelwatch fallback` and `wheelwatch promote`.
#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// Requirement sources.
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Targets.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Environment options.
    #[command(flatten)]
    pub env: EnvArgs,
    /// Health threshold (share of packages with a wheel), 0.0-1.0.
    #[arg(long, value_name = "SHARE", allow_hyphen_values = true, value_parser = parse_share)]
    pub threshold: Option<f64>,
    /// Consider pre-releases for every package.
    #[arg(long)]
    pub pre: bool,
    /// Why (recorded in the state and events); default: the assessment's reason.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Show what would be done and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Build a fresh environment even when the venv already runs this target with the same
    /// pins (by default that is nothing to do).
    #[arg(long)]
    pub rebuild: bool,
}

/// `wheelwatch reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Requirement sources.
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Targets: the rebuild uses the primary when it is healthy, else the first healthy
    /// fallback.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Environment options.
    #[command(flatten)]
    pub env: EnvArgs,
    /// Also run `pip cache purge`.
    #[arg(long)]
    pub purge_pip_cache: bool,
    /// Really do it. Without it, reset prints its plan and changes nothing.
    #[arg(long)]
    pub yes: bool,
    /// Why (recorded in the state and events).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// `wheelwatch bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Requirement sources (they decide the other environment's pins).
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Targets.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Environment options.
    #[command(flatten)]
    pub env: EnvArgs,
    /// Compare with this fallback instead of the first healthy one.
    #[arg(long, value_name = "PY")]
    pub to: Option<String>,
    /// A command to benchmark, as its argv (no shell). Every word after it belongs to it, so
    /// put it last; several commands are separated by a `;` word (`--command pytest -q ';'
    /// --command python bench.py`). Replaces `[bench] commands`.
    #[arg(
        long = "command",
        value_name = "ARGV",
        num_args = 1..,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
    /// Skip the default benchmark (importing every top-level module of the dependencies).
    #[arg(long)]
    pub no_imports: bool,
    /// Counted runs per environment and command (default 10).
    #[arg(long, value_name = "N")]
    pub runs: Option<usize>,
    /// Uncounted warm-up runs per environment and command, first (default 1).
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,
    /// Stop a run after this many seconds (default 300).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Seed of the bootstrap behind the confidence intervals.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `wheelwatch tags`.
#[derive(Debug, Args)]
pub struct TagsArgs {
    /// The target `PY[@PLATFORM]` (default platform: this machine's); tags are computed.
    #[arg(long, value_name = "PY[@PLATFORM]", required_unless_present = "python")]
    pub target: Option<String>,
    /// An interpreter on this machine (`3.12`, `3.13t`, or a path): its tags are probed, exactly
    /// as an installer running on it computes them.
    #[arg(long, value_name = "PY", conflicts_with = "target")]
    pub python: Option<String>,
}

/// `wheelwatch config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `wheelwatch doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Primary and fallback Pythons to check.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// The index to check.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `wheelwatch python`.
#[derive(Debug, Args)]
pub struct PythonArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PythonCommand,
}

/// `wheelwatch python` subcommands.
#[derive(Debug, Subcommand)]
pub enum PythonCommand {
    /// List every interpreter found, with where it was found and whether it works.
    List(PythonListArgs),
}

/// `wheelwatch python list`.
#[derive(Debug, Args)]
pub struct PythonListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--threshold`: a share between 0.0 and 1.0. Negative numbers are taken as values (not as
/// options) so that `--threshold -0.1` gets this range error.
fn parse_share(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("expected a number between 0.0 and 1.0, got `{text}`"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between 0.0 and 1.0, got {text}"))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

/// `wheelwatch matrix` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// A table that fits the terminal (wide grids fold into blocks of columns).
    Table,
    /// A Markdown table.
    Markdown,
    /// JSON (schema/matrix.schema.json).
    Json,
    /// CSV, one line per cell.
    Csv,
    /// A self-contained HTML page.
    Html,
}

/// `wheelwatch matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Requirement sources.
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// Rows for every package of the dependency tree, not only the direct requirements.
    #[arg(long)]
    pub tree: bool,
    /// Python versions, comma-separated (`3.11,3.12,3.14t`). Default: every CPython still
    /// supported, plus the newest as a free-threaded build.
    #[arg(long, value_name = "PY,...", value_delimiter = ',')]
    pub pythons: Vec<String>,
    /// Platforms, comma-separated (`linux,macos,windows`). Default: the configured targets'
    /// platforms (this machine's when none names one).
    #[arg(long, value_name = "PLATFORM,...", value_delimiter = ',')]
    pub platforms: Vec<String>,
    /// Consider pre-releases for every package.
    #[arg(long)]
    pub pre: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MatrixFormat::Table)]
    pub format: MatrixFormat,
    /// Write the matrix to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `wheelwatch plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Requirement sources.
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Index and cache.
    #[command(flatten)]
    pub index: IndexArgs,
    /// The target to make healthy: `PY[@PLATFORM]` (`3.12`, `3.14t@linux-aarch64`).
    #[arg(long, value_name = "PY[@PLATFORM]")]
    pub to: String,
    /// Also write the planned constraints to this file (pip's `-c` format).
    #[arg(long, value_name = "PATH")]
    pub constraints_out: Option<PathBuf>,
    /// Consider pre-releases for every package.
    #[arg(long)]
    pub pre: bool,
    /// Output format (table: the diff, the constraints and the re-assessment).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
