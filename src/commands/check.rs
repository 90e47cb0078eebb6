//! `wheelwatch check`: load the requirements, build the targets, fetch each project's index page
//! once (concurrently, shared by every target), assess every direct requirement on every
//! target, resolve every target's whole dependency tree (default and wheel-only, see
//! [`crate::resolve`]) over one shared fetch layer ([`source`]), optionally write the
//! wheel-only resolutions as lock files ([`locks`]), and hand one [`Report`] to the chosen
//! renderer. The exit status follows the verdict.
//!
//! Targets are resolved in parallel threads; each blocks on the shared async fetches, so every
//! page and metadata file is fetched once per run whichever target asks first.

pub mod interpreters;
pub mod locks;
pub mod source;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pep440_rs::VersionSpecifiers;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use tracing::info;

use crate::cli::{CheckArgs, Format};
use crate::dist::ProjectPage;
use crate::exit::ExitStatus;
use crate::health::{self, Lookup, Options, PackageHealth, TargetContext};
use crate::index::{IndexClient, IndexSettings};
use crate::report::{
    self, Dependencies, Report, Skipped, Stats, TargetReport, TreeAssessment, Verdict,
};
use crate::requirements::{self, DeclaredRequirement, RequirementSet, Source};
use crate::resolve::{self, Analysis};
use crate::settings::{CheckSettings, GlobalSettings, ProcessEnv};
use crate::target::{Role, Target};

/// What `check` does beyond the direct requirements.
#[derive(Clone, Debug, Default)]
pub struct TreeOptions {
    /// `--no-deps`: assess the direct requirements only.
    pub no_deps: bool,
    /// `--lock-dir`: write each target's wheel-only resolution here.
    pub lock_dir: Option<PathBuf>,
}

/// Runs `wheelwatch check`.
pub fn run(args: CheckArgs, globals: &GlobalSettings) -> Result<ExitStatus> {
    let tree = TreeOptions {
        no_deps: args.no_deps,
        lock_dir: args.lock_dir.clone(),
    };
    let settings = CheckSettings::resolve(args, globals, &ProcessEnv)?;
    let report = assess(&settings, globals, &tree)?;
    emit(
        &report,
        settings.format,
        settings.output.as_deref(),
        globals,
    )?;
    if let Some(hint) = not_found_hint(&report) {
        tracing::warn!("{hint}");
    }
    if let Some(line) = failure_line(&report) {
        eprintln!("{line}");
    }
    Ok(exit_status(report.verdict, settings.strict))
}

/// A hint when no assessed project was found at all: the index URL is probably wrong.
pub fn not_found_hint(report: &Report) -> Option<String> {
    let mut assessed = report
        .targets
        .iter()
        .flat_map(|t| &t.packages)
        .filter(|p| p.status != health::Status::Excluded)
        .peekable();
    assessed.peek()?;
    assessed
        .all(|p| p.status == health::Status::NotFound)
        .then(|| {
            "no project was found on the index: is the index URL right? (--index-url, \
             PIP_INDEX_URL, or an --index-url line in a requirements file)"
                .to_string()
        })
}

/// On exit 3, the one stderr line saying why there is no verdict, whatever the report's
/// format and destination.
pub fn failure_line(report: &Report) -> Option<String> {
    if report.verdict != Verdict::AssessmentFailed {
        return None;
    }
    let first = report.targets.iter().find_map(|t| {
        t.packages
            .iter()
            .find(|p| p.status == health::Status::Error)
            .map(|p| format!("{} on {}: {}", p.name, t.name, p.reason))
            .or_else(|| {
                let error = t.resolution.as_ref()?.error.as_ref()?;
                Some(format!("resolving on {}: {error}", t.name))
            })
    });
    Some(format!(
        "error: assessment failed, no verdict: {}",
        first.unwrap_or_else(|| report.fallback_reason.clone().unwrap_or_default())
    ))
}

/// The exit status a verdict maps to.
pub fn exit_status(verdict: Verdict, strict: bool) -> ExitStatus {
    match verdict {
        Verdict::PrimaryHealthy => ExitStatus::Success,
        Verdict::FallbackAvailable if !strict => ExitStatus::Success,
        Verdict::FallbackAvailable | Verdict::CompleteFailure => ExitStatus::Unhealthy,
        Verdict::AssessmentFailed => ExitStatus::AssessmentFailed,
    }
}

/// Writes the report where the settings say.
pub fn emit(
    report: &Report,
    format: Format,
    output: Option<&Path>,
    globals: &GlobalSettings,
) -> Result<()> {
    let render = |out: &mut dyn Write, color: bool| -> std::io::Result<()> {
        match format {
            Format::Table => report::table::write(report, out, color),
            Format::Json => report::json::write(report, out),
            Format::Markdown => report::markdown::write(report, out),
        }
    };
    if let Some(path) = output {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("failed to create a file in `{}`", dir.display()))?;
        render(&mut file, false)?;
        file.persist(path)
            .with_context(|| format!("failed to write the report to `{}`", path.display()))?;
        info!("wrote the report to {}", path.display());
    } else {
        let mut out = std::io::stdout().lock();
        render(&mut out, globals.color_stdout())?;
        out.flush()?;
    }
    Ok(())
}

/// Turns the source settings into loader sources (default input when none is named).
fn sources(settings: &CheckSettings, cwd: &Path) -> Result<Vec<Source>> {
    let s = &settings.sources;
    let mut out = Vec::new();
    if s.is_empty() {
        out.push(requirements::discover(cwd)?);
    }
    for file in &s.files {
        out.push(Source::from_user_path(file)?);
    }
    out.extend(s.requirements.iter().cloned().map(Source::RequirementsTxt));
    out.extend(s.constraints.iter().cloned().map(Source::Constraints));
    out.extend(s.packages.iter().cloned().map(Source::Package));
    for source in &mut out {
        if let Source::Pyproject { extras, groups, .. } = source {
            extras.clone_from(&s.extras);
            groups.clone_from(&s.groups);
        }
    }
    if (!s.extras.is_empty() || !s.groups.is_empty())
        && !out
            .iter()
            .any(|src| matches!(src, Source::Pyproject { .. }))
    {
        bail!("--extra and --group select parts of a pyproject.toml, but none is among the inputs");
    }
    Ok(out)
}

fn source_label(source: &Source) -> String {
    match source {
        Source::RequirementsTxt(p) | Source::Constraints(p) | Source::Lock(p) => {
            p.display().to_string()
        }
        Source::Pyproject {
            path,
            extras,
            groups,
        } => {
            let mut label = path.display().to_string();
            if !extras.is_empty() {
                let _ = write!(label, " [extras: {}]", extras.join(", "));
            }
            if !groups.is_empty() {
                let _ = write!(label, " [groups: {}]", groups.join(", "));
            }
            label
        }
        Source::Package(spec) => format!("--package {spec}"),
    }
}

/// Builds the primary, fallback and extra targets, each with the interpreter to probe for it
/// (host targets only: no `@PLATFORM`) or already probed (paths).
fn targets(settings: &CheckSettings) -> Result<Vec<(Target, Probe)>> {
    let host = crate::host::host_platform()
        .context("failed to detect this machine's platform; name one with --target PY@PLATFORM")?;
    let primary = match &settings.primary {
        Some(p) => p.value.clone(),
        None => "python3".to_string(),
    };
    let role_targets = std::iter::once((primary, Role::Primary)).chain(
        settings
            .fallbacks
            .value
            .iter()
            .map(|f| (f.clone(), Role::Fallback)),
    );
    let mut out = Vec::new();
    for (value, role) in role_targets {
        // An interpreter named by path or by executable name (`python3`) is probed now: its
        // version is the target's. Versions are parsed as targets and probed later if installed.
        // A range (`>=3.11,<3.13`) names the newest installed interpreter inside it.
        let names_interpreter = matches!(
            crate::python::PythonRequest::from_str(&value),
            Ok(crate::python::PythonRequest::Path(_)
                | crate::python::PythonRequest::Name(_)
                | crate::python::PythonRequest::Range(_))
        );
        if names_interpreter {
            let (target, interpreter) = interpreters::target_for_path(&value, &host, role)
                .with_context(|| format!("no usable interpreter `{value}`"))?;
            out.push((target, Probe::Done(Box::new(interpreter))));
        } else {
            let target = Target::parse(&value, &host, role)
                .with_context(|| format!("invalid {} Python `{value}`", role_name(role)))?;
            let probe = if value.contains('@') {
                Probe::None
            } else {
                Probe::Request(value)
            };
            out.push((target, probe));
        }
    }
    for t in &settings.targets.value {
        let target = Target::parse(t, &host, Role::Extra)
            .with_context(|| format!("invalid target `{t}`"))?;
        out.push((target, Probe::None));
    }
    // The same Python and platform twice would be assessed twice: keep the first role.
    let mut seen = std::collections::HashSet::new();
    out.retain(|(t, _)| seen.insert(t.name()));
    Ok(out)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Primary => "primary",
        Role::Fallback => "fallback",
        Role::Extra => "extra",
    }
}

/// Which interpreter a target's tags come from.
enum Probe {
    /// Computed tags.
    None,
    /// Probe this request (a version) if it is installed here.
    Request(String),
    /// Already probed (a path was given).
    Done(Box<crate::python::Interpreter>),
}

type Pages = HashMap<PackageName, Result<Option<Arc<ProjectPage>>, String>>;

/// Fetches every named project once, concurrently.
fn fetch_pages(
    runtime: &tokio::runtime::Runtime,
    shared: &source::Shared,
    names: Vec<PackageName>,
    show_progress: bool,
) -> Pages {
    let bar = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(names.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} fetching index pages {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let pages = runtime.block_on(async {
        let futures = names.into_iter().map(|name| {
            let bar = bar.clone();
            async move {
                let result = shared.page(&name).await;
                if let Some(bar) = &bar {
                    bar.set_message(name.to_string());
                    bar.inc(1);
                }
                (name, result)
            }
        });
        futures::future::join_all(futures).await
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    pages.into_iter().collect()
}

/// Runs the whole assessment and builds the report (no rendering).
pub fn assess(
    settings: &CheckSettings,
    globals: &GlobalSettings,
    tree: &TreeOptions,
) -> Result<Report> {
    assess_with_index(settings, globals, tree).map(|(report, _)| report)
}

/// [`assess`], also returning the index settings it used (flags, requirement files and pip's
/// configuration merged), so that an installer can use exactly the same sources.
pub fn assess_with_index(
    settings: &CheckSettings,
    globals: &GlobalSettings,
    tree: &TreeOptions,
) -> Result<(Report, IndexSettings)> {
    let started = Instant::now();
    let sources = sources(settings, &globals.cwd)?;
    let set = requirements::load(&sources, &requirements::LoadOptions::default())?;
    let (targets, probes): (Vec<Target>, Vec<Probe>) = targets(settings)?.into_iter().unzip();
    // Probe host interpreters while the index is fetched.
    let requests: Vec<Option<String>> = probes
        .iter()
        .map(|p| match p {
            Probe::Request(r) => Some(r.clone()),
            Probe::None | Probe::Done(_) => None,
        })
        .collect();
    let probing = std::thread::spawn(move || interpreters::probe_all(&requests));
    let env = |name: &str| std::env::var(name).ok();
    let index = settings
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
    let show_progress = !globals.quiet && std::io::stderr().is_terminal() && names.len() > 1;
    let dependencies = if tree.no_deps {
        Dependencies::DirectOnly
    } else if !set.requirements.is_empty() && set.requirements.iter().all(|r| r.locked) {
        Dependencies::Locked
    } else {
        Dependencies::Resolved
    };
    if tree.lock_dir.is_some() && dependencies == Dependencies::Locked {
        bail!("--lock-dir writes resolutions, but the inputs are already lock files");
    }
    info!(
        "checking {} projects on {} targets ({dependencies:?})",
        names.len(),
        targets.len()
    );
    let pages = fetch_pages(&runtime, &shared, names.clone(), show_progress);

    let options = Options {
        pre: settings.pre || set.index.pre,
    };
    let threshold = settings.threshold.value;
    let found_interpreters = probing
        .join()
        // A panicked probe thread means no interpreter: computed tags for every target.
        .unwrap_or_else(|_| std::iter::repeat_with(|| None).take(probes.len()).collect());
    let mut tags_sources = Vec::new();
    let mut used: Vec<(String, std::path::PathBuf)> = Vec::new();
    let facts: Vec<source::TargetFacts> = targets
        .iter()
        .zip(probes.into_iter().zip(found_interpreters))
        .map(|(target, (probe, found))| {
            let interpreter = match probe {
                Probe::Done(interpreter) => Some(*interpreter),
                Probe::None | Probe::Request(_) => found,
            };
            let t = interpreters::target_tags(target, interpreter.as_ref());
            if let Some(interp) = &interpreter {
                if let Some((other, _)) = used.iter().find(|(_, path)| *path == interp.real_path) {
                    tracing::warn!(
                        "{} and {other} are the same interpreter ({}): the fallback cannot help",
                        target.name(),
                        interp.real_path.display()
                    );
                }
                used.push((target.name(), interp.real_path.clone()));
            }
            tags_sources.push((t.source, t.interpreter));
            source::TargetFacts {
                tags: t.tags,
                python: t.python,
                python_label: target.python.to_string(),
                platform_label: target.platform.to_string(),
                env: t.env,
            }
        })
        .collect();
    let direct: Vec<Vec<PackageHealth>> = map_in_parallel(&facts, |f| {
        let ctx = TargetContext {
            tags: &f.tags,
            markers: &f.env,
            python_full_version: &f.python,
            python_label: &f.python_label,
            platform_label: &f.platform_label,
        };
        assess_target(&set, &pages, &ctx, options)
    });

    let analyses: Vec<Option<Result<Analysis, String>>> = if dependencies == Dependencies::Resolved
    {
        let resolve_started = Instant::now();
        let spinner = (!globals.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(format!(
                "resolving dependencies on {} targets",
                targets.len()
            ));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        let out = resolve_all(&shared, &set, facts, options.pre);
        if let Some(bar) = spinner {
            bar.finish_and_clear();
        }
        info!(
            "resolved {} targets in {} ms",
            targets.len(),
            resolve_started.elapsed().as_millis()
        );
        out.into_iter().map(Some).collect()
    } else {
        targets.iter().map(|_| None).collect()
    };

    if let Some(dir) = &tree.lock_dir {
        let written = locks::write_all(dir, &targets, &analyses, &shared)?;
        for line in written {
            info!("{line}");
            if !globals.quiet {
                eprintln!("{line}");
            }
        }
    }

    let mut reports = Vec::new();
    for (((target, packages), analysis), (tags_source, interpreter)) in
        targets.iter().zip(direct).zip(&analyses).zip(tags_sources)
    {
        let tree = analysis.as_ref().map(|a| match a {
            Ok(done) => TreeAssessment::from_analysis(done),
            Err(message) => TreeAssessment::failed(message.clone()),
        });
        let mut report = TargetReport::new(
            target.name(),
            target.python.to_string(),
            target.platform.to_string(),
            target.role,
            tags_source,
            packages,
            tree,
            threshold,
        );
        report.interpreter = interpreter.map(|p| p.display().to_string());
        reports.push(report);
    }
    let stats = client.stats();
    let projects = if dependencies == Dependencies::Resolved {
        shared.projects_seen()
    } else {
        names.len()
    };
    let report = Report::new(
        reports,
        dependencies,
        threshold,
        sources.iter().map(source_label).collect(),
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
    // Speculative fetches still in flight are abandoned, not awaited.
    runtime.shutdown_background();
    info!(
        "verdict: {} ({} projects, {} requests, {} ms)",
        report.verdict.describe(),
        report.stats.projects,
        report.stats.requests,
        report.stats.elapsed_ms
    );
    Ok((report, index))
}

/// `items.iter().map(f).collect()`, spread over one thread per core (the calling thread is
/// one of them), order kept. Direct assessment is pure CPU work per target over every file of
/// every page; on a warm run it is a good share of the run.
fn map_in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    // Interleaved shares (thread t takes items t, t + threads, ...) balance targets of
    // different cost.
    let share = move |t: usize| {
        items
            .iter()
            .enumerate()
            .skip(t)
            .step_by(threads)
            .map(|(i, item)| (i, f(item)))
            .collect::<Vec<_>>()
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads)
            .map(|t| scope.spawn(move || share(t)))
            .collect();
        let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
        let mut place = |part: Vec<(usize, R)>| {
            for (i, r) in part {
                out[i] = Some(r);
            }
        };
        place(share(0));
        for handle in handles {
            match handle.join() {
                Ok(part) => place(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out.into_iter().flatten().collect()
    })
}

/// Resolves every target on its own thread over the shared fetch layer. A source failure
/// becomes the target's error message (no conclusion), never a missing wheel.
fn resolve_all(
    shared: &Arc<source::Shared>,
    set: &RequirementSet,
    facts: Vec<source::TargetFacts>,
    pre: bool,
) -> Vec<Result<Analysis, String>> {
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
                    let env = facts.env.clone();
                    let source = source::TargetSource::new(Arc::clone(shared), facts);
                    let request = resolve::Request {
                        requirements,
                        constraints,
                        env: &env,
                        allow_prerelease: pre,
                    };
                    resolve::analyze(&source, &request).map_err(|e| {
                        let mut message = e.to_string();
                        let mut cause = std::error::Error::source(&e);
                        while let Some(c) = cause {
                            message.push_str(": ");
                            message.push_str(&c.to_string());
                            cause = c.source();
                        }
                        crate::index::redact_text(&message)
                    })
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

/// Every requirement on one target. Requirements naming the same project narrow each other
/// (as an installer combines them) when their markers apply to the target; constraints
/// narrow too.
fn assess_target(
    set: &RequirementSet,
    pages: &Pages,
    ctx: &TargetContext<'_>,
    options: Options,
) -> Vec<PackageHealth> {
    let applies = |r: &Requirement| r.evaluate_markers(ctx.markers, &[]);
    let specifiers = |r: &DeclaredRequirement| match &r.requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(s)) if applies(&r.requirement) => Some(s.clone()),
        _ => None,
    };
    // A lock may pin one project twice, each version under its own markers (uv's conflict
    // sets): locked pins do not narrow each other, each entry is assessed on its own.
    let narrowing: Vec<(PackageName, VersionSpecifiers, bool)> = set
        .requirements
        .iter()
        .chain(&set.constraints)
        .filter_map(|r| specifiers(r).map(|s| (r.requirement.name.clone(), s, r.locked)))
        .collect();
    set.requirements
        .iter()
        .map(|declared| {
            let req = &declared.requirement;
            let own = specifiers(declared);
            let constraints: Vec<&VersionSpecifiers> = narrowing
                .iter()
                .filter(|(name, s, locked)| {
                    name == &req.name && Some(s) != own.as_ref() && !(declared.locked && *locked)
                })
                .map(|(_, s, _)| s)
                .collect();
            let lookup = match pages.get(&req.name) {
                Some(Ok(Some(page))) => Lookup::Found(page),
                Some(Ok(None)) => Lookup::NotFound,
                Some(Err(message)) => Lookup::Error(message),
                None => Lookup::Error("not fetched"),
            };
            let mut health = health::assess(req, lookup, &constraints, ctx, options);
            health.requirement.clone_from(&declared.raw);
            health
        })
        .collect()
}
