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

use super::cache::{self, CacheEntry, PageCache};
use super::parse::{self, PageError};
use super::redact::{redact_text, split_credentials};
use super::settings::{CacheMode, IndexSettings};
use crate::dist::{DistFile, DistFileParts, ProjectPage};
use crate::filename::DistFilename;

/// What the `Accept` header asks for: PEP 691 JSON first, HTML as a fallback.
const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// Pages bigger than this are parsed on the blocking pool rather than on a runtime worker.
const BLOCKING_PARSE_BYTES: usize = 256 * 1024;

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
    #[error("could not load the certificates in {path}: {reason}")]
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
    #[error("could not read {path}: {reason}")]
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
    /// The configured builder, taken by the first request.
    http_builder: Mutex<Option<reqwest::ClientBuilder>>,
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

fn load_certs(path: &Path) -> Result<Vec<reqwest::Certificate>, IndexError> {
    let pem = fs_err::read(path).map_err(|e| IndexError::Certificate {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| IndexError::Certificate {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(IndexError::Certificate {
            path: path.to_path_buf(),
            reason: "no PEM certificate found".into(),
        });
    }
    Ok(certs)
}

fn error_chain(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    redact_text(&msg)
}

impl IndexClient {
    /// Builds a client: parses and splits the configured URLs, reads the extra certificates
    /// (`settings.cert` and `SSL_CERT_FILE`), opens the cache. The HTTP client itself (TLS with
    /// the ring provider and the system trust store plus those certificates) is built on the
    /// first request, so a run answered entirely from the cache never pays for it.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "callers hand their settings over; taking them by value keeps the API simple"
    )]
    pub fn new(settings: IndexSettings) -> Result<Self, IndexError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("wheelwatch/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .pool_max_idle_per_host(settings.concurrency.max(1));
        let mut cert_files: Vec<PathBuf> = settings.cert.iter().cloned().collect();
        if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
            cert_files.push(PathBuf::from(file));
        }
        for file in &cert_files {
            builder = builder.tls_certs_merge(load_certs(file)?);
        }

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
                http_builder: Mutex::new(Some(builder)),
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
            }),
        })
    }

    /// The HTTP client, built on first use.
    fn http(&self) -> Result<&reqwest::Client, IndexError> {
        let inner = &*self.inner;
        inner
            .http
            .get_or_init(|| {
                let builder = inner
                    .http_builder
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
                    .ok_or_else(|| IndexError::Client("the client builder is gone".into()))?;
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

    /// The cache directory, unless caching is off.
    pub(super) fn cache_dir(&self) -> Option<&Path> {
        self.inner.cache_dir.as_deref()
    }

    pub(super) fn stats_ref(&self) -> &Stats {
        &self.inner.stats
    }

    /// GET with retries, credentials for the URL's origin, and the concurrency limit.
    pub(super) async fn get(&self, url: &Url, headers: HeaderMap) -> Result<Fetched, IndexError> {
        self.fetch(url, None, headers).await
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
                    .run(move || c.read(&path, &project))
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
        let fetched = self.fetch(&page_url, loc.auth.as_ref(), headers).await?;
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
                let is_json =
                    header_str(header::CONTENT_TYPE).is_some_and(|ct| ct.contains("json"));
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

    /// GETs `url` with retries (connection errors, timeouts, 429, 5xx; exponential backoff),
    /// within the concurrency limit, and reads the whole body.
    async fn fetch(
        &self,
        url: &Url,
        auth: Option<&Credentials>,
        headers: HeaderMap,
    ) -> Result<Fetched, IndexError> {
        let inner = &*self.inner;
        let auth = auth.or_else(|| self.auth_for(url));
        let shown = redact_text(url.as_str());
        let http = self.http()?;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result = {
                let _permit = inner
                    .semaphore
                    .acquire()
                    .await
                    .map_err(|e| IndexError::Client(e.to_string()))?;
                tracing::debug!("GET {shown} (attempt {attempt})");
                inner.stats.requests.fetch_add(1, Ordering::Relaxed);
                let mut request = http.get(url.clone()).headers(headers.clone());
                if let Some((user, password)) = auth {
                    request = request.basic_auth(user, password.as_deref());
                }
                match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        let final_url = response.url().clone();
                        let headers = response.headers().clone();
                        match response.bytes().await {
                            Ok(body) => {
                                inner
                                    .stats
                                    .bytes
                                    .fetch_add(body.len() as u64, Ordering::Relaxed);
                                Ok(Fetched {
                                    status,
                                    url: final_url,
                                    headers,
                                    body: body.to_vec(),
                                })
                            }
                            Err(err) => Err(err),
                        }
                    }
                    Err(err) => Err(err),
                }
            };
            let retryable = match &result {
                Ok(f) => f.status.is_server_error() || f.status == StatusCode::TOO_MANY_REQUESTS,
                Err(err) => {
                    err.is_timeout() || err.is_connect() || err.is_request() || err.is_body()
                }
            };
            if !retryable || attempt > inner.retries {
                return match result {
                    Ok(f)
                        if f.status.is_server_error()
                            || f.status == StatusCode::TOO_MANY_REQUESTS =>
                    {
                        Err(IndexError::Status {
                            url: shown,
                            status: f.status.as_u16(),
                            attempts: attempt,
                        })
                    }
                    Ok(f) => Ok(f),
                    Err(err) if err.is_timeout() => Err(IndexError::Timeout {
                        url: shown,
                        timeout: inner.timeout,
                        attempts: attempt,
                    }),
                    Err(err) => Err(IndexError::Network {
                        url: shown,
                        attempts: attempt,
                        reason: error_chain(&err.without_url()),
                    }),
                };
            }
            let delay = inner
                .backoff
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(Duration::from_secs(10));
            tracing::debug!("retrying {shown} in {delay:?}");
            inner.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
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
                    let fetched = self.fetch(&loc.url, loc.auth.as_ref(), headers).await?;
                    if !fetched.status.is_success() {
                        return Err(IndexError::Status {
                            url: redact_text(loc.url.as_str()),
                            status: fetched.status.as_u16(),
                            attempts: 1,
                        });
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
