//! `wheelwatch history` (list, show, diff, summary, prune over [`crate::history`]), and the
//! [`Recorder`] other commands record through: `check --record`, `fallback`, `promote`,
//! `reset`. A recording failure never changes a command's outcome: it is a warning on stderr.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::assess::Assessment;
use crate::exit::ExitStatus;
use crate::history::{
    self, HistoryError, ProjectId, RunContext, RunFilter, Store, StoreLocation,
    render::{self, Format as RenderFormat},
};
use crate::printer::Printer;
use crate::settings::{
    CheckSettings, Env, Format, GlobalSettings, HistoryAction, HistorySettings, ProcessEnv,
};

fn render_format(format: Format) -> RenderFormat {
    match format {
        Format::Table => RenderFormat::Table,
        Format::Json => RenderFormat::Json,
        Format::Markdown => RenderFormat::Markdown,
    }
}

/// Runs `wheelwatch history …`.
pub(crate) fn run(
    settings: &HistorySettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let location = &settings.store.value;
    if let (HistoryAction::List { .. } | HistoryAction::Summary, StoreLocation::Sqlite(path)) =
        (&settings.action, location)
        && !path.exists()
    {
        tracing::info!("no history store at {} yet", path.display());
    }
    let mut store = Store::open(location, ProjectId::detect(&globals.cwd))
        .with_context(|| format!("cannot open the history store {}", location.display()))?;
    let version = store.schema_version()?;
    tracing::debug!(
        "history of {} ({}) in {} (schema version {version})",
        store.project().name,
        store.project().location,
        store.location().display(),
    );
    let format = render_format(settings.format);
    let mut out = printer.stdout();
    match &settings.action {
        HistoryAction::List { limit } => {
            let runs = store.runs(&RunFilter {
                limit: *limit,
                ..RunFilter::default()
            })?;
            render::list(&runs, format, &mut out)?;
        }
        HistoryAction::Show(id) => {
            let details = store.run_details(*id)?;
            render::show(&details, format, &mut out)?;
        }
        HistoryAction::Diff(before, after) => {
            let (a, b) = match (before, after) {
                (Some(a), Some(b)) => (*a, *b),
                (Some(a), None) => {
                    let last = store
                        .latest_successful(1)?
                        .first()
                        .map(|r| r.id)
                        .ok_or_else(|| {
                            HistoryError::NotEnoughRuns(
                                "no successful run to compare with".to_string(),
                            )
                        })?;
                    (*a, last)
                }
                _ => store.default_diff_pair()?,
            };
            let diff = store.diff(a, b)?;
            render::diff(&diff, format, &mut out)?;
        }
        HistoryAction::Summary => {
            let summary = store.summary()?;
            render::summary(&summary, format, &mut out)?;
        }
        HistoryAction::Prune(days) => {
            let n = store.prune(*days)?;
            drop(out);
            printer.note(format_args!(
                "pruned {n} {} older than {days} days",
                if n == 1 { "run" } else { "runs" }
            ));
            return Ok(ExitStatus::Success);
        }
        HistoryAction::BenchFill {
            runs,
            packages,
            targets,
        } => {
            drop(out);
            let started = Instant::now();
            history::bench::fill(&mut store, *runs, *packages, *targets)?;
            printer.note(format_args!(
                "generated {runs} runs x {targets} targets x {packages} packages in {} ms",
                started.elapsed().as_millis()
            ));
            return Ok(ExitStatus::Success);
        }
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}

/// Records runs and events for a command, when it should; never fails the command.
///
/// The store is opened on a thread of its own as soon as the recorder is made, so connecting
/// (for PostgreSQL: TCP, authentication, the schema check) overlaps the assessment; it is joined
/// the first time the store is needed. What recording adds to a command's wall time is then the
/// wait at that join, if any, and the writes (`-v` logs both).
pub(crate) struct Recorder {
    store: Option<Store>,
    /// The store being opened in the background (and how long that took).
    opening: Option<std::thread::JoinHandle<(Result<Store>, std::time::Duration)>>,
    command: &'static str,
    printer: Printer,
    context: RunContext,
    run_id: Option<i64>,
    started: Instant,
    cwd: std::path::PathBuf,
    /// How long the command waited for the store to open (part of the recording cost `-v`
    /// reports), and how long opening took on its thread.
    open_wait: std::time::Duration,
    open_took: std::time::Duration,
    /// A write or read failed: the connection is not reused (`watch` opens a new one).
    broken: bool,
    /// A run being written on a thread of its own ([`Recorder::assessment_in_background`]):
    /// the store, the result, and what the caller spent before handing it over.
    writing: Option<(Writing, std::time::Duration)>,
}

/// A run being written on its own thread: it hands the store back with the run's id.
type Writing = std::thread::JoinHandle<(Store, Result<i64, HistoryError>)>;

impl Drop for Recorder {
    /// A run still being written is waited for: the process never exits before it is.
    fn drop(&mut self) {
        self.join();
    }
}

impl Recorder {
    /// A recorder for `command` writing to the configured store, or none when `enabled` is
    /// false. A store that cannot be opened is a warning (when it is first needed), and nothing
    /// is recorded.
    pub(crate) fn open(
        enabled: bool,
        command: &'static str,
        settings: &CheckSettings,
        globals: &GlobalSettings,
        printer: Printer,
    ) -> Self {
        Self::reusing(None, enabled, command, settings, globals, printer)
    }

    /// As [`Recorder::open`], with the store of a previous recorder (see
    /// [`Recorder::into_store`]) when it is still for this project: `watch` keeps one connection
    /// for the life of its loop.
    pub(crate) fn reusing(
        store: Option<Store>,
        enabled: bool,
        command: &'static str,
        settings: &CheckSettings,
        globals: &GlobalSettings,
        printer: Printer,
    ) -> Self {
        let mut recorder = Self {
            store: None,
            opening: None,
            command,
            printer,
            context: context(command, settings),
            run_id: None,
            started: Instant::now(),
            cwd: globals.cwd.clone(),
            open_wait: std::time::Duration::ZERO,
            open_took: std::time::Duration::ZERO,
            broken: false,
            writing: None,
        };
        if !enabled {
            return recorder;
        }
        let location = match globals.store_location(&ProcessEnv as &dyn Env) {
            Ok(location) => location.value,
            Err(e) => {
                recorder.open_failed(&e);
                return recorder;
            }
        };
        let project = ProjectId::detect(&globals.cwd);
        if let Some(store) = store
            && store.location() == &location
            && store.project() == &project
        {
            recorder.store = Some(store);
            return recorder;
        }
        let spawned = std::thread::Builder::new()
            .name("history-store".into())
            .spawn(move || {
                let started = Instant::now();
                let store = Store::open(&location, project)
                    .and_then(|mut store| store.prepare_recording().map(|()| store))
                    .with_context(|| {
                        format!("cannot open the history store {}", location.display())
                    });
                (store, started.elapsed())
            });
        match spawned {
            Ok(handle) => recorder.opening = Some(handle),
            Err(e) => recorder.open_failed(&anyhow::Error::from(e)),
        }
        recorder
    }

    fn open_failed(&self, e: &anyhow::Error) {
        self.printer.warning(format_args!(
            "not recorded in the history: {}",
            crate::util::redact::redact_text(&format!("{e:#}"))
        ));
    }

    /// The open store, joining the background open first if it is still pending (a failure
    /// to open is a warning, once).
    fn store(&mut self) -> Option<&mut Store> {
        self.join();
        self.store.as_mut()
    }

    /// Waits for the background open, and for a run being written, if any.
    fn join(&mut self) {
        self.join_open();
        if let Some((handle, before)) = self.writing.take() {
            let waiting = Instant::now();
            match handle.join() {
                Ok((store, result)) => {
                    self.store = Some(store);
                    match result {
                        Ok(id) => self.recorded(id, before + waiting.elapsed()),
                        Err(e) => self.warn(&e),
                    }
                }
                Err(_) => self.printer.warning(format_args!(
                    "not recorded in the history: writing the run panicked"
                )),
            }
        }
    }

    /// Waits for the background open, if pending.
    fn join_open(&mut self) {
        if let Some(handle) = self.opening.take() {
            let waiting = Instant::now();
            let (opened, took) = handle.join().unwrap_or_else(|_| {
                (
                    Err(anyhow::anyhow!("opening the history store panicked")),
                    std::time::Duration::ZERO,
                )
            });
            self.open_wait = waiting.elapsed();
            self.open_took = took;
            match opened {
                Ok(store) => self.store = Some(store),
                Err(e) => self.open_failed(&e),
            }
        }
    }

    /// The store, for a later recorder (see [`Recorder::reusing`]); none when it failed.
    pub(crate) fn into_store(mut self) -> Option<Store> {
        self.join();
        let broken = self.broken;
        self.store.take().filter(|s| !broken && s.is_usable())
    }

    /// The run recorded last (none yet, or recording failed).
    pub(crate) fn run_id(&self) -> Option<i64> {
        self.run_id
    }

    /// The open store, if recording.
    pub(crate) fn store_mut(&mut self) -> Option<&mut Store> {
        self.store()
    }

    fn warn(&mut self, e: &HistoryError) {
        self.broken = true;
        self.printer.warning(format_args!(
            "not recorded in the history: {}",
            crate::util::redact::redact_text(&e.to_string())
        ));
    }

    /// Records an assessment (whatever its verdict).
    pub(crate) fn assessment(&mut self, assessment: &Assessment) {
        let recording = Instant::now();
        self.join();
        let context = self.run_context(assessment);
        let Some(store) = self.store.as_mut() else {
            return;
        };
        match store.record_run(assessment, &context) {
            Ok(id) => self.recorded(id, recording.elapsed()),
            Err(e) => self.warn(&e),
        }
    }

    /// Records an assessment as [`Recorder::assessment`] does, the write on a thread of its own
    /// so that the caller goes on (printing the report) meanwhile. Anything that needs the
    /// store or the run's id waits for it, and so does dropping the recorder.
    pub(crate) fn assessment_in_background(&mut self, assessment: &Assessment) {
        let recording = Instant::now();
        self.join();
        let context = self.run_context(assessment);
        let Some(mut store) = self.store.take() else {
            return;
        };
        let rows = history::record::rows(&assessment.report, &context);
        let spawned = std::thread::Builder::new()
            .name("history-write".into())
            .spawn(move || {
                let result = store.record_rows(&rows);
                (store, result)
            });
        match spawned {
            Ok(handle) => self.writing = Some((handle, recording.elapsed())),
            Err(e) => self.open_failed(&anyhow::Error::from(e)),
        }
    }

    /// The context of `assessment`'s run: inputs relative to the project (the same project
    /// records the same inputs wherever it is checked out) and their hash.
    fn run_context(&self, assessment: &Assessment) -> RunContext {
        let mut context = self.context.clone();
        let prefix = format!("{}/", self.cwd.display());
        context.inputs = assessment
            .report
            .sources
            .iter()
            .map(|s| s.strip_prefix(&prefix).unwrap_or(s).to_string())
            .collect();
        context.inputs_hash = inputs_hash(&assessment.report.sources, &self.context);
        context
    }

    /// Run `id` was recorded, at a cost of `cost` in wall time (the wait for the store to
    /// open, the writes, and for a background write the wait for it to finish).
    fn recorded(&mut self, id: i64, cost: std::time::Duration) {
        self.run_id = Some(id);
        let opened = if self.open_took.is_zero() {
            "the previous run's connection".to_string()
        } else {
            format!(
                "waited {:.2} ms for the store, which opened in {:.2} ms alongside the \
                 assessment",
                self.open_wait.as_secs_f64() * 1000.0,
                self.open_took.as_secs_f64() * 1000.0,
            )
        };
        // scripts/bench-history.sh reads this line: the whole cost of recording, i.e. the wall
        // time it adds.
        tracing::debug!(
            "recorded run {id} ({}) in {:.2} ms ({opened}; run written in {:.2} ms)",
            self.command,
            cost.as_secs_f64() * 1000.0,
            cost.saturating_sub(self.open_wait).as_secs_f64() * 1000.0,
        );
    }

    /// Records an assessment that could not be made (an error that exits 3).
    pub(crate) fn failed(&mut self, error: &anyhow::Error) {
        self.join();
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let elapsed = self.started.elapsed().as_millis() as u64;
        let text = crate::util::redact::redact_text(&format!("{error:#}"));
        match store.record_failed_run(&self.context, &text, elapsed) {
            Ok(id) => self.run_id = Some(id),
            Err(e) => self.warn(&e),
        }
    }

    /// Records `bench`'s comparisons with this command's run, and a `bench` event whose
    /// reason is the verdicts in words (the dashboard's timeline shows it beside the fallback
    /// events).
    pub(crate) fn bench(&mut self, report: &crate::bench::BenchReport) {
        self.join();
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let rows = crate::bench::history_rows(report);
        let mut event = crate::environment::Event::new("bench");
        event.python_version = rows.first().map(|r| r.fallback_python.clone());
        // The verdicts are the reason: what the dashboard's events timeline shows.
        event.reason = Some(
            rows.iter()
                .map(|r| format!("{}: {}", r.command.replace('\n', " "), r.verdict))
                .collect::<Vec<_>>()
                .join("; "),
        );
        event.detail = rows.first().map(|r| {
            format!(
                "fallback Python {} against primary Python {} (active: {})",
                r.fallback_python, r.primary_python, r.active_role
            )
        });
        if let Err(e) = store.record_bench(self.run_id, &rows, &event) {
            self.warn(&e);
        }
    }

    /// Imports the project's lifecycle events not recorded yet (from `events.jsonl`), tied to
    /// this command's run.
    pub(crate) fn events(&mut self, events_file: &Path) {
        if self.store().is_none() {
            return;
        }
        let events = match crate::environment::read_events(events_file) {
            Ok(events) => events,
            Err(e) => {
                self.printer
                    .warning(format_args!("not recorded in the history: {e}"));
                return;
            }
        };
        let run_id = self.run_id;
        self.join();
        let Some(store) = self.store.as_mut() else {
            return;
        };
        if let Err(e) = store.import_events(&events, run_id) {
            self.warn(&e);
        }
    }
}

/// The run context of `command` before its assessment: inputs as named, the threshold.
fn context(command: &str, settings: &CheckSettings) -> RunContext {
    let s = &settings.sources;
    let inputs: Vec<String> = s
        .files
        .iter()
        .chain(&s.requirements)
        .map(|p| p.display().to_string())
        .chain(s.packages.iter().map(|p| format!("--package {p}")))
        .collect();
    let mut targets: Vec<String> = settings.primary.iter().map(|p| p.value.clone()).collect();
    targets.extend(settings.fallbacks.value.iter().cloned());
    targets.extend(settings.targets.value.iter().cloned());
    RunContext {
        command: command.to_string(),
        inputs_hash: hash_with(&inputs, &targets, settings.threshold.value),
        inputs,
        threshold: settings.threshold.value,
        timestamp: None,
    }
}

/// The hash of `labels` (each with its file's contents when it names a readable file; a
/// pyproject label's ` [extras: …]` is part of the label) with the context's targets.
fn inputs_hash(labels: &[String], context: &RunContext) -> String {
    // The targets and threshold were folded into the context's hash already: chain it.
    let mut parts: Vec<Vec<u8>> = vec![context.inputs_hash.as_bytes().to_vec()];
    for label in labels {
        parts.push(label.as_bytes().to_vec());
        let path = label.split(" [").next().unwrap_or(label);
        // Only what the assessment read: a regular file of bounded size (never `/dev/zero`).
        if let Ok(bytes) = crate::requirements::read_bounded(std::path::Path::new(path)) {
            parts.push(bytes);
        }
    }
    history::record::inputs_hash(parts.iter().map(Vec::as_slice))
}

fn hash_with(labels: &[String], targets: &[String], threshold: f64) -> String {
    let mut parts: Vec<Vec<u8>> = targets.iter().map(|t| t.as_bytes().to_vec()).collect();
    parts.push(threshold.to_string().into_bytes());
    // File contents are hashed only when a run is recorded ([`inputs_hash`]): a check that
    // records nothing reads each input once, in its parser.
    for label in labels {
        parts.push(label.as_bytes().to_vec());
    }
    history::record::inputs_hash(parts.iter().map(Vec::as_slice))
}
