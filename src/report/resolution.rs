//! The transitive part of a target's report: both resolutions (default and wheel-only), the
//! downgrades a wheel-only install makes and the packages that block one, converted from the
//! resolver's [`Analysis`] into plain serializable data. Pure.

use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use crate::resolve::{Analysis, Resolution, ResolvedPackage};

/// How dependencies were treated in this report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dependencies {
    /// Every target's full dependency tree was resolved.
    Resolved,
    /// `--no-deps`: only the direct requirements were assessed.
    DirectOnly,
    /// The inputs are lock files: the pinned set was checked as is, without resolving.
    Locked,
}

/// Whether a resolved package installs from a wheel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolvedStatus {
    /// A compatible wheel exists for the chosen version.
    Wheel,
    /// No compatible wheel: the sdist is built.
    SdistOnly,
}

/// One package of a resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedEntry {
    /// Normalized name.
    pub name: String,
    /// The chosen version.
    pub version: Version,
    /// Wheel or source build.
    pub status: ResolvedStatus,
    /// The compatible wheel that would be installed.
    pub wheel: Option<String>,
    /// Extras that are active.
    pub extras: Vec<String>,
    /// Its metadata came from an sdist that does not declare its dependencies statically.
    pub dependencies_unknown: bool,
    /// Dependency paths from a direct requirement to this package, inclusive.
    pub required_by: Vec<Vec<String>>,
}

impl ResolvedEntry {
    fn from_package(p: &ResolvedPackage) -> Self {
        Self {
            name: p.name.to_string(),
            version: p.version.clone(),
            status: if p.needs_build {
                ResolvedStatus::SdistOnly
            } else {
                ResolvedStatus::Wheel
            },
            wheel: p.wheel.clone(),
            extras: p.extras.iter().map(ToString::to_string).collect(),
            dependencies_unknown: p.dependencies_unknown,
            required_by: paths(&p.required_by),
        }
    }
}

fn paths(paths: &[Vec<pep508_rs::PackageName>]) -> Vec<Vec<String>> {
    paths
        .iter()
        .map(|p| p.iter().map(ToString::to_string).collect())
        .collect()
}

fn entries(resolution: Option<&Resolution>) -> Vec<ResolvedEntry> {
    resolution
        .map(|r| r.packages.iter().map(ResolvedEntry::from_package).collect())
        .unwrap_or_default()
}

/// `a → b → c`.
pub fn path_text(path: &[String]) -> String {
    path.join(" → ")
}

/// The first of `paths` as text when it goes through another package (more than the package
/// itself).
pub(crate) fn first_indirect_path(paths: &[Vec<String>]) -> Option<String> {
    paths.first().filter(|p| p.len() > 1).map(|p| path_text(p))
}

/// Both resolutions of one target.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResolutionReport {
    /// What pip installs by default (newest versions, sdists allowed); empty on a conflict.
    pub default: Vec<ResolvedEntry>,
    /// The `--only-binary :all:` resolution; empty when none exists.
    pub wheel_only: Vec<ResolvedEntry>,
    /// Whether a wheel-only resolution exists.
    pub wheel_only_exists: bool,
    /// Share of the tree that installs from wheels: 1 when a wheel-only resolution exists,
    /// else the share of the least-building resolution (every package but the blockers); 0
    /// when the requirements conflict.
    pub wheel_share: f64,
    /// Why the default resolution fails (the requirements conflict), in the solver's words.
    pub conflict: Option<String>,
    /// Why the wheel-only resolution fails, in the solver's words.
    pub wheel_only_conflict: Option<String>,
    /// Why the resolution could not be done (an index or metadata fetch failed): no
    /// conclusion.
    pub error: Option<String>,
}

/// A package a wheel-only install takes at an older version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DowngradeEntry {
    /// Normalized name.
    pub name: String,
    /// The default version.
    pub from: Version,
    /// The wheel-only version.
    pub to: Version,
    /// Why, e.g. "2.5.5 has no wheel for manylinux_2_17_aarch64".
    pub reason: String,
    /// Dependency paths from a direct requirement, inclusive.
    pub required_by: Vec<Vec<String>>,
}

/// A package without which no wheel-only resolution exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockerEntry {
    /// Normalized name.
    pub name: String,
    /// The version that would be built from source.
    pub version: Version,
    /// Dependency paths from a direct requirement, inclusive.
    pub paths: Vec<Vec<String>>,
    /// The newest version with a compatible wheel, if any (outside the required range).
    pub newest_with_wheel: Option<Version>,
    /// Why it blocks.
    pub reason: String,
    /// The issue catalog's entry for why the version has no wheel, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<crate::catalog::IssueId>,
}

/// The transitive data of one target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TreeAssessment {
    /// Both resolutions.
    pub resolution: ResolutionReport,
    /// Downgrades of the wheel-only resolution.
    pub downgrades: Vec<DowngradeEntry>,
    /// Blockers of a wheel-only resolution.
    pub blockers: Vec<BlockerEntry>,
}

impl BlockerEntry {
    /// Its first dependency path as text (`app → a → b`), or "direct requirement" when it is
    /// one.
    pub fn first_path(&self) -> String {
        self.via()
            .unwrap_or_else(|| "direct requirement".to_string())
    }

    /// Its first dependency path as text (`app → a → b`) when it comes through another
    /// package; `None` when it is a direct requirement (a path of itself alone).
    pub fn via(&self) -> Option<String> {
        first_indirect_path(&self.paths)
    }

    /// `; newest with a wheel: X` or `; no version has a wheel`, to follow its reason.
    pub fn newest_text(&self) -> String {
        match &self.newest_with_wheel {
            Some(v) => format!("; newest with a wheel: {v}"),
            None => "; no version has a wheel".to_string(),
        }
    }
}

impl TreeAssessment {
    /// Converts the resolver's analysis.
    pub fn from_analysis(analysis: &Analysis) -> Self {
        let wheel_share = if analysis.default.is_none() {
            0.0
        } else if analysis.wheel_only.is_some() {
            1.0
        } else {
            match &analysis.relaxed {
                Some(r) if !r.packages.is_empty() => {
                    let wheels = r.packages.iter().filter(|p| !p.needs_build).count();
                    wheels as f64 / r.packages.len() as f64
                }
                _ => 0.0,
            }
        };
        let resolution = ResolutionReport {
            default: entries(analysis.default.as_ref()),
            wheel_only: entries(analysis.wheel_only.as_ref()),
            wheel_only_exists: analysis.wheel_only.is_some(),
            wheel_share,
            conflict: analysis.conflict.clone(),
            wheel_only_conflict: analysis.wheel_only_conflict.clone(),
            error: None,
        };
        let downgrades = analysis
            .downgrades
            .iter()
            .map(|d| DowngradeEntry {
                name: d.name.to_string(),
                from: d.from.clone(),
                to: d.to.clone(),
                reason: d.reason.to_string(),
                required_by: analysis
                    .wheel_only
                    .as_ref()
                    .and_then(|w| w.get(&d.name))
                    .map(|p| paths(&p.required_by))
                    .unwrap_or_default(),
            })
            .collect();
        let blockers = analysis
            .blockers
            .iter()
            .map(|b| BlockerEntry {
                name: b.name.to_string(),
                version: b.version.clone(),
                paths: paths(&b.paths),
                newest_with_wheel: b.newest_with_wheel.clone(),
                reason: b.reason.clone(),
                issue: None,
            })
            .collect();
        Self {
            resolution,
            downgrades,
            blockers,
        }
    }

    /// A resolution that could not be done: no conclusion.
    pub fn failed(error: String) -> Self {
        Self {
            resolution: ResolutionReport {
                error: Some(error),
                ..ResolutionReport::default()
            },
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocker(paths: &[&[&str]]) -> BlockerEntry {
        BlockerEntry {
            name: "pandas".into(),
            version: "1.5.3".parse().unwrap(),
            paths: paths
                .iter()
                .map(|p| p.iter().map(ToString::to_string).collect())
                .collect(),
            newest_with_wheel: None,
            reason: "no wheel".into(),
            issue: None,
        }
    }

    /// A direct requirement's path is itself alone: no "pandas (via pandas)".
    #[test]
    fn a_blocker_is_via_another_package_only_when_its_path_goes_through_one() {
        let direct = blocker(&[&["pandas"]]);
        assert_eq!(
            (direct.via(), direct.first_path()),
            (None, "direct requirement".to_string())
        );
        let transitive = blocker(&[&["app", "pandas"], &["other", "pandas"]]);
        assert_eq!(
            (transitive.via(), transitive.first_path()),
            (Some("app → pandas".to_string()), "app → pandas".to_string())
        );
        assert_eq!(blocker(&[]).via(), None);
    }
}
