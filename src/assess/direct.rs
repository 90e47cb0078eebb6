//! The direct view: each project's index page fetched once (concurrently, with a progress
//! bar), then every direct requirement assessed on every target by the health policy
//! ([`crate::health`]), targets spread over the cores.

use std::collections::HashMap;
use std::sync::Arc;

use pep440_rs::VersionSpecifiers;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};

use super::source;
use crate::dist::ProjectPage;
use crate::health::{self, Lookup, Options, PackageHealth, TargetContext};
use crate::printer::Printer;
use crate::requirements::{DeclaredRequirement, RequirementSet};

pub(crate) type Pages = HashMap<PackageName, Result<Option<Arc<ProjectPage>>, String>>;

/// Fetches every named project once, concurrently.
pub(crate) fn fetch_pages(
    runtime: &tokio::runtime::Runtime,
    shared: &source::Shared,
    names: Vec<PackageName>,
    printer: Printer,
) -> Pages {
    let bar = printer.shows_progress().then(|| {
        printer.progress_bar(
            names.len() as u64,
            "{spinner} fetching index pages {pos}/{len} {wide_msg}",
        )
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

/// `items.iter().map(f).collect()`, spread over one thread per core (the calling thread is
/// one of them), order kept. Direct assessment is pure CPU work per target over every file of
/// every page; on a warm run it is a good share of the run.
pub(crate) fn map_in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
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

/// Every requirement on one target. Requirements naming the same project narrow each other
/// (as an installer combines them) when their markers apply to the target; constraints
/// narrow too.
pub(crate) fn assess_target(
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
    let narrowing: Vec<(PackageName, VersionSpecifiers)> = set
        .requirements
        .iter()
        .chain(&set.constraints)
        .filter_map(|r| specifiers(r).map(|s| (r.requirement.name.clone(), s)))
        .collect();
    set.requirements
        .iter()
        .map(|declared| {
            let req = &declared.requirement;
            let own = specifiers(declared);
            let constraints: Vec<&VersionSpecifiers> = narrowing
                .iter()
                .filter(|(name, s)| name == &req.name && Some(s) != own.as_ref())
                .map(|(_, s)| s)
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
