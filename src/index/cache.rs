//! The on-disk cache of parsed project pages: one JSON file per (index, project) holding the
//! compact parsed file list (not the raw page, which can be megabytes) plus the HTTP validators
//! (`ETag`, `Last-Modified`), the server's `max-age` and when it was fetched. "Not found" answers
//! are cached too, so a warm run makes no request at all. Writes are atomic (temporary file in
//! the same directory, then rename), so concurrent runs never see half-written entries.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dist::DistFile;

/// Bumped whenever the entry layout (or `DistFile`) changes.
const LAYOUT: &str = "simple-v1";

/// One cached answer of one index for one project.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CacheEntry {
    /// Seconds since the Unix epoch when the page was fetched or last revalidated.
    pub fetched_at: u64,
    /// `ETag` sent by the index.
    pub etag: Option<String>,
    /// `Last-Modified` sent by the index.
    pub last_modified: Option<String>,
    /// `Cache-Control: max-age` sent by the index (seconds).
    pub max_age: Option<u64>,
    /// The files, or `None` when the index answered 404.
    pub files: Option<Vec<DistFile>>,
}

impl CacheEntry {
    /// Whether the entry may be used without asking the index.
    pub fn is_fresh(&self, default_max_age: Duration) -> bool {
        let age = now().saturating_sub(self.fetched_at);
        let max_age = self.max_age.unwrap_or(default_max_age.as_secs());
        age < max_age
    }

    /// Whether a conditional request is possible.
    pub fn has_validators(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The cache directory of project pages.
#[derive(Clone, Debug)]
pub struct PageCache {
    root: PathBuf,
}

impl PageCache {
    /// A cache under `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            root: dir.join(LAYOUT),
        }
    }

    /// The entry file for `index` (credential-free URL) and `project`.
    pub fn path(&self, index: &str, project: &PackageName) -> PathBuf {
        let digest = Sha256::digest(index.as_bytes());
        let mut key = String::with_capacity(16);
        for b in &digest[..8] {
            use std::fmt::Write as _;
            let _ = write!(key, "{b:02x}");
        }
        self.root.join(key).join(format!("{project}.json"))
    }

    /// Reads an entry; a missing or unreadable entry is `None` (a corrupt entry is logged and
    /// treated as missing: the cache is never a reason to fail).
    pub fn read(&self, path: &Path) -> Option<CacheEntry> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                if err.kind() != std::io::ErrorKind::NotFound {
                    tracing::debug!("cache entry {} unreadable: {err}", path.display());
                }
                return None;
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(entry) => Some(entry),
            Err(err) => {
                tracing::debug!(
                    "cache entry {} is corrupt, ignoring it: {err}",
                    path.display()
                );
                None
            }
        }
    }

    /// Writes an entry atomically. Failures are logged, not returned: a read-only cache
    /// directory must not stop an assessment.
    pub fn write(&self, path: &Path, entry: &CacheEntry) {
        if let Err(err) = write_atomic(path, entry) {
            tracing::debug!("could not write cache entry {}: {err}", path.display());
        }
    }
}

fn write_atomic(path: &Path, entry: &CacheEntry) -> std::io::Result<()> {
    use std::io::Write as _;
    let parent = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent)?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
    let bytes = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    tmp.write_all(&bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `max-age` from a `Cache-Control` value; `no-cache` / `no-store` / `must-revalidate` with no
/// max-age count as 0.
pub fn parse_max_age(cache_control: &str) -> Option<u64> {
    let mut max_age = None;
    for directive in cache_control.split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        if let Some(v) = directive.strip_prefix("max-age=") {
            max_age = v.trim_matches('"').parse().ok().or(max_age);
        } else if directive == "no-cache" || directive == "no-store" {
            return Some(0);
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_and_freshness() {
        assert_eq!(parse_max_age("public, max-age=600"), Some(600));
        assert_eq!(parse_max_age("no-cache"), Some(0));
        assert_eq!(parse_max_age("public"), None);
        let mut entry = CacheEntry {
            fetched_at: now(),
            etag: None,
            last_modified: None,
            max_age: None,
            files: None,
        };
        assert!(entry.is_fresh(Duration::from_mins(10)));
        assert!(!entry.is_fresh(Duration::ZERO));
        entry.max_age = Some(0);
        assert!(
            !entry.is_fresh(Duration::from_mins(10)),
            "the server's max-age wins"
        );
        entry.fetched_at -= 700;
        entry.max_age = None;
        assert!(!entry.is_fresh(Duration::from_mins(10)));
    }
}
