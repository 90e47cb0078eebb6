//! SARIF 2.1.0 rendering of a [`Report`], for code scanning: one rule per kind of problem
//! ([`Rule`], with help text saying what to do), one result per finding at the requirement's
//! file and line ([`super::findings`]), and a `partialFingerprints` entry computed from what
//! the finding is about (rule, file, package, dependency path; never the line, the targets or
//! the wording), so that an alert keeps its identity between runs and is not duplicated when
//! lines move. Valid against the OASIS SARIF 2.1.0 JSON Schema (vendored in
//! `tests/fixtures/schemas/`, checked by a test). Pure.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::findings::{self, Level, Rule};
use super::{Report, Verdict};

/// The `partialFingerprints` key; bump its version if the identity's definition changes.
pub const FINGERPRINT_KEY: &str = "wheelwatch/v1";

/// A path as a relative URI reference: `/` separators, characters outside RFC 3986's
/// unreserved set (and `/`) percent-encoded.
fn uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn default_level(rule: Rule) -> Level {
    match rule {
        Rule::DefaultBuilds | Rule::WheelOnlyDowngrade => Level::Warning,
        _ => Level::Error,
    }
}

fn rule_json(rule: Rule) -> Value {
    let help = format!("{} {}", rule.description(), rule.help_markdown());
    json!({
        "id": rule.id(),
        "name": rule.name(),
        "shortDescription": { "text": rule.short() },
        "fullDescription": { "text": rule.description() },
        "help": { "text": help.replace('`', ""), "markdown": help },
        "defaultConfiguration": { "level": default_level(rule).key() },
        "properties": { "tags": ["dependencies", "wheels", "python"] },
    })
}

/// The SARIF document as a JSON value.
///
/// Code scanning refuses a result without a location, so a finding that has no line of its
/// own (a requirement conflict, a failed resolution) is placed at line 1 of the first
/// requirement file; when no file was read at all (only `--package` specs), such findings
/// become the invocation's `toolExecutionNotifications` instead of results.
pub fn to_value(report: &Report) -> Value {
    let first_file = report
        .origins
        .iter()
        .flatten()
        .next()
        .map(|o| crate::requirements::Origin {
            file: o.file.clone(),
            line: 1,
        });
    let all = findings::collect(report);
    let notifications: Vec<Value> = all
        .iter()
        .filter(|f| f.origin.is_none() && first_file.is_none())
        .map(|f| {
            json!({
                "level": f.level.key(),
                "message": { "text": f.message() },
                "descriptor": { "id": f.rule.id() },
            })
        })
        .collect();
    let results: Vec<Value> = all
        .iter()
        .filter_map(|f| Some((f, f.origin.or(first_file.as_ref())?)))
        .map(|(f, origin)| {
            let index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule.id(),
                "ruleIndex": index,
                "level": f.level.key(),
                "message": { "text": f.message() },
                "partialFingerprints": {
                    FINGERPRINT_KEY: format!("{:x}", Sha256::digest(f.identity.as_bytes())),
                },
            });
            result["locations"] = json!([{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(&origin.file), "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": origin.line.max(1) },
                }
            }]);
            result
        })
        .collect();
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "wheelwatch",
                    "version": report.tool_version,
                    "semanticVersion": report.tool_version,
                    "rules": Rule::ALL.iter().map(|r| rule_json(*r)).collect::<Vec<_>>(),
                }
            },
            "invocations": [{
                "executionSuccessful": report.verdict != Verdict::AssessmentFailed,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "verdict": report.verdict.key(),
                "fallbackReason": report.fallback_reason,
                "recommendedFallback": report.recommended_fallback,
                "targets": report.targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            },
        }],
    })
}

/// Writes the report as SARIF 2.1.0 (pretty JSON, trailing newline).
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(uri("./requirements.txt".as_ref()), "requirements.txt");
        assert_eq!(
            uri("req dir/dev,extra#1.txt".as_ref()),
            "req%20dir/dev%2Cextra%231.txt"
        );
    }
}
