//! Lock files read as pinned sets, without resolving: `uv.lock` and PEP 751 `pylock.toml`.
//!
//! Every locked registry package becomes a `name==version` requirement with
//! [`DeclaredRequirement::locked`] set and, where the lock records it, the marker under which
//! the package is installed:
//! - `uv.lock` records markers on dependency edges, so a package's marker is computed as the
//!   disjunction over all paths from the workspace members (editable/virtual sources) of the
//!   conjunction of edge markers (what `uv export` does). All extras and dependency groups of
//!   the members are included, and uv's `extra == ...` conflict markers are taken as satisfied,
//!   so the set covers every configuration the lock can install.
//! - `pylock.toml` records a `marker` and `requires-python` per package; tests of PEP 751's
//!   `extras` and `dependency_groups` marker variables (which pep508_rs does not know) are taken
//!   as satisfied, so again every extra/group selection is covered.
//!
//! Git and URL sources become `name @ url` direct references (reported "not assessed");
//! directory, path and editable sources are listed in [`RequirementSet::skipped`]. The lock's
//! own index URLs are not carried over into [`super::FileIndexOptions`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifier, VersionSpecifiers};
use pep508_rs::{MarkerTree, PackageName, Requirement, VerbatimUrl, VersionOrUrl};
use serde::Deserialize;
use toml::Spanned;

use super::{
    DeclaredRequirement, DeclaredRequiresPython, LineIndex, Origin, RequirementSet,
    RequirementsError, SkipReason, SkippedEntry, line_of, pep508_message,
};

fn toml_error(path: &Path, content: &str, error: &toml::de::Error) -> RequirementsError {
    let message = match error.span() {
        Some(span) => format!(
            "line {}: {}",
            line_of(content, span.start),
            error.message().trim()
        ),
        None => error.message().trim().to_string(),
    };
    RequirementsError::Toml {
        file: path.to_path_buf(),
        message,
    }
}

fn shape(
    path: &Path,
    line: usize,
    key: impl Into<String>,
    expected: impl Into<String>,
) -> RequirementsError {
    RequirementsError::Shape {
        file: path.to_path_buf(),
        line,
        key: key.into(),
        expected: expected.into(),
    }
}

fn pinned(name: PackageName, version: Version, marker: MarkerTree) -> Requirement {
    Requirement {
        name,
        extras: Vec::new(),
        version_or_url: Some(VersionOrUrl::VersionSpecifier(VersionSpecifiers::from(
            VersionSpecifier::equals_version(version),
        ))),
        marker,
        origin: None,
    }
}

fn direct(name: PackageName, url: &str, marker: MarkerTree) -> Result<Requirement, String> {
    let url = VerbatimUrl::parse_url(url).map_err(|e| e.to_string())?;
    Ok(Requirement {
        name,
        extras: Vec::new(),
        version_or_url: Some(VersionOrUrl::Url(url)),
        marker,
        origin: None,
    })
}

fn locked(requirement: Requirement, origin: Origin) -> DeclaredRequirement {
    DeclaredRequirement {
        raw: crate::util::redact::redact_text(&requirement.to_string()),
        requirement,
        origin: Some(origin),
        locked: true,
    }
}

fn parse_requires_python(
    path: &Path,
    key: &str,
    text: Option<&str>,
) -> Result<Option<DeclaredRequiresPython>, RequirementsError> {
    let Some(text) = text else {
        return Ok(None);
    };
    VersionSpecifiers::from_str(text)
        .map(|specifiers| {
            Some(DeclaredRequiresPython {
                specifiers,
                file: path.to_path_buf(),
            })
        })
        .map_err(|error| shape(path, 1, key, format!("must be version specifiers: {error}")))
}

// ---------------------------------------------------------------------------------------------
// uv.lock

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

/// Graph node ids for (package index, extra).
#[derive(Default)]
struct Nodes {
    ids: HashMap<(usize, Option<String>), usize>,
}

impl Nodes {
    fn id(&mut self, package: usize, extra: Option<String>) -> usize {
        let next = self.ids.len();
        *self.ids.entry((package, extra)).or_insert(next)
    }

    fn len(&self) -> usize {
        self.ids.len()
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

/// The marker of a string from the lock, `extra == ...` conflict markers taken as satisfied.
fn lock_marker(
    path: &Path,
    line: usize,
    key: &str,
    text: Option<&str>,
) -> Result<MarkerTree, RequirementsError> {
    let Some(text) = text else {
        return Ok(MarkerTree::TRUE);
    };
    let marker =
        crate::pep508::parse_marker(text).map_err(|error| RequirementsError::TomlRequirement {
            file: path.to_path_buf(),
            line,
            key: key.to_string(),
            text: text.to_string(),
            expected: pep508_message(&error),
        })?;
    Ok(marker.simplify_extras_with(|_| true))
}

/// Parses a `uv.lock` into pinned requirements.
pub fn parse_uv_lock(path: &Path, content: &str) -> Result<RequirementSet, RequirementsError> {
    let lock: UvLock = toml::from_str(content).map_err(|e| toml_error(path, content, &e))?;
    match lock.version {
        Some(1) => {}
        Some(other) => {
            return Err(RequirementsError::LockVersion {
                file: path.to_path_buf(),
                found: other.to_string(),
                supported: "1".to_string(),
            });
        }
        None => {
            return Err(shape(
                path,
                1,
                "version",
                "is missing (not a uv lock file?)",
            ));
        }
    }
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
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, package) in packages.iter().enumerate() {
        by_name
            .entry(package.get_ref().name.as_str())
            .or_default()
            .push(index);
    }

    // Graph nodes: (package, extra) where `None` is the package itself.
    // Edges: (from node, to node, marker).
    let mut nodes = Nodes::default();
    let mut edges: Vec<(usize, usize, MarkerTree)> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    let mut errors = Vec::new();
    let mut parsed_markers: HashMap<&str, MarkerTree> = HashMap::new();

    for (index, package) in packages.iter().enumerate() {
        let package = package.get_ref();
        let base = nodes.id(index, None);
        let is_root = matches!(
            uv_source(package.source.as_ref()),
            UvSource::Local { root: true }
        );
        if is_root {
            roots.push(base);
        }
        let mut lists: Vec<(Option<String>, String, &Vec<UvDependency>)> = vec![(
            None,
            format!("package[{index}].dependencies"),
            &package.dependencies,
        )];
        for (extra, deps) in &package.optional_dependencies {
            lists.push((
                Some(extra.clone()),
                format!("package[{index}].optional-dependencies.{extra}"),
                deps,
            ));
        }
        for (group, deps) in &package.dev_dependencies {
            // Groups of workspace members are all included: they hang off the member itself.
            lists.push((
                None,
                format!("package[{index}].dev-dependencies.{group}"),
                deps,
            ));
        }
        for (extra, key, deps) in lists {
            let from = match &extra {
                Some(extra) => {
                    let extra_node = nodes.id(index, Some(extra.clone()));
                    // An extra implies its package; a member's extras are all selected.
                    edges.push((extra_node, base, MarkerTree::TRUE));
                    if is_root {
                        roots.push(extra_node);
                    }
                    extra_node
                }
                None => base,
            };
            for (position, dependency) in deps.iter().enumerate() {
                let dep_key = format!("{key}[{position}]");
                // The same few marker strings repeat across a lock: parse each once.
                let marker = match dependency.marker.as_deref() {
                    None => MarkerTree::TRUE,
                    Some(text) => {
                        if let Some(marker) = parsed_markers.get(text) {
                            marker.clone()
                        } else {
                            match lock_marker(path, lines[index], &dep_key, Some(text)) {
                                Ok(marker) => {
                                    parsed_markers.insert(text, marker.clone());
                                    marker
                                }
                                Err(error) => {
                                    errors.push(error);
                                    continue;
                                }
                            }
                        }
                    }
                };
                let candidates: Vec<usize> = by_name
                    .get(dependency.name.as_str())
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&c| {
                        let candidate = packages[c].get_ref();
                        dependency
                            .version
                            .as_ref()
                            .is_none_or(|v| candidate.version.as_ref() == Some(v))
                            && dependency
                                .source
                                .as_ref()
                                .is_none_or(|s| candidate.source.as_ref() == Some(s))
                    })
                    .collect();
                if candidates.is_empty() {
                    errors.push(shape(
                        path,
                        lines[index],
                        dep_key,
                        format!(
                            "names `{}`, which is not a package of the lock",
                            dependency.name
                        ),
                    ));
                    continue;
                }
                for target in candidates {
                    let to = nodes.id(target, None);
                    edges.push((from, to, marker.clone()));
                    for extra in &dependency.extra {
                        let to = nodes.id(target, Some(extra.clone()));
                        edges.push((from, to, marker.clone()));
                    }
                }
            }
        }
    }
    if let Some(error) = RequirementsError::from_many(std::mem::take(&mut errors)) {
        return Err(error);
    }

    // Reachability markers by fixed point: marker(to) |= marker(from) & edge.
    let mut markers = vec![MarkerTree::FALSE; nodes.len()];
    for &root in &roots {
        markers[root] = MarkerTree::TRUE;
    }
    let mut outgoing: Vec<Vec<(usize, MarkerTree)>> = vec![Vec::new(); nodes.len()];
    for (from, to, marker) in edges {
        outgoing[from].push((to, marker));
    }
    // FIFO worklist, each node queued at most once at a time: a node is re-propagated only
    // after its marker has grown.
    let mut work: std::collections::VecDeque<usize> = roots.iter().copied().collect();
    let mut queued = vec![false; nodes.len()];
    for &root in &roots {
        queued[root] = true;
    }
    let mut propagations = 0usize;
    while let Some(from) = work.pop_front() {
        propagations += 1;
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

    tracing::debug!(
        "{}: reachability markers of {} nodes after {propagations} propagations",
        path.display(),
        nodes.len()
    );
    for (index, package) in packages.iter().enumerate() {
        let line = lines[index];
        let package = package.get_ref();
        let origin = Origin {
            file: path.to_path_buf(),
            line,
        };
        let source = uv_source(package.source.as_ref());
        if is_project_itself(package) {
            continue;
        }
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
        let reach = markers[nodes.id(index, None)].clone();
        let marker = if roots.is_empty() || reach.is_false() {
            // No workspace member recorded, or the package is not reachable from one: fall back
            // to the package's resolution markers rather than dropping a locked pin.
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
        } else {
            reach
        };
        match source {
            UvSource::Local { .. } => set.skipped.push(SkippedEntry {
                raw: package.name.clone(),
                origin: Some(origin),
                reason: SkipReason::LocalSource,
            }),
            UvSource::Git(url) => {
                let url = if url.starts_with("git+") {
                    url.to_string()
                } else {
                    format!("git+{url}")
                };
                match direct(name, &url, marker) {
                    Ok(requirement) => set.requirements.push(locked(requirement, origin)),
                    Err(error) => errors.push(shape(
                        path,
                        line,
                        format!("package[{index}].source.git"),
                        format!("is not a URL: {error}"),
                    )),
                }
            }
            UvSource::Url(url) => match direct(name, url, marker) {
                Ok(requirement) => set.requirements.push(locked(requirement, origin)),
                Err(error) => errors.push(shape(
                    path,
                    line,
                    format!("package[{index}].source.url"),
                    format!("is not a URL: {error}"),
                )),
            },
            UvSource::Registry => {
                let Some(text) = &package.version else {
                    errors.push(shape(
                        path,
                        line,
                        format!("package[{index}].version"),
                        format!("is missing for `{}`", package.name),
                    ));
                    continue;
                };
                match Version::from_str(text) {
                    Ok(version) => set
                        .requirements
                        .push(locked(pinned(name, version, marker), origin)),
                    Err(error) => errors.push(shape(
                        path,
                        line,
                        format!("package[{index}].version"),
                        format!("is not a version: {error}"),
                    )),
                }
            }
        }
    }
    if let Some(error) = RequirementsError::from_many(errors) {
        return Err(error);
    }
    set.dedup();
    Ok(set)
}

// ---------------------------------------------------------------------------------------------
// pylock.toml (PEP 751)

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Pylock {
    lock_version: Option<String>,
    requires_python: Option<String>,
    #[serde(default)]
    packages: Vec<Spanned<PylockPackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PylockPackage {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    requires_python: Option<String>,
    vcs: Option<PylockSource>,
    directory: Option<PylockSource>,
    archive: Option<PylockSource>,
    sdist: Option<toml::Value>,
    wheels: Option<Vec<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PylockSource {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    commit_id: Option<String>,
}

/// Replaces PEP 751's `'x' in extras` / `'x' in dependency_groups` (and `not in`) with a marker
/// expression that is always true: the pin set covers every extra/group selection, so each such
/// test is taken as satisfiable either way (a package needed only when an extra is *not*
/// selected is still a package the lock can install).
/// Hand-written because pep508_rs 0.9 predates these marker variables.
fn rewrite_lock_marker_variables(marker: &str) -> String {
    // A tautology that the marker algebra simplifies away.
    const TRUE: &str = "(os_name == 'x' or os_name != 'x')";
    let mut out = String::with_capacity(marker.len());
    let mut rest = marker;
    loop {
        // Find the next quoted string.
        let Some(quote_at) = rest.find(['\'', '"']) else {
            out.push_str(rest);
            return out;
        };
        let quote = rest[quote_at..].chars().next().unwrap_or('\'');
        let Some(close) = rest[quote_at + 1..].find(quote) else {
            out.push_str(rest);
            return out;
        };
        let literal_end = quote_at + 1 + close + 1;
        let after = &rest[literal_end..];
        let words: Vec<&str> = after.split_whitespace().take(3).collect();
        let variable = match words.as_slice() {
            ["not", "in", var, ..] | ["in", var, ..] => *var,
            _ => "",
        };
        let variable_name = variable.trim_end_matches(')');
        if variable_name == "extras" || variable_name == "dependency_groups" {
            out.push_str(&rest[..quote_at]);
            out.push_str(TRUE);
            // Skip past the variable name.
            let variable_at = after.find(variable_name).unwrap_or(0) + variable_name.len();
            rest = &after[variable_at..];
        } else {
            out.push_str(&rest[..literal_end]);
            rest = after;
        }
    }
}

/// Parses a PEP 751 `pylock.toml` into pinned requirements.
pub fn parse_pylock(path: &Path, content: &str) -> Result<RequirementSet, RequirementsError> {
    let lock: Pylock = toml::from_str(content).map_err(|e| toml_error(path, content, &e))?;
    let Some(lock_version) = &lock.lock_version else {
        return Err(shape(
            path,
            1,
            "lock-version",
            "is missing (not a PEP 751 lock file?)",
        ));
    };
    let (major, minor) = lock_version.split_once('.').unwrap_or((lock_version, "0"));
    if major != "1" || minor.parse::<u32>().is_err() {
        return Err(RequirementsError::LockVersion {
            file: path.to_path_buf(),
            found: lock_version.clone(),
            supported: "1.x".to_string(),
        });
    }
    if minor != "0" {
        tracing::warn!(
            "{}: lock-version {lock_version} is newer than 1.0; reading it as 1.0",
            path.display()
        );
    }
    let mut set = RequirementSet::default();
    set.requires_python.extend(parse_requires_python(
        path,
        "requires-python",
        lock.requires_python.as_deref(),
    )?);
    let mut errors = Vec::new();
    let line_index = LineIndex::new(content);
    for (index, spanned) in lock.packages.iter().enumerate() {
        let package = spanned.get_ref();
        let line = line_index.line(spanned.span().start);
        let origin = Origin {
            file: path.to_path_buf(),
            line,
        };
        let key = |field: &str| format!("packages[{index}].{field}");
        let name = match PackageName::from_str(&package.name) {
            Ok(name) => name,
            Err(error) => {
                errors.push(shape(
                    path,
                    line,
                    key("name"),
                    format!("is not a valid name: {error}"),
                ));
                continue;
            }
        };
        let mut marker = match &package.marker {
            Some(text) => match lock_marker(
                path,
                line,
                &key("marker"),
                Some(&rewrite_lock_marker_variables(text)),
            ) {
                Ok(marker) => marker,
                Err(error) => {
                    errors.push(error);
                    continue;
                }
            },
            None => MarkerTree::TRUE,
        };
        if let Some(requires_python) = &package.requires_python {
            let Some(python) = python_marker(requires_python) else {
                errors.push(shape(
                    path,
                    line,
                    key("requires-python"),
                    format!("is not valid version specifiers: `{requires_python}`"),
                ));
                continue;
            };
            marker.and(python);
        }
        let sources = [
            package.vcs.is_some(),
            package.directory.is_some(),
            package.archive.is_some(),
            package.sdist.is_some() || package.wheels.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() != 1 {
            errors.push(shape(path, line, format!("packages[{index}]"), format!("(`{}`) must have exactly one of `vcs`, `directory`, `archive`, or `sdist`/`wheels`", package.name)));
            continue;
        }
        if package.directory.is_some() {
            set.skipped.push(SkippedEntry {
                raw: package.name.clone(),
                origin: Some(origin),
                reason: SkipReason::LocalSource,
            });
            continue;
        }
        if let Some(vcs) = &package.vcs {
            let Some(url) = &vcs.url else {
                set.skipped.push(SkippedEntry {
                    raw: package.name.clone(),
                    origin: Some(origin),
                    reason: SkipReason::LocalSource,
                });
                continue;
            };
            let kind = vcs.kind.as_deref().unwrap_or("git");
            let mut full = format!("{kind}+{url}");
            if let Some(commit) = &vcs.commit_id {
                full.push('@');
                full.push_str(commit);
            }
            match direct(name, &full, marker) {
                Ok(requirement) => set.requirements.push(locked(requirement, origin)),
                Err(error) => errors.push(shape(
                    path,
                    line,
                    key("vcs.url"),
                    format!("is not a URL: {error}"),
                )),
            }
            continue;
        }
        if let Some(archive) = &package.archive {
            let Some(url) = &archive.url else {
                set.skipped.push(SkippedEntry {
                    raw: package.name.clone(),
                    origin: Some(origin),
                    reason: SkipReason::LocalSource,
                });
                continue;
            };
            match direct(name, url, marker) {
                Ok(requirement) => set.requirements.push(locked(requirement, origin)),
                Err(error) => errors.push(shape(
                    path,
                    line,
                    key("archive.url"),
                    format!("is not a URL: {error}"),
                )),
            }
            continue;
        }
        let Some(text) = &package.version else {
            errors.push(shape(
                path,
                line,
                key("version"),
                format!(
                    "is missing for `{}` (required for packages from an index)",
                    package.name
                ),
            ));
            continue;
        };
        match Version::from_str(text) {
            Ok(version) => set
                .requirements
                .push(locked(pinned(name, version, marker), origin)),
            Err(error) => errors.push(shape(
                path,
                line,
                key("version"),
                format!("is not a version: {error}"),
            )),
        }
    }
    if let Some(error) = RequirementsError::from_many(errors) {
        return Err(error);
    }
    set.dedup();
    Ok(set)
}

/// `>=3.9,<4` as the marker `python_full_version >= '3.9' and python_full_version < '4'`.
fn python_marker(requires_python: &str) -> Option<MarkerTree> {
    let specifiers = VersionSpecifiers::from_str(requires_python).ok()?;
    let mut marker = MarkerTree::TRUE;
    for specifier in specifiers.iter() {
        let text = format!(
            "python_full_version {} '{}{}'",
            specifier.operator(),
            specifier.version(),
            if matches!(
                specifier.operator(),
                pep440_rs::Operator::EqualStar | pep440_rs::Operator::NotEqualStar
            ) {
                ".*"
            } else {
                ""
            }
        );
        marker.and(crate::pep508::parse_marker(&text).ok()?);
    }
    Some(marker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::test_support::{fixtures, shown};

    fn read(name: &str) -> (std::path::PathBuf, String) {
        let path = fixtures().join("lock").join(name);
        let text = fs_err::read_to_string(&path).unwrap();
        (path, text)
    }

    #[test]
    fn uv_lock_pins_with_markers_computed_over_the_graph() {
        let (path, text) = read("uv.lock");
        let set = parse_uv_lock(&path, &text).unwrap();
        assert!(set.requirements.iter().all(|r| r.locked));
        assert_eq!(
            shown(&set.requirements),
            [
                "anyio==4.4.0",
                "attrs==24.2.0",
                "colorama==0.4.6 ; sys_platform == 'win32' or platform_system == 'Windows'",
                "exceptiongroup==1.2.2 ; python_full_version < '3.11'",
                "idna==3.7",
                "iniconfig==2.0.0",
                "mylib @ git+https://git.example.org/org/mylib?rev=v0.3.0#0123456789abcdef0123456789abcdef01234567",
                "numpy==1.26.4 ; python_full_version < '3.12'",
                "numpy==2.1.0 ; python_full_version >= '3.12'",
                "pytest==8.3.2",
                "pywin32==306 ; sys_platform == 'win32'",
                "sniffio==1.3.1",
                "tqdm==4.66.4",
                "trio==0.26.0",
                "typing-extensions==4.12.2 ; python_full_version < '3.11'",
            ]
        );
        assert_eq!(set.skipped.len(), 1);
        assert_eq!(set.skipped[0].raw, "shared");
        assert_eq!(set.skipped[0].reason, SkipReason::LocalSource);
        let origin = set.requirements[0].origin.as_ref().unwrap();
        assert_eq!(origin.line, 9);
        assert_eq!(set.requires_python[0].specifiers.to_string(), ">=3.10");
    }

    #[test]
    fn uv_lock_conflict_markers_on_extras_are_taken_as_satisfied() {
        let text = r#"
version = 1
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }

[package.optional-dependencies]
cpu = [{ name = "torch", version = "2.4.0", marker = "extra == 'extra-3-app-cpu'" }]
cuda = [{ name = "torch", version = "2.4.0+cu124", marker = "sys_platform == 'linux' and extra == 'extra-3-app-cuda'" }]

[[package]]
name = "torch"
version = "2.4.0"
source = { registry = "https://mirror.example.org/simple" }

[[package]]
name = "torch"
version = "2.4.0+cu124"
source = { registry = "https://mirror.example.org/cu124" }
"#;
        let set = parse_uv_lock(Path::new("uv.lock"), text).unwrap();
        assert_eq!(
            shown(&set.requirements),
            [
                "torch==2.4.0",
                "torch==2.4.0+cu124 ; sys_platform == 'linux'"
            ]
        );
    }

    #[test]
    fn uv_lock_errors() {
        let error = parse_uv_lock(Path::new("uv.lock"), "version = 2\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "uv.lock: unsupported lock file version `2` (supported: 1)"
        );
        let text = "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [{ name = \"ghost\" }]\n";
        let error = parse_uv_lock(Path::new("uv.lock"), text).unwrap_err();
        assert_eq!(
            error.to_string(),
            "uv.lock:2: `package[0].dependencies[0]` names `ghost`, which is not a package of the lock"
        );
        let error = parse_uv_lock(
            Path::new("uv.lock"),
            "version = 1\n[[package]]\nversion = \"1\"\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`uv.lock` is not valid TOML: line 2: missing field `name`"
        );
    }

    #[test]
    fn pylock_pins_with_markers_and_requires_python() {
        let (path, text) = read("pylock.toml");
        let set = parse_pylock(&path, &text).unwrap();
        assert!(set.requirements.iter().all(|r| r.locked));
        assert_eq!(
            shown(&set.requirements),
            [
                "attrs==25.1.0 ; python_full_version >= '3.8'",
                "click==8.1.8",
                "numpy==2.2.3 ; python_full_version >= '3.10' and sys_platform == 'linux'",
                "pytest==8.3.4 ; python_full_version >= '3.11'",
                "colorama==0.4.6 ; sys_platform == 'win32'",
                "mylib @ git+https://git.example.org/org/mylib.git@0123456789abcdef0123456789abcdef01234567 ; sys_platform == 'linux'",
                "thing @ https://example.org/dist/thing-2.0.tar.gz",
            ]
        );
        assert_eq!(set.skipped.len(), 1);
        assert_eq!(
            (set.skipped[0].raw.as_str(), &set.skipped[0].reason),
            ("web-app", &SkipReason::LocalSource)
        );
        assert_eq!(set.requires_python[0].specifiers.to_string(), ">=3.11");
    }

    #[test]
    fn pylock_version_is_checked() {
        let (path, text) = read("pylock.future.toml");
        let error = parse_pylock(&path, &text).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: unsupported lock file version `2.0` (supported: 1.x)",
                path.display()
            )
        );
        // A newer minor version is read (with a warning).
        let set = parse_pylock(
            Path::new("pylock.toml"),
            "lock-version = '1.1'\n[[packages]]\nname = 'a'\nversion = '1'\nwheels = []\n",
        )
        .unwrap();
        assert_eq!(shown(&set.requirements), ["a==1"]);
    }

    #[test]
    fn pylock_shape_errors() {
        let error = parse_pylock(
            Path::new("pylock.toml"),
            "lock-version = '1.0'\n[[packages]]\nname = 'a'\nwheels = []\n\n[[packages]]\nname = 'b'\nversion = '1'\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "pylock.toml:2: `packages[0].version` is missing for `a` (required for packages from an index)\n\
             pylock.toml:6: `packages[1]` (`b`) must have exactly one of `vcs`, `directory`, `archive`, or `sdist`/`wheels`"
        );
    }

    #[test]
    fn pep751_marker_variables_are_rewritten() {
        assert_eq!(
            rewrite_lock_marker_variables(
                "'cli' in extras and (\"dev\" not in dependency_groups or os_name == 'nt')"
            ),
            "(os_name == 'x' or os_name != 'x') and ((os_name == 'x' or os_name != 'x') or os_name == 'nt')"
        );
        assert_eq!(
            rewrite_lock_marker_variables("extra == 'in extras' and 'x' in platform_release"),
            "extra == 'in extras' and 'x' in platform_release"
        );
        let negated = rewrite_lock_marker_variables("'cli' not in extras");
        assert!(MarkerTree::from_str(&negated).unwrap().is_true());
        let both = rewrite_lock_marker_variables("'cli' in extras or 'dev' in dependency_groups");
        assert!(MarkerTree::from_str(&both).unwrap().is_true());
    }
}
