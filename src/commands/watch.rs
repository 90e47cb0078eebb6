//! `wheelwatch watch` and `wheelwatch metrics`: glue between the loop ([`crate::watch`]) and
//! the rest: one watcher per project (`.wheelwatch/watch.lock`), each run assessed as `check`
//! assesses and recorded through the history [`Recorder`], compared with the previous
//! successful run ([`crate::history::diff`]), automatic actions through the `fallback`/`promote`
//! code path ([`super::switch::act_on`]), metrics rendered from the store
//! ([`crate::metrics`]) into `--metrics-file` (atomically) and `--metrics-listen`.

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use super::history::Recorder;
use crate::assess::{self, Assessment, Request};
use crate::environment::{EnvError, Operation, ProjectLock};
use crate::exit::{ExitStatus, status_for_error};
use crate::history::{ProjectId, RunFilter, RunResult, Store};
use crate::metrics::{self, Snapshot};
use crate::printer::Printer;
use crate::report::Verdict;
use crate::settings::{
    GlobalSettings, MetricsSettings, ProcessEnv, SwitchSettings, WatchMode, WatchSettings,
};
use crate::target::Role;
use crate::util::fs::{Durability, write_atomic};
use crate::watch::notify::Notifier;
use crate::watch::policy::Decision;
use crate::watch::serve::MetricsServer;
use crate::watch::{self, LoopOptions, RunOutcome, Runner, Stop};

/// How long stopping waits for queued alerts.
const ALERT_GRACE: Duration = Duration::from_secs(15);

/// Runs `wheelwatch watch`.
pub(crate) fn run(
    settings: &WatchSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    match settings.mode {
        WatchMode::PrintSystemd => return print_unit(settings, globals, printer, true),
        WatchMode::PrintCron => return print_unit(settings, globals, printer, false),
        WatchMode::Once | WatchMode::Loop { .. } => {}
    }
    let lock_path = globals.cwd.join(".wheelwatch").join("watch.lock");
    let _lock = match ProjectLock::acquire(&lock_path, Duration::ZERO, &mut |_, _| {}) {
        Ok(lock) => lock,
        Err(EnvError::Locked { holder, .. }) => {
            printer.error(format_args!(
                "another watcher is running for this project: {holder}; one watcher per \
                 project (lock: {})",
                lock_path.display()
            ));
            return Ok(ExitStatus::BadInput);
        }
        Err(e) => return Err(anyhow!(e).context("cannot take the watcher's lock")),
    };
    let stop = Stop::install(printer).context("cannot listen for SIGTERM/SIGINT")?;
    let server = settings
        .metrics_listen
        .map(|addr| {
            MetricsServer::start(addr, String::new())
                .with_context(|| format!("cannot serve metrics on {addr}"))
        })
        .transpose()?;
    if let Some(server) = &server {
        printer.note(format_args!(
            "serving metrics at http://{}/metrics",
            server.addr()
        ));
    }
    let notifier = Notifier::start(settings.notify.clone(), printer);
    let project = ProjectId::detect(&globals.cwd);
    let mut runner = WatchRunner {
        settings,
        globals,
        printer,
        project: project.name.clone(),
        recorder: None,
        assessment: None,
        server,
        last_failed: false,
    };
    let once = settings.mode == WatchMode::Once;
    let options = LoopOptions {
        interval: settings.interval,
        max_runs: match settings.mode {
            WatchMode::Loop { max_runs } => max_runs,
            _ => Some(1),
        },
        alert_after_failures: settings.alert_after_failures,
        policy: settings.policy,
    };
    if !once {
        printer.note(format_args!(
            "watching {} every {} (±10%); SIGTERM or Ctrl-C stops",
            project.name,
            human(settings.interval)
        ));
    }
    watch::run_loop(&mut runner, options, &notifier, &stop, printer);
    notifier.finish(ALERT_GRACE);
    Ok(if once && runner.last_failed {
        ExitStatus::AssessmentFailed
    } else {
        ExitStatus::Success
    })
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_millis() != 0 || s == 0 {
        format!("{}ms", d.as_millis())
    } else if s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

struct WatchRunner<'a> {
    settings: &'a WatchSettings,
    globals: &'a GlobalSettings,
    printer: Printer,
    project: String,
    /// The current run's recorder (its store serves the diff, the metrics and the events).
    recorder: Option<Recorder>,
    /// The current run's assessment, for an action.
    assessment: Option<Assessment>,
    server: Option<MetricsServer>,
    last_failed: bool,
}

impl Runner for WatchRunner<'_> {
    type Assessed = (Recorder, Result<Assessment>);

    fn project(&self) -> String {
        self.project.clone()
    }

    fn assess(&mut self) -> Self::Assessed {
        // One connection for the life of the loop: the previous run's store, unless it failed
        // (then a new one is opened).
        let store = self.recorder.take().and_then(Recorder::into_store);
        self.assessment = None;
        let recorder = Recorder::reusing(
            store,
            true,
            "watch",
            &self.settings.check,
            self.globals,
            self.printer,
        );
        let request = Request::from_settings(&self.settings.check, &self.globals.cwd, self.printer);
        (recorder, assess::run(&request))
    }

    fn record(&mut self, (mut recorder, result): Self::Assessed) -> RunOutcome {
        let outcome = match result {
            Err(e) => {
                if status_for_error(&e) == ExitStatus::AssessmentFailed {
                    recorder.failed(&e);
                    RunOutcome::Failed {
                        run_id: recorder.run_id(),
                        error: crate::util::redact::redact_text(&format!("{e:#}")),
                    }
                } else {
                    // Bad input (a requirement file edited into garbage): nothing assessed.
                    // Not an outage; said on stderr, and the loop goes on.
                    self.printer.error(format_args!(
                        "{}",
                        crate::util::redact::redact_text(&format!("{e:#}"))
                    ));
                    RunOutcome::Failed {
                        run_id: None,
                        error: crate::util::redact::redact_text(&format!("{e:#}")),
                    }
                }
            }
            Ok(assessment) => {
                recorder.assessment(&assessment);
                let run_id = recorder.run_id();
                let report = &assessment.report;
                if report.verdict == Verdict::AssessmentFailed {
                    let error = run_id
                        .and_then(|id| recorder.store_mut()?.run(id).ok().flatten()?.error)
                        .or_else(|| super::check::failure_line(report))
                        .unwrap_or_default();
                    RunOutcome::Failed { run_id, error }
                } else {
                    let diff = run_id.and_then(|id| {
                        let store = recorder.store_mut()?;
                        let previous = store
                            .runs(&RunFilter {
                                limit: Some(2),
                                successful_only: true,
                                since_epoch: None,
                            })
                            .ok()?
                            .into_iter()
                            .find(|r| r.id != id)?;
                        match store.diff(previous.id, id) {
                            Ok(d) => Some(d),
                            Err(e) => {
                                tracing::warn!("cannot compare with run {}: {e}", previous.id);
                                None
                            }
                        }
                    });
                    let primary_healthy = report.verdict == Verdict::PrimaryHealthy;
                    let fallback_available = assessment
                        .iter()
                        .any(|(t, _)| t.role == Role::Fallback && t.healthy);
                    let outcome = RunOutcome::Assessed {
                        run_id,
                        verdict: report.verdict.key().to_string(),
                        primary_healthy,
                        fallback_available,
                        diff,
                    };
                    self.assessment = Some(assessment);
                    outcome
                }
            }
        };
        self.last_failed = matches!(outcome, RunOutcome::Failed { .. });
        self.recorder = Some(recorder);
        outcome
    }

    fn on_fallback(&mut self) -> bool {
        match super::switch::on_fallback(&self.settings.check, &self.settings.env, self.globals) {
            Ok(on) => on,
            Err(e) => {
                tracing::warn!("cannot read the environment records: {e:#}");
                false
            }
        }
    }

    fn act(&mut self, decision: Decision) -> Result<String, String> {
        let (Some(assessment), Some(recorder)) = (self.assessment.as_ref(), self.recorder.as_mut())
        else {
            return Err("no assessment to act on".to_string());
        };
        let (operation, why) = match decision {
            Decision::Fallback => (
                Operation::Fallback,
                format!(
                    "watch: the primary was unhealthy in {} consecutive assessments",
                    self.settings.policy.fallback_after.unwrap_or(0)
                ),
            ),
            Decision::Promote => (
                Operation::Promote,
                format!(
                    "watch: the primary was healthy in {} consecutive assessments",
                    self.settings.policy.promote_after.unwrap_or(0)
                ),
            ),
            Decision::Nothing => return Ok(String::new()),
        };
        self.printer.note(format_args!("{why}: acting"));
        let switch = SwitchSettings {
            check: self.settings.check.clone(),
            env: self.settings.env.clone(),
            reason: Some(why.clone()),
            dry_run: false,
            to: None,
            rebuild: false,
        };
        let result = super::switch::act_on(
            &switch,
            self.globals,
            self.printer,
            operation,
            assessment,
            recorder,
        );
        let active = self.active_line();
        match result {
            Ok(ExitStatus::Success) => Ok(format!("{why}; {active}")),
            Ok(_) => Err(format!("{why}, but the switch failed; {active}")),
            Err(e) => Err(format!(
                "{why}, but the switch failed: {}; {active}",
                crate::util::redact::redact_text(&format!("{e:#}"))
            )),
        }
    }

    fn publish(&mut self) {
        if self.settings.metrics_file.is_none() && self.server.is_none() {
            return;
        }
        let Some(store) = self.recorder.as_mut().and_then(Recorder::store_mut) else {
            return;
        };
        let text = match metrics_text(store, self.settings.metrics_per_package) {
            Ok(text) => text,
            Err(e) => {
                self.printer
                    .warning(format_args!("metrics not updated: {e:#}"));
                return;
            }
        };
        if let Some(path) = &self.settings.metrics_file
            && let Err(e) = write_atomic(path, text.as_bytes(), Durability::Cache)
        {
            self.printer.warning(format_args!(
                "cannot write the metrics to {}: {e}",
                path.display()
            ));
        }
        if let Some(server) = &self.server {
            server.update(text);
        }
    }
}

impl WatchRunner<'_> {
    /// What the venv runs now, in words.
    fn active_line(&self) -> String {
        let venv = &self.settings.check.venv.value;
        let state = crate::environment::Project::new(&self.globals.cwd, venv, true)
            .ok()
            .and_then(|p| crate::environment::State::load(&p.state_file()).ok())
            .and_then(|s| s.active);
        match state {
            Some(a) => format!(
                "the venv runs Python {} ({})",
                a.python_version,
                match a.role {
                    crate::environment::Role::Primary => "primary",
                    crate::environment::Role::Fallback => "fallback",
                }
            ),
            None => "the venv is not managed by wheelwatch".to_string(),
        }
    }
}

/// The metrics of the store's project, as text.
pub(crate) fn metrics_text(store: &mut Store, per_package: bool) -> Result<String> {
    let runs = store.runs(&RunFilter::default())?;
    let latest_ok = runs
        .iter()
        .find(|r| r.result == RunResult::Ok)
        .map(|r| r.id);
    let details = latest_ok.map(|id| store.run_details(id)).transpose()?;
    let events = store.events(None)?;
    Ok(metrics::render(&Snapshot::from_history(
        &runs,
        details.as_ref(),
        &events,
        per_package,
    )))
}

/// Runs `wheelwatch metrics`.
pub(crate) fn metrics(
    settings: &MetricsSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let location = &settings.store.value;
    let mut store = Store::open(location, ProjectId::detect(&globals.cwd))
        .with_context(|| format!("cannot open the history store {}", location.display()))?;
    let text = metrics_text(&mut store, settings.per_package)?;
    let mut out = printer.stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitStatus::Success)
}

/// `--print-systemd` / `--print-cron`: units that run `watch --once` on the interval.
fn print_unit(
    settings: &WatchSettings,
    globals: &GlobalSettings,
    printer: Printer,
    systemd: bool,
) -> Result<ExitStatus> {
    let exe = std::env::current_exe()
        .map_or_else(|_| "wheelwatch".to_string(), |p| p.display().to_string());
    let line = super::rerun::command_line("watch", &settings.check, globals, &ProcessEnv)?;
    let mut words: Vec<String> = vec![super::rerun::quote(&exe)];
    words.extend(
        line.strip_prefix("wheelwatch ")
            .unwrap_or(&line)
            .split(' ')
            .map(str::to_string),
    );
    words.push("--once".to_string());
    words.extend(settings.rerun_flags.iter().map(|w| super::rerun::quote(w)));
    let command = words.join(" ");
    let project = ProjectId::detect(&globals.cwd);
    let unit_name: String = project
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cwd = globals.cwd.display().to_string();
    let (calendar, cron, exact) = watch::schedule::calendar(settings.interval);
    let mut out = printer.stdout();
    if systemd {
        write!(
            out,
            "# wheelwatch-{unit_name}.service (in ~/.config/systemd/user/ or /etc/systemd/system/)
[Unit]
Description=wheelwatch: wheel health of {name}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={cwd}
ExecStart={command}

# wheelwatch-{unit_name}.timer
[Unit]
Description=Run wheelwatch for {name} every {every}

[Timer]
OnCalendar={calendar}
RandomizedDelaySec={jitter}
Persistent=true

[Install]
WantedBy=timers.target

# Enable with: systemctl --user daemon-reload && systemctl --user enable --now wheelwatch-{unit_name}.timer
",
            name = project.name,
            every = human(settings.interval),
            jitter = (settings.interval.as_secs() / 10).max(1),
        )?;
    } else {
        writeln!(
            out,
            "# wheelwatch for {}, every {} (add with `crontab -e`)",
            project.name,
            human(settings.interval)
        )?;
        writeln!(out, "{cron} cd {} && {command}", super::rerun::quote(&cwd))?;
    }
    drop(out);
    if !exact {
        printer.warning(format_args!(
            "{} cannot be expressed as a calendar schedule; the schedule printed is the nearest \
             one below it",
            human(settings.interval)
        ));
    }
    Ok(ExitStatus::Success)
}
