//! Requirement sources: requirements.txt files (with includes and pip options), pyproject.toml
//! (`[project] dependencies`, optional dependencies, PEP 735 dependency groups) and `--package`
//! specs, turned into one [`RequirementSet`]. Parsing is pure over `&str`; a thin loader reads
//! files and follows includes.
//!
//! STUB: to be completed.

use std::path::PathBuf;

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

/// A requirement as declared, with where it came from.
#[derive(Clone, Debug)]
pub struct DeclaredRequirement {
    /// The parsed PEP 508 requirement. Direct references (`name @ url`) are kept: assessment
    /// reports them as "not assessed".
    pub requirement: Requirement,
    /// The requirement text as written (continuations joined, comments removed).
    pub raw: String,
    /// Where it was declared; `None` for `--package`.
    pub origin: Option<Origin>,
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

/// Everything read from the requirement sources.
#[derive(Clone, Debug, Default)]
pub struct RequirementSet {
    /// Requirements to assess, in declaration order.
    pub requirements: Vec<DeclaredRequirement>,
    /// Constraints (`-c` files): they narrow versions but are not assessed on their own.
    pub constraints: Vec<DeclaredRequirement>,
    /// Index options the files carry.
    pub index: FileIndexOptions,
}

/// A requirement source that could not be read or parsed. Nothing is assessed on partial input.
#[derive(Debug, Error)]
pub enum RequirementsError {
    /// The file could not be read.
    #[error("failed to read `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line did not parse.
    #[error("{file}:{line}: invalid requirement `{text}`: {expected}", file = .file.display())]
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
}
