//! The history store end to end: real `check --record` runs of the binary against the local
//! test index whose answers change between runs (a wheel appears, then the index fails), then
//! `history list | show | diff | summary | prune` whole outputs; concurrent recording
//! processes; migrations of an empty file; the same suite against PostgreSQL
//! (`WHEELWATCH_TEST_PG`, which .ci/run sets after starting a throwaway cluster).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::project::linux_project;
use crate::common::{FileSpec, TestIndex, run, skip, wheelwatch as ww};

const LINUX: &str = "manylinux_2_17_x86_64";

/// Which store a test writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
}

/// The store URL for `db` (`None` for the default SQLite file); `Err` when PostgreSQL is not
/// available (the test then skips: fails under CI=true).
fn store(db: Db) -> Result<Option<String>, ()> {
    match db {
        Db::Sqlite => Ok(None),
        Db::Postgres => match std::env::var("WHEELWATCH_TEST_PG") {
            Ok(url) if !url.is_empty() => Ok(Some(url)),
            _ => {
                skip("WHEELWATCH_TEST_PG is not set (no PostgreSQL server to test against)");
                Err(())
            }
        },
    }
}

fn ww_store(dir: &Path, store: Option<&String>) -> Command {
    let mut cmd = ww(dir);
    if let Some(url) = store {
        cmd.env("WHEELWATCH_STORE", url);
    }
    cmd
}

fn schema_validate(schema: &str, value: &Value) {
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{value:#}\ndoes not match: {errors:#?}");
}

/// Output with timestamps, run ids, durations and column padding made stable.
fn normalize(text: &str, ids: &[i64]) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut words: Vec<String> = Vec::new();
        for word in line.split_whitespace() {
            let bare = word.trim_matches(|c| c == '(' || c == ')' || c == ',' || c == ':');
            let replaced = if bare.len() == 20 && bare.ends_with('Z') && bare.contains('T') {
                word.replace(bare, "[TIME]")
            } else if let Some(i) = bare
                .parse::<i64>()
                .ok()
                .and_then(|n| ids.iter().position(|id| *id == n))
            {
                word.replace(bare, &format!("[RUN{}]", i + 1))
            } else {
                word.to_string()
            };
            words.push(replaced);
        }
        let indent = if line.starts_with("  ") { "  " } else { "" };
        out.push_str(indent);
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

fn index() -> TestIndex {
    TestIndex::builder()
        .project("wwlib", |p| p.sdist("1.0"))
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any").sdist("2.0"))
        .serve()
}

fn project(index: &TestIndex) -> tempfile::TempDir {
    linux_project(&index.url(), "wwlib==1.0\nwwpure\n")
}

fn check_record(dir: &Path, store: Option<&String>) -> (i32, String, String) {
    run(ww_store(dir, store).args(["check", "--record", "--no-cache", "--format", "json"]))
}

fn history(dir: &Path, store: Option<&String>, args: &[&str]) -> String {
    let (code, stdout, stderr) = run(ww_store(dir, store).arg("history").args(args));
    assert_eq!(code, 0, "history {args:?}: {stderr}");
    stdout
}

fn list_json(dir: &Path, store: Option<&String>) -> Vec<Value> {
    let out = history(dir, store, &["list", "--format", "json"]);
    let value: Value = serde_json::from_str(&out).unwrap();
    schema_validate(
        include_str!("../../schema/history-list.schema.json"),
        &value,
    );
    value.as_array().unwrap().clone()
}

fn recorded_runs_diff_and_summary(db: Db) {
    let Ok(store) = store(db) else { return };
    let store = store.as_ref();
    let index = index();
    let dir = project(&index);
    let dir = dir.path();

    // 1: wwlib has only an sdist: nothing is healthy.
    let (code, _, stderr) = check_record(dir, store);
    assert_eq!(code, 1, "{stderr}");
    // 2: a wheel for 3.12 appears.
    index.add_file(
        "wwlib",
        FileSpec::wheel("wwlib", "1.0", &format!("cp312-cp312-{LINUX}")),
    );
    let (code, _, stderr) = check_record(dir, store);
    assert_eq!(code, 0, "{stderr}");
    // 3: the index fails for wwlib: exit 3, recorded as a failed run.
    index.set_status("wwlib", Some(500));
    let (code, _, stderr) = check_record(dir, store);
    assert_eq!(code, 3, "{stderr}");
    index.set_status("wwlib", None);
    // Not recorded without --record.
    let (code, _, stderr) = run(ww_store(dir, store).args(["check", "--no-cache"]));
    assert_eq!(code, 0, "{stderr}");

    let runs = list_json(dir, store);
    let summary: Vec<(String, String, Value)> = runs
        .iter()
        .map(|r| {
            (
                r["result"].as_str().unwrap().to_string(),
                r["command"].as_str().unwrap().to_string(),
                r["verdict"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("failed".into(), "check".into(), "assessment_failed".into()),
            ("ok".into(), "check".into(), "primary_healthy".into()),
            ("ok".into(), "check".into(), "complete_failure".into()),
        ]
    );
    let ids: Vec<i64> = runs
        .iter()
        .rev()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let failed = &runs[0];
    assert_eq!(
        failed["error"],
        format!(
            "wwlib on 3.12@manylinux_2_28_x86_64: could not assess: {}wwlib/ answered HTTP 500 \
             (1 attempt(s))",
            index.url()
        )
    );
    assert_eq!(runs[1]["inputs"], serde_json::json!(["requirements.txt"]));
    assert_eq!(runs[1]["inputs_hash"], runs[2]["inputs_hash"]);

    // The table.
    let table = history(dir, store, &["list"]);
    let table = normalize(&table, &ids);
    let table: Vec<String> = table
        .lines()
        .map(|l| {
            // Durations and request counts vary: keep the first four columns.
            l.split(' ').take(5).collect::<Vec<_>>().join(" ")
        })
        .collect();
    assert_eq!(
        table,
        vec![
            "run time command verdict duration",
            "[RUN3] [TIME] check assessment failed",
            "[RUN2] [TIME] check primary healthy",
            "[RUN1] [TIME] check complete failure",
        ]
    );

    // diff: the last two successful runs by default.
    let out = history(dir, store, &["diff", "--format", "json"]);
    let diff: Value = serde_json::from_str(&out).unwrap();
    schema_validate(include_str!("../../schema/history-diff.schema.json"), &diff);
    assert_eq!(diff["run_before"], ids[0]);
    assert_eq!(diff["run_after"], ids[1]);
    assert_eq!(diff["verdict_before"], "complete_failure");
    assert_eq!(diff["verdict_after"], "primary_healthy");
    let out = history(dir, store, &["diff"]);
    assert_eq!(normalize(&out, &ids), DIFF_TABLE);
    let explicit = history(
        dir,
        store,
        &["diff", &ids[0].to_string(), &ids[1].to_string()],
    );
    assert_eq!(explicit, out);
    let md = history(dir, store, &["diff", "--format", "markdown"]);
    assert_eq!(normalize(&md, &ids), DIFF_MARKDOWN);

    // show
    let out = history(dir, store, &["show", &ids[1].to_string()]);
    let out = normalize(&out, &ids);
    let location = std::fs::canonicalize(dir).unwrap().display().to_string();
    let name = std::fs::canonicalize(dir)
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let out = out
        .replace(&location, "[DIR]")
        .replace(&name, "[NAME]")
        .replace(runs[1]["inputs_hash"].as_str().unwrap(), "[HASH]")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let stats = out
        .lines()
        .find(|l| l.starts_with("  stats"))
        .unwrap()
        .to_string();
    assert_eq!(out.replace(&stats, "  stats [STATS]"), SHOW_TABLE);

    // summary
    let out = history(dir, store, &["summary"]);
    let day = runs[0]["timestamp"].as_str().unwrap()[..10].to_string();
    let out = normalize(&out, &[]).replace(&day, "[DAY]");
    // Time to recover depends on how long the runs took: whole seconds.
    let recover = out
        .lines()
        .find(|l| l.starts_with("  time to recover"))
        .unwrap()
        .to_string();
    assert!(
        recover.starts_with("  time to recover: 1 recoveries, mean "),
        "{recover}"
    );
    assert_eq!(
        out.replace(&recover, "  time to recover: [RECOVERY]"),
        SUMMARY_TABLE
    );
    let summary: Value =
        serde_json::from_str(&history(dir, store, &["summary", "--format", "json"])).unwrap();
    assert_eq!(summary["runs"], 3);
    assert_eq!(summary["failed_runs"], 1);
    assert_eq!(summary["recoveries"], 1);

    // prune keeps today's runs.
    let (code, stdout, stderr) =
        run(ww_store(dir, store).args(["history", "prune", "--keep-days", "1"]));
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert_eq!(stderr, "pruned 0 runs older than 1 days\n");
    assert_eq!(list_json(dir, store).len(), 3);
}

const DIFF_TABLE: &str = "\
Run [RUN1] ([TIME]) -> run [RUN2] ([TIME])
  verdict: complete failure -> primary healthy

target change what
3.12@manylinux_2_28_x86_64 health changed became healthy (was unhealthy)
3.12@manylinux_2_28_x86_64 blocker gone wwlib no longer blocks a wheel-only install
3.12@manylinux_2_28_x86_64 wheel gained wwlib gained a wheel (was sdist only)
";

const DIFF_MARKDOWN: &str = "\
## Run [RUN1] ([TIME]) -> run [RUN2] ([TIME])

verdict: complete failure -> primary healthy

| target | change | what |
|---|---|---|
| 3.12@manylinux\\_2\\_28\\_x86\\_64 | health changed | became healthy (was unhealthy) |
| 3.12@manylinux\\_2\\_28\\_x86\\_64 | blocker gone | wwlib no longer blocks a wheel-only install |
| 3.12@manylinux\\_2\\_28\\_x86\\_64 | wheel gained | wwlib gained a wheel (was sdist only) |
";

const SHOW_TABLE: &str = "\
Run [RUN2]: primary healthy
  time [TIME]
  command check
  project [NAME] ([DIR])
  inputs requirements.txt
  inputs hash [HASH]
  tool version [VERSION]
  stats [STATS]

target role healthy wheels packages
3.12@manylinux_2_28_x86_64 primary yes 100% 2/2
3.11@manylinux_2_28_x86_64 fallback no 50% 1/2

target package status version wheel
3.12@manylinux_2_28_x86_64 wwlib wheel 1.0 wwlib-1.0-cp312-cp312-manylinux_2_17_x86_64.whl
3.12@manylinux_2_28_x86_64 wwpure wheel 2.0 wwpure-2.0-py3-none-any.whl
3.11@manylinux_2_28_x86_64 wwlib sdist only 1.0
3.11@manylinux_2_28_x86_64 wwpure wheel 2.0 wwpure-2.0-py3-none-any.whl

Blockers:
  wwlib on 3.11@manylinux_2_28_x86_64: wwlib (no version of wwlib matching ==1.0 has a compatible wheel: 1.0 has no wheel for CPython 3.11)
";

const SUMMARY_TABLE: &str = "\
History summary
  runs: 3 (2 with a verdict, 1 failed), [TIME] to [TIME]
  verdicts: complete failure 1, primary healthy 1
  actions: 0 fallbacks, 0 promotions, 0 resets, 0 failed
  time on a fallback: 0s
  time to recover: [RECOVERY]

target role day runs wheel share (mean, min-max)
3.12@manylinux_2_28_x86_64 primary [DAY] 2 75% (50%-100%)
3.11@manylinux_2_28_x86_64 fallback [DAY] 2 50% (50%-50%)
";

#[test]
fn sqlite_records_runs_and_diffs_them() {
    recorded_runs_diff_and_summary(Db::Sqlite);
}

#[test]
fn postgres_records_runs_and_diffs_them() {
    recorded_runs_diff_and_summary(Db::Postgres);
}

/// Processes recording at once.
const WRITERS: usize = 6;

fn concurrent_writers(db: Db) {
    let Ok(store) = store(db) else { return };
    let index = index();
    let dir = project(&index);
    let children: Vec<std::process::Child> = (0..WRITERS)
        .map(|_| {
            ww_store(dir.path(), store.as_ref())
                .args(["check", "--record", "--format", "json"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // No "not recorded" warning from any writer.
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }
    let runs = list_json(dir.path(), store.as_ref());
    assert_eq!(runs.len(), WRITERS);
    assert!(runs.iter().all(|r| r["verdict"] == "complete_failure"));
    let mut ids: Vec<i64> = runs.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), WRITERS);
}

#[test]
fn sqlite_concurrent_writers_lose_nothing() {
    concurrent_writers(Db::Sqlite);
}

#[test]
fn postgres_concurrent_writers_lose_nothing() {
    concurrent_writers(Db::Postgres);
}

#[test]
fn an_empty_file_is_migrated_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".wheelwatch")).unwrap();
    std::fs::write(dir.path().join(".wheelwatch/history.sqlite"), "").unwrap();
    for _ in 0..2 {
        let (code, stdout, stderr) = run(ww(dir.path()).args(["history", "list"]));
        assert_eq!(
            (code, stdout.as_str(), stderr.as_str()),
            (0, "No runs recorded yet.\n", "")
        );
    }
    let conn = rusqlite::Connection::open(dir.path().join(".wheelwatch/history.sqlite")).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A store from a newer wheelwatch is refused, not misread.
    conn.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    let (code, stdout, stderr) = run(ww(dir.path()).args(["history", "list"]));
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            2,
            "",
            format!(
                "error: cannot open the history store {}: the history store has schema version \
                 99, this wheelwatch supports up to 3: upgrade wheelwatch\n",
                dir.path().join(".wheelwatch/history.sqlite").display()
            )
            .as_str()
        )
    );
}

#[test]
fn a_recording_failure_keeps_the_verdict() {
    let index = index();
    let dir = project(&index);
    // The store's directory is a file: recording cannot work.
    let (code, stdout, stderr) = run(ww(dir.path())
        .args(["check", "--record", "--format", "json"])
        .args(["--store", "requirements.txt/history.sqlite"]));
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["verdict"], "complete_failure");
    let first = stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "warning: not recorded in the history: cannot open the history store {}/requirements.txt/history.sqlite: history store: failed to create directory `{}/requirements.txt`: File exists (os error 17)",
            dir.path().display(),
            dir.path().display()
        )
    );
}

#[test]
fn store_urls_are_never_printed_with_their_password() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(ww(dir.path()).args([
        "history",
        "list",
        "--store",
        "postgres://ww:s3cret@127.0.0.1:1/nothing?connect_timeout=2",
    ]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(!stderr.contains("s3cret"), "{stderr}");
    // The cause after the URL is the client library's (refused, closed, timed out: it depends on
    // the machine); everything before it is ours.
    assert!(
        stderr.starts_with(
            "error: cannot open the history store postgres://***@127.0.0.1:1/nothing?connect_timeout=2: \
             history store: cannot connect to \
             `postgres://***@127.0.0.1:1/nothing?connect_timeout=2`: "
        ),
        "{stderr}"
    );
}

fn prune(db: Db) {
    let Ok(store) = store(db) else { return };
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(ww_store(dir.path(), store.as_ref()).args([
        "history",
        "bench-fill",
        "--runs",
        "50",
        "--packages",
        "2",
        "--targets",
        "2",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(list_json(dir.path(), store.as_ref()).len(), 50);
    // Hourly runs from 50.5 hours ago: 27 are older than a day.
    let (code, _, stderr) =
        run(ww_store(dir.path(), store.as_ref()).args(["history", "prune", "--keep-days", "1"]));
    assert_eq!(
        (code, stderr.as_str()),
        (0, "pruned 27 runs older than 1 days\n")
    );
    let runs = list_json(dir.path(), store.as_ref());
    assert_eq!(runs.len(), 23);
    // The kept runs' rows are whole.
    let show = history(
        dir.path(),
        store.as_ref(),
        &[
            "show",
            &runs.iter().find(|r| r["result"] == "ok").unwrap()["id"].to_string(),
            "--format",
            "json",
        ],
    );
    let show: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(show["targets"].as_array().unwrap().len(), 2);
    assert_eq!(show["packages"].as_array().unwrap().len(), 4);
}

#[test]
fn sqlite_prune_deletes_old_runs_only() {
    prune(Db::Sqlite);
}

#[test]
fn postgres_prune_deletes_old_runs_only() {
    prune(Db::Postgres);
}

/// A PostgreSQL store that is down is a warning, never an outage: `check --record` keeps its
/// verdict's exit status and its report, `watch --once` exits 0.
#[test]
fn a_postgres_store_that_is_down_keeps_the_exit_status() {
    let index = index();
    let dir = project(&index);
    let url = "postgres://ww:s3cret@127.0.0.1:1/nothing?connect_timeout=2".to_string();
    let warning = "warning: not recorded in the history: cannot open the history store \
        postgres://***@127.0.0.1:1/nothing?connect_timeout=2: history store: cannot connect to \
        `postgres://***@127.0.0.1:1/nothing?connect_timeout=2`: ";
    let (code, stdout, stderr) = check_record(dir.path(), Some(&url));
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["verdict"], "complete_failure");
    // The cause after the URL is the client library's (it depends on the machine).
    let warned: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: not recorded"))
        .collect();
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(warned[0].starts_with(warning), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");

    let (code, _, stderr) = run(ww_store(dir.path(), Some(&url)).args(["watch", "--once"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with(warning)), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}
