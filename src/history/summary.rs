//! The runbook's summary statistics from recorded data: runs and their date range, verdict
//! counts, each target's wheel share over time (per day, or per month over more than 62
//! days; aggregated in SQL from the compact per-target rows), lifecycle actions taken, time
//! spent on a fallback and time to recover.
//!
//! Definitions: the project is *on a fallback* from an environment switch that activated a
//! fallback-role interpreter (`fallback_succeeded`, `reset`, `recovered` events with role
//! `fallback`) until one that activated the primary again (`promoted`, or a `reset` with role
//! `primary`); still open periods count up to now. A *recovery* is the time from the first
//! successful run whose verdict is not `primary_healthy`, after a healthy one (or the first
//! run), to the next `primary_healthy` run.

use std::collections::BTreeMap;

use serde::Serialize;

use super::HistoryError;
use super::backend::{Conn, Value};

/// A target's wheel share in one period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct SharePoint {
    /// `2026-03-01` (day) or `2026-03` (month).
    pub period: String,
    /// Runs in the period.
    pub runs: i64,
    /// Mean share.
    pub mean: f64,
    /// Lowest share.
    pub min: f64,
    /// Highest share.
    pub max: f64,
}

/// One target's wheel share over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct TargetShare {
    /// The target's name.
    pub target: String,
    /// Its role (the latest seen).
    pub role: String,
    /// Per period, oldest first.
    pub points: Vec<SharePoint>,
}

/// The summary of a project's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Summary {
    /// All recorded runs.
    pub runs: i64,
    /// With a verdict.
    pub successful_runs: i64,
    /// Failed assessments.
    pub failed_runs: i64,
    /// The first run's timestamp.
    pub first_run: Option<String>,
    /// The last run's timestamp.
    pub last_run: Option<String>,
    /// Successful runs per verdict.
    pub verdicts: BTreeMap<String, i64>,
    /// `day` or `month`.
    pub granularity: String,
    /// Wheel share per target over time.
    pub wheel_share: Vec<TargetShare>,
    /// Fallbacks taken (`fallback_succeeded`).
    pub fallbacks: i64,
    /// Promotions back to the primary (`promoted`).
    pub promotions: i64,
    /// Resets (`reset`).
    pub resets: i64,
    /// Failed actions (`*_failed`).
    pub failed_actions: i64,
    /// Seconds spent on a fallback interpreter.
    pub seconds_on_fallback: i64,
    /// Whether the project is on a fallback now.
    pub on_fallback_now: bool,
    /// Completed recoveries.
    pub recoveries: i64,
    /// Their mean duration, in seconds.
    pub mean_seconds_to_recover: Option<i64>,
    /// The longest, in seconds.
    pub max_seconds_to_recover: Option<i64>,
    /// Since when the verdict has not been `primary_healthy`, if it is not now.
    pub unhealthy_since: Option<String>,
}

/// Computes the summary of project `project_id`.
pub(crate) fn load(conn: &mut Conn, project_id: i64) -> Result<Summary, HistoryError> {
    let p = [Value::Int(project_id)];
    let totals = conn.query(
        "SELECT CAST(count(*) AS BIGINT), \
         CAST(coalesce(sum(CASE WHEN result = 'ok' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         min(epoch), max(epoch), min(timestamp), max(timestamp) \
         FROM runs WHERE project_id = ?",
        &p,
    )?;
    let t = totals.first().cloned().unwrap_or_default();
    let get = |i: usize| t.get(i).cloned().unwrap_or(Value::Null);
    let runs = get(0).int();
    let successful_runs = get(1).int();
    let span = get(3).int() - get(2).int();
    let (granularity, width) = if span > 62 * 86_400 {
        ("month", 7)
    } else {
        ("day", 10)
    };
    let verdicts = conn
        .query(
            "SELECT verdict, CAST(count(*) AS BIGINT) FROM runs \
             WHERE project_id = ? AND result = 'ok' GROUP BY verdict",
            &p,
        )?
        .iter()
        .map(|r| (r[0].text(), r[1].int()))
        .collect();
    let rows = conn.query(
        &format!(
            "SELECT t.name, max(t.role), substr(r.timestamp, 1, {width}) AS period, \
             CAST(count(*) AS BIGINT), avg(t.wheel_share), min(t.wheel_share), \
             max(t.wheel_share) \
             FROM run_targets t JOIN runs r ON r.id = t.run_id \
             WHERE r.project_id = ? AND r.result = 'ok' \
             GROUP BY t.name, substr(r.timestamp, 1, {width}) \
             ORDER BY t.name, period"
        ),
        &p,
    )?;
    let mut wheel_share: Vec<TargetShare> = Vec::new();
    for r in &rows {
        let name = r[0].text();
        if wheel_share.last().is_none_or(|s| s.target != name) {
            wheel_share.push(TargetShare {
                target: name,
                role: r[1].text(),
                points: Vec::new(),
            });
        }
        if let Some(s) = wheel_share.last_mut() {
            s.points.push(SharePoint {
                period: r[2].text(),
                runs: r[3].int(),
                mean: r[4].real(),
                min: r[5].real(),
                max: r[6].real(),
            });
        }
    }
    // Primary first, then fallbacks, then extras; by name within a role.
    let rank = |role: &str| match role {
        "primary" => 0,
        "fallback" => 1,
        _ => 2,
    };
    wheel_share.sort_by(|a, b| (rank(&a.role), &a.target).cmp(&(rank(&b.role), &b.target)));

    // Recoveries, from the verdict sequence (two small columns per run).
    let sequence = conn.query(
        "SELECT epoch, timestamp, verdict FROM runs \
         WHERE project_id = ? AND result = 'ok' ORDER BY epoch, id",
        &p,
    )?;
    let mut recoveries = Vec::new();
    let mut down_since: Option<(i64, String)> = None;
    for r in &sequence {
        let healthy = r[2].text() == "primary_healthy";
        match (&down_since, healthy) {
            (None, false) => down_since = Some((r[0].int(), r[1].text())),
            (Some((since, _)), true) => {
                recoveries.push(r[0].int() - since);
                down_since = None;
            }
            _ => {}
        }
    }

    // Actions and time on a fallback, from the events.
    let events = conn.query(
        "SELECT epoch, kind, detail FROM events WHERE project_id = ? ORDER BY epoch, id",
        &p,
    )?;
    let count =
        |kind: &str| super::backend::int(events.iter().filter(|e| e[1].text() == kind).count());
    let failed_actions = super::backend::int(
        events
            .iter()
            .filter(|e| e[1].text().ends_with("_failed"))
            .count(),
    );
    let mut seconds_on_fallback = 0;
    let mut on_fallback_since: Option<i64> = None;
    for e in &events {
        let kind = e[1].text();
        if !matches!(
            kind.as_str(),
            "fallback_succeeded" | "promoted" | "reset" | "recovered"
        ) {
            continue;
        }
        let detail: serde_json::Value = serde_json::from_str(&e[2].text()).unwrap_or_default();
        let role = detail.get("role").and_then(|r| r.as_str()).unwrap_or("");
        let epoch = e[0].int();
        match (on_fallback_since, role) {
            (None, "fallback") => on_fallback_since = Some(epoch),
            (Some(since), "primary") => {
                seconds_on_fallback += epoch - since;
                on_fallback_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = on_fallback_since {
        seconds_on_fallback += (jiff::Timestamp::now().as_second() - since).max(0);
    }

    Ok(Summary {
        runs,
        successful_runs,
        failed_runs: runs - successful_runs,
        first_run: get(4).opt_text(),
        last_run: get(5).opt_text(),
        verdicts,
        granularity: granularity.to_string(),
        wheel_share,
        fallbacks: count("fallback_succeeded"),
        promotions: count("promoted"),
        resets: count("reset"),
        failed_actions,
        seconds_on_fallback,
        on_fallback_now: on_fallback_since.is_some(),
        recoveries: super::backend::int(recoveries.len()),
        mean_seconds_to_recover: (!recoveries.is_empty())
            .then(|| recoveries.iter().sum::<i64>() / super::backend::int(recoveries.len())),
        max_seconds_to_recover: recoveries.iter().copied().max(),
        unhealthy_since: down_since.map(|(_, ts)| ts),
    })
}
