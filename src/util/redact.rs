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
            // `https://tok#en@host/`: a credential holding `#` or `?` parses as a host and a
            // fragment or query; the `@` gives it away.
            let swallowed = url.fragment().is_some_and(|f| f.contains('@'))
                || url.query().is_some_and(|q| q.contains('@'));
            if !swallowed {
                return raw.to_string();
            }
            return redact_to_last_at(raw);
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
    if raw.contains("://") {
        // Not a valid URL: a password holding `#` or `/` (`http://user:pa/ss@host/`) ends the
        // authority early, so everything up to the last `@` goes.
        return redact_to_last_at(raw);
    }
    redact_text(raw)
}

/// `scheme://***@rest` for everything between `://` and the last `@` (before any whitespace).
fn redact_to_last_at(raw: &str) -> String {
    let Some(start) = raw.find("://").map(|i| i + 3) else {
        return redact_text(raw);
    };
    let end = raw[start..]
        .find(char::is_whitespace)
        .map_or(raw.len(), |i| start + i);
    match raw[start..end].rfind('@') {
        Some(at) => format!("{}***@{}", &raw[..start], &raw[start + at + 1..]),
        None => redact_text(raw),
    }
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
        // A credential holding `#`, `?` or `/` ends the authority before its `@`
        // (`http://user:pa/ss@host`, `http://user:p#w@host`): when what precedes the end is
        // `user:` followed by something that is not a port, the `@` later in the same word
        // closes the credentials.
        let word_end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let not_a_port = authority
            .split_once(':')
            .is_some_and(|(_, port)| !port.chars().all(|c| c.is_ascii_digit()));
        if !authority.contains('@')
            && not_a_port
            && let Some(at) = tail[..word_end].rfind('@')
        {
            out.push_str("***@");
            rest = &tail[at + 1..];
            continue;
        }
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
pub(crate) fn strip_credentials(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut url = url.clone();
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url.to_string()
}

/// Splits `user:password@` off a URL: the clean URL and the credentials, percent-decoded.
pub(crate) fn split_credentials(url: &Url) -> (Url, Option<(String, Option<String>)>) {
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
        assert_eq!(
            redact_text("bad `--index-urll http://user:pa/ss@h.test/s/` or http://u:p#w@h.test/"),
            "bad `--index-urll http://***@h.test/s/` or http://***@h.test/"
        );
        assert_eq!(
            redact_text("git+https://h.test/x/y@v1.0 and http://h.test:8080/a@b"),
            "git+https://h.test/x/y@v1.0 and http://h.test:8080/a@b"
        );
        // Credentials holding `#` or `/` make the URL invalid or move the `@` into a fragment.
        assert_eq!(
            redact_url("http://user:pa#ss@host.test/simple/"),
            "http://***@host.test/simple/"
        );
        assert_eq!(
            redact_url("http://user:pa/ss@host.test/simple/"),
            "http://***@host.test/simple/"
        );
        assert_eq!(
            redact_url("https://tok#en@host.test/simple/"),
            "https://***@host.test/simple/"
        );
        assert_eq!(redact_url("not a url"), "not a url");
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
