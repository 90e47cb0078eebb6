//! `wheelwatch bench` through the binary: real pyenv 3.11 and 3.12 environments built from the
//! local test index, small benchmark commands in both, the JSON report asserted whole (timings
//! normalized, their invariants checked), failures and timeouts per environment, the active venv
//! untouched, nothing left running, the comparison in the history.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::common::project::venv_project;
use crate::common::{TestIndex, pyenv_python, run, skip, wheelwatch as ww};

const LINUX: &str = "manylinux_2_17_x86_64";

/// `wwfast` has wheels for 3.11 and 3.12, `wwpure` is pure Python: both Pythons are healthy.
fn index() -> TestIndex {
    TestIndex::builder()
        .project("wwfast", |p| {
            p.wheel_with("1.0", &format!("cp311-cp311-{LINUX}"), |w| {
                w.module_source("VALUE = 42\n")
            })
            .wheel_with("1.0", &format!("cp312-cp312-{LINUX}"), |w| {
                w.module_source("VALUE = 42\n")
            })
        })
        .project("wwpure", |p| p.wheel("2.0", "py3-none-any"))
        .serve()
}

/// Every file and directory under `root` (symlinks not followed): path → (kind, size, mtime).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (String, u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let kind = if meta.is_symlink() {
                format!("link {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_string()
            } else {
                "file".to_string()
            };
            out.insert(
                path.strip_prefix(root).unwrap().to_path_buf(),
                (kind, meta.len(), meta.modified().unwrap()),
            );
        }
    }
    out
}

/// Processes still carrying this project's tag (what wheelwatch marks its children with).
fn tagged(root: &Path) -> Vec<u32> {
    let state_dir = std::fs::canonicalize(root).unwrap().join(".wheelwatch");
    let tag = format!("WHEELWATCH_OWNER={}", state_dir.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let env = std::fs::read(e.path().join("environ")).ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let zombie = stat
                .rsplit_once(") ")
                .is_some_and(|(_, r)| r.starts_with('Z'));
            (!zombie && env.split(|b| *b == 0).any(|v| v == tag.as_bytes())).then_some(pid)
        })
        .collect()
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn median(xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        f64::midpoint(s[n / 2 - 1], s[n / 2])
    }
}

/// Checks the invariants of one command's timings and replaces them with placeholders.
fn normalize_command(c: &mut Value) {
    let runs_s: Vec<f64> = c["runs_s"].as_array().unwrap().iter().map(number).collect();
    let ok_runs: Vec<f64> = c["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "ok")
        .map(|r| number(&r["wall_s"]))
        .collect();
    assert_eq!(
        runs_s, ok_runs,
        "runs_s are the successful runs' wall times"
    );
    if runs_s.is_empty() {
        for key in ["median_s", "min_s", "max_s", "median_cpu_s", "peak_rss_kib"] {
            assert!(c[key].is_null(), "{key} without a successful run: {c}");
        }
    } else {
        assert!(runs_s.iter().all(|t| *t > 0.0 && *t < 60.0), "{runs_s:?}");
        assert!((number(&c["median_s"]) - median(&runs_s)).abs() < 1e-12);
        let min = runs_s.iter().copied().fold(f64::INFINITY, f64::min);
        let max = runs_s.iter().copied().fold(0.0, f64::max);
        assert!((number(&c["min_s"]) - min).abs() < 1e-12);
        assert!((number(&c["max_s"]) - max).abs() < 1e-12);
        assert!(number(&c["median_cpu_s"]) > 0.0);
        // A Python process takes a few MiB at least.
        assert!(number(&c["peak_rss_kib"]) > 2048.0, "{c}");
        for key in ["median_s", "min_s", "max_s", "median_cpu_s", "peak_rss_kib"] {
            c[key] = json!("<n>");
        }
    }
    c["runs_s"] = json!(vec!["<t>"; runs_s.len()]);
    for run in c["runs"].as_array_mut().unwrap() {
        for key in ["wall_s", "cpu_s", "peak_rss_kib"] {
            if !run[key].is_null() {
                assert!(number(&run[key]) >= 0.0);
                run[key] = json!("<n>");
            }
        }
    }
    if let Some(slowest) = c.get_mut("slowest_imports") {
        let list = slowest.as_array().unwrap();
        assert!(!list.is_empty() && list.len() <= 10, "{slowest}");
        let own: Vec<u64> = list
            .iter()
            .map(|i| i["self_us"].as_u64().unwrap())
            .collect();
        assert!(
            own.windows(2).all(|w| w[0] >= w[1]),
            "slowest first: {own:?}"
        );
        assert!(
            list.iter()
                .all(|i| i["cumulative_us"].as_u64() >= i["self_us"].as_u64()),
            "{slowest}"
        );
        *slowest = json!("<slowest imports>");
    }
}

/// The report with its timings, paths and times replaced by placeholders, after checking
/// every invariant they must satisfy.
fn normalize(mut report: Value, root: &Path) -> Value {
    assert!(report["timestamp"].as_str().unwrap().ends_with('Z'));
    report["timestamp"] = json!("<time>");
    report["tool_version"] = json!("<version>");
    let root = std::fs::canonicalize(root).unwrap();
    let envs = report["environments"].clone();
    for env in report["environments"].as_array_mut().unwrap() {
        let path = PathBuf::from(env["path"].as_str().unwrap());
        assert!(path.starts_with(&root), "{}", path.display());
        env["path"] = json!(path.strip_prefix(&root).unwrap());
        let python = env["python"].as_str().unwrap().to_string();
        env["python"] = json!(python.rsplit_once('.').unwrap().0);
        for c in env["commands"].as_array_mut().unwrap() {
            normalize_command(c);
        }
    }
    for (k, c) in report["comparisons"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        // Each environment's median of `field` over its successful runs of command `k`, when
        // there are two or more.
        let medians_of = |field: &str| -> Vec<Option<f64>> {
            (0..2)
                .map(|e| {
                    let runs: Vec<f64> = envs[e]["commands"][k]["runs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|r| r["status"] == "ok")
                        .map(|r| number(&r[field]))
                        .collect();
                    (runs.len() >= 2).then(|| median(&runs))
                })
                .collect()
        };
        let medians = medians_of("wall_s");
        let cpu_medians = medians_of("cpu_s");
        if let (Some(a), Some(b)) = (cpu_medians[0], cpu_medians[1]) {
            let cpu = &mut c["cpu"];
            let (ratio, low, high) = (
                number(&cpu["ratio"]),
                number(&cpu["ci_low"]),
                number(&cpu["ci_high"]),
            );
            assert!(
                (ratio - b / a).abs() < 1e-9,
                "CPU ratio = fallback / primary"
            );
            assert!(low <= ratio && ratio <= high, "{cpu}");
            let verdict = cpu["verdict"].as_str().unwrap();
            match cpu["outcome"].as_str().unwrap() {
                "slower" => assert!(low > 1.0 && verdict.contains("% more CPU time (95% CI ")),
                "faster" => assert!(high < 1.0 && verdict.contains("% less CPU time (95% CI ")),
                "no_difference" => assert_eq!(
                    verdict,
                    format!(
                        "no difference in CPU time that the runs can show (ratio {ratio:.2}, \
                         95% CI {low:.2}–{high:.2})"
                    )
                ),
                other => panic!("CPU outcome {other}"),
            }
            *cpu = json!("<cpu comparison>");
        } else {
            assert!(c["cpu"].is_null(), "{c}");
        }
        if c["ratio"].is_null() {
            assert!(c["ci_low"].is_null() && c["ci_high"].is_null());
            assert_eq!(c["outcome"], "not_compared");
            continue;
        }
        let (ratio, low, high) = (
            number(&c["ratio"]),
            number(&c["ci_low"]),
            number(&c["ci_high"]),
        );
        let (Some(a), Some(b)) = (medians[0], medians[1]) else {
            panic!("a ratio without two medians: {c}");
        };
        assert!((ratio - b / a).abs() < 1e-9, "ratio = fallback / primary");
        assert!(low <= ratio && ratio <= high, "{c}");
        let verdict = c["verdict"].as_str().unwrap().to_string();
        match c["outcome"].as_str().unwrap() {
            "slower" => {
                assert!(low > 1.0);
                assert!(
                    verdict.starts_with("the fallback is ")
                        && verdict.contains("% slower (95% CI ")
                );
            }
            "faster" => {
                assert!(high < 1.0);
                assert!(
                    verdict.starts_with("the fallback is ")
                        && verdict.contains("% faster (95% CI ")
                );
            }
            "no_difference" => {
                assert!(low <= 1.0 && 1.0 <= high);
                assert_eq!(
                    verdict,
                    format!(
                        "no difference that the runs can show (ratio {ratio:.2}, 95% CI {low:.2}–{high:.2})"
                    )
                );
            }
            other => panic!("outcome {other}"),
        }
        for key in ["ratio", "ci_low", "ci_high"] {
            c[key] = json!("<n>");
        }
        c["outcome"] = json!("<outcome>");
        c["verdict"] = json!("<verdict>");
    }
    report
}

fn ok_run() -> Value {
    json!({"status": "ok", "wall_s": "<n>", "cpu_s": "<n>", "peak_rss_kib": "<n>",
           "exit_code": 0, "signal": null, "detail": null})
}

fn ok_command(name: &str, argv: &[&str], runs: usize) -> Value {
    json!({
        "name": name, "argv": argv, "status": "ok", "error": null,
        "runs": vec![ok_run(); runs], "runs_s": vec!["<t>"; runs],
        "median_s": "<n>", "min_s": "<n>", "max_s": "<n>", "median_cpu_s": "<n>",
        "peak_rss_kib": "<n>",
    })
}

fn compared(command: &str) -> Value {
    json!({"command": command, "ratio": "<n>", "ci_low": "<n>", "ci_high": "<n>",
           "confidence": 0.95, "outcome": "<outcome>", "verdict": "<verdict>",
           "cpu": "<cpu comparison>"})
}

fn bench_json(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(ww(dir).arg("bench").args(["--format", "json"]).args(args));
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\nstderr:\n{stderr}"));
    let schema: Value =
        serde_json::from_str(include_str!("../../schema/bench.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{report:#}\ndoes not match schema/bench.schema.json: {errors:#?}"
    );
    (code, report, stderr)
}

#[test]
fn bench_compares_the_primary_venv_with_the_fallback_built_beside_it() {
    let (Some(_), Some(_)) = (pyenv_python("3.11"), pyenv_python("3.12")) else {
        return skip("needs pyenv CPython 3.11 and 3.12 with venv and ensurepip");
    };
    let index = index();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("requirements.txt"), "wwfast==1.0\nwwpure\n").unwrap();
    std::fs::write(
        root.join("wheelwatch.toml"),
        format!(
            "primary = \"3.12\"\nfallbacks = [\"3.11\"]\nindex-url = \"{}\"\n\n\
             [bench]\ncommands = [[\"python\", \"-c\", \"import wwfast; assert wwfast.VALUE == 42\"]]\n\
             runs = 3\n",
            index.url()
        ),
    )
    .unwrap();
    // The primary's environment, built the way wheelwatch builds every environment.
    let (code, _, stderr) = run(ww(root).args(["reset", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    let venv = root.join(".venv");
    let venv_dir = std::fs::canonicalize(&venv).unwrap();
    // No bytecode in the venv (as an installer that does not compile leaves it): importing
    // there must not write any.
    let caches: Vec<PathBuf> = snapshot(&venv_dir)
        .into_keys()
        .filter(|p| p.ends_with("__pycache__"))
        .collect();
    assert!(!caches.is_empty());
    for cache in caches {
        let _ = std::fs::remove_dir_all(venv_dir.join(cache));
    }
    let before = (std::fs::read_link(&venv).unwrap(), snapshot(&venv_dir));

    let (code, report, stderr) = bench_json(root, &[]);
    assert_eq!(code, 0, "{stderr}");
    let outcomes: Vec<String> = (0..2)
        .map(|k| {
            report["comparisons"][k]["outcome"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let verdicts: Vec<String> = (0..2)
        .map(|k| {
            report["comparisons"][k]["verdict"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let fallback_dir = PathBuf::from(report["environments"][1]["path"].as_str().unwrap());
    let envs_dir = std::fs::canonicalize(root)
        .unwrap()
        .join(".wheelwatch/envs");
    assert_eq!(fallback_dir.parent(), Some(envs_dir.as_path()));
    let fallback_rel = fallback_dir
        .strip_prefix(std::fs::canonicalize(root).unwrap())
        .unwrap()
        .display()
        .to_string();
    let custom = ["python", "-c", "import wwfast; assert wwfast.VALUE == 42"];
    let imports = ["python", "-I", "-B", "-c", "import wwfast\nimport wwpure\n"];
    let mut imports_command = ok_command("imports", &imports, 3);
    imports_command["slowest_imports"] = json!("<slowest imports>");
    let environment = |role: &str, python: &str, path: &str, active: bool, reused: Value| {
        json!({
            "role": role, "python": python, "path": path, "active": active, "reused": reused,
            "commands": [imports_command.clone(), ok_command(&custom.join(" "), &custom, 3)],
        })
    };
    assert_eq!(
        normalize(report, root),
        json!({
            "schema_version": 1, "timestamp": "<time>", "tool_version": "<version>",
            "runs": 3, "warmup": 1, "timeout_s": 300.0, "seed": 0x005e_ed0f_b3c4_u64,
            "resamples": 10000,
            "environments": [
                environment("primary", "3.12", ".venv", true, Value::Null),
                environment("fallback", "3.11", &fallback_rel, false, json!(false)),
            ],
            "comparisons": [compared("imports"), compared(&custom.join(" "))],
        })
    );
    // The fallback really is a 3.11 environment with exactly the pins, beside the venv.
    let meta = std::fs::read_to_string(fallback_dir.join("wheelwatch-env.toml")).unwrap();
    assert!(
        meta.contains("standby = true") && meta.contains("role = \"fallback\""),
        "{meta}"
    );
    assert!(
        meta.contains("\"wwfast==1.0\"") && meta.contains("\"wwpure==2.0\""),
        "{meta}"
    );
    // The active venv: not a byte, not a timestamp changed.
    let after = (std::fs::read_link(&venv).unwrap(), snapshot(&venv_dir));
    assert_eq!(before, after, ".venv was changed");
    assert!(tagged(root).is_empty());

    // A command failing in the fallback only, and one that hangs there: reported per run,
    // the fallback environment reused, nothing left running.
    let fails = [
        "python",
        "-c",
        "import sys; sys.exit(3 if sys.version_info[:2] == (3, 11) else 0)",
    ];
    let hangs = [
        "python",
        "-c",
        "import sys, time; time.sleep(120 if sys.version_info[:2] == (3, 11) else 0)",
    ];
    let started = Instant::now();
    let mut args = vec!["--no-imports", "--runs", "2", "--timeout", "3", "--command"];
    args.extend(fails);
    args.extend([";", "--command"]);
    args.extend(hangs);
    let (code, report, stderr) = bench_json(root, &args);
    assert_eq!(code, 1, "a run failed: exit 1\n{stderr}");
    assert!(
        started.elapsed() < Duration::from_mins(1),
        "the hanging command was stopped at its timeout"
    );
    assert!(tagged(root).is_empty(), "children never outlive wheelwatch");
    let failed_run = json!({"status": "failed", "wall_s": "<n>", "cpu_s": "<n>",
        "peak_rss_kib": "<n>", "exit_code": 3, "signal": null, "detail": "exit code 3"});
    let timeout_run = json!({"status": "timeout", "wall_s": "<n>", "cpu_s": "<n>",
        "peak_rss_kib": "<n>", "exit_code": null, "signal": 9,
        "detail": "did not finish within 3s and was stopped"});
    let not_ok = |argv: &[&str], status: &str, error: &str, runs: Vec<Value>| {
        json!({
            "name": argv.join(" "), "argv": argv, "status": status, "error": error,
            "runs": runs, "runs_s": [], "median_s": null, "min_s": null, "max_s": null,
            "median_cpu_s": null, "peak_rss_kib": null,
        })
    };
    let not_compared = |argv: &[&str], primary: usize, fallback: usize| {
        json!({"command": argv.join(" "), "ratio": null, "ci_low": null, "ci_high": null,
            "confidence": 0.95, "outcome": "not_compared",
            "verdict": format!("not compared: it needs at least 2 successful runs in each \
                environment (primary 2 of 2, fallback 0 of {fallback})"),
            "cpu": null,
            "primary_runs": primary})
    };
    let mut expected_comparisons = vec![not_compared(&fails, 2, 2), not_compared(&hangs, 2, 1)];
    for c in &mut expected_comparisons {
        c.as_object_mut().unwrap().remove("primary_runs");
    }
    assert_eq!(
        normalize(report, root),
        json!({
            "schema_version": 1, "timestamp": "<time>", "tool_version": "<version>",
            "runs": 2, "warmup": 1, "timeout_s": 3.0, "seed": 0x005e_ed0f_b3c4_u64,
            "resamples": 10000,
            "environments": [
                {"role": "primary", "python": "3.12", "path": ".venv", "active": true,
                 "reused": null,
                 "commands": [ok_command(&fails.join(" "), &fails, 2),
                              ok_command(&hangs.join(" "), &hangs, 2)]},
                {"role": "fallback", "python": "3.11", "path": fallback_rel, "active": false,
                 "reused": true,
                 "commands": [
                    not_ok(&fails, "failed", "exit code 3", vec![failed_run; 2]),
                    // The warm-up timed out: the one run kept, no more attempted.
                    not_ok(&hangs, "timeout", "did not finish within 3s and was stopped",
                           vec![timeout_run]),
                 ]},
            ],
            "comparisons": expected_comparisons,
        })
    );
    let after = (std::fs::read_link(&venv).unwrap(), snapshot(&venv_dir));
    assert_eq!(before, after, ".venv was changed");

    // The history has both bench runs, each with its comparisons and a `bench` event.
    let conn = rusqlite::Connection::open(root.join(".wheelwatch/history.sqlite")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT r.command, b.command, b.primary_python, b.fallback_python, b.active_role, \
             b.runs, b.primary_ok, b.fallback_ok, b.ratio IS NOT NULL, b.outcome \
             FROM bench_results b JOIN runs r ON r.id = b.run_id ORDER BY b.run_id, b.pos",
        )
        .unwrap();
    let rows: Vec<String> = stmt
        .query_map([], |r| {
            Ok(format!(
                "{} | {} | {} | {} | {} | {} | {} | {} | {} | {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?.rsplit_once('.').unwrap().0,
                r.get::<_, String>(3)?.rsplit_once('.').unwrap().0,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, bool>(8)?,
                r.get::<_, String>(9)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let custom_name = custom.join(" ");
    assert_eq!(
        rows,
        [
            format!(
                "bench | imports | 3.12 | 3.11 | primary | 3 | 3 | 3 | true | {}",
                outcomes[0]
            ),
            format!(
                "bench | {custom_name} | 3.12 | 3.11 | primary | 3 | 3 | 3 | true | {}",
                outcomes[1]
            ),
            format!(
                "bench | {} | 3.12 | 3.11 | primary | 2 | 2 | 0 | false | not_compared",
                fails.join(" ")
            ),
            format!(
                "bench | {} | 3.12 | 3.11 | primary | 2 | 2 | 0 | false | not_compared",
                hangs.join(" ")
            ),
        ]
    );
    let events: Vec<(String, bool, String)> = conn
        .prepare(
            "SELECT kind, run_id IS NOT NULL, detail FROM events WHERE kind = 'bench' ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|(kind, tied, _)| kind == "bench" && *tied)
    );
    // The verdicts in words are the event's reason: what the dashboard's timeline shows.
    let first: Value = serde_json::from_str(&events[0].2).unwrap();
    assert_eq!(
        first["reason"].as_str().unwrap(),
        format!("imports: {}; {custom_name}: {}", verdicts[0], verdicts[1])
    );
    assert!(
        first["detail"]
            .as_str()
            .unwrap()
            .ends_with("(active: primary)"),
        "{first}"
    );

    // After a fallback the roles turn round: the active venv is the fallback's, and the
    // primary's environment is the one the venv ran before (same Python, same pins): reused.
    let (code, _, stderr) = run(ww(root).args(["fallback", "--to", "3.11"]));
    assert_eq!(code, 0, "{stderr}");
    let primary_rel = venv_dir
        .strip_prefix(std::fs::canonicalize(root).unwrap())
        .unwrap()
        .display()
        .to_string();
    let pass = ["python", "-c", "pass"];
    let mut args = vec!["--no-imports", "--runs", "2", "--command"];
    args.extend(pass);
    let (code, report, stderr) = bench_json(root, &args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        normalize(report, root),
        json!({
            "schema_version": 1, "timestamp": "<time>", "tool_version": "<version>",
            "runs": 2, "warmup": 1, "timeout_s": 300.0, "seed": 0x005e_ed0f_b3c4_u64,
            "resamples": 10000,
            "environments": [
                {"role": "primary", "python": "3.12", "path": primary_rel, "active": false,
                 "reused": true, "commands": [ok_command(&pass.join(" "), &pass, 2)]},
                {"role": "fallback", "python": "3.11", "path": ".venv", "active": true,
                 "reused": null, "commands": [ok_command(&pass.join(" "), &pass, 2)]},
            ],
            "comparisons": [compared(&pass.join(" "))],
        })
    );
}

/// A venv of the user's own (a real directory, 3.12, without the dependencies) stands for the
/// primary; the fallback is built beside it, and the venv is never touched.
#[test]
fn bench_leaves_the_users_own_venv_alone() {
    let (Some(_), Some((py312, _))) = (pyenv_python("3.11"), pyenv_python("3.12")) else {
        return skip("needs pyenv CPython 3.11 and 3.12 with venv and ensurepip");
    };
    // wwfast has a wheel for 3.11 only: the primary is unhealthy, the fallback healthy.
    let index = TestIndex::builder()
        .project("wwfast", |p| {
            p.wheel_with("1.0", &format!("cp311-cp311-{LINUX}"), |w| {
                w.module_source("VALUE = 42\n")
            })
        })
        .serve();
    let dir = venv_project(&index.url(), &py312, "wwfast==1.0\n");
    let root = dir.path();
    std::fs::write(root.join(".venv/USER_MARKER"), "mine").unwrap();
    let venv = root.join(".venv");
    let before = snapshot(&venv);
    let pass = ["python", "-c", "pass"];
    let mut args = vec!["--runs", "2", "--command"];
    args.extend(pass);
    let (code, report, stderr) = bench_json(root, &args);
    assert_eq!(code, 0, "{stderr}");
    let venv_shown = std::fs::canonicalize(root).unwrap().join(".venv");
    for line in [
        format!(
            "{} is not managed by wheelwatch and runs Python 3.12",
            venv_shown.display()
        ),
        "no module of the dependencies is installed in both environments: the import \
         benchmark is skipped"
            .to_string(),
        "not imported, as only one environment has them: wwfast".to_string(),
    ] {
        assert!(stderr.contains(&line), "{line}\nnot in:\n{stderr}");
    }
    let fallback = report["environments"][1]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let fallback_rel = fallback
        .strip_prefix(&format!(
            "{}/",
            std::fs::canonicalize(root).unwrap().display()
        ))
        .unwrap()
        .to_string();
    assert_eq!(
        normalize(report, root),
        json!({
            "schema_version": 1, "timestamp": "<time>", "tool_version": "<version>",
            "runs": 2, "warmup": 1, "timeout_s": 300.0, "seed": 0x005e_ed0f_b3c4_u64,
            "resamples": 10000,
            "environments": [
                {"role": "primary", "python": "3.12", "path": ".venv", "active": true,
                 "reused": null, "commands": [ok_command(&pass.join(" "), &pass, 2)]},
                {"role": "fallback", "python": "3.11", "path": fallback_rel, "active": false,
                 "reused": false, "commands": [ok_command(&pass.join(" "), &pass, 2)]},
            ],
            "comparisons": [compared(&pass.join(" "))],
        })
    );
    assert!(!venv.is_symlink());
    assert_eq!(before, snapshot(&venv), "the user's venv was changed");
    assert!(
        !root.join(".wheelwatch/state.toml").exists() || {
            let state = std::fs::read_to_string(root.join(".wheelwatch/state.toml")).unwrap();
            !state.contains("[active]")
        }
    );
}

#[test]
fn bench_refuses_an_empty_command_and_a_missing_venv() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wheelwatch.toml"),
        "[bench]\ncommands = [[]]\n",
    )
    .unwrap();
    let (code, _, stderr) = run(ww(dir.path()).args(["bench"]));
    assert_eq!(code, 2, "{stderr}");
    let config = dir.path().join("wheelwatch.toml");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: command 1 of {} (bench.commands) is empty: expected an argv such as \
             [\"pytest\", \"-q\"]",
            config.display()
        )
    );
    std::fs::write(
        dir.path().join("wheelwatch.toml"),
        "[bench]\ncommands = [[\"true\"]]\n",
    )
    .unwrap();
    let (code, _, stderr) = run(ww(dir.path()).args(["bench"]));
    assert_eq!(code, 2, "{stderr}");
    let venv = std::fs::canonicalize(dir.path()).unwrap().join(".venv");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: no virtual environment at {}: bench compares it with the other role's \
             environment (--venv PATH names another)",
            venv.display()
        )
    );
    std::fs::write(dir.path().join("wheelwatch.toml"), "[bench]\nrunz = 3\n").unwrap();
    let (code, _, stderr) = run(ww(dir.path()).args(["bench"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown field `runz`"), "{stderr}");
}
