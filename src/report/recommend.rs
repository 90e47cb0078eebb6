//! What the report recommends, as data: [`recommend`] picks the actions the verdict and the
//! primary's problems support; each renderer words them through [`super::phrases`] (JSON
//! carries the same sentence the table shows).

use pep440_rs::Version;
use serde::Serialize;

use super::{ResolvedStatus, TargetReport, Verdict, phrases};
use crate::health::Status;

/// One recommended action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recommendation {
    /// The index did not answer: re-run, change nothing.
    RetryLater,
    /// Move to a healthy fallback.
    UseFallback {
        /// Its Python (`3.11`).
        python: String,
        /// Its target name.
        target: String,
        /// The command that does it, as it works when typed (`wheelwatch fallback` plus the
        /// flags the configuration does not supply; see `commands::rerun`).
        command: String,
    },
    /// No fallback is configured and the primary is unhealthy.
    ConfigureFallback,
    /// A direct requirement excludes the newest version with a wheel.
    AllowVersion {
        /// The project.
        package: String,
        /// The requirement as written.
        requirement: String,
        /// The newest version with a wheel.
        version: Version,
        /// The target.
        target: String,
    },
    /// A direct requirement is not on the index.
    NotOnIndex {
        /// The project.
        package: String,
    },
    /// No version of a direct requirement has a wheel.
    NeedsToolchain {
        /// The project.
        package: String,
        /// The target.
        target: String,
    },
    /// A dependency blocks a wheel-only install.
    UnblockDependency {
        /// The project.
        package: String,
        /// The version that would be built.
        version: Version,
        /// Its first dependency path.
        via: Option<String>,
        /// The newest version with a wheel, if any.
        newest_with_wheel: Option<Version>,
        /// The target.
        target: String,
    },
    /// A wheel-only install exists, but a default install builds these from source.
    InstallOnlyBinary {
        /// `name version` of each package a default install builds.
        builds: Vec<String>,
        /// The target.
        target: String,
    },
    /// A default install picks a version without a wheel; an older one has a wheel.
    PinWheelVersion {
        /// The project.
        package: String,
        /// The version with a wheel.
        version: Version,
        /// What a default install picks.
        default_version: Version,
        /// The target.
        target: String,
    },
}

impl Serialize for Recommendation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&phrases::recommendation(self))
    }
}

/// The actions the data supports, most important first.
pub(super) fn recommend(
    verdict: Verdict,
    primary: Option<&TargetReport>,
    fallbacks: &[&TargetReport],
    healthy_fallback: Option<&TargetReport>,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    match verdict {
        Verdict::AssessmentFailed => return vec![Recommendation::RetryLater],
        Verdict::FallbackAvailable => {
            if let Some(f) = healthy_fallback {
                out.push(Recommendation::UseFallback {
                    python: f.python.clone(),
                    target: f.name.clone(),
                    command: "wheelwatch fallback".to_string(),
                });
            }
        }
        Verdict::CompleteFailure if fallbacks.is_empty() => {
            out.push(Recommendation::ConfigureFallback);
        }
        _ => {}
    }
    let Some(p) = primary else {
        return out;
    };
    for pkg in p.problems() {
        out.push(match (&pkg.newest_with_wheel, pkg.status) {
            (Some(v), _) => Recommendation::AllowVersion {
                package: pkg.name.clone(),
                requirement: pkg.requirement.clone(),
                version: v.clone(),
                target: p.name.clone(),
            },
            (None, Status::NotFound) => Recommendation::NotOnIndex {
                package: pkg.name.clone(),
            },
            (None, _) => Recommendation::NeedsToolchain {
                package: pkg.name.clone(),
                target: p.name.clone(),
            },
        });
    }
    for b in p.transitive_blockers() {
        out.push(Recommendation::UnblockDependency {
            package: b.name.clone(),
            version: b.version.clone(),
            via: b.via(),
            newest_with_wheel: b.newest_with_wheel.clone(),
            target: p.name.clone(),
        });
    }
    let direct: Vec<&str> = p.packages.iter().map(|pkg| pkg.name.as_str()).collect();
    if let Some(r) = p.resolution.as_ref().filter(|r| r.wheel_only_exists) {
        let builds: Vec<String> = r
            .default
            .iter()
            .filter(|e| e.status == ResolvedStatus::SdistOnly)
            .filter(|e| !direct.contains(&e.name.as_str()))
            .map(|e| format!("{} {}", e.name, e.version))
            .collect();
        if !builds.is_empty() {
            out.push(Recommendation::InstallOnlyBinary {
                builds,
                target: p.name.clone(),
            });
        }
    }
    for pkg in &p.packages {
        if pkg.status == Status::Wheel
            && !pkg.default_has_wheel
            && let (Some(v), Some(d)) = (&pkg.version, &pkg.default_version)
        {
            out.push(Recommendation::PinWheelVersion {
                package: pkg.name.clone(),
                version: v.clone(),
                default_version: d.clone(),
                target: p.name.clone(),
            });
        }
    }
    out
}
