//! History: every assessment and every lifecycle action, remembered in a database (an I/O
//! edge). SQLite by default (`.wheelwatch/history.sqlite`, WAL, a busy timeout, safe with
//! several writing processes), PostgreSQL for fleets (`--store postgres://…`,
//! `WHEELWATCH_STORE`, `store = …`): the same model in both, each run tagged with its
//! [`ProjectId`] (name plus repository URL or path), and every query scoped to one project.
//!
//! What is owned here: the schema and its migrations ([`schema`]), the connections
//! ([`backend`]), turning a typed [`Assessment`] into rows ([`record`], pure), reading them back
//! as typed records, and the pure computations over them: [`diff`] (what changed between two
//! runs; `watch` reuses it for change alerts) and [`summary`]. Rendering lives in [`render`].
//!
//! # API (stable: add, don't rename)
//!
//! ```text
//! let mut store = history::Store::open(&history::StoreLocation::default_for(cwd), project)?;
//! let run_id = store.record_run(&assessment, &history::RunContext { command: "check", .. })?;
//! store.record_failed_run(&history::RunContext { .. }, "index unreachable: …", elapsed_ms)?;
//! store.record_event(&event, Some(run_id))?;          // one environment::Event
//! store.import_events(&environment::read_events(path)?, Some(run_id))?; // idempotent
//! store.runs(&RunFilter::default())? -> Vec<RunRecord>   // newest first
//! store.run(id)? -> Option<RunRecord>; store.latest_successful(2)?
//! store.run_details(id)? -> RunDetails { run, targets, packages, blockers, downgrades }
//! store.events(since_epoch)? -> Vec<EventRecord>
//! store.record_bench(run_id, &[BenchRow], &event)?; store.bench_results(run_id)?
//! store.diff(a, b)? / history::diff::diff(&RunDetails, &RunDetails) -> RunDiff
//! store.summary()? -> Summary; store.prune(keep_days)? -> pruned run count
//! store.projects()? -> Vec<ProjectRow>; store.select_project(&row)   // a shared store's projects
//! store.target_points()? -> Vec<TargetPoint>   // every successful run's targets, for charts
//! ```
//!
//! A recording failure is the caller's to report: `check --record` warns and keeps its exit
//! status.

pub(crate) mod backend;
pub(crate) mod bench;
pub(crate) mod diff;
pub(crate) mod record;
pub(crate) mod render;
pub(crate) mod schema;
pub(crate) mod summary;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::assess::Assessment;
use crate::environment::Event;
use backend::{Conn, Row, Value};

pub(crate) use diff::{Change, ChangeKind, RunDiff};
pub(crate) use record::RunContext;
pub(crate) use summary::Summary;

/// Errors of the history store.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The database refused or failed.
    #[error("history store: {0}")]
    Database(String),
    /// A store URL that cannot be used.
    #[error("invalid store URL {0}")]
    Url(String),
    /// A file or directory could not be created or read.
    #[error("history store: {0}")]
    Io(String),
    /// Written by a newer wheelwatch.
    #[error(
        "the history store has schema version {found}, this wheelwatch supports up to {supported}: upgrade wheelwatch"
    )]
    NewerSchema {
        /// In the store.
        found: i64,
        /// Known here.
        supported: i64,
    },
    /// A run that does not exist (in this project).
    #[error("no run {0} in this project's history")]
    NoSuchRun(i64),
    /// Fewer runs than the command needs.
    #[error("{0}")]
    NotEnoughRuns(String),
}

/// Where the store is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://` or `postgresql://`); never printed unredacted.
    Postgres(String),
}

impl StoreLocation {
    /// The default store of the project in `project_dir`: `.wheelwatch/history.sqlite`.
    pub fn default_for(project_dir: &Path) -> Self {
        Self::Sqlite(project_dir.join(".wheelwatch").join("history.sqlite"))
    }

    /// Parses `--store`/`WHEELWATCH_STORE`/`store =`: a `postgres://` URL, a `sqlite://PATH`
    /// URL, or a path to a SQLite file (relative to `base`).
    pub fn parse(text: &str, base: &Path) -> Result<Self, HistoryError> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Self::Postgres(text.to_string()));
        }
        if let Some(path) = text.strip_prefix("sqlite://") {
            return Ok(Self::Sqlite(base.join(path)));
        }
        if text.contains("://") {
            return Err(HistoryError::Url(format!(
                "`{}`: expected postgres://…, sqlite://PATH or a file path",
                crate::util::redact::redact_url(text)
            )));
        }
        if text.trim().is_empty() {
            return Err(HistoryError::Url("``: empty".to_string()));
        }
        Ok(Self::Sqlite(base.join(text)))
    }

    /// For people: the path, or the URL with its password redacted.
    pub fn display(&self) -> String {
        match self {
            Self::Sqlite(p) => p.display().to_string(),
            Self::Postgres(url) => crate::util::redact::redact_url(url),
        }
    }
}

/// A project's identity in a shared store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct ProjectId {
    /// The project's name (pyproject's `[project] name`, else the directory's name).
    pub name: String,
    /// Its repository URL (git's `origin`, credentials removed), else its absolute path.
    pub location: String,
}

impl ProjectId {
    /// The identity of the project in `dir`.
    pub(crate) fn detect(dir: &Path) -> Self {
        let dir = fs_err::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let name = pyproject_name(&dir).unwrap_or_else(|| {
            dir.file_name().map_or_else(
                || "project".to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        });
        let location = git_origin(&dir).map_or_else(
            || dir.display().to_string(),
            |u| crate::util::redact::redact_url(&u),
        );
        Self { name, location }
    }
}

fn pyproject_name(dir: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Doc {
        project: Option<ProjectTable>,
    }
    #[derive(serde::Deserialize)]
    struct ProjectTable {
        name: Option<String>,
    }
    let text = fs_err::read_to_string(dir.join("pyproject.toml")).ok()?;
    let doc: Doc = toml::from_str(&text).ok()?;
    doc.project?.name.filter(|n| !n.trim().is_empty())
}

/// The `url` of `[remote "origin"]` in `.git/config` (of `dir` or a parent). Hand-read: two
/// lines of an INI file do not justify a git library or a subprocess on every recording.
fn git_origin(dir: &Path) -> Option<String> {
    let git = dir
        .ancestors()
        .map(|d| d.join(".git"))
        .find(|g| g.is_dir())?;
    let text = fs_err::read_to_string(git.join("config")).ok()?;
    let mut in_origin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_origin = line == "[remote \"origin\"]";
        } else if in_origin
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "url"
        {
            return Some(value.trim().to_string());
        }
    }
    None
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RunResult {
    /// An assessment with a verdict.
    Ok,
    /// The assessment could not be made (index outage, garbage): `error` says why.
    Failed,
}

impl RunResult {
    fn key(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
        }
    }
}

/// One recorded run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct RunRecord {
    /// The run's id (increasing).
    pub id: i64,
    /// When it ran (RFC 3339, UTC).
    pub timestamp: String,
    /// Seconds since the epoch.
    #[serde(skip)]
    pub epoch: i64,
    /// The project.
    pub project: String,
    /// Its repository URL or path.
    pub project_location: String,
    /// wheelwatch's version.
    pub tool_version: String,
    /// The command that ran it (`check`, `watch`, `fallback`, …).
    pub command: String,
    /// The requirement sources read.
    pub inputs: Vec<String>,
    /// SHA-256 over the inputs' contents (and the settings that shape the verdict).
    pub inputs_hash: String,
    /// `ok` or `failed`.
    pub result: RunResult,
    /// The verdict key (`primary_healthy`, …); `null` for a failed run.
    pub verdict: Option<String>,
    /// Why a failed run failed.
    pub error: Option<String>,
    /// Wall time.
    pub duration_ms: i64,
    /// Distinct projects looked up.
    pub projects: i64,
    /// HTTP requests made.
    pub requests: i64,
    /// Pages served from the cache.
    pub cache_hits: i64,
    /// The health threshold.
    pub threshold: f64,
    /// `resolved`, `direct_only` or `locked`.
    pub dependencies: String,
}

/// One target of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct TargetRecord {
    /// The run.
    pub run_id: i64,
    /// Position in the report.
    pub index: i64,
    /// `3.12@manylinux_2_28_x86_64`.
    pub name: String,
    /// `3.12`.
    pub python: String,
    /// The platform tag.
    pub platform: String,
    /// `primary`, `fallback`, `extra`.
    pub role: String,
    /// Healthy by the threshold.
    pub healthy: bool,
    /// Share of assessed direct packages with a wheel.
    pub wheel_share: f64,
    /// Counts by status.
    pub counts: TargetCounts,
    /// Share of the whole tree from wheels, when resolved.
    pub tree_wheel_share: Option<f64>,
    /// The resolution's error, if it failed.
    pub resolution_error: Option<String>,
}

/// Package counts of a recorded target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct TargetCounts {
    /// Every requirement.
    pub total: i64,
    /// Counted for health.
    pub assessed: i64,
    /// With a wheel.
    pub wheel: i64,
    /// Source only.
    pub sdist_only: i64,
    /// Nothing installable.
    pub no_distribution: i64,
    /// Unknown to the index.
    pub not_found: i64,
    /// Marker-excluded.
    pub excluded: i64,
    /// Direct references.
    pub not_assessed: i64,
    /// Lookup errors.
    pub error: i64,
}

/// One package on one target of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct PackageRecord {
    /// The run.
    pub run_id: i64,
    /// The target's name.
    pub target: String,
    /// Normalized name.
    pub name: String,
    /// As declared.
    pub requirement: String,
    /// `wheel`, `sdist_only`, `no_distribution`, `not_found`, `excluded`, `not_assessed`,
    /// `error`.
    pub status: String,
    /// The version wheelwatch would install.
    pub version: Option<String>,
    /// Its wheel.
    pub wheel: Option<String>,
    /// Why, in words.
    pub reason: String,
}

/// A package blocking a wheel-only install on a target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct BlockerRecord {
    /// The run.
    pub run_id: i64,
    /// The target's name.
    pub target: String,
    /// The package.
    pub name: String,
    /// Its version in the default resolution.
    pub version: String,
    /// Requirement paths from a direct requirement to it.
    pub paths: Vec<Vec<String>>,
    /// Why.
    pub reason: String,
    /// The newest version with a compatible wheel (outside the required range), if any;
    /// `null` also for runs recorded before schema version 2.
    pub newest_with_wheel: Option<String>,
}

/// A package a wheel-only install takes older.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct DowngradeRecord {
    /// The run.
    pub run_id: i64,
    /// The target's name.
    pub target: String,
    /// The package.
    pub name: String,
    /// Default resolution's version.
    pub from: String,
    /// Wheel-only resolution's version.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// A lifecycle event (fallback, promote, reset, reconciliation, …).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct EventRecord {
    /// Its id.
    pub id: i64,
    /// The run it followed, if recorded with one.
    pub run_id: Option<i64>,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
    /// Seconds since the epoch.
    #[serde(skip)]
    pub epoch: i64,
    /// `fallback_succeeded`, `promoted`, `reset`, `reconciled`, … (see
    /// [`crate::environment::Event`]).
    pub kind: String,
    /// The whole event as `events.jsonl` has it.
    pub detail: serde_json::Value,
}

/// Everything recorded about one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct RunDetails {
    /// The run.
    pub run: RunRecord,
    /// Its targets, in report order.
    pub targets: Vec<TargetRecord>,
    /// Package × target rows.
    pub packages: Vec<PackageRecord>,
    /// Blockers.
    pub blockers: Vec<BlockerRecord>,
    /// Downgrades.
    pub downgrades: Vec<DowngradeRecord>,
    /// Events recorded with this run.
    pub events: Vec<EventRecord>,
}

/// One `bench` comparison as recorded: one command, fallback against primary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct BenchRow {
    /// The command's name (`imports`, or its argv joined by spaces).
    pub command: String,
    /// The primary environment's Python version.
    pub primary_python: String,
    /// The fallback environment's Python version.
    pub fallback_python: String,
    /// Which of the two was the active venv (`primary` or `fallback`).
    pub active_role: String,
    /// Counted runs asked for per environment.
    pub runs: usize,
    /// Successful runs in the primary's environment.
    pub primary_ok: usize,
    /// Successful runs in the fallback's environment.
    pub fallback_ok: usize,
    /// Median wall seconds there.
    pub primary_median_s: Option<f64>,
    /// Median wall seconds there.
    pub fallback_median_s: Option<f64>,
    /// Fallback / primary.
    pub ratio: Option<f64>,
    /// The interval's lower end.
    pub ci_low: Option<f64>,
    /// Its upper end.
    pub ci_high: Option<f64>,
    /// Its confidence level.
    pub confidence: f64,
    /// `slower`, `faster`, `no_difference`, `not_compared`.
    pub outcome: String,
    /// In words.
    pub verdict: String,
    /// Fallback / primary in median CPU time.
    pub cpu_ratio: Option<f64>,
    /// Its interval's lower end.
    pub cpu_ci_low: Option<f64>,
    /// Its upper end.
    pub cpu_ci_high: Option<f64>,
}

const BENCH_COLUMNS: &[&str] = &[
    "run_id",
    "pos",
    "command",
    "primary_python",
    "fallback_python",
    "active_role",
    "runs",
    "primary_ok",
    "fallback_ok",
    "primary_median_s",
    "fallback_median_s",
    "ratio",
    "ci_low",
    "ci_high",
    "confidence",
    "outcome",
    "verdict",
    "cpu_ratio",
    "cpu_ci_low",
    "cpu_ci_high",
];
/// A project of a shared store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProjectRow {
    /// Its row id.
    pub row_id: i64,
    /// Its identity.
    pub project: ProjectId,
    /// Its recorded runs.
    pub runs: i64,
    /// Its newest run (epoch seconds).
    pub last_epoch: i64,
}

/// One target of one successful run, as charted.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TargetPoint {
    /// The run.
    pub run_id: i64,
    /// When it ran.
    pub epoch: i64,
    /// The target's name.
    pub target: String,
    /// Its role in that run.
    pub role: String,
    /// Healthy by the threshold.
    pub healthy: bool,
    /// Share of assessed direct packages with a wheel.
    pub wheel_share: f64,
    /// Share of the whole tree from wheels, when resolved.
    pub tree_wheel_share: Option<f64>,
    /// Packages blocking a wheel-only install.
    pub blockers: i64,
}

/// Which runs to list.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunFilter {
    /// At most this many (newest first); `None`: all.
    pub limit: Option<usize>,
    /// Only successful runs (`result = ok`).
    pub successful_only: bool,
    /// Only runs at or after this epoch second.
    pub since_epoch: Option<i64>,
}

/// An open store, scoped to one project.
#[derive(Debug)]
pub(crate) struct Store {
    conn: Conn,
    project: ProjectId,
    project_id: i64,
    location: StoreLocation,
}

const RUN_COLUMNS: &str = "r.id, r.timestamp, r.epoch, p.name, p.location, r.tool_version, \
    r.command, r.inputs, r.inputs_hash, r.result, r.verdict, r.error, r.duration_ms, \
    r.projects_seen, r.requests, r.cache_hits, r.threshold, r.dependencies";

impl Store {
    /// Opens (creating and migrating) the store at `location` for `project`.
    pub(crate) fn open(location: &StoreLocation, project: ProjectId) -> Result<Self, HistoryError> {
        let mut conn = match location {
            StoreLocation::Sqlite(path) => Conn::open_sqlite(path)?,
            StoreLocation::Postgres(url) => Conn::open_postgres(url)?,
        };
        schema::migrate(&mut conn)?;
        let project_id = project_row(&mut conn, &project)?;
        Ok(Self {
            conn,
            project,
            project_id,
            location: location.clone(),
        })
    }

    /// Whether the connection can still be used (a PostgreSQL server may have closed it).
    pub(crate) fn is_usable(&self) -> bool {
        self.conn.is_usable()
    }

    /// Readies the store for recording runs, ahead of the first: for PostgreSQL the run's
    /// statement is prepared (one round trip now, while the caller has other work, instead of
    /// parsing it, with cold catalog caches, when the run is written).
    ///
    /// Then a throwaway run is written and rolled back, so that what a new server session
    /// does the first time it writes a run (load the tables' catalog entries, plan the foreign
    /// key checks) is done now too. It has the id -1, which the runs' sequence never hands out
    /// (the sequence is not touched), and is never visible to anyone: rolled back, or gone with
    /// the connection if the process dies.
    pub(crate) fn prepare_recording(&mut self) -> Result<(), HistoryError> {
        if self.conn.kind() != backend::Kind::Postgres {
            return Ok(());
        }
        self.conn.prepare(&insert_run_postgres_sql(false))?;
        let context = RunContext {
            command: "warm-up".into(),
            ..RunContext::default()
        };
        let mut rows = record::failed_rows(&context, "", 0);
        // Every column here is text, a whole number or a real: `0` reads as any of them.
        let zeros = |columns: &[&str]| vec![vec![Value::Int(0); columns.len() - 1]];
        rows.targets = zeros(record::TARGET_COLUMNS);
        rows.packages = zeros(record::PACKAGE_COLUMNS);
        rows.blockers = zeros(record::BLOCKER_COLUMNS);
        rows.downgrades = zeros(record::DOWNGRADE_COLUMNS);
        let project_id = self.project_id;
        // Another process warming up at the same moment waits for the id -1: briefly, or
        // not at all (this is only a warm-up).
        self.conn.batch("BEGIN; SET LOCAL lock_timeout = '200ms'")?;
        let written = run_postgres(&mut self.conn, project_id, Some(-1), &rows);
        self.conn.batch("ROLLBACK")?;
        if let Err(e) = written {
            tracing::debug!("warming the store up for recording failed: {e}");
        }
        Ok(())
    }

    /// The project this store is scoped to.
    pub(crate) fn project(&self) -> &ProjectId {
        &self.project
    }

    /// Where it is.
    pub(crate) fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// The schema version of the open store.
    pub(crate) fn schema_version(&mut self) -> Result<i64, HistoryError> {
        schema::version(&mut self.conn)
    }

    /// Records a finished assessment (whatever its verdict); its id.
    pub(crate) fn record_run(
        &mut self,
        assessment: &Assessment,
        context: &RunContext,
    ) -> Result<i64, HistoryError> {
        let rows = record::rows(&assessment.report, context);
        self.insert(&rows)
    }

    /// Records a run already turned into rows (see [`record::rows`]); its id. What
    /// [`Store::record_run`] does, for a caller that builds the rows on one thread and writes
    /// them on another.
    pub(crate) fn record_rows(&mut self, rows: &record::RunRows) -> Result<i64, HistoryError> {
        self.insert(rows)
    }

    /// Records an assessment that could not be made (index outage → exit 3, garbage answers)
    /// as a run with result `failed` and `error`; its id.
    pub(crate) fn record_failed_run(
        &mut self,
        context: &RunContext,
        error: &str,
        duration_ms: u64,
    ) -> Result<i64, HistoryError> {
        let rows = record::failed_rows(context, error, duration_ms);
        self.insert(&rows)
    }

    fn insert(&mut self, rows: &record::RunRows) -> Result<i64, HistoryError> {
        let project_id = self.project_id;
        match self.conn.kind() {
            // One statement: atomic on its own, no BEGIN and COMMIT round trips.
            backend::Kind::Postgres => insert_run(&mut self.conn, project_id, rows),
            backend::Kind::Sqlite => self.conn.write(|conn| insert_run(conn, project_id, rows)),
        }
    }

    #[allow(dead_code, reason = "in-crate API: `watch` records its own events")]
    /// Records one lifecycle event, with the run it followed if any; `false` when the same
    /// event was recorded before (events are deduplicated, so re-importing is harmless).
    pub(crate) fn record_event(
        &mut self,
        event: &Event,
        run_id: Option<i64>,
    ) -> Result<bool, HistoryError> {
        let project_id = self.project_id;
        let row = record::event_row(event);
        self.conn
            .write(|conn| insert_event(conn, project_id, run_id, &row))
    }

    /// Records every event not recorded yet (e.g. all of `events.jsonl`), the new ones tied to
    /// `run_id` when given; how many were new.
    pub(crate) fn import_events(
        &mut self,
        events: &[Event],
        run_id: Option<i64>,
    ) -> Result<usize, HistoryError> {
        let project_id = self.project_id;
        let rows: Vec<record::EventRow> = events.iter().map(record::event_row).collect();
        if rows.is_empty() {
            return Ok(0);
        }
        if self.conn.kind() == backend::Kind::Postgres {
            return import_events_postgres(&mut self.conn, project_id, run_id, &rows);
        }
        self.conn.write(|conn| {
            let mut n = 0;
            for row in &rows {
                if insert_event(conn, project_id, run_id, row)? {
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// Runs, newest first.
    pub(crate) fn runs(&mut self, filter: &RunFilter) -> Result<Vec<RunRecord>, HistoryError> {
        let mut sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id \
             WHERE r.project_id = ?"
        );
        let mut params = vec![Value::Int(self.project_id)];
        if filter.successful_only {
            sql.push_str(" AND r.result = 'ok'");
        }
        if let Some(since) = filter.since_epoch {
            sql.push_str(" AND r.epoch >= ?");
            params.push(Value::Int(since));
        }
        sql.push_str(" ORDER BY r.epoch DESC, r.id DESC");
        if let Some(limit) = filter.limit {
            sql.push_str(" LIMIT ?");
            params.push(Value::from(limit));
        }
        Ok(self
            .conn
            .query(&sql, &params)?
            .iter()
            .map(run_record)
            .collect())
    }

    /// One run of this project.
    pub(crate) fn run(&mut self, id: i64) -> Result<Option<RunRecord>, HistoryError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id \
             WHERE r.project_id = ? AND r.id = ?"
        );
        Ok(self
            .conn
            .query(&sql, &[Value::Int(self.project_id), Value::Int(id)])?
            .first()
            .map(run_record))
    }

    /// The newest `n` successful runs, newest first.
    pub(crate) fn latest_successful(&mut self, n: usize) -> Result<Vec<RunRecord>, HistoryError> {
        self.runs(&RunFilter {
            limit: Some(n),
            successful_only: true,
            since_epoch: None,
        })
    }

    /// Everything recorded about run `id`.
    pub(crate) fn run_details(&mut self, id: i64) -> Result<RunDetails, HistoryError> {
        let run = self.run(id)?.ok_or(HistoryError::NoSuchRun(id))?;
        let id_param = [Value::Int(id)];
        let targets: Vec<TargetRecord> = self
            .conn
            .query(
                "SELECT run_id, idx, name, python, platform, role, healthy, wheel_share, total, \
                 assessed, wheel, sdist_only, no_distribution, not_found, excluded, \
                 not_assessed, errors, tree_wheel_share, resolution_error \
                 FROM run_targets WHERE run_id = ? ORDER BY idx",
                &id_param,
            )?
            .iter()
            .map(|r| TargetRecord {
                run_id: r[0].int(),
                index: r[1].int(),
                name: r[2].text(),
                python: r[3].text(),
                platform: r[4].text(),
                role: r[5].text(),
                healthy: r[6].int() != 0,
                wheel_share: r[7].real(),
                counts: TargetCounts {
                    total: r[8].int(),
                    assessed: r[9].int(),
                    wheel: r[10].int(),
                    sdist_only: r[11].int(),
                    no_distribution: r[12].int(),
                    not_found: r[13].int(),
                    excluded: r[14].int(),
                    not_assessed: r[15].int(),
                    error: r[16].int(),
                },
                tree_wheel_share: r[17].opt_real(),
                resolution_error: r[18].opt_text(),
            })
            .collect();
        let target_name = |idx: i64| {
            targets
                .iter()
                .find(|t| t.index == idx)
                .map(|t| t.name.clone())
                .unwrap_or_default()
        };
        let packages = self
            .conn
            .query(
                "SELECT target_idx, name, requirement, status, version, wheel, reason \
                 FROM run_packages WHERE run_id = ? ORDER BY target_idx, pos",
                &id_param,
            )?
            .iter()
            .map(|r| PackageRecord {
                run_id: id,
                target: target_name(r[0].int()),
                name: r[1].text(),
                requirement: r[2].text(),
                status: r[3].text(),
                version: r[4].opt_text(),
                wheel: r[5].opt_text(),
                reason: r[6].text(),
            })
            .collect();
        let blockers = self
            .conn
            .query(
                "SELECT target_idx, name, version, paths, reason, newest_with_wheel \
                 FROM run_blockers WHERE run_id = ?",
                &id_param,
            )?
            .iter()
            .map(|r| BlockerRecord {
                run_id: id,
                target: target_name(r[0].int()),
                name: r[1].text(),
                version: r[2].text(),
                paths: serde_json::from_str(&r[3].text()).unwrap_or_default(),
                reason: r[4].text(),
                newest_with_wheel: r[5].opt_text(),
            })
            .collect();
        let downgrades = self
            .conn
            .query(
                "SELECT target_idx, name, from_version, to_version, reason FROM run_downgrades \
                 WHERE run_id = ?",
                &id_param,
            )?
            .iter()
            .map(|r| DowngradeRecord {
                run_id: id,
                target: target_name(r[0].int()),
                name: r[1].text(),
                from: r[2].text(),
                to: r[3].text(),
                reason: r[4].text(),
            })
            .collect();
        let events = self
            .conn
            .query(
                "SELECT id, run_id, timestamp, epoch, kind, detail FROM events \
                 WHERE run_id = ? ORDER BY epoch, id",
                &id_param,
            )?
            .iter()
            .map(event_record)
            .collect();
        Ok(RunDetails {
            run,
            targets,
            packages,
            blockers,
            downgrades,
            events,
        })
    }

    /// This project's events at or after `since_epoch` (all with `None`), oldest first.
    pub(crate) fn events(
        &mut self,
        since_epoch: Option<i64>,
    ) -> Result<Vec<EventRecord>, HistoryError> {
        Ok(self
            .conn
            .query(
                "SELECT id, run_id, timestamp, epoch, kind, detail FROM events \
                 WHERE project_id = ? AND epoch >= ? ORDER BY epoch, id",
                &[
                    Value::Int(self.project_id),
                    Value::Int(since_epoch.unwrap_or(i64::MIN)),
                ],
            )?
            .iter()
            .map(event_record)
            .collect())
    }

    /// Every project in the store with at least one run, with its run count and newest run
    /// (epoch), by name.
    pub(crate) fn projects(&mut self) -> Result<Vec<ProjectRow>, HistoryError> {
        Ok(self
            .conn
            .query(
                "SELECT p.id, p.name, p.location, CAST(count(r.id) AS BIGINT), max(r.epoch) \
                 FROM projects p JOIN runs r ON r.project_id = p.id \
                 GROUP BY p.id, p.name, p.location ORDER BY p.name, p.location",
                &[],
            )?
            .iter()
            .map(|r| ProjectRow {
                row_id: r[0].int(),
                project: ProjectId {
                    name: r[1].text(),
                    location: r[2].text(),
                },
                runs: r[3].int(),
                last_epoch: r[4].int(),
            })
            .collect())
    }

    /// Scopes this store to another project of it (one of [`Store::projects`]).
    pub(crate) fn select_project(&mut self, row: &ProjectRow) {
        self.project = row.project.clone();
        self.project_id = row.row_id;
    }

    /// Each successful run's targets, oldest run first: the compact series the dashboard
    /// charts (one query, however many runs).
    pub(crate) fn target_points(&mut self) -> Result<Vec<TargetPoint>, HistoryError> {
        Ok(self
            .conn
            .query(
                "SELECT t.run_id, r.epoch, t.name, t.role, t.healthy, t.wheel_share, \
                 t.tree_wheel_share, \
                 (SELECT CAST(count(*) AS BIGINT) FROM run_blockers b \
                  WHERE b.run_id = t.run_id AND b.target_idx = t.idx) \
                 FROM run_targets t JOIN runs r ON r.id = t.run_id \
                 WHERE r.project_id = ? AND r.result = 'ok' \
                 ORDER BY r.epoch, r.id, t.idx",
                &[Value::Int(self.project_id)],
            )?
            .iter()
            .map(|r| TargetPoint {
                run_id: r[0].int(),
                epoch: r[1].int(),
                target: r[2].text(),
                role: r[3].text(),
                healthy: r[4].int() != 0,
                wheel_share: r[5].real(),
                tree_wheel_share: r[6].opt_real(),
                blockers: r[7].int(),
            })
            .collect())
    }

    /// What changed from run `before` to run `after`.
    pub(crate) fn diff(&mut self, before: i64, after: i64) -> Result<RunDiff, HistoryError> {
        let a = self.run_details(before)?;
        let b = self.run_details(after)?;
        Ok(diff::diff(&a, &b))
    }

    /// The two runs `history diff` compares by default: the last two successful ones (older
    /// first).
    pub(crate) fn default_diff_pair(&mut self) -> Result<(i64, i64), HistoryError> {
        let runs = self.latest_successful(2)?;
        match runs.as_slice() {
            [newer, older] => Ok((older.id, newer.id)),
            _ => Err(HistoryError::NotEnoughRuns(format!(
                "history diff needs two successful runs; this project's history has {}",
                runs.len()
            ))),
        }
    }

    /// The summary statistics over every run and event of this project.
    pub(crate) fn summary(&mut self) -> Result<Summary, HistoryError> {
        summary::load(&mut self.conn, self.project_id)
    }

    /// Deletes runs (and their rows) and events older than `keep_days` days; how many runs
    /// went.
    pub(crate) fn prune(&mut self, keep_days: u32) -> Result<u64, HistoryError> {
        let cutoff = jiff::Timestamp::now().as_second() - i64::from(keep_days) * 86_400;
        let project_id = self.project_id;
        self.conn.write(|conn| {
            let params = [Value::Int(project_id), Value::Int(cutoff)];
            // Child rows explicitly (PostgreSQL cascades; SQLite only with foreign keys on,
            // which a store opened elsewhere may not have had).
            for table in [
                "bench_results",
                "run_targets",
                "run_packages",
                "run_blockers",
                "run_downgrades",
            ] {
                conn.execute(
                    &format!(
                        "DELETE FROM {table} WHERE run_id IN \
                         (SELECT id FROM runs WHERE project_id = ? AND epoch < ?)"
                    ),
                    &params,
                )?;
            }
            conn.execute(
                "UPDATE events SET run_id = NULL WHERE run_id IN \
                 (SELECT id FROM runs WHERE project_id = ? AND epoch < ?)",
                &params,
            )?;
            conn.execute(
                "DELETE FROM events WHERE project_id = ? AND epoch < ?",
                &params,
            )?;
            conn.execute(
                "DELETE FROM runs WHERE project_id = ? AND epoch < ?",
                &params,
            )
        })
    }

    /// Records `bench`'s comparisons for run `run_id` (the bench command's own run) and its
    /// `bench` event (tied to the run when there is one).
    pub(crate) fn record_bench(
        &mut self,
        run_id: Option<i64>,
        rows: &[BenchRow],
        event: &Event,
    ) -> Result<(), HistoryError> {
        let project_id = self.project_id;
        let event_row = record::event_row(event);
        self.conn.write(|conn| {
            if let Some(run_id) = run_id {
                let rows: Vec<Row> = rows
                    .iter()
                    .enumerate()
                    .map(|(pos, r)| {
                        vec![
                            Value::Int(run_id),
                            Value::from(pos),
                            Value::from(r.command.as_str()),
                            Value::from(r.primary_python.as_str()),
                            Value::from(r.fallback_python.as_str()),
                            Value::from(r.active_role.as_str()),
                            Value::from(r.runs),
                            Value::from(r.primary_ok),
                            Value::from(r.fallback_ok),
                            Value::from(r.primary_median_s),
                            Value::from(r.fallback_median_s),
                            Value::from(r.ratio),
                            Value::from(r.ci_low),
                            Value::from(r.ci_high),
                            Value::from(r.confidence),
                            Value::from(r.outcome.as_str()),
                            Value::from(r.verdict.as_str()),
                            Value::from(r.cpu_ratio),
                            Value::from(r.cpu_ci_low),
                            Value::from(r.cpu_ci_high),
                        ]
                    })
                    .collect();
                conn.insert_many("bench_results", BENCH_COLUMNS, &rows)?;
            }
            insert_event(conn, project_id, run_id, &event_row).map(|_| ())
        })
    }

    /// The comparisons recorded for run `run_id`, in command order.
    #[allow(dead_code, reason = "in-crate API: the dashboard reads bench results")]
    pub(crate) fn bench_results(&mut self, run_id: i64) -> Result<Vec<BenchRow>, HistoryError> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {} FROM bench_results WHERE run_id = ? ORDER BY pos",
                    BENCH_COLUMNS[2..].join(", ")
                ),
                &[Value::Int(run_id)],
            )?
            .iter()
            .map(|r| BenchRow {
                command: r[0].text(),
                primary_python: r[1].text(),
                fallback_python: r[2].text(),
                active_role: r[3].text(),
                runs: r[4].int() as usize,
                primary_ok: r[5].int() as usize,
                fallback_ok: r[6].int() as usize,
                primary_median_s: r[7].opt_real(),
                fallback_median_s: r[8].opt_real(),
                ratio: r[9].opt_real(),
                ci_low: r[10].opt_real(),
                ci_high: r[11].opt_real(),
                confidence: r[12].real(),
                outcome: r[13].text(),
                verdict: r[14].text(),
                cpu_ratio: r[15].opt_real(),
                cpu_ci_low: r[16].opt_real(),
                cpu_ci_high: r[17].opt_real(),
            })
            .collect())
    }

    /// The connection, for the benchmark's data generator and size figure.
    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// The project's row id.
    pub(crate) fn project_row_id(&self) -> i64 {
        self.project_id
    }
}

/// Inserts one run's rows (inside the caller's transaction; for PostgreSQL one statement,
/// atomic without one); the run's id.
pub(crate) fn insert_run(
    conn: &mut Conn,
    project_id: i64,
    rows: &record::RunRows,
) -> Result<i64, HistoryError> {
    if conn.kind() == backend::Kind::Postgres {
        return insert_run_postgres(conn, project_id, rows);
    }
    let mut params = vec![Value::Int(project_id)];
    params.extend(rows.run.iter().cloned());
    let id = conn
        .query(
            &format!(
                "INSERT INTO runs (project_id, {}) VALUES (?, {}) RETURNING id",
                record::RUN_INSERT_COLUMNS.join(", "),
                vec!["?"; record::RUN_INSERT_COLUMNS.len()].join(", ")
            ),
            &params,
        )?
        .first()
        .and_then(|r| r.first())
        .map(Value::int)
        .ok_or_else(|| HistoryError::Database("no id for the new run".to_string()))?;
    let with_id = |rows: &[Row]| -> Vec<Row> {
        rows.iter()
            .map(|r| {
                let mut row = Vec::with_capacity(r.len() + 1);
                row.push(Value::Int(id));
                row.extend(r.iter().cloned());
                row
            })
            .collect()
    };
    conn.insert_many(
        "run_targets",
        record::TARGET_COLUMNS,
        &with_id(&rows.targets),
    )?;
    conn.insert_many(
        "run_packages",
        record::PACKAGE_COLUMNS,
        &with_id(&rows.packages),
    )?;
    conn.insert_many(
        "run_blockers",
        record::BLOCKER_COLUMNS,
        &with_id(&rows.blockers),
    )?;
    conn.insert_many(
        "run_downgrades",
        record::DOWNGRADE_COLUMNS,
        &with_id(&rows.downgrades),
    )?;
    Ok(id)
}

/// [`insert_run`] for PostgreSQL: the whole run in one statement, one round trip. The run row
/// is inserted by the first common table expression; each child table's rows go as one JSON
/// array parameter, read back typed as the table's own row type (`jsonb_populate_recordset`),
/// so the statement's text does not grow with the rows and every value keeps its column's type.
fn insert_run_postgres(
    conn: &mut Conn,
    project_id: i64,
    rows: &record::RunRows,
) -> Result<i64, HistoryError> {
    run_postgres(conn, project_id, None, rows)
}

/// [`insert_run_postgres`], with the run's id given (`Some`) or from its sequence.
fn run_postgres(
    conn: &mut Conn,
    project_id: i64,
    id: Option<i64>,
    rows: &record::RunRows,
) -> Result<i64, HistoryError> {
    let mut params: Vec<Value> = id.map(Value::Int).into_iter().collect();
    params.push(Value::Int(project_id));
    params.extend(rows.run.iter().cloned());
    for (columns, table_rows) in [
        (record::TARGET_COLUMNS, &rows.targets),
        (record::PACKAGE_COLUMNS, &rows.packages),
        (record::BLOCKER_COLUMNS, &rows.blockers),
        (record::DOWNGRADE_COLUMNS, &rows.downgrades),
    ] {
        params.push(Value::Text(json_rows(&columns[1..], table_rows)));
    }
    conn.query(&insert_run_postgres_sql(id.is_some()), &params)?
        .first()
        .and_then(|r| r.first())
        .map(Value::int)
        .ok_or_else(|| HistoryError::Database("no id for the new run".to_string()))
}

/// The statement of [`insert_run_postgres`]: the same text whatever the run (an empty table's
/// array is `[]`), so it can be prepared while the assessment runs.
fn insert_run_postgres_sql(with_id: bool) -> String {
    use std::fmt::Write as _;
    let (id, id_value) = if with_id { ("id, ", "?, ") } else { ("", "") };
    let mut sql = format!(
        "WITH r AS (INSERT INTO runs ({id}project_id, {}) VALUES ({id_value}?, {}) RETURNING id)",
        record::RUN_INSERT_COLUMNS.join(", "),
        vec!["?"; record::RUN_INSERT_COLUMNS.len()].join(", ")
    );
    for (n, (table, columns)) in [
        ("run_targets", record::TARGET_COLUMNS),
        ("run_packages", record::PACKAGE_COLUMNS),
        ("run_blockers", record::BLOCKER_COLUMNS),
        ("run_downgrades", record::DOWNGRADE_COLUMNS),
    ]
    .into_iter()
    .enumerate()
    {
        // `run_id` first, then the row's own columns.
        let _ = write!(
            sql,
            ", c{n} AS (INSERT INTO {table} ({}) SELECT r.id, {} FROM r, \
             jsonb_populate_recordset(NULL::{table}, ?::jsonb) j)",
            columns.join(", "),
            columns[1..]
                .iter()
                .map(|c| format!("j.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    sql.push_str(" SELECT id FROM r");
    sql
}

/// `rows` as a JSON array of objects keyed by `columns`.
fn json_rows(columns: &[&str], rows: &[Row]) -> String {
    let array: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .zip(row)
                .map(|(column, value)| {
                    let value = match value {
                        Value::Null => serde_json::Value::Null,
                        Value::Int(i) => serde_json::Value::from(*i),
                        // NaN and infinities have no JSON: null (never met in a report).
                        Value::Real(r) => serde_json::Number::from_f64(*r)
                            .map_or(serde_json::Value::Null, serde_json::Value::Number),
                        Value::Text(t) => serde_json::Value::from(t.as_str()),
                    };
                    ((*column).to_string(), value)
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect();
    serde_json::Value::Array(array).to_string()
}

/// [`Store::import_events`] for PostgreSQL: every event in one statement (one round trip, and
/// atomic); how many were new.
fn import_events_postgres(
    conn: &mut Conn,
    project_id: i64,
    run_id: Option<i64>,
    rows: &[record::EventRow],
) -> Result<usize, HistoryError> {
    const COLUMNS: &[&str] = &["timestamp", "epoch", "kind", "detail", "dedup"];
    let table: Vec<Row> = rows
        .iter()
        .map(|r| {
            vec![
                Value::from(r.timestamp.as_str()),
                Value::Int(r.epoch),
                Value::from(r.kind.as_str()),
                Value::from(r.detail.as_str()),
                Value::from(r.dedup.as_str()),
            ]
        })
        .collect();
    let n = conn.execute(
        "INSERT INTO events (project_id, run_id, timestamp, epoch, kind, detail, dedup) \
         SELECT ?::bigint, ?::bigint, j.timestamp, j.epoch, j.kind, j.detail, j.dedup \
         FROM jsonb_populate_recordset(NULL::events, ?::jsonb) j ON CONFLICT DO NOTHING",
        &[
            Value::Int(project_id),
            Value::from(run_id),
            Value::Text(json_rows(COLUMNS, &table)),
        ],
    )?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

fn project_row(conn: &mut Conn, project: &ProjectId) -> Result<i64, HistoryError> {
    let params = [
        Value::from(project.name.as_str()),
        Value::from(project.location.as_str()),
    ];
    let find = |conn: &mut Conn| -> Result<Option<i64>, HistoryError> {
        Ok(conn
            .query(
                "SELECT id FROM projects WHERE name = ? AND location = ?",
                &params,
            )?
            .first()
            .map(|r| r[0].int()))
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    conn.write(|conn| {
        conn.execute(
            "INSERT INTO projects (name, location) VALUES (?, ?) ON CONFLICT DO NOTHING",
            &params,
        )?;
        find(conn)?.ok_or_else(|| HistoryError::Database("the project row vanished".into()))
    })
}

fn insert_event(
    conn: &mut Conn,
    project_id: i64,
    run_id: Option<i64>,
    row: &record::EventRow,
) -> Result<bool, HistoryError> {
    let n = conn.execute(
        "INSERT INTO events (project_id, run_id, timestamp, epoch, kind, detail, dedup) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        &[
            Value::Int(project_id),
            Value::from(run_id),
            Value::from(row.timestamp.as_str()),
            Value::Int(row.epoch),
            Value::from(row.kind.as_str()),
            Value::from(row.detail.as_str()),
            Value::from(row.dedup.as_str()),
        ],
    )?;
    Ok(n > 0)
}

fn run_record(r: &Row) -> RunRecord {
    RunRecord {
        id: r[0].int(),
        timestamp: r[1].text(),
        epoch: r[2].int(),
        project: r[3].text(),
        project_location: r[4].text(),
        tool_version: r[5].text(),
        command: r[6].text(),
        inputs: serde_json::from_str(&r[7].text()).unwrap_or_default(),
        inputs_hash: r[8].text(),
        result: if r[9].text() == "failed" {
            RunResult::Failed
        } else {
            RunResult::Ok
        },
        verdict: r[10].opt_text(),
        error: r[11].opt_text(),
        duration_ms: r[12].int(),
        projects: r[13].int(),
        requests: r[14].int(),
        cache_hits: r[15].int(),
        threshold: r[16].real(),
        dependencies: r[17].text(),
    }
}

fn event_record(r: &Row) -> EventRecord {
    EventRecord {
        id: r[0].int(),
        run_id: r[1].opt_int(),
        timestamp: r[2].text(),
        epoch: r[3].int(),
        kind: r[4].text(),
        detail: serde_json::from_str(&r[5].text()).unwrap_or(serde_json::Value::Null),
    }
}
