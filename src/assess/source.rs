//! The bridge between the pure resolver ([`crate::resolve`]) and the async index client: a
//! [`PackageSource`] per target over one [`Shared`] fetch layer that every target uses.
//!
//! Owns: turning a project page into per-target [`Candidate`]s (tags, requires-python, yanked),
//! choosing which file's core metadata stands for a version, fetching pages and metadata once
//! per run (one `OnceCell` per project and per metadata file, shared by every target and
//! every resolver thread), and latency hiding: the resolver's prefetch hints start a
//! *speculative walk* on the runtime that fetches the hinted page, the metadata of the version
//! the resolver will most likely pick, and recursively the pages of that version's
//! requirements (markers evaluated for the target), so a cold resolution costs about one round
//! trip per level of the graph instead of one per package; a backtracking hint (the resolver
//! names the versions of a package it will try next) fetches their metadata concurrently,
//! without a walk.
//!
//! Not owned here: HTTP, caching on disk and the metadata strategies (PEP 658, range
//! requests, full download; see [`crate::index`]), the resolution itself, the report.
//!
//! One metadata file stands for each version on every target: a wheel when the version has one
//! (the one the index offers core metadata for, then the first by file name), else the sdist.
//! Like uv, this assumes a version's wheels declare the same dependencies (markers, not
//! per-wheel builds, are how projects vary them); it lets six targets share one request.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, PackageName, VersionOrUrl};
use pubgrub::Ranges;
use tokio::runtime::Handle;
use tokio::sync::OnceCell;

use crate::dist::{DistFile, ProjectPage};
use crate::index::{IndexClient, IndexError, PageId, ProjectLookup};
use crate::metadata::CoreMetadata;
use crate::resolve::{Candidate, PackageSource, PrefetchHint, SourceError};
use crate::tags::Tags;
use crate::util::redact::redact_text;
use crate::version_view;

/// A project page lookup: `None` when the index does not know the project; `Err` is the
/// (redacted) message of a failed lookup.
pub(crate) type PageResult = Result<Option<Arc<ProjectPage>>, String>;

type MetadataResult = Result<Arc<CoreMetadata>, String>;

/// One version's metadata, fetched at most once, by project and version.
type MetadataCells = HashMap<(PackageName, Version), Arc<OnceCell<MetadataResult>>>;

/// Pages and metadata fetched once per run, for every target.
pub(crate) struct Shared {
    client: IndexClient,
    handle: Handle,
    pages: Mutex<HashMap<PackageName, Arc<OnceCell<PageResult>>>>,
    /// By project and version: which file stands for a version is decided once (a pass over
    /// the page's files, several thousand for a big project), not at every request for it
    /// (six targets and their speculative walks ask for the same versions).
    metadata: Mutex<MetadataCells>,
    /// Each page's listing ids, computed once for every target ([`Self::listing_ids`]).
    listing_ids: Mutex<HashMap<PackageName, Option<Vec<PageId>>>>,
    /// Each project's listing ids as the cache holds them, read once for every target
    /// ([`Self::cached_listing_ids`]).
    cached_ids: Mutex<HashMap<PackageName, Option<Vec<PageId>>>>,
    /// A version's metadata was unreadable or warned: a resolution that may have read it is
    /// not stored for reuse (the next run should try again, and say so again).
    unsettled: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The value `memo` holds for `name`, computed by `compute` the first time (two targets asking
/// at once may both compute it: it is the same value).
fn once_per_name<T: Clone>(
    memo: &Mutex<HashMap<PackageName, T>>,
    name: &PackageName,
    compute: impl FnOnce() -> T,
) -> T {
    if let Some(value) = lock(memo).get(name) {
        return value.clone();
    }
    let value = compute();
    lock(memo).insert(name.clone(), value.clone());
    value
}

impl Shared {
    /// A fetch layer over `client`, running its futures on `handle`.
    pub(crate) fn new(client: IndexClient, handle: Handle) -> Arc<Self> {
        Arc::new(Self {
            client,
            handle,
            pages: Mutex::new(HashMap::new()),
            metadata: Mutex::new(HashMap::new()),
            listing_ids: Mutex::new(HashMap::new()),
            cached_ids: Mutex::new(HashMap::new()),
            unsettled: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn unsettle(&self) {
        self.unsettled
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether some metadata read in this run was unreadable or warned (see `unsettled`).
    pub(crate) fn unsettled(&self) -> bool {
        self.unsettled.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The ids of `name`'s listing as read in this run (`page`: `None` when not found).
    pub(crate) fn listing_ids(
        &self,
        name: &PackageName,
        page: Option<&ProjectPage>,
    ) -> Option<Vec<PageId>> {
        once_per_name(&self.listing_ids, name, || self.client.listing_id_of(page))
    }

    /// [`IndexClient::cached_listing_id`], read once per run for every target.
    pub(crate) fn cached_listing_ids(&self, name: &PackageName) -> Option<Vec<PageId>> {
        once_per_name(&self.cached_ids, name, || {
            self.client.cached_listing_id(name)
        })
    }

    /// The index client.
    pub(crate) fn client(&self) -> &IndexClient {
        &self.client
    }

    /// Counts `names` as looked up, and answered from the cache (a reused resolution read them
    /// in an earlier run; their pages' cache entries said they are unchanged).
    pub(crate) fn note_looked_up(&self, names: &[PackageName]) {
        let mut pages = lock(&self.pages);
        let mut new = 0;
        for name in names {
            if !pages.contains_key(name) {
                pages.insert(name.clone(), Arc::default());
                new += 1;
            }
        }
        self.client.count_cached_pages(new);
    }

    fn page_cell(&self, name: &PackageName) -> Arc<OnceCell<PageResult>> {
        Arc::clone(lock(&self.pages).entry(name.clone()).or_default())
    }

    /// The page of `name`, fetched at most once.
    pub(crate) async fn page(&self, name: &PackageName) -> PageResult {
        let cell = self.page_cell(name);
        cell.get_or_init(|| async {
            match self.client.project(name).await {
                Ok(ProjectLookup::Found(page)) => Ok(Some(page)),
                Ok(ProjectLookup::NotFound) => Ok(None),
                Err(err) => Err(redact_text(&format!("{err:#}"))),
            }
        })
        .await
        .clone()
    }

    /// How many distinct projects were looked up.
    pub(crate) fn projects_seen(&self) -> usize {
        lock(&self.pages).len()
    }

    /// Every page fetched so far (found projects only), by name.
    pub(crate) fn fetched_pages(
        &self,
    ) -> std::collections::BTreeMap<PackageName, Arc<ProjectPage>> {
        lock(&self.pages)
            .iter()
            .filter_map(|(name, cell)| {
                let page = cell.get()?.clone().ok()??;
                Some((name.clone(), page))
            })
            .collect()
    }

    /// The page of `name` if it has been fetched already (no request).
    pub(crate) fn page_if_fetched(&self, name: &PackageName) -> Option<Arc<ProjectPage>> {
        let cell = lock(&self.pages).get(name).cloned()?;
        cell.get().and_then(|r| r.clone().ok().flatten())
    }

    /// The core metadata of `version` of the project on `page`, fetched at most once.
    pub(crate) async fn metadata(&self, page: &ProjectPage, version: &Version) -> MetadataResult {
        let cell = Arc::clone(
            lock(&self.metadata)
                .entry((page.name.clone(), version.clone()))
                .or_default(),
        );
        cell.get_or_init(|| async {
            let Some(file) = metadata_file(page, version) else {
                return Err(format!("{} {version} has no files on the index", page.name));
            };
            match self.client.metadata(file).await {
                Ok(fetched) => {
                    if !fetched.parsed.warnings.is_empty() {
                        self.unsettle();
                    }
                    for warning in &fetched.parsed.warnings {
                        tracing::warn!("{}: {warning}", redact_text(file.filename()));
                    }
                    Ok(fetched.parsed)
                }
                // The index answered, but the file or its metadata is unusable: the
                // dependencies of this version are unknown, not the run's outcome.
                Err(IndexError::Metadata { reason, .. }) => {
                    self.unsettle();
                    let reason = redact_text(&reason);
                    tracing::warn!(
                        "{}: {reason}; its dependencies are unknown",
                        redact_text(file.filename())
                    );
                    Ok(Arc::new(CoreMetadata::unreadable(
                        page.name.clone(),
                        version.clone(),
                        reason,
                    )))
                }
                Err(e) => Err(redact_text(&format!("{e:#}"))),
            }
        })
        .await
        .clone()
    }
}

/// The file whose metadata stands for `version` (see the module doc).
pub(crate) fn metadata_file<'p>(page: &'p ProjectPage, version: &Version) -> Option<&'p DistFile> {
    let mut files: Vec<&DistFile> = page
        .files
        .iter()
        .filter(|f| f.version() == version)
        .collect();
    if files.iter().any(|f| !f.is_yanked()) {
        files.retain(|f| !f.is_yanked());
    }
    files.sort_by(|a, b| {
        let key = |f: &DistFile| (f.wheel().is_none(), !f.core_metadata);
        key(a)
            .cmp(&key(b))
            .then_with(|| a.filename().cmp(b.filename()))
    });
    files.first().copied()
}

/// What a target needs to turn pages into candidates.
pub(crate) struct TargetFacts {
    /// The target's compatible tags.
    pub tags: Tags,
    /// Its full Python version (`python_full_version`; `3.12.0` when only `3.12` was named).
    pub python: Version,
    /// `3.12`, `3.13t`.
    pub python_label: String,
    /// The most specific platform tag.
    pub platform_label: String,
    /// The platform, for the issue catalog.
    pub platform: crate::platform::Platform,
    /// A free-threaded build.
    pub free_threaded: bool,
    /// The marker environment (for the speculative walk).
    pub env: MarkerEnvironment,
}

impl TargetFacts {
    /// Every version on `page` as a candidate for this target. Yanked files count only when
    /// every file of the version is yanked (the resolver takes such a version only when pinned).
    pub(crate) fn candidates(&self, page: &ProjectPage) -> Vec<Candidate> {
        version_view::by_version(page, &self.tags, &self.python)
            .into_iter()
            .map(|(version, files)| {
                let yanked = files.all_yanked();
                let usable = files.usable(yanked);
                let wheel = usable.best_wheel.map(|(_, f)| f.filename().to_string());
                Candidate {
                    version: version.clone(),
                    yanked,
                    requires_python_ok: usable.python_ok,
                    no_wheel_reason: wheel
                        .is_none()
                        .then(|| usable.miss_phrase(&self.python_label, &self.platform_label)),
                    wheel,
                    has_sdist: usable.sdist,
                }
            })
            .collect()
    }
}

/// Per-target state shared between the resolver thread and the speculative walk.
struct TargetState {
    facts: TargetFacts,
    candidates: Mutex<HashMap<PackageName, Arc<[Candidate]>>>,
    walked: Mutex<HashSet<(PackageName, bool)>>,
}

impl TargetState {
    fn candidates(&self, page: &ProjectPage) -> Arc<[Candidate]> {
        if let Some(c) = lock(&self.candidates).get(&page.name) {
            return Arc::clone(c);
        }
        let computed: Arc<[Candidate]> = self.facts.candidates(page).into();
        Arc::clone(
            lock(&self.candidates)
                .entry(page.name.clone())
                .or_insert(computed),
        )
    }
}

/// The [`PackageSource`] of one target. Used from one (non-runtime) thread, which blocks on
/// the shared fetches.
pub(crate) struct TargetSource {
    shared: Arc<Shared>,
    state: Arc<TargetState>,
    pages: RefCell<HashMap<PackageName, Option<Arc<ProjectPage>>>>,
}

impl TargetSource {
    /// A source for the target described by `facts`.
    pub(crate) fn new(shared: Arc<Shared>, facts: TargetFacts) -> Self {
        Self {
            shared,
            state: Arc::new(TargetState {
                facts,
                candidates: Mutex::new(HashMap::new()),
                walked: Mutex::new(HashSet::new()),
            }),
            pages: RefCell::new(HashMap::new()),
        }
    }

    /// The target's Python, as named (`3.12`).
    pub(crate) fn python_label(&self) -> &str {
        &self.state.facts.python_label
    }

    /// Every project whose page this target's resolver read, with the ids of what it read
    /// ([`IndexClient::listing_id_of`]); `None` when one cannot be identified.
    pub(crate) fn listings_read(&self) -> Option<Vec<(PackageName, Vec<PageId>)>> {
        self.pages
            .borrow()
            .iter()
            .map(|(name, page)| {
                Some((
                    name.clone(),
                    self.shared.listing_ids(name, page.as_deref())?,
                ))
            })
            .collect()
    }

    /// The issue catalog's entry for why `version` of `name` has no wheel on this target, from
    /// the page already fetched (no request).
    pub(crate) fn issue(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<crate::catalog::IssueId> {
        let page = self.shared.page_if_fetched(name)?;
        let facts = &self.state.facts;
        let view = crate::catalog::gap::TargetView {
            tags: &facts.tags,
            python: &facts.python,
            platform: &facts.platform,
            free_threaded: facts.free_threaded,
        };
        crate::catalog::gap::classify(&page, version, &view).map(|(issue, _)| issue)
    }

    fn page(&self, name: &PackageName) -> Result<Option<Arc<ProjectPage>>, SourceError> {
        if let Some(page) = self.pages.borrow().get(name) {
            return Ok(page.clone());
        }
        let shared = Arc::clone(&self.shared);
        let owned = name.clone();
        let page = wait(
            &self.shared.handle,
            async move { shared.page(&owned).await },
        )
        .map_err(SourceError::new)?;
        self.pages.borrow_mut().insert(name.clone(), page.clone());
        Ok(page)
    }
}

impl PackageSource for TargetSource {
    fn candidates(&self, name: &PackageName) -> Result<Arc<[Candidate]>, SourceError> {
        Ok(match self.page(name)? {
            Some(page) => self.state.candidates(&page),
            None => Arc::from(Vec::new()),
        })
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CoreMetadata>, SourceError> {
        let Some(page) = self.page(name)? else {
            return Err(SourceError::new(format!("{name} is not on the index")));
        };
        let shared = Arc::clone(&self.shared);
        let version = version.clone();
        wait(&self.shared.handle, async move {
            shared.metadata(&page, &version).await
        })
        .map_err(SourceError::new)
    }

    fn prefetch(&self, hints: &[PrefetchHint]) {
        for hint in hints {
            if hint.versions.is_empty() {
                walk(
                    Arc::clone(&self.shared),
                    Arc::clone(&self.state),
                    hint.clone(),
                );
            } else {
                fetch_versions(&self.shared, hint);
            }
        }
    }
}

/// Runs `future` on the runtime's workers and blocks this (non-runtime) thread until it ends.
/// The future is spawned rather than driven here with `Handle::block_on`, so every HTTP
/// connection is only ever polled by the runtime's own threads.
fn wait<T: Send + 'static>(
    handle: &Handle,
    future: impl Future<Output = Result<T, String>> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .unwrap_or_else(|_| Err("the async runtime stopped".to_string()))
}

/// Starts fetching the metadata of every version a backtracking hint names, concurrently
/// (metadata only: no walk from them). Errors are ignored, as in [`walk`].
fn fetch_versions(shared: &Arc<Shared>, hint: &PrefetchHint) {
    for version in &hint.versions {
        let owned = Arc::clone(shared);
        let name = hint.name.clone();
        let version = version.clone();
        shared.handle.spawn(async move {
            let shared = owned;
            if let Ok(Some(page)) = shared.page(&name).await {
                let _ = shared.metadata(&page, &version).await;
            }
        });
    }
}

/// Starts the speculative walk from `hint` (see the module doc). Errors are ignored here: the
/// resolver meets them again when it asks, and reports them.
fn walk(shared: Arc<Shared>, state: Arc<TargetState>, hint: PrefetchHint) {
    if !lock(&state.walked).insert((hint.name.clone(), hint.wheel_only)) {
        return;
    }
    let handle = shared.handle.clone();
    handle.spawn(async move {
        let Ok(Some(page)) = shared.page(&hint.name).await else {
            return;
        };
        let candidates = state.candidates(&page);
        let Some(version) = hint.likely_version(&candidates).cloned() else {
            return;
        };
        let Ok(metadata) = shared.metadata(&page, &version).await else {
            return;
        };
        for req in &metadata.requires_dist {
            if !req.evaluate_markers(&state.facts.env, &[]) {
                continue;
            }
            let specifiers = match &req.version_or_url {
                Some(VersionOrUrl::VersionSpecifier(s)) => s.clone(),
                Some(VersionOrUrl::Url(_)) => continue,
                None => VersionSpecifiers::empty(),
            };
            let allow_prerelease =
                hint.allow_prerelease || crate::resolve::names_prerelease(&specifiers);
            walk(
                Arc::clone(&shared),
                Arc::clone(&state),
                PrefetchHint {
                    name: req.name.clone(),
                    range: Ranges::from(specifiers),
                    wheel_only: hint.wheel_only,
                    allow_prerelease,
                    versions: Vec::new(),
                },
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::filename::DistFilename;
    use crate::target::{Role, Target};

    fn facts(target: &str) -> TargetFacts {
        let host = crate::platform::Platform::from_str("manylinux_2_28_x86_64").expect("host");
        let t = Target::parse(target, &host, Role::Primary).expect("target");
        TargetFacts {
            tags: Tags::new(&t.python, &t.platform),
            python: t.python.full_version(),
            python_label: t.python.to_string(),
            platform_label: t.platform.to_string(),
            platform: t.platform.clone(),
            free_threaded: t.python.free_threaded,
            env: t.marker_environment(),
        }
    }

    fn file(filename: &str) -> DistFile {
        let project = PackageName::from_str("demo").expect("name");
        DistFile::from(crate::dist::DistFileParts {
            filename,
            url: &format!("https://files.example/{filename}"),
            parsed: DistFilename::parse(filename, &project).expect("filename"),
            requires_python: None,
            yanked: None,
            core_metadata: false,
            sha256: None,
            size: None,
            upload_time: None,
        })
    }

    fn page(files: Vec<DistFile>) -> ProjectPage {
        ProjectPage {
            name: PackageName::from_str("demo").expect("name"),
            files,
        }
    }

    fn v(s: &str) -> Version {
        Version::from_str(s).expect("version")
    }

    #[test]
    fn candidates_pick_the_best_wheel_and_say_why_none_fits() {
        let x86 = "manylinux_2_17_x86_64.manylinux2014_x86_64";
        let p = page(vec![
            file(&format!("demo-1.0-cp312-cp312-{x86}.whl")),
            file("demo-1.0-py3-none-any.whl"),
            file("demo-1.0.tar.gz"),
            file("demo-2.0-cp312-cp312-manylinux_2_17_aarch64.whl"),
            file("demo-2.0.tar.gz"),
            file(&format!("demo-3.0-cp311-cp311-{x86}.whl")),
        ]);
        let c = facts("3.12@linux").candidates(&p);
        assert_eq!(c.len(), 3);
        // The platform wheel outranks the pure one.
        assert_eq!(
            c[0].wheel.as_deref(),
            Some(format!("demo-1.0-cp312-cp312-{x86}.whl").as_str())
        );
        assert!(c[0].has_sdist && c[0].requires_python_ok && !c[0].yanked);
        assert_eq!(c[1].wheel, None);
        assert_eq!(
            c[1].no_wheel_reason.as_deref(),
            Some("has no wheel for manylinux_2_28_x86_64")
        );
        assert_eq!(
            c[2].no_wheel_reason.as_deref(),
            Some("has no wheel for CPython 3.12")
        );
        assert!(!c[2].has_sdist);
        let free = facts("3.13t@linux").candidates(&page(vec![file(
            "demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl",
        )]));
        assert_eq!(
            free[0].no_wheel_reason.as_deref(),
            Some("has no free-threaded wheel for CPython 3.13t")
        );
    }

    #[test]
    fn yanked_and_requires_python_are_per_file() {
        let mut old = file("demo-1.0-py3-none-any.whl");
        old.requires_python = Some(crate::dist::RequiresPython::new("<3.8"));
        let mut yanked = file("demo-2.0-py3-none-any.whl");
        yanked.yanked = Some("broken".to_string());
        let sdist = file("demo-2.0.tar.gz");
        let mut all_yanked = file("demo-3.0-py3-none-any.whl");
        all_yanked.yanked = Some(String::new());
        let c = facts("3.12@linux").candidates(&page(vec![old, yanked, sdist, all_yanked]));
        assert!(!c[0].requires_python_ok);
        assert_eq!(
            c[0].no_wheel_reason.as_deref(),
            Some("has no wheel for CPython 3.12 (requires-python <3.8)")
        );
        // 2.0: the yanked wheel is ignored, the sdist is not.
        assert!(!c[1].yanked && c[1].wheel.is_none() && c[1].has_sdist);
        assert_eq!(c[1].no_wheel_reason.as_deref(), Some("has only an sdist"));
        // 3.0: every file yanked, so the version is yanked (usable only when pinned).
        assert!(c[2].yanked && c[2].wheel.is_some());
    }

    #[test]
    fn one_metadata_file_stands_for_a_version_on_every_target() {
        let mut advertised = file("demo-1.0-cp312-cp312-win_amd64.whl");
        advertised.core_metadata = true;
        let p = page(vec![
            file("demo-1.0.tar.gz"),
            file("demo-1.0-cp312-cp312-macosx_11_0_arm64.whl"),
            advertised,
            file("demo-2.0.tar.gz"),
        ]);
        assert_eq!(
            metadata_file(&p, &v("1.0")).map(DistFile::filename),
            Some("demo-1.0-cp312-cp312-win_amd64.whl")
        );
        assert_eq!(
            metadata_file(&p, &v("2.0")).map(DistFile::filename),
            Some("demo-2.0.tar.gz")
        );
        assert!(metadata_file(&p, &v("3.0")).is_none());
    }
}
