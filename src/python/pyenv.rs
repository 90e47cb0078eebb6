//! pyenv shims: which executable a shim would run, decided by pyenv's own rules without
//! running it (a shim is a bash script that starts `pyenv exec`, 0.1–1 s per call).
//!
//! The rules are those of `pyenv version-name` and `pyenv which`: the versions selected by
//! `PYENV_VERSION` (colon-separated), else by the first `.python-version` found upward from
//! `PYENV_DIR` (default: the working directory), else by `$PYENV_ROOT/version`; each selected
//! version's `bin/<command>` in turn, then the system `PATH` without the shims directory.
//! Whatever this module cannot decide with certainty (a version prefix pyenv would resolve
//! with `pyenv latest`, an unknown hook, a virtualenv's system site packages) yields `None`,
//! and the caller runs the shim as before.
//!
//! Pure file-system reads: no process is started here.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A pyenv shim: the command it stands for and the pyenv root it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shim {
    /// `python3.12`.
    pub(crate) command: String,
    /// The `PYENV_ROOT` the shim exports.
    pub(crate) root: PathBuf,
    /// The directory of the `pyenv` program the shim starts (`<prefix>/libexec/pyenv`).
    pub(crate) install_prefix: Option<PathBuf>,
}

/// Where the selection came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "path", rename_all = "snake_case")]
pub enum Origin {
    /// The `PYENV_VERSION` environment variable.
    Environment,
    /// A version file (`.python-version`, or `$PYENV_ROOT/version`).
    File(PathBuf),
    /// No version file: pyenv selects `system`.
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Environment => f.write_str("PYENV_VERSION"),
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Default => f.write_str("no version file"),
        }
    }
}

/// What a shim does when run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// It runs this executable.
    Runs(PathBuf),
    /// It exits with code 127: no selected version (and nothing on the system `PATH`) has
    /// the command.
    NotSelected {
        /// The selected versions, in order.
        selected: Vec<String>,
        /// Where the selection came from.
        origin: Origin,
        /// The installed versions' executables of that name (`pyenv whence`), newest first.
        installed: Vec<PathBuf>,
    },
}

/// The environment a shim would see.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShimEnv {
    /// `PYENV_VERSION`.
    pub(crate) pyenv_version: Option<String>,
    /// `PYENV_DIR`.
    pub(crate) pyenv_dir: Option<PathBuf>,
    /// The working directory (logical, as the shell's `$PWD`).
    pub(crate) cwd: Option<PathBuf>,
    /// `PATH`.
    pub(crate) path: Option<OsString>,
    /// `PYENV_HOOK_PATH`.
    pub(crate) hook_path: Option<OsString>,
    /// Whether `_PYENV_SHIM_PATHS_<COMMAND>` is set (a custom shim path pyenv removes too).
    pub(crate) custom_shim_paths: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl ShimEnv {
    /// This process's environment, for `command`.
    pub(crate) fn from_process(command: &str) -> Self {
        let cwd = std::env::current_dir().ok();
        // pyenv searches from the shell's logical directory.
        let logical = var("PWD").map(PathBuf::from).filter(|p| {
            p.is_absolute()
                && cwd
                    .as_ref()
                    .is_some_and(|c| fs_err::canonicalize(p).ok().as_ref() == Some(c))
        });
        let program: String = command
            .chars()
            .map(|c| match c {
                'a'..='z' => c.to_ascii_uppercase(),
                'A'..='Z' | '0'..='9' => c,
                _ => '_',
            })
            .collect();
        Self {
            pyenv_version: var("PYENV_VERSION"),
            pyenv_dir: var("PYENV_DIR").map(PathBuf::from),
            cwd: logical.or(cwd),
            path: std::env::var_os("PATH"),
            hook_path: std::env::var_os("PYENV_HOOK_PATH").filter(|v| !v.is_empty()),
            custom_shim_paths: var(&format!("_PYENV_SHIM_PATHS_{program}")).is_some(),
        }
    }
}

/// Whether `real` (a canonical path) is a pyenv shim, read from its first 4 KiB: a bash script
/// that exports `PYENV_ROOT` and ends in `exec "<prefix>/libexec/pyenv" exec "$program"`.
pub(crate) fn shim(path: &Path, real: &Path) -> Option<Shim> {
    let mut head = Vec::with_capacity(1024);
    fs_err::File::open(real)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    if !head.starts_with(b"#!") {
        return None;
    }
    let text = std::str::from_utf8(&head).ok()?;
    let mut root = None;
    let mut pyenv = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("export PYENV_ROOT=") {
            root = Some(PathBuf::from(rest.trim_matches('"')));
        } else if let Some(rest) = line.strip_prefix("exec \"")
            && let Some((program, args)) = rest.split_once('"')
            && args.trim() == "exec \"$program\" \"$@\""
            && program.ends_with("/libexec/pyenv")
        {
            pyenv = Some(PathBuf::from(program));
        }
    }
    let (root, pyenv) = (root?, pyenv?);
    let command = path.file_name()?.to_str()?.to_string();
    let install_prefix = pyenv.parent().and_then(Path::parent).map(Path::to_path_buf);
    Some(Shim {
        command,
        root,
        install_prefix,
    })
}

/// The `pyenv version-file-read` of one file: the first word of each line, comments and blank
/// lines skipped (empty when it names nothing). `None` when undecidable: unreadable, or a name
/// with `/` or `..`, which pyenv checks against the versions directory.
fn read_version_file(file: &Path) -> Option<Vec<String>> {
    let mut text = String::new();
    fs_err::File::open(file)
        .ok()?
        .take(64 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    let mut versions = Vec::new();
    for line in text.lines() {
        let Some(word) = line.split_whitespace().next() else {
            continue;
        };
        if word.starts_with('#') {
            continue;
        }
        if word == ".." || word.contains('/') {
            return None;
        }
        versions.push(word.to_string());
    }
    Some(versions)
}

fn find_local_version_file(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(".python-version"))
        .find(|f| f.is_file())
}

/// The selected versions and where they came from (`pyenv version-name` before resolving
/// prefixes). `None` when undecidable.
fn selection(root: &Path, env: &ShimEnv) -> Option<(Vec<String>, Origin)> {
    if let Some(v) = &env.pyenv_version {
        return Some((
            v.split(':')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            Origin::Environment,
        ));
    }
    let local = env
        .pyenv_dir
        .as_deref()
        .and_then(find_local_version_file)
        .or_else(|| {
            env.cwd
                .as_deref()
                .filter(|c| Some(*c) != env.pyenv_dir.as_deref())
                .and_then(find_local_version_file)
        });
    let file = local.unwrap_or_else(|| root.join("version"));
    if !file.is_file() {
        return Some((vec!["system".into()], Origin::Default));
    }
    let versions = read_version_file(&file)?;
    if versions.is_empty() {
        // A file that names nothing: pyenv falls back to `system`.
        return Some((vec!["system".into()], Origin::File(file)));
    }
    Some((versions, Origin::File(file)))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = path.metadata() else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Hook scripts pyenv installs itself or with pyenv-virtualenv, which change nothing for an
/// executable found in a selected version.
const KNOWN_HOOKS: &[(&str, &str)] = &[
    ("which", "conda.bash"),
    ("which", "python-config.bash"),
    ("which", "system-site-packages.bash"),
    ("exec", "pip-rehash.bash"),
];

/// Whether a `which`, `exec` or `version-name` hook we do not know is installed.
fn unknown_hooks(shim: &Shim, env: &ShimEnv) -> bool {
    let mut dirs: Vec<PathBuf> = env
        .hook_path
        .as_ref()
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    dirs.push(shim.root.join("pyenv.d"));
    if let Some(prefix) = &shim.install_prefix {
        dirs.push(prefix.join("pyenv.d"));
    }
    for d in [
        "/usr/etc/pyenv.d",
        "/usr/local/etc/pyenv.d",
        "/etc/pyenv.d",
        "/usr/lib/pyenv/hooks",
    ] {
        dirs.push(PathBuf::from(d));
    }
    if let Ok(plugins) = fs_err::read_dir(shim.root.join("plugins")) {
        dirs.extend(
            plugins
                .filter_map(Result::ok)
                .map(|e| e.path().join("etc/pyenv.d")),
        );
    }
    dirs.iter().any(|dir| {
        ["which", "exec", "version-name"].iter().any(|kind| {
            let Ok(entries) = fs_err::read_dir(dir.join(kind)) else {
                return false;
            };
            entries.filter_map(Result::ok).any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.ends_with(".bash") && !KNOWN_HOOKS.contains(&(*kind, name.as_ref()))
            })
        })
    })
}

/// The executables named `command` in every installed version, newest first (`pyenv whence`).
fn whence(root: &Path, command: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs_err::read_dir(root.join("versions")) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u64>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let exe = e.path().join("bin").join(command);
            is_executable(&exe).then(|| {
                let key = e
                    .file_name()
                    .to_string_lossy()
                    .split(['.', '-'])
                    .map_while(|p| p.parse().ok())
                    .collect();
                (key, exe)
            })
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    found.into_iter().map(|(_, p)| p).collect()
}

/// What `shim` runs in `env`, by pyenv's rules; `None` when only running it can tell.
pub(crate) fn resolve(shim: &Shim, env: &ShimEnv) -> Option<Resolution> {
    if unknown_hooks(shim, env) || env.custom_shim_paths {
        return None;
    }
    let (selected, origin) = selection(&shim.root, env)?;
    let versions_dir = shim.root.join("versions");
    let mut resolved = Vec::new();
    for version in &selected {
        if version == "system" {
            resolved.push(None);
            continue;
        }
        let normalised = version.strip_prefix("python-").unwrap_or(version);
        let dir = [version.as_str(), normalised]
            .into_iter()
            .map(|v| versions_dir.join(v))
            .find(|d| d.is_dir())?; // a prefix for `pyenv latest`, or not installed
        resolved.push(Some(dir));
    }
    for dir in resolved.iter().flatten() {
        let exe = dir.join("bin").join(&shim.command);
        if is_executable(&exe) {
            return Some(Resolution::Runs(exe));
        }
    }
    // pyenv-virtualenv's hook looks into a virtualenv's base interpreter: let pyenv decide.
    if resolved
        .iter()
        .flatten()
        .any(|d| d.join("bin/activate").is_file() || d.join("conda-meta").is_dir())
    {
        return None;
    }
    // Then the system PATH without the shims directory (pyenv always tries `system` last).
    let shims = shim.root.join("shims");
    if let Some(path) = &env.path {
        let found = std::env::split_paths(path)
            .filter(|d| !d.as_os_str().is_empty() && *d != shims)
            .map(|d| d.join(&shim.command))
            .find(|p| is_executable(p));
        if let Some(exe) = found {
            return Some(Resolution::Runs(exe));
        }
    }
    Some(Resolution::NotSelected {
        selected,
        origin,
        installed: whence(&shim.root, &shim.command),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIM: &str = "#!/usr/bin/env bash\nset -e\n[ -n \"$PYENV_DEBUG\" ] && set -x\n\nprogram=\"${0##*/}\"\n\nexport PYENV_ROOT=\"@ROOT@\"\nSHIM_PATH=${0%/*}\nif [[ $SHIM_PATH != \"@ROOT@/shims\" ]]; then\n  export _PYENV_SHIM_PATH=\"$SHIM_PATH\"\nfi\nexec \"@ROOT@/libexec/pyenv\" exec \"$program\" \"$@\"\n";

    fn exe(path: &Path) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    /// A pyenv root with 3.11.7 and 3.12.1 installed, global 3.11.7, and a shim for `name`.
    fn layout(name: &str) -> (tempfile::TempDir, Shim) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("pyenv");
        for v in ["3.11.7", "3.12.1"] {
            let minor = &v[..4];
            exe(&root.join(format!("versions/{v}/bin/python3")));
            exe(&root.join(format!("versions/{v}/bin/python{minor}")));
        }
        fs_err::write(root.join("version"), "3.11.7\n").unwrap();
        let shim_path = root.join("shims").join(name);
        fs_err::create_dir_all(shim_path.parent().unwrap()).unwrap();
        fs_err::write(&shim_path, SHIM.replace("@ROOT@", &root.to_string_lossy())).unwrap();
        let found = shim(&shim_path, &shim_path).unwrap();
        assert_eq!(
            found,
            Shim {
                command: name.into(),
                root: root.clone(),
                install_prefix: Some(root),
            }
        );
        (dir, found)
    }

    fn env(cwd: &Path) -> ShimEnv {
        ShimEnv {
            cwd: Some(cwd.to_path_buf()),
            path: Some(OsString::from("/nonexistent-bin")),
            ..ShimEnv::default()
        }
    }

    #[test]
    fn global_version_file_selects() {
        let (dir, shim) = layout("python3");
        assert_eq!(
            resolve(&shim, &env(dir.path())),
            Some(Resolution::Runs(
                shim.root.join("versions/3.11.7/bin/python3")
            ))
        );
    }

    #[test]
    fn local_file_upward_then_environment_win() {
        let (dir, shim) = layout("python3");
        let project = dir.path().join("project/src/deep");
        fs_err::create_dir_all(&project).unwrap();
        fs_err::write(
            dir.path().join("project/.python-version"),
            "# pinned\n\n3.12.1 extra words\n",
        )
        .unwrap();
        assert_eq!(
            resolve(&shim, &env(&project)),
            Some(Resolution::Runs(
                shim.root.join("versions/3.12.1/bin/python3")
            ))
        );
        let mut e = env(&project);
        e.pyenv_version = Some("3.11.7".into());
        assert_eq!(
            resolve(&shim, &e),
            Some(Resolution::Runs(
                shim.root.join("versions/3.11.7/bin/python3")
            ))
        );
    }

    #[test]
    fn a_command_the_selected_versions_lack_is_not_selected() {
        let (dir, shim) = layout("python3.12");
        assert_eq!(
            resolve(&shim, &env(dir.path())),
            Some(Resolution::NotSelected {
                selected: vec!["3.11.7".into()],
                origin: Origin::File(shim.root.join("version")),
                installed: vec![shim.root.join("versions/3.12.1/bin/python3.12")],
            })
        );
        // Two versions selected: the second has it.
        let mut e = env(dir.path());
        e.pyenv_version = Some("3.11.7:3.12.1".into());
        assert_eq!(
            resolve(&shim, &e),
            Some(Resolution::Runs(
                shim.root.join("versions/3.12.1/bin/python3.12")
            ))
        );
        // The system PATH is tried last, without the shims directory.
        let system = dir.path().join("usr/bin");
        exe(&system.join("python3.12"));
        let mut e = env(dir.path());
        e.path = Some(std::env::join_paths([shim.root.join("shims"), system.clone()]).unwrap());
        assert_eq!(
            resolve(&shim, &e),
            Some(Resolution::Runs(system.join("python3.12")))
        );
    }

    #[test]
    fn what_pyenv_alone_can_decide_is_left_to_it() {
        let (dir, shim) = layout("python3");
        // A prefix `pyenv latest` would resolve.
        let mut e = env(dir.path());
        e.pyenv_version = Some("3.12".into());
        assert_eq!(resolve(&shim, &e), None);
        // An unknown hook.
        let hooks = dir.path().join("hooks");
        fs_err::create_dir_all(hooks.join("which")).unwrap();
        fs_err::write(hooks.join("which/mine.bash"), "").unwrap();
        let mut e = env(dir.path());
        e.hook_path = Some(hooks.into_os_string());
        assert_eq!(resolve(&shim, &e), None);
    }

    #[test]
    fn other_scripts_are_not_shims() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("python3");
        fs_err::write(&f, "#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n").unwrap();
        assert_eq!(shim(&f, &f), None);
    }
}
