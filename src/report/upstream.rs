//! The upstream escalation report (the runbook's vendor support report, generated from
//! evidence instead of hard-coded): for each project that keeps a target from a wheel-only
//! install, the environment, the targets it has no wheel for and since when, which of its
//! versions have which wheels, its own links, how many of our requirements it blocks (the
//! report is ordered by that, as caniusepython3 orders its blockers), and an issue text ready
//! to file. The model is built by `commands::upstream` from an assessment, the index pages and
//! the history store; here it is rendered as Markdown or JSON
//! (`schema/upstream-report.schema.json`). Pure.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use crate::catalog::IssueId;

/// Version of the JSON shape.
pub(crate) const UPSTREAM_SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct UpstreamReport {
    /// [`UPSTREAM_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When it was generated (RFC 3339, UTC).
    pub generated_at: String,
    /// wheelwatch's version.
    pub tool_version: String,
    /// Where the evidence comes from.
    pub environment: Environment,
    /// The requirement sources assessed.
    pub sources: Vec<String>,
    /// Blocking projects, most blocking first.
    pub blockers: Vec<ProjectBlocker>,
}

/// This machine and the targets assessed.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Environment {
    /// `linux`, `macos`, `windows`.
    pub os: String,
    /// `x86_64`, `aarch64`.
    pub architecture: String,
    /// `glibc 2.36`, `musl 1.2`, or `None` off Linux.
    pub libc: Option<String>,
    /// Each target's interpreter on this machine.
    pub interpreters: Vec<InterpreterFound>,
}

/// A target and the interpreter found for it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct InterpreterFound {
    /// The target (`3.12@manylinux_2_28_x86_64`).
    pub target: String,
    /// `primary`, `fallback`, `extra`.
    pub role: String,
    /// The interpreter's version, when one was probed.
    pub version: Option<String>,
    /// Its path.
    pub path: Option<String>,
}

/// One project that blocks a wheel-only install somewhere.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ProjectBlocker {
    /// Normalized name.
    pub name: String,
    /// How many of our direct requirements it blocks.
    pub blocks_count: usize,
    /// Those requirements (itself when it is one), sorted.
    pub blocks: Vec<String>,
    /// The targets it has no wheel for.
    pub targets: Vec<TargetGap>,
    /// Its versions that matter (the ones we need, and the newest), newest first.
    pub versions: Vec<VersionWheels>,
    /// Its links, from its own metadata.
    pub links: Links,
    /// A ready-to-file issue.
    pub issue: IssueText,
}

/// A target the project has no wheel for.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TargetGap {
    /// The target.
    pub target: String,
    /// `3.12`, `3.13t`.
    pub python: String,
    /// The platform tag.
    pub platform: String,
    /// The version that would have to be built.
    pub version: String,
    /// The newest version with a wheel for the target, if any.
    pub newest_with_wheel: Option<String>,
    /// The issue catalog's entry.
    pub issue: Option<IssueId>,
    /// Why, in the assessment's words.
    pub reason: String,
    /// Since when the recorded history shows it without a wheel there (the first run of the
    /// current streak), when there is a history.
    pub since: Option<String>,
    /// How a dependency path reaches it (`app → a → b`), when it is not direct.
    pub via: Option<String>,
}

/// One version's wheels.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct VersionWheels {
    /// The version.
    pub version: String,
    /// When its first file was uploaded, if the index says.
    pub uploaded: Option<String>,
    /// Python tags of its wheels (`cp311`, `cp312`, `py3`), sorted.
    pub pythons: Vec<String>,
    /// ABI tags of its wheels (`cp312`, `abi3`, `none`), sorted.
    pub abis: Vec<String>,
    /// Platform tags of its wheels, sorted.
    pub platforms: Vec<String>,
    /// It has an sdist.
    pub sdist: bool,
    /// Which of our targets one of its wheels fits.
    pub targets_with_wheel: Vec<String>,
}

/// The project's own links.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Links {
    /// The issue tracker (a `Project-URL` labelled Issues, Bug Tracker, …).
    pub issues: Option<String>,
    /// The source repository (`Project-URL` Source, Repository, …).
    pub source: Option<String>,
    /// `Home-page`.
    pub home_page: Option<String>,
    /// Every `Project-URL` as `[label, url]`.
    pub project_urls: Vec<(String, String)>,
}

/// An issue to file.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct IssueText {
    /// Its title.
    pub title: String,
    /// Its body (Markdown).
    pub body: String,
}

/// Picks the issue tracker and source links out of `Project-URL` labels.
pub(crate) fn links(home_page: Option<String>, project_urls: Vec<(String, String)>) -> Links {
    let find = |labels: &[&str]| {
        project_urls
            .iter()
            .find(|(label, _)| {
                let l = label.to_ascii_lowercase().replace([' ', '-', '_'], "");
                labels.contains(&l.as_str())
            })
            .map(|(_, url)| url.clone())
    };
    Links {
        issues: find(&[
            "issues",
            "bugtracker",
            "tracker",
            "bugreports",
            "issuetracker",
            "bugs",
        ]),
        source: find(&[
            "source",
            "sourcecode",
            "repository",
            "code",
            "github",
            "homepage",
        ]),
        home_page,
        project_urls,
    }
}

/// The issue text for one blocker.
pub(crate) fn issue_text(
    blocker: &ProjectBlocker,
    environment: &Environment,
    tool_version: &str,
) -> IssueText {
    let pythons: Vec<String> = unique(blocker.targets.iter().map(|t| {
        if t.python.ends_with('t') {
            format!("free-threaded CPython {}", t.python)
        } else {
            format!("CPython {}", t.python)
        }
    }));
    let platforms = unique(blocker.targets.iter().map(|t| t.platform.clone()));
    let versions = unique(blocker.targets.iter().map(|t| t.version.clone()));
    let title = format!(
        "Wheels for {} on {} ({} {})",
        pythons.join(", "),
        platforms.join(", "),
        blocker.name,
        versions.join(", ")
    );
    let mut body = String::new();
    let _ = write!(
        body,
        "`{}` {} has no wheel for the following targets, so installing it there builds it from \
         source:\n\n",
        blocker.name,
        versions.join(", ")
    );
    body.push_str("| target | version | why | since |\n|---|---|---|---|\n");
    for t in &blocker.targets {
        let _ = writeln!(
            body,
            "| {} | {} | {} | {} |",
            t.target,
            t.version,
            md_cell(&t.reason),
            t.since.as_deref().unwrap_or("—")
        );
    }
    body.push_str("\nWheels of the versions involved:\n\n");
    body.push_str(
        "| version | uploaded | Python tags | platforms | sdist |\n|---|---|---|---|---|\n",
    );
    for v in &blocker.versions {
        let _ = writeln!(
            body,
            "| {} | {} | {} | {} | {} |",
            v.version,
            v.uploaded.as_deref().unwrap_or("—"),
            list_or_none(&v.pythons),
            list_or_none(&v.platforms),
            if v.sdist { "yes" } else { "no" }
        );
    }
    let _ = write!(
        body,
        "\nEnvironment: {} {}{}.\n\n",
        environment.os,
        environment.architecture,
        environment
            .libc
            .as_ref()
            .map_or_else(String::new, |l| format!(", {l}"))
    );
    let asks: Vec<String> = unique(blocker.targets.iter().map(|t| match t.issue {
        Some(IssueId::NoFreeThreadedWheel) => format!(
            "free-threaded (`cp{}t`) wheels",
            t.python.trim_end_matches('t').replace('.', "")
        ),
        Some(IssueId::ManylinuxTooNew) => format!("wheels for an older manylinux ({})", t.platform),
        Some(IssueId::MacosTooNew) => format!("wheels for an older macOS ({})", t.platform),
        Some(IssueId::NoMusllinuxWheel) => format!("musllinux wheels ({})", t.platform),
        Some(IssueId::RequiresPython) => format!("support for Python {}", t.python),
        _ => format!("wheels for CPython {} on {}", t.python, t.platform),
    }));
    let _ = write!(
        body,
        "Would you consider publishing {}? It would let projects that depend on `{}` install it \
         without a compiler there. Thank you!\n\n(Found by wheelwatch {tool_version}.)\n",
        asks.join(" and "),
        blocker.name
    );
    IssueText { title, body }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "—".to_string()
    } else {
        items.join(", ")
    }
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Writes the report as Markdown.
pub(crate) fn write_markdown(report: &UpstreamReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "# Upstream report: projects blocking wheel-only installs"
    )?;
    writeln!(out)?;
    let env = &report.environment;
    writeln!(
        out,
        "Environment: {} {}{}; requirements: {}.",
        env.os,
        env.architecture,
        env.libc
            .as_ref()
            .map_or_else(String::new, |l| format!(", {l}")),
        if report.sources.is_empty() {
            "—".to_string()
        } else {
            report.sources.join(", ")
        }
    )?;
    writeln!(out)?;
    writeln!(out, "| target | role | interpreter |")?;
    writeln!(out, "|---|---|---|")?;
    for i in &env.interpreters {
        let found = match (&i.version, &i.path) {
            (Some(v), Some(p)) => format!("{v} (`{p}`)"),
            _ => "not installed here (tags computed)".to_string(),
        };
        writeln!(out, "| {} | {} | {found} |", i.target, i.role)?;
    }
    writeln!(out)?;
    if report.blockers.is_empty() {
        writeln!(out, "No project blocks a wheel-only install on any target.")?;
        return Ok(());
    }
    writeln!(out, "| project | blocks | targets without a wheel |")?;
    writeln!(out, "|---|---|---|")?;
    for b in &report.blockers {
        writeln!(
            out,
            "| {} | {} ({}) | {} |",
            b.name,
            b.blocks_count,
            b.blocks.join(", "),
            b.targets
                .iter()
                .map(|t| t.target.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    for b in &report.blockers {
        writeln!(out)?;
        writeln!(out, "## {}", b.name)?;
        writeln!(out)?;
        writeln!(
            out,
            "Blocks {} of our requirements: {}.",
            b.blocks_count,
            b.blocks.join(", ")
        )?;
        let mut links = Vec::new();
        if let Some(u) = &b.links.issues {
            links.push(format!("issues: <{u}>"));
        }
        if let Some(u) = &b.links.source {
            links.push(format!("source: <{u}>"));
        }
        if let Some(u) = &b.links.home_page {
            links.push(format!("home page: <{u}>"));
        }
        if links.is_empty() {
            writeln!(out, "Links: none in its metadata.")?;
        } else {
            writeln!(out, "Links: {}.", links.join(", "))?;
        }
        writeln!(out)?;
        writeln!(out, "| target | version | issue | why | since | via |")?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        for t in &b.targets {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                t.target,
                t.version,
                t.issue
                    .map_or_else(|| "—".to_string(), |i| format!("`{i}`")),
                md_cell(&t.reason),
                t.since.as_deref().unwrap_or("—"),
                t.via.as_deref().map_or_else(|| "—".to_string(), md_cell)
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "| version | uploaded | Python tags | ABI tags | platforms | sdist | wheel for our targets |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        for v in &b.versions {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                v.version,
                v.uploaded.as_deref().unwrap_or("—"),
                list_or_none(&v.pythons),
                list_or_none(&v.abis),
                list_or_none(&v.platforms),
                if v.sdist { "yes" } else { "no" },
                list_or_none(&v.targets_with_wheel)
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>Issue to file: {}</summary>",
            b.issue.title
        )?;
        writeln!(out)?;
        writeln!(out, "```markdown")?;
        write!(out, "{}", b.issue.body)?;
        writeln!(out, "```")?;
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}
