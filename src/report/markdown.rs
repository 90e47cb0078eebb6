//! Markdown rendering of a [`Report`], for pull-request comments and CI job summaries.

use std::io::{self, Write};

use super::{Report, phrases};
use crate::health::Status;

fn esc(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Writes the report as Markdown.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## wheelwatch: {}", report.verdict.describe())?;
    writeln!(out)?;
    if let Some(f) = &report.recommended_fallback {
        writeln!(out, "Recommended fallback: `{f}`")?;
        writeln!(out)?;
    }
    if let Some(reason) = &report.fallback_reason {
        writeln!(out, "{}", esc(reason))?;
        writeln!(out)?;
    }
    if report.input_discovered && !report.sources.is_empty() {
        let read: Vec<String> = report.sources.iter().map(|s| format!("`{s}`")).collect();
        writeln!(out, "Read: {}", read.join(", "))?;
        writeln!(out)?;
    }
    write!(out, "| package |")?;
    for t in &report.targets {
        write!(out, " {} ({}) |", t.name, phrases::role_name(t.role))?;
    }
    writeln!(out)?;
    write!(out, "|---|")?;
    for _ in &report.targets {
        write!(out, "---|")?;
    }
    writeln!(out)?;
    let rows = report.targets.first().map_or(0, |t| t.packages.len());
    for i in 0..rows {
        let name = &report.targets[0].packages[i].name;
        write!(out, "| {} |", esc(name))?;
        for t in &report.targets {
            let p = &t.packages[i];
            let v = p
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let text = match p.status {
                Status::Wheel => format!(":white_check_mark: {v}"),
                Status::SdistOnly => format!(":warning: sdist {v}"),
                Status::NoDistribution => ":x: none".into(),
                Status::NotFound => ":x: not found".into(),
                Status::Excluded => "excluded".into(),
                Status::NotAssessed => "not assessed".into(),
                Status::Error => ":boom: error".into(),
            };
            write!(out, " {text} |")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(out, "| target | role | healthy | wheels |")?;
    writeln!(out, "|---|---|---|---|")?;
    for t in &report.targets {
        writeln!(
            out,
            "| {} | {} | {} | {}/{} |",
            t.name,
            phrases::role_name(t.role),
            if t.healthy { "yes" } else { "no" },
            t.counts.wheel,
            t.counts.assessed
        )?;
    }
    let problems: Vec<String> = report
        .targets
        .iter()
        .flat_map(|t| {
            t.packages
                .iter()
                .filter(|p| phrases::is_problem(p))
                .map(move |p| {
                    let hint = phrases::remedy_hint(p.issue)
                        .map_or_else(String::new, |h| format!("<br>{}", esc(&h)));
                    format!("- **{}** on `{}`: {}{hint}", p.name, t.name, esc(&p.reason))
                })
        })
        .collect();
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Problems")?;
        writeln!(out)?;
        for line in problems {
            writeln!(out, "{line}")?;
        }
    }
    let mut tree = Vec::new();
    for t in &report.targets {
        for b in t.transitive_blockers() {
            let hint = phrases::remedy_hint(b.issue)
                .map_or_else(String::new, |h| format!("<br>{}", esc(&h)));
            tree.push(format!(
                "- **{}** {} on `{}` ({}): {}{}{hint}",
                b.name,
                b.version,
                t.name,
                esc(&b.first_path()),
                esc(&b.reason),
                b.newest_text()
            ));
        }
        for d in t.transitive_downgrades() {
            tree.push(format!(
                "- {} {} → {} on `{}` (wheel-only): {}",
                d.name,
                d.from,
                d.to,
                t.name,
                esc(&d.reason)
            ));
        }
        if let Some(r) = &t.resolution {
            if let Some(e) = &r.error {
                tree.push(format!("- resolution failed on `{}`: {}", t.name, esc(e)));
            }
            if let Some(c) = &r.conflict {
                tree.push(format!(
                    "- the requirements conflict on `{}`: {}",
                    t.name,
                    esc(&c.replace('\n', " "))
                ));
            }
        }
    }
    if !tree.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Dependencies")?;
        writeln!(out)?;
        for line in tree {
            writeln!(out, "{line}")?;
        }
    }
    if !report.recommendations.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Recommendations")?;
        writeln!(out)?;
        for r in &report.recommendations {
            writeln!(out, "- {}", esc(&phrases::recommendation(r)))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::health::PackageHealth;
    use crate::report::{Dependencies, Stats, TagsSource, TargetReport};
    use crate::target::{Role, Target};

    fn package(status: Status, version: &str, reason: &str) -> PackageHealth {
        PackageHealth {
            name: "numpy".into(),
            requirement: "numpy==2.2.6".into(),
            status,
            version: Some(pep440_rs::Version::from_str(version).unwrap()),
            default_version: Some(pep440_rs::Version::from_str(version).unwrap()),
            default_has_wheel: status == Status::Wheel,
            wheel: None,
            newest_with_wheel: None,
            reason: reason.into(),
            issue: None,
            issue_detail: None,
        }
    }

    #[test]
    fn roles_and_recommendations_read_as_in_the_table() {
        let host = "manylinux_2_28_x86_64".parse().unwrap();
        let target = |t: &str, role| Target::parse(t, &host, role).unwrap();
        let primary = TargetReport::new(
            &target("3.13@linux", Role::Primary),
            TagsSource::Computed,
            vec![package(
                Status::SdistOnly,
                "2.2.6",
                "2.2.6 has only an sdist",
            )],
            None,
            1.0,
        );
        let fallback = TargetReport::new(
            &target("3.12@linux", Role::Fallback),
            TagsSource::Computed,
            vec![package(Status::Wheel, "2.2.6", "has a wheel")],
            None,
            1.0,
        );
        let report = Report::new(
            vec![primary, fallback],
            Dependencies::DirectOnly,
            1.0,
            vec!["requirements.txt".into()],
            Vec::new(),
            Stats::default(),
        );
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "## wheelwatch: fallback available

Recommended fallback: `3.12@manylinux_2_28_x86_64`

1 of 1 packages has no wheel on 3.13@manylinux_2_28_x86_64 (numpy)

| package | 3.13@manylinux_2_28_x86_64 (primary) | 3.12@manylinux_2_28_x86_64 (fallback) |
|---|---|---|
| numpy | :warning: sdist 2.2.6 | :white_check_mark: 2.2.6 |

| target | role | healthy | wheels |
|---|---|---|---|
| 3.13@manylinux_2_28_x86_64 | primary | no | 0/1 |
| 3.12@manylinux_2_28_x86_64 | fallback | yes | 1/1 |

### Problems

- **numpy** on `3.13@manylinux_2_28_x86_64`: 2.2.6 has only an sdist

### Recommendations

- Use the fallback Python 3.12 (3.12@manylinux_2_28_x86_64): every assessed package has a wheel there (`wheelwatch fallback`).
- numpy: no version has a wheel for 3.13@manylinux_2_28_x86_64; it needs a build toolchain there, or another target.
"
        );
    }
}
