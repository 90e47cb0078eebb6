//! Python interpreters on this machine: discovery (PATH, pyenv, uv, system dirs, virtual
//! environments, the Windows `py` launcher, explicit paths), probing (run once, argv only,
//! trust nothing until it answers; cached on disk) and pyenv shims (resolved by pyenv's rules
//! to the interpreter they run, in [`pyenv`], so a warm run starts no process). The public API is [`find`] (one interpreter for a
//! [`PythonRequest`], or a [`FindError`] that says what was found and what to do) and
//! [`discover_all`] (every candidate, usable or not, with the evidence).
//!
//! Not here: deciding which tags a *hypothetical* target supports (that is [`crate::tags`]),
//! creating virtual environments or running pip (the fallback commands).

pub mod discover;
pub mod probe;
pub(crate) mod pyenv;
pub mod request;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use serde::{Deserialize, Serialize};

pub use discover::{DiscoveryEnv, Source};
pub use probe::{CacheUse, ProbeOptions, Unusable};
pub use request::{PythonRequest, RequestError, VersionRequest};

/// The PEP 508 marker values an interpreter reports (as `packaging.markers` computes them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Markers {
    /// `implementation_name`.
    pub implementation_name: String,
    /// `implementation_version`.
    pub implementation_version: String,
    /// `os_name`.
    pub os_name: String,
    /// `platform_machine`.
    pub platform_machine: String,
    /// `platform_release`.
    pub platform_release: String,
    /// `platform_system`.
    pub platform_system: String,
    /// `platform_version`.
    pub platform_version: String,
    /// `python_full_version`.
    pub python_full_version: String,
    /// `platform_python_implementation`.
    pub platform_python_implementation: String,
    /// `python_version`.
    pub python_version: String,
    /// `sys_platform`.
    pub sys_platform: String,
}

impl Markers {
    /// The marker environment. A trailing `+` (an untagged source build) becomes `+local`,
    /// as `packaging` does.
    pub fn marker_environment(&self) -> Result<MarkerEnvironment, pep440_rs::VersionParseError> {
        let fix = |v: &str| {
            if v.ends_with('+') {
                format!("{v}local")
            } else {
                v.to_string()
            }
        };
        let full = fix(&self.python_full_version);
        let implementation_version = fix(&self.implementation_version);
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: &self.implementation_name,
            implementation_version: &implementation_version,
            os_name: &self.os_name,
            platform_machine: &self.platform_machine,
            platform_python_implementation: &self.platform_python_implementation,
            platform_release: &self.platform_release,
            platform_system: &self.platform_system,
            platform_version: &self.platform_version,
            python_full_version: &full,
            python_version: &self.python_version,
            sys_platform: &self.sys_platform,
        })
    }
}

/// The C library an interpreter runs on (Linux only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Libc {
    /// `glibc` or `musl`.
    pub kind: String,
    /// `major.minor`.
    pub version: String,
}

/// A probed, working interpreter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Interpreter {
    /// The path it was found at (what to run).
    pub path: PathBuf,
    /// The executable's real path (symlinks resolved, as the interpreter reports it).
    pub real_path: PathBuf,
    /// The full version (`3.12.1`, `3.13.0rc2`).
    pub version: Version,
    /// `sys.implementation.name` (`cpython`, `pypy`).
    pub implementation: String,
    /// A free-threaded (no-GIL) build.
    pub free_threaded: bool,
    /// Running inside a virtual environment (`sys.prefix != sys.base_prefix`).
    pub is_venv: bool,
    /// `sys.prefix`.
    pub prefix: PathBuf,
    /// `sys.base_prefix`.
    pub base_prefix: PathBuf,
    /// The sysconfig `include` directory (where `Python.h` should be).
    pub include_dir: Option<PathBuf>,
    /// Supported wheel tags, best first, exactly as `packaging.tags.sys_tags()` orders them.
    pub tags: Vec<(String, String, String)>,
    /// PEP 508 marker values.
    pub markers: Markers,
    /// glibc or musl and its version (Linux).
    pub libc: Option<Libc>,
    /// pip's version, if importable.
    pub pip_version: Option<String>,
    /// The `venv` module is present.
    pub has_venv: bool,
    /// `ensurepip` works (a new venv gets pip).
    pub has_ensurepip: bool,
    /// Where it was found.
    pub source: Source,
}

impl Interpreter {
    /// The PEP 508 marker environment of this interpreter.
    pub fn marker_environment(&self) -> Result<MarkerEnvironment, pep440_rs::VersionParseError> {
        self.markers.marker_environment()
    }

    /// `3.12.1`, `3.13.0t` (free-threaded).
    pub fn version_label(&self) -> String {
        format!(
            "{}{}",
            self.version,
            if self.free_threaded { "t" } else { "" }
        )
    }

    /// The path of `Python.h`, if the include directory is known.
    pub fn python_h(&self) -> Option<PathBuf> {
        self.include_dir.as_ref().map(|d| d.join("Python.h"))
    }

    fn from_probe(
        path: PathBuf,
        real: PathBuf,
        raw: probe::RawProbe,
        source: Source,
    ) -> Result<Self, Unusable> {
        let garbage = |what: &str| Unusable::Garbage {
            exit_code: Some(0),
            stdout: what.to_string(),
            stderr: String::new(),
        };
        let version_text = raw.python_full_version.trim_end_matches('+');
        let version: Version = version_text.parse().map_err(|_| {
            garbage(&format!(
                "unparseable version `{}`",
                raw.python_full_version
            ))
        })?;
        let markers = raw
            .markers
            .ok_or_else(|| garbage("the probe reported no marker values"))?;
        if raw.tags.is_empty() {
            return Err(garbage("the probe reported no tags"));
        }
        let real_path = raw.real_executable.map_or(real, PathBuf::from);
        Ok(Self {
            path,
            real_path,
            version,
            implementation: raw.implementation,
            free_threaded: raw.free_threaded,
            is_venv: raw.prefix != raw.base_prefix,
            prefix: PathBuf::from(raw.prefix),
            base_prefix: PathBuf::from(raw.base_prefix),
            include_dir: raw.include.map(PathBuf::from),
            tags: raw.tags,
            markers,
            libc: raw.libc,
            pip_version: raw.pip_version,
            has_venv: raw.has_venv,
            has_ensurepip: raw.has_ensurepip,
            source,
        })
    }
}

/// Probes one path and returns the interpreter or why it cannot be used.
pub fn probe_path(
    path: &Path,
    source: Source,
    options: &ProbeOptions,
) -> Result<Interpreter, Unusable> {
    let (real, raw) = probe::probe(path, options)?;
    Interpreter::from_probe(path.to_path_buf(), real, raw, source)
}

/// A candidate found during discovery, with its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// The path as found.
    pub path: PathBuf,
    /// Where it was found first.
    pub source: Source,
    /// Other paths (and sources) that turned out to be the same interpreter.
    pub also_found: Vec<AlsoFound>,
    /// Whether it works.
    pub usable: bool,
    /// The interpreter, or why it is unusable.
    #[serde(flatten)]
    pub status: Status,
}

/// Another place the same interpreter was found.
#[derive(Clone, Debug, Serialize)]
pub struct AlsoFound {
    /// The path.
    pub path: PathBuf,
    /// Where.
    pub source: Source,
}

/// Usable or not.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Status {
    /// It works.
    Usable {
        /// What it reported.
        interpreter: Box<Interpreter>,
    },
    /// It does not.
    Unusable {
        /// Why, with the evidence.
        reason: Unusable,
        /// The same, as a sentence.
        message: String,
    },
}

impl Candidate {
    /// The interpreter, when usable.
    pub fn interpreter(&self) -> Option<&Interpreter> {
        match &self.status {
            Status::Usable { interpreter } => Some(interpreter),
            Status::Unusable { .. } => None,
        }
    }

    /// Why it is unusable.
    pub fn unusable(&self) -> Option<&Unusable> {
        match &self.status {
            Status::Usable { .. } => None,
            Status::Unusable { reason, .. } => Some(reason),
        }
    }
}

/// Options of [`find`] and [`discover_all`].
#[derive(Clone, Debug)]
pub struct FindOptions {
    /// Where to look.
    pub env: DiscoveryEnv,
    /// How to probe.
    pub probe: ProbeOptions,
    /// How many probes run at once.
    pub parallelism: usize,
}

impl Default for FindOptions {
    fn default() -> Self {
        Self {
            env: DiscoveryEnv::from_process(),
            probe: ProbeOptions::default(),
            parallelism: 4,
        }
    }
}

/// No usable interpreter for a request.
#[derive(Debug, thiserror::Error)]
pub struct FindError {
    /// What was asked for.
    pub request: PythonRequest,
    /// Candidates that matched the request (or its path/name) but are unusable.
    pub unusable: Vec<Candidate>,
    /// Usable interpreters that did not match (for the hint).
    pub others: Vec<Interpreter>,
    /// What to do.
    pub hint: String,
}

impl fmt::Display for FindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request {
            PythonRequest::Path(p) => write!(f, "no usable Python at `{}`", p.display())?,
            PythonRequest::Name(n) => write!(f, "no usable `{n}` on PATH")?,
            other => write!(f, "no usable Python matching `{other}` was found")?,
        }
        for c in &self.unusable {
            if let Some(reason) = c.unusable() {
                write!(
                    f,
                    "\n  - {} ({}): {reason}",
                    c.path.display(),
                    c.source.label()
                )?;
            }
        }
        if !self.others.is_empty() {
            let list: Vec<String> = self
                .others
                .iter()
                .take(8)
                .map(|i| format!("{} ({})", i.version_label(), i.source.label()))
                .collect();
            write!(f, "\n  usable but not matching: {}", list.join(", "))?;
        }
        write!(f, "\n  hint: {}", self.hint)
    }
}

/// Groups raw candidates by real path (files that cannot be resolved stay on their own).
fn merge_by_real_path(
    raw: Vec<discover::RawCandidate>,
) -> Vec<(discover::RawCandidate, Vec<AlsoFound>)> {
    let mut out: Vec<(discover::RawCandidate, Vec<AlsoFound>)> = Vec::new();
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    let mut seen_paths: HashSet<PathBuf> = HashSet::new();
    for c in raw {
        if !seen_paths.insert(c.path.clone()) {
            continue;
        }
        // A venv's `python` links to its base interpreter but is a different environment:
        // such links are keyed by their own path.
        let key = if in_venv_layout(&c.path) {
            Some(c.path.clone())
        } else {
            fs_err::canonicalize(&c.path).ok()
        };
        if let Some(&i) = key.as_ref().and_then(|k| index.get(k)) {
            out[i].1.push(AlsoFound {
                path: c.path,
                source: c.source,
            });
            continue;
        }
        if let Some(k) = key {
            index.insert(k, out.len());
        }
        out.push((c, Vec::new()));
    }
    out
}

fn in_venv_layout(path: &Path) -> bool {
    path.parent()
        .and_then(Path::parent)
        .is_some_and(|p| p.join("pyvenv.cfg").is_file())
}

/// Every interpreter discovery finds, probed, merged by real path (the first place found
/// wins; the others are listed in `also_found`), in discovery order.
pub fn discover_all(options: &FindOptions) -> Vec<Candidate> {
    let raw = discover::candidates(&options.env);
    probe_candidates(merge_by_real_path(raw), options)
}

fn probe_candidates(
    merged: Vec<(discover::RawCandidate, Vec<AlsoFound>)>,
    options: &FindOptions,
) -> Vec<Candidate> {
    let probed = crate::util::parallel::map(&merged, options.parallelism, |(c, _)| {
        probe_path(&c.path, c.source, &options.probe)
    });
    // Shims and links that reach the same executable collapse after probing too.
    let mut out: Vec<Candidate> = Vec::new();
    let mut by_exe: HashMap<(PathBuf, PathBuf), usize> = HashMap::new();
    for ((c, also), result) in merged.into_iter().zip(probed) {
        match result {
            Ok(interp) => {
                let key = (interp.real_path.clone(), interp.prefix.clone());
                if let Some(&i) = by_exe.get(&key) {
                    out[i].also_found.push(AlsoFound {
                        path: c.path,
                        source: c.source,
                    });
                    out[i].also_found.extend(also);
                    continue;
                }
                by_exe.insert(key, out.len());
                out.push(Candidate {
                    path: c.path,
                    source: c.source,
                    also_found: also,
                    usable: true,
                    status: Status::Usable {
                        interpreter: Box::new(interp),
                    },
                });
            }
            Err(reason) => out.push(Candidate {
                path: c.path,
                source: c.source,
                also_found: also,
                usable: false,
                status: Status::Unusable {
                    message: reason.to_string(),
                    reason,
                },
            }),
        }
    }
    out
}

fn tool_on_path(name: &str, options: &FindOptions) -> bool {
    discover::which_in(name, options.env.path.as_deref()).is_some()
}

fn install_hint(request: &PythonRequest, options: &FindOptions, others: &[Interpreter]) -> String {
    let want = request.install_hint_version();
    let mut parts = Vec::new();
    // Near misses first: same major.minor, different patch (or build).
    if let PythonRequest::Version(v) = request {
        let near: Vec<&Interpreter> = others
            .iter()
            .filter(|i| {
                let r = i.version.release();
                r.first() == Some(&v.major) && v.minor.is_none_or(|m| r.get(1) == Some(&m))
            })
            .collect();
        if let Some(best) = near.first() {
            parts.push(format!(
                "{} has {}; pass `--python {}` to use it",
                best.source.label(),
                best.version_label(),
                best.path.display()
            ));
        }
    }
    if let Some(v) = want {
        let v = v.trim_end_matches('t').to_string();
        let pyenv = options.env.pyenv_root.as_ref().is_some_and(|r| r.is_dir())
            || tool_on_path("pyenv", options);
        if pyenv {
            parts.push(format!("run `pyenv install {v}`"));
        }
        if tool_on_path("uv", options) {
            parts.push(format!("run `uv python install {v}`"));
        }
        if parts.is_empty() {
            parts.push(format!(
                "install Python {v} (your package manager, pyenv or uv) or pass `--python PATH`"
            ));
        }
    } else if let PythonRequest::Range(range) = request {
        let tools: Vec<&str> = [
            (options.env.pyenv_root.as_ref().is_some_and(|r| r.is_dir())
                || tool_on_path("pyenv", options))
            .then_some("`pyenv install`"),
            tool_on_path("uv", options).then_some("`uv python install`"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let with = if tools.is_empty() {
            "your package manager".to_string()
        } else {
            tools.join(" or ")
        };
        parts.push(format!(
            "install a Python matching `{range}` with {with}, or pass `--python PATH`"
        ));
    } else if parts.is_empty() {
        let usable: Vec<String> = others
            .iter()
            .take(3)
            .map(|i| format!("`--python {}` ({})", i.path.display(), i.version_label()))
            .collect();
        if usable.is_empty() {
            parts.push(
                "install Python 3 (your package manager, pyenv or uv) or pass `--python PATH`"
                    .into(),
            );
        } else {
            parts.push(format!("pass one that works, e.g. {}", usable.join(", ")));
        }
    }
    parts.join(", or ")
}

/// The preference of a matching interpreter: newest version first, then discovery order.
fn better(a: &Interpreter, b: &Interpreter) -> bool {
    a.version > b.version
}

/// Finds one usable interpreter for `request`.
///
/// Paths are probed directly; names are looked up on `PATH` (like `which`); versions and
/// ranges pick the newest usable CPython that matches, among everything [`discover_all`]
/// would list (candidates whose name already rules them out are probed only when nothing
/// matches, for the error message).
pub fn find(request: &PythonRequest, options: &FindOptions) -> Result<Interpreter, FindError> {
    let direct = |path: PathBuf, source: Source| -> Result<Interpreter, FindError> {
        match probe_path(&path, source, &options.probe) {
            Ok(i) => Ok(i),
            Err(reason) => {
                let others: Vec<Interpreter> = discover_all(options)
                    .iter()
                    .filter_map(|c| c.interpreter().cloned())
                    .filter(|i| i.implementation == "cpython")
                    .collect();
                let hint = install_hint(request, options, &others);
                Err(FindError {
                    request: request.clone(),
                    unusable: vec![Candidate {
                        path,
                        source,
                        also_found: Vec::new(),
                        usable: false,
                        status: Status::Unusable {
                            message: reason.to_string(),
                            reason,
                        },
                    }],
                    others,
                    hint,
                })
            }
        }
    };
    if let PythonRequest::Path(path) = request {
        return direct(path.clone(), Source::Explicit);
    }
    if let PythonRequest::Name(name) = request {
        if let Some(path) = discover::which_in(name, options.env.path.as_deref()) {
            return direct(path, Source::Path);
        }
        let others: Vec<Interpreter> = discover_all(options)
            .iter()
            .filter_map(|c| c.interpreter().cloned())
            .collect();
        return Err(FindError {
            request: request.clone(),
            unusable: Vec::new(),
            hint: install_hint(request, options, &others),
            others,
        });
    }
    let merged = merge_by_real_path(discover::candidates(&options.env));
    let (likely, unlikely): (Vec<_>, Vec<_>) = merged.into_iter().partition(|(c, _)| {
        discover::version_hint(&c.path, c.source).is_none_or(|hint| hint_may_match(request, &hint))
    });
    let pick = |cands: &[Candidate]| -> Option<Interpreter> {
        let mut best: Option<&Interpreter> = None;
        for i in cands.iter().filter_map(Candidate::interpreter) {
            if i.implementation != "cpython"
                || !request.matches_version(&i.version, i.free_threaded)
            {
                continue;
            }
            if best.is_none_or(|b| better(i, b)) {
                best = Some(i);
            }
        }
        best.cloned()
    };
    let first = probe_candidates(likely, options);
    if let Some(found) = pick(&first) {
        return Ok(found);
    }
    let rest = probe_candidates(unlikely, options);
    let all: Vec<Candidate> = first.into_iter().chain(rest).collect();
    if let Some(found) = pick(&all) {
        return Ok(found);
    }
    let unusable: Vec<Candidate> = all
        .iter()
        .filter(|c| {
            c.unusable().is_some()
                && discover::version_hint(&c.path, c.source)
                    .is_none_or(|hint| hint_may_match(request, &hint))
        })
        .cloned()
        .collect();
    let others: Vec<Interpreter> = all
        .iter()
        .filter_map(|c| c.interpreter().cloned())
        .filter(|i| i.implementation == "cpython")
        .collect();
    let mut others_sorted: Vec<Interpreter> = Vec::new();
    for i in others {
        if !others_sorted
            .iter()
            .any(|o| o.real_path == i.real_path && o.prefix == i.prefix)
        {
            others_sorted.push(i);
        }
    }
    others_sorted.sort_by(|a, b| b.version.cmp(&a.version));
    Err(FindError {
        request: request.clone(),
        hint: install_hint(request, options, &others_sorted),
        unusable,
        others: others_sorted,
    })
}

/// Whether a version suggested by a file name could satisfy the request (`3.12` for a
/// `python3.12` file; `3.12.1` for a pyenv directory).
fn hint_may_match(request: &PythonRequest, hint: &str) -> bool {
    let nums: Vec<u64> = hint.split('.').filter_map(|p| p.parse().ok()).collect();
    match request {
        PythonRequest::Version(v) => {
            nums.first() == Some(&v.major)
                && v.minor.is_none_or(|m| nums.get(1).is_none_or(|n| *n == m))
                && v.patch.is_none_or(|p| nums.get(2).is_none_or(|n| *n == p))
        }
        PythonRequest::Range(r) => {
            // A `3.12` hint could be any 3.12.x: try both ends of the minor series.
            let base = nums
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(".");
            if nums.len() >= 3 {
                base.parse::<Version>().is_ok_and(|v| r.contains(&v))
            } else {
                ["0", "99"].iter().any(|patch| {
                    format!("{base}.{patch}")
                        .parse::<Version>()
                        .is_ok_and(|v| r.contains(&v))
                })
            }
        }
        _ => true,
    }
}
