//! `check --lock-dir DIR`: each target's wheel-only resolution written as `pylock.<target>.toml`
//! (PEP 751) and as a pinned constraints file `constraints.<target>.txt`, so a fallback installs
//! exactly what was assessed. `<target>` is `cp312-manylinux_2_28_x86_64` (PEP 751 lock names
//! may not contain dots). A target without a wheel-only resolution gets no files (and stale
//! ones from an earlier run are removed, so nothing installs an outdated assessment); a target
//! whose resolution failed (network) keeps whatever lock it had, since nothing was concluded.
//!
//! Not owned here: the resolution, or reading lock files (see [`crate::requirements::lock`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::Serialize;

use super::source::Shared;
use crate::resolve::{Analysis, Resolution};
use crate::target::Target;
use crate::util::fs::{Durability, write_atomic};

/// The file-name stem of a target's lock: `cp313t-manylinux_2_28_aarch64`.
pub(crate) fn lock_name(target: &Target) -> String {
    let raw = format!(
        "{}{}-{}",
        target.python.interpreter_tag(),
        if target.python.free_threaded { "t" } else { "" },
        target.platform
    );
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct PyLock {
    lock_version: &'static str,
    created_by: &'static str,
    requires_python: String,
    environments: Vec<String>,
    packages: Vec<LockPackage>,
}

#[derive(Serialize)]
struct LockPackage {
    name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<String>,
    wheels: Vec<LockWheel>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct LockWheel {
    name: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    upload_time: Option<toml::value::Datetime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    hashes: std::collections::BTreeMap<String, String>,
}

/// The PEP 751 text of one target's wheel-only resolution. `index` (optional in PEP 751) is
/// omitted: a merged page does not say which configured index a file came from.
fn pylock(target: &Target, resolution: &Resolution, shared: &Shared) -> Result<String> {
    let env = target.marker_environment();
    let environment = format!(
        "python_version == \"{}\" and sys_platform == \"{}\" and platform_machine == \"{}\"",
        target.python.minor_version(),
        env.sys_platform(),
        env.platform_machine()
    );
    let mut packages = Vec::new();
    for p in &resolution.packages {
        let Some(wheel) = &p.wheel else {
            anyhow::bail!(
                "{} {} has no wheel, so it cannot be in a wheel-only lock",
                p.name,
                p.version
            );
        };
        let page = shared
            .page_if_fetched(&p.name)
            .with_context(|| format!("the index page of {} was not fetched", p.name))?;
        let file = page
            .files
            .iter()
            .find(|f| f.filename() == wheel)
            .with_context(|| format!("{wheel} is not on the index page of {}", p.name))?;
        let mut hashes = std::collections::BTreeMap::new();
        if let Some(sha) = file.sha256() {
            hashes.insert("sha256".to_string(), sha.to_string());
        } else {
            tracing::warn!(
                "the index lists no sha256 for {wheel}: its entry in the lock of {} has no hash",
                target.name()
            );
        }
        packages.push(LockPackage {
            name: p.name.to_string(),
            version: p.version.to_string(),
            index: None,
            wheels: vec![LockWheel {
                name: wheel.clone(),
                url: file.url().to_string(),
                upload_time: file
                    .upload_time()
                    .and_then(|t| t.parse::<toml::value::Datetime>().ok()),
                size: file.size,
                hashes,
            }],
        });
    }
    let lock = PyLock {
        lock_version: "1.0",
        created_by: "wheelwatch",
        requires_python: format!("=={}.*", target.python.minor_version()),
        environments: vec![environment],
        packages,
    };
    let body = toml::to_string(&lock).context("failed to serialize the lock")?;
    Ok(format!(
        "# The wheel-only resolution of {} assessed by wheelwatch {}.\n{body}",
        target.name(),
        env!("CARGO_PKG_VERSION")
    ))
}

fn constraints(target: &Target, resolution: &Resolution) -> String {
    let mut out = format!(
        "# The wheel-only resolution of {} assessed by wheelwatch {}.\n\
         # pip install --only-binary :all: -c <this file> <your requirements>\n",
        target.name(),
        env!("CARGO_PKG_VERSION")
    );
    for p in &resolution.packages {
        let _ = writeln!(out, "{}=={}", p.name, p.version);
    }
    out
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, text.as_bytes(), Durability::Cache)
        .with_context(|| format!("failed to write `{}`", path.display()))
}

/// Writes the locks of every target that has a wheel-only resolution; returns one line per
/// target saying what was written (or why nothing was).
pub(crate) fn write_all(
    dir: &Path,
    targets: &[Target],
    analyses: &[Option<Result<Analysis, String>>],
    shared: &Arc<Shared>,
) -> Result<Vec<String>> {
    fs_err::create_dir_all(dir)?;
    let mut lines = Vec::new();
    for (target, analysis) in targets.iter().zip(analyses) {
        let name = lock_name(target);
        let lock_path: PathBuf = dir.join(format!("pylock.{name}.toml"));
        let constraints_path = dir.join(format!("constraints.{name}.txt"));
        if let Some(Ok(Analysis {
            wheel_only: Some(resolution),
            ..
        })) = analysis
        {
            write_atomically(&lock_path, &pylock(target, resolution, shared)?)?;
            write_atomically(&constraints_path, &constraints(target, resolution))?;
            lines.push(format!(
                "wrote {} and {}",
                lock_path.display(),
                constraints_path.display()
            ));
        } else if let Some(Err(_)) | None = analysis {
            // No conclusion: an earlier lock stays as it was.
            lines.push(format!(
                "the resolution failed on {}: its lock, if any, is left as it was",
                target.name()
            ));
        } else {
            for stale in [&lock_path, &constraints_path] {
                if stale.exists() {
                    fs_err::remove_file(stale)?;
                }
            }
            lines.push(format!(
                "no wheel-only resolution on {}: no lock written",
                target.name()
            ));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Role;

    #[test]
    fn lock_names_have_no_dots() {
        let host = "manylinux_2_28_x86_64".parse().expect("host");
        let name = |t: &str| lock_name(&Target::parse(t, &host, Role::Primary).expect("target"));
        assert_eq!(name("3.12@linux"), "cp312-manylinux_2_28_x86_64");
        assert_eq!(name("3.13t@linux-aarch64"), "cp313t-manylinux_2_28_aarch64");
        assert_eq!(name("3.12.4@macos"), "cp312-macosx_11_0_arm64");
    }
}
