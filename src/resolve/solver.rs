//! The PubGrub dependency provider: one [`Session`] (caches shared by every run of one
//! analysis) and one [`Run`] per resolution mode. See the parent module doc for the semantics.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, DerivationTree,
    PackageResolutionStatistics, PubGrubError, Ranges,
};

use super::{Candidate, PackageSource, PrefetchHint, Request, ResolveError};
use crate::metadata::CoreMetadata;

/// A node of the PubGrub graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Pkg {
    /// The user's requirements.
    Root,
    /// A distribution.
    Package(PackageName),
    /// A distribution with one extra: pinned to the same version as [`Pkg::Package`], it
    /// carries the extra's additional dependencies (as uv does).
    Extra(PackageName, ExtraName),
}

impl Pkg {
    pub(crate) fn name(&self) -> Option<&PackageName> {
        match self {
            Pkg::Root => None,
            Pkg::Package(name) | Pkg::Extra(name, _) => Some(name),
        }
    }
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("your requirements"),
            Pkg::Package(name) => write!(f, "{name}"),
            Pkg::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}

/// Why a chosen version cannot be used (a PubGrub "custom" incompatibility).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// The version's own metadata excludes the target's Python.
    RequiresPython(VersionSpecifiers),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unusable::RequiresPython(spec) => write!(f, "requires Python {spec}"),
        }
    }
}

pub(crate) type Tree = DerivationTree<Pkg, Ranges<Version>, Unusable>;

/// One requirement edge as declared (several requirements on the same name are merged).
#[derive(Clone, Debug)]
pub(crate) struct DepRecord {
    pub(crate) name: PackageName,
    pub(crate) extras: Vec<ExtraName>,
    /// The declared specifiers (empty: any version).
    pub(crate) specifiers: VersionSpecifiers,
    /// The range PubGrub sees: the specifiers narrowed by any constraint on `name`.
    pub(crate) range: Ranges<Version>,
}

/// After how many choices of one package in a run the solver counts as backtracking over it.
const BACKTRACK_AFTER: u32 = 3;

/// How many versions one backtracking prefetch hint names.
const BACKTRACK_BATCH: usize = 16;

/// Whether a version can be installed: by wheel only, or by wheel or sdist.
pub(crate) fn usable(c: &Candidate, wheel_only: bool) -> bool {
    c.requires_python_ok && (c.wheel.is_some() || (!wheel_only && c.has_sdist))
}

/// One package's candidates, sorted, with per-mode indexes so that choosing a version is a
/// binary search per range segment rather than a scan.
#[derive(Debug)]
pub(crate) struct Versions {
    /// Ascending by version, one entry per version.
    pub(crate) all: Vec<Candidate>,
    /// `lists[wheel_only as usize][prerelease as usize]`: indexes into `all` of the usable,
    /// non-yanked versions, ascending.
    lists: [[Vec<usize>; 2]; 2],
}

impl Versions {
    pub(crate) fn new(candidates: &[Candidate]) -> Self {
        let mut all: Vec<Candidate> = candidates.to_vec();
        all.sort_by(|a, b| a.version.cmp(&b.version));
        // Merge duplicates (`1.0` and `1.0.0` are the same version).
        all.dedup_by(|later, kept| {
            if later.version == kept.version {
                kept.yanked &= later.yanked;
                kept.requires_python_ok |= later.requires_python_ok;
                kept.has_sdist |= later.has_sdist;
                if kept.wheel.is_none() && later.wheel.is_some() {
                    kept.wheel = later.wheel.take();
                    kept.no_wheel_reason = None;
                }
                true
            } else {
                false
            }
        });
        let mut lists: [[Vec<usize>; 2]; 2] = Default::default();
        for (i, c) in all.iter().enumerate() {
            if c.yanked {
                continue;
            }
            for wheel_only in [false, true] {
                if usable(c, wheel_only) {
                    lists[usize::from(wheel_only)][usize::from(c.version.any_prerelease())].push(i);
                }
            }
        }
        Self { all, lists }
    }

    pub(crate) fn get(&self, version: &Version) -> Option<&Candidate> {
        self.all
            .binary_search_by(|c| c.version.cmp(version))
            .ok()
            .map(|i| &self.all[i])
    }

    /// The newest entry of `list` inside `range`: one binary search per range segment.
    fn newest_in(&self, list: &[usize], range: &Ranges<Version>) -> Option<usize> {
        let segments: Vec<_> = range.iter().collect();
        for (lo, hi) in segments.into_iter().rev() {
            let end = list.partition_point(|&i| {
                let v = &self.all[i].version;
                match hi {
                    Bound::Included(h) => v <= h,
                    Bound::Excluded(h) => v < h,
                    Bound::Unbounded => true,
                }
            });
            if end == 0 {
                continue;
            }
            let i = list[end - 1];
            let v = &self.all[i].version;
            let above = match lo {
                Bound::Included(l) => v >= l,
                Bound::Excluded(l) => v > l,
                Bound::Unbounded => true,
            };
            if above {
                return Some(i);
            }
        }
        None
    }

    /// The newest usable version in range under `pre` (see [`Prereleases`]). Yanked versions
    /// only when pinned with `==`.
    pub(crate) fn choose(
        &self,
        range: &Ranges<Version>,
        wheel_only: bool,
        pre: Prereleases,
        pins: &[Version],
    ) -> Option<&Version> {
        let [finals, pres] = &self.lists[usize::from(wheel_only)];
        let final_pick = self.newest_in(finals, range);
        let pre_pick = || self.newest_in(pres, range);
        let mut best = match (final_pick, pre) {
            (Some(f), Prereleases::Allowed) => Some(pre_pick().map_or(f, |p| f.max(p))),
            (Some(f), _) => Some(f),
            (None, Prereleases::Allowed | Prereleases::IfNoFinal) => pre_pick(),
            (None, Prereleases::No) => None,
        };
        for pin in pins {
            if !range.contains(pin) {
                continue;
            }
            if let Ok(i) = self.all.binary_search_by(|c| c.version.cmp(pin)) {
                let c = &self.all[i];
                if c.yanked && usable(c, wheel_only) && best.is_none_or(|b| i > b) {
                    best = Some(i);
                }
            }
        }
        best.map(|i| &self.all[i].version)
    }

    /// The newest version with a compatible wheel (finals first), ignoring ranges.
    pub(crate) fn newest_with_wheel(&self, prerelease_allowed: bool) -> Option<&Version> {
        let pre = if prerelease_allowed {
            Prereleases::Allowed
        } else {
            Prereleases::IfNoFinal
        };
        self.choose(&Ranges::full(), true, pre, &[])
    }

    /// Whether any version in `range` is usable in the given mode (pre-release rule ignored).
    pub(crate) fn any_usable_in(&self, range: &Ranges<Version>, wheel_only: bool) -> bool {
        let [finals, pres] = &self.lists[usize::from(wheel_only)];
        self.newest_in(finals, range).is_some() || self.newest_in(pres, range).is_some()
    }

    /// Whether a usable, non-yanked final release lies in `range`.
    pub(crate) fn any_final_in(&self, range: &Ranges<Version>, wheel_only: bool) -> bool {
        let [finals, _] = &self.lists[usize::from(wheel_only)];
        self.newest_in(finals, range).is_some()
    }

    /// Up to `limit` usable, non-yanked versions in `range` older than `below`, newest first,
    /// under `pre`: the versions a resolver backtracking over this package will likely try
    /// next.
    pub(crate) fn next_below(
        &self,
        range: &Ranges<Version>,
        below: &Version,
        wheel_only: bool,
        pre: Prereleases,
        limit: usize,
    ) -> Vec<Version> {
        let [finals, pres] = &self.lists[usize::from(wheel_only)];
        let older = |list: &[usize]| -> Vec<usize> {
            let end = list.partition_point(|&i| &self.all[i].version < below);
            list[..end]
                .iter()
                .rev()
                .copied()
                .filter(|&i| range.contains(&self.all[i].version))
                .take(limit)
                .collect()
        };
        let mut picked = older(finals);
        match pre {
            Prereleases::Allowed => picked.extend(older(pres)),
            Prereleases::IfNoFinal if picked.is_empty() => picked = older(pres),
            Prereleases::IfNoFinal | Prereleases::No => {}
        }
        picked.sort_unstable_by(|a, b| b.cmp(a));
        picked.truncate(limit);
        picked
            .into_iter()
            .map(|i| self.all[i].version.clone())
            .collect()
    }
}

/// Which pre-releases a choice may take (PEP 440, as `packaging`'s `SpecifierSet.filter` and
/// pip's `CandidateEvaluator` apply it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prereleases {
    /// Like final releases: `--pre`, or a requirement on the package names a pre-release.
    Allowed,
    /// Only when no final release in the range is usable.
    IfNoFinal,
    /// Never: a usable final release matches the declared requirements, so pip would not
    /// look at pre-releases, whatever range backtracking leaves.
    No,
}

/// How versions are chosen in one run.
#[derive(Clone, Debug)]
pub(crate) enum Mode {
    /// What pip installs by default: wheels or sdists.
    Default,
    /// `--only-binary :all:`.
    WheelOnly,
    /// Wheel-only, except that the listed packages may fall back to an sdist (they still
    /// prefer any version that has a wheel).
    Relaxed(HashSet<PackageName>),
}

impl Mode {
    /// The attempts, in order: `true` = wheel-only.
    pub(crate) fn attempts(&self, name: &PackageName) -> &'static [bool] {
        match self {
            Mode::Default => &[false],
            Mode::Relaxed(set) if set.contains(name) => &[true, false],
            Mode::WheelOnly | Mode::Relaxed(_) => &[true],
        }
    }
}

/// Caches shared by every run of one analysis, plus the evaluated request.
pub(crate) struct Session<'a, S: PackageSource + ?Sized> {
    pub(crate) source: &'a S,
    pub(crate) env: &'a MarkerEnvironment,
    pub(crate) python: Version,
    pub(crate) allow_prerelease: bool,
    pub(crate) root: Vec<DepRecord>,
    constraints: HashMap<PackageName, Ranges<Version>>,
    /// Packages a constraint or a direct requirement names a pre-release for.
    root_prerelease: HashSet<PackageName>,
    root_pins: HashMap<PackageName, Vec<Version>>,
    pub(crate) versions: RefCell<HashMap<PackageName, Arc<Versions>>>,
    metadata: RefCell<HashMap<(PackageName, Version), Arc<CoreMetadata>>>,
    hinted: RefCell<HashSet<(PackageName, bool)>>,
}

/// A specifier "names a pre-release" (the `packaging` rule: any operator but `!=`).
pub(crate) fn names_prerelease(specs: &VersionSpecifiers) -> bool {
    specs.iter().any(|s| {
        !matches!(s.operator(), Operator::NotEqual | Operator::NotEqualStar)
            && s.version().any_prerelease()
    })
}

fn pins_of(specs: &VersionSpecifiers) -> impl Iterator<Item = &Version> {
    specs
        .iter()
        .filter(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual))
        .map(pep440_rs::VersionSpecifier::version)
}

fn specifiers_of(req: &Requirement) -> VersionSpecifiers {
    match &req.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specs)) => specs.clone(),
        // A URL in a dependency's metadata: the name is resolved from the index like any other
        // version (direct references of the user's own requirements are excluded up front).
        Some(VersionOrUrl::Url(_)) | None => VersionSpecifiers::empty(),
    }
}

/// Merges requirements (already filtered by markers) into one record per name.
fn merge_records<'r>(
    reqs: impl Iterator<Item = &'r Requirement>,
    constraints: &HashMap<PackageName, Ranges<Version>>,
) -> Vec<DepRecord> {
    let mut out: Vec<DepRecord> = Vec::new();
    for req in reqs {
        let specifiers = specifiers_of(req);
        let range = Ranges::from(specifiers.clone());
        if let Some(existing) = out.iter_mut().find(|r| r.name == req.name) {
            existing.range = existing.range.intersection(&range);
            existing.specifiers = existing
                .specifiers
                .iter()
                .chain(specifiers.iter())
                .cloned()
                .collect();
            for extra in &req.extras {
                if !existing.extras.contains(extra) {
                    existing.extras.push(extra.clone());
                }
            }
        } else {
            out.push(DepRecord {
                name: req.name.clone(),
                extras: req.extras.clone(),
                specifiers,
                range,
            });
        }
    }
    for rec in &mut out {
        if let Some(c) = constraints.get(&rec.name) {
            rec.range = rec.range.intersection(c);
        }
    }
    out
}

impl<'a, S: PackageSource + ?Sized> Session<'a, S> {
    pub(crate) fn new(source: &'a S, request: &Request<'a>) -> Self {
        let env = request.env;
        let applies = |r: &&Requirement| {
            !matches!(r.version_or_url, Some(VersionOrUrl::Url(_))) && r.evaluate_markers(env, &[])
        };
        let mut constraints: HashMap<PackageName, Ranges<Version>> = HashMap::new();
        let mut root_prerelease = HashSet::new();
        let mut root_pins: HashMap<PackageName, Vec<Version>> = HashMap::new();
        for c in request.constraints.iter().filter(applies) {
            let specs = specifiers_of(c);
            if names_prerelease(&specs) {
                root_prerelease.insert(c.name.clone());
            }
            root_pins
                .entry(c.name.clone())
                .or_default()
                .extend(pins_of(&specs).cloned());
            let range = Ranges::from(specs);
            let entry = constraints
                .entry(c.name.clone())
                .or_insert_with(Ranges::full);
            *entry = entry.intersection(&range);
        }
        let root = merge_records(request.requirements.iter().filter(applies), &constraints);
        for rec in &root {
            if names_prerelease(&rec.specifiers) {
                root_prerelease.insert(rec.name.clone());
            }
            root_pins
                .entry(rec.name.clone())
                .or_default()
                .extend(pins_of(&rec.specifiers).cloned());
        }
        Self {
            source,
            env,
            python: env.python_full_version().version.clone(),
            allow_prerelease: request.allow_prerelease,
            root,
            constraints,
            root_prerelease,
            root_pins,
            versions: RefCell::new(HashMap::new()),
            metadata: RefCell::new(HashMap::new()),
            hinted: RefCell::new(HashSet::new()),
        }
    }

    pub(crate) fn versions(&self, name: &PackageName) -> Result<Arc<Versions>, ResolveError> {
        if let Some(v) = self.versions.borrow().get(name) {
            return Ok(Arc::clone(v));
        }
        let candidates =
            self.source
                .candidates(name)
                .map_err(|source| ResolveError::Candidates {
                    name: name.clone(),
                    source,
                })?;
        let versions = Arc::new(Versions::new(&candidates));
        self.versions
            .borrow_mut()
            .insert(name.clone(), Arc::clone(&versions));
        Ok(versions)
    }

    pub(crate) fn cached_versions(&self, name: &PackageName) -> Option<Arc<Versions>> {
        self.versions.borrow().get(name).cloned()
    }

    pub(crate) fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CoreMetadata>, ResolveError> {
        let key = (name.clone(), version.clone());
        if let Some(md) = self.metadata.borrow().get(&key) {
            return Ok(Arc::clone(md));
        }
        let md = self
            .source
            .metadata(name, version)
            .map_err(|source| ResolveError::Metadata {
                name: name.clone(),
                version: version.clone(),
                source,
            })?;
        self.metadata.borrow_mut().insert(key, Arc::clone(&md));
        Ok(md)
    }

    /// Tells the source what will likely be needed next (once per name and mode).
    fn hint(&self, records: &[DepRecord], mode: &Mode) {
        let mut hints = Vec::new();
        {
            let mut hinted = self.hinted.borrow_mut();
            for rec in records {
                let wheel_only = mode.attempts(&rec.name)[0];
                if hinted.insert((rec.name.clone(), wheel_only)) {
                    hints.push(PrefetchHint {
                        name: rec.name.clone(),
                        range: rec.range.clone(),
                        wheel_only,
                        allow_prerelease: self.allow_prerelease
                            || names_prerelease(&rec.specifiers),
                        versions: Vec::new(),
                    });
                }
            }
        }
        if !hints.is_empty() {
            self.source.prefetch(&hints);
        }
    }

    /// Runs PubGrub once in `mode`.
    pub(crate) fn run(&self, mode: Mode) -> Result<Outcome, RunFailure> {
        let run = Run {
            session: self,
            mode,
            prerelease: RefCell::new(self.root_prerelease.clone()),
            pins: RefCell::new(self.root_pins.clone()),
            deps: RefCell::new(HashMap::new()),
            last_chosen: RefCell::new(HashMap::new()),
            order: RefCell::new(HashMap::new()),
            declared: RefCell::new(HashMap::new()),
            backtracking: RefCell::new(HashMap::new()),
            pre_excluded: RefCell::new(HashSet::new()),
        };
        self.hint(&self.root, &run.mode);
        match pubgrub::resolve(&run, Pkg::Root, Version::new([0])) {
            Ok(selected) => Ok(Outcome {
                selected: selected.into_iter().collect(),
                deps: run.deps.into_inner(),
            }),
            Err(PubGrubError::NoSolution(tree)) => Err(RunFailure::NoSolution(Box::new(Failed {
                tree,
                mode: run.mode,
                pre_excluded: run.pre_excluded.into_inner(),
            }))),
            Err(
                PubGrubError::ErrorChoosingVersion { source, .. }
                | PubGrubError::ErrorRetrievingDependencies { source, .. }
                | PubGrubError::ErrorInShouldCancel(source),
            ) => Err(RunFailure::Source(source)),
        }
    }
}

/// A successful run: the selected versions and the dependency records of each.
pub(crate) struct Outcome {
    pub(crate) selected: HashMap<Pkg, Version>,
    pub(crate) deps: DepsLog,
}

/// The dependency records of every `(node, version)` whose dependencies were asked for.
pub(crate) type DepsLog = HashMap<(Pkg, Version), Arc<Vec<DepRecord>>>;

/// A failed run.
pub(crate) enum RunFailure {
    NoSolution(Box<Failed>),
    Source(ResolveError),
}

/// A run that found no solution.
pub(crate) struct Failed {
    pub(crate) tree: Tree,
    pub(crate) mode: Mode,
    /// Packages whose only versions in some range were pre-releases the pre-release rule
    /// excluded (a "no version in R" fact about them is about pre-releases, not files).
    pub(crate) pre_excluded: HashSet<PackageName>,
}

/// The per-run state PubGrub's callbacks need.
struct Run<'s, 'a, S: PackageSource + ?Sized> {
    session: &'s Session<'a, S>,
    mode: Mode,
    /// Packages some requirement names a pre-release for.
    prerelease: RefCell<HashSet<PackageName>>,
    /// Versions pinned with `==` (a yanked version is allowed only when pinned).
    pins: RefCell<HashMap<PackageName, Vec<Version>>>,
    deps: RefCell<DepsLog>,
    /// The last version chosen per base package: extras take it when it fits.
    last_chosen: RefCell<HashMap<PackageName, Version>>,
    /// Discovery order, for a breadth-first tie-break.
    order: RefCell<HashMap<Pkg, u32>>,
    /// Per package, the intersection of every declared requirement range seen in this run
    /// (constraints applied): pip's pre-release rule looks at these, not at the range PubGrub
    /// derives while backtracking.
    declared: RefCell<HashMap<PackageName, Ranges<Version>>>,
    /// Per package, how far the solver has backtracked over it (for prefetch hints).
    backtracking: RefCell<HashMap<PackageName, Backtracking>>,
    /// Packages for which a choice found only pre-releases in range, and the pre-release rule
    /// excluded them.
    pre_excluded: RefCell<HashSet<PackageName>>,
}

/// How far the solver has gone down one package's versions in a run.
#[derive(Default)]
struct Backtracking {
    /// How many successively older versions were chosen.
    steps: u32,
    /// The oldest version chosen.
    lowest: Option<Version>,
    /// The oldest version a hint named (`None`: no hint yet).
    oldest_hinted: Option<Version>,
    /// When a choice reaches this version, the next batch is hinted (`None` with a hint
    /// given: no older version was left to name).
    refill_at: Option<Version>,
}

impl<S: PackageSource + ?Sized> Run<'_, '_, S> {
    fn note_requirements(&self, records: &[DepRecord]) {
        let mut pre = self.prerelease.borrow_mut();
        let mut pins = self.pins.borrow_mut();
        let mut declared = self.declared.borrow_mut();
        for rec in records {
            if names_prerelease(&rec.specifiers) {
                pre.insert(rec.name.clone());
            }
            declared
                .entry(rec.name.clone())
                .and_modify(|r| *r = r.intersection(&rec.range))
                .or_insert_with(|| rec.range.clone());
            for pin in pins_of(&rec.specifiers) {
                let known = pins.entry(rec.name.clone()).or_default();
                if !known.contains(pin) {
                    known.push(pin.clone());
                }
            }
        }
    }

    /// pip's pre-release rule for `name`: allowed with `--pre` or when a requirement names a
    /// pre-release; otherwise only when no usable final release lies in the *declared* range
    /// (in the mode's most permissive attempt: a relaxed package may use an sdist).
    fn prereleases(&self, name: &PackageName, versions: &Versions) -> Prereleases {
        if self.session.allow_prerelease || self.prerelease.borrow().contains(name) {
            return Prereleases::Allowed;
        }
        let wheel_only = self.mode.attempts(name).iter().all(|&w| w);
        let declared = self.declared.borrow();
        let has_final = match declared.get(name) {
            Some(range) => versions.any_final_in(range, wheel_only),
            None => versions.any_final_in(&Ranges::full(), wheel_only),
        };
        if has_final {
            Prereleases::No
        } else {
            Prereleases::IfNoFinal
        }
    }

    /// Once the solver has chosen [`BACKTRACK_AFTER`] successively older versions of `name`
    /// in this run it is backtracking over it, one metadata fetch per version: hint the next
    /// [`BACKTRACK_BATCH`] versions it would try (in `range`, older than `chosen`, same mode
    /// and pre-release rule), and the batch after that when a choice reaches the middle of the
    /// last one, so the fetches stay ahead of the solver (uv's `BatchPrefetcher` does the same).
    fn prefetch_when_backtracking(
        &self,
        name: &PackageName,
        versions: &Versions,
        range: &Ranges<Version>,
        chosen: &Version,
        wheel_only: bool,
        pre: Prereleases,
    ) {
        let mut all = self.backtracking.borrow_mut();
        let state = all.entry(name.clone()).or_default();
        if state.lowest.as_ref().is_some_and(|l| chosen >= l) {
            return;
        }
        state.lowest = Some(chosen.clone());
        state.steps += 1;
        if state.steps < BACKTRACK_AFTER {
            return;
        }
        let from = match (&state.oldest_hinted, &state.refill_at) {
            (None, _) => chosen.clone(),
            (Some(oldest), Some(refill)) if chosen <= refill => oldest.clone(),
            (Some(_), _) => return,
        };
        let next = versions.next_below(range, &from, wheel_only, pre, BACKTRACK_BATCH);
        state.refill_at = next.get(next.len() / 2).cloned();
        state.oldest_hinted = Some(next.last().cloned().unwrap_or(from));
        drop(all);
        if next.is_empty() {
            return;
        }
        self.session.source.prefetch(&[PrefetchHint {
            name: name.clone(),
            range: range.clone(),
            wheel_only,
            allow_prerelease: pre == Prereleases::Allowed,
            versions: next,
        }]);
    }

    fn constraints_for(
        pkg: &Pkg,
        pin: Option<(Pkg, Ranges<Version>)>,
        records: &[DepRecord],
    ) -> DependencyConstraints<Pkg, Ranges<Version>> {
        let mut edges: Vec<(Pkg, Ranges<Version>)> = pin.into_iter().collect();
        let mut push = |p: Pkg, r: &Ranges<Version>| {
            if &p == pkg {
                return; // a self-dependency adds nothing
            }
            if let Some((_, existing)) = edges.iter_mut().find(|(q, _)| q == &p) {
                *existing = existing.intersection(r);
            } else {
                edges.push((p, r.clone()));
            }
        };
        for rec in records {
            push(Pkg::Package(rec.name.clone()), &rec.range);
            for extra in &rec.extras {
                push(Pkg::Extra(rec.name.clone(), extra.clone()), &rec.range);
            }
        }
        edges.into_iter().collect()
    }
}

impl<S: PackageSource + ?Sized> DependencyProvider for Run<'_, '_, S> {
    type P = Pkg;
    type V = Version;
    type VS = Ranges<Version>;
    type M = Unusable;
    type Err = ResolveError;
    /// (kind, conflicts, discovery order): extras before their base so that the base is pinned
    /// by propagation; exact pins next; then packages that conflicted most; then breadth-first.
    type Priority = (u8, u32, Reverse<u32>);

    fn prioritize(
        &self,
        package: &Pkg,
        range: &Ranges<Version>,
        stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let kind = match package {
            Pkg::Root => 3,
            Pkg::Extra(..) => 2,
            Pkg::Package(_) if range.as_singleton().is_some() => 1,
            Pkg::Package(_) => 0,
        };
        let mut order = self.order.borrow_mut();
        let next = order.len() as u32;
        let index = *order.entry(package.clone()).or_insert(next);
        (kind, stats.conflict_count(), Reverse(index))
    }

    fn choose_version(
        &self,
        package: &Pkg,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, ResolveError> {
        let Some(name) = package.name() else {
            let root = Version::new([0]);
            return Ok(range.contains(&root).then_some(root));
        };
        let versions = self.session.versions(name)?;
        let attempts = self.mode.attempts(name);
        if matches!(package, Pkg::Extra(..))
            && let Some(v) = self.last_chosen.borrow().get(name)
            && range.contains(v)
            && versions
                .get(v)
                .is_some_and(|c| attempts.iter().any(|&w| usable(c, w)))
        {
            return Ok(Some(v.clone()));
        }
        let pre = self.prereleases(name, &versions);
        let pins = self.pins.borrow();
        let pins = pins.get(name).map_or(&[][..], Vec::as_slice);
        for &wheel_only in attempts {
            if let Some(v) = versions.choose(range, wheel_only, pre, pins) {
                if matches!(package, Pkg::Package(_)) {
                    self.last_chosen
                        .borrow_mut()
                        .insert(name.clone(), v.clone());
                    self.prefetch_when_backtracking(name, &versions, range, v, wheel_only, pre);
                }
                return Ok(Some(v.clone()));
            }
        }
        if pre == Prereleases::No && attempts.iter().any(|&w| versions.any_usable_in(range, w)) {
            self.pre_excluded.borrow_mut().insert(name.clone());
        }
        Ok(None)
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Dependencies<Pkg, Ranges<Version>, Unusable>, ResolveError> {
        let session = self.session;
        let (records, pin) = match package {
            Pkg::Root => (session.root.clone(), None),
            Pkg::Package(name) | Pkg::Extra(name, _) => {
                let md = session.metadata(name, version)?;
                if let Some(spec) = &md.requires_python
                    && !spec.contains(&session.python)
                {
                    return Ok(Dependencies::Unavailable(Unusable::RequiresPython(
                        spec.clone(),
                    )));
                }
                let env = session.env;
                match package {
                    Pkg::Extra(_, extra) => {
                        let extras = std::slice::from_ref(extra);
                        let records = merge_records(
                            md.requires_dist.iter().filter(|r| {
                                r.evaluate_markers(env, extras) && !r.evaluate_markers(env, &[])
                            }),
                            &session.constraints,
                        );
                        (
                            records,
                            Some((
                                Pkg::Package(name.clone()),
                                Ranges::singleton(version.clone()),
                            )),
                        )
                    }
                    _ => (
                        merge_records(
                            md.requires_dist
                                .iter()
                                .filter(|r| r.evaluate_markers(env, &[])),
                            &session.constraints,
                        ),
                        None,
                    ),
                }
            }
        };
        self.note_requirements(&records);
        session.hint(&records, &self.mode);
        let constraints = Self::constraints_for(package, pin, &records);
        self.deps
            .borrow_mut()
            .insert((package.clone(), version.clone()), Arc::new(records));
        Ok(Dependencies::Available(constraints))
    }
}

/// Formats a range the way PEP 440 specifiers read (`>=1.0, <2.0`, `==1.0`), hiding the
/// internal `.dev0` bounds of `~=` and `==X.*`.
pub(crate) fn display_range(range: &Ranges<Version>) -> String {
    fn clean(v: &Version) -> Version {
        if v.dev() == Some(0) && v.pre().is_none() && v.post().is_none() {
            v.clone().with_dev(None)
        } else {
            v.clone()
        }
    }
    if let Some(v) = range.as_singleton() {
        return format!("=={v}");
    }
    let parts: Vec<String> = range
        .iter()
        .map(|(lo, hi)| {
            let lo = match lo {
                Bound::Included(v) => Some(format!(">={}", clean(v))),
                Bound::Excluded(v) => Some(format!(">{v}")),
                Bound::Unbounded => None,
            };
            let hi = match hi {
                Bound::Included(v) => Some(format!("<={v}")),
                Bound::Excluded(v) => Some(format!("<{}", clean(v))),
                Bound::Unbounded => None,
            };
            match (lo, hi) {
                (Some(lo), Some(hi)) => format!("{lo}, {hi}"),
                (Some(b), None) | (None, Some(b)) => b,
                (None, None) => "*".to_string(),
            }
        })
        .collect();
    if parts.is_empty() {
        "(no version)".to_string()
    } else {
        parts.join(" or ")
    }
}
