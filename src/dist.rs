//! Distribution files as an index lists them: the shared vocabulary between the index client
//! (which produces [`ProjectPage`]s) and the pure assessment and resolution code (which consumes
//! them). Nothing here does I/O.
//!
//! A [`ProjectPage`] is the compact, parsed form of one project's Simple-API page (PEP 503 HTML or
//! PEP 691 JSON): only what assessment needs, so it is also what the on-disk cache stores.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};

use crate::filename::{DistFilename, WheelFilename};

/// One project's files, merged over every configured index and find-links location.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProjectPage {
    /// The normalized project name (PEP 503).
    pub name: PackageName,
    /// Every file whose name parsed as a wheel or an sdist of this project. Order is not
    /// significant.
    pub files: Vec<DistFile>,
}

/// One file of a project: a wheel or a source distribution.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DistFile {
    /// The file name as listed (e.g. `numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`).
    pub filename: String,
    /// Absolute URL (or `file://` URL for find-links). Never contains credentials: the index
    /// client strips them before building this value.
    pub url: String,
    /// The parsed file name: version and, for wheels, tags.
    pub parsed: DistFilename,
    /// The `requires-python` value as listed, verbatim (may be invalid; see
    /// [`DistFile::requires_python`]).
    pub requires_python: Option<String>,
    /// `Some(reason)` when the file is yanked (PEP 592); the reason may be empty.
    pub yanked: Option<String>,
    /// The index serves `<url>.metadata` (PEP 658/714).
    pub core_metadata: bool,
    /// SHA-256 hex digest when the index lists one.
    pub sha256: Option<String>,
    /// Size in bytes when the index lists it.
    pub size: Option<u64>,
    /// Upload time as listed (RFC 3339), when the index gives one.
    pub upload_time: Option<String>,
}

impl DistFile {
    /// The version this file carries.
    pub fn version(&self) -> &Version {
        self.parsed.version()
    }

    /// The wheel file name, when this file is a wheel.
    pub fn wheel(&self) -> Option<&WheelFilename> {
        match &self.parsed {
            DistFilename::Wheel(wheel) => Some(wheel),
            DistFilename::Sdist(_) => None,
        }
    }

    /// Whether this file is yanked.
    pub fn is_yanked(&self) -> bool {
        self.yanked.is_some()
    }

    /// `requires-python` parsed the way pip treats it: an invalid specifier (real index data has
    /// `">=3.6.*"` and `">= '2.7'"`) is ignored, i.e. the file is treated as compatible with
    /// every Python. Returns `None` when absent or unparseable.
    pub fn requires_python(&self) -> Option<VersionSpecifiers> {
        parse_requires_python(self.requires_python.as_deref()?)
    }
}

/// Parses a `requires-python` value leniently: trailing `.*` on ordering operators and quotes
/// are repaired first (as `packaging` did before version 22 and pip's index data still needs);
/// anything still invalid yields `None` (treated as "no constraint", as pip does).
pub fn parse_requires_python(raw: &str) -> Option<VersionSpecifiers> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(specs) = VersionSpecifiers::from_str(raw) {
        return Some(specs);
    }
    let repaired: String = raw
        .split(',')
        .map(|part| {
            let part = part.trim().replace(['\'', '"'], "");
            let part = part.trim();
            let is_eq = part.starts_with("==") || part.starts_with("!=");
            if !is_eq && part.ends_with(".*") {
                part.trim_end_matches(".*").to_string()
            } else {
                part.to_string()
            }
        })
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    VersionSpecifiers::from_str(&repaired).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_python_repairs_what_real_indexes_serve() {
        let v = |s: &str| Version::from_str(s).unwrap();
        let spec = parse_requires_python(">=3.6.*").expect("repaired");
        assert!(spec.contains(&v("3.6.0")));
        assert!(!spec.contains(&v("3.5.9")));
        let spec = parse_requires_python(">= '2.7'").expect("repaired");
        assert!(spec.contains(&v("2.7.0")));
        assert!(parse_requires_python("garbage!!").is_none());
        assert!(parse_requires_python("").is_none());
    }
}
