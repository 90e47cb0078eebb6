//! Upgrade planning (`wheelwatch plan --to TARGET`): the smallest set of requirement changes
//! that makes one target healthy, i.e. gives its whole tree a wheel-only resolution. Owns the
//! planning rules and the plan's model; pure: each round reads one [`Assessment`] of the target
//! (with the changes planned so far applied, see [`crate::assess::RequirementEdits`]) and the
//! pages it fetched. The command runs the rounds and renders ([`crate::report::plan`]).
//!
//! Rules, per round:
//! - a direct requirement with no wheel there (it would be built, or nothing installs) is raised
//!   to the lowest version above it with a compatible wheel there: `==V` when it was pinned,
//!   else `>=V` (its upper bounds kept), so the change is as small as it can be;
//! - a transitive package that blocks the wheel-only resolution gets the constraint `>=V`, V
//!   the lowest version above the blocked one with a wheel there;
//! - a package with no such version stays blocked.
//!
//! Rounds go on while they change something (raising one pin can bring new blockers); the plan
//! is feasible when the last assessment has a wheel-only resolution of the whole tree. When no
//! round changes anything any more and there is none, the still-blocked packages (and the
//! resolver's explanation of a conflict) say why no plan exists.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use serde::Serialize;

use crate::assess::{Assessment, RequirementEdits};
use crate::health::Status;
use crate::matrix::first_with_wheel;
use crate::report::TargetReport;
use crate::requirements::RequirementSet;
use crate::tags::Tags;

/// Version of the JSON plan's shape (`schema/plan.schema.json`).
pub(crate) const PLAN_SCHEMA_VERSION: u32 = 1;

/// What a change edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChangeKind {
    /// A requirement of the user's files.
    Requirement,
    /// A constraint on a transitive package (the constraints file).
    Constraint,
}

/// One planned change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    /// Normalized name.
    pub(crate) package: String,
    /// What it edits.
    pub(crate) kind: ChangeKind,
    /// The requirement as declared (`numpy==1.24.4`), or for a constraint the version the
    /// tree would have built.
    pub(crate) from: String,
    /// The new requirement or constraint (`numpy==1.26.0`, `greenlet>=3.1.0`).
    pub(crate) to: String,
}

/// A package no change can give a wheel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Blocked {
    /// Normalized name.
    pub(crate) package: String,
    /// The version that would be built, if any.
    pub(crate) version: Option<Version>,
    /// Why.
    pub(crate) reason: String,
}

/// The re-assessed target after the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct After {
    /// `healthy`, `unhealthy`, or `assessment_failed`.
    pub(crate) verdict: &'static str,
    /// Whether the target is healthy.
    pub(crate) healthy: bool,
    /// Whether a wheel-only resolution of the whole tree exists.
    pub(crate) wheel_only_exists: bool,
    /// Direct requirements with a wheel there.
    pub(crate) wheels: usize,
    /// Direct requirements assessed.
    pub(crate) assessed: usize,
    /// Packages in the tree (the wheel-only resolution, else the default one).
    pub(crate) tree_packages: usize,
    /// Packages still blocking a wheel-only install.
    pub(crate) blockers: Vec<String>,
    /// The summary line, as `check` words it.
    pub(crate) summary: String,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Plan {
    /// Shape version.
    pub(crate) schema_version: u32,
    /// The target, as `check` names it (`3.12@manylinux_2_28_x86_64`).
    pub(crate) target: String,
    /// Whether the changes make the target healthy.
    pub(crate) feasible: bool,
    /// The changes: requirements first, then constraints, each by name.
    pub(crate) changes: Vec<Change>,
    /// Packages no change gives a wheel there.
    pub(crate) still_blocked: Vec<Blocked>,
    /// When the requirements (with the changes) cannot be resolved at all: the resolver's
    /// explanation.
    pub(crate) conflict: Option<String>,
    /// The target re-assessed with the changes.
    pub(crate) after: After,
}

/// What a round concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Round {
    /// The target has a wheel-only resolution: done.
    Healthy,
    /// New changes were planned: re-assess with them.
    Changed,
    /// Nothing more can be changed.
    Stuck,
    /// The index could not answer: no conclusion.
    Failed,
}

/// The changes planned so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct PlanState {
    /// New requirements by package, with the declared text they replace.
    replace: BTreeMap<PackageName, (String, Requirement)>,
    /// Constraints by package: (the version that was blocked, the lower bound).
    constrain: BTreeMap<PackageName, (Version, Version)>,
    /// Packages no change helps.
    blocked: BTreeMap<String, Blocked>,
    /// Constraints added by the last round (taken back when they make the requirements
    /// conflict).
    last_constrained: Vec<PackageName>,
}

fn is_raise(op: Operator) -> bool {
    matches!(
        op,
        Operator::Equal
            | Operator::ExactEqual
            | Operator::GreaterThan
            | Operator::GreaterThanEqual
            | Operator::TildeEqual
            | Operator::EqualStar
    )
}

/// `req` moved up to `to`: `==to` when it pinned a version, else its upper bounds and
/// exclusions kept and `>=to` added.
pub(crate) fn raised(req: &Requirement, to: &Version) -> Requirement {
    let specs = match &req.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(s)) => s.iter().cloned().collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let pinned = specs
        .iter()
        .any(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual));
    let text = if pinned {
        format!("=={to}")
    } else {
        let mut parts = vec![format!(">={to}")];
        parts.extend(
            specs
                .iter()
                .filter(|s| !is_raise(*s.operator()))
                .filter(|s| !(matches!(s.operator(), Operator::NotEqual) && s.version() == to))
                .map(ToString::to_string),
        );
        parts.join(",")
    };
    let mut out = req.clone();
    out.version_or_url = Some(VersionOrUrl::VersionSpecifier(
        VersionSpecifiers::from_str(&text).expect("specifiers built from versions parse"),
    ));
    out
}

/// The highest version a requirement's specifiers pin or bound from below.
fn floor(req: &Requirement) -> Option<Version> {
    let Some(VersionOrUrl::VersionSpecifier(specs)) = &req.version_or_url else {
        return None;
    };
    specs
        .iter()
        .filter(|s| is_raise(*s.operator()))
        .map(|s| s.version().clone())
        .max()
}

impl PlanState {
    /// The edits to assess with.
    pub(crate) fn edits(&self) -> RequirementEdits {
        RequirementEdits {
            replace: self.replace.values().map(|(_, r)| r.clone()).collect(),
            constrain: self
                .constrain
                .iter()
                .map(|(name, (_, v))| {
                    crate::pep508::parse_requirement(&format!("{name}>={v}"))
                        .expect("a name and a version parse")
                })
                .collect(),
        }
    }

    /// Reads one assessment of the target (its first target) and plans more changes.
    pub(crate) fn round(&mut self, assessment: &Assessment) -> Round {
        let Some((report, assessed)) = assessment.iter().next() else {
            return Round::Failed;
        };
        if report.failed() {
            return Round::Failed;
        }
        let resolution = report.resolution.as_ref();
        if report.healthy && resolution.is_none_or(|r| r.wheel_only_exists) {
            return Round::Healthy;
        }
        let target = &assessed.target;
        // Constraints that made the requirements conflict are taken back: the package they
        // were for cannot get a wheel without changing what requires it.
        let added = std::mem::take(&mut self.last_constrained);
        if let Some(conflict) = resolution.and_then(|r| r.conflict.as_ref())
            && !added.is_empty()
        {
            for name in added {
                if let Some((blocked, v)) = self.constrain.remove(&name) {
                    self.blocked.insert(
                        name.to_string(),
                        Blocked {
                            package: name.to_string(),
                            version: Some(blocked.clone()),
                            reason: format!(
                                "{blocked} has no wheel for {}, and {name}>={v} (the first \
                                 version with one) conflicts with what requires it: {}",
                                target.name(),
                                conflict.lines().next().unwrap_or_default()
                            ),
                        },
                    );
                }
            }
            return Round::Changed;
        }
        let tags = Tags::new(&target.python, &target.platform);
        let page = |name: &PackageName| assessment.pages.get(name);
        let mut changed = false;
        let declared: BTreeMap<PackageName, &Requirement> = assessment
            .requirements
            .requirements
            .iter()
            .map(|d| (d.requirement.name.clone(), &d.requirement))
            .collect();
        // Direct requirements without a wheel there.
        for p in &report.packages {
            if !matches!(p.status, Status::SdistOnly | Status::NoDistribution) {
                continue;
            }
            let Ok(name) = PackageName::from_str(&p.name) else {
                continue;
            };
            let Some(req) = declared.get(&name) else {
                continue;
            };
            let above = p
                .default_version
                .clone()
                .or_else(|| p.version.clone())
                .or_else(|| floor(req));
            changed |= self.raise(
                &name,
                req,
                above,
                page(&name).map(AsRef::as_ref),
                &tags,
                target,
                &p.reason,
            );
        }
        // Transitive blockers.
        for b in &report.blockers {
            let Ok(name) = PackageName::from_str(&b.name) else {
                continue;
            };
            if let Some(req) = declared.get(&name) {
                changed |= self.raise(
                    &name,
                    req,
                    Some(b.version.clone()),
                    page(&name).map(AsRef::as_ref),
                    &tags,
                    target,
                    &b.reason,
                );
                continue;
            }
            if self.blocked.contains_key(b.name.as_str()) {
                continue;
            }
            let first = page(&name)
                .and_then(|pg| first_with_wheel(pg, &tags, target, Some(&b.version), false));
            match first {
                Some(v) if self.constrain.get(&name).is_none_or(|(_, old)| *old < v) => {
                    self.constrain.insert(name.clone(), (b.version.clone(), v));
                    self.last_constrained.push(name);
                    changed = true;
                }
                Some(_) => {}
                None => {
                    self.blocked.insert(
                        b.name.clone(),
                        Blocked {
                            package: b.name.clone(),
                            version: Some(b.version.clone()),
                            reason: format!("{}{}", b.reason, no_later_wheel(&target.name())),
                        },
                    );
                }
            }
        }
        if changed {
            Round::Changed
        } else {
            Round::Stuck
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn raise(
        &mut self,
        name: &PackageName,
        req: &Requirement,
        above: Option<Version>,
        page: Option<&crate::dist::ProjectPage>,
        tags: &Tags,
        target: &crate::target::Target,
        reason: &str,
    ) -> bool {
        let first = page.and_then(|pg| first_with_wheel(pg, tags, target, above.as_ref(), false));
        match first {
            Some(v) => {
                let original = self
                    .replace
                    .get(name)
                    .map_or_else(|| req.to_string(), |(o, _)| o.clone());
                let new = raised(req, &v);
                if self.replace.get(name).is_some_and(|(_, r)| *r == new) {
                    return false;
                }
                self.replace.insert(name.clone(), (original, new));
                true
            }
            None => {
                self.blocked.insert(
                    name.to_string(),
                    Blocked {
                        package: name.to_string(),
                        version: above,
                        reason: format!("{reason}{}", no_later_wheel(&target.name())),
                    },
                );
                false
            }
        }
    }

    /// The plan, from the state and the last assessment (the re-assessment of the changes).
    pub(crate) fn finish(&self, original: &RequirementSet, last: &Assessment) -> Plan {
        let report = last.report.targets.first();
        let mut changes: Vec<Change> = self
            .replace
            .iter()
            .map(|(name, (from, to))| Change {
                package: name.to_string(),
                kind: ChangeKind::Requirement,
                from: original
                    .requirements
                    .iter()
                    .find(|d| d.requirement.name == *name)
                    .map_or_else(|| from.clone(), |d| d.raw.clone()),
                to: to.to_string(),
            })
            .collect();
        changes.extend(self.constrain.iter().map(|(name, (blocked, v))| Change {
            package: name.to_string(),
            kind: ChangeKind::Constraint,
            from: format!("{name}=={blocked}"),
            to: format!("{name}>={v}"),
        }));
        let after = report.map_or_else(
            || After {
                verdict: "assessment_failed",
                healthy: false,
                wheel_only_exists: false,
                wheels: 0,
                assessed: 0,
                tree_packages: 0,
                blockers: Vec::new(),
                summary: "not assessed".to_string(),
            },
            after,
        );
        let feasible = after.healthy && after.wheel_only_exists;
        let still_blocked: Vec<Blocked> = if feasible {
            Vec::new()
        } else {
            let mut blocked: Vec<Blocked> = self.blocked.values().cloned().collect();
            // Blockers of the last assessment no round could help are blocked too.
            if let Some(r) = report {
                for b in &r.blockers {
                    if !blocked.iter().any(|x| x.package == b.name) {
                        blocked.push(Blocked {
                            package: b.name.clone(),
                            version: Some(b.version.clone()),
                            reason: b.reason.clone(),
                        });
                    }
                }
            }
            blocked
        };
        Plan {
            schema_version: PLAN_SCHEMA_VERSION,
            target: report.map_or_else(String::new, |r| r.name.clone()),
            feasible,
            changes,
            still_blocked,
            conflict: report
                .and_then(|r| r.resolution.as_ref())
                .and_then(|r| r.conflict.clone()),
            after,
        }
    }
}

fn no_later_wheel(target: &str) -> String {
    format!("; no later version has a wheel for {target}")
}

fn after(r: &TargetReport) -> After {
    let wheel_only_exists = r.resolution.as_ref().is_none_or(|x| x.wheel_only_exists);
    let tree_packages = r.resolution.as_ref().map_or(0, |x| {
        if x.wheel_only_exists {
            x.wheel_only.len()
        } else {
            x.default.len()
        }
    });
    let mut summary = format!(
        "{}/{} direct requirements with wheels",
        r.counts.wheel, r.counts.assessed
    );
    if let Some(tree) = r.tree_summary() {
        summary.push_str("; ");
        summary.push_str(&tree);
    } else if let Some(x) = &r.resolution
        && x.wheel_only_exists
    {
        let _ = write!(summary, "; tree: {tree_packages} packages, all from wheels");
    }
    After {
        verdict: if r.failed() {
            "assessment_failed"
        } else if r.healthy {
            "healthy"
        } else {
            "unhealthy"
        },
        healthy: r.healthy,
        wheel_only_exists,
        wheels: r.counts.wheel,
        assessed: r.counts.assessed,
        tree_packages,
        blockers: r.blockers.iter().map(|b| b.name.clone()).collect(),
        summary,
    }
}

/// `text` (a requirements file) with each `(1-based line, old requirement text, new text)`
/// applied: the old text replaced on its line (comments and options kept), or the whole line
/// when the old text is not found as written.
pub(crate) fn edit_text(text: &str, edits: &[(usize, String, String)]) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    for (line, old, new) in edits {
        let Some(l) = line.checked_sub(1).and_then(|i| lines.get_mut(i)) else {
            continue;
        };
        let ending = if l.ends_with("\r\n") {
            "\r\n"
        } else if l.ends_with('\n') {
            "\n"
        } else {
            ""
        };
        *l = if l.contains(old.as_str()) {
            l.replacen(old.as_str(), new, 1)
        } else {
            format!("{new}{ending}")
        };
    }
    lines.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> Requirement {
        crate::pep508::parse_requirement(s).unwrap()
    }

    #[test]
    fn raising_keeps_the_change_small() {
        let v = Version::from_str("1.26.0").unwrap();
        let cases = [
            ("numpy==1.24.4", "numpy==1.26.0"),
            ("numpy", "numpy>=1.26.0"),
            ("numpy>=1.20,<2", "numpy>=1.26.0,<2"),
            ("numpy~=1.24.0,!=1.26.0", "numpy>=1.26.0"),
            (
                "numpy[x]==1.24.4; python_version >= '3.9'",
                "numpy[x]==1.26.0 ; python_full_version >= '3.9'",
            ),
        ];
        for (from, to) in cases {
            assert_eq!(raised(&req(from), &v).to_string(), to, "{from}");
        }
    }

    #[test]
    fn file_edits_keep_comments() {
        let text = "# pins\nnumpy==1.24.4  # old\r\npandas==2.0.3\n";
        let out = edit_text(
            text,
            &[
                (2, "numpy==1.24.4".into(), "numpy==1.26.0".into()),
                (3, "pandas == 2.0.3".into(), "pandas==2.1.1".into()),
            ],
        );
        assert_eq!(out, "# pins\nnumpy==1.26.0  # old\r\npandas==2.1.1\n");
    }
}
