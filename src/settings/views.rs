//! The typed settings of `matrix` and `plan`: the assessment settings `check` would resolve
//! (sources, index, configuration), plus the grid's Pythons and platforms (defaults: the
//! supported CPythons on `today`, the configured targets' platforms) or the plan's target,
//! each checked here so a bad value is exit 2 before anything is fetched.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::{CheckSettings, GlobalSettings};
use crate::cli::{MatrixArgs, MatrixFormat, PlanArgs, TargetArgs};
use crate::platform::Platform;
use crate::target::PythonSpec;

/// `matrix` output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GridFormat {
    /// A terminal table.
    Table,
    /// Markdown.
    Markdown,
    /// JSON.
    Json,
    /// CSV.
    Csv,
    /// HTML.
    Html,
}

/// Settings of `wheelwatch matrix`.
#[derive(Clone, Debug)]
pub(crate) struct MatrixSettings {
    /// Sources, index and configuration, as `check` resolves them.
    pub(crate) check: CheckSettings,
    /// Pythons in column order (`3.12`, `3.14t`).
    pub(crate) pythons: Vec<String>,
    /// Platforms in column order, as named (`linux`, `macosx_11_0_arm64`); empty: this
    /// machine's.
    pub(crate) platforms: Vec<String>,
    /// Rows for the whole tree.
    pub(crate) tree: bool,
    /// Output format.
    pub(crate) format: GridFormat,
    /// Output file.
    pub(crate) output: Option<PathBuf>,
}

fn check_pythons(pythons: &[String]) -> Result<()> {
    for p in pythons {
        if let Err(e) = p.parse::<PythonSpec>() {
            bail!("--pythons: {e}");
        }
    }
    Ok(())
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in list {
        let item = item.trim().to_string();
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

impl MatrixSettings {
    /// Resolves the flags; `today` decides the default Pythons.
    pub(crate) fn resolve(
        args: MatrixArgs,
        globals: &GlobalSettings,
        today: jiff::civil::Date,
    ) -> Result<Self> {
        let MatrixArgs {
            sources,
            index,
            tree,
            pythons,
            platforms,
            pre,
            format,
            output,
        } = args;
        let check = CheckSettings::for_assessment(
            sources,
            TargetArgs::default(),
            index,
            None,
            pre,
            globals,
        )?;
        let pythons = if pythons.is_empty() {
            crate::matrix::default_pythons(today)
        } else {
            dedup(pythons)
        };
        check_pythons(&pythons)?;
        let platforms = if platforms.is_empty() {
            let configured = check
                .primary
                .iter()
                .map(|p| p.value.clone())
                .chain(check.fallbacks.value.iter().cloned())
                .chain(check.targets.value.iter().cloned())
                .filter_map(|t| t.split_once('@').map(|(_, p)| p.to_string()))
                .collect();
            dedup(configured)
        } else {
            dedup(platforms)
        };
        for p in &platforms {
            if let Err(e) = p.parse::<Platform>() {
                bail!("--platforms: {e}");
            }
        }
        Ok(Self {
            check,
            pythons,
            platforms,
            tree,
            format: match format {
                MatrixFormat::Table => GridFormat::Table,
                MatrixFormat::Markdown => GridFormat::Markdown,
                MatrixFormat::Json => GridFormat::Json,
                MatrixFormat::Csv => GridFormat::Csv,
                MatrixFormat::Html => GridFormat::Html,
            },
            output,
        })
    }

    /// The targets to assess, Python-major, as `PY@PLATFORM` (or `PY` on this machine).
    pub(crate) fn targets(&self) -> Vec<String> {
        if self.platforms.is_empty() {
            return self.pythons.clone();
        }
        self.pythons
            .iter()
            .flat_map(|py| self.platforms.iter().map(move |pl| format!("{py}@{pl}")))
            .collect()
    }
}

/// Settings of `wheelwatch plan`.
#[derive(Clone, Debug)]
pub(crate) struct PlanSettings {
    /// Sources, index and configuration, as `check` resolves them.
    pub(crate) check: CheckSettings,
    /// The target to make healthy, as named.
    pub(crate) to: String,
    /// Where to write the constraints file.
    pub(crate) constraints_out: Option<PathBuf>,
    /// Output format.
    pub(crate) format: super::Format,
}

impl PlanSettings {
    /// Resolves the flags.
    pub(crate) fn resolve(args: PlanArgs, globals: &GlobalSettings) -> Result<Self> {
        let PlanArgs {
            sources,
            index,
            to,
            constraints_out,
            pre,
            format,
        } = args;
        let check = CheckSettings::for_assessment(
            sources,
            TargetArgs::default(),
            index,
            None,
            pre,
            globals,
        )?;
        let python = to.split_once('@').map_or(to.as_str(), |(py, _)| py);
        if let Err(e) = python.parse::<PythonSpec>() {
            bail!("--to: {e}");
        }
        if let Some((_, platform)) = to.split_once('@')
            && let Err(e) = platform.parse::<Platform>()
        {
            bail!("--to: {e}");
        }
        Ok(Self {
            check,
            to,
            constraints_out,
            format: format.into(),
        })
    }
}
