//! Core metadata (`METADATA` in wheels, `PKG-INFO` in sdists, `<file>.metadata` from the index,
//! PEP 658): parsed into the few fields resolution needs, as the reference does it
//! (`packaging.metadata.Metadata.from_email`, i.e. Python's email parser with the `compat32`
//! policy). Pure: the caller fetches the bytes.
//!
//! The format is RFC 822-style headers (`Name: value`; a line starting with a space or tab
//! continues the previous one), then the description body. How the headers are read decides
//! which dependencies are seen, so it follows the reference exactly:
//!
//! - Lines end at CR LF, LF or a lone CR.
//! - The headers end at the first *empty* line, or at the first line that is neither a header
//!   (`Name:` with a name of printable ASCII other than `:`) nor a continuation. A line of
//!   spaces is a continuation: long `License` fields contain such lines, and every header after
//!   them must still count.
//! - A continuation before any header, a line starting with `:`, and a `From ` line (an mbox
//!   envelope) are ignored, together with their continuations.
//!
//! That delimiting is written here (a few lines over the raw bytes) because the `mailparse`
//! crate, which then splits the delimited block into names and raw values, differs on exactly
//! these points: it reads on past a line without a colon, treating it as a header, and does not
//! end lines at a lone CR. Values are taken raw (no RFC 2047 decoding, which the reference does
//! not do either), unfolded by removing the line breaks, and trimmed.
//!
//! Leniency follows pip and uv where they are kinder than `packaging` (the differential test in
//! tests/it/metadata.rs holds the rest to the reference, on a corpus of real files):
//! - an invalid `Requires-Dist` value (or one that is not UTF-8) is skipped with a warning, the
//!   others kept (`packaging` rejects the whole field);
//! - an invalid `Requires-Python` is ignored, or read leniently (see
//!   [`crate::dist::parse_requires_python`]);
//! - an invalid `Provides-Extra` is skipped with a warning;
//! - a repeated `Name` or `Version` takes the first value, and a folded value is unfolded
//!   (`packaging` rejects both);
//! - only a missing or invalid `Metadata-Version`, `Name` or `Version` is an error, naming the
//!   field.
//!
//! Not owned here: fetching or unpacking archives, and deciding what to do with unknown
//! dependencies (the resolver reports them).

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, PackageName, Requirement};
use thiserror::Error;

use crate::dist::parse_requires_python;

/// The longest part of a rejected value quoted in a warning or error.
const QUOTE_CHARS: usize = 200;

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
    /// `Provides-Extra`, normalized, in file order (invalid names skipped with a warning).
    pub provides_extra: Vec<ExtraName>,
    /// `Dynamic` field names, lower-cased (`requires-dist`, ...).
    pub dynamic: Vec<String>,
    /// The dependencies are not known without building: an sdist `PKG-INFO` older than
    /// Metadata-Version 2.2, or one that declares `Dynamic: Requires-Dist`. `requires_dist`
    /// then holds whatever the file lists, which may be incomplete or empty.
    pub dependencies_unknown: bool,
    /// Lines that were skipped, each naming the field and the reason.
    pub warnings: Vec<String>,
    /// `Home-page`, when given (the upstream report links it).
    pub home_page: Option<String>,
    /// `Project-URL` entries as `(label, url)`, in file order (`Issues`, `Source`, ...).
    pub project_urls: Vec<(String, String)>,
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
        /// The value as written (shortened when long).
        value: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// One header: its name and its raw value bytes (folding kept, as the email parser gives it).
struct Header {
    name: String,
    raw: Vec<u8>,
}

impl Header {
    /// The value unfolded (line breaks removed), trimmed, if it is UTF-8.
    fn value(&self) -> Option<String> {
        let text = std::str::from_utf8(&self.raw).ok()?;
        let unfolded: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        Some(unfolded.trim().to_string())
    }

    fn lossy(&self) -> String {
        let text = String::from_utf8_lossy(&self.raw);
        let unfolded: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        quote(unfolded.trim())
    }
}

/// `value`, cut to [`QUOTE_CHARS`] characters.
fn quote(value: &str) -> String {
    match value.char_indices().nth(QUOTE_CHARS) {
        Some((at, _)) => format!("{}...", &value[..at]),
        None => value.to_string(),
    }
}

/// Lines of `bytes` without their terminators; CR LF, LF and a lone CR all end a line.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.iter().position(|&b| b == b'\r' || b == b'\n');
        let Some(end) = end else {
            let line = rest;
            rest = &[];
            return Some(line);
        };
        let line = &rest[..end];
        let skip = if rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        rest = &rest[end + skip..];
        Some(line)
    })
}

/// `Name:` with a name of printable ASCII other than `:` (possibly empty), as the email parser's
/// `headerRE` has it.
fn is_header_line(line: &[u8]) -> bool {
    line.iter()
        .position(|&b| !(0x21..=0x7e).contains(&b) || b == b':')
        .is_some_and(|at| line[at] == b':')
}

/// The header block as the reference delimits it (see the module docs), rewritten with LF line
/// ends and without the lines it ignores, ready for `mailparse`.
fn header_block(bytes: &[u8]) -> Vec<u8> {
    let mut block = Vec::with_capacity(bytes.len().min(64 * 1024));
    // Whether continuation lines belong to a kept header.
    let mut keeping = false;
    for line in lines(bytes) {
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            if keeping {
                block.extend_from_slice(line);
                block.push(b'\n');
            }
            continue;
        }
        if line.starts_with(b"From ") {
            keeping = false;
            continue;
        }
        if !is_header_line(line) {
            break;
        }
        keeping = line[0] != b':';
        if keeping {
            block.extend_from_slice(line);
            block.push(b'\n');
        }
    }
    block.push(b'\n');
    block
}

/// The headers of `bytes`, in file order.
fn headers(bytes: &[u8]) -> Vec<Header> {
    let block = header_block(bytes);
    match mailparse::parse_headers(&block) {
        Ok((headers, _)) => headers
            .iter()
            .map(|h| Header {
                name: h.get_key(),
                raw: h.get_value_raw().to_vec(),
            })
            .collect(),
        // Unreachable for a block built as above (every line is a header or a continuation);
        // no headers means "no `Metadata-Version`", an error the caller reports.
        Err(_) => Vec::new(),
    }
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
        Self::parse_bytes(text.as_bytes(), origin)
    }

    /// Stands in for the metadata of `name` `version` when its file could not be read (an sdist
    /// with no metadata, an archive or metadata refused as malformed or too large): no
    /// dependencies are known, and `reason` is the one warning.
    pub fn unreadable(name: PackageName, version: Version, reason: String) -> Self {
        Self {
            metadata_version: (0, 0),
            name,
            version,
            requires_dist: Vec::new(),
            requires_python: None,
            provides_extra: Vec::new(),
            dynamic: Vec::new(),
            dependencies_unknown: true,
            warnings: vec![reason],
            home_page: None,
            project_urls: Vec::new(),
        }
    }

    /// Parses core metadata bytes as they were fetched (the reference reads bytes too: a value
    /// that is not UTF-8 is not used).
    pub fn parse_bytes(bytes: &[u8], origin: MetadataOrigin) -> Result<Self, MetadataError> {
        let headers = headers(bytes);
        let all = |field: &'static str| {
            headers
                .iter()
                .filter(move |h| h.name.eq_ignore_ascii_case(field))
        };
        // A required single field: the first value, which must be UTF-8.
        let required = |field: &'static str| -> Result<String, MetadataError> {
            let header = all(field).next().ok_or(MetadataError::Missing { field })?;
            header.value().ok_or_else(|| MetadataError::Invalid {
                field,
                value: header.lossy(),
                reason: "not valid UTF-8".to_string(),
            })
        };

        let raw = required("Metadata-Version")?;
        let metadata_version =
            parse_metadata_version(&raw).ok_or_else(|| MetadataError::Invalid {
                field: "Metadata-Version",
                value: quote(&raw),
                reason: "expected MAJOR.MINOR, e.g. `2.1`".to_string(),
            })?;

        let raw = required("Name")?;
        let name = PackageName::from_str(&raw).map_err(|e| MetadataError::Invalid {
            field: "Name",
            value: quote(&raw),
            reason: e.to_string(),
        })?;

        let raw = required("Version")?;
        let version = Version::from_str(&raw).map_err(|e| MetadataError::Invalid {
            field: "Version",
            value: quote(&raw),
            reason: e.to_string(),
        })?;

        let mut warnings = Vec::new();
        let mut requires_dist = Vec::new();
        for header in all("Requires-Dist") {
            let Some(raw) = header.value() else {
                warnings.push(format!(
                    "skipped invalid `Requires-Dist: {}`: not valid UTF-8",
                    header.lossy()
                ));
                continue;
            };
            match crate::pep508::parse_requirement(&raw) {
                Ok(req) => requires_dist.push(req),
                Err(e) => {
                    let reason = e.message.to_string();
                    let reason = reason.lines().next().unwrap_or_default();
                    warnings.push(format!(
                        "skipped invalid `Requires-Dist: {}`: {}",
                        quote(&raw),
                        quote(reason)
                    ));
                }
            }
        }

        let requires_python = match all("Requires-Python").next() {
            Some(header) => {
                let parsed = header.value().and_then(|raw| parse_requires_python(&raw));
                if parsed.is_none() && header.value().is_none_or(|raw| !raw.is_empty()) {
                    warnings.push(format!(
                        "ignored invalid `Requires-Python: {}`",
                        header.lossy()
                    ));
                }
                parsed
            }
            None => None,
        };

        let mut provides_extra = Vec::new();
        for header in all("Provides-Extra") {
            match header.value().map(|raw| ExtraName::from_str(&raw)) {
                Some(Ok(extra)) => provides_extra.push(extra),
                Some(Err(e)) => warnings.push(format!(
                    "skipped invalid `Provides-Extra: {}`: {e}",
                    header.lossy()
                )),
                None => warnings.push(format!(
                    "skipped invalid `Provides-Extra: {}`: not valid UTF-8",
                    header.lossy()
                )),
            }
        }

        let dynamic: Vec<String> = all("Dynamic")
            .filter_map(Header::value)
            .map(|d| d.to_ascii_lowercase())
            .collect();

        let dependencies_unknown = origin == MetadataOrigin::Sdist
            && (metadata_version < (2, 2) || dynamic.iter().any(|d| d == "requires-dist"));

        let home_page = all("Home-page")
            .next()
            .and_then(Header::value)
            .filter(|v| !v.is_empty() && v != "UNKNOWN");
        // `Label, URL` (packaging splits at the first comma).
        let project_urls = all("Project-URL")
            .filter_map(Header::value)
            .filter_map(|v| {
                let (label, url) = v.split_once(',')?;
                Some((label.trim().to_string(), url.trim().to_string()))
            })
            .collect();

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
            home_page,
            project_urls,
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

    /// The shape of pandas 2.3.2's METADATA: a folded `License` whose blank-looking lines hold
    /// spaces, with `Requires-Dist` after it.
    #[test]
    fn whitespace_only_lines_continue_a_header() {
        let text = "Metadata-Version: 2.1\r\nName: pandas\r\nVersion: 2.3.2\r\nLicense: BSD 3-Clause\r\n         \r\n         Copyright (c) 2008-2011, AQR\r\n\t\r\n         All rights reserved.\r\nRequires-Python: >=3.9\r\nRequires-Dist: numpy>=1.22.4; python_version < \"3.11\"\r\nRequires-Dist: python-dateutil>=2.8.2\r\nProvides-Extra: test\r\n\r\nRequires-Dist: body\r\n";
        let md = CoreMetadata::parse_wheel(text).unwrap();
        let reqs: Vec<String> = md.requires_dist.iter().map(ToString::to_string).collect();
        assert_eq!(
            reqs,
            [
                "numpy>=1.22.4 ; python_full_version < '3.11'",
                "python-dateutil>=2.8.2"
            ]
        );
        assert_eq!(md.requires_python.unwrap().to_string(), ">=3.9");
        assert_eq!(md.provides_extra.len(), 1);
        assert!(md.warnings.is_empty(), "{:?}", md.warnings);
    }

    #[test]
    fn headers_end_where_the_email_parser_ends_them() {
        // A lone CR ends a line.
        let md = CoreMetadata::parse_wheel(
            "Metadata-Version: 2.1\rName: a\rVersion: 1\rRequires-Dist: b\r",
        )
        .unwrap();
        assert_eq!(md.requires_dist[0].to_string(), "b");
        // A line that is neither a header nor a continuation starts the body.
        let md = CoreMetadata::parse_wheel(
            "Metadata-Version: 2.1\nName: a\nVersion: 1\nnot a header\nRequires-Dist: b\n",
        )
        .unwrap();
        assert!(md.requires_dist.is_empty());
        // So does a name with a space before the colon.
        let err =
            CoreMetadata::parse_wheel("Metadata-Version: 2.1\nName : a\nVersion: 1\n").unwrap_err();
        assert_eq!(err.to_string(), "core metadata has no `Name` field");
        // An envelope `From ` line, a leading continuation and a `:` line are ignored, with
        // their continuations.
        let md = CoreMetadata::parse_wheel(
            " stray\nFrom someone\n continued\nMetadata-Version: 2.1\n: nameless\n more\nName: a\nVersion: 1\nRequires-Dist: b;\n  os_name == 'nt'\n",
        )
        .unwrap();
        assert_eq!(md.requires_dist[0].to_string(), "b ; os_name == 'nt'");
        // Values are raw: no RFC 2047 decoding.
        let md = CoreMetadata::parse_wheel(
            "Metadata-Version: 2.1\nName: a\nVersion: 1\nProvides-Extra: =?utf-8?q?x?=\n",
        )
        .unwrap();
        assert!(md.provides_extra.is_empty());
        assert_eq!(md.warnings.len(), 1);
    }

    #[test]
    fn values_that_are_not_utf8_are_not_used() {
        let bytes = b"Metadata-Version: 2.1\nName: a\nVersion: 1\nAuthor: J\xf6rg\nRequires-Dist: b\nRequires-Dist: c\xff\n";
        let md = CoreMetadata::parse_bytes(bytes, MetadataOrigin::Wheel).unwrap();
        assert_eq!(md.requires_dist.len(), 1);
        assert_eq!(
            md.warnings,
            ["skipped invalid `Requires-Dist: c\u{fffd}`: not valid UTF-8"]
        );
        let err = CoreMetadata::parse_bytes(
            b"Metadata-Version: 2.1\nName: \xe9\nVersion: 1\n",
            MetadataOrigin::Wheel,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "core metadata field `Name` has an invalid value `\u{fffd}`: not valid UTF-8"
        );
    }

    #[test]
    fn hostile_requires_dist_values_are_skipped_with_a_warning() {
        let deep = format!("x; {}os_name == 'nt'{}", "(".repeat(5000), ")".repeat(5000));
        let text = format!(
            "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: a.*\nRequires-Dist: beta[b-]\nRequires-Dist: c ; os_name == 'nt'\u{540d}\nRequires-Dist: {deep}\nRequires-Dist: ok\n"
        );
        let md = CoreMetadata::parse_wheel(&text).unwrap();
        let reqs: Vec<String> = md.requires_dist.iter().map(ToString::to_string).collect();
        assert_eq!(reqs, ["ok"]);
        assert_eq!(md.warnings.len(), 4, "{:?}", md.warnings);
        assert!(
            md.warnings.iter().all(|w| w.len() < 600),
            "{:?}",
            md.warnings
        );
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
