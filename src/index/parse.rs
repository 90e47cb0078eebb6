//! Parsing Simple-API project pages into [`DistFile`]s: PEP 691 JSON and PEP 503 HTML (with the
//! PEP 592 / 658 / 714 attributes), plus `--find-links` HTML pages. Pure: bytes and a base URL
//! in, files out. Files whose names do not parse as a wheel or sdist of the project are skipped
//! (logged at debug), as pip does.
//!
//! JSON is deserialized with borrowed strings and only the fields we keep (pages of popular
//! projects are several megabytes), one file entry at a time: each becomes a [`DistFile`] (or is
//! dropped) before the next is read, so memory follows the files kept, not the page. HTML goes
//! through `tl`, a fast non-validating parser that keeps its open elements on a heap stack (deep
//! nesting cannot overflow ours), with attribute values HTML-unescaped here (tl returns them raw).
//!
//! What a page may contain is bounded, since an index answer is outside input: at most
//! [`MAX_PAGE_FILES`] files of the project and [`MAX_HTML_TAGS`] tags (the largest project on
//! the public index lists under 50,000 files), JSON nested at most 128 deep (`serde_json`'s limit). A page
//! fetched over HTTP may only link to HTTP(S) files: a `file:` link there is an error for the
//! page, never opened. Only a page the user named as a local location (a `file:` base URL) may
//! list local files.

use std::borrow::Cow;
use std::fmt;

use pep508_rs::PackageName;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use url::Url;

use crate::dist::{DistFile, DistFileParts, PageInterner};
use crate::filename::DistFilename;

use super::redact::strip_credentials;

/// The most files of the project one page may list (entries that are not the project's
/// distributions cost nothing and are not counted, so a `--find-links` page listing many
/// projects is fine). The largest project on the public index (ddtrace) lists 46,724 files;
/// each file kept costs about 1.2 KiB by the end of a run, so this bounds a page at ~300 MiB.
pub const MAX_PAGE_FILES: usize = 250_000;

/// The most tags (`<` characters) an HTML page may contain: the parser builds a node of about
/// 250 bytes for each. Real pages have three per file (ddtrace's: 140,000).
pub const MAX_HTML_TAGS: usize = 1_000_000;

/// Why a page could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PageError(pub String);

/// The bounds a page is held to (the constants above; smaller in tests).
#[derive(Clone, Copy, Debug)]
struct Limits {
    files: usize,
    tags: usize,
}

const LIMITS: Limits = Limits {
    files: MAX_PAGE_FILES,
    tags: MAX_HTML_TAGS,
};

fn too_many_files(limits: Limits) -> PageError {
    PageError(format!(
        "it lists more than {} files, more than any real project page",
        limits.files
    ))
}

#[derive(Deserialize)]
struct JsonFile<'a> {
    #[serde(borrow)]
    filename: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(default, borrow)]
    hashes: Option<JsonHashes<'a>>,
    #[serde(default, borrow, rename = "requires-python")]
    requires_python: Option<Cow<'a, str>>,
    #[serde(default)]
    yanked: Yanked,
    #[serde(default, rename = "core-metadata")]
    core_metadata: Option<Flag>,
    #[serde(default, rename = "dist-info-metadata")]
    dist_info_metadata: Option<Flag>,
    #[serde(default, rename = "data-dist-info-metadata")]
    data_dist_info_metadata: Option<Flag>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, borrow, rename = "upload-time")]
    upload_time: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct JsonHashes<'a> {
    #[serde(default, borrow)]
    sha256: Option<Cow<'a, str>>,
}

/// `yanked`: `false`, `true` or a reason string.
#[derive(Default)]
struct Yanked(Option<String>);

impl<'de> Deserialize<'de> for Yanked {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Yanked;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean or a string")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Yanked, E> {
                Ok(Yanked(v.then(String::new)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Yanked, E> {
                Ok(Yanked(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Yanked, E> {
                Ok(Yanked(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `core-metadata` and friends: `false`, `true` or a hash map (= true).
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean or a map of hashes")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Flag, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Flag(true))
            }
        }
        d.deserialize_any(V)
    }
}

/// Builds a [`DistFile`] or logs why the entry is skipped.
struct Entry<'s> {
    filename: Cow<'s, str>,
    href: &'s str,
    sha256: Option<String>,
    requires_python: Option<String>,
    yanked: Option<String>,
    core_metadata: bool,
    size: Option<u64>,
    upload_time: Option<String>,
}

impl Entry<'_> {
    /// The file, `None` when the entry is not one of the project's distributions (skipped, as
    /// pip does), or an error for the page when a remote page links to a local file.
    ///
    /// `base` resolves the link (an HTML `<base>` may have changed it); `page` is where the page
    /// came from, which alone decides whether local files are allowed.
    fn into_file(
        self,
        page: &Url,
        base: &Url,
        project: &PackageName,
        interner: &mut PageInterner,
    ) -> Result<Option<DistFile>, PageError> {
        let mut parsed = match DistFilename::parse(&self.filename, project) {
            Ok(parsed) => parsed,
            Err(err) => {
                tracing::debug!("skipping a file listed for `{project}`: {err}");
                return Ok(None);
            }
        };
        let mut url = match base.join(self.href) {
            Ok(url) => url,
            Err(err) => {
                tracing::debug!(
                    "skipping `{}` listed for `{project}`: bad URL: {err}",
                    self.filename
                );
                return Ok(None);
            }
        };
        check_scheme(page, &url, &self.filename)?;
        let fragment_hash = url
            .fragment()
            .and_then(|f| f.strip_prefix("sha256="))
            .map(str::to_string);
        url.set_fragment(None);
        interner.share_tags(&mut parsed);
        let sha256 = self
            .sha256
            .or(fragment_hash)
            .map(|h| h.to_ascii_lowercase());
        Ok(Some(DistFile::from(DistFileParts {
            filename: &self.filename,
            url: &strip_credentials(&url),
            parsed,
            requires_python: self
                .requires_python
                .filter(|s| !s.trim().is_empty())
                .map(|s| interner.requires_python(&s)),
            // Reports print the reason: no escape sequences or line breaks from the index.
            yanked: self.yanked.map(|reason| {
                if reason.contains(char::is_control) {
                    reason.replace(char::is_control, " ")
                } else {
                    reason
                }
            }),
            core_metadata: self.core_metadata,
            sha256: sha256.as_deref(),
            size: self.size,
            upload_time: self.upload_time.as_deref(),
        })))
    }
}

/// A file listed by a page must be fetched the way the page was: a page from an HTTP(S) index
/// may link only to HTTP(S) URLs (a `file:` link there would make wheelwatch read
/// `/dev/zero`, `/dev/stdin` or any local file the page names). Local pages (a `file:` index or
/// find-links location the user configured) may also link to local files.
fn check_scheme(page: &Url, url: &Url, filename: &str) -> Result<(), PageError> {
    let remote = matches!(page.scheme(), "http" | "https");
    let allowed = match url.scheme() {
        "http" | "https" => true,
        "file" => !remote,
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    let shown = strip_credentials(url);
    Err(if url.scheme() == "file" {
        PageError(format!(
            "it links `{filename}` to the local file `{shown}`; only an index or find-links location you name as a local path may list local files"
        ))
    } else {
        PageError(format!(
            "it links `{filename}` to `{shown}`, which is not an HTTP(S) URL"
        ))
    })
}

/// Parses a PEP 691 JSON project page. `base` is the page's final URL (relative file URLs are
/// resolved against it).
pub fn parse_json(
    body: &[u8],
    base: &Url,
    project: &PackageName,
) -> Result<Vec<DistFile>, PageError> {
    parse_json_within(body, base, project, LIMITS)
}

fn parse_json_within(
    body: &[u8],
    base: &Url,
    project: &PackageName,
    limits: Limits,
) -> Result<Vec<DistFile>, PageError> {
    let mut builder = JsonBuilder {
        base,
        project,
        limits,
        interner: PageInterner::default(),
        files: Vec::new(),
        failure: None,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = PageSeed(&mut builder)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    // An error of ours (a local link, too many files) stops the deserializer; report it rather
    // than the JSON error it was turned into.
    if let Some(failure) = builder.failure {
        return Err(failure);
    }
    parsed.map_err(|e| PageError(format!("invalid PEP 691 JSON: {e}")))?;
    Ok(builder.files)
}

/// What [`parse_json`] accumulates while the deserializer walks the page.
struct JsonBuilder<'b> {
    base: &'b Url,
    project: &'b PackageName,
    limits: Limits,
    interner: PageInterner,
    files: Vec<DistFile>,
    failure: Option<PageError>,
}

impl JsonBuilder<'_> {
    fn add(&mut self, f: JsonFile<'_>) -> Result<(), PageError> {
        let entry = Entry {
            filename: f.filename,
            href: &f.url,
            sha256: f.hashes.and_then(|h| h.sha256).map(Cow::into_owned),
            requires_python: f.requires_python.map(Cow::into_owned),
            yanked: f.yanked.0,
            core_metadata: [
                f.core_metadata,
                f.dist_info_metadata,
                f.data_dist_info_metadata,
            ]
            .into_iter()
            .flatten()
            .any(|flag| flag.0),
            size: f.size,
            upload_time: f.upload_time.map(Cow::into_owned),
        };
        if let Some(file) =
            entry.into_file(self.base, self.base, self.project, &mut self.interner)?
        {
            if self.files.len() == self.limits.files {
                return Err(too_many_files(self.limits));
            }
            self.files.push(file);
        }
        Ok(())
    }
}

/// The page object: `files` is read entry by entry, every other key is skipped.
struct PageSeed<'s, 'b>(&'s mut JsonBuilder<'b>);

impl<'de> DeserializeSeed<'de> for PageSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a PEP 691 project object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_files = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "files" && !saw_files {
                saw_files = true;
                map.next_value_seed(FilesSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if saw_files {
            Ok(())
        } else {
            Err(de::Error::missing_field("files"))
        }
    }
}

/// The `files` array.
struct FilesSeed<'s, 'b>(&'s mut JsonBuilder<'b>);

impl<'de> DeserializeSeed<'de> for FilesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FilesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of files")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(file) = seq.next_element::<JsonFile<'de>>()? {
            if let Err(err) = self.0.add(file) {
                let message = err.0.clone();
                self.0.failure = Some(err);
                return Err(de::Error::custom(message));
            }
        }
        Ok(())
    }
}

/// Parses a PEP 503 HTML project page (or a `--find-links` page; pass `only_project` to keep
/// only that project's files). A body that is not HTML at all is an error; an HTML page without
/// links is an empty project.
pub fn parse_html(
    body: &[u8],
    base: &Url,
    project: &PackageName,
) -> Result<Vec<DistFile>, PageError> {
    parse_html_within(body, base, project, LIMITS)
}

fn parse_html_within(
    body: &[u8],
    base: &Url,
    project: &PackageName,
    limits: Limits,
) -> Result<Vec<DistFile>, PageError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| PageError(format!("the HTML page is not UTF-8: {e}")))?;
    if text.contains('\0') {
        return Err(PageError(
            "the page contains NUL bytes: not an HTML page".into(),
        ));
    }
    if body
        .iter()
        .filter(|&&b| b == b'<')
        .nth(limits.tags)
        .is_some()
    {
        return Err(PageError(format!(
            "it has more than {} tags, more than any real project page",
            limits.tags
        )));
    }
    let dom = tl::parse(text, tl::ParserOptions::default())
        .map_err(|e| PageError(format!("invalid HTML: {e}")))?;
    let page = base;
    let mut base = base.clone();
    let mut files = Vec::new();
    let mut interner = PageInterner::default();
    let mut saw_html = text.trim_start().starts_with('<');
    for node in dom.nodes() {
        let Some(tag) = node.as_tag() else { continue };
        saw_html = true;
        let name = tag.name().as_utf8_str();
        let attrs = tag.attributes();
        let attr = |key: &'static str| -> Option<String> {
            attrs.get(key).map(|v| {
                v.map(|b| unescape(&b.as_utf8_str()).into_owned())
                    .unwrap_or_default()
            })
        };
        if name.eq_ignore_ascii_case("base") {
            if let Some(href) = attr("href")
                && let Ok(new_base) = base.join(&href)
            {
                base = new_base;
            }
            continue;
        }
        if !name.eq_ignore_ascii_case("a") {
            continue;
        }
        let Some(href) = attr("href") else { continue };
        let filename = filename_from_href(&href);
        if filename.is_empty() {
            continue;
        }
        let metadata = attr("data-core-metadata").or_else(|| attr("data-dist-info-metadata"));
        let entry = Entry {
            filename: Cow::Owned(filename),
            href: &href,
            sha256: None,
            requires_python: attr("data-requires-python"),
            yanked: attr("data-yanked"),
            core_metadata: metadata.is_some_and(|m| !m.eq_ignore_ascii_case("false")),
            size: None,
            upload_time: None,
        };
        if let Some(file) = entry.into_file(page, &base, project, &mut interner)? {
            if files.len() == limits.files {
                return Err(too_many_files(limits));
            }
            files.push(file);
        }
    }
    if !saw_html {
        return Err(PageError("the body is not an HTML page".into()));
    }
    Ok(files)
}

/// The file name of a link: the last path segment, percent-decoded.
fn filename_from_href(href: &str) -> String {
    let path = href.split(['#', '?']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    percent_decode(last)
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
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

/// HTML character references: the named ones index pages use and numeric ones.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        if let Some(c) = decoded {
            out.push(c);
            rest = &rest[end + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn name(s: &str) -> PackageName {
        PackageName::from_str(s).unwrap()
    }

    #[test]
    fn html_attributes_are_unescaped_and_links_resolved() {
        let html = r#"<html><body>
            <a href="../../files/foo-1.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8,&lt;4" data-yanked="" data-core-metadata="sha256=00">foo-1.0-py3-none-any.whl</a>
            <a href="https://u:p@other.example/x/foo-1.1.tar.gz" data-dist-info-metadata="false">foo-1.1.tar.gz</a>
            <a href="/x/bar-1.0-py3-none-any.whl">bar</a>
            <a href="/x/foo-1.2.exe">nope</a>
        </body></html>"#;
        let base = Url::parse("http://h:1/simple/foo/").unwrap();
        let files = parse_html(html.as_bytes(), &base, &name("foo")).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].url(), "http://h:1/files/foo-1.0-py3-none-any.whl");
        assert_eq!(files[0].requires_python_str(), Some(">=3.8,<4"));
        assert_eq!(files[0].yanked.as_deref(), Some(""));
        assert!(files[0].core_metadata);
        assert_eq!(files[0].sha256(), Some("abcdef"));
        assert_eq!(files[1].url(), "https://other.example/x/foo-1.1.tar.gz");
        assert!(!files[1].core_metadata);
        assert!(files[1].yanked.is_none());
    }

    #[test]
    fn json_variants_of_yanked_and_metadata() {
        let json = br#"{"meta":{"api-version":"1.1"},"name":"foo","files":[
            {"filename":"foo-1.0-py3-none-any.whl","url":"../../f/foo-1.0-py3-none-any.whl","hashes":{"sha256":"aa"},"yanked":true,"core-metadata":{"sha256":"bb"},"requires-python":">=3.7","size":10},
            {"filename":"foo-1.1.tar.gz","url":"https://x/foo-1.1.tar.gz","hashes":{},"yanked":"broken","data-dist-info-metadata":false,"unknown":[1,2,{"a":null}]},
            {"filename":"foo-1.2-py3-none-any.whl","url":"https://x/w","hashes":{},"dist-info-metadata":true}
        ]}"#;
        let base = Url::parse("https://i/simple/foo/").unwrap();
        let files = parse_json(json, &base, &name("foo")).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].url(), "https://i/f/foo-1.0-py3-none-any.whl");
        assert_eq!(files[0].yanked.as_deref(), Some(""));
        assert!(files[0].core_metadata);
        assert_eq!(files[0].size, Some(10));
        assert_eq!(files[1].yanked.as_deref(), Some("broken"));
        let odd = br#"{"files":[{"filename":"foo-1.0.tar.gz","url":"f","yanked":"bad\n\u001b[2Jreason"}]}"#;
        let odd = parse_json(odd, &base, &name("foo")).unwrap();
        assert_eq!(odd[0].yanked.as_deref(), Some("bad  [2Jreason"));
        assert!(!files[1].core_metadata);
        assert!(files[2].core_metadata);
        assert!(parse_json(b"<html>", &base, &name("foo")).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_an_empty_page() {
        let base = Url::parse("https://i/simple/foo/").unwrap();
        assert!(parse_html(b"\0\x01 junk", &base, &name("foo")).is_err());
        assert!(parse_html(b"plain words", &base, &name("foo")).is_err());
        assert_eq!(
            parse_html(b"<html><body></body></html>", &base, &name("foo"))
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn remote_pages_may_not_link_local_files_but_local_pages_may() {
        let remote = Url::parse("https://i/simple/foo/").unwrap();
        let json = br#"{"files":[{"filename":"foo-1.0.tar.gz","url":"file:///dev/zero"}]}"#;
        assert_eq!(
            parse_json(json, &remote, &name("foo")).unwrap_err().0,
            "it links `foo-1.0.tar.gz` to the local file `file:///dev/zero`; only an index or find-links location you name as a local path may list local files"
        );
        let json = br#"{"files":[{"filename":"foo-1.0.tar.gz","url":"ftp://x/foo-1.0.tar.gz"}]}"#;
        assert_eq!(
            parse_json(json, &remote, &name("foo")).unwrap_err().0,
            "it links `foo-1.0.tar.gz` to `ftp://x/foo-1.0.tar.gz`, which is not an HTTP(S) URL"
        );
        let html = br#"<a href="file:///srv/foo-1.0.tar.gz">foo-1.0.tar.gz</a>"#;
        assert!(parse_html(html, &remote, &name("foo")).is_err());
        // A `<base>` cannot make a remote page local.
        let html = br#"<base href="file:///srv/"><a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a>"#;
        assert_eq!(
            parse_html(html, &remote, &name("foo")).unwrap_err().0,
            "it links `foo-1.0.tar.gz` to the local file `file:///srv/foo-1.0.tar.gz`; only an index or find-links location you name as a local path may list local files"
        );
        // A file that is not a distribution of the project is skipped before its URL matters.
        let html = br#"<a href="file:///etc/passwd">passwd</a>"#;
        assert_eq!(parse_html(html, &remote, &name("foo")).unwrap().len(), 0);
        // A local index (a file: base) may list local files, and remote ones.
        let local = Url::parse("file:///srv/simple/foo/").unwrap();
        let html = br#"<a href="../../files/foo-1.0.tar.gz">x</a><a href="https://h/foo-1.1.tar.gz">y</a>"#;
        let files = parse_html(html, &local, &name("foo")).unwrap();
        let urls: Vec<&str> = files.iter().map(DistFile::url).collect();
        assert_eq!(
            urls,
            [
                "file:///srv/files/foo-1.0.tar.gz",
                "https://h/foo-1.1.tar.gz"
            ]
        );
    }

    #[test]
    fn deep_nesting_is_no_stack_overflow() {
        let base = Url::parse("https://i/simple/foo/").unwrap();
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let json = format!(
            r#"{{"meta":{deep},"files":[{{"filename":"foo-1.0.tar.gz","url":"f","x":{deep}}}]}}"#
        );
        assert_eq!(
            parse_json(json.as_bytes(), &base, &name("foo"))
                .unwrap()
                .len(),
            1
        );
        let html = format!(
            "<html>{}<a href=\"f/foo-1.0.tar.gz\">x</a>",
            "<div><span>".repeat(100_000)
        );
        assert_eq!(
            parse_html(html.as_bytes(), &base, &name("foo"))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn pages_have_bounded_files_and_tags() {
        let base = Url::parse("https://i/simple/foo/").unwrap();
        let limits = Limits { files: 3, tags: 8 };
        let entry = |i: usize| format!(r#"{{"filename":"foo-1.{i}.tar.gz","url":"f"}}"#);
        let other = r#"{"filename":"bar-1.0.tar.gz","url":"f"}"#;
        let json = |n: usize| {
            let mut entries: Vec<String> = (0..n).map(entry).collect();
            entries.extend(vec![other.to_string(); 10]);
            format!(r#"{{"files":[{}]}}"#, entries.join(","))
        };
        let parse = |body: String| parse_json_within(body.as_bytes(), &base, &name("foo"), limits);
        assert_eq!(
            parse(json(3)).unwrap().len(),
            3,
            "other projects' files are free"
        );
        assert_eq!(
            parse(json(4)).unwrap_err().0,
            "it lists more than 3 files, more than any real project page"
        );
        let html = |tags: &[&str]| format!("<html>{}", tags.concat());
        let parse = |body: String| parse_html_within(body.as_bytes(), &base, &name("foo"), limits);
        assert!(parse(html(&["<b>"; 7])).is_ok());
        assert_eq!(
            parse(html(&["<b>"; 8])).unwrap_err().0,
            "it has more than 8 tags, more than any real project page"
        );
        let a = |v: &str| format!("<a href=foo-{v}.tar.gz>");
        assert_eq!(
            parse(html(&[&a("1"), &a("2"), &a("3"), "<a href=x>"]))
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            parse(html(&[&a("1"), &a("2"), &a("3"), &a("4")]))
                .unwrap_err()
                .0,
            "it lists more than 3 files, more than any real project page"
        );
    }

    #[test]
    fn json_pages_without_files_or_not_objects_are_errors() {
        let base = Url::parse("https://i/simple/foo/").unwrap();
        assert_eq!(
            parse_json(br#"{"name":"foo"}"#, &base, &name("foo"))
                .unwrap_err()
                .0,
            "invalid PEP 691 JSON: missing field `files` at line 1 column 14"
        );
        assert_eq!(
            parse_json(b"[]", &base, &name("foo")).unwrap_err().0,
            "invalid PEP 691 JSON: invalid type: sequence, expected a PEP 691 project object at line 1 column 0"
        );
        assert_eq!(
            parse_json(br#"{"files":[]} x"#, &base, &name("foo"))
                .unwrap_err()
                .0,
            "invalid PEP 691 JSON: trailing characters at line 1 column 14"
        );
    }

    #[test]
    fn unescape_numeric_and_named() {
        assert_eq!(
            unescape("&gt;=3.6&#44;&#x3c;4 &amp; &bogus; &"),
            ">=3.6,<4 & &bogus; &"
        );
    }
}
