//! Honest answers to odd requests: bad input and bad usage exit 2 with one clear line; exit 3
//! only when the index could not answer, and then stderr says why; warnings where pip warns.

use std::path::Path;

use crate::check::{json, run, write, ww};
use crate::common::{TestIndex, pyenv_python};

/// An address where nothing listens: a run that needs the index there would exit 3.
const DEAD_INDEX: &str = "http://127.0.0.1:9/simple/";

fn six_index() -> TestIndex {
    TestIndex::builder()
        .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
        .serve()
}

/// `check ARGS` in `dir`: (exit code, stdout, stderr).
fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(ww(dir).arg("check").args(args))
}

#[test]
fn empty_or_comment_only_input_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.txt", "");
    write(
        dir.path(),
        "comments.txt",
        "# pinned later\n\n   # nothing yet\n--pre\n",
    );
    write(dir.path(), "editable.txt", "-e ./src/app\n");
    let cases = [
        (
            "empty.txt",
            "error: nothing to assess: no requirements in `empty.txt` (empty, or only comments and options)\n",
        ),
        (
            "comments.txt",
            "error: nothing to assess: no requirements in `comments.txt` (empty, or only comments and options)\n",
        ),
        (
            "editable.txt",
            "error: nothing to assess: no requirements in `editable.txt` (1 entries that cannot be assessed were skipped)\n",
        ),
    ];
    for (file, want) in cases {
        let got = check(
            dir.path(),
            &[file, "--python", "3.12@linux", "--index-url", DEAD_INDEX],
        );
        assert_eq!(got, (2, String::new(), want.to_string()), "{file}");
    }
}

#[test]
fn bad_usage_exits_2_never_3() {
    let dir = tempfile::tempdir().unwrap();
    let line = "a".repeat(5_000_000);
    write(dir.path(), "big.txt", &format!("{line}\n"));
    let cases: [(&[&str], String); 3] = [
        (
            &["-p", "six", "--python", "3.12@linux", "--index-url", "not a url"],
            "error: the index URL `not a url` is invalid: relative URL without a base\n".to_string(),
        ),
        (
            &["big.txt", "--python", "3.12@linux", "--index-url", DEAD_INDEX],
            format!(
                "error: big.txt:1: invalid requirement `{}… (5000000 bytes)`: requirement is 5000000 bytes long; at most 65536 are accepted (at column 1)\n",
                "a".repeat(200)
            ),
        ),
        (
            &["-p", "six", "--threshold", "-0.1"],
            "error: invalid value '-0.1' for '--threshold <SHARE>': must be between 0.0 and 1.0, got -0.1\n\nFor more information, try '--help'.\n"
                .to_string(),
        ),
    ];
    for (args, want) in cases {
        let got = check(dir.path(), args);
        assert_eq!(got, (2, String::new(), want), "{args:?}");
    }
}

#[test]
fn a_python_that_is_not_there_is_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    // The rest of the message lists the interpreters this machine has, which vary.
    let cases = [
        (
            "banana",
            "error: no usable interpreter `banana`: no usable `banana` on PATH",
        ),
        (
            "/nope/python3",
            "error: no usable interpreter `/nope/python3`: no usable Python at `/nope/python3`\n  - /nope/python3 (explicit): does not exist",
        ),
    ];
    for (python, want) in cases {
        let (code, stdout, stderr) = check(
            dir.path(),
            &["-p", "six", "--python", python, "--index-url", DEAD_INDEX],
        );
        assert_eq!((code, stdout.as_str()), (2, ""), "{python}: {stderr}");
        assert!(
            stderr.starts_with(&format!("{want}\n")),
            "{python}: {stderr}"
        );
    }
}

#[test]
fn a_missing_find_links_location_is_a_warning_as_in_pip() {
    let index = six_index();
    let dir = tempfile::tempdir().unwrap();
    let want = " WARN find-links location `/nope/wheels` does not exist: ignored\n";
    // From the flag, and from pip's environment variable.
    let (code, _, stderr) = run(ww(dir.path())
        .args(["check", "-p", "six", "--python", "3.12@linux"])
        .args(["--find-links", "/nope/wheels", "--index-url"])
        .arg(index.url()));
    assert_eq!((code, stderr.as_str()), (0, want));
    let (code, _, stderr) = run(ww(dir.path())
        .env("PIP_FIND_LINKS", "/nope/wheels")
        .args([
            "check",
            "-p",
            "six",
            "--python",
            "3.12@linux",
            "--index-url",
        ])
        .arg(index.url()));
    assert_eq!((code, stderr.as_str()), (0, want));
}

#[test]
fn a_python_not_installed_here_is_said_to_use_computed_tags() {
    let index = six_index();
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(ww(dir.path())
        .args(["check", "-p", "six", "--python", "3.99", "--format", "json"])
        .arg("--index-url")
        .arg(index.url()));
    assert_eq!(
        (code, stderr.as_str()),
        (
            0,
            " WARN Python 3.99 is not installed here: assessing it with computed tags\n"
        )
    );
    assert_eq!(json(&stdout)["targets"][0]["tags_source"], "computed");
}

#[test]
fn check_accepts_a_python_range_as_doctor_does() {
    // The newest installed interpreter inside the range is assessed with its real tags.
    let Some((python, version)) = pyenv_python("3.12").or_else(|| pyenv_python("3.11")) else {
        assert!(
            std::env::var("CI").is_err(),
            "CI needs a pyenv 3.11 or 3.12"
        );
        eprintln!("SKIPPED: no pyenv 3.11 or 3.12");
        return;
    };
    let index = six_index();
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(ww(dir.path())
        .env("PATH", python.parent().unwrap())
        .args([
            "check",
            "-p",
            "six",
            "--python",
            ">=3.11,<3.13",
            "--format",
            "json",
        ])
        .arg("--index-url")
        .arg(index.url()));
    assert_eq!((code, stderr.as_str()), (0, ""));
    let report = json(&stdout);
    let target = &report["targets"][0];
    assert_eq!(target["python"], version.as_str());
    assert_eq!(target["packages"][0]["status"], "wheel");
    assert!(
        target["tags_source"]
            .as_str()
            .unwrap()
            .starts_with("probed: "),
        "{target}"
    );
}

#[test]
fn newest_with_wheel_offers_no_pre_release_the_requirement_does_not_allow() {
    let index = TestIndex::builder()
        .project("pkg", |p| {
            p.sdist("0.6.0").wheel("0.7.0.dev0", "py3-none-any")
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let newest = |spec: &str| {
        let (_, stdout, stderr) = run(ww(dir.path())
            .args(["check", "--no-deps", "-p", spec, "--python", "3.12@linux"])
            .args(["--format", "json", "--index-url"])
            .arg(index.url()));
        let report = json(&stdout);
        let p = &report["targets"][0]["packages"][0];
        (
            p["status"].as_str().unwrap().to_string(),
            p["newest_with_wheel"].clone(),
            p["reason"].as_str().unwrap().to_string(),
            stderr,
        )
    };
    assert_eq!(
        newest("pkg"),
        (
            "sdist_only".to_string(),
            serde_json::Value::Null,
            "no version of pkg has a wheel for 3.12 on manylinux_2_28_x86_64: 0.6.0 has only an sdist, so it needs a source build; no version has one".to_string(),
            String::new()
        )
    );
    // A requirement that names a pre-release allows them: then it is the answer.
    let (status, newest_with_wheel, _, _) = newest("pkg>=0.7.0.dev0");
    assert_eq!(
        (status.as_str(), newest_with_wheel),
        ("wheel", "0.7.0.dev0".into())
    );
}

#[test]
fn when_no_project_is_found_the_index_url_is_questioned() {
    let index = TestIndex::builder()
        .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(ww(dir.path())
        .args([
            "check",
            "--no-deps",
            "-p",
            "sixx",
            "-p",
            "requets",
            "--python",
            "3.12@linux",
        ])
        .arg("--index-url")
        .arg(index.url()));
    assert_eq!(
        (code, stderr.as_str()),
        (
            1,
            " WARN no project was found on the index: is the index URL right? (--index-url, PIP_INDEX_URL, or an --index-url line in a requirements file)\n"
        )
    );
}

#[test]
fn exit_3_says_why_on_stderr_whatever_the_format() {
    let index = TestIndex::builder()
        .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any").status(500))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let want = format!(
        "error: assessment failed, no verdict: six on 3.12@manylinux_2_28_x86_64: could not assess: {}six/ answered HTTP 500 (1 attempt(s))\n",
        index.url()
    );
    for extra in [
        &["--format", "json"][..],
        &["-o", "report.md", "--format", "markdown"][..],
        &[][..],
    ] {
        let (code, stdout, stderr) = run(ww(dir.path())
            .args(["check", "--no-deps", "-p", "six", "--python", "3.12@linux"])
            .args(extra)
            .arg("--index-url")
            .arg(index.url()));
        assert_eq!((code, stderr.as_str()), (3, want.as_str()), "{extra:?}");
        if extra.contains(&"-o") {
            assert_eq!(stdout, "");
        }
    }
}

#[test]
fn inputs_that_are_not_regular_files_or_are_huge_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "includes.txt", "six\n-r /dev/zero\n");
    let huge = std::fs::File::create(dir.path().join("huge.txt")).unwrap();
    huge.set_len(33 * 1024 * 1024).unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["-r", "/dev/zero"],
            "error: failed to read `/dev/zero`: not a regular file\n",
        ),
        (
            &["includes.txt"],
            "error: includes.txt:2: failed to read included file `/dev/zero`: not a regular file\n",
        ),
        (
            &["-r", "huge.txt"],
            "error: failed to read `huge.txt`: larger than 32 MiB, which no requirements or lock file is\n",
        ),
        (&["-r", "."], "error: failed to read `.`: a directory\n"),
    ];
    for (args, want) in cases {
        let got = run(ww(dir.path()).arg("check").args(args).args([
            "--python",
            "3.12@linux",
            "--index-url",
            DEAD_INDEX,
        ]));
        assert_eq!(got, (2, String::new(), want.to_string()), "{args:?}");
    }
}
