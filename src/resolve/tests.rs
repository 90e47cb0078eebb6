//! Resolver tests over an in-memory index.

use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement};

use super::*;

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
                text.push_str(&format!("Requires-Python: {rp}\n"));
            } else {
                text.push_str(&format!("Requires-Dist: {r}\n"));
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
        Ok(Arc::new(
            CoreMetadata::parse_wheel(text).map_err(SourceError::new)?,
        ))
    }

    fn prefetch(&self, hints: &[PrefetchHint]) {
        for hint in hints {
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
