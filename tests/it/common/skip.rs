//! Tests that cannot pass silently. A test whose prerequisite (a pyenv interpreter, the
//! `packaging` module, pip) is missing calls [`skip`] and returns:
//!
//! - under `CI=true` that fails the test: CI must have every prerequisite;
//! - locally the test passes, `SKIPPED: <test>: <why>` is written at once to the real stderr
//!   (libtest captures only the print macros, so it shows even for a passing test), and when
//!   the test binary exits a summary says how many tests were skipped and why.
//!
//! ```ignore
//! let Some(python) = pyenv_python("3.12") else {
//!     return skip("no pyenv CPython 3.12 with venv and ensurepip");
//! };
//! ```

use std::fmt::{Display, Write as _};
use std::sync::{Mutex, Once};

static SKIPPED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
static SUMMARY: Once = Once::new();

/// Whether missing prerequisites fail (`CI` set to `true` or `1`).
pub fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The running test's name (libtest names each test's thread after it).
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string()
}

/// Records that the running test lacks a prerequisite: fails it under `CI=true`, else prints
/// `SKIPPED: …` and counts it for the summary at exit.
#[track_caller]
pub fn skip(why: impl Display) {
    let name = test_name();
    assert!(
        !strict(),
        "{name}: a prerequisite is missing, and CI=true forbids skipping: {why}"
    );
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("SKIPPED: {name}: {why}\n").as_bytes(),
    );
    SKIPPED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((name, why.to_string()));
    SUMMARY.call_once(|| {
        shutdown_hooks::add_shutdown_hook(print_summary);
    });
}

/// The summary lines (sorted by test name).
fn summary() -> Option<String> {
    let mut skipped = SKIPPED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if skipped.is_empty() {
        return None;
    }
    skipped.sort();
    let mut tests: Vec<&str> = skipped.iter().map(|(name, _)| name.as_str()).collect();
    tests.dedup();
    let mut text = format!(
        "\nSKIPPED: {} test(s) lacked a prerequisite and passed without checking it \
         (under CI=true they fail):\n",
        tests.len()
    );
    for (name, why) in skipped {
        let _ = writeln!(text, "  {name}: {why}");
    }
    Some(text)
}

extern "C" fn print_summary() {
    if let Some(text) = summary() {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
    }
}
