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
    recorded::assert_served_from_recording(&index);
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
    recorded::assert_served_from_recording(&index);
}

#[test]
fn runbook_2023_to_macos_11_has_no_plan() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = plan(dir.path(), &index, &["--to", "3.12@macos"]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!(stdout);
    recorded::assert_served_from_recording(&index);
}

/// app==1.0 needs lib<1.1; lib 1.0 has only an sdist and 1.1, the first with a wheel, is out of
/// app's range: the constraint that would help conflicts, so no plan exists, and the plan says
/// which packages make it so.
#[test]
fn a_transitive_blocker_pinned_by_its_requirer_has_no_plan() {
    let index = TestIndex::builder()
        .project("app", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("lib<1.1"))
        })
        .project("lib", |p| p.sdist("1.0").wheel("1.1", "py3-none-any"))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", "app==1.0\n");
    let (code, stdout, stderr) = plan(dir.path(), &index, &["--to", "3.12@linux"]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn runbook_2023_on_3_11_needs_nothing() {
    let (dir, index) = runbook();
    let (code, stdout, stderr) = plan(dir.path(), &index, &["--to", "3.11@linux"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "plan for 3.11@manylinux_2_28_x86_64: feasible; 0 requirement changes, 0 constraints

changes
  none

constraints (--constraints-out PATH writes them)
  # Constraints for a wheel-only install on 3.11@manylinux_2_28_x86_64 (wheelwatch plan), with the planned
  # requirement changes: pip install -r requirements.txt -c this-file

after the plan (re-assessed)
  3.11@manylinux_2_28_x86_64  healthy  9/9 direct requirements with wheels; tree: 32 packages, all from wheels
"
    );
    recorded::assert_served_from_recording(&index);
}
