//! `wheelwatch watch`: the monitoring loop. Every interval (±10% jitter, [`schedule`]) it
//! assesses and records the run, compares it with the previous successful run (as `history
//! diff` does) and turns what changed into alerts ([`events`]), delivered by a worker that never
//! blocks the loop ([`notify`]); it counts consecutive verdicts for the automatic actions
//! ([`policy`]) and republishes the metrics ([`crate::metrics`], [`serve`]).
//!
//! What is owned here: the loop's order of things, its counters, and stopping: SIGTERM or
//! SIGINT ends the loop between runs at once; during an assessment the run is given a short
//! grace to finish (and be recorded) and is otherwise abandoned, unrecorded; a switch in
//! progress is always finished. The exit status is then 0. An assessment that fails is
//! recorded as failed, retried with backoff, counts nothing for the policies and is never a
//! change.
//!
//! Not owned here: assessing, recording, switching and writing metrics: the command
//! ([`crate::commands::watch`]) does those through the [`Runner`] trait, reusing `check`'s
//! assessment, the history [`Recorder`](crate::commands::history::Recorder) and the
//! `fallback`/`promote` code path.

pub(crate) mod events;
pub(crate) mod notify;
pub(crate) mod policy;
pub(crate) mod schedule;
pub(crate) mod serve;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::history::RunDiff;
use crate::printer::Printer;
use crate::settings::PolicySettings;
use events::{Alert, AlertContext};
use notify::Notifier;
use policy::{Decision, Observation, Policy};
use schedule::Schedule;

/// What one run produced, after recording.
#[derive(Clone, Debug)]
pub(crate) enum RunOutcome {
    /// A verdict.
    Assessed {
        /// The recorded run (none when recording failed).
        run_id: Option<i64>,
        /// The verdict key.
        verdict: String,
        /// The primary is healthy.
        primary_healthy: bool,
        /// A fallback is healthy.
        fallback_available: bool,
        /// The changes since the previous successful run, if there was one.
        diff: Option<RunDiff>,
    },
    /// No verdict: the index (or an interpreter) could not answer.
    Failed {
        /// The recorded run.
        run_id: Option<i64>,
        /// Why.
        error: String,
    },
}

/// The command's side of the loop.
pub(crate) trait Runner {
    /// An assessment's result, before recording.
    type Assessed;
    /// The project's name (for alerts).
    fn project(&self) -> String;
    /// Assesses (may be abandoned on a signal: must not write anything).
    fn assess(&mut self) -> Self::Assessed;
    /// Records the assessment and compares it with the previous successful run.
    fn record(&mut self, assessed: Self::Assessed) -> RunOutcome;
    /// Whether the venv runs a fallback now.
    fn on_fallback(&mut self) -> bool;
    /// Takes `decision` (fallback or promote) through the `fallback`/`promote` code path; what
    /// happened in one line, `Ok` when done.
    fn act(&mut self, decision: Decision) -> Result<String, String>;
    /// Rewrites the metrics (file, endpoint).
    fn publish(&mut self);
}

/// How the loop runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoopOptions {
    /// Between runs, before jitter.
    pub interval: Duration,
    /// Stop after this many runs (`Some(1)`: `--once`).
    pub max_runs: Option<u64>,
    /// Alert after this many failed assessments in a row.
    pub alert_after_failures: u32,
    /// The automatic actions.
    pub policy: PolicySettings,
}

const IDLE: u8 = 0;
const ASSESSING: u8 = 1;
const BUSY: u8 = 2;

/// How long a signalled run may go on before it is abandoned.
const GRACE: Duration = Duration::from_secs(3);

/// Stop requests from SIGTERM/SIGINT, and what the loop is doing when one comes.
pub(crate) struct Stop {
    requested: Arc<AtomicBool>,
    phase: Arc<AtomicU8>,
    wake: Receiver<()>,
}

impl Stop {
    /// Listens for SIGTERM and SIGINT on a background thread (tokio's signal handling).
    pub(crate) fn install(printer: Printer) -> std::io::Result<Self> {
        let requested = Arc::new(AtomicBool::new(false));
        let phase = Arc::new(AtomicU8::new(IDLE));
        let (tx, wake) = mpsc::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (ready_tx, ready_rx) = mpsc::channel();
        {
            let requested = Arc::clone(&requested);
            let phase = Arc::clone(&phase);
            std::thread::Builder::new()
                .name("wheelwatch-signals".into())
                .spawn(move || {
                    runtime.block_on(listen(&requested, &phase, &tx, &ready_tx, printer));
                })?;
        }
        ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the signal handler did not start"))??;
        Ok(Self {
            requested,
            phase,
            wake,
        })
    }

    fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    fn phase(&self, phase: u8) {
        self.phase.store(phase, Ordering::SeqCst);
    }

    /// Sleeps `d`, or less when a stop is requested; whether to stop.
    fn sleep(&self, d: Duration) -> bool {
        if self.requested() {
            return true;
        }
        match self.wake.recv_timeout(d) {
            Ok(()) | Err(RecvTimeoutError::Disconnected | RecvTimeoutError::Timeout) => {
                self.requested()
            }
        }
    }
}

#[cfg(unix)]
async fn listen(
    requested: &AtomicBool,
    phase: &AtomicU8,
    wake: &mpsc::Sender<()>,
    ready: &mpsc::Sender<std::io::Result<()>>,
    printer: Printer,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    // Said before the loop is woken: once woken, the main thread may end the process.
    match phase.load(Ordering::SeqCst) {
        ASSESSING => printer.note(format_args!(
            "{name}: stopping; the current assessment has {}s to finish",
            GRACE.as_secs()
        )),
        BUSY => printer.note(format_args!("{name}: stopping after the current run")),
        _ => printer.note(format_args!("{name}: stopping")),
    }
    requested.store(true, Ordering::SeqCst);
    let _ = wake.send(());
    let signalled = Instant::now();
    loop {
        let again = tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(50)) => false,
            _ = term.recv() => true,
            _ = int.recv() => true,
        };
        let current = phase.load(Ordering::SeqCst);
        if current == ASSESSING && (again || signalled.elapsed() >= GRACE) {
            // Nothing of an unfinished assessment is written: abandoning it loses nothing.
            printer.note(format_args!(
                "abandoned the current assessment (not recorded)"
            ));
            std::process::exit(0);
        }
        if again && current == BUSY {
            printer.note(format_args!(
                "finishing the current run first (a switch is safe to kill; SIGKILL forces it)"
            ));
        }
    }
}

#[cfg(not(unix))]
async fn listen(
    requested: &AtomicBool,
    _phase: &AtomicU8,
    wake: &mpsc::Sender<()>,
    ready: &mpsc::Sender<std::io::Result<()>>,
    _printer: Printer,
) {
    let _ = ready.send(Ok(()));
    if tokio::signal::ctrl_c().await.is_ok() {
        requested.store(true, Ordering::SeqCst);
        let _ = wake.send(());
    }
}

/// Runs the loop until stopped (or `max_runs`); how many runs were made.
pub(crate) fn run_loop<R: Runner>(
    runner: &mut R,
    options: LoopOptions,
    notifier: &Notifier,
    stop: &Stop,
    printer: Printer,
) -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let mut schedule = Schedule::new(options.interval, seed);
    let mut policy = Policy::new(options.policy);
    let mut failures: u32 = 0;
    let mut runs: u64 = 0;
    let project = runner.project();
    loop {
        if stop.requested() {
            break;
        }
        stop.phase(ASSESSING);
        let assessed = runner.assess();
        stop.phase(BUSY);
        let outcome = runner.record(assessed);
        let ctx = AlertContext {
            project: project.clone(),
            timestamp: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        };
        let mut alerts: Vec<Alert> = Vec::new();
        // Said once the run is over (recorded, acted on, metrics published).
        let said: String;
        let (observation, run_id) = match &outcome {
            RunOutcome::Failed { run_id, error } => {
                failures = failures.saturating_add(1);
                said = format!(
                    "run {}: the assessment failed ({failures} in a row): {error}",
                    run_label(*run_id)
                );
                if failures == options.alert_after_failures {
                    alerts.push(ctx.failing(*run_id, failures, error));
                }
                (Observation::Outage, *run_id)
            }
            RunOutcome::Assessed {
                run_id,
                verdict,
                primary_healthy,
                fallback_available,
                diff,
            } => {
                if failures >= options.alert_after_failures {
                    alerts.push(ctx.recovered(*run_id, failures));
                }
                failures = 0;
                let changes = diff.as_ref().map_or(0, |d| d.changes.len());
                said = format!(
                    "run {}: {}{}",
                    run_label(*run_id),
                    verdict.replace('_', " "),
                    match diff {
                        Some(d) if d.is_empty() => " (no change)".to_string(),
                        Some(_) => format!(" ({changes} change(s))"),
                        None => String::new(),
                    }
                );
                if let Some(diff) = diff {
                    alerts.extend(ctx.diff_alerts(diff));
                }
                (
                    Observation::Assessed {
                        primary_healthy: *primary_healthy,
                        fallback_available: *fallback_available,
                    },
                    *run_id,
                )
            }
        };
        let policies_on =
            options.policy.fallback_after.is_some() || options.policy.promote_after.is_some();
        let decision = if policies_on {
            let on_fallback = runner.on_fallback();
            policy.observe(observation, on_fallback)
        } else {
            Decision::Nothing
        };
        if decision != Decision::Nothing {
            let promote = decision == Decision::Promote;
            let result = runner.act(decision);
            let (ok, detail) = match &result {
                Ok(d) => (true, d.as_str()),
                Err(d) => (false, d.as_str()),
            };
            alerts.push(ctx.action(run_id, promote, ok, detail));
            policy.reset();
        }
        runner.publish();
        for a in &alerts {
            tracing::info!("alert: {}", a.summary);
        }
        notifier.send(alerts);
        if matches!(outcome, RunOutcome::Failed { .. }) {
            printer.warning(format_args!("{said}"));
        } else {
            printer.note(format_args!("{said}"));
        }
        stop.phase(IDLE);
        runs += 1;
        if options.max_runs.is_some_and(|max| runs >= max) {
            break;
        }
        if stop.sleep(schedule.pause(failures)) {
            break;
        }
    }
    runs
}

fn run_label(id: Option<i64>) -> String {
    id.map_or_else(|| "(not recorded)".to_string(), |id| id.to_string())
}
