//! The package index client: PEP 691 JSON and PEP 503 HTML Simple-API pages, `--find-links`
//! directories, pip's configuration (`PIP_*` variables and pip.conf), an on-disk HTTP cache, and
//! bounded concurrent requests with retries. This is the only module that talks HTTP.
//!
//! STUB: to be completed.

/// The default index: the public Python Package Index. The one place its address is written.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";

/// Removes credentials from a URL for display. (Placeholder until the client lands.)
pub fn redact_url(url: &str) -> String {
    url.to_string()
}
