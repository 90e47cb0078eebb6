//! The dashboard's view model: what one project's page shows, computed from records the
//! history store returned ([`ProjectData`]). Pure: no database, no files, no clock (the
//! caller passes the generation time).
//!
//! Charts are downsampled here: a target with at most [`MAX_POINTS`] successful runs gets one
//! point per run; a longer history is cut into [`MAX_POINTS`] equal stretches of time, each
//! point the mean wheel share of its runs (with their lowest and highest share, drawn as a
//! band) and the most blockers seen. Past [`MAX_MARKERS`] markers (fallbacks, promotions,
//! resets, failed runs), those of one kind are merged per stretch of time the same way. The runs table and the events timeline keep the newest
//! [`MAX_RUNS_SHOWN`] runs and [`MAX_EVENTS_SHOWN`] events: a year of hourly runs stays under
//! a megabyte, and `wheelwatch history list` has the rest.

use std::collections::BTreeMap;

use crate::history::{
    BlockerRecord, Change, DowngradeRecord, EventRecord, ProjectId, RunDetails, RunDiff, RunRecord,
    RunResult, TargetPoint,
};

/// Points per chart at most.
pub(crate) const MAX_POINTS: usize = 360;
/// Markers per chart before those of one kind are merged per stretch of time (a fleet's
/// hourly outages would otherwise hide the data).
pub(crate) const MAX_MARKERS: usize = 120;
/// Rows of the runs table at most (newest first).
pub(crate) const MAX_RUNS_SHOWN: usize = 500;
/// Entries of the events timeline at most (newest first).
pub(crate) const MAX_EVENTS_SHOWN: usize = 500;

/// One project's records, as loaded from the store.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProjectData {
    /// The project.
    pub project: Option<ProjectId>,
    /// Every run, newest first.
    pub runs: Vec<RunRecord>,
    /// Every successful run's targets, oldest first.
    pub points: Vec<TargetPoint>,
    /// The newest successful run, in full.
    pub latest: Option<RunDetails>,
    /// The successful run before it, in full.
    pub previous: Option<RunDetails>,
    /// Every event, oldest first.
    pub events: Vec<EventRecord>,
}

/// The whole page.
#[derive(Clone, Debug)]
pub(crate) struct Page {
    /// When it was generated (RFC 3339, UTC).
    pub generated: String,
    /// wheelwatch's version.
    pub tool_version: String,
    /// The store, for people (a PostgreSQL password never appears).
    pub store: String,
    /// The projects (several in a shared store), by name.
    pub projects: Vec<ProjectView>,
    /// The one shown first: the project of the working directory, else the most recently
    /// run.
    pub current: usize,
}

/// One project's dashboard.
#[derive(Clone, Debug)]
pub(crate) struct ProjectView {
    /// Its name.
    pub name: String,
    /// Its repository URL or path.
    pub location: String,
    /// Runs recorded.
    pub runs_total: usize,
    /// Of which failed.
    pub failed_total: usize,
    /// The newest run (successful or not).
    pub newest: Option<RunRecord>,
    /// The newest successful run.
    pub latest_ok: Option<RunRecord>,
    /// What changed from the successful run before it to the newest successful run.
    pub diff: Option<RunDiff>,
    /// Each target of the newest successful run, with its changes.
    pub targets: Vec<TargetView>,
    /// A trend chart per target seen in the history.
    pub charts: Vec<Chart>,
    /// The package × target grid of the newest successful run.
    pub grid: Grid,
    /// Its blockers.
    pub blockers: Vec<BlockerRecord>,
    /// Its downgrades.
    pub downgrades: Vec<DowngradeRecord>,
    /// The newest runs (at most [`MAX_RUNS_SHOWN`]).
    pub runs: Vec<RunRecord>,
    /// The newest events, newest first (at most [`MAX_EVENTS_SHOWN`]).
    pub events: Vec<EventRecord>,
    /// Events recorded.
    pub events_total: usize,
}

/// One target of the newest successful run.
#[derive(Clone, Debug)]
pub(crate) struct TargetView {
    /// `3.12@manylinux_2_28_x86_64`.
    pub name: String,
    /// `primary`, `fallback`, `extra`.
    pub role: String,
    /// Healthy by the threshold.
    pub healthy: bool,
    /// Share of the direct requirements with a wheel.
    pub wheel_share: f64,
    /// Share of the whole tree from wheels, when resolved.
    pub tree_wheel_share: Option<f64>,
    /// Blockers on it.
    pub blockers: usize,
    /// Its changes since the previous successful run.
    pub changes: Vec<Change>,
    /// Whether the previous successful run had this target at all.
    pub is_new: bool,
}

/// What a marker on a chart's time axis stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum MarkerKind {
    /// A fallback was taken.
    Fallback,
    /// Back to the primary.
    Promotion,
    /// An environment reset.
    Reset,
    /// A failed run: the index could not answer.
    Outage,
}

impl MarkerKind {
    /// The CSS class and word.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Fallback => "fallback",
            Self::Promotion => "promotion",
            Self::Reset => "reset",
            Self::Outage => "outage",
        }
    }
}

/// A marker on the time axis (possibly several merged).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Marker {
    /// When (the first of the merged ones).
    pub epoch: i64,
    /// What.
    pub kind: MarkerKind,
    /// How many were merged.
    pub count: usize,
    /// The first one's words (an event's reason, a run's error).
    pub label: String,
}

/// One point of a trend: a run, or a stretch of runs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChartPoint {
    /// The first run's time.
    pub start: i64,
    /// The last run's time.
    pub end: i64,
    /// The run, when the point is one run.
    pub run_id: Option<i64>,
    /// Runs in it.
    pub runs: usize,
    /// Mean wheel share.
    pub share: f64,
    /// Lowest.
    pub min: f64,
    /// Highest.
    pub max: f64,
    /// Most blockers.
    pub blockers: i64,
    /// Healthy in every run.
    pub healthy: bool,
}

/// A target's trend.
#[derive(Clone, Debug)]
pub(crate) struct Chart {
    /// The target's name.
    pub target: String,
    /// Its role (latest seen).
    pub role: String,
    /// The time axis: every chart of a project shares it.
    pub t0: i64,
    /// Its end.
    pub t1: i64,
    /// The points, oldest first.
    pub points: Vec<ChartPoint>,
    /// Whether points stand for stretches of runs.
    pub aggregated: bool,
    /// Markers, oldest first.
    pub markers: Vec<Marker>,
}

/// The package × target grid.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grid {
    /// Column heads.
    pub targets: Vec<String>,
    /// One row per package.
    pub rows: Vec<GridRow>,
}

/// One package's row.
#[derive(Clone, Debug)]
pub(crate) struct GridRow {
    /// Normalized name.
    pub package: String,
    /// As declared (the first target's).
    pub requirement: String,
    /// Per target (same order as [`Grid::targets`]); `None` when the package is not listed
    /// there.
    pub cells: Vec<Option<GridCell>>,
}

/// One cell.
#[derive(Clone, Debug)]
pub(crate) struct GridCell {
    /// `wheel`, `sdist_only`, ….
    pub status: String,
    /// The version that would be installed.
    pub version: Option<String>,
    /// Why.
    pub reason: String,
}

/// The wheel share a chart draws: the whole tree's when resolved, else the direct
/// requirements'.
pub(crate) fn charted_share(p: &TargetPoint) -> f64 {
    p.tree_wheel_share.unwrap_or(p.wheel_share)
}

/// The page over every project's data. `current` is the working directory's project.
pub(crate) fn page(
    projects: Vec<ProjectData>,
    current: &ProjectId,
    store: String,
    generated: String,
) -> Page {
    let views: Vec<ProjectView> = projects.into_iter().map(project).collect();
    let current = views
        .iter()
        .position(|v| v.name == current.name && v.location == current.location)
        .or_else(|| {
            views
                .iter()
                .enumerate()
                .max_by_key(|(_, v)| v.newest.as_ref().map(|r| (r.epoch, r.id)))
                .map(|(i, _)| i)
        })
        .unwrap_or(0);
    Page {
        generated,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        store,
        projects: views,
        current,
    }
}

/// One project's view.
pub(crate) fn project(data: ProjectData) -> ProjectView {
    let ProjectData {
        project,
        runs,
        points,
        latest,
        previous,
        events,
    } = data;
    let project = project.unwrap_or_else(|| ProjectId {
        name: runs.first().map(|r| r.project.clone()).unwrap_or_default(),
        location: runs
            .first()
            .map(|r| r.project_location.clone())
            .unwrap_or_default(),
    });
    let diff = match (&previous, &latest) {
        (Some(a), Some(b)) => Some(crate::history::diff::diff(a, b)),
        _ => None,
    };
    let targets = latest
        .as_ref()
        .map(|d| {
            d.targets
                .iter()
                .map(|t| TargetView {
                    name: t.name.clone(),
                    role: t.role.clone(),
                    healthy: t.healthy,
                    wheel_share: t.wheel_share,
                    tree_wheel_share: t.tree_wheel_share,
                    blockers: d.blockers.iter().filter(|b| b.target == t.name).count(),
                    changes: diff
                        .as_ref()
                        .map(|df| {
                            df.changes
                                .iter()
                                .filter(|c| c.target == t.name)
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default(),
                    is_new: previous
                        .as_ref()
                        .is_some_and(|p| !p.targets.iter().any(|o| o.name == t.name)),
                })
                .collect()
        })
        .unwrap_or_default();
    let charts = charts(&runs, &points, &events, latest.as_ref());
    let grid = latest.as_ref().map(grid).unwrap_or_default();
    let failed_total = runs
        .iter()
        .filter(|r| r.result == RunResult::Failed)
        .count();
    let events_total = events.len();
    let (blockers, downgrades) = latest
        .as_ref()
        .map(|d| (d.blockers.clone(), d.downgrades.clone()))
        .unwrap_or_default();
    ProjectView {
        name: project.name,
        location: project.location,
        runs_total: runs.len(),
        failed_total,
        newest: runs.first().cloned(),
        latest_ok: latest.as_ref().map(|d| d.run.clone()),
        diff,
        targets,
        charts,
        grid,
        blockers,
        downgrades,
        runs: runs.into_iter().take(MAX_RUNS_SHOWN).collect(),
        events: events.into_iter().rev().take(MAX_EVENTS_SHOWN).collect(),
        events_total,
    }
}

fn grid(details: &RunDetails) -> Grid {
    let targets: Vec<String> = details.targets.iter().map(|t| t.name.clone()).collect();
    let mut rows: Vec<GridRow> = Vec::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for p in &details.packages {
        let Some(col) = targets.iter().position(|t| *t == p.target) else {
            continue;
        };
        let row = *by_name.entry(p.name.clone()).or_insert_with(|| {
            rows.push(GridRow {
                package: p.name.clone(),
                requirement: p.requirement.clone(),
                cells: vec![None; targets.len()],
            });
            rows.len() - 1
        });
        rows[row].cells[col] = Some(GridCell {
            status: p.status.clone(),
            version: p.version.clone(),
            reason: p.reason.clone(),
        });
    }
    Grid { targets, rows }
}

/// An event kind's marker, if it gets one.
fn event_marker(kind: &str) -> Option<MarkerKind> {
    match kind {
        "fallback_succeeded" => Some(MarkerKind::Fallback),
        "promoted" => Some(MarkerKind::Promotion),
        "reset" | "recovered" => Some(MarkerKind::Reset),
        _ => None,
    }
}

/// An event's words: its reason, else its error, else its role and Python.
pub(crate) fn event_words(event: &EventRecord) -> String {
    let field = |k: &str| {
        event
            .detail
            .get(k)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let mut words = Vec::new();
    if let Some(role) = field("role") {
        words.push(format!("role {role}"));
    }
    if let Some(v) = field("python_version") {
        words.push(format!("Python {v}"));
    }
    if let Some(reason) = field("reason") {
        words.push(format!("reason: {reason}"));
    }
    if let Some(error) = field("error") {
        words.push(format!("error: {error}"));
    }
    words.join(" · ")
}

fn charts(
    runs: &[RunRecord],
    points: &[TargetPoint],
    events: &[EventRecord],
    latest: Option<&RunDetails>,
) -> Vec<Chart> {
    let t0 = runs.iter().map(|r| r.epoch).min().unwrap_or(0);
    let t1 = runs.iter().map(|r| r.epoch).max().unwrap_or(0).max(t0 + 1);
    // The newest run's target order first, then every other target by first appearance.
    let mut order: Vec<String> = latest
        .map(|d| d.targets.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    for p in points {
        if !order.contains(&p.target) {
            order.push(p.target.clone());
        }
    }
    let mut series: BTreeMap<&str, Vec<&TargetPoint>> = BTreeMap::new();
    for p in points {
        series.entry(p.target.as_str()).or_default().push(p);
    }
    let mut raw_markers: Vec<Marker> = Vec::new();
    for r in runs.iter().rev() {
        if r.result == RunResult::Failed {
            raw_markers.push(Marker {
                epoch: r.epoch,
                kind: MarkerKind::Outage,
                count: 1,
                label: format!(
                    "run {} failed: {}",
                    r.id,
                    r.error.as_deref().unwrap_or("no verdict")
                ),
            });
        }
    }
    for e in events {
        if let Some(kind) = event_marker(&e.kind) {
            let words = event_words(e);
            raw_markers.push(Marker {
                epoch: e.epoch,
                kind,
                count: 1,
                label: if words.is_empty() {
                    e.kind.clone()
                } else {
                    format!("{}: {words}", e.kind)
                },
            });
        }
    }
    raw_markers.sort_by_key(|m| (m.epoch, m.kind));
    let width = (t1 - t0 + 1).div_euclid(crate::history::backend::int(MAX_POINTS)) + 1;
    let marker_width = (t1 - t0 + 1).div_euclid(crate::history::backend::int(MAX_MARKERS)) + 1;
    order
        .into_iter()
        .filter_map(|target| {
            let pts = series.get(target.as_str())?;
            let role = pts.last().map(|p| p.role.clone()).unwrap_or_default();
            let aggregated = pts.len() > MAX_POINTS;
            let points = if aggregated {
                bucket(pts, t0, width)
            } else {
                pts.iter()
                    .map(|p| {
                        let s = charted_share(p);
                        ChartPoint {
                            start: p.epoch,
                            end: p.epoch,
                            run_id: Some(p.run_id),
                            runs: 1,
                            share: s,
                            min: s,
                            max: s,
                            blockers: p.blockers,
                            healthy: p.healthy,
                        }
                    })
                    .collect()
            };
            let markers = if raw_markers.len() > MAX_MARKERS {
                merge_markers(&raw_markers, t0, marker_width)
            } else {
                raw_markers.clone()
            };
            Some(Chart {
                target,
                role,
                t0,
                t1,
                points,
                aggregated,
                markers,
            })
        })
        .collect()
}

/// Points per stretch of `width` seconds from `t0`.
fn bucket(points: &[&TargetPoint], t0: i64, width: i64) -> Vec<ChartPoint> {
    let mut out: Vec<ChartPoint> = Vec::new();
    let mut current: Option<(i64, f64)> = None; // (bucket, sum of shares)
    for p in points {
        let b = (p.epoch - t0).div_euclid(width);
        let s = charted_share(p);
        match (current.as_mut(), out.last_mut()) {
            (Some((cb, sum)), Some(last)) if *cb == b => {
                *sum += s;
                last.end = p.epoch;
                last.run_id = None;
                last.runs += 1;
                last.share = *sum / last.runs as f64;
                last.min = last.min.min(s);
                last.max = last.max.max(s);
                last.blockers = last.blockers.max(p.blockers);
                last.healthy &= p.healthy;
            }
            _ => {
                current = Some((b, s));
                out.push(ChartPoint {
                    start: p.epoch,
                    end: p.epoch,
                    run_id: Some(p.run_id),
                    runs: 1,
                    share: s,
                    min: s,
                    max: s,
                    blockers: p.blockers,
                    healthy: p.healthy,
                });
            }
        }
    }
    out
}

/// Markers of one kind in one stretch merged into one.
fn merge_markers(markers: &[Marker], t0: i64, width: i64) -> Vec<Marker> {
    let mut merged: BTreeMap<(i64, MarkerKind), Marker> = BTreeMap::new();
    for m in markers {
        let b = (m.epoch - t0).div_euclid(width);
        merged
            .entry((b, m.kind))
            .and_modify(|e| e.count += 1)
            .or_insert_with(|| m.clone());
    }
    let mut out: Vec<Marker> = merged.into_values().collect();
    out.sort_by_key(|m| (m.epoch, m.kind));
    out
}

/// A verdict key in words (`primary_healthy` → `primary healthy`).
pub(crate) fn verdict_words(key: &str) -> String {
    key.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(run_id: i64, epoch: i64, share: f64, blockers: i64) -> TargetPoint {
        TargetPoint {
            run_id,
            epoch,
            target: "3.12@linux".into(),
            role: "primary".into(),
            healthy: blockers == 0,
            wheel_share: share,
            tree_wheel_share: None,
            blockers,
        }
    }

    #[test]
    fn long_histories_are_bucketed_by_time() {
        let pts: Vec<TargetPoint> = (0..10)
            .map(|i| point(i, i * 10, if i < 5 { 1.0 } else { 0.5 }, i % 3))
            .collect();
        let refs: Vec<&TargetPoint> = pts.iter().collect();
        let out = bucket(&refs, 0, 50);
        assert_eq!(
            out,
            vec![
                ChartPoint {
                    start: 0,
                    end: 40,
                    run_id: None,
                    runs: 5,
                    share: 1.0,
                    min: 1.0,
                    max: 1.0,
                    blockers: 2,
                    healthy: false,
                },
                ChartPoint {
                    start: 50,
                    end: 90,
                    run_id: None,
                    runs: 5,
                    share: 0.5,
                    min: 0.5,
                    max: 0.5,
                    blockers: 2,
                    healthy: false,
                },
            ]
        );
    }

    #[test]
    fn markers_of_one_kind_merge_per_stretch() {
        let m = |epoch, kind| Marker {
            epoch,
            kind,
            count: 1,
            label: format!("at {epoch}"),
        };
        let out = merge_markers(
            &[
                m(1, MarkerKind::Outage),
                m(2, MarkerKind::Fallback),
                m(3, MarkerKind::Outage),
                m(12, MarkerKind::Outage),
            ],
            0,
            10,
        );
        assert_eq!(
            out,
            vec![
                Marker {
                    count: 2,
                    ..m(1, MarkerKind::Outage)
                },
                m(2, MarkerKind::Fallback),
                m(12, MarkerKind::Outage),
            ]
        );
    }
}
