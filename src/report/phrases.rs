//! The words every renderer shares: role names, which packages count as problems, and the
//! verdict's wording, so the table, Markdown and JSON say the same thing the same way.

use super::Recommendation;
use crate::catalog::IssueId;
use crate::health::{PackageHealth, Status};
use crate::target::Role;

/// `primary`, `fallback`, `extra`: how roles are named everywhere (the JSON value too).
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Primary => "primary",
        Role::Fallback => "fallback",
        Role::Extra => "extra",
    }
}

/// Whether a package is listed under "problems": it needs a build, nothing installs, the
/// index does not know it or could not answer, or a default install would build a newer
/// version than the one with a wheel.
pub(crate) fn is_problem(p: &PackageHealth) -> bool {
    matches!(
        p.status,
        Status::SdistOnly | Status::NoDistribution | Status::NotFound | Status::Error
    ) || (p.status == Status::Wheel && !p.default_has_wheel)
}

/// The issue catalog's short remedy for a problem: `remedy (no-wheel-for-python): allow a
/// release with a wheel for this Python, or use a fallback Python`.
pub(crate) fn remedy_hint(issue: Option<IssueId>) -> Option<String> {
    let entry = issue?.entry();
    Some(format!("remedy ({}): {}", entry.key, entry.hint))
}

/// A recommendation as one sentence.
pub(crate) fn recommendation(r: &Recommendation) -> String {
    match r {
        Recommendation::RetryLater => {
            "Re-run when the index answers; the errors above prevented a \
                                       verdict, so nothing should change on their account."
                .to_string()
        }
        Recommendation::UseFallback {
            python,
            target,
            command,
        } => format!(
            "Use the fallback Python {python} ({target}): every assessed package has a wheel \
             there (`{command}`)."
        ),
        Recommendation::ConfigureFallback => {
            "Configure a fallback Python (`--fallback 3.11`) to learn whether one would work."
                .to_string()
        }
        Recommendation::AllowVersion {
            package,
            requirement,
            version,
            target,
        } => format!(
            "{package}: change the requirement `{requirement}` to allow {version}, the newest \
             version with a wheel for {target}."
        ),
        Recommendation::NotOnIndex { package } => {
            format!("{package}: not on the index; check the name or the index URL.")
        }
        Recommendation::NeedsToolchain { package, target } => format!(
            "{package}: no version has a wheel for {target}; it needs a build toolchain there, \
             or another target."
        ),
        Recommendation::UnblockDependency {
            package,
            version,
            via,
            newest_with_wheel,
            target,
        } => {
            let via = via
                .as_ref()
                .map_or_else(String::new, |path| format!(" (via {path})"));
            match newest_with_wheel {
                Some(v) => format!(
                    "{package}{via}: {v} is the newest version with a wheel for {target}; \
                     allowing it (or a toolchain to build {package} {version}) unblocks a \
                     wheel-only install."
                ),
                None => format!(
                    "{package}{via}: no version has a wheel for {target}; {package} {version} \
                     needs a build toolchain there, or another target."
                ),
            }
        }
        Recommendation::InstallOnlyBinary { builds, target } => format!(
            "Install with `--only-binary :all:` (or from the lock `--lock-dir` writes): a \
             default install builds {} from source on {target}.",
            builds.join(", ")
        ),
        Recommendation::PinWheelVersion {
            package,
            version,
            default_version,
            target,
        } => format!(
            "{package}: pin `{package}=={version}` or install with `--only-binary {package}`: \
             a default install picks {default_version}, which builds from source on {target}."
        ),
    }
}
