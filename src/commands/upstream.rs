//! `wheelwatch report upstream`: gathers the evidence for the upstream escalation report
//! ([`crate::report::upstream`]): the assessment (whole trees), each blocking project's index
//! page and the core metadata of its newest version (answered from the cache the assessment
//! filled), the history store when there is one (since when), and this machine; then renders
//! Markdown or JSON. Exit 0 (a report with no blockers says so).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::{Context, Result};
use pep440_rs::Version;
use pep508_rs::PackageName;

use crate::assess::{self, Assessment, HostInterpreter, Request};
use crate::catalog::IssueId;
use crate::exit::ExitStatus;
use crate::health::Status;
use crate::history::{ProjectId, RunFilter, Store, StoreLocation};
use crate::index::{IndexClient, ProjectLookup};
use crate::platform::Platform;
use crate::printer::Printer;
use crate::report::path_text;
use crate::report::phrases::role_name;
use crate::report::upstream::{
    self, Environment, InterpreterFound, ProjectBlocker, TargetGap, UPSTREAM_SCHEMA_VERSION,
    UpstreamReport, VersionWheels,
};
use crate::settings::{Format, GlobalSettings, ProcessEnv, UpstreamSettings};
use crate::tags::Tags;
use crate::util::fs::{Durability, write_atomic};

/// Versions listed per project besides the ones we need.
const NEWEST_VERSIONS: usize = 3;
/// Runs of the history looked at for "since when".
const HISTORY_RUNS: usize = 500;

/// Runs `wheelwatch report upstream`.
pub(crate) fn run(
    settings: &UpstreamSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let assessment = assess::run(&Request::from_settings(
        &settings.check,
        &globals.cwd,
        printer,
    ))?;
    let only = settings.package.as_deref().map(crate::catalog::normalize);
    let mut report = build(&assessment, only.as_deref())?;
    since_from_history(&mut report, settings, globals);
    for b in &mut report.blockers {
        b.issue = upstream::issue_text(b, &report.environment, &report.tool_version);
    }
    let mut text = Vec::new();
    match settings.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut text, &report)?;
            text.push(b'\n');
        }
        Format::Markdown | Format::Table => upstream::write_markdown(&report, &mut text)?,
    }
    match &settings.output {
        Some(path) => write_atomic(path, &text, Durability::Cache)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = printer.stdout();
            out.write_all(&text)?;
            out.flush()?;
        }
    }
    Ok(ExitStatus::Success)
}

/// One blocking project on one target, as the assessment found it.
struct Gap {
    target_index: usize,
    version: Version,
    newest_with_wheel: Option<Version>,
    issue: Option<IssueId>,
    reason: String,
    via: Option<String>,
    blocks: BTreeSet<String>,
}

fn build(assessment: &Assessment, only: Option<&str>) -> Result<UpstreamReport> {
    let report = &assessment.report;
    let mut gaps: BTreeMap<String, Vec<Gap>> = BTreeMap::new();
    for (i, t) in report.targets.iter().enumerate() {
        for b in &t.blockers {
            let blocks: BTreeSet<String> = b
                .paths
                .iter()
                .filter_map(|p| p.first().cloned())
                .chain(b.paths.is_empty().then(|| b.name.clone()))
                .collect();
            gaps.entry(b.name.clone()).or_default().push(Gap {
                target_index: i,
                version: b.version.clone(),
                newest_with_wheel: b.newest_with_wheel.clone(),
                issue: b.issue,
                reason: b.reason.clone(),
                via: b
                    .paths
                    .first()
                    .filter(|p| p.len() > 1)
                    .map(|p| path_text(p)),
                blocks,
            });
        }
        for p in &t.packages {
            let Some(version) = p.version.clone() else {
                continue;
            };
            if !matches!(p.status, Status::SdistOnly | Status::NoDistribution) {
                continue;
            }
            let entry = gaps.entry(p.name.clone()).or_default();
            if entry.iter().any(|g| g.target_index == i) {
                continue;
            }
            entry.push(Gap {
                target_index: i,
                version,
                newest_with_wheel: p.newest_with_wheel.clone(),
                issue: p.issue,
                reason: p.reason.clone(),
                via: None,
                blocks: BTreeSet::from([p.name.clone()]),
            });
        }
    }
    if let Some(only) = only {
        gaps.retain(|name, _| name == only);
    }

    let client = IndexClient::new(assessment.index.clone())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let target_tags: Vec<Tags> = assessment
        .targets
        .iter()
        .map(|a| Tags::new(&a.target.python, &a.target.platform))
        .collect();

    let mut blockers = Vec::new();
    for (name, gaps) in gaps {
        let package = PackageName::new(name.clone())
            .with_context(|| format!("`{name}` is not a project name"))?;
        let page = match runtime.block_on(client.project(&package)) {
            Ok(ProjectLookup::Found(page)) => Some(page),
            Ok(_) => None,
            Err(e) => {
                return Err(crate::exit::AssessmentError(anyhow::anyhow!(
                    "cannot list the files of {name}: {e}"
                ))
                .into());
            }
        };
        let mut blocks: BTreeSet<String> = BTreeSet::new();
        for g in &gaps {
            blocks.extend(g.blocks.iter().cloned());
        }
        let mut needed: BTreeSet<Version> = gaps.iter().map(|g| g.version.clone()).collect();
        needed.extend(gaps.iter().filter_map(|g| g.newest_with_wheel.clone()));
        let (versions, links) = match &page {
            Some(page) => {
                let mut all: Vec<&Version> = page
                    .files
                    .iter()
                    .map(crate::dist::DistFile::version)
                    .collect();
                all.sort();
                all.dedup();
                let newest: Vec<Version> = all
                    .iter()
                    .rev()
                    .filter(|v| !v.any_prerelease())
                    .take(NEWEST_VERSIONS)
                    .map(|v| (*v).clone())
                    .collect();
                needed.extend(newest.iter().cloned());
                let versions = needed
                    .iter()
                    .rev()
                    .map(|v| version_wheels(page, v, assessment, &target_tags))
                    .collect();
                // The links of the version we need (its metadata was read to resolve), else
                // of the newest: the first that has any.
                let mut links = None;
                for v in gaps.iter().map(|g| &g.version).chain(newest.first()) {
                    let Some(file) = crate::assess::source::metadata_file(page, v) else {
                        continue;
                    };
                    match runtime.block_on(client.metadata(file)) {
                        Ok(m)
                            if m.parsed.home_page.is_some()
                                || !m.parsed.project_urls.is_empty() =>
                        {
                            links = Some(upstream::links(
                                m.parsed.home_page.clone(),
                                m.parsed.project_urls.clone(),
                            ));
                            break;
                        }
                        Ok(_) => {}
                        Err(e) => tracing::debug!("no metadata of {name} {v}: {e}"),
                    }
                }
                let links = links.unwrap_or_default();
                (versions, links)
            }
            None => (Vec::new(), upstream::Links::default()),
        };
        let targets = gaps
            .iter()
            .map(|g| {
                let t = &report.targets[g.target_index];
                TargetGap {
                    target: t.name.clone(),
                    python: t.python.clone(),
                    platform: t.platform.clone(),
                    version: g.version.to_string(),
                    newest_with_wheel: g.newest_with_wheel.as_ref().map(ToString::to_string),
                    issue: g.issue,
                    reason: g.reason.clone(),
                    since: None,
                    via: g.via.clone(),
                }
            })
            .collect();
        blockers.push(ProjectBlocker {
            name,
            blocks_count: blocks.len(),
            blocks: blocks.into_iter().collect(),
            targets,
            versions,
            links,
            issue: upstream::IssueText {
                title: String::new(),
                body: String::new(),
            },
        });
    }
    // Most blocking first (caniusepython3's order), then by name.
    blockers.sort_by(|a, b| {
        b.blocks_count
            .cmp(&a.blocks_count)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(UpstreamReport {
        schema_version: UPSTREAM_SCHEMA_VERSION,
        generated_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        environment: environment(assessment),
        sources: report.sources.clone(),
        blockers,
    })
}

fn version_wheels(
    page: &crate::dist::ProjectPage,
    version: &Version,
    assessment: &Assessment,
    target_tags: &[Tags],
) -> VersionWheels {
    let files: Vec<&crate::dist::DistFile> = page
        .files
        .iter()
        .filter(|f| f.version() == version && !f.is_yanked())
        .collect();
    let mut pythons = BTreeSet::new();
    let mut abis = BTreeSet::new();
    let mut platforms = BTreeSet::new();
    for w in files.iter().filter_map(|f| f.wheel()) {
        pythons.extend(w.python.iter().map(str::to_string));
        abis.extend(w.abi.iter().map(str::to_string));
        platforms.extend(w.platform.iter().map(str::to_string));
    }
    let targets_with_wheel = assessment
        .report
        .targets
        .iter()
        .zip(target_tags)
        .filter(|(_, tags)| {
            files
                .iter()
                .filter_map(|f| f.wheel())
                .any(|w| tags.compatibility(w).is_ok())
        })
        .map(|(t, _)| t.name.clone())
        .collect();
    VersionWheels {
        version: version.to_string(),
        uploaded: files
            .iter()
            .filter_map(|f| f.upload_time())
            .min()
            .map(|t| t.chars().take(10).collect()),
        pythons: sort_tags(pythons),
        abis: sort_tags(abis),
        platforms: platforms.into_iter().collect(),
        sdist: files.iter().any(|f| f.wheel().is_none()),
        targets_with_wheel,
    }
}

/// Tags in a human order: `cp38` before `cp310`.
fn sort_tags(tags: BTreeSet<String>) -> Vec<String> {
    let mut tags: Vec<String> = tags.into_iter().collect();
    tags.sort_by_key(|t| {
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        let prefix: String = t.chars().take_while(|c| !c.is_ascii_digit()).collect();
        (prefix, digits.len(), digits, t.clone())
    });
    tags
}

fn environment(assessment: &Assessment) -> Environment {
    let (architecture, libc) = match crate::host::host_platform() {
        Ok(Platform::Manylinux { major, minor, arch }) => (
            arch.linux_name().to_string(),
            Some(format!("glibc {major}.{minor}")),
        ),
        Ok(Platform::Musllinux { major, minor, arch }) => (
            arch.linux_name().to_string(),
            Some(format!("musl {major}.{minor}")),
        ),
        _ => (std::env::consts::ARCH.to_string(), None),
    };
    let interpreters = assessment
        .iter()
        .map(|(t, a)| {
            let (version, path) = match &a.interpreter {
                HostInterpreter::Probed(i) => (
                    Some(i.version.to_string()),
                    Some(i.real_path.display().to_string()),
                ),
                HostInterpreter::Missing(_) | HostInterpreter::NotLookedUp => (None, None),
            };
            InterpreterFound {
                target: t.name.clone(),
                role: role_name(t.role).to_string(),
                version,
                path,
            }
        })
        .collect();
    Environment {
        os: std::env::consts::OS.to_string(),
        architecture,
        libc,
        interpreters,
    }
}

/// Fills each gap's `since` from the recorded runs (newest first): the oldest run of the
/// current streak in which the project had no wheel on that target. A store that does not
/// exist is not created; one that cannot be read is a warning.
fn since_from_history(
    report: &mut UpstreamReport,
    settings: &UpstreamSettings,
    globals: &GlobalSettings,
) {
    let Ok(location) = globals.store_location(&ProcessEnv) else {
        return;
    };
    if let StoreLocation::Sqlite(path) = &location.value
        && !path.exists()
    {
        return;
    }
    let _ = settings;
    let mut store = match Store::open(&location.value, ProjectId::detect(&globals.cwd)) {
        Ok(store) => store,
        Err(e) => {
            tracing::warn!("history not used: {e}");
            return;
        }
    };
    let runs = match store.runs(&RunFilter {
        limit: Some(HISTORY_RUNS),
        successful_only: true,
        since_epoch: None,
    }) {
        Ok(runs) => runs,
        Err(e) => {
            tracing::warn!("history not used: {e}");
            return;
        }
    };
    let mut details = Vec::new();
    for run in &runs {
        match store.run_details(run.id) {
            Ok(d) => details.push(d),
            Err(e) => {
                tracing::warn!("history not used: {e}");
                return;
            }
        }
    }
    for b in &mut report.blockers {
        for t in &mut b.targets {
            let mut since = None;
            for d in &details {
                let present = d
                    .blockers
                    .iter()
                    .any(|r| r.name == b.name && r.target == t.target)
                    || d.packages.iter().any(|p| {
                        p.name == b.name
                            && p.target == t.target
                            && matches!(p.status.as_str(), "sdist_only" | "no_distribution")
                    });
                if !present {
                    break;
                }
                since = Some(d.run.timestamp.clone());
            }
            t.since = since;
        }
    }
}
