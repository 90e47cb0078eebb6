//! Writing a file atomically: readers see the old contents or the new, never a part. The bytes
//! go to a temporary sibling (removed if anything fails) that is renamed over the target.

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
}
