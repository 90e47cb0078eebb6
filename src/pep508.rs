//! Safe entry points to the PEP 508 parser: every requirement or marker text from outside
//! (requirements files, pyproject, lock files, core metadata from an index) is parsed through
//! [`parse_requirement`] or [`parse_marker`], never through `pep508_rs` directly.
//!
//! `pep508_rs` 0.9 is the right parser, but on hostile input it panics (a name or extra ending
//! in `.`, `-` or `_` before another character: `a.*`, `a[b-]`; a non-ASCII character after a
//! quoted marker value; any error whose span holds non-ASCII, which is why a marker's quoted
//! strings must be ASCII here, as every real marker value is) and recurses once per
//! parenthesis, so a marker nested thousands deep
//! overflows the stack and aborts the process. This module rejects those inputs first, with the
//! same error type the parser returns, so callers report them like any other invalid line. A
//! panic that the checks miss is caught and turned into an error as a last resort (the fuzz
//! harness under `fuzz/` asserts it never happens).
//!
//! Pure: text in, parsed value or error out.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::Once;

use pep508_rs::{MarkerTree, Pep508Error, Pep508ErrorSource, Pep508Url, Requirement, VerbatimUrl};

/// The deepest parenthesis nesting accepted in a marker. Real markers nest two or three deep;
/// `packaging` itself fails with a `RecursionError` somewhere below 1,000.
pub(crate) const MAX_MARKER_DEPTH: usize = 32;

/// The longest requirement or marker text accepted, in bytes. The longest real `Requires-Dist`
/// values (long marker alternations) are a few kilobytes.
pub(crate) const MAX_LENGTH: usize = 64 * 1024;

/// Parses one PEP 508 requirement without panicking or recursing without bound.
pub(crate) fn parse_requirement(text: &str) -> Result<Requirement, Pep508Error<VerbatimUrl>> {
    precheck(text, true)?;
    guarded(text, || Requirement::from_str(text))
}

/// Parses one PEP 508 marker expression without panicking or recursing without bound.
pub(crate) fn parse_marker(text: &str) -> Result<MarkerTree, Pep508Error<VerbatimUrl>> {
    precheck(text, false)?;
    guarded(text, || MarkerTree::from_str(text))
}

/// `true` when the last parse on this thread hit a parser panic that the checks did not
/// prevent.
#[cfg(test)]
pub(crate) fn last_parse_panicked() -> bool {
    PANICKED.with(Cell::get)
}

/// How many parser panics the checks did not prevent on this thread so far. The fuzz harness
/// ([`crate::fuzz`]) asserts it stays zero across a whole file's parse.
pub(crate) fn panics_caught() -> usize {
    CAUGHT.with(Cell::get)
}

fn error<T: Pep508Url>(text: &str, start: usize, len: usize, message: String) -> Pep508Error<T> {
    Pep508Error {
        message: Pep508ErrorSource::String(message),
        start,
        len,
        input: text.to_string(),
    }
}

/// Rejects what would make the parser panic or overflow the stack.
fn precheck<T: Pep508Url>(text: &str, with_name: bool) -> Result<(), Pep508Error<T>> {
    if text.len() > MAX_LENGTH {
        return Err(error(
            text,
            0,
            0,
            format!(
                "requirement is {} bytes long; at most {MAX_LENGTH} are accepted",
                text.len()
            ),
        ));
    }
    let bytes = text.as_bytes();
    let mut pos = 0;
    if with_name {
        pos = skip_ws(bytes, pos);
        pos = check_identifier(text, pos, "package name")?;
        pos = skip_ws(bytes, pos);
        if bytes.get(pos) == Some(&b'[') {
            pos += 1;
            loop {
                pos = skip_ws(bytes, pos);
                match bytes.get(pos) {
                    Some(b']') | None => break,
                    Some(b',') => pos += 1,
                    Some(c) if c.is_ascii_alphanumeric() => {
                        pos = check_identifier(text, pos, "extra name")?;
                    }
                    // Anything else is reported by the parser itself.
                    Some(_) => break,
                }
            }
        }
    }
    check_rest(text, pos, !with_name)
}

/// Checks a name or extra starting at `start`: it must not end in `.`, `-` or `_`.
fn check_identifier<T: Pep508Url>(
    text: &str,
    start: usize,
    what: &str,
) -> Result<usize, Pep508Error<T>> {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || b"._-".contains(&bytes[end]))
    {
        end += 1;
    }
    if end > start && b"._-".contains(&bytes[end - 1]) {
        let last = char::from(bytes[end - 1]);
        return Err(error(
            text,
            end - 1,
            1,
            format!("{what} must end with a letter or digit, not `{last}`"),
        ));
    }
    Ok(end)
}

/// Checks nesting depth and characters outside quoted strings from `start` on.
/// Non-ASCII is rejected only in the marker (after `;`): before it the parser reports it well.
fn check_rest<T: Pep508Url>(
    text: &str,
    start: usize,
    mut in_marker: bool,
) -> Result<(), Pep508Error<T>> {
    let mut depth = 0usize;
    // The open quote and where it opened.
    let mut quote: Option<(char, usize)> = None;
    // After `@` (a direct reference) the URL runs to the next `;`.
    let mut in_url = false;
    for (index, c) in text[start..].char_indices() {
        let index = index + start;
        if let Some((q, opened)) = quote {
            if c == q {
                quote = None;
                // Any error whose span covers a quoted string with non-ASCII in it makes the
                // parser panic (it slices by characters as bytes), wherever the string stands.
                // Marker values are versions, platform names and extra names: all ASCII.
                let literal = &text[opened..=index];
                if in_marker && !literal.is_ascii() {
                    return Err(error(
                        text,
                        opened,
                        1,
                        "only ASCII is allowed in a marker's quoted strings".to_string(),
                    ));
                }
            }
            continue;
        }
        match c {
            '\'' | '"' if !in_url => quote = Some((c, index)),
            '@' if !in_url => in_url = true,
            ';' => {
                in_url = false;
                in_marker = true;
            }
            '(' if !in_url => {
                depth += 1;
                if depth > MAX_MARKER_DEPTH {
                    return Err(error(
                        text,
                        index,
                        1,
                        format!("parentheses nest more than {MAX_MARKER_DEPTH} deep"),
                    ));
                }
            }
            ')' if !in_url => depth = depth.saturating_sub(1),
            c if !c.is_ascii() && in_marker => {
                return Err(error(
                    text,
                    index,
                    c.len_utf8(),
                    format!("unexpected character `{c}` (only ASCII is allowed outside quotes)"),
                ));
            }
            _ => {}
        }
    }
    // The parser's error for an unterminated quote slices the rest of the text by characters
    // as if they were bytes, and panics when it holds a non-ASCII character (`"">"""\u{fffd}`).
    if let Some((q, at)) = quote {
        return Err(error(
            text,
            at,
            1,
            format!("missing closing quote `{q}` for the string that starts here"),
        ));
    }
    Ok(())
}

/// Skips whitespace as the parser does (every Unicode whitespace, vertical tab included).
fn skip_ws(bytes: &[u8], pos: usize) -> usize {
    let rest = std::str::from_utf8(&bytes[pos.min(bytes.len())..]).unwrap_or("");
    pos + (rest.len() - rest.trim_start().len())
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static PANICKED: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: Cell<usize> = const { Cell::new(0) };
}

/// Runs the parser with panics caught and kept off stderr.
fn guarded<R, T: Pep508Url>(
    text: &str,
    parse: impl FnOnce() -> Result<R, Pep508Error<T>>,
) -> Result<R, Pep508Error<T>> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(parse));
    QUIET.with(|q| q.set(false));
    PANICKED.with(|p| p.set(outcome.is_err()));
    if outcome.is_err() {
        CAUGHT.with(|c| c.set(c.get() + 1));
    }
    outcome.unwrap_or_else(|_| {
        Err(error(
            text,
            0,
            0,
            "the requirement parser could not read this text".to_string(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        match parse_requirement(text) {
            Ok(r) => format!("ok: {r}"),
            Err(e) => {
                assert!(!last_parse_panicked(), "{text:?} reached a parser panic");
                e.message.to_string()
            }
        }
    }

    #[test]
    fn inputs_that_panic_the_parser_are_errors() {
        let deep = format!("six; {}", "(".repeat(20_000));
        let cases = [
            (
                "a.*",
                "package name must end with a letter or digit, not `.`",
            ),
            (
                "a-*",
                "package name must end with a letter or digit, not `-`",
            ),
            (
                "a._*",
                "package name must end with a letter or digit, not `_`",
            ),
            (
                "a[b-]",
                "extra name must end with a letter or digit, not `-`",
            ),
            (
                "beta[b.,c]",
                "extra name must end with a letter or digit, not `.`",
            ),
            (
                "a[b,c_]",
                "extra name must end with a letter or digit, not `_`",
            ),
            (
                "a ; os_name == 'nt'名",
                "unexpected character `名` (only ASCII is allowed outside quotes)",
            ),
            (deep.as_str(), "parentheses nest more than 32 deep"),
            // Found by the fuzz harness: an unterminated quote with non-ASCII after it, in a
            // requirement and in a `Requires-Dist` marker.
            (
                "\"\">\"\"\"\u{fffd}",
                "missing closing quote `\"` for the string that starts here",
            ),
            (
                "2;python_version<\"\"\"\u{fffd}",
                "missing closing quote `\"` for the string that starts here",
            ),
            (
                "2;python_version<\"\"\"\u{fffd}\"",
                "only ASCII is allowed in a marker's quoted strings",
            ),
            (
                "n2; python_version >python_version < \"6.\u{fffd}\"",
                "only ASCII is allowed in a marker's quoted strings",
            ),
            (
                "\u{b}c.(",
                "package name must end with a letter or digit, not `.`",
            ),
        ];
        let got: Vec<(&str, String)> = cases.iter().map(|(t, _)| (*t, message(t))).collect();
        let want: Vec<(&str, String)> = cases.iter().map(|(t, m)| (*t, (*m).to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn valid_requirements_parse_as_before() {
        let cases = [
            ("a.b-c_d.e", "ok: a-b-c-d-e"),
            ("a[ b ]", "ok: a[b]"),
            (
                "a; (os_name=='nt') and 'x'!=os_name or (os_name in'posix')",
                "ok: a ; os_name in 'posix' or os_name == 'nt'",
            ),
            (
                "a @ https://x.test/名.whl",
                "ok: a @ https://x.test/%E5%90%8D.whl",
            ),
            (
                "numpy>=1.22; ((python_version < '3.12'))",
                "ok: numpy>=1.22 ; python_full_version < '3.12'",
            ),
        ];
        let got: Vec<(&str, String)> = cases.iter().map(|(t, _)| (*t, message(t))).collect();
        let want: Vec<(&str, String)> = cases.iter().map(|(t, m)| (*t, (*m).to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn markers_are_bounded_too() {
        let deep = format!("{}os_name == 'nt'{}", "(".repeat(5_000), ")".repeat(5_000));
        let err = parse_marker(&deep).unwrap_err();
        assert_eq!(
            err.message.to_string(),
            "parentheses nest more than 32 deep"
        );
        assert!(parse_marker("(os_name == 'nt') and python_version >= '3.9'").is_ok());
        // Found by the fuzz harness: a string where no value may stand.
        let err = parse_marker("\"\">\"\"\"\u{fffd}\"").unwrap_err();
        assert!(!last_parse_panicked());
        assert_eq!(
            err.message.to_string(),
            "only ASCII is allowed in a marker's quoted strings"
        );
    }
}
