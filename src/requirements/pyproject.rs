//! `pyproject.toml` dependencies: `[project] dependencies`, selected
//! `[project.optional-dependencies]` extras (with self-references such as `myproj[a,b]` expanded
//! to the project's own extras) and PEP 735 `[dependency-groups]` (with `{include-group = ...}`).
//!
//! The TOML is read with `toml`'s spanned document ([`toml::de::DeTable`]) rather than serde
//! structs so that every error can name the key path and line, and every requirement gets an
//! origin line. Build-system requirements and tool tables (`[tool.*]`) are not read.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use pep508_rs::{MarkerTree, PackageName};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    DeclaredRequirement, DeclaredRequiresPython, LineIndex, Origin, RequirementSet,
    RequirementsError, line_of, pep508_message,
};

/// Parses a pyproject: `[project] dependencies`, plus the requested `extras` and `groups`.
pub fn parse_pyproject(
    path: &Path,
    content: &str,
    extras: &[String],
    groups: &[String],
) -> Result<RequirementSet, RequirementsError> {
    let document = parse_toml(path, content)?;
    let reader = Reader {
        path,
        lines: LineIndex::new(content),
        root: document.get_ref(),
    };
    reader.read(extras, groups)
}

/// Parses TOML into a spanned table, with a one-line error naming file, line and column.
pub(crate) fn parse_toml<'i>(
    path: &Path,
    content: &'i str,
) -> Result<Spanned<DeTable<'i>>, RequirementsError> {
    DeTable::parse(content).map_err(|error| {
        let message = match error.span() {
            Some(span) => {
                let line = line_of(content, span.start);
                let line_start = content[..span.start.min(content.len())]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let column = content[line_start..span.start.min(content.len())]
                    .chars()
                    .count()
                    + 1;
                format!("line {line}, column {column}: {}", error.message().trim())
            }
            None => error.message().trim().to_string(),
        };
        RequirementsError::Toml {
            file: path.to_path_buf(),
            message,
        }
    })
}

struct Reader<'a, 'i> {
    path: &'a Path,
    lines: LineIndex,
    root: &'a DeTable<'i>,
}

/// A requirement string with its key path and line.
struct Entry {
    text: String,
    key: String,
    line: usize,
}

impl<'a, 'i> Reader<'a, 'i> {
    fn shape(&self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) -> RequirementsError {
        RequirementsError::Shape {
            file: self.path.to_path_buf(),
            line: self.lines.line(value.span().start),
            key: key.to_string(),
            expected: format!("{expected}, found {}", value.get_ref().type_str()),
        }
    }

    fn table(
        &self,
        parent: &'a DeTable<'i>,
        key: &str,
        path: &str,
    ) -> Result<Option<&'a DeTable<'i>>, RequirementsError> {
        match parent.get(key) {
            None => Ok(None),
            Some(value) => match value.get_ref() {
                DeValue::Table(table) => Ok(Some(table)),
                _ => Err(self.shape(path, value, "must be a table")),
            },
        }
    }

    /// An array of PEP 508 strings at `key_path`.
    fn string_array(
        &self,
        value: &Spanned<DeValue<'_>>,
        key_path: &str,
    ) -> Result<Vec<Entry>, RequirementsError> {
        let DeValue::Array(array) = value.get_ref() else {
            return Err(self.shape(key_path, value, "must be an array of strings"));
        };
        let mut out = Vec::new();
        for (index, item) in array.iter().enumerate() {
            let key = format!("{key_path}[{index}]");
            match item.get_ref() {
                DeValue::String(text) => out.push(Entry {
                    text: text.to_string(),
                    key,
                    line: self.lines.line(item.span().start),
                }),
                _ => return Err(self.shape(&key, item, "must be a string")),
            }
        }
        Ok(out)
    }

    fn read(
        &self,
        extras: &[String],
        groups: &[String],
    ) -> Result<RequirementSet, RequirementsError> {
        let mut set = RequirementSet::default();
        let project = self.table(self.root, "project", "project")?;
        let mut errors = Vec::new();

        let project_name = match project.and_then(|p| p.get("name")) {
            Some(value) => match value.get_ref() {
                DeValue::String(name) => PackageName::from_str(name).ok(),
                _ => return Err(self.shape("project.name", value, "must be a string")),
            },
            None => None,
        };

        // Entries in declaration order: (entry, parsed requirement).
        let mut entries: Vec<Entry> = Vec::new();
        if let Some(project) = project {
            let dynamic = self.dynamic(project)?;
            if dynamic.iter().any(|d| d == "dependencies") {
                return Err(RequirementsError::Dynamic {
                    file: self.path.to_path_buf(),
                    field: "dependencies".to_string(),
                });
            }
            if let Some(value) = project.get("dependencies") {
                entries.extend(self.string_array(value, "project.dependencies")?);
            }
            if let Some(value) = project.get("requires-python") {
                let DeValue::String(text) = value.get_ref() else {
                    return Err(self.shape("project.requires-python", value, "must be a string"));
                };
                match pep440_rs::VersionSpecifiers::from_str(text) {
                    Ok(specifiers) => set.requires_python.push(DeclaredRequiresPython {
                        specifiers,
                        file: self.path.to_path_buf(),
                    }),
                    Err(error) => errors.push(RequirementsError::Shape {
                        file: self.path.to_path_buf(),
                        line: self.lines.line(value.span().start),
                        key: "project.requires-python".to_string(),
                        expected: format!("must be version specifiers: {error}"),
                    }),
                }
            }
            if !extras.is_empty() && dynamic.iter().any(|d| d == "optional-dependencies") {
                return Err(RequirementsError::Dynamic {
                    file: self.path.to_path_buf(),
                    field: "optional-dependencies".to_string(),
                });
            }
        } else if groups.is_empty() {
            return Err(RequirementsError::NoProject {
                file: self.path.to_path_buf(),
            });
        } else if !extras.is_empty() {
            return Err(RequirementsError::UnknownExtra {
                file: self.path.to_path_buf(),
                extra: extras[0].clone(),
                available: Vec::new(),
            });
        }

        // Extras requested on the command line, then self-references found while reading.
        let optional = match project {
            Some(project) => self.optional_dependencies(project)?,
            None => Vec::new(),
        };
        let mut requested = Vec::new();
        for extra in extras {
            match find_extra(&optional, extra) {
                Some(index) => requested.push(index),
                None => errors.push(RequirementsError::UnknownExtra {
                    file: self.path.to_path_buf(),
                    extra: extra.clone(),
                    available: optional.iter().map(|(name, _, _)| name.clone()).collect(),
                }),
            }
        }
        // Per extra (normalized name), the marker under which it is already included: a
        // self-reference is expanded only for the part of its marker not yet covered.
        let mut covered: HashMap<String, MarkerTree> = HashMap::new();
        for index in requested {
            covered.insert(normalize_group(&optional[index].0), MarkerTree::TRUE);
            entries.extend(self.string_array(optional[index].2, &optional[index].1)?);
        }

        for group in groups {
            match self.group(group) {
                Ok(group_entries) => entries.extend(group_entries),
                Err(error) => errors.push(error),
            }
        }

        // Parse, expanding self-references to the project's own extras.
        let mut queue: Vec<(Entry, MarkerTree)> =
            entries.into_iter().map(|e| (e, MarkerTree::TRUE)).collect();
        queue.reverse();
        while let Some((entry, outer_marker)) = queue.pop() {
            let mut requirement = match crate::pep508::parse_requirement(&entry.text) {
                Ok(requirement) => requirement,
                Err(error) => {
                    errors.push(RequirementsError::TomlRequirement {
                        file: self.path.to_path_buf(),
                        line: entry.line,
                        key: entry.key,
                        text: entry.text,
                        expected: pep508_message(&error),
                    });
                    continue;
                }
            };
            requirement.marker.and(outer_marker);
            if project_name.as_ref() == Some(&requirement.name) {
                // `myproj[a,b]`: the project's own extras, under the reference's marker.
                let mut inner = Vec::new();
                for extra in &requirement.extras {
                    let seen = covered
                        .entry(normalize_group(extra.as_ref()))
                        .or_insert(MarkerTree::FALSE);
                    let mut uncovered = requirement.marker.clone();
                    uncovered.and(seen.negate());
                    if uncovered.is_false() {
                        continue;
                    }
                    seen.or(requirement.marker.clone());
                    match find_extra(&optional, extra.as_ref()) {
                        Some(index) => {
                            for e in self.string_array(optional[index].2, &optional[index].1)? {
                                inner.push((e, requirement.marker.clone()));
                            }
                        }
                        None => errors.push(RequirementsError::UnknownExtra {
                            file: self.path.to_path_buf(),
                            extra: extra.to_string(),
                            available: optional.iter().map(|(n, _, _)| n.clone()).collect(),
                        }),
                    }
                }
                queue.extend(inner.into_iter().rev());
                continue;
            }
            set.requirements.push(DeclaredRequirement::new(
                requirement,
                entry.text,
                Some(Origin {
                    file: self.path.to_path_buf(),
                    line: entry.line,
                }),
            ));
        }
        if let Some(error) = RequirementsError::from_many(errors) {
            return Err(error);
        }
        set.dedup();
        Ok(set)
    }

    fn dynamic(&self, project: &DeTable<'_>) -> Result<Vec<String>, RequirementsError> {
        match project.get("dynamic") {
            None => Ok(Vec::new()),
            Some(value) => Ok(self
                .string_array(value, "project.dynamic")?
                .into_iter()
                .map(|e| e.text)
                .collect()),
        }
    }

    /// `(name as written, key path, value)` of every extra.
    #[expect(
        clippy::type_complexity,
        reason = "private triple, named at the one use"
    )]
    fn optional_dependencies(
        &self,
        project: &'a DeTable<'i>,
    ) -> Result<Vec<(String, String, &'a Spanned<DeValue<'i>>)>, RequirementsError> {
        let Some(table) = self.table(
            project,
            "optional-dependencies",
            "project.optional-dependencies",
        )?
        else {
            return Ok(Vec::new());
        };
        Ok(table
            .iter()
            .map(|(name, value)| {
                (
                    name.get_ref().to_string(),
                    format!("project.optional-dependencies.{}", name.get_ref()),
                    value,
                )
            })
            .collect())
    }

    /// The requirements of dependency group `name`, following `include-group`.
    fn group(&self, name: &str) -> Result<Vec<Entry>, RequirementsError> {
        let table = self
            .table(self.root, "dependency-groups", "dependency-groups")?
            .ok_or_else(|| RequirementsError::UnknownGroup {
                file: self.path.to_path_buf(),
                group: name.to_string(),
                available: Vec::new(),
            })?;
        let mut stack = Vec::new();
        let mut out = Vec::new();
        self.collect_group(table, name, &mut stack, &mut out)?;
        Ok(out)
    }

    fn collect_group(
        &self,
        table: &DeTable<'_>,
        name: &str,
        stack: &mut Vec<String>,
        out: &mut Vec<Entry>,
    ) -> Result<(), RequirementsError> {
        let wanted = normalize_group(name);
        let Some((key, value)) = table
            .iter()
            .find(|(key, _)| normalize_group(key.get_ref()) == wanted)
        else {
            return Err(RequirementsError::UnknownGroup {
                file: self.path.to_path_buf(),
                group: name.to_string(),
                available: table.keys().map(|k| k.get_ref().to_string()).collect(),
            });
        };
        let key = key.get_ref().to_string();
        if let Some(start) = stack.iter().position(|g| normalize_group(g) == wanted) {
            let mut chain = stack[start..].to_vec();
            chain.push(key);
            return Err(RequirementsError::GroupCycle {
                file: self.path.to_path_buf(),
                chain,
            });
        }
        let key_path = format!("dependency-groups.{key}");
        let DeValue::Array(array) = value.get_ref() else {
            return Err(self.shape(&key_path, value, "must be an array"));
        };
        stack.push(key);
        for (index, item) in array.iter().enumerate() {
            let item_key = format!("{key_path}[{index}]");
            match item.get_ref() {
                DeValue::String(text) => out.push(Entry {
                    text: text.to_string(),
                    key: item_key,
                    line: self.lines.line(item.span().start),
                }),
                DeValue::Table(include) => {
                    let target = include.get("include-group");
                    match (target.map(Spanned::get_ref), include.len()) {
                        (Some(DeValue::String(target)), 1) => {
                            self.collect_group(table, target, stack, out)?;
                        }
                        _ => {
                            return Err(self.shape(
                                &item_key,
                                item,
                                "must be a requirement string or `{include-group = \"name\"}`",
                            ));
                        }
                    }
                }
                _ => {
                    return Err(self.shape(
                        &item_key,
                        item,
                        "must be a requirement string or `{include-group = \"name\"}`",
                    ));
                }
            }
        }
        stack.pop();
        Ok(())
    }
}

/// PEP 735: group names compare normalized like package names.
fn normalize_group(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_sep = false;
        }
    }
    out
}

fn find_extra(optional: &[(String, String, &Spanned<DeValue<'_>>)], extra: &str) -> Option<usize> {
    let wanted = normalize_group(extra);
    optional
        .iter()
        .position(|(name, _, _)| normalize_group(name) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::test_support::{fixtures, shown};

    fn basic() -> (std::path::PathBuf, String) {
        let path = fixtures().join("pyproject/basic/pyproject.toml");
        let text = fs_err::read_to_string(&path).unwrap();
        (path, text)
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn project_dependencies_with_origins_and_requires_python() {
        let (path, text) = basic();
        let set = parse_pyproject(&path, &text, &[], &[]).unwrap();
        assert_eq!(
            shown(&set.requirements),
            [
                "httpx>=0.27",
                "pydantic[email]>=2.6,<3",
                "orjson>=3.9 ; platform_python_implementation == 'CPython'"
            ]
        );
        let lines: Vec<usize> = set
            .requirements
            .iter()
            .map(|r| r.origin.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [10, 11, 12]);
        assert_eq!(set.requires_python.len(), 1);
        assert_eq!(set.requires_python[0].specifiers.to_string(), ">=3.10");
    }

    #[test]
    fn self_referencing_extras_expand_to_the_project_extras() {
        let (path, text) = basic();
        let set = parse_pyproject(&path, &text, &strings(&["all"]), &[]).unwrap();
        assert_eq!(
            shown(&set.requirements)[3..],
            [
                "psycopg[binary]>=3.1",
                "numpy>=1.26",
                "scikit-learn>=1.4 ; python_full_version < '3.13'"
            ]
        );
        // A marker on the self-reference applies to everything it pulls in.
        let set = parse_pyproject(&path, &text, &strings(&["Linux_Extras"]), &[]).unwrap();
        assert_eq!(
            shown(&set.requirements)[3..],
            [
                "numpy>=1.26 ; sys_platform == 'linux'",
                "scikit-learn>=1.4 ; python_full_version < '3.13' and sys_platform == 'linux'"
            ]
        );
    }

    #[test]
    fn mutually_referencing_extras_terminate() {
        let text = "[project]\nname = \"p\"\n[project.optional-dependencies]\na = [\"x\", \"p[b] ; sys_platform == 'linux'\"]\nb = [\"y\", \"P[a] ; os_name == 'posix'\"]\n";
        let set =
            parse_pyproject(Path::new("pyproject.toml"), text, &strings(&["a"]), &[]).unwrap();
        assert_eq!(
            shown(&set.requirements),
            // `p[a]` under linux-and-posix is already covered by `a` itself.
            ["x", "y ; sys_platform == 'linux'"]
        );
    }

    #[test]
    fn unknown_extra_lists_the_available_ones() {
        let (path, text) = basic();
        let error = parse_pyproject(&path, &text, &strings(&["gpu"]), &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: unknown extra `gpu`; available extras: `all`, `linux-extras`, `ml`, `postgres`",
                path.display()
            )
        );
    }

    #[test]
    fn dependency_groups_follow_include_group() {
        let (path, text) = basic();
        let set = parse_pyproject(&path, &text, &[], &strings(&["dev"])).unwrap();
        assert_eq!(
            shown(&set.requirements)[3..],
            ["pytest>=8", "pytest-cov", "ruff>=0.4", "ipython"]
        );
        let error = parse_pyproject(&path, &text, &[], &strings(&["docs"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: unknown dependency group `docs`; available groups: `dev`, `lint`, `test`",
                path.display()
            )
        );
    }

    #[test]
    fn group_cycles_are_reported() {
        let path = fixtures().join("pyproject/group-cycle/pyproject.toml");
        let text = fs_err::read_to_string(&path).unwrap();
        let error = parse_pyproject(&path, &text, &[], &strings(&["test"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: dependency groups include each other in a cycle: test -> dev -> lint -> test",
                path.display()
            )
        );
    }

    #[test]
    fn dynamic_dependencies_cannot_be_read() {
        let path = fixtures().join("pyproject/dynamic/pyproject.toml");
        let text = fs_err::read_to_string(&path).unwrap();
        let error = parse_pyproject(&path, &text, &[], &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: `project.dependencies` is listed in `project.dynamic`, so it is computed by the build backend and cannot be read statically; pass a requirements file or lock file instead",
                path.display()
            )
        );
    }

    #[test]
    fn wrong_shapes_name_the_key_path_and_line() {
        let path = fixtures().join("pyproject/bad-shape/pyproject.toml");
        let text = fs_err::read_to_string(&path).unwrap();
        let error = parse_pyproject(&path, &text, &[], &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}:6: `project.dependencies[1]` must be a string, found integer",
                path.display()
            )
        );
        let path = std::path::Path::new("p/pyproject.toml");
        let error = parse_pyproject(
            path,
            "[project]\nname = \"x\"\noptional-dependencies = [\"a\"]\n",
            &strings(&["a"]),
            &[],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "p/pyproject.toml:3: `project.optional-dependencies` must be a table, found array"
        );
        let error = parse_pyproject(
            path,
            "[dependency-groups]\ndev = [{include = \"x\"}]\n",
            &[],
            &strings(&["dev"]),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "p/pyproject.toml:2: `dependency-groups.dev[0]` must be a requirement string or `{include-group = \"name\"}`, found table"
        );
    }

    #[test]
    fn invalid_requirements_and_toml_are_located() {
        let path = std::path::Path::new("p/pyproject.toml");
        let error = parse_pyproject(
            path,
            "[project]\nname = \"x\"\ndependencies = [\n  \"ok\",\n  \"bad>=>1\",\n  \"also bad\",\n]\n",
            &[],
            &[],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "p/pyproject.toml:5: invalid requirement `bad>=>1` at `project.dependencies[1]`: no such comparison operator \">=>\", must be one of ~= == != <= >= < > === (at column 4)\n\
             p/pyproject.toml:6: invalid requirement `also bad` at `project.dependencies[2]`: Expected one of `@`, `(`, `<`, `=`, `>`, `~`, `!`, `;`, found `b` (at column 6)"
        );
        let error =
            parse_pyproject(path, "[project]\nname = \"x\nversion = 1\n", &[], &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`p/pyproject.toml` is not valid TOML: line 2, column 10: invalid basic string, expected `\"`"
        );
    }

    #[test]
    fn no_project_table_is_explained() {
        let path = fixtures().join("pyproject/poetry/pyproject.toml");
        let text = fs_err::read_to_string(&path).unwrap();
        let error = parse_pyproject(&path, &text, &[], &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: no `[project]` table (tool-specific tables such as `[tool.poetry]` are not read); select a dependency group with `--group` or pass a requirements or lock file",
                path.display()
            )
        );
        // Groups alone need no `[project]` (PEP 735).
        let set = parse_pyproject(
            std::path::Path::new("pyproject.toml"),
            "[dependency-groups]\ntools = [\"ruff\"]\n",
            &[],
            &strings(&["tools"]),
        )
        .unwrap();
        assert_eq!(shown(&set.requirements), ["ruff"]);
    }
}
