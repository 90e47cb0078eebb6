//! `wheelwatch report upstream` on the local test index: a pinned 2023-style set (numpy 1.24.4
//! and pandas 2.0.3 predate CPython 3.12's wheels) on 3.12 with a 3.11 fallback.

use crate::common::cli::{run, wheelwatch};
use crate::common::server::TestIndex;

const LINUX: &str = "manylinux_2_17_x86_64.manylinux2014_x86_64";

fn metadata(name: &str, version: &str, requires: &str) -> String {
    format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nHome-page: https://{name}.example.invalid\n\
         Project-URL: Source, https://code.example.invalid/{name}\n\
         Project-URL: Issue Tracker, https://code.example.invalid/{name}/issues\n{requires}"
    )
}

fn index() -> TestIndex {
    TestIndex::builder()
        .project("numpy", |p| {
            p.wheel("1.24.4", &format!("cp311-cp311-{LINUX}"))
                .sdist("1.24.4")
                .wheel_with("2.2.6", &format!("cp311-cp311-{LINUX}"), |f| {
                    f.raw_metadata(metadata("numpy", "2.2.6", ""))
                })
                .wheel_with("2.2.6", &format!("cp312-cp312-{LINUX}"), |f| {
                    f.raw_metadata(metadata("numpy", "2.2.6", ""))
                })
                .sdist("2.2.6")
        })
        .project("pandas", |p| {
            p.wheel_with("2.0.3", &format!("cp311-cp311-{LINUX}"), |f| {
                f.requires_dist("numpy>=1.21")
            })
            .sdist_with("2.0.3", |f| f.requires_dist("numpy>=1.21"))
            .wheel_with("2.2.3", &format!("cp312-cp312-{LINUX}"), |f| {
                f.raw_metadata(metadata("pandas", "2.2.3", "Requires-Dist: numpy>=1.26\n"))
            })
        })
        .project("requests", |p| p.wheel("2.31.0", "py3-none-any"))
        .serve()
}

fn report(format: &str) -> (i32, String, String, String) {
    let index = index();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "numpy==1.24.4\npandas==2.0.3\nrequests==2.31.0\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(wheelwatch(dir.path())
        .args([
            "report",
            "upstream",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
            "--format",
            format,
            "--index-url",
        ])
        .arg(index.url()));
    let requirements = dir.path().join("requirements.txt").display().to_string();
    (code, stdout, stderr, requirements)
}

/// This machine as the report words it (`linux x86_64, glibc 2.36`).
fn environment() -> String {
    use wheelwatch::platform::Platform;
    match wheelwatch::host::host_platform().unwrap() {
        Platform::Manylinux { major, minor, arch } => {
            format!("linux {}, glibc {major}.{minor}", arch.linux_name())
        }
        Platform::Musllinux { major, minor, arch } => {
            format!("linux {}, musl {major}.{minor}", arch.linux_name())
        }
        _ => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

/// The whole Markdown report, against `tests/fixtures/upstream/pinned-set.md` with the
/// machine's and the run's values in placeholders (`WHEELWATCH_UPDATE_SNAPSHOTS=1` rewrites
/// the file from the output, for review).
#[test]
fn upstream_markdown_for_the_pinned_set() {
    let (code, stdout, stderr, requirements) = report("markdown");
    assert_eq!(code, 0, "{stderr}");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upstream/pinned-set.md");
    let generic = stdout
        .replace(&requirements, "{requirements}")
        .replace(&environment(), "{environment}")
        .replace(env!("CARGO_PKG_VERSION"), "{version}");
    if std::env::var_os("WHEELWATCH_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(fixture.parent().unwrap()).unwrap();
        std::fs::write(&fixture, &generic).unwrap();
    }
    let expected = std::fs::read_to_string(&fixture).unwrap();
    assert_eq!(generic, expected);
    assert!(expected.contains("| numpy | 2 (numpy, pandas) |"));
}

/// The JSON report validates against its schema and orders blockers by how much they block.
#[test]
fn upstream_json_for_the_pinned_set() {
    let (code, stdout, stderr, _) = report("json");
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schema/upstream-report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let blockers: Vec<(&str, u64, Vec<&str>)> = json["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap(),
                b["blocks_count"].as_u64().unwrap(),
                b["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["issue"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        blockers,
        vec![
            ("numpy", 2, vec!["no-wheel-for-python"]),
            ("pandas", 1, vec!["no-wheel-for-python"])
        ]
    );
    assert_eq!(
        json["blockers"][0]["links"]["issues"],
        "https://code.example.invalid/numpy/issues"
    );
    assert_eq!(
        json["blockers"][0]["issue"]["title"],
        "Wheels for CPython 3.12 on manylinux_2_28_x86_64 (numpy 1.24.4)"
    );
}

/// The runbook's pinned 2023 set (`examples/runbook-2023.txt`) against the index recorded for
/// it: 3.12 primary with a 3.11 fallback, and free-threaded 3.13, musl and macOS targets. The
/// whole Markdown report is a snapshot (this machine's environment line and paths masked).
#[test]
fn upstream_for_the_runbook_2023_set_on_the_recorded_index() {
    let index = crate::common::recorded::runbook_2023();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        crate::common::recorded::RUNBOOK_2023,
    )
    .unwrap();
    let args = [
        "report",
        "upstream",
        "--python",
        "3.12@linux",
        "--fallback",
        "3.11@linux",
        "--target",
        "3.13t@linux",
        "--target",
        "3.12@musllinux",
        "--target",
        "3.12@macos",
        "--index-url",
    ];
    let (code, stdout, stderr) = run(wheelwatch(dir.path()).args(args).arg(index.url()));
    assert_eq!(code, 0, "{stderr}");
    let stdout = stdout
        .replace(&environment(), "ENVIRONMENT")
        .replace(&dir.path().display().to_string(), "DIR")
        .replace(env!("CARGO_PKG_VERSION"), "VERSION");
    insta::assert_snapshot!(stdout);

    let (code, json, stderr) = run(wheelwatch(dir.path())
        .args(args)
        .arg(index.url())
        .args(["--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/upstream-report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Ordered by how many of our requirements each blocks.
    let counts: Vec<u64> = json["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["blocks_count"].as_u64().unwrap())
        .collect();
    let mut sorted = counts.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(counts, sorted);
}

/// With a history store, each target says since when the project has had no wheel there: the
/// first recorded run of the current streak.
#[test]
fn upstream_since_comes_from_the_history() {
    let index = index();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "numpy==1.24.4\npandas==2.0.3\nrequests==2.31.0\n",
    )
    .unwrap();
    let targets = [
        "--python",
        "3.12@linux",
        "--fallback",
        "3.11@linux",
        "--index-url",
    ];
    for _ in 0..2 {
        let (code, _, stderr) = run(wheelwatch(dir.path())
            .args(["check", "--record"])
            .args(targets)
            .arg(index.url()));
        assert_eq!(code, 0, "{stderr}");
    }
    let (code, runs, stderr) =
        run(wheelwatch(dir.path()).args(["history", "list", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let runs: serde_json::Value = serde_json::from_str(&runs).unwrap();
    let runs = runs
        .as_array()
        .or_else(|| runs["runs"].as_array())
        .unwrap()
        .clone();
    assert_eq!(runs.len(), 2);
    let first = runs
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap().to_string())
        .min()
        .unwrap();
    let (code, json, stderr) = run(wheelwatch(dir.path())
        .args(["report", "upstream", "--format", "json"])
        .args(targets)
        .arg(index.url()));
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let since: Vec<&str> = json["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["targets"].as_array().unwrap())
        .map(|t| t["since"].as_str().unwrap())
        .collect();
    assert_eq!(since, [first.as_str(), first.as_str()]);
}
