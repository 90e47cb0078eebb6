//! Compatible-tags lists against the reference implementation (`packaging.tags`, driven by
//! tests/oracle/packaging_tags.py), and host platform detection against Python's own view.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use crate::common::python_with;
use wheelwatch::host::host_platform;
use wheelwatch::platform::Platform;
use wheelwatch::tags::Tags;
use wheelwatch::target::PythonSpec;

#[derive(serde::Deserialize)]
struct OracleAnswer {
    packaging: String,
    tags: BTreeMap<String, Vec<String>>,
}

const TARGETS: &[(&str, &str)] = &[
    ("3.8", "manylinux_2_17_x86_64"),
    ("3.12", "manylinux_2_17_x86_64"),
    ("3.12", "manylinux_2_28_aarch64"),
    ("3.13t", "manylinux_2_28_aarch64"),
    ("cp311", "musllinux_1_2_x86_64"),
    ("3.12", "musllinux_1_1_aarch64"),
    ("3.12", "macosx_11_0_arm64"),
    ("3.13t", "macosx_14_0_arm64"),
    ("3.8", "macosx_10_13_x86_64"),
    ("3.12", "macosx_14_0_x86_64"),
    ("3.12", "macosx_14_0_universal2"),
    ("3.11", "macosx_10_9_universal2"),
    ("3.12", "win_amd64"),
    ("3.13t", "win_amd64"),
    ("3.11", "win_arm64"),
    ("3.7", "win32"),
    ("3.12", "linux_x86_64"),
    ("3.10", "manylinux_2_5_i686"),
    ("3.12", "manylinux_2_31_armv7l"),
    ("3.13", "manylinux_2_39_riscv64"),
];

#[test]
fn tags_match_packaging_exactly() {
    let Some(python) = python_with("import packaging.tags") else {
        crate::common::skip(
            "no Python interpreter with `packaging` found (tried python3 and \
             ~/.pyenv/versions/3.1*/bin/python3); install it with `python3 -m pip install packaging`",
        );
        return;
    };
    let oracle = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/packaging_tags.py");
    let targets: Vec<(PythonSpec, Platform)> = TARGETS
        .iter()
        .map(|(py, plat)| (py.parse().expect(py), plat.parse().expect(plat)))
        .collect();
    let names: Vec<String> = targets
        .iter()
        .map(|(py, plat)| format!("{py}@{plat}"))
        .collect();
    let out = Command::new(&python)
        .arg(&oracle)
        .args(&names)
        .output()
        .expect("run the oracle");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: OracleAnswer = serde_json::from_slice(&out.stdout).expect("oracle prints JSON");
    // packaging 26.3 moved native `linux_*` tags ahead of manylinux/musllinux; we follow the
    // current order, so an older packaging cannot serve as the reference.
    let version: Vec<u32> = answer
        .packaging
        .split('.')
        .map_while(|p| p.parse().ok())
        .collect();
    if version < vec![26, 3] {
        crate::common::skip(format!(
            "{} has packaging {}, older than the 26.3 reference order; install a \
             current one with `python3 -m pip install -U packaging`",
            python.display(),
            answer.packaging
        ));
        return;
    }
    let expected = answer.tags;
    let answer_version = answer.packaging;
    for ((py, plat), name) in targets.iter().zip(&names) {
        let ours: Vec<String> = Tags::new(py, plat)
            .iter()
            .map(|(p, a, s)| format!("{p}-{a}-{s}"))
            .collect();
        let theirs = &expected[name];
        if &ours != theirs {
            let first = ours.iter().zip(theirs).position(|(a, b)| a != b);
            panic!(
                "{name} (packaging {}): {} tags vs packaging's {}; first difference at {first:?}: ours {:?}, packaging {:?}",
                answer_version,
                ours.len(),
                theirs.len(),
                first.map(|i| &ours[i]),
                first.map(|i| &theirs[i]),
            );
        }
    }
    eprintln!(
        "compared {} targets with packaging {answer_version}",
        targets.len()
    );
}

#[test]
#[cfg(target_os = "linux")]
fn host_is_manylinux_with_the_glibc_python_reports() {
    let Some(python) = python_with("import platform; assert platform.libc_ver()[0]") else {
        crate::common::skip("no working Python interpreter to ask for platform.libc_ver()");
        return;
    };
    let out = Command::new(&python)
        .args(["-c", "import platform; print(*platform.libc_ver())"])
        .output()
        .expect("run python");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let (lib, version) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let host = host_platform().expect("host platform");
    match lib {
        "glibc" => {
            let (major, minor) = version.split_once('.').expect("X.Y");
            let arch = std::env::consts::ARCH;
            assert_eq!(
                host.to_string(),
                format!("manylinux_{major}_{minor}_{arch}")
            );
        }
        other => {
            crate::common::skip(format!(
                "Python reports libc `{other}` (not glibc); host is {host}"
            ));
        }
    }
}

/// `tags --python` probes the interpreter; on this machine it must agree with the list
/// computed for the same version on the detected host platform.
#[test]
fn probed_tags_agree_with_computed_tags_on_this_host() {
    let Some((python, _)) = crate::common::pyenv_python("3.12") else {
        crate::common::skip("no pyenv CPython 3.12 to probe");
        return;
    };
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wheelwatch"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let probed = run(&["tags", "--python", python.to_str().unwrap()]);
    let computed = run(&["tags", "--target", "3.12"]);
    assert!(probed.lines().count() > 100, "{probed}");
    assert_eq!(probed, computed);
}
