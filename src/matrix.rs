//! The compatibility matrix (`wheelwatch matrix`): packages × Python versions × platforms, one
//! cell per package and target, computed from one [`Assessment`] of every (Python, platform)
//! pair and the index pages it fetched. Owns the cell semantics, the totals and the default
//! Python list; pure (no I/O): the command builds the assessment, [`crate::report::matrix`]
//! renders the result.
//!
//! A cell is:
//! - `wheel`: the version that installs from a wheel there (the direct view's choice; with
//!   `--tree`, the version of the target's wheel-only resolution, or of the resolution that
//!   builds only the blockers when no wheel-only one exists);
//! - `no_wheel` (✗): the version that would install needs a source build; `first_with_wheel` is
//!   the lowest version above it (final releases unless pre-releases are on) that has a
//!   compatible wheel there, if any;
//! - `none` (–): nothing installs (no distribution for the target, or no such project);
//!   `first_with_wheel` as for `no_wheel`, when the project has one;
//! - `not_needed` (·): the package is not installed on that target (a marker excludes it, or,
//!   with `--tree`, nothing on that target depends on it);
//! - `error` (?): the index could not answer: no conclusion.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use pep440_rs::Version;
use serde::Serialize;

use crate::assess::Assessment;
use crate::dist::ProjectPage;
use crate::health::Status;
use crate::report::{ResolvedStatus, TargetReport};
use crate::tags::Tags;
use crate::target::Target;
use crate::version_view;

/// Version of the JSON matrix's shape (`schema/matrix.schema.json`).
pub(crate) const MATRIX_SCHEMA_VERSION: u32 = 1;

/// What one cell says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CellStatus {
    /// Installs from a wheel.
    Wheel,
    /// Would need a source build.
    NoWheel,
    /// Nothing installs.
    None,
    /// Not installed on this target.
    NotNeeded,
    /// The index could not answer.
    Error,
}

/// One package on one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Cell {
    /// The Python, as given (`3.12`, `3.14t`).
    pub(crate) python: String,
    /// The platform, as given (`linux`, `macosx_11_0_arm64`).
    pub(crate) platform: String,
    /// What the cell says.
    pub(crate) status: CellStatus,
    /// The version that would install (from a wheel when `status` is `wheel`).
    pub(crate) version: Option<Version>,
    /// When it needs a build or nothing installs: the lowest later version with a wheel there.
    pub(crate) first_with_wheel: Option<Version>,
}

/// One package across every target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Row {
    /// Normalized name.
    pub(crate) package: String,
    /// Whether it is a direct requirement (always, without `--tree`).
    pub(crate) direct: bool,
    /// One cell per target, Python-major (`pythons[0]` on every platform, then `pythons[1]`, …).
    pub(crate) cells: Vec<Cell>,
    /// Cells that install from a wheel.
    pub(crate) wheels: usize,
    /// Cells where the package is installed (all but `not_needed`).
    pub(crate) total: usize,
}

/// One target's column total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct ColumnTotal {
    /// The Python.
    pub(crate) python: String,
    /// The platform.
    pub(crate) platform: String,
    /// Packages that install from a wheel there.
    pub(crate) wheels: usize,
    /// Packages installed there.
    pub(crate) total: usize,
}

/// The whole matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Matrix {
    /// Shape version.
    pub(crate) schema_version: u32,
    /// Whether rows are the whole tree (`--tree`) or the direct requirements.
    pub(crate) tree: bool,
    /// The Pythons, in column order.
    pub(crate) pythons: Vec<String>,
    /// The platforms, in column order (within each Python).
    pub(crate) platforms: Vec<String>,
    /// One row per package: direct requirements in declared order, then the tree by name.
    pub(crate) rows: Vec<Row>,
    /// One total per target, in cell order.
    pub(crate) totals: Vec<ColumnTotal>,
}

/// A date as (year, month, day).
type Ymd = (i16, i8, i8);

/// CPython feature releases: (minor, first release, end of life).
const CPYTHON: &[(u8, Ymd, Ymd)] = &[
    (9, (2020, 10, 5), (2025, 10, 31)),
    (10, (2021, 10, 4), (2026, 10, 31)),
    (11, (2022, 10, 24), (2027, 10, 31)),
    (12, (2023, 10, 2), (2028, 10, 31)),
    (13, (2024, 10, 7), (2029, 10, 31)),
    (14, (2025, 10, 7), (2030, 10, 31)),
    (15, (2026, 10, 1), (2031, 10, 31)),
    (16, (2027, 10, 1), (2032, 10, 31)),
];

/// The default Pythons on `today`: every CPython 3 feature release out and not past its end of
/// life, oldest first, plus the newest of them as a free-threaded build (`3.14t`).
pub(crate) fn default_pythons(today: Date) -> Vec<String> {
    let date = |(y, m, d): Ymd| Date::new(y, m, d).expect("valid table dates");
    let mut out: Vec<String> = CPYTHON
        .iter()
        .filter(|(_, released, eol)| date(*released) <= today && today <= date(*eol))
        .map(|(minor, _, _)| format!("3.{minor}"))
        .collect();
    if let Some(newest) = out.last() {
        let ft = format!("{newest}t");
        out.push(ft);
    }
    out
}

/// The lowest version of `page` above `above` (any, when `None`) with a live compatible wheel
/// for `target` that its requires-python admits; pre-releases only when `pre`.
pub(crate) fn first_with_wheel(
    page: &ProjectPage,
    tags: &Tags,
    target: &Target,
    above: Option<&Version>,
    pre: bool,
) -> Option<Version> {
    version_view::by_version(page, tags, &target.python.full_version())
        .into_iter()
        .filter(|(v, _)| above.is_none_or(|a| *v > a))
        .filter(|(v, _)| pre || !v.any_prerelease())
        .find(|(_, files)| files.live.best_wheel.is_some())
        .map(|(v, _)| v.clone())
}

/// Computes the matrix. `assessment.targets` must be `pythons` × `platforms`, Python-major.
pub(crate) fn build(
    assessment: &Assessment,
    pythons: &[String],
    platforms: &[String],
    tree: bool,
    pre: bool,
) -> Matrix {
    let labels: Vec<(String, String)> = pythons
        .iter()
        .flat_map(|py| platforms.iter().map(move |pl| (py.clone(), pl.clone())))
        .collect();
    let targets: Vec<(&TargetReport, &Target, Tags)> = assessment
        .iter()
        .map(|(report, assessed)| {
            let t = &assessed.target;
            (report, t, Tags::new(&t.python, &t.platform))
        })
        .collect();
    // Direct requirements in their declared order, then the rest of the tree by name.
    let mut names: Vec<String> = Vec::new();
    for (report, _, _) in &targets {
        for p in &report.packages {
            if !names.contains(&p.name) {
                names.push(p.name.clone());
            }
        }
    }
    let direct: BTreeSet<String> = names.iter().cloned().collect();
    if tree {
        let mut rest: BTreeSet<String> = BTreeSet::new();
        for (report, _, _) in &targets {
            if let Some(res) = &report.resolution {
                for e in res.default.iter().chain(&res.wheel_only) {
                    if !direct.contains(&e.name) {
                        rest.insert(e.name.clone());
                    }
                }
            }
        }
        names.extend(rest);
    }
    let pages: BTreeMap<String, &ProjectPage> = assessment
        .pages
        .iter()
        .map(|(name, page)| (name.to_string(), page.as_ref()))
        .collect();
    let first = |name: &str, tags: &Tags, target: &Target, above: Option<&Version>| {
        pages
            .get(name)
            .and_then(|page| first_with_wheel(page, tags, target, above, pre))
    };
    let mut rows = Vec::new();
    for name in names {
        let is_direct = direct.contains(&name);
        let mut cells = Vec::new();
        for ((report, target, tags), (python, platform)) in targets.iter().zip(&labels) {
            let (status, version) = if tree {
                tree_cell(report, &name)
            } else {
                direct_cell(report, &name)
            };
            let first_with_wheel = match status {
                CellStatus::NoWheel => first(&name, tags, target, version.as_ref()),
                CellStatus::None if is_direct => {
                    let floor = requirement_floor(report, &name);
                    first(&name, tags, target, floor.as_ref())
                }
                _ => None,
            };
            cells.push(Cell {
                python: python.clone(),
                platform: platform.clone(),
                status,
                version,
                first_with_wheel,
            });
        }
        let wheels = cells
            .iter()
            .filter(|c| c.status == CellStatus::Wheel)
            .count();
        let total = cells
            .iter()
            .filter(|c| c.status != CellStatus::NotNeeded)
            .count();
        rows.push(Row {
            package: name,
            direct: is_direct,
            cells,
            wheels,
            total,
        });
    }
    let totals = labels
        .iter()
        .enumerate()
        .map(|(i, (python, platform))| ColumnTotal {
            python: python.clone(),
            platform: platform.clone(),
            wheels: rows
                .iter()
                .filter(|r| r.cells[i].status == CellStatus::Wheel)
                .count(),
            total: rows
                .iter()
                .filter(|r| r.cells[i].status != CellStatus::NotNeeded)
                .count(),
        })
        .collect();
    Matrix {
        schema_version: MATRIX_SCHEMA_VERSION,
        tree,
        pythons: pythons.to_vec(),
        platforms: platforms.to_vec(),
        rows,
        totals,
    }
}

/// The highest version a direct requirement's specifiers name as a lower bound or pin
/// (`==1.11.1`, `>=2`): a version to look above when nothing installs.
fn requirement_floor(report: &TargetReport, name: &str) -> Option<Version> {
    use pep440_rs::Operator;
    let p = report.packages.iter().find(|p| p.name == name)?;
    let req = crate::pep508::parse_requirement(&p.requirement).ok()?;
    let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) = req.version_or_url else {
        return None;
    };
    specs
        .iter()
        .filter(|s| {
            matches!(
                s.operator(),
                Operator::Equal
                    | Operator::ExactEqual
                    | Operator::GreaterThan
                    | Operator::GreaterThanEqual
                    | Operator::TildeEqual
            )
        })
        .map(|s| s.version().clone())
        .max()
}

/// A direct requirement's cell: the direct view's status (requirements of one project merged:
/// the first that is assessed).
fn direct_cell(report: &TargetReport, name: &str) -> (CellStatus, Option<Version>) {
    let mut found = report.packages.iter().filter(|p| p.name == name);
    let Some(first) = found.next() else {
        return (CellStatus::NotNeeded, None);
    };
    let p = std::iter::once(first)
        .chain(found)
        .find(|p| p.status != Status::Excluded)
        .unwrap_or(first);
    match p.status {
        Status::Wheel => (CellStatus::Wheel, p.version.clone()),
        Status::SdistOnly => (
            CellStatus::NoWheel,
            p.default_version.clone().or_else(|| p.version.clone()),
        ),
        Status::NoDistribution | Status::NotFound | Status::NotAssessed => (CellStatus::None, None),
        Status::Excluded => (CellStatus::NotNeeded, None),
        Status::Error => (CellStatus::Error, None),
    }
}

/// A package's cell in the whole tree: the wheel-only resolution when one exists, else the
/// default one, where the blockers need a build.
fn tree_cell(report: &TargetReport, name: &str) -> (CellStatus, Option<Version>) {
    let Some(res) = &report.resolution else {
        return direct_cell(report, name);
    };
    if res.error.is_some() {
        return (CellStatus::Error, None);
    }
    if let Some(b) = report.blockers.iter().find(|b| b.name == name) {
        return (CellStatus::NoWheel, Some(b.version.clone()));
    }
    let chosen = if res.wheel_only_exists {
        &res.wheel_only
    } else {
        &res.default
    };
    match chosen.iter().find(|e| e.name == name) {
        Some(e) if e.status == ResolvedStatus::Wheel => {
            (CellStatus::Wheel, Some(e.version.clone()))
        }
        Some(e) => (CellStatus::NoWheel, Some(e.version.clone())),
        // A direct requirement missing from the tree: marker-excluded or not installable, or
        // the tree does not resolve there; the direct view says which.
        None if report.packages.iter().any(|p| p.name == name) => direct_cell(report, name),
        // The tree does not resolve: nothing of it installs.
        None if res.conflict.is_some() => (CellStatus::None, None),
        None => (CellStatus::NotNeeded, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pythons_follow_the_release_calendar() {
        let on = |s: &str| default_pythons(s.parse().unwrap()).join(",");
        assert_eq!(on("2025-06-01"), "3.9,3.10,3.11,3.12,3.13,3.13t");
        assert_eq!(on("2025-12-01"), "3.10,3.11,3.12,3.13,3.14,3.14t");
        assert_eq!(on("2026-12-01"), "3.11,3.12,3.13,3.14,3.15,3.15t");
    }
}
