//! `wheelwatch matrix` end to end on the recorded runbook 2023 index (offline): whole outputs
//! in every format, folding to the terminal width, the JSON against its schema, one fetch per
//! page, and escaping in HTML.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::check::{json, run, write, ww};
use crate::common::{TestIndex, recorded};

const PYTHONS: &str = "3.11,3.12,3.13,3.14t";
const PLATFORMS: &str = "linux,macos,windows";

pub(crate) fn validate_against(schema: &str, value: &Value) {
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "does not match its schema: {errors:#?}");
}

fn matrix(dir: &Path, index: &TestIndex, args: &[&str]) -> (i32, String, String) {
    matrix_on(dir, index, PYTHONS, PLATFORMS, args)
}

fn matrix_on(
    dir: &Path,
    index: &TestIndex,
    pythons: &str,
    platforms: &str,
    args: &[&str],
) -> (i32, String, String) {
    run(ww(dir)
        .args(["matrix", "--pythons", pythons, "--platforms", platforms])
        .args(args)
        .arg("--index-url")
        .arg(index.url()))
}

fn runbook() -> (tempfile::TempDir, TestIndex) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", recorded::RUNBOOK_2023);
    (dir, recorded::runbook_2023())
}

#[test]
fn runbook_2023_table() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = matrix(dir.path(), &index, &[]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    recorded::assert_served_from_recording(&index);
    // Every page once, whatever the number of targets.
    for name in ["numpy", "pandas", "scipy"] {
        assert_eq!(
            index.count_requests(&format!("/simple/{name}/")),
            1,
            "{name}"
        );
    }
}

#[test]
fn runbook_2023_table_folds_to_the_terminal() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = run(ww(dir.path())
        .env("COLUMNS", "80")
        .args(["matrix", "--pythons", PYTHONS, "--platforms", PLATFORMS])
        .arg("--index-url")
        .arg(index.url()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.lines().all(|l| l.chars().count() <= 80), "{stdout}");
    insta::assert_snapshot!(stdout);
    recorded::assert_served_from_recording(&index);
}

#[test]
fn runbook_2023_tree_json() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = matrix(dir.path(), &index, &["--tree", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let value = json(&stdout);
    validate_against(include_str!("../../schema/matrix.schema.json"), &value);
    insta::assert_snapshot!(stdout);
    recorded::assert_served_from_recording(&index);
    for name in ["numpy", "pydantic-core", "starlette"] {
        assert_eq!(
            index.count_requests(&format!("/simple/{name}/")),
            1,
            "{name}"
        );
    }
}

#[test]
fn runbook_2023_markdown_csv_html() {
    let (dir, index) = runbook();
    let mut outputs = String::new();
    for format in ["markdown", "csv", "html"] {
        let (code, stdout, stderr) = matrix_on(
            dir.path(),
            &index,
            "3.11,3.12",
            "linux",
            &["--format", format],
        );
        assert_eq!(code, 0, "{stderr}");
        let _ = write!(outputs, "=== {format}\n{stdout}");
    }
    insta::assert_snapshot!(outputs);
}

#[test]
fn html_is_self_contained() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = matrix(dir.path(), &index, &["--format", "html", "--tree"]);
    assert_eq!(code, 0, "{stderr}");
    for outside in ["http://", "https://", "<script", "src=", "<link"] {
        assert!(!stdout.contains(outside), "{outside} in {stdout}");
    }
    assert!(
        stdout.contains("<td class=\"no_wheel\">✗ 1.26.0</td>"),
        "{stdout}"
    );
}

#[test]
fn bad_pythons_and_platforms_are_usage_errors() {
    let (dir, index) = runbook();
    for (pythons, platforms, message) in [
        (
            "3.12,banana",
            "linux",
            "error: --pythons: invalid Python version `banana`: expected `3.12`, `3.12.4`, `3.13t` or `cp312`\n",
        ),
        ("3.12", "linux,beos", "error: --platforms: "),
    ] {
        let (code, stdout, stderr) = matrix_on(dir.path(), &index, pythons, platforms, &[]);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with(message), "{stderr}");
    }
    assert_eq!(index.page_requests(), 0);
}
