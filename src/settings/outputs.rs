//! Where `check`'s report goes: the stdout format, `-o FORMAT=PATH` files (repeatable), the
//! bare `-o PATH` of earlier versions (the `--format` report to a file instead of stdout), and
//! GitHub's job summary (`GITHUB_STEP_SUMMARY`).

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::cli::CheckFormat;

/// A format `check` renders its report in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// A table for people.
    Table,
    /// JSON (schema/report.schema.json).
    Json,
    /// Markdown.
    Markdown,
    /// GitHub Actions workflow commands.
    Github,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
}

impl ReportFormat {
    /// Every format, as `-o` names them.
    pub const ALL: [(&'static str, ReportFormat); 6] = [
        ("table", Self::Table),
        ("json", Self::Json),
        ("markdown", Self::Markdown),
        ("github", Self::Github),
        ("junit", Self::Junit),
        ("sarif", Self::Sarif),
    ];

    /// The name `--format` and `-o` use.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("table", |(n, _)| n)
    }
}

impl From<CheckFormat> for ReportFormat {
    fn from(format: CheckFormat) -> Self {
        match format {
            CheckFormat::Table => Self::Table,
            CheckFormat::Json => Self::Json,
            CheckFormat::Markdown => Self::Markdown,
            CheckFormat::Github => Self::Github,
            CheckFormat::Junit => Self::Junit,
            CheckFormat::Sarif => Self::Sarif,
        }
    }
}

/// One `-o FORMAT=PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// The format.
    pub format: ReportFormat,
    /// The file.
    pub path: PathBuf,
}

/// The `-o` values: the `FORMAT=PATH` files, and the one bare `PATH` (the stdout report's
/// file), if any. A value is `FORMAT=PATH` when the text before its first `=` is a word
/// (letters, digits, `-`, `_`); an unknown word is an error, so that a typo never becomes a
/// file name.
pub(crate) fn parse_outputs(values: &[String]) -> Result<(Vec<OutputFile>, Option<PathBuf>)> {
    let mut files: Vec<OutputFile> = Vec::new();
    let mut bare: Option<PathBuf> = None;
    for value in values {
        let word = value.split_once('=').filter(|(w, _)| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        match word {
            Some((name, path)) => {
                let Some((_, format)) = ReportFormat::ALL
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                else {
                    let names: Vec<&str> = ReportFormat::ALL.iter().map(|(n, _)| *n).collect();
                    bail!(
                        "invalid -o `{value}`: unknown format `{name}`; expected FORMAT=PATH \
                         with FORMAT one of {}",
                        names.join(", ")
                    );
                };
                if path.is_empty() {
                    bail!("invalid -o `{value}`: expected FORMAT=PATH, the path is empty");
                }
                files.push(OutputFile {
                    format: *format,
                    path: PathBuf::from(path),
                });
            }
            None if bare.is_some() => {
                bail!(
                    "invalid -o `{value}`: only one -o may be a bare PATH (the --format report); \
                     name the others' format: -o FORMAT=PATH"
                );
            }
            None => bare = Some(PathBuf::from(value)),
        }
    }
    let mut paths: Vec<&PathBuf> = files.iter().map(|f| &f.path).chain(&bare).collect();
    paths.sort();
    if let Some(w) = paths.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "invalid -o: `{}` is named twice; each report needs its own file",
            w[0].display()
        );
    }
    Ok((files, bare))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Result<(Vec<OutputFile>, Option<PathBuf>)> {
        parse_outputs(&values.iter().map(|v| (*v).to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn format_path_pairs_and_one_bare_path() {
        let (files, bare) = parse(&[
            "json=out/report.json",
            "SARIF=wheels.sarif",
            "report.txt",
            "junit=a=b.xml",
        ])
        .unwrap();
        assert_eq!(
            files,
            vec![
                OutputFile {
                    format: ReportFormat::Json,
                    path: "out/report.json".into()
                },
                OutputFile {
                    format: ReportFormat::Sarif,
                    path: "wheels.sarif".into()
                },
                OutputFile {
                    format: ReportFormat::Junit,
                    path: "a=b.xml".into()
                },
            ]
        );
        assert_eq!(bare, Some("report.txt".into()));
        // `=` after a path separator is part of a path.
        let (files, bare) = parse(&["out/x=1.json"]).unwrap();
        assert!(files.is_empty());
        assert_eq!(bare, Some("out/x=1.json".into()));
    }

    #[test]
    fn mistakes_are_named() {
        let e = |v: &[&str]| parse(v).unwrap_err().to_string();
        assert_eq!(
            e(&["jsno=r.json"]),
            "invalid -o `jsno=r.json`: unknown format `jsno`; expected FORMAT=PATH with FORMAT \
             one of table, json, markdown, github, junit, sarif"
        );
        assert_eq!(
            e(&["sarif="]),
            "invalid -o `sarif=`: expected FORMAT=PATH, the path is empty"
        );
        assert_eq!(
            e(&["a.txt", "b.txt"]),
            "invalid -o `b.txt`: only one -o may be a bare PATH (the --format report); name the \
             others' format: -o FORMAT=PATH"
        );
        assert_eq!(
            e(&["json=r.json", "sarif=r.json"]),
            "invalid -o: `r.json` is named twice; each report needs its own file"
        );
    }
}
