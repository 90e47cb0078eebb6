//! Files: writing one atomically (readers see the old contents or the new, never a part: the
//! bytes go to a temporary sibling, removed if anything fails, that is renamed over the target),
//! and telling an I/O error about a path once.
//!
//! The whole crate uses `fs_err` for the filesystem (clippy.toml bans `std::fs`): its errors name
//! the path and the operation, so a message built around one must not name the path again
//! ([`io_message`]).

use std::io::Write;
use std::path::Path;

/// How hard [`write_atomic`] tries to make the new contents survive a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Durability {
    /// Rename only: right for caches, which may be lost (and are written by the hundred).
    Cache,
    /// Flush the data to disk before the rename: for state a crash must not lose.
    Synced,
}

/// Writes `bytes` to `path` atomically. The parent directory must exist.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    durability: Durability,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    if durability == Durability::Synced {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `{prefix}: {err}`, or just `err` when it already names `path` (as every `fs_err` error does:
/// ``failed to open file `x`: No such file or directory``). `prefix` names the path for errors
/// that do not (a size or file-type check of our own, `rustix`).
pub(crate) fn io_message(prefix: &str, path: &Path, err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    if text.contains(&format!("`{}`", path.display())) {
        text
    } else {
        format!("{prefix}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.toml");
        write_atomic(&path, b"old", Durability::Synced).unwrap();
        write_atomic(&path, b"new", Durability::Cache).unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "new");
        let names: Vec<String> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["state.toml"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("state.toml");
        let err = write_atomic(&path, b"x", Durability::Cache).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(!path.exists());
    }

    #[test]
    fn an_io_message_names_the_path_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.txt");
        let err = fs_err::read(&path).unwrap_err();
        assert_eq!(
            io_message("could not read it", &path, &err),
            format!(
                "failed to open file `{}`: No such file or directory (os error 2)",
                path.display()
            )
        );
        let own = std::io::Error::other("a directory");
        assert_eq!(
            io_message("could not read it", &path, &own),
            "could not read it: a directory"
        );
    }
}
