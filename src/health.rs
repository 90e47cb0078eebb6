//! The health policy: for one direct requirement on one target, which version a default
//! installer would pick, which version has a compatible wheel, and a status with a one-line
//! reason; then, over a whole report, each target's health and the verdict. Pure: it sees
//! [`ProjectPage`]s and [`Tags`], never the network.
//!
//! Version selection follows pip: yanked files are ignored unless the requirement pins that
//! exact version (PEP 592); files whose `requires-python` excludes the target are ignored
//! (invalid values are ignored as pip does, see [`crate::dist::parse_requires_python`]);
//! pre-releases are considered only when asked for (`--pre`), when the specifier names one, or
//! when no final release satisfies it (PEP 440).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, Requirement, VersionOrUrl};
use serde::{Deserialize, Serialize};

use crate::catalog::IssueId;
use crate::catalog::gap::{self, TargetView};
use crate::dist::ProjectPage;
use crate::platform::Platform;
use crate::tags::Tags;
use crate::version_view::{self, FileSummary};

/// What one package looks like on one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A version satisfying the requirement has a compatible wheel.
    Wheel,
    /// Satisfying versions exist, but only as source distributions: installing needs a build.
    SdistOnly,
    /// Nothing installable for this target (no satisfying version, or every file excluded by
    /// requires-python, or wheels only for other targets and no sdist).
    NoDistribution,
    /// The index does not know the project.
    NotFound,
    /// The requirement's marker is false for this target: it would not be installed.
    Excluded,
    /// A direct reference (`name @ url`): not assessed.
    NotAssessed,
    /// The index could not answer: no conclusion.
    Error,
}

impl Status {
    /// Whether this status counts towards the target's health share (the package was assessed
    /// and would be installed).
    pub fn is_assessed(self) -> bool {
        matches!(
            self,
            Self::Wheel | Self::SdistOnly | Self::NoDistribution | Self::NotFound
        )
    }
}

/// The outcome for one requirement on one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageHealth {
    /// Normalized project name.
    pub name: String,
    /// The requirement as declared.
    pub requirement: String,
    /// The status.
    pub status: Status,
    /// What wheelwatch would install: the newest satisfying version with a compatible wheel,
    /// else the newest satisfying version.
    pub version: Option<Version>,
    /// What a default installer (sdists allowed) would pick: the newest satisfying,
    /// non-yanked, requires-python-compatible version.
    pub default_version: Option<Version>,
    /// Whether `default_version` has a compatible wheel.
    pub default_has_wheel: bool,
    /// The best-priority compatible wheel of `version`.
    pub wheel: Option<String>,
    /// The newest version of the project (ignoring the requirement's specifier) with a
    /// compatible wheel for this target.
    pub newest_with_wheel: Option<Version>,
    /// One line a person understands.
    pub reason: String,
    /// The issue catalog's entry for the problem (why the version a default install picks has
    /// no wheel here), when there is one; `None` for a package with a wheel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<IssueId>,
    /// What the files need, when the entry has more to say (`the wheels need glibc 2.28 …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_detail: Option<String>,
}

/// What assessment knows about a target.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TargetContext<'a> {
    /// Supported tags, best first.
    pub tags: &'a Tags,
    /// The marker environment.
    pub markers: &'a MarkerEnvironment,
    /// `python_full_version`, for requires-python.
    pub python_full_version: &'a Version,
    /// The target's Python as people say it (`3.12`, `3.13t`), for reasons.
    pub python_label: &'a str,
    /// The target's platform tag (`manylinux_2_17_aarch64`), for reasons.
    pub platform_label: &'a str,
    /// The target's platform, for the issue catalog.
    pub platform: &'a Platform,
    /// A free-threaded build.
    pub free_threaded: bool,
}

/// How the index answered for a project.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lookup<'a> {
    /// The project's files.
    Found(&'a ProjectPage),
    /// 404 everywhere.
    NotFound,
    /// No answer; the message says why (already free of credentials).
    Error(&'a str),
}

/// Assessment options.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Options {
    /// `--pre`: consider pre-releases for every package.
    pub pre: bool,
}

/// One version's files as this requirement sees them (yanked files count only when the
/// requirement pins the version exactly, PEP 592).
#[derive(Clone, Copy)]
struct VersionView<'p> {
    /// The files considered.
    files: FileSummary<'p>,
    /// Every file is yanked and the version is not pinned: nothing usable.
    yanked_only: bool,
}

impl VersionView<'_> {
    fn installable(&self) -> bool {
        self.files.installable()
    }
}

fn pins_exactly(specifiers: &VersionSpecifiers, version: &Version) -> bool {
    specifiers.iter().any(|s| {
        matches!(s.operator(), Operator::Equal | Operator::ExactEqual) && s.version() == version
    })
}

fn view_versions<'p>(
    page: &'p ProjectPage,
    ctx: &TargetContext<'_>,
    specifiers: Option<&VersionSpecifiers>,
) -> BTreeMap<&'p Version, VersionView<'p>> {
    version_view::by_version(page, ctx.tags, ctx.python_full_version)
        .into_iter()
        .map(|(version, files)| {
            let pinned = specifiers.is_some_and(|s| pins_exactly(s, version));
            let view = VersionView {
                files: files.usable(pinned),
                yanked_only: !pinned && files.all_yanked(),
            };
            (version, view)
        })
        .collect()
}

/// Whether pre-releases are allowed for this requirement (before the "no final release"
/// rule).
fn prereleases_requested(specifiers: Option<&VersionSpecifiers>, options: Options) -> bool {
    options.pre || specifiers.is_some_and(|s| s.iter().any(|s| s.version().any_prerelease()))
}

/// Assesses one requirement on one target.
pub(crate) fn assess(
    requirement: &Requirement,
    lookup: Lookup<'_>,
    constraints: &[&VersionSpecifiers],
    ctx: &TargetContext<'_>,
    options: Options,
) -> PackageHealth {
    let mut health = PackageHealth {
        name: requirement.name.to_string(),
        requirement: requirement.to_string(),
        status: Status::Error,
        version: None,
        default_version: None,
        default_has_wheel: false,
        wheel: None,
        newest_with_wheel: None,
        reason: String::new(),
        issue: None,
        issue_detail: None,
    };
    if !requirement.evaluate_markers(ctx.markers, &[]) {
        health.status = Status::Excluded;
        health.reason = format!(
            "not installed on {}: marker `{}` is false",
            ctx.python_label,
            requirement.marker.try_to_string().unwrap_or_default()
        );
        return health;
    }
    let specifiers = match &requirement.version_or_url {
        Some(VersionOrUrl::Url(url)) => {
            health.status = Status::NotAssessed;
            health.reason = format!(
                "direct reference to {}: not assessed",
                crate::util::redact::redact_url(&url.to_string())
            );
            return health;
        }
        Some(VersionOrUrl::VersionSpecifier(s)) => Some(s),
        None => None,
    };
    let page = match lookup {
        Lookup::Found(page) => page,
        Lookup::NotFound => {
            health.status = Status::NotFound;
            health.reason = format!("{} is not on the index", health.name);
            return health;
        }
        Lookup::Error(message) => {
            health.status = Status::Error;
            health.reason = format!("could not assess: {message}");
            return health;
        }
    };

    let versions = view_versions(page, ctx, specifiers);
    let satisfies = |v: &Version| {
        specifiers.is_none_or(|s| s.contains(v)) && constraints.iter().all(|c| c.contains(v))
    };
    let pre_requested = prereleases_requested(specifiers, options);
    let any_final = versions
        .iter()
        .any(|(v, view)| !v.any_prerelease() && view.installable() && satisfies(v));
    let pre_ok = |v: &Version| !v.any_prerelease() || pre_requested || !any_final;

    // Newest satisfying installable version, and newest satisfying with a wheel.
    let mut default_pick = None;
    let mut wheel_pick = None;
    for (version, view) in versions.iter().rev() {
        if !view.installable() || !satisfies(version) || !pre_ok(version) {
            continue;
        }
        if default_pick.is_none() {
            default_pick = Some((*version, view));
        }
        if view.files.best_wheel.is_some() {
            wheel_pick = Some((*version, view));
            break;
        }
    }
    // Newest with a wheel, ignoring the specifier; a pre-release only when the requirement
    // (or --pre) allows pre-releases: advice never names a version an installer would skip.
    let newest_with_wheel = versions
        .iter()
        .rev()
        .filter(|(_, view)| view.files.best_wheel.is_some())
        .find(|(v, _)| !v.any_prerelease() || pre_requested)
        .map(|(v, _)| *v);
    health.newest_with_wheel = newest_with_wheel.cloned();

    let name = &health.name;
    let spec_text = specifiers.map_or_else(String::new, |s| {
        if s.is_empty() {
            String::new()
        } else {
            s.to_string()
        }
    });
    let target = format!("{} on {}", ctx.python_label, ctx.platform_label);

    if let Some((default_version, default_view)) = default_pick {
        health.default_version = Some(default_version.clone());
        health.default_has_wheel = default_view.files.best_wheel.is_some();
    }
    match (default_pick, wheel_pick) {
        (_, Some((version, view))) => {
            let (_, file) = view.files.best_wheel.expect("wheel_pick has a wheel");
            health.status = Status::Wheel;
            health.version = Some(version.clone());
            health.wheel = Some(file.filename().to_string());
            let default_version = default_pick.map(|(v, _)| v);
            if default_version.is_some_and(|d| d != version) {
                let d = default_version.expect("checked");
                let d_view = &versions[d];
                health.reason = format!(
                    "{name} {d} {}; {version} has (a default install would build {d} from source)",
                    miss_phrase(d_view, ctx)
                );
            } else {
                health.reason = format!("{name} {version} has a wheel for {target}");
            }
        }
        (Some((version, view)), None) => {
            health.status = Status::SdistOnly;
            health.version = Some(version.clone());
            let mut reason = format!(
                "no version of {name}{} has a wheel for {target}: {version} {}, so it needs a source build",
                if spec_text.is_empty() {
                    String::new()
                } else {
                    format!(" matching {spec_text}")
                },
                miss_phrase(view, ctx)
            );
            match newest_with_wheel {
                Some(v) => {
                    let _ = write!(
                        reason,
                        "; {v} has a wheel but is excluded by the requirement"
                    );
                }
                None => reason.push_str("; no version has one"),
            }
            health.reason = reason;
        }
        (None, None) => {
            health.status = Status::NoDistribution;
            health.reason = no_distribution_reason(name, &spec_text, &versions, &satisfies, ctx);
            if let Some(v) = newest_with_wheel {
                let _ = write!(
                    health.reason,
                    "; {v} has a wheel but is excluded by the requirement"
                );
            }
        }
    }
    let explained = match health.status {
        Status::Wheel if !health.default_has_wheel => health.default_version.as_ref(),
        Status::SdistOnly => health.version.as_ref(),
        Status::NoDistribution => versions
            .iter()
            .rev()
            .find(|(v, view)| satisfies(v) && !view.yanked_only)
            .map(|(v, _)| *v),
        _ => None,
    };
    let view = TargetView {
        tags: ctx.tags,
        python: ctx.python_full_version,
        platform: ctx.platform,
        free_threaded: ctx.free_threaded,
    };
    match explained.and_then(|v| gap::classify(page, v, &view)) {
        Some((issue, detail)) => {
            health.issue = Some(issue);
            health.issue_detail = detail;
        }
        None if health.status == Status::NoDistribution => {
            health.issue = Some(IssueId::NoMatchingDistribution);
        }
        None => {}
    }
    health
}

/// Why a version has no wheel for the target (see [`FileSummary::miss_phrase`]).
fn miss_phrase(view: &VersionView<'_>, ctx: &TargetContext<'_>) -> String {
    view.files.miss_phrase(ctx.python_label, ctx.platform_label)
}

fn no_distribution_reason(
    name: &str,
    spec_text: &str,
    versions: &BTreeMap<&Version, VersionView<'_>>,
    satisfies: &dyn Fn(&Version) -> bool,
    ctx: &TargetContext<'_>,
) -> String {
    let matching: Vec<(&Version, &VersionView)> = versions
        .iter()
        .filter(|(v, _)| satisfies(v))
        .map(|(v, view)| (*v, view))
        .collect();
    let target = format!("{} on {}", ctx.python_label, ctx.platform_label);
    let Some((newest, view)) = matching.last() else {
        let newest = versions.keys().next_back();
        return match newest {
            Some(newest) if !spec_text.is_empty() => {
                format!("no version of {name} matches {spec_text} (newest is {newest})")
            }
            Some(_) | None => format!("{name} has no files on the index"),
        };
    };
    if matching.iter().all(|(_, v)| v.yanked_only) {
        return format!(
            "every version of {name} matching the requirement is yanked (newest {newest})"
        );
    }
    if matching
        .iter()
        .all(|(_, v)| v.yanked_only || (v.files.python_excluded.is_some() && !v.installable()))
    {
        return format!(
            "every file of {name} matching the requirement excludes CPython {} (e.g. {newest}: requires-python {})",
            ctx.python_label,
            view.files.python_excluded.unwrap_or("?")
        );
    }
    format!(
        "{name} {newest} {} and has no sdist: nothing installs on {target}",
        miss_phrase(view, ctx)
    )
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep508_rs::{MarkerEnvironmentBuilder, PackageName};

    use super::*;
    use crate::dist::DistFile;
    use crate::filename::DistFilename;

    fn env(python: &str) -> MarkerEnvironment {
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &format!("{python}.0"),
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: &format!("{python}.0"),
            python_version: python,
            sys_platform: "linux",
        })
        .unwrap()
    }

    fn tags(py: &str) -> Tags {
        // A small stand-in for a real cp3X manylinux x86_64 list, best first.
        let mut list = Vec::new();
        for plat in [
            "manylinux_2_28_x86_64",
            "manylinux_2_17_x86_64",
            "manylinux2014_x86_64",
        ] {
            list.push((format!("cp{py}"), format!("cp{py}"), plat.to_string()));
            list.push((format!("cp{py}"), "abi3".to_string(), plat.to_string()));
        }
        list.push(("py3".into(), "none".into(), "any".into()));
        Tags::from_ordered(list)
    }

    struct Page(ProjectPage);

    impl Page {
        fn new(name: &str) -> Self {
            Self(ProjectPage {
                name: PackageName::from_str(name).unwrap(),
                files: Vec::new(),
            })
        }
        fn file(mut self, filename: &str, requires_python: Option<&str>, yanked: bool) -> Self {
            let parsed = DistFilename::parse(filename, &self.0.name).unwrap();
            self.0
                .files
                .push(DistFile::from(crate::dist::DistFileParts {
                    filename,
                    url: &format!("http://127.0.0.1/files/{filename}"),
                    parsed,
                    requires_python: requires_python.map(crate::dist::RequiresPython::new),
                    yanked: yanked.then(String::new),
                    core_metadata: false,
                    sha256: None,
                    size: None,
                    upload_time: None,
                }));
            self
        }
        fn f(self, filename: &str) -> Self {
            self.file(filename, None, false)
        }
    }

    fn check(req: &str, page: &Page, py: &str, options: Options) -> PackageHealth {
        let requirement = Requirement::from_str(req).unwrap();
        let markers = env(&format!("3.{}", &py[1..]));
        let full = Version::from_str(&format!("3.{}.0", &py[1..])).unwrap();
        let tags = tags(py);
        let label = format!("3.{}", &py[1..]);
        let platform: Platform = "manylinux_2_28_x86_64".parse().unwrap();
        let ctx = TargetContext {
            tags: &tags,
            markers: &markers,
            python_full_version: &full,
            python_label: &label,
            platform_label: "manylinux_2_28_x86_64",
            platform: &platform,
            free_threaded: false,
        };
        assess(&requirement, Lookup::Found(&page.0), &[], &ctx, options)
    }

    fn v(version: &str) -> Version {
        Version::from_str(version).unwrap()
    }

    fn numpy() -> Page {
        Page::new("numpy")
            .f("numpy-1.24.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
            .f("numpy-1.24.4.tar.gz")
            .f("numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
            .f("numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
            .f("numpy-2.2.6.tar.gz")
            .f("numpy-2.5.5-cp312-cp312-win_amd64.whl")
            .f("numpy-2.5.5.tar.gz")
            .f("numpy-3.0.0rc1-cp312-cp312-manylinux_2_28_x86_64.whl")
    }

    #[test]
    fn file_order_does_not_change_the_outcome() {
        // Versions' files interleaved (a version's files need not be listed together), with
        // yanked, requires-python-excluded and less specific files spread over several runs.
        let files: [(&str, Option<&str>, bool); 8] = [
            ("pkg-2.0-cp312-abi3-manylinux_2_17_x86_64.whl", None, false),
            ("pkg-1.0.tar.gz", None, true),
            ("pkg-2.0-cp312-cp312-manylinux_2_28_x86_64.whl", None, false),
            ("pkg-1.0-cp312-cp312-win_amd64.whl", None, false),
            ("pkg-3.0-py3-none-any.whl", Some(">=3.13"), false),
            ("pkg-2.0-cp311-cp311-manylinux_2_17_x86_64.whl", None, false),
            ("pkg-3.0.tar.gz", Some(">=3.13"), false),
            (
                "pkg-1.0-cp312-cp312-manylinux_2_17_aarch64.whl",
                None,
                false,
            ),
        ];
        let page = |order: &[usize]| {
            order.iter().fold(Page::new("pkg"), |page, &i| {
                let (name, rp, yanked) = files[i];
                page.file(name, rp, yanked)
            })
        };
        let grouped = page(&[1, 3, 7, 0, 2, 5, 4, 6]);
        let reversed = page(&[6, 4, 7, 5, 3, 2, 1, 0]);
        let interleaved = page(&[0, 1, 2, 3, 4, 5, 6, 7]);
        for req in ["pkg", "pkg==1.0", "pkg>=3", "pkg<2"] {
            let expected = check(req, &grouped, "312", Options::default());
            for other in [&reversed, &interleaved] {
                let got = check(req, other, "312", Options::default());
                assert_eq!(got, expected, "{req}");
            }
        }
        let h = check("pkg", &interleaved, "312", Options::default());
        assert_eq!(
            h.wheel.as_deref(),
            Some("pkg-2.0-cp312-cp312-manylinux_2_28_x86_64.whl")
        );
        let h = check("pkg==1.0", &interleaved, "312", Options::default());
        // Pinned, so the yanked sdist counts (PEP 592); the closest wheel miss is the platform.
        assert_eq!(h.status, Status::SdistOnly, "{}", h.reason);
        assert!(
            h.reason
                .contains("1.0 has no wheel for manylinux_2_28_x86_64"),
            "{}",
            h.reason
        );
    }

    #[test]
    fn pinned_version_without_wheel_needs_a_build() {
        let h = check("numpy==1.24.4", &numpy(), "312", Options::default());
        assert_eq!(h.status, Status::SdistOnly);
        assert_eq!(h.version, Some(v("1.24.4")));
        assert_eq!(h.newest_with_wheel, Some(v("2.2.6")));
        assert_eq!(
            h.reason,
            "no version of numpy matching ==1.24.4 has a wheel for 3.12 on manylinux_2_28_x86_64: \
             1.24.4 has no wheel for CPython 3.12, so it needs a source build; 2.2.6 has a wheel but \
             is excluded by the requirement"
        );
        let h = check("numpy==1.24.4", &numpy(), "311", Options::default());
        assert_eq!(h.status, Status::Wheel);
        assert_eq!(
            h.wheel.as_deref(),
            Some("numpy-1.24.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
        );
    }

    #[test]
    fn default_pick_without_wheel_is_reported_with_the_older_wheel() {
        let h = check("numpy", &numpy(), "312", Options::default());
        assert_eq!(h.status, Status::Wheel);
        assert_eq!(h.version, Some(v("2.2.6")));
        assert_eq!(h.default_version, Some(v("2.5.5")));
        assert!(!h.default_has_wheel);
        assert_eq!(
            h.reason,
            "numpy 2.5.5 has no wheel for manylinux_2_28_x86_64; 2.2.6 has (a default install would \
             build 2.5.5 from source)"
        );
    }

    #[test]
    fn prereleases_only_when_asked() {
        let h = check("numpy", &numpy(), "312", Options { pre: true });
        assert_eq!(h.version, Some(v("3.0.0rc1")));
        let h = check("numpy>=3.0.0rc1", &numpy(), "312", Options::default());
        assert_eq!(h.version, Some(v("3.0.0rc1")));
        // Only a pre-release satisfies: it is taken.
        let h = check("numpy>2.6", &numpy(), "312", Options::default());
        assert_eq!(h.version, Some(v("3.0.0rc1")));
        assert_eq!(h.status, Status::Wheel);
    }

    #[test]
    fn yanked_files_are_skipped_unless_pinned() {
        let page = Page::new("foo")
            .file("foo-2.0-py3-none-any.whl", None, true)
            .f("foo-1.0-py3-none-any.whl");
        assert_eq!(
            check("foo", &page, "312", Options::default()).version,
            Some(v("1.0"))
        );
        assert_eq!(
            check("foo==2.0", &page, "312", Options::default()).version,
            Some(v("2.0"))
        );
        let h = check("foo>1.5", &page, "312", Options::default());
        assert_eq!(h.status, Status::NoDistribution);
        assert_eq!(
            h.reason,
            "every version of foo matching the requirement is yanked (newest 2.0); 1.0 has a wheel but \
             is excluded by the requirement"
        );
    }

    #[test]
    fn requires_python_excludes_files() {
        let page = Page::new("bar")
            .file("bar-2.0-py3-none-any.whl", Some(">=3.13"), false)
            .file("bar-2.0.tar.gz", Some(">=3.13"), false)
            .file("bar-1.0-py3-none-any.whl", Some(">=3.6.*"), false);
        let h = check("bar", &page, "312", Options::default());
        assert_eq!(h.version, Some(v("1.0")));
        assert_eq!(h.default_version, Some(v("1.0")));
        let h = check("bar>=2", &page, "312", Options::default());
        assert_eq!(h.status, Status::NoDistribution);
        assert_eq!(
            h.reason,
            "every file of bar matching the requirement excludes CPython 3.12 (e.g. 2.0: \
             requires-python >=3.13); 1.0 has a wheel but is excluded by the requirement"
        );
    }

    #[test]
    fn markers_exclude_and_urls_are_not_assessed() {
        let h = check(
            "numpy; python_version < '3.10'",
            &numpy(),
            "312",
            Options::default(),
        );
        assert_eq!(h.status, Status::Excluded);
        assert_eq!(
            h.reason,
            "not installed on 3.12: marker `python_full_version < '3.10'` is false"
        );
        let h = check(
            "numpy @ https://example.invalid/numpy.whl",
            &numpy(),
            "312",
            Options::default(),
        );
        assert_eq!(h.status, Status::NotAssessed);
    }

    #[test]
    fn no_matching_version_and_wrong_platform_only() {
        let h = check("numpy>=9", &numpy(), "312", Options::default());
        assert_eq!(h.status, Status::NoDistribution);
        assert_eq!(
            h.reason,
            "no version of numpy matches >=9 (newest is 3.0.0rc1); 2.2.6 has a wheel but is excluded \
             by the requirement"
        );
        let page = Page::new("winonly").f("winonly-1.0-cp312-cp312-win_amd64.whl");
        let h = check("winonly", &page, "312", Options::default());
        assert_eq!(h.status, Status::NoDistribution);
        assert_eq!(
            h.reason,
            "winonly 1.0 has no wheel for manylinux_2_28_x86_64 and has no sdist: nothing installs on \
             3.12 on manylinux_2_28_x86_64"
        );
    }
}
