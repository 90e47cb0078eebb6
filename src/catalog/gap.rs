//! Which catalog entry explains why one version of a project has no wheel for a target, from
//! its files as the index lists them: their tags against the target's tags, their platforms
//! against the target's platform (glibc, musl, macOS version, architecture) and their
//! `requires-python`. Typed data only, never a reason's wording. Pure.
//!
//! Called for the few package-target pairs that are problems (not for every version of every
//! page), so it walks the version's files again instead of widening the hot per-file summary.

use pep440_rs::Version;

use super::IssueId;
use super::installer::macos_arch_fits;
use crate::dist::{DistFile, ProjectPage, PythonFilter};
use crate::platform::Platform;
use crate::tags::{Incompatible, Tags};

/// What one target is, for classifying.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TargetView<'a> {
    /// Its compatible tags.
    pub tags: &'a Tags,
    /// `python_full_version`.
    pub python: &'a Version,
    /// Its platform.
    pub platform: &'a Platform,
    /// A free-threaded build.
    pub free_threaded: bool,
}

/// The entry explaining why `version` of `page` has no compatible wheel on `target`, and a
/// detail naming what the files need (`glibc 2.28`, `macOS 13.0`), or `None` when it has one.
/// Yanked files count only when every file of the version is yanked.
pub(crate) fn classify(
    page: &ProjectPage,
    version: &Version,
    target: &TargetView<'_>,
) -> Option<(IssueId, Option<String>)> {
    let mut files: Vec<&DistFile> = page
        .files
        .iter()
        .filter(|f| f.version() == version)
        .collect();
    if files.iter().any(|f| !f.is_yanked()) {
        files.retain(|f| !f.is_yanked());
    }
    classify_files(&files, target)
}

fn classify_files(
    files: &[&DistFile],
    target: &TargetView<'_>,
) -> Option<(IssueId, Option<String>)> {
    if files.is_empty() {
        return None;
    }
    let mut python = PythonFilter::new(target.python);
    let allowed: Vec<&DistFile> = files.iter().copied().filter(|f| python.allows(f)).collect();
    if allowed.is_empty() {
        let spec = files.iter().find_map(|f| f.requires_python_str());
        return Some((
            IssueId::RequiresPython,
            spec.map(|s| format!("requires-python {s}")),
        ));
    }
    let mut closest: Option<Incompatible> = None;
    let mut platform_misses: Vec<Platform> = Vec::new();
    let mut any_wheel = false;
    for file in &allowed {
        let Some(wheel) = file.wheel() else { continue };
        any_wheel = true;
        match target.tags.compatibility(wheel) {
            Ok(_) => return None,
            Err(miss) => {
                closest = Some(closest.map_or(miss, |c| c.max(miss)));
                if miss == Incompatible::Platform {
                    platform_misses.extend(wheel.platform.iter().filter_map(|p| p.parse().ok()));
                }
            }
        }
    }
    if !any_wheel {
        return Some((IssueId::SdistOnly, None));
    }
    match closest {
        Some(Incompatible::Platform) => Some(platform_issue(target.platform, &platform_misses)),
        Some(Incompatible::Abi) if target.free_threaded => {
            Some((IssueId::NoFreeThreadedWheel, None))
        }
        _ => Some((IssueId::NoWheelForPython, None)),
    }
}

/// The platform entry for wheels that fit the target's Python but not its platform.
fn platform_issue(target: &Platform, wheels: &[Platform]) -> (IssueId, Option<String>) {
    match *target {
        Platform::Manylinux { major, minor, arch } => {
            let newer = wheels
                .iter()
                .filter_map(|p| match *p {
                    Platform::Manylinux {
                        major: a,
                        minor: b,
                        arch: c,
                    } if c == arch && (a, b) > (major, minor) => Some((a, b)),
                    _ => None,
                })
                .min();
            if let Some((a, b)) = newer {
                return (
                    IssueId::ManylinuxTooNew,
                    Some(format!(
                        "the wheels need glibc {a}.{b} (manylinux_{a}_{b}); the target has {major}.{minor}"
                    )),
                );
            }
        }
        Platform::Musllinux { arch, .. } => {
            let musl = wheels
                .iter()
                .any(|p| matches!(*p, Platform::Musllinux { arch: a, .. } if a == arch));
            let glibc = wheels
                .iter()
                .any(|p| matches!(*p, Platform::Manylinux { arch: a, .. } if a == arch));
            if !musl && glibc {
                return (IssueId::NoMusllinuxWheel, None);
            }
        }
        Platform::Macos { major, minor, arch } => {
            let newer = wheels
                .iter()
                .filter_map(|p| match *p {
                    Platform::Macos {
                        major: a,
                        minor: b,
                        arch: c,
                    } if macos_arch_fits(c, arch) && (a, b) > (major, minor) => Some((a, b)),
                    _ => None,
                })
                .min();
            if let Some((a, b)) = newer {
                return (
                    IssueId::MacosTooNew,
                    Some(format!(
                        "the wheels need macOS {a}.{b}; the target is macOS {major}.{minor}"
                    )),
                );
            }
        }
        Platform::Windows { .. } | Platform::Linux { .. } => {}
    }
    (IssueId::NoWheelForPlatform, None)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep508_rs::PackageName;

    use super::*;
    use crate::filename::DistFilename;
    use crate::target::{Role, Target};

    fn page(files: &[(&str, Option<&str>)]) -> ProjectPage {
        let name = PackageName::from_str("demo").unwrap();
        ProjectPage {
            files: files
                .iter()
                .map(|(f, rp)| {
                    DistFile::from(crate::dist::DistFileParts {
                        filename: f,
                        url: &format!("http://127.0.0.1/files/{f}"),
                        parsed: DistFilename::parse(f, &name).unwrap(),
                        requires_python: rp.map(crate::dist::RequiresPython::new),
                        yanked: None,
                        core_metadata: false,
                        sha256: None,
                        size: None,
                        upload_time: None,
                    })
                })
                .collect(),
            name,
        }
    }

    fn classify_on(
        target: &str,
        files: &[(&str, Option<&str>)],
    ) -> Option<(IssueId, Option<String>)> {
        let host = "manylinux_2_28_x86_64".parse().unwrap();
        let t = Target::parse(target, &host, Role::Primary).unwrap();
        let tags = Tags::new(&t.python, &t.platform);
        let python = t.python.full_version();
        let view = TargetView {
            tags: &tags,
            python: &python,
            platform: &t.platform,
            free_threaded: t.python.free_threaded,
        };
        classify(&page(files), &Version::from_str("1.0").unwrap(), &view)
    }

    #[test]
    fn each_typed_entry() {
        let linux311 = ("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", None);
        let sdist = ("demo-1.0.tar.gz", None);
        assert_eq!(classify_on("3.11@linux", &[linux311, sdist]), None);
        assert_eq!(
            classify_on("3.12@linux", &[linux311, sdist]),
            Some((IssueId::NoWheelForPython, None))
        );
        assert_eq!(
            classify_on("3.12@linux", &[("demo-1.0.tar.gz", Some(">=3.13"))]),
            Some((
                IssueId::RequiresPython,
                Some("requires-python >=3.13".into())
            ))
        );
        assert_eq!(
            classify_on(
                "3.12@manylinux_2_17_x86_64",
                &[
                    ("demo-1.0-cp312-cp312-manylinux_2_34_x86_64.whl", None),
                    ("demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", None)
                ]
            ),
            Some((
                IssueId::ManylinuxTooNew,
                Some("the wheels need glibc 2.28 (manylinux_2_28); the target has 2.17".into())
            ))
        );
        assert_eq!(
            classify_on(
                "3.12@musllinux",
                &[("demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", None)]
            ),
            Some((IssueId::NoMusllinuxWheel, None))
        );
        assert_eq!(
            classify_on(
                "3.12@macos",
                &[("demo-1.0-cp312-cp312-macosx_14_0_arm64.whl", None)]
            ),
            Some((
                IssueId::MacosTooNew,
                Some("the wheels need macOS 14.0; the target is macOS 11.0".into())
            ))
        );
        assert_eq!(
            classify_on(
                "3.13t@linux",
                &[
                    ("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", None),
                    ("demo-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", None)
                ]
            ),
            Some((IssueId::NoFreeThreadedWheel, None))
        );
        assert_eq!(
            classify_on(
                "3.12@linux-aarch64",
                &[("demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", None)]
            ),
            Some((IssueId::NoWheelForPlatform, None))
        );
        assert_eq!(
            classify_on("3.12@linux", &[sdist]),
            Some((IssueId::SdistOnly, None))
        );
    }
}
