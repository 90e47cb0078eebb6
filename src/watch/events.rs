//! The alerts `watch` sends, typed, and when: a verdict that changed and blockers that appeared
//! or went (from [`crate::history::diff`] between consecutive successful runs, as `history
//! diff` computes it), an assessment failing N times in a row and its recovery, and every
//! automatic action (taken or failed). Pure: facts in, [`Alert`]s out; [`super::notify`]
//! shapes and delivers them.

use serde::Serialize;

use crate::history::{ChangeKind, RunDiff};

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AlertKind {
    /// The verdict changed between two successful runs.
    VerdictChanged,
    /// A package now blocks a wheel-only install on a target.
    BlockerAppeared,
    /// A package no longer blocks one.
    BlockerResolved,
    /// The assessment failed N times in a row.
    AssessmentFailing,
    /// The assessment succeeds again after such an alert.
    AssessmentRecovered,
    /// `--auto-fallback` switched to a fallback.
    FallbackTaken,
    /// `--auto-promote` returned to the primary.
    PromotionTaken,
    /// An automatic action was attempted and failed (the venv is unchanged).
    ActionFailed,
}

impl AlertKind {
    /// The Alertmanager-style `alertname`.
    pub(crate) fn alertname(self) -> &'static str {
        match self {
            Self::VerdictChanged => "WheelwatchVerdictChanged",
            Self::BlockerAppeared => "WheelwatchBlockerAppeared",
            Self::BlockerResolved => "WheelwatchBlockerResolved",
            Self::AssessmentFailing => "WheelwatchAssessmentFailing",
            Self::AssessmentRecovered => "WheelwatchAssessmentRecovered",
            Self::FallbackTaken => "WheelwatchFallbackTaken",
            Self::PromotionTaken => "WheelwatchPromotionTaken",
            Self::ActionFailed => "WheelwatchActionFailed",
        }
    }

    /// How urgent.
    pub(crate) fn severity(self) -> &'static str {
        match self {
            Self::AssessmentFailing
            | Self::ActionFailed
            | Self::BlockerAppeared
            | Self::VerdictChanged
            | Self::FallbackTaken => "warning",
            Self::BlockerResolved | Self::AssessmentRecovered | Self::PromotionTaken => "info",
        }
    }

    /// Whether it reports a problem that is now over (`resolved` in Alertmanager's terms).
    pub(crate) fn resolves(self) -> bool {
        matches!(self, Self::BlockerResolved | Self::AssessmentRecovered)
    }
}

/// One alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// The project's name.
    pub project: String,
    /// The run it came from.
    pub run_id: Option<i64>,
    /// The target, when about one.
    pub target: Option<String>,
    /// The package, when about one.
    pub package: Option<String>,
    /// The value before (a verdict), if any.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
    /// One line for people (package metadata in it is escaped by each payload's shape).
    pub summary: String,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
}

/// Builds alerts for one project at one moment.
#[derive(Clone, Debug)]
pub(crate) struct AlertContext {
    /// The project's name.
    pub project: String,
    /// Now (RFC 3339, UTC).
    pub timestamp: String,
}

impl AlertContext {
    fn alert(&self, kind: AlertKind, run_id: Option<i64>, summary: String) -> Alert {
        Alert {
            kind,
            project: self.project.clone(),
            run_id,
            target: None,
            package: None,
            before: None,
            after: None,
            summary,
            timestamp: self.timestamp.clone(),
        }
    }

    /// The alerts a diff between consecutive successful runs calls for.
    pub(crate) fn diff_alerts(&self, diff: &RunDiff) -> Vec<Alert> {
        let mut alerts = Vec::new();
        if diff.verdict_changed {
            let word = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_string());
            let mut a = self.alert(
                AlertKind::VerdictChanged,
                Some(diff.run_after),
                format!(
                    "{}: verdict changed from {} to {}",
                    self.project,
                    word(&diff.verdict_before).replace('_', " "),
                    word(&diff.verdict_after).replace('_', " ")
                ),
            );
            a.before.clone_from(&diff.verdict_before);
            a.after.clone_from(&diff.verdict_after);
            alerts.push(a);
        }
        for (kind, alert_kind, verb) in [
            (
                ChangeKind::BlockerAppeared,
                AlertKind::BlockerAppeared,
                "now blocks",
            ),
            (
                ChangeKind::BlockerGone,
                AlertKind::BlockerResolved,
                "no longer blocks",
            ),
        ] {
            for c in diff.of_kind(kind) {
                let package = c.package.clone().unwrap_or_default();
                let mut summary = format!(
                    "{}: {package} {verb} a wheel-only install on {}",
                    self.project, c.target
                );
                // The blocker's first requirement path, when it is not a direct requirement.
                if let Some(detail) = c.detail.as_deref().filter(|d| d.contains(" -> ")) {
                    summary = format!("{summary} (via {detail})");
                }
                let mut a = self.alert(alert_kind, Some(diff.run_after), summary);
                a.target = Some(c.target.clone());
                a.package = Some(package);
                alerts.push(a);
            }
        }
        alerts
    }

    /// The assessment failed `consecutive` times in a row; the last error.
    pub(crate) fn failing(&self, run_id: Option<i64>, consecutive: u32, error: &str) -> Alert {
        self.alert(
            AlertKind::AssessmentFailing,
            run_id,
            format!(
                "{}: the assessment failed {consecutive} times in a row: {error}",
                self.project
            ),
        )
    }

    /// The assessment succeeded again after `failures` failures.
    pub(crate) fn recovered(&self, run_id: Option<i64>, failures: u32) -> Alert {
        self.alert(
            AlertKind::AssessmentRecovered,
            run_id,
            format!(
                "{}: the assessment succeeds again after {failures} failures",
                self.project
            ),
        )
    }

    /// An automatic action: taken (`ok`) or failed, with what it said.
    pub(crate) fn action(
        &self,
        run_id: Option<i64>,
        promote: bool,
        ok: bool,
        detail: &str,
    ) -> Alert {
        let (kind, what) = match (promote, ok) {
            (false, true) => (AlertKind::FallbackTaken, "fell back"),
            (true, true) => (AlertKind::PromotionTaken, "returned to the primary"),
            (false, false) => (AlertKind::ActionFailed, "could not fall back"),
            (true, false) => (AlertKind::ActionFailed, "could not return to the primary"),
        };
        let mut a = self.alert(kind, run_id, format!("{}: {what}: {detail}", self.project));
        a.after = Some(if promote { "promote" } else { "fallback" }.to_string());
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Change;

    fn ctx() -> AlertContext {
        AlertContext {
            project: "app".to_string(),
            timestamp: "2026-12-01T23:00:00Z".to_string(),
        }
    }

    #[test]
    fn diff_alerts() {
        let diff = RunDiff {
            run_before: 1,
            run_after: 2,
            timestamp_before: String::new(),
            timestamp_after: String::new(),
            verdict_before: Some("primary_healthy".into()),
            verdict_after: Some("fallback_available".into()),
            verdict_changed: true,
            changes: vec![
                Change {
                    kind: ChangeKind::BlockerAppeared,
                    target: "3.12@linux".into(),
                    package: Some("numpy".into()),
                    before: None,
                    after: None,
                    detail: Some("app -> numpy".into()),
                },
                Change {
                    kind: ChangeKind::VersionChanged,
                    target: "3.12@linux".into(),
                    package: Some("six".into()),
                    before: Some("1".into()),
                    after: Some("2".into()),
                    detail: None,
                },
            ],
        };
        let alerts = ctx().diff_alerts(&diff);
        let summaries: Vec<(AlertKind, &str)> = alerts
            .iter()
            .map(|a| (a.kind, a.summary.as_str()))
            .collect();
        assert_eq!(
            summaries,
            [
                (
                    AlertKind::VerdictChanged,
                    "app: verdict changed from primary healthy to fallback available"
                ),
                (
                    AlertKind::BlockerAppeared,
                    "app: numpy now blocks a wheel-only install on 3.12@linux (via app -> numpy)"
                ),
            ]
        );
    }
}
