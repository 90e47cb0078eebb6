//! `wheelwatch check` over whole dependency trees: the real binary against the local test index
//! (real wheels and sdists, `.metadata` files, range requests). Covers diamonds, conflicts,
//! extras, per-target markers, cycles, a blocker three levels deep, a wheel-only downgrade,
//! metadata only inside the wheel, sdist-only leaves, shared fetches, failures, `--no-deps`,
//! `--lock-dir` and lock-file inputs; and agreement with pip's own resolver.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::check::{json, run, validate, write, ww};
use crate::common::{CoreMetadata, FileSpec, TestIndex};

const X86: &str = "manylinux_2_17_x86_64.manylinux2014_x86_64";
const ARM: &str = "manylinux_2_17_aarch64.manylinux2014_aarch64";

fn check(dir: &Path, index: &TestIndex, args: &[&str]) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(ww(dir)
        .arg("check")
        .args(args)
        .args(["--format", "json", "--index-url"])
        .arg(index.url()));
    assert!(!stdout.is_empty(), "no report (exit {code}): {stderr}");
    let report = json(&stdout);
    validate(&report);
    (code, report, stderr)
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect()
}

fn entry<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {list:#}"))
}

fn paths(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect()
}

/// app → a → b → c: c only builds from source on 3.12; also app → other → native (never a
/// wheel). Both are reported, each with its path, and c's newest wheel.
fn deep_blockers_index() -> TestIndex {
    TestIndex::builder()
        .project("app", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.requires_dist("a").requires_dist("other>=1")
            })
        })
        .project("a", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("b"))
        })
        .project("b", |p| {
            p.wheel_with("2.0", "py3-none-any", |w| w.requires_dist("c==3.0"))
        })
        .project("c", |p| {
            p.wheel("2.0", &format!("cp312-cp312-{X86}"))
                .wheel("3.0", &format!("cp311-cp311-{X86}"))
                .sdist("3.0")
        })
        .project("other", |p| {
            p.wheel_with("1.5", "py3-none-any", |w| w.requires_dist("native"))
        })
        .project("native", |p| p.sdist("0.9"))
        .serve()
}

#[test]
fn every_blocker_with_its_path_and_newest_wheel() {
    let index = deep_blockers_index();
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = check(
        dir.path(),
        &index,
        &[
            "-p",
            "app",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["dependencies"], "resolved");
    let t = &report["targets"][0];
    // The direct view alone would call this healthy: app has a wheel.
    assert_eq!(t["counts"]["wheel"], 1);
    assert_eq!(t["healthy"], false);
    assert_eq!(t["resolution"]["wheel_only_exists"], false);
    let blockers = &t["blockers"];
    assert_eq!(names(blockers), ["c 3.0", "native 0.9"]);
    let c = entry(blockers, "c");
    assert_eq!(paths(&c["paths"]), ["app → a → b → c"]);
    assert_eq!(c["newest_with_wheel"], "2.0");
    insta::assert_snapshot!("deep_blockers_c_reason", c["reason"].as_str().unwrap());
    let native = entry(blockers, "native");
    assert_eq!(paths(&native["paths"]), ["app → other → native"]);
    assert_eq!(native["newest_with_wheel"], Value::Null);
    // The default resolution builds exactly the two blockers.
    let default = &t["resolution"]["default"];
    assert_eq!(
        names(default),
        [
            "a 1.0",
            "app 1.0",
            "b 2.0",
            "c 3.0",
            "native 0.9",
            "other 1.5"
        ]
    );
    assert_eq!(entry(default, "c")["status"], "sdist_only");
    assert_eq!(entry(default, "a")["status"], "wheel");
    assert_eq!(
        entry(default, "a")["wheel"],
        "a-1.0-py3-none-any.whl",
        "{default:#}"
    );
    // On 3.11 only native blocks; nothing is healthy, and the reason names the paths.
    let t311 = &report["targets"][1];
    assert_eq!(names(&t311["blockers"]), ["native 0.9"]);
    assert_eq!(report["verdict"], "complete_failure");
    let reason = report["fallback_reason"].as_str().unwrap();
    insta::assert_snapshot!("deep_blockers_fallback_reason", reason);

    // The table says the same, per target, with paths.
    let (_, table, _) = run(ww(dir.path())
        .args([
            "check",
            "-p",
            "app",
            "--python",
            "3.12@linux",
            "--index-url",
        ])
        .arg(index.url()));
    insta::assert_snapshot!(
        "deep_blockers_table",
        table.replace(&index.base_url(), "<index>")
    );
    let (_, markdown, _) = run(ww(dir.path())
        .args([
            "check",
            "-p",
            "app",
            "--python",
            "3.12@linux",
            "--format",
            "markdown",
        ])
        .arg("--index-url")
        .arg(index.url()));
    insta::assert_snapshot!(
        "deep_blockers_markdown",
        markdown.replace(&index.base_url(), "<index>")
    );
}

#[test]
fn wheel_only_downgrade_is_healthy_and_says_why() {
    let index = TestIndex::builder()
        .project("lib", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("numpy>=2"))
        })
        .project("numpy", |p| {
            p.wheel("2.2.6", &format!("cp312-cp312-{X86}"))
                .wheel("2.2.6", &format!("cp312-cp312-{ARM}"))
                .sdist("2.2.6")
                .wheel("2.5.5", &format!("cp312-cp312-{X86}"))
                .sdist("2.5.5")
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = check(
        dir.path(),
        &index,
        &[
            "-p",
            "lib",
            "--python",
            "3.12@linux-aarch64",
            "--target",
            "3.12@linux",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let arm = &report["targets"][0];
    assert_eq!(arm["healthy"], true);
    assert_eq!(arm["resolution"]["wheel_only_exists"], true);
    let default = &arm["resolution"]["default"];
    assert_eq!(entry(default, "numpy")["version"], "2.5.5");
    assert_eq!(entry(default, "numpy")["status"], "sdist_only");
    let wheel_only = &arm["resolution"]["wheel_only"];
    assert_eq!(entry(wheel_only, "numpy")["version"], "2.2.6");
    assert_eq!(
        entry(wheel_only, "numpy")["wheel"],
        format!("numpy-2.2.6-cp312-cp312-{ARM}.whl")
    );
    assert_eq!(
        paths(&entry(wheel_only, "numpy")["required_by"]),
        ["lib → numpy"]
    );
    let d = &arm["downgrades"][0];
    assert_eq!(d["name"], "numpy");
    assert_eq!(d["from"], "2.5.5");
    assert_eq!(d["to"], "2.2.6");
    assert_eq!(d["reason"], "2.5.5 has no wheel for manylinux_2_28_aarch64");
    // x86_64 has 2.5.5's wheel: no downgrade there.
    let x86 = &report["targets"][1];
    assert_eq!(x86["downgrades"], serde_json::json!([]));
    assert_eq!(
        entry(&x86["resolution"]["wheel_only"], "numpy")["version"],
        "2.5.5"
    );
    assert!(
        report["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r
                .as_str()
                .unwrap()
                .contains("a default install builds numpy 2.5.5")),
        "{:#}",
        report["recommendations"]
    );
}

#[test]
fn diamonds_cycles_extras_and_per_target_markers() {
    let index = TestIndex::builder()
        .project("top", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.requires_dist("left")
                    .requires_dist("right")
                    .requires_dist("winonly; sys_platform == 'win32'")
                    .requires_dist("old-py; python_version < '3.12'")
                    .requires_dist("plugin[fast]")
            })
        })
        .project("left", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("shared>=1"))
        })
        .project("right", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("shared<2"))
        })
        .project("shared", |p| {
            p.wheel("1.5", "py3-none-any").wheel("2.0", "py3-none-any")
        })
        .project("winonly", |p| p.sdist("1.0"))
        .project("old-py", |p| p.wheel("1.0", "py3-none-any"))
        .project("plugin", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.provides_extra("fast")
                    .requires_dist("speedups; extra == 'fast'")
                    .requires_dist("cycle-a")
            })
        })
        .project("speedups", |p| p.wheel("0.3", "py3-none-any"))
        .project("cycle-a", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("cycle-b"))
        })
        .project("cycle-b", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("cycle-a"))
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = check(
        dir.path(),
        &index,
        &[
            "-p",
            "top",
            "--python",
            "3.12@linux",
            "--target",
            "3.11@windows",
        ],
    );
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    let linux = &report["targets"][0];
    let wheel_only = &linux["resolution"]["wheel_only"];
    assert_eq!(
        names(wheel_only),
        [
            "cycle-a 1.0",
            "cycle-b 1.0",
            "left 1.0",
            "plugin 1.0",
            "right 1.0",
            "shared 1.5",
            "speedups 0.3",
            "top 1.0"
        ]
    );
    assert_eq!(linux["healthy"], true);
    assert_eq!(
        entry(wheel_only, "plugin")["extras"],
        serde_json::json!(["fast"])
    );
    assert_eq!(
        paths(&entry(wheel_only, "shared")["required_by"]),
        ["top → left → shared", "top → right → shared"]
    );
    // Windows on 3.11: old-py comes in, and winonly, which only has an sdist, blocks.
    let windows = &report["targets"][1];
    assert_eq!(windows["healthy"], false);
    assert!(names(&windows["resolution"]["default"]).contains(&"old-py 1.0".to_string()));
    assert_eq!(names(&windows["blockers"]), ["winonly 1.0"]);
    assert_eq!(paths(&windows["blockers"][0]["paths"]), ["top → winonly"]);
    // Its sdist's PKG-INFO (Metadata-Version 2.1) does not declare its dependencies.
    assert_eq!(
        entry(&windows["resolution"]["default"], "winonly")["dependencies_unknown"],
        true
    );
}

#[test]
fn conflicts_get_the_solvers_explanation() {
    let index = TestIndex::builder()
        .project("one", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("base>=2"))
        })
        .project("two", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("base<2"))
        })
        .project("base", |p| {
            p.wheel("1.0", "py3-none-any").wheel("2.0", "py3-none-any")
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let (code, report, _) = check(
        dir.path(),
        &index,
        &["-p", "one", "-p", "two", "--python", "3.12@linux"],
    );
    assert_eq!(code, 1);
    let t = &report["targets"][0];
    assert_eq!(t["healthy"], false);
    let conflict = t["resolution"]["conflict"].as_str().unwrap();
    insta::assert_snapshot!("conflict_explanation", conflict);
    assert_eq!(t["resolution"]["default"], serde_json::json!([]));
    insta::assert_snapshot!(
        "conflict_fallback_reason",
        report["fallback_reason"].as_str().unwrap()
    );
}

#[test]
fn metadata_from_range_requests_and_shared_across_targets_and_runs() {
    // No PEP 658 file anywhere: the wheels' METADATA is read with range requests.
    let index = TestIndex::builder()
        .project("app", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.requires_dist("dep").core_metadata(CoreMetadata::Absent)
            })
        })
        .project("dep", |p| {
            p.wheel_with("2.0", "py3-none-any", |w| {
                w.requires_dist("leaf").core_metadata(CoreMetadata::Absent)
            })
        })
        .project("leaf", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.core_metadata(CoreMetadata::Absent)
            })
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "-p",
        "app",
        "--python",
        "3.12@linux",
        "--fallback",
        "3.11@linux",
        "--target",
        "3.13@linux-aarch64",
        "--target",
        "3.12@macos",
    ];
    let (code, report, stderr) = check(dir.path(), &index, &args);
    assert_eq!(code, 0, "{stderr}");
    for t in report["targets"].as_array().unwrap() {
        assert_eq!(
            names(&t["resolution"]["wheel_only"]),
            ["app 1.0", "dep 2.0", "leaf 1.0"]
        );
    }
    let log = index.request_log();
    assert!(
        log.iter().any(|r| r.range.is_some()),
        "no range request: {log:#?}"
    );
    // Four targets, one page request per project.
    assert_eq!(index.page_requests(), 3, "{log:#?}");
    // Each wheel's METADATA is read once for all targets (ranges only: no .metadata request).
    for project in ["app", "dep", "leaf"] {
        let file_requests = log
            .iter()
            .filter(|r| r.path.contains(&format!("/{project}-")) && r.range.is_some())
            .count();
        assert!(
            (1..=3).contains(&file_requests),
            "{project}: {file_requests} range requests"
        );
    }
    let whole_downloads = log
        .iter()
        .filter(|r| {
            Path::new(&r.path)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("whl"))
                && r.range.is_none()
                && r.method == "GET"
        })
        .count();
    assert_eq!(whole_downloads, 0, "{log:#?}");
    assert!(
        !log.iter().any(|r| r.path.ends_with(".metadata")),
        "no page advertises core metadata: {log:#?}"
    );

    // A second run with the same cache makes no request at all.
    index.clear_log();
    let (code, second, _) = check(dir.path(), &index, &args);
    assert_eq!(code, 0);
    assert_eq!(second["stats"]["requests"], 0);
    assert!(index.request_log().is_empty(), "{:#?}", index.request_log());
}

#[test]
fn a_failed_transitive_lookup_is_no_answer_not_a_missing_wheel() {
    let index = TestIndex::builder()
        .project("app", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("dep"))
        })
        .project("dep", |p| p.wheel("1.0", "py3-none-any").status(503))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let (code, report, _) = check(
        dir.path(),
        &index,
        &[
            "-p",
            "app",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
        ],
    );
    assert_eq!(report["verdict"], "assessment_failed");
    assert_eq!(report["fallback_required"], false);
    assert_ne!(code, 0);
    assert_ne!(
        code, 1,
        "an unanswered check must not look like an unhealthy one"
    );
    let error = report["targets"][0]["resolution"]["error"]
        .as_str()
        .unwrap();
    insta::assert_snapshot!(
        "unanswered_lookup_error",
        error.replace(&index.base_url(), "<index>")
    );
    assert_eq!(report["targets"][0]["blockers"], serde_json::json!([]));
}

#[test]
fn no_deps_keeps_the_direct_view() {
    let index = deep_blockers_index();
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = check(
        dir.path(),
        &index,
        &["-p", "app", "--python", "3.12@linux", "--no-deps"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["dependencies"], "direct_only");
    assert_eq!(report["targets"][0]["resolution"], Value::Null);
    assert_eq!(report["targets"][0]["healthy"], true);
    // Only app's page was needed.
    assert_eq!(index.page_requests(), 1);
}

#[test]
fn lock_dir_writes_the_wheel_only_resolution() {
    let index = TestIndex::builder()
        .project("lib", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("numpy>=2"))
        })
        .project("numpy", |p| {
            p.wheel("2.2.6", &format!("cp312-cp312-{ARM}"))
                .wheel("2.2.6", &format!("cp312-cp312-{X86}"))
                .sdist("2.5.5")
        })
        .project("blocked", |p| p.sdist("1.0"))
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let locks = dir.path().join("locks");
    let (code, report, stderr) = check(
        dir.path(),
        &index,
        &[
            "-p",
            "lib",
            "-p",
            "blocked; python_version < '3.12'",
            "--python",
            "3.12@linux-aarch64",
            "--fallback",
            "3.11@linux",
            "--lock-dir",
            locks.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["targets"][0]["healthy"], true);
    let pylock = std::fs::read_to_string(locks.join("pylock.cp312-manylinux_2_28_aarch64.toml"))
        .expect("lock written");
    let lock: toml::Table = toml::from_str(&pylock).expect("valid TOML");
    assert_eq!(lock["lock-version"].as_str(), Some("1.0"));
    let packages = lock["packages"].as_array().unwrap();
    let pinned: Vec<String> = packages
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(pinned, ["lib 1.0", "numpy 2.2.6"]);
    let wheel = &packages[1]["wheels"][0];
    assert_eq!(
        wheel["name"].as_str(),
        Some(format!("numpy-2.2.6-cp312-cp312-{ARM}.whl").as_str())
    );
    let file = index
        .file(wheel["name"].as_str().unwrap())
        .expect("served file");
    assert_eq!(
        wheel["hashes"]["sha256"].as_str(),
        Some(crate::common::artifacts::sha256_hex(&file.bytes).as_str())
    );
    assert!(wheel["url"].as_str().unwrap().starts_with("http://"));
    let constraints =
        std::fs::read_to_string(locks.join("constraints.cp312-manylinux_2_28_aarch64.txt"))
            .unwrap();
    assert!(
        constraints.lines().any(|l| l == "numpy==2.2.6"),
        "{constraints}"
    );
    assert!(
        constraints.lines().any(|l| l == "lib==1.0"),
        "{constraints}"
    );
    // The lock reads back as a pinned set that installs from wheels there.
    let (code, relocked, stderr) = check(
        dir.path(),
        &index,
        &[
            locks
                .join("pylock.cp312-manylinux_2_28_aarch64.toml")
                .to_str()
                .unwrap(),
            "--python",
            "3.12@linux-aarch64",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(relocked["dependencies"], "locked");
    assert_eq!(relocked["targets"][0]["counts"]["wheel"], 2);
    // 3.11 has no wheel-only resolution (blocked needs a build): no lock for it.
    assert!(
        !locks
            .join("pylock.cp311-manylinux_2_28_x86_64.toml")
            .exists()
    );
}

#[test]
fn lock_files_are_checked_as_pinned_sets() {
    let index = TestIndex::builder()
        .project("lib", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("numpy>=2"))
        })
        .project("numpy", |p| {
            p.wheel("2.2.6", &format!("cp312-cp312-{X86}"))
                .sdist("2.5.5")
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let mut lock = String::from("lock-version = \"1.0\"\ncreated-by = \"test\"\n");
    for (name, version, file) in [
        ("lib", "1.0", "lib-1.0-py3-none-any.whl".to_string()),
        (
            "numpy",
            "2.2.6",
            format!("numpy-2.2.6-cp312-cp312-{X86}.whl"),
        ),
    ] {
        let sha = &index.file(&file).expect("served").sha256;
        let _ = write!(
            lock,
            "\n[[packages]]\nname = \"{name}\"\nversion = \"{version}\"\n\
             wheels = [{{ name = \"{file}\", url = \"{}\", hashes = {{ sha256 = \"{sha}\" }} }}]\n",
            index.file_url(&file)
        );
    }
    write(dir.path(), "pylock.toml", &lock);
    let (code, report, stderr) = check(
        dir.path(),
        &index,
        &["pylock.toml", "--python", "3.12@linux"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["dependencies"], "locked");
    assert_eq!(report["targets"][0]["resolution"], Value::Null);
    assert_eq!(report["targets"][0]["counts"]["wheel"], 2);
    assert_eq!(report["targets"][0]["healthy"], true);
}

/// A pyenv interpreter with pip ≥ 23 (for `--dry-run --report`), or `None`.
fn pip_python() -> Option<std::path::PathBuf> {
    let mut candidates: Vec<std::path::PathBuf> = crate::common::pyenv_pythons()
        .into_iter()
        .map(|(_, python)| python)
        .collect();
    // Prefer 3.12 (the target below), so markers pip evaluates against the running
    // interpreter agree with the target's.
    candidates.sort_by_key(|p| !p.to_string_lossy().contains("/3.12"));
    candidates.into_iter().find(|python| {
        std::process::Command::new(python)
            .args([
                "-c",
                "import pip,sys; sys.exit(0 if int(pip.__version__.split('.')[0]) >= 23 else 1)",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn wheel_only_resolution_agrees_with_pip() {
    let Some(python) = pip_python() else {
        crate::common::skip("no pyenv interpreter with pip >= 23 for the pip agreement test");
        return;
    };
    let index = TestIndex::builder()
        .project("app", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.requires_dist("lib>=1")
                    .requires_dist("util")
                    .requires_dist("extra-pkg[feat]")
                    .requires_dist("never-here; python_version < '3.8'")
            })
        })
        // 2.0 has no wheel for 3.12: wheel-only takes 1.5.
        .project("lib", |p| {
            p.wheel_with("1.5", "py3-none-any", |w| w.requires_dist("shared<1.1"))
                .wheel_with("1.6", "py3-none-any", |w| w.yanked("broken"))
                .wheel("2.0", &format!("cp311-cp311-{X86}"))
                .sdist("2.0")
        })
        // 3.1 needs glibc 2.34; the target has 2.28.
        .project("util", |p| {
            p.wheel_with("3.0", &format!("cp312-cp312-{X86}"), |w| {
                w.requires_dist("shared")
            })
            .wheel_with("3.1", "cp312-cp312-manylinux_2_34_x86_64", |w| {
                w.requires_dist("shared")
            })
            .sdist("3.1")
        })
        // A pre-release and a yanked release, both passed over.
        .project("shared", |p| {
            p.wheel("1.0", "py3-none-any")
                .wheel("1.1", "py3-none-any")
                .wheel("1.2rc1", "py3-none-any")
        })
        .project("extra-pkg", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.provides_extra("feat")
                    .requires_dist("feature-dep>=2; extra == 'feat'")
            })
        })
        // 2.1 requires Python 3.13.
        .project("feature-dep", |p| {
            p.wheel("2.0", "py3-none-any")
                .wheel_with("2.1", "py3-none-any", |w| w.requires_python(">=3.13"))
        })
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let (_, report, stderr) = check(dir.path(), &index, &["-p", "app", "--python", "3.12@linux"]);
    let ours: std::collections::BTreeMap<String, String> =
        report["targets"][0]["resolution"]["wheel_only"]
            .as_array()
            .unwrap_or_else(|| panic!("{stderr}"))
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["version"].as_str().unwrap().to_string(),
                )
            })
            .collect();

    // pip needs every platform tag of the target as its own --platform.
    let (_, tags, _) = run(ww(dir.path()).args(["tags", "--target", "3.12@linux"]));
    let mut platforms: Vec<&str> = tags
        .lines()
        .filter_map(|t| t.rsplit('-').next())
        .filter(|p| *p != "any")
        .collect();
    platforms.dedup();
    platforms.sort_unstable();
    platforms.dedup();
    let target_dir = dir.path().join("pip-target");
    let mut pip = std::process::Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--only-binary=:all:",
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--abi",
        "cp312",
        "--abi",
        "abi3",
        "--abi",
        "none",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--quiet",
        "--report",
        "-",
        "--index-url",
    ])
    .arg(index.url())
    .arg("--target")
    .arg(&target_dir);
    for p in &platforms {
        pip.args(["--platform", p]);
    }
    pip.arg("app")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL");
    let output = pip.output().expect("run pip");
    assert!(
        output.status.success(),
        "pip failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pip_report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "pip's report is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let theirs: std::collections::BTreeMap<String, String> = pip_report["install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .replace(['_', '.'], "-"),
                i["metadata"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(ours, theirs, "wheelwatch (left) and pip (right) disagree");
    // And the fixture exercised what it claims to.
    assert_eq!(ours["lib"], "1.5");
    assert_eq!(ours["util"], "3.0");
    assert_eq!(ours["feature-dep"], "2.0");
    assert_eq!(ours["shared"], "1.0");
}

/// Not a test: figures. A synthetic tree shaped like the runbook's set (9 direct requirements,
/// 60 projects, three levels, native packages with per-platform wheels, 4 versions each) on an
/// index answering after 20 ms, resolved on 6 targets, cold then warm. Prints the timings; run
/// with `cargo test --test it bench_ -- --ignored --nocapture` (a release build of the binary
/// gives the real figures; scripts/bench.sh compares with uv and pip on the public index).
#[test]
#[ignore = "benchmark: prints figures, asserts nothing about time"]
fn bench_six_targets_synthetic() {
    let platforms = [
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "manylinux_2_17_aarch64.manylinux2014_aarch64",
        "macosx_11_0_arm64",
        "win_amd64",
    ];
    let mut builder = TestIndex::builder().delay(std::time::Duration::from_millis(20));
    let roots = 9;
    let mut all = Vec::new();
    for r in 0..roots {
        let root = format!("root{r}");
        let mids: Vec<String> = (0..3).map(|m| format!("mid{}", (r * 2 + m) % 18)).collect();
        all.push((root, mids));
    }
    for m in 0..18 {
        let leaves: Vec<String> = (0..3)
            .map(|l| format!("leaf{}", (m * 2 + l) % 33))
            .collect();
        all.push((format!("mid{m}"), leaves));
    }
    for l in 0..33 {
        all.push((format!("leaf{l}"), Vec::new()));
    }
    for (i, (name, deps)) in all.iter().enumerate() {
        let native = i % 3 == 0;
        let deps = deps.clone();
        builder = builder.project(name, |mut p| {
            for v in ["1.0", "1.1", "2.0", "2.1"] {
                let with_deps = |mut w: crate::common::FileSpec| {
                    for d in &deps {
                        w = w.requires_dist(&format!("{d}>=1"));
                    }
                    w
                };
                if native {
                    for py in ["cp311", "cp312", "cp313"] {
                        for plat in platforms {
                            p = p.wheel_with(v, &format!("{py}-{py}-{plat}"), with_deps);
                        }
                    }
                } else {
                    p = p.wheel_with(v, "py3-none-any", with_deps);
                }
                p = p.sdist_with(v, with_deps);
            }
            p
        });
    }
    let index = builder.serve();
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = Vec::new();
    for r in 0..roots {
        args.extend(["-p".to_string(), format!("root{r}")]);
    }
    args.extend(
        [
            "--python",
            "3.12@linux",
            "--target",
            "3.12@linux-aarch64",
            "--target",
            "3.13@linux",
            "--target",
            "3.11@linux",
            "--target",
            "3.12@macos",
            "--target",
            "3.12@windows",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let (_, cold, _) = check(dir.path(), &index, &args);
    let cold_ms = started.elapsed().as_millis();
    let started = std::time::Instant::now();
    let (_, warm, _) = check(dir.path(), &index, &args);
    let warm_ms = started.elapsed().as_millis();
    let tree = cold["targets"][0]["resolution"]["wheel_only"]
        .as_array()
        .map_or(0, Vec::len);
    eprintln!(
        "synthetic, 6 targets, {} projects ({tree} in the tree), 20 ms per request:\n  \
         cold: {cold_ms} ms wall ({} ms in-process, {} requests)\n  \
         warm: {warm_ms} ms wall ({} ms in-process, {} requests)",
        cold["stats"]["projects"],
        cold["stats"]["elapsed_ms"],
        cold["stats"]["requests"],
        warm["stats"]["elapsed_ms"],
        warm["stats"]["requests"],
    );
}

/// The report with what differs from run to run (time, counters) taken out.
fn stable(report: &Value) -> Value {
    let mut report = report.clone();
    report["timestamp"] = Value::Null;
    report["stats"] = Value::Null;
    report
}

/// A warm check takes each target's resolution from the cache while every listing it read is
/// unchanged in the page cache, with the same report; when a listing changes (here: a wheel
/// appears and the page is revalidated), that target is resolved again, and the new answer is
/// the one reused next time. Other requirements are another resolution.
#[test]
fn warm_checks_reuse_resolutions_until_a_listing_changes() {
    let index = TestIndex::builder()
        .project("app", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("lib>=1"))
        })
        .project("lib", |p| p.sdist("1.0"))
        .etag()
        .serve();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "-p",
        "app",
        "--python",
        "3.12@linux",
        "--fallback",
        "3.11@linux",
        "-v",
    ];
    let reused = |stderr: &str| {
        stderr
            .lines()
            .filter(|l| l.ends_with("resolution reused from the cache"))
            .count()
    };

    let (code, cold, stderr) = check(dir.path(), &index, &args);
    assert_eq!(code, 1, "lib builds from source everywhere: {stderr}");
    assert_eq!(reused(&stderr), 0, "{stderr}");
    assert_eq!(names(&cold["targets"][0]["blockers"]), ["lib 1.0"]);

    let (code, warm, stderr) = check(dir.path(), &index, &args);
    assert_eq!(code, 1);
    assert_eq!(reused(&stderr), 2, "both targets reused: {stderr}");
    assert!(
        stderr.contains("direct requirements: every target's view reused from the cache"),
        "{stderr}"
    );
    assert_eq!(stable(&warm), stable(&cold));
    assert_eq!(warm["stats"]["projects"], cold["stats"]["projects"]);
    assert_eq!(warm["stats"]["requests"], 0);

    // Another requirement set is another resolution.
    let (_, other, stderr) = check(
        dir.path(),
        &index,
        &["-p", "app", "-p", "lib", "--python", "3.12@linux", "-v"],
    );
    assert_eq!(reused(&stderr), 0, "{stderr}");
    assert_eq!(other["targets"][0]["packages"].as_array().unwrap().len(), 2);

    // lib gets a wheel; the pages are revalidated (max age 0) and lib's listing changed.
    index.add_file("lib", FileSpec::wheel("lib", "1.0", "py3-none-any"));
    let (code, changed, stderr) = run(ww(dir.path())
        .env("WHEELWATCH_CACHE_MAX_AGE", "0")
        .arg("check")
        .args(args)
        .args(["--format", "json", "--index-url"])
        .arg(index.url()));
    assert_eq!(code, 0, "lib now installs from a wheel: {stderr}");
    assert_eq!(reused(&stderr), 0, "{stderr}");
    // Stale pages (max age 0) are never reused, not even app's unchanged one.
    assert!(!stderr.contains("view reused"), "{stderr}");
    let changed = json(&changed);
    assert_eq!(changed["targets"][0]["blockers"], Value::Array(Vec::new()));

    // Fresh again: the new resolution is the one reused.
    let (code, again, stderr) = check(dir.path(), &index, &args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(reused(&stderr), 2, "{stderr}");
    assert_eq!(stable(&again), stable(&changed));

    // Without the cache nothing is reused, and the answer is the same.
    let (code, uncached, stderr) = check(
        dir.path(),
        &index,
        &[
            "-p",
            "app",
            "--python",
            "3.12@linux",
            "--fallback",
            "3.11@linux",
            "-v",
            "--no-cache",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(reused(&stderr), 0, "{stderr}");
    assert_eq!(stable(&uncached), stable(&changed));
}
