//! The one report model every renderer draws from, and the verdict built from per-target
//! package health and, when dependencies are resolved, each target's whole tree (both
//! resolutions, downgrades, blockers: see [`TreeAssessment`]). Pure: renderers write to any
//! [`std::io::Write`].
//!
//! The JSON form is the contract for CI and later tooling: `schema/report.schema.json` describes
//! it and a test validates real output against it. Bump [`SCHEMA_VERSION`] on any breaking
//! change.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::health::{PackageHealth, Status};
use crate::target::{Role, Target};

pub(crate) mod findings;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub(crate) mod matrix;
pub(crate) mod phrases;
pub(crate) mod plan;
mod recommend;
mod resolution;
pub mod sarif;
pub mod table;
pub(crate) mod upstream;

pub use recommend::Recommendation;
pub use resolution::{
    BlockerEntry, Dependencies, DowngradeEntry, ResolutionReport, ResolvedEntry, ResolvedStatus,
    TreeAssessment, path_text,
};

/// Version of the JSON report's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// The verdict over the primary and fallback targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The primary target is healthy.
    PrimaryHealthy,
    /// The primary is not healthy, but a fallback is (named in `recommended_fallback`).
    FallbackAvailable,
    /// Neither the primary nor any fallback is healthy.
    CompleteFailure,
    /// Something prevented an answer (index unreachable, errors): no conclusion, and never a
    /// reason to fall back.
    AssessmentFailed,
}

impl Verdict {
    /// The machine-readable name (the JSON value, the `wheel_status` recorded in state).
    pub fn key(self) -> &'static str {
        match self {
            Self::PrimaryHealthy => "primary_healthy",
            Self::FallbackAvailable => "fallback_available",
            Self::CompleteFailure => "complete_failure",
            Self::AssessmentFailed => "assessment_failed",
        }
    }

    /// The wording used in tables.
    pub fn describe(self) -> &'static str {
        match self {
            Self::PrimaryHealthy => "primary healthy",
            Self::FallbackAvailable => "fallback available",
            Self::CompleteFailure => "complete failure",
            Self::AssessmentFailed => "assessment failed",
        }
    }
}

/// Package counts of one target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Every requirement considered.
    pub total: usize,
    /// Those counted for health (would be installed and were assessed).
    pub assessed: usize,
    /// With a wheel.
    pub wheel: usize,
    /// Needing a source build.
    pub sdist_only: usize,
    /// Nothing installable.
    pub no_distribution: usize,
    /// Unknown to the index.
    pub not_found: usize,
    /// Marker-excluded.
    pub excluded: usize,
    /// Direct references.
    pub not_assessed: usize,
    /// Index errors.
    pub error: usize,
}

impl Counts {
    fn from_packages(packages: &[PackageHealth]) -> Self {
        let mut c = Self {
            total: packages.len(),
            ..Self::default()
        };
        for p in packages {
            if p.status.is_assessed() {
                c.assessed += 1;
            }
            *match p.status {
                Status::Wheel => &mut c.wheel,
                Status::SdistOnly => &mut c.sdist_only,
                Status::NoDistribution => &mut c.no_distribution,
                Status::NotFound => &mut c.not_found,
                Status::Excluded => &mut c.excluded,
                Status::NotAssessed => &mut c.not_assessed,
                Status::Error => &mut c.error,
            } += 1;
        }
        c
    }

    /// Share of assessed packages with a wheel; 1.0 when nothing was assessed.
    pub fn wheel_share(&self) -> f64 {
        if self.assessed == 0 {
            1.0
        } else {
            self.wheel as f64 / self.assessed as f64
        }
    }
}

/// Where a target's compatible tags and marker values came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagsSource {
    /// Computed from the target's Python and platform.
    Computed,
    /// Reported by an interpreter on this machine (the fallback commands build with it).
    Probed {
        /// The interpreter (for a pyenv shim, the interpreter it ran).
        interpreter: std::path::PathBuf,
    },
}

impl TagsSource {
    /// The interpreter whose tags were used, if any.
    pub fn interpreter(&self) -> Option<&std::path::Path> {
        match self {
            Self::Computed => None,
            Self::Probed { interpreter } => Some(interpreter),
        }
    }
}

impl Serialize for TagsSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            Self::Computed => {
                map.serialize_entry("tags_source", "computed")?;
                map.serialize_entry("interpreter", &None::<String>)?;
            }
            Self::Probed { interpreter } => {
                let path = interpreter.display().to_string();
                map.serialize_entry("tags_source", &format!("probed: {path}"))?;
                map.serialize_entry("interpreter", &Some(path))?;
            }
        }
        map.end()
    }
}

/// One target's results.
#[derive(Clone, Debug, Serialize)]
pub struct TargetReport {
    /// `3.12@manylinux_2_28_x86_64`.
    pub name: String,
    /// `3.12`, `3.13t`.
    pub python: String,
    /// The most specific platform tag.
    pub platform: String,
    /// primary, fallback or extra.
    pub role: Role,
    /// Where the compatible tags and markers came from. In JSON, two fields: `tags_source`
    /// (`computed`, or `probed: <interpreter>`) and `interpreter` (the path, or `null`).
    #[serde(flatten)]
    pub tags_source: TagsSource,
    /// Share of assessed packages with a wheel ≥ threshold, and no errors; when dependencies
    /// are resolved, also: the requirements resolve, and the share of the whole tree that
    /// installs from wheels ≥ threshold.
    pub healthy: bool,
    /// Share of assessed packages with a wheel.
    pub wheel_share: f64,
    /// Counts by status.
    pub counts: Counts,
    /// Per package, in requirement order.
    pub packages: Vec<PackageHealth>,
    /// Both resolutions of the whole tree; `null` when dependencies were not resolved
    /// (`--no-deps`, lock files).
    pub resolution: Option<ResolutionReport>,
    /// Packages a wheel-only install takes at an older version than a default install.
    pub downgrades: Vec<DowngradeEntry>,
    /// When no wheel-only resolution exists: every package that blocks one.
    pub blockers: Vec<BlockerEntry>,
}

impl TargetReport {
    /// Builds a target's report; `healthy` follows the threshold and errors.
    pub fn new(
        target: &Target,
        tags_source: TagsSource,
        packages: Vec<PackageHealth>,
        tree: Option<TreeAssessment>,
        threshold: f64,
    ) -> Self {
        let counts = Counts::from_packages(&packages);
        let wheel_share = counts.wheel_share();
        let tree_ok = tree.as_ref().is_none_or(|t| {
            let r = &t.resolution;
            r.error.is_none() && r.conflict.is_none() && r.wheel_share >= threshold - f64::EPSILON
        });
        let healthy = counts.error == 0 && wheel_share >= threshold - f64::EPSILON && tree_ok;
        let (resolution, downgrades, blockers) = match tree {
            Some(t) => (Some(t.resolution), t.downgrades, t.blockers),
            None => (None, Vec::new(), Vec::new()),
        };
        Self {
            name: target.name(),
            python: target.python.to_string(),
            platform: target.platform.to_string(),
            role: target.role,
            tags_source,
            healthy,
            wheel_share,
            counts,
            packages,
            resolution,
            downgrades,
            blockers,
        }
    }

    /// Whether this target could not be assessed (lookups or the resolution failed).
    pub fn failed(&self) -> bool {
        self.counts.error > 0 || self.resolution.as_ref().is_some_and(|r| r.error.is_some())
    }

    /// Downgrades of packages that are not direct requirements (those show in the direct
    /// view already).
    pub fn transitive_downgrades(&self) -> impl Iterator<Item = &DowngradeEntry> {
        self.downgrades
            .iter()
            .filter(|d| !self.packages.iter().any(|p| p.name == d.name))
    }

    /// A short phrase about the whole tree, when it says more than the direct counts:
    /// `tree: 14 packages, all from wheels (2 downgraded)`, `tree: 9 packages, 1 blocking`,
    /// `requirements conflict`, `resolution failed`.
    pub fn tree_summary(&self) -> Option<String> {
        let r = self.resolution.as_ref()?;
        if r.error.is_some() {
            return Some("resolution failed".to_string());
        }
        if r.conflict.is_some() {
            return Some("requirements conflict".to_string());
        }
        let direct_only = self.transitive_blockers().next().is_none()
            && self.transitive_downgrades().next().is_none();
        if r.wheel_only_exists {
            let n = r.wheel_only.len();
            if n == self.counts.assessed && direct_only {
                return None;
            }
            let mut text = format!("tree: {n} packages, all from wheels");
            if !self.downgrades.is_empty() {
                let _ = write!(text, " ({} downgraded)", self.downgrades.len());
            }
            Some(text)
        } else {
            let n = r.default.len();
            if n == self.counts.assessed && direct_only {
                return None;
            }
            Some(format!(
                "tree: {n} packages, {} blocking a wheel-only install",
                self.blockers.len()
            ))
        }
    }

    /// Blockers that are not direct requirements already counted as problems.
    pub fn transitive_blockers(&self) -> impl Iterator<Item = &BlockerEntry> {
        self.blockers
            .iter()
            .filter(|b| !self.problems().any(|p| p.name == b.name))
    }

    /// Packages that count against health.
    pub fn problems(&self) -> impl Iterator<Item = &PackageHealth> {
        self.packages
            .iter()
            .filter(|p| p.status.is_assessed() && p.status != Status::Wheel)
    }

    fn problem_summary(&self) -> String {
        let names: Vec<&str> = self.problems().map(|p| p.name.as_str()).collect();
        let mut parts = Vec::new();
        if !names.is_empty() || self.resolution.is_none() {
            parts.push(format!(
                "{} of {} packages {} no wheel on {} ({})",
                names.len(),
                self.counts.assessed,
                if names.len() == 1 { "has" } else { "have" },
                self.name,
                names.join(", ")
            ));
        }
        if let Some(r) = &self.resolution {
            if r.conflict.is_some() {
                parts.push(format!("the requirements conflict on {}", self.name));
            }
            let transitive: Vec<String> = self
                .transitive_blockers()
                .map(|b| match b.paths.first() {
                    Some(path) => path_text(path),
                    None => b.name.clone(),
                })
                .collect();
            if !transitive.is_empty() {
                parts.push(format!(
                    "{} {} no wheel on {} ({})",
                    if transitive.len() == 1 {
                        "1 dependency".to_string()
                    } else {
                        format!("{} dependencies", transitive.len())
                    },
                    if transitive.len() == 1 { "has" } else { "have" },
                    self.name,
                    transitive.join(", ")
                ));
            }
        }
        if parts.is_empty() {
            parts.push(format!("{} is not healthy", self.name));
        }
        parts.join("; ")
    }
}

/// Request and timing figures.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Distinct projects looked up.
    pub projects: usize,
    /// HTTP requests made.
    pub requests: u64,
    /// Pages answered from the cache without a request.
    pub cache_hits: u64,
    /// Wall time of the whole check.
    pub elapsed_ms: u64,
}

/// A requirement the check could not assess at all (not per target).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Skipped {
    /// The text as written.
    pub requirement: String,
    /// Why.
    pub reason: String,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When the check ran (RFC 3339, UTC).
    pub timestamp: String,
    /// wheelwatch's version.
    pub tool_version: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether the project should move to a fallback (never true when the assessment failed).
    pub fallback_required: bool,
    /// Why, when a fallback is required or impossible.
    pub fallback_reason: Option<String>,
    /// The first healthy fallback's target name.
    pub recommended_fallback: Option<String>,
    /// Actions the data supports (in JSON, each as its sentence).
    pub recommendations: Vec<Recommendation>,
    /// The health threshold used.
    pub threshold: f64,
    /// The requirement sources read.
    pub sources: Vec<String>,
    /// The input was found, not named (`./requirements.txt`, else `./pyproject.toml`): the
    /// table and Markdown then say which file was read.
    #[serde(skip)]
    pub input_discovered: bool,
    /// Where each direct requirement was declared (file and line; `None` for `--package`),
    /// in the order of every target's `packages`: where CI annotations and SARIF results
    /// point. Not in the JSON.
    #[serde(skip)]
    pub origins: Vec<Option<crate::requirements::Origin>>,
    /// Entries skipped before assessment.
    pub skipped: Vec<Skipped>,
    /// Whether dependency trees were resolved, or only the direct requirements (or a locked
    /// set) assessed.
    pub dependencies: Dependencies,
    /// One entry per target: primary, fallbacks, then extras.
    pub targets: Vec<TargetReport>,
    /// Figures.
    pub stats: Stats,
}

impl Report {
    /// Builds the report and its verdict from per-target results.
    pub fn new(
        targets: Vec<TargetReport>,
        dependencies: Dependencies,
        threshold: f64,
        sources: Vec<String>,
        skipped: Vec<Skipped>,
        stats: Stats,
    ) -> Self {
        let primary = targets.iter().find(|t| t.role == Role::Primary);
        let fallbacks: Vec<&TargetReport> = targets
            .iter()
            .filter(|t| t.role == Role::Fallback)
            .collect();
        let errors: usize = targets.iter().map(|t| t.counts.error).sum();
        let failed_resolutions = targets
            .iter()
            .filter(|t| t.resolution.as_ref().is_some_and(|r| r.error.is_some()))
            .count();
        let first_healthy_fallback = fallbacks.iter().find(|t| t.healthy);
        let verdict = if errors > 0 || failed_resolutions > 0 {
            Verdict::AssessmentFailed
        } else if primary.is_none_or(|p| p.healthy) {
            Verdict::PrimaryHealthy
        } else if first_healthy_fallback.is_some() {
            Verdict::FallbackAvailable
        } else {
            Verdict::CompleteFailure
        };
        let fallback_reason = match (verdict, primary) {
            (Verdict::FallbackAvailable | Verdict::CompleteFailure, Some(p)) => {
                let mut reason = p.problem_summary();
                if verdict == Verdict::CompleteFailure && !fallbacks.is_empty() {
                    let _ = write!(reason, "; no fallback is healthy either");
                } else if verdict == Verdict::CompleteFailure {
                    let _ = write!(reason, "; no fallback configured");
                }
                Some(reason)
            }
            (Verdict::AssessmentFailed, _) if errors > 0 => Some(format!(
                "{errors} package {} failed: no conclusion, so no fallback",
                if errors == 1 { "lookup" } else { "lookups" }
            )),
            (Verdict::AssessmentFailed, _) => Some(format!(
                "the dependency resolution failed on {failed_resolutions} {} (an index or \
                 metadata request failed): no conclusion, so no fallback",
                if failed_resolutions == 1 {
                    "target"
                } else {
                    "targets"
                }
            )),
            _ => None,
        };
        let recommended_fallback = match verdict {
            Verdict::FallbackAvailable => first_healthy_fallback.map(|t| t.name.clone()),
            _ => None,
        };
        let recommendations = recommend::recommend(
            verdict,
            primary,
            &fallbacks,
            first_healthy_fallback.copied(),
        );
        Self {
            schema_version: SCHEMA_VERSION,
            timestamp: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            verdict,
            fallback_required: matches!(
                verdict,
                Verdict::FallbackAvailable | Verdict::CompleteFailure
            ),
            fallback_reason,
            recommended_fallback,
            recommendations,
            threshold,
            sources,
            input_discovered: false,
            origins: Vec::new(),
            skipped,
            dependencies,
            targets,
            stats,
        }
    }
}
