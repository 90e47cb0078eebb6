//! Target platforms: the most-specific platform tag a target is described by
//! (`manylinux_2_28_x86_64`, `musllinux_1_2_aarch64`, `macosx_11_0_arm64`, `win_amd64`, …), the
//! short names users type (`linux`, `macos`, `windows`, …), and the PEP 508 marker values each
//! implies. Pure: detecting the host's platform lives in [`crate::host`], and the list of wheel
//! platform tags a platform accepts lives in [`crate::tags`].
//!
//! # Accepted platform tags
//!
//! | form                                   | meaning                                              |
//! |----------------------------------------|------------------------------------------------------|
//! | `manylinux_2_N_<arch>`                 | glibc 2.N Linux (PEP 600)                            |
//! | `manylinux2014_<arch>`                 | legacy alias of `manylinux_2_17_<arch>`              |
//! | `manylinux2010_<arch>`                 | legacy alias of `manylinux_2_12_<arch>`              |
//! | `manylinux1_<arch>`                    | legacy alias of `manylinux_2_5_<arch>`               |
//! | `musllinux_1_N_<arch>`                 | musl 1.N Linux (PEP 656)                             |
//! | `linux_<arch>`                         | Linux with an unknown libc: only `linux_<arch>` wheels |
//! | `macosx_X_Y_<arm64\|x86_64\|universal2>` | macOS X.Y (`arm64` needs 11.0, `x86_64` 10.4)   |
//! | `win_amd64`, `win_arm64`, `win32`      | Windows on x86_64, arm64, x86                        |
//!
//! Linux architectures: `x86_64`, `aarch64`, `i686`, `armv7l`, `ppc64le`, `s390x`, `riscv64`.
//! A `universal2` macOS platform stands for "any Mac of that version": only `universal2`
//! wheels fit it, and its `platform_machine` marker is `arm64`.
//!
//! # Short names
//!
//! | short name                           | platform                 |
//! |--------------------------------------|--------------------------|
//! | `linux`, `linux-x86_64`              | `manylinux_2_28_x86_64`  |
//! | `linux-aarch64`, `linux-arm64`       | `manylinux_2_28_aarch64` |
//! | `musllinux`, `musllinux-x86_64`      | `musllinux_1_2_x86_64`   |
//! | `musllinux-aarch64`, `musllinux-arm64` | `musllinux_1_2_aarch64` |
//! | `macos`, `macos-arm64`               | `macosx_11_0_arm64`      |
//! | `macos-x86_64`                       | `macosx_10_13_x86_64`    |
//! | `windows`, `windows-x86_64`, `windows-amd64` | `win_amd64`      |
//! | `windows-arm64`                      | `win_arm64`              |
//! | `windows-x86`, `windows-x86_32`      | `win32`                  |
//!
//! Matching is case-insensitive (wheel tags are lower-case by definition).

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

impl Arch {
    /// The architecture as written in Linux platform tags (`x86_64`, `aarch64`, `i686`, …).
    /// `Universal2` has no Linux spelling and yields `universal2`.
    pub fn linux_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::X86 => "i686",
            Arch::Armv7l => "armv7l",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
            Arch::Riscv64 => "riscv64",
            Arch::Universal2 => "universal2",
        }
    }

    fn from_linux_name(s: &str) -> Option<Self> {
        Some(match s {
            "x86_64" => Arch::X86_64,
            "aarch64" => Arch::Aarch64,
            "i686" => Arch::X86,
            "armv7l" => Arch::Armv7l,
            "ppc64le" => Arch::Ppc64le,
            "s390x" => Arch::S390x,
            "riscv64" => Arch::Riscv64,
            _ => return None,
        })
    }

    /// The architecture as written in macOS platform tags (`x86_64`, `arm64`, `universal2`).
    pub fn macos_name(self) -> &'static str {
        match self {
            Arch::Aarch64 => "arm64",
            Arch::Universal2 => "universal2",
            other => other.linux_name(),
        }
    }
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

/// What every "unknown platform" error ends with.
const ACCEPTED: &str = "expected a platform tag (`manylinux_2_28_x86_64`, `manylinux2014_aarch64`, \
`musllinux_1_2_x86_64`, `macosx_11_0_arm64`, `macosx_10_13_x86_64`, `macosx_10_9_universal2`, \
`win_amd64`, `win_arm64`, `win32`, `linux_x86_64`) or a short name (`linux`, `linux-aarch64`, \
`musllinux`, `musllinux-aarch64`, `macos`, `macos-x86_64`, `windows`, `windows-arm64`, \
`windows-x86`)";

const LINUX_ARCHS: &str = "x86_64, aarch64, i686, armv7l, ppc64le, s390x, riscv64";

/// Short names and the platform each stands for (the table in the module doc).
fn short_name(s: &str) -> Option<Platform> {
    use Arch::{Aarch64, X86, X86_64};
    let many = |arch| Platform::Manylinux {
        major: 2,
        minor: 28,
        arch,
    };
    let musl = |arch| Platform::Musllinux {
        major: 1,
        minor: 2,
        arch,
    };
    Some(match s {
        "linux" | "linux-x86_64" => many(X86_64),
        "linux-aarch64" | "linux-arm64" => many(Aarch64),
        "musllinux" | "musllinux-x86_64" => musl(X86_64),
        "musllinux-aarch64" | "musllinux-arm64" => musl(Aarch64),
        "macos" | "macos-arm64" => Platform::Macos {
            major: 11,
            minor: 0,
            arch: Aarch64,
        },
        "macos-x86_64" => Platform::Macos {
            major: 10,
            minor: 13,
            arch: X86_64,
        },
        "windows" | "windows-x86_64" | "windows-amd64" => Platform::Windows { arch: X86_64 },
        "windows-arm64" => Platform::Windows { arch: Aarch64 },
        "windows-x86" | "windows-x86_32" => Platform::Windows { arch: X86 },
        _ => return None,
    })
}

/// Splits `A_B_rest` into `(A, B, rest)` with `A` and `B` decimal numbers.
fn version_and_rest(s: &str) -> Option<(u16, u16, &str)> {
    let (major, rest) = s.split_once('_')?;
    let (minor, rest) = rest.split_once('_')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?, rest))
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| PlatformError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim().to_ascii_lowercase();
        if let Some(platform) = short_name(&s) {
            return Ok(platform);
        }
        let linux_arch = |arch: &str| {
            Arch::from_linux_name(arch).ok_or_else(|| {
                fail(format!(
                    "unknown architecture `{arch}` (expected one of {LINUX_ARCHS})"
                ))
            })
        };
        let legacy = [
            ("manylinux2014_", 17),
            ("manylinux2010_", 12),
            ("manylinux1_", 5),
        ];
        for (prefix, minor) in legacy {
            if let Some(arch) = s.strip_prefix(prefix) {
                return Ok(Platform::Manylinux {
                    major: 2,
                    minor,
                    arch: linux_arch(arch)?,
                });
            }
        }
        if let Some(rest) = s.strip_prefix("manylinux_") {
            let (major, minor, arch) = version_and_rest(rest).ok_or_else(|| {
                fail("expected `manylinux_<glibc major>_<glibc minor>_<arch>`".to_string())
            })?;
            if major != 2 {
                return Err(fail(format!("glibc major version must be 2, not {major}")));
            }
            return Ok(Platform::Manylinux {
                major,
                minor,
                arch: linux_arch(arch)?,
            });
        }
        if let Some(rest) = s.strip_prefix("musllinux_") {
            let (major, minor, arch) = version_and_rest(rest).ok_or_else(|| {
                fail("expected `musllinux_<musl major>_<musl minor>_<arch>`".to_string())
            })?;
            if major != 1 {
                return Err(fail(format!("musl major version must be 1, not {major}")));
            }
            return Ok(Platform::Musllinux {
                major,
                minor,
                arch: linux_arch(arch)?,
            });
        }
        if let Some(rest) = s.strip_prefix("macosx_") {
            let (major, minor, arch) = version_and_rest(rest)
                .ok_or_else(|| fail("expected `macosx_<major>_<minor>_<arch>`".to_string()))?;
            let arch = match arch {
                "arm64" => Arch::Aarch64,
                "x86_64" => Arch::X86_64,
                "universal2" => Arch::Universal2,
                other => {
                    return Err(fail(format!(
                        "unsupported macOS architecture `{other}` (expected arm64, x86_64 or universal2)"
                    )));
                }
            };
            if major < 10 {
                return Err(fail(format!("macOS {major}.{minor} is older than 10.0")));
            }
            if arch == Arch::X86_64 && (major, minor) < (10, 4) {
                return Err(fail(format!(
                    "x86_64 macOS wheels start at 10.4, not {major}.{minor}"
                )));
            }
            if arch == Arch::Aarch64 && major < 11 {
                return Err(fail(format!(
                    "arm64 Macs run macOS 11.0 or later, not {major}.{minor}"
                )));
            }
            return Ok(Platform::Macos { major, minor, arch });
        }
        match s.as_str() {
            "win_amd64" => return Ok(Platform::Windows { arch: Arch::X86_64 }),
            "win_arm64" => {
                return Ok(Platform::Windows {
                    arch: Arch::Aarch64,
                });
            }
            "win32" => return Ok(Platform::Windows { arch: Arch::X86 }),
            _ => {}
        }
        if let Some(arch) = s.strip_prefix("linux_") {
            return Ok(Platform::Linux {
                arch: linux_arch(arch)?,
            });
        }
        Err(fail(ACCEPTED.to_string()))
    }
}

impl fmt::Display for Platform {
    /// The most specific platform tag, e.g. `manylinux_2_28_x86_64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Platform::Manylinux { major, minor, arch } => {
                write!(f, "manylinux_{major}_{minor}_{}", arch.linux_name())
            }
            Platform::Musllinux { major, minor, arch } => {
                write!(f, "musllinux_{major}_{minor}_{}", arch.linux_name())
            }
            Platform::Macos { major, minor, arch } => {
                write!(f, "macosx_{major}_{minor}_{}", arch.macos_name())
            }
            Platform::Windows { arch } => f.write_str(match arch {
                Arch::Aarch64 => "win_arm64",
                Arch::X86 => "win32",
                _ => "win_amd64",
            }),
            Platform::Linux { arch } => write!(f, "linux_{}", arch.linux_name()),
        }
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
    /// The CPU architecture.
    pub fn arch(&self) -> Arch {
        match self {
            Platform::Manylinux { arch, .. }
            | Platform::Musllinux { arch, .. }
            | Platform::Macos { arch, .. }
            | Platform::Windows { arch }
            | Platform::Linux { arch } => *arch,
        }
    }

    /// The marker values of this platform, as CPython's `sys`, `os` and `platform` modules
    /// report them there.
    pub fn markers(&self) -> PlatformMarkers {
        match self {
            Platform::Manylinux { arch, .. }
            | Platform::Musllinux { arch, .. }
            | Platform::Linux { arch } => PlatformMarkers {
                sys_platform: "linux",
                platform_system: "Linux",
                platform_machine: arch.linux_name(),
                os_name: "posix",
            },
            Platform::Macos { arch, .. } => PlatformMarkers {
                sys_platform: "darwin",
                platform_system: "Darwin",
                // A universal2 interpreter reports the CPU it runs on; we pick Apple silicon.
                platform_machine: match arch {
                    Arch::X86_64 => "x86_64",
                    _ => "arm64",
                },
                os_name: "posix",
            },
            Platform::Windows { arch } => PlatformMarkers {
                sys_platform: "win32",
                platform_system: "Windows",
                platform_machine: match arch {
                    Arch::Aarch64 => "ARM64",
                    Arch::X86 => "x86",
                    _ => "AMD64",
                },
                os_name: "nt",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        s.parse::<Platform>().expect_err(s).to_string()
    }

    #[test]
    fn tags_round_trip_through_display() {
        for tag in [
            "manylinux_2_28_x86_64",
            "manylinux_2_17_aarch64",
            "manylinux_2_5_i686",
            "musllinux_1_2_x86_64",
            "musllinux_1_1_armv7l",
            "macosx_11_0_arm64",
            "macosx_14_2_arm64",
            "macosx_10_13_x86_64",
            "macosx_10_9_universal2",
            "win_amd64",
            "win_arm64",
            "win32",
            "linux_x86_64",
            "linux_riscv64",
        ] {
            assert_eq!(p(tag).to_string(), tag);
        }
    }

    #[test]
    fn legacy_manylinux_maps_to_pep600() {
        assert_eq!(
            p("manylinux2014_x86_64").to_string(),
            "manylinux_2_17_x86_64"
        );
        assert_eq!(p("manylinux2010_i686").to_string(), "manylinux_2_12_i686");
        assert_eq!(p("manylinux1_x86_64").to_string(), "manylinux_2_5_x86_64");
    }

    #[test]
    fn short_names() {
        for (short, tag) in [
            ("linux", "manylinux_2_28_x86_64"),
            ("linux-aarch64", "manylinux_2_28_aarch64"),
            ("musllinux", "musllinux_1_2_x86_64"),
            ("musllinux-aarch64", "musllinux_1_2_aarch64"),
            ("macos", "macosx_11_0_arm64"),
            ("macos-x86_64", "macosx_10_13_x86_64"),
            ("windows", "win_amd64"),
            ("windows-arm64", "win_arm64"),
            ("windows-x86", "win32"),
            ("Linux", "manylinux_2_28_x86_64"),
        ] {
            assert_eq!(p(short).to_string(), tag, "{short}");
        }
    }

    #[test]
    fn errors_name_input_and_what_is_accepted() {
        assert_eq!(
            err("solaris"),
            format!("unknown platform `solaris`: {ACCEPTED}")
        );
        assert_eq!(
            err("manylinux_2_28_sparc"),
            "unknown platform `manylinux_2_28_sparc`: unknown architecture `sparc` (expected one of \
             x86_64, aarch64, i686, armv7l, ppc64le, s390x, riscv64)"
        );
        assert_eq!(
            err("manylinux_2_x_x86_64"),
            "unknown platform `manylinux_2_x_x86_64`: expected \
             `manylinux_<glibc major>_<glibc minor>_<arch>`"
        );
        assert_eq!(
            err("manylinux_3_1_x86_64"),
            "unknown platform `manylinux_3_1_x86_64`: glibc major version must be 2, not 3"
        );
        assert_eq!(
            err("macosx_10_15_arm64"),
            "unknown platform `macosx_10_15_arm64`: arm64 Macs run macOS 11.0 or later, not 10.15"
        );
        assert_eq!(
            err("macosx_10_3_x86_64"),
            "unknown platform `macosx_10_3_x86_64`: x86_64 macOS wheels start at 10.4, not 10.3"
        );
        assert_eq!(
            err("macosx_11_0_ppc"),
            "unknown platform `macosx_11_0_ppc`: unsupported macOS architecture `ppc` (expected \
             arm64, x86_64 or universal2)"
        );
        assert!(err("").starts_with("unknown platform ``: expected a platform tag"));
    }

    #[test]
    fn marker_values_match_cpython() {
        let m = |s: &str| {
            let m = p(s).markers();
            (
                m.sys_platform,
                m.platform_system,
                m.platform_machine,
                m.os_name,
            )
        };
        assert_eq!(
            m("macosx_11_0_arm64"),
            ("darwin", "Darwin", "arm64", "posix")
        );
        assert_eq!(
            m("macosx_10_13_x86_64"),
            ("darwin", "Darwin", "x86_64", "posix")
        );
        assert_eq!(m("win_amd64"), ("win32", "Windows", "AMD64", "nt"));
        assert_eq!(m("win_arm64"), ("win32", "Windows", "ARM64", "nt"));
        assert_eq!(m("win32"), ("win32", "Windows", "x86", "nt"));
        assert_eq!(
            m("manylinux_2_28_aarch64"),
            ("linux", "Linux", "aarch64", "posix")
        );
        assert_eq!(
            m("musllinux_1_2_x86_64"),
            ("linux", "Linux", "x86_64", "posix")
        );
        assert_eq!(
            m("manylinux_2_17_i686"),
            ("linux", "Linux", "i686", "posix")
        );
    }
}
