//! CPython's `-X importtime` report (pure): parsing its stderr lines and picking the slowest
//! imports.
//!
//! Each line is `import time: <self µs> | <cumulative µs> | <indent><module>`, the indent two
//! spaces per nesting level below the first; the header line (`self [us]`) and anything else on
//! stderr are skipped.

use serde::Serialize;

/// One module's import cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct ImportTime {
    /// The module's dotted name.
    pub module: String,
    /// Time in the module's own body, in microseconds.
    pub self_us: u64,
    /// Including the modules it imported, in microseconds.
    pub cumulative_us: u64,
    /// Nesting level: 0 for a module imported by the script (or by start-up) itself.
    pub depth: usize,
}

/// Every import `stderr` reports, in the order CPython printed them.
pub(crate) fn parse(stderr: &str) -> Vec<ImportTime> {
    stderr
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("import time:")?;
            let mut parts = rest.splitn(3, '|');
            let self_us = parts.next()?.trim().parse().ok()?;
            let cumulative_us = parts.next()?.trim().parse().ok()?;
            let name = parts.next()?;
            let indent = name.len() - name.trim_start().len();
            let module = name.trim();
            (!module.is_empty()).then(|| ImportTime {
                module: module.to_string(),
                self_us,
                cumulative_us,
                depth: indent.saturating_sub(1) / 2,
            })
        })
        .collect()
}

/// The `n` imports with the most time of their own, slowest first (ties by name).
pub(crate) fn slowest(imports: &[ImportTime], n: usize) -> Vec<ImportTime> {
    let mut sorted = imports.to_vec();
    sorted.sort_by(|a, b| b.self_us.cmp(&a.self_us).then(a.module.cmp(&b.module)));
    sorted.truncate(n);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
import time: self [us] | cumulative | imported package
import time:       310 |        310 |   _io
import time:        52 |         52 |   marshal
import time:       120 |        482 | encodings
Traceback-free noise on stderr
import time:       900 |       1500 | wwfast
import time:       600 |        600 |   wwfast._core
import time:        12 |         12 |     wwfast._core.tiny
";

    #[test]
    fn parses_lines_with_depth_and_skips_the_rest() {
        let all = parse(SAMPLE);
        assert_eq!(all.len(), 6);
        assert_eq!(
            all[0],
            ImportTime {
                module: "_io".into(),
                self_us: 310,
                cumulative_us: 310,
                depth: 1
            }
        );
        assert_eq!((all[2].module.as_str(), all[2].depth), ("encodings", 0));
        assert_eq!(
            (all[5].module.as_str(), all[5].depth),
            ("wwfast._core.tiny", 2)
        );
    }

    #[test]
    fn slowest_by_own_time() {
        let names: Vec<String> = slowest(&parse(SAMPLE), 3)
            .into_iter()
            .map(|i| i.module)
            .collect();
        assert_eq!(names, ["wwfast", "wwfast._core", "_io"]);
    }
}
