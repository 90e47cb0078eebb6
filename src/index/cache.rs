//! The on-disk cache of parsed project pages: one file per (index, project) holding the
//! compact parsed file list (not the raw page, which can be megabytes) plus the HTTP validators
//! (`ETag`, `Last-Modified`), the server's `max-age` and when it was fetched. "Not found" answers
//! are cached too, so a warm run makes no request at all. Writes are atomic (temporary file in
//! the same directory, then rename), so concurrent runs never see half-written entries.
//!
//! Reading must be cheap: a warm run of a big pinned project (800 pages, 300,000 files) decodes
//! every page, and with the previous JSON entries that decoding was most of the run. An entry is
//! therefore a binary record of only what the assessment uses: an 8-byte magic that names the
//! layout, a CRC-32 of the payload, then the payload in [postcard] (serde's compact binary
//! format: varint lengths, strings borrowed from the input on decode). What repeats within a
//! page is stored once in tables (version strings, wheel tag sets, `requires-python` values)
//! that the files point into by index, so decoding parses each distinct value once, shares it
//! among the page's files (see [`crate::dist`] for why sharing matters), and never hashes a
//! string; each file's name is stored split (no file name is re-parsed) and, as it nearly always
//! ends the URL, as a length.
//!
//! Why postcard: a well-kept serde format with a documented, stable wire format, no `unsafe`
//! needed on our side and borrowed `&str` decoding. (`bincode` is no longer maintained; `rkyv`'s
//! zero-copy access would need every consumer of [`DistFile`] to read archived types.)
//!
//! An entry is outside input (another version of the tool, a full disk, a user's editor may
//! have written it): a wrong magic (an old layout), a checksum mismatch (truncated, damaged),
//! an undecodable payload, an index out of its table or an invalid version or tag set makes
//! the entry a miss, never a panic or a wrong answer ([`decode`]; a fuzz entry point,
//! [`crate::fuzz::page_cache`], holds that line).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use pep440_rs::Version;

use crate::dist::{DistFile, DistFileParts, ProjectPage, RequiresPython};
use crate::filename::{DistFilename, SdistExtension, SdistFilename, TagSet, WheelFilename};
use crate::util::fs::{ReadLimit, read_regular};

/// The directory of this layout's entries; bumped (with [`MAGIC`]) whenever the entry layout
/// (or what a [`DistFile`] holds) changes, so entries of another layout are never read.
const LAYOUT: &str = "simple-v4";

/// One cached answer of one index for one project.
#[derive(Clone, Debug)]
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
        is_fresh(self.fetched_at, self.max_age, default_max_age)
    }

    /// Whether a conditional request is possible.
    pub fn has_validators(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }
}

fn is_fresh(fetched_at: u64, max_age: Option<u64>, default_max_age: Duration) -> bool {
    let age = now().saturating_sub(fetched_at);
    age < max_age.unwrap_or(default_max_age.as_secs())
}

/// What identifies one index's listing of a project, as cached: [`ProjectPage::listing_id`] of
/// its files; `None` when the index does not have the project. Equal ids mean the same listing,
/// so what was computed from a listing may be reused while its id stays the same.
pub(crate) type PageId = Option<u64>;

/// What an entry says of itself without its page (see [`PageCache::read_head`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryHead {
    fetched_at: u64,
    max_age: Option<u64>,
    /// The listing's id.
    pub(crate) page_id: PageId,
}

impl EntryHead {
    /// Whether the entry may be used without asking the index.
    pub(crate) fn is_fresh(&self, default_max_age: Duration) -> bool {
        is_fresh(self.fetched_at, self.max_age, default_max_age)
    }
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> u64 {
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
        self.root.join(key).join(format!("{project}.page"))
    }

    /// Reads an entry; a missing or unreadable entry is `None` (a corrupt entry is logged and
    /// treated as missing: the cache is never a reason to fail).
    pub fn read(&self, path: &Path, project: &PackageName) -> Option<CacheEntry> {
        // Entries are read into a buffer kept per thread (the decoding threads live for the
        // whole run): fresh multi-megabyte buffers per page would be fresh memory the kernel has
        // to zero, which costs more than reading them.
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with_borrow_mut(|bytes| {
            bytes.clear();
            // Only a regular file, and no more than an index page may be (the cache directory
            // is on disk, where anything may replace an entry).
            let read = read_regular(path, ReadLimit::Whole(MAX_ENTRY_BYTES), bytes);
            if let Err(err) = read {
                if err.kind() != std::io::ErrorKind::NotFound {
                    tracing::debug!("cache entry {} unreadable: {err}", path.display());
                }
                return None;
            }
            Self::decode_logged(bytes, path, project)
        })
    }

    /// Reads only the first bytes of an entry: when it was fetched, how long it stays fresh and
    /// its listing's [`PageId`], without reading or decoding the page (a warm run that reuses
    /// what it computed from the pages needs only this). The checksum, which covers the whole
    /// entry, is not checked here: a damaged page is found when it is decoded, and the id was
    /// computed from the page before it was written.
    pub(crate) fn read_head(path: &Path) -> Option<EntryHead> {
        const HEAD_BYTES: u64 = 4096;
        let mut bytes = Vec::with_capacity(HEAD_BYTES as usize);
        read_regular(path, ReadLimit::Prefix(HEAD_BYTES), &mut bytes).ok()?;
        let payload = bytes.strip_prefix(MAGIC.as_slice())?.get(4..)?;
        let (head, _): (StoredHead<'_>, _) = postcard::take_from_bytes(payload).ok()?;
        Some(EntryHead {
            fetched_at: head.fetched_at,
            max_age: head.max_age,
            page_id: head.page_id,
        })
    }

    fn decode_logged(bytes: &[u8], path: &Path, project: &PackageName) -> Option<CacheEntry> {
        match decode(bytes, project) {
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
    fs_err::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let bytes = encode(entry).map_err(std::io::Error::other)?;
    crate::util::fs::write_atomic(path, &bytes, crate::util::fs::Durability::Cache)
}

/// The largest entry read: an entry holds less than the page it was made from.
const MAX_ENTRY_BYTES: u64 = super::client::MAX_PAGE_BYTES;

/// The first bytes of every entry: what the file is and which layout it has.
const MAGIC: &[u8; 8] = b"wwpage\x00\x04";
/// `MAGIC`, then the CRC-32 of the payload (little-endian), then the payload.
const HEADER_LEN: usize = MAGIC.len() + 4;

/// An entry as stored (postcard, after the header). What repeats within a page (version
/// strings, tag sets, `requires-python` values) is stored once, in tables the files point
/// into, so decoding parses each distinct value once and never hashes a string.
#[derive(Serialize, Deserialize)]
struct StoredEntry<'a> {
    #[serde(borrow)]
    head: StoredHead<'a>,
    /// `None` when the index answered 404.
    #[serde(borrow)]
    page: Option<StoredPage<'a>>,
}

/// What an entry says of itself, before its page: decoded alone by [`PageCache::read_head`]
/// (postcard writes a nested struct's fields in place, so this is a prefix of the entry).
#[derive(Serialize, Deserialize)]
struct StoredHead<'a> {
    fetched_at: u64,
    #[serde(borrow)]
    etag: Option<&'a str>,
    #[serde(borrow)]
    last_modified: Option<&'a str>,
    max_age: Option<u64>,
    /// What identifies the listing ([`PageId`]).
    page_id: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct StoredPage<'a> {
    #[serde(borrow)]
    versions: Vec<&'a str>,
    #[serde(borrow)]
    tag_sets: Vec<&'a str>,
    #[serde(borrow)]
    requires_python: Vec<&'a str>,
    #[serde(borrow)]
    files: Vec<StoredFile<'a>>,
}

/// One file, with its name already split; numbers are indexes into the page's tables.
#[derive(Serialize, Deserialize)]
struct StoredFile<'a> {
    url: &'a str,
    #[serde(borrow)]
    name: StoredName<'a>,
    version: u32,
    #[serde(borrow)]
    kind: StoredKind<'a>,
    requires_python: Option<u32>,
    yanked: Option<&'a str>,
    core_metadata: bool,
    sha256: Option<&'a str>,
    size: Option<u64>,
    upload_time: Option<&'a str>,
}

/// The file name: nearly always the URL's last bytes, so stored as their length.
#[derive(Serialize, Deserialize)]
enum StoredName<'a> {
    UrlSuffix(u32),
    Separate(&'a str),
}

#[derive(Serialize, Deserialize)]
enum StoredKind<'a> {
    /// Build tag, then the python, ABI and platform tag sets.
    Wheel(Option<&'a str>, [u32; 3]),
    Sdist(SdistExtension),
}

/// Position of each distinct string in a table being built.
#[derive(Default)]
struct Table<'a> {
    items: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
}

impl<'a> Table<'a> {
    fn add(&mut self, s: &'a str) -> u32 {
        *self.index.entry(s).or_insert_with(|| {
            self.items.push(s);
            u32::try_from(self.items.len() - 1).unwrap_or(u32::MAX)
        })
    }
}

fn encode(entry: &CacheEntry) -> Result<Vec<u8>, postcard::Error> {
    let versions: Vec<String>;
    let page = match &entry.files {
        None => None,
        Some(files) => {
            // Version strings are rendered once per distinct version (files of one version
            // share it), and kept alive for the tables that borrow them.
            let mut rendered: HashMap<&Version, usize> = HashMap::new();
            let mut texts = Vec::new();
            let version_of: Vec<usize> = files
                .iter()
                .map(|file| {
                    *rendered.entry(file.version()).or_insert_with(|| {
                        texts.push(file.version().to_string());
                        texts.len() - 1
                    })
                })
                .collect();
            versions = texts;
            let mut version_table = Table::default();
            let mut tag_table = Table::default();
            let mut rp_table = Table::default();
            let stored = files
                .iter()
                .zip(version_of)
                .map(|(file, v)| {
                    let url = file.url();
                    let filename = file.filename();
                    let name = if url.ends_with(filename) {
                        StoredName::UrlSuffix(u32::try_from(filename.len()).unwrap_or(u32::MAX))
                    } else {
                        StoredName::Separate(filename)
                    };
                    let kind = match &file.parsed {
                        DistFilename::Wheel(wheel) => StoredKind::Wheel(
                            wheel.build.as_deref(),
                            [
                                tag_table.add(wheel.python.as_str()),
                                tag_table.add(wheel.abi.as_str()),
                                tag_table.add(wheel.platform.as_str()),
                            ],
                        ),
                        DistFilename::Sdist(sdist) => StoredKind::Sdist(sdist.extension),
                    };
                    StoredFile {
                        url,
                        name,
                        version: version_table.add(&versions[v]),
                        kind,
                        requires_python: file.requires_python_str().map(|rp| rp_table.add(rp)),
                        yanked: file.yanked.as_deref(),
                        core_metadata: file.core_metadata,
                        sha256: file.sha256(),
                        size: file.size,
                        upload_time: file.upload_time(),
                    }
                })
                .collect();
            Some(StoredPage {
                versions: version_table.items,
                tag_sets: tag_table.items,
                requires_python: rp_table.items,
                files: stored,
            })
        }
    };
    let page_id = entry.files.as_deref().map(ProjectPage::listing_id);
    let stored = StoredEntry {
        head: StoredHead {
            fetched_at: entry.fetched_at,
            etag: entry.etag.as_deref(),
            last_modified: entry.last_modified.as_deref(),
            max_age: entry.max_age,
            page_id,
        },
        page,
    };
    let mut bytes = vec![0; HEADER_LEN];
    bytes[..MAGIC.len()].copy_from_slice(MAGIC);
    let mut bytes = postcard::to_extend(&stored, bytes)?;
    let crc = crc32fast::hash(&bytes[HEADER_LEN..]);
    bytes[MAGIC.len()..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    Ok(bytes)
}

/// Why an entry could not be used. Every one is a cache miss, never a failure.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("not a page cache entry of this layout")]
    Layout,
    #[error("checksum mismatch (truncated or damaged)")]
    Checksum,
    #[error("undecodable: {0}")]
    Postcard(#[from] postcard::Error),
    #[error("{0} trailing bytes")]
    Trailing(usize),
    #[error("{0}")]
    Invalid(String),
}

/// Decodes an entry: checks the header and checksum, then parses each distinct version,
/// tag set and `requires-python` value once and builds every [`DistFile`] from the tables.
pub(crate) fn decode(bytes: &[u8], project: &PackageName) -> Result<CacheEntry, DecodeError> {
    let payload = bytes
        .strip_prefix(MAGIC.as_slice())
        .and_then(|rest| rest.split_first_chunk::<4>())
        .ok_or(DecodeError::Layout)?;
    let (crc, payload) = (u32::from_le_bytes(*payload.0), payload.1);
    if crc32fast::hash(payload) != crc {
        return Err(DecodeError::Checksum);
    }
    decode_payload(payload, project)
}

/// Decodes the payload (after the header) of an entry.
pub(crate) fn decode_payload(
    payload: &[u8],
    project: &PackageName,
) -> Result<CacheEntry, DecodeError> {
    let (stored, rest): (StoredEntry<'_>, _) = postcard::take_from_bytes(payload)?;
    if !rest.is_empty() {
        return Err(DecodeError::Trailing(rest.len()));
    }
    let files = stored
        .page
        .map(|page| page_files(page, project))
        .transpose()?;
    Ok(CacheEntry {
        fetched_at: stored.head.fetched_at,
        etag: stored.head.etag.map(str::to_string),
        last_modified: stored.head.last_modified.map(str::to_string),
        max_age: stored.head.max_age,
        files,
    })
}

fn page_files(page: StoredPage<'_>, project: &PackageName) -> Result<Vec<DistFile>, DecodeError> {
    let invalid = |what: String| DecodeError::Invalid(what);
    let versions = page
        .versions
        .iter()
        .map(|v| Version::from_str(v).map_err(|e| invalid(format!("version {v:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let tag_sets = page
        .tag_sets
        .iter()
        .map(|t| TagSet::new(t).map_err(|e| invalid(format!("tag set {t:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let requires_python: Vec<RequiresPython> = page
        .requires_python
        .iter()
        .map(|rp| RequiresPython::new(rp))
        .collect();
    let at = |table_len: usize, i: u32| {
        let i = i as usize;
        if i < table_len {
            Ok(i)
        } else {
            Err(invalid(format!("index {i} out of a table of {table_len}")))
        }
    };
    let mut files = Vec::with_capacity(page.files.len());
    for file in page.files {
        let filename = match file.name {
            StoredName::UrlSuffix(len) => file
                .url
                .len()
                .checked_sub(len as usize)
                .and_then(|start| file.url.get(start..))
                .ok_or_else(|| invalid(format!("no file name of {len} bytes in {:?}", file.url)))?,
            StoredName::Separate(name) => name,
        };
        let version = versions[at(versions.len(), file.version)?].clone();
        let parsed = match file.kind {
            StoredKind::Wheel(build, [python, abi, platform]) => {
                let set = |i| Ok::<_, DecodeError>(tag_sets[at(tag_sets.len(), i)?].clone());
                DistFilename::Wheel(WheelFilename {
                    name: project.clone(),
                    version,
                    build: build.map(str::to_string),
                    python: set(python)?,
                    abi: set(abi)?,
                    platform: set(platform)?,
                })
            }
            StoredKind::Sdist(extension) => DistFilename::Sdist(SdistFilename {
                name: project.clone(),
                version,
                extension,
            }),
        };
        let requires_python = match file.requires_python {
            Some(i) => Some(requires_python[at(requires_python.len(), i)?].clone()),
            None => None,
        };
        files.push(DistFile::from(DistFileParts {
            filename,
            url: file.url,
            parsed,
            requires_python,
            yanked: file.yanked.map(str::to_string),
            core_metadata: file.core_metadata,
            sha256: file.sha256,
            size: file.size,
            upload_time: file.upload_time,
        }));
    }
    Ok(files)
}

/// The fuzz entry point ([`crate::fuzz::page_cache`]): `data` as a whole entry and as the
/// payload of a well-framed one. Whatever decodes must encode and decode to the same files.
pub(crate) fn fuzz_entry(data: &[u8]) {
    let project = PackageName::from_str("foo-bar").expect("a valid name");
    let check = |decoded: Result<CacheEntry, DecodeError>| {
        let Ok(entry) = decoded else { return };
        let bytes = encode(&entry).expect("a decoded entry encodes");
        let again = decode(&bytes, &project).expect("an encoded entry decodes");
        assert_eq!(
            described(&entry),
            described(&again),
            "the entry did not round-trip"
        );
    };
    check(decode(data, &project));
    check(decode(&framed(data), &project));
}

/// `payload` under a valid header.
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend(crc32fast::hash(payload).to_le_bytes());
    bytes.extend(payload);
    bytes
}

/// Everything an entry says, as text (for comparing entries in tests and the fuzz pass).
fn described(entry: &CacheEntry) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "fetched_at={} etag={:?} last_modified={:?} max_age={:?}\n",
        entry.fetched_at, entry.etag, entry.last_modified, entry.max_age
    );
    for file in entry.files.iter().flatten() {
        let _ = writeln!(
            out,
            "{:?} {:?} {:?} rp={:?} yanked={:?} m={} sha={:?} size={:?} t={:?}",
            file.filename(),
            file.url(),
            file.parsed,
            file.requires_python_str(),
            file.yanked,
            file.core_metadata,
            file.sha256(),
            file.size,
            file.upload_time()
        );
    }
    out
}

/// `max-age` from a `Cache-Control` value; `no-cache` / `no-store` / `must-revalidate` with no
/// max-age count as 0.
pub(super) fn parse_max_age(cache_control: &str) -> Option<u64> {
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

    /// Whatever replaced an entry on disk (a FIFO no one writes, a directory, a file larger
    /// than any page) is a miss at once: no hang, no unbounded read.
    #[test]
    fn entries_that_are_no_regular_file_of_a_page_size_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PageCache::new(dir.path());
        let project = PackageName::from_str("six").unwrap();
        let fifo = dir.path().join("fifo.page");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let directory = dir.path().join("dir.page");
        fs_err::create_dir(&directory).unwrap();
        let huge = dir.path().join("huge.page");
        fs_err::File::create(&huge)
            .unwrap()
            .set_len(MAX_ENTRY_BYTES + 1)
            .unwrap();
        for path in [&fifo, &directory, &huge] {
            assert!(cache.read(path, &project).is_none(), "{}", path.display());
        }
    }

    #[test]
    fn entries_round_trip_through_disk() {
        let project = PackageName::from_str("foo-bar").unwrap();
        let file = |filename: &str| {
            let parsed = DistFilename::parse(filename, &project).unwrap();
            // A URL that does not end with the file name (lower-cased here) must round-trip too.
            DistFile::from(DistFileParts {
                filename,
                url: &format!("https://files.test/{}", filename.to_ascii_lowercase()),
                parsed,
                requires_python: Some(crate::dist::RequiresPython::new(">=3.8")),
                yanked: Some(String::new()),
                core_metadata: true,
                sha256: Some("ab"),
                size: Some(7),
                upload_time: std::path::Path::new(filename)
                    .extension()
                    .is_some_and(|ext| ext == "zip")
                    .then_some("2024-05-01T10:00:00Z"),
            })
        };
        let files = vec![
            file("foo_bar-1.0-2-cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            file("foo_bar-1.0-py2.py3-none-any.whl"),
            file("Foo.Bar-1.0.zip"),
        ];
        let entry = CacheEntry {
            fetched_at: 5,
            etag: Some("\"x\"".into()),
            last_modified: None,
            max_age: Some(60),
            files: Some(files.clone()),
        };
        let dir = tempfile::tempdir().unwrap();
        let cache = PageCache::new(dir.path());
        let path = cache.path("https://index.test/simple/", &project);
        cache.write(&path, &entry);
        let back = cache.read(&path, &project).expect("entry read back");
        assert_eq!(back.etag, entry.etag);
        assert_eq!(back.max_age, Some(60));
        let back_files = back.files.unwrap();
        for (a, b) in files.iter().zip(&back_files) {
            assert_eq!(a.parsed, b.parsed);
            assert_eq!(
                (
                    a.filename(),
                    a.url(),
                    a.requires_python_str(),
                    &a.yanked,
                    a.core_metadata,
                    a.sha256(),
                    a.size,
                    a.upload_time()
                ),
                (
                    b.filename(),
                    b.url(),
                    b.requires_python_str(),
                    &b.yanked,
                    b.core_metadata,
                    b.sha256(),
                    b.size,
                    b.upload_time()
                )
            );
        }
        assert_eq!(back_files.len(), 3);
        assert_eq!(back_files[2].filename(), "Foo.Bar-1.0.zip");
        assert_eq!(back_files[2].url(), "https://files.test/foo.bar-1.0.zip");
        assert_eq!(back_files[2].upload_time(), Some("2024-05-01T10:00:00Z"));
        assert_eq!(back_files[2].sha256(), Some("ab"));
        assert_eq!(back_files[0].upload_time(), None);
        fs_err::write(&path, b"{corrupt").unwrap();
        assert!(
            cache.read(&path, &project).is_none(),
            "a corrupt entry is a miss"
        );
    }

    fn sample_entry(project: &PackageName) -> CacheEntry {
        let file = |filename: &str, rp: Option<&str>| {
            DistFile::from(DistFileParts {
                filename,
                url: &format!("https://files.test/p/{filename}"),
                parsed: DistFilename::parse(filename, project).unwrap(),
                requires_python: rp.map(crate::dist::RequiresPython::new),
                yanked: None,
                core_metadata: false,
                sha256: Some("00ff"),
                size: None,
                upload_time: None,
            })
        };
        let odd = "foo_bar-0.9-1-py2.py3-none-any.whl";
        CacheEntry {
            fetched_at: 1_700_000_000,
            etag: Some("\"e\"".into()),
            last_modified: Some("Tue, 01 Oct 2024 10:00:00 GMT".into()),
            max_age: None,
            files: Some(vec![
                file("foo_bar-1.0-cp312-cp312-win_amd64.whl", Some(">=3.8")),
                file("foo_bar-1.0-cp311-cp311-win_amd64.whl", Some(">=3.8")),
                file("foo_bar-1.0.tar.gz", None),
                // Yanked, with a build tag, everything listed, and a URL that does not end
                // with the file name.
                DistFile::from(DistFileParts {
                    filename: odd,
                    url: "https://files.test/download?id=7",
                    parsed: DistFilename::parse(odd, project).unwrap(),
                    requires_python: Some(crate::dist::RequiresPython::new(">=2.7, !=3.0.*")),
                    yanked: Some("broken".into()),
                    core_metadata: true,
                    sha256: Some("ab12"),
                    size: Some(1234),
                    upload_time: Some("2020-01-01T00:00:00Z"),
                }),
            ]),
        }
    }

    /// The fuzz seeds in `tests/fixtures/page-cache/` are entries of the current layout (a whole
    /// entry, and its payload alone), so mutations start from what the decoder accepts.
    #[test]
    fn fuzz_seeds_are_of_the_current_layout() {
        let project = PackageName::from_str("foo-bar").unwrap();
        let bytes = encode(&sample_entry(&project)).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/page-cache");
        let seeds = [
            ("entry.page", &bytes[..]),
            ("payload.page", &bytes[HEADER_LEN..]),
        ];
        for (name, expected) in seeds {
            let path = dir.join(name);
            if std::env::var_os("WHEELWATCH_REFRESH_FIXTURES").is_some() {
                fs_err::create_dir_all(&dir).unwrap();
                fs_err::write(&path, expected).unwrap();
            }
            assert!(
                fs_err::read(&path).is_ok_and(|seed| seed == expected),
                "{} is not an entry of this layout: refresh it with \
                 `WHEELWATCH_REFRESH_FIXTURES=1 cargo test --lib index::cache`",
                path.display()
            );
        }
    }

    #[test]
    fn entries_share_what_repeats_and_not_found_round_trips() {
        let project = PackageName::from_str("foo-bar").unwrap();
        let entry = sample_entry(&project);
        let back = decode(&encode(&entry).unwrap(), &project).unwrap();
        assert_eq!(described(&back), described(&entry));
        let files = back.files.unwrap();
        let (a, b) = (files[0].wheel().unwrap(), files[1].wheel().unwrap());
        assert_ne!(a.abi.addr(), b.abi.addr(), "different sets");
        assert_eq!(
            a.platform.addr(),
            b.platform.addr(),
            "one shared platform set"
        );
        assert!(std::ptr::eq(
            files[0].requires_python().unwrap(),
            files[1].requires_python().unwrap()
        ));
        let not_found = CacheEntry {
            files: None,
            ..sample_entry(&project)
        };
        let back = decode(&encode(&not_found).unwrap(), &project).unwrap();
        assert_eq!(
            described(&back),
            "fetched_at=1700000000 etag=Some(\"\\\"e\\\"\") \
             last_modified=Some(\"Tue, 01 Oct 2024 10:00:00 GMT\") max_age=None\n"
        );
        assert!(back.files.is_none());
    }

    /// A truncated, damaged or foreign entry is a miss with a reason, never a panic or another
    /// answer.
    #[test]
    fn damaged_entries_are_misses() {
        let project = PackageName::from_str("foo-bar").unwrap();
        let bytes = encode(&sample_entry(&project)).unwrap();
        let error = |bytes: &[u8]| decode(bytes, &project).map(|_| ()).unwrap_err().to_string();
        for len in 0..bytes.len() {
            let expected = if len < HEADER_LEN {
                "not a page cache entry of this layout"
            } else {
                "checksum mismatch (truncated or damaged)"
            };
            assert_eq!(error(&bytes[..len]), expected, "truncated to {len} bytes");
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x20;
            let expected = if at < MAGIC.len() {
                "not a page cache entry of this layout"
            } else {
                "checksum mismatch (truncated or damaged)"
            };
            assert_eq!(error(&damaged), expected, "byte {at} flipped");
        }
        // An entry of the previous (JSON) layout, and a file of the right layout from a future
        // version.
        assert_eq!(
            error(br#"{"fetched_at":5,"etag":null,"files":null}"#),
            "not a page cache entry of this layout"
        );
        let mut newer = bytes.clone();
        newer[MAGIC.len() - 1] += 1;
        assert_eq!(error(&newer), "not a page cache entry of this layout");

        // Well framed but inconsistent payloads.
        let payload = &bytes[HEADER_LEN..];
        assert_eq!(
            error(&framed(&payload[..payload.len() - 1])),
            "undecodable: Hit the end of buffer, expected more data"
        );
        let mut trailing = payload.to_vec();
        trailing.push(0);
        assert_eq!(error(&framed(&trailing)), "1 trailing bytes");
        let stored = |version: u32, name: StoredName<'static>| {
            postcard::to_allocvec(&StoredEntry {
                head: StoredHead {
                    fetched_at: 1,
                    etag: None,
                    last_modified: None,
                    max_age: None,
                    page_id: None,
                },
                page: Some(StoredPage {
                    versions: vec!["1.0"],
                    tag_sets: vec![],
                    requires_python: vec![],
                    files: vec![StoredFile {
                        url: "https://files.test/foo_bar-1.0.zip",
                        name,
                        version,
                        kind: StoredKind::Sdist(SdistExtension::Zip),
                        requires_python: None,
                        yanked: None,
                        core_metadata: false,
                        sha256: None,
                        size: None,
                        upload_time: None,
                    }],
                }),
            })
            .unwrap()
        };
        assert!(decode(&framed(&stored(0, StoredName::UrlSuffix(15))), &project).is_ok());
        assert_eq!(
            error(&framed(&stored(1, StoredName::UrlSuffix(15)))),
            "index 1 out of a table of 1"
        );
        assert_eq!(
            error(&framed(&stored(0, StoredName::UrlSuffix(99)))),
            "no file name of 99 bytes in \"https://files.test/foo_bar-1.0.zip\""
        );
    }

    #[test]
    fn the_fuzz_entry_accepts_entries_and_garbage() {
        let project = PackageName::from_str("foo-bar").unwrap();
        let bytes = encode(&sample_entry(&project)).unwrap();
        fuzz_entry(&bytes);
        fuzz_entry(&bytes[HEADER_LEN..]);
        fuzz_entry(b"");
        fuzz_entry(&[0xff; 64]);
    }

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
