//! Core metadata against the reference: every recorded METADATA / PKG-INFO under
//! tests/fixtures/metadata/ (real files of the most-downloaded projects, see fetch.py there) is
//! parsed by wheelwatch and by `packaging.metadata.Metadata.from_email(bytes, validate=False)`
//! (tests/oracle/packaging_metadata.py), and every field the tool uses must agree: Name,
//! Version, Requires-Python, Requires-Dist (name, extras, specifiers, URL, and what each marker
//! evaluates to in several environments), Provides-Extra and Dynamic, as whole lists, and the
//! Metadata-Version (which decides whether an sdist's dependencies are known).
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

/// The first of `python3` and pyenv's 3.1x interpreters (newest first) with `packaging` that
/// has `Metadata.from_email`.
fn python_with_packaging() -> Option<PathBuf> {
    crate::common::python_with("from packaging.metadata import Metadata; Metadata.from_email")
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
        "metadata_version": format!("{}.{}", md.metadata_version.0, md.metadata_version.1),
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
        "metadata_version": answer["metadata_version"],
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
        crate::common::skip(
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
        answer["packaging"].as_str().unwrap_or("?"),
        mismatches.join("\n")
    );
    eprintln!(
        "{} metadata files agree with packaging {}",
        files.len(),
        answer["packaging"].as_str().unwrap_or("?")
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile and odd metadata from the local test index, end to end.

mod index {
    use std::path::Path;

    use serde_json::Value;

    use crate::check::{json, run, validate, ww};
    use crate::common::TestIndex;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/metadata")
                .join(path),
        )
        .unwrap()
    }

    /// `check` in `dir` against `index` for `args`, with JSON output: (exit code, report, stderr).
    fn check(dir: &Path, index: &TestIndex, args: &[&str]) -> (i32, Value, String) {
        let (code, stdout, stderr) = run(ww(dir)
            .arg("check")
            .args(args)
            .args([
                "--python",
                "3.12@manylinux_2_28_x86_64",
                "--format",
                "json",
                "--index-url",
            ])
            .arg(index.url()));
        assert!(!stdout.is_empty(), "no report (exit {code}): {stderr}");
        let report = json(&stdout);
        validate(&report);
        (code, report, stderr)
    }

    /// The resolved tree of the primary target: `name version` and whether the dependencies of
    /// each are unknown.
    fn tree(report: &Value) -> Vec<String> {
        report["targets"][0]["resolution"]["default"]
            .as_array()
            .unwrap_or_else(|| panic!("no resolution in {report:#}"))
            .iter()
            .map(|p| {
                format!(
                    "{} {}{}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap(),
                    if p["dependencies_unknown"] == true {
                        " (dependencies unknown)"
                    } else {
                        ""
                    }
                )
            })
            .collect()
    }

    const X86: &str = "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64";

    /// pandas 2.3.2's real METADATA folds its License over lines that hold only spaces; its
    /// dependencies come after. They must all be in the tree (issue 8 §1).
    #[test]
    fn a_folded_license_keeps_the_dependencies_after_it() {
        let index = TestIndex::builder()
            .project("pandas", |p| {
                p.wheel_with("2.3.2", X86, |w| {
                    w.raw_metadata(fixture("wheel/pandas-2.3.2.METADATA"))
                })
            })
            .project("numpy", |p| p.wheel("2.3.3", X86))
            .project("python-dateutil", |p| {
                p.wheel_with("2.9.0.post0", "py2.py3-none-any", |w| {
                    w.requires_dist("six>=1.5")
                })
            })
            .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
            .project("pytz", |p| p.wheel("2025.2", "py2.py3-none-any"))
            .project("tzdata", |p| p.wheel("2025.2", "py2.py3-none-any"))
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "pandas==2.3.2"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            tree(&report),
            [
                "numpy 2.3.3",
                "pandas 2.3.2",
                "python-dateutil 2.9.0.post0",
                "pytz 2025.2",
                "six 1.17.0",
                "tzdata 2025.2"
            ]
        );
        assert_eq!(stderr, "");
    }

    /// dill 0.3.1.1's sdist has its PKG-INFO only under `dill.egg-info/`: it is read there
    /// (Metadata-Version 2.1 from an sdist, so the dependencies are unknown), and the run is
    /// not an outage (issue 8 §3).
    #[test]
    fn an_sdist_with_pkg_info_only_in_egg_info_is_not_an_outage() {
        let index = TestIndex::builder()
            .project("dill", |p| {
                p.sdist_with("0.3.1.1", |s| {
                    s.egg_info_only()
                        .raw_metadata(fixture("sdist/dill-0.3.1.1.PKG-INFO"))
                })
            })
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "dill==0.3.1.1"]);
        assert_eq!(
            (code, report["verdict"].as_str()),
            (1, Some("complete_failure")),
            "{stderr}"
        );
        assert_eq!(tree(&report), ["dill 0.3.1.1 (dependencies unknown)"]);
        assert_eq!(stderr, "");
    }

    /// An sdist with no core metadata at all: its dependencies are unknown, with a warning
    /// naming the file; still not an outage.
    #[test]
    fn an_sdist_without_metadata_has_unknown_dependencies() {
        let index = TestIndex::builder()
            .project("odd", |p| {
                p.sdist_with("1.0", |s| s.raw_metadata("not metadata at all\n"))
            })
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "odd"]);
        assert_eq!(
            (code, report["verdict"].as_str()),
            (1, Some("complete_failure")),
            "{stderr}"
        );
        assert_eq!(tree(&report), ["odd 1.0 (dependencies unknown)"]);
        assert_eq!(
            stderr,
            " WARN odd-1.0.tar.gz: core metadata has no `Metadata-Version` field; its dependencies are unknown\n"
        );
    }

    /// A 100 MB `.metadata` is refused by its announced length, before it is read: an answer
    /// the client will not read is an index failure (exit 3), named per package.
    #[test]
    fn an_oversized_metadata_file_is_refused() {
        let mut huge = b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n\n".to_vec();
        huge.resize(100 * 1024 * 1024, b'x');
        let index = TestIndex::builder()
            .project("big", |p| {
                p.wheel_with("1.0", "py3-none-any", |w| w.served_metadata(huge))
            })
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, stdout, stderr) = run(ww(dir.path())
            .args([
                "check",
                "-p",
                "big",
                "--python",
                "3.12@manylinux_2_28_x86_64",
                "--index-url",
            ])
            .arg(index.url()));
        let expected = format!(
            "\
package  3.12 (primary)       
         manylinux_2_28_x86_64
big      ✓ 1.0                

resolution
  resolution failed on 3.12@manylinux_2_28_x86_64: failed to read the metadata of `big` 1.0: {}big-1.0-py3-none-any.whl.metadata sent more than 16 MiB, more than wheelwatch reads from one answer

targets
  3.12@manylinux_2_28_x86_64  primary   unhealthy  1/1 with wheels (100%); resolution failed

verdict: assessment failed
  the dependency resolution failed on 1 target (an index or metadata request failed): no conclusion, so no fallback

recommendations
  1. Re-run when the index answers; the errors above prevented a verdict, so nothing should change on their account.
",
            index.file_url("")
        );
        let expected_stderr = format!(
            "error: assessment failed, no verdict: resolving on 3.12@manylinux_2_28_x86_64: failed to read the metadata of `big` 1.0: {}big-1.0-py3-none-any.whl.metadata sent more than 16 MiB, more than wheelwatch reads from one answer\n",
            index.file_url("")
        );
        assert_eq!(
            (code, stdout.as_str(), stderr.as_str()),
            (3, expected.as_str(), expected_stderr.as_str())
        );
    }

    /// A small wheel whose METADATA inflates to 1.5 GB is refused without inflating it.
    #[test]
    fn a_metadata_zip_bomb_is_not_inflated() {
        let index = TestIndex::builder()
            .project("bomb", |p| {
                p.wheel_with("1.0", "py3-none-any", |w| w.metadata_bomb(1_500_000_000))
            })
            .serve();
        let wheel = index.file("bomb-1.0-py3-none-any.whl").unwrap();
        assert!(wheel.bytes.len() < 10_000_000, "{}", wheel.bytes.len());
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "bomb"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(tree(&report), ["bomb 1.0 (dependencies unknown)"]);
        assert_eq!(
            stderr,
            " WARN bomb-1.0-py3-none-any.whl: its metadata inflates to more than the 16 MiB wheelwatch reads; its dependencies are unknown\n"
        );
    }

    /// Malformed `Requires-Dist` values in an index's metadata (each once made the parser panic
    /// or overflow the stack) are skipped with a warning each; the valid one is kept.
    #[test]
    fn malformed_requires_dist_values_are_skipped_with_a_warning() {
        let deep = format!(
            "deep ; {}os_name == 'nt'{}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let metadata = format!(
            "Metadata-Version: 2.1\nName: app\nVersion: 1.0\nRequires-Dist: a.*\nRequires-Dist: beta[b-]\nRequires-Dist: c ; os_name == 'nt'名\nRequires-Dist: {deep}\nRequires-Dist: six\n"
        );
        let index = TestIndex::builder()
            .project("app", |p| {
                p.wheel_with("1.0", "py3-none-any", |w| w.raw_metadata(metadata))
            })
            .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "app"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(tree(&report), ["app 1.0", "six 1.17.0"]);
        let warn = " WARN app-1.0-py3-none-any.whl: skipped invalid `Requires-Dist:";
        assert_eq!(
            stderr,
            format!(
                "{warn} a.*`: package name must end with a letter or digit, not `.`\n\
                 {warn} beta[b-]`: extra name must end with a letter or digit, not `-`\n\
                 {warn} c ; os_name == 'nt'名`: unexpected character `名` (only ASCII is allowed outside quotes)\n\
                 {warn} deep ; {}...`: parentheses nest more than 32 deep\n",
                "(".repeat(193)
            )
        );
    }

    /// A `.metadata` answer that is not metadata is neither used nor cached: the wheel itself is
    /// read (range requests), and a second run is answered from the cache without a request.
    #[test]
    fn a_garbage_metadata_answer_is_not_cached() {
        let index = TestIndex::builder()
            .project("app", |p| {
                p.wheel_with("1.0", "py3-none-any", |w| {
                    w.requires_dist("six")
                        .served_metadata("<html>Service Unavailable</html>")
                })
            })
            .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "app"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(tree(&report), ["app 1.0", "six 1.17.0"]);
        assert_eq!(stderr, "");
        let cached: Vec<String> = std::fs::read_dir(dir.path().join(".cache/metadata-v1"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .filter(|text| text.contains("Name: app"))
            .collect();
        assert_eq!(
            cached,
            [
                "Metadata-Version: 2.1\nName: app\nVersion: 1.0\nSummary: Test fixture app 1.0\nRequires-Dist: six\n"
            ]
        );
        index.clear_log();
        let (code, report, _) = check(dir.path(), &index, &["-p", "app"]);
        assert_eq!(code, 0);
        assert_eq!(tree(&report), ["app 1.0", "six 1.17.0"]);
        assert_eq!(index.count_requests("/files/"), 0);
    }

    /// A big `.tar.gz` sdist is streamed and read only up to its PKG-INFO: a few hundred
    /// kilobytes of an 8 MB file.
    #[test]
    fn a_big_sdist_is_read_only_up_to_its_metadata() {
        let index = TestIndex::builder()
            .project("huge", |p| {
                p.sdist_with("1.0", |s| {
                    s.raw_metadata(
                        "Metadata-Version: 2.2\nName: huge\nVersion: 1.0\nRequires-Dist: six\n",
                    )
                    .padding(8 * 1024 * 1024)
                })
            })
            .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "huge"]);
        assert_eq!(
            (code, report["verdict"].as_str()),
            (1, Some("complete_failure")),
            "{stderr}"
        );
        assert_eq!(tree(&report), ["huge 1.0", "six 1.17.0"]);
        let ranges: Vec<String> = index
            .request_log()
            .into_iter()
            .filter(|r| r.path.ends_with("huge-1.0.tar.gz"))
            .map(|r| r.range.unwrap_or_default())
            .collect();
        assert_eq!(ranges, ["bytes=0-262143"]);
    }

    /// Without range support the server sends the whole sdist anyway: it is read from that
    /// (checked against its sha256), and the metadata is the same.
    #[test]
    fn an_sdist_from_a_server_without_ranges_is_read_whole() {
        let index = TestIndex::builder()
            .no_ranges()
            .project("huge", |p| {
                p.sdist_with("1.0", |s| {
                    s.raw_metadata(
                        "Metadata-Version: 2.2\nName: huge\nVersion: 1.0\nRequires-Dist: six\n",
                    )
                    .padding(1024 * 1024)
                })
            })
            .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "huge"]);
        assert_eq!(
            (code, report["verdict"].as_str()),
            (1, Some("complete_failure")),
            "{stderr}"
        );
        assert_eq!(tree(&report), ["huge 1.0", "six 1.17.0"]);
        let requests: Vec<(String, Option<String>)> = index
            .request_log()
            .into_iter()
            .filter(|r| r.path.starts_with("/files/huge"))
            .map(|r| (r.path, r.range))
            .collect();
        assert_eq!(
            requests,
            // No `.metadata` request: the page does not advertise one.
            [(
                "/files/huge-1.0.tar.gz".to_string(),
                Some("bytes=0-262143".to_string())
            )]
        );
    }

    /// A `.zip` sdist is read like a wheel: the central directory, then just its PKG-INFO
    /// (here only under `*.egg-info/`), in range requests.
    #[test]
    fn a_zip_sdist_is_read_with_range_requests() {
        let index = TestIndex::builder()
            .project("old", |p| {
                p.sdist_with("1.0", |s| {
                    s.zip_sdist()
                        .egg_info_only()
                        .raw_metadata(
                            "Metadata-Version: 2.2\nName: old\nVersion: 1.0\nRequires-Dist: six\n",
                        )
                        .padding(1024 * 1024)
                })
            })
            .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "old"]);
        assert_eq!(
            (code, report["verdict"].as_str()),
            (1, Some("complete_failure")),
            "{stderr}"
        );
        assert_eq!(tree(&report), ["old 1.0", "six 1.17.0"]);
        let ranges: Vec<String> = index
            .request_log()
            .into_iter()
            .filter(|r| r.path.ends_with("old-1.0.zip"))
            .map(|r| r.range.unwrap_or_default())
            .collect();
        // The tail, then the local header and data of PKG-INFO alone (30 + name + 1024 bytes of
        // slack + its compressed size), not the 1 MB archive.
        assert_eq!(ranges, ["bytes=-65536", "bytes=0-1141"]);
    }

    /// A cache entry that does not parse (left by an older version, or a damaged disk) is not
    /// trusted: the metadata is fetched again and the entry replaced.
    #[test]
    fn a_cached_entry_that_does_not_parse_is_fetched_again() {
        let index = TestIndex::builder()
            .project("app", |p| {
                p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("six"))
            })
            .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
            .serve();
        let dir = tempfile::tempdir().unwrap();
        let (code, report, _) = check(dir.path(), &index, &["-p", "app"]);
        assert_eq!(
            (code, tree(&report)),
            (0, vec!["app 1.0".to_string(), "six 1.17.0".to_string()])
        );
        let entry = std::fs::read_dir(dir.path().join(".cache/metadata-v1"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.to_string_lossy()
                    .ends_with("-app-1.0-py3-none-any.whl.metadata")
            })
            .unwrap();
        std::fs::write(&entry, "<html>garbage</html>").unwrap();
        // The pages are unchanged, so the resolution itself would be reused, reading no
        // metadata at all: without it, the metadata is read again.
        std::fs::remove_dir_all(dir.path().join(".cache/resolutions-v1")).unwrap();
        index.clear_log();
        let (code, report, stderr) = check(dir.path(), &index, &["-p", "app"]);
        assert_eq!(
            (code, tree(&report)),
            (0, vec!["app 1.0".to_string(), "six 1.17.0".to_string()])
        );
        assert_eq!(stderr, "");
        assert_eq!(
            index.count_requests("/files/app-1.0-py3-none-any.whl.metadata"),
            1
        );
        assert_eq!(
            std::fs::read_to_string(&entry).unwrap(),
            "Metadata-Version: 2.1\nName: app\nVersion: 1.0\nSummary: Test fixture app 1.0\nRequires-Dist: six\n"
        );
    }
}
