//! Transitive resolution for one target, and the analysis `wheelwatch check` reports: which
//! packages need a source build by default, what a wheel-only install downgrades and why, and
//! which packages block a wheel-only install. Pure: every fact about the index comes through the
//! synchronous [`PackageSource`] trait, which the I/O layer implements (blocking on its async
//! fetches). Not owned here: wheel tags and targets (the source says, per version, whether a
//! compatible wheel exists), requirement files, printing.
//!
//! # Semantics (pip's, applied by a PubGrub solver)
//!
//! - Markers are evaluated against the target's [`MarkerEnvironment`]; direct references
//!   (`name @ url`) among the user's requirements are skipped (the caller reports them).
//! - Extras: `name[extra]` is a virtual package pinned to the same version as `name` (as uv
//!   does); it carries only the requirements the extra activates. Self-references (`a[all]`
//!   needing `a[x]`) and dependency cycles are ordinary graph edges.
//! - Candidates: a version is usable when its `requires-python` admits the target and it has a
//!   compatible wheel (or, in the default mode, an sdist). Yanked versions are skipped unless a
//!   requirement pins them with `==`. A version whose own metadata excludes the target's Python
//!   is rejected with that reason.
//! - Pre-releases (PEP 440, as pip's `CandidateEvaluator` applies `SpecifierSet.filter`): a
//!   package gets its newest usable final release in range; a pre-release only when
//!   `allow_prerelease` is set, when a requirement on the package names a pre-release
//!   (`>=2.0b1`), or when no usable final release matches the *declared* requirements on it
//!   (the intersection of every requirement on the package seen in the run, constraints
//!   applied). When final releases match but conflict, the resolution backtracks elsewhere or
//!   fails; it does not fall back to a pre-release (the range PubGrub derives while
//!   backtracking does not count as declared).
//! - Constraints narrow the range of every requirement on their package but add no package.
//! - Preference: newest first. Versions are chosen by binary search in per-mode sorted lists (one
//!   search per range segment), never by scanning all candidates.
//!
//! # Modes and the analysis ([`analyze`])
//!
//! 1. The default resolution (wheels or sdists). If it fails the requirements conflict: the
//!    PubGrub explanation is reported and nothing else is computed.
//! 2. The wheel-only resolution (`--only-binary :all:`). When it succeeds, every package whose
//!    version went down is a [`Downgrade`], with the first reason that holds: the default version
//!    has no compatible wheel; a package of the wheel-only resolution excludes it; one of its own
//!    requirements has no version with a wheel; otherwise, it conflicts with other wheel-only
//!    choices.
//! 3. When the wheel-only resolution fails, blockers are found by *iterative relaxation*: from the
//!    failure's derivation tree take every "no version of P in R" fact where R holds a version
//!    usable by default (i.e. the fact is true only because wheels are missing); allow those
//!    packages to fall back to an sdist (they still prefer a version with a wheel) and resolve
//!    again; repeat until a resolution exists. Each round adds at least one package, so it ends;
//!    it cannot fail for a reason unrelated to wheels, since a derivation made only of facts
//!    that also hold in the default mode would make the default resolution fail too. The
//!    [`Blocker`]s are the packages that the final relaxed resolution still builds from source:
//!    building exactly them (and everything else from wheels) installs the project, and each
//!    appeared in a proof that the wheel-only resolution is impossible. When alternatives exist
//!    (A 2 needs P, A 1 needs Q, neither has a wheel), the set is sufficient, not necessarily the
//!    smallest. Each blocker comes with its dependency paths from the user's requirements and
//!    the newest version of it that has a compatible wheel.
//!
//! # Known differences from pip
//!
//! - The declared range of the pre-release rule is the intersection of every requirement on the
//!   package seen in the run, including requirements of versions the solver has since
//!   abandoned; pip looks at the requirements of its current candidates. When abandoned
//!   requirements leave no usable final release in it, a pre-release may be taken (only where
//!   no final release is left in PubGrub's range) that pip would not consider.
//! - `==1.0` does not match a local version `1.0+cpu` (PubGrub ranges cannot express PEP 440's
//!   local-version rule); indexes that need local versions are rare outside PyTorch's.
//! - A URL in a *dependency's* metadata is resolved by name from the index.
//! - `requires-python` is per version (the source merges its files); pip checks it per file.
//!
//! The `Ranges` type in [`PrefetchHint`] is `pubgrub::Ranges<Version>`, the same
//! `version-ranges` crate that `pep440_rs` converts specifiers into (one version in the lock
//! file), so `Ranges::from(specifiers)` works across both.
//!
//! # Latency
//!
//! The solver is sequential, so the source gets [`PackageSource::prefetch`] hints as soon as a
//! requirement is seen (the user's at start, each package's when its metadata arrives): the name,
//! the range and the mode, plus [`PrefetchHint::likely_version`] to pick the version whose
//! metadata will most likely be asked for next. A source that fetches hinted pages and metadata
//! concurrently makes resolution cost about one round trip per level of the dependency graph.
//! When the solver backtracks over a package (the third successively older version it chooses
//! in a run), a hint with [`PrefetchHint::versions`] names the next versions it would try, so
//! that their metadata arrives concurrently rather than one round trip per version; the next
//! batch is named when it reaches the middle of the last one. Within one [`analyze`] call every
//! page and metadata file is asked for once (a source that fetches hints shares its fetches
//! with the resolver's own requests).

mod explain;
mod solver;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::error::Error;
use std::fmt;
use std::sync::Arc;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement};
use pubgrub::{DerivationTree, External, Ranges};
use thiserror::Error;

use crate::metadata::CoreMetadata;
use explain::{Formatter, explain};
pub(crate) use solver::names_prerelease;
use solver::{DepRecord, Failed, Mode, Outcome, Pkg, RunFailure, Session};

/// One version of a package as the source sees it for the target being resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// The version.
    pub version: Version,
    /// Every file of this version is yanked (PEP 592).
    pub yanked: bool,
    /// The version's `requires-python` (as the index lists it) admits the target's Python.
    pub requires_python_ok: bool,
    /// The file name of the best wheel compatible with the target, if any.
    pub wheel: Option<String>,
    /// The version has a source distribution.
    pub has_sdist: bool,
    /// When there is no compatible wheel, a phrase that completes "`{version}` …", e.g.
    /// "has no wheel for manylinux_2_17_aarch64" or "has only a source distribution".
    pub no_wheel_reason: Option<String>,
}

/// A failure of the source (network, cache, parse); it aborts the resolution.
#[derive(Debug)]
pub(crate) struct SourceError(Box<dyn Error + Send + Sync>);

impl SourceError {
    /// Wraps any error.
    pub(crate) fn new(error: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for SourceError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// What the resolver will likely ask for next: `candidates(name)`, then
/// `metadata(name, likely_version)`; or, when [`PrefetchHint::versions`] is not empty, the
/// metadata of those versions.
#[derive(Clone, Debug)]
pub(crate) struct PrefetchHint {
    /// The package.
    pub name: PackageName,
    /// The range it is required in (constraints applied).
    pub range: Ranges<Version>,
    /// Only versions with a compatible wheel will be considered.
    pub wheel_only: bool,
    /// Pre-releases are acceptable.
    pub allow_prerelease: bool,
    /// Empty for a requirement just seen. Otherwise the resolver is backtracking over this
    /// package (its candidates are known) and will likely ask for the metadata of these
    /// versions, newest first, one after another: fetch them concurrently (their metadata only;
    /// their requirements are not hints).
    pub versions: Vec<Version>,
}

impl PrefetchHint {
    /// The version the resolver will most likely choose among `candidates`: the newest usable
    /// final release in range (pre-releases when allowed or when no final release fits).
    pub(crate) fn likely_version<'c>(&self, candidates: &'c [Candidate]) -> Option<&'c Version> {
        let fits = |c: &&Candidate| {
            !c.yanked && solver::usable(c, self.wheel_only) && self.range.contains(&c.version)
        };
        let newest_final = candidates
            .iter()
            .filter(fits)
            .filter(|c| self.allow_prerelease || !c.version.any_prerelease())
            .map(|c| &c.version)
            .max();
        newest_final.or_else(|| candidates.iter().filter(fits).map(|c| &c.version).max())
    }
}

/// Where package facts come from. Synchronous; called from one thread.
pub(crate) trait PackageSource {
    /// Every version of `name` on the index, as candidates for the target. A package that does
    /// not exist has no candidates (`Ok` of an empty slice).
    fn candidates(&self, name: &PackageName) -> Result<Arc<[Candidate]>, SourceError>;

    /// The core metadata of `name` `version` (from a wheel when one exists, else the sdist's
    /// `PKG-INFO`; see [`CoreMetadata::dependencies_unknown`]).
    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CoreMetadata>, SourceError>;

    /// A hint that these will be needed soon; fetch them concurrently. Default: nothing.
    fn prefetch(&self, _hints: &[PrefetchHint]) {}
}

/// One resolution request: one target's requirements and marker environment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    /// The requirements to resolve (direct references are skipped).
    pub requirements: &'a [Requirement],
    /// Constraints: they narrow versions, never add packages.
    pub constraints: &'a [Requirement],
    /// The target's marker environment.
    pub env: &'a MarkerEnvironment,
    /// Accept pre-releases everywhere (`--pre`).
    pub allow_prerelease: bool,
}

/// A resolution failure.
#[derive(Debug, Error)]
pub(crate) enum ResolveError {
    /// No set of versions satisfies the requirements; the message explains why. Only the
    /// single-mode resolutions the unit tests run fail this way; [`analyze`] reports
    /// conflicts inside its [`Analysis`].
    #[cfg(test)]
    #[error("no resolution exists:\n{explanation}")]
    NoSolution {
        /// The solver's explanation, one sentence per line.
        explanation: String,
    },
    /// The versions of a package could not be listed.
    #[error("failed to list the versions of `{name}`")]
    Candidates {
        /// The package.
        name: PackageName,
        /// The cause.
        #[source]
        source: SourceError,
    },
    /// The metadata of a version could not be read.
    #[error("failed to read the metadata of `{name}` {version}")]
    Metadata {
        /// The package.
        name: PackageName,
        /// The version.
        version: Version,
        /// The cause.
        #[source]
        source: SourceError,
    },
}

/// A requirement of a resolved package (several declarations of one name merged).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dependency {
    /// The required package.
    pub name: PackageName,
    /// The extras requested.
    pub extras: Vec<ExtraName>,
    /// The declared specifiers (empty: any version).
    pub specifiers: VersionSpecifiers,
}

/// One package of a resolution.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedPackage {
    /// The package.
    pub name: PackageName,
    /// The chosen version.
    pub version: Version,
    /// The extras that are active.
    pub extras: Vec<ExtraName>,
    /// The compatible wheel that would be installed.
    pub wheel: Option<String>,
    /// No compatible wheel: pip would build the sdist.
    pub needs_build: bool,
    /// The metadata came from an sdist that does not declare its dependencies statically:
    /// `requires` may be incomplete.
    pub dependencies_unknown: bool,
    /// Paths from a direct requirement to this package, inclusive (`[fastapi, pydantic,
    /// pydantic-core]`; `[fastapi]` for a direct requirement). One shortest path through each
    /// distinct package that requires it.
    pub required_by: Vec<Vec<PackageName>>,
    /// The requirements it (and its active extras) declares for this target.
    pub requires: Vec<Dependency>,
}

/// A set of packages satisfying the requirements on one target.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolution {
    /// Sorted by name.
    pub packages: Vec<ResolvedPackage>,
    /// The user's requirements as they apply to this target.
    pub direct: Vec<Dependency>,
}

impl Resolution {
    /// The package named `name`.
    pub fn get(&self, name: &PackageName) -> Option<&ResolvedPackage> {
        self.packages
            .binary_search_by(|p| p.name.cmp(name))
            .ok()
            .map(|i| &self.packages[i])
    }

    /// The packages pip would build from source.
    pub fn needs_build(&self) -> impl Iterator<Item = &ResolvedPackage> {
        self.packages.iter().filter(|p| p.needs_build)
    }
}

/// Why a wheel-only install uses an older version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DowngradeReason {
    /// The default version has no compatible wheel.
    NoWheel {
        /// The default version.
        version: Version,
        /// The source's phrase ("has no wheel for manylinux_2_17_aarch64").
        detail: String,
    },
    /// Packages of the wheel-only resolution exclude the default version.
    Constrained {
        /// The downgraded package.
        package: PackageName,
        /// `(requirer, its version, its specifiers on package)`.
        by: Vec<(PackageName, Version, VersionSpecifiers)>,
    },
    /// The default version requires a package with no wheel in the required range.
    DependencyWithoutWheel {
        /// The default version.
        version: Version,
        /// The requirement.
        dependency: Dependency,
    },
    /// The default version's requirements conflict with the other wheel-only choices.
    Conflict {
        /// The default version.
        version: Version,
    },
}

impl fmt::Display for DowngradeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DowngradeReason::NoWheel { version, detail } => write!(f, "{version} {detail}"),
            DowngradeReason::Constrained { package, by } => {
                let parts: Vec<String> = by
                    .iter()
                    .map(|(name, version, specs)| {
                        format!(
                            "{name} {version} requires {}",
                            requirement_text(package, specs)
                        )
                    })
                    .collect();
                f.write_str(&parts.join("; "))
            }
            DowngradeReason::DependencyWithoutWheel {
                version,
                dependency,
            } => write!(
                f,
                "{version} requires {}, which has no compatible wheel",
                requirement_text(&dependency.name, &dependency.specifiers)
            ),
            DowngradeReason::Conflict { version } => {
                write!(f, "{version} conflicts with the other wheel-only choices")
            }
        }
    }
}

/// `numpy <2.3`, or `numpy` when any version will do.
fn requirement_text(name: &PackageName, specs: &VersionSpecifiers) -> String {
    if specs.iter().next().is_none() {
        name.to_string()
    } else {
        format!("{name} {specs}")
    }
}

/// A package the wheel-only resolution installs at an older version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Downgrade {
    /// The package.
    pub name: PackageName,
    /// The default version.
    pub from: Version,
    /// The wheel-only version.
    pub to: Version,
    /// Why.
    pub reason: DowngradeReason,
}

impl fmt::Display for Downgrade {
    /// `numpy 2.5.5 → 2.2.6: 2.5.5 has no wheel for manylinux_2_17_aarch64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} → {}: {}",
            self.name, self.from, self.to, self.reason
        )
    }
}

/// A package without which no wheel-only resolution exists.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Blocker {
    /// The package.
    pub name: PackageName,
    /// The version that would be built from source.
    pub version: Version,
    /// Dependency paths from the user's requirements, inclusive.
    pub paths: Vec<Vec<PackageName>>,
    /// The newest version with a compatible wheel (outside the required range, or it would
    /// not block), if any.
    pub newest_with_wheel: Option<Version>,
    /// Why, e.g. "no version of pydantic-core matching ==2.33.2 has a compatible wheel: 2.33.2
    /// has no wheel for manylinux_2_17_aarch64".
    pub reason: String,
}

/// Everything `check` reports for one target.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Analysis {
    /// What pip installs by default; `None` when the requirements conflict.
    pub default: Option<Resolution>,
    /// The `--only-binary :all:` resolution, when one exists.
    pub wheel_only: Option<Resolution>,
    /// Packages whose wheel-only version is older than the default one.
    pub downgrades: Vec<Downgrade>,
    /// When no wheel-only resolution exists: every package that blocks it.
    pub blockers: Vec<Blocker>,
    /// When no wheel-only resolution exists: the resolution that builds only the blockers.
    pub relaxed: Option<Resolution>,
    /// Why the default resolution fails (the requirements conflict).
    pub conflict: Option<String>,
    /// Why the wheel-only resolution fails (the first failure's explanation).
    pub wheel_only_conflict: Option<String>,
}

#[cfg(test)]
/// Resolves what pip would install by default (newest versions, sdists allowed).
pub(crate) fn resolve_default<S: PackageSource + ?Sized>(
    source: &S,
    request: &Request<'_>,
) -> Result<Resolution, ResolveError> {
    resolve_in(source, request, Mode::Default)
}

#[cfg(test)]
/// Resolves with `--only-binary :all:` semantics: only versions with a compatible wheel.
pub(crate) fn resolve_wheel_only<S: PackageSource + ?Sized>(
    source: &S,
    request: &Request<'_>,
) -> Result<Resolution, ResolveError> {
    resolve_in(source, request, Mode::WheelOnly)
}

#[cfg(test)]
fn resolve_in<S: PackageSource + ?Sized>(
    source: &S,
    request: &Request<'_>,
    mode: Mode,
) -> Result<Resolution, ResolveError> {
    let session = Session::new(source, request);
    match session.run(mode) {
        Ok(outcome) => Ok(build_resolution(&session, &outcome)),
        Err(RunFailure::NoSolution(failed)) => Err(ResolveError::NoSolution {
            explanation: explain_failure(&session, &failed),
        }),
        Err(RunFailure::Source(e)) => Err(e),
    }
}

fn explain_failure<S: PackageSource + ?Sized>(session: &Session<'_, S>, failed: &Failed) -> String {
    let versions = session.versions.borrow();
    explain(
        &failed.tree,
        &Formatter {
            versions: &versions,
            mode: &failed.mode,
            python: &session.python,
            pre_excluded: &failed.pre_excluded,
        },
    )
}

/// Upper bound on relaxation rounds; each round adds at least one package, so this is only a
/// guard against a solver surprise.
const MAX_RELAXATION_ROUNDS: usize = 200;

/// Runs the default and wheel-only resolutions and derives the report (see the module doc).
/// Errors only when the source fails; conflicts are part of the [`Analysis`].
pub(crate) fn analyze<S: PackageSource + ?Sized>(
    source: &S,
    request: &Request<'_>,
) -> Result<Analysis, ResolveError> {
    let session = Session::new(source, request);
    let mut analysis = Analysis {
        default: None,
        wheel_only: None,
        downgrades: Vec::new(),
        blockers: Vec::new(),
        relaxed: None,
        conflict: None,
        wheel_only_conflict: None,
    };
    let default = match session.run(Mode::Default) {
        Ok(outcome) => outcome,
        Err(RunFailure::NoSolution(failed)) => {
            analysis.conflict = Some(explain_failure(&session, &failed));
            return Ok(analysis);
        }
        Err(RunFailure::Source(e)) => return Err(e),
    };
    let default_resolution = build_resolution(&session, &default);
    match session.run(Mode::WheelOnly) {
        Ok(outcome) => {
            let wheel_only = build_resolution(&session, &outcome);
            analysis.downgrades = downgrades(&session, &default_resolution, &wheel_only);
            analysis.wheel_only = Some(wheel_only);
        }
        Err(RunFailure::Source(e)) => return Err(e),
        Err(RunFailure::NoSolution(failed)) => {
            analysis.wheel_only_conflict = Some(explain_failure(&session, &failed));
            let mut relaxed: HashSet<PackageName> = HashSet::new();
            let mut failed = failed;
            for _ in 0..MAX_RELAXATION_ROUNDS {
                let before = relaxed.len();
                wheel_blockers(&session, &failed, &mut relaxed);
                if relaxed.len() == before {
                    // Cannot happen (see the module doc); report what is known.
                    break;
                }
                match session.run(Mode::Relaxed(relaxed.clone())) {
                    Ok(outcome) => {
                        let resolution = build_resolution(&session, &outcome);
                        analysis.blockers = blockers(&session, &resolution);
                        analysis.relaxed = Some(resolution);
                        break;
                    }
                    Err(RunFailure::Source(e)) => return Err(e),
                    Err(RunFailure::NoSolution(next)) => failed = next,
                }
            }
        }
    }
    analysis.default = Some(default_resolution);
    Ok(analysis)
}

/// Adds to `relaxed` every package with a "no version in R" fact in the failed run's tree that
/// holds only because wheels are missing (a pre-release the pre-release rule excluded does not
/// count as usable by default).
fn wheel_blockers<S: PackageSource + ?Sized>(
    session: &Session<'_, S>,
    failed: &Failed,
    relaxed: &mut HashSet<PackageName>,
) {
    let mut stack = vec![&failed.tree];
    while let Some(node) = stack.pop() {
        match node {
            DerivationTree::Derived(derived) => {
                stack.push(&derived.cause1);
                stack.push(&derived.cause2);
            }
            DerivationTree::External(External::NoVersions(pkg, range)) => {
                if let Some(name) = pkg.name()
                    && !relaxed.contains(name)
                    && session.cached_versions(name).is_some_and(|v| {
                        if failed.pre_excluded.contains(name) {
                            v.any_final_in(range, false)
                        } else {
                            v.any_usable_in(range, false)
                        }
                    })
                {
                    relaxed.insert(name.clone());
                }
            }
            DerivationTree::External(_) => {}
        }
    }
}

fn to_dependency(rec: &DepRecord) -> Dependency {
    Dependency {
        name: rec.name.clone(),
        extras: rec.extras.clone(),
        specifiers: rec.specifiers.clone(),
    }
}

fn merge_dependency(into: &mut Vec<Dependency>, rec: &DepRecord) {
    if let Some(d) = into.iter_mut().find(|d| d.name == rec.name) {
        for extra in &rec.extras {
            if !d.extras.contains(extra) {
                d.extras.push(extra.clone());
            }
        }
        for spec in rec.specifiers.iter() {
            if !d.specifiers.iter().any(|s| s == spec) {
                d.specifiers = d
                    .specifiers
                    .iter()
                    .chain(std::iter::once(spec))
                    .cloned()
                    .collect();
            }
        }
    } else {
        into.push(to_dependency(rec));
    }
}

fn build_resolution<S: PackageSource + ?Sized>(
    session: &Session<'_, S>,
    outcome: &Outcome,
) -> Resolution {
    // Collect packages (base nodes) and attach extras' requirements to their base.
    let mut packages: BTreeMap<PackageName, ResolvedPackage> = BTreeMap::new();
    for (pkg, version) in &outcome.selected {
        if let Pkg::Package(name) = pkg {
            let candidate = session
                .cached_versions(name)
                .and_then(|v| v.get(version).cloned());
            let wheel = candidate.and_then(|c| c.wheel);
            packages.insert(
                name.clone(),
                ResolvedPackage {
                    name: name.clone(),
                    version: version.clone(),
                    extras: Vec::new(),
                    needs_build: wheel.is_none(),
                    wheel,
                    dependencies_unknown: session
                        .metadata(name, version)
                        .is_ok_and(|md| md.dependencies_unknown),
                    required_by: Vec::new(),
                    requires: Vec::new(),
                },
            );
        }
    }
    let mut nodes: Vec<(&Pkg, &Version)> = outcome.selected.iter().collect();
    nodes.sort();
    for (pkg, version) in nodes {
        let Some(name) = pkg.name() else { continue };
        let Some(package) = packages.get_mut(name) else {
            continue;
        };
        if let Pkg::Extra(_, extra) = pkg {
            package.extras.push(extra.clone());
        }
        if let Some(records) = outcome.deps.get(&(pkg.clone(), version.clone())) {
            for rec in records.iter() {
                if &rec.name != name {
                    merge_dependency(&mut package.requires, rec);
                }
            }
        }
    }
    let direct: Vec<Dependency> = session.root.iter().map(to_dependency).collect();
    let paths = paths(&direct, &packages);
    for (name, package) in &mut packages {
        package.required_by = paths.get(name).cloned().unwrap_or_default();
    }
    Resolution {
        packages: packages.into_values().collect(),
        direct,
    }
}

/// One shortest path from the direct requirements through each distinct requirer.
fn paths<'a>(
    direct: &'a [Dependency],
    packages: &'a BTreeMap<PackageName, ResolvedPackage>,
) -> HashMap<PackageName, Vec<Vec<PackageName>>> {
    // Breadth-first from the direct requirements, in sorted order, for stable shortest paths.
    let mut parent: HashMap<&'a PackageName, Option<&'a PackageName>> = HashMap::new();
    let mut queue = VecDeque::new();
    let mut roots: Vec<&PackageName> = direct
        .iter()
        .map(|d| &d.name)
        .filter(|n| packages.contains_key(*n))
        .collect();
    roots.sort();
    for root in roots {
        if parent.insert(root, None).is_none() {
            queue.push_back(root);
        }
    }
    while let Some(name) = queue.pop_front() {
        let Some(package) = packages.get(name) else {
            continue;
        };
        let mut children: Vec<&PackageName> = package.requires.iter().map(|d| &d.name).collect();
        children.sort();
        for child in children {
            if packages.contains_key(child) && !parent.contains_key(child) {
                parent.insert(child, Some(name));
                queue.push_back(child);
            }
        }
    }
    let shortest = |mut name: &'a PackageName| {
        let mut path = vec![name.clone()];
        while let Some(Some(p)) = parent.get(name) {
            path.push((*p).clone());
            name = p;
        }
        path.reverse();
        path
    };
    let mut requirers: HashMap<&PackageName, Vec<&PackageName>> = HashMap::new();
    for package in packages.values() {
        for dep in &package.requires {
            if dep.name != package.name {
                requirers.entry(&dep.name).or_default().push(&package.name);
            }
        }
    }
    let is_direct: HashSet<&PackageName> = direct.iter().map(|d| &d.name).collect();
    let mut out = HashMap::new();
    for name in packages.keys() {
        let mut found: Vec<Vec<PackageName>> = Vec::new();
        if is_direct.contains(name) {
            found.push(vec![name.clone()]);
        }
        let mut via: Vec<Vec<PackageName>> = requirers
            .get(name)
            .into_iter()
            .flatten()
            .filter(|p| parent.contains_key(*p))
            .map(|p| shortest(p))
            .filter(|path| !path.contains(name))
            .map(|mut path| {
                path.push(name.clone());
                path
            })
            .collect();
        via.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        found.extend(via);
        out.insert(name.clone(), found);
    }
    out
}

fn downgrades<S: PackageSource + ?Sized>(
    session: &Session<'_, S>,
    default: &Resolution,
    wheel_only: &Resolution,
) -> Vec<Downgrade> {
    let mut out = Vec::new();
    for to in &wheel_only.packages {
        let Some(from) = default.get(&to.name) else {
            continue;
        };
        if to.version >= from.version {
            continue;
        }
        let versions = session.cached_versions(&from.name);
        let candidate = versions.as_ref().and_then(|v| v.get(&from.version));
        let reason = if let Some(c) = candidate.filter(|c| c.wheel.is_none()) {
            DowngradeReason::NoWheel {
                version: from.version.clone(),
                detail: c
                    .no_wheel_reason
                    .clone()
                    .unwrap_or_else(|| "has no compatible wheel".to_string()),
            }
        } else {
            let by: Vec<(PackageName, Version, VersionSpecifiers)> = wheel_only
                .packages
                .iter()
                .flat_map(|p| {
                    p.requires
                        .iter()
                        .filter(|d| {
                            d.name == to.name
                                && !Ranges::from(d.specifiers.clone()).contains(&from.version)
                        })
                        .map(|d| (p.name.clone(), p.version.clone(), d.specifiers.clone()))
                })
                .collect();
            if by.is_empty() {
                let without_wheel = from.requires.iter().find(|d| {
                    session.cached_versions(&d.name).is_some_and(|v| {
                        !v.any_usable_in(&Ranges::from(d.specifiers.clone()), true)
                    })
                });
                match without_wheel {
                    Some(d) => DowngradeReason::DependencyWithoutWheel {
                        version: from.version.clone(),
                        dependency: d.clone(),
                    },
                    None => DowngradeReason::Conflict {
                        version: from.version.clone(),
                    },
                }
            } else {
                DowngradeReason::Constrained {
                    package: to.name.clone(),
                    by,
                }
            }
        };
        out.push(Downgrade {
            name: to.name.clone(),
            from: from.version.clone(),
            to: to.version.clone(),
            reason,
        });
    }
    out
}

fn blockers<S: PackageSource + ?Sized>(
    session: &Session<'_, S>,
    relaxed: &Resolution,
) -> Vec<Blocker> {
    let mut out = Vec::new();
    for package in relaxed.needs_build() {
        let versions = session.cached_versions(&package.name);
        let mut specs: Vec<String> = Vec::new();
        let mut range = Ranges::full();
        let incoming = relaxed
            .direct
            .iter()
            .chain(relaxed.packages.iter().flat_map(|p| p.requires.iter()))
            .filter(|d| d.name == package.name);
        for dep in incoming {
            range = range.intersection(&Ranges::from(dep.specifiers.clone()));
            for spec in dep.specifiers.iter() {
                let spec = spec.to_string();
                if !specs.contains(&spec) {
                    specs.push(spec);
                }
            }
        }
        let matching = if specs.is_empty() {
            String::new()
        } else {
            format!(" matching {}", specs.join(", "))
        };
        let mut reason = match versions
            .as_ref()
            .and_then(|v| v.choose(&range, true, solver::Prereleases::Allowed, &[]))
        {
            None => format!(
                "no version of {}{matching} has a compatible wheel",
                package.name
            ),
            Some(v) => format!(
                "{} {v} has a compatible wheel but conflicts with the other wheel-only choices",
                package.name
            ),
        };
        if let Some(detail) = versions
            .as_ref()
            .and_then(|v| v.get(&package.version))
            .and_then(|c| c.no_wheel_reason.clone())
        {
            reason = format!("{reason}: {} {detail}", package.version);
        }
        out.push(Blocker {
            name: package.name.clone(),
            version: package.version.clone(),
            paths: package.required_by.clone(),
            newest_with_wheel: versions
                .as_ref()
                .and_then(|v| v.newest_with_wheel(session.allow_prerelease).cloned()),
            reason,
        });
    }
    out
}

#[cfg(test)]
mod tests;
