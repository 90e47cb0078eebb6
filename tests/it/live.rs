//! The one opt-in test against the public index: `#[ignore]`d unless the tests are built with
//! `WHEELWATCH_LIVE=1` (`build.rs` turns that into the `wheelwatch_live` cfg): the runbook's real case,
//! `numpy==1.24.4`, which has no wheel for CPython 3.12 but has one for 3.11 on manylinux x86_64.

use std::process::Command;

#[test]
#[cfg_attr(
    not(wheelwatch_live),
    ignore = "talks to the public index: build and run with WHEELWATCH_LIVE=1"
)]
fn numpy_1_24_4_needs_the_fallback_on_the_public_index() {
    let cache = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_wheelwatch"))
        .args([
            "check",
            "-p",
            "numpy==1.24.4",
            "--python",
            "3.12@manylinux_2_17_x86_64",
        ])
        .args([
            "--fallback",
            "3.11@manylinux_2_17_x86_64",
            "--format",
            "json",
        ])
        .env("WHEELWATCH_CACHE_DIR", cache.path())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["verdict"], "fallback_available");
    assert_eq!(report["recommended_fallback"], "3.11@manylinux_2_17_x86_64");
    let primary = &report["targets"][0]["packages"][0];
    assert_eq!(primary["status"], "sdist_only");
    assert_eq!(primary["version"], "1.24.4");
    let fallback = &report["targets"][1]["packages"][0];
    assert_eq!(fallback["status"], "wheel");
    assert_eq!(
        fallback["wheel"],
        "numpy-1.24.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    );
}
