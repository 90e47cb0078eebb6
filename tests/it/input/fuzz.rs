//! The bounded fuzz pass CI runs: a seeded mutation loop over the same entry points as the
//! coverage-guided harness in `fuzz/` ([`wheelwatch::fuzz`]), seeded with the recorded
//! fixtures and the inputs that once panicked, hung or overflowed the stack. A fixed seed makes
//! a failure reproducible; the pass stops after a fixed number of cases or a time budget,
//! whichever comes first. A panic fails the test; a stack overflow or hang fails the binary.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The whole pass's time budget, shared by the targets (debug build, so fewer cases than the
/// coverage-guided harness runs in the same time).
const BUDGET: Duration = Duration::from_secs(24);
/// Cases per target at most.
const CASES: usize = 4_000;

/// A small xorshift generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens that matter to the formats: splicing them in reaches deeper than random bytes.
const DICTIONARY: &[&str] = &[
    "\n",
    "\\\n",
    " ; ",
    "(",
    ")",
    "[",
    "]",
    "'",
    "\"",
    "==",
    ">=",
    "~=",
    "===",
    ".*",
    "@",
    " and ",
    " or ",
    "extra == ",
    "python_version",
    "os_name",
    "-r ",
    "-c ",
    "-e ",
    "--hash=",
    "--index-url ",
    "-i ",
    "--find-links ",
    "${TOKEN}",
    "#",
    "a.",
    "a-",
    "b_",
    "[b-]",
    "名",
    "\u{feff}",
    "=",
    "[[package]]\n",
    "name = ",
    "version = ",
    "[project]\n",
    "dependencies = [",
    "optional-dependencies",
    "[dependency-groups]\n",
    "{include-group = ",
    "resolution-markers = [",
    "marker = ",
    "source = { registry = ",
    "source = { editable = \".\" }",
    "[[packages]]\n",
    "lock-version = '1.0'\n",
    "Requires-Dist: ",
    "Metadata-Version: 2.4\n",
    "Name: ",
    "Version: ",
    "Provides-Extra: ",
    "Dynamic: ",
    "Requires-Python: ",
    "\n \n",
    "{",
    "}",
    ",",
    "\0",
    "\r\n",
    "http://user:pw@host/x.whl",
];

/// Seeds of each target: the recorded fixtures of its format plus minimal inputs that once
/// crashed the tool.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    collect(&fixtures, &mut files);
    let wanted = |path: &Path| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        match target {
            "requirements_txt" | "pep508" => name.ends_with(".txt") || name.ends_with(".in"),
            "pyproject" => name == "pyproject.toml",
            "uv_lock" => name.ends_with(".lock"),
            "pylock" => name.starts_with("pylock"),
            "metadata" => name == "METADATA" || name == "PKG-INFO" || name.ends_with(".metadata"),
            "installer_log" => name.ends_with(".log"),
            "page_cache" => name.ends_with(".page"),
            "resolution_cache" => name.ends_with(".tree"),
            _ => false,
        }
    };
    let mut out: Vec<Vec<u8>> = files
        .iter()
        .filter(|p| wanted(p))
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|bytes| bytes.len() <= 256 * 1024)
        .collect();
    let deep = format!("six; {}", "(".repeat(20_000));
    let crashers = [
        "a.*",
        "a-*",
        "a[b-]",
        "a ; os_name == 'nt'名",
        deep.as_str(),
        "-r a/b\n-r a/b\n",
        "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: beta[b-]\n",
        "[project]\ndependencies = ['a.*']\n",
        // Found by the coverage-guided harness: an unterminated quote before non-ASCII.
        "\"\">\"\"\"\u{fffd}",
        "Metadata-Version:2.4\nName:\nVersion:1\nRequires-Dist:2;python_version<\"\"\"\u{fffd}",
        "\"\">\"\"\"\u{fffd}\"",
        "\u{b}c.(",
        "Metadata-Version:2.4\nName:a\nVersion:1\nRequires-Dist:n2; python_version >python_version < \"6.\u{fffd}\"",
        "Metadata-Version:2.4\nName:\nVersion:2\nRequires-Dist:6;python_version<\"\"\"\u{ab}\"",
    ];
    out.extend(crashers.iter().map(|c| c.as_bytes().to_vec()));
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// One mutation: flip, insert, delete, duplicate a span, or splice a dictionary token or a
/// span of another seed.
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, rng.next() as u8),
            2 if !data.is_empty() => {
                let len = rng.below(16).min(data.len() - at.min(data.len()));
                data.drain(at..at + len);
            }
            3 if !data.is_empty() => {
                let start = rng.below(data.len());
                let len = rng.below(64).min(data.len() - start);
                let span = data[start..start + len].to_vec();
                let times = 1 + rng.below(8);
                for _ in 0..times {
                    data.splice(at..at, span.iter().copied());
                }
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let start = rng.below(other.len());
                    let len = rng.below(256).min(other.len() - start);
                    data.splice(at..at, other[start..start + len].iter().copied());
                }
            }
            _ => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                data.splice(at..at, token.bytes());
            }
        }
    }
    data.truncate(512 * 1024);
    data
}

#[test]
fn bounded_fuzz_pass_finds_no_panic_overflow_or_hang() {
    let started = Instant::now();
    let targets = wheelwatch::fuzz::TARGETS;
    let mut ran = Vec::new();
    for (index, (name, entry)) in targets.iter().enumerate() {
        // Each target gets an equal share of what is left of the budget.
        let share = BUDGET.saturating_sub(started.elapsed()) / (targets.len() - index) as u32;
        let target_started = Instant::now();
        let mut corpus = seeds(name);
        assert!(!corpus.is_empty(), "no seeds for {name}");
        let mut rng = Rng(0x5eed_0000 + index as u64);
        for seed in &corpus.clone() {
            entry(seed);
        }
        let mut cases = 0;
        while cases < CASES && target_started.elapsed() < share {
            let parent = &corpus[rng.below(corpus.len())];
            let child = mutate(&mut rng, parent, &corpus);
            let case_started = Instant::now();
            entry(&child);
            assert!(
                case_started.elapsed() < Duration::from_secs(5),
                "{name}: one input took {:?} (hang?): {:?}",
                case_started.elapsed(),
                String::from_utf8_lossy(&child[..child.len().min(200)])
            );
            // Keep some children so that mutations stack up.
            if rng.below(8) == 0 && corpus.len() < 512 {
                corpus.push(child);
            }
            cases += 1;
        }
        ran.push((*name, cases));
    }
    // Every target ran, and not just its seeds.
    let barely: Vec<_> = ran.iter().filter(|(_, cases)| *cases < 50).collect();
    assert!(barely.is_empty(), "targets that barely ran: {barely:?}");
    println!("bounded fuzz pass: {ran:?} in {:?}", started.elapsed());
}
