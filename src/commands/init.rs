//! `wheelwatch init`: writes the project's interpreters and inputs as configuration, so that
//! every later command (and every command a report recommends) runs bare.
//!
//! Where: the configuration file in force (`--config`, else `wheelwatch.toml` when it exists),
//! else `[tool.wheelwatch]` in `pyproject.toml` when there is one, else a new `wheelwatch.toml`.
//! pyproject.toml is edited in place with `toml_edit` (comments, order and formatting of
//! everything else kept). An existing configuration is replaced only with `--force`.
//!
//! What: `primary` (`--python`; default: the interpreter of the existing venv, as
//! `major.minor[t]`), `fallbacks`, `targets`, `requirements` (`-r`; default `requirements.txt`
//! when it exists) and `venv` (default `.venv`). Every value is checked as `check` would read
//! it before anything is written, and each interpreter is looked up on this machine so the
//! summary says what it resolves to. Then `.venv` and `.wheelwatch/` are added to `.gitignore`
//! (created when missing).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::python::{FindOptions, ProbeOptions, PythonRequest, Source};
use crate::settings::{GlobalSettings, InitSettings};
use crate::target::{Role, Target};
use crate::util::fs::{Durability, write_atomic};

/// Runs `wheelwatch init`.
pub(crate) fn run(
    args: &InitSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let cwd = &globals.cwd;
    let venv_rel = args.venv.clone().unwrap_or_else(|| PathBuf::from(".venv"));
    let venv_abs = cwd.join(&venv_rel);

    // Where to write, and whether a configuration is already there.
    let (file, in_pyproject) = match &globals.config {
        Some(loaded) => (loaded.path.clone(), loaded.in_pyproject),
        None => {
            let pyproject = cwd.join("pyproject.toml");
            if pyproject.is_file() {
                (pyproject, true)
            } else {
                (cwd.join("wheelwatch.toml"), false)
            }
        }
    };
    if globals.config.is_some() && !args.force {
        bail!(
            "{} already configures wheelwatch{}; edit it, or pass --force to replace it",
            shown(&file, cwd),
            if in_pyproject {
                " ([tool.wheelwatch])"
            } else {
                ""
            }
        );
    }

    // The primary: as asked, else the existing venv's interpreter.
    let (primary, primary_note) = match &args.python {
        Some(p) => (p.clone(), None),
        None => {
            let python = venv_abs.join("bin").join("python");
            if !python.exists() {
                bail!(
                    "no --python given and no venv at {} to take the primary from; pass \
                     --python 3.12 (or the version you deploy on)",
                    shown(&venv_abs, cwd)
                );
            }
            let found =
                crate::python::probe_path(&python, Source::Explicit, &ProbeOptions::default())
                    .map_err(|why| anyhow::anyhow!("{why}"))
                    .with_context(|| {
                        format!(
                            "the venv's interpreter {} does not run; pass --python",
                            shown(&python, cwd)
                        )
                    })?;
            let release = found.version.release();
            let minor = format!(
                "{}.{}{}",
                release.first().copied().unwrap_or(3),
                release.get(1).copied().unwrap_or(0),
                if found.free_threaded { "t" } else { "" }
            );
            (
                minor,
                Some(format!(
                    "the interpreter of {} (Python {})",
                    shown(&venv_abs, cwd),
                    found.version_label()
                )),
            )
        }
    };

    // Check every value as `check` will read it.
    let host = crate::host::host_platform()
        .context("failed to detect this machine's platform; name one with --target PY@PLATFORM")?;
    check_python(&primary, "--python", &host, Role::Primary)?;
    for f in &args.fallback {
        check_python(f, "--fallback", &host, Role::Fallback)?;
    }
    for t in &args.target {
        Target::parse(t, &host, Role::Extra).with_context(|| format!("invalid --target `{t}`"))?;
    }
    let requirements: Vec<PathBuf> = if args.requirement.is_empty() {
        ["requirements.txt"]
            .iter()
            .map(PathBuf::from)
            .filter(|p| cwd.join(p).is_file())
            .collect()
    } else {
        for r in &args.requirement {
            if !cwd.join(r).is_file() {
                bail!("the requirement file {} does not exist", r.display());
            }
        }
        args.requirement.clone()
    };
    // The file is read relative to its own directory.
    let base = file.parent().unwrap_or(cwd);
    let rel = |p: &Path| -> String {
        let abs = cwd.join(p);
        abs.strip_prefix(base)
            .map_or_else(|_| abs.display().to_string(), |r| r.display().to_string())
    };

    let mut table = Table::new();
    table.insert("primary", value(primary.as_str()));
    table.insert("fallbacks", value(strings(args.fallback.iter().cloned())));
    if !args.target.is_empty() {
        table.insert("targets", value(strings(args.target.iter().cloned())));
    }
    if !requirements.is_empty() {
        table.insert(
            "requirements",
            value(strings(requirements.iter().map(|p| rel(p)))),
        );
    }
    table.insert("venv", value(rel(&venv_rel)));

    let (text, header) = if in_pyproject {
        let original = fs_err::read_to_string(&file)?;
        let mut doc: DocumentMut = original
            .parse()
            .with_context(|| format!("{} is not valid TOML", file.display()))?;
        let tool = doc
            .entry("tool")
            .or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            })
            .as_table_mut()
            .with_context(|| format!("{}: `tool` is not a table", file.display()))?;
        tool.insert("wheelwatch", Item::Table(table.clone()));
        (doc.to_string(), "[tool.wheelwatch]")
    } else {
        let mut doc = DocumentMut::new();
        for (k, v) in &table {
            doc.insert(k, v.clone());
        }
        (doc.to_string(), "")
    };
    // What we write must read back as exactly what we meant.
    crate::settings::parse_config(&text, in_pyproject)
        .context("internal error: the configuration written would not read back")?;

    let mut out = printer.stdout();
    if args.dry_run {
        writeln!(
            out,
            "would write to {} (nothing changes with --dry-run):",
            shown(&file, cwd)
        )?;
    } else {
        write_file(&file, &text)?;
        writeln!(out, "wrote {}:", shown(&file, cwd))?;
    }
    if !header.is_empty() {
        writeln!(out, "  {header}")?;
    }
    for (k, v) in &table {
        writeln!(out, "  {k} = {}", v.to_string().trim())?;
    }

    // What each interpreter is on this machine.
    let find = FindOptions::default();
    let asked =
        std::iter::once((&primary, "primary")).chain(args.fallback.iter().map(|f| (f, "fallback")));
    for (python, role) in asked {
        let line = if python.contains('@') {
            "a named platform: assessed with computed tags".to_string()
        } else {
            match resolve(python, &find) {
                Some((path, version)) => format!("Python {version} at {}", path.display()),
                None => "not installed here: assessed with computed tags; no environment can be \
                         built on it here"
                    .to_string(),
            }
        };
        writeln!(out, "{role} {python}: {line}")?;
    }
    if let Some(note) = primary_note {
        writeln!(out, "the primary is {note}")?;
    }

    if args.dry_run {
        let entries = crate::environment::gitignore_entries(cwd, &venv_abs);
        writeln!(
            out,
            "would add to .gitignore where missing: {}",
            entries.join(", ")
        )?;
    } else {
        let added = crate::environment::ensure_gitignore(cwd, &venv_abs, true)?;
        if added.is_empty() {
            writeln!(out, ".gitignore already ignores the venv and .wheelwatch/")?;
        } else {
            writeln!(out, "added to .gitignore: {}", added.join(", "))?;
        }
    }
    writeln!(out, "next: wheelwatch check")?;
    Ok(ExitStatus::Success)
}

fn strings(items: impl Iterator<Item = String>) -> Array {
    let mut array = Array::new();
    for item in items {
        array.push(item);
    }
    array
}

/// Checks a primary/fallback value as `check` reads it: an interpreter path or command name,
/// or a version target `PY[@PLATFORM]`.
fn check_python(
    value: &str,
    flag: &str,
    host: &crate::platform::Platform,
    role: Role,
) -> Result<()> {
    match PythonRequest::from_str(value) {
        Ok(PythonRequest::Path(path)) => {
            if !path.exists() {
                bail!("{flag} {value}: no interpreter at that path");
            }
            Ok(())
        }
        Ok(PythonRequest::Name(_)) => Ok(()),
        _ => Target::parse(value, host, role)
            .map(|_| ())
            .with_context(|| format!("invalid {flag} `{value}`")),
    }
}

/// The interpreter `value` resolves to here: its path and version.
fn resolve(value: &str, find: &FindOptions) -> Option<(PathBuf, String)> {
    let request = PythonRequest::from_str(value).ok()?;
    let found = crate::python::find(&request, find).ok()?;
    Some((found.path.clone(), found.version_label()))
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, text.as_bytes(), Durability::Synced)
        .with_context(|| format!("failed to write {}", path.display()))
}

fn shown(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}
