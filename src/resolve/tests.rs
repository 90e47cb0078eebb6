//! Resolver tests over an in-memory index.

use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement};

use super::*;
use crate::metadata::MetadataOrigin;

#[derive(Clone, Copy)]
enum Files {
    /// A compatible wheel and an sdist.
    Both,
    /// A compatible wheel only.
    Wheel,
    /// An sdist only (no compatible wheel).
    Sdist,
}

#[derive(Default)]
struct Index {
    versions: HashMap<PackageName, Vec<Candidate>>,
    metadata: HashMap<(PackageName, Version), String>,
    /// Versions whose metadata is an sdist `PKG-INFO` (Metadata-Version 2.1: untrusted).
    pkg_info: Vec<(PackageName, Version)>,
    calls: RefCell<Vec<String>>,
    hints: RefCell<Vec<String>>,
}

fn name(s: &str) -> PackageName {
    PackageName::from_str(s).unwrap()
}

fn v(s: &str) -> Version {
    Version::from_str(s).unwrap()
}

impl Index {
    fn add(&mut self, pkg: &str, version: &str, files: Files, requires: &[&str]) -> &mut Candidate {
        let wheel = match files {
            Files::Both | Files::Wheel => Some(format!("{pkg}-{version}-py3-none-any.whl")),
            Files::Sdist => None,
        };
        let candidate = Candidate {
            version: v(version),
            yanked: false,
            requires_python_ok: true,
            no_wheel_reason: wheel
                .is_none()
                .then(|| "has no wheel for manylinux_2_17_aarch64".to_string()),
            wheel,
            has_sdist: !matches!(files, Files::Wheel),
        };
        let mut text = format!("Metadata-Version: 2.2\nName: {pkg}\nVersion: {version}\n");
        for r in requires {
            if let Some(rp) = r.strip_prefix("python:") {
                text.push_str("Requires-Python: ");
                text.push_str(rp);
                text.push('\n');
            } else {
                text.push_str("Requires-Dist: ");
                text.push_str(r);
                text.push('\n');
            }
        }
        self.metadata.insert((name(pkg), v(version)), text);
        let list = self.versions.entry(name(pkg)).or_default();
        list.push(candidate);
        list.last_mut().unwrap()
    }
}

impl PackageSource for Index {
    fn candidates(&self, pkg: &PackageName) -> Result<Arc<[Candidate]>, SourceError> {
        self.calls.borrow_mut().push(format!("candidates {pkg}"));
        Ok(self.versions.get(pkg).cloned().unwrap_or_default().into())
    }

    fn metadata(
        &self,
        pkg: &PackageName,
        version: &Version,
    ) -> Result<Arc<CoreMetadata>, SourceError> {
        self.calls
            .borrow_mut()
            .push(format!("metadata {pkg} {version}"));
        let text = self
            .metadata
            .get(&(pkg.clone(), version.clone()))
            .ok_or_else(|| SourceError::new(format!("no metadata for {pkg} {version}")))?;
        let origin = if self.pkg_info.contains(&(pkg.clone(), version.clone())) {
            MetadataOrigin::Sdist
        } else {
            MetadataOrigin::Wheel
        };
        Ok(Arc::new(
            CoreMetadata::parse(text, origin).map_err(SourceError::new)?,
        ))
    }

    fn prefetch(&self, hints: &[PrefetchHint]) {
        for hint in hints {
            if !hint.versions.is_empty() {
                let next: Vec<String> = hint.versions.iter().map(ToString::to_string).collect();
                self.hints
                    .borrow_mut()
                    .push(format!("{} next {}", hint.name, next.join(" ")));
                continue;
            }
            let likely = self
                .versions
                .get(&hint.name)
                .and_then(|c| hint.likely_version(c).map(ToString::to_string))
                .unwrap_or_else(|| "-".to_string());
            self.hints
                .borrow_mut()
                .push(format!("{} {likely}", hint.name));
        }
    }
}

fn env(sys_platform: &str, python: &str) -> MarkerEnvironment {
    let (platform_system, os_name) = if sys_platform == "win32" {
        ("Windows", "nt")
    } else {
        ("Linux", "posix")
    };
    let short: Vec<&str> = python.split('.').take(2).collect();
    let short = short.join(".");
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: python,
        os_name,
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system,
        platform_version: "",
        python_full_version: python,
        python_version: &short,
        sys_platform,
    })
    .unwrap()
}

fn reqs(list: &[&str]) -> Vec<Requirement> {
    list.iter()
        .map(|r| Requirement::from_str(r).unwrap())
        .collect()
}

fn linux() -> MarkerEnvironment {
    env("linux", "3.12.0")
}

fn request<'a>(requirements: &'a [Requirement], env: &'a MarkerEnvironment) -> Request<'a> {
    Request {
        requirements,
        constraints: &[],
        env,
        allow_prerelease: false,
    }
}

/// `name==version` for every package, sorted.
fn pins(resolution: &Resolution) -> Vec<String> {
    resolution
        .packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect()
}

fn paths(p: &ResolvedPackage) -> Vec<String> {
    p.required_by
        .iter()
        .map(|path| {
            path.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect()
}

fn conflict_text(result: Result<Resolution, ResolveError>) -> String {
    match result {
        Err(ResolveError::NoSolution { explanation }) => explanation,
        other => panic!("expected no solution, got {other:?}"),
    }
}

#[test]
fn diamond_picks_newest_version_satisfying_both_sides() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &["c>=1.0"]);
    index.add("b", "1.0", Files::Both, &["c<2"]);
    for ver in ["0.9", "1.0", "1.5", "2.0"] {
        index.add("c", ver, Files::Both, &[]);
    }
    let env = linux();
    let r = reqs(&["a", "b"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==1.0", "b==1.0", "c==1.5"]);
    let c = res.get(&name("c")).unwrap();
    assert_eq!(paths(c), ["a → c", "b → c"]);
    assert_eq!(c.wheel.as_deref(), Some("c-1.5-py3-none-any.whl"));
    assert!(!c.needs_build);
    let a = res.get(&name("a")).unwrap();
    assert_eq!(paths(a), ["a"]);
    assert_eq!(a.requires[0].specifiers.to_string(), ">=1.0");
}

#[test]
fn conflict_is_explained() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &["c>=2"]);
    index.add("b", "1.0", Files::Both, &["c<2"]);
    index.add("c", "1.0", Files::Both, &[]);
    index.add("c", "2.0", Files::Both, &[]);
    let env = linux();
    let r = reqs(&["a", "b"]);
    let text = conflict_text(resolve_default(&index, &request(&r, &env)));
    assert_eq!(
        text,
        "Because a depends on c >=2 and b 1.0 depends on c <2, b 1.0 and a are incompatible.\n\
         And because you require a and you require b, your requirements cannot be satisfied."
    );
    // analyze reports the conflict rather than failing.
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    assert_eq!(analysis.conflict.as_deref(), Some(text.as_str()));
    assert!(analysis.default.is_none() && analysis.blockers.is_empty());
}

#[test]
fn extras_are_followed_and_pinned_to_the_base_version() {
    let mut index = Index::default();
    // `a[all]` refers to a's own extra `x`; `x` adds c; the base needs b.
    index.add(
        "a",
        "1.0",
        Files::Both,
        &["b", "c; extra == 'x'", "a[x]; extra == 'all'"],
    );
    index.add(
        "a",
        "2.0",
        Files::Both,
        &["b", "c>=2; extra == 'x'", "a[x]; extra == 'all'"],
    );
    index.add("b", "1.0", Files::Both, &[]);
    index.add("c", "1.0", Files::Both, &[]);
    index.add("c", "2.0", Files::Both, &[]);
    let env = linux();
    let r = reqs(&["a[all]"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==2.0", "b==1.0", "c==2.0"]);
    let a = res.get(&name("a")).unwrap();
    let extras: Vec<&str> = a.extras.iter().map(AsRef::as_ref).collect();
    assert_eq!(extras, ["all", "x"]);
    assert_eq!(paths(res.get(&name("c")).unwrap()), ["a → c"]);
    // Without the extra, c is not installed.
    let r = reqs(&["a"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==2.0", "b==1.0"]);
    // An extra that constrains the base: `c<2` forces a 1.0 when a[x] is wanted.
    let r = reqs(&["a[x]", "c<2"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==1.0", "b==1.0", "c==1.0"]);
}

#[test]
fn markers_differ_per_environment() {
    let mut index = Index::default();
    index.add(
        "app",
        "1.0",
        Files::Both,
        &[
            "pywin32>=300; sys_platform == 'win32'",
            "uvloop; sys_platform != 'win32'",
            "tomli; python_version < '3.11'",
        ],
    );
    index.add("pywin32", "306", Files::Both, &[]);
    index.add("uvloop", "0.21.0", Files::Both, &[]);
    index.add("tomli", "2.2.1", Files::Both, &[]);
    let r = reqs(&["app", "colorama; os_name == 'nt'"]);
    index.add("colorama", "0.4.6", Files::Both, &[]);
    let linux = linux();
    let res = resolve_default(&index, &request(&r, &linux)).unwrap();
    assert_eq!(pins(&res), ["app==1.0", "uvloop==0.21.0"]);
    let windows = env("win32", "3.10.11");
    let res = resolve_default(&index, &request(&r, &windows)).unwrap();
    assert_eq!(
        pins(&res),
        [
            "app==1.0",
            "colorama==0.4.6",
            "pywin32==306",
            "tomli==2.2.1"
        ]
    );
}

#[test]
fn circular_dependencies_resolve() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &["b"]);
    index.add("b", "1.0", Files::Both, &["a", "b"]);
    let env = linux();
    let r = reqs(&["a"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==1.0", "b==1.0"]);
    // a is both direct and required by b; the path through b would loop back, so only `a`.
    assert_eq!(paths(res.get(&name("a")).unwrap()), ["a"]);
    assert_eq!(paths(res.get(&name("b")).unwrap()), ["a → b"]);
}

#[test]
fn blocker_three_levels_deep_with_path_and_newest_wheel() {
    let mut index = Index::default();
    index.add(
        "fastapi",
        "0.115.0",
        Files::Both,
        &["pydantic>=2", "starlette"],
    );
    index.add("starlette", "0.41.0", Files::Wheel, &[]);
    index.add(
        "pydantic",
        "2.11.7",
        Files::Both,
        &["pydantic-core==2.33.2"],
    );
    index.add("pydantic-core", "2.27.0", Files::Both, &[]);
    index.add("pydantic-core", "2.33.2", Files::Sdist, &[]);
    let env = linux();
    let r = reqs(&["fastapi"]);
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    let default = analysis.default.as_ref().unwrap();
    let builds: Vec<String> = default
        .needs_build()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    assert_eq!(builds, ["pydantic-core==2.33.2"]);
    assert!(analysis.wheel_only.is_none());
    assert_eq!(analysis.blockers.len(), 1);
    let blocker = &analysis.blockers[0];
    assert_eq!(blocker.name.as_ref(), "pydantic-core");
    assert_eq!(blocker.version.to_string(), "2.33.2");
    let path: Vec<&str> = blocker.paths[0].iter().map(AsRef::as_ref).collect();
    assert_eq!(path, ["fastapi", "pydantic", "pydantic-core"]);
    assert_eq!(
        blocker
            .newest_with_wheel
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("2.27.0")
    );
    assert_eq!(
        blocker.reason,
        "no version of pydantic-core matching ==2.33.2 has a compatible wheel: 2.33.2 has no wheel for manylinux_2_17_aarch64"
    );
    assert_eq!(
        analysis.wheel_only_conflict.as_deref(),
        Some(
            "Because no version of pydantic-core matching ==2.33.2 has a compatible wheel and pydantic 2.11.7 \
             depends on pydantic-core ==2.33.2, pydantic 2.11.7 cannot be used.\n\
             And because fastapi 0.115.0 depends on pydantic >=2 and you require fastapi, your requirements \
             cannot be satisfied."
        )
    );
}

#[test]
fn two_independent_blockers_are_both_reported() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &["x"]);
    index.add("b", "1.0", Files::Both, &["y>=1"]);
    index.add("x", "1.0", Files::Sdist, &[]);
    index.add("y", "1.0", Files::Sdist, &[]);
    index.add("y", "0.5", Files::Both, &[]);
    index.add("direct", "3.0", Files::Sdist, &[]);
    let env = linux();
    let r = reqs(&["a", "b", "direct"]);
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    let found: Vec<String> = analysis
        .blockers
        .iter()
        .map(|b| {
            let paths: Vec<String> = b
                .paths
                .iter()
                .map(|p| {
                    p.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" → ")
                })
                .collect();
            format!(
                "{} {} via {} (newest wheel {:?}): {}",
                b.name,
                b.version,
                paths.join(" | "),
                b.newest_with_wheel.as_ref().map(ToString::to_string),
                b.reason
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "direct 3.0 via direct (newest wheel None): no version of direct has a compatible wheel: \
             3.0 has no wheel for manylinux_2_17_aarch64",
            "x 1.0 via a → x (newest wheel None): no version of x has a compatible wheel: \
             1.0 has no wheel for manylinux_2_17_aarch64",
            "y 1.0 via b → y (newest wheel Some(\"0.5\")): no version of y matching >=1 has a compatible wheel: \
             1.0 has no wheel for manylinux_2_17_aarch64",
        ]
    );
    // Building exactly the blockers installs everything else from wheels.
    let relaxed = analysis.relaxed.unwrap();
    assert_eq!(
        pins(&relaxed),
        ["a==1.0", "b==1.0", "direct==3.0", "x==1.0", "y==1.0"]
    );
}

#[test]
fn wheel_only_downgrades_with_reasons() {
    let mut index = Index::default();
    index.add("numpy", "2.5.5", Files::Sdist, &[]);
    index.add("numpy", "2.2.6", Files::Both, &[]);
    index.add("numpy", "2.1.0", Files::Both, &[]);
    index.add("scipy", "1.15.0", Files::Sdist, &["numpy>=2.2"]);
    index.add("scipy", "1.13.1", Files::Both, &["numpy<2.2"]);
    let env = linux();
    let r = reqs(&["numpy", "scipy"]);
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    assert_eq!(
        pins(analysis.default.as_ref().unwrap()),
        ["numpy==2.5.5", "scipy==1.15.0"]
    );
    assert_eq!(
        pins(analysis.wheel_only.as_ref().unwrap()),
        ["numpy==2.1.0", "scipy==1.13.1"]
    );
    let lines: Vec<String> = analysis
        .downgrades
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "numpy 2.5.5 → 2.1.0: 2.5.5 has no wheel for manylinux_2_17_aarch64",
            "scipy 1.15.0 → 1.13.1: 1.15.0 has no wheel for manylinux_2_17_aarch64",
        ]
    );
    assert!(analysis.blockers.is_empty() && analysis.conflict.is_none());
}

#[test]
fn downgrade_forced_by_another_package_names_it() {
    let mut index = Index::default();
    index.add("numpy", "2.5.5", Files::Both, &[]);
    index.add("numpy", "2.2.6", Files::Both, &[]);
    index.add("scipy", "1.15.0", Files::Sdist, &["numpy>=2"]);
    index.add("scipy", "1.13.1", Files::Both, &["numpy<2.3"]);
    let env = linux();
    let r = reqs(&["scipy", "numpy"]);
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    let lines: Vec<String> = analysis
        .downgrades
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "numpy 2.5.5 → 2.2.6: scipy 1.13.1 requires numpy <2.3",
            "scipy 1.15.0 → 1.13.1: 1.15.0 has no wheel for manylinux_2_17_aarch64",
        ]
    );
}

#[test]
fn sdist_only_leaf_needs_build_by_default_and_has_no_wheel_version() {
    let mut index = Index::default();
    index.add("app", "1.0", Files::Wheel, &["leaf"]);
    index.add("leaf", "0.1", Files::Sdist, &[]);
    let env = linux();
    let r = reqs(&["app"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    let leaf = res.get(&name("leaf")).unwrap();
    assert!(leaf.needs_build);
    assert!(!leaf.dependencies_unknown);
    assert_eq!(leaf.wheel, None);
    let text = conflict_text(resolve_wheel_only(&index, &request(&r, &env)));
    assert_eq!(
        text,
        "Because no version of leaf has a compatible wheel and app 1.0 depends on leaf, app 1.0 cannot be used.\n\
         And because you require app, your requirements cannot be satisfied."
    );
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    assert_eq!(analysis.blockers.len(), 1);
    assert_eq!(analysis.blockers[0].newest_with_wheel, None);
    assert_eq!(
        analysis.blockers[0].reason,
        "no version of leaf has a compatible wheel: 0.1 has no wheel for manylinux_2_17_aarch64"
    );
}

#[test]
fn prerelease_rule() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &[]);
    index.add("a", "2.0b1", Files::Both, &[]);
    index.add("only-pre", "1.0rc1", Files::Both, &[]);
    index.add("only-pre", "0.9.dev1", Files::Both, &[]);
    index.add("wants-pre", "1.0", Files::Both, &["a>=2.0b1"]);
    let env = linux();
    // Finals win; a package with only pre-releases gets its newest one.
    let r = reqs(&["a", "only-pre"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==1.0", "only-pre==1.0rc1"]);
    // A specifier naming a pre-release allows them, also transitively.
    let r = reqs(&["wants-pre"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==2.0b1", "wants-pre==1.0"]);
    // No final release in range: the pre-release is taken.
    let r = reqs(&["a>1.0"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["a==2.0b1"]);
    // --pre.
    let r = reqs(&["a"]);
    let req = Request {
        allow_prerelease: true,
        ..request(&r, &env)
    };
    assert_eq!(pins(&resolve_default(&index, &req).unwrap()), ["a==2.0b1"]);
}

#[test]
fn yanked_versions_only_when_pinned() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &[]);
    index.add("a", "2.0", Files::Both, &[]).yanked = true;
    let env = linux();
    let r = reqs(&["a"]);
    assert_eq!(
        pins(&resolve_default(&index, &request(&r, &env)).unwrap()),
        ["a==1.0"]
    );
    let r = reqs(&["a==2.0"]);
    assert_eq!(
        pins(&resolve_default(&index, &request(&r, &env)).unwrap()),
        ["a==2.0"]
    );
    let r = reqs(&["a>=2.0"]);
    let text = conflict_text(resolve_default(&index, &request(&r, &env)));
    assert_eq!(
        text,
        "Because every version of a matching >=2.0 is yanked and you require a >=2.0, \
         your requirements cannot be satisfied."
    );
}

#[test]
fn requires_python_filters_candidates_and_metadata() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &[]);
    index.add("a", "2.0", Files::Both, &[]).requires_python_ok = false;
    // The index did not say, but the metadata does.
    index.add("b", "1.0", Files::Both, &[]);
    index.add("b", "2.0", Files::Both, &["python:>=3.13"]);
    let env = linux();
    let r = reqs(&["a", "b"]);
    assert_eq!(
        pins(&resolve_default(&index, &request(&r, &env)).unwrap()),
        ["a==1.0", "b==1.0"]
    );
    let r = reqs(&["a>=2", "b"]);
    let text = conflict_text(resolve_default(&index, &request(&r, &env)));
    assert_eq!(
        text,
        "Because no version of a matching >=2 supports Python 3.12.0 and you require a >=2, \
         your requirements cannot be satisfied."
    );
    let r = reqs(&["b>=2"]);
    let text = conflict_text(resolve_default(&index, &request(&r, &env)));
    assert_eq!(
        text,
        "Because b >=2.0 requires Python >=3.13 and you require b >=2, your requirements cannot be satisfied."
    );
}

#[test]
fn constraints_narrow_but_do_not_add() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &["c"]);
    index.add("c", "1.0", Files::Both, &[]);
    index.add("c", "2.0", Files::Both, &[]);
    index.add("unrelated", "1.0", Files::Both, &[]);
    let env = linux();
    let r = reqs(&["a"]);
    let c = reqs(&["c<2", "unrelated==1.0", "c>=5; sys_platform == 'win32'"]);
    let req = Request {
        constraints: &c,
        ..request(&r, &env)
    };
    assert_eq!(
        pins(&resolve_default(&index, &req).unwrap()),
        ["a==1.0", "c==1.0"]
    );
}

#[test]
fn missing_package_and_url_requirements() {
    let mut index = Index::default();
    index.add("a", "1.0", Files::Both, &["ghost>=1"]);
    let env = linux();
    let r = reqs(&["a", "local @ https://example.invalid/local-1.0.tar.gz"]);
    let text = conflict_text(resolve_default(&index, &request(&r, &env)));
    assert_eq!(
        text,
        "Because no versions of ghost were found and a 1.0 depends on ghost >=1, a 1.0 cannot be used.\n\
         And because you require a, your requirements cannot be satisfied."
    );
}

#[test]
fn prefetch_hints_name_what_comes_next_and_each_fetch_happens_once() {
    let mut index = Index::default();
    index.add("numpy", "2.5.5", Files::Sdist, &[]);
    index.add("numpy", "2.2.6", Files::Both, &[]);
    index.add("pandas", "2.3.0", Files::Both, &["numpy>=1.26"]);
    let env = linux();
    let r = reqs(&["pandas"]);
    analyze(&index, &request(&r, &env)).unwrap();
    // Default run hints at sdist-or-wheel versions, the wheel-only run at wheel versions.
    assert_eq!(
        *index.hints.borrow(),
        ["pandas 2.3.0", "numpy 2.5.5", "pandas 2.3.0", "numpy 2.2.6"]
    );
    let calls = index.calls.borrow();
    let mut sorted = calls.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(calls.len(), sorted.len(), "{calls:?}");
}

#[test]
fn downgrade_because_a_dependency_lacks_wheels() {
    let mut index = Index::default();
    index.add("app", "2.0", Files::Wheel, &["lib>=2"]);
    index.add("app", "1.0", Files::Wheel, &["lib<2"]);
    index.add("lib", "2.0", Files::Sdist, &[]);
    index.add("lib", "1.0", Files::Wheel, &[]);
    let env = linux();
    let r = reqs(&["app"]);
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    let lines: Vec<String> = analysis
        .downgrades
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "app 2.0 → 1.0: 2.0 requires lib >=2, which has no compatible wheel",
            "lib 2.0 → 1.0: 2.0 has no wheel for manylinux_2_17_aarch64",
        ]
    );
}

/// A source with 25 ms per request that serves prefetch hints from background threads, as the
/// I/O layer is meant to: it measures how much latency the hints hide.
struct SlowIndex {
    index: Arc<std::sync::Mutex<HashMap<String, String>>>,
    versions: Arc<HashMap<PackageName, Vec<Candidate>>>,
    cells: Cells<String, Arc<CoreMetadata>>,
    pages: Cells<PackageName, Arc<[Candidate]>>,
    /// Metadata the resolver had to fetch itself (no prefetch had started it).
    unhinted: Arc<std::sync::Mutex<Vec<String>>>,
}

impl SlowIndex {
    fn new(index: &Index) -> Self {
        Self {
            index: Arc::new(std::sync::Mutex::new(
                index
                    .metadata
                    .iter()
                    .map(|((n, ver), text)| (format!("{n} {ver}"), text.clone()))
                    .collect(),
            )),
            versions: Arc::new(index.versions.clone()),
            cells: Arc::default(),
            pages: Arc::default(),
            unhinted: Arc::default(),
        }
    }
}

/// Shared once-filled slots: concurrent fetches of one key wait for the first.
type Cells<K, V> = Arc<std::sync::Mutex<HashMap<K, Arc<std::sync::OnceLock<V>>>>>;

const LATENCY: std::time::Duration = std::time::Duration::from_millis(25);

impl SlowIndex {
    fn page(&self, pkg: &PackageName) -> Arc<[Candidate]> {
        let cell = Arc::clone(self.pages.lock().unwrap().entry(pkg.clone()).or_default());
        Arc::clone(cell.get_or_init(|| {
            std::thread::sleep(LATENCY);
            self.versions.get(pkg).cloned().unwrap_or_default().into()
        }))
    }

    fn md(&self, pkg: &PackageName, version: &Version, by_resolver: bool) -> Arc<CoreMetadata> {
        let key = format!("{pkg} {version}");
        let cell = Arc::clone(self.cells.lock().unwrap().entry(key.clone()).or_default());
        Arc::clone(cell.get_or_init(|| {
            if by_resolver {
                self.unhinted.lock().unwrap().push(key.clone());
            }
            std::thread::sleep(LATENCY);
            let text = self
                .index
                .lock()
                .unwrap()
                .get(&key)
                .cloned()
                .unwrap_or_default();
            Arc::new(CoreMetadata::parse_wheel(&text).unwrap())
        }))
    }

    fn share(&self) -> Self {
        Self {
            index: Arc::clone(&self.index),
            versions: Arc::clone(&self.versions),
            cells: Arc::clone(&self.cells),
            pages: Arc::clone(&self.pages),
            unhinted: Arc::clone(&self.unhinted),
        }
    }
}

impl PackageSource for SlowIndex {
    fn candidates(&self, pkg: &PackageName) -> Result<Arc<[Candidate]>, SourceError> {
        Ok(self.page(pkg))
    }

    fn metadata(
        &self,
        pkg: &PackageName,
        version: &Version,
    ) -> Result<Arc<CoreMetadata>, SourceError> {
        Ok(self.md(pkg, version, true))
    }

    fn prefetch(&self, hints: &[PrefetchHint]) {
        for hint in hints {
            for version in &hint.versions {
                let this = self.share();
                let (name, version) = (hint.name.clone(), version.clone());
                std::thread::spawn(move || this.md(&name, &version, false));
            }
            if !hint.versions.is_empty() {
                continue;
            }
            let this = self.share();
            let hint = hint.clone();
            std::thread::spawn(move || {
                let page = this.page(&hint.name);
                if let Some(version) = hint.likely_version(&page) {
                    this.md(&hint.name, version, false);
                }
            });
        }
    }
}

#[test]
fn prefetch_hints_hide_latency_of_a_cold_resolution() {
    // 63 packages in a binary tree of depth 6, three versions each: 126 requests, 3.2 s if
    // made one after another at 25 ms each.
    let mut index = Index::default();
    let count = 63;
    for k in 0..count {
        let children: Vec<String> = [2 * k + 1, 2 * k + 2]
            .iter()
            .filter(|&&c| c < count)
            .map(|c| format!("p{c}>=1"))
            .collect();
        let children: Vec<&str> = children.iter().map(String::as_str).collect();
        for ver in ["1.0", "1.1", "1.2"] {
            index.add(&format!("p{k}"), ver, Files::Both, &children);
        }
    }
    let slow = SlowIndex::new(&index);
    let env = linux();
    let r = reqs(&["p0"]);
    let start = std::time::Instant::now();
    let analysis = analyze(&slow, &request(&r, &env)).unwrap();
    let elapsed = start.elapsed();
    #[allow(
        clippy::print_stderr,
        reason = "a figure for whoever runs the test with --nocapture"
    )]
    {
        eprintln!("cold analysis of {count} packages at 25 ms per request: {elapsed:?}");
    }
    assert_eq!(analysis.default.unwrap().packages.len(), count);
    assert!(analysis.wheel_only.is_some());
    // Speed is measured by the benchmark script, not asserted here.
}

#[test]
fn sdist_metadata_without_static_dependencies_is_flagged() {
    let mut index = Index::default();
    index.add("app", "1.0", Files::Wheel, &["legacy"]);
    index.add("legacy", "0.3", Files::Sdist, &["six"]);
    index.add("six", "1.17.0", Files::Wheel, &[]);
    index.pkg_info.push((name("legacy"), v("0.3")));
    let text = index.metadata.get_mut(&(name("legacy"), v("0.3"))).unwrap();
    *text = text.replace("Metadata-Version: 2.2", "Metadata-Version: 2.1");
    let env = linux();
    let r = reqs(&["app"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    // What the PKG-INFO lists is still followed, but flagged as possibly incomplete.
    assert_eq!(pins(&res), ["app==1.0", "legacy==0.3", "six==1.17.0"]);
    let flagged: Vec<&str> = res
        .packages
        .iter()
        .filter(|p| p.dependencies_unknown)
        .map(|p| p.name.as_ref())
        .collect();
    assert_eq!(flagged, ["legacy"]);
}

fn blocker_lines(analysis: &Analysis) -> Vec<String> {
    analysis
        .blockers
        .iter()
        .map(|b| {
            let paths: Vec<String> = b
                .paths
                .iter()
                .map(|p| {
                    p.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" → ")
                })
                .collect();
            format!("{} {} via {}", b.name, b.version, paths.join(" | "))
        })
        .collect()
}

#[test]
fn blockers_behind_blockers_are_found_by_relaxing_again() {
    // z is only reached through x, which itself has no wheel: the first wheel-only failure
    // cannot mention z; the relaxation round that builds x finds it.
    let mut index = Index::default();
    index.add("x", "1.0", Files::Sdist, &["z"]);
    index.add("z", "1.0", Files::Sdist, &[]);
    index.add("w", "1.0", Files::Wheel, &[]);
    let env = linux();
    let r = reqs(&["x", "w"]);
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    assert_eq!(blocker_lines(&analysis), ["x 1.0 via x", "z 1.0 via x → z"]);
    assert_eq!(
        analysis.wheel_only_conflict.as_deref(),
        Some(
            "Because no version of x has a compatible wheel and you require x, your requirements cannot be satisfied."
        )
    );
}

#[test]
fn alternative_blockers_report_the_ones_the_relaxed_resolution_builds() {
    // a 2.0 needs p, a 1.0 needs q; neither p nor q has a wheel. Building p (with the newest a)
    // suffices, so p is the blocker; q would only matter with a 1.0.
    let mut index = Index::default();
    index.add("a", "2.0", Files::Wheel, &["p"]);
    index.add("a", "1.0", Files::Wheel, &["q"]);
    index.add("p", "1.0", Files::Sdist, &[]);
    index.add("q", "1.0", Files::Sdist, &[]);
    let env = linux();
    let r = reqs(&["a"]);
    let analysis = analyze(&index, &request(&r, &env)).unwrap();
    assert_eq!(blocker_lines(&analysis), ["p 1.0 via a → p"]);
    assert_eq!(
        pins(analysis.relaxed.as_ref().unwrap()),
        ["a==2.0", "p==1.0"]
    );
}

/// pandas' finals all need a newer numpy than the pinned one; a pre-release does not.
fn pandas_index() -> Index {
    let mut index = Index::default();
    index.add("numpy", "1.24.4", Files::Both, &[]);
    index.add("numpy", "2.0.0", Files::Both, &[]);
    for ver in ["2.1.0", "2.2.0", "2.3.0"] {
        index.add("pandas", ver, Files::Wheel, &["numpy>=2"]);
    }
    index.add("pandas", "3.0.0rc1", Files::Wheel, &["numpy>=1.20"]);
    index.add("app", "1.0", Files::Wheel, &["pandas"]);
    index.add("app", "2.0", Files::Wheel, &["pandas", "numpy<2"]);
    index
}

#[test]
fn conflicting_finals_do_not_fall_back_to_a_pre_release() {
    // pip filters candidates on the declared specifiers: a final release matches `pandas`, so
    // pre-releases are never candidates, however far backtracking narrows the range.
    let index = pandas_index();
    let env = linux();
    let r = reqs(&["pandas", "numpy==1.24.4"]);
    let text = conflict_text(resolve_default(&index, &request(&r, &env)));
    assert_eq!(
        text,
        "Because pandas depends on numpy >=2 and you require pandas, you require numpy >=2.\n\
         And because you require numpy ==1.24.4, your requirements cannot be satisfied."
    );
    assert!(
        !index
            .calls
            .borrow()
            .iter()
            .any(|c| c.starts_with("metadata pandas 3.0.0rc1")),
        "{:?}",
        index.calls.borrow()
    );
    // Finals conflict under app 2.0: the resolver backtracks to app 1.0 (no pre-release).
    let r = reqs(&["app"]);
    assert_eq!(
        pins(&resolve_default(&index, &request(&r, &env)).unwrap()),
        ["app==1.0", "numpy==2.0.0", "pandas==2.3.0"]
    );
    // A specifier naming a pre-release allows them: the pre-release resolves.
    let r = reqs(&["pandas>=2.0rc1", "numpy==1.24.4"]);
    assert_eq!(
        pins(&resolve_default(&index, &request(&r, &env)).unwrap()),
        ["numpy==1.24.4", "pandas==3.0.0rc1"]
    );
    // So does --pre.
    let r = reqs(&["pandas", "numpy==1.24.4"]);
    let req = Request {
        allow_prerelease: true,
        ..request(&r, &env)
    };
    assert_eq!(
        pins(&resolve_default(&index, &req).unwrap()),
        ["numpy==1.24.4", "pandas==3.0.0rc1"]
    );
}

#[test]
fn a_pre_release_is_chosen_when_only_pre_releases_match_the_declared_requirements() {
    let mut index = Index::default();
    for ver in ["1.0", "2.0", "4.0"] {
        index.add("lib", ver, Files::Both, &[]);
    }
    index.add("lib", "3.0b1", Files::Both, &[]);
    index.add("x", "1.0", Files::Both, &["lib>2"]);
    let env = linux();
    // Each requirement alone matches a final release; together (`>2, <4`) only 3.0b1.
    let r = reqs(&["lib<4", "x"]);
    assert_eq!(
        pins(&resolve_default(&index, &request(&r, &env)).unwrap()),
        ["lib==3.0b1", "x==1.0"]
    );
    // The mode counts: with wheels only, a final without a wheel does not match.
    let mut index = Index::default();
    index.add("lib", "1.0", Files::Sdist, &[]);
    index.add("lib", "2.0b1", Files::Wheel, &[]);
    let r = reqs(&["lib"]);
    assert_eq!(
        pins(&resolve_default(&index, &request(&r, &env)).unwrap()),
        ["lib==1.0"]
    );
    assert_eq!(
        pins(&resolve_wheel_only(&index, &request(&r, &env)).unwrap()),
        ["lib==2.0b1"]
    );
}

#[test]
fn backtracking_prefetches_the_next_versions() {
    // Every pandas but the oldest needs a newer numpy than the pinned one: the solver goes
    // down 40 versions. After the third, it names the next ones in batches, so their metadata
    // is fetched concurrently instead of one 25 ms round trip after another.
    let mut index = Index::default();
    index.add("numpy", "1.24.4", Files::Both, &[]);
    index.add("numpy", "2.0.0", Files::Both, &[]);
    index.add("pandas", "1.0", Files::Both, &["numpy>=1.20"]);
    for minor in 1..=40 {
        index.add("pandas", &format!("2.{minor}"), Files::Both, &["numpy>=2"]);
    }
    let env = linux();
    let r = reqs(&["pandas", "numpy==1.24.4"]);
    let res = resolve_default(&index, &request(&r, &env)).unwrap();
    assert_eq!(pins(&res), ["numpy==1.24.4", "pandas==1.0"]);
    // The hints: after 2.40, 2.39 and 2.38, the next 16; at the middle of that batch, the 16
    // after it; and so on, never past the range.
    let hints: Vec<String> = index
        .hints
        .borrow()
        .iter()
        .filter(|h| h.contains(" next "))
        .cloned()
        .collect();
    let batch = |from: u32, to: u32| {
        let versions: Vec<String> = (to..=from).rev().map(|m| format!("2.{m}")).collect();
        format!("pandas next {}", versions.join(" "))
    };
    assert_eq!(
        hints,
        [batch(37, 22), batch(21, 6), format!("{} 1.0", batch(5, 1)),]
    );

    let slow = SlowIndex::new(&index);
    let start = std::time::Instant::now();
    let res = resolve_default(&slow, &request(&r, &env)).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(pins(&res), ["numpy==1.24.4", "pandas==1.0"]);
    let unhinted = slow.unhinted.lock().unwrap().clone();
    let pandas: Vec<&String> = unhinted
        .iter()
        .filter(|k| k.starts_with("pandas"))
        .collect();
    #[allow(
        clippy::print_stderr,
        reason = "a figure for whoever runs the test with --nocapture"
    )]
    {
        eprintln!(
            "backtracking over 41 versions at 25 ms per request: {elapsed:?}, {} fetched \
             without a hint: {pandas:?}",
            pandas.len()
        );
    }
    // Without the batches the resolver would fetch all 41 itself (41 x 25 ms); with them
    // only the first few before the first batch (the first is the requirement's own hint),
    // give or take a thread that starts late.
    assert!(pandas.len() <= 6, "{pandas:?}");
}
