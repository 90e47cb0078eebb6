//! Verification of a freshly built environment: import every top-level module of every installed
//! distribution with the NEW environment's interpreter.
//!
//! Which names are imported, per `*.dist-info` directory in the environment's site-packages:
//! - `top_level.txt` when present (one name a line; `a/b` means the dotted `a.b`);
//! - otherwise derived from `RECORD`: the first component of every path that is a directory
//!   (a package, namespace packages included), a `name.py` module, or an extension module
//!   `name.<tag>.so` / `name.pyd`;
//! - never imported: `__pycache__`, `*.pth` payloads (they run at start-up, not on import),
//!   `*.dist-info` / `*.data` directories, paths leaving site-packages (`../../bin/...` console
//!   scripts), names that are not Python identifiers (e.g. containing `-`), and `_`-prefixed
//!   names (private helpers such as `_distutils_hack`) UNLESS that name is the distribution's only
//!   top-level name. A distribution left with no names (console-script-only, data-only) is
//!   counted but not imported.
//!
//! The import runs in one `python -I -c <script> <result file> <module>...` process (isolated:
//! no `PYTHONPATH`, no user site, no current directory on `sys.path`). Imports in one process can
//! interfere (importing `pkg_resources` before `setuptools` trips setuptools' distutils check),
//! so a module that fails is retried alone in a fresh interpreter and only reported if it fails
//! there too; each failure is reported with the last line of its traceback. Results go to a file, not stdout, so modules printing on
//! import cannot corrupt them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::process;
use super::{EnvError, Project};

/// One module that did not import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFailure {
    /// The distribution it belongs to (as named by its dist-info directory).
    pub distribution: String,
    /// The module name.
    pub module: String,
    /// The last line of the traceback, e.g. `RuntimeError: no BLAS found`.
    pub error: String,
}

/// What verification looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Distributions found.
    pub distributions: usize,
    /// Modules imported successfully.
    pub modules: Vec<String>,
}

/// What the interpreter of a new environment says about itself.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Probe {
    pub version: String,
    pub prefix: String,
    pub base_prefix: String,
    pub purelib: PathBuf,
    pub platlib: PathBuf,
}

const PROBE: &str = r"import json, sys, sysconfig
p = sysconfig.get_paths()
print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], 'prefix': sys.prefix,
                  'base_prefix': getattr(sys, 'base_prefix', sys.prefix),
                  'purelib': p['purelib'], 'platlib': p['platlib']}))
";

const IMPORT_ALL: &str = r"import importlib, json, subprocess, sys, traceback
out = sys.argv[1]
failures = []
alone = 'import importlib, sys; importlib.import_module(sys.argv[1])'
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except BaseException as e:
        lines = traceback.format_exception_only(type(e), e)
        error = lines[-1].strip() if lines else repr(e)
        # Confirm in a fresh interpreter: an earlier import in this one may have interfered.
        r = subprocess.run([sys.executable, '-I', '-c', alone, name],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode == 0:
            continue
        tail = [l for l in r.stderr.decode('utf-8', 'replace').splitlines() if l.strip()]
        failures.append({'module': name, 'error': tail[-1].strip() if tail else error})
with open(out, 'w', encoding='utf-8') as f:
    json.dump(failures, f)
";

/// Asks `python` for its version and install paths.
pub(crate) fn probe(project: &Project, python: &Path) -> Result<Probe, EnvError> {
    let mut cmd = Command::new(python);
    // Never a .pyc written into the environment (bench probes the user's active venv; start-up
    // runs its .pth files). -I ignores PYTHONDONTWRITEBYTECODE, so -B.
    cmd.args(["-I", "-B", "-c", PROBE]);
    let out = process::run(project, &mut cmd, Duration::from_mins(1), None)?;
    if !out.success() {
        return Err(EnvError::Probe {
            python: python.to_path_buf(),
            detail: out.tail(3),
        });
    }
    serde_json::from_str(out.stdout.trim()).map_err(|e| EnvError::Probe {
        python: python.to_path_buf(),
        detail: format!("unreadable answer {:?}: {e}", out.stdout.trim()),
    })
}

/// The importable top-level names of one distribution, by the rule in the module doc.
pub fn top_level_modules(top_level_txt: Option<&str>, record: Option<&str>) -> Vec<String> {
    let mut names = BTreeSet::new();
    if let Some(text) = top_level_txt.filter(|t| !t.trim().is_empty()) {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            names.insert(line.trim_end_matches('/').replace('/', "."));
        }
    } else if let Some(record) = record {
        for line in record.lines() {
            // RECORD is CSV; the path is the first field, quoted when it contains a comma.
            let path = if let Some(stripped) = line.strip_prefix('"') {
                stripped.split('"').next().unwrap_or_default()
            } else {
                line.split(',').next().unwrap_or_default()
            };
            if let Some(name) = record_top_level(path) {
                names.insert(name);
            }
        }
    }
    let valid: Vec<String> = names
        .into_iter()
        .filter(|n| n.split('.').all(is_identifier))
        .collect();
    if valid.len() == 1 {
        return valid;
    }
    valid.into_iter().filter(|n| !n.starts_with('_')).collect()
}

#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "imports are case-sensitive: `X.PY` is not an importable module"
)]
fn record_top_level(path: &str) -> Option<String> {
    let path = path.trim();
    if path.is_empty() || path.starts_with("..") || path.starts_with('/') {
        return None;
    }
    match path.split_once('/') {
        Some((dir, _)) => {
            if dir == "__pycache__"
                || dir.ends_with(".dist-info")
                || dir.ends_with(".data")
                || dir.ends_with(".egg-info")
            {
                None
            } else {
                Some(dir.to_string())
            }
        }
        None => {
            if let Some(stem) = path.strip_suffix(".py") {
                Some(stem.to_string())
            } else if path.ends_with(".so") || path.ends_with(".pyd") {
                path.split('.').next().map(str::to_string)
            } else {
                None
            }
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[derive(Deserialize)]
struct Raw {
    module: String,
    error: String,
}

/// The distributions in `site_dirs` (how many) and the top-level modules to import, each with
/// the distribution (its normalized-as-written dist-info name) that owns it, in directory
/// order; a module two distributions provide belongs to the first.
pub(crate) fn distribution_modules(
    site_dirs: &[PathBuf],
) -> Result<(usize, Vec<(String, String)>), EnvError> {
    let mut owners: Vec<(String, String)> = Vec::new(); // (module, distribution)
    let mut distributions = 0;
    let mut seen_dirs = BTreeSet::new();
    for dir in site_dirs {
        if !seen_dirs.insert(dir.clone()) || !dir.is_dir() {
            continue;
        }
        let entries = fs_err::read_dir(dir).map_err(|e| EnvError::io("read", dir, e))?;
        let mut infos: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "dist-info") && p.is_dir())
            .collect();
        infos.sort();
        for info in infos {
            distributions += 1;
            let dist = info
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dist = dist.split('-').next().unwrap_or_default().to_string();
            let top = fs_err::read_to_string(info.join("top_level.txt")).ok();
            let record = fs_err::read_to_string(info.join("RECORD")).ok();
            for module in top_level_modules(top.as_deref(), record.as_deref()) {
                if !owners.iter().any(|(m, _)| *m == module) {
                    owners.push((module, dist.clone()));
                }
            }
        }
    }
    Ok((distributions, owners))
}

/// Imports every top-level module of every distribution in the environment's site-packages
/// directories, with the environment's own interpreter.
pub(crate) fn verify(
    project: &Project,
    env_python: &Path,
    site_dirs: &[PathBuf],
    scratch: &Path,
) -> Result<VerifyReport, EnvError> {
    let (distributions, owners) = distribution_modules(site_dirs)?;
    let result_file = scratch.join("wheelwatch-verify.json");
    let _ = fs_err::remove_file(&result_file);
    let mut cmd = Command::new(env_python);
    cmd.args(["-I", "-c", IMPORT_ALL])
        .arg(&result_file)
        .args(owners.iter().map(|(m, _)| m))
        .current_dir(scratch);
    let out = process::run(project, &mut cmd, Duration::from_mins(10), None)?;
    let text = fs_err::read_to_string(&result_file).map_err(|_| EnvError::VerifyCrashed {
        python: env_python.to_path_buf(),
        detail: out.tail(5),
    })?;
    let _ = fs_err::remove_file(&result_file);
    let raw: Vec<Raw> = serde_json::from_str(&text).map_err(|e| EnvError::VerifyCrashed {
        python: env_python.to_path_buf(),
        detail: format!("unreadable result: {e}"),
    })?;
    if !raw.is_empty() {
        let failures = raw
            .into_iter()
            .map(|r| ImportFailure {
                distribution: owners
                    .iter()
                    .find(|(m, _)| *m == r.module)
                    .map(|(_, d)| d.clone())
                    .unwrap_or_default(),
                module: r.module,
                error: r.error,
            })
            .collect();
        return Err(EnvError::Verify { failures });
    }
    Ok(VerifyReport {
        distributions,
        modules: owners.into_iter().map(|(m, _)| m).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_txt_wins_and_private_names_are_skipped() {
        let names = top_level_modules(
            Some("_distutils_hack\npkg_resources\nsetuptools\n"),
            Some("ignored/__init__.py,,\n"),
        );
        assert_eq!(names, ["pkg_resources", "setuptools"]);
    }

    #[test]
    fn only_private_name_is_kept() {
        assert_eq!(
            top_level_modules(Some("_cffi_backend\n"), None),
            ["_cffi_backend"]
        );
    }

    #[test]
    fn record_derivation() {
        let record = "\
six.py,sha256=x,100
__pycache__/six.cpython-312.pyc,,
six-1.16.0.dist-info/METADATA,sha256=y,10
six-1.16.0.dist-info/RECORD,,
../../../bin/six-tool,sha256=z,5
numpy/__init__.py,sha256=a,1
numpy/core/x.py,sha256=a,1
_speedups.cpython-312-x86_64-linux-gnu.so,sha256=b,2
distutils-precedence.pth,sha256=c,3
nsp/sub/mod.py,,
\"weird,name/a.py\",,
my-scripts/x.py,,
foo-1.0.data/scripts/x,,
";
        assert_eq!(
            top_level_modules(None, Some(record)),
            ["nsp", "numpy", "six"]
        );
    }

    #[test]
    fn console_script_only_has_nothing_to_import() {
        let record = "tool-1.0.dist-info/METADATA,,\n../../../bin/tool,,\n";
        assert!(top_level_modules(None, Some(record)).is_empty());
        assert!(top_level_modules(None, None).is_empty());
    }

    #[test]
    fn slashed_top_level_becomes_dotted() {
        assert_eq!(
            top_level_modules(Some("google/protobuf\n"), None),
            ["google.protobuf"]
        );
    }
}
