//! One view of a version's files from one target, shared by the health policy
//! ([`crate::health`]) and the resolver's candidates ([`crate::assess::source`]): the best
//! compatible wheel, the closest reason the other wheels miss, whether an sdist exists, the
//! requires-python that excluded files, and yanked files kept apart so each caller applies its
//! own PEP 592 rule. Also the one wording of "why this version has no wheel here". Pure.

use std::collections::BTreeMap;

use pep440_rs::Version;

use crate::dist::{DistFile, ProjectPage, PythonFilter};
use crate::tags::{CompatibilityMemo, Incompatible, TagPriority, Tags};

/// A set of files of one version (the live ones, or the yanked ones) seen from a target.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct FileSummary<'p> {
    /// Best compatible wheel and its priority.
    pub best_wheel: Option<(TagPriority, &'p DistFile)>,
    /// An sdist that requires-python allows exists.
    pub sdist: bool,
    /// A file requires-python allows exists.
    pub python_ok: bool,
    /// The requires-python of a file it excluded (the last one listed).
    pub python_excluded: Option<&'p str>,
    /// The closest reason a wheel did not fit (platform before ABI before Python).
    pub wheel_miss: Option<Incompatible>,
    /// Any file at all.
    pub any_file: bool,
}

/// Keep the most specific miss: Platform > Abi > Python.
fn miss_rank(miss: Incompatible) -> u8 {
    match miss {
        Incompatible::Python => 0,
        Incompatible::Abi => 1,
        Incompatible::Platform => 2,
    }
}

impl<'p> FileSummary<'p> {
    /// A wheel or an sdist installs.
    pub(crate) fn installable(&self) -> bool {
        self.best_wheel.is_some() || self.sdist
    }

    /// Folds in `later`, the summary of files listed after the ones already seen, with the
    /// same outcome as seeing those files one by one.
    pub(crate) fn absorb(&mut self, later: &Self) {
        if !later.any_file {
            return;
        }
        self.any_file = true;
        if later.python_excluded.is_some() {
            self.python_excluded = later.python_excluded;
        }
        if let Some((priority, file)) = later.best_wheel
            && self.best_wheel.is_none_or(|(best, _)| priority < best)
        {
            self.best_wheel = Some((priority, file));
        }
        if let Some(miss) = later.wheel_miss {
            self.add_miss(miss);
        }
        self.sdist |= later.sdist;
        self.python_ok |= later.python_ok;
    }

    fn add_miss(&mut self, miss: Incompatible) {
        if self
            .wheel_miss
            .is_none_or(|old| miss_rank(miss) > miss_rank(old))
        {
            self.wheel_miss = Some(miss);
        }
    }

    fn add(
        &mut self,
        file: &'p DistFile,
        compat: &mut CompatibilityMemo<'_>,
        python: &mut PythonFilter<'_>,
    ) {
        self.any_file = true;
        if !python.allows(file) {
            self.python_excluded = file.requires_python_str();
            return;
        }
        self.python_ok = true;
        match file.wheel() {
            Some(wheel) => match compat.compatibility(wheel) {
                Ok(priority) => {
                    if self.best_wheel.is_none_or(|(best, _)| priority < best) {
                        self.best_wheel = Some((priority, file));
                    }
                }
                Err(miss) => self.add_miss(miss),
            },
            None => self.sdist = true,
        }
    }

    /// Why this version has no compatible wheel for the target: "has no wheel for
    /// manylinux_2_17_aarch64", "has no free-threaded wheel for CPython 3.13t", "has only an
    /// sdist", ...
    pub(crate) fn miss_phrase(&self, python_label: &str, platform_label: &str) -> String {
        match self.wheel_miss {
            Some(Incompatible::Platform) => format!("has no wheel for {platform_label}"),
            Some(Incompatible::Abi) if python_label.ends_with('t') => {
                format!("has no free-threaded wheel for CPython {python_label}")
            }
            Some(Incompatible::Abi) => {
                format!("has no wheel for the ABI of CPython {python_label}")
            }
            Some(Incompatible::Python) => format!("has no wheel for CPython {python_label}"),
            None => match self.python_excluded {
                Some(spec) => {
                    format!("has no wheel for CPython {python_label} (requires-python {spec})")
                }
                None => "has only an sdist".to_string(),
            },
        }
    }
}

/// One version's files from a target: live and yanked files apart.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct VersionFiles<'p> {
    /// Files not yanked.
    pub live: FileSummary<'p>,
    /// Yanked files.
    pub yanked: FileSummary<'p>,
}

impl<'p> VersionFiles<'p> {
    /// Every file of the version is yanked.
    pub(crate) fn all_yanked(&self) -> bool {
        !self.live.any_file && self.yanked.any_file
    }

    /// The files an installer considers: the live ones, and the yanked ones too when
    /// `with_yanked`.
    pub(crate) fn usable(&self, with_yanked: bool) -> FileSummary<'p> {
        let mut out = self.live;
        if with_yanked {
            out.absorb(&self.yanked);
        }
        out
    }

    fn absorb(&mut self, later: &Self) {
        self.live.absorb(&later.live);
        self.yanked.absorb(&later.yanked);
    }
}

/// Every version on `page` as seen from a target with these tags and this Python.
pub(crate) fn by_version<'p>(
    page: &'p ProjectPage,
    tags: &Tags,
    python_full_version: &Version,
) -> BTreeMap<&'p Version, VersionFiles<'p>> {
    let mut versions: BTreeMap<&Version, VersionFiles> = BTreeMap::new();
    let mut compat = CompatibilityMemo::new(tags);
    let mut python = PythonFilter::new(python_full_version);
    // Indexes list a version's files together: each run of files of one version is viewed
    // locally and folded into the map once, instead of searching the map for every file.
    let mut run: Option<(&'p Version, VersionFiles<'p>)> = None;
    for file in &page.files {
        let version = file.version();
        if let Some((done, view)) = run.take_if(|(v, _)| *v != version) {
            versions.entry(done).or_default().absorb(&view);
        }
        let (_, view) = run.get_or_insert_with(|| (version, VersionFiles::default()));
        let summary = if file.is_yanked() {
            &mut view.yanked
        } else {
            &mut view.live
        };
        summary.add(file, &mut compat, &mut python);
    }
    if let Some((done, view)) = run {
        versions.entry(done).or_default().absorb(&view);
    }
    versions
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep508_rs::PackageName;

    use super::*;
    use crate::filename::DistFilename;
    use crate::target::{Role, Target};

    fn file(filename: &str, yanked: bool, requires_python: Option<&str>) -> DistFile {
        let project = PackageName::from_str("demo").unwrap();
        DistFile::from(crate::dist::DistFileParts {
            filename,
            url: &format!("http://127.0.0.1/files/{filename}"),
            parsed: DistFilename::parse(filename, &project).unwrap(),
            requires_python: requires_python.map(crate::dist::RequiresPython::new),
            yanked: yanked.then(String::new),
            core_metadata: false,
            sha256: None,
            size: None,
            upload_time: None,
        })
    }

    #[test]
    fn yanked_files_are_kept_apart_and_misses_worded_once() {
        let host = "manylinux_2_28_x86_64".parse().unwrap();
        let t = Target::parse("3.12@linux", &host, Role::Primary).unwrap();
        let page = ProjectPage {
            name: PackageName::from_str("demo").unwrap(),
            files: vec![
                file("demo-1.0-py3-none-any.whl", true, None),
                file("demo-1.0.tar.gz", false, None),
                file("demo-2.0-py3-none-any.whl", false, Some(">=3.13")),
                file("demo-3.0-cp312-cp312-win_amd64.whl", true, None),
            ],
        };
        let tags = Tags::new(&t.python, &t.platform);
        let versions = by_version(&page, &tags, &t.python.full_version());
        let phrase = |v: &str, with_yanked: bool| {
            let files = versions[&Version::from_str(v).unwrap()];
            let usable = files.usable(with_yanked);
            let wheel = usable.best_wheel.map(|(_, f)| f.filename().to_string());
            (
                files.all_yanked(),
                wheel,
                usable.miss_phrase("3.12", "manylinux_2_28_x86_64"),
            )
        };
        assert_eq!(
            phrase("1.0", false),
            (false, None, "has only an sdist".to_string())
        );
        assert_eq!(
            phrase("1.0", true).1.as_deref(),
            Some("demo-1.0-py3-none-any.whl")
        );
        assert_eq!(
            phrase("2.0", false),
            (
                false,
                None,
                "has no wheel for CPython 3.12 (requires-python >=3.13)".to_string()
            )
        );
        assert_eq!(
            phrase("3.0", true),
            (
                true,
                None,
                "has no wheel for manylinux_2_28_x86_64".to_string()
            )
        );
    }
}
