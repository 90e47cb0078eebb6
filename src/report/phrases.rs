//! The words every renderer shares: role names, which packages count as problems, and the
//! verdict's wording, so the table, Markdown and JSON say the same thing the same way.

use crate::health::{PackageHealth, Status};
use crate::target::Role;

/// `primary`, `fallback`, `extra`: how roles are named everywhere (the JSON value too).
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Primary => "primary",
        Role::Fallback => "fallback",
        Role::Extra => "extra",
    }
}

/// Whether a package is listed under "problems": it needs a build, nothing installs, the
/// index does not know it or could not answer, or a default install would build a newer
/// version than the one with a wheel.
pub fn is_problem(p: &PackageHealth) -> bool {
    matches!(
        p.status,
        Status::SdistOnly | Status::NoDistribution | Status::NotFound | Status::Error
    ) || (p.status == Status::Wheel && !p.default_has_wheel)
}
