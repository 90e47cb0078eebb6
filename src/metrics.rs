//! Metrics in the Prometheus text exposition format (version 0.0.4), following its naming
//! rules: base units (seconds, ratios), `_total` counters, bounded labels (target names and
//! roles, results, actions; package names only with `--metrics-per-package`). Pure: a typed
//! [`Snapshot`] (built from recorded runs and events by [`Snapshot::from_history`]) in, text
//! out. `watch` writes it to `--metrics-file` and serves it on `--metrics-listen`; `wheelwatch
//! metrics` prints it.
//!
//! Written by hand: the format is a few lines of text, and a client library would bring a
//! registry and global state for what is one pure function here.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::history::{EventRecord, RunDetails, RunRecord, RunResult};

/// One target of the newest successful run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TargetSample {
    /// `3.12@manylinux_2_28_x86_64`.
    pub target: String,
    /// `primary`, `fallback`, `extra`.
    pub role: String,
    /// Healthy by the threshold.
    pub healthy: bool,
    /// Share of the tree (when resolved; else the direct requirements) from wheels.
    pub wheel_ratio: f64,
    /// Packages blocking a wheel-only install.
    pub blockers: usize,
}

/// One package on one target of the newest successful run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PackageSample {
    /// The target.
    pub target: String,
    /// Its role.
    pub role: String,
    /// The package.
    pub package: String,
    /// Installs from a wheel.
    pub wheel: bool,
}

/// Everything the metrics say.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Snapshot {
    /// Targets of the newest successful run.
    pub targets: Vec<TargetSample>,
    /// Per-package series (empty unless asked for).
    pub packages: Vec<PackageSample>,
    /// The newest successful run's verdict.
    pub verdict: Option<String>,
    /// The newest run's duration.
    pub last_duration_seconds: Option<f64>,
    /// Runs by result (`ok`, `failed`).
    pub assessments: BTreeMap<&'static str, u64>,
    /// Actions taken (`fallback`, `promote`, `reset`).
    pub actions: BTreeMap<&'static str, u64>,
    /// When the newest successful run ended (seconds since the epoch).
    pub last_success_epoch: Option<i64>,
}

/// The verdicts, for the one-hot `wheelwatch_verdict` series.
const VERDICTS: [&str; 4] = [
    "primary_healthy",
    "fallback_available",
    "complete_failure",
    "assessment_failed",
];

/// The lifecycle events that count as actions.
const ACTIONS: [(&str, &str); 3] = [
    ("fallback_succeeded", "fallback"),
    ("promoted", "promote"),
    ("reset", "reset"),
];

impl Snapshot {
    /// The snapshot of a project's history: `runs` (any order), the details of its newest
    /// successful run, its events.
    pub(crate) fn from_history(
        runs: &[RunRecord],
        latest_ok: Option<&RunDetails>,
        events: &[EventRecord],
        per_package: bool,
    ) -> Self {
        let mut snapshot = Snapshot::default();
        for key in ["ok", "failed"] {
            snapshot.assessments.insert(key, 0);
        }
        for run in runs {
            let key = match run.result {
                RunResult::Ok => "ok",
                RunResult::Failed => "failed",
            };
            *snapshot.assessments.entry(key).or_default() += 1;
        }
        for (_, action) in ACTIONS {
            snapshot.actions.insert(action, 0);
        }
        for event in events {
            if let Some((_, action)) = ACTIONS.iter().find(|(kind, _)| *kind == event.kind) {
                *snapshot.actions.entry(action).or_default() += 1;
            }
        }
        let newest = runs.iter().max_by_key(|r| (r.epoch, r.id));
        snapshot.last_duration_seconds = newest.map(|r| r.duration_ms as f64 / 1000.0);
        if let Some(details) = latest_ok {
            snapshot.verdict.clone_from(&details.run.verdict);
            snapshot.last_success_epoch =
                Some(details.run.epoch + (details.run.duration_ms + 999) / 1000);
            snapshot.targets = details
                .targets
                .iter()
                .map(|t| TargetSample {
                    target: t.name.clone(),
                    role: t.role.clone(),
                    healthy: t.healthy,
                    wheel_ratio: t.tree_wheel_share.unwrap_or(t.wheel_share),
                    blockers: details
                        .blockers
                        .iter()
                        .filter(|b| b.target == t.name)
                        .count(),
                })
                .collect();
            if per_package {
                snapshot.packages = details
                    .packages
                    .iter()
                    .filter(|p| p.status != "excluded")
                    .map(|p| PackageSample {
                        target: p.target.clone(),
                        role: details
                            .targets
                            .iter()
                            .find(|t| t.name == p.target)
                            .map(|t| t.role.clone())
                            .unwrap_or_default(),
                        package: p.name.clone(),
                        wheel: p.status == "wheel",
                    })
                    .collect();
            }
        }
        snapshot
    }
}

/// A label value escaped as the format requires: `\` `"` and newline.
pub(crate) fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, pairs: &[(&str, &str)], value: f64) {
        let _ = writeln!(self.out, "{name}{} {}", labels(pairs), number(value));
    }
}

/// The exposition text of `snapshot`.
pub(crate) fn render(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let mut f = Family { out: &mut out };
    let b = |v: bool| if v { 1.0 } else { 0.0 };
    f.header(
        "wheelwatch_target_healthy",
        "gauge",
        "Whether the target was healthy in the newest successful assessment (1) or not (0).",
    );
    for t in &snapshot.targets {
        f.sample(
            "wheelwatch_target_healthy",
            &[("target", &t.target), ("role", &t.role)],
            b(t.healthy),
        );
    }
    f.header(
        "wheelwatch_target_wheel_ratio",
        "gauge",
        "Share of the target's packages that install from a wheel (whole tree when resolved).",
    );
    for t in &snapshot.targets {
        f.sample(
            "wheelwatch_target_wheel_ratio",
            &[("target", &t.target), ("role", &t.role)],
            t.wheel_ratio,
        );
    }
    f.header(
        "wheelwatch_target_blockers",
        "gauge",
        "Packages blocking a wheel-only install on the target.",
    );
    for t in &snapshot.targets {
        f.sample(
            "wheelwatch_target_blockers",
            &[("target", &t.target), ("role", &t.role)],
            t.blockers as f64,
        );
    }
    f.header(
        "wheelwatch_verdict",
        "gauge",
        "The newest successful assessment's verdict (1 for the current one).",
    );
    for v in VERDICTS {
        let current = snapshot.verdict.as_deref() == Some(v);
        f.sample("wheelwatch_verdict", &[("verdict", v)], b(current));
    }
    f.header(
        "wheelwatch_assessment_duration_seconds",
        "gauge",
        "Wall time of the newest assessment.",
    );
    if let Some(d) = snapshot.last_duration_seconds {
        f.sample("wheelwatch_assessment_duration_seconds", &[], d);
    }
    f.header(
        "wheelwatch_assessments_total",
        "counter",
        "Recorded assessments by result (ok, failed).",
    );
    for (result, n) in &snapshot.assessments {
        f.sample(
            "wheelwatch_assessments_total",
            &[("result", result)],
            *n as f64,
        );
    }
    f.header(
        "wheelwatch_actions_total",
        "counter",
        "Lifecycle actions taken (fallback, promote, reset).",
    );
    for (action, n) in &snapshot.actions {
        f.sample("wheelwatch_actions_total", &[("action", action)], *n as f64);
    }
    f.header(
        "wheelwatch_last_success_timestamp_seconds",
        "gauge",
        "When the newest successful assessment finished, in seconds since the epoch.",
    );
    if let Some(t) = snapshot.last_success_epoch {
        f.sample("wheelwatch_last_success_timestamp_seconds", &[], t as f64);
    }
    if !snapshot.packages.is_empty() {
        f.header(
            "wheelwatch_package_wheel",
            "gauge",
            "Whether the package installs from a wheel on the target (1) or not (0).",
        );
        for p in &snapshot.packages {
            f.sample(
                "wheelwatch_package_wheel",
                &[
                    ("target", &p.target),
                    ("role", &p.role),
                    ("package", &p.package),
                ],
                b(p.wheel),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_families_with_escaped_labels() {
        let snapshot = Snapshot {
            targets: vec![TargetSample {
                target: "3.12@x\"y\\z\nw".to_string(),
                role: "primary".to_string(),
                healthy: false,
                wheel_ratio: 0.5,
                blockers: 2,
            }],
            packages: vec![PackageSample {
                target: "3.12@linux".to_string(),
                role: "primary".to_string(),
                package: "numpy".to_string(),
                wheel: true,
            }],
            verdict: Some("fallback_available".to_string()),
            last_duration_seconds: Some(1.25),
            assessments: [("ok", 3), ("failed", 1)].into_iter().collect(),
            actions: [("fallback", 1), ("promote", 0), ("reset", 0)]
                .into_iter()
                .collect(),
            last_success_epoch: Some(1_764_633_600),
        };
        let text = render(&snapshot);
        assert_eq!(
            text,
            r#"# HELP wheelwatch_target_healthy Whether the target was healthy in the newest successful assessment (1) or not (0).
# TYPE wheelwatch_target_healthy gauge
wheelwatch_target_healthy{target="3.12@x\"y\\z\nw",role="primary"} 0
# HELP wheelwatch_target_wheel_ratio Share of the target's packages that install from a wheel (whole tree when resolved).
# TYPE wheelwatch_target_wheel_ratio gauge
wheelwatch_target_wheel_ratio{target="3.12@x\"y\\z\nw",role="primary"} 0.5
# HELP wheelwatch_target_blockers Packages blocking a wheel-only install on the target.
# TYPE wheelwatch_target_blockers gauge
wheelwatch_target_blockers{target="3.12@x\"y\\z\nw",role="primary"} 2
# HELP wheelwatch_verdict The newest successful assessment's verdict (1 for the current one).
# TYPE wheelwatch_verdict gauge
wheelwatch_verdict{verdict="primary_healthy"} 0
wheelwatch_verdict{verdict="fallback_available"} 1
wheelwatch_verdict{verdict="complete_failure"} 0
wheelwatch_verdict{verdict="assessment_failed"} 0
# HELP wheelwatch_assessment_duration_seconds Wall time of the newest assessment.
# TYPE wheelwatch_assessment_duration_seconds gauge
wheelwatch_assessment_duration_seconds 1.25
# HELP wheelwatch_assessments_total Recorded assessments by result (ok, failed).
# TYPE wheelwatch_assessments_total counter
wheelwatch_assessments_total{result="failed"} 1
wheelwatch_assessments_total{result="ok"} 3
# HELP wheelwatch_actions_total Lifecycle actions taken (fallback, promote, reset).
# TYPE wheelwatch_actions_total counter
wheelwatch_actions_total{action="fallback"} 1
wheelwatch_actions_total{action="promote"} 0
wheelwatch_actions_total{action="reset"} 0
# HELP wheelwatch_last_success_timestamp_seconds When the newest successful assessment finished, in seconds since the epoch.
# TYPE wheelwatch_last_success_timestamp_seconds gauge
wheelwatch_last_success_timestamp_seconds 1764633600
# HELP wheelwatch_package_wheel Whether the package installs from a wheel on the target (1) or not (0).
# TYPE wheelwatch_package_wheel gauge
wheelwatch_package_wheel{target="3.12@linux",role="primary",package="numpy"} 1
"#
        );
    }
}
