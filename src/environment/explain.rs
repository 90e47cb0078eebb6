//! An installer failure in one line: which package, and why, read from the installer's output
//! (pip's or uv's). Pure: text in, text out; the caller saves the whole output to a file and
//! names it next to this line.
//!
//! The package is the one the installer was working on when it failed: pip's `Failed to build
//! X`, `Building wheel for X`, `No matching distribution found for X`, else its last
//! `Collecting X` line, matched against the pins (for the exact version). The cause is the first
//! known signature found, most specific first (a missing `distutils`, `Python.h`, C compiler or
//! Rust toolchain, no matching distribution, an unreachable index, a hash mismatch, a full
//! disk); otherwise the installer's last `ERROR:`/`error:` line. When the installer fell back to
//! a source distribution (`Downloading X.tar.gz`, `Building wheel for X`), the line says the
//! package has no wheel for the interpreter first, because that is the root cause.

use super::install::{Pin, redact_text};

/// Explains why installing `pins` with an interpreter of `python_version` (`3.12.1`) failed,
/// from the installer's `output`: e.g. `numpy 1.24.4 has no wheel for CPython 3.12 and its
/// source build needs distutils, removed in Python 3.12`. It never ends in a full stop.
pub fn explain_install_failure(output: &str, pins: &[Pin], python_version: &str) -> String {
    let output = redact_text(output);
    let minor: String = python_version
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    let interpreter = format!("CPython {minor}");
    let package = failing_package(&output, pins);
    let name = package.as_ref().map(|(n, _)| n.as_str());
    let subject = match &package {
        Some((name, Some(version))) => format!("{name} {version}"),
        Some((name, None)) => name.clone(),
        None if pins.len() == 1 => format!("{} {}", pins[0].name, pins[0].version),
        None => "the pinned set".to_string(),
    };
    let built_from_source = name.is_some_and(|n| used_sdist(&output, n));
    let cause = cause(&output, &minor, &interpreter);
    match (built_from_source, cause) {
        (true, Some(Cause::Build(why))) => {
            format!("{subject} has no wheel for {interpreter} and its source build {why}")
        }
        (false, Some(Cause::Build(why))) => format!("the source build of {subject} {why}"),
        (_, Some(Cause::Other(why))) => format!("{subject}: {why}"),
        (true, None) => format!(
            "{subject} has no wheel for {interpreter} and its source build failed: {}",
            last_error(&output)
        ),
        (false, None) => format!("{subject}: {}", last_error(&output)),
    }
}

enum Cause {
    /// Completes "its source build …".
    Build(String),
    /// A whole reason.
    Other(String),
}

fn cause(output: &str, minor: &str, interpreter: &str) -> Option<Cause> {
    let has = |needle: &str| output.contains(needle);
    if has("No module named 'distutils'") {
        let removed = if version_at_least(minor, (3, 12)) {
            format!(", removed in Python {minor}")
        } else {
            String::new()
        };
        return Some(Cause::Build(format!("needs distutils{removed}")));
    }
    if has("Python.h: No such file or directory") {
        return Some(Cause::Build(
            "needs the Python headers (Python.h), which this interpreter does not have".into(),
        ));
    }
    if has("can't find Rust compiler")
        || has("cargo, the Rust package manager, is not installed")
        || has("Cargo, the Rust package manager, is not installed")
    {
        return Some(Cause::Build(
            "needs a Rust compiler, and none was found".into(),
        ));
    }
    if has("command 'gcc' failed: No such file")
        || has("command 'cc' failed: No such file")
        || has("unable to execute 'gcc'")
        || has("gcc: command not found")
        || has("error: command 'x86_64-linux-gnu-gcc' failed: No such file")
    {
        return Some(Cause::Build(
            "needs a C compiler, and none was found".into(),
        ));
    }
    if has("No matching distribution found for") || has("Could not find a version that satisfies") {
        return Some(Cause::Other(format!(
            "the index offers no file of it that installs on {interpreter} here"
        )));
    }
    if has("THESE PACKAGES DO NOT MATCH THE HASHES") || has("Hash mismatch") {
        return Some(Cause::Other(
            "the downloaded file does not match its expected hash".into(),
        ));
    }
    if has("No space left on device") {
        return Some(Cause::Other("the disk is full".into()));
    }
    if has("NewConnectionError")
        || has("Max retries exceeded")
        || has("Could not fetch URL")
        || has("ConnectionError")
        || has("Failed to establish a new connection")
    {
        return Some(Cause::Other("the index could not be reached".into()));
    }
    None
}

fn version_at_least(minor: &str, (major, min): (u32, u32)) -> bool {
    let mut parts = minor.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let a = parts.next().unwrap_or(0);
    let b = parts.next().unwrap_or(0);
    (a, b) >= (major, min)
}

/// The package the installer failed on, with the pinned version when it is one of the pins.
fn failing_package(output: &str, pins: &[Pin]) -> Option<(String, Option<String>)> {
    let normalize = |s: &str| s.to_ascii_lowercase().replace(['_', '.'], "-");
    let known = |raw: &str| -> (String, Option<String>) {
        let raw = raw.trim().trim_end_matches(['.', ',', ';']);
        let base = raw
            .split(['=', '<', '>', '!', '~', ' ', '[', '('])
            .next()
            .unwrap_or(raw);
        match pins.iter().find(|p| normalize(&p.name) == normalize(base)) {
            Some(pin) => (pin.name.clone(), Some(pin.version.clone())),
            None => (base.to_string(), None),
        }
    };
    for prefix in [
        "Failed to build ",
        "No matching distribution found for ",
        "Building wheel for ",
        "Failed to build installable wheels for some pyproject.toml based projects (",
    ] {
        if let Some(rest) = output.lines().rev().find_map(|l| {
            let l = l.trim_start_matches("ERROR: ").trim();
            l.strip_prefix(prefix)
        }) {
            let name = rest.trim_end_matches(')');
            if !name.is_empty() {
                return Some(known(name));
            }
        }
    }
    // pip's "Collecting X" precedes everything it does for X; the last one before the first
    // error is the package at fault.
    let first_error = output
        .lines()
        .position(|l| l.starts_with("ERROR") || l.trim_start().starts_with("error:"))
        .unwrap_or(usize::MAX);
    output
        .lines()
        .take(first_error)
        .filter_map(|l| l.trim().strip_prefix("Collecting "))
        .last()
        .map(known)
}

#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "pip prints distribution file names as the index has them; sdists are .tar.gz/.zip"
)]
fn used_sdist(output: &str, name: &str) -> bool {
    let wanted = name.to_ascii_lowercase().replace(['-', '.'], "_");
    output.lines().any(|l| {
        let l = l.trim();
        let file = l
            .strip_prefix("Downloading ")
            .or_else(|| l.strip_prefix("Using cached "))
            .or_else(|| l.strip_prefix("Processing "))
            .map(|f| f.split(' ').next().unwrap_or_default());
        let is_sdist = file.is_some_and(|f| {
            let base = f.rsplit('/').next().unwrap_or(f).to_ascii_lowercase();
            (base.ends_with(".tar.gz") || base.ends_with(".zip"))
                && base
                    .replace(['-', '.'], "_")
                    .starts_with(&format!("{wanted}_"))
        });
        is_sdist
            || l.strip_prefix("Building wheel for ").is_some_and(|r| {
                r.to_ascii_lowercase()
                    .replace(['-', '.'], "_")
                    .starts_with(&wanted)
            })
    })
}

/// The installer's last error line, else its last line.
fn last_error(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("ERROR:") || l.starts_with("error:"))
        .or_else(|| lines.last())
        .copied()
        .unwrap_or("the installer failed without saying why");
    let line = line
        .trim_start_matches("ERROR:")
        .trim_start_matches("error:")
        .trim();
    let mut short: String = line.chars().take(300).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(specs: &[&str]) -> Vec<Pin> {
        specs
            .iter()
            .map(|s| Pin::parse(s, false).unwrap())
            .collect()
    }

    /// pip 23.2 on CPython 3.12.1 installing numpy 1.24.4 (recorded; only an sdist exists for
    /// 3.12, and its build backend imports distutils).
    #[test]
    fn numpy_on_312_recorded() {
        let log = include_str!("testdata/pip-numpy-1.24.4-cp312.log");
        assert_eq!(
            explain_install_failure(log, &pins(&["numpy==1.24.4", "six==1.16.0"]), "3.12.1"),
            "numpy 1.24.4 has no wheel for CPython 3.12 and its source build needs \
             distutils, removed in Python 3.12"
        );
    }

    #[test]
    fn no_matching_distribution() {
        let log = "Looking in indexes: http://127.0.0.1:1/simple\n\
                   ERROR: Could not find a version that satisfies the requirement wwfast==1.0 (from versions: none)\n\
                   ERROR: No matching distribution found for wwfast==1.0\n";
        assert_eq!(
            explain_install_failure(log, &pins(&["wwfast==1.0"]), "3.12.1"),
            "wwfast 1.0: the index offers no file of it that installs on CPython 3.12 here"
        );
    }

    #[test]
    fn compiler_missing_after_building() {
        let log = "Collecting wwc==2.0\n  Downloading wwc-2.0.tar.gz (3 kB)\n\
                   Building wheels for collected packages: wwc\n  Building wheel for wwc (pyproject.toml): started\n\
                   error: command 'gcc' failed: No such file or directory\n\
                   ERROR: Failed to build wwc\n";
        assert_eq!(
            explain_install_failure(log, &pins(&["wwc==2.0"]), "3.11.7"),
            "wwc 2.0 has no wheel for CPython 3.11 and its source build needs a C compiler, \
             and none was found"
        );
    }

    #[test]
    fn unknown_failure_quotes_the_last_error_without_credentials() {
        let log = "Collecting a==1\nERROR: something odd at https://u:secret@host/simple\n";
        assert_eq!(
            explain_install_failure(log, &pins(&["a==1"]), "3.12.1"),
            "a 1: something odd at https://***@host/simple"
        );
    }
}
