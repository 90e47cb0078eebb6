//! Core metadata (`METADATA` in wheels, `PKG-INFO` in sdists, `<file>.metadata` from the index,
//! PEP 658): parsed into the few fields resolution needs. Pure: the caller fetches the text.
//!
//! The format is RFC 822-style headers (`Name: value`, continuation lines start with
//! whitespace, the body after the first blank line is the description). It is parsed by hand
//! here: the mail-parsing crates handle MIME and encodings we do not need, and none knows the
//! core-metadata rules (which fields repeat, what `Dynamic` means for an sdist).
//!
//! Leniency follows pip and uv: an invalid `Requires-Dist` line is skipped with a warning, an
//! invalid `Requires-Python` is ignored (see [`crate::dist::parse_requires_python`]); only a
//! missing or invalid `Metadata-Version`, `Name` or `Version` is an error, naming the field.
//!
//! Not owned here: fetching or unpacking archives, and deciding what to do with unknown
//! dependencies (the resolver reports them).

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, PackageName, Requirement};
use thiserror::Error;

use crate::dist::parse_requires_python;

/// Where a metadata file came from: it decides whether `Requires-Dist` can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataOrigin {
    /// A wheel's `METADATA` (or the index's PEP 658 copy of it): authoritative.
    Wheel,
    /// An sdist's `PKG-INFO`: authoritative only from Metadata-Version 2.2 on (PEP 643), and
    /// only when `Requires-Dist` is not declared `Dynamic`.
    Sdist,
}

/// The parsed core metadata of one distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreMetadata {
    /// `Metadata-Version` as `(major, minor)`.
    pub metadata_version: (u32, u32),
    /// `Name`, normalized.
    pub name: PackageName,
    /// `Version`.
    pub version: Version,
    /// Every valid `Requires-Dist`, in file order.
    pub requires_dist: Vec<Requirement>,
    /// `Requires-Python`, parsed leniently; `None` when absent or unparseable.
    pub requires_python: Option<VersionSpecifiers>,
    /// `Provides-Extra`, normalized (invalid names skipped with a warning).
    pub provides_extra: Vec<ExtraName>,
    /// `Dynamic` field names, lower-cased (`requires-dist`, ...).
    pub dynamic: Vec<String>,
    /// The dependencies are not known without building: an sdist `PKG-INFO` older than
    /// Metadata-Version 2.2, or one that declares `Dynamic: Requires-Dist`. `requires_dist`
    /// then holds whatever the file lists, which may be incomplete or empty.
    pub dependencies_unknown: bool,
    /// Lines that were skipped, each naming the field and the reason.
    pub warnings: Vec<String>,
}

/// A metadata file that could not be used. Each variant names the field at fault.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MetadataError {
    /// A required field is absent.
    #[error("core metadata has no `{field}` field")]
    Missing {
        /// The field name.
        field: &'static str,
    },
    /// A field has a value that cannot be parsed.
    #[error("core metadata field `{field}` has an invalid value `{value}`: {reason}")]
    Invalid {
        /// The field name.
        field: &'static str,
        /// The value as written.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// Splits RFC 822-style headers into `(name, value)` pairs, unfolding continuation lines.
/// Stops at the first blank line (the description body follows it).
fn headers(text: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim(), value.trim().to_string()));
        }
        // A line without a colon outside a continuation is not a header: ignore it, as the
        // email parser behind `packaging.metadata` does (it becomes a defect).
    }
    out
}

impl CoreMetadata {
    /// Parses a wheel's `METADATA` (or PEP 658 metadata).
    pub fn parse_wheel(text: &str) -> Result<Self, MetadataError> {
        Self::parse(text, MetadataOrigin::Wheel)
    }

    /// Parses an sdist's `PKG-INFO`; see [`CoreMetadata::dependencies_unknown`].
    pub fn parse_sdist(text: &str) -> Result<Self, MetadataError> {
        Self::parse(text, MetadataOrigin::Sdist)
    }

    /// Parses core metadata of the given origin.
    pub fn parse(text: &str, origin: MetadataOrigin) -> Result<Self, MetadataError> {
        let headers = headers(text);
        let get = |field: &str| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(field))
                .map(|(_, value)| value.as_str())
        };
        let all = |field: &'static str| {
            headers
                .iter()
                .filter(move |(name, _)| name.eq_ignore_ascii_case(field))
                .map(|(_, value)| value.as_str())
        };

        let raw = get("Metadata-Version").ok_or(MetadataError::Missing {
            field: "Metadata-Version",
        })?;
        let metadata_version =
            parse_metadata_version(raw).ok_or_else(|| MetadataError::Invalid {
                field: "Metadata-Version",
                value: raw.to_string(),
                reason: "expected MAJOR.MINOR, e.g. `2.1`".to_string(),
            })?;

        let raw = get("Name").ok_or(MetadataError::Missing { field: "Name" })?;
        let name = PackageName::from_str(raw).map_err(|e| MetadataError::Invalid {
            field: "Name",
            value: raw.to_string(),
            reason: e.to_string(),
        })?;

        let raw = get("Version").ok_or(MetadataError::Missing { field: "Version" })?;
        let version = Version::from_str(raw).map_err(|e| MetadataError::Invalid {
            field: "Version",
            value: raw.to_string(),
            reason: e.to_string(),
        })?;

        let mut warnings = Vec::new();
        let mut requires_dist = Vec::new();
        for raw in all("Requires-Dist") {
            match crate::pep508::parse_requirement(raw) {
                Ok(req) => requires_dist.push(req),
                Err(e) => {
                    let reason = e.to_string();
                    let reason = reason.lines().next().unwrap_or_default();
                    warnings.push(format!("skipped invalid `Requires-Dist: {raw}`: {reason}"));
                }
            }
        }

        let requires_python = match get("Requires-Python") {
            Some(raw) => {
                let parsed = parse_requires_python(raw);
                if parsed.is_none() && !raw.trim().is_empty() {
                    warnings.push(format!("ignored invalid `Requires-Python: {raw}`"));
                }
                parsed
            }
            None => None,
        };

        let mut provides_extra = Vec::new();
        for raw in all("Provides-Extra") {
            match ExtraName::from_str(raw) {
                Ok(extra) => {
                    if !provides_extra.contains(&extra) {
                        provides_extra.push(extra);
                    }
                }
                Err(e) => warnings.push(format!("skipped invalid `Provides-Extra: {raw}`: {e}")),
            }
        }

        let dynamic: Vec<String> = all("Dynamic")
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();

        let dependencies_unknown = origin == MetadataOrigin::Sdist
            && (metadata_version < (2, 2) || dynamic.iter().any(|d| d == "requires-dist"));

        Ok(Self {
            metadata_version,
            name,
            version,
            requires_dist,
            requires_python,
            provides_extra,
            dynamic,
            dependencies_unknown,
            warnings,
        })
    }
}

fn parse_metadata_version(raw: &str) -> Option<(u32, u32)> {
    let (major, minor) = raw.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHEEL: &str = "Metadata-Version: 2.4\r
Name: Pydantic\r
Version: 2.11.7\r
Summary: Data validation\r
Requires-Python: >=3.9\r
Requires-Dist: annotated-types>=0.6.0\r
Requires-Dist: pydantic-core==2.33.2\r
Requires-Dist: typing-extensions>=4.12.2\r
Requires-Dist: email-validator>=2.0.0; extra == 'email'\r
Requires-Dist: this is not a requirement!!\r
Requires-Dist: tzdata;\r
  python_version >= \"3.9\" and platform_system == \"Windows\" and extra == 'timezone'\r
Provides-Extra: email\r
Provides-Extra: Timezone\r
\r
Requires-Dist: in-the-body-not-a-header\r
";

    #[test]
    fn wheel_metadata_fields_continuations_and_skipped_lines() {
        let md = CoreMetadata::parse_wheel(WHEEL).unwrap();
        assert_eq!(md.metadata_version, (2, 4));
        assert_eq!(md.name.as_ref(), "pydantic");
        assert_eq!(md.version.to_string(), "2.11.7");
        assert_eq!(md.requires_python.unwrap().to_string(), ">=3.9");
        let reqs: Vec<String> = md.requires_dist.iter().map(ToString::to_string).collect();
        assert_eq!(
            reqs,
            [
                "annotated-types>=0.6.0",
                "pydantic-core==2.33.2",
                "typing-extensions>=4.12.2",
                "email-validator>=2.0.0 ; extra == 'email'",
                "tzdata ; python_full_version >= '3.9' and platform_system == 'Windows' and extra == 'timezone'",
            ]
        );
        let extras: Vec<&str> = md.provides_extra.iter().map(AsRef::as_ref).collect();
        assert_eq!(extras, ["email", "timezone"]);
        assert_eq!(md.warnings.len(), 1);
        assert!(
            md.warnings[0]
                .starts_with("skipped invalid `Requires-Dist: this is not a requirement!!`: "),
            "{:?}",
            md.warnings
        );
        assert!(!md.dependencies_unknown);
    }

    #[test]
    fn sdist_dependencies_known_only_from_2_2_without_dynamic() {
        let old = "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nRequires-Dist: bar\n";
        assert!(CoreMetadata::parse_sdist(old).unwrap().dependencies_unknown);
        // The same file from a wheel is authoritative.
        assert!(!CoreMetadata::parse_wheel(old).unwrap().dependencies_unknown);
        let static_deps = "Metadata-Version: 2.2\nName: foo\nVersion: 1.0\nRequires-Dist: bar\nDynamic: Version\n";
        assert!(
            !CoreMetadata::parse_sdist(static_deps)
                .unwrap()
                .dependencies_unknown
        );
        let dynamic = "Metadata-Version: 2.3\nName: foo\nVersion: 1.0\nDynamic: Requires-Dist\n";
        let md = CoreMetadata::parse_sdist(dynamic).unwrap();
        assert!(md.dependencies_unknown);
        assert_eq!(md.dynamic, ["requires-dist"]);
        // Metadata 1.0 has no Requires-Dist at all.
        let v10 = "Metadata-Version: 1.0\nName: foo\nVersion: 0.1\n";
        assert!(CoreMetadata::parse_sdist(v10).unwrap().dependencies_unknown);
    }

    #[test]
    fn errors_name_the_field() {
        let err = CoreMetadata::parse_wheel("Name: foo\nVersion: 1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "core metadata has no `Metadata-Version` field"
        );
        let err = CoreMetadata::parse_wheel("Metadata-Version: 2.1\nName: foo\n").unwrap_err();
        assert_eq!(err.to_string(), "core metadata has no `Version` field");
        let err = CoreMetadata::parse_wheel("Metadata-Version: 2.1\nName: foo\nVersion: one\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("core metadata field `Version` has an invalid value `one`: "),
            "{err}"
        );
        let err = CoreMetadata::parse_wheel("Metadata-Version: two\nName: foo\nVersion: 1\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "core metadata field `Metadata-Version` has an invalid value `two`: expected MAJOR.MINOR, e.g. `2.1`"
        );
    }

    #[test]
    fn lenient_requires_python_and_legacy_parenthesized_versions() {
        let text = "Metadata-Version: 1.2\nName: old\nVersion: 1.0\nRequires-Python: >=2.7.*\nRequires-Dist: six (>=1.0)\n";
        let md = CoreMetadata::parse_wheel(text).unwrap();
        assert_eq!(md.requires_python.unwrap().to_string(), ">=2.7");
        assert_eq!(md.requires_dist[0].to_string(), "six>=1.0");
        let text = "Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Python: nonsense\n";
        let md = CoreMetadata::parse_wheel(text).unwrap();
        assert!(md.requires_python.is_none());
        assert_eq!(md.warnings, ["ignored invalid `Requires-Python: nonsense`"]);
    }
}
