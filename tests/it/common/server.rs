//! The local test index: a real HTTP/1.1 server on `127.0.0.1:0` (see `super::http`: one
//! thread accepting, one thread per connection, stopped on drop) that serves
//!
//! - `/simple/` (root listing) and `/simple/<name>/` project pages as PEP 691 JSON
//!   (`application/vnd.pypi.simple.v1+json`) or PEP 503 HTML, chosen by `Accept` negotiation
//!   (q-values honoured); non-normalized names and missing trailing slashes are redirected (301);
//! - `/files/<filename>` with single-range `Range` support (206 / 416) and
//!   `/files/<filename>.metadata` (PEP 658) when the file's [`CoreMetadata`] says so;
//!
//! with knobs for failure modes (HTML-only, per-project status, flaky first requests, delays,
//! garbage bodies, basic auth, ETag / Last-Modified / Cache-Control validators). Every request
//! is logged (method, path, `Accept`, `Range`, validators, whether it carried credentials).
//!
//! It is also a fault-injecting index: a [`Route`] overrides the answer for one path (the
//! normal answer with another status, headers or body, or a body of its own), optionally with a
//! [`Fault`] (reset mid-body, slow-loris, endless body, no answer, raw bytes) and optionally for
//! the first few requests only. `{base}` in a route's body or header values becomes
//! `http://127.0.0.1:<port>`.
//!
//! Owns serving only; the artifacts come from `super::artifacts`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::artifacts::{FileSpec, sha256_hex};
pub use super::http::Fault;

/// The fixed `Last-Modified` of every project page (when enabled).
pub const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";

/// The JSON media type of PEP 691.
pub const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";
/// The HTML media type of PEP 691 (plain `text/html` is also served for HTML).
pub const HTML_TYPE: &str = "application/vnd.pypi.simple.v1+html";

/// A generated file and what the index says about it.
#[derive(Debug)]
pub struct BuiltFile {
    /// The spec it was built from.
    pub spec: FileSpec,
    /// Its file name.
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The core metadata text.
    pub metadata: Vec<u8>,
}

impl BuiltFile {
    fn new(spec: FileSpec) -> Self {
        let bytes = spec.build_bytes();
        Self {
            filename: spec.filename_str(),
            sha256: sha256_hex(&bytes),
            metadata: spec.pep658_bytes(),
            bytes,
            spec,
        }
    }
}

/// One project on the index.
#[derive(Debug)]
pub struct ProjectSpec {
    display_name: String,
    files: Vec<FileSpec>,
    status: Option<u16>,
    delay: Option<Duration>,
    garbage: bool,
    flaky: u32,
}

impl ProjectSpec {
    fn new(name: &str) -> Self {
        Self {
            display_name: name.to_string(),
            files: Vec::new(),
            status: None,
            delay: None,
            garbage: false,
            flaky: 0,
        }
    }

    /// Adds a wheel with the given tag string (`py3-none-any`, optionally with a build tag
    /// set through [`Self::wheel_with`]).
    #[must_use]
    pub fn wheel(self, version: &str, tags: &str) -> Self {
        self.wheel_with(version, tags, |w| w)
    }

    /// Adds a wheel customised by `f`.
    #[must_use]
    pub fn wheel_with(
        mut self,
        version: &str,
        tags: &str,
        f: impl FnOnce(FileSpec) -> FileSpec,
    ) -> Self {
        let spec = f(FileSpec::wheel(&self.display_name, version, tags));
        self.files.push(spec);
        self
    }

    /// Adds an sdist.
    #[must_use]
    pub fn sdist(self, version: &str) -> Self {
        self.sdist_with(version, |s| s)
    }

    /// Adds an sdist customised by `f`.
    #[must_use]
    pub fn sdist_with(mut self, version: &str, f: impl FnOnce(FileSpec) -> FileSpec) -> Self {
        let spec = f(FileSpec::sdist(&self.display_name, version));
        self.files.push(spec);
        self
    }

    /// The project page answers with this status (e.g. 404, 500) instead.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The project page waits this long before answering.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The project page answers 200 with a body that is neither valid JSON nor HTML listing.
    #[must_use]
    pub fn garbage(mut self) -> Self {
        self.garbage = true;
        self
    }

    /// The first `n` requests for the project page answer 503, then it recovers.
    #[must_use]
    pub fn flaky(mut self, n: u32) -> Self {
        self.flaky = n;
        self
    }
}

#[derive(Debug)]
struct Project {
    display_name: String,
    files: Vec<Arc<BuiltFile>>,
    status: Option<u16>,
    delay: Option<Duration>,
    garbage: bool,
    flaky_left: u32,
}

/// An answer that replaces the index's own for one path (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Route {
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    fault: Option<Fault>,
    times: Option<u32>,
}

impl Route {
    /// The index's normal answer, to be altered by the other methods.
    pub fn normal() -> Self {
        Self::default()
    }

    /// An answer of its own: this status, no headers, an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status: Some(status),
            body: Some(Vec::new()),
            ..Self::default()
        }
    }

    /// Sets (replaces) a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Makes the answer misbehave.
    #[must_use]
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// Applies to the first `n` requests only; later ones get the normal answer.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn apply(&self, mut response: Resp, base: &str) -> Resp {
        let expand = |s: &str| s.replace("{base}", base);
        if let Some(status) = self.status {
            response.set_status(status);
        }
        if let Some(body) = &self.body {
            let body = match String::from_utf8(body.clone()) {
                Ok(text) => expand(&text).into_bytes(),
                Err(_) => body.clone(),
            };
            response.set_body(body);
        }
        for (k, v) in &self.headers {
            response.set_header(k, &expand(v));
        }
        match &self.fault {
            Some(fault) => response.with_fault(fault.clone()),
            None => response,
        }
    }
}

/// Index-wide options.
#[derive(Clone, Debug, Default)]
struct Options {
    html_only: bool,
    auth: Option<(String, String)>,
    etag: bool,
    last_modified: bool,
    max_age: Option<u64>,
    delay: Option<Duration>,
    relative_json_urls: bool,
    no_ranges: bool,
}

/// Builds a [`TestIndex`].
#[derive(Debug, Default)]
pub struct TestIndexBuilder {
    projects: Vec<ProjectSpec>,
    options: Options,
    routes: Vec<(String, Route)>,
}

impl TestIndexBuilder {
    /// Adds (or extends) a project.
    #[must_use]
    pub fn project(mut self, name: &str, f: impl FnOnce(ProjectSpec) -> ProjectSpec) -> Self {
        self.projects.push(f(ProjectSpec::new(name)));
        self
    }

    /// Serve HTML whatever the `Accept` header asks for.
    #[must_use]
    pub fn html_only(mut self) -> Self {
        self.options.html_only = true;
        self
    }

    /// Require HTTP basic auth with these credentials on every request (401 otherwise).
    #[must_use]
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.options.auth = Some((user.to_string(), password.to_string()));
        self
    }

    /// Send an `ETag` on project pages and answer a matching `If-None-Match` with 304.
    #[must_use]
    pub fn etag(mut self) -> Self {
        self.options.etag = true;
        self
    }

    /// Send a fixed `Last-Modified` on project pages and answer `If-Modified-Since` with 304.
    #[must_use]
    pub fn last_modified(mut self) -> Self {
        self.options.last_modified = true;
        self
    }

    /// Send `Cache-Control: max-age=<secs>` on project pages.
    #[must_use]
    pub fn max_age(mut self, secs: u64) -> Self {
        self.options.max_age = Some(secs);
        self
    }

    /// Every request waits this long before answering.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.options.delay = Some(delay);
        self
    }

    /// JSON pages list file URLs relative to the page (`../../files/x`) instead of absolute.
    #[must_use]
    pub fn relative_json_urls(mut self) -> Self {
        self.options.relative_json_urls = true;
        self
    }

    /// Answers requests for `path` (e.g. `/simple/six/`, without query) with `route`.
    #[must_use]
    pub fn route(mut self, path: &str, route: Route) -> Self {
        self.routes.push((path.to_string(), route));
        self
    }

    /// Ignore `Range` headers (always answer 200 with the whole file).
    #[must_use]
    pub fn no_ranges(mut self) -> Self {
        self.options.no_ranges = true;
        self
    }

    fn build_state(self) -> State {
        let mut projects: BTreeMap<String, Project> = BTreeMap::new();
        let mut files = HashMap::new();
        for spec in self.projects {
            let key = normalize(&spec.display_name);
            let built: Vec<Arc<BuiltFile>> = spec
                .files
                .into_iter()
                .map(|f| Arc::new(BuiltFile::new(f)))
                .collect();
            for file in &built {
                files.insert(file.filename.clone(), Arc::clone(file));
            }
            let entry = projects.entry(key).or_insert_with(|| Project {
                display_name: spec.display_name.clone(),
                files: Vec::new(),
                status: None,
                delay: None,
                garbage: false,
                flaky_left: 0,
            });
            entry.files.extend(built);
            entry.status = spec.status.or(entry.status);
            entry.delay = spec.delay.or(entry.delay);
            entry.garbage |= spec.garbage;
            entry.flaky_left += spec.flaky;
        }
        State {
            projects,
            files,
            options: self.options,
            routes: self.routes,
        }
    }

    /// Writes every file into `dir` (a `--find-links` directory) without serving anything.
    pub fn write_files(self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        self.build_state().write_files(dir)
    }

    /// Starts the server.
    pub fn serve(self) -> TestIndex {
        TestIndex::start(self.build_state())
    }
}

#[derive(Debug)]
struct State {
    projects: BTreeMap<String, Project>,
    files: HashMap<String, Arc<BuiltFile>>,
    options: Options,
    routes: Vec<(String, Route)>,
}

impl State {
    fn write_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for project in self.projects.values() {
            for file in &project.files {
                let path = dir.join(&file.filename);
                std::fs::write(&path, &file.bytes)?;
                written.push(path);
            }
        }
        Ok(written)
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// Path and query as sent.
    pub path: String,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `Range` header.
    pub range: Option<String>,
    /// The `If-None-Match` header.
    pub if_none_match: Option<String>,
    /// The `If-Modified-Since` header.
    pub if_modified_since: Option<String>,
    /// The `Authorization` header, when present.
    pub authorization: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    log: Mutex<Vec<LoggedRequest>>,
    stop: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running test index; stops when dropped.
pub struct TestIndex {
    shared: Arc<Shared>,
    server: super::http::Server,
    addr: SocketAddr,
}

impl std::fmt::Debug for TestIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIndex")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl TestIndex {
    /// Starts building an index.
    pub fn builder() -> TestIndexBuilder {
        TestIndexBuilder::default()
    }

    fn start(state: State) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let addr_cell: Arc<Mutex<Option<SocketAddr>>> = Arc::new(Mutex::new(None));
        let handler = {
            let shared = Arc::clone(&shared);
            let addr_cell = Arc::clone(&addr_cell);
            Arc::new(move |request: super::http::Request| {
                let addr = lock(&addr_cell).expect("address set before serving");
                handle(&shared, addr, &request)
            })
        };
        let server = super::http::Server::start(handler);
        let addr = server.addr();
        *lock(&addr_cell) = Some(addr);
        Self {
            shared,
            server,
            addr,
        }
    }

    /// `http://127.0.0.1:<port>/simple/`: the index URL to configure.
    pub fn url(&self) -> String {
        format!("http://{}/simple/", self.addr)
    }

    /// The index URL with `user:password@` embedded.
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}/simple/", self.addr)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The absolute URL of a file.
    pub fn file_url(&self, filename: &str) -> String {
        format!("http://{}/files/{filename}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// How many requests had a path starting with `prefix` (e.g. `/simple/numpy/`).
    pub fn count_requests(&self, prefix: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .count()
    }

    /// How many requests asked for a project page (`/simple/<name>/`, any spelling).
    pub fn page_requests(&self) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.path.starts_with("/simple/"))
            .count()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Changes a project's forced status at run time (`None` restores normal answers).
    pub fn set_status(&self, project: &str, status: Option<u16>) {
        if let Some(p) = lock(&self.shared.state)
            .projects
            .get_mut(&normalize(project))
        {
            p.status = status;
        }
    }

    /// Adds a [`Route`] at run time (it takes precedence over earlier routes for that path).
    pub fn route(&self, path: &str, route: Route) {
        lock(&self.shared.state)
            .routes
            .insert(0, (path.to_string(), route));
    }

    /// Changes a project's delay at run time.
    pub fn set_delay(&self, project: &str, delay: Option<Duration>) {
        if let Some(p) = lock(&self.shared.state)
            .projects
            .get_mut(&normalize(project))
        {
            p.delay = delay;
        }
    }

    /// Adds a file to a project at run time (the page changes, so validators change too).
    pub fn add_file(&self, project: &str, spec: FileSpec) {
        let file = Arc::new(BuiltFile::new(spec));
        let mut state = lock(&self.shared.state);
        state.files.insert(file.filename.clone(), Arc::clone(&file));
        if let Some(p) = state.projects.get_mut(&normalize(project)) {
            p.files.push(file);
        }
    }

    /// Yanks (with `Some(reason)`) or un-yanks a file at run time.
    pub fn set_yanked(&self, filename: &str, reason: Option<&str>) {
        let mut state = lock(&self.shared.state);
        let Some(old) = state.files.get(filename).cloned() else {
            panic!("no file {filename}");
        };
        let mut spec = old.spec.clone();
        spec.yanked = reason.map(str::to_string);
        let file = Arc::new(BuiltFile::new(spec));
        state.files.insert(filename.to_string(), Arc::clone(&file));
        for p in state.projects.values_mut() {
            for f in &mut p.files {
                if f.filename == filename {
                    *f = Arc::clone(&file);
                }
            }
        }
    }

    /// The generated file called `filename`, if any.
    pub fn file(&self, filename: &str) -> Option<Arc<BuiltFile>> {
        lock(&self.shared.state).files.get(filename).cloned()
    }

    /// Every generated file of `project`.
    pub fn files(&self, project: &str) -> Vec<Arc<BuiltFile>> {
        lock(&self.shared.state)
            .projects
            .get(&normalize(project))
            .map(|p| p.files.clone())
            .unwrap_or_default()
    }

    /// Writes every file into `dir` (a `--find-links` directory).
    pub fn write_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        lock(&self.shared.state).write_files(dir)
    }

    /// The JSON page body for `project` as served (for parser tests).
    pub fn json_page(&self, project: &str) -> Option<String> {
        let state = lock(&self.shared.state);
        let p = state.projects.get(&normalize(project))?;
        Some(render_json(p, &state.options, self.addr))
    }

    /// The HTML page body for `project` as served (for parser tests).
    pub fn html_page(&self, project: &str) -> Option<String> {
        let state = lock(&self.shared.state);
        let p = state.projects.get(&normalize(project))?;
        Some(render_html(p))
    }
}

impl Drop for TestIndex {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

/// PEP 503 normalization.
pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    let mut last_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_sep = false;
        }
    }
    out
}

fn header(name: &str, value: &str) -> (String, String) {
    (name.to_string(), value.to_string())
}

fn get_header(request: &super::http::Request, name: &str) -> Option<String> {
    request.header(name)
}

type Resp = super::http::Response;

fn status(code: u16) -> Resp {
    Resp::from_string(format!("status {code}\n"))
        .with_status_code(code)
        .boxed()
}

fn handle(shared: &Shared, addr: SocketAddr, request: &super::http::Request) -> Resp {
    let entry = LoggedRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        accept: get_header(request, "Accept"),
        range: get_header(request, "Range"),
        if_none_match: get_header(request, "If-None-Match"),
        if_modified_since: get_header(request, "If-Modified-Since"),
        authorization: get_header(request, "Authorization"),
    };
    lock(&shared.log).push(entry.clone());
    let route = take_route(shared, &entry.path);
    let (mut response, delay) = respond(shared, addr, &entry);
    if let Some(route) = route {
        response = route.apply(response, &format!("http://{addr}"));
    }
    if let Some(delay) = delay {
        std::thread::sleep(delay);
    }
    response
}

/// The route for `path`, counting one use of a limited one.
fn take_route(shared: &Shared, path: &str) -> Option<Route> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut state = lock(&shared.state);
    let (_, route) = state
        .routes
        .iter_mut()
        .find(|(p, r)| p == path && r.times != Some(0))?;
    if let Some(n) = &mut route.times {
        *n -= 1;
    }
    Some(route.clone())
}

fn respond(shared: &Shared, addr: SocketAddr, req: &LoggedRequest) -> (Resp, Option<Duration>) {
    let mut state = lock(&shared.state);
    let global_delay = state.options.delay;
    if let Some((user, password)) = &state.options.auth {
        let expected = format!(
            "Basic {}",
            super::artifacts::b64_std(format!("{user}:{password}").as_bytes())
        );
        if req.authorization.as_deref() != Some(expected.as_str()) {
            let resp = status(401)
                .with_header(header("WWW-Authenticate", "Basic realm=\"test index\""))
                .boxed();
            return (resp, global_delay);
        }
    }
    let path = req
        .path
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string();
    if path == "/simple/" || path == "/simple" {
        let mut body = String::from("<!DOCTYPE html>\n<html><body>\n");
        for p in state.projects.values() {
            let _ = writeln!(
                body,
                "<a href=\"{}/\">{}</a>",
                normalize(&p.display_name),
                p.display_name
            );
        }
        body.push_str("</body></html>\n");
        return (html(body), global_delay);
    }
    if let Some(rest) = path.strip_prefix("/simple/") {
        let name = rest.trim_end_matches('/');
        let normalized = normalize(name);
        if name != normalized || !rest.ends_with('/') {
            let resp = status(301)
                .with_header(header("Location", &format!("/simple/{normalized}/")))
                .boxed();
            return (resp, global_delay);
        }
        let options = state.options.clone();
        let Some(project) = state.projects.get_mut(&normalized) else {
            return (status(404), global_delay);
        };
        let delay = project.delay.or(global_delay);
        if project.flaky_left > 0 {
            project.flaky_left -= 1;
            return (status(503), delay);
        }
        if let Some(code) = project.status {
            return (status(code), delay);
        }
        let json = !options.html_only && prefers_json(req.accept.as_deref());
        if project.garbage {
            let ct = if json { JSON_TYPE } else { "text/html" };
            let body = "\u{0}\u{1}<<<this is not an index page {\"files\": [";
            let resp = Resp::from_string(body)
                .with_header(header("Content-Type", ct))
                .boxed();
            return (resp, delay);
        }
        let (body, ct) = if json {
            (render_json(project, &options, addr), JSON_TYPE)
        } else {
            (render_html(project), "text/html; charset=utf-8")
        };
        let etag = format!("\"{}\"", &sha256_hex(body.as_bytes())[..16]);
        let not_modified = (options.etag
            && req
                .if_none_match
                .as_deref()
                .is_some_and(|v| v.split(',').any(|t| t.trim() == etag)))
            || (options.last_modified
                && req.if_none_match.is_none()
                && req.if_modified_since.as_deref() == Some(LAST_MODIFIED));
        let mut resp = if not_modified {
            Resp::from_data(Vec::new()).with_status_code(304).boxed()
        } else {
            Resp::from_string(body)
                .with_header(header("Content-Type", ct))
                .boxed()
        };
        resp.add_header(header("Vary", "Accept"));
        if options.etag {
            resp.add_header(header("ETag", &etag));
        }
        if options.last_modified {
            resp.add_header(header("Last-Modified", LAST_MODIFIED));
        }
        if let Some(max_age) = options.max_age {
            resp.add_header(header(
                "Cache-Control",
                &format!("max-age={max_age}, public"),
            ));
        }
        return (resp, delay);
    }
    if let Some(filename) = path.strip_prefix("/files/") {
        let filename = percent_decode(filename);
        let range = if state.options.no_ranges {
            None
        } else {
            req.range.as_deref()
        };
        if let Some(file) = state.files.get(&filename) {
            return (
                serve_bytes(&file.bytes, range, "application/octet-stream"),
                global_delay,
            );
        }
        if let Some(base) = filename.strip_suffix(".metadata")
            && let Some(file) = state.files.get(base)
            && file.spec.core_metadata.served()
        {
            return (
                serve_bytes(&file.metadata, range, "text/plain"),
                global_delay,
            );
        }
        return (status(404), global_delay);
    }
    (status(404), global_delay)
}

fn html(body: String) -> Resp {
    Resp::from_string(body)
        .with_header(header("Content-Type", "text/html; charset=utf-8"))
        .boxed()
}

/// Serves `bytes`, honouring a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range.
fn serve_bytes(bytes: &[u8], range: Option<&str>, ct: &str) -> Resp {
    let len = bytes.len() as u64;
    let full = || {
        Resp::from_data(bytes.to_vec())
            .with_header(header("Content-Type", ct))
            .with_header(header("Accept-Ranges", "bytes"))
            .boxed()
    };
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return full();
    };
    if spec.contains(',') {
        return full();
    }
    let Some((a, b)) = spec.split_once('-') else {
        return full();
    };
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => match n.parse::<u64>() {
            Ok(n) if n > 0 => (len.saturating_sub(n), len.saturating_sub(1)),
            _ => return unsatisfiable(len),
        },
        (s, "") => match s.parse::<u64>() {
            Ok(s) => (s, len.saturating_sub(1)),
            Err(_) => return full(),
        },
        (s, e) => match (s.parse::<u64>(), e.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => (s, e.min(len.saturating_sub(1))),
            _ => return full(),
        },
    };
    if len == 0 || start >= len {
        return unsatisfiable(len);
    }
    let slice = bytes[start as usize..=end as usize].to_vec();
    Resp::from_data(slice)
        .with_status_code(206)
        .with_header(header("Content-Type", ct))
        .with_header(header("Accept-Ranges", "bytes"))
        .with_header(header(
            "Content-Range",
            &format!("bytes {start}-{end}/{len}"),
        ))
        .boxed()
}

fn unsatisfiable(len: u64) -> Resp {
    status(416)
        .with_header(header("Content-Range", &format!("bytes */{len}")))
        .boxed()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `Accept` prefers PEP 691 JSON over HTML (q-values honoured; ties go to JSON as
/// listed first by clients).
fn prefers_json(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    let mut json_q = 0.0_f32;
    let mut html_q = 0.0_f32;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            JSON_TYPE | "application/vnd.pypi.simple.latest+json" => json_q = json_q.max(q),
            HTML_TYPE | "application/vnd.pypi.simple.latest+html" | "text/html" => {
                html_q = html_q.max(q);
            }
            "*/*" => html_q = html_q.max(q * 0.5),
            _ => {}
        }
    }
    json_q > 0.0 && json_q >= html_q
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page_requires_python(spec: &FileSpec) -> Option<&str> {
    spec.page_requires_python
        .as_deref()
        .or(spec.requires_python.as_deref())
}

fn render_json(project: &Project, options: &Options, addr: SocketAddr) -> String {
    let mut files = Vec::new();
    let mut versions: Vec<&str> = Vec::new();
    for f in &project.files {
        if !versions.contains(&f.spec.version.as_str()) {
            versions.push(&f.spec.version);
        }
        let url = if options.relative_json_urls {
            format!("../../files/{}", f.filename)
        } else {
            format!("http://{addr}/files/{}", f.filename)
        };
        let mut entry = format!(
            "{{\"filename\":{},\"url\":{},\"hashes\":{{\"sha256\":\"{}\"}},\"size\":{}",
            json_str(&f.filename),
            json_str(&url),
            f.sha256,
            f.bytes.len()
        );
        if let Some(rp) = page_requires_python(&f.spec) {
            let _ = write!(entry, ",\"requires-python\":{}", json_str(rp));
        }
        match &f.spec.yanked {
            Some(reason) if reason.is_empty() => entry.push_str(",\"yanked\":true"),
            Some(reason) => {
                let _ = write!(entry, ",\"yanked\":{}", json_str(reason));
            }
            None => entry.push_str(",\"yanked\":false"),
        }
        if f.spec.core_metadata.advertised() {
            let md = sha256_hex(&f.metadata);
            let _ = write!(
                entry,
                ",\"core-metadata\":{{\"sha256\":\"{md}\"}},\"data-dist-info-metadata\":{{\"sha256\":\"{md}\"}}"
            );
        } else {
            entry.push_str(",\"core-metadata\":false,\"data-dist-info-metadata\":false");
        }
        if let Some(t) = &f.spec.upload_time {
            let _ = write!(entry, ",\"upload-time\":{}", json_str(t));
        }
        entry.push('}');
        files.push(entry);
    }
    let versions: Vec<String> = versions.iter().map(|v| json_str(v)).collect();
    format!(
        "{{\"meta\":{{\"api-version\":\"1.1\",\"_last-serial\":1}},\"name\":{},\"versions\":[{}],\"files\":[\n{}\n]}}",
        json_str(&normalize(&project.display_name)),
        versions.join(","),
        files.join(",\n")
    )
}

fn render_html(project: &Project) -> String {
    let mut body = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for {0}</title>\n  </head>\n  <body>\n    <h1>Links for {0}</h1>\n",
        html_escape(&project.display_name)
    );
    for f in &project.files {
        let mut attrs = format!(
            "href=\"../../files/{}#sha256={}\"",
            html_escape(&f.filename),
            f.sha256
        );
        if let Some(rp) = page_requires_python(&f.spec) {
            let _ = write!(attrs, " data-requires-python=\"{}\"", html_escape(rp));
        }
        if let Some(reason) = &f.spec.yanked {
            let _ = write!(attrs, " data-yanked=\"{}\"", html_escape(reason));
        }
        if f.spec.core_metadata.advertised() {
            let md = sha256_hex(&f.metadata);
            let _ = write!(
                attrs,
                " data-dist-info-metadata=\"sha256={md}\" data-core-metadata=\"sha256={md}\""
            );
        }
        let _ = writeln!(
            body,
            "    <a {attrs}>{}</a><br />",
            html_escape(&f.filename)
        );
    }
    body.push_str("  </body>\n</html>\n");
    body
}
