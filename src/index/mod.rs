//! The package index client: PEP 691 JSON and PEP 503 HTML Simple-API pages, `--find-links`
//! directories and pages, pip's configuration (`PIP_*` variables and pip.conf), an on-disk cache
//! of parsed pages, and bounded concurrent requests with retries. This is the only module that
//! talks HTTP. It does not interpret what it fetches (tags, versions, resolution live in the
//! pure modules).
//!
//! Failure semantics matter to callers: a project absent from every index (HTTP 404/410) is
//! [`ProjectLookup::NotFound`]; anything else that goes wrong (connection failure, timeout, 5xx
//! after retries, an unparseable page, a cache miss in offline mode) is an [`IndexError`], i.e.
//! "could not assess", never "no wheel".
//!
//! Answers are outside input and bounded: bodies are streamed up to a cap
//! ([`MAX_PAGE_BYTES`] for pages), every request and its retries end within a multiple
//! of the timeout, `Retry-After` is honoured up to a minute, the page format follows
//! `Content-Type` as pip decides it, and a page fetched over HTTP may not name local files (only
//! a `file:` index, read as pip does from `<project>/index.html`, or a find-links directory may).
//! Each failure is an [`IndexError`] for that page and is never cached.
//!
//! Credentials embedded in index URLs are split off when the client is built and sent only as
//! basic auth to the same host; every URL shown (errors, logs, [`crate::dist::DistFile::url`])
//! goes through [`redact_url`] / [`crate::util::redact::strip_credentials`].

mod cache;
mod client;
mod metadata;
pub mod parse;
mod settings;

use crate::util::redact;

pub(crate) use cache::PageId;
pub(crate) use cache::fuzz_entry as fuzz_page_cache;
pub use cache::{CacheEntry, PageCache};
pub use client::{
    IndexClient, IndexError, MAX_FILE_BYTES, MAX_PAGE_BYTES, MAX_RETRY_AFTER, ProjectLookup,
    RequestStats, TOTAL_TIMEOUT_FACTOR,
};
pub use metadata::{CoreMetadataBytes, MetadataSource};
pub use redact::{redact_text, redact_url};
pub use settings::{
    CacheMode, CacheSettings, ConfigFileKind, ConfigSource, IndexSettings, PipConfig, Sourced,
    pip_config_files, pip_configuration, pip_configuration_from,
};

/// The default index: the public Python Package Index. The one place its address is written.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";
