//! The typed settings of `wheelwatch watch` and `wheelwatch metrics`, resolved from their clap
//! arguments: the assessment (as `check` resolves it), the environment options its policies
//! use, the interval, alert destinations, policies and metrics outputs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::{CheckSettings, Env, EnvSettings, GlobalSettings, LoadedConfig, Sourced, ValueSource};
use crate::cli::{MetricsArgs, WatchArgs};
use crate::history::StoreLocation;

/// The `[watch]` table (`[tool.wheelwatch.watch]` in pyproject.toml): `watch`'s flags as keys,
/// each checked as it is read (so a bad value is an error at its line of the file). A flag
/// given on the command line wins over its key.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WatchConfig {
    /// Time between assessments (`90s`, `15m`, `1h`, `1d`).
    pub interval: Option<ConfigInterval>,
    /// Webhook URLs alerts are POSTed to.
    pub notify: Option<Vec<NotifyUrl>>,
    /// A program and its arguments, run with each alert on stdin.
    pub notify_command: Option<ConfigArgv>,
    /// Seconds an alert delivery may take.
    pub notify_timeout: Option<AtLeastOne>,
    /// Alert after this many failed assessments in a row.
    pub alert_after_failures: Option<AtLeastOne>,
    /// Fall back on its own.
    pub auto_fallback: Option<bool>,
    /// N for `auto-fallback`.
    pub fallback_after: Option<AtLeastOne>,
    /// Return to the primary on its own.
    pub auto_promote: Option<bool>,
    /// N for `auto-promote`.
    pub promote_after: Option<AtLeastOne>,
    /// The metrics file (relative to the configuration file).
    pub metrics_file: Option<PathBuf>,
    /// Where to serve the metrics.
    pub metrics_listen: Option<ListenAddr>,
    /// Per-package series.
    pub metrics_per_package: Option<bool>,
}

/// An interval read from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ConfigInterval(pub Duration);

impl TryFrom<String> for ConfigInterval {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        parse_duration(&text, "interval")
            .map(Self)
            .map_err(|e| format!("{e:#}"))
    }
}

/// A webhook URL read from the configuration: http or https.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct NotifyUrl(pub url::Url);

impl TryFrom<String> for NotifyUrl {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        parse_notify_url(&text, "notify URL")
            .map(Self)
            .map_err(|e| format!("{e:#}"))
    }
}

/// A program and its arguments read from the configuration: the program is not empty.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct ConfigArgv(pub Vec<String>);

impl TryFrom<Vec<String>> for ConfigArgv {
    type Error = String;
    fn try_from(argv: Vec<String>) -> Result<Self, String> {
        if argv.first().is_none_or(|p| p.trim().is_empty()) {
            return Err(
                "expected a program and its arguments, e.g. [\"notify-send\", \"wheelwatch\"]"
                    .to_string(),
            );
        }
        Ok(Self(argv))
    }
}

/// A count read from the configuration: at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u64")]
pub struct AtLeastOne(pub u32);

impl TryFrom<u64> for AtLeastOne {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, String> {
        match u32::try_from(n) {
            Ok(n) if n >= 1 => Ok(Self(n)),
            _ => Err(format!(
                "expected a whole number from 1 to {}, got {n}",
                u32::MAX
            )),
        }
    }
}

/// A `metrics-listen` address read from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ListenAddr(pub SocketAddr);

impl TryFrom<String> for ListenAddr {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        parse_listen(&text, "metrics-listen")
            .map(Self)
            .map_err(|e| format!("{e:#}"))
    }
}

fn parse_listen(text: &str, name: &str) -> Result<SocketAddr> {
    text.parse::<SocketAddr>().with_context(|| {
        format!("invalid {name} `{text}`: expected ADDRESS:PORT, e.g. 127.0.0.1:9464")
    })
}

fn parse_notify_url(text: &str, name: &str) -> Result<url::Url> {
    let invalid = || {
        format!(
            "invalid {name} `{}`: expected http:// or https://",
            crate::util::redact::redact_url(text)
        )
    };
    let url = url::Url::parse(text).with_context(invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!(invalid());
    }
    Ok(url)
}

/// What `watch` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WatchMode {
    /// Assess every interval until stopped (or after `max_runs` runs).
    Loop {
        /// Stop after this many runs (hidden, for tests).
        max_runs: Option<u64>,
    },
    /// Assess once and exit.
    Once,
    /// Print a systemd service and timer.
    PrintSystemd,
    /// Print a crontab line.
    PrintCron,
}

/// Where alerts go.
#[derive(Clone, Debug, Default)]
pub(crate) struct NotifySettings {
    /// Webhook URLs (`--notify`).
    pub urls: Vec<url::Url>,
    /// A program and its arguments (`--notify-command`), run with the alert on stdin.
    pub command: Vec<String>,
    /// Each delivery attempt's timeout.
    pub timeout: Duration,
}

/// The automatic actions, each off (`None`) or on after N consecutive runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PolicySettings {
    /// `--auto-fallback`: after N successful assessments with an unhealthy primary.
    pub fallback_after: Option<u32>,
    /// `--auto-promote`: after N successful assessments with a healthy primary.
    pub promote_after: Option<u32>,
}

/// Settings of `wheelwatch watch`.
#[derive(Clone, Debug)]
pub(crate) struct WatchSettings {
    /// The assessment each run makes.
    pub check: CheckSettings,
    /// Environment options for the automatic actions.
    pub env: EnvSettings,
    /// Time between runs (before jitter).
    pub interval: Duration,
    /// Loop, once, or print a unit.
    pub mode: WatchMode,
    /// Alert destinations.
    pub notify: NotifySettings,
    /// Alert after this many failed assessments in a row.
    pub alert_after_failures: u32,
    /// Automatic actions.
    pub policy: PolicySettings,
    /// Rewrite this file with the metrics after each run.
    pub metrics_file: Option<PathBuf>,
    /// Serve the metrics here.
    pub metrics_listen: Option<SocketAddr>,
    /// Per-package series.
    pub metrics_per_package: bool,
    /// The flags of this invocation that a printed unit or crontab line repeats (alerts,
    /// policies, metrics), as words.
    pub rerun_flags: Vec<String>,
}

/// `watch`'s interval when neither `--interval` nor `interval =` says.
const DEFAULT_INTERVAL: Duration = Duration::from_hours(1);

/// Parses `--interval`: a number and a unit (`s`, `m`, `h`, `d`; `ms` is accepted for tests).
pub(crate) fn parse_interval(text: &str) -> Result<Duration> {
    parse_duration(text, "--interval")
}

/// Parses an interval named `name` in errors.
fn parse_duration(text: &str, name: &str) -> Result<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().ok().filter(|n| *n > 0).with_context(|| {
        format!("invalid {name} `{text}`: expected a positive whole number and a unit, e.g. 90s, 15m, 1h, 1d")
    })?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86_400)),
        other => {
            bail!("invalid {name} `{text}`: unknown unit `{other}` (expected s, m, h or d)")
        }
    };
    Ok(d)
}

impl WatchSettings {
    /// Resolves `watch`'s arguments.
    pub(crate) fn resolve(
        args: WatchArgs,
        globals: &GlobalSettings,
        _env: &dyn Env,
    ) -> Result<Self> {
        let WatchArgs {
            sources,
            targets,
            index,
            env: env_args,
            threshold,
            pre,
            interval,
            once,
            max_runs,
            print_systemd,
            print_cron,
            notify,
            notify_command,
            notify_timeout,
            alert_after_failures,
            auto_fallback,
            fallback_after,
            auto_promote,
            promote_after,
            metrics_file,
            metrics_listen,
            metrics_per_package,
        } = args;
        let mut check =
            CheckSettings::for_assessment(sources, targets, index, threshold, pre, globals)?;
        let env_settings = EnvSettings::resolve(env_args, &mut check);
        let loaded = globals.config.as_ref();
        let file = loaded
            .and_then(|l| l.config.watch.clone())
            .unwrap_or_default();
        let interval_value = match (&interval, file.interval) {
            (Some(text), _) => parse_interval(text)?,
            (None, Some(i)) => i.0,
            (None, None) => DEFAULT_INTERVAL,
        };
        let mode = if once {
            WatchMode::Once
        } else if print_systemd {
            WatchMode::PrintSystemd
        } else if print_cron {
            WatchMode::PrintCron
        } else {
            WatchMode::Loop { max_runs }
        };
        let urls = if notify.is_empty() {
            file.notify.iter().flatten().map(|u| u.0.clone()).collect()
        } else {
            notify
                .iter()
                .map(|u| parse_notify_url(u, "--notify URL"))
                .collect::<Result<Vec<_>>>()?
        };
        if notify_command.first().is_some_and(String::is_empty) {
            bail!("--notify-command needs a program");
        }
        for (flag, n) in [
            ("--alert-after-failures", alert_after_failures),
            ("--fallback-after", fallback_after),
            ("--promote-after", promote_after),
        ] {
            if n == Some(0) {
                bail!("{flag} must be at least 1");
            }
        }
        let metrics_listen = match (&metrics_listen, file.metrics_listen) {
            (Some(a), _) => Some(parse_listen(a, "--metrics-listen")?),
            (None, a) => a.map(|a| a.0),
        };
        let flag_metrics_file = metrics_file.map(|p| globals.cwd.join(p));
        let mut rerun_flags = Vec::new();
        for url in &notify {
            rerun_flags.extend(["--notify".to_string(), url.clone()]);
        }
        if let Some(n) = alert_after_failures {
            rerun_flags.extend(["--alert-after-failures".into(), n.to_string()]);
        }
        if auto_fallback {
            rerun_flags.push("--auto-fallback".into());
        }
        if let Some(n) = fallback_after {
            rerun_flags.extend(["--fallback-after".into(), n.to_string()]);
        }
        if auto_promote {
            rerun_flags.push("--auto-promote".into());
        }
        if let Some(n) = promote_after {
            rerun_flags.extend(["--promote-after".into(), n.to_string()]);
        }
        if let Some(path) = &flag_metrics_file {
            rerun_flags.extend(["--metrics-file".into(), path.display().to_string()]);
        }
        if metrics_per_package {
            rerun_flags.push("--metrics-per-package".into());
        }
        if let Some(n) = notify_timeout {
            rerun_flags.extend(["--notify-timeout".into(), n.to_string()]);
        }
        if !notify_command.is_empty() {
            rerun_flags.push("--notify-command".into());
            rerun_flags.extend(notify_command.iter().cloned());
        }
        let notify_command = if notify_command.is_empty() {
            file.notify_command.map(|c| c.0).unwrap_or_default()
        } else {
            notify_command
        };
        let metrics_file = flag_metrics_file.or_else(|| {
            let dir = loaded.map_or(globals.cwd.as_path(), LoadedConfig::dir);
            file.metrics_file.as_ref().map(|p| dir.join(p))
        });
        let notify_timeout = notify_timeout
            .or(file.notify_timeout.map(|n| u64::from(n.0)))
            .unwrap_or(10);
        let alert_after_failures = alert_after_failures
            .or(file.alert_after_failures.map(|n| n.0))
            .unwrap_or(3);
        let auto_fallback = auto_fallback || file.auto_fallback == Some(true);
        let fallback_after = fallback_after
            .or(file.fallback_after.map(|n| n.0))
            .unwrap_or(2);
        let auto_promote = auto_promote || file.auto_promote == Some(true);
        let promote_after = promote_after
            .or(file.promote_after.map(|n| n.0))
            .unwrap_or(2);
        let metrics_per_package = metrics_per_package || file.metrics_per_package == Some(true);
        Ok(Self {
            check,
            env: env_settings,
            interval: interval_value,
            mode,
            notify: NotifySettings {
                urls,
                command: notify_command,
                timeout: Duration::from_secs(notify_timeout.max(1)),
            },
            alert_after_failures,
            policy: PolicySettings {
                fallback_after: auto_fallback.then_some(fallback_after),
                promote_after: auto_promote.then_some(promote_after),
            },
            metrics_file,
            metrics_listen,
            metrics_per_package,
            rerun_flags,
        })
    }
}

/// The `[watch]` keys the configuration file sets, each as its key, its value in words and
/// where it came from (for `wheelwatch config`; `watch` itself may override them with flags).
pub(crate) fn file_rows(loaded: &LoadedConfig) -> Vec<(String, String, ValueSource)> {
    let Some(w) = &loaded.config.watch else {
        return Vec::new();
    };
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(i) = w.interval {
        rows.push(("interval", format!("{}s", i.0.as_secs())));
    }
    if let Some(urls) = &w.notify {
        for u in urls {
            rows.push(("notify", crate::util::redact::redact_url(u.0.as_str())));
        }
    }
    if let Some(argv) = &w.notify_command {
        rows.push((
            "notify-command",
            serde_json::to_string(&argv.0).unwrap_or_default(),
        ));
    }
    if let Some(n) = w.notify_timeout {
        rows.push(("notify-timeout", format!("{}s", n.0)));
    }
    if let Some(n) = w.alert_after_failures {
        rows.push(("alert-after-failures", n.0.to_string()));
    }
    if let Some(b) = w.auto_fallback {
        rows.push(("auto-fallback", b.to_string()));
    }
    if let Some(n) = w.fallback_after {
        rows.push(("fallback-after", n.0.to_string()));
    }
    if let Some(b) = w.auto_promote {
        rows.push(("auto-promote", b.to_string()));
    }
    if let Some(n) = w.promote_after {
        rows.push(("promote-after", n.0.to_string()));
    }
    if let Some(p) = &w.metrics_file {
        rows.push(("metrics-file", loaded.dir().join(p).display().to_string()));
    }
    if let Some(a) = w.metrics_listen {
        rows.push(("metrics-listen", a.0.to_string()));
    }
    if let Some(b) = w.metrics_per_package {
        rows.push(("metrics-per-package", b.to_string()));
    }
    rows.into_iter()
        .map(|(key, value)| {
            let key = format!("watch.{key}");
            let source = loaded.source(&key);
            (key, value, source)
        })
        .collect()
}

/// Settings of `wheelwatch metrics`.
#[derive(Clone, Debug)]
pub(crate) struct MetricsSettings {
    /// Per-package series.
    pub per_package: bool,
    /// The history store.
    pub store: Sourced<StoreLocation>,
}

impl MetricsSettings {
    /// Resolves `metrics`'s arguments.
    pub(crate) fn resolve(
        args: &MetricsArgs,
        globals: &GlobalSettings,
        env: &dyn Env,
    ) -> Result<Self> {
        Ok(Self {
            per_package: args.metrics_per_package,
            store: globals.store_location(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1h").unwrap(), Duration::from_hours(1));
        assert_eq!(parse_interval("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_interval("15m").unwrap(), Duration::from_mins(15));
        assert_eq!(parse_interval("2d").unwrap(), Duration::from_hours(48));
        assert_eq!(parse_interval("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(
            format!("{:#}", parse_interval("1w").unwrap_err()),
            "invalid --interval `1w`: unknown unit `w` (expected s, m, h or d)"
        );
        assert!(parse_interval("0h").is_err());
        assert!(parse_interval("h").is_err());
    }
}
