//! pip's requirements file format, parsed the way pip's `req_file.py` does: backslash
//! continuations joined first, then comments (`#` at line start or after whitespace) removed,
//! then `${VAR}` expanded, then the line split into a requirement and its options at the first
//! token starting with `-`.
//!
//! Hand-written because no crate published for outside use parses pip's format (uv's parser is
//! internal to uv); pep508_rs parses the requirement part, which we delegate to it. Includes
//! (`-r`, `-c`) are read through [`IncludeReader`], so parsing stays pure and testable over
//! strings. Unnamed entries (`./pkg`, bare URLs, `name @ ./path`) and editables are listed in
//! [`RequirementSet::skipped`] rather than rejected.
//!
//! Not handled here: fetching remote includes (an error), evaluating markers, hashes (accepted
//! and ignored: we read metadata, we do not install).

use std::path::{Component, Path, PathBuf};

use pep508_rs::{Pep508ErrorSource, VerbatimUrlError};

use super::{
    DeclaredRequirement, FileIndexOptions, Origin, RequirementSet, RequirementsError, SkipReason,
    SkippedEntry, pep508_message,
};

/// Reads files named by `-r` / `-c`.
pub trait IncludeReader {
    /// Reads the file at `path` (already joined to the including file's directory).
    fn read(&mut self, path: &Path) -> std::io::Result<String>;

    /// The identity of a file for cycle detection. Defaults to the lexically normalized path.
    fn identity(&self, path: &Path) -> PathBuf {
        normalize_lexically(path)
    }
}

/// Any `FnMut(&Path) -> io::Result<String>` reads includes (handy in tests).
impl<F: FnMut(&Path) -> std::io::Result<String>> IncludeReader for F {
    fn read(&mut self, path: &Path) -> std::io::Result<String> {
        self(path)
    }
}

/// Drops `.` components: always safe, unlike resolving `..` (which a symlink can redirect).
pub fn without_cur_dir(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Removes `.` and resolves `..` components without touching the file system. Used only as a
/// cycle-detection identity when a path cannot be canonicalized.
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Parses the requirements file `path` with contents `content`, following includes through
/// `reader` and expanding `${VAR}` through `env`. With `constraint`, requirements land in
/// [`RequirementSet::constraints`] (as with `-c`). All errors of all files are collected; any
/// error means no result.
pub fn parse_requirements_txt(
    path: &Path,
    content: &str,
    constraint: bool,
    reader: &mut dyn IncludeReader,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RequirementSet, RequirementsError> {
    let mut parser = Parser {
        reader,
        env,
        set: RequirementSet::default(),
        errors: Vec::new(),
        stack: Vec::new(),
        includes: 0,
    };
    let identity = parser.reader.identity(path);
    parser.stack.push((identity, path.to_path_buf()));
    parser.parse_file(path, content, constraint);
    if let Some(error) = RequirementsError::from_many(parser.errors) {
        return Err(error);
    }
    let mut set = parser.set;
    set.dedup();
    Ok(set)
}

struct Parser<'a> {
    reader: &'a mut dyn IncludeReader,
    env: &'a dyn Fn(&str) -> Option<String>,
    set: RequirementSet,
    errors: Vec<RequirementsError>,
    /// Files being parsed: (identity, path as reached).
    stack: Vec<(PathBuf, PathBuf)>,
    /// Includes read so far (bounded by [`MAX_INCLUDES`]).
    includes: usize,
}

/// The most `-r`/`-c` includes one requirements file may pull in, in all, and the deepest
/// chain of them. Real projects use a handful; without a bound, files that include each other
/// twice over (a DAG, not a cycle) would be read an exponential number of times.
pub const MAX_INCLUDES: usize = 1000;
/// See [`MAX_INCLUDES`].
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// What an option does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Opt {
    Requirement,
    Constraint,
    Editable,
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    FindLinks,
    Pre,
    /// Accepted, value ignored.
    IgnoredValue,
    /// Accepted flag, ignored.
    IgnoredFlag,
}

/// Options allowed on a line of their own (pip's `SUPPORTED_OPTIONS`): (short, long, kind).
const LINE_OPTIONS: &[(Option<&str>, &str, Opt)] = &[
    (Some("-r"), "--requirement", Opt::Requirement),
    (Some("-c"), "--constraint", Opt::Constraint),
    (Some("-e"), "--editable", Opt::Editable),
    (Some("-i"), "--index-url", Opt::IndexUrl),
    (None, "--extra-index-url", Opt::ExtraIndexUrl),
    (None, "--no-index", Opt::NoIndex),
    (Some("-f"), "--find-links", Opt::FindLinks),
    (None, "--pre", Opt::Pre),
    (None, "--trusted-host", Opt::IgnoredValue),
    (None, "--prefer-binary", Opt::IgnoredFlag),
    (None, "--only-binary", Opt::IgnoredValue),
    (None, "--no-binary", Opt::IgnoredValue),
    (None, "--use-feature", Opt::IgnoredValue),
    (None, "--require-hashes", Opt::IgnoredFlag),
];

/// Options allowed after a requirement (pip's `SUPPORTED_OPTIONS_REQ`).
const REQUIREMENT_OPTIONS: &[(Option<&str>, &str, Opt)] = &[
    (None, "--hash", Opt::IgnoredValue),
    (None, "--global-option", Opt::IgnoredValue),
    (Some("-C"), "--config-settings", Opt::IgnoredValue),
];

impl Opt {
    fn takes_value(self) -> bool {
        !matches!(self, Opt::NoIndex | Opt::Pre | Opt::IgnoredFlag)
    }
}

/// A logical line: 1-based number of its first physical line and its text.
struct Logical {
    line: usize,
    text: String,
}

/// pip's `join_lines`: a line ending in `\` continues on the next one, unless it is a comment.
fn join_lines(content: &str) -> Vec<Logical> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut out = Vec::new();
    let mut pending: Option<Logical> = None;
    for (index, line) in content.lines().enumerate() {
        let number = index + 1;
        let comment = is_comment_line(line);
        if !line.ends_with('\\') || comment {
            // pip prefixes a comment with a space so that it is always stripped later.
            let piece = if comment {
                format!(" {line}")
            } else {
                line.to_string()
            };
            if let Some(mut logical) = pending.take() {
                logical.text.push_str(&piece);
                out.push(logical);
            } else {
                out.push(Logical {
                    line: number,
                    text: piece,
                });
            }
        } else {
            let piece = line.trim_end_matches('\\');
            match &mut pending {
                Some(logical) => logical.text.push_str(piece),
                None => {
                    pending = Some(Logical {
                        line: number,
                        text: piece.to_string(),
                    });
                }
            }
        }
    }
    if let Some(logical) = pending {
        out.push(logical);
    }
    out
}

/// pip's `COMMENT_RE.match`: `#` at the start, possibly after whitespace.
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// pip's `COMMENT_RE.sub`: cuts from the first `#` that starts the line or follows whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'#' && (index == 0 || bytes[index - 1].is_ascii_whitespace()) {
            return &line[..index];
        }
    }
    line
}

/// pip's `expand_env_variables`: `${NAME}` with `NAME` of `[A-Z0-9_]+`, replaced when set and
/// left as written otherwise.
pub fn expand_env_vars(line: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        if name_len > 0 && after.as_bytes().get(name_len) == Some(&b'}') {
            let name = &after[..name_len];
            match env(name) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[start..=start + 2 + name_len]),
            }
            rest = &after[name_len + 1..];
        } else {
            out.push_str("${");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// pip's `break_args_options`: the requirement is everything before the first space-separated
/// token starting with `-`.
fn break_args_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split(' ').collect();
    let split = tokens
        .iter()
        .position(|t| t.starts_with('-'))
        .unwrap_or(tokens.len());
    (tokens[..split].join(" "), tokens[split..].join(" "))
}

/// A small `shlex.split` (POSIX mode): whitespace separates words, quotes group, backslash
/// escapes outside single quotes. Hand-written: pip uses Python's `shlex`, and the option part
/// of a line needs nothing more. Returns `None` for an unterminated quote.
fn shlex_split(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        other => word.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => {
                            let next = chars.next()?;
                            if !matches!(next, '"' | '\\' | '$' | '`') {
                                word.push('\\');
                            }
                            word.push(next);
                        }
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// `true` when `text` starts with a URL scheme (`https:`, `git+ssh:`, `file:`, `C:`).
fn has_scheme(text: &str) -> bool {
    let Some(colon) = text.find(':') else {
        return false;
    };
    let scheme = &text[..colon];
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".tar.lz",
    ".tlz",
];

/// pip treats a requirement that is a URL, looks like a path, or names an archive as an
/// unnamed direct reference (`install_req_from_line`). Such entries have no index to check.
fn is_bare_reference(args: &str) -> bool {
    let first = args
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("");
    if has_scheme(first) {
        return true;
    }
    if first.contains('@') {
        return false;
    }
    let lower = first.to_ascii_lowercase();
    first.starts_with('.')
        || first.starts_with('~')
        || first.contains('/')
        || first.contains('\\')
        || ARCHIVE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

impl Parser<'_> {
    fn parse_file(&mut self, path: &Path, content: &str, constraint: bool) {
        for logical in join_lines(content) {
            let without_comment = strip_comment(&logical.text).trim();
            if without_comment.is_empty() {
                continue;
            }
            let expanded = expand_env_vars(without_comment, self.env);
            self.parse_line(path, logical.line, without_comment, &expanded, constraint);
        }
    }

    fn parse_line(
        &mut self,
        path: &Path,
        line: usize,
        written: &str,
        expanded: &str,
        constraint: bool,
    ) {
        let (args, options) = break_args_options(expanded);
        let args = args.trim();
        if args.is_empty() {
            self.parse_line_options(path, line, written, expanded, constraint);
            return;
        }
        // Per-requirement options (`--hash=...`) are checked, then ignored.
        if !options.trim().is_empty()
            && self
                .parse_options(path, line, expanded, &options, REQUIREMENT_OPTIONS)
                .is_none()
        {
            return;
        }
        let raw = break_args_options(written).0.trim().to_string();
        let origin = Some(Origin {
            file: path.to_path_buf(),
            line,
        });
        if is_bare_reference(args) {
            self.skip(&raw, origin, constraint, SkipReason::DirectReference);
            return;
        }
        match crate::pep508::parse_requirement(args) {
            Ok(requirement) => {
                let declared = DeclaredRequirement::new(requirement, raw, origin);
                if constraint {
                    self.set.constraints.push(declared);
                } else {
                    self.set.requirements.push(declared);
                }
            }
            // `name @ ./local/path`: a direct reference to a path (pep508_rs only takes URLs).
            Err(error)
                if matches!(
                    error.message,
                    Pep508ErrorSource::UrlError(VerbatimUrlError::NotAUrl(_))
                ) =>
            {
                self.skip(&raw, origin, constraint, SkipReason::DirectReference);
            }
            Err(error) => self.errors.push(RequirementsError::Parse {
                file: path.to_path_buf(),
                line,
                text: raw,
                expected: pep508_message(&error),
            }),
        }
    }

    fn skip(&mut self, raw: &str, origin: Option<Origin>, constraint: bool, reason: SkipReason) {
        let reason = if constraint {
            SkipReason::UnusableConstraint
        } else {
            reason
        };
        self.set.skipped.push(SkippedEntry {
            raw: crate::util::redact::redact_text(raw),
            origin,
            reason,
        });
    }

    /// Parses option words against `table`: returns (kind, value) pairs, or `None` after
    /// recording an error.
    fn parse_options(
        &mut self,
        path: &Path,
        line: usize,
        text: &str,
        options: &str,
        table: &[(Option<&'static str>, &'static str, Opt)],
    ) -> Option<Vec<(Opt, String)>> {
        let bad = |problem: String| RequirementsError::BadOption {
            file: path.to_path_buf(),
            line,
            problem,
            text: text.to_string(),
        };
        let Some(words) = shlex_split(options) else {
            self.errors
                .push(bad("unterminated quote in options".to_string()));
            return None;
        };
        let mut out = Vec::new();
        let mut words = words.into_iter();
        while let Some(word) = words.next() {
            let (name, attached) = if let Some(long) = word.strip_prefix("--") {
                match long.split_once('=') {
                    Some((name, value)) => (format!("--{name}"), Some(value.to_string())),
                    None => (word.clone(), None),
                }
            } else if let Some((at, _)) =
                word.char_indices().nth(2).filter(|_| word.starts_with('-'))
            {
                // `-rfile`: a short option with its value attached.
                (word[..at].to_string(), Some(word[at..].to_string()))
            } else if word.starts_with('-') {
                (word.clone(), None)
            } else {
                self.errors.push(bad(format!(
                    "unexpected argument `{word}` among options (a requirement must come first)"
                )));
                return None;
            };
            let Some((opt, canonical)) = lookup_option(table, &name) else {
                self.errors.push(RequirementsError::UnknownOption {
                    file: path.to_path_buf(),
                    line,
                    option: name,
                    text: text.to_string(),
                });
                return None;
            };
            if opt.takes_value() {
                let Some(value) = attached.or_else(|| words.next()) else {
                    self.errors
                        .push(bad(format!("option `{canonical}` needs a value")));
                    return None;
                };
                out.push((opt, value));
            } else if attached.is_some() {
                self.errors
                    .push(bad(format!("option `{canonical}` takes no value")));
                return None;
            } else {
                out.push((opt, String::new()));
            }
        }
        Some(out)
    }

    fn parse_line_options(
        &mut self,
        path: &Path,
        line: usize,
        written: &str,
        text: &str,
        constraint: bool,
    ) {
        let Some(options) = self.parse_options(path, line, text, text, LINE_OPTIONS) else {
            return;
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        for (opt, value) in options {
            match opt {
                Opt::Requirement => self.include(path, line, &value, false),
                Opt::Constraint => self.include(path, line, &value, true),
                Opt::Editable => {
                    let origin = Some(Origin {
                        file: path.to_path_buf(),
                        line,
                    });
                    self.skip(written, origin, constraint, SkipReason::Editable);
                }
                Opt::IndexUrl => {
                    self.set.index.index_url = Some(value);
                }
                Opt::ExtraIndexUrl => self.set.index.merge(FileIndexOptions {
                    extra_index_urls: vec![value],
                    ..FileIndexOptions::default()
                }),
                Opt::FindLinks => {
                    let resolved = if has_scheme(&value) || Path::new(&value).is_absolute() {
                        value
                    } else {
                        without_cur_dir(&dir.join(&value))
                            .to_string_lossy()
                            .into_owned()
                    };
                    self.set.index.merge(FileIndexOptions {
                        find_links: vec![resolved],
                        ..FileIndexOptions::default()
                    });
                }
                Opt::NoIndex => self.set.index.no_index = true,
                Opt::Pre => self.set.index.pre = true,
                Opt::IgnoredValue | Opt::IgnoredFlag => {}
            }
        }
    }

    /// Follows `-r` (`constraint == false`) or `-c`. As in pip, a `-r` inside a constraints
    /// file yields requirements, and a `-c` anywhere yields constraints.
    fn include(&mut self, from: &Path, line: usize, target: &str, constraint: bool) {
        if has_scheme(target) && !is_windows_drive(target) {
            self.errors.push(RequirementsError::RemoteInclude {
                file: from.to_path_buf(),
                line,
                url: target.to_string(),
            });
            return;
        }
        let target_path = Path::new(target);
        let path = if target_path.is_absolute() {
            target_path.to_path_buf()
        } else {
            without_cur_dir(&from.parent().unwrap_or(Path::new("")).join(target_path))
        };
        let identity = self.reader.identity(&path);
        if let Some(start) = self.stack.iter().position(|(id, _)| *id == identity) {
            let mut chain: Vec<PathBuf> = self.stack[start..]
                .iter()
                .map(|(_, shown)| shown.clone())
                .collect();
            chain.push(path);
            self.errors.push(RequirementsError::IncludeCycle { chain });
            return;
        }
        self.includes += 1;
        if self.includes > MAX_INCLUDES || self.stack.len() >= MAX_INCLUDE_DEPTH {
            // Reported once: past the limit nothing more is read.
            if self.includes > MAX_INCLUDES + 1 {
                return;
            }
            self.includes = self.includes.max(MAX_INCLUDES + 1);
            self.errors.push(RequirementsError::BadOption {
                file: from.to_path_buf(),
                line,
                problem: format!(
                    "too many includes (at most {MAX_INCLUDES} files, nested at most {MAX_INCLUDE_DEPTH} deep)"
                ),
                text: format!("-r {target}"),
            });
            return;
        }
        let content = match self.reader.read(&path) {
            Ok(content) => content,
            Err(cause) => {
                self.errors.push(RequirementsError::Include {
                    file: from.to_path_buf(),
                    line,
                    path,
                    cause,
                });
                return;
            }
        };
        self.stack.push((identity, path.clone()));
        self.parse_file(&path, &content, constraint);
        self.stack.pop();
    }
}

fn is_windows_drive(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// Finds an option by exact name, else (as Python's optparse does) by unique prefix of a long
/// option. Returns the kind and the canonical long name.
fn lookup_option(
    table: &[(Option<&'static str>, &'static str, Opt)],
    name: &str,
) -> Option<(Opt, &'static str)> {
    if let Some((_, long, opt)) = table
        .iter()
        .find(|(short, long, _)| *short == Some(name) || *long == name)
    {
        return Some((*opt, long));
    }
    if name.starts_with("--") && name.len() > 2 {
        let mut matches = table.iter().filter(|(_, long, _)| long.starts_with(name));
        if let (Some((_, long, opt)), None) = (matches.next(), matches.next()) {
            return Some((*opt, long));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use super::*;

    #[test]
    fn includes_are_bounded_in_depth_and_number() {
        // Each file includes the next one down, twice: without bounds, 2^depth reads.
        let mut reads = 0;
        let mut reader = |_: &Path| {
            reads += 1;
            Ok::<_, std::io::Error>("six\n-r d/r.txt\n-r d/r.txt\n".to_string())
        };
        let env = |_: &str| None;
        let error =
            parse_requirements_txt(Path::new("r.txt"), "-r d/r.txt\n", false, &mut reader, &env)
                .unwrap_err();
        assert_eq!(
            error.errors()[0].to_string(),
            format!(
                "{}:2: too many includes (at most 1000 files, nested at most 32 deep) in `-r d/r.txt`",
                ["d"; 31].join("/") + "/r.txt"
            )
        );
        // Past a limit, nothing more is read.
        assert_eq!(reads, MAX_INCLUDE_DEPTH - 1);

        let mut wide = String::new();
        for i in 0..=MAX_INCLUDES {
            wide.push_str("-r f");
            wide.push_str(&i.to_string());
            wide.push_str(".txt\n");
        }
        let mut reads = 0;
        let mut reader = |_: &Path| {
            reads += 1;
            Ok::<_, std::io::Error>("six\n".to_string())
        };
        let error = parse_requirements_txt(Path::new("r.txt"), &wide, false, &mut reader, &env)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "r.txt:1001: too many includes (at most 1000 files, nested at most 32 deep) in `-r f1000.txt`"
        );
        assert_eq!(reads, MAX_INCLUDES);
    }
    use crate::requirements::test_support::{fixtures, shown};
    use crate::requirements::{LoadOptions, Source, load};

    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// Parses `main` (named `dir/main.txt`) with the other files served from memory.
    fn parse_with(main: &str, files: &[(&str, &str)]) -> Result<RequirementSet, RequirementsError> {
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(name, text)| (PathBuf::from(name), (*text).to_string()))
            .collect();
        let mut reader = |path: &Path| {
            files
                .get(&normalize_lexically(path))
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
        };
        parse_requirements_txt(Path::new("dir/main.txt"), main, false, &mut reader, &no_env)
    }

    fn parse(main: &str) -> Result<RequirementSet, RequirementsError> {
        parse_with(main, &[])
    }

    #[test]
    fn continuations_and_comments_follow_pip() {
        let set = parse(concat!(
            "# leading comment \\\n",
            "flask \\\n",
            "  >=3.0 # trailing comment\n",
            "   # indented comment\n",
            "attrs \\\n",
            "# comment ends the continuation\n",
            "django\t# tab before hash is whitespace too\n",
            "\n",
            "   \n",
        ))
        .unwrap();
        assert_eq!(shown(&set.requirements), ["flask>=3.0", "attrs", "django"]);
        let lines: Vec<usize> = set
            .requirements
            .iter()
            .map(|r| r.origin.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [2, 5, 7]);
        assert_eq!(set.requirements[0].raw, "flask   >=3.0");
    }

    #[test]
    fn hash_inside_a_url_is_not_a_comment() {
        let set =
            parse("pkg @ https://example.org/pkg-1.0-py3-none-any.whl#sha256=abcd\n").unwrap();
        assert_eq!(
            shown(&set.requirements),
            ["pkg @ https://example.org/pkg-1.0-py3-none-any.whl#sha256=abcd"]
        );
    }

    #[test]
    fn crlf_line_endings_and_bom() {
        let set = parse("\u{feff}flask>=3\r\nattrs \\\r\n  >=23\r\n").unwrap();
        assert_eq!(shown(&set.requirements), ["flask>=3", "attrs>=23"]);
    }

    #[test]
    fn environment_variables_expand_like_pip() {
        let env = |name: &str| (name == "HOST").then(|| "mirror.example.org".to_string());
        assert_eq!(
            expand_env_vars(
                "https://${HOST}/simple ${UNSET} $HOST ${lower} ${HOST",
                &env
            ),
            "https://mirror.example.org/simple ${UNSET} $HOST ${lower} ${HOST"
        );
    }

    #[test]
    fn options_with_quotes_attached_values_and_abbreviations() {
        let set = parse(concat!(
            "--extra-index-url \"https://a.example.org/simple\"\n",
            "-ihttps://b.example.org/simple\n",
            "--no-index --pre\n",
            "--extra-index https://c.example.org/simple\n",
            "flask --has=sha256:abc\n",
        ))
        .unwrap();
        assert_eq!(
            set.index.index_url.as_deref(),
            Some("https://b.example.org/simple")
        );
        assert_eq!(
            set.index.extra_index_urls,
            [
                "https://a.example.org/simple",
                "https://c.example.org/simple"
            ]
        );
        assert!(set.index.no_index && set.index.pre);
        assert_eq!(shown(&set.requirements), ["flask"]);
    }

    #[test]
    fn non_ascii_input_does_not_panic() {
        let error = parse("-é€x\nnümpy>=1\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dir/main.txt:1: unknown option `-é` in `-é€x`\n\
             dir/main.txt:2: invalid requirement `nümpy>=1`: Expected one of `@`, `(`, `<`, `=`, `>`, `~`, `!`, `;`, found `ü` (at column 2)"
        );
    }

    #[test]
    fn constraint_files_skip_unnamed_entries_and_refuse_hash_lines() {
        let mut reader = |_: &Path| -> std::io::Result<String> { unreachable!("no includes") };
        let set = parse_requirements_txt(
            Path::new("c.txt"),
            "-e ./local\nurllib3<2\n./wheel.whl\n",
            true,
            &mut reader,
            &no_env,
        )
        .unwrap();
        assert_eq!(shown(&set.constraints), ["urllib3<2"]);
        assert!(set.requirements.is_empty());
        assert!(
            set.skipped
                .iter()
                .all(|s| s.reason == SkipReason::UnusableConstraint)
        );
        assert_eq!(set.skipped.len(), 2);
        let error = parse("--hash=sha256:abc\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dir/main.txt:1: unknown option `--hash` in `--hash=sha256:abc`"
        );
    }

    #[test]
    fn option_errors_name_the_option() {
        let error = parse("flask\n--index-url\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dir/main.txt:2: option `--index-url` needs a value in `--index-url`"
        );
        let error = parse("--pre=yes\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dir/main.txt:1: option `--pre` takes no value in `--pre=yes`"
        );
        let error = parse("--pre flask\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dir/main.txt:1: unexpected argument `flask` among options (a requirement must come first) in `--pre flask`"
        );
        // `--install-option` was removed from pip: an unknown option after a requirement.
        let error = parse("flask --install-option=--x\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dir/main.txt:1: unknown option `--install-option` in `flask --install-option=--x`"
        );
    }

    #[test]
    fn includes_resolve_relative_to_the_including_file() {
        let set = parse_with(
            "-r sub/more.txt\n-c pins.txt\nflask\n",
            &[
                ("dir/sub/more.txt", "attrs\n-r ../../top.txt\n-f ./wheels\n"),
                ("top.txt", "django\n"),
                (
                    "dir/pins.txt",
                    "urllib3<2\n-r from-constraints.txt\n-c nested-pins.txt\n",
                ),
                ("dir/from-constraints.txt", "idna\n"),
                ("dir/nested-pins.txt", "certifi>=2024\n"),
            ],
        )
        .unwrap();
        // As in pip, `-r` inside a constraints file gives requirements.
        assert_eq!(
            shown(&set.requirements),
            ["attrs", "django", "idna", "flask"]
        );
        assert_eq!(shown(&set.constraints), ["urllib3<2", "certifi>=2024"]);
        assert_eq!(set.index.find_links, ["dir/sub/wheels"]);
        let origin = set.requirements[1].origin.as_ref().unwrap();
        assert_eq!(
            (origin.file.as_path(), origin.line),
            (Path::new("dir/sub/../../top.txt"), 1)
        );
    }

    #[test]
    fn include_cycles_are_reported_with_the_chain() {
        let error = parse_with(
            "flask\n-r a.txt\n",
            &[
                ("dir/a.txt", "-r b.txt\n"),
                ("dir/b.txt", "-r ./main.txt\n"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "requirements files include each other in a cycle: `dir/main.txt` -> `dir/a.txt` -> `dir/b.txt` -> `dir/main.txt`"
        );
        let error = parse("-r main.txt\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "requirements files include each other in a cycle: `dir/main.txt` -> `dir/main.txt`"
        );
    }

    #[test]
    fn same_file_included_twice_is_not_a_cycle() {
        let set = parse_with(
            "-r a.txt\n-r b.txt\n",
            &[
                ("dir/a.txt", "-r common.txt\nflask\n"),
                ("dir/b.txt", "-r common.txt\n"),
                ("dir/common.txt", "attrs\n"),
            ],
        )
        .unwrap();
        assert_eq!(shown(&set.requirements), ["attrs", "flask"]);
    }

    #[test]
    fn remote_includes_are_refused() {
        let error = parse("-r https://example.org/reqs.txt\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dir/main.txt:1: cannot include remote requirements file `https://example.org/reqs.txt`: download it and pass the local copy"
        );
    }

    #[test]
    fn editables_and_unnamed_references_are_skipped_not_errors() {
        let set = parse(concat!(
            "-e ./local\n",
            "--editable=git+https://example.org/repo.git#egg=repo\n",
            ".\n",
            "../sibling\n",
            "/abs/path/pkg\n",
            "pkg-1.0-py3-none-any.whl\n",
            "git+https://example.org/repo.git@v1#egg=repo\n",
            "named @ ../relative/dir\n",
            "flask\n",
        ))
        .unwrap();
        assert_eq!(shown(&set.requirements), ["flask"]);
        let skipped: Vec<(&str, &SkipReason)> = set
            .skipped
            .iter()
            .map(|s| (s.raw.as_str(), &s.reason))
            .collect();
        assert_eq!(
            skipped,
            [
                ("-e ./local", &SkipReason::Editable),
                (
                    "--editable=git+https://example.org/repo.git#egg=repo",
                    &SkipReason::Editable
                ),
                (".", &SkipReason::DirectReference),
                ("../sibling", &SkipReason::DirectReference),
                ("/abs/path/pkg", &SkipReason::DirectReference),
                ("pkg-1.0-py3-none-any.whl", &SkipReason::DirectReference),
                (
                    "git+https://example.org/repo.git@v1#egg=repo",
                    &SkipReason::DirectReference
                ),
                ("named @ ../relative/dir", &SkipReason::DirectReference),
            ]
        );
    }

    fn env_map() -> LoadOptions {
        LoadOptions {
            environment: Some(HashMap::from([
                (
                    "WW_INDEX_URL".to_string(),
                    "https://mirror.example.org/simple".to_string(),
                ),
                ("WW_TOKEN".to_string(), "s3cret".to_string()),
            ])),
        }
    }

    #[test]
    fn realistic_fixture_with_includes_hashes_markers_and_options() {
        let dir = fixtures().join("txt");
        let set = load(
            &[Source::RequirementsTxt(dir.join("requirements.txt"))],
            &env_map(),
        )
        .unwrap();
        assert_eq!(
            shown(&set.requirements),
            [
                "attrs>=23.1",
                "pyyaml==6.0.1",
                "cffi>=1.16 ; platform_python_implementation == 'CPython'",
                "requests[socks,security]>=2.31,<3",
                "numpy==1.26.4 ; python_full_version < '3.13'",
                "pywin32>=306 ; sys_platform == 'win32'",
                "uvloop>=0.19 ; sys_platform != 'win32'",
                "private-lib @ https://s3cret@git.example.org/private-lib-1.0-py3-none-any.whl#sha256=0f1e2d3c",
            ]
        );
        // The raw text is never expanded, and credentials in it are redacted: secrets are never
        // echoed back.
        assert_eq!(
            set.requirements[7].raw,
            "private-lib @ https://***@git.example.org/private-lib-1.0-py3-none-any.whl#sha256=0f1e2d3c"
        );
        let origins: Vec<String> = set
            .requirements
            .iter()
            .map(|r| {
                let o = r.origin.as_ref().unwrap();
                format!(
                    "{}:{}",
                    o.file.file_name().unwrap().to_string_lossy(),
                    o.line
                )
            })
            .collect();
        assert_eq!(
            origins,
            [
                "base.txt:2",
                "base.txt:3",
                "base.txt:5",
                "requirements.txt:14",
                "requirements.txt:15",
                "requirements.txt:18",
                "requirements.txt:19",
                "requirements.txt:22"
            ]
        );
        assert_eq!(
            shown(&set.constraints),
            ["urllib3<2.3", "certifi>=2024.2.2"]
        );
        assert_eq!(
            set.index,
            FileIndexOptions {
                index_url: Some("https://mirror.example.org/simple".to_string()),
                extra_index_urls: vec!["https://extra.example.org/simple".to_string()],
                find_links: vec![
                    dir.join("wheels").to_string_lossy().into_owned(),
                    "https://example.org/links/".to_string()
                ],
                no_index: false,
                pre: true,
            }
        );
        let skipped: Vec<(&str, usize, &SkipReason)> = set
            .skipped
            .iter()
            .map(|s| (s.raw.as_str(), s.origin.as_ref().unwrap().line, &s.reason))
            .collect();
        assert_eq!(
            skipped,
            [
                ("-e ./libs/shared", 25, &SkipReason::Editable),
                ("./vendor/legacy-pkg", 26, &SkipReason::DirectReference),
                (
                    "https://example.org/dist/thing-2.0-py3-none-any.whl",
                    27,
                    &SkipReason::DirectReference
                ),
                (
                    "local-thing @ ./vendor/local-thing",
                    28,
                    &SkipReason::DirectReference
                ),
            ]
        );
    }

    #[test]
    fn every_bad_line_is_reported_at_once() {
        let path = fixtures().join("txt/bad.txt");
        let error = load(
            &[Source::RequirementsTxt(path.clone())],
            &LoadOptions::default(),
        )
        .unwrap_err();
        let p = path.display();
        assert_eq!(
            error.to_string(),
            format!(
                "{p}:2: invalid requirement `django>=>4`: no such comparison operator \">=>\", must be one of ~= == != <= >= < > === (at column 7)\n\
                 {p}:3: invalid requirement `numpy ==1.26 ; python_version <`: Expected marker value, found end of dependency specification (at column 32)\n\
                 {p}:5: invalid requirement `pandas[excel =2.2`: Expected either `,` (separating extras) or `]` (ending the extras section), found `=` (at column 14)"
            )
        );
    }

    #[test]
    fn unknown_options_in_fixtures() {
        let path = fixtures().join("txt/unknown-option.txt");
        let error = load(
            &[Source::RequirementsTxt(path.clone())],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}:2: unknown option `--frobnicate` in `--frobnicate yes`",
                path.display()
            )
        );
        let path = fixtures().join("txt/bad-hash-option.txt");
        let error = load(
            &[Source::RequirementsTxt(path.clone())],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}:1: unknown option `--hsh` in `flask>=3.0 --hsh=sha256:abc`",
                path.display()
            )
        );
    }

    #[test]
    fn fixture_cycle_and_missing_include() {
        let dir = fixtures().join("txt");
        let error = load(
            &[Source::RequirementsTxt(dir.join("cycle-a.txt"))],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "requirements files include each other in a cycle: `{a}` -> `{b}` -> `{a}`",
                a = dir.join("cycle-a.txt").display(),
                b = dir.join("cycle-b.txt").display()
            )
        );
        let error = load(
            &[Source::RequirementsTxt(dir.join("missing-include.txt"))],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}:2: failed to open file `{}`: No such file or directory (os error 2)",
                dir.join("missing-include.txt").display(),
                dir.join("does-not-exist.txt").display()
            )
        );
    }
}
