//! GitHub Actions rendering of a [`Report`]: workflow commands (`::error file=…,line=…,
//! title=…::…`) that GitHub turns into annotations on the pull request, at each requirement's
//! own file and line (see [`super::findings`]), and the cap of the job summary the Markdown
//! report is appended to. Pure: the caller decides where the commands and the summary go.
//!
//! GitHub shows at most 10 error and 10 warning annotations per step; the verdict comes first,
//! then errors and warnings in declaration order, and whatever is over the limit is counted in
//! one `::notice` line instead of being dropped silently. Values are escaped as the Actions
//! toolkit escapes them (`%`, CR and LF in the message; also `:` and `,` in properties), so
//! nothing from package metadata can end a command early or start another one.

use std::io::{self, Write};

use super::findings::{self, Finding, Level};
use super::phrases::role_name;
use super::{Report, Verdict};

/// Annotations of one level GitHub shows per step.
pub const MAX_PER_LEVEL: usize = 10;

/// The largest job summary GitHub accepts from one step, in bytes.
pub const STEP_SUMMARY_CAP: u64 = 1024 * 1024;

/// A message (after `::`): `%`, CR and LF escaped.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`file=`, `title=`): as [`escape_data`], and `:` and `,` too.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command line.
fn command(
    out: &mut dyn Write,
    name: &str,
    properties: &[(&str, String)],
    message: &str,
) -> io::Result<()> {
    write!(out, "::{name}")?;
    for (i, (key, value)) in properties.iter().enumerate() {
        let sep = if i == 0 { ' ' } else { ',' };
        write!(out, "{sep}{key}={}", escape_property(value))?;
    }
    writeln!(out, "::{}", escape_data(message))
}

/// The verdict as one annotation: level (`None`: a notice), title and message.
fn verdict_annotation(report: &Report) -> (Option<Level>, String, String) {
    let mut lines = Vec::new();
    if let Some(reason) = &report.fallback_reason {
        lines.push(reason.clone());
    }
    for t in &report.targets {
        lines.push(format!(
            "{} ({}): {}, {}/{} with wheels",
            t.name,
            role_name(t.role),
            if t.healthy { "healthy" } else { "unhealthy" },
            t.counts.wheel,
            t.counts.assessed
        ));
    }
    let (level, title) = match report.verdict {
        Verdict::PrimaryHealthy => (None, "wheelwatch: primary healthy".to_string()),
        Verdict::FallbackAvailable => (
            Some(Level::Warning),
            match &report.recommended_fallback {
                Some(f) => format!("wheelwatch: fallback available (use {f})"),
                None => "wheelwatch: fallback available".to_string(),
            },
        ),
        Verdict::CompleteFailure => (
            Some(Level::Error),
            "wheelwatch: complete failure".to_string(),
        ),
        Verdict::AssessmentFailed => (
            Some(Level::Error),
            "wheelwatch: assessment failed, no verdict".to_string(),
        ),
    };
    (level, title, lines.join("\n"))
}

fn properties(f: &Finding<'_>) -> Vec<(&'static str, String)> {
    let mut props = Vec::new();
    if let Some(origin) = f.origin {
        let file = origin.file.display().to_string();
        let file = file.strip_prefix("./").unwrap_or(&file).to_string();
        props.push(("file", file));
        props.push(("line", origin.line.to_string()));
    }
    props.push(("title", f.title.clone()));
    props
}

/// Writes the report as workflow commands: the verdict, then at most [`MAX_PER_LEVEL`] errors
/// and warnings in all, then one notice counting the rest.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let (verdict_level, title, message) = verdict_annotation(report);
    let name = verdict_level.map_or("notice", Level::key);
    command(out, name, &[("title", title)], &message)?;
    let mut shown_errors = usize::from(verdict_level == Some(Level::Error));
    let mut shown_warnings = usize::from(verdict_level == Some(Level::Warning));
    let (mut more_errors, mut more_warnings) = (0, 0);
    for f in findings::collect(report) {
        let (shown, more) = match f.level {
            Level::Error => (&mut shown_errors, &mut more_errors),
            Level::Warning => (&mut shown_warnings, &mut more_warnings),
        };
        if *shown < MAX_PER_LEVEL {
            *shown += 1;
            command(out, f.level.key(), &properties(&f), &f.message())?;
        } else {
            *more += 1;
        }
    }
    if more_errors + more_warnings > 0 {
        let count =
            |n: usize, what: &str| format!("{n} more {what}{}", if n == 1 { "" } else { "s" });
        let mut parts = Vec::new();
        if more_errors > 0 {
            parts.push(count(more_errors, "error"));
        }
        if more_warnings > 0 {
            parts.push(count(more_warnings, "warning"));
        }
        command(
            out,
            "notice",
            &[("title", "wheelwatch: more problems".to_string())],
            &format!(
                "{} than GitHub shows per step: see the job summary or the full report",
                parts.join(" and ")
            ),
        )?;
    }
    Ok(())
}

/// What to append to a job summary that already holds `existing` bytes so that it stays within
/// [`STEP_SUMMARY_CAP`]: the whole Markdown report, or its first lines and a note saying it was
/// cut; `None` when not even the note fits.
pub fn step_summary(markdown: &str, existing: u64) -> Option<String> {
    const NOTE: &str = "\n_The report was cut here: a job summary holds at most 1 MiB. The \
                        full report is in the job's artifacts._\n";
    let separator = if existing > 0 { "\n" } else { "" };
    let budget = STEP_SUMMARY_CAP.saturating_sub(existing) as usize;
    if separator.len() + markdown.len() <= budget {
        return Some(format!("{separator}{markdown}"));
    }
    let room = budget.checked_sub(separator.len() + NOTE.len())?;
    // Cut after the last whole line that fits (a byte index at a newline is a char boundary).
    let cut = markdown.as_bytes()[..room.min(markdown.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    Some(format!("{separator}{}{NOTE}", &markdown[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_actions_toolkit() {
        assert_eq!(
            escape_data("50% done\r\nnext: a,b"),
            "50%25 done%0D%0Anext: a,b"
        );
        assert_eq!(
            escape_property("50% done\r\nnext: a,b"),
            "50%25 done%0D%0Anext%3A a%2Cb"
        );
        // A message can never start a second command on a line of its own.
        let mut out = Vec::new();
        command(
            &mut out,
            "error",
            &[("title", "x::y".into())],
            "a\n::set-env name=X::1",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error title=x%3A%3Ay::a%0A::set-env name=X::1\n"
        );
    }

    #[test]
    fn step_summary_stays_within_one_mebibyte() {
        assert_eq!(step_summary("# a\n", 0).unwrap(), "# a\n");
        assert_eq!(step_summary("# a\n", 10).unwrap(), "\n# a\n");
        let line = "x".repeat(99) + "\n";
        let big = line.repeat(20_000); // 2,000,000 bytes
        let existing = 1000;
        let text = step_summary(&big, existing).unwrap();
        assert!(text.len() as u64 + existing <= STEP_SUMMARY_CAP);
        assert!(text.len() as u64 + existing > STEP_SUMMARY_CAP - 200);
        assert!(text.ends_with("full report is in the job's artifacts._\n"));
        assert!(text.starts_with("\nxxx"));
        // Whole lines only before the note.
        let body = text.trim_start_matches('\n');
        let before_note = &body[..body.find("\n_The report").unwrap()];
        assert!(before_note.lines().all(|l| l.len() == 99));
        assert_eq!(step_summary(&big, STEP_SUMMARY_CAP - 10), None);
    }
}
