//! Compatible wheel tags for a target, in priority order, exactly as the reference
//! implementation (`packaging.tags`) computes them: the cpXY / abi3 / none / pyXY / py3 ladders,
//! manylinux (PEP 600, with legacy aliases), musllinux (PEP 656), the macOS version and
//! `universal2` ladder, Windows, and free-threaded builds (no abi3 for `t`). Pure.
//!
//! STUB: to be completed.

use std::collections::HashMap;

use crate::filename::WheelFilename;
use crate::platform::Platform;
use crate::target::PythonSpec;

/// Position of a tag in a target's list: lower is better.
pub type TagPriority = u32;

/// Why a wheel does not fit a target, most specific part first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    index: HashMap<(String, String, String), TagPriority>,
}

impl Tags {
    /// Builds the tags a CPython `python` on `platform` supports.
    pub fn new(_python: &PythonSpec, _platform: &Platform) -> Self {
        todo!()
    }

    /// Builds tags from an explicit ordered list (e.g. probed from a real interpreter).
    pub fn from_ordered(ordered: Vec<(String, String, String)>) -> Self {
        let index = ordered
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as TagPriority))
            .rev()
            .collect();
        Self { ordered, index }
    }

    /// The tags, best first, as `python-abi-platform` triples.
    pub fn iter(&self) -> impl Iterator<Item = &(String, String, String)> {
        self.ordered.iter()
    }

    /// The best (lowest) priority of any of the wheel's tag triples, or why none fits.
    pub fn compatibility(&self, wheel: &WheelFilename) -> Result<TagPriority, Incompatible> {
        // Interim implementation (replaced by the full one).
        let mut best: Option<TagPriority> = None;
        let mut miss = Incompatible::Python;
        for (py, abi, plat) in wheel.tag_triples() {
            let key = (py.to_string(), abi.to_string(), plat.to_string());
            if let Some(p) = self.index.get(&key) {
                best = Some(best.map_or(*p, |b| b.min(*p)));
            } else if self.ordered.iter().any(|(p, a, _)| p == py && a == abi) {
                miss = Incompatible::Platform;
            } else if miss == Incompatible::Python && self.ordered.iter().any(|(p, _, _)| p == py) {
                miss = Incompatible::Abi;
            }
        }
        best.ok_or(miss)
    }
}
