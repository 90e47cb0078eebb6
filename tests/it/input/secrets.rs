//! Credentials never appear: each way a password can reach the tool from its input is run,
//! and stdout, stderr, the log file and every file the run wrote are searched for it.

use std::path::Path;

use crate::check::{run, write, ww};
use crate::common::TestIndex;

/// The part of every password below that must never be seen.
const SECRET: &str = "cr3tpw";

/// Every file under `dir` (recursively), with its bytes.
fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

/// Runs `check ARGS` in a fresh copy of the case's files with a log file and a report file,
/// and returns the exit code, stderr, and every place where the secret was seen.
fn leaks(inputs: &[(&str, &str)], args: &[String]) -> (i32, String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in inputs {
        write(dir.path(), name, text);
    }
    let (code, stdout, stderr) = run(ww(dir.path())
        .args(["-v", "--log-file", "run.log", "check"])
        .args(args)
        .args(["--format", "json"]));
    let mut seen = Vec::new();
    if stdout.contains(SECRET) {
        seen.push("stdout".to_string());
    }
    if stderr.contains(SECRET) {
        seen.push("stderr".to_string());
    }
    let mut written = Vec::new();
    files(dir.path(), &mut written);
    for (path, bytes) in written {
        let inputs_hold_it = inputs.iter().any(|(name, _)| path.ends_with(name));
        if !inputs_hold_it && String::from_utf8_lossy(&bytes).contains(SECRET) {
            seen.push(path);
        }
    }
    (code, stderr, seen)
}

/// What is tried, the input files, the arguments, and the exit code expected.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<String>, i32);

#[test]
fn credentials_never_appear_in_any_output() {
    let index = TestIndex::builder()
        .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
        .basic_auth("user", "s3-cr3tpw")
        .serve();
    let authed = index.url_with_credentials("user", "s3-cr3tpw");
    let wheel = index
        .file_url("six-1.17.0-py2.py3-none-any.whl")
        .replace("://", "://user:s3-cr3tpw@");
    let target = ["--python".to_string(), "3.12@linux".to_string()];
    let with = |extra: &[&str]| -> Vec<String> {
        extra
            .iter()
            .map(ToString::to_string)
            .chain(target.iter().cloned())
            .collect()
    };
    let direct = format!("six @ {wheel}\n");
    let unknown_option = format!("--index-urll {authed}\nsix\n");
    let toml_error = format!("index-url = \"{authed}\" oops\n");
    let pyproject_error =
        format!("[project]\nname = \"a\"\ndependencies = [\"six @ {wheel}\" oops]\n");
    let cases: Vec<Case> = vec![
        (
            "a direct reference echoed in the JSON requirement",
            vec![("requirements.txt", direct.as_str())],
            with(&["requirements.txt", "--index-url", &authed]),
            0,
        ),
        (
            "a requirements-file error that prints the line",
            vec![("requirements.txt", unknown_option.as_str())],
            with(&["requirements.txt"]),
            2,
        ),
        (
            "a TOML error quoting an index-url line",
            vec![("wheelwatch.toml", toml_error.as_str())],
            with(&["-p", "six"]),
            2,
        ),
        (
            "a TOML error in a pyproject",
            vec![("pyproject.toml", pyproject_error.as_str())],
            with(&["pyproject.toml"]),
            2,
        ),
        (
            "an invalid URL whose password holds `#`",
            vec![],
            with(&[
                "-p",
                "six",
                "--index-url",
                "http://user:s3#cr3tpw@127.0.0.1:9/simple/",
            ]),
            2,
        ),
        (
            "an invalid URL whose password holds `/`",
            vec![],
            with(&[
                "-p",
                "six",
                "--index-url",
                "http://user:s3/cr3tpw@127.0.0.1:9/simple/",
            ]),
            2,
        ),
        (
            "an authenticated index that answers",
            vec![],
            with(&["-p", "six", "--index-url", &authed, "-o", "report.json"]),
            0,
        ),
    ];
    let mut failures = Vec::new();
    for (what, inputs, args, want_code) in &cases {
        let (code, stderr, seen) = leaks(inputs, args);
        if code != *want_code || !seen.is_empty() {
            failures.push(format!(
                "{what}: exit {code}, secret seen in {seen:?}; stderr: {stderr}"
            ));
        }
    }
    assert_eq!(failures, Vec::<String>::new());
}

#[test]
fn redacted_errors_read_as_before() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "requirements.txt",
        "--index-urll http://user:s3-cr3tpw@h.test/simple\n",
    );
    let (code, stdout, stderr) =
        run(ww(dir.path()).args(["check", "requirements.txt", "--python", "3.12@linux"]));
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            2,
            "",
            "error: requirements.txt:1: unknown option `--index-urll` in `--index-urll http://***@h.test/simple`\n"
        )
    );
    let (code, stdout, stderr) = run(ww(dir.path()).args([
        "check",
        "-p",
        "six",
        "--python",
        "3.12@linux",
        "--index-url",
        "http://user:s3#cr3tpw@127.0.0.1:9/simple/",
    ]));
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            2,
            "",
            "error: the index URL `http://***@127.0.0.1:9/simple/` is invalid: invalid port number\n"
        )
    );
}
