//! Catalog entries found in an installer's output (pip's or uv's), for `wheelwatch explain
//! LOGFILE` and for `fallback`/`reset` when an install fails. Pure: text in, [`Diagnosis`] out.
//!
//! Signatures are tried most specific first: a missing `distutils`, `Python.h`, a known system
//! library ([`super::BUILD_NEEDS`]), Rust, a C compiler; then requires-python (pip's "require a
//! different python", uv's "does not satisfy Python"); then uv's tag hints, which name the tags
//! it looked for and the ones the project has (a free-threaded ABI, a platform: a newer
//! manylinux or macOS, no musllinux); then a build that failed for another reason, and "no
//! matching distribution". Hand-written: no crate knows these messages.

use serde::Serialize;

use super::{BuildNeeds, IssueId, build_needs, normalize};
use crate::platform::{Arch, Platform};
use crate::util::redact::redact_text;

/// What an installer's output shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Diagnosis {
    /// The catalog entry.
    pub issue: IssueId,
    /// The package the installer failed on, when it says.
    pub package: Option<String>,
    /// Its version, when it says.
    pub version: Option<String>,
    /// The installer's line that shows the problem (trimmed, credentials removed).
    pub evidence: String,
    /// What the evidence means here, e.g. "the wheels need glibc 2.28
    /// (manylinux_2_28_x86_64); the target has manylinux_2_17_x86_64".
    pub detail: Option<String>,
    /// For a missing system library: the library and its packages.
    #[serde(skip)]
    pub needs: Option<&'static BuildNeeds>,
}

/// The catalog entry an installer's `output` shows, if any.
pub(crate) fn diagnose(output: &str) -> Option<Diagnosis> {
    let output = redact_text(output);
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    // The first line holding the first needle that occurs (needles in order of preference).
    let find = |needles: &[&str]| -> Option<String> {
        needles
            .iter()
            .find_map(|n| lines.iter().find(|l| l.contains(n)))
            .map(|l| shorten(l))
    };
    let (package, version) = failing_package(&lines);
    let make = |issue, evidence: String| Diagnosis {
        issue,
        package: package.clone(),
        version: version.clone(),
        evidence,
        detail: None,
        needs: None,
    };

    if let Some(line) = find(&["No module named 'distutils'", "No module named distutils"]) {
        return Some(make(IssueId::DistutilsRemoved, line));
    }
    if let Some(line) = find(&["Python.h: No such file or directory"]) {
        return Some(make(IssueId::BuildNoPythonHeaders, line));
    }
    for needs in &super::BUILD_NEEDS {
        if let Some(line) = find(needs.signatures) {
            let mut d = make(IssueId::BuildNoSystemLibrary, line);
            d.detail = Some(format!(
                "needs {} (Debian/Ubuntu: {}; Fedora/RHEL: {}; Alpine: {})",
                needs.libraries, needs.debian, needs.fedora, needs.alpine
            ));
            d.needs = Some(needs);
            return Some(d);
        }
    }
    if let Some(line) = find(&[
        "can't find Rust compiler",
        "Cargo, the Rust package manager, is not installed",
        "cargo, the Rust package manager, is not installed",
        "Rust not found",
    ]) {
        return Some(make(IssueId::BuildNoRust, line));
    }
    if let Some(line) = lines
        .iter()
        .find(|l| is_compiler_missing(l))
        .map(|l| shorten(l))
    {
        return Some(make(IssueId::BuildNoCompiler, line));
    }
    // A header of an unknown library.
    if let Some(line) = lines
        .iter()
        .find(|l| l.contains("fatal error:") && l.contains(".h: No such file or directory"))
        .map(|l| shorten(l))
    {
        let mut d = make(IssueId::BuildNoSystemLibrary, line);
        d.needs = package.as_deref().and_then(build_needs);
        return Some(d);
    }
    if let Some(line) = find(&[
        "requires a different Python",
        "require a different python version",
        "does not satisfy Python",
        "but the running Python is",
    ]) {
        return Some(make(IssueId::RequiresPython, line));
    }
    if let Some(d) = uv_tag_hint(&lines, &make) {
        return Some(d);
    }
    if let Some(line) = find(&[
        "did not run successfully",
        "Failed building wheel for",
        "Failed to build ",
        "Could not build wheels for",
        "The build backend returned an error",
        "metadata-generation-failed",
        "subprocess-exited-with-error",
    ]) {
        let mut d = make(IssueId::BuildFailed, line);
        d.needs = package.as_deref().and_then(build_needs);
        return Some(d);
    }
    // uv: only an sdist is usable and building is disabled (`--only-binary`, `--no-build`).
    if lines
        .iter()
        .any(|l| l.contains("because building from source is disabled"))
        && let Some(line) = find(&["has no usable wheels"])
    {
        return Some(make(IssueId::SdistOnly, line));
    }
    if let Some(line) = find(&["No matching distribution found for", "has no usable wheels"]) {
        return Some(make(IssueId::NoMatchingDistribution, line));
    }
    None
}

fn is_compiler_missing(line: &str) -> bool {
    [
        "command 'gcc' failed",
        "command 'cc' failed",
        "command 'x86_64-linux-gnu-gcc' failed",
        "unable to execute 'gcc'",
        "unable to execute 'cc'",
        "No such file or directory: 'gcc'",
        "No such file or directory: 'cc'",
        "gcc: command not found",
        "cc: command not found",
        "error: Microsoft Visual C++ 14.0 or greater is required",
        "Unknown compiler(s)",
    ]
    .iter()
    .any(|n| line.contains(n))
}

/// uv's "no wheels with a matching Python ABI tag (e.g., `cp312`)", "no wheels with a
/// free-threading compatible ABI tag" (its hint names the wanted tag: "You require
/// free-threaded CPython 3.13 (`cp313t`)") and "no wheels with a matching platform tag (e.g.,
/// `manylinux_2_17_x86_64`)", with its hint listing what the project has.
fn uv_tag_hint(lines: &[&str], make: &dyn Fn(IssueId, String) -> Diagnosis) -> Option<Diagnosis> {
    /// What uv says the target wanted and no wheel has.
    enum Wanted {
        /// A free-threaded ABI (`cp313t`, when uv's hint names it).
        FreeThreaded(Option<String>),
        /// Another Python ABI (`cp312`).
        Abi(String),
        /// A platform tag.
        Platform(String),
    }
    let first_tag = |rest: &str| rest.split('`').next().unwrap_or_default().to_string();
    let (line, wanted) = lines.iter().find_map(|l| {
        let wanted = if l.contains("no wheels with a free-threading compatible ABI tag") {
            Wanted::FreeThreaded(
                lines
                    .iter()
                    .find_map(|h| h.split_once("You require free-threaded CPython"))
                    .and_then(|(_, r)| backticked(r).into_iter().next()),
            )
        } else if let Some((_, r)) =
            l.split_once("no wheels with a matching Python ABI tag (e.g., `")
        {
            let tag = first_tag(r);
            if tag.ends_with('t') {
                Wanted::FreeThreaded(Some(tag))
            } else {
                Wanted::Abi(tag)
            }
        } else {
            let (_, r) = l.split_once("no wheels with a matching platform tag (e.g., `")?;
            Wanted::Platform(first_tag(r))
        };
        Some((*l, wanted))
    })?;
    let available = lines
        .iter()
        .find(|l| {
            l.starts_with("hint:")
                && (l.contains("following platforms") || l.contains("Python ABI tags"))
        })
        .map(|l| backticked(l.split_once("following").map_or(*l, |(_, r)| r)))
        .unwrap_or_default();
    let (issue, missing) = match wanted {
        Wanted::FreeThreaded(tag) => (
            IssueId::NoFreeThreadedWheel,
            tag.unwrap_or_else(|| "the free-threaded build".to_string()),
        ),
        Wanted::Abi(tag) => (IssueId::NoWheelForPython, tag),
        Wanted::Platform(target) => {
            let (issue, detail) = classify_platform(&target, &available);
            let mut d = make(issue, shorten(line));
            d.detail = Some(detail);
            return Some(d);
        }
    };
    let mut d = make(issue, shorten(line));
    if !available.is_empty() {
        d.detail = Some(format!(
            "wheels exist for {}; none for {missing}",
            available.join(", ")
        ));
    }
    Some(d)
}

/// Which platform entry a target platform tag that none of `available` fits is.
fn classify_platform(target: &str, available: &[String]) -> (IssueId, String) {
    let has = if available.is_empty() {
        "no wheel lists it".to_string()
    } else {
        format!("wheels exist for {}", available.join(", "))
    };
    let target_platform: Option<Platform> = target.parse().ok();
    let parsed: Vec<Platform> = available.iter().filter_map(|a| a.parse().ok()).collect();
    match target_platform {
        Some(Platform::Manylinux { major, minor, arch }) => {
            let newer = parsed
                .iter()
                .filter_map(|p| match p {
                    Platform::Manylinux {
                        major: a,
                        minor: b,
                        arch: c,
                    } if *c == arch && (*a, *b) > (major, minor) => Some((*a, *b)),
                    _ => None,
                })
                .min();
            if let Some((a, b)) = newer {
                return (
                    IssueId::ManylinuxTooNew,
                    format!(
                        "the wheels need glibc {a}.{b} or newer; the target has {target} ({has})"
                    ),
                );
            }
        }
        Some(Platform::Musllinux { arch, .. }) => {
            let musl = parsed
                .iter()
                .any(|p| matches!(p, Platform::Musllinux { arch: a, .. } if *a == arch));
            if !musl {
                return (
                    IssueId::NoMusllinuxWheel,
                    format!("no musllinux wheel for {target} ({has})"),
                );
            }
        }
        Some(Platform::Macos { major, minor, arch }) => {
            let newer = parsed
                .iter()
                .filter_map(|p| match p {
                    Platform::Macos {
                        major: a,
                        minor: b,
                        arch: c,
                    } if macos_arch_fits(*c, arch) && (*a, *b) > (major, minor) => Some((*a, *b)),
                    _ => None,
                })
                .min();
            if let Some((a, b)) = newer {
                return (
                    IssueId::MacosTooNew,
                    format!(
                        "the wheels need macOS {a}.{b} or newer; the target is {target} ({has})"
                    ),
                );
            }
        }
        _ => {}
    }
    (
        IssueId::NoWheelForPlatform,
        format!("no wheel for {target} ({has})"),
    )
}

/// Whether a macOS wheel built for `wheel` runs on `target`.
pub(crate) fn macos_arch_fits(wheel: Arch, target: Arch) -> bool {
    wheel == target || wheel == Arch::Universal2
}

/// The `backticked` items of a line.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(ToString::to_string)
        .collect()
}

fn shorten(line: &str) -> String {
    let line = line
        .trim_start_matches(['×', '│', '╰', '─', '>', ' '])
        .trim_start_matches("ERROR:")
        .trim_start_matches("error:")
        .trim_start_matches("cause:")
        .trim();
    let mut short: String = line.chars().take(240).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// The package (and version) the installer was working on when it failed.
fn failing_package(lines: &[&str]) -> (Option<String>, Option<String>) {
    // uv: "Because torch==2.7.0 has no wheels", "Failed to build `psycopg2 @ file://…`",
    // "numpy==1.26.4 depends on Python>=3.9".
    for line in lines {
        if let Some(rest) = line
            .split_once("Because ")
            .map(|(_, r)| r)
            .filter(|r| r.contains("has no wheels") || r.contains("has no usable wheels"))
        {
            let spec = rest.split(' ').next().unwrap_or_default();
            return split_spec(spec);
        }
        if let Some((_, rest)) = line.split_once("Failed to build `") {
            let spec = rest.split('`').next().unwrap_or_default();
            if let Some((name, url)) = spec.split_once(" @ ") {
                let file = url.rsplit('/').next().unwrap_or(url);
                let version = sdist_version(name, file);
                return (Some(normalize(name)), version);
            }
            return split_spec(spec);
        }
        if let Some((before, _)) = line.split_once(" depends on Python") {
            let spec = before.rsplit(' ').next().unwrap_or_default();
            return split_spec(spec);
        }
    }
    // pip.
    for prefix in [
        "Failed building wheel for ",
        "Failed to build ",
        "No matching distribution found for ",
        "Could not find a version that satisfies the requirement ",
        "Package '",
    ] {
        if let Some(rest) = lines
            .iter()
            .rev()
            .find_map(|l| l.trim_start_matches("ERROR: ").trim().strip_prefix(prefix))
        {
            let spec = rest
                .split([' ', '\'', '('])
                .next()
                .unwrap_or_default()
                .trim_end_matches([',', '.', ';']);
            if !spec.is_empty() {
                let (name, version) = split_spec(spec);
                let version = version.or_else(|| {
                    let (file_name, version) = processed_file(lines)?;
                    (Some(&file_name) == name.as_ref()).then_some(version)
                });
                return (name, version);
            }
        }
    }
    // The last "Collecting X" / "Processing ./X-1.0.tar.gz" before the first error.
    let first_error = lines
        .iter()
        .position(|l| l.starts_with("ERROR") || l.starts_with("error:"))
        .unwrap_or(lines.len());
    lines[..first_error]
        .iter()
        .rev()
        .find_map(|l| {
            if let Some(spec) = l.strip_prefix("Collecting ") {
                return Some(split_spec(spec.split(' ').next().unwrap_or(spec)));
            }
            let (name, version) = processed_file(std::slice::from_ref(l))?;
            Some((Some(name), Some(version)))
        })
        .unwrap_or((None, None))
}

/// The name and version of the distribution file pip processed (`Processing
/// ./dl/psutil-5.9.8.tar.gz`, `Processing ./typing_extensions-4.14.0-py3-none-any.whl`).
fn processed_file(lines: &[&str]) -> Option<(String, String)> {
    lines.iter().find_map(|l| {
        let file = l.strip_prefix("Processing ")?;
        let file = file.split(' ').next()?.rsplit('/').next()?;
        if let Some(stem) = file.strip_suffix(".whl") {
            let mut parts = stem.split('-');
            let name = parts.next()?;
            let version = parts.next()?;
            return Some((normalize(name), version.to_string()));
        }
        let stem = file
            .strip_suffix(".tar.gz")
            .or_else(|| file.strip_suffix(".zip"))?;
        let (name, version) = stem.rsplit_once('-')?;
        Some((normalize(name), version.to_string()))
    })
}

/// `name==1.0` → (name, 1.0); `name` → (name, None).
fn split_spec(spec: &str) -> (Option<String>, Option<String>) {
    let spec = spec.trim().trim_matches('`');
    if spec.is_empty() {
        return (None, None);
    }
    match spec.split_once("==") {
        Some((name, version)) => (Some(normalize(name)), Some(version.to_string())),
        None => {
            let name = spec
                .split(['<', '>', '=', '!', '~', '[', ';'])
                .next()
                .unwrap_or(spec);
            (Some(normalize(name)), None)
        }
    }
}

/// The version in an sdist's file name (`psycopg2-2.9.9.tar.gz`).
fn sdist_version(name: &str, file: &str) -> Option<String> {
    let stem = file
        .strip_suffix(".tar.gz")
        .or_else(|| file.strip_suffix(".zip"))?;
    let (file_name, version) = stem.rsplit_once('-')?;
    (normalize(file_name) == normalize(name)).then(|| version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diagnosis of a recorded log (tests/fixtures/installer-logs, see its README) as
    /// `issue | package version | evidence | detail`.
    fn diagnosed(log: &str) -> String {
        let Some(d) = diagnose(log) else {
            return "none".to_string();
        };
        format!(
            "{} | {} {} | {} | {}",
            d.issue,
            d.package.as_deref().unwrap_or("-"),
            d.version.as_deref().unwrap_or("-"),
            d.evidence,
            d.detail.as_deref().unwrap_or("-")
        )
    }

    macro_rules! log {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/installer-logs/",
                $name,
                ".log"
            ))
        };
    }

    #[test]
    fn no_wheel_for_python() {
        assert_eq!(
            diagnosed(log!("uv-torch-2.0.0-cp312-no-wheel-for-python")),
            "no-wheel-for-python | torch 2.0.0 | Because torch==2.0.0 has no wheels with a matching \
             Python ABI tag (e.g., `cp312`) and you require torch==2.0.0, we can conclude that your \
             requirements are unsatisfiable. | wheels exist for cp38, cp39, cp310, cp311; none for cp312"
        );
    }

    #[test]
    fn requires_python() {
        assert_eq!(
            diagnosed(log!(
                "pip-typing-extensions-4.14.0-cp38-requires-different-python"
            )),
            "requires-python | typing-extensions 4.14.0 | Package 'typing-extensions' requires a \
             different Python: 3.8.18 not in '>=3.9' | -"
        );
        assert!(
            diagnosed(log!("pip-numpy-1.26.4-cp38-requires-python")).starts_with(
                "requires-python | numpy 1.26.4 | Ignored the following versions that require a \
                 different python version: 1.25.0 Requires-Python >=3.9;"
            )
        );
        assert_eq!(
            diagnosed(log!("pip-packaging-24.0-cp36-requires-different-python")),
            "requires-python | packaging 24.0 | packaging requires Python '>=3.7' but the running \
             Python is 3.6.15 | -"
        );
        assert_eq!(
            diagnosed(log!("uv-numpy-1.26.4-cp38-requires-python")),
            "requires-python | numpy 1.26.4 | Because the current Python version (3.8.18) does not \
             satisfy Python>=3.9 and numpy==1.26.4 depends on Python>=3.9, we can conclude that \
             numpy==1.26.4 cannot be used. | -"
        );
    }

    #[test]
    fn manylinux_too_new() {
        assert_eq!(
            diagnosed(log!("uv-torch-2.7.0-manylinux_2_17-glibc-too-old")),
            "manylinux-too-new | torch 2.7.0 | Because torch==2.7.0 has no wheels with a matching \
             platform tag (e.g., `manylinux_2_17_x86_64`) and you require torch==2.7.0, we can \
             conclude that your requirements are unsatisfiable. | the wheels need glibc 2.28 or \
             newer; the target has manylinux_2_17_x86_64 (wheels exist for manylinux_2_28_aarch64, \
             manylinux_2_28_x86_64, macosx_11_0_arm64, win_amd64)"
        );
    }

    #[test]
    fn no_musllinux_wheel() {
        assert_eq!(
            diagnosed(log!("uv-torch-2.6.0-musllinux-no-wheel")),
            "no-musllinux-wheel | torch 2.6.0 | Because torch==2.6.0 has no wheels with a matching \
             platform tag (e.g., `musllinux_1_2_x86_64`) and you require torch==2.6.0, we can \
             conclude that your requirements are unsatisfiable. | no musllinux wheel for \
             musllinux_1_2_x86_64 (wheels exist for manylinux_2_28_aarch64, manylinux1_x86_64, \
             macosx_11_0_arm64, win_amd64)"
        );
    }

    /// pywin32 publishes Windows wheels only, and no sdist.
    #[test]
    fn no_wheel_for_platform() {
        assert_eq!(
            diagnosed(log!("uv-pywin32-306-linux-no-wheel-for-platform")),
            "no-wheel-for-platform | pywin32 306 | Because pywin32==306 has no wheels with a \
             matching platform tag (e.g., `manylinux_2_36_x86_64`) and you require pywin32==306, \
             we can conclude that your requirements are unsatisfiable. | no wheel for \
             manylinux_2_36_x86_64 (wheels exist for win32, win_amd64, win_arm64)"
        );
    }

    /// Every entry of the catalog is found in at least one recorded real log of
    /// tests/fixtures/installer-logs.
    #[test]
    fn every_entry_is_diagnosed_from_a_recorded_log() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/installer-logs");
        let mut found = std::collections::BTreeSet::new();
        for entry in fs_err::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "log") {
                let text = fs_err::read_to_string(&path).unwrap();
                if let Some(d) = diagnose(&text) {
                    found.insert(d.issue.to_string());
                }
            }
        }
        let missing: Vec<String> = IssueId::ALL
            .iter()
            .map(ToString::to_string)
            .filter(|id| !found.contains(id))
            .collect();
        assert_eq!(missing, Vec::<String>::new());
    }

    #[test]
    fn macos_too_new() {
        assert_eq!(
            diagnosed(log!("uv-mlx-0.29.0-macos11-too-old")),
            "macos-too-new | mlx 0.29.0 | Because mlx==0.29.0 has no wheels with a matching \
             platform tag (e.g., `macosx_11_0_arm64`) and you require mlx==0.29.0, we can conclude \
             that your requirements are unsatisfiable. | the wheels need macOS 13.0 or newer; the \
             target is macosx_11_0_arm64 (wheels exist for manylinux_2_35_x86_64, macosx_13_0_arm64, \
             macosx_14_0_arm64, macosx_15_0_arm64)"
        );
    }

    /// uv on a free-threaded CPython 3.13.15 (built from source with `--disable-gil`, see the
    /// README of the logs): torch 2.5.1 has wheels up to `cp313`, none for `cp313t`.
    #[test]
    fn no_free_threaded_wheel() {
        assert_eq!(
            diagnosed(log!("uv-torch-2.5.1-cp313t-no-free-threaded-wheel")),
            "no-free-threaded-wheel | torch 2.5.1 | Because torch==2.5.1 has no wheels with a \
             free-threading compatible ABI tag and you require torch==2.5.1, we can conclude that \
             your requirements are unsatisfiable. | wheels exist for cp39, cp310, cp311, cp312, \
             cp313; none for cp313t"
        );
    }

    /// The recorded log cut before uv's hint: still the free-threaded entry, without the tag.
    #[test]
    fn no_free_threaded_wheel_without_the_hint() {
        let log = log!("uv-torch-2.5.1-cp313t-no-free-threaded-wheel");
        let cut = &log[..log.find("hint:").unwrap()];
        assert_eq!(
            diagnosed(cut),
            "no-free-threaded-wheel | torch 2.5.1 | Because torch==2.5.1 has no wheels with a \
             free-threading compatible ABI tag and you require torch==2.5.1, we can conclude that \
             your requirements are unsatisfiable. | -"
        );
    }

    /// pip on the same interpreter names no ABI: it lists the versions that have a wheel for
    /// it, so the log says "no matching distribution" (the assessment names the free-threaded
    /// cause; `explain torch==2.5.1 --target 3.13t` shows it).
    #[test]
    fn no_free_threaded_wheel_in_pips_words() {
        assert_eq!(
            diagnosed(log!("pip-torch-2.5.1-cp313t-no-matching-distribution")),
            "no-matching-distribution | torch 2.5.1 | No matching distribution found for \
             torch==2.5.1 | -"
        );
    }

    #[test]
    fn sdist_only() {
        assert_eq!(
            diagnosed(log!("uv-docopt-0.6.2-only-binary-sdist-only")),
            "sdist-only | docopt 0.6.2 | Because docopt==0.6.2 has no usable wheels and you require \
             docopt==0.6.2, we can conclude that your requirements are unsatisfiable. | -"
        );
    }

    #[test]
    fn build_no_compiler() {
        assert_eq!(
            diagnosed(log!("pip-psutil-5.9.8-no-compiler")),
            "build-no-compiler | psutil 5.9.8 | [Errno 2] No such file or directory: 'gcc' | -"
        );
    }

    #[test]
    fn build_no_python_headers() {
        assert_eq!(
            diagnosed(log!("pip-psutil-5.9.8-no-python-headers")),
            "build-no-python-headers | psutil 5.9.8 | psutil/_psutil_common.c:9:10: fatal error: \
             Python.h: No such file or directory | -"
        );
    }

    #[test]
    fn build_no_system_library() {
        let libpq = "needs libpq (pg_config) (Debian/Ubuntu: libpq-dev; Fedora/RHEL: libpq-devel; \
                     Alpine: postgresql-dev)";
        assert_eq!(
            diagnosed(log!("pip-psycopg2-2.9.9-no-pg_config")),
            format!(
                "build-no-system-library | psycopg2 2.9.9 | Error: pg_config executable not found. \
                 | {libpq}"
            )
        );
        assert_eq!(
            diagnosed(log!("uv-psycopg2-2.9.9-no-pg_config")),
            format!(
                "build-no-system-library | psycopg2 2.9.9 | Error: pg_config executable not found. \
                 | {libpq}"
            )
        );
        assert_eq!(
            diagnosed(log!("pip-lxml-5.2.2-no-libxml2")),
            "build-no-system-library | lxml 5.2.2 | Error: Please make sure the libxml2 and libxslt \
             development packages are installed. | needs libxml2 and libxslt (Debian/Ubuntu: \
             libxml2-dev libxslt1-dev; Fedora/RHEL: libxml2-devel libxslt-devel; Alpine: libxml2-dev \
             libxslt-dev)"
        );
    }

    #[test]
    fn build_no_rust() {
        assert_eq!(
            diagnosed(log!("pip-cryptography-3.4.8-no-rust")),
            "build-no-rust | cryptography 3.4.8 | can't find Rust compiler | -"
        );
    }

    #[test]
    fn distutils_removed() {
        assert_eq!(
            diagnosed(log!("python312-import-distutils")),
            "distutils-removed | - - | ModuleNotFoundError: No module named 'distutils' | -"
        );
        assert_eq!(
            diagnosed(include_str!(
                "../environment/testdata/pip-numpy-1.24.4-cp312.log"
            )),
            "distutils-removed | numpy 1.24.4 | ModuleNotFoundError: No module named 'distutils' | -"
        );
    }

    #[test]
    fn build_failed() {
        assert_eq!(
            diagnosed(log!("pip-pyyaml-5.4.1-build-failed")),
            "build-failed | pyyaml 5.4.1 | Getting requirements to build wheel did not run \
             successfully. | -"
        );
    }

    #[test]
    fn no_matching_distribution() {
        assert_eq!(
            diagnosed(log!("pip-six-99.0-no-matching-distribution")),
            "no-matching-distribution | six 99.0 | No matching distribution found for six==99.0 | -"
        );
    }

    #[test]
    fn unrelated_output_matches_nothing() {
        assert_eq!(diagnosed("Successfully installed six-1.17.0\n"), "none");
    }
}
