//! Small but real distribution files for tests: wheels (zip archives with `*.dist-info/METADATA`,
//! `WHEEL`, `RECORD`, `top_level.txt` and an importable package) and sdists (`.tar.gz` with
//! `PKG-INFO` and a `pyproject.toml`). Deterministic: fixed timestamps, fixed ordering, so the
//! same spec always yields the same bytes (and the same sha256).
//!
//! Owns artifact generation only; serving them is `super::server`'s job.

use std::fmt::Write as _;
use std::io::{Cursor, Write};

use sha2::{Digest, Sha256};

/// What `<pkg>/__init__.py` contains.
#[derive(Clone, Debug, Default)]
pub enum ModuleBody {
    /// `__version__ = "<version>"`.
    #[default]
    Version,
    /// The given Python source.
    Source(String),
    /// A module that raises `ImportError` when imported.
    RaisesOnImport,
}

/// How the index treats PEP 658 core metadata for one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreMetadata {
    /// Advertised on the page and served at `<file>.metadata` (default for wheels).
    Served,
    /// Served at `<file>.metadata` but not advertised on the page.
    Unadvertised,
    /// Neither advertised nor served (404) (default for sdists).
    Absent,
    /// Advertised, but `<file>.metadata` answers 404.
    Broken,
}

impl CoreMetadata {
    /// Whether the page lists the file with core metadata.
    pub fn advertised(self) -> bool {
        matches!(self, Self::Served | Self::Broken)
    }
    /// Whether `<file>.metadata` exists.
    pub fn served(self) -> bool {
        matches!(self, Self::Served | Self::Unadvertised)
    }
}

/// Whether a file is a wheel (with its tag string) or an sdist.
#[derive(Clone, Debug)]
pub enum FileKind {
    /// `python-abi-platform`, e.g. `cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64`.
    Wheel { tags: String },
    /// A `.tar.gz` source distribution.
    Sdist,
}

/// Everything that determines one generated file. Built fluently (`FileSpec::wheel(..)
/// .requires_dist(..)`), by value, so closures like `|w| w.yanked("bad")` compose.
#[derive(Clone, Debug)]
pub struct FileSpec {
    /// Project name as written (e.g. `Foo.Bar`); normalized where file names need it.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Wheel (with tags) or sdist.
    pub kind: FileKind,
    /// Optional wheel build tag.
    pub build: Option<String>,
    /// `Requires-Dist` lines.
    pub requires_dist: Vec<String>,
    /// `Requires-Python`, written into the metadata AND listed on the index page.
    pub requires_python: Option<String>,
    /// Listed on the page only (overrides `requires_python` for the page when set).
    pub page_requires_python: Option<String>,
    /// `Provides-Extra` lines.
    pub provides_extra: Vec<String>,
    /// `Some(reason)` when yanked; an empty reason is served as `true` / `data-yanked=""`.
    pub yanked: Option<String>,
    /// Module body.
    pub module: ModuleBody,
    /// PEP 658 behaviour.
    pub core_metadata: CoreMetadata,
    /// Upload time listed in JSON (RFC 3339), if any.
    pub upload_time: Option<String>,
    /// Override of the generated file name (to serve odd or invalid names).
    pub filename_override: Option<String>,
    /// Listed on the page but not a real archive (cheap fixtures for big pages).
    pub listing_only: bool,
    /// Bytes of incompressible padding added as `<pkg>/_padding.bin` (big wheels and sdists).
    pub padding: usize,
    /// The exact core metadata bytes, instead of the generated text (real or hostile files).
    pub raw_metadata: Option<Vec<u8>>,
    /// What `<file>.metadata` answers, when it should differ from the archive's metadata.
    pub served_metadata: Option<Vec<u8>>,
    /// A wheel whose `METADATA` entry inflates to this many bytes (a zip bomb).
    pub metadata_bomb: Option<u64>,
    /// An sdist with its `PKG-INFO` only under `<root>/<name>.egg-info/`.
    pub egg_info_only: bool,
    /// A `.zip` sdist instead of a `.tar.gz`.
    pub zip_sdist: bool,
}

impl FileSpec {
    /// A wheel of `name` `version` with `tags` (`py3-none-any`).
    pub fn wheel(name: &str, version: &str, tags: &str) -> Self {
        Self::new(
            name,
            version,
            FileKind::Wheel {
                tags: tags.to_string(),
            },
            CoreMetadata::Served,
        )
    }

    /// An sdist (`.tar.gz`).
    pub fn sdist(name: &str, version: &str) -> Self {
        Self::new(name, version, FileKind::Sdist, CoreMetadata::Absent)
    }

    fn new(name: &str, version: &str, kind: FileKind, core_metadata: CoreMetadata) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            kind,
            build: None,
            requires_dist: Vec::new(),
            requires_python: None,
            page_requires_python: None,
            provides_extra: Vec::new(),
            yanked: None,
            module: ModuleBody::default(),
            core_metadata,
            upload_time: None,
            filename_override: None,
            listing_only: false,
            padding: 0,
            raw_metadata: None,
            served_metadata: None,
            metadata_bomb: None,
            egg_info_only: false,
            zip_sdist: false,
        }
    }

    /// Adds a `Requires-Dist` line.
    #[must_use]
    pub fn requires_dist(mut self, req: &str) -> Self {
        self.requires_dist.push(req.to_string());
        self
    }
    /// Sets `Requires-Python` (metadata and page).
    #[must_use]
    pub fn requires_python(mut self, spec: &str) -> Self {
        self.requires_python = Some(spec.to_string());
        self
    }
    /// Sets the `requires-python` listed on the page only (e.g. an invalid one).
    #[must_use]
    pub fn page_requires_python(mut self, spec: &str) -> Self {
        self.page_requires_python = Some(spec.to_string());
        self
    }
    /// Adds a `Provides-Extra` line.
    #[must_use]
    pub fn provides_extra(mut self, extra: &str) -> Self {
        self.provides_extra.push(extra.to_string());
        self
    }
    /// Marks the file yanked with `reason` (may be empty).
    #[must_use]
    pub fn yanked(mut self, reason: &str) -> Self {
        self.yanked = Some(reason.to_string());
        self
    }
    /// Sets the wheel build tag.
    #[must_use]
    pub fn build_tag(mut self, build: &str) -> Self {
        self.build = Some(build.to_string());
        self
    }
    /// `<pkg>/__init__.py` is `source`.
    #[must_use]
    pub fn module_source(mut self, source: &str) -> Self {
        self.module = ModuleBody::Source(source.to_string());
        self
    }
    /// Importing the package raises `ImportError`.
    #[must_use]
    pub fn raises_on_import(mut self) -> Self {
        self.module = ModuleBody::RaisesOnImport;
        self
    }
    /// PEP 658 behaviour for this file.
    #[must_use]
    pub fn core_metadata(mut self, mode: CoreMetadata) -> Self {
        self.core_metadata = mode;
        self
    }
    /// Upload time listed in JSON.
    #[must_use]
    pub fn upload_time(mut self, time: &str) -> Self {
        self.upload_time = Some(time.to_string());
        self
    }
    /// Serve under this file name instead of the generated one.
    #[must_use]
    pub fn filename(mut self, filename: &str) -> Self {
        self.filename_override = Some(filename.to_string());
        self
    }

    /// Listed on the page, but the file is a placeholder, not a real archive (for pages with
    /// thousands of files where only the listing matters).
    #[must_use]
    pub fn listing_only(mut self) -> Self {
        self.listing_only = true;
        self
    }

    /// Adds `bytes` of deterministic incompressible data to the wheel, after `METADATA`, so
    /// the archive's tail does not contain it.
    #[must_use]
    pub fn padding(mut self, bytes: usize) -> Self {
        self.padding = bytes;
        self
    }

    /// Uses `bytes` verbatim as the core metadata (archive and `.metadata`).
    #[must_use]
    pub fn raw_metadata(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.raw_metadata = Some(bytes.into());
        self
    }

    /// Makes `<file>.metadata` answer `bytes` (served, advertised) while the archive keeps its
    /// own metadata.
    #[must_use]
    pub fn served_metadata(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.served_metadata = Some(bytes.into());
        self.core_metadata = CoreMetadata::Served;
        self
    }

    /// Makes the wheel's `METADATA` a deflate stream that inflates to `bytes` bytes (the
    /// archive stays small). No `.metadata` is served.
    #[must_use]
    pub fn metadata_bomb(mut self, bytes: u64) -> Self {
        self.metadata_bomb = Some(bytes);
        self.core_metadata = CoreMetadata::Absent;
        self
    }

    /// Puts the sdist's `PKG-INFO` only under `<root>/<name>.egg-info/` (old setuptools).
    #[must_use]
    pub fn egg_info_only(mut self) -> Self {
        self.egg_info_only = true;
        self
    }

    /// Makes the sdist a `.zip` archive (old sdists, Windows-built ones).
    #[must_use]
    pub fn zip_sdist(mut self) -> Self {
        self.zip_sdist = true;
        self
    }

    /// The core metadata bytes in the archive.
    pub fn metadata_bytes(&self) -> Vec<u8> {
        self.raw_metadata
            .clone()
            .unwrap_or_else(|| self.metadata_text().into_bytes())
    }

    /// What `<file>.metadata` serves.
    pub fn pep658_bytes(&self) -> Vec<u8> {
        self.served_metadata
            .clone()
            .unwrap_or_else(|| self.metadata_bytes())
    }

    /// The name as used in file names and `.dist-info` (runs of `-_.` become `_`, lowercase).
    pub fn dist_name(&self) -> String {
        let mut out = String::new();
        let mut last_sep = false;
        for c in self.name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !last_sep {
                    out.push('_');
                }
                last_sep = true;
            } else {
                out.push(c.to_ascii_lowercase());
                last_sep = false;
            }
        }
        out
    }

    /// The importable package name (same as [`Self::dist_name`]).
    pub fn import_name(&self) -> String {
        self.dist_name()
    }

    /// The file name this spec produces.
    pub fn filename_str(&self) -> String {
        if let Some(name) = &self.filename_override {
            return name.clone();
        }
        let dist = self.dist_name();
        match &self.kind {
            FileKind::Wheel { tags } => match &self.build {
                Some(build) => format!("{dist}-{}-{build}-{tags}.whl", self.version),
                None => format!("{dist}-{}-{tags}.whl", self.version),
            },
            FileKind::Sdist if self.zip_sdist => format!("{dist}-{}.zip", self.version),
            FileKind::Sdist => format!("{dist}-{}.tar.gz", self.version),
        }
    }

    /// The core metadata (`METADATA` / `PKG-INFO`) text.
    pub fn metadata_text(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(m, "Metadata-Version: 2.1");
        let _ = writeln!(m, "Name: {}", self.name);
        let _ = writeln!(m, "Version: {}", self.version);
        let _ = writeln!(m, "Summary: Test fixture {} {}", self.name, self.version);
        if let Some(rp) = &self.requires_python {
            let _ = writeln!(m, "Requires-Python: {rp}");
        }
        for extra in &self.provides_extra {
            let _ = writeln!(m, "Provides-Extra: {extra}");
        }
        for req in &self.requires_dist {
            let _ = writeln!(m, "Requires-Dist: {req}");
        }
        m
    }

    fn module_text(&self) -> String {
        match &self.module {
            ModuleBody::Version => format!("__version__ = \"{}\"\n", self.version),
            ModuleBody::Source(src) => src.clone(),
            ModuleBody::RaisesOnImport => format!(
                "raise ImportError(\"{} {} is broken on purpose (test fixture)\")\n",
                self.name, self.version
            ),
        }
    }

    /// Generates the file's bytes.
    pub fn build_bytes(&self) -> Vec<u8> {
        if self.listing_only {
            return format!("placeholder for {}\n", self.filename_str()).into_bytes();
        }
        match &self.kind {
            FileKind::Wheel { .. } if self.metadata_bomb.is_some() => self.build_bomb(),
            FileKind::Wheel { tags } => self.build_wheel(tags),
            FileKind::Sdist => self.build_sdist(),
        }
    }

    fn build_wheel(&self, tags: &str) -> Vec<u8> {
        let pkg = self.import_name();
        let dist_info = format!("{}-{}.dist-info", self.dist_name(), self.version);
        let mut parts = tags.splitn(3, '-');
        let (py, abi, plat) = (
            parts.next().unwrap_or("py3"),
            parts.next().unwrap_or("none"),
            parts.next().unwrap_or("any"),
        );
        let purelib = abi == "none" && plat == "any";
        let mut wheel_text = format!(
            "Wheel-Version: 1.0\nGenerator: wheelwatch-test-harness\nRoot-Is-Purelib: {purelib}\n"
        );
        for p in py.split('.') {
            for a in abi.split('.') {
                for pl in plat.split('.') {
                    let _ = writeln!(wheel_text, "Tag: {p}-{a}-{pl}");
                }
            }
        }
        if let Some(build) = &self.build {
            let _ = writeln!(wheel_text, "Build: {build}");
        }
        let mut entries: Vec<(String, Vec<u8>)> = vec![
            (
                format!("{pkg}/__init__.py"),
                self.module_text().into_bytes(),
            ),
            (format!("{dist_info}/METADATA"), self.metadata_bytes()),
            (format!("{dist_info}/WHEEL"), wheel_text.into_bytes()),
            (
                format!("{dist_info}/top_level.txt"),
                format!("{pkg}\n").into_bytes(),
            ),
        ];
        if self.padding > 0 {
            entries.push((format!("{pkg}/_padding.bin"), padding(self.padding)));
        }
        let mut record = String::new();
        for (path, data) in &entries {
            let digest = Sha256::digest(data);
            let _ = writeln!(
                record,
                "{path},sha256={},{}",
                b64_urlsafe_nopad(&digest),
                data.len()
            );
        }
        let _ = writeln!(record, "{dist_info}/RECORD,,");

        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        for (path, data) in entries.iter().chain(std::iter::once(&(
            format!("{dist_info}/RECORD"),
            record.into_bytes(),
        ))) {
            zip.start_file(path.as_str(), options).expect("zip entry");
            zip.write_all(data).expect("zip write");
        }
        zip.finish().expect("zip finish").into_inner()
    }

    fn build_sdist(&self) -> Vec<u8> {
        let root = format!("{}-{}", self.dist_name(), self.version);
        let pkg = self.import_name();
        let mut pyproject = format!(
            "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"{}\"\nversion = \"{}\"\n",
            self.name, self.version
        );
        if let Some(rp) = &self.requires_python {
            let _ = writeln!(pyproject, "requires-python = \"{rp}\"");
        }
        let deps: Vec<String> = self
            .requires_dist
            .iter()
            .map(|d| format!("{d:?}"))
            .collect();
        let _ = writeln!(pyproject, "dependencies = [{}]", deps.join(", "));
        let pkg_info = if self.egg_info_only {
            format!("{root}/{pkg}.egg-info/PKG-INFO")
        } else {
            format!("{root}/PKG-INFO")
        };
        let mut entries: Vec<(String, Vec<u8>)> = vec![
            (pkg_info, self.metadata_bytes()),
            (format!("{root}/pyproject.toml"), pyproject.into_bytes()),
            (
                format!("{root}/{pkg}/__init__.py"),
                self.module_text().into_bytes(),
            ),
        ];
        if self.padding > 0 {
            entries.push((format!("{root}/{pkg}/_padding.bin"), padding(self.padding)));
        }
        if self.zip_sdist {
            let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(zip::DateTime::default())
                .unix_permissions(0o644);
            for (path, data) in &entries {
                zip.start_file(path.as_str(), options).expect("zip entry");
                zip.write_all(data).expect("zip write");
            }
            return zip.finish().expect("zip finish").into_inner();
        }
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        for (path, data) in &entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_uid(0);
            header.set_gid(0);
            header.set_cksum();
            tar.append_data(&mut header, path, data.as_slice())
                .expect("tar entry");
        }
        tar.into_inner()
            .expect("tar finish")
            .finish()
            .expect("gzip finish")
    }
}

/// `len` bytes of deterministic, incompressible data (xorshift).
fn padding(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Bits written least significant first, as deflate packs them.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn bits(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: its bits go most significant first.
    fn code(&mut self, code: u64, len: u32) {
        let reversed = code.reverse_bits() >> (64 - len);
        self.bits(reversed, len);
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A raw deflate stream (one fixed-Huffman block) of `prefix` then spaces up to `total` bytes,
/// the spaces as back-references of 258 bytes at distance 1: about 13 bits per 258 bytes.
fn deflate_bomb(prefix: &[u8], total: u64) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(1, 1); // BFINAL
    w.bits(1, 2); // BTYPE = 01, fixed Huffman
    let literal = |w: &mut BitWriter, b: u8| {
        if b < 144 {
            w.code(0x30 + u64::from(b), 8);
        } else {
            w.code(0x190 + u64::from(b - 144), 9);
        }
    };
    for &b in prefix {
        literal(&mut w, b);
    }
    literal(&mut w, b' ');
    let mut left = total.saturating_sub(prefix.len() as u64 + 1);
    while left >= 258 {
        w.code(0xC5, 8); // length symbol 285 = 258 bytes
        w.code(0, 5); // distance symbol 0 = 1 byte back
        left -= 258;
    }
    for _ in 0..left {
        literal(&mut w, b' ');
    }
    w.code(0, 7); // end of block
    w.finish()
}

impl FileSpec {
    /// A wheel whose only member is a `METADATA` that inflates to `metadata_bomb` bytes (its
    /// sizes in the zip records are honest; the CRC is not computed).
    fn build_bomb(&self) -> Vec<u8> {
        let total = self.metadata_bomb.unwrap_or_default();
        let name = format!("{}-{}.dist-info/METADATA", self.dist_name(), self.version);
        let data = deflate_bomb(&self.metadata_bytes(), total);
        let size32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let mut out = Vec::new();
        let local = |out: &mut Vec<u8>| {
            out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&0u32.to_le_bytes()); // crc
            out.extend_from_slice(&size32(data.len() as u64).to_le_bytes());
            out.extend_from_slice(&size32(total).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
        };
        local(&mut out);
        out.extend_from_slice(&data);
        let cd_offset = out.len();
        out.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 3, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&0u32.to_le_bytes()); // crc
        out.extend_from_slice(&size32(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&size32(total).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
        out.extend_from_slice(name.as_bytes());
        let cd_size = out.len() - cd_offset;
        out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
        out.extend_from_slice(&(cd_size as u32).to_le_bytes());
        out.extend_from_slice(&(cd_offset as u32).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (for `Authorization: Basic`). Hand-written: a test harness
/// needing twenty lines does not justify another dev-dependency.
pub fn b64_std(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(STD[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// URL-safe base64 without padding (for RECORD hashes).
pub fn b64_urlsafe_nopad(data: &[u8]) -> String {
    b64_std(data)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}
