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

fn yaml(text: &str) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"))
}

fn strings(v: &serde_yaml_ng::Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The step of a GitHub job that `uses` an action (by its name before `@`).
fn step_using<'a>(steps: &'a serde_yaml_ng::Value, action: &str) -> &'a serde_yaml_ng::Value {
    steps
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.split('@').next() == Some(action))
        })
        .unwrap_or_else(|| panic!("no step uses {action}"))
}

#[test]
fn ci_init_writes_a_workflow_that_parses_and_runs_every_target_in_one_job() {
    let index = tree_index();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    write(
        dir.path(),
        "wheelwatch.toml",
        "primary = \"3.12@linux\"\nfallbacks = [\"3.11@linux\"]\nrequirements = [\"requirements.txt\"]\n",
    );
    let (code, stdout, stderr) = run(ww(dir.path()).args(["ci", "init"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("wrote .github/workflows/wheel-health.yml\n"),
        "{stderr}"
    );
    let path = dir.path().join(".github/workflows/wheel-health.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let w = yaml(&text);
    assert_eq!(w["on"]["schedule"][0]["cron"], "17 */6 * * *");
    let paths = strings(&w["on"]["pull_request"]["paths"]);
    for p in [
        "**/requirements*.txt",
        "**/pyproject.toml",
        "**/uv.lock",
        "requirements.txt",
        ".github/workflows/wheel-health.yml",
    ] {
        assert!(paths.iter().any(|x| x == p), "{p} not watched: {paths:?}");
    }
    assert!(
        w["on"]
            .as_mapping()
            .unwrap()
            .contains_key("workflow_dispatch")
    );
    assert_eq!(w["permissions"]["security-events"], "write");
    let jobs = w["jobs"].as_mapping().unwrap();
    assert_eq!(jobs.len(), 1, "one job for every target");
    let job = &w["jobs"]["wheel-health"];
    assert!(job.get("strategy").is_none(), "no OS × Python matrix");
    let steps = &job["steps"];
    // The cache holds wheelwatch's cache directory (and the history).
    let cache_dir = job["env"]["WHEELWATCH_CACHE_DIR"].as_str().unwrap();
    assert_eq!(cache_dir, "${{ github.workspace }}/.wheelwatch-cache");
    let cached = step_using(steps, "actions/cache")["with"]["path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(cached, ".wheelwatch-cache\n.wheelwatch/history.sqlite\n");
    let sarif = step_using(steps, "github/codeql-action/upload-sarif");
    assert_eq!(
        sarif["with"]["sarif_file"],
        "wheelwatch-report/wheels.sarif"
    );
    assert!(sarif["if"].as_str().unwrap().starts_with("always()"));
    let artifact = step_using(steps, "actions/upload-artifact");
    assert_eq!(artifact["with"]["path"], "wheelwatch-report/");
    let check = steps
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "check")
        .unwrap();
    let script = check["run"].as_str().unwrap();
    let command = script
        .lines()
        .find(|l| l.trim_start().starts_with("wheelwatch check"))
        .unwrap()
        .trim();
    assert_eq!(
        command,
        "wheelwatch check --record --format github -o json=wheelwatch-report/report.json \
         -o markdown=wheelwatch-report/report.md -o junit=wheelwatch-report/junit.xml \
         -o sarif=wheelwatch-report/wheels.sarif"
    );
    // The job's command works as written here: the configuration supplies the targets.
    std::fs::create_dir(dir.path().join("wheelwatch-report")).unwrap();
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let (code, stdout, stderr) = run(ww(dir.path())
        .args(&args)
        .arg("--index-url")
        .arg(index.url()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, GITHUB);
    for file in ["report.json", "report.md", "junit.xml", "wheels.sarif"] {
        assert!(dir.path().join("wheelwatch-report").join(file).is_file());
    }
    // So does the dashboard step, from the run the check recorded.
    let dashboard = steps
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Dashboard")
        .unwrap()["run"]
        .as_str()
        .unwrap();
    let args: Vec<&str> = dashboard.split_whitespace().skip(1).collect();
    let (code, _, stderr) = run(ww(dir.path()).args(&args));
    assert_eq!(code, 0, "{stderr}");
    let html = read(dir.path(), "wheelwatch-report/dashboard.html");
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..100.min(html.len())]
    );

    // Never replaced without --force: exit 2, nothing changed.
    std::fs::write(&path, "# mine\n").unwrap();
    let (code, stdout, stderr) = run(ww(dir.path()).args(["ci", "init"]));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: .github/workflows/wheel-health.yml already exists; pass --force to replace \
         it, or --print to see the new one\n"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    // --print shows it and writes nothing.
    let (code, printed, _) = run(ww(dir.path()).args(["ci", "init", "--print"]));
    assert_eq!(code, 0);
    assert_eq!(printed, text);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    let (code, _, stderr) = run(ww(dir.path()).args(["ci", "init", "--force"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // wheelwatch is installed from a pip requirement that reaches pip as data: this version by
    // default, or what --install says, quotes and `$(…)` included, never run as script text.
    let install_step = |w: &serde_yaml_ng::Value| {
        let step = w["jobs"]["wheel-health"]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Install wheelwatch")
            .unwrap()
            .clone();
        (
            step["env"]["WHEELWATCH_INSTALL"]
                .as_str()
                .unwrap()
                .to_string(),
            step["run"].as_str().unwrap().to_string(),
        )
    };
    let run_line = "python -m pip install --disable-pip-version-check \"$WHEELWATCH_INSTALL\"";
    assert_eq!(
        install_step(&w),
        (
            format!("wheelwatch=={}", env!("CARGO_PKG_VERSION")),
            run_line.to_string()
        )
    );
    let spec = "git+https://example.invalid/o/wheelwatch@v0.1.0#egg=x\"; echo $(id) #: x";
    let (code, printed, stderr) =
        run(ww(dir.path()).args(["ci", "init", "--print", "--install", spec]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        install_step(&yaml(&printed)),
        (spec.to_string(), run_line.to_string())
    );
    let (code, stdout, stderr) =
        run(ww(dir.path()).args(["ci", "init", "--print", "--install", " "]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: --install: expected a pip requirement (`wheelwatch==0.1.0`, a wheel URL, or \
         `git+URL@TAG`), found nothing\n"
    );
}

#[test]
fn ci_init_gitlab_pipeline_parses() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", "six\n");
    let (code, stdout, stderr) = run(ww(dir.path()).args(["ci", "init", "--gitlab", "--print"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!dir.path().join(".gitlab-ci.yml").exists());
    let p = yaml(&stdout);
    let job = &p["wheel-health"];
    let sources: Vec<&str> = job["rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| r["if"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "$CI_PIPELINE_SOURCE == \"schedule\"",
            "$CI_PIPELINE_SOURCE == \"web\"",
            "$CI_PIPELINE_SOURCE == \"merge_request_event\""
        ]
    );
    assert!(strings(&job["rules"][2]["changes"]).contains(&"**/requirements*.txt".to_string()));
    assert_eq!(
        strings(&job["cache"]["paths"]),
        [".wheelwatch-cache/", ".wheelwatch/history.sqlite"]
    );
    assert_eq!(
        job["artifacts"]["reports"]["junit"],
        "wheelwatch-report/junit.xml"
    );
    assert_eq!(job["artifacts"]["when"], "always");
    let script = strings(&job["script"]);
    assert_eq!(
        script[0],
        "python -m pip install --disable-pip-version-check \"$WHEELWATCH_INSTALL\""
    );
    assert_eq!(
        (
            job["variables"]["WHEELWATCH_INSTALL"]["value"].as_str(),
            job["variables"]["WHEELWATCH_INSTALL"]["expand"].as_bool()
        ),
        (
            Some(format!("wheelwatch=={}", env!("CARGO_PKG_VERSION")).as_str()),
            Some(false)
        )
    );
    assert!(script[2].starts_with("wheelwatch check --record -o json="));
    // Written on request.
    let (code, _, stderr) = run(ww(dir.path()).args(["ci", "init", "--gitlab"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(dir.path(), ".gitlab-ci.yml"), stdout);
}

/// The composite action at the repository root parses, and its check step, run as GitHub runs
/// it (bash, inputs as environment variables, `GITHUB_OUTPUT`), sets the verdict output.
#[test]
fn composite_action_runs_and_reports_the_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = yaml(&std::fs::read_to_string(root.join("action.yml")).unwrap());
    assert_eq!(action["runs"]["using"], "composite");
    for input in ["args", "version", "report-dir", "fail"] {
        assert!(
            action["inputs"][input]["description"].is_string(),
            "input {input}"
        );
    }
    assert_eq!(
        action["outputs"]["verdict"]["value"],
        "${{ steps.check.outputs.verdict }}"
    );
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    // The install step, run as GitHub runs it with a stand-in `python3` that prints its
    // arguments: the `version` input when given, else the action's own source.
    let install = steps[0]["run"].as_str().unwrap();
    let fake = tempfile::tempdir().unwrap();
    std::fs::write(
        fake.path().join("python3"),
        "#!/bin/sh\nprintf '%s\\n' \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        fake.path().join("python3"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let installs = |spec: &str| {
        let (code, stdout, stderr) = run(Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", install])
            .env("PATH", format!("{}:/usr/bin:/bin", fake.path().display()))
            .env("WHEELWATCH_SPEC", spec)
            .env("GITHUB_ACTION_PATH", "/runner/_actions/o/wheelwatch/v0"));
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    assert_eq!(
        installs(""),
        "-m\npip\ninstall\n--disable-pip-version-check\n/runner/_actions/o/wheelwatch/v0\n"
    );
    assert_eq!(
        installs("wheelwatch==0.1.0"),
        "-m\npip\ninstall\n--disable-pip-version-check\nwheelwatch==0.1.0\n"
    );
    let check = steps.iter().find(|s| s["id"] == "check").unwrap();
    assert_eq!(check["shell"], "bash");
    let script = check["run"].as_str().unwrap();

    let index = tree_index();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let outputs = dir.path().join("github_output");
    let bin = Path::new(env!("CARGO_BIN_EXE_wheelwatch"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut bash = with_test_env(dir.path(), "bash".as_ref());
    bash.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &outputs)
        .env(
            "WHEELWATCH_ARGS",
            format!(
                "--python 3.12@linux --fallback 3.11@linux --index-url {}",
                index.url()
            ),
        )
        .env("REPORT_DIR", "reports")
        .env("FAIL", "true");
    let (code, stdout, stderr) = run(&mut bash);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, GITHUB);
    assert_eq!(
        read(dir.path(), "github_output"),
        "verdict=fallback_available\nrecommended-fallback=3.11@manylinux_2_28_x86_64\n\
         exit-code=0\nsarif=reports/wheels.sarif\n"
    );
    // --strict makes it exit 1; the step fails with it, and the outputs are still set.
    std::fs::remove_file(&outputs).unwrap();
    bash.env(
        "WHEELWATCH_ARGS",
        format!(
            "--strict --python 3.12@linux --fallback 3.11@linux --index-url {}",
            index.url()
        ),
    );
    let (code, _, stderr) = run(&mut bash);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        read(dir.path(), "github_output"),
        "verdict=fallback_available\nrecommended-fallback=3.11@manylinux_2_28_x86_64\n\
         exit-code=1\nsarif=reports/wheels.sarif\n"
    );
}

/// The bash completion script completes subcommands, options and their values.
#[test]
fn completions_are_generated_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (code, script, stderr) = run(ww(dir.path()).args(["completions", "bash"]));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.path().join("wheelwatch.bash"), &script).unwrap();
    let complete = |words: &str| -> String {
        let line = format!(
            "source ./wheelwatch.bash; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _wheelwatch wheelwatch \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let out = Command::new("bash")
            .current_dir(dir.path())
            .args(["--noprofile", "--norc", "-c", &line])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("wheelwatch ci i"), "init\n");
    assert_eq!(complete("wheelwatch check --form"), "--format\n");
    assert_eq!(
        complete("wheelwatch check --format ''"),
        "table\njson\nmarkdown\ngithub\njunit\nsarif\n"
    );
    assert_eq!(complete("wheelwatch comp"), "completions\n");
    for (shell, start) in [
        ("zsh", "#compdef wheelwatch\n"),
        (
            "fish",
            "# Print an optspec for argparse to handle cmd's options",
        ),
        (
            "powershell",
            "\nusing namespace System.Management.Automation\n",
        ),
    ] {
        let (code, text, _) = run(ww(dir.path()).args(["completions", shell]));
        assert_eq!(code, 0);
        assert!(
            text.starts_with(start),
            "{shell}: {}",
            &text[..80.min(text.len())]
        );
    }
    let (code, _, stderr) = run(ww(dir.path()).args(["completions", "tcsh"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid value 'tcsh'"), "{stderr}");
}

/// `wheelwatch man`: one roff page per command, rendered by man(1) when it is installed.
#[test]
fn man_page_is_generated_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (code, page, stderr) = run(ww(dir.path()).arg("man"));
    assert_eq!(code, 0, "{stderr}");
    let titles: Vec<&str> = page.lines().filter(|l| l.starts_with(".TH ")).collect();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        titles[0],
        format!(".TH wheelwatch 1  \"wheelwatch {version}\" ")
    );
    for name in ["check", "ci-init", "completions", "history-diff"] {
        let last = name.rsplit('-').next().unwrap();
        let title = format!(".TH wheelwatch-{name} 1  \"{last} {version}\" ");
        assert!(
            titles.contains(&title.as_str()),
            "{title} not in {titles:#?}"
        );
    }
    assert!(!titles.iter().any(|t| t.contains("-help")), "{titles:#?}");
    assert!(page.contains("\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fI<FORMAT=PATH>\\fR"));
    // The page a person reads.
    if Command::new("man").arg("--version").output().is_ok() {
        std::fs::write(dir.path().join("wheelwatch.1"), &page).unwrap();
        let out = Command::new("man")
            .current_dir(dir.path())
            .args(["-l", "wheelwatch.1"])
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        // man justifies wrapped lines: compare with single spaces.
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains("wheelwatch ci init [--print] [--gitlab] [--force] [--install]"),
            "{text}"
        );
    } else {
        skip("man(1) is not installed to render the page");
    }
}

/// `program` run with the environment `ww` gives the binary under test (clean pip and
/// wheelwatch variables, its own cache, no colour).
fn with_test_env(dir: &Path, program: &std::ffi::OsStr) -> Command {
    let template = ww(dir);
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    for (key, value) in template.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    cmd
}

/// The wheel `.ci/run` builds with maturin and installs into a fresh venv (it sets
/// `WHEELWATCH_WHEEL_BIN` to that venv's `wheelwatch`): it runs, and checks against the test
/// index exactly as the binary under test does.
#[test]
fn installed_wheel_runs_a_check() {
    let Some(bin) = std::env::var_os("WHEELWATCH_WHEEL_BIN") else {
        return skip(
            "WHEELWATCH_WHEEL_BIN is not set (.ci/run builds the wheel with maturin, installs it \
             into a fresh venv and sets it)",
        );
    };
    let index = tree_index();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let (code, stdout, stderr) = run(with_test_env(dir.path(), &bin).arg("--version"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("wheelwatch {}\n", env!("CARGO_PKG_VERSION"))
    );
    let (code, stdout, stderr) = run(with_test_env(dir.path(), &bin)
        .args([
            "check",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
            "--format",
            "github",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, GITHUB);
}

/// Code scanning refuses results without a location: a conflict is placed at line 1 of the
/// first requirement file; with only `--package` specs, findings become notifications.
#[test]
fn sarif_findings_without_a_line_of_their_own() {
    let index = TestIndex::builder()
        .project("a", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("c==1.0"))
        })
        .project("b", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("c==2.0"))
        })
        .project("c", |p| {
            p.wheel("1.0", "py3-none-any").wheel("2.0", "py3-none-any")
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", "a\nb\n");
    let sarif = |args: &[&str]| -> Value {
        let (code, stdout, stderr) = run(ww(dir.path())
            .args(["check", "--python", "3.12@linux", "--format", "sarif"])
            .args(args)
            .arg("--index-url")
            .arg(index.url()));
        assert_eq!(code, 1, "{stderr}");
        let sarif: Value = serde_json::from_str(&stdout).unwrap();
        validate_sarif(&sarif);
        sarif
    };
    let conflict = sarif(&[]);
    let results = conflict["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "WW006");
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "requirements.txt");
    assert_eq!(location["region"]["startLine"], 1);

    let packages = sarif(&["--no-deps", "-p", "nosuch"]);
    assert_eq!(packages["runs"][0]["results"], serde_json::json!([]));
    let notes = &packages["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes:#}");
    assert_eq!(notes[0]["descriptor"]["id"], "WW003");
    assert_eq!(notes[0]["level"], "error");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("nosuch: not on the index on 3.12@manylinux_2_28_x86_64 (primary)\n"),
        "{notes:#}"
    );
}
