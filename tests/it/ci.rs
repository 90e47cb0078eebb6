//! CI outputs of `wheelwatch check` end to end: one real assessment against the local test
//! index written as GitHub workflow commands, JUnit XML, SARIF, JSON and Markdown in one run
//! (`-o FORMAT=PATH`), each asserted whole and validated against its schema (SARIF 2.1.0's JSON
//! Schema, the common JUnit XSD: both vendored in tests/fixtures/schemas); the annotation cap,
//! the job summary, exit codes in every format, and bad `-o` values.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::check::{json, run, validate, write, ww};
use crate::common::{TestIndex, pyenv_python, skip};

const X86: &str = "manylinux_2_17_x86_64.manylinux2014_x86_64";

/// The runbook's situation with a tree: numpy==1.24.4 has no wheel for 3.12 (3.11 has one),
/// `app` (declared in an included file) pulls in `native`, built from source on 3.12, and
/// `lib` pulls in ujson, whose newest version has no wheel for 3.11 (a downgrade there).
fn tree_index() -> TestIndex {
    TestIndex::builder()
        .project("numpy", |p| {
            p.wheel("1.24.4", &format!("cp311-cp311-{X86}"))
                .sdist("1.24.4")
                .wheel("2.2.6", &format!("cp311-cp311-{X86}"))
                .wheel("2.2.6", &format!("cp312-cp312-{X86}"))
                .sdist("2.2.6")
        })
        .project("requests", |p| p.wheel("2.32.3", "py3-none-any"))
        .project("app", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("native"))
        })
        .project("native", |p| {
            p.wheel("1.0", &format!("cp311-cp311-{X86}")).sdist("1.0")
        })
        .project("lib", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("ujson"))
        })
        .project("ujson", |p| {
            p.wheel("5.9.0", &format!("cp311-cp311-{X86}"))
                .wheel("5.9.0", &format!("cp312-cp312-{X86}"))
                .wheel("5.10.0", &format!("cp312-cp312-{X86}"))
                .sdist("5.10.0")
        })
        .serve()
}

fn project(dir: &Path) {
    write(
        dir,
        "requirements.txt",
        "# the service\n-r base.txt\nnumpy==1.24.4\nlib\n",
    );
    write(dir, "base.txt", "requests>=2\n\napp  # pulls in native\n");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The SARIF document validated against the vendored SARIF 2.1.0 JSON Schema.
fn validate_sarif(sarif: &Value) {
    let schema: Value =
        serde_json::from_str(include_str!("../fixtures/schemas/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
}

/// Validates a JUnit file against the vendored XSD with Python's `xmlschema` (installed by
/// .ci/run); `false` (after `skip`) when it is not available here.
fn validate_junit(file: &Path) -> bool {
    let Some((python, _)) = pyenv_python("3.12") else {
        skip("no pyenv CPython 3.12 to validate JUnit XML with xmlschema");
        return false;
    };
    let has = Command::new(&python)
        .args(["-c", "import xmlschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        skip(format!(
            "xmlschema is not installed for {} (.ci/run installs it)",
            python.display()
        ));
        return false;
    }
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas/junit-10.xsd");
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
        ])
        .arg(&xsd)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} is not valid against junit-10.xsd:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

const GITHUB: &str = "\
::warning title=wheelwatch%3A fallback available (use 3.11@manylinux_2_28_x86_64)::1 of 4 packages has no wheel on 3.12@manylinux_2_28_x86_64 (numpy); 1 dependency has no wheel on 3.12@manylinux_2_28_x86_64 (app → native)%0A3.12@manylinux_2_28_x86_64 (primary): unhealthy, 3/4 with wheels%0A3.11@manylinux_2_28_x86_64 (fallback): healthy, 4/4 with wheels
::error file=requirements.txt,line=3,title=numpy==1.24.4%3A no wheel (needs a source build) on 3.12@manylinux_2_28_x86_64 (primary)::numpy==1.24.4: no wheel (needs a source build) on 3.12@manylinux_2_28_x86_64 (primary)%0A3.12@manylinux_2_28_x86_64 (primary): no version of numpy matching ==1.24.4 has a wheel for 3.12 on manylinux_2_28_x86_64: 1.24.4 has no wheel for CPython 3.12, so it needs a source build; 2.2.6 has a wheel but is excluded by the requirement
::error file=base.txt,line=3,title=native (via app → native)%3A a dependency without a wheel on 3.12@manylinux_2_28_x86_64 (primary)::native (via app → native): a dependency without a wheel on 3.12@manylinux_2_28_x86_64 (primary)%0A3.12@manylinux_2_28_x86_64 (primary): native 1.0: no version of native has a compatible wheel: 1.0 has no wheel for CPython 3.12; no version has a wheel
::warning file=requirements.txt,line=4,title=ujson (via lib → ujson)%3A downgraded by a wheel-only install on 3.11@manylinux_2_28_x86_64 (fallback)::ujson (via lib → ujson): downgraded by a wheel-only install on 3.11@manylinux_2_28_x86_64 (fallback)%0A3.11@manylinux_2_28_x86_64 (fallback): 5.10.0 → 5.9.0: 5.10.0 has no wheel for CPython 3.11
";

#[test]
fn every_ci_format_from_one_run() {
    let index = tree_index();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# an earlier step\n").unwrap();
    let (code, stdout, stderr) = run(ww(dir.path())
        .args([
            "check",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
            "--format",
            "github",
            "-o",
            "json=out/report.json",
            "-o",
            "sarif=out/wheels.sarif",
            "--output",
            "junit=out/junit.xml",
            "-o",
            "markdown=out/report.md",
            "-o",
            "github=out/annotations.txt",
            "--index-url",
        ])
        .arg(index.url())
        .env("GITHUB_STEP_SUMMARY", &summary));
    // Exit codes are the documented contract whatever the formats: a fallback is available.
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, GITHUB);
    assert_eq!(read(dir.path(), "out/annotations.txt"), GITHUB);

    let report = json(&read(dir.path(), "out/report.json"));
    validate(&report);
    assert_eq!(report["verdict"], "fallback_available");
    let timestamp = report["timestamp"].as_str().unwrap();

    // The job summary: what was there, then the Markdown report, exactly as -o markdown wrote it.
    let markdown = read(dir.path(), "out/report.md");
    assert!(markdown.starts_with("## wheelwatch: fallback available\n"));
    assert_eq!(
        read(dir.path(), "summary.md"),
        format!("# an earlier step\n\n{markdown}")
    );

    let sarif: Value = serde_json::from_str(&read(dir.path(), "out/wheels.sarif")).unwrap();
    validate_sarif(&sarif);
    let sarif_text =
        read(dir.path(), "out/wheels.sarif").replace(env!("CARGO_PKG_VERSION"), "<version>");
    insta::assert_snapshot!("sarif", sarif_text);

    let junit = read(dir.path(), "out/junit.xml").replace(timestamp, "<timestamp>");
    insta::assert_snapshot!("junit", junit);
    validate_junit(&dir.path().join("out/junit.xml"));

    // --strict: the same outputs, exit 1.
    let (code, _, stderr) = run(ww(dir.path())
        .args([
            "check",
            "--strict",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
            "--format",
            "sarif",
            "-o",
            "junit=out/junit.xml",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!(code, 1, "{stderr}");
}

/// SARIF fingerprints are what an alert is: moving the requirement to another line, or a
/// different set of targets, keeps them; another package gets another one.
#[test]
fn sarif_fingerprints_are_stable_between_runs() {
    let index = tree_index();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let sarif = |args: &[&str]| -> Value {
        let (code, stdout, stderr) = run(ww(dir.path())
            .arg("check")
            .args(args)
            .args(["--format", "sarif", "--index-url"])
            .arg(index.url()));
        assert!(code == 0 || code == 1, "{stderr}");
        let sarif: Value = serde_json::from_str(&stdout).unwrap();
        validate_sarif(&sarif);
        sarif
    };
    let prints = |sarif: &Value| -> Vec<(String, String, u64)> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["wheelwatch/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect()
    };
    let first = prints(&sarif(&[
        "--python",
        "3.12@linux",
        "--fallback",
        "3.11@linux",
    ]));
    assert_eq!(
        first
            .iter()
            .map(|p| (p.0.as_str(), p.2))
            .collect::<Vec<_>>(),
        [("WW001", 3), ("WW005", 3), ("WW008", 4)]
    );
    // Lines move, a target is added.
    write(
        dir.path(),
        "requirements.txt",
        "# the service\n\n\n-r base.txt\nlib\nnumpy==1.24.4\n",
    );
    let second = prints(&sarif(&[
        "--python",
        "3.12@linux",
        "--fallback",
        "3.11@linux",
        "--target",
        "3.12@linux-aarch64",
    ]));
    let by_rule = |list: &[(String, String, u64)], rule: &str| {
        list.iter()
            .find(|p| p.0 == rule)
            .map(|p| (p.1.clone(), p.2))
            .unwrap()
    };
    assert_eq!(by_rule(&second, "WW001").0, by_rule(&first, "WW001").0);
    assert_eq!(by_rule(&second, "WW001").1, 6);
    assert_eq!(by_rule(&second, "WW005").0, by_rule(&first, "WW005").0);
    assert_eq!(by_rule(&second, "WW008").0, by_rule(&first, "WW008").0);
    assert_eq!(by_rule(&second, "WW008").1, 5);
    let mut all: Vec<&String> = second.iter().map(|p| &p.1).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), second.len(), "fingerprints repeat: {second:#?}");
}

/// GitHub shows 10 errors and 10 warnings per step: the rest are counted in one notice.
#[test]
fn annotations_stop_at_ten_per_level_and_count_the_rest() {
    let mut builder = TestIndex::builder();
    let mut requirements = String::new();
    for i in 1..=13 {
        builder = builder.project(&format!("pkg{i}"), |p| p.sdist("1.0"));
        let _ = writeln!(requirements, "pkg{i}");
    }
    let index = builder.serve();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", &requirements);
    let (code, stdout, stderr) = run(ww(dir.path())
        .args([
            "check",
            "--no-deps",
            "--python",
            "3.12@linux",
            "--format",
            "github",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 11, "{stdout}");
    assert!(
        lines[0].starts_with("::error title=wheelwatch%3A complete failure::13 of 13 packages"),
        "{}",
        lines[0]
    );
    for (i, line) in lines[1..10].iter().enumerate() {
        let n = i + 1;
        assert!(
            line.starts_with(&format!(
                "::error file=requirements.txt,line={n},title=pkg{n}%3A no wheel"
            )),
            "{line}"
        );
    }
    assert_eq!(
        lines[10],
        "::notice title=wheelwatch%3A more problems::4 more errors than GitHub shows per step: \
         see the job summary or the full report"
    );
}

/// Exit 3 (the index could not answer) in every format: the files are written and say so,
/// stderr has its one line.
#[test]
fn assessment_failed_is_exit_3_in_every_format() {
    let index = TestIndex::builder()
        .project("broken", |p| p.wheel("1.0", "py3-none-any").status(500))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", "broken\n");
    let (code, stdout, stderr) = run(ww(dir.path())
        .args([
            "check",
            "--python",
            "3.12@linux",
            "--format",
            "github",
            "-o",
            "junit=junit.xml",
            "-o",
            "sarif=wheels.sarif",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{stderr}"
    );
    assert!(
        stdout.starts_with("::error title=wheelwatch%3A assessment failed%2C no verdict::"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "::error file=requirements.txt,line=1,title=broken%3A the index could not answer"
        ),
        "{stdout}"
    );
    let sarif: Value = serde_json::from_str(&read(dir.path(), "wheels.sarif")).unwrap();
    validate_sarif(&sarif);
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "WW004");
    let junit = read(dir.path(), "junit.xml");
    assert!(
        junit.contains(r#"<testsuite name="3.12@manylinux_2_28_x86_64" tests="2" failures="0" errors="2" skipped="0""#),
        "{junit}"
    );
    validate_junit(&dir.path().join("junit.xml"));
}

/// A bad -o is bad usage: exit 2 before anything is assessed or written.
#[test]
fn bad_output_values_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", "six\n");
    for (value, message) in [
        (
            "sarfi=x.sarif",
            "error: invalid -o `sarfi=x.sarif`: unknown format `sarfi`; expected FORMAT=PATH \
             with FORMAT one of table, json, markdown, github, junit, sarif\n",
        ),
        (
            "json=",
            "error: invalid -o `json=`: expected FORMAT=PATH, the path is empty\n",
        ),
    ] {
        let (code, stdout, stderr) = run(ww(dir.path())
            .args(["check", "--python", "3.12@linux", "-o", value])
            .args(["--index-url", "http://127.0.0.1:9/simple/"]));
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stdout, "");
        assert_eq!(stderr, message);
    }
    let (code, _, stderr) = run(ww(dir.path())
        .args(["check", "--python", "3.12@linux"])
        .args(["-o", "sarif=missing/x.sarif", "--index-url"])
        .arg(
            TestIndex::builder()
                .project("six", |p| p.wheel("1.17.0", "py3-none-any"))
                .serve()
                .url(),
        ));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "cannot write the report to `missing/x.sarif`: the directory `missing` does not exist"
        ),
        "{stderr}"
    );
}
