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

/// A CPython with pip from pyenv, or `None` (after printing SKIPPED) when there is none.
fn python_with_pip() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME")?;
    let root = std::path::Path::new(&home).join(".pyenv/versions");
    let mut found: Vec<_> = std::fs::read_dir(&root)
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin/python3"))
        .collect();
    found.sort();
    found.into_iter().rev().find(|p| {
        std::process::Command::new(p)
            .args(["-m", "pip", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn harness_index_and_wheels_work_with_real_pip() {
    let Some(python) = python_with_pip() else {
        eprintln!("SKIPPED: no CPython with pip under ~/.pyenv/versions");
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

    let (md, source) = metadata_of(&client, "1.1", ".whl").await;
    assert_eq!(
        (md, source),
        (expected("1.1"), MetadataSource::Pep658),
        "unadvertised but served"
    );

    // Advertised but 404: range requests, never the whole wheel.
    index.clear_log();
    let (md, source) = metadata_of(&client, "1.2", ".whl").await;
    assert_eq!(
        (md, source),
        (expected("1.2"), MetadataSource::RangeRequests)
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

    let err = IndexClient::new(settings("ftp://user:hunter2@host/simple/", None)).unwrap_err();
    assert!(matches!(err, IndexError::InvalidUrl { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}
