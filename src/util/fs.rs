//! Files: writing one atomically (readers see the old contents or the new, never a part: the
//! bytes go to a temporary sibling, removed if anything fails, that is renamed over the target),
//! telling an I/O error about a path once, whether two paths name the same file, and reading a
//! file that anything may have replaced (a cache entry) without hanging or filling memory.
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
    // A file that exists keeps its mode; a new one gets what any new file gets (0o666 less the
    // umask), not a temporary file's 0o600: a dashboard or report is often read by others.
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs_err::metadata(path).map_or(0o666, |m| m.permissions().mode() & 0o7777);
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if durability == Durability::Synced {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// How much of a file [`read_regular`] reads.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ReadLimit {
    /// The whole file, which may be no longer than this (else an error).
    Whole(u64),
    /// At most this many bytes from its start, however long it is.
    Prefix(u64),
}

/// Appends the regular file at `path` to `into`, within `limit`. Anything else is an error
/// before it is opened (opening a FIFO waits for a writer; a device never ends), and so is a
/// file longer than a [`ReadLimit::Whole`]. Reads through the standard file under `fs_err`'s,
/// which would zero `into`'s spare capacity first on every call.
pub(crate) fn read_regular(
    path: &Path,
    limit: ReadLimit,
    into: &mut Vec<u8>,
) -> std::io::Result<()> {
    let meta = fs_err::metadata(path)?;
    let (max, whole) = match limit {
        ReadLimit::Whole(max) => (max, true),
        ReadLimit::Prefix(max) => (max, false),
    };
    if !meta.is_file() || (whole && meta.len() > max) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a regular file of at most {max} bytes"),
        ));
    }
    let file = fs_err::File::open(path)?;
    let start = into.len();
    std::io::Read::read_to_end(&mut std::io::Read::take(file.file(), max + 1), into)?;
    if into.len() - start > usize::try_from(max).unwrap_or(usize::MAX) {
        if whole {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("grew past {max} bytes while read"),
            ));
        }
        into.truncate(start + usize::try_from(max).unwrap_or(usize::MAX));
    }
    Ok(())
}

/// Whether `a` and `b` name the same file: equal as written, or after resolving symbolic
/// links (a path that cannot be resolved names nothing else).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    a == b || fs_err::canonicalize(a).is_ok_and(|a| fs_err::canonicalize(b).is_ok_and(|b| a == b))
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

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_readable_by_others_under_the_umask_and_an_old_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dashboard.html");
        let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
        write_atomic(&path, b"one", Durability::Cache).unwrap();
        let umask = rustix::process::umask(rustix::fs::Mode::empty());
        rustix::process::umask(umask);
        assert_eq!(mode(&path), 0o666 & !umask.bits());
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"two", Durability::Synced).unwrap();
        assert_eq!(mode(&path), 0o640);
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
