//! Fuzzing entry points: one function per parser of outside input (requirements files,
//! `pyproject.toml`, `uv.lock`, `pylock.toml`, core metadata, single PEP 508 strings, installer
//! logs, entries of the on-disk page and resolution caches), each
//! taking raw bytes and panicking only when the parser misbehaved.
//!
//! Shared by the coverage-guided harness in `fuzz/` (`cargo fuzz run <target>`) and the bounded
//! mutation pass that `cargo test` runs (`tests/it/input.rs`), so both exercise exactly the
//! same paths. A parser may reject any input; it must never panic (a PEP 508 parser panic that
//! [`crate::pep508`] caught counts as one), overflow the stack or hang. Requirements files
//! follow `-r`/`-c` includes through an in-memory reader that serves the same bytes again,
//! which exercises include cycles and depth.
//!
//! Not part of the supported API: `#[doc(hidden)]` in `lib.rs`.

use std::path::Path;

use crate::metadata::{CoreMetadata, MetadataOrigin};
use crate::requirements::{self, RequirementSet};

/// Decodes bytes as the file loader does, falling back to a lossy decode so that every input
/// reaches the parser.
fn text(data: &[u8]) -> String {
    requirements::decode_text(data).unwrap_or_else(|_| String::from_utf8_lossy(data).into_owned())
}

/// Runs `parse` and fails loudly when a PEP 508 parser panic had to be caught on the way.
fn checked<R>(what: &str, parse: impl FnOnce() -> R) -> R {
    let before = crate::pep508::panics_caught();
    let out = parse();
    assert_eq!(
        crate::pep508::panics_caught(),
        before,
        "{what}: the PEP 508 parser panicked on an input the checks let through"
    );
    out
}

/// Renders everything a parsed set holds, as the report would.
fn touch(result: Result<RequirementSet, requirements::RequirementsError>) {
    match result {
        Ok(set) => {
            for declared in set.requirements.iter().chain(&set.constraints) {
                let _ = declared.requirement.to_string();
                let _ = declared.requirement.marker.contents();
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

/// A requirements file, with includes served from the same bytes.
pub fn requirements_txt(data: &[u8]) {
    let content = text(data);
    let mut reader = |_: &Path| Ok::<_, std::io::Error>(content.clone());
    let env = |name: &str| (name == "TOKEN").then(|| "s3cret".to_string());
    for constraint in [false, true] {
        touch(checked("requirements file", || {
            requirements::txt::parse_requirements_txt(
                Path::new("requirements.txt"),
                &content,
                constraint,
                &mut reader,
                &env,
            )
        }));
    }
}

/// A `pyproject.toml`, without and with an extra and a group selected.
pub fn pyproject(data: &[u8]) {
    let content = text(data);
    let path = Path::new("pyproject.toml");
    touch(checked("pyproject", || {
        requirements::pyproject::parse_pyproject(path, &content, &[], &[])
    }));
    touch(checked("pyproject", || {
        requirements::pyproject::parse_pyproject(
            path,
            &content,
            &["test".to_string()],
            &["dev".to_string()],
        )
    }));
}

/// A `uv.lock`.
pub fn uv_lock(data: &[u8]) {
    let content = text(data);
    touch(checked("uv.lock", || {
        requirements::lock::parse_uv_lock(Path::new("uv.lock"), &content)
    }));
}

/// A `pylock.toml`.
pub fn pylock(data: &[u8]) {
    let content = text(data);
    touch(checked("pylock.toml", || {
        requirements::lock::parse_pylock(Path::new("pylock.toml"), &content)
    }));
}

/// Core metadata, read as a wheel's `METADATA` and as an sdist's `PKG-INFO`.
pub fn metadata(data: &[u8]) {
    let content = text(data);
    for origin in [MetadataOrigin::Wheel, MetadataOrigin::Sdist] {
        match checked("metadata", || CoreMetadata::parse(&content, origin)) {
            Ok(parsed) => {
                for requirement in &parsed.requires_dist {
                    let _ = requirement.to_string();
                }
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
}

/// One PEP 508 requirement, one marker, and one `--package` value.
pub fn pep508(data: &[u8]) {
    let content = text(data);
    checked("requirement", || {
        let _ = crate::pep508::parse_requirement(&content).map(|r| r.to_string());
        let _ = crate::pep508::parse_marker(&content).map(|m| m.contents());
        let _ = requirements::parse_package_spec(&content).map_err(|e| e.to_string());
    });
}

/// An installer's output (pip's or uv's log), as `wheelwatch explain LOGFILE` reads it.
pub fn installer_log(data: &[u8]) {
    let content = text(data);
    checked("installer log", || {
        let _ = crate::catalog::installer::diagnose(&content).map(|d| format!("{d:?}"));
    });
}

/// An entry of the on-disk page cache, as read on a warm run: the bytes are tried as a whole
/// entry, and as an entry's payload under a valid header (so mutations get past the checksum
/// and reach the decoder). Anything may be rejected; what is accepted must round-trip.
pub fn page_cache(data: &[u8]) {
    crate::index::fuzz_page_cache(data);
}

/// A cached resolution ([`crate::assess::reuse`]), as read on a warm run: the bytes as a whole
/// entry and as a payload under a valid header. Anything may be rejected; what is accepted must
/// round-trip.
pub fn resolution_cache(data: &[u8]) {
    crate::assess::reuse::fuzz_entry(data);
}

/// A fuzz entry point.
pub type Entry = fn(&[u8]);

/// Every entry point, by name (the names of the `fuzz/` targets).
pub const TARGETS: &[(&str, Entry)] = &[
    ("requirements_txt", requirements_txt),
    ("pyproject", pyproject),
    ("uv_lock", uv_lock),
    ("pylock", pylock),
    ("metadata", metadata),
    ("pep508", pep508),
    ("installer_log", installer_log),
    ("page_cache", page_cache),
    ("resolution_cache", resolution_cache),
];
