//! Requirement sources: requirements.txt files (with includes and pip options), pyproject.toml
//! (`[project] dependencies`, optional dependencies, PEP 735 dependency groups), lock files
//! (`uv.lock`, PEP 751 `pylock.toml`) read as pinned sets, and `--package` specs, turned into one
//! [`RequirementSet`].
//!
//! Parsing is pure over `&str` ([`txt::parse_requirements_txt`], [`pyproject::parse_pyproject`],
//! [`lock::parse_uv_lock`], [`lock::parse_pylock`], [`parse_package_spec`]); includes are read
//! through the [`txt::IncludeReader`] trait and environment variables through a closure, so
//! every parser is unit-testable without files. The thin loader ([`load`], [`discover`],
//! [`Source::from_user_path`]) reads files and merges the results.
//!
//! This module does not evaluate markers, resolve versions or talk to an index: it only says what
//! was declared, where, and what was skipped as not assessable.

pub mod lock;
pub mod pyproject;
pub mod txt;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use pep440_rs::VersionSpecifiers;
use pep508_rs::Requirement;
use thiserror::Error;

/// Where a requirement was declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file, as the user named it (or as reached through an include).
    pub file: PathBuf,
    /// 1-based line number of the requirement's first line.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A requirement as declared, with where it came from.
#[derive(Clone, Debug)]
pub struct DeclaredRequirement {
    /// The parsed PEP 508 requirement. Direct references (`name @ url`) are kept: assessment
    /// reports them as "not assessed".
    pub requirement: Requirement,
    /// The requirement text as written (continuations joined, comments removed, environment
    /// variables *not* expanded so that secrets in `${TOKEN}` are never echoed).
    pub raw: String,
    /// Where it was declared; `None` for `--package`.
    pub origin: Option<Origin>,
    /// `true` when the requirement is a pin read from a lock file (`uv.lock`, `pylock.toml`):
    /// it is exactly `name==version` (plus the marker under which the lock installs it) and was
    /// not resolved by us.
    pub locked: bool,
}

impl DeclaredRequirement {
    /// A requirement declared by hand (not from a lock).
    pub fn new(requirement: Requirement, raw: impl Into<String>, origin: Option<Origin>) -> Self {
        Self {
            requirement,
            raw: crate::util::redact::redact_text(&raw.into()),
            origin,
            locked: false,
        }
    }
}

/// Index options found inside requirement files (`--index-url`, `--extra-index-url`,
/// `--find-links`, `--no-index`, `--pre`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileIndexOptions {
    /// `--index-url` / `-i`, last one wins.
    pub index_url: Option<String>,
    /// `--extra-index-url`, in order.
    pub extra_index_urls: Vec<String>,
    /// `--find-links` / `-f`, relative paths resolved against the declaring file's directory.
    pub find_links: Vec<String>,
    /// `--no-index`.
    pub no_index: bool,
    /// `--pre`.
    pub pre: bool,
}

impl FileIndexOptions {
    /// Merges options read later into these: the last `--index-url` wins, lists are appended
    /// without repeats, flags are or-ed.
    pub fn merge(&mut self, other: FileIndexOptions) {
        if other.index_url.is_some() {
            self.index_url = other.index_url;
        }
        for url in other.extra_index_urls {
            if !self.extra_index_urls.contains(&url) {
                self.extra_index_urls.push(url);
            }
        }
        for link in other.find_links {
            if !self.find_links.contains(&link) {
                self.find_links.push(link);
            }
        }
        self.no_index |= other.no_index;
        self.pre |= other.pre;
    }
}

/// Why an entry was not turned into an assessable requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// `-e` / `--editable`: a local project (or VCS checkout) built on install.
    Editable,
    /// A bare URL or path (`./pkg`, `https://host/x.whl`, `name @ ./local`): no index to check.
    DirectReference,
    /// A lock entry installed from a local directory, path or editable source.
    LocalSource,
    /// A line in a constraints file that pip would not accept as a constraint.
    UnusableConstraint,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Editable => "editable install: built from source on install, not assessable",
            Self::DirectReference => {
                "direct reference to a URL or path: not installed from an index, not assessable"
            }
            Self::LocalSource => "local source tree in a lock file: not assessable",
            Self::UnusableConstraint => "not a named requirement: ignored as a constraint",
        })
    }
}

/// An entry that was read but is not assessed, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedEntry {
    /// The entry as written.
    pub raw: String,
    /// Where it was declared.
    pub origin: Option<Origin>,
    /// Why it is skipped.
    pub reason: SkipReason,
}

/// A `requires-python` read from a pyproject or lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredRequiresPython {
    /// The specifiers.
    pub specifiers: VersionSpecifiers,
    /// The file declaring it.
    pub file: PathBuf,
}

/// Everything read from the requirement sources.
#[derive(Clone, Debug, Default)]
pub struct RequirementSet {
    /// Requirements to assess, in declaration order.
    pub requirements: Vec<DeclaredRequirement>,
    /// Constraints (`-c` files): they narrow versions but are not assessed on their own.
    pub constraints: Vec<DeclaredRequirement>,
    /// Index options the files carry.
    pub index: FileIndexOptions,
    /// Entries read but not assessable (editables, bare URLs and paths, local lock sources).
    pub skipped: Vec<SkippedEntry>,
    /// `requires-python` of the pyproject or lock files read, in order.
    pub requires_python: Vec<DeclaredRequiresPython>,
}

impl RequirementSet {
    /// `true` when at least one requirement is a pin read from a lock file.
    pub fn has_locked(&self) -> bool {
        self.requirements.iter().any(|r| r.locked)
    }

    /// Appends `other`, dropping requirements identical to one already present (the first
    /// declaration, with its origin, is kept).
    pub fn extend(&mut self, other: RequirementSet) {
        self.requirements.extend(other.requirements);
        self.constraints.extend(other.constraints);
        self.index.merge(other.index);
        for skipped in other.skipped {
            if !self.skipped.contains(&skipped) {
                self.skipped.push(skipped);
            }
        }
        self.requires_python.extend(other.requires_python);
        self.dedup();
    }

    /// Removes requirements (and constraints) identical to an earlier one, keeping order.
    pub fn dedup(&mut self) {
        fn dedup_list(list: &mut Vec<DeclaredRequirement>) {
            let mut seen = HashSet::new();
            list.retain(|r| seen.insert((r.requirement.clone(), r.locked)));
        }
        dedup_list(&mut self.requirements);
        dedup_list(&mut self.constraints);
    }
}

/// A requirement source that could not be read or parsed. Nothing is assessed on partial input.
#[derive(Debug, Error)]
pub enum RequirementsError {
    /// The file could not be read. The cause is part of the message (not a `source()`), so
    /// that errors collected in [`RequirementsError::Multiple`] keep it, and it is not printed
    /// twice by error-chain reporters.
    #[error("{}", crate::util::fs::io_message(&format!("failed to read `{}`", path.display()), path, cause))]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// A file named by `-r` / `-c` could not be read.
    #[error(
        "{file}:{line}: {}",
        crate::util::fs::io_message(&format!("failed to read included file `{}`", path.display()), path, cause),
        file = .file.display(),
    )]
    Include {
        /// The including file.
        file: PathBuf,
        /// 1-based line of the `-r` / `-c`.
        line: usize,
        /// The included file, resolved against the including file's directory.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// A line did not parse.
    #[error("{file}:{line}: invalid requirement `{text}`: {expected}", file = .file.display(), text = shown(.text))]
    Parse {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// The offending text.
        text: String,
        /// What was expected instead.
        expected: String,
    },
    /// A requirements file option pip does not know.
    #[error("{file}:{line}: unknown option `{option}` in `{text}`", file = .file.display(), option = shown(.option), text = shown(.text))]
    UnknownOption {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// The option as written.
        option: String,
        /// The whole line.
        text: String,
    },
    /// An option is used wrongly (missing value, value on a flag, stray argument).
    #[error("{file}:{line}: {problem} in `{text}`", file = .file.display(), problem = shown(.problem), text = shown(.text))]
    BadOption {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: String,
        /// The whole line.
        text: String,
    },
    /// `-r`/`-c` naming a URL: remote requirement files are not fetched.
    #[error(
        "{file}:{line}: cannot include remote requirements file `{url}`: download it and pass the local copy",
        file = .file.display(),
        url = shown(.url)
    )]
    RemoteInclude {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// The URL.
        url: String,
    },
    /// `-r`/`-c` includes form a cycle.
    #[error("requirements files include each other in a cycle: {}", display_chain(.chain))]
    IncludeCycle {
        /// The files from the first to the one that repeats.
        chain: Vec<PathBuf>,
    },
    /// A TOML file is not valid TOML.
    #[error("`{file}` is not valid TOML: {message}", file = .file.display(), message = shown(.message))]
    Toml {
        /// The file.
        file: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A TOML value has the wrong shape.
    #[error("{file}:{line}: `{key}` {expected}", file = .file.display())]
    Shape {
        /// The file.
        file: PathBuf,
        /// 1-based line of the value.
        line: usize,
        /// Key path such as `project.optional-dependencies.gpu[2]`.
        key: String,
        /// What was expected.
        expected: String,
    },
    /// A PEP 508 string inside a TOML file did not parse.
    #[error("{file}:{line}: invalid requirement `{text}` at `{key}`: {expected}", file = .file.display(), text = shown(.text))]
    TomlRequirement {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// Key path.
        key: String,
        /// The requirement text.
        text: String,
        /// The parser's message.
        expected: String,
    },
    /// Dependencies declared `dynamic`: only a build backend can compute them.
    #[error(
        "{file}: `project.{field}` is listed in `project.dynamic`, so it is computed by the build backend and cannot be read statically; pass a requirements file or lock file instead",
        file = .file.display()
    )]
    Dynamic {
        /// The file.
        file: PathBuf,
        /// `dependencies` or `optional-dependencies`.
        field: String,
    },
    /// The pyproject has no `[project]` table.
    #[error(
        "{file}: no `[project]` table (tool-specific tables such as `[tool.poetry]` are not read); select a dependency group with `--group` or pass a requirements or lock file",
        file = .file.display()
    )]
    NoProject {
        /// The file.
        file: PathBuf,
    },
    /// An extra that the project does not define.
    #[error("{file}: unknown extra `{extra}`; available extras: {}", display_names(.available), file = .file.display())]
    UnknownExtra {
        /// The file.
        file: PathBuf,
        /// The requested extra.
        extra: String,
        /// The extras the file defines.
        available: Vec<String>,
    },
    /// A dependency group that the file does not define.
    #[error("{file}: unknown dependency group `{group}`; available groups: {}", display_names(.available), file = .file.display())]
    UnknownGroup {
        /// The file.
        file: PathBuf,
        /// The requested group.
        group: String,
        /// The groups the file defines.
        available: Vec<String>,
    },
    /// `include-group` entries form a cycle.
    #[error("{file}: dependency groups include each other in a cycle: {}", .chain.join(" -> "), file = .file.display())]
    GroupCycle {
        /// The file.
        file: PathBuf,
        /// Group names from the first to the one that repeats.
        chain: Vec<String>,
    },
    /// A lock file of a format version we cannot read.
    #[error("{file}: unsupported lock file version `{found}` (supported: {supported})", file = .file.display())]
    LockVersion {
        /// The file.
        file: PathBuf,
        /// The version found.
        found: String,
        /// What is supported.
        supported: String,
    },
    /// `--package` value that is not a PEP 508 requirement.
    #[error("invalid `--package` value `{text}`: {expected}", text = shown(.text))]
    Package {
        /// The text.
        text: String,
        /// The parser's message.
        expected: String,
    },
    /// Nothing to read in the directory.
    #[error(
        "no requirements found in `{dir}`: looked for `requirements.txt` and `pyproject.toml`; pass a requirements, pyproject or lock file explicitly",
        dir = .dir.display()
    )]
    NotFound {
        /// The directory searched.
        dir: PathBuf,
    },
    /// A path whose kind cannot be told from its name.
    #[error(
        "cannot tell what kind of file `{path}` is: expected `*.txt` or `*.in` (requirements), `pyproject.toml`, `uv.lock`, `pylock.toml` or `pylock.<name>.toml`",
        path = .path.display()
    )]
    UnknownKind {
        /// The path.
        path: PathBuf,
    },
    /// The inputs hold nothing to assess: empty, or only comments and options.
    #[error(
        "nothing to assess: no requirements in {}{}",
        display_list(.sources),
        if *.skipped > 0 { format!(" ({} entries that cannot be assessed were skipped)", .skipped) } else { " (empty, or only comments and options)".to_string() }
    )]
    Empty {
        /// The inputs, as shown to the user.
        sources: Vec<String>,
        /// How many entries were read but are not assessable.
        skipped: usize,
    },
    /// Two requirements pin one project to different versions under markers that can hold
    /// together: no installer can satisfy both.
    #[error("{prefix}{first} conflicts with {second}: no version satisfies both")]
    Conflict {
        /// `file: ` when both are in one file, else empty.
        prefix: String,
        /// The first pin and where it was declared, e.g. `six==1.16.0 (line 1)`.
        first: String,
        /// The second pin and where.
        second: String,
    },
    /// Several errors, reported together, one per line.
    #[error("{}", display_errors(.0))]
    Multiple(Vec<RequirementsError>),
}

impl RequirementsError {
    /// Folds a list of errors into one: `None` when empty, the error itself when single,
    /// [`RequirementsError::Multiple`] (flattened) otherwise.
    pub fn from_many(errors: Vec<RequirementsError>) -> Option<RequirementsError> {
        let mut flat = Vec::new();
        for error in errors {
            match error {
                RequirementsError::Multiple(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => None,
            1 => flat.pop(),
            _ => Some(RequirementsError::Multiple(flat)),
        }
    }

    /// The individual errors (one for a single error).
    pub fn errors(&self) -> Vec<&RequirementsError> {
        match self {
            RequirementsError::Multiple(inner) => inner.iter().collect(),
            other => vec![other],
        }
    }
}

fn display_chain(chain: &[PathBuf]) -> String {
    chain
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(" -> ")
}

fn display_names(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Text from the input as shown in an error: credentials redacted, and at most a few hundred
/// characters (a 5 MB line is named, not echoed).
fn shown(text: &str) -> String {
    const MAX: usize = 200;
    let text = crate::util::redact::redact_text(text);
    if text.chars().count() <= MAX {
        return text;
    }
    let head: String = text.chars().take(MAX).collect();
    format!("{head}… ({} bytes)", text.len())
}

fn display_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn display_errors(errors: &[RequirementsError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The one-line message of a PEP 508 parse error (pep508_rs's `Display` adds the input and a
/// caret line, which we replace with the file and line).
pub(crate) fn pep508_message<T: pep508_rs::Pep508Url>(error: &pep508_rs::Pep508Error<T>) -> String
where
    T::Err: fmt::Display,
{
    let message = error.message.to_string();
    // `start` is a byte offset into the input.
    let column = error
        .input
        .get(..error.start)
        .map_or(error.input.chars().count(), |before| before.chars().count())
        + 1;
    format!("{message} (at column {column})")
}

/// 1-based line number of a byte offset (for one-off lookups; see [`LineIndex`] for many).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    LineIndex::new(text).line(offset)
}

/// Byte offsets of the newlines of a text, to turn many offsets into line numbers quickly.
pub(crate) struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            newlines: text
                .bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i))
                .collect(),
        }
    }

    /// 1-based line number of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }
}

/// Parses a `--package` value: one PEP 508 requirement.
pub fn parse_package_spec(text: &str) -> Result<DeclaredRequirement, RequirementsError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(RequirementsError::Package {
            text: text.to_string(),
            expected: "expected a requirement such as `numpy>=2`".to_string(),
        });
    }
    let requirement =
        crate::pep508::parse_requirement(trimmed).map_err(|error| RequirementsError::Package {
            text: text.to_string(),
            expected: pep508_message(&error),
        })?;
    Ok(DeclaredRequirement::new(requirement, trimmed, None))
}

/// One input to [`load`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A pip requirements file (`-r`).
    RequirementsTxt(PathBuf),
    /// A pip constraints file (`-c`).
    Constraints(PathBuf),
    /// A pyproject.toml with the extras and dependency groups to include.
    Pyproject {
        /// The file.
        path: PathBuf,
        /// `[project.optional-dependencies]` to include.
        extras: Vec<String>,
        /// PEP 735 `[dependency-groups]` to include.
        groups: Vec<String>,
    },
    /// A `--package` PEP 508 string.
    Package(String),
    /// A lock file (`uv.lock`, `pylock.toml`, `pylock.<name>.toml`).
    Lock(PathBuf),
}

impl Source {
    /// How the input is named to the user: the file, or `--package SPEC`.
    pub fn label(&self) -> String {
        match self {
            Source::RequirementsTxt(path)
            | Source::Constraints(path)
            | Source::Lock(path)
            | Source::Pyproject { path, .. } => path.display().to_string(),
            Source::Package(spec) => format!("--package {spec}"),
        }
    }
}

/// The kind of lock file, told from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// `uv.lock`.
    Uv,
    /// PEP 751 `pylock.toml` / `pylock.<name>.toml`.
    Pylock,
}

impl LockKind {
    /// Tells the lock kind from a file name.
    pub fn from_path(path: &Path) -> Option<LockKind> {
        let name = path.file_name()?.to_str()?;
        if name == "uv.lock" {
            return Some(LockKind::Uv);
        }
        if name == "pylock.toml" {
            return Some(LockKind::Pylock);
        }
        // PEP 751: `^pylock\.([^.]+)\.toml$`.
        let middle = name.strip_prefix("pylock.")?.strip_suffix(".toml")?;
        (!middle.is_empty() && !middle.contains('.')).then_some(LockKind::Pylock)
    }
}

impl Source {
    /// Tells the kind of a file from its name alone: `*.txt`/`*.in` are requirements files,
    /// `pyproject.toml` a project (no extras, no groups), `uv.lock` and `pylock[.<name>].toml`
    /// lock files.
    pub fn detect(path: &Path) -> Result<Source, RequirementsError> {
        if LockKind::from_path(path).is_some() {
            return Ok(Source::Lock(path.to_path_buf()));
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "pyproject.toml" {
            return Ok(Source::Pyproject {
                path: path.to_path_buf(),
                extras: Vec::new(),
                groups: Vec::new(),
            });
        }
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if extension.eq_ignore_ascii_case("txt") || extension.eq_ignore_ascii_case("in") {
            return Ok(Source::RequirementsTxt(path.to_path_buf()));
        }
        Err(RequirementsError::UnknownKind {
            path: path.to_path_buf(),
        })
    }

    /// Like [`Source::detect`], but a directory is searched with [`discover`].
    pub fn from_user_path(path: &Path) -> Result<Source, RequirementsError> {
        if path.is_dir() {
            discover(path)
        } else {
            Source::detect(path)
        }
    }
}

/// Default input discovery in `dir`: `requirements.txt`, else `pyproject.toml`.
pub fn discover(dir: &Path) -> Result<Source, RequirementsError> {
    let requirements = dir.join("requirements.txt");
    if requirements.is_file() {
        return Ok(Source::RequirementsTxt(requirements));
    }
    let pyproject = dir.join("pyproject.toml");
    if pyproject.is_file() {
        return Ok(Source::Pyproject {
            path: pyproject,
            extras: Vec::new(),
            groups: Vec::new(),
        });
    }
    Err(RequirementsError::NotFound {
        dir: dir.to_path_buf(),
    })
}

/// Options for [`load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Variables for `${VAR}` expansion in requirements files. `None` reads the process
    /// environment (as pip does); tests pass a fixed map.
    pub environment: Option<HashMap<String, String>>,
}

impl LoadOptions {
    fn lookup(&self, name: &str) -> Option<String> {
        match &self.environment {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }
}

/// Reads includes from the file system; cycle identity is the canonical path when it exists.
struct FsReader;

impl txt::IncludeReader for FsReader {
    fn read(&mut self, path: &Path) -> std::io::Result<String> {
        decode_text(&read_bounded(path)?)
    }

    fn identity(&self, path: &Path) -> PathBuf {
        fs_err::canonicalize(path).unwrap_or_else(|_| txt::normalize_lexically(path))
    }
}

/// The largest requirements, pyproject or lock file read, in bytes. The largest real lock
/// files are a few megabytes.
pub const MAX_FILE_SIZE: u64 = 32 * 1024 * 1024;

/// Reads a regular file of at most [`MAX_FILE_SIZE`] bytes. Anything else (`/dev/zero`, a
/// FIFO, a directory, a file that grows while read) is an error rather than an unbounded read
/// or a hang.
pub(crate) fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    read_bounded_with(path, "which no requirements or lock file is")
}

/// [`read_bounded`], saying `why` after "larger than 32 MiB" when the file is too large.
pub(crate) fn read_bounded_with(path: &Path, why: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = fs_err::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        let kind = if metadata.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, kind));
    }
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB, {why}", MAX_FILE_SIZE / (1024 * 1024)),
        )
    };
    if metadata.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(bytes)
}

fn read_file(path: &Path) -> Result<String, RequirementsError> {
    read_bounded(path)
        .and_then(|bytes| decode_text(&bytes))
        .map_err(|cause| RequirementsError::Io {
            path: path.to_path_buf(),
            cause,
        })
}

/// Decodes a text file the way pip's `auto_decode` does for the common cases: a UTF-16 byte
/// order mark (what `pip freeze > requirements.txt` writes in Windows PowerShell 5) selects
/// UTF-16; otherwise the text must be UTF-8 (a UTF-8 BOM is dropped).
pub(crate) fn decode_text(bytes: &[u8]) -> std::io::Result<String> {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|pair| from([pair[0], pair.get(1).copied().unwrap_or(0)]))
            .collect();
        String::from_utf16(&units).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "invalid UTF-16 text")
        })
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|error| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Loads every source into one [`RequirementSet`]: declaration order is kept, identical
/// requirements are kept once (first origin wins). Errors from all sources are collected and
/// returned together; nothing is returned on partial input.
pub fn load(
    sources: &[Source],
    options: &LoadOptions,
) -> Result<RequirementSet, RequirementsError> {
    let mut set = RequirementSet::default();
    let mut errors = Vec::new();
    let env = |name: &str| options.lookup(name);
    for source in sources {
        let result = match source {
            Source::RequirementsTxt(path) | Source::Constraints(path) => {
                let constraint = matches!(source, Source::Constraints(_));
                read_file(path).and_then(|content| {
                    txt::parse_requirements_txt(path, &content, constraint, &mut FsReader, &env)
                })
            }
            Source::Pyproject {
                path,
                extras,
                groups,
            } => read_file(path)
                .and_then(|content| pyproject::parse_pyproject(path, &content, extras, groups)),
            Source::Package(text) => parse_package_spec(text).map(|requirement| RequirementSet {
                requirements: vec![requirement],
                ..RequirementSet::default()
            }),
            Source::Lock(path) => read_file(path).and_then(|content| {
                match LockKind::from_path(path) {
                    Some(LockKind::Pylock) => lock::parse_pylock(path, &content),
                    // `uv.lock`, or any other name the caller insists is a lock: uv's format.
                    _ => lock::parse_uv_lock(path, &content),
                }
            }),
        };
        match result {
            Ok(part) => set.extend(part),
            Err(error) => errors.push(error),
        }
    }
    errors.extend(conflicting_pins(&set.requirements));
    if let Some(error) = RequirementsError::from_many(errors) {
        return Err(error);
    }
    if set.requirements.is_empty() {
        return Err(RequirementsError::Empty {
            sources: sources.iter().map(Source::label).collect(),
            skipped: set.skipped.len(),
        });
    }
    Ok(set)
}

/// The version of an exact pin (`==1.2.3`, no wildcard, no other clause).
fn exact_pin(requirement: &Requirement) -> Option<&pep440_rs::Version> {
    match &requirement.version_or_url {
        Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
            match specifiers.iter().collect::<Vec<_>>().as_slice() {
                [one] if *one.operator() == pep440_rs::Operator::Equal => Some(one.version()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Hand-written requirements that pin one project to two versions under markers that can hold
/// at once (pip and uv refuse such input). Lock files may pin a project twice, each version
/// under its own markers: they are assessed entry by entry, not reported here.
fn conflicting_pins(requirements: &[DeclaredRequirement]) -> Vec<RequirementsError> {
    let where_ =
        |r: &DeclaredRequirement, other: &DeclaredRequirement| match (&r.origin, &other.origin) {
            (Some(o), Some(p)) if o.file == p.file => format!("line {}", o.line),
            (Some(o), _) => o.to_string(),
            (None, _) => "--package".to_string(),
        };
    let pins: Vec<(&DeclaredRequirement, &pep440_rs::Version)> = requirements
        .iter()
        .filter(|r| !r.locked)
        .filter_map(|r| exact_pin(&r.requirement).map(|v| (r, v)))
        .collect();
    let mut out = Vec::new();
    for (i, (first, v1)) in pins.iter().enumerate() {
        let clash = pins[i + 1..].iter().find(|(second, v2)| {
            second.requirement.name == first.requirement.name
                && v1 != v2
                && !first
                    .requirement
                    .marker
                    .is_disjoint(&second.requirement.marker)
        });
        if let Some((second, _)) = clash {
            let prefix = match (&first.origin, &second.origin) {
                (Some(o), Some(p)) if o.file == p.file => format!("{}: ", o.file.display()),
                _ => String::new(),
            };
            out.push(RequirementsError::Conflict {
                prefix,
                first: format!("{} ({})", first.raw, where_(first, second)),
                second: format!("{} ({})", second.raw, where_(second, first)),
            });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    /// The fixture directory.
    pub(crate) fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requirements")
    }

    /// Names and texts of the requirements, as displayed.
    pub(crate) fn shown(list: &[super::DeclaredRequirement]) -> Vec<String> {
        list.iter().map(|r| r.requirement.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{fixtures, shown};
    use super::*;

    #[test]
    fn text_files_decode_utf16_with_bom_and_reject_other_encodings() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("flask>=3\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode_text(&le).unwrap(), "flask>=3\r\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("attrs\n".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode_text(&be).unwrap(), "attrs\n");
        assert_eq!(decode_text(b"\xEF\xBB\xBFnumpy\n").unwrap(), "numpy\n");
        assert_eq!(
            decode_text(b"caf\xE9\n").unwrap_err().to_string(),
            "not UTF-8 text (invalid byte at offset 3)"
        );
    }

    #[test]
    fn file_kinds_are_told_from_names() {
        let kind = |p: &str| Source::detect(Path::new(p));
        assert_eq!(
            kind("reqs/dev.txt").unwrap(),
            Source::RequirementsTxt("reqs/dev.txt".into())
        );
        assert_eq!(
            kind("requirements.in").unwrap(),
            Source::RequirementsTxt("requirements.in".into())
        );
        assert_eq!(
            kind("a/pyproject.toml").unwrap(),
            Source::Pyproject {
                path: "a/pyproject.toml".into(),
                extras: vec![],
                groups: vec![]
            }
        );
        assert_eq!(kind("uv.lock").unwrap(), Source::Lock("uv.lock".into()));
        assert_eq!(
            kind("x/pylock.toml").unwrap(),
            Source::Lock("x/pylock.toml".into())
        );
        assert_eq!(
            kind("pylock.prod.toml").unwrap(),
            Source::Lock("pylock.prod.toml".into())
        );
        assert_eq!(
            kind("pylock.a.b.toml").unwrap_err().to_string(),
            "cannot tell what kind of file `pylock.a.b.toml` is: expected `*.txt` or `*.in` (requirements), `pyproject.toml`, `uv.lock`, `pylock.toml` or `pylock.<name>.toml`"
        );
        assert!(kind("setup.py").is_err());
        assert!(kind("Pipfile.lock").is_err());
    }

    #[test]
    fn discovery_prefers_requirements_txt_then_pyproject() {
        let dir = fixtures().join("discover");
        assert_eq!(
            discover(&dir.join("both")).unwrap(),
            Source::RequirementsTxt(dir.join("both/requirements.txt"))
        );
        assert_eq!(
            Source::from_user_path(&dir.join("only-pyproject")).unwrap(),
            Source::Pyproject {
                path: dir.join("only-pyproject/pyproject.toml"),
                extras: vec![],
                groups: vec![]
            }
        );
        let empty = dir.join("empty");
        assert_eq!(
            discover(&empty).unwrap_err().to_string(),
            format!(
                "no requirements found in `{}`: looked for `requirements.txt` and `pyproject.toml`; pass a requirements, pyproject or lock file explicitly",
                empty.display()
            )
        );
    }

    #[test]
    fn package_specs_are_pep508() {
        let spec = parse_package_spec(" numpy[extra]>=2 ; python_version >= '3.10' ").unwrap();
        assert_eq!(
            spec.requirement.to_string(),
            "numpy[extra]>=2 ; python_full_version >= '3.10'"
        );
        assert!(spec.origin.is_none() && !spec.locked);
        assert_eq!(
            parse_package_spec("numpy>=>2").unwrap_err().to_string(),
            "invalid `--package` value `numpy>=>2`: no such comparison operator \">=>\", must be one of ~= == != <= >= < > === (at column 6)"
        );
        assert_eq!(
            parse_package_spec("").unwrap_err().to_string(),
            "invalid `--package` value ``: expected a requirement such as `numpy>=2`"
        );
    }

    #[test]
    fn load_merges_sources_in_order_without_duplicates() {
        let dir = fixtures();
        let set = load(
            &[
                Source::Package("django>=5".to_string()),
                Source::Pyproject {
                    path: dir.join("discover/only-pyproject/pyproject.toml"),
                    extras: vec![],
                    groups: vec![],
                },
                Source::Constraints(dir.join("txt/constraints.txt")),
                Source::RequirementsTxt(dir.join("discover/both/requirements.txt")),
                Source::Package("flask>=3".to_string()),
            ],
            &LoadOptions::default(),
        )
        .unwrap();
        // `django>=5` from the pyproject and `flask>=3` from `--package` repeat earlier ones.
        assert_eq!(shown(&set.requirements), ["django>=5", "flask>=3"]);
        assert!(set.requirements[0].origin.is_none());
        assert_eq!(
            set.requirements[1].origin.as_ref().unwrap().file,
            dir.join("discover/both/requirements.txt")
        );
        assert_eq!(
            shown(&set.constraints),
            ["urllib3<2.3", "certifi>=2024.2.2"]
        );
        assert!(!set.has_locked());

        let set = load(
            &[Source::Lock(dir.join("lock/pylock.toml"))],
            &LoadOptions::default(),
        )
        .unwrap();
        assert!(set.has_locked());
    }

    #[test]
    fn load_reports_errors_of_every_source_and_returns_nothing() {
        let dir = fixtures();
        let error = load(
            &[
                Source::RequirementsTxt(dir.join("txt/unknown-option.txt")),
                Source::Package("ok".to_string()),
                Source::Package("bad spec!".to_string()),
                Source::RequirementsTxt(dir.join("txt/nope.txt")),
            ],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(error.errors().len(), 3);
        assert_eq!(
            error.to_string(),
            format!(
                "{}:2: unknown option `--frobnicate` in `--frobnicate yes`\n\
                 invalid `--package` value `bad spec!`: Expected one of `@`, `(`, `<`, `=`, `>`, `~`, `!`, `;`, found `s` (at column 5)\n\
                 failed to open file `{}`: No such file or directory (os error 2)",
                dir.join("txt/unknown-option.txt").display(),
                dir.join("txt/nope.txt").display()
            )
        );
    }
}
