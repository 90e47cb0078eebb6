//! PEP 751 `pylock.toml` (lock-version 1.x) as a pinned set: each package, on its own, becomes a
//! pin, a direct reference or a skipped local source under its `marker` and `requires-python`.

use std::path::Path;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerTree, PackageName};
use serde::Deserialize;
use toml::Spanned;

use super::{Pin, direct, lock_marker, locked, parse_requires_python, pinned, shape, toml_error};
use crate::requirements::{
    LineIndex, Origin, RequirementSet, RequirementsError, SkipReason, SkippedEntry,
};

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
pub(super) fn rewrite_lock_marker_variables(marker: &str) -> String {
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
    check_version(path, lock.lock_version.as_deref())?;
    let mut set = RequirementSet::default();
    set.requires_python.extend(parse_requires_python(
        path,
        "requires-python",
        lock.requires_python.as_deref(),
    )?);
    let mut errors = Vec::new();
    let line_index = LineIndex::new(content);
    for (index, spanned) in lock.packages.iter().enumerate() {
        let line = line_index.line(spanned.span().start);
        match pin(path, index, line, spanned.get_ref()) {
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

/// `lock-version` 1.x is read (a newer minor version as 1.0, with a warning); a file without one
/// is not a PEP 751 lock file.
fn check_version(path: &Path, lock_version: Option<&str>) -> Result<(), RequirementsError> {
    let Some(lock_version) = lock_version else {
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
            found: lock_version.to_string(),
            supported: "1.x".to_string(),
        });
    }
    if minor != "0" {
        tracing::warn!(
            "{}: lock-version {lock_version} is newer than 1.0; reading it as 1.0",
            path.display()
        );
    }
    Ok(())
}

/// One package: its name, its marker, and exactly one source.
fn pin(
    path: &Path,
    index: usize,
    line: usize,
    package: &PylockPackage,
) -> Result<Pin, RequirementsError> {
    let key = |field: &str| format!("packages[{index}].{field}");
    let name = PackageName::from_str(&package.name).map_err(|error| {
        shape(
            path,
            line,
            key("name"),
            format!("is not a valid name: {error}"),
        )
    })?;
    let marker = package_marker(path, line, &key, package)?;
    let origin = Origin {
        file: path.to_path_buf(),
        line,
    };
    let sources = [
        package.vcs.is_some(),
        package.directory.is_some(),
        package.archive.is_some(),
        package.sdist.is_some() || package.wheels.is_some(),
    ];
    if sources.iter().filter(|&&s| s).count() != 1 {
        return Err(shape(
            path,
            line,
            format!("packages[{index}]"),
            format!(
                "(`{}`) must have exactly one of `vcs`, `directory`, `archive`, or `sdist`/`wheels`",
                package.name
            ),
        ));
    }
    let skipped = || {
        Pin::Skipped(SkippedEntry {
            raw: package.name.clone(),
            origin: Some(origin.clone()),
            reason: SkipReason::LocalSource,
        })
    };
    let (url, url_key) = if package.directory.is_some() {
        return Ok(skipped());
    } else if let Some(vcs) = &package.vcs {
        let Some(url) = &vcs.url else {
            return Ok(skipped());
        };
        let kind = vcs.kind.as_deref().unwrap_or("git");
        let mut full = format!("{kind}+{url}");
        if let Some(commit) = &vcs.commit_id {
            full.push('@');
            full.push_str(commit);
        }
        (full, "vcs.url")
    } else if let Some(archive) = &package.archive {
        let Some(url) = &archive.url else {
            return Ok(skipped());
        };
        (url.clone(), "archive.url")
    } else {
        let Some(text) = &package.version else {
            return Err(shape(
                path,
                line,
                key("version"),
                format!(
                    "is missing for `{}` (required for packages from an index)",
                    package.name
                ),
            ));
        };
        let version = Version::from_str(text).map_err(|error| {
            shape(
                path,
                line,
                key("version"),
                format!("is not a version: {error}"),
            )
        })?;
        return Ok(Pin::Requirement(locked(
            pinned(name, version, marker),
            origin,
        )));
    };
    match direct(name, &url, marker) {
        Ok(requirement) => Ok(Pin::Requirement(locked(requirement, origin))),
        Err(error) => Err(shape(
            path,
            line,
            key(url_key),
            format!("is not a URL: {error}"),
        )),
    }
}

/// The package's `marker` (PEP 751's marker variables taken as satisfied) and its
/// `requires-python` as a marker, joined.
fn package_marker(
    path: &Path,
    line: usize,
    key: &impl Fn(&str) -> String,
    package: &PylockPackage,
) -> Result<MarkerTree, RequirementsError> {
    let mut marker = match &package.marker {
        Some(text) => lock_marker(
            path,
            line,
            &key("marker"),
            Some(&rewrite_lock_marker_variables(text)),
        )?,
        None => MarkerTree::TRUE,
    };
    if let Some(requires_python) = &package.requires_python {
        let Some(python) = python_marker(requires_python) else {
            return Err(shape(
                path,
                line,
                key("requires-python"),
                format!("is not valid version specifiers: `{requires_python}`"),
            ));
        };
        marker.and(python);
    }
    Ok(marker)
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
