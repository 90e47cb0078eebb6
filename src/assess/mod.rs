//! The assessment: from a typed [`Request`] (inputs, targets, index, thresholds) to one typed
//! [`Assessment`] that every consumer reads (`check` renders it, `fallback`/`promote`/`reset`
//! act on it). Owns the pipeline: load the requirements, build the targets and probe their
//! host interpreters ([`targets`], [`interpreters`]) while each project's index page is fetched
//! once (concurrently, shared by every target), assess every direct requirement on every target
//! ([`direct`], the policy is [`crate::health`]), resolve every target's whole dependency tree
//! (default and wheel-only, see [`crate::resolve`]) over one shared fetch layer ([`source`]),
//! or take a target's resolution from the cache when nothing it was computed from changed
//! ([`reuse`]),
//! optionally write the wheel-only resolutions as lock files ([`locks`]), and assemble the
//! [`Report`].
//!
//! Not owned here: argument and configuration resolution ([`crate::settings`] builds the
//! request), rendering ([`crate::report`]), acting on the verdict ([`crate::environment`]).
//!
//! Targets are resolved in parallel threads; each blocks on the shared async fetches, so every
//! page and metadata file is fetched once per run whichever target asks first.

pub(crate) mod direct;
pub(crate) mod interpreters;
pub(crate) mod locks;
pub(crate) mod reuse;
pub(crate) mod source;
pub(crate) mod targets;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use tracing::info;

use crate::catalog::IssueId;
use crate::exit::AssessmentError;
use crate::health::{Options, PackageHealth, TargetContext};
use crate::index::{IndexClient, IndexSettings};
use crate::printer::Printer;
use crate::python::Interpreter;
use crate::report::{Dependencies, Report, Skipped, Stats, TargetReport, TreeAssessment};
use crate::requirements::{self, RequirementSet};
use crate::resolve::{self, Analysis};
use crate::settings::{CheckSettings, IndexChoice, SourceSettings};
use crate::target::Target;
use crate::util::parallel;

pub use interpreters::HostInterpreter;

/// What to assess, fully resolved (flags, environment and configuration merged by
/// [`crate::settings`]).
#[derive(Clone, Debug)]
pub struct Request {
    /// The directory the default input is discovered in.
    pub cwd: PathBuf,
    /// Requirement sources (none named: discover one in `cwd`).
    pub sources: SourceSettings,
    /// The primary Python as the user named it (`3.12`, `3.12@linux`, a path); `None`:
    /// `python3` on `PATH`.
    pub primary: Option<String>,
    /// Fallback Pythons, in order, as named.
    pub fallbacks: Vec<String>,
    /// Informational targets, as named.
    pub targets: Vec<String>,
    /// Health threshold (share of packages with a wheel).
    pub threshold: f64,
    /// Pre-releases for every package.
    pub pre: bool,
    /// Index and cache.
    pub index: IndexChoice,
    /// Assess the direct requirements only.
    pub no_deps: bool,
    /// Write each target's wheel-only resolution here.
    pub lock_dir: Option<PathBuf>,
    /// Where progress goes (bars only when stderr is a terminal and not quiet).
    pub printer: Printer,
    /// Changes applied to the loaded requirements before assessing (what `plan` tries).
    pub edits: RequirementEdits,
    /// Take a target's resolution from the cache when nothing it was computed from changed
    /// ([`reuse`]). Off for callers that need every page of the tree in
    /// [`Assessment::pages`] (the matrix, plans); never with `lock_dir`.
    pub reuse_resolutions: bool,
}

/// Changes to a loaded requirement set: requirements replaced by name, constraints added.
#[derive(Clone, Debug, Default)]
pub struct RequirementEdits {
    /// Every requirement on this package is replaced by this one.
    pub replace: Vec<Requirement>,
    /// Added constraints.
    pub constrain: Vec<Requirement>,
}

impl RequirementEdits {
    /// Applies the edits to `set`.
    pub fn apply(&self, set: &mut RequirementSet) {
        for new in &self.replace {
            for declared in &mut set.requirements {
                if declared.requirement.name == new.name {
                    let mut req = new.clone();
                    req.marker = declared.requirement.marker.clone();
                    declared.raw = req.to_string();
                    declared.requirement = req;
                }
            }
        }
        for c in &self.constrain {
            set.constraints.push(requirements::DeclaredRequirement {
                requirement: c.clone(),
                raw: c.to_string(),
                origin: None,
                locked: false,
            });
        }
    }
}

impl Request {
    /// The request `settings` describe (the primary defaults to `python3` on `PATH`).
    pub fn from_settings(settings: &CheckSettings, cwd: &Path, printer: Printer) -> Self {
        Self {
            cwd: cwd.to_path_buf(),
            sources: settings.sources.clone(),
            primary: settings.primary.as_ref().map(|p| p.value.clone()),
            fallbacks: settings.fallbacks.value.clone(),
            targets: settings.targets.value.clone(),
            threshold: settings.threshold.value,
            pre: settings.pre,
            index: settings.index.clone(),
            no_deps: settings.no_deps,
            lock_dir: settings.lock_dir.clone(),
            printer,
            edits: RequirementEdits::default(),
            reuse_resolutions: true,
        }
    }
}

/// One assessed target beyond what the report says: the typed target and the host
/// interpreter behind it, so that acting on the assessment needs no re-parsing or re-probing.
#[derive(Clone, Debug)]
pub struct AssessedTarget {
    /// The target.
    pub target: Target,
    /// The text the user named it by (`3.11`, `/usr/bin/python3.11`, `3.12@linux`).
    pub requested: String,
    /// The host interpreter looked up for it.
    pub interpreter: HostInterpreter,
}

/// The outcome of one assessment.
#[derive(Debug)]
pub struct Assessment {
    /// The report (verdict, per-target health, resolutions).
    pub report: Report,
    /// The targets, in the report's order (`targets[i]` is `report.targets[i]`).
    pub targets: Vec<AssessedTarget>,
    /// The index settings used (flags, requirement files and pip's configuration merged), so
    /// an installer can use exactly the same sources.
    pub index: IndexSettings,
    /// One line per target about the lock files written (`--lock-dir`), for the user.
    pub lock_notes: Vec<String>,
    /// The requirements and constraints that were assessed, with where each was declared.
    pub requirements: RequirementSet,
    /// Every project page the run fetched (direct requirements and, when resolved, the whole
    /// tree), by normalized name: what renderers of the version view (`matrix`, `plan`) read.
    pub pages: std::collections::BTreeMap<PackageName, Arc<crate::dist::ProjectPage>>,
}

impl Assessment {
    /// Each target's report with its typed facts.
    pub fn iter(&self) -> impl Iterator<Item = (&TargetReport, &AssessedTarget)> {
        self.report.targets.iter().zip(&self.targets)
    }
}

/// Runs the whole assessment (no rendering).
pub fn run(request: &Request) -> Result<Assessment> {
    let started = Instant::now();
    let sources = targets::sources(request)?;
    let mut set = requirements::load(&sources, &requirements::LoadOptions::default())?;
    request.edits.apply(&mut set);
    let planned = targets::plan(request)?;
    // Probe host interpreters while the index is fetched.
    let lookups: Vec<Option<String>> = planned.iter().map(|p| p.probe.lookup()).collect();
    let probing = std::thread::spawn(move || interpreters::probe_all(&lookups));
    let env = |name: &str| std::env::var(name).ok();
    let index = request
        .index
        .index_settings(&set.index, &crate::index::pip_configuration(&env));
    // A client that cannot be built is a configuration error (a bad URL or certificate file).
    let client = IndexClient::new(index.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let shared = source::Shared::new(client.clone(), runtime.handle().clone());

    let mut names: Vec<PackageName> = set
        .requirements
        .iter()
        .filter(|r| !matches!(r.requirement.version_or_url, Some(VersionOrUrl::Url(_))))
        .map(|r| r.requirement.name.clone())
        .collect();
    names.sort();
    names.dedup();
    let dependencies = if request.no_deps {
        Dependencies::DirectOnly
    } else if !set.requirements.is_empty() && set.requirements.iter().all(|r| r.locked) {
        Dependencies::Locked
    } else {
        Dependencies::Resolved
    };
    if request.lock_dir.is_some() && dependencies == Dependencies::Locked {
        bail!("--lock-dir writes resolutions, but the inputs are already lock files");
    }
    info!(
        "checking {} projects on {} targets ({dependencies:?})",
        names.len(),
        planned.len()
    );
    let fetch_pages = || {
        direct::fetch_pages(
            &runtime,
            &shared,
            names.clone(),
            if names.len() > 1 {
                request.printer
            } else {
                Printer::silent()
            },
        )
    };
    // Every direct project's page unchanged in the cache: each target's direct view may be
    // reused ([`reuse`]), so no page is fetched before the (cached, quick) probes are in; else
    // the pages are fetched while the interpreters are probed.
    let reuse = request.reuse_resolutions && request.lock_dir.is_none();
    let maybe_reused = reuse
        && !names.is_empty()
        && names
            .iter()
            .all(|name| shared.cached_listing_ids(name).is_some());
    let mut pages = (!maybe_reused).then(fetch_pages);

    let options = Options {
        pre: request.pre || set.index.pre,
    };
    let threshold = request.threshold;
    let found = probing
        .join()
        // A panicked probe thread means no interpreter: computed tags for every target.
        .unwrap_or_else(|_| {
            std::iter::repeat_with(|| None)
                .take(planned.len())
                .collect()
        });
    let mut assessed: Vec<AssessedTarget> = Vec::new();
    let mut tags_sources = Vec::new();
    let mut facts: Vec<source::TargetFacts> = Vec::new();
    for (plan, found) in planned.into_iter().zip(found) {
        let interpreter = plan.probe.into_host_interpreter(found);
        let t = interpreters::target_tags(&plan.target, &interpreter);
        if let HostInterpreter::Probed(interp) = &interpreter
            && let Some(other) = assessed.iter().find(|a| {
                matches!(&a.interpreter, HostInterpreter::Probed(i) if i.real_path == interp.real_path)
            })
        {
            tracing::warn!(
                "{} and {} are the same interpreter ({}): the fallback cannot help",
                plan.target.name(),
                other.target.name(),
                interp.real_path.display()
            );
        }
        tags_sources.push(t.source);
        facts.push(source::TargetFacts {
            tags: t.tags,
            python: t.python,
            python_label: plan.target.python.to_string(),
            platform_label: plan.target.platform.to_string(),
            platform: plan.target.platform.clone(),
            free_threaded: plan.target.python.free_threaded,
            env: t.env,
        });
        assessed.push(AssessedTarget {
            target: plan.target,
            requested: plan.requested,
            interpreter,
        });
    }
    // Direct assessment is pure CPU work per target over every file of every page; on a warm
    // run it is a good share of the run: one thread per core.
    let direct_slots: Vec<Option<reuse::Slot>> = facts
        .iter()
        .map(|f| {
            reuse
                .then(|| reuse::Slot::direct(shared.client(), f, &set, options))
                .flatten()
        })
        .collect();
    let reused: Option<Vec<Vec<PackageHealth>>> = if maybe_reused {
        direct_slots
            .iter()
            .map(|slot| slot.as_ref()?.load_direct(&shared))
            .collect()
    } else {
        None
    };
    let direct: Vec<Vec<PackageHealth>> = if let Some(reused) = reused {
        tracing::debug!("direct requirements: every target's view reused from the cache");
        shared.note_looked_up(&names);
        reused
    } else {
        let pages = pages.take().unwrap_or_else(fetch_pages);
        let direct = parallel::map(&facts, parallel::cores(), |f| {
            let ctx = TargetContext {
                tags: &f.tags,
                markers: &f.env,
                python_full_version: &f.python,
                python_label: &f.python_label,
                platform_label: &f.platform_label,
                platform: &f.platform,
                free_threaded: f.free_threaded,
            };
            direct::assess_target(&set, &pages, &ctx, options)
        });
        if reuse {
            store_direct(&shared, &names, &pages, &direct_slots, &direct);
        }
        direct
    };

    let resolved: Vec<Option<ResolvedTarget>> = if dependencies == Dependencies::Resolved {
        let resolve_started = Instant::now();
        let spinner = request.printer.spinner(format!(
            "resolving dependencies on {} targets",
            assessed.len()
        ));
        let out = resolve_all(&shared, &set, facts, options.pre, reuse);
        spinner.finish_and_clear();
        info!(
            "resolved {} targets in {} ms",
            assessed.len(),
            resolve_started.elapsed().as_millis()
        );
        out.into_iter().map(Some).collect()
    } else {
        assessed.iter().map(|_| None).collect()
    };
    // The catalog entry of each blocker, beside the analysis (lock files need only the latter).
    let (analyses, blocker_issues): SplitResolutions = resolved
        .into_iter()
        .map(|r| match r {
            Some(Ok((analysis, issues))) => (Some(Ok(analysis)), issues),
            Some(Err(e)) => (Some(Err(e)), Vec::new()),
            None => (None, Vec::new()),
        })
        .unzip();

    let lock_notes = match &request.lock_dir {
        Some(dir) => {
            let targets: Vec<Target> = assessed.iter().map(|a| a.target.clone()).collect();
            let written = locks::write_all(dir, &targets, &analyses, &shared)?;
            for line in &written {
                info!("{line}");
            }
            written
        }
        None => Vec::new(),
    };

    let mut reports = Vec::new();
    for ((((a, packages), analysis), tags_source), issues) in assessed
        .iter()
        .zip(direct)
        .zip(&analyses)
        .zip(tags_sources)
        .zip(&blocker_issues)
    {
        let tree = analysis.as_ref().map(|a| match a {
            Ok(done) => {
                let mut tree = TreeAssessment::from_analysis(done);
                for (blocker, issue) in tree.blockers.iter_mut().zip(issues) {
                    blocker.issue = *issue;
                }
                tree
            }
            Err(message) => TreeAssessment::failed(message.clone()),
        });
        reports.push(TargetReport::new(
            &a.target,
            tags_source,
            packages,
            tree,
            threshold,
        ));
    }
    let stats = client.stats();
    let projects = if dependencies == Dependencies::Resolved {
        shared.projects_seen()
    } else {
        names.len()
    };
    let mut report = Report::new(
        reports,
        dependencies,
        threshold,
        sources.iter().map(targets::source_label).collect(),
        set.skipped
            .iter()
            .map(|s| Skipped {
                requirement: s.raw.clone(),
                reason: s.reason.to_string(),
            })
            .collect(),
        Stats {
            projects,
            requests: stats.requests,
            cache_hits: stats.cache_hits,
            elapsed_ms: started.elapsed().as_millis() as u64,
        },
    );
    report.origins = set.requirements.iter().map(|r| r.origin.clone()).collect();
    let fetched = shared.fetched_pages();
    // Speculative fetches still in flight are abandoned, not awaited.
    runtime.shutdown_background();
    info!(
        "verdict: {} ({} projects, {} requests, {} ms)",
        report.verdict.describe(),
        report.stats.projects,
        report.stats.requests,
        report.stats.elapsed_ms
    );
    Ok(Assessment {
        report,
        targets: assessed,
        index,
        lock_notes,
        requirements: set,
        pages: fetched,
    })
}

/// Every target's resolution (when resolved) beside its blockers' catalog entries.
type SplitResolutions = (
    Vec<Option<Result<Analysis, String>>>,
    Vec<Vec<Option<IssueId>>>,
);

/// A target's resolution and the catalog entry of each of its blockers.
type ResolvedTarget = Result<(Analysis, Vec<Option<IssueId>>), String>;

/// Stores each target's direct view for reuse, with the listing ids of the pages it read;
/// nothing when a page could not be fetched or identified, or metadata was unsettled.
fn store_direct(
    shared: &source::Shared,
    names: &[PackageName],
    pages: &direct::Pages,
    slots: &[Option<reuse::Slot>],
    direct: &[Vec<PackageHealth>],
) {
    let listings: Option<Vec<_>> = names
        .iter()
        .map(|name| {
            let page = pages.get(name)?.as_ref().ok()?;
            Some((name.clone(), shared.listing_ids(name, page.as_deref())?))
        })
        .collect();
    let Some(listings) = listings else {
        tracing::debug!("a direct project's page cannot be identified: direct view not stored");
        return;
    };
    for (slot, packages) in slots.iter().zip(direct) {
        if let Some(slot) = slot {
            slot.store_direct(listings.clone(), packages);
        }
    }
}

/// Resolves every target on its own thread over the shared fetch layer (or, with `reuse`, takes
/// its resolution from the cache when nothing it was computed from changed). A source failure
/// becomes the target's error message (no conclusion), never a missing wheel.
fn resolve_all(
    shared: &Arc<source::Shared>,
    set: &RequirementSet,
    facts: Vec<source::TargetFacts>,
    pre: bool,
    reuse: bool,
) -> Vec<ResolvedTarget> {
    let requirements: Vec<Requirement> = set
        .requirements
        .iter()
        .map(|r| r.requirement.clone())
        .collect();
    let constraints: Vec<Requirement> = set
        .constraints
        .iter()
        .map(|r| r.requirement.clone())
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = facts
            .into_iter()
            .map(|facts| {
                let requirements = &requirements;
                let constraints = &constraints;
                scope.spawn(move || {
                    let slot = reuse
                        .then(|| {
                            reuse::Slot::tree(
                                shared.client(),
                                &facts,
                                requirements,
                                constraints,
                                pre,
                            )
                        })
                        .flatten();
                    if let Some(reused) = slot.as_ref().and_then(|s| s.load_tree(shared)) {
                        tracing::debug!("{}: resolution reused from the cache", facts.python_label);
                        shared.note_looked_up(&reused.projects);
                        return Ok((reused.analysis, reused.issues));
                    }
                    let env = facts.env.clone();
                    let source = source::TargetSource::new(Arc::clone(shared), facts);
                    let request = resolve::Request {
                        requirements,
                        constraints,
                        env: &env,
                        allow_prerelease: pre,
                    };
                    let analysis = resolve::analyze(&source, &request).map_err(|e| {
                        crate::util::redact::redact_text(&crate::util::error::display_chain(&e))
                    })?;
                    let issues: Vec<Option<IssueId>> = analysis
                        .blockers
                        .iter()
                        .map(|b| source.issue(&b.name, &b.version))
                        .collect();
                    if let Some(slot) = &slot
                        && !shared.unsettled()
                    {
                        match source.listings_read() {
                            Some(listings) => slot.store_tree(listings, &analysis, &issues),
                            None => tracing::debug!(
                                "{}: a listing read cannot be identified: resolution not stored",
                                source.python_label()
                            ),
                        }
                    }
                    Ok((analysis, issues))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("the resolver thread panicked".to_string()))
            })
            .collect()
    })
}

/// The host interpreter of a target, for building an environment with it: the one the
/// assessment probed (exactly the tags that were assessed), else the newest installed match
/// of the target's Python (targets that name a platform are not looked up while assessing).
pub fn interpreter_for(target: &AssessedTarget) -> Result<Interpreter> {
    match &target.interpreter {
        HostInterpreter::Probed(i) => Ok((**i).clone()),
        HostInterpreter::Missing(reason) => {
            Err(AssessmentError(anyhow::anyhow!("{reason}")).into())
        }
        HostInterpreter::NotLookedUp => {
            interpreters::find_for(&target.target).map_err(|e| AssessmentError(e).into())
        }
    }
}
