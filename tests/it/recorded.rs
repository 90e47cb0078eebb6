//! The recorded real index of the runbook's pinned 2023 set (`tests/fixtures/index/runbook-2023`,
//! served offline by `common::recorded`): `check` against it gives the runbook's situation, with
//! real pages and real metadata.

use crate::check::{run, write, ww};
use crate::common::recorded;

#[test]
fn runbook_2023_check_on_the_recording() {
    let index = recorded::runbook_2023();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "requirements.txt", recorded::RUNBOOK_2023);
    let (code, stdout, stderr) = run(ww(dir.path())
        .args([
            "check",
            "--python",
            "3.11@linux",
            "--fallback",
            "3.12@linux",
            "--target",
            "3.12@macos",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!(code, 0, "stderr: {stderr}");
    let stdout = stdout
        .replace(&index.url(), "INDEX/")
        .replace(&dir.path().display().to_string(), "DIR");
    insta::assert_snapshot!(stdout);
    recorded::assert_served_from_recording(&index);
}
