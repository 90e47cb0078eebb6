//! The on-disk cache of parsed project pages: one JSON file per (index, project) holding the
//! compact parsed file list (not the raw page, which can be megabytes) plus the HTTP validators
//! (`ETag`, `Last-Modified`), the server's `max-age` and when it was fetched. "Not found" answers
//! are cached too, so a warm run makes no request at all. Writes are atomic (temporary file in
//! the same directory, then rename), so concurrent runs never see half-written entries.
//!
//! Reading must be cheap (a warm run of 70 projects with thousands of files each): entries are
//! stored in a compact layout ([`StoredFile`]) that keeps the already-split parts of each file
//! name, so decoding rebuilds [`DistFilename`]s without re-validating the project name per
//! file. Decoding is one streaming pass (a serde visitor turns each stored file into a
//! [`DistFile`] as it is read, borrowing strings from the input, with no intermediate list)
//! and shares what repeats within the page: each distinct version string is parsed once, and
//! tag sets and `requires-python` values are interned ([`crate::dist::PageInterner`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use pep440_rs::Version;

use crate::dist::{DistFile, DistFileParts, PageInterner};
use crate::filename::{DistFilename, SdistExtension, SdistFilename, WheelFilename};

/// Bumped whenever the entry layout (or `DistFile`) changes.
const LAYOUT: &str = "simple-v2";

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
        self.root.join(key).join(format!("{project}.json"))
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
            let read = fs_err::File::open(path)
                .and_then(|mut file| std::io::Read::read_to_end(&mut file, bytes));
            if let Err(err) = read {
                if err.kind() != std::io::ErrorKind::NotFound {
                    tracing::debug!("cache entry {} unreadable: {err}", path.display());
                }
                return None;
            }
            Self::decode_logged(bytes, path, project)
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

#[derive(Serialize)]
struct StoredEntry<'a> {
    fetched_at: u64,
    etag: Option<&'a str>,
    last_modified: Option<&'a str>,
    max_age: Option<u64>,
    /// How many files follow (lets the decoder size the list once).
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<usize>,
    files: Option<Vec<StoredFile<'a>>>,
}

/// One file, with its name already split. Short keys: entries of big projects hold thousands.
#[derive(Serialize, Deserialize)]
struct StoredFile<'a> {
    #[serde(borrow)]
    f: Text<'a>,
    #[serde(borrow)]
    u: Text<'a>,
    #[serde(borrow)]
    v: Text<'a>,
    /// Wheel build tag.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    b: Option<Text<'a>>,
    /// Wheel python, ABI and platform tag sets, each `.`-joined; absent for sdists.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    w: Option<[Text<'a>; 3]>,
    /// Sdist archive format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<SdistExtension>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    rp: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    y: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    m: bool,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    h: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<u64>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    t: Option<Text<'a>>,
}

/// A string borrowed from the entry's bytes when it has no escapes (always, for what we store),
/// owned otherwise. Written out because serde borrows a plain `Cow<str>` field only at the top
/// level of a struct, not inside an `Option` or an array, where it would allocate every time.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Text<'a>(Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<'a> Text<'a> {
    fn borrowed(s: &'a str) -> Self {
        Self(Cow::Borrowed(s))
    }

    fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

fn encode(entry: &CacheEntry) -> serde_json::Result<Vec<u8>> {
    let files = entry.files.as_ref().map(|files| {
        files
            .iter()
            .map(|file| {
                let (b, w, x) = match &file.parsed {
                    DistFilename::Wheel(wheel) => (
                        wheel.build.as_deref().map(Text::borrowed),
                        Some([
                            Text::borrowed(wheel.python.as_str()),
                            Text::borrowed(wheel.abi.as_str()),
                            Text::borrowed(wheel.platform.as_str()),
                        ]),
                        None,
                    ),
                    DistFilename::Sdist(sdist) => (None, None, Some(sdist.extension)),
                };
                StoredFile {
                    f: Text::borrowed(file.filename()),
                    u: Text::borrowed(file.url()),
                    v: Text(Cow::Owned(file.version().to_string())),
                    b,
                    w,
                    x,
                    rp: file.requires_python_str().map(Text::borrowed),
                    y: file.yanked.as_deref().map(Text::borrowed),
                    m: file.core_metadata,
                    h: file.sha256().map(Text::borrowed),
                    s: file.size,
                    t: file.upload_time().map(Text::borrowed),
                }
            })
            .collect()
    });
    serde_json::to_vec(&StoredEntry {
        fetched_at: entry.fetched_at,
        etag: entry.etag.as_deref(),
        last_modified: entry.last_modified.as_deref(),
        max_age: entry.max_age,
        n: files.as_ref().map(Vec::len),
        files,
    })
}

/// Decodes an entry in one pass: each stored file becomes a [`DistFile`] as soon as it is read
/// (no intermediate list), sharing versions, tag sets and `requires-python` values among the
/// page's files (see [`crate::dist`] for why that matters).
fn decode(bytes: &[u8], project: &PackageName) -> Result<CacheEntry, String> {
    use serde::de::DeserializeSeed as _;
    // Validate UTF-8 once for the whole entry (fast) rather than string by string, as reading
    // from bytes would.
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let mut de = serde_json::Deserializer::from_str(text);
    let entry = EntrySeed { project }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(entry)
}

struct EntrySeed<'p> {
    project: &'p PackageName,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum EntryField {
    FetchedAt,
    Etag,
    LastModified,
    MaxAge,
    N,
    Files,
    #[serde(other)]
    Other,
}

impl<'de> serde::de::DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = CacheEntry;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<CacheEntry, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntrySeed<'_> {
    type Value = CacheEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a cache entry")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<CacheEntry, A::Error> {
        let mut entry = CacheEntry {
            fetched_at: 0,
            etag: None,
            last_modified: None,
            max_age: None,
            files: None,
        };
        let mut fetched_at = None;
        let mut count = 0;
        while let Some(field) = map.next_key::<EntryField>()? {
            match field {
                EntryField::FetchedAt => fetched_at = Some(map.next_value()?),
                EntryField::Etag => entry.etag = map.next_value()?,
                EntryField::LastModified => entry.last_modified = map.next_value()?,
                EntryField::MaxAge => entry.max_age = map.next_value()?,
                EntryField::N => count = map.next_value()?,
                EntryField::Files => {
                    entry.files = map.next_value_seed(FilesSeed {
                        project: self.project,
                        // A hint only: bounded so a corrupt entry cannot ask for the moon.
                        capacity: count.min(1 << 20),
                    })?;
                }
                EntryField::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        entry.fetched_at =
            fetched_at.ok_or_else(|| serde::de::Error::missing_field("fetched_at"))?;
        Ok(entry)
    }
}

/// `null` (the project was not found) or the list of files.
struct FilesSeed<'p> {
    project: &'p PackageName,
    capacity: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for FilesSeed<'_> {
    type Value = Option<Vec<DistFile>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FilesSeed<'_> {
    type Value = Option<Vec<DistFile>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("null or a list of files")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut decoder = FileDecoder {
            project: self.project,
            versions: HashMap::new(),
            last_version: None,
            interner: PageInterner::default(),
        };
        let mut files = Vec::with_capacity(seq.size_hint().unwrap_or(self.capacity));
        while let Some(stored) = seq.next_element::<StoredFile<'de>>()? {
            files.push(decoder.file(stored).map_err(serde::de::Error::custom)?);
        }
        Ok(Some(files))
    }
}

/// Turns stored files into [`DistFile`]s, sharing what repeats within the page.
struct FileDecoder<'p, 'de> {
    project: &'p PackageName,
    versions: HashMap<Text<'de>, Version>,
    /// The previous file's version: files of one version are listed together.
    last_version: Option<(Text<'de>, Version)>,
    interner: PageInterner,
}

impl<'de> FileDecoder<'_, 'de> {
    fn file(&mut self, file: StoredFile<'de>) -> Result<DistFile, String> {
        let version = match &self.last_version {
            Some((text, v)) if *text == file.v => v.clone(),
            _ => {
                let v = if let Some(v) = self.versions.get(&file.v) {
                    v.clone()
                } else {
                    let v = Version::from_str(&file.v).map_err(|e| e.to_string())?;
                    self.versions.insert(file.v.clone(), v.clone());
                    v
                };
                self.last_version = Some((file.v.clone(), v.clone()));
                v
            }
        };
        let parsed = match (&file.w, file.x) {
            (Some([py, abi, plat]), _) => {
                let tags = &mut self.interner.tags;
                let mut set = |s: &str| {
                    tags.intern(s)
                        .map_err(|e| format!("entry for `{}`: {e}", &*file.f))
                };
                DistFilename::Wheel(WheelFilename {
                    name: self.project.clone(),
                    version,
                    build: file.b.map(Text::into_owned),
                    python: set(py)?,
                    abi: set(abi)?,
                    platform: set(plat)?,
                })
            }
            (None, Some(extension)) => DistFilename::Sdist(SdistFilename {
                name: self.project.clone(),
                version,
                extension,
            }),
            (None, None) => {
                return Err(format!(
                    "entry for `{}` is neither wheel nor sdist",
                    &*file.f
                ));
            }
        };
        Ok(DistFile::from(DistFileParts {
            filename: &file.f,
            url: &file.u,
            parsed,
            requires_python: file.rp.map(|rp| self.interner.requires_python(&rp)),
            yanked: file.y.map(Text::into_owned),
            core_metadata: file.m,
            sha256: file.h.as_deref(),
            size: file.s,
            upload_time: file.t.as_deref(),
        }))
    }
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
