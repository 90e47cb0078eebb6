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
