//! Keeping credentials out of everything wheelwatch shows or stores: URLs in errors, logs and
//! [`crate::dist::DistFile::url`]. Credentials embedded in an index URL
//! (`https://user:token@host/simple/`) are split off once, when the client is built, and sent
//! only as an `Authorization` header to that host.

use url::Url;

/// A URL with any `user:password@` replaced by `***@`, for messages and logs. Works on strings
/// that are not valid URLs too (anything between `://` and the next `/` containing `@`).
pub fn redact_url(raw: &str) -> String {
    if let Some(mut url) = raw.contains("://").then(|| Url::parse(raw).ok()).flatten() {
        if url.username().is_empty() && url.password().is_none() {
            return raw.to_string();
        }
        if url.set_password(None).is_ok() && url.set_username("***").is_ok() {
            return url.to_string();
        }
    }
    if !raw.contains("://") {
        // A bare `user:pass@host:port` (proxy variables are often written so).
        let authority_end = raw.find('/').unwrap_or(raw.len());
        if let Some(at) = raw[..authority_end].rfind('@') {
            return format!("***@{}", &raw[at + 1..]);
        }
    }
    redact_text(raw)
}

/// Redacts every `scheme://user:pass@host` occurrence inside free text (error messages from
/// lower layers may quote URLs).
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        if let Some(at) = authority.rfind('@') {
            out.push_str("***@");
            out.push_str(&authority[at + 1..]);
        } else {
            out.push_str(authority);
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// The URL with credentials removed entirely (what [`crate::dist::DistFile::url`] holds).
pub fn strip_credentials(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut url = url.clone();
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url.to_string()
}

/// Splits `user:password@` off a URL: the clean URL and the credentials, percent-decoded.
pub fn split_credentials(url: &Url) -> (Url, Option<(String, Option<String>)>) {
    if url.username().is_empty() && url.password().is_none() {
        return (url.clone(), None);
    }
    let decode = |s: &str| percent_decode(s);
    let creds = (decode(url.username()), url.password().map(decode));
    let mut clean = url.clone();
    let _ = clean.set_password(None);
    let _ = clean.set_username("");
    (clean, Some(creds))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_survive() {
        assert_eq!(
            redact_url("https://alice:s3cret@host.test/simple/"),
            "https://***@host.test/simple/"
        );
        assert_eq!(
            redact_url("https://token@host.test/simple/"),
            "https://***@host.test/simple/"
        );
        assert_eq!(
            redact_url("https://host.test/simple/"),
            "https://host.test/simple/"
        );
        assert_eq!(
            redact_text("error sending request for url (http://a:b@h:1/x) then https://c@d/e"),
            "error sending request for url (http://***@h:1/x) then https://***@d/e"
        );
        let url = Url::parse("https://al%40ice:p%2Bw+d@h.test/s/").unwrap();
        assert_eq!(strip_credentials(&url), "https://h.test/s/");
        let (clean, creds) = split_credentials(&url);
        assert_eq!(clean.as_str(), "https://h.test/s/");
        assert_eq!(
            creds,
            Some(("al@ice".to_string(), Some("p+w+d".to_string())))
        );
    }
}
