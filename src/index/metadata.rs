//! Core metadata (`METADATA` / `PKG-INFO`) of one distribution file, for the resolver, fetched
//! as cheaply as the index allows:
//!
//! 1. `<file-url>.metadata` (PEP 658 / 714), tried even when the page does not advertise it
//!    (a 4xx falls through);
//! 2. for wheels, HTTP range requests: the zip's end-of-central-directory record, the central
//!    directory, then just the `*.dist-info/METADATA` entry;
//! 3. the whole file (servers without range support, sdists), checked against the listed
//!    sha256, then read with `zip` / `tar` + `flate2`.
//!
//! Results are cached on disk by file URL (a released file never changes), so a second run makes
//! no metadata request. Parsing the metadata is not done here (see the pure metadata module).
//!
//! The zip records are parsed by hand for step 2: the `zip` crate needs a seekable reader over
//! the whole archive, and we only have a few fetched byte ranges of it.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use url::Url;

use super::client::{IndexClient, IndexError};
use super::redact::redact_text;
use super::settings::CacheMode;
use crate::dist::DistFile;
use crate::filename::DistFilename;

/// How many bytes of a wheel's tail the first range request asks for: enough for the central
/// directory of all but huge wheels.
const TAIL_BYTES: u64 = 64 * 1024;

/// Where metadata bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataSource {
    /// The on-disk cache.
    Cache,
    /// `<url>.metadata` (PEP 658).
    Pep658,
    /// HTTP range requests into the wheel.
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
}

fn meta_err(file: &DistFile, reason: impl Into<String>) -> IndexError {
    IndexError::Metadata {
        url: redact_text(file.url()),
        reason: reason.into(),
    }
}

impl IndexClient {
    /// The core metadata of `file` (see the module docs for the strategy).
    pub async fn metadata(&self, file: &DistFile) -> Result<CoreMetadataBytes, IndexError> {
        let cache_path = self.metadata_cache_path(file);
        let mode = self.cache_mode();
        if let Some(path) = &cache_path
            && mode != CacheMode::Refresh
            && let Ok(bytes) = tokio::fs::read(path).await
        {
            self.count_cache_hit();
            return Ok(CoreMetadataBytes {
                bytes: bytes.into(),
                source: MetadataSource::Cache,
            });
        }
        let url =
            Url::parse(file.url()).map_err(|e| meta_err(file, format!("invalid URL: {e}")))?;
        if url.scheme() == "file" {
            let path = url
                .to_file_path()
                .map_err(|()| meta_err(file, "not a local path"))?;
            let bytes = tokio::fs::read(&path).await.map_err(|e| IndexError::Io {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let metadata = extract_from_archive(file, &bytes)?;
            return Ok(CoreMetadataBytes {
                bytes: metadata.into(),
                source: MetadataSource::LocalFile,
            });
        }
        if mode == CacheMode::Offline {
            return Err(IndexError::Offline {
                project: file.filename().to_string(),
                index: redact_text(file.url()),
            });
        }
        let (bytes, source) = self.fetch_metadata(file, &url).await?;
        if let Some(path) = &cache_path {
            write_atomic(path, &bytes);
        }
        Ok(CoreMetadataBytes {
            bytes: bytes.into(),
            source,
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
    ) -> Result<(Vec<u8>, MetadataSource), IndexError> {
        // 1. PEP 658, advertised or not.
        let mut md_url = url.clone();
        md_url.set_path(&format!("{}.metadata", url.path()));
        let fetched = self.get(&md_url, HeaderMap::new()).await?;
        if fetched.status.is_success() {
            return Ok((fetched.body, MetadataSource::Pep658));
        }
        tracing::debug!(
            "{}: no PEP 658 metadata (HTTP {})",
            redact_text(md_url.as_str()),
            fetched.status
        );
        // 2. Range requests into a wheel.
        if matches!(file.parsed, DistFilename::Wheel(_)) {
            match self.metadata_by_ranges(file, url).await? {
                RangeOutcome::Found(bytes) => return Ok((bytes, MetadataSource::RangeRequests)),
                RangeOutcome::WholeFile(bytes) => {
                    return Ok((extract_checked(file, &bytes)?, MetadataSource::FullDownload));
                }
                RangeOutcome::Unsupported => {}
            }
        }
        // 3. The whole file.
        let fetched = self.get(url, HeaderMap::new()).await?;
        if !fetched.status.is_success() {
            return Err(meta_err(
                file,
                format!("downloading it answered HTTP {}", fetched.status.as_u16()),
            ));
        }
        Ok((
            extract_checked(file, &fetched.body)?,
            MetadataSource::FullDownload,
        ))
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
            return Err(meta_err(file, "the wheel has no *.dist-info/METADATA"));
        };
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

/// The central-directory entry of the top-level `*.dist-info/METADATA`, preferring the one named
/// after the wheel's name and version.
fn find_metadata_entry(cd: &[u8], file: &DistFile) -> Option<CdEntry> {
    let expected = format!(
        "{}-{}.dist-info/metadata",
        file.parsed_dist_info_name(),
        file.version()
    )
    .to_ascii_lowercase();
    let mut pos = 0;
    let mut fallback = None;
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
        if name == expected {
            return Some(entry);
        }
        if fallback.is_none()
            && name.ends_with(".dist-info/metadata")
            && name.matches('/').count() == 1
        {
            fallback = Some(entry);
        }
        pos += 46 + (name_len + extra_len + comment_len) as usize;
    }
    fallback
}

/// Where the data starts after a local file header.
fn local_data_offset(local: &[u8]) -> Option<usize> {
    if local.get(0..4) != Some(&[0x50, 0x4b, 0x03, 0x04]) {
        return None;
    }
    Some(30 + u16_at(local, 26)? as usize + u16_at(local, 28)? as usize)
}

fn inflate(method: u64, data: &[u8]) -> Result<Vec<u8>, String> {
    match method {
        0 => Ok(data.to_vec()),
        8 => {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| format!("inflating METADATA: {e}"))?;
            Ok(out)
        }
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

/// Verifies the listed sha256 (when there is one), then extracts.
fn extract_checked(file: &DistFile, bytes: &[u8]) -> Result<Vec<u8>, IndexError> {
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

/// `*.dist-info/METADATA` from a wheel, `<root>/PKG-INFO` from an sdist (`.tar.gz` or `.zip`).
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "the name is lowercased first"
)]
fn extract_from_archive(file: &DistFile, bytes: &[u8]) -> Result<Vec<u8>, IndexError> {
    let lower = file.filename().to_ascii_lowercase();
    let is_zip = lower.ends_with(".whl") || lower.ends_with(".zip");
    if is_zip {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| meta_err(file, format!("not a zip archive: {e}")))?;
        let wanted = |name: &str| {
            let name = name.to_ascii_lowercase();
            if lower.ends_with(".whl") {
                name.ends_with(".dist-info/metadata") && name.matches('/').count() == 1
            } else {
                name.ends_with("/pkg-info") && name.matches('/').count() == 1
            }
        };
        let name = zip
            .file_names()
            .filter_map(Result::ok)
            .find(|n| wanted(n))
            .map(std::borrow::Cow::into_owned)
            .ok_or_else(|| meta_err(file, "no core metadata file in the archive"))?;
        let mut out = Vec::new();
        zip.by_name(&name)
            .map_err(|e| meta_err(file, e.to_string()))?
            .read_to_end(&mut out)
            .map_err(|e| meta_err(file, e.to_string()))?;
        return Ok(out);
    }
    if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        let entries = archive
            .entries()
            .map_err(|e| meta_err(file, format!("not a tar.gz archive: {e}")))?;
        for entry in entries {
            let mut entry =
                entry.map_err(|e| meta_err(file, format!("corrupt tar.gz archive: {e}")))?;
            let path = entry
                .path()
                .map_err(|e| meta_err(file, e.to_string()))?
                .into_owned();
            let parts: Vec<_> = path.components().collect();
            if parts.len() == 2 && path.file_name().is_some_and(|n| n == "PKG-INFO") {
                let mut out = Vec::new();
                entry
                    .read_to_end(&mut out)
                    .map_err(|e| meta_err(file, e.to_string()))?;
                return Ok(out);
            }
        }
        return Err(meta_err(file, "no PKG-INFO in the sdist"));
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
