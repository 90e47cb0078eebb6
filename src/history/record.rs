//! Turning a typed [`Report`] (and lifecycle [`Event`]s) into the store's rows. Pure: no
//! database and no files; the columns named here are the order of the values in each row.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::backend::{Row, Value};
use crate::environment::Event;
use crate::health::Status;
use crate::report::{Report, Verdict};

/// What a recorded run was, beyond its report.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunContext {
    /// The command (`check`, `watch`, `fallback`, `promote`, `reset`).
    pub command: String,
    /// The requirement sources, as labelled in the report (`requirements.txt`, `--package x`).
    pub inputs: Vec<String>,
    /// SHA-256 (hex) over the inputs' contents and the settings that shape the verdict: see
    /// [`inputs_hash`].
    pub inputs_hash: String,
    /// The threshold (for a failed run, which has no report).
    pub threshold: f64,
    /// When the run started; `None`: the report's timestamp, else now.
    pub timestamp: Option<jiff::Timestamp>,
}

/// SHA-256 (hex) over `parts` in order (each length-prefixed, so no two lists collide).
/// Callers pass each input's label and bytes, and the targets and threshold.
pub(crate) fn inputs_hash<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    format!("{:x}", hasher.finalize())
}

/// Columns of `runs` after `project_id`.
pub(crate) const RUN_INSERT_COLUMNS: &[&str] = &[
    "timestamp",
    "epoch",
    "tool_version",
    "command",
    "inputs",
    "inputs_hash",
    "result",
    "verdict",
    "error",
    "duration_ms",
    "projects_seen",
    "requests",
    "cache_hits",
    "threshold",
    "dependencies",
];
/// Columns of `run_targets` (`run_id` first).
pub(crate) const TARGET_COLUMNS: &[&str] = &[
    "run_id",
    "idx",
    "name",
    "python",
    "platform",
    "role",
    "healthy",
    "wheel_share",
    "total",
    "assessed",
    "wheel",
    "sdist_only",
    "no_distribution",
    "not_found",
    "excluded",
    "not_assessed",
    "errors",
    "tree_wheel_share",
    "resolution_error",
];
/// Columns of `run_packages`.
pub(crate) const PACKAGE_COLUMNS: &[&str] = &[
    "run_id",
    "target_idx",
    "pos",
    "name",
    "requirement",
    "status",
    "version",
    "wheel",
    "reason",
];
/// Columns of `run_blockers`.
pub(crate) const BLOCKER_COLUMNS: &[&str] = &[
    "run_id",
    "target_idx",
    "name",
    "version",
    "paths",
    "reason",
    "newest_with_wheel",
];
/// Columns of `run_downgrades`.
pub(crate) const DOWNGRADE_COLUMNS: &[&str] = &[
    "run_id",
    "target_idx",
    "name",
    "from_version",
    "to_version",
    "reason",
];

/// A run's rows, without the run id (the store prepends it).
#[derive(Clone, Debug, Default)]
pub(crate) struct RunRows {
    pub run: Row,
    pub targets: Vec<Row>,
    pub packages: Vec<Row>,
    pub blockers: Vec<Row>,
    pub downgrades: Vec<Row>,
}

/// The serde name of a unit enum value (`primary`, `sdist_only`, …).
pub(crate) fn key<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn timestamp_of(context: &RunContext, report: Option<&Report>) -> jiff::Timestamp {
    context
        .timestamp
        .or_else(|| report.and_then(|r| r.timestamp.parse().ok()))
        .unwrap_or_else(jiff::Timestamp::now)
}

fn rfc3339(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The rows recording `report`.
pub(crate) fn rows(report: &Report, context: &RunContext) -> RunRows {
    let ts = timestamp_of(context, Some(report));
    let failed = report.verdict == Verdict::AssessmentFailed;
    let inputs = if context.inputs.is_empty() {
        &report.sources
    } else {
        &context.inputs
    };
    let run = vec![
        Value::from(rfc3339(ts)),
        Value::Int(ts.as_second()),
        Value::from(report.tool_version.as_str()),
        Value::from(context.command.as_str()),
        Value::from(serde_json::to_string(inputs).unwrap_or_default()),
        Value::from(context.inputs_hash.as_str()),
        Value::from(
            if failed {
                super::RunResult::Failed
            } else {
                super::RunResult::Ok
            }
            .key(),
        ),
        Value::from(report.verdict.key()),
        Value::from(failed.then(|| failure(report))),
        Value::from(report.stats.elapsed_ms),
        Value::from(report.stats.projects),
        Value::from(report.stats.requests),
        Value::from(report.stats.cache_hits),
        Value::Real(report.threshold),
        Value::from(key(&report.dependencies)),
    ];
    let mut out = RunRows {
        run,
        ..RunRows::default()
    };
    for (idx, t) in report.targets.iter().enumerate() {
        let idx = Value::from(idx);
        let c = &t.counts;
        out.targets.push(vec![
            idx.clone(),
            Value::from(t.name.as_str()),
            Value::from(t.python.as_str()),
            Value::from(t.platform.as_str()),
            Value::from(key(&t.role)),
            Value::from(t.healthy),
            Value::Real(t.wheel_share),
            Value::from(c.total),
            Value::from(c.assessed),
            Value::from(c.wheel),
            Value::from(c.sdist_only),
            Value::from(c.no_distribution),
            Value::from(c.not_found),
            Value::from(c.excluded),
            Value::from(c.not_assessed),
            Value::from(c.error),
            Value::from(t.resolution.as_ref().map(|r| r.wheel_share)),
            Value::from(t.resolution.as_ref().and_then(|r| r.error.clone())),
        ]);
        for (pos, p) in t.packages.iter().enumerate() {
            out.packages.push(vec![
                idx.clone(),
                Value::from(pos),
                Value::from(p.name.as_str()),
                Value::from(p.requirement.as_str()),
                Value::from(key(&p.status)),
                Value::from(p.version.as_ref().map(ToString::to_string)),
                Value::from(p.wheel.clone()),
                Value::from(p.reason.as_str()),
            ]);
        }
        for b in &t.blockers {
            out.blockers.push(vec![
                idx.clone(),
                Value::from(b.name.as_str()),
                Value::from(b.version.to_string()),
                Value::from(serde_json::to_string(&b.paths).unwrap_or_default()),
                Value::from(b.reason.as_str()),
                Value::from(b.newest_with_wheel.as_ref().map(ToString::to_string)),
            ]);
        }
        for d in &t.downgrades {
            out.downgrades.push(vec![
                idx.clone(),
                Value::from(d.name.as_str()),
                Value::from(d.from.to_string()),
                Value::from(d.to.to_string()),
                Value::from(d.reason.as_str()),
            ]);
        }
    }
    out
}

/// Why an assessment with verdict `assessment_failed` has no verdict: the first lookup or
/// resolution error, else the report's reason.
fn failure(report: &Report) -> String {
    let first = report.targets.iter().find_map(|t| {
        t.packages
            .iter()
            .find(|p| p.status == Status::Error)
            .map(|p| format!("{} on {}: {}", p.name, t.name, p.reason))
            .or_else(|| {
                let error = t.resolution.as_ref()?.error.as_ref()?;
                Some(format!("resolving on {}: {error}", t.name))
            })
    });
    crate::util::redact::redact_text(
        &first.unwrap_or_else(|| report.fallback_reason.clone().unwrap_or_default()),
    )
}

/// The rows recording a failed assessment.
pub(crate) fn failed_rows(context: &RunContext, error: &str, duration_ms: u64) -> RunRows {
    let ts = timestamp_of(context, None);
    RunRows {
        run: vec![
            Value::from(rfc3339(ts)),
            Value::Int(ts.as_second()),
            Value::from(env!("CARGO_PKG_VERSION")),
            Value::from(context.command.as_str()),
            Value::from(serde_json::to_string(&context.inputs).unwrap_or_default()),
            Value::from(context.inputs_hash.as_str()),
            Value::from(super::RunResult::Failed.key()),
            Value::Null,
            Value::from(crate::util::redact::redact_text(error)),
            Value::from(duration_ms),
            Value::Int(0),
            Value::Int(0),
            Value::Int(0),
            Value::Real(context.threshold),
            Value::from(""),
        ],
        ..RunRows::default()
    }
}

/// One event, ready to insert.
#[derive(Clone, Debug)]
pub(crate) struct EventRow {
    pub timestamp: String,
    pub epoch: i64,
    pub kind: String,
    pub detail: String,
    /// The event's own JSON line: the same event imported twice is one row.
    pub dedup: String,
}

pub(crate) fn event_row(event: &Event) -> EventRow {
    let detail = serde_json::to_string(event).unwrap_or_default();
    EventRow {
        timestamp: rfc3339(event.ts),
        epoch: event.ts.as_second(),
        kind: event.event.clone(),
        dedup: inputs_hash([detail.as_bytes()]),
        detail,
    }
}
