//! `wheelwatch tags`: print a target's compatible tags, best first, one a line: computed for
//! `--target`, probed from the interpreter for `--python`.

use std::io::Write;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow};

use crate::exit::{AssessmentError, ExitStatus};
use crate::printer::Printer;
use crate::python::{FindOptions, PythonRequest};
use crate::settings::TagsSettings;
use crate::tags::Tags;
use crate::target::{Role, Target};

/// Runs `wheelwatch tags`.
pub(crate) fn run(settings: &TagsSettings, printer: Printer) -> Result<ExitStatus> {
    let tags: Vec<(String, String, String)> = match settings {
        TagsSettings::Probed(python) => {
            let request = PythonRequest::from_str(python)
                .map_err(|e| anyhow!("invalid --python `{python}`: {e}"))?;
            let interpreter = crate::python::find(&request, &FindOptions::default())
                .map_err(|e| AssessmentError(anyhow!("{e}")))?;
            tracing::info!("tags probed from {}", interpreter.path.display());
            interpreter.tags
        }
        TagsSettings::Computed(target) => {
            let host = crate::host::host_platform()
                .context("failed to detect this machine's platform; name one with PY@PLATFORM")?;
            let target = Target::parse(target, &host, Role::Extra)?;
            Tags::new(&target.python, &target.platform)
                .iter()
                .cloned()
                .collect()
        }
    };
    let mut out = printer.stdout();
    for (py, abi, plat) in &tags {
        writeln!(out, "{py}-{abi}-{plat}")?;
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}
