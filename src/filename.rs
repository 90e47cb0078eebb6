//! Wheel and source-distribution file names (the binary distribution format spec and PEP 625),
//! parsed into typed values. Pure: no I/O.
//!
//! Written here rather than taken from uv's `uv-distribution-filename`, which brings its own
//! version types and calls its API unstable; the grammar is small and fully tested below.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A file name that failed to parse, with the input and the reason.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("the file name {filename:?} is invalid: {reason}")]
pub struct FilenameError {
    /// The file name given.
    pub filename: String,
    /// What was wrong.
    pub reason: String,
}

fn err(filename: &str, reason: impl Into<String>) -> FilenameError {
    FilenameError {
        filename: filename.to_string(),
        reason: reason.into(),
    }
}

/// One compressed tag set of a wheel file name (`py2.py3`, `cp312`,
/// `manylinux_2_17_x86_64.manylinux2014_x86_64`), kept as written and split on demand.
///
/// Why not a `Vec<String>`: a warm run holds every file of every page in memory (over a
/// hundred thousand wheels for seventy popular projects) and a page repeats the same few dozen
/// tag sets thousands of times. One shared string per distinct set (the page decoders intern
/// them, see [`TagInterner`]) costs no allocation per file, where vectors of strings cost six
/// or more, and comparing two interned sets is a pointer comparison.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TagSet(Arc<str>);

impl TagSet {
    /// A tag set from its `.`-joined form. Errors on an empty tag (`a..b`, ``).
    pub fn new(joined: &str) -> Result<Self, &'static str> {
        Self::check(joined)?;
        Ok(Self(Arc::from(joined)))
    }

    fn check(joined: &str) -> Result<(), &'static str> {
        if joined.split('.').any(str::is_empty) {
            return Err("empty tag");
        }
        Ok(())
    }

    /// The tags, in written order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        self.0.split('.')
    }

    /// The set as written in the file name, `.`-joined.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address of the shared string: equal for interned copies of one set, so callers can
    /// memoize per distinct set cheaply. (Two equal sets may still have different addresses.)
    pub fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

impl fmt::Debug for TagSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Display for TagSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const N: usize> PartialEq<[&str; N]> for TagSet {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

impl Serialize for TagSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for TagSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tags = Vec::<String>::deserialize(deserializer)?;
        Self::new(&tags.join(".")).map_err(serde::de::Error::custom)
    }
}

/// Shares one [`TagSet`] per distinct string among the files of a page (see [`TagSet`] for why).
#[derive(Debug, Default)]
pub struct TagInterner {
    sets: std::collections::HashMap<Box<str>, TagSet>,
    /// The sets seen last, by a cheap slot of their text: consecutive files of a page repeat
    /// them, and comparing a short string beats hashing it.
    recent: [Option<TagSet>; 8],
}

impl TagInterner {
    /// The shared tag set for `joined`. Errors on an empty tag.
    pub fn intern(&mut self, joined: &str) -> Result<TagSet, &'static str> {
        let bytes = joined.as_bytes();
        let slot = (bytes.len() + usize::from(bytes.last().copied().unwrap_or(0))) % 8;
        if let Some(set) = &self.recent[slot]
            && set.as_str() == joined
        {
            return Ok(set.clone());
        }
        let set = if let Some(set) = self.sets.get(joined) {
            set.clone()
        } else {
            let set = TagSet::new(joined)?;
            self.sets.insert(joined.into(), set.clone());
            set
        };
        self.recent[slot] = Some(set.clone());
        Ok(set)
    }
}

/// `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, with compressed tag sets
/// (`py2.py3`) kept as [`TagSet`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WheelFilename {
    /// Normalized distribution name.
    pub name: PackageName,
    /// The version.
    pub version: Version,
    /// Optional build tag (`1`, `2_foo`).
    pub build: Option<String>,
    /// Python tags, e.g. `cp312` or `py2.py3`.
    pub python: TagSet,
    /// ABI tags, e.g. `cp312`, `abi3`, `none`.
    pub abi: TagSet,
    /// Platform tags, e.g. `manylinux_2_17_x86_64.manylinux2014_x86_64`.
    pub platform: TagSet,
}

impl WheelFilename {
    /// Every `python-abi-platform` triple this wheel declares (the cartesian product of its
    /// compressed tag sets).
    pub fn tag_triples(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.python.iter().flat_map(move |py| {
            self.abi
                .iter()
                .flat_map(move |abi| self.platform.iter().map(move |plat| (py, abi, plat)))
        })
    }

    /// The platform tags joined back with `.`, as written in the file name.
    pub fn platform_tag(&self) -> String {
        self.platform.as_str().to_string()
    }
}

impl FromStr for WheelFilename {
    type Err = FilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        let stem = filename
            .strip_suffix(".whl")
            .ok_or_else(|| err(filename, "must end with .whl"))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, python, abi, platform) = match parts.as_slice() {
            [name, version, python, abi, platform] => {
                (*name, *version, None, *python, *abi, *platform)
            }
            [name, version, build, python, abi, platform] => {
                if !build.starts_with(|c: char| c.is_ascii_digit()) {
                    return Err(err(filename, "the build tag must start with a digit"));
                }
                (
                    *name,
                    *version,
                    Some((*build).to_string()),
                    *python,
                    *abi,
                    *platform,
                )
            }
            _ => {
                return Err(err(
                    filename,
                    "expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl",
                ));
            }
        };
        let name =
            PackageName::from_str(name).map_err(|e| err(filename, format!("invalid name: {e}")))?;
        let version = Version::from_str(version)
            .map_err(|e| err(filename, format!("invalid version: {e}")))?;
        let split = |s: &str, what: &str| -> Result<TagSet, FilenameError> {
            TagSet::new(s).map_err(|_| err(filename, format!("empty {what} tag")))
        };
        Ok(Self {
            name,
            version,
            build,
            python: split(python, "python")?,
            abi: split(abi, "ABI")?,
            platform: split(platform, "platform")?,
        })
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name.as_dist_info_name();
        write!(f, "{name}-{}", self.version)?;
        if let Some(build) = &self.build {
            write!(f, "-{build}")?;
        }
        write!(f, "-{}-{}-{}.whl", self.python, self.abi, self.platform)
    }
}

/// The archive formats a source distribution comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SdistExtension {
    /// `.tar.gz` (the only one PEP 625 allows).
    TarGz,
    /// `.zip` (legacy).
    Zip,
    /// `.tar.bz2`, `.tar.xz`, `.tgz`, `.tar` (legacy).
    OtherTar,
}

/// `{name}-{version}.tar.gz` (and legacy archive extensions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdistFilename {
    /// Normalized distribution name.
    pub name: PackageName,
    /// The version.
    pub version: Version,
    /// The archive format.
    pub extension: SdistExtension,
}

impl SdistFilename {
    /// Parses an sdist file name for a known project. The project name is needed because both
    /// names and versions may contain `-` in legacy sdists (`foo-bar-1.0.tar.gz`).
    pub fn parse(filename: &str, project: &PackageName) -> Result<Self, FilenameError> {
        let lower = filename.to_ascii_lowercase();
        let (stem_len, extension) = [
            (".tar.gz", SdistExtension::TarGz),
            (".zip", SdistExtension::Zip),
            (".tar.bz2", SdistExtension::OtherTar),
            (".tar.xz", SdistExtension::OtherTar),
            (".tgz", SdistExtension::OtherTar),
            (".tar", SdistExtension::OtherTar),
        ]
        .into_iter()
        .find_map(|(ext, kind)| lower.strip_suffix(ext).map(|s| (s.len(), kind)))
        .ok_or_else(|| err(filename, "not a wheel or a source archive"))?;
        let stem = &filename[..stem_len];
        // Try every '-' as the name/version split, preferring the one whose name matches.
        for (idx, _) in stem.match_indices('-') {
            let (name, version) = (&stem[..idx], &stem[idx + 1..]);
            if PackageName::from_str(name).is_ok_and(|n| &n == project) {
                let version = Version::from_str(version)
                    .map_err(|e| err(filename, format!("invalid version: {e}")))?;
                return Ok(Self {
                    name: project.clone(),
                    version,
                    extension,
                });
            }
        }
        Err(err(
            filename,
            format!("the name does not match the project `{project}`"),
        ))
    }
}

/// A wheel or an sdist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DistFilename {
    /// A built distribution.
    Wheel(WheelFilename),
    /// A source distribution.
    Sdist(SdistFilename),
}

impl DistFilename {
    /// Parses a file listed on `project`'s page. Wheels must carry the project's name.
    ///
    /// A name with whitespace or a control character (a newline, an escape) is no
    /// distribution's: pip's file-name patterns reject whitespace in every part, and such a name
    /// would otherwise reach reports and terminals verbatim.
    pub fn parse(filename: &str, project: &PackageName) -> Result<Self, FilenameError> {
        if let Some(c) = filename
            .chars()
            .find(|c| c.is_whitespace() || c.is_control())
        {
            let what = if c.is_control() {
                "a control character"
            } else {
                "whitespace"
            };
            return Err(err(
                filename,
                format!("it contains {what} (U+{:04X})", u32::from(c)),
            ));
        }
        if std::path::Path::new(filename)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("whl"))
        {
            let wheel = WheelFilename::from_str(filename)?;
            if &wheel.name != project {
                return Err(err(
                    filename,
                    format!("the name does not match the project `{project}`"),
                ));
            }
            Ok(Self::Wheel(wheel))
        } else {
            SdistFilename::parse(filename, project).map(Self::Sdist)
        }
    }

    /// The version of either kind.
    pub fn version(&self) -> &Version {
        match self {
            Self::Wheel(w) => &w.version,
            Self::Sdist(s) => &s.version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> PackageName {
        PackageName::from_str(s).unwrap()
    }

    #[test]
    fn wheel_with_compressed_tags_and_build() {
        let w = WheelFilename::from_str(
            "numpy-2.2.6-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(w.name, name("numpy"));
        assert_eq!(w.version.to_string(), "2.2.6");
        assert_eq!(w.build.as_deref(), Some("1"));
        assert_eq!(
            w.platform,
            ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
        );
        assert_eq!(w.tag_triples().count(), 2);
        assert_eq!(
            w.to_string(),
            "numpy-2.2.6-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        let universal = WheelFilename::from_str("six-1.16.0-py2.py3-none-any.whl").unwrap();
        assert_eq!(universal.python, ["py2", "py3"]);
    }

    #[test]
    fn wheel_errors_name_the_input() {
        let e = WheelFilename::from_str("foo.rs").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the file name \"foo.rs\" is invalid: must end with .whl"
        );
        let e = WheelFilename::from_str("foo-1.0-py3-none.whl").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the file name \"foo-1.0-py3-none.whl\" is invalid: expected")
        );
        assert!(WheelFilename::from_str("foo-1.0-x1-py3-none-any.whl").is_err());
    }

    #[test]
    fn sdists_with_dashes_and_legacy_extensions() {
        let s = SdistFilename::parse("foo-bar-1.0.tar.gz", &name("foo-bar")).unwrap();
        assert_eq!(s.version.to_string(), "1.0");
        let s = SdistFilename::parse("Foo_Bar-2.0rc1.zip", &name("foo-bar")).unwrap();
        assert_eq!(s.extension, SdistExtension::Zip);
        assert_eq!(s.version.to_string(), "2.0rc1");
        assert!(SdistFilename::parse("other-1.0.tar.gz", &name("foo")).is_err());
        assert!(SdistFilename::parse("foo-1.0.exe", &name("foo")).is_err());
    }

    #[test]
    fn whitespace_and_control_characters_are_not_distribution_names() {
        for bad in [
            "foo-1.0-py3-none-any\n.whl",
            "foo-1.0-py3-none-any.whl\n",
            "foo-1.0\n-py3-none-any.whl",
            "foo-1.0-1\tx-py3-none-any.whl",
            "foo-1.0-py3-none-\u{1b}[31many.whl",
            "foo-1.0 .tar.gz",
            "foo-1.0\r.tar.gz",
            "foo-1.0-py3-none-any\u{85}.whl",
        ] {
            let e = DistFilename::parse(bad, &name("foo")).unwrap_err();
            assert!(e.reason.starts_with("it contains "), "{bad:?}: {e}");
        }
        assert_eq!(
            DistFilename::parse("foo-1.0-py3-none-any\n.whl", &name("foo"))
                .unwrap_err()
                .to_string(),
            "the file name \"foo-1.0-py3-none-any\\n.whl\" is invalid: it contains a control character (U+000A)"
        );
    }

    #[test]
    fn odd_names_from_an_index_are_errors_not_panics() {
        let long = "9".repeat(400);
        let names = [
            format!("foo-{long}-py3-none-any.whl"),
            format!("foo-1.0a{long}.tar.gz"),
            "foo-1.0.*-py3-none-any.whl".to_string(),
            "foo-==1.0-py3-none-any.whl".to_string(),
            "foo-1.0é-py3-none-any.whl".to_string(),
            "foo-１.０-py3-none-any.whl".to_string(),
            "föö-1.0-py3-none-any.whl".to_string(),
            "foo-1.0-py3-none-any.WHL".to_string(),
            "-1.0-py3-none-any.whl".to_string(),
            "foo--py3-none-any.whl".to_string(),
            "foo-1.0-py3-none-.whl".to_string(),
            "foo-1.0--none-any.whl".to_string(),
            ".whl".to_string(),
            "foo-.tar.gz".to_string(),
            "foo-1!2!3.tar.gz".to_string(),
            "foo-1.0+é.tar.gz".to_string(),
            "foo-v1.0.post-1.dev-1.tar.gz".to_string(),
        ];
        for n in &names {
            let _ = DistFilename::parse(n, &name("foo"));
        }
        assert!(DistFilename::parse("foo-1.0-py3-none-.whl", &name("foo")).is_err());
    }

    #[test]
    fn dist_filename_checks_project_name() {
        assert!(DistFilename::parse("bar-1.0-py3-none-any.whl", &name("foo")).is_err());
        assert!(matches!(
            DistFilename::parse("foo-1.0-py3-none-any.whl", &name("foo")),
            Ok(DistFilename::Wheel(_))
        ));
    }
}
