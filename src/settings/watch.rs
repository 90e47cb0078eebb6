//! The typed settings of `wheelwatch watch` and `wheelwatch metrics`, resolved from their clap
//! arguments: the assessment (as `check` resolves it), the environment options its policies
//! use, the interval, alert destinations, policies and metrics outputs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{CheckSettings, Env, EnvSettings, GlobalSettings, Sourced};
use crate::cli::{MetricsArgs, WatchArgs};
use crate::history::StoreLocation;

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

/// Parses `--interval`: a number and a unit (`s`, `m`, `h`, `d`; `ms` is accepted for tests).
pub(crate) fn parse_interval(text: &str) -> Result<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().ok().filter(|n| *n > 0).with_context(|| {
        format!("invalid --interval `{text}`: expected a positive whole number and a unit, e.g. 90s, 15m, 1h, 1d")
    })?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86_400)),
        other => {
            bail!("invalid --interval `{text}`: unknown unit `{other}` (expected s, m, h or d)")
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
        let interval_value = parse_interval(&interval)?;
        let mode = if once {
            WatchMode::Once
        } else if print_systemd {
            WatchMode::PrintSystemd
        } else if print_cron {
            WatchMode::PrintCron
        } else {
            WatchMode::Loop { max_runs }
        };
        let urls = notify
            .iter()
            .map(|u| {
                let url = url::Url::parse(u).with_context(|| {
                    format!(
                        "invalid --notify URL `{}`: expected http:// or https://",
                        crate::util::redact::redact_url(u)
                    )
                })?;
                if !matches!(url.scheme(), "http" | "https") {
                    bail!(
                        "invalid --notify URL `{}`: expected http:// or https://",
                        crate::util::redact::redact_url(u)
                    );
                }
                Ok(url)
            })
            .collect::<Result<Vec<_>>>()?;
        if notify_command.first().is_some_and(String::is_empty) {
            bail!("--notify-command needs a program");
        }
        for (flag, n) in [
            ("--alert-after-failures", alert_after_failures),
            ("--fallback-after", fallback_after),
            ("--promote-after", promote_after),
        ] {
            if n == 0 {
                bail!("{flag} must be at least 1");
            }
        }
        let metrics_listen = metrics_listen
            .map(|a| {
                a.parse::<SocketAddr>().with_context(|| {
                    format!(
                        "invalid --metrics-listen `{a}`: expected ADDRESS:PORT, e.g. 127.0.0.1:9464"
                    )
                })
            })
            .transpose()?;
        let metrics_file = metrics_file.map(|p| globals.cwd.join(p));
        let mut rerun_flags = Vec::new();
        for url in &notify {
            rerun_flags.extend(["--notify".to_string(), url.clone()]);
        }
        if alert_after_failures != 3 {
            rerun_flags.extend([
                "--alert-after-failures".into(),
                alert_after_failures.to_string(),
            ]);
        }
        if auto_fallback {
            rerun_flags.push("--auto-fallback".into());
            if fallback_after != 2 {
                rerun_flags.extend(["--fallback-after".into(), fallback_after.to_string()]);
            }
        }
        if auto_promote {
            rerun_flags.push("--auto-promote".into());
            if promote_after != 2 {
                rerun_flags.extend(["--promote-after".into(), promote_after.to_string()]);
            }
        }
        if let Some(path) = &metrics_file {
            rerun_flags.extend(["--metrics-file".into(), path.display().to_string()]);
        }
        if metrics_per_package {
            rerun_flags.push("--metrics-per-package".into());
        }
        if !notify_command.is_empty() {
            rerun_flags.push("--notify-command".into());
            rerun_flags.extend(notify_command.iter().cloned());
        }
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
