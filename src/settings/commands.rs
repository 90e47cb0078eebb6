//! The typed settings of the commands beyond `check` (whose [`CheckSettings`] the parent
//! module resolves): each built here from its clap arguments, so that no command module sees a
//! clap type.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use super::{CheckSettings, Env, GlobalSettings, Sourced, ValueSource};
use crate::cli::{
    self, BenchArgs, CheckArgs, ConfigArgs, DashboardArgs, DoctorArgs, EnvArgs, FallbackArgs,
    HistoryArgs, HistoryCommand, IndexArgs, InitArgs, PythonListArgs, ResetArgs, SourceArgs,
    SwitchArgs, TagsArgs, TargetArgs,
};
use crate::history::StoreLocation;

/// The format a command writes its report in on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// JSON.
    Json,
    /// Markdown, for pull requests and CI summaries.
    Markdown,
}

impl From<cli::Format> for Format {
    fn from(format: cli::Format) -> Self {
        match format {
            cli::Format::Table => Self::Table,
            cli::Format::Json => Self::Json,
            cli::Format::Markdown => Self::Markdown,
        }
    }
}

impl CheckSettings {
    /// The settings a run with no flags resolves to: environment and configuration file only
    /// (what `config` shows, and what a recommended command line needs no flag for).
    pub fn without_flags(globals: &GlobalSettings, env: &dyn Env) -> Result<Self> {
        Self::resolve(
            CheckArgs::for_assessment(
                SourceArgs::default(),
                TargetArgs::default(),
                IndexArgs::default(),
                None,
                false,
            ),
            globals,
            env,
        )
    }
}

/// Where `wheelwatch tags` takes its tags from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TagsSettings {
    /// Computed for a target `PY[@PLATFORM]`.
    Computed(String),
    /// Probed from an interpreter on this machine.
    Probed(String),
}

impl TagsSettings {
    /// Resolves `tags`'s flags.
    pub(crate) fn resolve(args: TagsArgs) -> Result<Self> {
        match (args.python, args.target) {
            (Some(python), _) => Ok(Self::Probed(python)),
            (None, Some(target)) => Ok(Self::Computed(target)),
            (None, None) => bail!("name a target with --target or an interpreter with --python"),
        }
    }
}

/// Settings of `wheelwatch config`: the settings `check` would use with no flags.
#[derive(Clone, Debug)]
pub(crate) struct ConfigSettings {
    /// The effective settings.
    pub check: CheckSettings,
    /// Output format.
    pub format: Format,
}

impl ConfigSettings {
    /// Resolves `config`'s flags: the same resolution `check` performs, with no flags given.
    pub(crate) fn resolve(args: &ConfigArgs, globals: &GlobalSettings) -> Result<Self> {
        Ok(Self {
            check: CheckSettings::without_flags(globals, &super::ProcessEnv)?,
            format: args.format.into(),
        })
    }
}

/// Settings of `wheelwatch doctor`.
#[derive(Clone, Debug)]
pub(crate) struct DoctorSettings {
    /// The Pythons and index to check, resolved as `check` resolves them.
    pub check: CheckSettings,
    /// Output format.
    pub format: Format,
}

impl DoctorSettings {
    /// Resolves `doctor`'s flags.
    pub(crate) fn resolve(args: DoctorArgs, globals: &GlobalSettings) -> Result<Self> {
        let DoctorArgs {
            targets,
            index,
            format,
        } = args;
        Ok(Self {
            check: CheckSettings::for_assessment(
                SourceArgs::default(),
                targets,
                index,
                None,
                false,
                globals,
            )?,
            format: format.into(),
        })
    }
}

/// Settings of `wheelwatch python list`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PythonListSettings {
    /// Output format.
    pub format: Format,
}

impl PythonListSettings {
    /// Resolves `python list`'s flags.
    pub(crate) fn resolve(args: &PythonListArgs) -> Self {
        Self {
            format: args.format.into(),
        }
    }
}

/// Which installer fills a new environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InstallerChoice {
    /// pip inside the new environment.
    Pip,
    /// uv (must be on PATH).
    Uv,
}

/// Options of the commands that switch environments.
#[derive(Clone, Debug)]
pub(crate) struct EnvSettings {
    /// Allow a venv path outside the project directory.
    pub allow_outside: bool,
    /// The installer.
    pub installer: InstallerChoice,
    /// How many previous environments, venv backups, reset archives and installer logs to
    /// keep (each).
    pub keep_backups: usize,
    /// How long to wait for another wheelwatch operation on this project to finish.
    pub wait: Duration,
}

impl EnvSettings {
    /// Resolves the environment flags; `--venv` overrides the assessment's `venv` setting.
    pub(super) fn resolve(args: EnvArgs, check: &mut CheckSettings) -> Self {
        let EnvArgs {
            venv,
            allow_outside,
            installer,
            keep_backups,
            wait,
        } = args;
        if let Some(venv) = venv {
            check.venv = Sourced::new(venv, ValueSource::Flag("--venv".into()));
        }
        Self {
            allow_outside,
            installer: match installer {
                cli::InstallerChoice::Pip => InstallerChoice::Pip,
                cli::InstallerChoice::Uv => InstallerChoice::Uv,
            },
            keep_backups,
            wait: Duration::from_secs(wait),
        }
    }
}

/// Settings of `wheelwatch fallback` and `wheelwatch promote`.
#[derive(Clone, Debug)]
pub(crate) struct SwitchSettings {
    /// The assessment that comes first (its `venv` is the one switched).
    pub check: CheckSettings,
    /// Environment options.
    pub env: EnvSettings,
    /// Why, as the user put it.
    pub reason: Option<String>,
    /// Show what would be done and change nothing.
    pub dry_run: bool,
    /// (fallback) The Python to switch to, as named; it is among the assessed fallbacks.
    pub to: Option<String>,
    /// Build anew even when the venv already runs the target with the same pins.
    pub rebuild: bool,
}

impl SwitchSettings {
    /// Resolves `fallback`'s flags: a `--to` Python is assessed as a fallback (first, unless
    /// already named).
    pub(crate) fn fallback(args: FallbackArgs, globals: &GlobalSettings) -> Result<Self> {
        let FallbackArgs { mut switch, to } = args;
        if let Some(to) = &to
            && !switch.targets.fallback.iter().any(|f| f == to)
        {
            switch.targets.fallback.insert(0, to.clone());
        }
        Self::resolve(switch, to, globals)
    }

    /// Resolves `promote`'s flags.
    pub(crate) fn promote(args: SwitchArgs, globals: &GlobalSettings) -> Result<Self> {
        Self::resolve(args, None, globals)
    }

    fn resolve(args: SwitchArgs, to: Option<String>, globals: &GlobalSettings) -> Result<Self> {
        let SwitchArgs {
            sources,
            targets,
            index,
            env,
            threshold,
            pre,
            reason,
            dry_run,
            rebuild,
        } = args;
        let mut check =
            CheckSettings::for_assessment(sources, targets, index, threshold, pre, globals)?;
        let env = EnvSettings::resolve(env, &mut check);
        Ok(Self {
            check,
            env,
            reason,
            dry_run,
            to,
            rebuild,
        })
    }
}

/// Settings of `wheelwatch reset`.
#[derive(Clone, Debug)]
pub(crate) struct ResetSettings {
    /// The assessment that comes first.
    pub check: CheckSettings,
    /// Environment options.
    pub env: EnvSettings,
    /// Also run `pip cache purge`.
    pub purge_pip_cache: bool,
    /// Really do it (else print the plan).
    pub yes: bool,
    /// Why, as the user put it.
    pub reason: Option<String>,
}

impl ResetSettings {
    /// Resolves `reset`'s flags.
    pub(crate) fn resolve(args: ResetArgs, globals: &GlobalSettings) -> Result<Self> {
        let ResetArgs {
            sources,
            targets,
            index,
            env,
            purge_pip_cache,
            yes,
            reason,
        } = args;
        let mut check =
            CheckSettings::for_assessment(sources, targets, index, None, false, globals)?;
        let env = EnvSettings::resolve(env, &mut check);
        Ok(Self {
            check,
            env,
            purge_pip_cache,
            yes,
            reason,
        })
    }
}

/// Settings of `wheelwatch init`: what to write, as the user named it.
#[derive(Clone, Debug)]
pub(crate) struct InitSettings {
    /// The primary Python; default: the interpreter of the existing venv.
    pub python: Option<String>,
    /// Fallback Pythons, in order.
    pub fallback: Vec<String>,
    /// Informational targets.
    pub target: Vec<String>,
    /// Requirement files; default: requirements.txt when it exists.
    pub requirement: Vec<PathBuf>,
    /// The venv wheelwatch manages; default: `.venv`.
    pub venv: Option<PathBuf>,
    /// Replace an existing configuration.
    pub force: bool,
    /// Show what would be written and change nothing.
    pub dry_run: bool,
}

impl InitSettings {
    /// Resolves `init`'s flags.
    pub(crate) fn resolve(args: InitArgs) -> Self {
        let InitArgs {
            python,
            fallback,
            target,
            requirement,
            venv,
            force,
            dry_run,
        } = args;
        Self {
            python,
            fallback,
            target,
            requirement,
            venv,
            force,
            dry_run,
        }
    }
}

/// What `wheelwatch history` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HistoryAction {
    /// `list`: newest first, at most `limit`.
    List {
        /// At most this many.
        limit: Option<usize>,
    },
    /// `show RUN`.
    Show(i64),
    /// `diff [A] [B]`: A to B; A alone: A to the last successful run; neither: the last two
    /// successful runs.
    Diff(Option<i64>, Option<i64>),
    /// `summary`.
    Summary,
    /// `prune --keep-days N`.
    Prune(u32),
    /// The benchmark's data generator (hidden).
    BenchFill {
        /// Runs.
        runs: usize,
        /// Packages per target.
        packages: usize,
        /// Targets per run.
        targets: usize,
    },
}

/// Settings of `wheelwatch history`.
#[derive(Clone, Debug)]
pub(crate) struct HistorySettings {
    /// What to do.
    pub action: HistoryAction,
    /// Output format.
    pub format: Format,
    /// The store.
    pub store: Sourced<StoreLocation>,
}

impl HistorySettings {
    /// Resolves `history`'s arguments.
    pub(crate) fn resolve(
        args: HistoryArgs,
        globals: &GlobalSettings,
        env: &dyn Env,
    ) -> Result<Self> {
        let HistoryArgs { command, format } = args;
        let action = match command {
            HistoryCommand::List { limit } => HistoryAction::List { limit },
            HistoryCommand::Show { run } => HistoryAction::Show(run),
            HistoryCommand::Diff { before, after } => HistoryAction::Diff(before, after),
            HistoryCommand::Summary => HistoryAction::Summary,
            HistoryCommand::Prune { keep_days } => HistoryAction::Prune(keep_days),
            HistoryCommand::BenchFill {
                runs,
                packages,
                targets,
            } => HistoryAction::BenchFill {
                runs,
                packages,
                targets,
            },
        };
        Ok(Self {
            action,
            format: format.into(),
            store: globals.store_location(env)?,
        })
    }
}

/// What `wheelwatch explain` explains.
#[derive(Debug)]
pub(crate) enum ExplainSubject {
    /// No argument: the whole catalog.
    Catalog,
    /// An installer's log: a file, or stdin (`None`).
    Log(Option<PathBuf>),
    /// A package, assessed with these settings (its requirement is the only source).
    Package(Box<CheckSettings>),
}

/// `wheelwatch explain`.
#[derive(Debug)]
pub(crate) struct ExplainSettings {
    /// What to explain.
    pub subject: ExplainSubject,
    /// Output format.
    pub format: Format,
}

impl ExplainSettings {
    /// A path that exists (or `-`) is a log; anything else a package, unless it looks like a
    /// path (a `/`, or a `.log`/`.txt` name), which is then a missing file.
    pub(crate) fn resolve(
        args: cli::ExplainArgs,
        globals: &GlobalSettings,
        env: &dyn Env,
    ) -> Result<Self> {
        let cli::ExplainArgs {
            subject,
            targets,
            index,
            pre,
            format,
        } = args;
        let subject = match subject {
            None => ExplainSubject::Catalog,
            Some(s) if s == "-" => ExplainSubject::Log(None),
            Some(s) => {
                let path = globals.cwd.join(&s);
                let looks_like_path = s.contains(['/', '\\'])
                    || [".log", ".txt", ".out"].iter().any(|e| s.ends_with(e));
                if path.exists() {
                    ExplainSubject::Log(Some(path))
                } else if looks_like_path {
                    bail!(
                        "{s}: no such file (expected an installer's log file, `-` for stdin, or a package such as `numpy==1.24.4`)"
                    );
                } else {
                    let sources = SourceArgs {
                        package: vec![s],
                        ..SourceArgs::default()
                    };
                    let mut check = CheckSettings::resolve(
                        CheckArgs::for_assessment(sources, targets, index, None, pre),
                        globals,
                        env,
                    )?;
                    check.no_deps = true;
                    ExplainSubject::Package(Box::new(check))
                }
            }
        };
        Ok(Self {
            subject,
            format: format.into(),
        })
    }
}

/// `wheelwatch report upstream`.
#[derive(Debug)]
pub(crate) struct UpstreamSettings {
    /// Only this blocking project (normalized later).
    pub package: Option<String>,
    /// The assessment.
    pub check: CheckSettings,
    /// Markdown or JSON.
    pub format: Format,
    /// Where the report goes (default stdout).
    pub output: Option<PathBuf>,
}

impl UpstreamSettings {
    /// Resolves `report upstream`'s flags like `check`'s.
    pub(crate) fn resolve(
        args: cli::UpstreamArgs,
        globals: &GlobalSettings,
        env: &dyn Env,
    ) -> Result<Self> {
        let cli::UpstreamArgs {
            package,
            requirement,
            constraint,
            targets,
            index,
            pre,
            format,
            output,
        } = args;
        let sources = SourceArgs {
            files: requirement,
            constraint,
            ..SourceArgs::default()
        };
        let check = CheckSettings::resolve(
            CheckArgs::for_assessment(sources, targets, index, None, pre),
            globals,
            env,
        )?;
        Ok(Self {
            package,
            check,
            format: format.into(),
            output,
        })
    }
}

/// Where `wheelwatch dashboard` puts the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DashboardOutput {
    /// Written to this file (absolute).
    File(PathBuf),
    /// Written to stdout (`-o -`).
    Stdout,
    /// Served on this address until interrupted.
    Serve(std::net::SocketAddr),
}

/// Settings of `wheelwatch dashboard`.
#[derive(Clone, Debug)]
pub(crate) struct DashboardSettings {
    /// Where the page goes.
    pub output: DashboardOutput,
    /// The store.
    pub store: Sourced<StoreLocation>,
}

impl DashboardSettings {
    /// Resolves `dashboard`'s arguments.
    pub(crate) fn resolve(
        args: DashboardArgs,
        globals: &GlobalSettings,
        env: &dyn Env,
    ) -> Result<Self> {
        let output = match args.serve {
            Some(addr) => DashboardOutput::Serve(addr.parse().map_err(|_| {
                anyhow::anyhow!(
                    "invalid --serve address `{addr}`: expected IP:PORT, e.g. 127.0.0.1:8050"
                )
            })?),
            None if args.output.as_os_str() == "-" => DashboardOutput::Stdout,
            None => DashboardOutput::File(globals.cwd.join(args.output)),
        };
        Ok(Self {
            output,
            store: globals.store_location(env)?,
        })
    }
}

/// Settings of `wheelwatch bench`.
#[derive(Clone, Debug)]
pub(crate) struct BenchSettings {
    /// The assessment that decides the other environment (its `venv` is the active one).
    pub check: CheckSettings,
    /// Environment options (installer, lock wait, …).
    pub env: EnvSettings,
    /// Compare with this fallback instead of the first healthy one.
    pub to: Option<String>,
    /// Configured commands, each an argv, in order.
    pub commands: Sourced<Vec<Vec<String>>>,
    /// Run the default import benchmark.
    pub imports: bool,
    /// Counted runs per environment and command.
    pub runs: Sourced<usize>,
    /// Warm-up runs per environment and command.
    pub warmup: Sourced<usize>,
    /// The deadline of one run.
    pub timeout: Sourced<Duration>,
    /// The bootstrap's seed.
    pub seed: Option<u64>,
    /// Output format.
    pub format: Format,
    /// Output file.
    pub output: Option<PathBuf>,
}

/// `bench`'s defaults.
const BENCH_RUNS: usize = 10;
const BENCH_WARMUP: usize = 1;
const BENCH_TIMEOUT_SECS: f64 = 300.0;

impl BenchSettings {
    /// Resolves `bench`'s flags over `[bench]` in the configuration. A `--to` Python is
    /// assessed as a fallback (first, unless already named).
    pub(crate) fn resolve(args: BenchArgs, globals: &GlobalSettings) -> Result<Self> {
        let BenchArgs {
            sources,
            mut targets,
            index,
            env,
            to,
            command,
            no_imports,
            runs,
            warmup,
            timeout,
            seed,
            format,
            output,
        } = args;
        if let Some(to) = &to
            && !targets.fallback.iter().any(|f| f == to)
        {
            targets.fallback.insert(0, to.clone());
        }
        let mut check =
            CheckSettings::for_assessment(sources, targets, index, None, false, globals)?;
        let env = EnvSettings::resolve(env, &mut check);
        let loaded = globals.config.as_ref();
        let file = loaded.and_then(|l| l.config.bench.as_ref().map(|b| (l, b)));
        let pick = |flag: Option<(&str, ValueSource)>, key: &str| -> Option<ValueSource> {
            flag.map(|(_, s)| s)
                .or_else(|| file.map(|(l, _)| l.source(&format!("bench.{key}"))))
        };
        let command = split_commands(command);
        let commands = if command.is_empty() {
            match file.and_then(|(l, b)| b.commands.clone().map(|c| (l, c))) {
                Some((l, c)) => Sourced::new(c, l.source("bench.commands")),
                None => Sourced::new(Vec::new(), ValueSource::Default),
            }
        } else {
            Sourced::new(command, ValueSource::Flag("--command".into()))
        };
        if let Some(i) = commands
            .value
            .iter()
            .position(|argv| argv.first().is_none_or(|program| program.trim().is_empty()))
        {
            bail!(
                "command {} of {} is empty: expected an argv such as [\"pytest\", \"-q\"]",
                i + 1,
                commands.source
            );
        }
        let runs = match (runs, file.and_then(|(_, b)| b.runs)) {
            (Some(n), _) => Sourced::new(n, ValueSource::Flag("--runs".into())),
            (None, Some(n)) => Sourced::new(n, pick(None, "runs").unwrap_or(ValueSource::Default)),
            (None, None) => Sourced::new(BENCH_RUNS, ValueSource::Default),
        };
        if runs.value == 0 {
            bail!("runs must be at least 1 ({})", runs.source);
        }
        let warmup = match (warmup, file.and_then(|(_, b)| b.warmup)) {
            (Some(n), _) => Sourced::new(n, ValueSource::Flag("--warmup".into())),
            (None, Some(n)) => {
                Sourced::new(n, pick(None, "warmup").unwrap_or(ValueSource::Default))
            }
            (None, None) => Sourced::new(BENCH_WARMUP, ValueSource::Default),
        };
        let (secs, source) = match (timeout, file.and_then(|(_, b)| b.timeout)) {
            (Some(t), _) => (t, ValueSource::Flag("--timeout".into())),
            (None, Some(t)) => (t, pick(None, "timeout").unwrap_or(ValueSource::Default)),
            (None, None) => (BENCH_TIMEOUT_SECS, ValueSource::Default),
        };
        if !(secs > 0.0 && secs <= 86_400.0) {
            bail!("timeout must be between 0 and 86400 seconds, got {secs} ({source})");
        }
        Ok(Self {
            check,
            env,
            to,
            commands,
            imports: !no_imports,
            runs,
            warmup,
            timeout: Sourced::new(Duration::from_secs_f64(secs), source),
            seed,
            format: format.into(),
            output,
        })
    }
}

/// `--command`'s words as argvs: split at `;` words, a repeated `--command` dropped from the
/// start of each.
fn split_commands(words: Vec<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for word in words {
        if word == ";" {
            out.push(std::mem::take(&mut current));
        } else if current.is_empty() && word == "--command" {
        } else {
            current.push(word);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.retain(|argv: &Vec<String>| !argv.is_empty());
    out
}

#[cfg(test)]
mod bench_tests {
    use super::split_commands;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn commands_split_at_semicolons() {
        assert_eq!(
            split_commands(words("pytest -q --runs 3 ; --command python -c x ;")),
            [words("pytest -q --runs 3"), words("python -c x")]
        );
        assert_eq!(split_commands(words("a")), [words("a")]);
        assert!(split_commands(Vec::new()).is_empty());
    }
}
