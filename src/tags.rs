//! Compatible wheel tags for a target, in priority order, exactly as the reference
//! implementation (`packaging.tags`, 26.x) computes them on a CPython of that version running
//! on that platform: `cpython_tags` (the `cpXY` ABI, then `abi3` — or `abi3t` for
//! free-threaded builds — then `none`, then the stable-ABI ladder down to `cp32`) for every
//! platform tag, followed by `compatible_tags` (`pyXY`/`py3` ladders with `none`, `cpXY-none-any`,
//! `py*-none-any`). Pure.
//!
//! Platform tag lists mirror what `packaging` finds on such a machine:
//! - glibc Linux: `linux_<arch>` first (packaging ≥ 26.3 orders native tags first), then the
//!   PEP 600 ladder `manylinux_2_N` from the glibc version down to 2.5 (x86_64, i686) or 2.17
//!   (other architectures), each legacy alias (`manylinux2014`, `manylinux2010`, `manylinux1`)
//!   right after the tag it aliases;
//! - musl Linux: `linux_<arch>`, then `musllinux_1_N` down to `musllinux_1_0`;
//! - macOS: `mac_platforms(version, arch)`;
//! - Windows: the single `win_amd64` / `win_arm64` / `win32` tag.
//!
//! Debug builds (`d` ABI flag) and pre-3.3 `u` (UCS-4) ABIs are not modelled: targets are
//! release CPython builds.
//!
//! Lookups ([`Tags::compatibility`]) are hot (every file of every project page), so tags are
//! interned to small integers once and a lookup hashes borrowed `&str`s only: no allocation.

use std::collections::{HashMap, HashSet};

use crate::filename::WheelFilename;
use crate::platform::{Arch, Platform};
use crate::target::PythonSpec;

/// Position of a tag in a target's list: lower is better.
pub type TagPriority = u32;

/// Why a wheel does not fit a target, most specific part first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Incompatible {
    /// No Python tag of the wheel is supported (e.g. `cp311` on 3.12).
    Python,
    /// The Python tag fits but no ABI tag does (e.g. `abi3` on a free-threaded build).
    Abi,
    /// Python and ABI fit but no platform tag does (e.g. `win_amd64` on Linux).
    Platform,
}

/// The supported tags of one target, in priority order, with an index for lookups.
#[derive(Clone, Debug)]
pub struct Tags {
    ordered: Vec<(String, String, String)>,
    pythons: HashMap<String, u32>,
    abis: HashMap<String, u32>,
    platforms: HashMap<String, u32>,
    /// Interned triple -> best priority.
    index: HashMap<(u32, u32, u32), TagPriority>,
    /// Interned `(python, abi)` pairs that appear with some platform.
    pairs: HashSet<(u32, u32)>,
    /// The CPython version digits (`312`) when built for a CPython target, to tell a wheel
    /// for another CPython (`cp311-cp311`) from one for another ABI of ours (`cp313-cp313` on
    /// `3.13t`).
    cpython_digits: Option<String>,
}

/// The glibc minor versions below which no manylinux tag exists for an architecture
/// (`packaging._manylinux`: 2.5 for x86 architectures, 2.17 otherwise).
fn oldest_glibc_minor(arch: Arch) -> u16 {
    match arch {
        Arch::X86_64 | Arch::X86 => 5,
        _ => 17,
    }
}

/// The platform tags of `platform`, best first.
pub fn platform_tags(platform: &Platform) -> Vec<String> {
    match *platform {
        Platform::Manylinux { major, minor, arch } => {
            let arch = arch.linux_name();
            let mut out = vec![format!("linux_{arch}")];
            // packaging would also walk (major-1).50 … for a glibc major above 2; the parser
            // only accepts glibc 2.
            let oldest = oldest_glibc_minor(platform.arch());
            for m in (oldest..=minor).rev() {
                out.push(format!("manylinux_{major}_{m}_{arch}"));
                let legacy = match (major, m) {
                    (2, 17) => Some("manylinux2014"),
                    (2, 12) => Some("manylinux2010"),
                    (2, 5) => Some("manylinux1"),
                    _ => None,
                };
                if let Some(legacy) = legacy {
                    out.push(format!("{legacy}_{arch}"));
                }
            }
            out
        }
        Platform::Musllinux { major, minor, arch } => {
            let arch = arch.linux_name();
            let mut out = vec![format!("linux_{arch}")];
            out.extend(
                (0..=minor)
                    .rev()
                    .map(|m| format!("musllinux_{major}_{m}_{arch}")),
            );
            out
        }
        Platform::Linux { arch } => vec![format!("linux_{}", arch.linux_name())],
        Platform::Windows { .. } => vec![platform.to_string()],
        Platform::Macos { major, minor, arch } => mac_platforms(major, minor, arch),
    }
}

/// `packaging.tags._mac_binary_formats` for the architectures we model.
fn mac_binary_formats(major: u16, minor: u16, arch: Arch) -> &'static [&'static str] {
    match arch {
        Arch::X86_64 if (major, minor) < (10, 4) => &[],
        Arch::X86_64 => &[
            "x86_64",
            "intel",
            "fat64",
            "fat3",
            "universal2",
            "universal",
        ],
        Arch::Aarch64 => &["arm64", "universal2"],
        _ => &["universal2"],
    }
}

/// `packaging.tags.mac_platforms(version, arch)`.
fn mac_platforms(major: u16, minor: u16, arch: Arch) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |maj: u16, min: u16, formats: &[&str]| {
        for f in formats {
            out.push(format!("macosx_{maj}_{min}_{f}"));
        }
    };
    if major == 10 {
        for m in (0..=minor).rev() {
            push(10, m, mac_binary_formats(10, m, arch));
        }
    }
    if major >= 11 {
        for maj in (11..=major).rev() {
            push(maj, 0, mac_binary_formats(maj, 0, arch));
        }
        for m in (4..=16).rev() {
            if arch == Arch::X86_64 {
                push(10, m, mac_binary_formats(10, m, arch));
            } else {
                push(10, m, &["universal2"]);
            }
        }
    }
    out
}

/// The `cp3X` ABI of a release CPython build (`cp37m` before 3.8, `cp313t` free-threaded).
fn cpython_abi(python: &PythonSpec) -> String {
    let mut abi = format!("cp{}{}", python.major, python.minor);
    if python.free_threaded {
        abi.push('t');
    }
    if python.minor < 8 {
        abi.push('m');
    }
    abi
}

fn triple(py: &str, abi: &str, plat: &str) -> (String, String, String) {
    (py.to_string(), abi.to_string(), plat.to_string())
}

/// `cpython_tags(...)` followed by `compatible_tags(...)`, as `packaging.tags.sys_tags` yields.
fn cpython_sys_tags(python: &PythonSpec, platforms: &[String]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let interp = python.interpreter_tag();
    let abi = cpython_abi(python);
    let stable = if python.free_threaded {
        "abi3t"
    } else {
        "abi3"
    };
    let stable_applies = python.minor >= 2;
    for p in platforms {
        out.push(triple(&interp, &abi, p));
    }
    if stable_applies {
        for p in platforms {
            out.push(triple(&interp, stable, p));
        }
    }
    for p in platforms {
        out.push(triple(&interp, "none", p));
    }
    if stable_applies {
        for minor in (2..python.minor).rev() {
            let older = format!("cp{}{minor}", python.major);
            for p in platforms {
                out.push(triple(&older, stable, p));
            }
        }
    }
    // compatible_tags: pyXY, py3, pyX(Y-1) … py30 with each platform, then the interpreter
    // with `none-any`, then the same ladder with `none-any`.
    let mut ladder = vec![
        format!("py{}{}", python.major, python.minor),
        format!("py{}", python.major),
    ];
    ladder.extend(
        (0..python.minor)
            .rev()
            .map(|m| format!("py{}{m}", python.major)),
    );
    for version in &ladder {
        for p in platforms {
            out.push(triple(version, "none", p));
        }
    }
    out.push(triple(&interp, "none", "any"));
    for version in &ladder {
        out.push(triple(version, "none", "any"));
    }
    out
}

/// The interned id of `s`, adding it when new.
fn intern(map: &mut HashMap<String, u32>, s: &str) -> u32 {
    if let Some(&id) = map.get(s) {
        return id;
    }
    let id = map.len() as u32;
    map.insert(s.to_string(), id);
    id
}

/// The version digits of a CPython ABI tag (`cp311` → `311`, `cp313t` → `313`, `cp37m` → `37`).
fn cpython_abi_digits(abi: &str) -> Option<&str> {
    let rest = abi.strip_prefix("cp")?;
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

impl Tags {
    /// Builds the tags a CPython `python` on `platform` supports.
    pub fn new(python: &PythonSpec, platform: &Platform) -> Self {
        let ordered = cpython_sys_tags(python, &platform_tags(platform));
        let mut tags = Self::from_ordered(ordered);
        tags.cpython_digits = Some(format!("{}{}", python.major, python.minor));
        tags
    }

    /// Builds tags from an explicit ordered list (e.g. probed from a real interpreter).
    pub fn from_ordered(ordered: Vec<(String, String, String)>) -> Self {
        let mut pythons = HashMap::new();
        let mut abis = HashMap::new();
        let mut platforms = HashMap::new();
        let mut index = HashMap::with_capacity(ordered.len());
        let mut pairs = HashSet::new();
        for (i, (py, abi, plat)) in ordered.iter().enumerate() {
            let key = (
                intern(&mut pythons, &py.to_ascii_lowercase()),
                intern(&mut abis, &abi.to_ascii_lowercase()),
                intern(&mut platforms, &plat.to_ascii_lowercase()),
            );
            // The first (best) position wins when a list repeats a tag.
            index.entry(key).or_insert(i as TagPriority);
            pairs.insert((key.0, key.1));
        }
        let cpython_digits = ordered
            .first()
            .and_then(|(py, _, _)| py.strip_prefix("cp"))
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string);
        Self {
            ordered,
            pythons,
            abis,
            platforms,
            index,
            pairs,
            cpython_digits,
        }
    }

    /// The tags, best first, as `python-abi-platform` triples.
    pub fn iter(&self) -> impl Iterator<Item = &(String, String, String)> {
        self.ordered.iter()
    }

    /// How many tags there are.
    pub fn len(&self) -> usize {
        self.ordered.len()
    }

    /// Whether there are no tags at all.
    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty()
    }

    /// The priority of one `python-abi-platform` tag, or why it does not fit.
    pub fn tag_compatibility(
        &self,
        python: &str,
        abi: &str,
        platform: &str,
    ) -> Result<TagPriority, Incompatible> {
        if [python, abi, platform]
            .iter()
            .any(|s| s.bytes().any(|b| b.is_ascii_uppercase()))
        {
            // Tags compare lower-cased (as `packaging.tags.Tag` does); rare, so allocate here.
            return self.lookup(
                &python.to_ascii_lowercase(),
                &abi.to_ascii_lowercase(),
                &platform.to_ascii_lowercase(),
            );
        }
        self.lookup(python, abi, platform)
    }

    fn lookup(&self, python: &str, abi: &str, platform: &str) -> Result<TagPriority, Incompatible> {
        let Some(&py) = self.pythons.get(python) else {
            return Err(Incompatible::Python);
        };
        let abi_id = self.abis.get(abi).copied();
        if let Some(a) = abi_id.filter(|a| self.pairs.contains(&(py, *a))) {
            return self
                .platforms
                .get(platform)
                .and_then(|p| self.index.get(&(py, a, *p)))
                .copied()
                .ok_or(Incompatible::Platform);
        }
        // The pair is unknown. A CPython ABI of another version (`cp311-cp311` on 3.12) is a
        // Python mismatch; anything else (`abi3` on 3.13t, `cp313` on 3.13t) an ABI one.
        match (cpython_abi_digits(abi), self.cpython_digits.as_deref()) {
            (Some(theirs), Some(ours)) if theirs != ours => Err(Incompatible::Python),
            _ => Err(Incompatible::Abi),
        }
    }

    /// The best (lowest) priority of any of the wheel's tag triples, or why none fits: the
    /// failure that got furthest (platform beats ABI beats Python), so a report can say
    /// "no wheel for manylinux_2_17_aarch64" rather than "no cp313 wheel" when that is the
    /// closer miss.
    pub fn compatibility(&self, wheel: &WheelFilename) -> Result<TagPriority, Incompatible> {
        let mut best: Option<TagPriority> = None;
        let mut closest = Incompatible::Python;
        for (py, abi, plat) in wheel.tag_triples() {
            match self.tag_compatibility(py, abi, plat) {
                Ok(p) => best = Some(best.map_or(p, |b| b.min(p))),
                Err(why) => closest = closest.max(why),
            }
        }
        best.ok_or(closest)
    }
}

/// [`Tags::compatibility`] remembered per distinct wheel tag sets, for judging every file of a
/// page against one target. Pages share their tag sets ([`crate::filename::TagSet`] is interned
/// per page), so a page of twenty thousand wheels has only a few hundred distinct
/// `(python, abi, platform)` sets; the memo is keyed by their addresses, which makes a hit one
/// cheap hash of three integers instead of a string lookup per tag triple.
pub struct CompatibilityMemo<'t> {
    tags: &'t Tags,
    seen: HashMap<(usize, usize, usize), Result<TagPriority, Incompatible>, AddrHasher>,
}

impl<'t> CompatibilityMemo<'t> {
    /// An empty memo for `tags`. Keep it no longer than the page whose wheels it judges: the
    /// keys are addresses of that page's tag sets.
    pub fn new(tags: &'t Tags) -> Self {
        Self {
            tags,
            seen: HashMap::default(),
        }
    }

    /// Same answer as [`Tags::compatibility`].
    pub fn compatibility(&mut self, wheel: &WheelFilename) -> Result<TagPriority, Incompatible> {
        let key = (wheel.python.addr(), wheel.abi.addr(), wheel.platform.addr());
        *self
            .seen
            .entry(key)
            .or_insert_with(|| self.tags.compatibility(wheel))
    }
}

/// A multiply-rotate hasher for keys made of addresses (SipHash, the default, is built to resist
/// chosen keys, which addresses are not, and costs several times more).
#[derive(Clone, Copy, Default)]
struct AddrHasher;

impl std::hash::BuildHasher for AddrHasher {
    type Hasher = AddrHash;

    fn build_hasher(&self) -> AddrHash {
        AddrHash(0)
    }
}

struct AddrHash(u64);

impl std::hash::Hasher for AddrHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(py: &str, plat: &str) -> Tags {
        Tags::new(
            &py.parse().expect("python"),
            &plat.parse().expect("platform"),
        )
    }

    fn compat(t: &Tags, wheel: &str) -> Result<TagPriority, Incompatible> {
        t.compatibility(&wheel.parse().expect("wheel"))
    }

    #[test]
    fn manylinux_ladder_with_legacy_aliases() {
        let p = platform_tags(&"manylinux_2_17_x86_64".parse().expect("p"));
        assert_eq!(
            p[..4],
            [
                "linux_x86_64",
                "manylinux_2_17_x86_64",
                "manylinux2014_x86_64",
                "manylinux_2_16_x86_64"
            ]
        );
        assert_eq!(p.last().map(String::as_str), Some("manylinux1_x86_64"));
        let p = platform_tags(&"manylinux_2_28_aarch64".parse().expect("p"));
        assert_eq!(p.last().map(String::as_str), Some("manylinux2014_aarch64"));
        assert_eq!(p.len(), 1 + 12 + 1);
    }

    #[test]
    fn free_threaded_uses_abi3t_not_abi3() {
        let t = tags("3.13t", "linux");
        assert!(compat(&t, "x-1-cp313-cp313t-manylinux_2_17_x86_64.whl").is_ok());
        assert_eq!(
            compat(&t, "x-1-cp312-abi3-manylinux_2_17_x86_64.whl"),
            Err(Incompatible::Abi)
        );
        assert_eq!(
            compat(&t, "x-1-cp313-cp313-manylinux_2_17_x86_64.whl"),
            Err(Incompatible::Abi)
        );
        assert!(compat(&t, "x-1-py3-none-any.whl").is_ok());
    }

    #[test]
    fn incompatibility_reasons() {
        let t = tags("3.12", "manylinux_2_28_x86_64");
        assert_eq!(
            compat(&t, "x-1-cp311-cp311-manylinux_2_17_x86_64.whl"),
            Err(Incompatible::Python)
        );
        assert_eq!(
            compat(&t, "x-1-py2-none-any.whl"),
            Err(Incompatible::Python)
        );
        assert_eq!(
            compat(&t, "x-1-cp312-cp312-win_amd64.whl"),
            Err(Incompatible::Platform)
        );
        assert_eq!(
            compat(&t, "x-1-cp312-cp312-manylinux_2_34_x86_64.whl"),
            Err(Incompatible::Platform)
        );
        assert_eq!(
            compat(&t, "x-1-cp312-cp312-manylinux_2_17_aarch64.whl"),
            Err(Incompatible::Platform)
        );
        // The closest miss wins across a wheel's triples.
        assert_eq!(
            compat(&t, "x-1-cp311.cp312-cp311.cp312-win_amd64.whl"),
            Err(Incompatible::Platform)
        );
    }

    #[test]
    fn priorities_follow_packaging_order() {
        let t = tags("3.12", "manylinux_2_28_x86_64");
        let native = compat(&t, "x-1-cp312-cp312-manylinux_2_28_x86_64.whl").expect("native");
        let older = compat(
            &t,
            "x-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .expect("older");
        let abi3 = compat(&t, "x-1-cp38-abi3-manylinux_2_28_x86_64.whl").expect("abi3");
        let pure = compat(&t, "x-1-py3-none-any.whl").expect("pure");
        assert!(
            native < older && older < abi3 && abi3 < pure,
            "{native} {older} {abi3} {pure}"
        );
        assert_eq!(
            compat(&t, "X-1-CP312-CP312-MANYLINUX_2_28_X86_64.whl"),
            Ok(native)
        );
    }

    #[test]
    fn memo_answers_like_the_direct_lookup_for_shared_tag_sets() {
        use crate::filename::DistFilename;
        let t = tags("3.12", "manylinux_2_28_x86_64");
        let project = "x".parse().expect("name");
        let mut interner = crate::dist::PageInterner::default();
        let mut memo = CompatibilityMemo::new(&t);
        // Sets shared across wheels in every combination: a memo keyed on less than all three
        // sets would answer some of these from another wheel's entry.
        let names = [
            "x-1-cp312-cp312-manylinux_2_17_x86_64.whl",
            "x-1-cp311-cp311-manylinux_2_17_x86_64.whl",
            "x-1-cp312-cp312-win_amd64.whl",
            "x-1-cp312-abi3-manylinux_2_17_x86_64.whl",
            "x-1-cp311-abi3-manylinux_2_17_x86_64.whl",
            "x-1-py3-none-any.whl",
            "x-1-cp312-none-any.whl",
            "x-1-cp312-cp312-manylinux_2_17_x86_64.whl",
        ];
        let mut answers = Vec::new();
        for _ in 0..2 {
            for name in names {
                let mut parsed = DistFilename::parse(name, &project).expect("wheel");
                interner.share_tags(&mut parsed);
                let DistFilename::Wheel(wheel) = parsed else {
                    panic!("{name} is a wheel")
                };
                let memoized = memo.compatibility(&wheel);
                assert_eq!(memoized, t.compatibility(&wheel), "{name}");
                answers.push(memoized.is_ok());
            }
        }
        assert!(answers.contains(&true) && answers.contains(&false));
    }

    #[test]
    fn python_37_has_pymalloc_abi() {
        let t = tags("3.7", "win_amd64");
        assert!(compat(&t, "x-1-cp37-cp37m-win_amd64.whl").is_ok());
        assert_eq!(
            compat(&t, "x-1-cp37-cp37-win_amd64.whl"),
            Err(Incompatible::Abi)
        );
    }
}
