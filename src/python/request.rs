//! What the user asked for: `3.12` (newest 3.12.x), `3.11.13` (exact), `3.13t`
//! (free-threaded), `cp312`, `>=3.11,<3.13` (a PEP 440 range), a command name such as `python3`
//! (looked up on `PATH`), or a path. Parsing and matching only; no I/O.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use serde::Serialize;

/// A request for an interpreter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PythonRequest {
    /// Any working CPython 3 (the newest wins).
    Any,
    /// `3`, `3.12`, `3.12.4`, `3.13t`, `cp312`.
    Version(VersionRequest),
    /// A PEP 440 range such as `>=3.11,<3.13`.
    Range(VersionSpecifiers),
    /// An executable name looked up on `PATH` (`python3`, `python3.12`, `pypy3`).
    Name(String),
    /// A file path.
    Path(PathBuf),
}

/// A version request: `3`, `3.12`, `3.12.4`, with an optional `t` for free-threaded builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct VersionRequest {
    /// Major version.
    pub major: u64,
    /// Minor version, if given.
    pub minor: Option<u64>,
    /// Patch version, if given (exact match).
    pub patch: Option<u64>,
    /// A free-threaded build was asked for.
    pub free_threaded: bool,
}

/// A request string we do not understand.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error(
    "invalid Python request `{input}`: expected a version (`3.12`, `3.12.4`, `3.13t`, `cp312`), a range (`>=3.11,<3.13`), a command name (`python3`) or a path"
)]
pub struct RequestError {
    /// What was given.
    pub input: String,
}

impl VersionRequest {
    /// Whether an interpreter of `version` (free-threaded or not) satisfies this request.
    pub fn matches(&self, version: &Version, free_threaded: bool) -> bool {
        if free_threaded != self.free_threaded {
            return false;
        }
        let release = version.release();
        let part = |i: usize| release.get(i).copied().unwrap_or(0);
        part(0) == self.major
            && self.minor.is_none_or(|m| part(1) == m)
            && self.patch.is_none_or(|p| part(2) == p)
    }
}

impl fmt::Display for VersionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.major)?;
        if let Some(minor) = self.minor {
            write!(f, ".{minor}")?;
        }
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        if self.free_threaded {
            f.write_str("t")?;
        }
        Ok(())
    }
}

fn parse_version_request(s: &str) -> Option<VersionRequest> {
    let (body, free_threaded) = match s.strip_suffix('t') {
        Some(body) => (body, true),
        None => (s, false),
    };
    // `cp312` / `cp313t`.
    if let Some(digits) = body.strip_prefix("cp") {
        if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let major = digits[..1].parse().ok()?;
        let minor = digits[1..].parse().ok()?;
        return Some(VersionRequest {
            major,
            minor: Some(minor),
            patch: None,
            free_threaded,
        });
    }
    let parts: Vec<&str> = body.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 4)
    {
        return None;
    }
    let nums: Vec<u64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if nums.len() != parts.len() {
        return None;
    }
    if free_threaded && nums.len() < 2 {
        return None;
    }
    Some(VersionRequest {
        major: nums[0],
        minor: nums.get(1).copied(),
        patch: nums.get(2).copied(),
        free_threaded,
    })
}

fn looks_like_path(s: &str) -> bool {
    s.contains('/')
        || s.contains(std::path::MAIN_SEPARATOR)
        || s.starts_with('.')
        || s.starts_with('~')
        || Path::new(s).is_absolute()
}

fn expand_tilde(s: &str) -> PathBuf {
    if let Some(rest) = s.strip_prefix("~/").or_else(|| s.strip_prefix("~\\"))
        && let Ok(home) = etcetera::home_dir()
    {
        return home.join(rest);
    }
    PathBuf::from(s)
}

impl FromStr for PythonRequest {
    type Err = RequestError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        let err = || RequestError {
            input: input.to_string(),
        };
        if s.is_empty() {
            return Err(err());
        }
        if s == "any" {
            return Ok(Self::Any);
        }
        if let Some(v) = parse_version_request(s) {
            return Ok(Self::Version(v));
        }
        if s.starts_with(['<', '>', '=', '~', '!']) {
            return VersionSpecifiers::from_str(s)
                .map(Self::Range)
                .map_err(|_| err());
        }
        if looks_like_path(s) {
            return Ok(Self::Path(expand_tilde(s)));
        }
        let name_ok = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if name_ok {
            Ok(Self::Name(s.to_string()))
        } else {
            Err(err())
        }
    }
}

impl fmt::Display for PythonRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any Python 3"),
            Self::Version(v) => write!(f, "{v}"),
            Self::Range(r) => write!(f, "{r}"),
            Self::Name(n) => f.write_str(n),
            Self::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl PythonRequest {
    /// Whether an interpreter of this version and build satisfies a version-like request.
    /// Name and path requests match whatever they point at.
    pub fn matches_version(&self, version: &Version, free_threaded: bool) -> bool {
        match self {
            Self::Any => version.release().first() == Some(&3) && !free_threaded,
            Self::Version(v) => v.matches(version, free_threaded),
            Self::Range(r) => !free_threaded && r.contains(version),
            Self::Name(_) | Self::Path(_) => true,
        }
    }

    /// The version to suggest installing (`pyenv install X`), if the request names one.
    pub fn install_hint_version(&self) -> Option<String> {
        match self {
            Self::Version(v) => Some(v.to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_forms_users_type() {
        let r: PythonRequest = "3.12".parse().unwrap();
        assert_eq!(
            r,
            PythonRequest::Version(VersionRequest {
                major: 3,
                minor: Some(12),
                patch: None,
                free_threaded: false
            })
        );
        assert!(matches!(
            "3.11.13".parse::<PythonRequest>().unwrap(),
            PythonRequest::Version(VersionRequest {
                patch: Some(13),
                ..
            })
        ));
        assert!(matches!(
            "3.13t".parse::<PythonRequest>().unwrap(),
            PythonRequest::Version(VersionRequest {
                minor: Some(13),
                free_threaded: true,
                ..
            })
        ));
        assert!(matches!(
            "cp313t".parse::<PythonRequest>().unwrap(),
            PythonRequest::Version(VersionRequest {
                minor: Some(13),
                free_threaded: true,
                ..
            })
        ));
        assert!(matches!(
            ">=3.11,<3.13".parse::<PythonRequest>().unwrap(),
            PythonRequest::Range(_)
        ));
        assert_eq!(
            "python3".parse::<PythonRequest>().unwrap(),
            PythonRequest::Name("python3".into())
        );
        assert_eq!(
            "/opt/py/bin/python3".parse::<PythonRequest>().unwrap(),
            PythonRequest::Path("/opt/py/bin/python3".into())
        );
        assert!("3.x".parse::<PythonRequest>().is_err());
        assert!(">=banana".parse::<PythonRequest>().is_err());
        assert!("".parse::<PythonRequest>().is_err());
    }

    #[test]
    fn matching_respects_patch_and_free_threading() {
        let r: PythonRequest = "3.12".parse().unwrap();
        assert!(r.matches_version(&v("3.12.7"), false));
        assert!(!r.matches_version(&v("3.12.7"), true));
        assert!(!r.matches_version(&v("3.13.0"), false));
        let exact: PythonRequest = "3.11.13".parse().unwrap();
        assert!(exact.matches_version(&v("3.11.13"), false));
        assert!(!exact.matches_version(&v("3.11.7"), false));
        let ft: PythonRequest = "3.13t".parse().unwrap();
        assert!(ft.matches_version(&v("3.13.1"), true));
        assert!(!ft.matches_version(&v("3.13.1"), false));
        let range: PythonRequest = ">=3.11,<3.13".parse().unwrap();
        assert!(range.matches_version(&v("3.11.0"), false));
        assert!(range.matches_version(&v("3.12.9"), false));
        assert!(!range.matches_version(&v("3.13.0"), false));
        assert!(!range.matches_version(&v("3.10.14"), false));
    }
}
