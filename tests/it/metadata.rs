//! Core metadata against the reference: every recorded METADATA / PKG-INFO under
//! tests/fixtures/metadata/ (real files of the most-downloaded projects, see fetch.py there) is
//! parsed by wheelwatch and by `packaging.metadata.Metadata.from_email(bytes, validate=False)`
//! (tests/oracle/packaging_metadata.py), and every field the tool uses must agree: Name,
//! Version, Requires-Python, Requires-Dist (name, extras, specifiers, URL, and what each marker
//! evaluates to in several environments), Provides-Extra and Dynamic, as whole lists.
//!
//! Under `CI=true` a missing interpreter with `packaging` fails the test; locally it is skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, VersionOrUrl};
use serde_json::{Value, json};
use wheelwatch::metadata::{CoreMetadata, MetadataOrigin};

/// The marker environments both sides evaluate every `Requires-Dist` marker in.
const ENVS: &[[&str; 11]] = &[
    // implementation_name, implementation_version, os_name, platform_machine,
    // platform_python_implementation, platform_release, platform_system, platform_version,
    // python_full_version, python_version, sys_platform
    [
        "cpython", "3.12.1", "posix", "x86_64", "CPython", "6.8.0", "Linux", "#1 SMP", "3.12.1",
        "3.12", "linux",
    ],
    [
        "cpython", "3.9.18", "posix", "aarch64", "CPython", "5.15.0", "Linux", "#1 SMP", "3.9.18",
        "3.9", "linux",
    ],
    [
        "cpython",
        "3.13.0",
        "posix",
        "arm64",
        "CPython",
        "24.1.0",
        "Darwin",
        "Darwin Kernel",
        "3.13.0",
        "3.13",
        "darwin",
    ],
    [
        "cpython",
        "3.11.7",
        "nt",
        "AMD64",
        "CPython",
        "10",
        "Windows",
        "10.0.19045",
        "3.11.7",
        "3.11",
        "win32",
    ],
    [
        "pypy", "7.3.17", "posix", "x86_64", "PyPy", "6.8.0", "Linux", "#1 SMP", "3.10.14", "3.10",
        "linux",
    ],
    [
        "cpython", "2.7.18", "posix", "x86_64", "CPython", "6.8.0", "Linux", "#1 SMP", "2.7.18",
        "2.7", "linux2",
    ],
    [
        "cpython",
        "3.7.16",
        "nt",
        "x86",
        "CPython",
        "10",
        "Windows",
        "10.0.19045",
        "3.7.16",
        "3.7",
        "win32",
    ],
    [
        "cpython", "3.14.0", "posix", "x86_64", "CPython", "6.8.0", "Linux", "#1 SMP", "3.14.0",
        "3.14", "linux",
    ],
];

const KEYS: [&str; 11] = [
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "sys_platform",
];

fn marker_envs() -> Vec<MarkerEnvironment> {
    ENVS.iter()
        .map(|e| {
            MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
                implementation_name: e[0],
                implementation_version: e[1],
                os_name: e[2],
                platform_machine: e[3],
                platform_python_implementation: e[4],
                platform_release: e[5],
                platform_system: e[6],
                platform_version: e[7],
                python_full_version: e[8],
                python_version: e[9],
                sys_platform: e[10],
            })
            .unwrap()
        })
        .collect()
}

/// A prerequisite is missing: fail under CI, skip (saying so) elsewhere.
fn missing(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} (CI=true: the differential test must run)"
    );
    eprintln!("SKIPPED: {what}");
}

/// `python3`, then pyenv's 3.1x interpreters, newest first: the first with `packaging` that
/// has `Metadata.from_email`.
fn python_with_packaging() -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from("python3")];
    if let Some(home) = std::env::var_os("HOME") {
        let versions = PathBuf::from(home).join(".pyenv/versions");
        if let Ok(entries) = std::fs::read_dir(&versions) {
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("3.1"))
                .collect();
            names.sort_by_key(|n| {
                n.split('.')
                    .map(|p| p.parse::<u32>().unwrap_or(0))
                    .collect::<Vec<_>>()
            });
            names.reverse();
            candidates.extend(
                names
                    .into_iter()
                    .map(|n| versions.join(n).join("bin/python3")),
            );
        }
    }
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args([
                "-c",
                "from packaging.metadata import Metadata; Metadata.from_email",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn corpus() -> Vec<(PathBuf, MetadataOrigin)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata");
    let mut files = Vec::new();
    for (dir, origin) in [
        ("wheel", MetadataOrigin::Wheel),
        ("sdist", MetadataOrigin::Sdist),
    ] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("the corpus directory")
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|p| (p, origin)));
    }
    files
}

/// Specifiers as `op` + normalized version, sorted (as the oracle prints them).
fn specifier_strings(specs: &pep440_rs::VersionSpecifiers) -> Vec<String> {
    let mut out: Vec<String> = specs
        .iter()
        .map(|s| s.to_string().replace(' ', ""))
        .collect();
    out.sort();
    out
}

/// wheelwatch's answer in the oracle's shape.
fn ours(
    bytes: &[u8],
    origin: MetadataOrigin,
    envs: &[MarkerEnvironment],
    extras: &[String],
) -> Value {
    let md = match CoreMetadata::parse_bytes(bytes, origin) {
        Ok(md) => md,
        Err(err) => return json!({ "error": err.to_string() }),
    };
    let extras: Vec<ExtraName> = extras
        .iter()
        .filter_map(|e| ExtraName::from_str(e).ok())
        .collect();
    let mut requires_dist: Vec<Value> = Vec::new();
    for req in &md.requires_dist {
        let mut evaluations = Vec::new();
        for env in envs {
            evaluations.push(req.marker.evaluate(env, &[]));
            for extra in &extras {
                evaluations.push(req.marker.evaluate(env, std::slice::from_ref(extra)));
            }
        }
        let mut req_extras: Vec<String> = req.extras.iter().map(ToString::to_string).collect();
        req_extras.sort();
        let (specifiers, url) = match &req.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(s)) => (specifier_strings(s), Value::Null),
            Some(VersionOrUrl::Url(u)) => (Vec::new(), json!(u.to_string())),
            None => (Vec::new(), Value::Null),
        };
        requires_dist.push(json!({
            "name": req.name.to_string(),
            "extras": req_extras,
            "specifiers": specifiers,
            "url": url,
            "marker": evaluations,
        }));
    }
    let skipped = md
        .warnings
        .iter()
        .filter(|w| w.starts_with("skipped invalid `Requires-Dist"))
        .count();
    json!({
        "name": md.name.to_string(),
        "version": md.version.to_string(),
        "requires_python": md.requires_python.as_ref().map(specifier_strings),
        "requires_dist": requires_dist,
        "requires_dist_skipped": skipped,
        "provides_extra": md.provides_extra.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "dynamic": if md.dynamic.is_empty() { Value::Null } else { json!(md.dynamic) },
    })
}

/// The reference answer reshaped like [`ours`]: invalid `Requires-Dist` values counted as
/// skipped (wheelwatch skips them one by one where `packaging` rejects the field).
fn reference(answer: &Value) -> Value {
    if answer["name"] == "invalid" || answer["name"].is_null() {
        return json!({ "error": "Name" });
    }
    if answer["version"] == "invalid" || answer["version"].is_null() {
        return json!({ "error": "Version" });
    }
    let reqs = answer["requires_dist"].as_array().unwrap();
    let valid: Vec<Value> = reqs
        .iter()
        .filter(|r| r.get("invalid").is_none())
        .cloned()
        .collect();
    json!({
        "name": answer["name"],
        "version": answer["version"],
        "requires_python": answer["requires_python"],
        "requires_dist": valid,
        "requires_dist_skipped": reqs.len() - valid.len(),
        "provides_extra": if answer["provides_extra"].is_null() { json!([]) } else { answer["provides_extra"].clone() },
        "dynamic": answer["dynamic"],
    })
}

#[test]
fn corpus_parses_as_packaging_does() {
    let files = corpus();
    assert!(files.len() >= 200, "the corpus has {} files", files.len());
    let Some(python) = python_with_packaging() else {
        missing(
            "no Python interpreter with `packaging` (with Metadata.from_email) found (tried \
             python3 and ~/.pyenv/versions/3.1*/bin/python3); install it with \
             `python3 -m pip install packaging`",
        );
        return;
    };
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/packaging_metadata.py");
    let envs: Vec<Value> = ENVS
        .iter()
        .map(|e| {
            Value::Object(
                KEYS.iter()
                    .zip(e.iter())
                    .map(|(k, v)| ((*k).to_string(), json!(v)))
                    .collect(),
            )
        })
        .collect();
    let request = json!({
        "files": files.iter().map(|(p, _)| p.to_string_lossy()).collect::<Vec<_>>(),
        "envs": envs,
    });
    let mut child = Command::new(&python)
        .arg(&oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the oracle");
    serde_json::to_writer(child.stdin.take().unwrap(), &request).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).expect("the oracle prints JSON");
    let envs = marker_envs();
    let mut mismatches = Vec::new();
    for ((path, origin), theirs) in files.iter().zip(answer["files"].as_array().unwrap()) {
        let bytes = std::fs::read(path).unwrap();
        let declared: Vec<String> = theirs["provides_extra"]
            .as_array()
            .map(|a| a.iter().map(|e| e.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let ours = ours(&bytes, *origin, &envs, &declared);
        let theirs = reference(theirs);
        let agree = match (ours.get("error"), theirs.get("error")) {
            // Both refuse the file (the messages differ by design).
            (Some(_), Some(_)) => true,
            _ => ours == theirs,
        };
        if !agree {
            mismatches.push(format!(
                "{}:\n  wheelwatch: {ours}\n  packaging:  {theirs}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} files differ (packaging {}):\n{}",
        mismatches.len(),
        files.len(),
        answer["packaging"],
        mismatches.join("\n")
    );
    eprintln!(
        "{} metadata files agree with packaging {}",
        files.len(),
        answer["packaging"]
    );
}
