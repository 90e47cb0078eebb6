//! What changed between two recorded runs: the verdict, blockers that appeared or went,
//! packages that gained or lost a wheel, version changes, packages added or removed, targets
//! whose health flipped. Pure: two [`RunDetails`] in, one typed [`RunDiff`] out (`history diff`
//! renders it; `watch` alerts on it).
//!
//! Targets are matched by name, packages by (target, name); a target present in one run only
//! contributes `package_added`/`package_removed` rows for its packages.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{PackageRecord, RunDetails};

/// The kind of one change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChangeKind {
    /// A target became healthy or unhealthy (`package` is `null`).
    HealthChanged,
    /// A package now blocks a wheel-only install.
    BlockerAppeared,
    /// A package no longer blocks one.
    BlockerGone,
    /// A package that had no wheel has one now.
    WheelGained,
    /// A package that had a wheel has none now.
    WheelLost,
    /// Another status change (e.g. `not_found` to `sdist_only`).
    StatusChanged,
    /// The version that would be installed changed.
    VersionChanged,
    /// A requirement (or target) appeared.
    PackageAdded,
    /// A requirement (or target) went away.
    PackageRemoved,
}

impl ChangeKind {
    /// The machine name (as in JSON).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::HealthChanged => "health_changed",
            Self::BlockerAppeared => "blocker_appeared",
            Self::BlockerGone => "blocker_gone",
            Self::WheelGained => "wheel_gained",
            Self::WheelLost => "wheel_lost",
            Self::StatusChanged => "status_changed",
            Self::VersionChanged => "version_changed",
            Self::PackageAdded => "package_added",
            Self::PackageRemoved => "package_removed",
        }
    }
}

/// One change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    /// What kind.
    pub kind: ChangeKind,
    /// The target's name.
    pub target: String,
    /// The package; `null` for a target-level change.
    pub package: Option<String>,
    /// The value before (status, version, `healthy`/`unhealthy`), if any.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
    /// One line a person understands (the reason recorded with the newer state, a blocker's
    /// first path).
    pub detail: Option<String>,
}

/// What changed from one run to another.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct RunDiff {
    /// The older run's id.
    pub run_before: i64,
    /// The newer run's id.
    pub run_after: i64,
    /// Their timestamps.
    pub timestamp_before: String,
    /// The newer one's.
    pub timestamp_after: String,
    /// The older run's verdict (`null` for a failed run).
    pub verdict_before: Option<String>,
    /// The newer run's.
    pub verdict_after: Option<String>,
    /// Whether the verdict differs.
    pub verdict_changed: bool,
    /// The changes, by target, then kind, then package.
    pub changes: Vec<Change>,
}

#[allow(dead_code, reason = "in-crate API: `watch` alerts on changes")]
impl RunDiff {
    /// Whether nothing changed.
    pub(crate) fn is_empty(&self) -> bool {
        !self.verdict_changed && self.changes.is_empty()
    }

    /// Changes of one kind.
    pub(crate) fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }
}

/// What changed from `before` to `after`.
pub(crate) fn diff(before: &RunDetails, after: &RunDetails) -> RunDiff {
    let mut changes = Vec::new();
    // Target health.
    for t in &after.targets {
        if let Some(old) = before.targets.iter().find(|o| o.name == t.name)
            && old.healthy != t.healthy
        {
            changes.push(Change {
                kind: ChangeKind::HealthChanged,
                target: t.name.clone(),
                package: None,
                before: Some(health_word(old.healthy).to_string()),
                after: Some(health_word(t.healthy).to_string()),
                detail: None,
            });
        }
    }
    // Blockers.
    let blockers = |d: &RunDetails| -> BTreeMap<(String, String), String> {
        d.blockers
            .iter()
            .map(|b| {
                let path = b
                    .paths
                    .first()
                    .map_or_else(|| b.name.clone(), |p| p.join(" -> "));
                ((b.target.clone(), b.name.clone()), path)
            })
            .collect()
    };
    let (old_b, new_b) = (blockers(before), blockers(after));
    for ((target, name), path) in &new_b {
        if !old_b.contains_key(&(target.clone(), name.clone())) {
            changes.push(change(
                ChangeKind::BlockerAppeared,
                target,
                name,
                None,
                None,
                Some(path.clone()),
            ));
        }
    }
    for ((target, name), path) in &old_b {
        if !new_b.contains_key(&(target.clone(), name.clone())) {
            changes.push(change(
                ChangeKind::BlockerGone,
                target,
                name,
                None,
                None,
                Some(path.clone()),
            ));
        }
    }
    // Packages.
    let packages = |d: &RunDetails| -> BTreeMap<(String, String), PackageRecord> {
        d.packages
            .iter()
            .map(|p| ((p.target.clone(), p.name.clone()), p.clone()))
            .collect()
    };
    let (old_p, new_p) = (packages(before), packages(after));
    for ((target, name), p) in &new_p {
        let Some(old) = old_p.get(&(target.clone(), name.clone())) else {
            changes.push(change(
                ChangeKind::PackageAdded,
                target,
                name,
                None,
                Some(p.status.clone()),
                Some(p.reason.clone()),
            ));
            continue;
        };
        let had = old.status == "wheel";
        let has = p.status == "wheel";
        if had != has {
            changes.push(change(
                if has {
                    ChangeKind::WheelGained
                } else {
                    ChangeKind::WheelLost
                },
                target,
                name,
                Some(old.status.clone()),
                Some(p.status.clone()),
                Some(p.reason.clone()),
            ));
        } else if old.status != p.status {
            changes.push(change(
                ChangeKind::StatusChanged,
                target,
                name,
                Some(old.status.clone()),
                Some(p.status.clone()),
                Some(p.reason.clone()),
            ));
        }
        if old.version != p.version && old.version.is_some() && p.version.is_some() {
            changes.push(change(
                ChangeKind::VersionChanged,
                target,
                name,
                old.version.clone(),
                p.version.clone(),
                None,
            ));
        }
    }
    for ((target, name), p) in &old_p {
        if !new_p.contains_key(&(target.clone(), name.clone())) {
            changes.push(change(
                ChangeKind::PackageRemoved,
                target,
                name,
                Some(p.status.clone()),
                None,
                None,
            ));
        }
    }
    // Stable order: targets as the newer run lists them (then vanished ones), then kind, then
    // package.
    let order = |target: &str| {
        after
            .targets
            .iter()
            .chain(&before.targets)
            .position(|t| t.name == target)
            .unwrap_or(usize::MAX)
    };
    changes.sort_by(|a, b| {
        (order(&a.target), a.kind, &a.package).cmp(&(order(&b.target), b.kind, &b.package))
    });
    RunDiff {
        run_before: before.run.id,
        run_after: after.run.id,
        timestamp_before: before.run.timestamp.clone(),
        timestamp_after: after.run.timestamp.clone(),
        verdict_before: before.run.verdict.clone(),
        verdict_after: after.run.verdict.clone(),
        verdict_changed: before.run.verdict != after.run.verdict,
        changes,
    }
}

fn health_word(healthy: bool) -> &'static str {
    if healthy { "healthy" } else { "unhealthy" }
}

fn change(
    kind: ChangeKind,
    target: &str,
    package: &str,
    before: Option<String>,
    after: Option<String>,
    detail: Option<String>,
) -> Change {
    Change {
        kind,
        target: target.to_string(),
        package: Some(package.to_string()),
        before,
        after,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{BlockerRecord, RunRecord, RunResult, TargetCounts, TargetRecord};

    fn run(id: i64, verdict: &str) -> RunRecord {
        RunRecord {
            id,
            timestamp: format!("2026-01-0{id}T00:00:00Z"),
            epoch: id,
            project: "p".into(),
            project_location: "/p".into(),
            tool_version: "0".into(),
            command: "check".into(),
            inputs: vec![],
            inputs_hash: String::new(),
            result: RunResult::Ok,
            verdict: Some(verdict.into()),
            error: None,
            duration_ms: 0,
            projects: 0,
            requests: 0,
            cache_hits: 0,
            threshold: 1.0,
            dependencies: "resolved".into(),
        }
    }

    fn target(run_id: i64, name: &str, healthy: bool) -> TargetRecord {
        TargetRecord {
            run_id,
            index: 0,
            name: name.into(),
            python: "3.12".into(),
            platform: "linux".into(),
            role: "primary".into(),
            healthy,
            wheel_share: 1.0,
            counts: TargetCounts::default(),
            tree_wheel_share: None,
            resolution_error: None,
        }
    }

    fn package(run_id: i64, name: &str, status: &str, version: &str) -> PackageRecord {
        PackageRecord {
            run_id,
            target: "3.12".into(),
            name: name.into(),
            requirement: name.into(),
            status: status.into(),
            version: Some(version.into()),
            wheel: None,
            reason: format!("{name} {status}"),
        }
    }

    type Row<'a> = (
        ChangeKind,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );

    #[test]
    fn every_kind_of_change_is_found() {
        let before = RunDetails {
            run: run(1, "fallback_available"),
            targets: vec![target(1, "3.12", false)],
            packages: vec![
                package(1, "a", "sdist_only", "1.0"),
                package(1, "b", "wheel", "2.0"),
                package(1, "c", "wheel", "1.0"),
                package(1, "gone", "wheel", "1.0"),
            ],
            blockers: vec![BlockerRecord {
                run_id: 1,
                target: "3.12".into(),
                name: "a".into(),
                version: "1.0".into(),
                paths: vec![vec!["app".into(), "a".into()]],
                reason: "no wheel".into(),
                newest_with_wheel: None,
            }],
            downgrades: vec![],
            events: vec![],
        };
        let after = RunDetails {
            run: run(2, "primary_healthy"),
            targets: vec![target(2, "3.12", true)],
            packages: vec![
                package(2, "a", "wheel", "1.1"),
                package(2, "b", "sdist_only", "2.0"),
                package(2, "c", "wheel", "1.0"),
                package(2, "new", "not_found", "0"),
            ],
            blockers: vec![],
            downgrades: vec![],
            events: vec![],
        };
        let d = diff(&before, &after);
        assert!(d.verdict_changed);
        let got: Vec<Row> = d
            .changes
            .iter()
            .map(|c| {
                (
                    c.kind,
                    c.package.as_deref(),
                    c.before.as_deref(),
                    c.after.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    ChangeKind::HealthChanged,
                    None,
                    Some("unhealthy"),
                    Some("healthy")
                ),
                (ChangeKind::BlockerGone, Some("a"), None, None),
                (
                    ChangeKind::WheelGained,
                    Some("a"),
                    Some("sdist_only"),
                    Some("wheel")
                ),
                (
                    ChangeKind::WheelLost,
                    Some("b"),
                    Some("wheel"),
                    Some("sdist_only")
                ),
                (
                    ChangeKind::VersionChanged,
                    Some("a"),
                    Some("1.0"),
                    Some("1.1")
                ),
                (
                    ChangeKind::PackageAdded,
                    Some("new"),
                    None,
                    Some("not_found")
                ),
                (
                    ChangeKind::PackageRemoved,
                    Some("gone"),
                    Some("wheel"),
                    None
                ),
            ]
        );
        assert_eq!(d.changes[1].detail.as_deref(), Some("app -> a"));
        assert!(diff(&after, &after).is_empty());
    }
}
