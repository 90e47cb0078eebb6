//! The report's problems as CI findings: one [`Finding`] per kind of problem ([`Rule`]) and
//! requirement, grouping every target it affects, placed at the requirement's own file and
//! line (a transitive problem at the line of the direct requirement that pulls it in). The
//! GitHub annotations ([`super::github`]) and SARIF ([`super::sarif`]) renderers draw from
//! this one list, so both say the same thing at the same place. Pure.
//!
//! Levels: a problem that affects the primary target, and a lookup that failed (no
//! conclusion), is an error; a problem only on fallbacks or informational targets, a default
//! install that builds from source while an older version has a wheel, and a wheel-only
//! downgrade are warnings.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::phrases::role_name;
use super::{Report, TargetReport};
use crate::health::Status;
use crate::requirements::Origin;
use crate::target::Role;

/// A kind of problem: a SARIF rule, the title of an annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Rule {
    /// Satisfying versions exist only as sdists: installing builds from source.
    NoWheel,
    /// Nothing installable for the target.
    NoDistribution,
    /// The index does not know the project.
    NotFound,
    /// The index could not answer (a lookup or the resolution failed): no conclusion.
    LookupFailed,
    /// A dependency (not a direct requirement) without a wheel blocks a wheel-only install.
    BlockingDependency,
    /// The requirements conflict: no resolution at all.
    Conflict,
    /// A default install picks a version without a wheel although an older one has one.
    DefaultBuilds,
    /// A wheel-only install takes an older version of a dependency.
    WheelOnlyDowngrade,
}

impl Rule {
    /// Every rule, in the order SARIF lists them (`ruleIndex` is the position).
    pub(crate) const ALL: [Rule; 8] = [
        Rule::NoWheel,
        Rule::NoDistribution,
        Rule::NotFound,
        Rule::LookupFailed,
        Rule::BlockingDependency,
        Rule::Conflict,
        Rule::DefaultBuilds,
        Rule::WheelOnlyDowngrade,
    ];

    /// The stable id (`WW001` …): SARIF's `ruleId`, never reused for another meaning.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::NoWheel => "WW001",
            Self::NoDistribution => "WW002",
            Self::NotFound => "WW003",
            Self::LookupFailed => "WW004",
            Self::BlockingDependency => "WW005",
            Self::Conflict => "WW006",
            Self::DefaultBuilds => "WW007",
            Self::WheelOnlyDowngrade => "WW008",
        }
    }

    /// SARIF's `name`: a readable identifier.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::NoWheel => "NoWheel",
            Self::NoDistribution => "NoDistribution",
            Self::NotFound => "NotOnIndex",
            Self::LookupFailed => "IndexLookupFailed",
            Self::BlockingDependency => "DependencyWithoutWheel",
            Self::Conflict => "RequirementsConflict",
            Self::DefaultBuilds => "DefaultInstallBuildsFromSource",
            Self::WheelOnlyDowngrade => "WheelOnlyDowngrade",
        }
    }

    /// A few words, used in titles: `numpy: no wheel for …`.
    pub(crate) fn short(self) -> &'static str {
        match self {
            Self::NoWheel => "no wheel (needs a source build)",
            Self::NoDistribution => "nothing installable",
            Self::NotFound => "not on the index",
            Self::LookupFailed => "the index could not answer",
            Self::BlockingDependency => "a dependency without a wheel",
            Self::Conflict => "the requirements conflict",
            Self::DefaultBuilds => "a default install builds from source",
            Self::WheelOnlyDowngrade => "downgraded by a wheel-only install",
        }
    }

    /// One sentence saying what the rule finds.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::NoWheel => {
                "Every version the requirement allows exists only as a source distribution for \
                 the target: installing it there needs a compiler and build dependencies."
            }
            Self::NoDistribution => {
                "No version the requirement allows can be installed on the target: no \
                 compatible wheel and no source distribution (or requires-python excludes \
                 the target)."
            }
            Self::NotFound => "The package index does not know the project.",
            Self::LookupFailed => {
                "The package index could not answer (unreachable, an error, or an answer that \
                 is not an index page): there is no conclusion for this requirement."
            }
            Self::BlockingDependency => {
                "A dependency pulled in by this requirement has no compatible wheel: no \
                 wheel-only install of the whole tree exists on the target."
            }
            Self::Conflict => "The requirements cannot be satisfied together on the target.",
            Self::DefaultBuilds => {
                "A default install (sdists allowed) picks a version without a compatible \
                 wheel and builds it from source, although an older allowed version has a wheel."
            }
            Self::WheelOnlyDowngrade => {
                "A wheel-only install takes an older version of a dependency than a default \
                 install would, because the newer one has no compatible wheel."
            }
        }
    }

    /// What to do about it (Markdown).
    pub(crate) fn help_markdown(self) -> &'static str {
        match self {
            Self::NoWheel => {
                "Allow a version with a wheel (the finding names the newest one), move to a \
                 Python the project publishes wheels for (`wheelwatch fallback`), or provide \
                 a build toolchain (a C compiler, `Python.h`, the package's system \
                 libraries) on that target."
            }
            Self::NoDistribution => {
                "Check the requirement's specifier and the project's `requires-python`; allow \
                 a version published for this Python and platform, or drop the target."
            }
            Self::NotFound => {
                "Check the project's name and the index URL (`--index-url`, `PIP_INDEX_URL`, \
                 or an `--index-url` line in the requirements file)."
            }
            Self::LookupFailed => {
                "Re-run when the index answers. An index failure is never taken for a \
                 missing wheel, and never a reason to fall back."
            }
            Self::BlockingDependency => {
                "Allow the dependency's newest version with a wheel (through a constraint), \
                 provide a build toolchain for it, or use a target where it has a wheel. \
                 The finding names the dependency path."
            }
            Self::Conflict => {
                "Relax one of the conflicting requirements; the finding gives the solver's \
                 explanation."
            }
            Self::DefaultBuilds => {
                "Pin the version with a wheel, or install with `--only-binary :all:` (or from \
                 the lock files `wheelwatch check --lock-dir` writes)."
            }
            Self::WheelOnlyDowngrade => {
                "Nothing is broken: installing from wheels only takes the older version. \
                 Install from the lock files `wheelwatch check --lock-dir` writes to get \
                 exactly the assessed versions."
            }
        }
    }
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Breaks the primary target, or no conclusion.
    Error,
    /// Worth knowing; the primary is not broken by it.
    Warning,
}

impl Level {
    /// SARIF's `level` (and GitHub's command name).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One problem of one requirement (or dependency), over every target it affects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding<'a> {
    /// The kind.
    pub rule: Rule,
    /// Error or warning.
    pub level: Level,
    /// Where: the requirement's file and line (`None` for `--package` and whole-set problems).
    pub origin: Option<&'a Origin>,
    /// One line: `numpy==1.24.4: no wheel (needs a source build) on 3.12@… (primary)`.
    pub title: String,
    /// One line per affected target: `3.12@… (primary): <reason>`.
    pub details: Vec<String>,
    /// What the finding is about, stable between runs (rule, file, package, path): the
    /// source of SARIF's fingerprint.
    pub identity: String,
}

impl Finding<'_> {
    /// The title and the details as one message, a line each.
    pub(crate) fn message(&self) -> String {
        let mut text = self.title.clone();
        for line in &self.details {
            text.push('\n');
            text.push_str(line);
        }
        text
    }
}

/// The level of a problem found on these targets.
fn level_for(rule: Rule, roles: &[Role]) -> Level {
    match rule {
        Rule::LookupFailed => Level::Error,
        Rule::DefaultBuilds | Rule::WheelOnlyDowngrade => Level::Warning,
        _ if roles.contains(&Role::Primary) => Level::Error,
        _ => Level::Warning,
    }
}

fn target_label(t: &TargetReport) -> String {
    format!("{} ({})", t.name, role_name(t.role))
}

/// The rule a direct requirement's status on one target falls under, if it is a problem.
fn direct_rule(p: &crate::health::PackageHealth) -> Option<Rule> {
    match p.status {
        Status::SdistOnly => Some(Rule::NoWheel),
        Status::NoDistribution => Some(Rule::NoDistribution),
        Status::NotFound => Some(Rule::NotFound),
        Status::Error => Some(Rule::LookupFailed),
        Status::Wheel if !p.default_has_wheel => Some(Rule::DefaultBuilds),
        _ => None,
    }
}

/// Collects per-(rule, key) groups in first-seen order.
struct Groups<'r> {
    order: Vec<(Rule, String)>,
    by_key: HashMap<(Rule, String), Group<'r>>,
}

struct Group<'r> {
    subject: String,
    origin_of: Option<usize>,
    targets: Vec<&'r TargetReport>,
    details: Vec<String>,
}

impl<'r> Groups<'r> {
    fn new() -> Self {
        Self {
            order: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    fn add(
        &mut self,
        rule: Rule,
        key: String,
        subject: impl FnOnce() -> String,
        origin_of: Option<usize>,
        target: &'r TargetReport,
        detail: String,
    ) {
        let group = self.by_key.entry((rule, key.clone())).or_insert_with(|| {
            self.order.push((rule, key));
            Group {
                subject: subject(),
                origin_of,
                targets: Vec::new(),
                details: Vec::new(),
            }
        });
        group.targets.push(target);
        group.details.push(detail);
    }
}

/// The index of the direct requirement named `name` (the first declared).
fn direct_index(report: &Report, name: &str) -> Option<usize> {
    report
        .targets
        .first()?
        .packages
        .iter()
        .position(|p| p.name == name)
}

/// Every finding of the report: errors first, then warnings, each in declaration order
/// (direct problems, then dependencies, then whole-set problems).
pub(crate) fn collect(report: &Report) -> Vec<Finding<'_>> {
    let mut groups = Groups::new();
    let rows = report.targets.first().map_or(0, |t| t.packages.len());
    for i in 0..rows {
        for t in &report.targets {
            let Some(p) = t.packages.get(i) else { continue };
            if let Some(rule) = direct_rule(p) {
                groups.add(
                    rule,
                    format!("#{i}"),
                    || p.requirement.clone(),
                    Some(i),
                    t,
                    format!("{}: {}", target_label(t), p.reason),
                );
            }
        }
    }
    for t in &report.targets {
        for b in t.transitive_blockers() {
            let via = b.via();
            let direct = b.paths.first().and_then(|p| p.first());
            groups.add(
                Rule::BlockingDependency,
                format!("{}|{}", b.name, via.clone().unwrap_or_default()),
                || match &via {
                    Some(via) => format!("{} (via {via})", b.name),
                    None => b.name.clone(),
                },
                direct.and_then(|d| direct_index(report, d)),
                t,
                format!(
                    "{}: {} {}: {}{}",
                    target_label(t),
                    b.name,
                    b.version,
                    b.reason,
                    b.newest_text()
                ),
            );
        }
        for d in t.transitive_downgrades() {
            let via = super::resolution::first_indirect_path(&d.required_by);
            let direct = d.required_by.first().and_then(|p| p.first());
            groups.add(
                Rule::WheelOnlyDowngrade,
                format!("{}|{}", d.name, via.clone().unwrap_or_default()),
                || match &via {
                    Some(via) => format!("{} (via {via})", d.name),
                    None => d.name.clone(),
                },
                direct.and_then(|n| direct_index(report, n)),
                t,
                format!("{}: {} → {}: {}", target_label(t), d.from, d.to, d.reason),
            );
        }
        if let Some(r) = &t.resolution {
            if let Some(e) = &r.error {
                groups.add(
                    Rule::LookupFailed,
                    "resolution".into(),
                    || "the dependency resolution".into(),
                    None,
                    t,
                    format!("{}: {e}", target_label(t)),
                );
            }
            if let Some(c) = &r.conflict {
                groups.add(
                    Rule::Conflict,
                    "requirements".into(),
                    || "the requirements".into(),
                    None,
                    t,
                    format!("{}: {}", target_label(t), c.replace('\n', " ")),
                );
            }
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut findings: Vec<Finding<'_>> = groups
        .order
        .iter()
        .map(|key| {
            let rule = key.0;
            let group = &groups.by_key[key];
            let roles: Vec<Role> = group.targets.iter().map(|t| t.role).collect();
            let names: Vec<String> = group.targets.iter().map(|t| target_label(t)).collect();
            let origin = group
                .origin_of
                .and_then(|i| report.origins.get(i))
                .and_then(Option::as_ref);
            let package = group
                .origin_of
                .and_then(|i| report.targets.first()?.packages.get(i))
                .map(|p| p.name.as_str());
            let mut identity = format!(
                "{}|{}|{}|{}",
                rule.id(),
                origin
                    .map(|o| o.file.display().to_string())
                    .unwrap_or_default(),
                package.unwrap_or_default(),
                key.1
                    .split_once('|')
                    .map_or("", |(name, via)| if via.is_empty() { name } else { &key.1 }),
            );
            // The same requirement declared twice in one file: tell the two apart by order.
            let n = seen.entry(identity.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                let _ = write!(identity, "|{n}");
            }
            Finding {
                rule,
                level: level_for(rule, &roles),
                origin,
                title: format!(
                    "{}: {} on {}",
                    group.subject,
                    rule.short(),
                    names.join(", ")
                ),
                details: group.details.clone(),
                identity,
            }
        })
        .collect();
    findings.sort_by_key(|f| f.level);
    findings
}
