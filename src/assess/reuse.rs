//! Reusing a target's resolution, and its direct view, from an earlier run.
//!
//! A target's [`Analysis`] (and its blockers' catalog entries) is a function of the target's
//! facts (tags, Python, markers), the requirements and constraints, the pre-release setting,
//! the listings of the projects the resolver looked up, and the core metadata of the versions
//! it read, which never changes for a released file and is chosen from the listing. So after a
//! target is resolved, its analysis is stored under a key made of everything but the listings,
//! beside the id of every listing the resolver read ([`PageId`]: a hash of the files as read,
//! which the page cache also writes into each entry). A later run whose listings are all in the
//! page cache, usable without a request and with the same ids, takes the stored analysis
//! instead of decoding those pages, reading that metadata and resolving again: on a warm run
//! that was most of the work. A listing that changed, went stale or is missing, or any other
//! input that differs, and the target is resolved as usual (and stored again). The key also
//! holds the running binary's identity, so a rebuilt wheelwatch never reads what another build
//! computed.
//!
//! The direct view of each target (every direct requirement assessed by [`crate::health`]) is
//! kept the same way, beside the ids of the direct projects' listings: when every target's is
//! reusable, a warm run decodes no page at all.
//!
//! Reused only from a page cache that may answer without a request (not with `--no-cache` or
//! `--refresh`), with one index and no find-links page (not cached) nor find-links files of a
//! project the resolution read (they are merged into its listing); not when a caller needs the
//! pages themselves (lock files, the matrix, plans: [`super::Request::reuse_resolutions`]); and
//! a resolution is not stored when some metadata was unreadable or warned in the run (the next
//! run tries again, and says so again).
//!
//! Entries are outside input, like the page cache's: a wrong magic, a checksum mismatch, an
//! undecodable payload, a special or oversized file are a miss, never an error or a panic.
//! Writes are atomic; failing to write is logged, never an error.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pep508_rs::{PackageName, Requirement};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::IssueId;
use crate::health::{Options, PackageHealth};
use crate::index::{IndexClient, PageId};
use crate::requirements::RequirementSet;
use crate::resolve::Analysis;
use crate::util::fs::{ReadLimit, read_regular};

use super::source::{Shared, TargetFacts};

/// The directory of this layout's entries (bumped with [`MAGIC`]).
const LAYOUT: &str = "resolutions-v1";
/// The first bytes of every entry, then the CRC-32 of the payload (little-endian).
const MAGIC: &[u8; 8] = b"wwtree\x00\x01";
/// No entry is read past this size (a resolution of thousands of packages is far smaller).
const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// A stored result and what it was computed from.
#[derive(Serialize, Deserialize)]
struct Stored {
    /// Every project whose listing was read, with its listing's id on every index.
    listings: Vec<(PackageName, Vec<PageId>)>,
    value: Value,
}

/// What is stored: a target's resolution, or its direct view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Value {
    Tree {
        analysis: Box<Analysis>,
        issues: Vec<Option<IssueId>>,
    },
    /// As JSON: [`PackageHealth`] leaves empty fields out, which postcard cannot read back.
    Direct { packages_json: String },
}

/// A target's resolution reused from the cache.
pub(crate) struct Reused {
    pub(crate) analysis: Analysis,
    pub(crate) issues: Vec<Option<IssueId>>,
    /// The projects the resolution read (they count as looked up).
    pub(crate) projects: Vec<PackageName>,
}

/// Where one target's result is stored: `None` when results are not reused.
pub(crate) struct Slot {
    path: PathBuf,
}

impl Slot {
    /// The slot of the resolution of the target described by `facts` resolving
    /// `requirements` under `constraints`, in `client`'s cache directory.
    pub(crate) fn tree(
        client: &IndexClient,
        facts: &TargetFacts,
        requirements: &[Requirement],
        constraints: &[Requirement],
        pre: bool,
    ) -> Option<Self> {
        let mut inputs = vec![format!("pre {pre}")];
        for (kind, list) in [("requirement", requirements), ("constraint", constraints)] {
            inputs.extend(list.iter().map(|r| format!("{kind} {r}")));
        }
        Self::new(client, facts, "tree", &inputs)
    }

    /// The slot of the direct view of `set` on the target described by `facts`.
    pub(crate) fn direct(
        client: &IndexClient,
        facts: &TargetFacts,
        set: &RequirementSet,
        options: Options,
    ) -> Option<Self> {
        let mut inputs = vec![format!("pre {}", options.pre)];
        for (kind, list) in [
            ("requirement", &set.requirements),
            ("constraint", &set.constraints),
        ] {
            inputs.extend(
                list.iter()
                    .map(|r| format!("{kind} {} {} {}", r.locked, r.requirement, r.raw)),
            );
        }
        Self::new(client, facts, "direct", &inputs)
    }

    fn new(
        client: &IndexClient,
        facts: &TargetFacts,
        kind: &str,
        inputs: &[String],
    ) -> Option<Self> {
        let dir = client.cache_dir()?;
        let mut key = Sha256::new();
        let mut field = |bytes: &[u8]| {
            key.update((bytes.len() as u64).to_le_bytes());
            key.update(bytes);
        };
        field(LAYOUT.as_bytes());
        field(env!("CARGO_PKG_VERSION").as_bytes());
        field(build_identity()?.as_bytes());
        field(kind.as_bytes());
        for (python, abi, platform) in facts.tags.iter() {
            field(python.as_bytes());
            field(abi.as_bytes());
            field(platform.as_bytes());
        }
        field(
            format!(
                "{:?}",
                (
                    &facts.python,
                    &facts.python_label,
                    &facts.platform_label,
                    &facts.platform,
                    facts.free_threaded,
                    &facts.env,
                )
            )
            .as_bytes(),
        );
        field(&(inputs.len() as u64).to_le_bytes());
        for input in inputs {
            field(input.as_bytes());
        }
        let digest = key.finalize();
        let mut name = String::with_capacity(32);
        for b in &digest[..16] {
            use std::fmt::Write as _;
            let _ = write!(name, "{b:02x}");
        }
        Some(Self {
            path: dir.join(LAYOUT).join(format!("{name}.{kind}")),
        })
    }

    /// The stored resolution, when there is one and every listing it read is still the same.
    pub(crate) fn load_tree(&self, shared: &Shared) -> Option<Reused> {
        let (value, projects) = self.load(shared)?;
        match value {
            Value::Tree { analysis, issues } => Some(Reused {
                analysis: *analysis,
                issues,
                projects,
            }),
            Value::Direct { .. } => None,
        }
    }

    /// The stored direct view, when there is one and every listing it read is still the same.
    pub(crate) fn load_direct(&self, shared: &Shared) -> Option<Vec<PackageHealth>> {
        match self.load(shared)?.0 {
            Value::Direct { packages_json } => serde_json::from_str(&packages_json).ok(),
            Value::Tree { .. } => None,
        }
    }

    fn load(&self, shared: &Shared) -> Option<(Value, Vec<PackageName>)> {
        let mut bytes = Vec::new();
        read_regular(&self.path, ReadLimit::Whole(MAX_ENTRY_BYTES), &mut bytes).ok()?;
        let stored = match decode(&bytes) {
            Ok(stored) => stored,
            Err(reason) => {
                tracing::debug!("ignoring {}: {reason}", self.path.display());
                return None;
            }
        };
        for (name, ids) in &stored.listings {
            if shared.cached_listing_ids(name).as_ref() != Some(ids) {
                tracing::debug!("{name}'s listing changed or is not fresh: assessing again");
                return None;
            }
        }
        let projects = stored.listings.into_iter().map(|(name, _)| name).collect();
        Some((stored.value, projects))
    }

    /// Stores a resolution that read these listings.
    pub(crate) fn store_tree(
        &self,
        listings: Vec<(PackageName, Vec<PageId>)>,
        analysis: &Analysis,
        issues: &[Option<IssueId>],
    ) {
        self.store(
            listings,
            &Value::Tree {
                analysis: Box::new(analysis.clone()),
                issues: issues.to_vec(),
            },
        );
    }

    /// Stores a direct view that read these listings.
    pub(crate) fn store_direct(
        &self,
        listings: Vec<(PackageName, Vec<PageId>)>,
        packages: &[PackageHealth],
    ) {
        match serde_json::to_string(packages) {
            Ok(packages_json) => self.store(listings, &Value::Direct { packages_json }),
            Err(err) => tracing::debug!("could not store a direct view: {err}"),
        }
    }

    fn store(&self, mut listings: Vec<(PackageName, Vec<PageId>)>, value: &Value) {
        listings.sort_by(|a, b| a.0.cmp(&b.0));
        let stored = StoredRef {
            listings: &listings,
            value,
        };
        let written = encode(&stored)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                fs_err::create_dir_all(self.path.parent().unwrap_or(Path::new(".")))?;
                crate::util::fs::write_atomic(
                    &self.path,
                    &bytes,
                    crate::util::fs::Durability::Cache,
                )
            });
        if let Err(err) = written {
            tracing::debug!("could not store {}: {err}", self.path.display());
        }
    }
}

/// [`Stored`] borrowed, for writing.
#[derive(Serialize)]
struct StoredRef<'a> {
    listings: &'a [(PackageName, Vec<PageId>)],
    value: &'a Value,
}

/// What tells this build of wheelwatch from any other: the executable's size and modification
/// time (a rebuilt or reinstalled binary differs). `None` when it cannot be told (then nothing
/// is reused).
fn build_identity() -> Option<&'static str> {
    static IDENTITY: OnceLock<Option<String>> = OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            let meta = fs_err::metadata(&exe).ok()?;
            let modified = meta
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?;
            Some(format!(
                "{} {} {}",
                exe.display(),
                meta.len(),
                modified.as_nanos()
            ))
        })
        .as_deref()
}

fn encode(stored: &StoredRef<'_>) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&[0; 4]);
    let mut bytes = postcard::to_extend(stored, bytes)?;
    let crc = crc32fast::hash(&bytes[MAGIC.len() + 4..]);
    bytes[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&crc.to_le_bytes());
    Ok(bytes)
}

fn decode(bytes: &[u8]) -> Result<Stored, String> {
    let (crc, payload) = bytes
        .strip_prefix(MAGIC.as_slice())
        .and_then(|rest| rest.split_first_chunk::<4>())
        .ok_or("not an entry of this layout")?;
    if crc32fast::hash(payload) != u32::from_le_bytes(*crc) {
        return Err("checksum mismatch (truncated or damaged)".to_string());
    }
    let (stored, rest) =
        postcard::take_from_bytes::<Stored>(payload).map_err(|e| format!("undecodable: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} trailing bytes", rest.len()));
    }
    Ok(stored)
}

/// The fuzz entry point ([`crate::fuzz::resolution_cache`]): `data` as a whole entry, and as a
/// payload under a valid header (so mutations get past the checksum and reach the decoder). What
/// decodes must encode and decode to the same value.
pub(crate) fn fuzz_entry(data: &[u8]) {
    let check = |decoded: Result<Stored, String>| {
        let Ok(stored) = decoded else { return };
        let bytes = encode(&StoredRef {
            listings: &stored.listings,
            value: &stored.value,
        })
        .expect("a decoded entry encodes");
        let again = decode(&bytes).expect("an encoded entry decodes");
        assert_eq!(
            again.listings, stored.listings,
            "listings did not round-trip"
        );
        assert_eq!(again.value, stored.value, "the value did not round-trip");
    };
    check(decode(data));
    let mut framed = MAGIC.to_vec();
    framed.extend(crc32fast::hash(data).to_le_bytes());
    framed.extend(data);
    check(decode(&framed));
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep440_rs::{Version, VersionSpecifiers};

    use super::*;
    use crate::resolve::{Blocker, Dependency, Resolution, ResolvedPackage};

    /// A resolution of `app` needing `lib`, which builds from source.
    fn sample() -> (Vec<(PackageName, Vec<PageId>)>, Analysis) {
        let name = |n: &str| PackageName::from_str(n).unwrap();
        let version = |v: &str| Version::from_str(v).unwrap();
        let package = |n: &str, wheel: Option<&str>, requires: Vec<Dependency>| ResolvedPackage {
            name: name(n),
            version: version("1.0"),
            extras: Vec::new(),
            wheel: wheel.map(str::to_string),
            needs_build: wheel.is_none(),
            dependencies_unknown: false,
            required_by: vec![vec![name("app")]],
            requires,
        };
        let lib = Dependency {
            name: name("lib"),
            extras: Vec::new(),
            specifiers: VersionSpecifiers::from_str(">=1").unwrap(),
        };
        let relaxed = Resolution {
            packages: vec![
                package("app", Some("app-1.0-py3-none-any.whl"), vec![lib.clone()]),
                package("lib", None, Vec::new()),
            ],
            direct: vec![Dependency {
                name: name("app"),
                extras: Vec::new(),
                specifiers: VersionSpecifiers::empty(),
            }],
        };
        let analysis = Analysis {
            default: Some(relaxed.clone()),
            wheel_only: None,
            downgrades: Vec::new(),
            blockers: vec![Blocker {
                name: name("lib"),
                version: version("1.0"),
                paths: vec![vec![name("app"), name("lib")]],
                newest_with_wheel: None,
                reason: "lib 1.0 has only an sdist".to_string(),
            }],
            relaxed: Some(relaxed),
            conflict: None,
            wheel_only_conflict: Some("no version of lib has a wheel".to_string()),
        };
        let listings = vec![
            (name("app"), vec![Some(7)]),
            (name("lib"), vec![Some(9), None]),
        ];
        (listings, analysis)
    }

    /// The fuzz seed in `tests/fixtures/resolution-cache/` is an entry of the current layout,
    /// so mutations start from what the decoder accepts.
    #[test]
    fn fuzz_seed_is_of_the_current_layout() {
        let (listings, analysis) = sample();
        let bytes = encode(&StoredRef {
            listings: &listings,
            value: &Value::Tree {
                analysis: Box::new(analysis),
                issues: vec![Some(IssueId::SdistOnly)],
            },
        })
        .unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/resolution-cache/entry.tree");
        if std::env::var_os("WHEELWATCH_REFRESH_FIXTURES").is_some() {
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, &bytes).unwrap();
        }
        assert!(
            fs_err::read(&path).is_ok_and(|seed| seed == bytes),
            "{} is not an entry of this layout: refresh it with \
             `WHEELWATCH_REFRESH_FIXTURES=1 cargo test --lib assess::reuse`",
            path.display()
        );
        fuzz_entry(&bytes);
        fuzz_entry(&bytes[MAGIC.len() + 4..]);
    }

    #[test]
    fn damaged_entries_are_misses() {
        let analysis = Analysis {
            default: None,
            wheel_only: None,
            downgrades: Vec::new(),
            blockers: Vec::new(),
            relaxed: None,
            conflict: Some("a conflict".to_string()),
            wheel_only_conflict: None,
        };
        let listings = vec![(
            "numpy".parse::<PackageName>().unwrap(),
            vec![Some(7_u64), None],
        )];
        let value = Value::Tree {
            analysis: Box::new(analysis),
            issues: vec![None],
        };
        let bytes = encode(&StoredRef {
            listings: &listings,
            value: &value,
        })
        .unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.value, value);
        assert_eq!(back.listings, listings);
        for cut in [0, 5, 12, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            decode(&flipped).err().as_deref(),
            Some("checksum mismatch (truncated or damaged)")
        );
        let mut old = bytes;
        old[7] = 0;
        assert_eq!(
            decode(&old).err().as_deref(),
            Some("not an entry of this layout")
        );
    }
}
