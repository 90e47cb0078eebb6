//! Tests of the index client (`wheelwatch::index`) against the local test index, and of the
//! test index itself.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;

use crate::common::{CoreMetadata, TestIndex};

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
