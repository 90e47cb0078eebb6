//! Targets: a Python version (optionally free-threaded) on a platform, with the role it plays
//! in the verdict. Parses `--target PY[@PLATFORM]` and builds each target's PEP 508 marker
//! environment. Pure.
//!
//! STUB: to be completed.

use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::MarkerEnvironment;
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
        todo!()
    }
}

impl FromStr for PythonSpec {
    type Err = TargetError;
    fn from_str(_s: &str) -> Result<Self, Self::Err> {
        todo!()
    }
}

impl fmt::Display for PythonSpec {
    /// `3.12`, `3.12.4`, `3.13t`.
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!()
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
    /// The platform part is unknown.
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl Target {
    /// Parses `PY[@PLATFORM]`; `host` is used when no platform is given.
    pub fn parse(_s: &str, _host: &Platform, _role: Role) -> Result<Self, TargetError> {
        todo!()
    }

    /// A stable display name: `3.12@manylinux_2_28_x86_64`, `3.13t@win_amd64`.
    pub fn name(&self) -> String {
        format!("{}@{}", self.python, self.platform)
    }

    /// The PEP 508 marker environment of this target (CPython).
    pub fn marker_environment(&self) -> MarkerEnvironment {
        todo!()
    }
}
