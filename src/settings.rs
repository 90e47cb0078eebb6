//! Settings: command-line arguments, `WHEELWATCH_*` environment variables and the configuration
//! file (`wheelwatch.toml`, else `[tool.wheelwatch]` in pyproject.toml) resolved into plain
//! values, each remembering where it came from (for `wheelwatch config`). Precedence: flag,
//! then environment, then configuration file, then pip's own configuration (index settings
//! only), then the built-in default.
//!
//! This is the only module besides [`crate::cli`] that sees clap types.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::cli::{CheckArgs, ColorChoice, GlobalArgs, IndexArgs, SourceArgs, TargetArgs};
use crate::history::StoreLocation;

mod ci;
mod commands;
mod outputs;
pub(crate) use ci::{CiInitSettings, CiSystem};
mod views;
mod watch;
pub(crate) use commands::{
    BenchSettings, ConfigSettings, DashboardOutput, DashboardSettings, DoctorSettings, EnvSettings,
    Format, HistoryAction, HistorySettings, InitSettings, InstallerChoice, PythonListSettings,
    ResetSettings, SwitchSettings, TagsSettings,
};
pub(crate) use commands::{ExplainSettings, ExplainSubject, UpstreamSettings};
pub(crate) use outputs::{OutputFile, ReportFormat};
pub(crate) use views::{GridFormat, MatrixSettings, PlanSettings};
pub(crate) use watch::WatchConfig;
pub(crate) use watch::file_rows as watch_file_rows;
pub(crate) use watch::{MetricsSettings, NotifySettings, PolicySettings, WatchMode, WatchSettings};

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum ValueSource {
    /// A command-line flag, e.g. `--python`.
    Flag(String),
    /// An environment variable.
    Env(String),
    /// A key of a configuration file: `path (key)`.
    File(String),
    /// pip's configuration (`PIP_*` or pip.conf).
    Pip(String),
    /// Built in.
    Default,
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "flag {flag}"),
            Self::Env(var) => write!(f, "env {var}"),
            Self::File(at) => write!(f, "{at}"),
            Self::Pip(at) => write!(f, "pip: {at}"),
            Self::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
pub(crate) type Sourced<T> = crate::util::Sourced<T, ValueSource>;

/// The `[tool.wheelwatch]` table / `wheelwatch.toml` document. Unknown keys are errors.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    /// The primary Python, e.g. `"3.12"`.
    pub primary: Option<String>,
    /// Fallback Pythons, in order.
    pub fallbacks: Option<Vec<String>>,
    /// Extra informational targets `PY[@PLATFORM]`.
    pub targets: Option<Vec<String>>,
    /// Requirement sources (files), relative to the configuration file.
    pub requirements: Option<Vec<PathBuf>>,
    /// Constraint files, relative to the configuration file.
    pub constraints: Option<Vec<PathBuf>>,
    /// pyproject extras to include.
    pub extras: Option<Vec<String>>,
    /// Dependency groups to include.
    pub groups: Option<Vec<String>>,
    /// Health threshold (share of packages with a wheel), 0.0-1.0.
    pub threshold: Option<f64>,
    /// Consider pre-releases.
    pub pre: Option<bool>,
    /// The virtual environment the fallback commands manage.
    pub venv: Option<PathBuf>,
    /// Index URL.
    pub index_url: Option<String>,
    /// Extra index URLs.
    pub extra_index_urls: Option<Vec<String>>,
    /// Find-links locations.
    pub find_links: Option<Vec<String>>,
    /// Ignore indexes.
    pub no_index: Option<bool>,
    /// Cache directory.
    pub cache_dir: Option<PathBuf>,
    /// How long a cached index page is fresh when the server says nothing, in seconds.
    pub cache_max_age: Option<u64>,
    /// The history store: a `postgres://` URL or a SQLite file (relative to this file).
    pub store: Option<String>,
    /// Record every `check` in the history store.
    pub record: Option<bool>,
    /// `[bench]`: what `wheelwatch bench` runs and how often.
    pub bench: Option<BenchConfig>,
    /// `[watch]`: `wheelwatch watch`'s interval, alerts, policies and metrics.
    pub watch: Option<WatchConfig>,
}

/// The `[bench]` table (`[tool.wheelwatch.bench]` in pyproject.toml).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BenchConfig {
    /// Commands to benchmark, each an argv: `[["pytest", "-q", "tests/perf"]]`.
    pub commands: Option<Vec<Vec<String>>>,
    /// Counted runs per environment and command.
    pub runs: Option<usize>,
    /// Warm-up runs per environment and command.
    pub warmup: Option<usize>,
    /// Seconds before a run is stopped.
    pub timeout: Option<f64>,
}

#[derive(Deserialize)]
struct PyprojectTool {
    tool: Option<PyprojectToolTable>,
}

#[derive(Deserialize)]
struct PyprojectToolTable {
    wheelwatch: Option<toml::Value>,
}

/// A configuration file that was found and read.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The file.
    pub path: PathBuf,
    /// `true` for `[tool.wheelwatch]` in pyproject.toml.
    pub in_pyproject: bool,
    /// Its contents.
    pub config: FileConfig,
}

impl LoadedConfig {
    fn source(&self, key: &str) -> ValueSource {
        let prefix = if self.in_pyproject {
            "tool.wheelwatch."
        } else {
            ""
        };
        ValueSource::File(format!("{} ({prefix}{key})", self.path.display()))
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// Finds and parses the configuration: `explicit` if given, else `wheelwatch.toml`, else
/// `[tool.wheelwatch]` of `pyproject.toml`, in `dir`.
pub(crate) fn load_config(explicit: Option<&Path>, dir: &Path) -> Result<Option<LoadedConfig>> {
    let (path, in_pyproject) = if let Some(path) = explicit {
        let in_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        (path.to_path_buf(), in_pyproject)
    } else {
        let standalone = dir.join("wheelwatch.toml");
        let pyproject = dir.join("pyproject.toml");
        if standalone.is_file() {
            (standalone, false)
        } else if pyproject.is_file() {
            (pyproject, true)
        } else {
            return Ok(None);
        }
    };
    let text = fs_err::read_to_string(&path)?;
    let config = parse_config(&text, in_pyproject)
        .with_context(|| format!("invalid configuration in `{}`", path.display()))?;
    match config {
        Some(config) => Ok(Some(LoadedConfig {
            path,
            in_pyproject,
            config,
        })),
        None => Ok(None),
    }
}

/// Parses configuration text: a whole `wheelwatch.toml`, or the `[tool.wheelwatch]` table of a
/// pyproject.toml (`None` when the table is absent).
pub(crate) fn parse_config(text: &str, in_pyproject: bool) -> Result<Option<FileConfig>> {
    if in_pyproject {
        // Read again, typed from the text: an error then names its line.
        #[derive(Deserialize)]
        struct Typed {
            tool: TypedTool,
        }
        #[derive(Deserialize)]
        struct TypedTool {
            wheelwatch: FileConfig,
        }
        let doc: PyprojectTool = from_toml(text)?;
        if doc.tool.and_then(|t| t.wheelwatch).is_none() {
            return Ok(None);
        }
        let config = toml::from_str::<Typed>(text)
            .map_err(|e| {
                anyhow::anyhow!(
                    "[tool.wheelwatch]: {}",
                    crate::index::redact_text(e.to_string().trim_end())
                )
            })?
            .tool
            .wheelwatch;
        validate(&config)?;
        Ok(Some(config))
    } else {
        let config: FileConfig = from_toml(text)?;
        validate(&config)?;
        Ok(Some(config))
    }
}

/// `toml::from_str`, with credentials redacted from the error: its message quotes the line
/// (an `index-url = "https://user:token@…"` among them).
fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    toml::from_str(text)
        .map_err(|e| anyhow::anyhow!("{}", crate::index::redact_text(e.to_string().trim_end())))
}

fn validate(config: &FileConfig) -> Result<()> {
    if let Some(t) = config.threshold {
        check_threshold(t).context("key `threshold`")?;
    }
    Ok(())
}

fn check_threshold(t: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&t) {
        Ok(t)
    } else {
        bail!("threshold must be between 0.0 and 1.0, got {t}")
    }
}

/// Settings every command has.
#[derive(Clone, Debug)]
pub struct GlobalSettings {
    /// 0 = info, 1 = debug, 2+ = trace.
    pub verbose: u8,
    /// Errors only.
    pub quiet: bool,
    /// Colour choice.
    pub color: ColorChoice,
    /// Timestamped log copy.
    pub log_file: Option<PathBuf>,
    /// The working directory (where configuration and default inputs are looked for).
    pub cwd: PathBuf,
    /// The configuration file, if any.
    pub config: Option<LoadedConfig>,
    /// `--store`, if given.
    pub store: Option<String>,
}

impl GlobalSettings {
    /// Resolves the global flags and loads the configuration file.
    pub fn resolve(args: &GlobalArgs) -> Result<Self> {
        let cwd = std::env::current_dir().context("failed to read the current directory")?;
        let explicit = args
            .config
            .clone()
            .or_else(|| std::env::var_os("WHEELWATCH_CONFIG").map(PathBuf::from));
        let config = load_config(explicit.as_deref(), &cwd)?;
        Ok(Self {
            verbose: args.verbose,
            quiet: args.quiet,
            color: args.color,
            log_file: args.log_file.clone(),
            cwd,
            config,
            store: args.store.clone(),
        })
    }

    /// The history store, from `--store`, else `WHEELWATCH_STORE`, else `store = …` in the
    /// configuration (a path relative to the file), else `.wheelwatch/history.sqlite`.
    pub fn store_location(&self, env: &dyn Env) -> Result<Sourced<StoreLocation>> {
        let parse =
            |text: &str, base: &Path, source: ValueSource| -> Result<Sourced<StoreLocation>> {
                let location = StoreLocation::parse(text, base)
                    .with_context(|| format!("invalid history store ({source})"))?;
                Ok(Sourced::new(location, source))
            };
        if let Some(text) = &self.store {
            return parse(text, &self.cwd, ValueSource::Flag("--store".into()));
        }
        if let Some(text) = env.var("WHEELWATCH_STORE") {
            return parse(
                &text,
                &self.cwd,
                ValueSource::Env("WHEELWATCH_STORE".into()),
            );
        }
        if let Some(loaded) = &self.config
            && let Some(text) = &loaded.config.store
        {
            return parse(text, loaded.dir(), loaded.source("store"));
        }
        Ok(Sourced::new(
            StoreLocation::default_for(&self.cwd),
            ValueSource::Default,
        ))
    }

    /// Whether to colour stdout.
    pub fn color_stdout(&self) -> bool {
        use std::io::IsTerminal;
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// Environment lookups, injectable for tests.
pub trait Env {
    /// The variable's value, if set and non-empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Requirement sources after resolution.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SourceSettings {
    /// Files given positionally or by configuration (kind detected from the name).
    pub files: Vec<PathBuf>,
    /// `-r` files.
    pub requirements: Vec<PathBuf>,
    /// `-c` files.
    pub constraints: Vec<PathBuf>,
    /// `--package` specs.
    pub packages: Vec<String>,
    /// pyproject extras.
    pub extras: Vec<String>,
    /// Dependency groups.
    pub groups: Vec<String>,
}

impl SourceSettings {
    /// Whether nothing at all was named (use the default input).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.requirements.is_empty() && self.packages.is_empty()
    }
}

pub(crate) use crate::index::CacheMode;

/// Index and cache settings after resolution (before pip's configuration is merged in by the
/// index module).
#[derive(Clone, Debug, Serialize)]
pub struct IndexChoice {
    /// `--index-url`, if set by flag, env or configuration.
    pub index_url: Option<Sourced<String>>,
    /// Extra indexes.
    pub extra_index_urls: Vec<Sourced<String>>,
    /// Find-links.
    pub find_links: Vec<Sourced<String>>,
    /// `--no-index`.
    pub no_index: bool,
    /// The cache directory.
    pub cache_dir: Sourced<PathBuf>,
    /// Cache mode.
    pub cache_mode: CacheMode,
    /// Freshness window when the server gives none.
    #[serde(serialize_with = "ser_secs")]
    pub max_age: Duration,
    /// Per-request timeout (`WHEELWATCH_HTTP_TIMEOUT`, seconds), when set.
    #[serde(skip)]
    pub timeout: Option<Duration>,
    /// Retries after a failed request (`WHEELWATCH_HTTP_RETRIES`), when set.
    pub retries: Option<u32>,
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// Default freshness of a cached index page when the server sends no caching headers.
pub(crate) const DEFAULT_CACHE_MAX_AGE: Duration = Duration::from_mins(10);

/// Settings of `wheelwatch check` (and of every command that assesses first).
#[derive(Clone, Debug, Serialize)]
pub struct CheckSettings {
    /// What to assess.
    pub sources: SourceSettings,
    /// Primary Python, if configured anywhere.
    pub primary: Option<Sourced<String>>,
    /// Fallbacks in order.
    pub fallbacks: Sourced<Vec<String>>,
    /// Informational targets.
    pub targets: Sourced<Vec<String>>,
    /// Health threshold.
    pub threshold: Sourced<f64>,
    /// Only primary-healthy exits 0.
    pub strict: bool,
    /// Pre-releases for all.
    pub pre: bool,
    /// Index and cache.
    pub index: IndexChoice,
    /// The venv later commands manage.
    pub venv: Sourced<PathBuf>,
    /// Output format (stdout, or the bare `-o PATH`).
    #[serde(skip)]
    pub format: ReportFormat,
    /// The `--format` report's file instead of stdout (a bare `-o PATH`).
    pub output: Option<PathBuf>,
    /// `-o FORMAT=PATH`: more reports, beside the one on stdout.
    #[serde(skip)]
    pub outputs: Vec<OutputFile>,
    /// GitHub's job summary file (`GITHUB_STEP_SUMMARY`): the Markdown report is appended to
    /// it whenever a `github` report is written.
    #[serde(skip)]
    pub step_summary: Option<PathBuf>,
    /// `--no-deps`: assess the direct requirements only.
    pub no_deps: bool,
    /// `--lock-dir`: write each target's wheel-only resolution here.
    pub lock_dir: Option<PathBuf>,
    /// Record the run in the history store (`--record`, `WHEELWATCH_RECORD=1`,
    /// `record = true`).
    pub record: bool,
}

fn list_env(env: &dyn Env, name: &str) -> Option<Vec<String>> {
    env.var(name).map(|v| {
        v.split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// Resolves requirement sources.
fn resolve_sources(args: SourceArgs, config: Option<&LoadedConfig>) -> SourceSettings {
    let SourceArgs {
        files,
        requirement,
        constraint,
        package,
        extra,
        group,
    } = args;
    let mut sources = SourceSettings {
        files,
        requirements: requirement,
        constraints: constraint,
        packages: package,
        extras: extra,
        groups: group,
    };
    if let Some(loaded) = config {
        let c = &loaded.config;
        if sources.is_empty()
            && let Some(files) = &c.requirements
        {
            sources.files = files.iter().map(|p| loaded.dir().join(p)).collect();
        }
        if sources.constraints.is_empty()
            && let Some(files) = &c.constraints
        {
            sources.constraints = files.iter().map(|p| loaded.dir().join(p)).collect();
        }
        if sources.extras.is_empty() {
            sources.extras = c.extras.clone().unwrap_or_default();
        }
        if sources.groups.is_empty() {
            sources.groups = c.groups.clone().unwrap_or_default();
        }
    }
    sources
}

/// Primary, fallbacks and extra targets, each with its source.
type ResolvedTargets = (
    Option<Sourced<String>>,
    Sourced<Vec<String>>,
    Sourced<Vec<String>>,
);

fn resolve_targets(
    args: TargetArgs,
    config: Option<&LoadedConfig>,
    env: &dyn Env,
) -> ResolvedTargets {
    let TargetArgs {
        python,
        fallback,
        target,
    } = args;
    let c = config.map(|l| (&l.config, l));
    let primary = python
        .map(|v| Sourced::new(v, ValueSource::Flag("--python".into())))
        .or_else(|| {
            env.var("WHEELWATCH_PYTHON")
                .map(|v| Sourced::new(v, ValueSource::Env("WHEELWATCH_PYTHON".into())))
        })
        .or_else(|| {
            c.and_then(|(c, l)| {
                c.primary
                    .clone()
                    .map(|v| Sourced::new(v, l.source("primary")))
            })
        });
    let fallbacks = if fallback.is_empty() {
        list_env(env, "WHEELWATCH_FALLBACK")
            .map(|v| Sourced::new(v, ValueSource::Env("WHEELWATCH_FALLBACK".into())))
            .or_else(|| {
                c.and_then(|(c, l)| {
                    c.fallbacks
                        .clone()
                        .map(|v| Sourced::new(v, l.source("fallbacks")))
                })
            })
            .unwrap_or_else(|| Sourced::new(Vec::new(), ValueSource::Default))
    } else {
        Sourced::new(fallback, ValueSource::Flag("--fallback".into()))
    };
    let targets = if target.is_empty() {
        list_env(env, "WHEELWATCH_TARGETS")
            .map(|v| Sourced::new(v, ValueSource::Env("WHEELWATCH_TARGETS".into())))
            .or_else(|| {
                c.and_then(|(c, l)| {
                    c.targets
                        .clone()
                        .map(|v| Sourced::new(v, l.source("targets")))
                })
            })
            .unwrap_or_else(|| Sourced::new(Vec::new(), ValueSource::Default))
    } else {
        Sourced::new(target, ValueSource::Flag("--target".into()))
    };
    (primary, fallbacks, targets)
}

fn default_cache_dir() -> PathBuf {
    crate::index::CacheSettings::default_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("wheelwatch-cache"))
}

/// `false` for a local `--find-links` location (from any source: flag, requirement file,
/// `PIP_FIND_LINKS`, pip.conf) that does not exist, after warning that it is ignored, as pip
/// does ("Location ... is ignored: it is either a non-existing path or lacks a specific
/// scheme"). URLs are kept: whether they answer is the index client's business.
fn find_link_exists(link: &str) -> bool {
    if link.starts_with("http://") || link.starts_with("https://") {
        return true;
    }
    let path = match link.strip_prefix("file:") {
        Some(rest) => url::Url::parse(link)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .unwrap_or_else(|| PathBuf::from(rest)),
        None => PathBuf::from(link),
    };
    if path.exists() {
        return true;
    }
    tracing::warn!(
        "find-links location `{}` does not exist: ignored",
        crate::index::redact_url(link)
    );
    false
}

/// Resolves index and cache settings.
pub(crate) fn resolve_index(
    args: IndexArgs,
    config: Option<&LoadedConfig>,
    env: &dyn Env,
) -> Result<IndexChoice> {
    let IndexArgs {
        index_url,
        extra_index_url,
        find_links,
        no_index,
        cache_dir,
        no_cache,
        offline,
        refresh,
    } = args;
    let c = config.map(|l| (&l.config, l));
    let index_url = index_url
        .map(|v| Sourced::new(v, ValueSource::Flag("--index-url".into())))
        .or_else(|| {
            env.var("WHEELWATCH_INDEX_URL")
                .map(|v| Sourced::new(v, ValueSource::Env("WHEELWATCH_INDEX_URL".into())))
        })
        .or_else(|| {
            c.and_then(|(c, l)| {
                c.index_url
                    .clone()
                    .map(|v| Sourced::new(v, l.source("index-url")))
            })
        });
    let extra_index_urls = if extra_index_url.is_empty() {
        c.and_then(|(c, l)| {
            c.extra_index_urls.as_ref().map(|v| {
                v.iter()
                    .map(|u| Sourced::new(u.clone(), l.source("extra-index-urls")))
                    .collect()
            })
        })
        .unwrap_or_default()
    } else {
        extra_index_url
            .into_iter()
            .map(|u| Sourced::new(u, ValueSource::Flag("--extra-index-url".into())))
            .collect()
    };
    let find_links = if find_links.is_empty() {
        c.and_then(|(c, l)| {
            c.find_links.as_ref().map(|v| {
                v.iter()
                    .map(|u| {
                        let p = l.dir().join(u);
                        let value = if u.contains("://") {
                            u.clone()
                        } else {
                            p.display().to_string()
                        };
                        Sourced::new(value, l.source("find-links"))
                    })
                    .collect()
            })
        })
        .unwrap_or_default()
    } else {
        find_links
            .into_iter()
            .map(|u| Sourced::new(u, ValueSource::Flag("--find-links".into())))
            .collect()
    };
    let no_index = no_index || c.is_some_and(|(c, _)| c.no_index == Some(true));
    let cache_dir = cache_dir
        .map(|v| Sourced::new(v, ValueSource::Flag("--cache-dir".into())))
        .or_else(|| {
            env.var("WHEELWATCH_CACHE_DIR").map(|v| {
                Sourced::new(
                    PathBuf::from(v),
                    ValueSource::Env("WHEELWATCH_CACHE_DIR".into()),
                )
            })
        })
        .or_else(|| {
            c.and_then(|(c, l)| {
                c.cache_dir
                    .clone()
                    .map(|v| Sourced::new(l.dir().join(v), l.source("cache-dir")))
            })
        })
        .unwrap_or_else(|| Sourced::new(default_cache_dir(), ValueSource::Default));
    let offline = offline || env.var("WHEELWATCH_OFFLINE").is_some_and(|v| v != "0");
    let cache_mode = if no_cache || env.var("WHEELWATCH_NO_CACHE").is_some_and(|v| v != "0") {
        CacheMode::NoCache
    } else if offline {
        CacheMode::Offline
    } else if refresh {
        CacheMode::Refresh
    } else {
        CacheMode::Normal
    };
    let max_age = match env.var("WHEELWATCH_CACHE_MAX_AGE") {
        Some(v) => Duration::from_secs(v.parse().with_context(|| {
            format!("WHEELWATCH_CACHE_MAX_AGE must be a number of seconds, got `{v}`")
        })?),
        None => c
            .and_then(|(c, _)| c.cache_max_age)
            .map_or(DEFAULT_CACHE_MAX_AGE, Duration::from_secs),
    };
    let timeout = env
        .var("WHEELWATCH_HTTP_TIMEOUT")
        .map(|v| {
            v.parse().map(Duration::from_secs).with_context(|| {
                format!("WHEELWATCH_HTTP_TIMEOUT must be a number of seconds, got `{v}`")
            })
        })
        .transpose()?;
    let retries = env
        .var("WHEELWATCH_HTTP_RETRIES")
        .map(|v| {
            v.parse()
                .with_context(|| format!("WHEELWATCH_HTTP_RETRIES must be a count, got `{v}`"))
        })
        .transpose()?;
    Ok(IndexChoice {
        index_url,
        extra_index_urls,
        find_links,
        no_index,
        cache_dir,
        cache_mode,
        max_age,
        timeout,
        retries,
    })
}

impl IndexChoice {
    /// The index client's settings: these choices (flags, environment, wheelwatch
    /// configuration) first, then the requirement files' own options, then pip's configuration
    /// (`pip`), then the defaults. `check`, `doctor` and the fallback's installer all use this.
    pub fn index_settings(
        &self,
        file: &crate::requirements::FileIndexOptions,
        pip: &crate::index::PipConfig,
    ) -> crate::index::IndexSettings {
        let mut settings = crate::index::IndexSettings::default();
        settings.apply_pip_config(pip);
        if let Some(url) = &file.index_url {
            settings.index_url.clone_from(url);
        }
        settings
            .extra_index_urls
            .extend(file.extra_index_urls.iter().cloned());
        settings.find_links.extend(file.find_links.iter().cloned());
        settings.no_index |= file.no_index;
        if let Some(url) = &self.index_url {
            settings.index_url.clone_from(&url.value);
        }
        settings
            .extra_index_urls
            .extend(self.extra_index_urls.iter().map(|u| u.value.clone()));
        settings
            .find_links
            .extend(self.find_links.iter().map(|u| u.value.clone()));
        settings.no_index |= self.no_index;
        settings.extra_index_urls.dedup();
        settings.find_links.retain(|link| find_link_exists(link));
        settings.cache.dir = Some(self.cache_dir.value.clone());
        settings.cache.max_age = self.max_age;
        settings.cache.mode = self.cache_mode;
        if let Some(timeout) = self.timeout {
            settings.timeout = timeout;
        }
        if let Some(retries) = self.retries {
            settings.retries = retries;
        }
        settings
    }
}

impl CheckSettings {
    /// Resolves `check`'s flags against the environment and configuration file.
    pub fn resolve(args: CheckArgs, globals: &GlobalSettings, env: &dyn Env) -> Result<Self> {
        let CheckArgs {
            sources,
            targets,
            index,
            threshold,
            strict,
            pre,
            format,
            output,
            no_deps,
            lock_dir,
            record,
        } = args;
        let config = globals.config.as_ref();
        let (outputs, output) = outputs::parse_outputs(&output)?;
        let sources = resolve_sources(sources, config);
        let (primary, fallbacks, targets) = resolve_targets(targets, config, env);
        let threshold = match threshold {
            Some(t) => Sourced::new(
                check_threshold(t).context("invalid --threshold")?,
                ValueSource::Flag("--threshold".into()),
            ),
            None => {
                match env.var("WHEELWATCH_THRESHOLD") {
                    Some(v) => {
                        let t: f64 = v.parse().with_context(|| {
                        format!("WHEELWATCH_THRESHOLD must be a number between 0.0 and 1.0, got `{v}`")
                    })?;
                        Sourced::new(
                            check_threshold(t).context("invalid WHEELWATCH_THRESHOLD")?,
                            ValueSource::Env("WHEELWATCH_THRESHOLD".into()),
                        )
                    }
                    None => config
                        .and_then(|l| {
                            l.config
                                .threshold
                                .map(|t| Sourced::new(t, l.source("threshold")))
                        })
                        .unwrap_or_else(|| Sourced::new(1.0, ValueSource::Default)),
                }
            }
        };
        let pre = pre || config.is_some_and(|l| l.config.pre == Some(true));
        let index = resolve_index(index, config, env)?;
        let venv = env
            .var("WHEELWATCH_VENV")
            .map(|v| Sourced::new(PathBuf::from(v), ValueSource::Env("WHEELWATCH_VENV".into())))
            .or_else(|| {
                config.and_then(|l| {
                    l.config
                        .venv
                        .clone()
                        .map(|v| Sourced::new(l.dir().join(v), l.source("venv")))
                })
            })
            .unwrap_or_else(|| Sourced::new(globals.cwd.join(".venv"), ValueSource::Default));
        Ok(Self {
            sources,
            primary,
            fallbacks,
            targets,
            threshold,
            strict,
            pre,
            index,
            venv,
            format: format.into(),
            output,
            outputs,
            step_summary: env.var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            no_deps,
            lock_dir,
            record: record
                || env
                    .var("WHEELWATCH_RECORD")
                    .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
                || config.is_some_and(|l| l.config.record == Some(true)),
        })
    }

    /// The settings of an assessment run on behalf of another command (`config`, `doctor`,
    /// `fallback`, …): its shared flags resolved as `check` resolves them; table format,
    /// stdout, not strict, dependencies resolved, no lock files.
    pub fn for_assessment(
        sources: SourceArgs,
        targets: TargetArgs,
        index: IndexArgs,
        threshold: Option<f64>,
        pre: bool,
        globals: &GlobalSettings,
    ) -> Result<Self> {
        Self::resolve(
            CheckArgs::for_assessment(sources, targets, index, threshold, pre),
            globals,
            &ProcessEnv,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let err = parse_config("primary = \"3.12\"\nfalbacks = [\"3.11\"]\n", false).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("unknown field `falbacks`"), "{text}");
        assert!(text.contains("line 2"), "{text}");
        let err = parse_config("[tool.wheelwatch]\nprimery = \"3.12\"\n", true).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with("[tool.wheelwatch]: TOML parse error at line 2"),
            "{text}"
        );
        assert!(text.contains("unknown field `primery`"), "{text}");
    }

    #[test]
    fn pyproject_without_table_is_no_config() {
        assert!(
            parse_config("[project]\nname = \"x\"\n", true)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn threshold_is_bounded() {
        let err = parse_config("threshold = 1.5\n", false).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "key `threshold`: threshold must be between 0.0 and 1.0, got 1.5"
        );
    }
}
