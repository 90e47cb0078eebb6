//! `wheelwatch explain`: the issue catalog applied to recorded real installer logs
//! (tests/fixtures/installer-logs, see its README), from a file and from stdin, and to a
//! package assessed against the local test index.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;

use crate::common::cli::{run, wheelwatch};

fn log(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/installer-logs")
        .join(format!("{name}.log"))
}

#[test]
fn explain_a_pip_log_names_the_entry_the_library_and_its_packages() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(wheelwatch(dir.path())
        .arg("explain")
        .arg(log("pip-psycopg2-2.9.9-no-pg_config")));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "build-no-system-library: The source build found no system library
  psycopg2 2.9.9
  found: Error: pg_config executable not found.
  cause: The package links against a system library whose development files (headers, pkg-config or *-config tools) are not installed.
  remedies:
    - Install the library's development package (`wheelwatch explain` names it for well-known packages).
    - Or use the package's binary flavour when it has one (psycopg2-binary).
    - Or avoid the build: use a version or Python with a wheel.
  building psycopg2 needs libpq (pg_config): Debian/Ubuntu `libpq-dev`, Fedora/RHEL `libpq-devel`, Alpine `postgresql-dev`
"
    );
}

#[test]
fn explain_reads_a_uv_log_from_stdin_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = wheelwatch(dir.path())
        .args(["explain", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(log("uv-torch-2.7.0-manylinux_2_17-glibc-too-old")).unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"findings": [{
            "target": null,
            "package": "torch",
            "version": "2.7.0",
            "issue": "manylinux-too-new",
            "evidence": "Because torch==2.7.0 has no wheels with a matching platform tag (e.g., `manylinux_2_17_x86_64`) and you require torch==2.7.0, we can conclude that your requirements are unsatisfiable.",
            "detail": "the wheels need glibc 2.28 or newer; the target has manylinux_2_17_x86_64 (wheels exist for manylinux_2_28_aarch64, manylinux_2_28_x86_64, macosx_11_0_arm64, win_amd64)",
            "title": "The manylinux wheels need a newer glibc",
            "cause": "The Linux wheels are built for a newer glibc (manylinux_2_X) than the target has, so the target cannot use them.",
            "remedies": [
                "Deploy on a distribution with a newer glibc (the wheel's manylinux_2_X is the minimum), e.g. a newer base image.",
                "Pin an older release built for an older manylinux.",
                "Build from source on the target."
            ],
            "build_needs": null
        }]})
    );
}

#[test]
fn explain_a_log_that_matches_nothing_exits_1_and_a_missing_log_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.log"),
        "Successfully installed six-1.17.0\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(wheelwatch(dir.path()).args(["explain", "ok.log"]));
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        format!(
            "nothing in {} matches the issue catalog (`wheelwatch explain` lists it)\n",
            dir.path().join("ok.log").display()
        )
    );
    let (code, stdout, stderr) = run(wheelwatch(dir.path()).args(["explain", "build.log"]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: build.log: no such file (expected an installer's log file, `-` for stdin, or a \
         package such as `numpy==1.24.4`)\n"
    );
}

/// A log larger than explain reads (a sparse 33 MiB file: nothing is written to disk) is bad
/// input, said in words about logs.
#[test]
fn explain_refuses_an_oversized_log_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("huge.log")).unwrap();
    file.set_len(33 * 1024 * 1024).unwrap();
    let (code, stdout, stderr) = run(wheelwatch(dir.path()).args(["explain", "huge.log"]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "error: cannot read {}: larger than 32 MiB, more than any installer log explain \
             reads\n",
            dir.path().join("huge.log").display()
        )
    );
}

/// `explain PACKAGE` assesses it on every target and explains each problem with the entry the
/// files show: no cp312 wheel on 3.12, none for the free-threaded 3.13t build, a manylinux
/// newer than the target's glibc; the 3.11 target has a wheel and is not listed.
#[test]
fn explain_a_package_on_every_target() {
    use crate::common::server::TestIndex;
    let index = TestIndex::builder()
        .project("wwnative", |p| {
            p.wheel("1.0", "cp311-cp311-manylinux_2_17_x86_64")
                .wheel("1.0", "cp313-cp313-manylinux_2_17_x86_64")
                .wheel("1.0", "cp310-cp310-manylinux_2_34_x86_64")
                .sdist("1.0")
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(wheelwatch(dir.path())
        .args([
            "explain",
            "wwnative==1.0",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
            "--target",
            "3.13t@linux",
            "--target",
            "3.10@manylinux_2_17_x86_64",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let headings: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .collect();
    assert_eq!(
        headings,
        [
            "no-wheel-for-python: No wheel for this CPython version yet",
            "no-free-threaded-wheel: No free-threaded wheel",
            "manylinux-too-new: The manylinux wheels need a newer glibc",
        ]
    );
    let targets: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  wwnative"))
        .collect();
    assert_eq!(
        targets,
        [
            "  wwnative 1.0 on 3.12@manylinux_2_28_x86_64",
            "  wwnative 1.0 on 3.13t@manylinux_2_28_x86_64",
            "  wwnative 1.0 on 3.10@manylinux_2_17_x86_64",
        ]
    );
    assert!(
        stdout.contains(
            "  detail: the wheels need glibc 2.34 (manylinux_2_34); the target has 2.17\n"
        ),
        "{stdout}"
    );
}
