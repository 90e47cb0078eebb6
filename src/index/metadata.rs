//! Core metadata (`METADATA` / `PKG-INFO`) of one distribution file, for the resolver, fetched
//! as cheaply as the index allows, bounded in size, memory and time:
//!
//! 1. `<file-url>.metadata` (PEP 658 / 714), only when the page advertises it (as pip and uv
//!    do: an index that does not advertise it often answers 404, slowly); a 4xx falls through,
//!    and so does an answer that is not valid metadata;
//! 2. for wheels and `.zip` sdists, HTTP range requests: the zip's end-of-central-directory
//!    record, the central directory, then just the metadata entry;
//! 3. for `.tar.gz` sdists, the archive streamed in growing range requests through a
//!    decompressor on a blocking thread, stopping at the metadata member: no archive is held in
//!    memory, and at most [`MAX_ARCHIVE_BYTES`] are read, within [`SDIST_STREAM_TIME`];
//! 4. the whole file, only when the server ignores ranges (it then sends it anyway), read up to
//!    the client's limit for files, checked against the listed sha256, then read with `zip` /
//!    `tar` + `flate2`.
//!
//! The metadata member is the wheel's `*.dist-info/METADATA`, or the sdist's top-level
//! `PKG-INFO`, else its `*.egg-info/PKG-INFO` (old setuptools sdists have only that one).
//! No metadata is accepted above [`MAX_METADATA_BYTES`], fetched or inflated: a zip entry is
//! never inflated past it.
//!
//! What is fetched is parsed ([`crate::metadata::CoreMetadata`]) and checked against the file
//! (a wheel's metadata must name its project and version) *before* it is cached on disk by file
//! URL (a released file never changes), so a second run makes no metadata request and a garbage
//! answer is never cached; a cached entry that no longer parses is fetched again.
//!
//! Errors: [`IndexError::Metadata`] when the file or its metadata is unusable (the index
//! answered with a real file, so callers treat it as "dependencies unknown", not as an outage);
//! the other variants when the index could not answer, or not within the client's limits (a
//! `.metadata` answer above [`MAX_METADATA_BYTES`] is [`IndexError::TooLarge`], like any
//! answer the client refuses to read on).
//!
//! The zip records are parsed by hand for step 2: the `zip` crate needs a seekable reader over
//! the whole archive, and we only have a few fetched byte ranges of it.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use url::Url;

use super::client::{IndexClient, IndexError};
use super::redact::redact_text;
use super::settings::CacheMode;
use crate::dist::DistFile;
use crate::filename::DistFilename;
use crate::metadata::{CoreMetadata, MetadataOrigin};

/// How many bytes of a wheel's tail the first range request asks for: enough for the central
/// directory of all but huge wheels.
const TAIL_BYTES: u64 = 64 * 1024;

/// The largest core metadata accepted, fetched or inflated. The largest real `METADATA` files
/// (long descriptions with embedded changelogs) are a few hundred kilobytes.
pub(crate) const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// The most of a `.tar.gz` sdist streamed while looking for its metadata (compressed bytes).
/// A whole file (from a server that ignores range requests) is read up to the client's own
/// limit for files.
pub(crate) const MAX_ARCHIVE_BYTES: u64 = 256 * 1024 * 1024;

/// The most a `.tar.gz` sdist may inflate to while it is searched.
const MAX_SDIST_INFLATED_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// How long reading an sdist for its metadata may take, over all its range requests.
pub(crate) const SDIST_STREAM_TIME: Duration = Duration::from_mins(2);

/// The first and the largest range request when streaming a `.tar.gz`.
const FIRST_CHUNK: u64 = 256 * 1024;
const MAX_CHUNK: u64 = 8 * 1024 * 1024;

/// Where metadata bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataSource {
    /// The on-disk cache.
    Cache,
    /// `<url>.metadata` (PEP 658).
    Pep658,
    /// HTTP range requests into the wheel (or a streamed sdist).
    RangeRequests,
    /// The whole file was downloaded.
    FullDownload,
    /// A local (`file://`) distribution.
    LocalFile,
}

/// The raw core metadata of one distribution file.
#[derive(Clone, Debug)]
pub struct CoreMetadataBytes {
    /// The `METADATA` / `PKG-INFO` bytes, verbatim.
    pub bytes: Arc<[u8]>,
    /// How they were obtained.
    pub source: MetadataSource,
    /// The bytes parsed (they were validated before they were returned or cached).
    pub parsed: Arc<CoreMetadata>,
}

fn meta_err(file: &DistFile, reason: impl Into<String>) -> IndexError {
    IndexError::Metadata {
        url: redact_text(file.url()),
        reason: reason.into(),
    }
}

fn origin(file: &DistFile) -> MetadataOrigin {
    if file.wheel().is_some() {
        MetadataOrigin::Wheel
    } else {
        MetadataOrigin::Sdist
    }
}

/// `16 MiB`, or bytes.
fn size(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// Parses `bytes` as the metadata of `file` and checks that it describes that file: the reason
/// it cannot stand for it otherwise.
fn validate(file: &DistFile, bytes: &[u8]) -> Result<CoreMetadata, String> {
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(format!(
            "the metadata is {} bytes, more than the {} wheelwatch reads",
            bytes.len(),
            size(MAX_METADATA_BYTES)
        ));
    }
    let md = CoreMetadata::parse_bytes(bytes, origin(file)).map_err(|e| e.to_string())?;
    // A wheel's metadata must be its own (pip refuses a mismatch too). Sdist file names are
    // too loosely made to hold them to that.
    if let Some(wheel) = file.wheel()
        && (md.name != wheel.name || md.version != wheel.version)
    {
        return Err(format!(
            "the metadata describes {} {}, not this file",
            md.name, md.version
        ));
    }
    Ok(md)
}

impl IndexClient {
    /// The core metadata of `file` (see the module docs for the strategy).
    pub async fn metadata(&self, file: &DistFile) -> Result<CoreMetadataBytes, IndexError> {
        let cache_path = self.metadata_cache_path(file);
        let mode = self.cache_mode();
        if let Some(path) = &cache_path
            && mode != CacheMode::Refresh
            && let Ok(bytes) = fs_err::tokio::read(path).await
        {
            match validate(file, &bytes) {
                Ok(parsed) => {
                    self.count_cache_hit();
                    return Ok(CoreMetadataBytes {
                        bytes: bytes.into(),
                        source: MetadataSource::Cache,
                        parsed: Arc::new(parsed),
                    });
                }
                Err(reason) => {
                    tracing::debug!("ignoring cached metadata at {}: {reason}", path.display());
                }
            }
        }
        let url =
            Url::parse(file.url()).map_err(|e| meta_err(file, format!("invalid URL: {e}")))?;
        if url.scheme() == "file" {
            let path = url
                .to_file_path()
                .map_err(|()| meta_err(file, "not a local path"))?;
            let metadata = {
                let owned = file.clone();
                tokio::task::spawn_blocking(move || extract_from_path(&owned, &path))
                    .await
                    .map_err(|e| meta_err(file, format!("reading the file failed: {e}")))??
            };
            let parsed = validate(file, &metadata).map_err(|e| meta_err(file, e))?;
            return Ok(CoreMetadataBytes {
                bytes: metadata.into(),
                source: MetadataSource::LocalFile,
                parsed: Arc::new(parsed),
            });
        }
        if mode == CacheMode::Offline {
            return Err(IndexError::Offline {
                project: file.filename().to_string(),
                index: redact_text(file.url()),
            });
        }
        let (bytes, source, parsed) = self.fetch_metadata(file, &url).await?;
        if let Some(path) = &cache_path {
            write_atomic(path, &bytes);
        }
        Ok(CoreMetadataBytes {
            bytes: bytes.into(),
            source,
            parsed: Arc::new(parsed),
        })
    }

    fn metadata_cache_path(&self, file: &DistFile) -> Option<PathBuf> {
        let dir = self.cache_dir()?;
        let digest = Sha256::digest(file.url().as_bytes());
        let key = hex(&digest[..8]);
        Some(
            dir.join("metadata-v1")
                .join(format!("{key}-{}.metadata", file.filename())),
        )
    }

    async fn fetch_metadata(
        &self,
        file: &DistFile,
        url: &Url,
    ) -> Result<(Vec<u8>, MetadataSource, CoreMetadata), IndexError> {
        let checked = |bytes: Vec<u8>, source: MetadataSource| {
            let parsed = validate(file, &bytes).map_err(|e| meta_err(file, e))?;
            Ok((bytes, source, parsed))
        };
        // 1. PEP 658, when the page advertises it.
        if file.core_metadata {
            let mut md_url = url.clone();
            md_url.set_path(&format!("{}.metadata", url.path()));
            let fetched = self
                .get_limited(&md_url, HeaderMap::new(), MAX_METADATA_BYTES)
                .await?;
            if fetched.status.is_success() {
                match validate(file, &fetched.body) {
                    Ok(parsed) => return Ok((fetched.body, MetadataSource::Pep658, parsed)),
                    // The file itself may still be good: read it instead.
                    Err(reason) => tracing::debug!(
                        "{}: unusable PEP 658 metadata ({reason}); reading the file instead",
                        redact_text(md_url.as_str())
                    ),
                }
            } else {
                tracing::debug!(
                    "{}: advertised PEP 658 metadata missing (HTTP {})",
                    redact_text(md_url.as_str()),
                    fetched.status
                );
            }
        }
        let kind = archive_kind(file);
        // 2. Range requests into a zip.
        if kind == ArchiveKind::Zip {
            match self.metadata_by_ranges(file, url).await? {
                RangeOutcome::Found(bytes) => {
                    return checked(bytes, MetadataSource::RangeRequests);
                }
                RangeOutcome::WholeFile(bytes) => {
                    return checked(extract_checked(file, &bytes)?, MetadataSource::FullDownload);
                }
                RangeOutcome::Unsupported => {}
            }
        } else if kind == ArchiveKind::TarGz {
            // 3. A streamed `.tar.gz` (`None`: the server answered no range request at all).
            if let Some((bytes, source)) = self.metadata_by_streaming(file, url).await? {
                return checked(bytes, source);
            }
        }
        // 4. The whole file.
        let fetched = self.get(url, HeaderMap::new()).await.map_err(|e| match e {
            IndexError::Metadata { reason, .. } => meta_err(file, reason),
            other => other,
        })?;
        if !fetched.status.is_success() {
            return Err(meta_err(
                file,
                format!("downloading it answered HTTP {}", fetched.status.as_u16()),
            ));
        }
        checked(
            extract_checked(file, &fetched.body)?,
            MetadataSource::FullDownload,
        )
    }

    /// Streams a `.tar.gz` sdist through the decompressor in range requests of growing size,
    /// stopping at its metadata member (see the module docs). `None` when the first range
    /// request gets neither a range nor the whole file (the caller then downloads it, and
    /// reports what the server says).
    async fn metadata_by_streaming(
        &self,
        file: &DistFile,
        url: &Url,
    ) -> Result<Option<(Vec<u8>, MetadataSource)>, IndexError> {
        // Demand-driven: the reader asks for a chunk whenever it has used up the last one, so
        // nothing past the metadata member is requested.
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
        let (want_tx, mut want_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let reader = tokio::task::spawn_blocking(move || {
            tar_metadata(ChunkReader {
                rx,
                want: want_tx,
                chunk: Vec::new(),
                pos: 0,
            })
        });
        let started = Instant::now();
        let mut offset: u64 = 0;
        let mut chunk = FIRST_CHUNK;
        let mut source = MetadataSource::RangeRequests;
        let mut stopped = None;
        let mut tx = Some(tx);
        // `None`: the reader is done (it found the member, or gave up).
        while want_rx.recv().await.is_some() {
            let Some(sender) = &tx else {
                continue;
            };
            if offset >= MAX_ARCHIVE_BYTES {
                stopped = Some(format!(
                    "no metadata in its first {}; wheelwatch reads no further",
                    size(MAX_ARCHIVE_BYTES)
                ));
                tx = None;
                continue;
            }
            if started.elapsed() > SDIST_STREAM_TIME {
                stopped = Some(format!(
                    "no metadata after {} s of reading; wheelwatch reads no longer",
                    SDIST_STREAM_TIME.as_secs()
                ));
                tx = None;
                continue;
            }
            let end = offset + chunk - 1;
            let (body, done) = match self
                .get_range(url, &format!("bytes={offset}-{end}"))
                .await?
            {
                Ranged::Partial { body, total } => {
                    offset += body.len() as u64;
                    let done = offset >= total || body.is_empty();
                    (body, done)
                }
                // The server ignores ranges and sent the whole file.
                Ranged::Full(body) if offset == 0 => {
                    source = MetadataSource::FullDownload;
                    check_sha256(file, &body)?;
                    (body, true)
                }
                Ranged::Unsupported if offset == 0 => return Ok(None),
                Ranged::Full(_) | Ranged::Unsupported => {
                    return Err(meta_err(
                        file,
                        "the server stopped answering range requests mid-file",
                    ));
                }
            };
            if sender.send(body).await.is_err() {
                break;
            }
            if done {
                // The file ended: the reader sees the end after this chunk.
                tx = None;
            }
            chunk = (chunk * 2).min(MAX_CHUNK);
        }
        drop(tx);
        let found = reader
            .await
            .map_err(|e| meta_err(file, format!("reading the sdist failed: {e}")))?;
        match found {
            Ok(Some(bytes)) => Ok(Some((bytes, source))),
            Ok(None) => Err(meta_err(
                file,
                stopped.unwrap_or_else(|| "the sdist has no PKG-INFO".to_string()),
            )),
            Err(reason) => Err(meta_err(file, stopped.unwrap_or(reason))),
        }
    }

    async fn metadata_by_ranges(
        &self,
        file: &DistFile,
        url: &Url,
    ) -> Result<RangeOutcome, IndexError> {
        let tail = self.get_range(url, &format!("bytes=-{TAIL_BYTES}")).await?;
        let (tail_bytes, total) = match tail {
            Ranged::Partial { body, total } => (body, total),
            Ranged::Full(body) => return Ok(RangeOutcome::WholeFile(body)),
            Ranged::Unsupported => return Ok(RangeOutcome::Unsupported),
        };
        let tail_start = total - tail_bytes.len() as u64;
        let Some((cd_offset, cd_size)) = find_eocd(&tail_bytes) else {
            tracing::debug!(
                "{}: no usable end-of-central-directory record",
                file.filename()
            );
            return Ok(RangeOutcome::Unsupported);
        };
        if cd_size > MAX_METADATA_BYTES {
            return Err(meta_err(
                file,
                format!("its zip directory claims {cd_size} bytes; refusing to read it"),
            ));
        }
        let slice_or_fetch = async |start: u64, len: u64| -> Result<Option<Vec<u8>>, IndexError> {
            if start >= tail_start && start + len <= total {
                let from = (start - tail_start) as usize;
                return Ok(Some(tail_bytes[from..from + len as usize].to_vec()));
            }
            let end = (start + len).min(total).saturating_sub(1);
            match self.get_range(url, &format!("bytes={start}-{end}")).await? {
                Ranged::Partial { body, .. } => Ok(Some(body)),
                Ranged::Full(body) => Ok(body
                    .get(start as usize..(end + 1) as usize)
                    .map(<[u8]>::to_vec)),
                Ranged::Unsupported => Ok(None),
            }
        };
        let Some(cd) = slice_or_fetch(cd_offset, cd_size).await? else {
            return Ok(RangeOutcome::Unsupported);
        };
        let Some(entry) = find_metadata_entry(&cd, file) else {
            let what = if file.wheel().is_some() {
                "the wheel has no *.dist-info/METADATA"
            } else {
                "the sdist has no PKG-INFO"
            };
            return Err(meta_err(file, what));
        };
        if entry.compressed_size > MAX_METADATA_BYTES {
            return Err(meta_err(
                file,
                format!(
                    "its metadata entry is {} bytes compressed, more than the {} wheelwatch reads",
                    entry.compressed_size,
                    size(MAX_METADATA_BYTES)
                ),
            ));
        }
        // Local header (30 bytes + name + extra, whose length may differ from the central one).
        let guess = 30 + entry.name_len + 1024 + entry.compressed_size;
        let Some(local) =
            slice_or_fetch(entry.local_offset, guess.min(total - entry.local_offset)).await?
        else {
            return Ok(RangeOutcome::Unsupported);
        };
        let data_start =
            local_data_offset(&local).ok_or_else(|| meta_err(file, "corrupt local file header"))?;
        let data = match local.get(data_start..data_start + entry.compressed_size as usize) {
            Some(data) => data.to_vec(),
            None => match slice_or_fetch(
                entry.local_offset + data_start as u64,
                entry.compressed_size,
            )
            .await?
            {
                Some(data) => data,
                None => return Ok(RangeOutcome::Unsupported),
            },
        };
        let bytes = inflate(entry.method, &data).map_err(|e| meta_err(file, e))?;
        Ok(RangeOutcome::Found(bytes))
    }

    async fn get_range(&self, url: &Url, range: &str) -> Result<Ranged, IndexError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::RANGE,
            HeaderValue::from_str(range).map_err(|e| IndexError::Client(e.to_string()))?,
        );
        let fetched = self.get(url, headers).await?;
        match fetched.status {
            StatusCode::PARTIAL_CONTENT => {
                let total = fetched
                    .headers
                    .get(header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.rsplit('/').next())
                    .and_then(|t| t.parse::<u64>().ok());
                match total {
                    Some(total) if total >= fetched.body.len() as u64 => Ok(Ranged::Partial {
                        body: fetched.body,
                        total,
                    }),
                    _ => Ok(Ranged::Unsupported),
                }
            }
            StatusCode::OK => Ok(Ranged::Full(fetched.body)),
            _ => Ok(Ranged::Unsupported),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArchiveKind {
    /// A wheel or a `.zip` sdist.
    Zip,
    /// A `.tar.gz` / `.tgz` sdist.
    TarGz,
    /// Anything else (`.tar.bz2`, ...).
    Other,
}

#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "the name is lowercased first"
)]
fn archive_kind(file: &DistFile) -> ArchiveKind {
    let lower = file.filename().to_ascii_lowercase();
    if lower.ends_with(".whl") || lower.ends_with(".zip") {
        ArchiveKind::Zip
    } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        ArchiveKind::TarGz
    } else {
        ArchiveKind::Other
    }
}

/// A blocking [`std::io::Read`] over the chunks the async side sends; ends when it stops.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
    /// Asks the async side for the next chunk.
    want: tokio::sync::mpsc::UnboundedSender<()>,
    chunk: Vec<u8>,
    pos: usize,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.chunk.len() {
            // A closed channel means the async side has stopped; `recv` then ends too.
            let _ = self.want.send(());
            match self.rx.blocking_recv() {
                Some(chunk) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A reader that fails once more than `left` bytes have come through.
struct Capped<R> {
    inner: R,
    left: u64,
    what: &'static str,
}

impl<R: std::io::Read> std::io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(format!(
                "{} inflates past the limit wheelwatch reads",
                self.what
            ))
        })?;
        Ok(n)
    }
}

/// Reads at most [`MAX_METADATA_BYTES`] of a member, failing beyond.
fn read_member(reader: impl std::io::Read) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader
        .take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("reading the metadata: {e}"))?;
    if out.len() as u64 > MAX_METADATA_BYTES {
        return Err(format!(
            "its metadata inflates to more than the {} wheelwatch reads",
            size(MAX_METADATA_BYTES)
        ));
    }
    Ok(out)
}

/// The metadata member of a `.tar.gz` sdist read from `reader`: the top-level `PKG-INFO`, else
/// the first `*.egg-info/PKG-INFO`. `Ok(None)` when there is neither.
fn tar_metadata(reader: impl std::io::Read) -> Result<Option<Vec<u8>>, String> {
    let gz = flate2::read::GzDecoder::new(reader);
    let mut archive = tar::Archive::new(Capped {
        inner: gz,
        left: MAX_SDIST_INFLATED_BYTES,
        what: "the sdist",
    });
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar.gz archive: {e}"))?;
    let mut egg_info = None;
    for entry in entries {
        let entry = entry.map_err(|e| format!("corrupt tar.gz archive: {e}"))?;
        let Ok(path) = entry.path().map(std::borrow::Cow::into_owned) else {
            continue;
        };
        if !entry.header().entry_type().is_file()
            || path.file_name().is_none_or(|n| n != "PKG-INFO")
        {
            continue;
        }
        let parts: Vec<_> = path.components().collect();
        if parts.len() == 2 {
            return read_member(entry).map(Some);
        }
        if egg_info.is_none()
            && parts.len() == 3
            && parts[1]
                .as_os_str()
                .to_string_lossy()
                .ends_with(".egg-info")
        {
            egg_info = Some(read_member(entry)?);
        }
    }
    Ok(egg_info)
}

enum Ranged {
    Partial { body: Vec<u8>, total: u64 },
    Full(Vec<u8>),
    Unsupported,
}

enum RangeOutcome {
    Found(Vec<u8>),
    WholeFile(Vec<u8>),
    Unsupported,
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 2)
        .map(|s| u64::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 4)
        .map(|s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
}

/// `(central directory offset, size)` from the end-of-central-directory record in `tail`.
/// `None` for zip64 archives (offsets saturated) or when the record is not there.
fn find_eocd(tail: &[u8]) -> Option<(u64, u64)> {
    let pos = tail
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x05, 0x06])?;
    let cd_size = u32_at(tail, pos + 12)?;
    let cd_offset = u32_at(tail, pos + 16)?;
    (cd_offset != 0xFFFF_FFFF && cd_size != 0xFFFF_FFFF).then_some((cd_offset, cd_size))
}

struct CdEntry {
    method: u64,
    compressed_size: u64,
    name_len: u64,
    local_offset: u64,
}

/// The central-directory entry of the metadata member: for a wheel, the top-level
/// `*.dist-info/METADATA` (preferring the one named after the wheel's name and version); for a
/// zip sdist, the top-level `PKG-INFO`, else a `*/*.egg-info/PKG-INFO`.
fn find_metadata_entry(cd: &[u8], file: &DistFile) -> Option<CdEntry> {
    let is_wheel = file.wheel().is_some();
    let expected = format!(
        "{}-{}.dist-info/metadata",
        file.parsed_dist_info_name(),
        file.version()
    )
    .to_ascii_lowercase();
    let mut pos = 0;
    let mut fallback: Option<(u8, CdEntry)> = None;
    while cd.get(pos..pos + 4) == Some(&[0x50, 0x4b, 0x01, 0x02]) {
        let method = u16_at(cd, pos + 10)?;
        let compressed_size = u32_at(cd, pos + 20)?;
        let name_len = u16_at(cd, pos + 28)?;
        let extra_len = u16_at(cd, pos + 30)?;
        let comment_len = u16_at(cd, pos + 32)?;
        let local_offset = u32_at(cd, pos + 42)?;
        let name = cd.get(pos + 46..pos + 46 + name_len as usize)?;
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let entry = CdEntry {
            method,
            compressed_size,
            name_len,
            local_offset,
        };
        if is_wheel && name == expected {
            return Some(entry);
        }
        // Lower ranks win.
        let rank = member_rank(&name, is_wheel);
        if let Some(rank) = rank
            && fallback.as_ref().is_none_or(|(r, _)| rank < *r)
        {
            fallback = Some((rank, entry));
        }
        pos += 46 + (name_len + extra_len + comment_len) as usize;
    }
    fallback.map(|(_, entry)| entry)
}

/// How well a (lower-cased) member name fits as the metadata: `Some(0)` best, `None` not at all.
fn member_rank(name: &str, is_wheel: bool) -> Option<u8> {
    let depth = name.matches('/').count();
    if is_wheel {
        return (depth == 1 && name.ends_with(".dist-info/metadata")).then_some(0);
    }
    if depth == 1 && name.ends_with("/pkg-info") {
        return Some(0);
    }
    (depth == 2 && name.ends_with(".egg-info/pkg-info")).then_some(1)
}

/// Where the data starts after a local file header.
fn local_data_offset(local: &[u8]) -> Option<usize> {
    if local.get(0..4) != Some(&[0x50, 0x4b, 0x03, 0x04]) {
        return None;
    }
    Some(30 + u16_at(local, 26)? as usize + u16_at(local, 28)? as usize)
}

/// Inflates a zip entry, never past [`MAX_METADATA_BYTES`] (whatever sizes the archive claims).
fn inflate(method: u64, data: &[u8]) -> Result<Vec<u8>, String> {
    match method {
        0 => read_member(data),
        8 => read_member(flate2::read::DeflateDecoder::new(data)),
        other => Err(format!(
            "METADATA uses unsupported zip compression method {other}"
        )),
    }
}

trait DistInfoName {
    fn parsed_dist_info_name(&self) -> String;
}

impl DistInfoName for DistFile {
    fn parsed_dist_info_name(&self) -> String {
        match &self.parsed {
            DistFilename::Wheel(w) => w.name.as_dist_info_name().into_owned(),
            DistFilename::Sdist(s) => s.name.as_dist_info_name().into_owned(),
        }
    }
}

/// Fails when the index lists a sha256 that `bytes` do not have.
fn check_sha256(file: &DistFile, bytes: &[u8]) -> Result<(), IndexError> {
    if let Some(expected) = file.sha256() {
        let digest = Sha256::digest(bytes);
        let actual = hex(&digest);
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(meta_err(
                file,
                format!("sha256 mismatch: the index lists {expected}, the file has {actual}"),
            ));
        }
    }
    Ok(())
}

/// Verifies the listed sha256 (when there is one), then extracts.
fn extract_checked(file: &DistFile, bytes: &[u8]) -> Result<Vec<u8>, IndexError> {
    check_sha256(file, bytes)?;
    extract_from_archive(file, bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The metadata member of a zip (see [`member_rank`]), inflated up to [`MAX_METADATA_BYTES`].
fn zip_member(
    file: &DistFile,
    reader: impl std::io::Read + std::io::Seek,
) -> Result<Vec<u8>, IndexError> {
    let is_wheel = file.wheel().is_some();
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| meta_err(file, format!("not a zip archive: {e}")))?;
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .filter_map(|n| Some((member_rank(&n.to_ascii_lowercase(), is_wheel)?, n)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, n)| n.into_owned())
        .ok_or_else(|| meta_err(file, "no core metadata file in the archive"))?;
    let entry = zip
        .by_name(&name)
        .map_err(|e| meta_err(file, e.to_string()))?;
    read_member(entry).map_err(|e| meta_err(file, e))
}

/// The metadata member of a local archive, read from the file without loading it: a zip's
/// central directory and one entry, or a `.tar.gz` streamed up to the member.
fn extract_from_path(file: &DistFile, path: &Path) -> Result<Vec<u8>, IndexError> {
    let io = |e: std::io::Error| IndexError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let reader = std::io::BufReader::new(fs_err::File::open(path).map_err(io)?);
    match archive_kind(file) {
        ArchiveKind::Zip => zip_member(file, reader),
        ArchiveKind::TarGz => match tar_metadata(reader) {
            Ok(Some(out)) => Ok(out),
            Ok(None) => Err(meta_err(file, "the sdist has no PKG-INFO")),
            Err(reason) => Err(meta_err(file, reason)),
        },
        ArchiveKind::Other => Err(meta_err(
            file,
            "unsupported archive format for core metadata",
        )),
    }
}

/// The metadata member (see [`find_metadata_entry`] and [`tar_metadata`]) of a whole archive
/// in memory: a wheel, a `.zip` or a `.tar.gz` sdist.
fn extract_from_archive(file: &DistFile, bytes: &[u8]) -> Result<Vec<u8>, IndexError> {
    let kind = archive_kind(file);
    if kind == ArchiveKind::Zip {
        return zip_member(file, std::io::Cursor::new(bytes));
    }
    if kind == ArchiveKind::TarGz {
        return match tar_metadata(bytes) {
            Ok(Some(out)) => Ok(out),
            Ok(None) => Err(meta_err(file, "the sdist has no PKG-INFO")),
            Err(reason) => Err(meta_err(file, reason)),
        };
    }
    Err(meta_err(
        file,
        "unsupported archive format for core metadata",
    ))
}

fn write_atomic(path: &Path, bytes: &[u8]) {
    let result = (|| -> std::io::Result<()> {
        fs_err::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        crate::util::fs::write_atomic(path, bytes, crate::util::fs::Durability::Cache)
    })();
    if let Err(err) = result {
        tracing::debug!("could not cache metadata at {}: {err}", path.display());
    }
}

impl IndexClient {
    fn count_cache_hit(&self) {
        self.stats_ref().cache_hits.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        for (path, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, path, *data).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn tar_metadata_prefers_the_top_level_pkg_info_then_egg_info() {
        let both = tar_gz(&[
            ("p-1/p.egg-info/PKG-INFO", b"egg"),
            ("p-1/sub/PKG-INFO", b"nested"),
            ("p-1/PKG-INFO", b"top"),
        ]);
        assert_eq!(tar_metadata(both.as_slice()).unwrap().unwrap(), b"top");
        let egg = tar_gz(&[("p-1/setup.py", b""), ("p-1/p.egg-info/PKG-INFO", b"egg")]);
        assert_eq!(tar_metadata(egg.as_slice()).unwrap().unwrap(), b"egg");
        let none = tar_gz(&[("p-1/sub/PKG-INFO", b"nested")]);
        assert_eq!(tar_metadata(none.as_slice()).unwrap(), None);
        assert_eq!(
            tar_metadata(&b"this is not a gzip stream"[..]).unwrap_err(),
            "corrupt tar.gz archive: invalid gzip header"
        );
    }

    #[test]
    fn member_ranks() {
        assert_eq!(member_rank("a-1.dist-info/metadata", true), Some(0));
        assert_eq!(member_rank("a/b-1.dist-info/metadata", true), None);
        assert_eq!(member_rank("a-1/pkg-info", false), Some(0));
        assert_eq!(member_rank("a-1/a.egg-info/pkg-info", false), Some(1));
        assert_eq!(member_rank("a-1/src/a.egg-info/pkg-info", false), None);
    }

    #[test]
    fn a_member_is_never_read_past_the_cap() {
        let zeros = std::io::repeat(0).take(MAX_METADATA_BYTES + 10);
        assert_eq!(
            read_member(zeros).unwrap_err(),
            "its metadata inflates to more than the 16 MiB wheelwatch reads"
        );
        assert_eq!(read_member(&b"ok"[..]).unwrap(), b"ok");
    }
}
