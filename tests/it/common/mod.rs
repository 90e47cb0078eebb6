//! Shared integration-test support: skipping a test whose prerequisite is missing (never
//! silently: see [`skip`]), the local test index (a real HTTP server, see [`server`])
//! and the real wheel / sdist artifacts it serves (see [`artifacts`]), running the binary
//! ([`cli`]), the machine's interpreters ([`python`]), and the git project with two
//! interpreters the lifecycle tests act on ([`project`]). Every integration test
//! that needs an index uses this; nothing here touches the internet.
//!
//! ```ignore
//! let index = TestIndex::builder()
//!     .project("numpy", |p| {
//!         p.wheel("2.2.6", "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64")
//!             .sdist("2.2.6")
//!             .wheel_with("1.0", "py3-none-any", |w| {
//!                 w.requires_dist("six>=1").requires_python(">=3.8").yanked("bad")
//!             })
//!     })
//!     .project("broken", |p| p.wheel_with("0.1", "py3-none-any", FileSpec::raises_on_import))
//!     .serve();
//! // index.url() -> "http://127.0.0.1:PORT/simple/"; index.request_log(), index.count_requests(..)
//! // Knobs: .html_only() .basic_auth(u, p) .etag() .last_modified() .max_age(s) .delay(d)
//! //        .no_ranges() .relative_json_urls(); per project .status(500) .delay(d) .garbage()
//! //        .flaky(n); per file .core_metadata(CoreMetadata::Broken) .module_source(..) ...
//! // Find-links: TestIndex::builder()...write_files(dir) or index.write_files(dir).
//! // Faults: .route("/simple/six/", Route::normal().fault(Fault::ResetAfter(10)).times(1)),
//! //         Route::status(429).header("Retry-After", "1"), Route::normal().header("Content-Type",
//! //         "text/plain"), Route::status(200).header(..).body("... {base}/files/x ...").
//! ```
#![allow(
    dead_code,
    unused_imports,
    reason = "each test area uses a different part of the harness"
)]

pub mod artifacts;
pub mod cli;
pub mod http;
pub mod project;
pub mod python;
pub mod recorded;
pub mod server;
pub mod skip;
pub mod webdriver;

pub use artifacts::{CoreMetadata, FileSpec, ModuleBody};
pub use cli::{run, wheelwatch};
pub use python::{
    interpreters, pyenv_python, pyenv_pythons, python_with, pythons_311_312, venv_minor,
};
pub use server::{Fault, LoggedRequest, Route, TestIndex, TestIndexBuilder};
pub use skip::skip;
