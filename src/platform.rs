//! Target platforms: the most-specific platform tag a target is described by
//! (`manylinux_2_28_x86_64`, `musllinux_1_2_aarch64`, `macosx_11_0_arm64`, `win_amd64`, …), the
//! short names users type (`linux`, `macos`, `windows`, …), and the PEP 508 marker values each
//! implies. Pure: detecting the host's platform lives in [`crate::host`].
//!
//! STUB: to be completed (parsing, Display, marker values, short-name table).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// CPU architectures as they appear in platform tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// `x86_64` (`amd64` on Windows).
    X86_64,
    /// `aarch64` on Linux, `arm64` on macOS and Windows.
    Aarch64,
    /// `i686` on Linux, `win32` on Windows.
    X86,
    /// `armv7l`.
    Armv7l,
    /// `ppc64le`.
    Ppc64le,
    /// `s390x`.
    S390x,
    /// `riscv64`.
    Riscv64,
    /// macOS `universal2` (x86_64 + arm64 fat binaries); only valid for macOS targets.
    Universal2,
}

/// A target platform, described by its most specific tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "os", rename_all = "snake_case")]
pub enum Platform {
    /// glibc Linux with the given glibc version (PEP 600).
    Manylinux { major: u16, minor: u16, arch: Arch },
    /// musl Linux with the given musl version (PEP 656).
    Musllinux { major: u16, minor: u16, arch: Arch },
    /// macOS of the given version.
    Macos { major: u16, minor: u16, arch: Arch },
    /// Windows.
    Windows { arch: Arch },
    /// A Linux whose libc is unknown: only `linux_<arch>` wheels (and pure ones) apply.
    Linux { arch: Arch },
}

/// A platform string that is neither a known tag nor a short name.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("unknown platform `{input}`: {reason}")]
pub struct PlatformError {
    /// What the user typed.
    pub input: String,
    /// What was expected.
    pub reason: String,
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(_s: &str) -> Result<Self, Self::Err> {
        todo!("platform parsing")
    }
}

impl fmt::Display for Platform {
    /// The most specific platform tag, e.g. `manylinux_2_28_x86_64`.
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("platform display")
    }
}

/// The PEP 508 marker values a platform implies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformMarkers {
    /// `sys_platform`: `linux`, `darwin`, `win32`.
    pub sys_platform: &'static str,
    /// `platform_system`: `Linux`, `Darwin`, `Windows`.
    pub platform_system: &'static str,
    /// `platform_machine`: `x86_64`, `aarch64`, `arm64`, `AMD64`, `ARM64`, `x86`, …
    pub platform_machine: &'static str,
    /// `os_name`: `posix` or `nt`.
    pub os_name: &'static str,
}

impl Platform {
    /// The marker values of this platform.
    pub fn markers(&self) -> PlatformMarkers {
        todo!("platform markers")
    }
}
