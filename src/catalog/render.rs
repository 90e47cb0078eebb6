//! `wheelwatch explain`'s output: catalog entries applied to one case each ([`Finding`]), as
//! text or JSON, and the whole catalog. Pure: writes to any [`std::io::Write`].

use std::io::{self, Write};

use serde::Serialize;

use super::installer::Diagnosis;
use super::{BuildNeeds, ENTRIES, Entry, IssueId, build_needs};

/// One catalog entry applied to one case.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Finding {
    /// The target, for a package's assessment (`3.12@manylinux_2_28_x86_64`).
    pub target: Option<String>,
    /// The package.
    pub package: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// The entry (`issue` in JSON).
    pub issue: IssueId,
    /// What showed it: the installer's line, or the assessment's reason.
    pub evidence: String,
    /// What the evidence means here.
    pub detail: Option<String>,
    /// What building it needs, when it is a build problem of a well-known package.
    #[serde(skip)]
    pub needs: Option<&'static BuildNeeds>,
}

impl Finding {
    /// A finding from an installer's output.
    pub(crate) fn from_diagnosis(d: &Diagnosis) -> Self {
        let needs = d.needs.or_else(|| needs_of(d.issue, d.package.as_deref()));
        Self {
            target: None,
            package: d.package.clone(),
            version: d.version.clone(),
            issue: d.issue,
            evidence: d.evidence.clone(),
            // The needs line says it.
            detail: d.detail.clone().filter(|_| needs.is_none()),
            needs,
        }
    }

    fn needs(&self) -> Option<&'static BuildNeeds> {
        self.needs
    }
}

/// What building `package` needs, when `issue` is about building it.
pub(crate) fn needs_of(issue: IssueId, package: Option<&str>) -> Option<&'static BuildNeeds> {
    let build = issue.is_build_problem() || issue == IssueId::SdistOnly;
    build.then(|| package.and_then(build_needs)).flatten()
}

#[derive(Serialize)]
struct EntryJson<'a> {
    id: IssueId,
    title: &'a str,
    cause: &'a str,
    remedies: &'a [&'a str],
}

impl<'a> From<&'a Entry> for EntryJson<'a> {
    fn from(e: &'a Entry) -> Self {
        Self {
            id: e.id,
            title: e.title,
            cause: e.cause,
            remedies: e.remedies,
        }
    }
}

#[derive(Serialize)]
struct NeedsJson<'a> {
    libraries: &'a str,
    debian: &'a str,
    fedora: &'a str,
    alpine: &'a str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    title: &'a str,
    cause: &'a str,
    remedies: &'a [&'a str],
    build_needs: Option<NeedsJson<'a>>,
}

/// The entry as a heading, its cause and remedies, indented under `indent`.
fn write_entry_body(out: &mut dyn Write, entry: &Entry, indent: &str) -> io::Result<()> {
    writeln!(out, "{indent}cause: {}", entry.cause)?;
    writeln!(out, "{indent}remedies:")?;
    for r in entry.remedies {
        writeln!(out, "{indent}  - {r}")?;
    }
    Ok(())
}

fn write_needs(out: &mut dyn Write, package: Option<&str>, needs: &BuildNeeds) -> io::Result<()> {
    writeln!(
        out,
        "  building {} needs {}: Debian/Ubuntu `{}`, Fedora/RHEL `{}`, Alpine `{}`",
        package.unwrap_or("it"),
        needs.libraries,
        needs.debian,
        needs.fedora,
        needs.alpine
    )
}

/// Findings as text; `subject` says what was explained (`psycopg2.log`, `numpy==1.24.4`).
pub(crate) fn write_findings(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let entry = f.issue.entry();
        writeln!(out, "{}: {}", entry.key, entry.title)?;
        let mut what = match (&f.package, &f.version) {
            (Some(p), Some(v)) => format!("{p} {v}"),
            (Some(p), None) => p.clone(),
            _ => String::new(),
        };
        if let Some(t) = &f.target {
            what = if what.is_empty() {
                t.clone()
            } else {
                format!("{what} on {t}")
            };
        }
        if !what.is_empty() {
            writeln!(out, "  {what}")?;
        }
        writeln!(out, "  found: {}", f.evidence)?;
        if let Some(d) = &f.detail {
            writeln!(out, "  detail: {d}")?;
        }
        write_entry_body(out, entry, "  ")?;
        if let Some(needs) = f.needs() {
            write_needs(out, f.package.as_deref(), needs)?;
        }
    }
    Ok(())
}

/// Findings as a JSON array, each with its entry's title, cause and remedies.
pub(crate) fn findings_json(findings: &[Finding]) -> serde_json::Value {
    let items: Vec<FindingJson<'_>> = findings
        .iter()
        .map(|f| {
            let e = f.issue.entry();
            FindingJson {
                finding: f,
                title: e.title,
                cause: e.cause,
                remedies: e.remedies,
                build_needs: f.needs().map(|n| NeedsJson {
                    libraries: n.libraries,
                    debian: n.debian,
                    fedora: n.fedora,
                    alpine: n.alpine,
                }),
            }
        })
        .collect();
    serde_json::json!({ "findings": items })
}

/// The whole catalog as text.
pub(crate) fn write_catalog(out: &mut dyn Write) -> io::Result<()> {
    for (i, entry) in ENTRIES.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}: {}", entry.key, entry.title)?;
        write_entry_body(out, entry, "  ")?;
    }
    writeln!(out)?;
    writeln!(out, "building well-known packages from source needs:")?;
    for needs in &super::BUILD_NEEDS {
        writeln!(
            out,
            "  {}: {} (Debian/Ubuntu `{}`, Fedora/RHEL `{}`, Alpine `{}`)",
            needs.packages.join(", "),
            needs.libraries,
            needs.debian,
            needs.fedora,
            needs.alpine
        )?;
    }
    Ok(())
}

/// The whole catalog as JSON.
pub(crate) fn catalog_json() -> serde_json::Value {
    let entries: Vec<EntryJson<'_>> = ENTRIES.iter().map(EntryJson::from).collect();
    let needs: Vec<serde_json::Value> = super::BUILD_NEEDS
        .iter()
        .map(|n| {
            serde_json::json!({
                "packages": n.packages,
                "libraries": n.libraries,
                "debian": n.debian,
                "fedora": n.fedora,
                "alpine": n.alpine,
            })
        })
        .collect();
    serde_json::json!({ "entries": entries, "build_needs": needs })
}
