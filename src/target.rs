//! Targets: a Python version (optionally free-threaded) on a platform, with the role it plays
//! in the verdict. Parses `--target PY[@PLATFORM]` and builds each target's PEP 508 marker
//! environment. Pure.
//!
//! Only CPython 3 is modelled: Python 2 is refused with a clear message, and free-threaded
//! (`t`) builds exist from 3.13 on. Which wheel tags a target accepts lives in [`crate::tags`].

use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::platform::{Platform, PlatformError};

/// A CPython version as a target names it: `3.12`, `3.12.4`, `3.13t`, `cp312`, `cp313t`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PythonSpec {
    /// Major version (3).
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch version when given; `None` means "any 3.X", and is treated as `3.X.0` wherever a
    /// full version is needed (as pip's `--python-version 3.X` does).
    pub patch: Option<u16>,
    /// A free-threaded build (`3.13t`).
    pub free_threaded: bool,
}

impl PythonSpec {
    /// `python_full_version`: `3.X.Y`, with `Y = 0` when no patch was given.
    pub fn full_version(&self) -> Version {
        Version::new([
            u64::from(self.major),
            u64::from(self.minor),
            u64::from(self.patch.unwrap_or(0)),
        ])
    }

    /// `python_version`: `3.X`.
    pub fn minor_version(&self) -> Version {
        Version::new([u64::from(self.major), u64::from(self.minor)])
    }

    /// The interpreter tag, `cp3X` (without the `t`: free-threaded builds share it).
    pub fn interpreter_tag(&self) -> String {
        format!("cp{}{}", self.major, self.minor)
    }
}

impl FromStr for PythonSpec {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = || TargetError::Python {
            input: input.to_string(),
        };
        let s = input.trim();
        let (s, free_threaded) = match s.strip_suffix('t') {
            Some(rest) => (rest, true),
            None => (s, false),
        };
        let number = |x: &str| -> Option<u64> {
            if x.is_empty() || x.len() > 4 || !x.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            x.parse().ok()
        };
        let (major, minor, patch) = if let Some(digits) = s.strip_prefix("cp") {
            // `cp312`: the first digit is the major version, the rest the minor.
            if digits.len() < 2 || !digits.is_char_boundary(1) {
                return Err(bad());
            }
            let (major, minor) = digits.split_at(1);
            (
                number(major).ok_or_else(bad)?,
                number(minor).ok_or_else(bad)?,
                None,
            )
        } else {
            let mut parts = s.split('.');
            let major = parts.next().and_then(number).ok_or_else(bad)?;
            let minor = parts.next().and_then(number).ok_or_else(bad)?;
            let patch = match parts.next() {
                Some(p) => Some(number(p).ok_or_else(bad)?),
                None => None,
            };
            if parts.next().is_some() {
                return Err(bad());
            }
            (major, minor, patch)
        };
        if major != 3 {
            return Err(TargetError::Unsupported {
                input: input.to_string(),
            });
        }
        let minor = u8::try_from(minor).map_err(|_| bad())?;
        let patch = patch.map(u16::try_from).transpose().map_err(|_| bad())?;
        if free_threaded && minor < 13 {
            return Err(TargetError::FreeThreaded {
                input: input.to_string(),
            });
        }
        Ok(Self {
            major: 3,
            minor,
            patch,
            free_threaded,
        })
    }
}

impl fmt::Display for PythonSpec {
    /// `3.12`, `3.12.4`, `3.13t`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        if self.free_threaded {
            f.write_str("t")?;
        }
        Ok(())
    }
}

/// The role a target plays in the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The interpreter the project runs on.
    Primary,
    /// A candidate to fall back to, in the order given.
    Fallback,
    /// Informational: reported, not part of the verdict.
    Extra,
}

/// One target: a Python on a platform, with a role.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    /// The Python version.
    pub python: PythonSpec,
    /// The platform.
    pub platform: Platform,
    /// The role.
    pub role: Role,
}

/// A target string that did not parse.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// The Python part is not a version we understand.
    #[error("invalid Python version `{input}`: expected `3.12`, `3.12.4`, `3.13t` or `cp312`")]
    Python { input: String },
    /// A Python other than 3 (Python 2 wheels are out of scope).
    #[error("unsupported Python version `{input}`: only CPython 3 targets are supported")]
    Unsupported { input: String },
    /// A free-threaded build of a version that has none.
    #[error("invalid Python version `{input}`: free-threaded (`t`) builds exist from 3.13 on")]
    FreeThreaded { input: String },
    /// The platform part is unknown.
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl Target {
    /// Parses `PY[@PLATFORM]`; `host` is used when no platform is given.
    pub fn parse(s: &str, host: &Platform, role: Role) -> Result<Self, TargetError> {
        let (python, platform) = match s.split_once('@') {
            Some((python, platform)) => (python, Some(platform)),
            None => (s, None),
        };
        let python = python.parse()?;
        let platform = match platform {
            Some(p) => p.parse::<Platform>().map_err(TargetError::Platform)?,
            None => host.clone(),
        };
        Ok(Self {
            python,
            platform,
            role,
        })
    }

    /// A stable display name: `3.12@manylinux_2_28_x86_64`, `3.13t@win_amd64`.
    pub fn name(&self) -> String {
        format!("{}@{}", self.python, self.platform)
    }

    /// The PEP 508 marker environment of this target (CPython).
    pub fn marker_environment(&self) -> MarkerEnvironment {
        let markers = self.platform.markers();
        let full = self.python.full_version().to_string();
        let short = self.python.minor_version().to_string();
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full,
            os_name: markers.os_name,
            platform_machine: markers.platform_machine,
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: markers.platform_system,
            platform_version: "",
            python_full_version: &full,
            python_version: &short,
            sys_platform: markers.sys_platform,
        })
        .expect("versions built from integers always parse")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(s: &str) -> PythonSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn python_forms() {
        let cases = [
            ("3.12", (12, None, false), "3.12"),
            ("3.12.4", (12, Some(4), false), "3.12.4"),
            ("3.13t", (13, None, true), "3.13t"),
            ("3.13.1t", (13, Some(1), true), "3.13.1t"),
            ("cp312", (12, None, false), "3.12"),
            ("cp313t", (13, None, true), "3.13t"),
            ("cp38", (8, None, false), "3.8"),
        ];
        for (input, (minor, patch, ft), shown) in cases {
            let p = py(input);
            assert_eq!(
                (p.major, p.minor, p.patch, p.free_threaded),
                (3, minor, patch, ft),
                "{input}"
            );
            assert_eq!(p.to_string(), shown);
        }
        assert_eq!(py("3.12").full_version().to_string(), "3.12.0");
        assert_eq!(py("3.12.4").full_version().to_string(), "3.12.4");
    }

    #[test]
    fn python_errors() {
        let e = |s: &str| s.parse::<PythonSpec>().expect_err(s).to_string();
        assert_eq!(
            e("2.7"),
            "unsupported Python version `2.7`: only CPython 3 targets are supported"
        );
        assert_eq!(
            e("cp27"),
            "unsupported Python version `cp27`: only CPython 3 targets are supported"
        );
        assert_eq!(
            e("3.12t"),
            "invalid Python version `3.12t`: free-threaded (`t`) builds exist from 3.13 on"
        );
        for garbage in [
            "three", "3", "3.x", "3.12.1.1", "cp3", "", "3.12tt", "pp310", "3..1",
        ] {
            assert_eq!(
                e(garbage),
                format!(
                    "invalid Python version `{garbage}`: expected `3.12`, `3.12.4`, `3.13t` or `cp312`"
                )
            );
        }
    }

    #[test]
    fn target_parse_uses_host_when_no_platform() {
        let host: Platform = "manylinux_2_35_x86_64".parse().expect("host");
        let t = Target::parse("3.12@linux-aarch64", &host, Role::Primary).expect("parse");
        assert_eq!(t.name(), "3.12@manylinux_2_28_aarch64");
        let t = Target::parse("3.13t", &host, Role::Fallback).expect("parse");
        assert_eq!(t.name(), "3.13t@manylinux_2_35_x86_64");
        assert_eq!(t.role, Role::Fallback);
        assert_eq!(
            Target::parse("3.12@beos", &host, Role::Primary)
                .expect_err("beos")
                .to_string(),
            "unknown platform `beos`: expected a platform tag (`manylinux_2_28_x86_64`, \
             `manylinux2014_aarch64`, `musllinux_1_2_x86_64`, `macosx_11_0_arm64`, \
             `macosx_10_13_x86_64`, `macosx_10_9_universal2`, `win_amd64`, `win_arm64`, `win32`, \
             `linux_x86_64`) or a short name (`linux`, `linux-aarch64`, `musllinux`, \
             `musllinux-aarch64`, `macos`, `macos-x86_64`, `windows`, `windows-arm64`, \
             `windows-x86`)"
        );
    }

    #[test]
    fn marker_environment_values() {
        let host: Platform = "linux".parse().expect("host");
        let env = Target::parse("3.12@win_amd64", &host, Role::Primary)
            .expect("parse")
            .marker_environment();
        assert_eq!(env.implementation_name(), "cpython");
        assert_eq!(env.platform_python_implementation(), "CPython");
        assert_eq!(env.python_version().to_string(), "3.12");
        assert_eq!(env.python_full_version().to_string(), "3.12.0");
        assert_eq!(env.implementation_version().to_string(), "3.12.0");
        assert_eq!(env.sys_platform(), "win32");
        assert_eq!(env.platform_system(), "Windows");
        assert_eq!(env.platform_machine(), "AMD64");
        assert_eq!(env.os_name(), "nt");
        assert_eq!(env.platform_release(), "");
        assert_eq!(env.platform_version(), "");

        let env = Target::parse("3.11.7@macos", &host, Role::Primary)
            .expect("parse")
            .marker_environment();
        assert_eq!(env.python_full_version().to_string(), "3.11.7");
        assert_eq!(env.python_version().to_string(), "3.11");
        assert_eq!(env.platform_machine(), "arm64");
        assert_eq!(env.sys_platform(), "darwin");

        // Markers evaluate as pip would on that target.
        let req: pep508_rs::Requirement =
            "uvloop; sys_platform != 'win32' and python_version >= '3.8'"
                .parse()
                .expect("req");
        assert!(!req.evaluate_markers(&env_of("3.12@windows"), &[]));
        assert!(req.evaluate_markers(&env_of("3.12@linux"), &[]));
    }

    fn env_of(s: &str) -> MarkerEnvironment {
        let host: Platform = "linux".parse().expect("host");
        Target::parse(s, &host, Role::Primary)
            .expect("parse")
            .marker_environment()
    }
}
