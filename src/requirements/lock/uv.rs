//! `uv.lock` (version 1) as a pinned set, in four steps: read and check the version
//! ([`parse_uv_lock`]), build the dependency graph over (package, extra) nodes with a marker on
//! each edge ([`Graph::build`]), compute each node's reachability marker from the workspace
//! members ([`reachability`]), and turn each package into a pin, a direct reference or a skipped
//! local source ([`pin`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{MarkerTree, PackageName};
use serde::Deserialize;
use toml::Spanned;

use super::{Pin, direct, lock_marker, locked, parse_requires_python, pinned, shape, toml_error};
use crate::requirements::{
    LineIndex, Origin, RequirementSet, RequirementsError, SkipReason, SkippedEntry,
};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct UvLock {
    version: Option<u32>,
    requires_python: Option<String>,
    #[serde(default)]
    package: Vec<Spanned<UvPackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct UvPackage {
    name: String,
    version: Option<String>,
    source: Option<BTreeMap<String, toml::Value>>,
    #[serde(default)]
    resolution_markers: Vec<String>,
    #[serde(default)]
    dependencies: Vec<UvDependency>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<UvDependency>>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<UvDependency>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct UvDependency {
    name: String,
    version: Option<String>,
    source: Option<BTreeMap<String, toml::Value>>,
    marker: Option<String>,
    #[serde(default)]
    extra: Vec<String>,
}

/// The source kind of a uv package.
#[derive(PartialEq, Eq, Debug)]
enum UvSource<'a> {
    Registry,
    Git(&'a str),
    Url(&'a str),
    /// `path`, `directory`, `editable`, `virtual`; `root` for workspace members.
    Local {
        root: bool,
    },
}

fn uv_source(source: Option<&BTreeMap<String, toml::Value>>) -> UvSource<'_> {
    let Some(source) = source else {
        return UvSource::Registry;
    };
    let get = |key: &str| source.get(key).and_then(toml::Value::as_str);
    if let Some(url) = get("git") {
        UvSource::Git(url)
    } else if let Some(url) = get("url") {
        UvSource::Url(url)
    } else if source.contains_key("editable") || source.contains_key("virtual") {
        UvSource::Local { root: true }
    } else if source.contains_key("path") || source.contains_key("directory") {
        UvSource::Local { root: false }
    } else {
        UvSource::Registry
    }
}

/// The lock's root project: `source = { editable = "." }` or `{ virtual = "." }`.
fn is_project_itself(package: &UvPackage) -> bool {
    package.source.as_ref().is_some_and(|s| {
        s.get("editable")
            .or_else(|| s.get("virtual"))
            .and_then(toml::Value::as_str)
            == Some(".")
    })
}

/// Parses a `uv.lock` into pinned requirements.
pub fn parse_uv_lock(path: &Path, content: &str) -> Result<RequirementSet, RequirementsError> {
    let lock: UvLock = toml::from_str(content).map_err(|e| toml_error(path, content, &e))?;
    check_version(path, lock.version)?;
    let mut set = RequirementSet::default();
    set.requires_python.extend(parse_requires_python(
        path,
        "requires-python",
        lock.requires_python.as_deref(),
    )?);

    let packages = &lock.package;
    let line_index = LineIndex::new(content);
    let lines: Vec<usize> = packages
        .iter()
        .map(|p| line_index.line(p.span().start))
        .collect();
    let graph = Graph::build(path, packages, &lines)?;
    let markers = reachability(&graph);
    tracing::debug!(
        "{}: reachability markers of {} nodes",
        path.display(),
        graph.nodes.len()
    );

    let mut errors = Vec::new();
    for (index, package) in packages.iter().enumerate() {
        let package = package.get_ref();
        if is_project_itself(package) {
            continue;
        }
        let line = lines[index];
        let name = match PackageName::from_str(&package.name) {
            Ok(name) => name,
            Err(error) => {
                errors.push(shape(
                    path,
                    line,
                    format!("package[{index}].name"),
                    format!("is not a valid name: {error}"),
                ));
                continue;
            }
        };
        let reach = markers[graph.nodes.get(index, None)].clone();
        let marker = if graph.roots.is_empty() || reach.is_false() {
            // No workspace member recorded, or the package is not reachable from one: fall back
            // to the package's resolution markers rather than dropping a locked pin.
            resolution_marker(path, index, line, package, &mut errors)
        } else {
            reach
        };
        let origin = Origin {
            file: path.to_path_buf(),
            line,
        };
        match pin(path, index, package, name, marker, origin) {
            Ok(Pin::Requirement(requirement)) => set.requirements.push(requirement),
            Ok(Pin::Skipped(entry)) => set.skipped.push(entry),
            Err(error) => errors.push(error),
        }
    }
    if let Some(error) = RequirementsError::from_many(errors) {
        return Err(error);
    }
    set.dedup();
    Ok(set)
}

/// Only version 1 is read; a file without a version is not a uv lock file.
fn check_version(path: &Path, version: Option<u32>) -> Result<(), RequirementsError> {
    match version {
        Some(1) => Ok(()),
        Some(other) => Err(RequirementsError::LockVersion {
            file: path.to_path_buf(),
            found: other.to_string(),
            supported: "1".to_string(),
        }),
        None => Err(shape(
            path,
            1,
            "version",
            "is missing (not a uv lock file?)",
        )),
    }
}

/// Graph node ids for (package index, extra); `None` is the package itself.
#[derive(Default)]
struct Nodes {
    ids: HashMap<(usize, Option<String>), usize>,
}

impl Nodes {
    /// The node's id, allocated on first use.
    fn id(&mut self, package: usize, extra: Option<String>) -> usize {
        let next = self.ids.len();
        *self.ids.entry((package, extra)).or_insert(next)
    }

    /// The id of a node [`Nodes::id`] allocated.
    fn get(&self, package: usize, extra: Option<String>) -> usize {
        self.ids[&(package, extra)]
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// The lock's dependency graph: nodes are (package, extra), edges carry the dependency's marker
/// (an extra implies its package), and the roots are the workspace members and their extras.
struct Graph {
    nodes: Nodes,
    /// (from node, to node, marker).
    edges: Vec<(usize, usize, MarkerTree)>,
    roots: Vec<usize>,
}

/// One list of dependencies of a package: the extra it belongs to (`None` for the package's own
/// dependencies and its dependency groups), its key for messages, and the entries.
type DependencyList<'a> = (Option<&'a str>, String, &'a [UvDependency]);

/// Reads the edges of every package; every bad entry is reported, not just the first.
struct GraphBuilder<'a> {
    path: &'a Path,
    packages: &'a [Spanned<UvPackage>],
    lines: &'a [usize],
    by_name: HashMap<&'a str, Vec<usize>>,
    /// The same few marker strings repeat across a lock: each is parsed once.
    parsed_markers: HashMap<&'a str, MarkerTree>,
    graph: Graph,
    errors: Vec<RequirementsError>,
}

impl Graph {
    fn build(
        path: &Path,
        packages: &[Spanned<UvPackage>],
        lines: &[usize],
    ) -> Result<Self, RequirementsError> {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, package) in packages.iter().enumerate() {
            by_name
                .entry(package.get_ref().name.as_str())
                .or_default()
                .push(index);
        }
        let mut builder = GraphBuilder {
            path,
            packages,
            lines,
            by_name,
            parsed_markers: HashMap::new(),
            graph: Graph {
                nodes: Nodes::default(),
                edges: Vec::new(),
                roots: Vec::new(),
            },
            errors: Vec::new(),
        };
        for index in 0..packages.len() {
            builder.add_package(index);
        }
        match RequirementsError::from_many(builder.errors) {
            Some(error) => Err(error),
            None => Ok(builder.graph),
        }
    }
}

impl<'a> GraphBuilder<'a> {
    fn add_package(&mut self, index: usize) {
        let package = self.packages[index].get_ref();
        let base = self.graph.nodes.id(index, None);
        let is_root = matches!(
            uv_source(package.source.as_ref()),
            UvSource::Local { root: true }
        );
        if is_root {
            self.graph.roots.push(base);
        }
        for (extra, key, dependencies) in dependency_lists(index, package) {
            let from = match extra {
                Some(extra) => {
                    let extra_node = self.graph.nodes.id(index, Some(extra.to_string()));
                    // An extra implies its package; a member's extras are all selected.
                    self.graph.edges.push((extra_node, base, MarkerTree::TRUE));
                    if is_root {
                        self.graph.roots.push(extra_node);
                    }
                    extra_node
                }
                None => base,
            };
            for (position, dependency) in dependencies.iter().enumerate() {
                self.add_dependency(index, from, &format!("{key}[{position}]"), dependency);
            }
        }
    }

    /// The edges from `from` to the package(s) `dependency` names and to their extras it asks
    /// for.
    fn add_dependency(
        &mut self,
        index: usize,
        from: usize,
        key: &str,
        dependency: &'a UvDependency,
    ) {
        let Some(marker) = self.edge_marker(index, key, dependency) else {
            return;
        };
        let candidates = self.candidates(dependency);
        if candidates.is_empty() {
            self.errors.push(shape(
                self.path,
                self.lines[index],
                key,
                format!(
                    "names `{}`, which is not a package of the lock",
                    dependency.name
                ),
            ));
            return;
        }
        for target in candidates {
            let to = self.graph.nodes.id(target, None);
            self.graph.edges.push((from, to, marker.clone()));
            for extra in &dependency.extra {
                let to = self.graph.nodes.id(target, Some(extra.clone()));
                self.graph.edges.push((from, to, marker.clone()));
            }
        }
    }

    /// The dependency's marker, or `None` (and an error recorded) when it does not parse.
    fn edge_marker(
        &mut self,
        index: usize,
        key: &str,
        dependency: &'a UvDependency,
    ) -> Option<MarkerTree> {
        let Some(text) = dependency.marker.as_deref() else {
            return Some(MarkerTree::TRUE);
        };
        if let Some(marker) = self.parsed_markers.get(text) {
            return Some(marker.clone());
        }
        match lock_marker(self.path, self.lines[index], key, Some(text)) {
            Ok(marker) => {
                self.parsed_markers.insert(text, marker.clone());
                Some(marker)
            }
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    /// The packages of the lock a dependency entry names: same name, and the same version and
    /// source where the entry gives them (a lock may pin one name at several versions).
    fn candidates(&self, dependency: &UvDependency) -> Vec<usize> {
        self.by_name
            .get(dependency.name.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|&c| {
                let candidate = self.packages[c].get_ref();
                dependency
                    .version
                    .as_ref()
                    .is_none_or(|v| candidate.version.as_ref() == Some(v))
                    && dependency
                        .source
                        .as_ref()
                        .is_none_or(|s| candidate.source.as_ref() == Some(s))
            })
            .collect()
    }
}

/// A package's dependency lists: its own, each extra's, and each dependency group's (groups of
/// workspace members are all included: they hang off the member itself).
fn dependency_lists(index: usize, package: &UvPackage) -> Vec<DependencyList<'_>> {
    let mut lists: Vec<DependencyList<'_>> = vec![(
        None,
        format!("package[{index}].dependencies"),
        package.dependencies.as_slice(),
    )];
    for (extra, deps) in &package.optional_dependencies {
        lists.push((
            Some(extra),
            format!("package[{index}].optional-dependencies.{extra}"),
            deps.as_slice(),
        ));
    }
    for (group, deps) in &package.dev_dependencies {
        lists.push((
            None,
            format!("package[{index}].dev-dependencies.{group}"),
            deps.as_slice(),
        ));
    }
    lists
}

/// Each node's reachability marker, by fixed point: marker(to) |= marker(from) & edge, starting
/// from `true` at the roots.
fn reachability(graph: &Graph) -> Vec<MarkerTree> {
    let len = graph.nodes.len();
    let mut markers = vec![MarkerTree::FALSE; len];
    let mut outgoing: Vec<Vec<(usize, MarkerTree)>> = vec![Vec::new(); len];
    for (from, to, marker) in &graph.edges {
        outgoing[*from].push((*to, marker.clone()));
    }
    // FIFO worklist, each node queued at most once at a time: a node is re-propagated only
    // after its marker has grown.
    let mut work: VecDeque<usize> = graph.roots.iter().copied().collect();
    let mut queued = vec![false; len];
    for &root in &graph.roots {
        markers[root] = MarkerTree::TRUE;
        queued[root] = true;
    }
    while let Some(from) = work.pop_front() {
        queued[from] = false;
        let source_marker = markers[from].clone();
        for (to, edge) in &outgoing[from] {
            let to = *to;
            let mut reach = source_marker.clone();
            reach.and(edge.clone());
            let mut updated = markers[to].clone();
            updated.or(reach);
            if updated != markers[to] {
                markers[to] = updated;
                if !queued[to] {
                    queued[to] = true;
                    work.push_back(to);
                }
            }
        }
    }
    markers
}

/// The disjunction of a package's `resolution-markers` (`true` when it has none); a marker that
/// does not parse is recorded in `errors` and left out.
fn resolution_marker(
    path: &Path,
    index: usize,
    line: usize,
    package: &UvPackage,
    errors: &mut Vec<RequirementsError>,
) -> MarkerTree {
    let mut marker = if package.resolution_markers.is_empty() {
        MarkerTree::TRUE
    } else {
        MarkerTree::FALSE
    };
    for text in &package.resolution_markers {
        match lock_marker(
            path,
            line,
            &format!("package[{index}].resolution-markers"),
            Some(text),
        ) {
            Ok(m) => marker.or(m),
            Err(error) => errors.push(error),
        }
    }
    marker
}

/// A package as a pin (registry), a direct reference (git, URL) or a skipped local source.
fn pin(
    path: &Path,
    index: usize,
    package: &UvPackage,
    name: PackageName,
    marker: MarkerTree,
    origin: Origin,
) -> Result<Pin, RequirementsError> {
    let line = origin.line;
    let (url, key) = match uv_source(package.source.as_ref()) {
        UvSource::Local { .. } => {
            return Ok(Pin::Skipped(SkippedEntry {
                raw: package.name.clone(),
                origin: Some(origin),
                reason: SkipReason::LocalSource,
            }));
        }
        UvSource::Git(url) if url.starts_with("git+") => (url.to_string(), "git"),
        UvSource::Git(url) => (format!("git+{url}"), "git"),
        UvSource::Url(url) => (url.to_string(), "url"),
        UvSource::Registry => {
            let key = format!("package[{index}].version");
            let Some(text) = &package.version else {
                return Err(shape(
                    path,
                    line,
                    key,
                    format!("is missing for `{}`", package.name),
                ));
            };
            let version = Version::from_str(text)
                .map_err(|error| shape(path, line, key, format!("is not a version: {error}")))?;
            return Ok(Pin::Requirement(locked(
                pinned(name, version, marker),
                origin,
            )));
        }
    };
    match direct(name, &url, marker) {
        Ok(requirement) => Ok(Pin::Requirement(locked(requirement, origin))),
        Err(error) => Err(shape(
            path,
            line,
            format!("package[{index}].source.{key}"),
            format!("is not a URL: {error}"),
        )),
    }
}
