//! `wheelwatch plan --to TARGET` end to end on the recorded runbook 2023 index (offline): the
//! runbook's pinned 2023 set moving from 3.11 to 3.12, whole outputs (text and JSON against
//! its schema), the constraints file, and a target no plan can reach.

use std::path::Path;

use crate::check::{json, run, write, ww};
use crate::common::{TestIndex, recorded};
use crate::matrix::validate_against;

fn plan(dir: &Path, index: &TestIndex, args: &[&str]) -> (i32, String, String) {
    let (code, stdout, stderr) = run(ww(dir)
        .arg("plan")
        .args(args)
        .arg("--index-url")
        .arg(index.url()));
    let clean = |s: String| {
        s.replace(&index.url(), "INDEX/")
            .replace(&dir.display().to_string(), "DIR")
    };
    (code, clean(stdout), clean(stderr))
}

fn runbook() -> (tempfile::TempDir, TestIndex) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", recorded::RUNBOOK_2023);
    (dir, recorded::runbook_2023())
}

#[test]
fn runbook_2023_from_3_11_to_3_12() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = plan(
        dir.path(),
        &index,
        &["--to", "3.12@linux", "--constraints-out", "constraints.txt"],
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let written = std::fs::read_to_string(dir.path().join("constraints.txt")).unwrap();
    assert!(stdout.contains(&written.lines().next().unwrap().to_string()));
    // The requirement file itself is never changed.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        recorded::RUNBOOK_2023
    );
}

#[test]
fn runbook_2023_to_3_12_json() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = plan(
        dir.path(),
        &index,
        &["--to", "3.12@linux", "--format", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let value = json(&stdout);
    validate_against(include_str!("../../schema/plan.schema.json"), &value);
    insta::assert_snapshot!(stdout);
}

#[test]
fn runbook_2023_to_macos_11_has_no_plan() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = plan(dir.path(), &index, &["--to", "3.12@macos"]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!(stdout);
}
