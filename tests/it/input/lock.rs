//! Lock files that pin one project at several versions (uv's conflict sets and
//! resolution forks), and requirement files that pin one project twice.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::check::{json, run, validate, write, ww};
use crate::common::TestIndex;

/// A recorded `uv.lock` of a public project (`[tool.uv] conflicts` between extras of
/// workspace members): 18 registry projects are locked at two to four versions each.
fn recorded_lock() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/requirements/lock/conflicts/uv.lock")
}

/// Every registry `(name, version)` the lock pins.
fn registry_pins() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(recorded_lock()).unwrap();
    let lock: toml::Table = toml::from_str(&text).unwrap();
    let mut pins: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock["package"].as_array().unwrap() {
        let registry = package
            .get("source")
            .and_then(|s| s.get("registry"))
            .is_some();
        if let (true, Some(version)) = (registry, package.get("version")) {
            let name = package["name"].as_str().unwrap().to_string();
            let version = version.as_str().unwrap().to_string();
            let versions = pins.entry(name).or_default();
            if !versions.contains(&version) {
                versions.push(version);
            }
        }
    }
    pins
}

#[test]
fn a_recorded_lock_with_conflict_sets_is_assessed_entry_by_entry() {
    let pins = registry_pins();
    let twice: Vec<(&String, &Vec<String>)> = pins.iter().filter(|(_, v)| v.len() > 1).collect();
    assert_eq!(twice.len(), 18, "{twice:?}");
    // Every locked version has a pure-Python wheel: nothing may be reported missing.
    let mut builder = TestIndex::builder();
    for (name, versions) in &pins {
        builder = builder.project(name, |mut p| {
            for version in versions {
                p = p.wheel(version, "py3-none-any");
            }
            p
        });
    }
    let index = builder.serve();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(recorded_lock(), dir.path().join("uv.lock")).unwrap();
    let (code, stdout, stderr) = run(ww(dir.path())
        .args([
            "check",
            "uv.lock",
            "--python",
            "3.12@linux",
            "--format",
            "json",
        ])
        .arg("--index-url")
        .arg(index.url()));
    let report = json(&stdout);
    validate(&report);
    assert_eq!(
        (code, stderr.as_str()),
        (0, ""),
        "{}",
        report["fallback_reason"]
    );
    assert_eq!(report["verdict"], "primary_healthy");
    let packages = report["targets"][0]["packages"].as_array().unwrap();
    // Each locked version of fastapi is its own entry, assessed at its own pin.
    let fastapi: Vec<(&str, &str)> = packages
        .iter()
        .filter(|p| p["name"] == "fastapi")
        .map(|p| {
            (
                p["status"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(fastapi, [("wheel", "0.136.3"), ("wheel", "0.139.2")]);
    // Everything else has a wheel, is excluded by its marker on this target, or is a git or
    // URL source (not assessed): no `no_distribution`, no error.
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    for p in packages {
        *statuses.entry(p["status"].as_str().unwrap()).or_default() += 1;
    }
    let statuses: Vec<&str> = statuses.keys().copied().collect();
    assert_eq!(statuses, ["excluded", "not_assessed", "wheel"]);
    let not_assessed = packages
        .iter()
        .filter(|p| p["status"] == "not_assessed")
        .count();
    assert_eq!(not_assessed, 12, "the lock's git and URL sources");
}

#[test]
fn two_pins_of_one_project_in_a_requirements_file_are_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", "six==1.16.0\nsix==1.17.0\n");
    let (code, stdout, stderr) = run(ww(dir.path()).args([
        "check",
        "requirements.txt",
        "--python",
        "3.12@linux",
        "--index-url",
        "http://127.0.0.1:9/simple/",
    ]));
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            2,
            "",
            "error: requirements.txt: six==1.16.0 (line 1) conflicts with six==1.17.0 (line 2): no version satisfies both\n"
        )
    );
    // Pins under markers that never hold together are not a conflict.
    write(
        dir.path(),
        "split.txt",
        "six==1.16.0 ; python_version < '3.12'\nsix==1.17.0 ; python_version >= '3.12'\n",
    );
    let index = TestIndex::builder()
        .project("six", |p| {
            p.wheel("1.16.0", "py2.py3-none-any")
                .wheel("1.17.0", "py2.py3-none-any")
        })
        .serve();
    let (code, stdout, stderr) = run(ww(dir.path())
        .args([
            "check",
            "split.txt",
            "--python",
            "3.12@linux",
            "--format",
            "json",
        ])
        .arg("--index-url")
        .arg(index.url()));
    assert_eq!((code, stderr.as_str()), (0, ""));
    let report = json(&stdout);
    let six: Vec<(&str, &str)> = report["targets"][0]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["status"].as_str().unwrap(),
                p["requirement"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        six,
        [
            ("excluded", "six==1.16.0 ; python_version < '3.12'"),
            ("wheel", "six==1.17.0 ; python_version >= '3.12'")
        ]
    );
}
