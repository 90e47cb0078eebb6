//! `pyproject.toml` dependencies: `[project] dependencies`, selected
//! `[project.optional-dependencies]` extras (with self-references such as `myproj[a,b]` expanded
//! to the project's own extras) and PEP 735 `[dependency-groups]` (with `{include-group = ...}`).
//!
//! The TOML is read with `toml`'s spanned document ([`toml::de::DeTable`]) rather than serde
//! structs so that every error can name the key path and line, and every requirement gets an
//! origin line. Build-system requirements and tool tables (`[tool.*]`) are not read.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;

use pep508_rs::{ExtraName, PackageName, Requirement};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    DeclaredRequirement, DeclaredRequiresPython, Origin, RequirementSet, RequirementsError,
    line_of, pep508_message,
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
        content,
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
    content: &'a str,
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
            line: line_of(self.content, value.span().start),
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
                    line: line_of(self.content, item.span().start),
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
                        line: line_of(self.content, value.span().start),
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
        for index in requested {
            entries.extend(self.string_array(optional[index].2, &optional[index].1)?);
        }

        for group in groups {
            match self.group(group) {
                Ok(group_entries) => entries.extend(group_entries),
                Err(error) => errors.push(error),
            }
        }

        // Parse, expanding self-references to the project's own extras.
        let mut queue: Vec<(Entry, pep508_rs::MarkerTree)> = entries
            .into_iter()
            .map(|e| (e, pep508_rs::MarkerTree::TRUE))
            .collect();
        queue.reverse();
        let mut expanded_extras: HashSet<(ExtraName, pep508_rs::MarkerTree)> = HashSet::new();
        while let Some((entry, outer_marker)) = queue.pop() {
            let mut requirement = match Requirement::from_str(&entry.text) {
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
                    if !expanded_extras.insert((extra.clone(), requirement.marker.clone())) {
                        continue;
                    }
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
                    line: line_of(self.content, item.span().start),
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
