//! Where interpreters may be: an explicit path, `VIRTUAL_ENV` / `CONDA_PREFIX`, `PATH`
//! (`python3`, `python3.X`, `python`), pyenv's `versions/*` (whether or not its shims select
//! them), uv-managed interpreters, `/usr/bin` and `/usr/local/bin`, and on Windows the `py`
//! launcher's list. This module only lists file paths; nothing found here is trusted until
//! [`super::probe`] has run it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

/// Where a candidate was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Given explicitly (`--python PATH`).
    Explicit,
    /// The active virtual environment (`VIRTUAL_ENV`).
    VirtualEnv,
    /// The active conda environment (`CONDA_PREFIX`).
    Conda,
    /// A directory on `PATH`.
    Path,
    /// pyenv's `versions` directory.
    Pyenv,
    /// uv's managed interpreters.
    Uv,
    /// The Windows `py` launcher.
    PyLauncher,
    /// `/usr/bin`, `/usr/local/bin` and the like.
    System,
}

impl Source {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Explicit => "explicit",
            Self::VirtualEnv => "virtualenv",
            Self::Conda => "conda",
            Self::Path => "PATH",
            Self::Pyenv => "pyenv",
            Self::Uv => "uv",
            Self::PyLauncher => "py launcher",
            Self::System => "system",
        }
    }
}

/// A file that may be an interpreter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawCandidate {
    /// The path as found.
    pub path: PathBuf,
    /// Where.
    pub source: Source,
}

/// The environment discovery looks at, injectable for tests.
#[derive(Clone, Debug, Default)]
pub struct DiscoveryEnv {
    /// `PATH`.
    pub path: Option<OsString>,
    /// pyenv's root (`PYENV_ROOT`, else `~/.pyenv`).
    pub pyenv_root: Option<PathBuf>,
    /// uv's interpreter directory (`UV_PYTHON_INSTALL_DIR`, else uv's default under the data
    /// directory). uv itself is not asked (`uv python dir`): discovery starts no process.
    pub uv_python_dir: Option<PathBuf>,
    /// `VIRTUAL_ENV`.
    pub virtual_env: Option<PathBuf>,
    /// `CONDA_PREFIX`.
    pub conda_prefix: Option<PathBuf>,
    /// Fixed system directories to scan.
    pub system_dirs: Vec<PathBuf>,
    /// Whether to ask the Windows `py` launcher.
    pub py_launcher: bool,
}

fn non_empty(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

impl DiscoveryEnv {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        let path = non_empty("PATH");
        let home = etcetera::home_dir().ok();
        let pyenv_root = non_empty("PYENV_ROOT")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".pyenv")));
        let uv_python_dir = non_empty("UV_PYTHON_INSTALL_DIR")
            .map(PathBuf::from)
            .or_else(default_uv_python_dir);
        let system_dirs = if cfg!(windows) {
            Vec::new()
        } else if cfg!(target_os = "macos") {
            vec![
                PathBuf::from("/usr/bin"),
                PathBuf::from("/usr/local/bin"),
                PathBuf::from("/opt/homebrew/bin"),
            ]
        } else {
            vec![PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")]
        };
        Self {
            path,
            pyenv_root,
            uv_python_dir,
            virtual_env: non_empty("VIRTUAL_ENV").map(PathBuf::from),
            conda_prefix: non_empty("CONDA_PREFIX").map(PathBuf::from),
            system_dirs,
            py_launcher: cfg!(windows),
        }
    }

    /// Only the given `PATH`: nothing from pyenv, uv, system directories or environments.
    pub fn path_only(path: OsString) -> Self {
        Self {
            path: Some(path),
            ..Self::default()
        }
    }
}

/// uv's default managed-interpreter directory when `uv` itself is not around to say.
fn default_uv_python_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    Some(strategy.data_dir().join("uv").join("python"))
}

fn exe_name(name: &str) -> String {
    if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_string()
    }
}

/// The first `name` on `path` (like `which`), without checking that it works. A directory
/// of that name counts as found (and will be reported unusable rather than skipped).
pub fn which_in(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let path = path?;
    let file = exe_name(name);
    std::env::split_paths(path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(&file))
        .find(|p| p.symlink_metadata().is_ok())
}

/// Whether a file name is one of the interpreter names we look for: `python`, `python3`,
/// `python3.X`, `python3.Xt` (with `.exe` on Windows).
pub fn is_interpreter_name(name: &str) -> bool {
    let name = if cfg!(windows) {
        match name
            .strip_suffix(".exe")
            .or_else(|| name.strip_suffix(".EXE"))
        {
            Some(n) => n,
            None => return false,
        }
    } else {
        name
    };
    let Some(rest) = name.strip_prefix("python") else {
        return false;
    };
    if rest.is_empty() || rest == "3" {
        return true;
    }
    let Some(minor) = rest.strip_prefix("3.") else {
        return false;
    };
    let minor = minor.strip_suffix('t').unwrap_or(minor);
    !minor.is_empty() && minor.len() <= 3 && minor.bytes().all(|b| b.is_ascii_digit())
}

/// The version a file or directory name suggests (`python3.12` → 3.12, `3.12.1` → 3.12.1,
/// `cpython-3.12.1-linux-x86_64-gnu` → 3.12.1); used only to decide what to probe first.
pub fn version_hint(path: &Path, source: Source) -> Option<String> {
    let from_dir = |dir: &Path| -> Option<String> {
        let name = dir.file_name()?.to_str()?;
        let name = name.strip_prefix("cpython-").unwrap_or(name);
        let v: String = name
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!v.is_empty() && v.contains('.')).then_some(v)
    };
    match source {
        Source::Pyenv | Source::Uv => {
            // <root>/<version-dir>/bin/python3 or <root>/<version-dir>/python.exe
            let parent = path.parent()?;
            let dir = if parent.file_name().is_some_and(|n| n == "bin") {
                parent.parent()?
            } else {
                parent
            };
            from_dir(dir)
        }
        _ => {
            let name = path.file_name()?.to_str()?;
            let name = name.strip_suffix(".exe").unwrap_or(name);
            let rest = name.strip_prefix("python")?;
            let rest = rest.strip_suffix('t').unwrap_or(rest);
            (rest.starts_with("3.") && rest.len() > 2).then(|| rest.to_string())
        }
    }
}

fn scan_dir(dir: &Path, source: Source, out: &mut Vec<RawCandidate>) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            is_interpreter_name(&name).then(|| (name, e.path()))
        })
        .collect();
    // python3.13 before python3.9; then python3, then python.
    names.sort_by_key(|(name, _)| name_rank(name));
    for (_, path) in names {
        out.push(RawCandidate { path, source });
    }
}

fn name_rank(name: &str) -> (u8, std::cmp::Reverse<u32>, String) {
    let stem = name.strip_suffix(".exe").unwrap_or(name);
    let minor = stem
        .strip_prefix("python3.")
        .map(|m| m.trim_end_matches('t'))
        .and_then(|m| m.parse::<u32>().ok());
    match (stem, minor) {
        ("python3", _) => (0, std::cmp::Reverse(0), name.to_string()),
        (_, Some(m)) => (1, std::cmp::Reverse(m), name.to_string()),
        ("python", _) => (2, std::cmp::Reverse(0), name.to_string()),
        _ => (3, std::cmp::Reverse(0), name.to_string()),
    }
}

fn env_python(prefix: &Path) -> PathBuf {
    if cfg!(windows) {
        let scripts = prefix.join("Scripts").join("python.exe");
        if scripts.exists() {
            scripts
        } else {
            prefix.join("python.exe")
        }
    } else {
        prefix.join("bin").join("python")
    }
}

fn installation_python(dir: &Path) -> Option<PathBuf> {
    let candidates: &[&str] = if cfg!(windows) {
        &["python.exe"]
    } else {
        &["bin/python3", "bin/python"]
    };
    candidates
        .iter()
        .map(|c| dir.join(c))
        .find(|p| p.symlink_metadata().is_ok())
}

fn scan_installations(root: &Path, source: Source, out: &mut Vec<RawCandidate>) {
    let Ok(entries) = fs_err::read_dir(root) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(dir_version_key(d)));
    for dir in dirs {
        if let Some(path) = installation_python(&dir) {
            out.push(RawCandidate { path, source });
        }
    }
}

fn dir_version_key(dir: &Path) -> (Vec<u64>, String) {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let v = name.strip_prefix("cpython-").unwrap_or(&name);
    let nums = v
        .split(['.', '-'])
        .map_while(|p| p.parse::<u64>().ok())
        .collect();
    (nums, name)
}

/// Parses `py --list-paths` (`py -0p`) output: lines such as
/// ` -V:3.12 *        C:\Python312\python.exe` (new) or ` -3.12-64        C:\...` (old).
pub fn parse_py_launcher_list(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if !line.starts_with('-') {
                return None;
            }
            let (_, rest) = line.split_once(char::is_whitespace)?;
            let rest = rest.trim_start();
            let rest = rest.strip_prefix('*').unwrap_or(rest).trim();
            let rest = rest.strip_suffix('*').unwrap_or(rest).trim_end();
            (!rest.is_empty() && rest.to_ascii_lowercase().ends_with(".exe"))
                .then(|| PathBuf::from(rest))
        })
        .collect()
}

fn py_launcher(path: Option<&std::ffi::OsStr>, out: &mut Vec<RawCandidate>) {
    let Some(py) = which_in("py", path) else {
        return;
    };
    let Ok(result) = crate::util::process::run_with_timeout(
        std::process::Command::new(py).arg("--list-paths"),
        Duration::from_secs(5),
    ) else {
        return;
    };
    for path in parse_py_launcher_list(&String::from_utf8_lossy(&result.stdout)) {
        out.push(RawCandidate {
            path,
            source: Source::PyLauncher,
        });
    }
}

/// Lists every candidate file, in preference order (environments, `PATH`, pyenv, uv, `py`,
/// system directories). Duplicates are kept; the caller merges them by real path.
pub fn candidates(env: &DiscoveryEnv) -> Vec<RawCandidate> {
    let mut out = Vec::new();
    if let Some(venv) = &env.virtual_env {
        out.push(RawCandidate {
            path: env_python(venv),
            source: Source::VirtualEnv,
        });
    }
    if let Some(conda) = &env.conda_prefix {
        out.push(RawCandidate {
            path: env_python(conda),
            source: Source::Conda,
        });
    }
    if let Some(path) = &env.path {
        for dir in std::env::split_paths(path) {
            if !dir.as_os_str().is_empty() {
                scan_dir(&dir, Source::Path, &mut out);
            }
        }
    }
    if let Some(root) = &env.pyenv_root {
        scan_installations(&root.join("versions"), Source::Pyenv, &mut out);
    }
    if let Some(uv) = &env.uv_python_dir {
        scan_installations(uv, Source::Uv, &mut out);
    }
    if env.py_launcher {
        py_launcher(env.path.as_deref(), &mut out);
    }
    for dir in &env.system_dirs {
        scan_dir(dir, Source::System, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_names() {
        if cfg!(windows) {
            assert!(is_interpreter_name("python.exe"));
            return;
        }
        for ok in [
            "python",
            "python3",
            "python3.12",
            "python3.13t",
            "python3.9",
        ] {
            assert!(is_interpreter_name(ok), "{ok}");
        }
        for no in [
            "python3.12-config",
            "python3-config",
            "python3.6m",
            "pythonw",
            "python2.7",
            "python2",
            "python3.",
        ] {
            assert!(!is_interpreter_name(no), "{no}");
        }
    }

    #[test]
    fn version_hints() {
        assert_eq!(
            version_hint(Path::new("/usr/bin/python3.12"), Source::Path).as_deref(),
            Some("3.12")
        );
        assert_eq!(
            version_hint(
                Path::new("/r/.pyenv/versions/3.12.1/bin/python3"),
                Source::Pyenv
            )
            .as_deref(),
            Some("3.12.1")
        );
        assert_eq!(
            version_hint(
                Path::new("/d/uv/python/cpython-3.11.9-linux-x86_64-gnu/bin/python3"),
                Source::Uv
            )
            .as_deref(),
            Some("3.11.9")
        );
        assert_eq!(
            version_hint(Path::new("/usr/bin/python3"), Source::Path),
            None
        );
    }

    #[test]
    fn py_launcher_output() {
        let new = " -V:3.13 *        C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\python.exe\n -V:3.12          C:\\Program Files\\Python312\\python.exe\n";
        assert_eq!(
            parse_py_launcher_list(new),
            vec![
                PathBuf::from(
                    "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\python.exe"
                ),
                PathBuf::from("C:\\Program Files\\Python312\\python.exe"),
            ]
        );
        let old = "Installed Pythons found by py Launcher for Windows\n -3.9-64        C:\\Python39\\python.exe *\n";
        // The old format puts the `*` after the path.
        assert_eq!(
            parse_py_launcher_list(old),
            vec![PathBuf::from("C:\\Python39\\python.exe")]
        );
        assert!(parse_py_launcher_list("no pythons\n").is_empty());
    }
}
