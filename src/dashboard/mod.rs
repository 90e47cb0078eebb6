//! The dashboard: one self-contained HTML page (no network, no CDN; readable from disk with
//! JavaScript off) over a project's recorded history, or every project of a shared store.
//! It owns the view model ([`model`]: the current verdict, each target's health and what
//! changed since the previous run through the history's typed diff, downsampled trends, the
//! package × target grid of the newest run, blockers, downgrades, runs and events), the SVG
//! trend charts ([`svg`]) and the page with its escaping, styles and script ([`html`]).
//!
//! Pure: records in, a `String` out. Loading the records from the store and writing or
//! serving the page is `commands::dashboard`'s job.

pub(crate) mod html;
pub(crate) mod model;
pub(crate) mod svg;

pub(crate) use model::{Page, ProjectData};

/// The page as HTML.
pub(crate) fn render(page: &Page) -> String {
    html::page(page)
}

#[cfg(test)]
mod tests {
    use super::model::{self, ProjectData};
    use crate::history::{
        BlockerRecord, DowngradeRecord, EventRecord, PackageRecord, ProjectId, RunDetails,
        RunRecord, RunResult, TargetCounts, TargetPoint, TargetRecord,
    };

    const T0: i64 = 1_790_000_000; // 2026-09-21T14:13:20Z

    fn run(id: i64, epoch: i64, verdict: Option<&str>) -> RunRecord {
        RunRecord {
            id,
            timestamp: jiff::Timestamp::from_second(epoch)
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            epoch,
            project: "app".into(),
            project_location: "/srv/app".into(),
            tool_version: "0.1.0".into(),
            command: "check".into(),
            inputs: vec!["requirements.txt".into()],
            inputs_hash: "h".into(),
            result: if verdict.is_some() {
                RunResult::Ok
            } else {
                RunResult::Failed
            },
            verdict: verdict.map(String::from),
            error: verdict
                .is_none()
                .then(|| "lib on 3.12: answered HTTP 500 <b>oops</b>".to_string()),
            duration_ms: 120,
            projects: 3,
            requests: 4,
            cache_hits: 1,
            threshold: 1.0,
            dependencies: "resolved".into(),
        }
    }

    fn target(run_id: i64, index: i64, name: &str, role: &str, healthy: bool) -> TargetRecord {
        TargetRecord {
            run_id,
            index,
            name: name.into(),
            python: name[..4].into(),
            platform: "manylinux_2_28_x86_64".into(),
            role: role.into(),
            healthy,
            wheel_share: if healthy { 1.0 } else { 0.5 },
            counts: TargetCounts::default(),
            tree_wheel_share: Some(if healthy { 1.0 } else { 0.75 }),
            resolution_error: None,
        }
    }

    fn package(
        run_id: i64,
        target: &str,
        name: &str,
        status: &str,
        version: &str,
    ) -> PackageRecord {
        PackageRecord {
            run_id,
            target: target.into(),
            name: name.into(),
            requirement: format!("{name}>=1 ; python_version >= \"3.8\""),
            status: status.into(),
            version: Some(version.into()),
            wheel: None,
            reason: format!("{name} {version}: {status} <i>x</i>"),
        }
    }

    fn details(id: i64, epoch: i64, lib_version: &str, lib_on_312: &str) -> RunDetails {
        let (a, b) = ("3.12@linux", "3.11@linux");
        RunDetails {
            run: run(
                id,
                epoch,
                Some(if lib_on_312 == "wheel" {
                    "primary_healthy"
                } else {
                    "fallback_available"
                }),
            ),
            targets: vec![
                target(id, 0, a, "primary", lib_on_312 == "wheel"),
                target(id, 1, b, "fallback", true),
            ],
            packages: vec![
                package(id, a, "lib", lib_on_312, lib_version),
                package(id, a, "pure", "wheel", "2.0"),
                package(id, b, "lib", "wheel", lib_version),
                package(id, b, "pure", "wheel", "2.0"),
            ],
            blockers: if lib_on_312 == "wheel" {
                vec![]
            } else {
                vec![BlockerRecord {
                    run_id: id,
                    target: a.into(),
                    name: "lib".into(),
                    version: lib_version.into(),
                    paths: vec![vec!["pure".into(), "lib".into()]],
                    reason: "no wheel for CPython 3.12 <script>alert(1)</script>".into(),
                    newest_with_wheel: Some("0.9".into()),
                }]
            },
            downgrades: vec![DowngradeRecord {
                run_id: id,
                target: b.into(),
                name: "pure".into(),
                from: "2.1".into(),
                to: "2.0".into(),
                reason: "2.1 has no wheel".into(),
            }],
            events: vec![],
        }
    }

    fn points(d: &RunDetails) -> Vec<TargetPoint> {
        d.targets
            .iter()
            .map(|t| TargetPoint {
                run_id: d.run.id,
                epoch: d.run.epoch,
                target: t.name.clone(),
                role: t.role.clone(),
                healthy: t.healthy,
                wheel_share: t.wheel_share,
                tree_wheel_share: t.tree_wheel_share,
                blockers: crate::history::backend::int(
                    d.blockers.iter().filter(|b| b.target == t.name).count(),
                ),
            })
            .collect()
    }

    /// Three runs (healthy, a lost wheel, an outage) and a fallback: the whole `<main>`.
    #[test]
    fn renders_a_project_page() {
        let first = details(1, T0, "1.0", "wheel");
        let second = details(2, T0 + 3600, "1.1", "sdist_only");
        let data = ProjectData {
            project: Some(ProjectId {
                name: "app".into(),
                location: "/srv/app".into(),
            }),
            runs: vec![
                run(3, T0 + 7200, None),
                second.run.clone(),
                first.run.clone(),
            ],
            points: [points(&first), points(&second)].concat(),
            latest: Some(second),
            previous: Some(first),
            events: vec![EventRecord {
                id: 1,
                run_id: Some(2),
                timestamp: "2026-09-21T15:20:00Z".into(),
                epoch: T0 + 4000,
                kind: "fallback_succeeded".into(),
                detail: serde_json::json!({"role": "fallback", "python_version": "3.11.9",
                    "reason": "<script>alert(2)</script>"}),
            }],
        };
        let page = model::page(
            vec![data],
            &ProjectId {
                name: "app".into(),
                location: "/srv/app".into(),
            },
            "/srv/app/.wheelwatch/history.sqlite".into(),
            "2026-09-21T17:00:00Z".into(),
        );
        let html = super::render(&page);
        let main = &html[html.find("<main>").unwrap()..html.find("</main>").unwrap() + 7];
        insta::assert_snapshot!(main);
    }
}
