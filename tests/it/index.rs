//! Tests of the index client (`wheelwatch::index`) against the local test index, and of the
//! test index itself.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;

use crate::common::{CoreMetadata, FileSpec, TestIndex};

/// A minimal raw HTTP/1.1 GET (Connection: close) so the harness is tested independently of
/// the client under test.
fn raw_get(index: &TestIndex, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(index.addr()).expect("connect");
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        index.addr()
    );
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("write");
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).expect("read");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let mut body = buf[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

fn sample() -> TestIndex {
    TestIndex::builder()
        .project("numpy", |p| {
            p.wheel(
                "2.2.6",
                "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
            )
            .sdist("2.2.6")
            .wheel_with("1.0", "py3-none-any", |w| {
                w.requires_dist("six>=1")
                    .requires_python(">=3.8")
                    .yanked("bad")
            })
        })
        .project("Foo.Bar", |p| {
            p.wheel_with("0.1", "py3-none-any", |w| {
                w.core_metadata(CoreMetadata::Broken)
            })
        })
        .serve()
}

#[test]
fn harness_negotiates_json_and_html_and_redirects() {
    let index = sample();
    let (status, head, body) = raw_get(
        &index,
        "/simple/numpy/",
        &[(
            "Accept",
            "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
        )],
    );
    assert_eq!(status, 200);
    assert!(
        head.contains("application/vnd.pypi.simple.v1+json"),
        "{head}"
    );
    let json: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
    assert_eq!(json["files"].as_array().unwrap().len(), 3);
    assert_eq!(json["files"][2]["yanked"], "bad");
    assert_eq!(json["files"][2]["requires-python"], ">=3.8");

    let (status, head, body) = raw_get(&index, "/simple/numpy/", &[("Accept", "text/html")]);
    assert_eq!(status, 200);
    assert!(head.contains("text/html"), "{head}");
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("data-yanked=\"bad\""), "{html}");
    assert!(html.contains("data-requires-python=\"&gt;=3.8\""), "{html}");

    let (status, head, _) = raw_get(&index, "/simple/Foo_Bar/", &[]);
    assert_eq!(status, 301);
    assert!(head.contains("Location: /simple/foo-bar/"), "{head}");
    assert_eq!(raw_get(&index, "/simple/missing/", &[]).0, 404);
    assert_eq!(index.count_requests("/simple/numpy/"), 2);
    assert_eq!(
        index.request_log()[0]
            .accept
            .as_deref()
            .map(|a| a.starts_with("application/vnd")),
        Some(true)
    );
}

#[test]
fn harness_serves_real_wheels_with_ranges_and_metadata() {
    let index = sample();
    let wheel = index
        .files("numpy")
        .into_iter()
        .find(|f| f.filename.ends_with("py3-none-any.whl"))
        .unwrap();
    let (status, _, body) = raw_get(&index, &format!("/files/{}", wheel.filename), &[]);
    assert_eq!(status, 200);
    assert_eq!(body, wheel.bytes);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a real zip");
    let mut metadata = String::new();
    zip.by_name("numpy-1.0.dist-info/METADATA")
        .unwrap()
        .read_to_string(&mut metadata)
        .unwrap();
    assert!(metadata.contains("Requires-Dist: six>=1\n"), "{metadata}");
    assert!(metadata.contains("Requires-Python: >=3.8\n"), "{metadata}");
    assert!(zip.by_name("numpy-1.0.dist-info/RECORD").is_ok());
    assert!(zip.by_name("numpy/__init__.py").is_ok());

    let (status, head, tail) = raw_get(
        &index,
        &format!("/files/{}", wheel.filename),
        &[("Range", "bytes=-22")],
    );
    assert_eq!(status, 206);
    assert_eq!(tail, wheel.bytes[wheel.bytes.len() - 22..]);
    assert!(
        head.contains(&format!(
            "Content-Range: bytes {}-{}/{}",
            wheel.bytes.len() - 22,
            wheel.bytes.len() - 1,
            wheel.bytes.len()
        )),
        "{head}"
    );
    assert_eq!(
        &tail[..4],
        b"PK\x05\x06",
        "the end-of-central-directory record"
    );

    let (status, _, md) = raw_get(&index, &format!("/files/{}.metadata", wheel.filename), &[]);
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(md).unwrap(), metadata);
    let broken = &index.files("foo-bar")[0];
    assert_eq!(
        raw_get(&index, &format!("/files/{}.metadata", broken.filename), &[]).0,
        404
    );

    let sdist = index
        .files("numpy")
        .into_iter()
        .find(|f| f.filename.ends_with(".tar.gz"))
        .unwrap();
    assert_eq!(sdist.filename, "numpy-2.2.6.tar.gz");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&sdist.bytes[..]));
    let names: Vec<String> = tar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(
        names.contains(&"numpy-2.2.6/PKG-INFO".to_string()),
        "{names:?}"
    );
}

#[test]
fn harness_is_deterministic_and_writes_find_links() {
    let a = sample();
    let b = sample();
    for (x, y) in a.files("numpy").iter().zip(b.files("numpy").iter()) {
        assert_eq!(x.sha256, y.sha256, "{} differs between builds", x.filename);
    }
    let dir = tempfile::tempdir().unwrap();
    let written = a.write_files(dir.path()).unwrap();
    assert_eq!(written.len(), 4);
    assert!(dir.path().join("foo_bar-0.1-py3-none-any.whl").is_file());
}

#[test]
fn harness_auth_and_html_only() {
    let index = TestIndex::builder()
        .html_only()
        .basic_auth("alice", "s3cret")
        .project("six", |p| p.wheel("1.16.0", "py2.py3-none-any"))
        .serve();
    assert_eq!(raw_get(&index, "/simple/six/", &[]).0, 401);
    let (status, head, _) = raw_get(
        &index,
        "/simple/six/",
        &[
            ("Accept", "application/vnd.pypi.simple.v1+json"),
            ("Authorization", "Basic YWxpY2U6czNjcmV0"),
        ],
    );
    assert_eq!(status, 200);
    assert!(head.contains("text/html"), "{head}");
}

/// A CPython with pip (`python3`, then pyenv's 3.1x, newest first), or `None`.
fn python_with_pip() -> Option<std::path::PathBuf> {
    crate::common::python_with("import pip")
}

#[test]
fn harness_index_and_wheels_work_with_real_pip() {
    let Some(python) = python_with_pip() else {
        crate::common::skip("no CPython with pip under ~/.pyenv/versions");
        return;
    };
    let index = TestIndex::builder()
        .project("good-pkg", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| w.requires_dist("dep_pkg>=2"))
        })
        .project("dep.pkg", |p| {
            p.wheel("2.1", "py3-none-any").wheel("3.0", "py3-none-any")
        })
        .project("broken", |p| {
            p.wheel_with(
                "0.1",
                "py3-none-any",
                crate::common::FileSpec::raises_on_import,
            )
        })
        .serve();
    let target = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--index-url",
        ])
        .arg(index.url())
        .arg("--target")
        .arg(target.path())
        .args(["good-pkg", "broken"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |code: &str| {
        std::process::Command::new(&python)
            .env("PYTHONPATH", target.path())
            .args(["-c", code])
            .output()
            .unwrap()
    };
    let ok = run("import good_pkg, dep_pkg; print(good_pkg.__version__, dep_pkg.__version__)");
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "1.0 3.0");
    let bad = run("import broken");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("broken on purpose"));
    assert!(
        index.count_requests("/simple/dep-pkg/") >= 1,
        "pip followed the dependency"
    );
}

// ---------------------------------------------------------------------------------------------
// The index client against the harness.

use std::str::FromStr;
use std::time::Duration;

use pep508_rs::PackageName;
use wheelwatch::dist::ProjectPage;
use wheelwatch::index::{CacheMode, IndexClient, IndexError, IndexSettings, ProjectLookup};

fn pkg(name: &str) -> PackageName {
    PackageName::from_str(name).unwrap()
}

/// Settings pointing at `index_url`, with a private cache dir and fast retries.
fn settings(index_url: &str, cache: Option<&std::path::Path>) -> IndexSettings {
    let mut s = IndexSettings {
        index_url: index_url.to_string(),
        timeout: Duration::from_secs(5),
        retries: 2,
        retry_backoff: Duration::from_millis(1),
        ..IndexSettings::default()
    };
    s.cache.dir = cache.map(std::path::Path::to_path_buf);
    if cache.is_none() {
        s.cache.mode = CacheMode::NoCache;
    }
    s
}

async fn found(client: &IndexClient, name: &str) -> std::sync::Arc<ProjectPage> {
    match client.project(&pkg(name)).await {
        Ok(ProjectLookup::Found(page)) => page,
        other => panic!("expected `{name}` to be found, got {other:?}"),
    }
}

/// A comparable summary of a page: every field the index client fills, sorted.
fn summary(page: &ProjectPage) -> Vec<String> {
    let mut out: Vec<String> = page
        .files
        .iter()
        .map(|f| {
            format!(
                "{} {} rp={:?} yanked={:?} md={} sha={:?}",
                f.filename(),
                f.url(),
                f.requires_python,
                f.yanked,
                f.core_metadata,
                f.sha256()
            )
        })
        .collect();
    out.sort();
    out
}

fn rich_index(builder: crate::common::TestIndexBuilder) -> TestIndex {
    builder
        .project("numpy", |p| {
            p.wheel(
                "2.2.6",
                "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
            )
            .sdist("2.2.6")
            .wheel_with("1.0", "py3-none-any", |w| {
                w.requires_dist("six>=1")
                    .requires_python(">=3.8,<4")
                    .yanked("bad build")
            })
            .wheel_with("0.9", "py3-none-any", |w| {
                w.yanked("").core_metadata(CoreMetadata::Absent)
            })
            .sdist_with("0.8", |s| s.filename("numpy-0.8.exe"))
        })
        .serve()
}

#[tokio::test]
async fn json_and_html_pages_give_the_same_project_page() {
    let json_index = rich_index(TestIndex::builder());
    let html_index = rich_index(TestIndex::builder().html_only());
    let json_page = found(
        &IndexClient::new(settings(&json_index.url(), None)).unwrap(),
        "numpy",
    )
    .await;
    let html_page = found(
        &IndexClient::new(settings(&html_index.url(), None)).unwrap(),
        "numpy",
    )
    .await;
    assert_eq!(
        json_page.files.len(),
        4,
        "the .exe is skipped, the rest kept"
    );
    let port = |s: &str, idx: &TestIndex| s.replace(&idx.base_url(), "BASE");
    let a: Vec<String> = summary(&json_page)
        .iter()
        .map(|s| port(s, &json_index))
        .collect();
    let b: Vec<String> = summary(&html_page)
        .iter()
        .map(|s| port(s, &html_index))
        .collect();
    assert_eq!(a, b);
    let one = json_page
        .files
        .iter()
        .find(|f| f.version().to_string() == "1.0")
        .unwrap();
    assert_eq!(one.yanked.as_deref(), Some("bad build"));
    assert_eq!(one.requires_python_str(), Some(">=3.8,<4"));
    assert!(one.core_metadata);
    let old = json_page
        .files
        .iter()
        .find(|f| f.version().to_string() == "0.9")
        .unwrap();
    assert_eq!(
        old.yanked.as_deref(),
        Some(""),
        "yanked without a reason is still yanked"
    );
    assert!(!old.core_metadata);
    // The JSON index was asked for JSON; the HTML-only one answered HTML anyway.
    assert!(
        json_index.request_log()[0]
            .accept
            .as_deref()
            .unwrap()
            .starts_with("application/vnd.pypi.simple.v1+json")
    );
}

#[tokio::test]
async fn relative_json_urls_resolve_against_the_page() {
    let index = TestIndex::builder()
        .relative_json_urls()
        .project("Foo.Bar", |p| p.wheel("1.0", "py3-none-any"))
        .serve();
    let client = IndexClient::new(settings(&index.url(), None)).unwrap();
    let page = found(&client, "foo-bar").await;
    assert_eq!(
        page.files[0].url(),
        index.file_url("foo_bar-1.0-py3-none-any.whl")
    );
}

#[tokio::test]
async fn missing_project_is_not_found_but_failures_are_errors() {
    let index = TestIndex::builder()
        .project("down", |p| p.wheel("1.0", "py3-none-any").status(500))
        .project("junk", |p| p.wheel("1.0", "py3-none-any").garbage())
        .project("teapot", |p| p.status(418))
        .serve();
    let client = IndexClient::new(settings(&index.url(), None)).unwrap();
    assert!(matches!(
        client.project(&pkg("absent")).await,
        Ok(ProjectLookup::NotFound)
    ));

    let err = client.project(&pkg("down")).await.unwrap_err();
    assert!(
        matches!(
            err,
            IndexError::Status {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("/simple/down/"), "{err}");
    assert_eq!(
        index.count_requests("/simple/down/"),
        3,
        "one attempt and two retries"
    );

    let err = client.project(&pkg("junk")).await.unwrap_err();
    assert!(matches!(err, IndexError::InvalidPage { .. }), "{err:?}");
    assert_eq!(
        index.count_requests("/simple/junk/"),
        1,
        "garbage is not retried"
    );

    let err = client.project(&pkg("teapot")).await.unwrap_err();
    assert!(
        matches!(err, IndexError::Status { status: 418, .. }),
        "{err:?}"
    );
    assert!(client.stats().retries >= 2);
}

#[tokio::test]
async fn flaky_index_recovers_within_retries() {
    let index = TestIndex::builder()
        .project("six", |p| p.wheel("1.16.0", "py2.py3-none-any").flaky(2))
        .serve();
    let client = IndexClient::new(settings(&index.url(), None)).unwrap();
    let page = found(&client, "six").await;
    assert_eq!(page.files.len(), 1);
    assert_eq!(index.count_requests("/simple/six/"), 3);
    assert_eq!(client.stats().retries, 2);
}

#[tokio::test]
async fn timeouts_are_errors_after_retries() {
    let index = TestIndex::builder()
        .project("slow", |p| {
            p.wheel("1.0", "py3-none-any")
                .delay(Duration::from_millis(1500))
        })
        .serve();
    let mut s = settings(&index.url(), None);
    s.timeout = Duration::from_millis(200);
    s.retries = 1;
    let client = IndexClient::new(s).unwrap();
    let err = client.project(&pkg("slow")).await.unwrap_err();
    assert!(
        matches!(err, IndexError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(index.count_requests("/simple/slow/"), 2);
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut s = settings(&format!("http://{addr}/simple/"), None);
    s.retries = 1;
    let client = IndexClient::new(s).unwrap();
    let err = client.project(&pkg("anything")).await.unwrap_err();
    assert!(
        matches!(err, IndexError::Network { attempts: 2, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn credentials_authenticate_and_never_leak() {
    let index = TestIndex::builder()
        .basic_auth("alice", "s3cret-token")
        .project("private", |p| p.wheel("1.0", "py3-none-any"))
        .project("down", |p| p.status(503))
        .serve();
    let client = IndexClient::new(settings(
        &index.url_with_credentials("alice", "s3cret-token"),
        None,
    ))
    .unwrap();
    let page = found(&client, "private").await;
    assert!(
        !page.files[0].url().contains("s3cret"),
        "{}",
        page.files[0].url()
    );
    assert!(
        !page.files[0].url().contains("alice"),
        "{}",
        page.files[0].url()
    );
    let auth = index.request_log()[0].authorization.clone().unwrap();
    assert!(auth.starts_with("Basic "));
    let err = client.project(&pkg("down")).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!format!("{client:?} {:?}", client.index_urls()).contains("s3cret"));

    // Wrong credentials: an error that says so, still without the secret.
    let client = IndexClient::new(settings(
        &index.url_with_credentials("alice", "wrong-pw"),
        None,
    ))
    .unwrap();
    let err = client.project(&pkg("private")).await.unwrap_err();
    assert!(
        matches!(err, IndexError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("wrong-pw"));
}

#[tokio::test]
async fn cache_makes_second_run_free_and_offline_works_from_it() {
    let index = TestIndex::builder()
        .project("six", |p| p.wheel("1.16.0", "py2.py3-none-any"))
        .serve();
    let cache = tempfile::tempdir().unwrap();
    let first = found(
        &IndexClient::new(settings(&index.url(), Some(cache.path()))).unwrap(),
        "six",
    )
    .await;
    assert!(matches!(
        IndexClient::new(settings(&index.url(), Some(cache.path())))
            .unwrap()
            .project(&pkg("absent"))
            .await,
        Ok(ProjectLookup::NotFound)
    ));
    assert_eq!(index.page_requests(), 2);

    // A new client (a new run): no request at all, same answers.
    let client = IndexClient::new(settings(&index.url(), Some(cache.path()))).unwrap();
    let second = found(&client, "six").await;
    assert!(matches!(
        client.project(&pkg("absent")).await,
        Ok(ProjectLookup::NotFound)
    ));
    assert_eq!(index.page_requests(), 2, "the warm run made requests");
    assert_eq!(summary(&first), summary(&second));
    assert_eq!(client.stats().cache_hits, 2);

    // Offline: served from the cache even when the index is down; clear error otherwise.
    index.set_status("six", Some(500));
    let mut s = settings(&index.url(), Some(cache.path()));
    s.cache.mode = CacheMode::Offline;
    s.cache.max_age = Duration::ZERO;
    let client = IndexClient::new(s).unwrap();
    assert_eq!(summary(&*found(&client, "six").await), summary(&first));
    let err = client.project(&pkg("numpy")).await.unwrap_err();
    assert!(matches!(err, IndexError::Offline { .. }));
    assert!(err.to_string().contains("`numpy`"), "{err}");
    assert_eq!(index.page_requests(), 2, "offline mode made a request");

    // Refresh: asks again even though the entry is fresh.
    index.set_status("six", None);
    let mut s = settings(&index.url(), Some(cache.path()));
    s.cache.mode = CacheMode::Refresh;
    found(&IndexClient::new(s).unwrap(), "six").await;
    assert_eq!(index.page_requests(), 3);
}

/// A cache entry that was truncated, damaged, emptied or written in the previous (JSON)
/// layout is a miss: the page is fetched again, the answer is the same as from a good entry,
/// and the rewritten entry serves the next run without a request.
#[tokio::test]
async fn damaged_cache_entries_are_fetched_again() {
    let index = TestIndex::builder()
        .project("six", |p| {
            p.wheel("1.16.0", "py2.py3-none-any")
                .sdist("1.16.0")
                .wheel("1.17.0", "py2.py3-none-any")
        })
        .serve();
    let cache = tempfile::tempdir().unwrap();
    let s = settings(&index.url(), Some(cache.path()));
    let first = found(&IndexClient::new(s.clone()).unwrap(), "six").await;
    assert_eq!(summary(&first).len(), 3);
    let mut entries = Vec::new();
    let mut dirs = vec![cache.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().ends_with("/six.page") {
                entries.push(path);
            }
        }
    }
    let [entry] = entries.as_slice() else {
        panic!("expected one entry for six, found {entries:?}");
    };
    let good = std::fs::read(entry).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let damages: [(&str, Vec<u8>); 4] = [
        ("truncated", good[..good.len() - 7].to_vec()),
        ("one bit flipped", flipped),
        ("empty", Vec::new()),
        (
            "an old JSON entry",
            br#"{"fetched_at":99999999999,"etag":null,"last_modified":null,"max_age":null,"files":null}"#
                .to_vec(),
        ),
    ];
    for (n, (what, bytes)) in damages.into_iter().enumerate() {
        std::fs::write(entry, bytes).unwrap();
        let client = IndexClient::new(s.clone()).unwrap();
        let page = found(&client, "six").await;
        assert_eq!(summary(&page), summary(&first), "{what}");
        assert_eq!(client.stats().cache_hits, 0, "{what}: the entry was used");
        assert_eq!(index.page_requests(), 2 + n, "{what}: not fetched again");
        let client = IndexClient::new(s.clone()).unwrap();
        assert_eq!(summary(&*found(&client, "six").await), summary(&first));
        assert_eq!(
            client.stats().cache_hits,
            1,
            "{what}: the entry was not rewritten"
        );
        assert_eq!(index.page_requests(), 2 + n, "{what}");
    }
}

#[tokio::test]
async fn stale_entries_are_revalidated_with_etag_and_last_modified() {
    for etag in [true, false] {
        let builder =
            TestIndex::builder().project("six", |p| p.wheel("1.16.0", "py2.py3-none-any"));
        let index = if etag {
            builder.etag().serve()
        } else {
            builder.last_modified().serve()
        };
        let cache = tempfile::tempdir().unwrap();
        let mut s = settings(&index.url(), Some(cache.path()));
        s.cache.max_age = Duration::ZERO;
        found(&IndexClient::new(s.clone()).unwrap(), "six").await;
        let client = IndexClient::new(s.clone()).unwrap();
        let page = found(&client, "six").await;
        assert_eq!(page.files.len(), 1);
        let log = index.request_log();
        assert_eq!(log.len(), 2);
        if etag {
            assert!(log[1].if_none_match.is_some(), "no If-None-Match sent");
        } else {
            assert!(
                log[1].if_modified_since.is_some(),
                "no If-Modified-Since sent"
            );
        }
        let stats = client.stats();
        assert_eq!(stats.not_modified, 1, "expected a 304 ({stats:?})");
        assert_eq!(stats.bytes, 0, "a 304 carries no body");

        // The page changes: the validator no longer matches, the new file appears.
        index.add_file(
            "six",
            crate::common::FileSpec::wheel("six", "1.17.0", "py2.py3-none-any"),
        );
        let page = found(&IndexClient::new(s).unwrap(), "six").await;
        assert_eq!(page.files.len(), if etag { 2 } else { 1 }, "etag={etag}");
    }
}

#[tokio::test]
async fn server_max_age_is_honoured() {
    let index = TestIndex::builder()
        .max_age(0)
        .project("six", |p| p.wheel("1.16.0", "py2.py3-none-any"))
        .serve();
    let cache = tempfile::tempdir().unwrap();
    let s = settings(&index.url(), Some(cache.path()));
    found(&IndexClient::new(s.clone()).unwrap(), "six").await;
    found(&IndexClient::new(s).unwrap(), "six").await;
    assert_eq!(
        index.page_requests(),
        2,
        "max-age=0 must beat the 10-minute default"
    );
}

#[tokio::test]
async fn find_links_directory_and_extra_index_merge() {
    let primary = TestIndex::builder()
        .project("numpy", |p| {
            p.wheel("2.2.6", "cp312-cp312-manylinux_2_17_x86_64")
        })
        .serve();
    let extra = TestIndex::builder()
        .project("numpy", |p| p.wheel("2.2.6", "cp312-cp312-win_amd64"))
        .project("only-extra", |p| p.sdist("1.0"))
        .serve();
    let links = tempfile::tempdir().unwrap();
    TestIndex::builder()
        .project("numpy", |p| {
            p.wheel("2.2.6", "cp312-cp312-musllinux_1_2_x86_64")
        })
        .project("local-only", |p| p.wheel("0.1", "py3-none-any"))
        .write_files(links.path())
        .unwrap();
    std::fs::write(links.path().join("README.txt"), "not a distribution").unwrap();

    let mut s = settings(&primary.url(), None);
    s.extra_index_urls = vec![extra.url()];
    s.find_links = vec![links.path().display().to_string()];
    let client = IndexClient::new(s).unwrap();
    let page = found(&client, "numpy").await;
    let mut platforms: Vec<String> = page
        .files
        .iter()
        .map(|f| f.wheel().unwrap().platform_tag())
        .collect();
    platforms.sort();
    assert_eq!(
        platforms,
        ["manylinux_2_17_x86_64", "musllinux_1_2_x86_64", "win_amd64"]
    );
    let local = page
        .files
        .iter()
        .find(|f| f.filename().contains("musllinux"))
        .unwrap();
    assert!(local.url().starts_with("file://"), "{}", local.url());
    found(&client, "only-extra").await;
    let local_only = found(&client, "local-only").await;
    assert_eq!(local_only.files.len(), 1);
    assert!(matches!(
        client.project(&pkg("nowhere")).await,
        Ok(ProjectLookup::NotFound)
    ));

    // --no-index: find-links only.
    let mut s = settings(&primary.url(), None);
    s.no_index = true;
    s.find_links = vec![links.path().display().to_string()];
    primary.clear_log();
    let client = IndexClient::new(s).unwrap();
    assert_eq!(found(&client, "numpy").await.files.len(), 1);
    assert!(primary.request_log().is_empty());

    // A missing find-links directory is an error, not an empty listing.
    let mut s = settings(&primary.url(), None);
    s.find_links = vec![links.path().join("nope").display().to_string()];
    let err = IndexClient::new(s)
        .unwrap()
        .project(&pkg("numpy"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test]
async fn an_error_on_one_index_is_not_hidden_by_another() {
    let good = TestIndex::builder()
        .project("six", |p| p.wheel("1.16.0", "py2.py3-none-any"))
        .serve();
    let bad = TestIndex::builder()
        .project("six", |p| p.status(500))
        .serve();
    let mut s = settings(&good.url(), None);
    s.extra_index_urls = vec![bad.url()];
    s.retries = 0;
    let err = IndexClient::new(s)
        .unwrap()
        .project(&pkg("six"))
        .await
        .unwrap_err();
    assert!(matches!(err, IndexError::Status { status: 500, .. }));
}

#[tokio::test]
async fn concurrent_lookups_of_one_project_share_a_request() {
    let index = TestIndex::builder()
        .project("six", |p| {
            p.wheel("1.16.0", "py2.py3-none-any")
                .delay(Duration::from_millis(100))
        })
        .serve();
    let client = IndexClient::new(settings(&index.url(), None)).unwrap();
    let name = pkg("six");
    let (a, b) = tokio::join!(client.project(&name), client.project(&name));
    assert!(matches!(a, Ok(ProjectLookup::Found(_))) && matches!(b, Ok(ProjectLookup::Found(_))));
    assert_eq!(index.page_requests(), 1);
}

#[tokio::test]
async fn warm_run_of_seventy_big_projects_reads_only_the_cache() {
    const TAGS: [&str; 8] = [
        "cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",
        "cp312-cp312-musllinux_1_2_x86_64",
        "cp312-cp312-macosx_11_0_arm64",
        "cp313-cp313-win_amd64",
        "cp313-cp313t-manylinux_2_28_x86_64",
        "py3-none-any",
    ];
    let mut builder = TestIndex::builder();
    for p in 0..70 {
        builder = builder.project(&format!("project-{p}"), |mut proj| {
            for v in 0..20 {
                for tags in TAGS {
                    proj = proj.wheel_with(&format!("1.{v}.0"), tags, |w| {
                        w.listing_only().requires_python(">=3.9")
                    });
                }
                proj = proj.sdist_with(&format!("1.{v}.0"), FileSpec::listing_only);
            }
            proj
        });
    }
    let index = builder.serve();
    let cache = tempfile::tempdir().unwrap();
    let names: Vec<PackageName> = (0..70).map(|p| pkg(&format!("project-{p}"))).collect();
    let run = || async {
        // Generous timeout: the cold run renders 70 big pages in an unoptimized test server on
        // a shared machine; only the warm run's behaviour is asserted.
        let mut s = settings(&index.url(), Some(cache.path()));
        s.timeout = Duration::from_mins(2);
        let client = IndexClient::new(s).unwrap();
        let start = std::time::Instant::now();
        let pages = futures::future::join_all(names.iter().map(|n| client.project(n))).await;
        let elapsed = start.elapsed();
        let files: usize = pages
            .into_iter()
            .map(|p| match p {
                Ok(ProjectLookup::Found(page)) => page.files.len(),
                other => panic!("{other:?}"),
            })
            .sum();
        (elapsed, files, client.stats())
    };
    let (cold, files, _) = run().await;
    assert_eq!(files, 70 * 20 * 9);
    let requests = index.page_requests();
    let (warm, warm_files, stats) = run().await;
    assert_eq!(warm_files, files);
    assert_eq!(
        index.page_requests(),
        requests,
        "the warm run made requests"
    );
    assert_eq!(stats.cache_hits, 70);
    eprintln!("70 projects x 180 files: cold {cold:?}, warm {warm:?} (this build's profile)");
}

// ---------------------------------------------------------------------------------------------
// Core metadata for the resolver.

use wheelwatch::index::MetadataSource;

fn metadata_index(builder: crate::common::TestIndexBuilder) -> TestIndex {
    builder
        .project("pkg", |p| {
            p.wheel_with("1.0", "py3-none-any", |w| {
                w.requires_dist("six>=1").provides_extra("fast")
            })
            .wheel_with("1.1", "py3-none-any", |w| {
                w.requires_dist("attrs")
                    .core_metadata(CoreMetadata::Unadvertised)
            })
            .wheel_with("1.2", "py3-none-any", |w| {
                w.requires_dist("idna").core_metadata(CoreMetadata::Broken)
            })
            .wheel_with("1.3", "py3-none-any", |w| {
                w.requires_dist("big-dep")
                    .core_metadata(CoreMetadata::Absent)
                    .padding(200_000)
            })
            .sdist_with("1.4", |s| {
                s.requires_dist("sdist-dep").requires_python(">=3.9")
            })
        })
        .serve()
}

async fn metadata_of(client: &IndexClient, version: &str, ext: &str) -> (String, MetadataSource) {
    let page = found(client, "pkg").await;
    let file = page
        .files
        .iter()
        .find(|f| f.version().to_string() == version && f.filename().ends_with(ext))
        .unwrap();
    let md = client
        .metadata(file)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (String::from_utf8(md.bytes.to_vec()).unwrap(), md.source)
}

#[tokio::test]
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "request paths of lowercase fixtures"
)]
async fn metadata_prefers_pep658_then_ranges_then_download() {
    let index = metadata_index(TestIndex::builder());
    let client = IndexClient::new(settings(&index.url(), None)).unwrap();
    let expected = |v: &str| {
        let f = index
            .files("pkg")
            .into_iter()
            .find(|f| f.spec.version == v)
            .unwrap();
        String::from_utf8(f.metadata.clone()).unwrap()
    };

    index.clear_log();
    let (md, source) = metadata_of(&client, "1.0", ".whl").await;
    assert_eq!(md, expected("1.0"));
    assert!(md.contains("Requires-Dist: six>=1"));
    assert_eq!(source, MetadataSource::Pep658);
    assert_eq!(
        index.count_requests("/files/"),
        1,
        "{:?}",
        index.request_log()
    );

    // Served but not advertised: read with range requests, `.metadata` never asked for (as pip
    // and uv do; the public index answers such requests with a slow 404).
    index.clear_log();
    let (md, source) = metadata_of(&client, "1.1", ".whl").await;
    assert_eq!(
        (md, source),
        (expected("1.1"), MetadataSource::RangeRequests),
        "unadvertised but served"
    );
    let log = index.request_log();
    assert_eq!(
        index.count_requests("/files/pkg-1.1-py3-none-any.whl.metadata"),
        0,
        "{log:?}"
    );
    assert!(
        log.iter()
            .filter(|r| r.path.starts_with("/files/"))
            .all(|r| r.path.ends_with("pkg-1.1-py3-none-any.whl") && r.range.is_some()),
        "{log:?}"
    );

    // Advertised but 404: range requests, never the whole wheel.
    index.clear_log();
    let (md, source) = metadata_of(&client, "1.2", ".whl").await;
    assert_eq!(
        (md, source),
        (expected("1.2"), MetadataSource::RangeRequests)
    );
    assert_eq!(
        index.count_requests("/files/pkg-1.2-py3-none-any.whl.metadata"),
        1
    );
    let wheel_requests: Vec<_> = index
        .request_log()
        .into_iter()
        .filter(|r| r.path.ends_with(".whl"))
        .collect();
    assert!(!wheel_requests.is_empty());
    assert!(
        wheel_requests.iter().all(|r| r.range.is_some()),
        "{wheel_requests:?}"
    );

    // A wheel bigger than the first tail read: METADATA is fetched with a further range.
    index.clear_log();
    let (md, source) = metadata_of(&client, "1.3", ".whl").await;
    assert_eq!(
        (md, source),
        (expected("1.3"), MetadataSource::RangeRequests)
    );
    let log = index.request_log();
    let wheel_requests: Vec<_> = log.iter().filter(|r| r.path.ends_with(".whl")).collect();
    assert!(wheel_requests.len() >= 2, "{wheel_requests:?}");
    assert!(
        wheel_requests.iter().all(|r| r.range.is_some()),
        "{wheel_requests:?}"
    );
    let size = index
        .files("pkg")
        .into_iter()
        .find(|f| f.spec.version == "1.3")
        .unwrap()
        .bytes
        .len();
    assert!(size > 200_000);
    let stats = client.stats();
    assert!(
        stats.bytes < 150_000,
        "range requests downloaded {} bytes of a {size}-byte wheel",
        stats.bytes
    );

    // Sdists: PKG-INFO from the tar.gz, streamed in range requests.
    let (md, source) = metadata_of(&client, "1.4", ".tar.gz").await;
    assert_eq!(
        (md, source),
        (expected("1.4"), MetadataSource::RangeRequests)
    );
}

#[tokio::test]
async fn metadata_without_range_support_downloads_the_wheel() {
    let index = metadata_index(TestIndex::builder().no_ranges());
    let client = IndexClient::new(settings(&index.url(), None)).unwrap();
    let (md, source) = metadata_of(&client, "1.3", ".whl").await;
    assert!(md.contains("Requires-Dist: big-dep"), "{md}");
    assert_eq!(source, MetadataSource::FullDownload);
}

#[tokio::test]
async fn metadata_is_cached_so_a_second_run_makes_no_request() {
    let index = metadata_index(TestIndex::builder());
    let cache = tempfile::tempdir().unwrap();
    let client = IndexClient::new(settings(&index.url(), Some(cache.path()))).unwrap();
    for (v, ext) in [("1.0", ".whl"), ("1.2", ".whl"), ("1.4", ".tar.gz")] {
        metadata_of(&client, v, ext).await;
    }
    index.clear_log();
    let client = IndexClient::new(settings(&index.url(), Some(cache.path()))).unwrap();
    for (v, ext) in [("1.0", ".whl"), ("1.2", ".whl"), ("1.4", ".tar.gz")] {
        let (md, source) = metadata_of(&client, v, ext).await;
        assert_eq!(source, MetadataSource::Cache);
        assert!(md.starts_with("Metadata-Version: 2.1"));
    }
    assert!(index.request_log().is_empty(), "{:?}", index.request_log());
}

#[tokio::test]
async fn metadata_of_find_links_files_and_checksum_errors() {
    let links = tempfile::tempdir().unwrap();
    TestIndex::builder()
        .project("pkg", |p| {
            p.wheel_with("2.0", "py3-none-any", |w| w.requires_dist("local-dep"))
                .sdist_with("2.0", |s| s.requires_dist("local-dep"))
        })
        .write_files(links.path())
        .unwrap();
    let mut s = settings("http://127.0.0.1:9/simple/", None);
    s.no_index = true;
    s.find_links = vec![links.path().display().to_string()];
    let client = IndexClient::new(s).unwrap();
    let (md, source) = metadata_of(&client, "2.0", ".whl").await;
    assert!(md.contains("Requires-Dist: local-dep"));
    assert_eq!(source, MetadataSource::LocalFile);
    let (md, _) = metadata_of(&client, "2.0", ".tar.gz").await;
    assert!(md.contains("Requires-Dist: local-dep"));

    // A full download whose bytes do not match the listed sha256 is refused.
    let index = metadata_index(TestIndex::builder().no_ranges());
    let client = IndexClient::new(settings(&index.url(), None)).unwrap();
    let page = found(&client, "pkg").await;
    let mut file = page
        .files
        .iter()
        .find(|f| f.filename().ends_with(".tar.gz"))
        .unwrap()
        .clone();
    file.set_sha256(Some(&"00".repeat(32)));
    let err = client.metadata(&file).await.unwrap_err();
    assert!(err.to_string().contains("sha256 mismatch"), "{err}");
}

#[tokio::test]
async fn find_links_page_follows_redirects_and_resolves_against_the_final_url() {
    let index = TestIndex::builder()
        .project("Foo.Bar", |p| p.wheel("1.0", "py3-none-any").sdist("1.0"))
        .serve();
    let mut s = settings(&index.url(), None);
    s.no_index = true;
    // Not normalized: the server redirects to /simple/foo-bar/, whose links are relative.
    s.find_links = vec![format!("{}/simple/Foo_Bar/", index.base_url())];
    let client = IndexClient::new(s).unwrap();
    let page = found(&client, "foo-bar").await;
    let mut urls: Vec<&str> = page
        .files
        .iter()
        .map(wheelwatch::dist::DistFile::url)
        .collect();
    urls.sort_unstable();
    assert_eq!(
        urls,
        [
            index.file_url("foo_bar-1.0-py3-none-any.whl"),
            index.file_url("foo_bar-1.0.tar.gz")
        ]
    );
    assert_eq!(index.count_requests("/simple/Foo_Bar/"), 1);
    assert_eq!(index.count_requests("/simple/foo-bar/"), 1);
}

#[tokio::test]
async fn bad_certificate_file_and_bad_url_are_clear_errors() {
    let mut s = settings("https://index.invalid/simple/", None);
    s.cert = Some(std::path::PathBuf::from("/nonexistent/ca-bundle.pem"));
    let err = IndexClient::new(s).unwrap_err();
    assert!(matches!(err, IndexError::Certificate { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/ca-bundle.pem"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("empty.pem");
    std::fs::write(&pem, "not a certificate").unwrap();
    let mut s = settings("https://index.invalid/simple/", None);
    s.cert = Some(pem);
    assert!(matches!(
        IndexClient::new(s),
        Err(IndexError::Certificate { .. })
    ));

    // Certificates are decoded when the first request needs them: a bundle that does not decode
    // fails that request, naming the file.
    let bad = dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut s = settings("https://index.invalid/simple/", None);
    s.cert = Some(bad.clone());
    let client = IndexClient::new(s).expect("read, not yet decoded");
    let err = client
        .project(&"demo".parse().unwrap())
        .await
        .expect_err("the certificates do not decode");
    assert!(matches!(err, IndexError::Certificate { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&bad.display().to_string()),
        "{err}"
    );

    let err = IndexClient::new(settings("ftp://user:hunter2@host/simple/", None)).unwrap_err();
    assert!(matches!(err, IndexError::InvalidUrl { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A hostile or broken index, end to end: each answer is a clear per-package error with exit 3
// (or, where the index recovers, a normal verdict), in bounded time and memory.

use crate::common::{Fault, Route};

/// An index with `six` (a wheel and an sdist); `routes` bend its answers.
fn six_index(routes: Vec<(&str, Route)>) -> TestIndex {
    let mut builder = TestIndex::builder().project("six", |p| {
        p.wheel("1.17.0", "py2.py3-none-any").sdist("1.17.0")
    });
    for (path, route) in routes {
        builder = builder.route(path, route);
    }
    builder.serve()
}

/// A finished run: exit code, stdout and stderr with the index's address written `{base}`, and
/// how long it took.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// `wheelwatch check -p six --python 3.12@linux` (plus `args`) against `index`, with `env`,
/// in `dir`. Its stdin is a pipe that stays open, so reading it would hang; a run that takes a
/// minute fails the test.
fn check_in(dir: &std::path::Path, index: &TestIndex, args: &[&str], env: &[(&str, &str)]) -> Run {
    use std::process::Stdio;
    let mut cmd = crate::common::wheelwatch(dir);
    cmd.args([
        "check",
        "-p",
        "six",
        "--python",
        "3.12@linux",
        "--index-url",
    ])
    .arg(index.url())
    .args(args)
    .envs(env.iter().copied())
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let started = std::time::Instant::now();
    let mut child = cmd.spawn().expect("spawn wheelwatch");
    let _stdin = child.stdin.take();
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_mins(1) {
            let _ = child.kill();
            panic!("wheelwatch hung for a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let base = index.base_url();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap().replace(&base, "{base}"),
        stderr: stderr.join().unwrap().replace(&base, "{base}"),
        elapsed,
    }
}

/// [`check_in`] in a fresh directory (so with an empty cache).
fn check_six(index: &TestIndex, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    check_in(dir.path(), index, args, env)
}

/// The whole report when six installs from its wheel.
const SIX_HEALTHY: &str = "\
package  3.12 (primary)       
         manylinux_2_28_x86_64
six      ✓ 1.17.0             

targets
  3.12@manylinux_2_28_x86_64  primary   healthy    1/1 with wheels (100%)

verdict: primary healthy
";

/// The whole report when looking six up failed with `error`.
fn six_failed(error: &str) -> String {
    format!(
        "\
package  3.12 (primary)       
         manylinux_2_28_x86_64
six      ? error              

problems
  six on 3.12@manylinux_2_28_x86_64: could not assess: {error}

resolution
  resolution failed on 3.12@manylinux_2_28_x86_64: failed to list the versions of `six`: {error}

targets
  3.12@manylinux_2_28_x86_64  primary   no answer  0/0 with wheels (100%); resolution failed

verdict: assessment failed
  1 package lookup failed: no conclusion, so no fallback

recommendations
  1. Re-run when the index answers; the errors above prevented a verdict, so nothing should change on their account.
"
    )
}

/// Asserts a run failed to look six up with `error`, saying so on stdout and in the one stderr
/// line every exit 3 has.
fn assert_six_failed(run: &Run, error: &str) {
    let stderr = format!(
        "error: assessment failed, no verdict: six on 3.12@manylinux_2_28_x86_64: could not assess: {error}\n"
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (3, six_failed(error).as_str(), stderr.as_str()),
    );
}

const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";

#[test]
fn a_remote_page_never_opens_local_files() {
    // `/dev/zero` would grow memory without bound, `/dev/stdin` would hang (stdin is an open
    // pipe), any other file would be read: none is opened, the page is an error.
    let zero = r#"{"meta":{"api-version":"1.1"},"name":"six","files":[{"filename":"six-1.17.0-py2.py3-none-any.whl","url":"file:///dev/zero","hashes":{}}]}"#;
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", JSON_TYPE)
            .body(zero),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_six_failed(
        &run,
        "{base}/simple/six/ did not return a valid project page: it links `six-1.17.0-py2.py3-none-any.whl` to the local file `file:///dev/zero`; only an index or find-links location you name as a local path may list local files",
    );

    // `/dev/stdin`, and a FIFO named like an sdist in an HTML page: opening either would hang.
    let stdin = r#"{"meta":{"api-version":"1.1"},"name":"six","files":[{"filename":"six-1.17.0.tar.gz","url":"file:///dev/stdin","hashes":{}}]}"#;
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", JSON_TYPE)
            .body(stdin),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_six_failed(
        &run,
        "{base}/simple/six/ did not return a valid project page: it links `six-1.17.0.tar.gz` to the local file `file:///dev/stdin`; only an index or find-links location you name as a local path may list local files",
    );
    let fifo_dir = tempfile::tempdir().unwrap();
    let fifo = fifo_dir.path().join("six-1.17.0.tar.gz");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let html = format!(
        r#"<html><body><a href="file://{}">six-1.17.0.tar.gz</a>
        <a href="/files/six-1.17.0-py2.py3-none-any.whl">six-1.17.0-py2.py3-none-any.whl</a></body></html>"#,
        fifo.display()
    );
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", "text/html")
            .body(html),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_six_failed(
        &run,
        &format!(
            "{{base}}/simple/six/ did not return a valid project page: it links `six-1.17.0.tar.gz` to the local file `file://{}`; only an index or find-links location you name as a local path may list local files",
            fifo.display()
        ),
    );
    assert_eq!(index.count_requests("/files/"), 0);

    // A find-links page on the network may not list local files either.
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("six-1.17.0-py2.py3-none-any.whl");
    std::fs::write(&secret, "not read").unwrap();
    let links = format!(
        r#"<html><body><a href="file://{}">six-1.17.0-py2.py3-none-any.whl</a></body></html>"#,
        secret.display()
    );
    let index = six_index(vec![(
        "/links/",
        Route::status(200)
            .header("Content-Type", "text/html")
            .body(links),
    )]);
    let run = check_six(
        &index,
        &[
            "--no-index",
            "--find-links",
            &format!("{}/links/", index.base_url()),
        ],
        &[],
    );
    let error = format!(
        "{{base}}/links/ did not return a valid project page: it links `six-1.17.0-py2.py3-none-any.whl` to the local file `file://{}`; only an index or find-links location you name as a local path may list local files",
        secret.display()
    );
    assert_six_failed(&run, &error);
}

#[test]
fn a_local_index_the_user_names_may_list_local_files() {
    // A `file:` index laid out as pip reads one: <index>/<project>/index.html.
    let root = tempfile::tempdir().unwrap();
    TestIndex::builder()
        .project("six", |p| p.wheel("1.17.0", "py2.py3-none-any"))
        .write_files(&root.path().join("files"))
        .unwrap();
    let page = root.path().join("simple/six");
    std::fs::create_dir_all(&page).unwrap();
    std::fs::write(
        page.join("index.html"),
        r#"<html><body><a href="../../files/six-1.17.0-py2.py3-none-any.whl">six-1.17.0-py2.py3-none-any.whl</a></body></html>"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = url::Url::from_directory_path(root.path().join("simple")).unwrap();
    let (code, stdout, stderr) = crate::common::run(
        crate::common::wheelwatch(dir.path())
            .args([
                "check",
                "-p",
                "six",
                "-p",
                "ghost",
                "--python",
                "3.12@linux",
            ])
            .args(["--index-url", url.as_str()]),
    );
    let expected = "\
package  3.12 (primary)       
         manylinux_2_28_x86_64
six      ✓ 1.17.0             
ghost    ✗ not found          

problems
  ghost on 3.12@manylinux_2_28_x86_64: ghost is not on the index

resolution
  the requirements conflict on 3.12@manylinux_2_28_x86_64:
    Because no versions of ghost were found and you require ghost, your requirements cannot be satisfied.

targets
  3.12@manylinux_2_28_x86_64  primary   unhealthy  1/2 with wheels (50%); requirements conflict

verdict: complete failure
  1 of 2 packages has no wheel on 3.12@manylinux_2_28_x86_64 (ghost); the requirements conflict on 3.12@manylinux_2_28_x86_64; no fallback configured

recommendations
  1. Configure a fallback Python (`--fallback 3.11`) to learn whether one would work.
  2. ghost: not on the index; check the name or the index URL.
";
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (1, expected, ""));
}

#[test]
fn a_page_larger_than_the_cap_is_a_page_error() {
    // An answer that never ends is read up to the cap and no further.
    let index = six_index(vec![(
        "/simple/six/",
        Route::normal().fault(Fault::Endless),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_six_failed(
        &run,
        "{base}/simple/six/ sent more than 128 MiB, more than wheelwatch reads from one answer",
    );
    // An announced length over the cap is refused before reading anything.
    let head =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 99999999999\r\n\r\n<html>";
    let index = six_index(vec![(
        "/simple/six/",
        Route::normal().fault(Fault::Raw(head.to_vec())),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_six_failed(
        &run,
        "{base}/simple/six/ sent more than 128 MiB, more than wheelwatch reads from one answer",
    );
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
}

/// A gzip body that inflates to `mib` MiB of spaces, in about 5 KiB per 4 MiB: one deflate
/// stream of fully flushed (independent) blocks repeated, then an end block. Its CRC is wrong,
/// which only a reader reaching the end could notice.
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let mut deflate = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(64 << 10);
    deflate
        .compress_vec(
            &vec![b' '; 4 << 20],
            &mut block,
            flate2::FlushCompress::Full,
        )
        .unwrap();
    let mut end = Vec::with_capacity(64);
    deflate
        .compress_vec(&[], &mut end, flate2::FlushCompress::Finish)
        .unwrap();
    let mut body = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    body.extend(block.repeat(mib / 4));
    body.extend(end);
    body.extend([0; 8]);
    body
}

#[test]
fn a_compressed_page_is_capped_by_what_it_inflates_to() {
    let bomb = gzip_bomb(256);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", JSON_TYPE)
            .header("Content-Encoding", "gzip")
            .body(bomb),
    )]);
    assert_six_failed(
        &check_six(&index, &[], &[]),
        "{base}/simple/six/ sent more than 128 MiB, more than wheelwatch reads from one answer",
    );
}

#[test]
fn a_range_answer_longer_than_the_range_is_cut_off() {
    // No PEP 658 metadata, so the wheel's tail is asked for with a range; the answer claims to
    // be that range and never ends.
    let index = TestIndex::builder()
        .project("six", |p| {
            p.wheel_with("1.17.0", "py2.py3-none-any", |w| {
                w.core_metadata(CoreMetadata::Absent)
            })
        })
        .route(
            "/files/six-1.17.0-py2.py3-none-any.whl",
            Route::status(206)
                .header("Content-Range", "bytes 0-65535/99999999")
                .fault(Fault::Endless),
        )
        .serve();
    let run = check_six(&index, &[], &[]);
    let expected = "\
package  3.12 (primary)       
         manylinux_2_28_x86_64
six      ✓ 1.17.0             

resolution
  resolution failed on 3.12@manylinux_2_28_x86_64: failed to read the metadata of `six` 1.17.0: {base}/files/six-1.17.0-py2.py3-none-any.whl sent more than 65536 bytes, more than wheelwatch reads from one answer

targets
  3.12@manylinux_2_28_x86_64  primary   unhealthy  1/1 with wheels (100%); resolution failed

verdict: assessment failed
  the dependency resolution failed on 1 target (an index or metadata request failed): no conclusion, so no fallback

recommendations
  1. Re-run when the index answers; the errors above prevented a verdict, so nothing should change on their account.
";
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            3,
            expected,
            "error: assessment failed, no verdict: resolving on 3.12@manylinux_2_28_x86_64: failed to read the metadata of `six` 1.17.0: {base}/files/six-1.17.0-py2.py3-none-any.whl sent more than 65536 bytes, more than wheelwatch reads from one answer\n"
        )
    );
}

#[test]
fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    let retries = [("WHEELWATCH_HTTP_RETRIES", "2")];
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(429).header("Retry-After", "1").times(1),
    )]);
    let run = check_six(&index, &[], &retries);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, SIX_HEALTHY, "")
    );
    assert_eq!(index.page_requests(), 2);
    assert!(run.elapsed >= Duration::from_secs(1), "{:?}", run.elapsed);

    // An HTTP date two seconds ahead (whole seconds: at least one second's wait).
    let when = std::time::SystemTime::now() + Duration::from_secs(2);
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(503)
            .header("Retry-After", &httpdate::fmt_http_date(when))
            .times(1),
    )]);
    let run = check_six(&index, &[], &retries);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, SIX_HEALTHY, "")
    );
    assert_eq!(index.page_requests(), 2);
    assert!(run.elapsed >= Duration::from_secs(1), "{:?}", run.elapsed);

    // Longer than wheelwatch waits: no retry, and the error says why.
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(503).header("Retry-After", "3600"),
    )]);
    let run = check_six(&index, &[], &retries);
    assert_six_failed(
        &run,
        "{base}/simple/six/ answered HTTP 503 and asked to be retried in 3600 s; wheelwatch waits at most 60 s (1 attempt(s))",
    );
    assert_eq!(index.page_requests(), 1);
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
}

#[test]
fn a_connection_reset_mid_body_is_retried() {
    let index = six_index(vec![(
        "/simple/six/",
        Route::normal().fault(Fault::ResetAfter(20)).times(1),
    )]);
    let run = check_six(&index, &[], &[("WHEELWATCH_HTTP_RETRIES", "1")]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, SIX_HEALTHY, "")
    );
    assert_eq!(index.page_requests(), 2);

    // Every answer breaks off: an error after the retries, never "no such project".
    let index = six_index(vec![(
        "/simple/six/",
        Route::normal().fault(Fault::ResetAfter(20)),
    )]);
    let run = check_six(&index, &[], &[("WHEELWATCH_HTTP_RETRIES", "2")]);
    assert_six_failed(
        &run,
        "could not reach {base}/simple/six/ (3 attempt(s)): the answer broke off: Connection reset by peer (os error 104)",
    );
    // A body shorter than announced, then a clean close.
    let short = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 500\r\n\r\n<html>";
    let index = six_index(vec![(
        "/simple/six/",
        Route::normal().fault(Fault::Raw(short.to_vec())),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_six_failed(
        &run,
        "could not reach {base}/simple/six/ (1 attempt(s)): the answer broke off: end of file before message length reached",
    );
}

#[test]
fn slow_and_silent_servers_are_bounded_in_time() {
    // A byte every 50 ms: each attempt ends at the 1 s timeout, and all of them together at
    // four times that, whatever the retry count.
    let index = six_index(vec![(
        "/simple/six/",
        Route::normal().fault(Fault::Trickle(Duration::from_millis(50))),
    )]);
    let env = [
        ("WHEELWATCH_HTTP_TIMEOUT", "1"),
        ("WHEELWATCH_HTTP_RETRIES", "9"),
    ];
    let run = check_six(&index, &[], &env);
    assert_six_failed(
        &run,
        "{base}/simple/six/ did not answer within 1s (3 attempt(s))",
    );
    assert!(run.elapsed < Duration::from_secs(8), "{:?}", run.elapsed);

    // A server that reads the request and never answers.
    let index = six_index(vec![("/simple/six/", Route::normal().fault(Fault::Stall))]);
    let run = check_six(&index, &[], &[("WHEELWATCH_HTTP_TIMEOUT", "1")]);
    assert_six_failed(
        &run,
        "{base}/simple/six/ did not answer within 1s (1 attempt(s))",
    );
}

#[test]
fn redirect_loops_garbage_and_huge_headers_are_reported() {
    let cases = [
        (
            Route::status(302).header("Location", "/simple/six/"),
            "{base}/simple/six/ could not be fetched: it redirected too many times (a redirect loop?)",
        ),
        (
            Route::status(302).header("Location", "file:///etc/passwd"),
            "{base}/simple/six/ could not be fetched: it redirected (HTTP 302) to `file:///etc/passwd`, which wheelwatch does not follow",
        ),
        (
            Route::normal().fault(Fault::Raw(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n{}Content-Length: 0\r\n\r\n",
                    (0..200).fold(String::new(), |mut h, i| {
                        let _ = write!(h, "X-{i}: a\r\n");
                        h
                    })
                )
                .into_bytes(),
            )),
            "could not reach {base}/simple/six/ (1 attempt(s)): the answer's headers are too many or too large",
        ),
        (
            Route::normal().header("X-Padding", &"a".repeat(1 << 20)),
            "could not reach {base}/simple/six/ (1 attempt(s)): the answer's headers are too many or too large",
        ),
        (
            Route::normal().fault(Fault::Raw(b"garbage\r\n\r\n".to_vec())),
            "could not reach {base}/simple/six/ (1 attempt(s)): the answer is not HTTP: invalid HTTP version parsed",
        ),
        (
            Route::normal().body("{\"files\": [{\"filename\": \"six-1.17"),
            "{base}/simple/six/ did not return a valid project page: invalid PEP 691 JSON: EOF while parsing a string at line 1 column 33",
        ),
    ];
    for (route, error) in cases {
        let index = six_index(vec![("/simple/six/", route)]);
        assert_six_failed(&check_six(&index, &[], &[]), error);
    }
}

#[test]
fn a_file_name_with_a_control_character_is_not_a_wheel() {
    // The wheel is listed under a name with a newline: skipped (as pip does with names it
    // cannot parse), so six has only its sdist.
    let index = six_index(vec![]);
    let page = r#"{"meta":{"api-version":"1.1"},"name":"six","files":[
        {"filename":"six-1.17.0-py2.py3-none-any\n.whl","url":"{base}/files/six-1.17.0-py2.py3-none-any.whl","hashes":{}},
        {"filename":"six-1.17.0.tar.gz","url":"{base}/files/six-1.17.0.tar.gz","hashes":{}}]}"#;
    index.route(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", JSON_TYPE)
            .body(page),
    );
    let run = check_six(&index, &["-v"], &[]);
    let expected = "\
package  3.12 (primary)       
         manylinux_2_28_x86_64
six      ✗ sdist 1.17.0       

problems
  six on 3.12@manylinux_2_28_x86_64: no version of six has a wheel for 3.12 on manylinux_2_28_x86_64: 1.17.0 has only an sdist, so it needs a source build; no version has one
    remedy (sdist-only): install a compiler, Python.h and its libraries, or build the wheel once and serve it

unknown dependencies
  six 1.17.0 on 3.12@manylinux_2_28_x86_64: its sdist does not declare its dependencies (dynamic or metadata older than 2.2); what it pulls in when built is not assessed

targets
  3.12@manylinux_2_28_x86_64  primary   unhealthy  0/1 with wheels (0%)

verdict: complete failure
  1 of 1 packages has no wheel on 3.12@manylinux_2_28_x86_64 (six); no fallback configured

recommendations
  1. Configure a fallback Python (`--fallback 3.11`) to learn whether one would work.
  2. six: no version has a wheel for 3.12@manylinux_2_28_x86_64; it needs a build toolchain there, or another target.
";
    assert_eq!((run.code, run.stdout.as_str()), (1, expected));
    // With -v the skipped file is named on stderr (debug log), once.
    let skipped: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("skipping"))
        .collect();
    assert_eq!(
        skipped,
        [
            "DEBUG wheelwatch::index::parse: skipping a file listed for `six`: the file name \"six-1.17.0-py2.py3-none-any\\n.whl\" is invalid: it contains a control character (U+000A)"
        ]
    );
}

#[test]
fn a_page_with_an_unexpected_content_type_is_reported_as_such() {
    // PEP 691 JSON sent as text/plain: pip and uv decide the format by Content-Type alone
    // and refuse this one; so does wheelwatch, saying what it got.
    let index = six_index(vec![(
        "/simple/six/",
        Route::normal().header("Content-Type", "text/plain; charset=utf-8"),
    )]);
    assert_six_failed(
        &check_six(&index, &[], &[]),
        "{base}/simple/six/ did not return a valid project page: the index answered with text/plain; expected HTML or PEP 691 JSON",
    );
}

#[test]
fn deeply_nested_pages_do_not_overflow_the_stack() {
    // JSON nested 100,000 deep where the page has fields wheelwatch skips, and unclosed.
    let page = |meta: String| {
        format!(
            r#"{{"meta":{meta},"files":[{{"filename":"six-1.17.0-py2.py3-none-any.whl","url":"{{base}}/files/six-1.17.0-py2.py3-none-any.whl","hashes":{{}},"x":{meta}}}]}}"#
        )
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", JSON_TYPE)
            .body(page(deep)),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, SIX_HEALTHY, "")
    );
    let unclosed = format!(r#"{{"meta":{}"#, "[{\"a\":".repeat(100_000));
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", JSON_TYPE)
            .body(unclosed),
    )]);
    assert_six_failed(
        &check_six(&index, &[], &[]),
        "{base}/simple/six/ did not return a valid project page: invalid PEP 691 JSON: EOF while parsing a value at line 1 column 600008",
    );
    // HTML nested 100,000 deep around the links is still a page with links.
    let html = format!(
        r#"<html><body>{}<a href="{{base}}/files/six-1.17.0-py2.py3-none-any.whl">six-1.17.0-py2.py3-none-any.whl</a>{}</body></html>"#,
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let index = six_index(vec![(
        "/simple/six/",
        Route::status(200)
            .header("Content-Type", "text/html")
            .body(html),
    )]);
    let run = check_six(&index, &[], &[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, SIX_HEALTHY, "")
    );
}

#[test]
fn an_outage_is_never_cached() {
    let dir = tempfile::tempdir().unwrap();
    for route in [
        Route::status(503),
        Route::normal().fault(Fault::ResetAfter(20)),
        Route::normal().header("Content-Type", "text/plain"),
        Route::normal().body("garbage"),
    ] {
        let index = six_index(vec![("/simple/six/", route.times(1))]);
        let first = check_in(dir.path(), &index, &[], &[]);
        assert_eq!(first.code, 3, "{}", first.stdout);
        // The next run asks again and gets the real answer.
        let second = check_in(dir.path(), &index, &[], &[]);
        assert_eq!(
            (second.code, second.stdout.as_str(), second.stderr.as_str()),
            (0, SIX_HEALTHY, "")
        );
        assert_eq!(index.page_requests(), 2);
    }
}

/// Peak memory and time of `check` against the worst pages the caps allow. Prints a table;
/// run with `cargo test --release --test it hostile_pages_peak_memory -- --ignored --nocapture`
/// (needs `/usr/bin/time`).
#[test]
#[ignore = "a measurement, not a test: prints figures"]
fn hostile_pages_peak_memory() {
    let wheel = |i: usize| format!("six-1.0.{i}-py3-none-any.whl");
    let json_files = |n: usize| {
        let entries: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"filename":"{0}","url":"/files/{0}","hashes":{{"sha256":"{1:064x}"}},"requires-python":">=3.{2}"}}"#,
                    wheel(i),
                    i,
                    i % 50
                )
            })
            .collect();
        format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"six","files":[{}]}}"#,
            entries.join(",")
        )
    };
    let html_links = |n: usize| {
        let mut page = String::from("<html><body>");
        for i in 0..n {
            let _ = write!(
                page,
                r#"<a href="/files/{0}#sha256={1:064x}" data-requires-python="&gt;=3.{2}">{0}</a><br/>"#,
                wheel(i),
                i,
                i % 50
            );
        }
        page
    };
    let cases: Vec<(&str, Route)> = vec![
        ("normal page", Route::normal()),
        ("endless body", Route::normal().fault(Fault::Endless)),
        (
            "JSON, 250,000 wheels (the cap)",
            Route::status(200)
                .header("Content-Type", JSON_TYPE)
                .body(json_files(250_000)),
        ),
        (
            "JSON, 250,001 wheels (over the cap)",
            Route::status(200)
                .header("Content-Type", JSON_TYPE)
                .body(json_files(250_001)),
        ),
        (
            "HTML, 250,000 links (the cap)",
            Route::status(200)
                .header("Content-Type", "text/html")
                .body(html_links(250_000)),
        ),
        (
            "HTML, 999,999 empty tags",
            Route::status(200)
                .header("Content-Type", "text/html")
                .body("<b>".repeat(999_999)),
        ),
    ];
    println!("| page | exit | peak RSS | time |\n|---|---|---|---|");
    for (what, route) in cases {
        let index = six_index(vec![("/simple/six/", route)]);
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("time.txt");
        let bin = env!("CARGO_BIN_EXE_wheelwatch");
        let mut cmd = crate::common::wheelwatch(dir.path());
        let inner = std::mem::replace(&mut cmd, std::process::Command::new("/usr/bin/time"));
        cmd.current_dir(dir.path())
            .envs(inner.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .args(["-f", "%M %e", "-o"])
            .arg(&report)
            .arg(bin)
            .args([
                "check",
                "-p",
                "six",
                "--python",
                "3.12@linux",
                "--no-deps",
                "--index-url",
            ])
            .arg(index.url())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let status = cmd.status().expect("run /usr/bin/time");
        let figures = std::fs::read_to_string(&report).unwrap();
        // "Command exited with non-zero status N" may come first.
        let mut parts = figures
            .lines()
            .last()
            .unwrap_or_default()
            .split_whitespace();
        let kib: f64 = parts.next().unwrap().parse().unwrap();
        let secs = parts.next().unwrap();
        println!(
            "| {what} | {} | {:.0} MiB | {secs} s |",
            status.code().unwrap_or(-1),
            kib / 1024.0
        );
    }
}
