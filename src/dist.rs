//! Distribution files as an index lists them: the shared vocabulary between the index client
//! (which produces [`ProjectPage`]s) and the pure assessment and resolution code (which consumes
//! them). Nothing here does I/O.
//!
//! A [`ProjectPage`] is the compact, parsed form of one project's Simple-API page (PEP 503 HTML or
//! PEP 691 JSON): only what assessment needs, so it is also what the on-disk cache stores.
//!
//! Memory layout matters here: a warm run over seventy popular projects materializes well over a
//! hundred thousand [`DistFile`]s from the cache, and allocating (and the kernel zeroing pages
//! for) ten small strings per file used to dominate such a run. What repeats within a page is
//! therefore shared: wheel tag sets ([`crate::filename::TagSet`]) and `requires-python` values
//! ([`RequiresPython`], parsed once per distinct value rather than once per file and target),
//! both through a per-page [`PageInterner`]; versions are reference-counted by `pep440_rs`.
//! What is unique per file (URL, file name, digest, upload time) shares one allocation, with
//! the file name usually a suffix of the URL (see [`DistFile`]); build one from
//! [`DistFileParts`].

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};

use crate::filename::{DistFilename, TagInterner, WheelFilename};

/// One project's files, merged over every configured index and find-links location.
#[derive(Clone, Debug)]
pub struct ProjectPage {
    /// The normalized project name (PEP 503).
    pub name: PackageName,
    /// Every file whose name parsed as a wheel or an sdist of this project. Order is not
    /// significant.
    pub files: Vec<DistFile>,
}

impl ProjectPage {
    /// What identifies this listing: a hash of every file as listed (name, URL, hash, upload
    /// time, `requires-python`, yanked, core metadata, size), in order. The page cache writes it
    /// into each entry ([`crate::index::PageId`]); equal ids mean the same listing, within one
    /// build of wheelwatch (the hash function is the standard library's, which may change
    /// between Rust releases: then ids only stop matching).
    pub(crate) fn listing_id(files: &[DistFile]) -> u64 {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::hash::DefaultHasher::new();
        files.len().hash(&mut hasher);
        for file in files {
            file.text.hash(&mut hasher);
            file.requires_python_str().hash(&mut hasher);
            file.yanked.hash(&mut hasher);
            file.core_metadata.hash(&mut hasher);
            file.size.hash(&mut hasher);
        }
        hasher.finish()
    }
}

/// One file of a project: a wheel or a source distribution.
///
/// The file's texts (URL, file name, SHA-256, upload time) live in one allocation: the URL,
/// then the file name unless the URL already ends with it (it nearly always does), then the
/// digest and the upload time; accessors slice it. Four separate strings per file were most of
/// a warm run's memory (see the module docs).
#[derive(Clone, Debug)]
pub struct DistFile {
    text: Box<str>,
    url_end: u32,
    filename_start: u32,
    filename_end: u32,
    sha256_end: u32,
    has_sha256: bool,
    has_upload_time: bool,
    /// The parsed file name: version and, for wheels, tags.
    pub parsed: DistFilename,
    /// The `requires-python` value as listed (may be invalid; see [`RequiresPython`]).
    pub requires_python: Option<RequiresPython>,
    /// `Some(reason)` when the file is yanked (PEP 592); the reason may be empty.
    pub yanked: Option<String>,
    /// The index serves `<url>.metadata` (PEP 658/714).
    pub core_metadata: bool,
    /// Size in bytes when the index lists it.
    pub size: Option<u64>,
}

/// Everything a [`DistFile`] is built from.
#[derive(Clone, Debug)]
pub struct DistFileParts<'a> {
    /// The file name as listed (e.g. `numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`).
    pub filename: &'a str,
    /// Absolute URL (or `file://` URL for find-links). Must not contain credentials: the index
    /// client strips them before building this value.
    pub url: &'a str,
    /// The parsed file name.
    pub parsed: DistFilename,
    /// The `requires-python` value as listed.
    pub requires_python: Option<RequiresPython>,
    /// `Some(reason)` when the file is yanked; the reason may be empty.
    pub yanked: Option<String>,
    /// The index serves `<url>.metadata`.
    pub core_metadata: bool,
    /// SHA-256 hex digest when the index lists one.
    pub sha256: Option<&'a str>,
    /// Size in bytes when the index lists it.
    pub size: Option<u64>,
    /// Upload time as listed (RFC 3339), when the index gives one.
    pub upload_time: Option<&'a str>,
}

/// Offsets are `u32`: a longer text than 4 GiB cannot come from an index listing, and is cut.
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<DistFileParts<'_>> for DistFile {
    fn from(parts: DistFileParts<'_>) -> Self {
        let url = parts.url;
        let in_url = url.ends_with(parts.filename);
        let extra_name = if in_url { "" } else { parts.filename };
        let sha = parts.sha256.unwrap_or_default();
        let upload = parts.upload_time.unwrap_or_default();
        let mut text =
            String::with_capacity(url.len() + extra_name.len() + sha.len() + upload.len());
        text.push_str(url);
        text.push_str(extra_name);
        text.push_str(sha);
        text.push_str(upload);
        let (filename_start, filename_end) = if in_url {
            (url.len() - parts.filename.len(), url.len())
        } else {
            (url.len(), url.len() + extra_name.len())
        };
        let names_end = url.len() + extra_name.len();
        Self {
            text: text.into_boxed_str(),
            url_end: offset(url.len()),
            filename_start: offset(filename_start),
            filename_end: offset(filename_end),
            sha256_end: offset(names_end + sha.len()),
            has_sha256: parts.sha256.is_some(),
            has_upload_time: parts.upload_time.is_some(),
            parsed: parts.parsed,
            requires_python: parts.requires_python,
            yanked: parts.yanked,
            core_metadata: parts.core_metadata,
            size: parts.size,
        }
    }
}

impl DistFile {
    fn slice(&self, start: u32, end: u32) -> &str {
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// The file name as listed (e.g. `numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`).
    pub fn filename(&self) -> &str {
        self.slice(self.filename_start, self.filename_end)
    }

    /// Absolute URL (or `file://` URL for find-links). Never contains credentials.
    pub fn url(&self) -> &str {
        self.slice(0, self.url_end)
    }

    /// SHA-256 hex digest when the index lists one.
    pub fn sha256(&self) -> Option<&str> {
        let start = self.url_end.max(self.filename_end);
        self.has_sha256.then(|| self.slice(start, self.sha256_end))
    }

    /// Replaces the listed SHA-256 digest.
    pub fn set_sha256(&mut self, sha256: Option<&str>) {
        *self = Self::from(DistFileParts {
            filename: self.filename(),
            url: self.url(),
            parsed: self.parsed.clone(),
            requires_python: self.requires_python.clone(),
            yanked: self.yanked.clone(),
            core_metadata: self.core_metadata,
            sha256,
            size: self.size,
            upload_time: self.upload_time(),
        });
    }

    /// Upload time as listed (RFC 3339), when the index gives one.
    pub fn upload_time(&self) -> Option<&str> {
        self.has_upload_time
            .then(|| self.slice(self.sha256_end, offset(self.text.len())))
    }

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
    pub fn requires_python(&self) -> Option<&VersionSpecifiers> {
        self.requires_python.as_ref()?.specifiers()
    }

    /// The `requires-python` value as listed, if any.
    pub fn requires_python_str(&self) -> Option<&str> {
        self.requires_python.as_ref().map(RequiresPython::as_str)
    }

    /// Whether `python` may install this file (absent or invalid `requires-python` allows
    /// every Python, as pip does).
    pub fn allows_python(&self, python: &Version) -> bool {
        self.requires_python
            .as_ref()
            .is_none_or(|rp| rp.allows(python))
    }
}

/// A `requires-python` value as listed, together with its lenient parse
/// ([`parse_requires_python`]). Cheap to clone: files of a page share one per distinct value.
#[derive(Clone)]
pub struct RequiresPython(Arc<(Box<str>, Option<VersionSpecifiers>)>);

impl RequiresPython {
    /// Parses `raw` leniently and keeps it verbatim.
    pub fn new(raw: &str) -> Self {
        Self(Arc::new((raw.into(), parse_requires_python(raw))))
    }

    /// The value as listed.
    pub fn as_str(&self) -> &str {
        &self.0.0
    }

    /// The parsed specifiers; `None` when the value is invalid (and therefore ignored).
    pub fn specifiers(&self) -> Option<&VersionSpecifiers> {
        self.0.1.as_ref()
    }

    /// Whether `python` satisfies the value (an invalid value allows every Python).
    pub fn allows(&self, python: &Version) -> bool {
        self.specifiers().is_none_or(|s| s.contains(python))
    }
}

/// Judges files' `requires-python` against one Python, remembering the last distinct value:
/// consecutive files of a page nearly always share one (interned) value, so a page of
/// thousands of files costs a handful of specifier checks instead of one per file.
pub struct PythonFilter<'v> {
    python: &'v Version,
    /// Address of the last value judged, and the answer. Only compared, never dereferenced;
    /// valid while the files judged are alive (keep the filter no longer than the page).
    last: Option<(usize, bool)>,
}

impl<'v> PythonFilter<'v> {
    /// A filter for `python`.
    pub fn new(python: &'v Version) -> Self {
        Self { python, last: None }
    }

    /// Same answer as [`DistFile::allows_python`].
    pub fn allows(&mut self, file: &DistFile) -> bool {
        let Some(rp) = &file.requires_python else {
            return true;
        };
        let addr = Arc::as_ptr(&rp.0).addr();
        if let Some((last, answer)) = self.last
            && last == addr
        {
            return answer;
        }
        let answer = rp.allows(self.python);
        self.last = Some((addr, answer));
        answer
    }
}

impl std::fmt::Debug for RequiresPython {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for RequiresPython {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RequiresPython {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::new(&raw))
    }
}

/// Shares what repeats among the files of one page (see the module docs): wheel tag sets and
/// `requires-python` values. One per page being built; dropped with the decoder.
#[derive(Debug, Default)]
pub struct PageInterner {
    /// Wheel tag sets.
    pub tags: TagInterner,
    requires_python: HashMap<Box<str>, RequiresPython>,
}

impl PageInterner {
    /// The shared value for `raw`.
    pub fn requires_python(&mut self, raw: &str) -> RequiresPython {
        if let Some(rp) = self.requires_python.get(raw) {
            return rp.clone();
        }
        let rp = RequiresPython::new(raw);
        self.requires_python.insert(raw.into(), rp.clone());
        rp
    }

    /// Re-points a freshly parsed file name's tag sets at the shared ones.
    pub fn share_tags(&mut self, parsed: &mut DistFilename) {
        if let DistFilename::Wheel(wheel) = parsed {
            for set in [&mut wheel.python, &mut wheel.abi, &mut wheel.platform] {
                if let Ok(shared) = self.tags.intern(set.as_str()) {
                    *set = shared;
                }
            }
        }
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
        // What a hostile index may send: errors (no constraint), never a panic.
        let long = "9".repeat(400);
        for odd in [
            format!(">={long}"),
            format!(">=3.{long}"),
            ">=3.é".to_string(),
            "~=3".to_string(),
            "==3.*.*".to_string(),
            ">=3.6.*.*".to_string(),
            "\u{1b}[31m>=3".to_string(),
            ",,,,".to_string(),
            "'\"".to_string(),
            ">=３.８".to_string(),
        ] {
            let _ = parse_requires_python(&odd);
        }
        assert!(parse_requires_python("~=3").is_none());
        assert!(parse_requires_python("").is_none());
    }
}
