//! JUnit XML rendering of a [`Report`], for CI test-report views (GitLab's, Jenkins',
//! GitHub test-report actions): a `<testsuite>` per target and a `<testcase>` per direct
//! requirement, failing with the reason when the package has no wheel there (an `<error>`
//! when the index could not answer, `<skipped>` when it is not installed on that target),
//! plus a failing test case per dependency that blocks a wheel-only install and one for a
//! conflict or a failed resolution. Valid against the common JUnit XML schema (Jenkins'
//! `junit-10.xsd`, vendored in `tests/fixtures/schemas/` and checked by a test). Pure.
//!
//! Written by hand rather than with an XML crate: the document is a few fixed elements, and
//! [`escape`] is the one thing that matters (the five XML escapes, and characters XML 1.0
//! cannot hold replaced, since reasons may quote package metadata).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::phrases::{is_problem, role_name};
use super::{Report, TargetReport};
use crate::health::Status;

/// Text for an attribute or element content: `& < > " '` escaped, line breaks and tabs kept
/// as character references (so attributes keep them), and characters XML 1.0 forbids
/// replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Element content: as [`escape`], with line breaks and tabs kept as they are.
fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if !attribute => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `cp312-manylinux_2_28_x86_64`: a class name without dots (viewers split class names at
/// dots into packages).
fn class_name(t: &TargetReport) -> String {
    let mut parts = t.python.split('.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or_default();
    format!("wheelwatch.cp{major}{minor}-{}", t.platform)
}

/// One test case's outcome.
enum Outcome {
    Passed,
    Failure {
        kind: String,
        message: String,
        detail: String,
    },
    Error {
        message: String,
        detail: String,
    },
    Skipped {
        message: String,
    },
}

struct Case {
    name: String,
    outcome: Outcome,
}

fn cases(report: &Report, t: &TargetReport) -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, p) in t.packages.iter().enumerate() {
        let mut detail = format!("requirement: {}", p.requirement);
        if let Some(Some(origin)) = report.origins.get(i) {
            let _ = write!(detail, " ({origin})");
        }
        if let Some(v) = &p.version {
            let _ = write!(detail, "\nversion: {v}");
        }
        if let Some(v) = &p.default_version {
            let _ = write!(
                detail,
                "\ndefault install: {v} ({})",
                if p.default_has_wheel {
                    "wheel"
                } else {
                    "source build"
                }
            );
        }
        if let Some(w) = &p.wheel {
            let _ = write!(detail, "\nwheel: {w}");
        }
        if let Some(v) = &p.newest_with_wheel {
            let _ = write!(detail, "\nnewest with a wheel: {v}");
        }
        let outcome = match p.status {
            Status::Error => Outcome::Error {
                message: p.reason.clone(),
                detail,
            },
            Status::Excluded | Status::NotAssessed => Outcome::Skipped {
                message: p.reason.clone(),
            },
            Status::Wheel if !is_problem(p) => Outcome::Passed,
            _ => Outcome::Failure {
                kind: status_key(p.status, p.default_has_wheel),
                message: p.reason.clone(),
                detail,
            },
        };
        cases.push(Case {
            name: p.name.clone(),
            outcome,
        });
    }
    for b in t.transitive_blockers() {
        cases.push(Case {
            name: b
                .via()
                .map_or_else(|| b.name.clone(), |via| format!("{} (via {via})", b.name)),
            outcome: Outcome::Failure {
                kind: "blocking_dependency".into(),
                message: format!("{} {}: {}{}", b.name, b.version, b.reason, b.newest_text()),
                detail: b
                    .paths
                    .iter()
                    .map(|p| format!("required by: {}", super::path_text(p)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
        });
    }
    if let Some(r) = &t.resolution {
        if let Some(e) = &r.error {
            cases.push(Case {
                name: "dependency resolution".into(),
                outcome: Outcome::Error {
                    message: e.clone(),
                    detail: String::new(),
                },
            });
        } else if let Some(c) = &r.conflict {
            cases.push(Case {
                name: "dependency resolution".into(),
                outcome: Outcome::Failure {
                    kind: "conflict".into(),
                    message: "the requirements conflict".into(),
                    detail: c.clone(),
                },
            });
        }
    }
    cases
}

fn status_key(status: Status, default_has_wheel: bool) -> String {
    match status {
        Status::Wheel if !default_has_wheel => "default_builds_from_source".into(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

/// Writes the report as JUnit XML.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let suites: Vec<(&TargetReport, Vec<Case>)> = report
        .targets
        .iter()
        .map(|t| (t, cases(report, t)))
        .collect();
    let count = |f: &dyn Fn(&Outcome) -> bool| {
        suites
            .iter()
            .flat_map(|(_, c)| c)
            .filter(|c| f(&c.outcome))
            .count()
    };
    let tests = count(&|_| true);
    let failures = count(&|o| matches!(o, Outcome::Failure { .. }));
    let errors = count(&|o| matches!(o, Outcome::Error { .. }));
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="wheelwatch: {}" tests="{tests}" failures="{failures}" errors="{errors}">"#,
        escape(report.verdict.describe())
    )?;
    for (t, cases) in &suites {
        let n = |f: &dyn Fn(&Outcome) -> bool| cases.iter().filter(|c| f(&c.outcome)).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}" timestamp="{}">"#,
            escape(&t.name),
            cases.len(),
            n(&|o| matches!(o, Outcome::Failure { .. })),
            n(&|o| matches!(o, Outcome::Error { .. })),
            n(&|o| matches!(o, Outcome::Skipped { .. })),
            escape(&report.timestamp)
        )?;
        writeln!(out, "    <properties>")?;
        let properties = [
            ("role", role_name(t.role).to_string()),
            ("python", t.python.clone()),
            ("platform", t.platform.clone()),
            ("healthy", t.healthy.to_string()),
            ("wheel_share", format!("{:.4}", t.wheel_share)),
            ("verdict", report.verdict.key().to_string()),
        ];
        for (name, value) in properties {
            writeln!(
                out,
                r#"      <property name="{name}" value="{}"/>"#,
                escape(&value)
            )?;
        }
        writeln!(out, "    </properties>")?;
        let class = escape(&class_name(t));
        for case in cases {
            let open = format!(
                r#"    <testcase name="{}" classname="{class}""#,
                escape(&case.name)
            );
            match &case.outcome {
                Outcome::Passed => writeln!(out, "{open}/>")?,
                Outcome::Skipped { message } => {
                    writeln!(out, "{open}>")?;
                    writeln!(out, r#"      <skipped message="{}"/>"#, escape(message))?;
                    writeln!(out, "    </testcase>")?;
                }
                Outcome::Failure {
                    kind,
                    message,
                    detail,
                } => {
                    writeln!(out, "{open}>")?;
                    writeln!(
                        out,
                        r#"      <failure type="{}" message="{}">{}</failure>"#,
                        escape(kind),
                        escape(message),
                        escape_text(detail)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
                Outcome::Error { message, detail } => {
                    writeln!(out, "{open}>")?;
                    writeln!(
                        out,
                        r#"      <error type="index_error" message="{}">{}</error>"#,
                        escape(message),
                        escape_text(detail)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_keeps_xml_well_formed() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\n\u{0}\u{1b}é"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#10;\u{FFFD}\u{FFFD}é"
        );
    }
}
