//! Lock files read as pinned sets, without resolving: `uv.lock` and PEP 751 `pylock.toml`.
//!
//! Every locked registry package becomes a `name==version` requirement with
//! [`DeclaredRequirement::locked`] set and, where the lock records it, the marker under which
//! the package is installed:
//! - `uv.lock` records markers on dependency edges, so a package's marker is computed as the
//!   disjunction over all paths from the workspace members (editable/virtual sources) of the
//!   conjunction of edge markers (what `uv export` does). All extras and dependency groups of
//!   the members are included, and uv's `extra == ...` conflict markers are taken as satisfied,
//!   so the set covers every configuration the lock can install.
//! - `pylock.toml` records a `marker` and `requires-python` per package; tests of PEP 751's
//!   `extras` and `dependency_groups` marker variables (which pep508_rs does not know) are taken
//!   as satisfied, so again every extra/group selection is covered.
//!
//! Git and URL sources become `name @ url` direct references (reported "not assessed");
//! directory, path and editable sources are listed in [`RequirementSet::skipped`]. The lock's
//! own index URLs are not carried over into [`super::FileIndexOptions`].
//!
//! One module per format ([`uv`], [`pylock`]); this one holds what both build pins with.

use std::path::Path;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifier, VersionSpecifiers};
use pep508_rs::{MarkerTree, PackageName, Requirement, VerbatimUrl, VersionOrUrl};

use super::{
    DeclaredRequirement, DeclaredRequiresPython, Origin, RequirementsError, SkippedEntry, line_of,
    pep508_message,
};

mod pylock;
mod uv;

pub use pylock::parse_pylock;
pub use uv::parse_uv_lock;

fn toml_error(path: &Path, content: &str, error: &toml::de::Error) -> RequirementsError {
    let message = match error.span() {
        Some(span) => format!(
            "line {}: {}",
            line_of(content, span.start),
            error.message().trim()
        ),
        None => error.message().trim().to_string(),
    };
    RequirementsError::Toml {
        file: path.to_path_buf(),
        message,
    }
}

fn shape(
    path: &Path,
    line: usize,
    key: impl Into<String>,
    expected: impl Into<String>,
) -> RequirementsError {
    RequirementsError::Shape {
        file: path.to_path_buf(),
        line,
        key: key.into(),
        expected: expected.into(),
    }
}

fn pinned(name: PackageName, version: Version, marker: MarkerTree) -> Requirement {
    Requirement {
        name,
        extras: Vec::new(),
        version_or_url: Some(VersionOrUrl::VersionSpecifier(VersionSpecifiers::from(
            VersionSpecifier::equals_version(version),
        ))),
        marker,
        origin: None,
    }
}

fn direct(name: PackageName, url: &str, marker: MarkerTree) -> Result<Requirement, String> {
    let url = VerbatimUrl::parse_url(url).map_err(|e| e.to_string())?;
    Ok(Requirement {
        name,
        extras: Vec::new(),
        version_or_url: Some(VersionOrUrl::Url(url)),
        marker,
        origin: None,
    })
}

fn locked(requirement: Requirement, origin: Origin) -> DeclaredRequirement {
    DeclaredRequirement {
        raw: crate::util::redact::redact_text(&requirement.to_string()),
        requirement,
        origin: Some(origin),
        locked: true,
    }
}

fn parse_requires_python(
    path: &Path,
    key: &str,
    text: Option<&str>,
) -> Result<Option<DeclaredRequiresPython>, RequirementsError> {
    let Some(text) = text else {
        return Ok(None);
    };
    VersionSpecifiers::from_str(text)
        .map(|specifiers| {
            Some(DeclaredRequiresPython {
                specifiers,
                file: path.to_path_buf(),
            })
        })
        .map_err(|error| shape(path, 1, key, format!("must be version specifiers: {error}")))
}

/// What one package of a lock becomes (moved straight into the set: boxing the larger variant
/// would buy nothing).
#[allow(clippy::large_enum_variant)]
enum Pin {
    Requirement(DeclaredRequirement),
    Skipped(SkippedEntry),
}

/// The marker of a string from the lock, `extra == ...` conflict markers taken as satisfied.
fn lock_marker(
    path: &Path,
    line: usize,
    key: &str,
    text: Option<&str>,
) -> Result<MarkerTree, RequirementsError> {
    let Some(text) = text else {
        return Ok(MarkerTree::TRUE);
    };
    let marker =
        crate::pep508::parse_marker(text).map_err(|error| RequirementsError::TomlRequirement {
            file: path.to_path_buf(),
            line,
            key: key.to_string(),
            text: text.to_string(),
            expected: pep508_message(&error),
        })?;
    Ok(marker.simplify_extras_with(|_| true))
}

#[cfg(test)]
mod tests {
    use super::pylock::rewrite_lock_marker_variables;
    use super::*;
    use crate::requirements::SkipReason;
    use crate::requirements::test_support::{fixtures, shown};

    fn read(name: &str) -> (std::path::PathBuf, String) {
        let path = fixtures().join("lock").join(name);
        let text = fs_err::read_to_string(&path).unwrap();
        (path, text)
    }

    #[test]
    fn uv_lock_pins_with_markers_computed_over_the_graph() {
        let (path, text) = read("uv.lock");
        let set = parse_uv_lock(&path, &text).unwrap();
        assert!(set.requirements.iter().all(|r| r.locked));
        assert_eq!(
            shown(&set.requirements),
            [
                "anyio==4.4.0",
                "attrs==24.2.0",
                "colorama==0.4.6 ; sys_platform == 'win32' or platform_system == 'Windows'",
                "exceptiongroup==1.2.2 ; python_full_version < '3.11'",
                "idna==3.7",
                "iniconfig==2.0.0",
                "mylib @ git+https://git.example.org/org/mylib?rev=v0.3.0#0123456789abcdef0123456789abcdef01234567",
                "numpy==1.26.4 ; python_full_version < '3.12'",
                "numpy==2.1.0 ; python_full_version >= '3.12'",
                "pytest==8.3.2",
                "pywin32==306 ; sys_platform == 'win32'",
                "sniffio==1.3.1",
                "tqdm==4.66.4",
                "trio==0.26.0",
                "typing-extensions==4.12.2 ; python_full_version < '3.11'",
            ]
        );
        assert_eq!(set.skipped.len(), 1);
        assert_eq!(set.skipped[0].raw, "shared");
        assert_eq!(set.skipped[0].reason, SkipReason::LocalSource);
        let origin = set.requirements[0].origin.as_ref().unwrap();
        assert_eq!(origin.line, 9);
        assert_eq!(set.requires_python[0].specifiers.to_string(), ">=3.10");
    }

    #[test]
    fn uv_lock_conflict_markers_on_extras_are_taken_as_satisfied() {
        let text = r#"
version = 1
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }

[package.optional-dependencies]
cpu = [{ name = "torch", version = "2.4.0", marker = "extra == 'extra-3-app-cpu'" }]
cuda = [{ name = "torch", version = "2.4.0+cu124", marker = "sys_platform == 'linux' and extra == 'extra-3-app-cuda'" }]

[[package]]
name = "torch"
version = "2.4.0"
source = { registry = "https://mirror.example.org/simple" }

[[package]]
name = "torch"
version = "2.4.0+cu124"
source = { registry = "https://mirror.example.org/cu124" }
"#;
        let set = parse_uv_lock(Path::new("uv.lock"), text).unwrap();
        assert_eq!(
            shown(&set.requirements),
            [
                "torch==2.4.0",
                "torch==2.4.0+cu124 ; sys_platform == 'linux'"
            ]
        );
    }

    #[test]
    fn uv_lock_errors() {
        let error = parse_uv_lock(Path::new("uv.lock"), "version = 2\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "uv.lock: unsupported lock file version `2` (supported: 1)"
        );
        let text = "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [{ name = \"ghost\" }]\n";
        let error = parse_uv_lock(Path::new("uv.lock"), text).unwrap_err();
        assert_eq!(
            error.to_string(),
            "uv.lock:2: `package[0].dependencies[0]` names `ghost`, which is not a package of the lock"
        );
        let error = parse_uv_lock(
            Path::new("uv.lock"),
            "version = 1\n[[package]]\nversion = \"1\"\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`uv.lock` is not valid TOML: line 2: missing field `name`"
        );
    }

    #[test]
    fn pylock_pins_with_markers_and_requires_python() {
        let (path, text) = read("pylock.toml");
        let set = parse_pylock(&path, &text).unwrap();
        assert!(set.requirements.iter().all(|r| r.locked));
        assert_eq!(
            shown(&set.requirements),
            [
                "attrs==25.1.0 ; python_full_version >= '3.8'",
                "click==8.1.8",
                "numpy==2.2.3 ; python_full_version >= '3.10' and sys_platform == 'linux'",
                "pytest==8.3.4 ; python_full_version >= '3.11'",
                "colorama==0.4.6 ; sys_platform == 'win32'",
                "mylib @ git+https://git.example.org/org/mylib.git@0123456789abcdef0123456789abcdef01234567 ; sys_platform == 'linux'",
                "thing @ https://example.org/dist/thing-2.0.tar.gz",
            ]
        );
        assert_eq!(set.skipped.len(), 1);
        assert_eq!(
            (set.skipped[0].raw.as_str(), &set.skipped[0].reason),
            ("web-app", &SkipReason::LocalSource)
        );
        assert_eq!(set.requires_python[0].specifiers.to_string(), ">=3.11");
    }

    #[test]
    fn pylock_version_is_checked() {
        let (path, text) = read("pylock.future.toml");
        let error = parse_pylock(&path, &text).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: unsupported lock file version `2.0` (supported: 1.x)",
                path.display()
            )
        );
        // A newer minor version is read (with a warning).
        let set = parse_pylock(
            Path::new("pylock.toml"),
            "lock-version = '1.1'\n[[packages]]\nname = 'a'\nversion = '1'\nwheels = []\n",
        )
        .unwrap();
        assert_eq!(shown(&set.requirements), ["a==1"]);
    }

    #[test]
    fn pylock_shape_errors() {
        let error = parse_pylock(
            Path::new("pylock.toml"),
            "lock-version = '1.0'\n[[packages]]\nname = 'a'\nwheels = []\n\n[[packages]]\nname = 'b'\nversion = '1'\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "pylock.toml:2: `packages[0].version` is missing for `a` (required for packages from an index)\n\
             pylock.toml:6: `packages[1]` (`b`) must have exactly one of `vcs`, `directory`, `archive`, or `sdist`/`wheels`"
        );
    }

    #[test]
    fn pep751_marker_variables_are_rewritten() {
        assert_eq!(
            rewrite_lock_marker_variables(
                "'cli' in extras and (\"dev\" not in dependency_groups or os_name == 'nt')"
            ),
            "(os_name == 'x' or os_name != 'x') and ((os_name == 'x' or os_name != 'x') or os_name == 'nt')"
        );
        assert_eq!(
            rewrite_lock_marker_variables("extra == 'in extras' and 'x' in platform_release"),
            "extra == 'in extras' and 'x' in platform_release"
        );
        let negated = rewrite_lock_marker_variables("'cli' not in extras");
        assert!(MarkerTree::from_str(&negated).unwrap().is_true());
        let both = rewrite_lock_marker_variables("'cli' in extras or 'dev' in dependency_groups");
        assert!(MarkerTree::from_str(&both).unwrap().is_true());
    }
}
