//! Human explanations of a failed resolution: PubGrub's `DefaultStringReporter` walks the
//! derivation tree; this formatter words each step for Python users. "There is no version of X"
//! is replaced by the actual reason the candidates in range were unusable (no compatible wheel,
//! Python version, yanked), which PubGrub cannot know.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::PackageName;
use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, Ranges, ReportFormatter,
    Reporter, Term,
};

use super::solver::{Mode, Pkg, Tree, Unusable, Versions, display_range, usable};

pub(crate) struct Formatter<'a> {
    pub(crate) versions: &'a HashMap<PackageName, Arc<Versions>>,
    pub(crate) mode: &'a Mode,
    pub(crate) python: &'a Version,
    /// Packages whose pre-releases the pre-release rule excluded in this run.
    pub(crate) pre_excluded: &'a HashSet<PackageName>,
}

/// Explains a failed run.
pub(crate) fn explain(tree: &Tree, formatter: &Formatter<'_>) -> String {
    let mut tree = tree.clone();
    collapse_absent(&mut tree, formatter);
    DefaultStringReporter::report_with_formatter(&tree, formatter)
}

/// Folds "no version of P in R" into the neighbouring dependency fact when no version of P in
/// R exists at all, or only pre-releases the pre-release rule excluded (pip never considers
/// them, so neither does the explanation): pubgrub's `collapse_no_versions`, restricted so
/// that facts saying *why* existing versions are unusable, such as missing wheels, stay in the
/// explanation.
fn collapse_absent(tree: &mut Tree, formatter: &Formatter<'_>) {
    let DerivationTree::Derived(derived) = tree else {
        return;
    };
    let absent = |pkg: &Pkg, range: &Ranges<Version>| {
        pkg.name().is_some_and(|n| {
            let excluded = formatter.pre_excluded.contains(n);
            formatter.versions.get(n).is_some_and(|v| {
                !v.all.is_empty()
                    && !v.all.iter().any(|c| {
                        range.contains(&c.version) && !(excluded && c.version.any_prerelease())
                    })
            })
        })
    };
    let (first, second) = (
        Arc::make_mut(&mut derived.cause1),
        Arc::make_mut(&mut derived.cause2),
    );
    let (no_versions, other) = match (&*first, &*second) {
        (DerivationTree::External(External::NoVersions(p, r)), _) if absent(p, r) => {
            ((p.clone(), r.clone()), second)
        }
        (_, DerivationTree::External(External::NoVersions(p, r))) if absent(p, r) => {
            ((p.clone(), r.clone()), first)
        }
        _ => {
            collapse_absent(first, formatter);
            collapse_absent(second, formatter);
            return;
        }
    };
    collapse_absent(other, formatter);
    let (pkg, range) = no_versions;
    let merged = match other.clone() {
        DerivationTree::External(External::FromDependencyOf(p1, r1, p2, r2)) => {
            if p1 == pkg {
                Some(DerivationTree::External(External::FromDependencyOf(
                    p1,
                    r1.union(&range),
                    p2,
                    r2,
                )))
            } else {
                Some(DerivationTree::External(External::FromDependencyOf(
                    p1,
                    r1,
                    p2,
                    r2.union(&range),
                )))
            }
        }
        DerivationTree::External(External::Custom(p1, r1, reason)) if p1 == pkg => Some(
            DerivationTree::External(External::Custom(p1, r1.union(&range), reason)),
        ),
        derived @ DerivationTree::Derived(_) => Some(derived),
        DerivationTree::External(_) => None,
    };
    if let Some(merged) = merged {
        *tree = merged;
    }
}

/// A required range: singletons read as a pin (`pydantic-core ==2.33.2`).
fn with_spec(pkg: &Pkg, range: &Ranges<Version>) -> String {
    if range == &Ranges::full() {
        pkg.to_string()
    } else {
        format!("{pkg} {}", display_range(range))
    }
}

/// A chosen version or range: singletons read as a version (`pydantic 2.11.7`).
fn with_range(pkg: &Pkg, range: &Ranges<Version>) -> String {
    if range == &Ranges::full() {
        pkg.to_string()
    } else if let Some(v) = range.as_singleton() {
        format!("{pkg} {v}")
    } else {
        format!("{pkg} {}", display_range(range))
    }
}

impl Formatter<'_> {
    fn no_versions(&self, pkg: &Pkg, range: &Ranges<Version>) -> String {
        let Some(name) = pkg.name() else {
            return "your requirements cannot be satisfied".to_string();
        };
        let matching = if range == &Ranges::full() {
            String::new()
        } else {
            format!(" matching {}", display_range(range))
        };
        let Some(versions) = self.versions.get(name).filter(|v| !v.all.is_empty()) else {
            return format!("no versions of {name} were found");
        };
        let in_range: Vec<_> = versions
            .all
            .iter()
            .filter(|c| range.contains(&c.version))
            .collect();
        if in_range.is_empty() {
            return format!("no version of {name}{matching} exists");
        }
        let wheel_only = self.mode.attempts(name).iter().all(|&w| w);
        // A usable version in range that was not chosen is a pre-release the pre-release rule
        // excluded (a usable final release matches the declared requirements).
        let (mut python, mut no_file, mut yanked, mut pre) = (0, 0, 0, 0);
        for c in &in_range {
            if !c.requires_python_ok {
                python += 1;
            } else if !usable(c, wheel_only) {
                no_file += 1;
            } else if c.yanked {
                yanked += 1;
            } else {
                pre += 1;
            }
        }
        let what = if wheel_only {
            "a compatible wheel"
        } else {
            "a compatible wheel or a source distribution"
        };
        match (python, no_file, yanked, pre) {
            (_, 0, 0, 0) => format!(
                "no version of {name}{matching} supports Python {}",
                self.python
            ),
            (0, _, 0, 0) => format!("no version of {name}{matching} has {what}"),
            (0, 0, _, 0) => format!("every version of {name}{matching} is yanked"),
            (0, 0, 0, _) => format!(
                "no final release of {name}{matching} is usable, and its pre-releases are not \
                 considered because a final release matches the requirements on {name} (--pre \
                 allows them)"
            ),
            _ => {
                let mut parts = Vec::new();
                if python > 0 {
                    parts.push(format!("{python} do not support Python {}", self.python));
                }
                if no_file > 0 {
                    parts.push(format!(
                        "{no_file} have no {}",
                        what.trim_start_matches("a ")
                    ));
                }
                if yanked > 0 {
                    parts.push(format!("{yanked} are yanked"));
                }
                if pre > 0 {
                    parts.push(format!("{pre} are pre-releases"));
                }
                format!(
                    "no version of {name}{matching} is usable ({})",
                    parts.join(", ")
                )
            }
        }
    }

    fn term(pkg: &Pkg, term: &Term<Ranges<Version>>) -> String {
        match term {
            Term::Positive(r) => with_range(pkg, r),
            Term::Negative(r) => format!("not {}", with_range(pkg, r)),
        }
    }
}

impl ReportFormatter<Pkg, Ranges<Version>, Unusable> for Formatter<'_> {
    type Output = String;

    fn format_external(&self, external: &External<Pkg, Ranges<Version>, Unusable>) -> String {
        match external {
            External::NotRoot(..) => "we are solving your requirements".to_string(),
            External::NoVersions(pkg, range) => self.no_versions(pkg, range),
            External::Custom(pkg, range, reason) => format!("{} {reason}", with_range(pkg, range)),
            External::FromDependencyOf(pkg, range, dep, dep_range) => {
                if pkg == &Pkg::Root {
                    format!("you require {}", with_spec(dep, dep_range))
                } else {
                    format!(
                        "{} depends on {}",
                        with_range(pkg, range),
                        with_spec(dep, dep_range)
                    )
                }
            }
        }
    }

    fn format_terms(&self, terms: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        let terms: Vec<_> = terms.iter().collect();
        match terms.as_slice() {
            [] => "no resolution exists".to_string(),
            [(Pkg::Root, Term::Positive(_))] => "your requirements cannot be satisfied".to_string(),
            [(pkg, Term::Positive(r))] => format!("{} cannot be used", with_range(pkg, r)),
            [(pkg, Term::Negative(r))] => format!("{} is required", with_range(pkg, r)),
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => self.format_external(
                &External::FromDependencyOf((*p1).clone(), r1.clone(), (*p2).clone(), r2.clone()),
            ),
            [(p1, Term::Positive(r1)), (p2, Term::Positive(r2))] => {
                format!(
                    "{} and {} are incompatible",
                    with_range(p1, r1),
                    with_range(p2, r2)
                )
            }
            slice => {
                let parts: Vec<String> = slice.iter().map(|(p, t)| Self::term(p, t)).collect();
                format!("{} are incompatible", parts.join(", "))
            }
        }
    }

    fn explain_both_external(
        &self,
        external1: &External<Pkg, Ranges<Version>, Unusable>,
        external2: &External<Pkg, Ranges<Version>, Unusable>,
        current_terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(external1),
            self.format_external(external2),
            self.format_terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &Derived<Pkg, Ranges<Version>, Unusable>,
        ref_id2: usize,
        derived2: &Derived<Pkg, Ranges<Version>, Unusable>,
        current_terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &Derived<Pkg, Ranges<Version>, Unusable>,
        external: &External<Pkg, Ranges<Version>, Unusable>,
        current_terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<Pkg, Ranges<Version>, Unusable>,
        current_terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_ref(
        &self,
        ref_id: usize,
        derived: &Derived<Pkg, Ranges<Version>, Unusable>,
        current_terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &External<Pkg, Ranges<Version>, Unusable>,
        external: &External<Pkg, Ranges<Version>, Unusable>,
        current_terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior_external),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }
}
