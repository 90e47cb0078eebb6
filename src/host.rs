//! The host machine's platform: OS, architecture, and libc flavour and version (glibc or musl).
//! I/O: reads the process's environment and runs small, fixed programs (argv only).
//!
//! - OS and architecture come from [`std::env::consts`].
//! - Linux: the C library is the one our own executable is linked against. Its dynamic loader
//!   is read from the `PT_INTERP` entry of `/proc/self/exe` (a few lines of ELF reading, as
//!   `packaging._musllinux` does, rather than a crate: only one field is needed). glibc's
//!   loader holds the banner its `--version` prints (`… stable release version 2.36.`), which
//!   is read from the file, so a run starts no process; failing that it is asked. musl's loader
//!   run bare prints `musl libc (x86_64)` / `Version 1.2.4` on stderr. When that fails (a static
//!   build, say), `ldd --version` is asked, which both C libraries answer. glibc's own
//!   `confstr(_CS_GNU_LIBC_VERSION)` would need `unsafe` FFI, which this crate forbids.
//! - macOS: `sw_vers -productVersion`.
//! - Windows: the architecture alone.
//!
//! What the host's platform *means* for wheels lives in [`crate::platform`] and [`crate::tags`].

use std::io::Read;
use std::process::{Command, Stdio};

use thiserror::Error;

use crate::platform::{Arch, Platform};

/// Why the host's platform could not be determined.
#[derive(Debug, Error)]
pub enum HostError {
    /// An operating system wheels are not built for (or that we do not model).
    #[error(
        "unsupported host operating system `{os}` ({arch}): name the target platform explicitly, e.g. `manylinux_2_28_x86_64`"
    )]
    UnsupportedOs { os: String, arch: String },
    /// An architecture we do not model on this OS.
    #[error(
        "unsupported host architecture `{arch}` on {os}: name the target platform explicitly, e.g. `manylinux_2_28_x86_64`"
    )]
    UnsupportedArch { os: String, arch: String },
    /// Neither glibc nor musl could be identified.
    #[error(
        "could not tell which C library this Linux machine uses ({tried}): name the target platform explicitly, e.g. `manylinux_2_28_{arch}` or `musllinux_1_2_{arch}`"
    )]
    UnknownLibc { tried: String, arch: &'static str },
    /// `sw_vers` failed or printed something unexpected.
    #[error("could not read the macOS version from `sw_vers -productVersion`: {detail}")]
    MacosVersion { detail: String },
}

/// The platform of the machine we run on.
pub fn host_platform() -> Result<Platform, HostError> {
    let os = std::env::consts::OS;
    let arch_name = std::env::consts::ARCH;
    let unsupported_arch = || HostError::UnsupportedArch {
        os: os.to_string(),
        arch: arch_name.to_string(),
    };
    match os {
        "linux" => {
            let arch = linux_arch(arch_name).ok_or_else(unsupported_arch)?;
            linux_platform(arch)
        }
        "macos" => {
            let arch = match arch_name {
                "aarch64" => Arch::Aarch64,
                "x86_64" => Arch::X86_64,
                _ => return Err(unsupported_arch()),
            };
            let (major, minor) = macos_version()?;
            Ok(Platform::Macos { major, minor, arch })
        }
        "windows" => {
            let arch = match arch_name {
                "x86_64" => Arch::X86_64,
                "aarch64" => Arch::Aarch64,
                "x86" => Arch::X86,
                _ => return Err(unsupported_arch()),
            };
            Ok(Platform::Windows { arch })
        }
        _ => Err(HostError::UnsupportedOs {
            os: os.to_string(),
            arch: arch_name.to_string(),
        }),
    }
}

/// Maps Rust's architecture names to Linux wheel architectures.
fn linux_arch(arch: &str) -> Option<Arch> {
    Some(match arch {
        "x86_64" => Arch::X86_64,
        "aarch64" => Arch::Aarch64,
        "x86" => Arch::X86,
        "arm" => Arch::Armv7l,
        "powerpc64" if cfg!(target_endian = "little") => Arch::Ppc64le,
        "s390x" => Arch::S390x,
        "riscv64" => Arch::Riscv64,
        _ => return None,
    })
}

/// The C library flavour and version found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Libc {
    Glibc(u16, u16),
    Musl(u16, u16),
}

fn linux_platform(arch: Arch) -> Result<Platform, HostError> {
    let mut tried = Vec::new();
    let libc = if let Some(loader) = loader_of_self() {
        let found = if loader.contains("musl") {
            // musl's loader run without arguments prints its version on stderr.
            run(&loader, &[]).as_deref().and_then(parse_musl)
        } else {
            // glibc's loader carries its `--version` banner; reading it starts no process.
            banner_in_file(&loader)
                .or_else(|| {
                    run(&loader, &["--version"])
                        .as_deref()
                        .and_then(parse_glibc)
                })
                .map(Libc::from)
        };
        if found.is_none() {
            tried.push(format!("asked the loader {loader}"));
        }
        found
    } else {
        tried.push("no dynamic loader in /proc/self/exe".to_string());
        None
    };
    let libc = libc.or_else(|| {
        let out = run("ldd", &["--version"]);
        let found = out.as_deref().and_then(parse_ldd);
        if found.is_none() {
            tried.push("`ldd --version` gave no version".to_string());
        }
        found
    });
    match libc {
        Some(Libc::Glibc(major, minor)) => Ok(Platform::Manylinux { major, minor, arch }),
        Some(Libc::Musl(major, minor)) => Ok(Platform::Musllinux { major, minor, arch }),
        None => Err(HostError::UnknownLibc {
            tried: tried.join("; "),
            arch: arch.linux_name(),
        }),
    }
}

impl From<(u16, u16)> for Libc {
    fn from((major, minor): (u16, u16)) -> Self {
        Libc::Glibc(major, minor)
    }
}

/// Runs `program args…` with no input and returns stdout followed by stderr, whatever the exit
/// status (musl's loader exits non-zero when run bare); `None` when it cannot be started.
fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(text)
}

/// `X.Y` at the start of `s` (`2.36.`, `2.36-9`, `1.2.4`).
fn leading_version(s: &str) -> Option<(u16, u16)> {
    let (major, rest) = s.split_once('.')?;
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    Some((major.parse().ok()?, rest[..end].parse().ok()?))
}

/// glibc's banner: the last `X.Y` on the first non-empty line
/// (`ldd (Debian GLIBC 2.36-9+deb12u4) 2.36`, `ld.so (…) stable release version 2.36.`).
fn parse_glibc(text: &str) -> Option<(u16, u16)> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    if line.contains("musl") {
        return None;
    }
    line.split_whitespace().rev().find_map(leading_version)
}

/// The glibc version in the loader file itself: the `… stable release version 2.36.` banner
/// that `ld.so --version` prints is a string in the binary (read at most 8 MiB).
fn banner_in_file(path: &str) -> Option<(u16, u16)> {
    let mut bytes = Vec::new();
    fs_err::File::open(path)
        .ok()?
        .take(8 * 1024 * 1024)
        .read_to_end(&mut bytes)
        .ok()?;
    let needle = b"release version ";
    let at = bytes.windows(needle.len()).position(|w| w == needle)? + needle.len();
    let rest = &bytes[at..bytes.len().min(at + 16)];
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'.'))
        .unwrap_or(rest.len());
    leading_version(std::str::from_utf8(&rest[..end]).ok()?)
}

/// musl's banner: `musl libc (x86_64)` then `Version 1.2.4`.
fn parse_musl(text: &str) -> Option<Libc> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if !lines.next()?.starts_with("musl") {
        return None;
    }
    let (major, minor) = leading_version(lines.next()?.strip_prefix("Version ")?)?;
    Some(Libc::Musl(major, minor))
}

/// `ldd --version` from either C library.
fn parse_ldd(text: &str) -> Option<Libc> {
    parse_musl(text).or_else(|| parse_glibc(text).map(Libc::from))
}

/// The `PT_INTERP` path of our own executable.
fn loader_of_self() -> Option<String> {
    let mut head = Vec::new();
    fs_err::File::open("/proc/self/exe")
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    elf_interpreter(&head)
}

/// Reads the `PT_INTERP` string from the start of an ELF file (32/64-bit, either endianness).
fn elf_interpreter(data: &[u8]) -> Option<String> {
    if data.get(..4)? != b"\x7fELF" {
        return None;
    }
    let wide = match data.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little = *data.get(5)? == 1;
    let uint = |at: usize, len: usize| -> Option<u64> {
        let bytes = data.get(at..at.checked_add(len)?)?;
        let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
        Some(if little {
            bytes.iter().rev().fold(0, fold)
        } else {
            bytes.iter().fold(0, fold)
        })
    };
    let (phoff, phentsize, phnum) = if wide {
        (uint(0x20, 8)?, uint(0x36, 2)?, uint(0x38, 2)?)
    } else {
        (uint(0x1C, 4)?, uint(0x2A, 2)?, uint(0x2C, 2)?)
    };
    for i in 0..phnum {
        let at = usize::try_from(phoff.checked_add(i.checked_mul(phentsize)?)?).ok()?;
        if uint(at, 4)? != 3 {
            continue; // not PT_INTERP
        }
        let (offset, size) = if wide {
            (uint(at + 8, 8)?, uint(at + 0x20, 8)?)
        } else {
            (uint(at + 4, 4)?, uint(at + 0x10, 4)?)
        };
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        let raw = data.get(start..end)?;
        let raw = raw.split(|b| *b == 0).next()?;
        return std::str::from_utf8(raw).ok().map(str::to_string);
    }
    None
}

fn macos_version() -> Result<(u16, u16), HostError> {
    let out = Command::new("sw_vers")
        .arg("-productVersion")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HostError::MacosVersion {
            detail: e.to_string(),
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_macos_version(&text).ok_or_else(|| HostError::MacosVersion {
        detail: format!("unexpected output `{}`", text.trim()),
    })
}

/// `14.2.1` → (14, 2); `15` → (15, 0).
fn parse_macos_version(text: &str) -> Option<(u16, u16)> {
    let text = text.trim();
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(m) => m.parse().ok()?,
        None => 0,
    };
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_banner_read_from_the_loader_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ld.so");
        let mut bytes = vec![0x7f, b'E', b'L', b'F', 0, 1, 2];
        bytes.extend_from_slice(
            b"\0ld.so (Debian GLIBC 2.36-9+deb12u14) stable release version 2.36.\0rest",
        );
        fs_err::write(&file, &bytes).unwrap();
        assert_eq!(banner_in_file(file.to_str().unwrap()), Some((2, 36)));
        fs_err::write(&file, b"\x7fELF no banner here").unwrap();
        assert_eq!(banner_in_file(file.to_str().unwrap()), None);
        // This machine's own loader agrees with what it prints, when it is glibc's.
        if let Some(loader) = loader_of_self().filter(|l| !l.contains("musl"))
            && let Some(printed) = run(&loader, &["--version"])
                .as_deref()
                .and_then(parse_glibc)
        {
            assert_eq!(banner_in_file(&loader), Some(printed));
        }
    }

    #[test]
    fn glibc_banners() {
        assert_eq!(
            parse_glibc("ldd (Debian GLIBC 2.36-9+deb12u4) 2.36\nCopyright …"),
            Some((2, 36))
        );
        assert_eq!(
            parse_glibc("ld.so (Ubuntu GLIBC 2.35-0ubuntu3.8) stable release version 2.35.\n"),
            Some((2, 35))
        );
        assert_eq!(parse_glibc("ldd (GNU libc) 2.17\n"), Some((2, 17)));
        assert_eq!(parse_glibc("nonsense"), None);
    }

    #[test]
    fn musl_banners() {
        let banner = "\nmusl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\nUsage: …";
        assert_eq!(parse_musl(banner), Some(Libc::Musl(1, 2)));
        assert_eq!(parse_ldd(banner), Some(Libc::Musl(1, 2)));
        assert_eq!(parse_ldd("ldd (GNU libc) 2.28"), Some(Libc::Glibc(2, 28)));
        assert_eq!(parse_musl("musl libc (aarch64)\n"), None);
    }

    #[test]
    fn macos_versions() {
        assert_eq!(parse_macos_version("14.2.1\n"), Some((14, 2)));
        assert_eq!(parse_macos_version("15\n"), Some((15, 0)));
        assert_eq!(parse_macos_version("10.13.6"), Some((10, 13)));
        assert_eq!(parse_macos_version(""), None);
    }

    #[test]
    fn elf_interpreter_of_a_hand_made_header() {
        // A minimal 64-bit little-endian ELF with one PT_INTERP program header.
        let mut elf = vec![0u8; 0x40 + 0x38];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[0x20] = 0x40; // e_phoff
        elf[0x36] = 0x38; // e_phentsize
        elf[0x38] = 1; // e_phnum
        let interp = b"/lib/ld-musl-x86_64.so.1\0";
        let offset = elf.len() as u8;
        elf[0x40] = 3; // PT_INTERP
        elf[0x48] = offset;
        elf[0x60] = interp.len() as u8;
        elf.extend_from_slice(interp);
        assert_eq!(
            elf_interpreter(&elf).as_deref(),
            Some("/lib/ld-musl-x86_64.so.1")
        );
        assert_eq!(elf_interpreter(b"#!/bin/sh"), None);
    }

    #[test]
    fn errors_say_what_to_do() {
        let e = HostError::UnknownLibc {
            tried: "`ldd --version` gave no version".into(),
            arch: "x86_64",
        };
        assert_eq!(
            e.to_string(),
            "could not tell which C library this Linux machine uses (`ldd --version` gave no \
             version): name the target platform explicitly, e.g. `manylinux_2_28_x86_64` or \
             `musllinux_1_2_x86_64`"
        );
    }
}
