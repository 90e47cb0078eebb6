//! Recorded real indexes, replayed offline by the local test index: a recording made by
//! `scripts/record-index.py` (a directory with `pages/<name>.json`, PEP 691 pages whose file
//! URLs point at `https://files.invalid/<filename>`, and `metadata/<filename>.metadata`, the
//! core metadata of every file the resolver read) is served as it was recorded: each page at
//! `/simple/<name>/` with its file URLs rewritten to this server's `/files/`, each metadata file
//! at `/files/<filename>.metadata` (PEP 658). Distribution files themselves are not recorded:
//! asking for one answers 404, so a test that needs metadata the recording lacks fails loudly
//! (re-record with the script).
//!
//! ```ignore
//! let index = recorded::runbook_2023();
//! write(dir, "requirements.txt", recorded::RUNBOOK_2023);
//! ww(dir).args(["matrix", "--index-url"]).arg(index.url())
//! ```

use std::path::{Path, PathBuf};

use super::server::{JSON_TYPE, Route, TestIndex, TestIndexBuilder};

/// The runbook's package set pinned to its mid-2023 releases (`examples/runbook-2023.txt`).
pub const RUNBOOK_2023: &str = include_str!("../../../examples/runbook-2023.txt");

/// Where a recording lives, by name (`tests/fixtures/index/<name>`).
pub fn recording_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/index")
        .join(name)
}

/// The recorded index of the runbook's 2023 set (`tests/fixtures/index/runbook-2023`).
pub fn runbook_2023() -> TestIndex {
    recorded(&recording_dir("runbook-2023"))
}

/// Serves the recording in `dir`.
pub fn recorded(dir: &Path) -> TestIndex {
    recorded_builder(dir).serve()
}

/// A builder serving the recording in `dir`, for adding more projects or knobs.
pub fn recorded_builder(dir: &Path) -> TestIndexBuilder {
    let mut builder = TestIndex::builder();
    for (name, path) in sorted_files(&dir.join("pages"), ".json") {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let body = text.replace("https://files.invalid/", "{base}/files/");
        builder = builder.route(
            &format!("/simple/{name}/"),
            Route::status(200)
                .header("Content-Type", JSON_TYPE)
                .header("Vary", "Accept")
                .body(body),
        );
    }
    for (filename, path) in sorted_files(&dir.join("metadata"), ".metadata") {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        builder = builder.route(
            &format!("/files/{filename}.metadata"),
            Route::status(200)
                .header("Content-Type", "application/octet-stream")
                .body(bytes),
        );
    }
    builder
}

/// Asserts that every request `index` got was for a page or a recorded metadata file: no
/// distribution file was needed (metadata missing from the recording would make the resolver
/// read the file itself, get a 404, and carry on with that version's dependencies unknown).
pub fn assert_served_from_recording(index: &TestIndex) {
    let unexpected: Vec<String> = index
        .request_log()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| !(p.starts_with("/simple/") || p.ends_with(".metadata")))
        .collect();
    assert!(
        unexpected.is_empty(),
        "not in the recording (re-record with scripts/record-index.py): {unexpected:#?}"
    );
}

/// `(stem, path)` of every file in `dir` ending in `suffix`, by name.
fn sorted_files(dir: &Path, suffix: &str) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(suffix)?.to_string();
            Some((stem, e.path()))
        })
        .collect();
    out.sort();
    out
}
