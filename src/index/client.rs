//! [`IndexClient`]: fetches, caches and merges project pages from every configured index and
//! find-links location. See the module docs of [`crate::index`] for the failure semantics.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pep508_rs::PackageName;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use super::cache::{self, CacheEntry, PageCache, PageId};
use super::parse::{self, PageError};
use super::redact::{redact_text, split_credentials};
use super::settings::{CacheMode, IndexSettings};
use crate::dist::{DistFile, DistFileParts, ProjectPage};
use crate::filename::DistFilename;

/// What the `Accept` header asks for: PEP 691 JSON first, HTML as a fallback.
const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// Pages bigger than this are parsed on the blocking pool rather than on a runtime worker.
const BLOCKING_PARSE_BYTES: usize = 256 * 1024;

/// The most bytes read from one project page or find-links page: six times the largest page
/// on the public index (ddtrace's PEP 691 JSON, 21 MB for 46,724 files), so no real index comes
/// near it, while an answer that never ends (a stream of zeros) stops there.
pub const MAX_PAGE_BYTES: u64 = 128 * 1024 * 1024;

/// The most bytes read from any other answer (a whole wheel or sdist downloaded for its
/// metadata when the index offers neither PEP 658 nor ranges; the largest wheels on the public
/// index are under 1 GiB). Callers that know better ask for less (`IndexClient::get_limited`).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// The longest `Retry-After` wheelwatch waits for; a server asking for more gets no retry
/// (and the lookup fails with [`IndexError::Throttled`]).
pub const MAX_RETRY_AFTER: Duration = Duration::from_mins(1);

/// One request with all its retries and the waits between them takes at most this many times
/// the request timeout (two minutes with the default 30 s).
pub const TOTAL_TIMEOUT_FACTOR: u32 = 4;

/// The most body capacity reserved up front on the strength of a `Content-Length`.
const RESERVE_MAX: u64 = 16 * 1024 * 1024;

/// The result of looking a project up.
#[derive(Clone, Debug)]
pub enum ProjectLookup {
    /// At least one index or find-links location knows the project.
    Found(Arc<ProjectPage>),
    /// No configured location has the project (every index answered 404).
    NotFound,
}

/// Why the index could not be consulted. Never means "the project has no wheel".
#[derive(Clone, Debug, thiserror::Error)]
pub enum IndexError {
    /// The HTTP client could not be built.
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
    /// A configured URL is not a URL.
    #[error("the index URL `{url}` is invalid: {reason}")]
    InvalidUrl {
        /// The URL, redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// A certificate bundle could not be read or parsed.
    #[error("{}", crate::util::fs::io_message(&format!("could not load the certificates in {}", path.display()), path, reason))]
    Certificate {
        /// The PEM file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Connection failure (DNS, refused, TLS, reset) after all retries.
    #[error("could not reach {url} ({attempts} attempt(s)): {reason}")]
    Network {
        /// The URL, redacted.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The underlying error, redacted.
        reason: String,
    },
    /// No answer within the timeout, after all retries.
    #[error("{url} did not answer within {timeout:?} ({attempts} attempt(s))")]
    Timeout {
        /// The URL, redacted.
        url: String,
        /// The per-request timeout.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The answer was larger than wheelwatch reads (see [`MAX_PAGE_BYTES`], [`MAX_FILE_BYTES`]).
    #[error("{url} sent more than {}, more than wheelwatch reads from one answer", bytes(*limit))]
    TooLarge {
        /// The URL, redacted.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// 429 or 503 with a `Retry-After` longer than wheelwatch waits.
    #[error(
        "{url} answered HTTP {status} and asked to be retried in {}; wheelwatch waits at most {} ({attempts} attempt(s))",
        seconds(*retry_after),
        seconds(*max)
    )]
    Throttled {
        /// The URL, redacted.
        url: String,
        /// 429 or 503.
        status: u16,
        /// What the server asked for.
        retry_after: Duration,
        /// The most wheelwatch would have waited.
        max: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// Too many redirects (a loop), or a redirect wheelwatch does not follow.
    #[error("{url} could not be fetched: {reason}")]
    Redirect {
        /// The URL, redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// An unexpected HTTP status (5xx after all retries, or a 4xx other than 404/410).
    #[error("{url} answered HTTP {status} ({attempts} attempt(s))")]
    Status {
        /// The URL, redacted.
        url: String,
        /// The status code.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// 401/403: credentials missing or refused.
    #[error(
        "{url} refused access (HTTP {status}); check the credentials configured for this index"
    )]
    Unauthorized {
        /// The URL, redacted.
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// The index answered, but not with a Simple-API page.
    #[error("{url} did not return a valid project page: {reason}")]
    InvalidPage {
        /// The URL, redacted.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// Offline mode and nothing cached.
    #[error("`{project}` is not in the cache of {index} and offline mode forbids network access")]
    Offline {
        /// The project.
        project: String,
        /// The index, redacted.
        index: String,
    },
    /// A find-links directory or local file could not be read.
    #[error("{}", crate::util::fs::io_message(&format!("could not read {}", path.display()), path, reason))]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Core metadata could not be extracted from a distribution.
    #[error("could not read the core metadata of {url}: {reason}")]
    Metadata {
        /// The file URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Counters of what the client did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// HTTP requests sent (every attempt counts).
    pub requests: u64,
    /// Of which retries.
    pub retries: u64,
    /// Answers served from the on-disk cache without a request.
    pub cache_hits: u64,
    /// Conditional requests answered 304.
    pub not_modified: u64,
    /// Body bytes downloaded.
    pub bytes: u64,
}

#[derive(Default)]
pub(super) struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    pub(super) cache_hits: AtomicU64,
    not_modified: AtomicU64,
    bytes: AtomicU64,
}

type Credentials = (String, Option<String>);

/// An index or find-links URL with its credentials split off.
#[derive(Clone, Debug)]
struct Location {
    /// Credential-free URL.
    url: Url,
    /// Credentials to send to this URL's origin.
    auth: Option<Credentials>,
}

#[derive(Clone, Debug)]
enum FindLink {
    Dir(PathBuf),
    Page(Location),
}

#[derive(Clone, Debug)]
enum Listing {
    Dir(Vec<(String, String, Option<u64>)>),
    Page { url: Url, body: Arc<Vec<u8>> },
}

type LookupCell = Arc<OnceCell<Result<ProjectLookup, IndexError>>>;

struct Inner {
    /// Built on first use: a warm run answered from the cache never needs it, and building it
    /// (TLS setup, loading the system trust store) costs a noticeable share of such a run.
    http: std::sync::OnceLock<Result<reqwest::Client, IndexError>>,
    /// The configured builder and the extra certificates, taken by the first request.
    http_builder: Mutex<Option<(reqwest::ClientBuilder, Vec<PemFile>)>>,
    indexes: Vec<Location>,
    find_links: Vec<FindLink>,
    cache: Option<PageCache>,
    cache_dir: Option<PathBuf>,
    cache_mode: CacheMode,
    max_age: Duration,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    semaphore: Semaphore,
    /// Threads decoding cache entries (see [`DecodePool`]).
    decoders: DecodePool,
    stats: Stats,
    memo: Mutex<HashMap<PackageName, LookupCell>>,
    listings: OnceCell<Result<Arc<Vec<Listing>>, IndexError>>,
    /// Every find-links directory's file names, read once, for [`IndexClient::cached_listing_id`]
    /// and [`IndexClient::listing_id_of`]; `None` when a location is a page or an unreadable
    /// directory.
    link_dirs: std::sync::OnceLock<Option<Vec<DirFiles>>>,
}

/// The index client. Cheap to clone (shared state).
#[derive(Clone)]
pub struct IndexClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for IndexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexClient")
            .field("indexes", &self.index_urls())
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed.
enum Failure {
    /// The body went past this limit (not retried: it would again).
    TooLarge(u64),
    /// Anything reqwest reports.
    Http(reqwest::Error),
}

/// `1 MiB`, `128 MiB`, `1 GiB`, or bytes.
fn bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= 1024 * MIB && n.is_multiple_of(1024 * MIB) {
        format!("{} GiB", n / (1024 * MIB))
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// Whole seconds, rounded up: `60 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// The length a `Range: bytes=a-b` / `bytes=-n` header asks for (`None` for `bytes=a-`, several
/// ranges, or none).
fn range_length(headers: &HeaderMap) -> Option<u64> {
    let spec = headers
        .get(header::RANGE)?
        .to_str()
        .ok()?
        .trim()
        .strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    match (a.trim(), b.trim()) {
        ("", n) => n.parse().ok(),
        (_, "") => None,
        (a, b) => {
            let (a, b) = (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?);
            b.checked_sub(a).map(|d| d + 1)
        }
    }
}

/// How long a 429 / 503 answer asks the client to wait: `Retry-After` as seconds or as an
/// HTTP date (RFC 9110 section 10.2.3); `None` when absent or unreadable.
fn retry_after(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate: `99999999999999999999` means "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or_default())
}

/// The innermost cause of an error, redacted (`Connection reset by peer (os error 104)`).
fn root_cause(err: &reqwest::Error) -> String {
    redact_text(&crate::util::error::root_cause(err))
}

/// What went wrong following redirects, in words.
fn redirect_reason(err: reqwest::Error) -> String {
    let chain = error_chain(&err.without_url());
    if chain.contains("too many redirects") {
        "it redirected too many times (a redirect loop?)".into()
    } else {
        format!("a redirect could not be followed: {chain}")
    }
}

/// Which Simple-API format a page is in, from its `Content-Type` as pip and uv decide it (no
/// sniffing): PEP 691 JSON, or HTML (`text/html`, PEP 691's HTML type).
fn page_format(content_type: Option<&str>) -> Result<PageFormat, String> {
    let Some(content_type) = content_type else {
        return Err(
            "the index answered without a Content-Type; expected HTML or PEP 691 JSON".into(),
        );
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/vnd.pypi.simple.v1+json" => Ok(PageFormat::Json),
        "application/vnd.pypi.simple.v1+html" | "text/html" => Ok(PageFormat::Html),
        _ => {
            let shown: String = media.chars().filter(|c| !c.is_control()).take(80).collect();
            Err(format!(
                "the index answered with {shown}; expected HTML or PEP 691 JSON"
            ))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PageFormat {
    Json,
    Html,
}

/// A fully read HTTP answer.
pub(super) struct Fetched {
    pub(super) status: StatusCode,
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

fn parse_location(raw: &str) -> Result<Location, IndexError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| IndexError::InvalidUrl {
        url: super::redact_url(raw),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https" | "file") {
        return Err(IndexError::InvalidUrl {
            url: super::redact_url(raw),
            reason: format!("unsupported scheme `{}`", url.scheme()),
        });
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let (url, auth) = split_credentials(&url);
    Ok(Location { url, auth })
}

fn install_crypto_provider() {
    // Ignore the error: another part of the process (or a previous client) installed it.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A certificate bundle read when the client is made, parsed when the HTTP client is built.
struct PemFile {
    path: PathBuf,
    pem: Vec<u8>,
}

/// Reads a certificate bundle and checks that it holds a PEM certificate: a missing or empty
/// file is a configuration error before anything runs. Decoding it (a system bundle is ~140
/// certificates in 200 KB of base64, 2% of a warm `check`) waits for the first request.
fn read_certs(path: &Path) -> Result<PemFile, IndexError> {
    let pem = fs_err::read(path).map_err(|e| IndexError::Certificate {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if !pem
        .windows(CERT_BEGIN.len())
        .any(|w| w == CERT_BEGIN.as_bytes())
    {
        return Err(IndexError::Certificate {
            path: path.to_path_buf(),
            reason: "no PEM certificate found".into(),
        });
    }
    Ok(PemFile {
        path: path.to_path_buf(),
        pem,
    })
}

const CERT_BEGIN: &str = "-----BEGIN CERTIFICATE-----";

fn load_certs(file: &PemFile) -> Result<Vec<reqwest::Certificate>, IndexError> {
    let certs =
        reqwest::Certificate::from_pem_bundle(&file.pem).map_err(|e| IndexError::Certificate {
            path: file.path.clone(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(IndexError::Certificate {
            path: file.path.clone(),
            reason: "no PEM certificate found".into(),
        });
    }
    Ok(certs)
}

fn error_chain(err: &reqwest::Error) -> String {
    redact_text(&crate::util::error::display_chain(err))
}

impl IndexClient {
    /// Builds a client: parses and splits the configured URLs, reads the extra certificates
    /// (`settings.cert` and `SSL_CERT_FILE`), opens the cache. The HTTP client itself (TLS with
    /// the ring provider and the system trust store plus those certificates, decoded then) is
    /// built on the first request, so a run answered entirely from the cache never pays for
    /// it. A certificate file that is missing or holds no certificate fails here; one whose
    /// certificates do not decode fails the first request.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "callers hand their settings over; taking them by value keeps the API simple"
    )]
    pub fn new(settings: IndexSettings) -> Result<Self, IndexError> {
        install_crypto_provider();
        let builder = reqwest::Client::builder()
            .user_agent(concat!("wheelwatch/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .pool_max_idle_per_host(settings.concurrency.max(1));
        let mut cert_files: Vec<PathBuf> = settings.cert.iter().cloned().collect();
        if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
            cert_files.push(PathBuf::from(file));
        }
        let pem_files = cert_files
            .iter()
            .map(|f| read_certs(f))
            .collect::<Result<Vec<_>, _>>()?;

        let indexes = if settings.no_index {
            Vec::new()
        } else {
            std::iter::once(&settings.index_url)
                .chain(&settings.extra_index_urls)
                .map(|u| parse_location(u))
                .collect::<Result<Vec<_>, _>>()?
        };
        let find_links = settings
            .find_links
            .iter()
            .map(|link| {
                if link.starts_with("http://") || link.starts_with("https://") {
                    let mut loc = parse_location(link)?;
                    // A find-links page is a page, not a directory root: keep its exact path.
                    if let Ok(url) = Url::parse(link)
                        && !url.path().ends_with('/')
                    {
                        loc.url.set_path(url.path());
                    }
                    Ok(FindLink::Page(loc))
                } else if let Some(rest) = link.strip_prefix("file:") {
                    let url = Url::parse(link).map_err(|e| IndexError::InvalidUrl {
                        url: link.clone(),
                        reason: e.to_string(),
                    })?;
                    let path = url.to_file_path().unwrap_or_else(|()| PathBuf::from(rest));
                    Ok(FindLink::Dir(path))
                } else {
                    Ok(FindLink::Dir(PathBuf::from(link)))
                }
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let cache = match (&settings.cache.dir, settings.cache.mode) {
            (_, CacheMode::NoCache) | (None, _) => None,
            (Some(dir), _) => Some(PageCache::new(dir)),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                http: std::sync::OnceLock::new(),
                http_builder: Mutex::new(Some((builder, pem_files))),
                indexes,
                find_links,
                cache_dir: cache.as_ref().and(settings.cache.dir.clone()),
                cache,
                cache_mode: settings.cache.mode,
                max_age: settings.cache.max_age,
                timeout: settings.timeout,
                retries: settings.retries,
                backoff: settings.retry_backoff,
                semaphore: Semaphore::new(settings.concurrency.max(1)),
                decoders: DecodePool::default(),
                stats: Stats::default(),
                memo: Mutex::new(HashMap::new()),
                listings: OnceCell::new(),
                link_dirs: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The HTTP client, built on first use.
    fn http(&self) -> Result<&reqwest::Client, IndexError> {
        let inner = &*self.inner;
        inner
            .http
            .get_or_init(|| {
                let (mut builder, pem_files) = inner
                    .http_builder
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
                    .ok_or_else(|| IndexError::Client("the client builder is gone".into()))?;
                for file in &pem_files {
                    builder = builder.tls_certs_merge(load_certs(file)?);
                }
                builder
                    .build()
                    .map_err(|e| IndexError::Client(error_chain(&e)))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(super) fn cache_mode(&self) -> CacheMode {
        self.inner.cache_mode
    }

    /// The ids [`Self::cached_listing_id`] gives when the cache holds exactly `page` (`None`:
    /// not found), computed from the page itself rather than read back, so they describe what
    /// was read even if another run rewrote the entry since. `None` when the page cannot be
    /// told apart per location: several indexes, a find-links page, or find-links files of the
    /// project merged into it; or when there is no cache.
    pub(crate) fn listing_id_of(&self, page: Option<&ProjectPage>) -> Option<Vec<PageId>> {
        let inner = &*self.inner;
        inner.cache.as_ref()?;
        let [index] = inner.indexes.as_slice() else {
            return None;
        };
        if !matches!(index.url.scheme(), "http" | "https") {
            return None;
        }
        let dirs = self.link_dirs()?;
        if let Some(page) = page
            && dirs
                .iter()
                .flatten()
                .any(|file| DistFilename::parse(file, &page.name).is_ok())
        {
            return None;
        }
        let mut ids = vec![page.map(|p| ProjectPage::listing_id(&p.files))];
        ids.extend(dirs.iter().map(|_| None));
        Some(ids)
    }

    /// Every find-links directory's files, read once; `None` when a location is a page or an
    /// unreadable directory.
    fn link_dirs(&self) -> Option<&Vec<DirFiles>> {
        let inner = &*self.inner;
        inner
            .link_dirs
            .get_or_init(|| {
                inner
                    .find_links
                    .iter()
                    .map(|link| match link {
                        FindLink::Dir(dir) => list_dir(dir)
                            .ok()
                            .map(|files| files.into_iter().map(|(name, ..)| name).collect()),
                        FindLink::Page(_) => None,
                    })
                    .collect()
            })
            .as_ref()
    }

    /// Counts the pages of `projects` projects as answered from the cache (one per index), for
    /// listings a reused result stands for ([`Self::cached_listing_id`]).
    pub(crate) fn count_cached_pages(&self, projects: usize) {
        let pages = (projects * self.inner.indexes.len()) as u64;
        self.inner
            .stats
            .cache_hits
            .fetch_add(pages, Ordering::Relaxed);
    }

    /// The cache directory, unless caching is off.
    pub(crate) fn cache_dir(&self) -> Option<&Path> {
        self.inner.cache_dir.as_deref()
    }

    pub(super) fn stats_ref(&self) -> &Stats {
        &self.inner.stats
    }

    /// GET with retries, credentials for the URL's origin, and the concurrency limit; a body
    /// of at most [`MAX_FILE_BYTES`] (or the requested range) is read.
    pub(super) async fn get(&self, url: &Url, headers: HeaderMap) -> Result<Fetched, IndexError> {
        self.fetch(url, None, headers, MAX_FILE_BYTES).await
    }

    /// [`Self::get`] reading at most `limit` bytes of body ([`IndexError::TooLarge`] beyond).
    #[allow(
        dead_code,
        reason = "for callers that know a tighter bound than MAX_FILE_BYTES"
    )]
    pub(super) async fn get_limited(
        &self,
        url: &Url,
        headers: HeaderMap,
        limit: u64,
    ) -> Result<Fetched, IndexError> {
        self.fetch(url, None, headers, limit).await
    }

    /// The configured index URLs, credentials redacted.
    pub fn index_urls(&self) -> Vec<String> {
        self.inner.indexes.iter().map(display).collect()
    }

    /// GETs the first index's root once (no retry) and waits only for the status line and
    /// headers: a large index's root page is never read. The status and the time it took.
    pub async fn ping(&self) -> Result<(u16, Duration), IndexError> {
        let location = self
            .inner
            .indexes
            .first()
            .ok_or_else(|| IndexError::Client("no index is configured".into()))?;
        let shown = display(location);
        let mut request = self
            .http()?
            .get(location.url.clone())
            .header(header::ACCEPT, ACCEPT);
        if let Some((user, password)) = &location.auth {
            request = request.basic_auth(user, password.as_deref());
        }
        let start = std::time::Instant::now();
        self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        match request.send().await {
            Ok(response) => Ok((response.status().as_u16(), start.elapsed())),
            Err(err) if err.is_timeout() => Err(IndexError::Timeout {
                url: shown,
                timeout: self.inner.timeout,
                attempts: 1,
            }),
            Err(err) => Err(IndexError::Network {
                url: shown,
                attempts: 1,
                reason: error_chain(&err.without_url()),
            }),
        }
    }

    /// What the client has done so far.
    pub fn stats(&self) -> RequestStats {
        let s = &self.inner.stats;
        RequestStats {
            requests: s.requests.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            cache_hits: s.cache_hits.load(Ordering::Relaxed),
            not_modified: s.not_modified.load(Ordering::Relaxed),
            bytes: s.bytes.load(Ordering::Relaxed),
        }
    }

    /// What identifies `name`'s listing on every index, read from the cache alone (no request,
    /// no page decoded): one [`PageId`] per index, in order, then `None` per find-links
    /// directory. `None` unless every index's entry may be used without asking (fresh, or any
    /// entry when offline), the cache is in use, no find-links location is a page (pages are not
    /// cached) and no find-links directory holds files of the project (they are merged into
    /// its listing, which then cannot be told apart per location).
    pub(crate) fn cached_listing_id(&self, name: &PackageName) -> Option<Vec<PageId>> {
        let inner = &*self.inner;
        let cache = inner.cache.as_ref()?;
        if !matches!(inner.cache_mode, CacheMode::Normal | CacheMode::Offline) {
            return None;
        }
        let dirs = self.link_dirs()?;
        let mut ids = Vec::with_capacity(inner.indexes.len());
        for loc in &inner.indexes {
            if !matches!(loc.url.scheme(), "http" | "https") {
                return None;
            }
            let path = cache.path(loc.url.as_str(), name);
            let Some(head) = PageCache::read_head(&path) else {
                tracing::debug!("no usable cache entry at {}", path.display());
                return None;
            };
            if inner.cache_mode == CacheMode::Normal && !head.is_fresh(inner.max_age) {
                return None;
            }
            ids.push(head.page_id);
        }
        // A project with files in a find-links directory is never stored for reuse (see
        // `listing_id_of`); the directories without any stand as `None`.
        if dirs
            .iter()
            .flatten()
            .any(|file| DistFilename::parse(file, name).is_ok())
        {
            return None;
        }
        ids.extend(dirs.iter().map(|_| None));
        Some(ids)
    }

    /// Looks `name` up on every index and find-links location and merges the files. Repeated
    /// (and concurrent) calls for the same project share one lookup.
    pub async fn project(&self, name: &PackageName) -> Result<ProjectLookup, IndexError> {
        let cell = {
            let mut memo = self
                .inner
                .memo
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(memo.entry(name.clone()).or_default())
        };
        cell.get_or_init(|| self.lookup(name)).await.clone()
    }

    async fn lookup(&self, name: &PackageName) -> Result<ProjectLookup, IndexError> {
        let results = futures::future::join_all(
            self.inner
                .indexes
                .iter()
                .map(|loc| self.index_files(loc, name)),
        )
        .await;
        let mut sources = 0_usize;
        let mut files: Vec<DistFile> = Vec::new();
        for result in results {
            if let Some(index_files) = result? {
                sources += 1;
                if files.is_empty() {
                    files = index_files;
                } else {
                    files.extend(index_files);
                }
            }
        }
        let linked = self.find_links_files(name).await?;
        if !linked.is_empty() {
            sources += 1;
            files.extend(linked);
        }
        if sources == 0 {
            return Ok(ProjectLookup::NotFound);
        }
        if sources > 1 {
            // The same file listed by two locations counts once. (Within one location a repeat
            // changes nothing a user sees, so the common single-index case skips this pass
            // over every file.) No string is copied.
            let keep: Vec<bool> = {
                let mut seen = std::collections::HashSet::with_capacity(files.len());
                files
                    .iter()
                    .map(|f| seen.insert((f.filename(), f.url())))
                    .collect()
            };
            let mut keep = keep.into_iter();
            files.retain(|_| keep.next().unwrap_or(true));
        }
        Ok(ProjectLookup::Found(Arc::new(ProjectPage {
            name: name.clone(),
            files,
        })))
    }

    /// One index's files for `name`: `None` when the index does not have the project.
    async fn index_files(
        &self,
        loc: &Location,
        name: &PackageName,
    ) -> Result<Option<Vec<DistFile>>, IndexError> {
        let inner = &*self.inner;
        let page_url = loc
            .url
            .join(&format!("{name}/"))
            .map_err(|e| IndexError::InvalidUrl {
                url: display(loc),
                reason: e.to_string(),
            })?;
        if page_url.scheme() == "file" {
            return local_index_files(page_url, name.clone()).await;
        }
        let cache_path = inner
            .cache
            .as_ref()
            .map(|c| (c, c.path(loc.url.as_str(), name)));
        let mut cached = match &cache_path {
            Some((c, path)) => {
                // Reading and decoding is synchronous work: keep it off the runtime workers so
                // many projects decode in parallel.
                let (c, path, project) = ((*c).clone(), path.clone(), name.clone());
                inner
                    .decoders
                    .run(move || {
                        // An entry written before remote pages were held to HTTP(S) links may
                        // still list a local file: it is not trusted.
                        c.read(&path, &project).filter(|entry| {
                            entry.files.iter().flatten().all(|f| {
                                f.url().starts_with("https://") || f.url().starts_with("http://")
                            })
                        })
                    })
                    .await
                    .flatten()
            }
            None => None,
        };
        match inner.cache_mode {
            CacheMode::Offline => {
                return match cached {
                    Some(entry) => {
                        inner.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                        Ok(entry.files)
                    }
                    None => Err(IndexError::Offline {
                        project: name.to_string(),
                        index: display(loc),
                    }),
                };
            }
            CacheMode::Normal => {
                if let Some(entry) = cached.take_if(|e| e.is_fresh(inner.max_age)) {
                    tracing::debug!("{page_url}: fresh in the cache");
                    inner.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(entry.files);
                }
            }
            CacheMode::Refresh | CacheMode::NoCache => {}
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        if let Some(entry) = cached
            .as_ref()
            .filter(|e| e.has_validators() && e.files.is_some())
        {
            if let Some(etag) = entry
                .etag
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = entry
                .last_modified
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let fetched = self
            .fetch(&page_url, loc.auth.as_ref(), headers, MAX_PAGE_BYTES)
            .await?;
        let header_str = |h: header::HeaderName| {
            fetched
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let max_age = header_str(header::CACHE_CONTROL)
            .as_deref()
            .and_then(cache::parse_max_age);
        let store = |files: Option<Vec<DistFile>>, prev: Option<&CacheEntry>| {
            let entry = CacheEntry {
                fetched_at: cache::now(),
                etag: header_str(header::ETAG).or_else(|| prev.and_then(|p| p.etag.clone())),
                last_modified: header_str(header::LAST_MODIFIED)
                    .or_else(|| prev.and_then(|p| p.last_modified.clone())),
                max_age: max_age.or_else(|| prev.and_then(|p| p.max_age)),
                files,
            };
            if let Some((c, path)) = &cache_path {
                c.write(path, &entry);
            }
            entry.files
        };
        match fetched.status {
            StatusCode::NOT_MODIFIED => {
                let Some(prev) = cached.as_ref() else {
                    return Err(IndexError::InvalidPage {
                        url: redact_text(page_url.as_str()),
                        reason: "HTTP 304 to an unconditional request".into(),
                    });
                };
                tracing::debug!("{page_url}: not modified");
                inner.stats.not_modified.fetch_add(1, Ordering::Relaxed);
                Ok(store(prev.files.clone(), Some(prev)))
            }
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                tracing::debug!("{page_url}: not found");
                Ok(store(None, None))
            }
            status if status.is_success() => {
                let format =
                    page_format(header_str(header::CONTENT_TYPE).as_deref()).map_err(|reason| {
                        IndexError::InvalidPage {
                            url: redact_text(fetched.url.as_str()),
                            reason,
                        }
                    })?;
                let is_json = format == PageFormat::Json;
                let files = parse_page(fetched.body, fetched.url.clone(), name.clone(), is_json)
                    .await
                    .map_err(|e| IndexError::InvalidPage {
                        url: redact_text(fetched.url.as_str()),
                        reason: e.0,
                    })?;
                Ok(store(Some(files), None))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(IndexError::Unauthorized {
                url: redact_text(page_url.as_str()),
                status: fetched.status.as_u16(),
            }),
            status => Err(IndexError::Status {
                url: redact_text(page_url.as_str()),
                status: status.as_u16(),
                attempts: 1,
            }),
        }
    }

    /// Credentials configured for `url`'s origin, if any.
    fn auth_for(&self, url: &Url) -> Option<&Credentials> {
        let inner = &*self.inner;
        inner
            .indexes
            .iter()
            .chain(inner.find_links.iter().filter_map(|f| match f {
                FindLink::Page(loc) => Some(loc),
                FindLink::Dir(_) => None,
            }))
            .find(|loc| loc.auth.is_some() && loc.url.origin() == url.origin())
            .and_then(|loc| loc.auth.as_ref())
    }

    /// GETs `url` with retries (connection errors, timeouts, a connection lost mid-body, 429,
    /// 5xx; exponential backoff, or the server's `Retry-After` for 429 and 503), within the
    /// concurrency limit, and reads the whole body, at most `limit` bytes of it (an answer to a
    /// `Range` request: at most the range). Every attempt has the request timeout, and all of
    /// them together (with the waits between) at most [`TOTAL_TIMEOUT_FACTOR`] times that.
    /// Bodies of answers other than 2xx are not read.
    async fn fetch(
        &self,
        url: &Url,
        auth: Option<&Credentials>,
        headers: HeaderMap,
        limit: u64,
    ) -> Result<Fetched, IndexError> {
        let inner = &*self.inner;
        let auth = auth.or_else(|| self.auth_for(url));
        let shown = redact_text(url.as_str());
        let http = self.http()?;
        let range = range_length(&headers);
        let budget = inner.timeout.saturating_mul(TOTAL_TIMEOUT_FACTOR);
        let mut deadline: Option<tokio::time::Instant> = None;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result = {
                let _permit = inner
                    .semaphore
                    .acquire()
                    .await
                    .map_err(|e| IndexError::Client(e.to_string()))?;
                // The clock starts with the first attempt, not while waiting for a permit.
                let deadline =
                    *deadline.get_or_insert_with(|| tokio::time::Instant::now() + budget);
                let timeout = inner
                    .timeout
                    .min(deadline.saturating_duration_since(tokio::time::Instant::now()))
                    .max(Duration::from_millis(1));
                tracing::debug!("GET {shown} (attempt {attempt})");
                inner.stats.requests.fetch_add(1, Ordering::Relaxed);
                let mut request = http
                    .get(url.clone())
                    .headers(headers.clone())
                    .timeout(timeout);
                if let Some((user, password)) = auth {
                    request = request.basic_auth(user, password.as_deref());
                }
                self.attempt(request, limit, range).await
            };
            let result = match result {
                Ok(fetched) => Ok(fetched),
                Err(Failure::TooLarge(limit)) => {
                    return Err(IndexError::TooLarge { url: shown, limit });
                }
                Err(Failure::Http(err)) => Err(err),
            };
            let throttled = match &result {
                Ok(f)
                    if matches!(
                        f.status,
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                    ) =>
                {
                    retry_after(&f.headers, std::time::SystemTime::now())
                }
                _ => None,
            };
            let retryable = match &result {
                Ok(f) => f.status.is_server_error() || f.status == StatusCode::TOO_MANY_REQUESTS,
                Err(err) => {
                    err.is_timeout()
                        || err.is_connect()
                        || err.is_request()
                        || err.is_body()
                        || err.is_decode()
                }
            };
            let delay = throttled.unwrap_or_else(|| {
                inner
                    .backoff
                    .saturating_mul(1 << (attempt - 1).min(16))
                    .min(Duration::from_secs(10))
            });
            let remaining = deadline
                .map(|d| d.saturating_duration_since(tokio::time::Instant::now()))
                .unwrap_or_default();
            if retryable && attempt <= inner.retries {
                if let (Some(wait), Ok(f)) = (throttled, &result)
                    && (wait > MAX_RETRY_AFTER || wait >= remaining)
                {
                    return Err(IndexError::Throttled {
                        url: shown,
                        status: f.status.as_u16(),
                        retry_after: wait,
                        max: MAX_RETRY_AFTER.min(remaining),
                        attempts: attempt,
                    });
                }
                if delay < remaining {
                    tracing::debug!("retrying {shown} in {delay:?}");
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(delay).await;
                    continue;
                }
                tracing::debug!("not retrying {shown}: the time for it ({budget:?}) is spent");
            }
            return match result {
                // reqwest follows HTTP(S) redirects itself: one it hands back points elsewhere
                // (`file:`, nowhere), and is not followed.
                Ok(f) if f.status.is_redirection() && f.status != StatusCode::NOT_MODIFIED => {
                    let location = f
                        .headers
                        .get(header::LOCATION)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                    Err(IndexError::Redirect {
                        url: shown,
                        reason: match location {
                            Some(location) => format!(
                                "it redirected (HTTP {}) to `{}`, which wheelwatch does not follow",
                                f.status.as_u16(),
                                redact_text(&location).replace(char::is_control, "")
                            ),
                            None => format!(
                                "it answered HTTP {} without a Location to follow",
                                f.status.as_u16()
                            ),
                        },
                    })
                }
                Ok(f) if retryable => Err(IndexError::Status {
                    url: shown,
                    status: f.status.as_u16(),
                    attempts: attempt,
                }),
                Ok(f) => Ok(f),
                Err(err) if err.is_timeout() => Err(IndexError::Timeout {
                    url: shown,
                    timeout: inner.timeout,
                    attempts: attempt,
                }),
                Err(err) if err.is_redirect() => Err(IndexError::Redirect {
                    url: shown,
                    reason: redirect_reason(err),
                }),
                Err(err) if err.is_body() || err.is_decode() => Err(IndexError::Network {
                    url: shown,
                    attempts: attempt,
                    reason: format!("the answer broke off: {}", root_cause(&err)),
                }),
                Err(err) if root_cause(&err) == "message head is too large" => {
                    Err(IndexError::Network {
                        url: shown,
                        attempts: attempt,
                        reason: "the answer's headers are too many or too large".into(),
                    })
                }
                Err(err) if root_cause(&err).starts_with("invalid HTTP ") => {
                    Err(IndexError::Network {
                        url: shown,
                        attempts: attempt,
                        reason: format!("the answer is not HTTP: {}", root_cause(&err)),
                    })
                }
                Err(err) => Err(IndexError::Network {
                    url: shown,
                    attempts: attempt,
                    reason: error_chain(&err.without_url()),
                }),
            };
        }
    }

    /// One request: the answer, with the body of a 2xx read (at most `limit` bytes, and for a
    /// 206 answer at most the `range` asked for).
    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
        limit: u64,
        range: Option<u64>,
    ) -> Result<Fetched, Failure> {
        let mut response = request.send().await.map_err(Failure::Http)?;
        let status = response.status();
        let limit = match range {
            Some(len) if status == StatusCode::PARTIAL_CONTENT => len.min(limit),
            _ => limit,
        };
        let url = response.url().clone();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        if status.is_success() {
            if response.content_length().is_some_and(|len| len > limit) {
                return Err(Failure::TooLarge(limit));
            }
            if let Some(len) = response.content_length() {
                // Trust the announced length only as far as the limit.
                body.reserve(usize::try_from(len.min(RESERVE_MAX)).unwrap_or(0));
            }
            while let Some(chunk) = response.chunk().await.map_err(Failure::Http)? {
                self.inner
                    .stats
                    .bytes
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                if (body.len() + chunk.len()) as u64 > limit {
                    return Err(Failure::TooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(Fetched {
            status,
            url,
            headers,
            body,
        })
    }

    /// Files of `name` in the find-links locations.
    async fn find_links_files(&self, name: &PackageName) -> Result<Vec<DistFile>, IndexError> {
        if self.inner.find_links.is_empty() {
            return Ok(Vec::new());
        }
        let listings = self
            .inner
            .listings
            .get_or_init(|| self.load_listings())
            .await
            .clone()?;
        let mut files = Vec::new();
        for listing in listings.iter() {
            match listing {
                Listing::Dir(entries) => {
                    for (filename, url, size) in entries {
                        if let Ok(parsed) = DistFilename::parse(filename, name) {
                            files.push(DistFile::from(DistFileParts {
                                filename,
                                url,
                                parsed,
                                requires_python: None,
                                yanked: None,
                                core_metadata: false,
                                sha256: None,
                                size: *size,
                                upload_time: None,
                            }));
                        }
                    }
                }
                Listing::Page { url, body } => {
                    // The page lists every project's files; keep this project's.
                    let parsed = parse::parse_html(body, url, name).map_err(|e| {
                        IndexError::InvalidPage {
                            url: redact_text(url.as_str()),
                            reason: e.0,
                        }
                    })?;
                    files.extend(parsed);
                }
            }
        }
        Ok(files)
    }

    async fn load_listings(&self) -> Result<Arc<Vec<Listing>>, IndexError> {
        let mut listings = Vec::new();
        for link in &self.inner.find_links {
            match link {
                FindLink::Dir(dir) => listings.push(Listing::Dir(list_dir(dir)?)),
                FindLink::Page(loc) => {
                    if self.inner.cache_mode == CacheMode::Offline {
                        return Err(IndexError::Offline {
                            project: "the find-links page".into(),
                            index: display(loc),
                        });
                    }
                    let mut headers = HeaderMap::new();
                    headers.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
                    let fetched = self
                        .fetch(&loc.url, loc.auth.as_ref(), headers, MAX_PAGE_BYTES)
                        .await?;
                    if !fetched.status.is_success() {
                        return Err(IndexError::Status {
                            url: redact_text(loc.url.as_str()),
                            status: fetched.status.as_u16(),
                            attempts: 1,
                        });
                    }
                    let content_type = fetched
                        .headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok());
                    match page_format(content_type) {
                        Ok(PageFormat::Html) => {}
                        Ok(PageFormat::Json) => {
                            return Err(IndexError::InvalidPage {
                                url: redact_text(fetched.url.as_str()),
                                reason: "a find-links page must be HTML, not PEP 691 JSON".into(),
                            });
                        }
                        Err(reason) => {
                            return Err(IndexError::InvalidPage {
                                url: redact_text(fetched.url.as_str()),
                                reason,
                            });
                        }
                    }
                    listings.push(Listing::Page {
                        url: fetched.url,
                        body: Arc::new(fetched.body),
                    });
                }
            }
        }
        Ok(Arc::new(listings))
    }
}

type DecodeJob = Box<dyn FnOnce() + Send>;

/// A fixed set of threads (one per core, started on first use) that read and decode cache
/// entries. Decoding is synchronous CPU work that must not stall the runtime, but
/// `spawn_blocking` starts a fresh thread whenever none is idle at that instant, which on a warm
/// run meant one thread per project; every new thread costs a stack, a signal stack and a fresh
/// allocator heap (pages the kernel must zero), which together cost more than the decoding.
#[derive(Default)]
struct DecodePool {
    jobs: std::sync::OnceLock<Option<Mutex<std::sync::mpsc::Sender<DecodeJob>>>>,
}

impl DecodePool {
    /// Runs `job` on a pool thread; `None` when no thread could be started or the job
    /// panicked (the caller treats that as a cache miss).
    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let sender = self.jobs.get_or_init(Self::start).as_ref()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: DecodeJob = Box::new(move || {
            let _ = tx.send(job());
        });
        sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(job)
            .ok()?;
        rx.await.ok()
    }

    fn start() -> Option<Mutex<std::sync::mpsc::Sender<DecodeJob>>> {
        let (tx, rx) = std::sync::mpsc::channel::<DecodeJob>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let mut started = 0;
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("cache-decode-{i}"))
                .spawn(move || {
                    loop {
                        // Take one job, release the lock, then run it; the loop ends when the
                        // pool (the sender) is dropped.
                        let job = rx
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(err) => tracing::debug!("could not start a cache decoding thread: {err}"),
            }
        }
        (started > 0).then(|| Mutex::new(tx))
    }
}

fn display(loc: &Location) -> String {
    if loc.auth.is_some() {
        let mut url = loc.url.clone();
        let _ = url.set_username("***");
        url.to_string()
    } else {
        loc.url.to_string()
    }
}

/// The names of a find-links directory's regular files.
type DirFiles = Vec<String>;

fn list_dir(dir: &Path) -> Result<Vec<(String, String, Option<u64>)>, IndexError> {
    let io = |e: std::io::Error| IndexError::Io {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let mut entries = Vec::new();
    for entry in fs_err::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let Some(filename) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let path = entry.path();
        let path = std::path::absolute(&path).unwrap_or(path);
        let Ok(url) = Url::from_file_path(&path) else {
            continue;
        };
        let size = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        if size.is_none() {
            continue;
        }
        entries.push((filename, url.to_string(), size));
    }
    entries.sort();
    Ok(entries)
}

/// A project page of a local (`file:`) index, as pip reads one: `<index>/<project>/index.html`
/// (a project directory without one is a project without files; no directory, not found). Not
/// cached: reading it is as cheap as reading the cache. Only a regular file is read, and at most
/// [`MAX_PAGE_BYTES`] of it.
async fn local_index_files(
    page_url: Url,
    name: PackageName,
) -> Result<Option<Vec<DistFile>>, IndexError> {
    let run = move || {
        let dir = page_url
            .to_file_path()
            .map_err(|()| IndexError::InvalidUrl {
                url: redact_text(page_url.as_str()),
                reason: "not a local path".into(),
            })?;
        let io = |path: &Path, e: &std::io::Error| IndexError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        match fs_err::metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&dir, &e)),
        }
        let file = dir.join("index.html");
        let meta = match fs_err::metadata(&file) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(Vec::new())),
            Err(e) => return Err(io(&file, &e)),
        };
        let url = Url::from_file_path(&file).unwrap_or_else(|()| page_url.clone());
        if !meta.is_file() {
            return Err(IndexError::InvalidPage {
                url: redact_text(url.as_str()),
                reason: "not a regular file".into(),
            });
        }
        if meta.len() > MAX_PAGE_BYTES {
            return Err(IndexError::TooLarge {
                url: redact_text(url.as_str()),
                limit: MAX_PAGE_BYTES,
            });
        }
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                fs_err::File::open(&file).map_err(|e| io(&file, &e))?,
                MAX_PAGE_BYTES + 1,
            ),
            &mut body,
        )
        .map_err(|e| io(&file, &e))?;
        if body.len() as u64 > MAX_PAGE_BYTES {
            return Err(IndexError::TooLarge {
                url: redact_text(url.as_str()),
                limit: MAX_PAGE_BYTES,
            });
        }
        parse::parse_html(&body, &url, &name)
            .map(Some)
            .map_err(|e| IndexError::InvalidPage {
                url: redact_text(url.as_str()),
                reason: e.0,
            })
    };
    tokio::task::spawn_blocking(run)
        .await
        .unwrap_or_else(|err| {
            Err(IndexError::Client(format!(
                "reading a local page failed: {err}"
            )))
        })
}

async fn parse_page(
    body: Vec<u8>,
    url: Url,
    name: PackageName,
    is_json: bool,
) -> Result<Vec<DistFile>, PageError> {
    let small = body.len() < BLOCKING_PARSE_BYTES;
    let run = move || {
        if is_json {
            parse::parse_json(&body, &url, &name)
        } else {
            parse::parse_html(&body, &url, &name)
        }
    };
    if small {
        return run();
    }
    match tokio::task::spawn_blocking(run).await {
        Ok(result) => result,
        Err(err) => Err(PageError(format!("the parser failed: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_mins(24_090_208);
        let ra = |v: &str| retry_after(&headers(&[(header::RETRY_AFTER, v)]), now);
        assert_eq!(ra("120"), Some(Duration::from_mins(2)));
        assert_eq!(ra(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            ra("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        // 2015-10-21 07:28:00 UTC is `now`; ten seconds later, and a date in the past.
        assert_eq!(
            ra("Wed, 21 Oct 2015 07:28:10 GMT"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(ra("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(ra("-5"), None);
        assert_eq!(ra("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn range_lengths() {
        let len = |v: &str| range_length(&headers(&[(header::RANGE, v)]));
        assert_eq!(len("bytes=-65536"), Some(65536));
        assert_eq!(len("bytes=100-199"), Some(100));
        assert_eq!(len("bytes=100-"), None);
        assert_eq!(len("bytes=0-1,5-6"), None);
        assert_eq!(len("bytes=9-1"), None);
        assert_eq!(range_length(&HeaderMap::new()), None);
    }

    #[test]
    fn page_format_follows_the_content_type_as_pip_does() {
        assert_eq!(
            page_format(Some("application/vnd.pypi.simple.v1+json")),
            Ok(PageFormat::Json)
        );
        assert_eq!(
            page_format(Some("Application/Vnd.PyPI.Simple.V1+JSON; charset=utf-8")),
            Ok(PageFormat::Json)
        );
        assert_eq!(
            page_format(Some("text/html; charset=utf-8")),
            Ok(PageFormat::Html)
        );
        assert_eq!(
            page_format(Some("application/vnd.pypi.simple.v1+html")),
            Ok(PageFormat::Html)
        );
        assert_eq!(
            page_format(Some("application/json")),
            Err("the index answered with application/json; expected HTML or PEP 691 JSON".into())
        );
        assert_eq!(
            page_format(None),
            Err("the index answered without a Content-Type; expected HTML or PEP 691 JSON".into())
        );
        assert_eq!(
            page_format(Some("text/\u{1b}[31mplain")),
            Err("the index answered with text/[31mplain; expected HTML or PEP 691 JSON".into())
        );
    }

    #[test]
    fn sizes_and_durations_in_words() {
        assert_eq!(bytes(MAX_PAGE_BYTES), "128 MiB");
        assert_eq!(bytes(MAX_FILE_BYTES), "1 GiB");
        assert_eq!(bytes(65536), "65536 bytes");
        assert_eq!(seconds(Duration::from_millis(1500)), "2 s");
        assert_eq!(seconds(MAX_RETRY_AFTER), "60 s");
    }
}
