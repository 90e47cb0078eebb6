//! `wheelwatch bench`: runs benchmark commands in the primary's and the fallback's
//! environments and compares them.
//!
//! One environment is the active venv (never changed); the other is the other role's
//! environment, exactly as `fallback` (the first healthy fallback, or `--to`) or `promote` (the
//! primary, when healthy) would build it: assessed first, the same pins, built or reused under
//! `.wheelwatch/envs/` by [`environment::standby`]. The active venv's role is the one its
//! record names; a venv of the user's own is the primary when it runs the configured primary's
//! version, else a fallback. The project lock is held from the build to the last run, so no
//! switch's recovery takes the benchmark's processes for orphans.
//!
//! What runs: the import of every top-level module of the dependencies (the distributions the
//! pins name, found in both environments; see [`environment::distribution_modules`]), unless
//! `--no-imports`, then the configured commands. Measuring and comparing is
//! [`crate::bench`]'s. The run, its comparisons and a `bench` event go into the history.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::history::Recorder;
use super::switch;
use crate::assess::{self};
use crate::bench::{
    self, BenchCommand, BenchReport, Environment, Plan, Progress, Role, measure::Runner,
    stats::Bootstrap,
};
use crate::environment::{
    self, Operation, Project, Role as EnvRole, State, SwitchRequest, VenvKind,
};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{BenchSettings, Format, GlobalSettings};
use crate::target::Role as TargetRole;

/// Runs `wheelwatch bench`.
pub(crate) fn run(
    settings: &BenchSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let mut recorder = Recorder::open(true, "bench", &settings.check, globals, printer);
    let result = run_bench(settings, globals, printer, &mut recorder);
    recorder.events(&switch::events_file(globals));
    result
}

/// The active venv's role: its record's, else primary when it runs the configured primary.
fn active_role(project: &Project, settings: &BenchSettings, printer: Printer) -> Result<EnvRole> {
    let state = State::load(&project.state_file())?;
    if let (Some(active), VenvKind::Managed { .. }) =
        (&state.active, environment::inspect(project)?)
    {
        return Ok(active.role);
    }
    let primary = settings
        .check
        .primary
        .as_ref()
        .map_or("python3", |p| p.value.as_str());
    Ok(
        if let Some(version) = switch::active_primary(project, &settings.check)? {
            printer.note(format_args!(
                "{} is not managed by wheelwatch and runs Python {version}, the primary ({primary}): \
                 it stands for the primary",
                project.venv_path.display()
            ));
            EnvRole::Primary
        } else {
            printer.note(format_args!(
                "{} is not managed by wheelwatch and does not run the primary ({primary}): it \
                 stands for the fallback",
                project.venv_path.display()
            ));
            EnvRole::Fallback
        },
    )
}

fn normalize(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The top-level modules of the pinned distributions installed in an environment.
fn pinned_modules(
    project: &Project,
    python: &std::path::Path,
    pinned: &BTreeSet<String>,
) -> Result<BTreeSet<String>> {
    let probe = environment::probe(project, python)?;
    let (_, owners) = environment::distribution_modules(&[probe.purelib, probe.platlib])?;
    Ok(owners
        .into_iter()
        .filter(|(_, dist)| pinned.contains(&normalize(dist)))
        .map(|(module, _)| module)
        .collect())
}

fn run_bench(
    settings: &BenchSettings,
    globals: &GlobalSettings,
    printer: Printer,
    recorder: &mut Recorder,
) -> Result<ExitStatus> {
    let project = switch::project(&settings.check, &settings.env, globals, printer)?;
    match environment::inspect(&project)? {
        VenvKind::Missing | VenvKind::NotADirectory => bail!(
            "no virtual environment at {}: bench compares it with the other role's environment \
             (--venv PATH names another)",
            project.venv_path.display()
        ),
        _ => {}
    }
    let active_role = active_role(&project, settings, printer)?;
    let assessment = switch::assess(
        &switch::request(&settings.check, globals, printer),
        recorder,
    )?;
    let (other_role, wanted) = match active_role {
        EnvRole::Primary => (EnvRole::Fallback, TargetRole::Fallback),
        EnvRole::Fallback => (EnvRole::Primary, TargetRole::Primary),
    };
    if let (Some(to), EnvRole::Primary) = (&settings.to, other_role) {
        printer.warning(format_args!(
            "--to {to} is ignored: {} runs the fallback, so the comparison is with the primary",
            project.venv_path.display()
        ));
    }
    let chosen = match (&settings.to, other_role) {
        (Some(to), EnvRole::Fallback) => assessment
            .iter()
            .find(|(t, a)| t.role == TargetRole::Fallback && a.requested == *to)
            .context("the --to Python was not assessed")?,
        _ => {
            let Some(found) = assessment
                .iter()
                .find(|(t, _)| t.role == wanted && (t.healthy || wanted == TargetRole::Primary))
            else {
                let why = if assessment
                    .iter()
                    .any(|(t, _)| t.role == TargetRole::Fallback)
                {
                    "no configured fallback is healthy".to_string()
                } else {
                    "no fallback is configured (--fallback PY, or `fallbacks` in the \
                     configuration)"
                        .to_string()
                };
                printer.error(format_args!(
                    "nothing to compare {} with: {why}",
                    project.venv_path.display(),
                ));
                return Ok(ExitStatus::Unhealthy);
            };
            found
        }
    };
    let (target, assessed) = chosen;
    if !target.healthy {
        printer.error(format_args!(
            "{} is not healthy, so {} would not build it: nothing to compare with",
            target.name,
            if other_role == EnvRole::Primary {
                "promote"
            } else {
                "fallback"
            }
        ));
        return Ok(ExitStatus::Unhealthy);
    }
    let interpreter = assess::interpreter_for(assessed)?;
    let pins = switch::pins(target)?;
    let pinned: BTreeSet<String> = pins.iter().map(|p| normalize(&p.name)).collect();
    let request = SwitchRequest {
        operation: match other_role {
            EnvRole::Primary => Operation::Promote,
            EnvRole::Fallback => Operation::Fallback,
        },
        python: interpreter.path.clone(),
        python_version: interpreter.version.to_string(),
        role: other_role,
        reason: format!("bench: {} beside the active venv", target.name),
        assessment_id: Some(assessment.report.timestamp.clone()),
        wheel_status: assessment.report.verdict.key().to_string(),
        pins,
        index: switch::install_index(&assessment.index),
        installer: switch::installer(settings.env.installer),
        keep_backups: settings.env.keep_backups,
        requested: None,
    };

    let lock = project.lock()?;
    let standby =
        match environment::standby(&project, &lock, &request, &mut switch::progress(printer)) {
            Ok(s) => s,
            Err(e) => {
                printer.error(format_args!(
                    "could not build the {} environment ({}); {} is unchanged: {e}",
                    role(other_role).key(),
                    target.name,
                    project.venv_path.display()
                ));
                return Ok(ExitStatus::Unhealthy);
            }
        };
    printer.note(format_args!(
        "{} environment: {} (Python {}, {})",
        role(other_role).key(),
        standby.env_dir.display(),
        standby.python_version,
        if standby.reused {
            "reused"
        } else {
            "built now"
        }
    ));
    let active_python = project.venv_path.join("bin").join("python");
    let active_probe = environment::probe(&project, &active_python)?;

    let mut commands = Vec::new();
    if settings.imports {
        let a = pinned_modules(&project, &active_python, &pinned)?;
        let b = pinned_modules(&project, &standby.python, &pinned)?;
        let both: Vec<String> = a.intersection(&b).cloned().collect();
        let only: Vec<&String> = a.symmetric_difference(&b).collect();
        if !only.is_empty() {
            printer.note(format_args!(
                "not imported, as only one environment has them: {}",
                only.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if both.is_empty() {
            printer.note(format_args!(
                "no module of the dependencies is installed in both environments: the import \
                 benchmark is skipped"
            ));
        } else {
            commands.push(BenchCommand::imports(&both));
        }
    }
    commands.extend(
        settings
            .commands
            .value
            .iter()
            .cloned()
            .map(BenchCommand::configured),
    );
    if commands.is_empty() {
        bail!(
            "nothing to benchmark: name a command with --command ARGV or `commands` in [bench] \
             of the configuration"
        );
    }

    let active = Environment {
        role: role(active_role),
        python: active_probe.version.clone(),
        dir: project.venv_path.clone(),
        active: true,
        reused: None,
    };
    let other = Environment {
        role: role(other_role),
        python: standby.python_version.clone(),
        dir: standby.env_dir.clone(),
        active: false,
        reused: Some(standby.reused),
    };
    let runner = |python: PathBuf, env_dir: PathBuf| Runner {
        project: &project,
        python,
        env_dir,
        cwd: project.root.clone(),
        timeout: settings.timeout.value,
    };
    let active_runner = runner(active_python, project.venv_path.clone());
    let other_runner = runner(standby.python.clone(), standby.env_dir.clone());
    let (envs, runners) = if active_role == EnvRole::Primary {
        ([&active, &other], [&active_runner, &other_runner])
    } else {
        ([&other, &active], [&other_runner, &active_runner])
    };
    let plan = Plan {
        commands,
        runs: settings.runs.value,
        warmup: settings.warmup.value,
        timeout: settings.timeout.value,
        bootstrap: Bootstrap {
            seed: settings.seed.unwrap_or(bench::stats::DEFAULT_SEED),
            ..Bootstrap::default()
        },
    };
    let scratch = tempfile::Builder::new()
        .prefix("wheelwatch-bench-")
        .tempdir()
        .context("could not create a scratch directory")?;
    let report = bench::run(runners, envs, &plan, scratch.path(), &mut |p| {
        show_progress(printer, &p);
    });
    drop(lock);

    write_report(&report, settings, printer)?;
    recorder.bench(&report);
    Ok(if report.complete() {
        ExitStatus::Success
    } else {
        ExitStatus::Unhealthy
    })
}

fn role(r: EnvRole) -> Role {
    match r {
        EnvRole::Primary => Role::Primary,
        EnvRole::Fallback => Role::Fallback,
    }
}

fn show_progress(printer: Printer, progress: &Progress<'_>) {
    match progress {
        Progress::Command(c) => {
            let name = c.name.replace('\n', " ");
            printer.note(format_args!("benchmarking {name}"));
        }
        Progress::Run { role, run, counted } => {
            let kind = if *counted { "run" } else { "uncounted run" };
            match (run.status, run.wall_s) {
                (bench::measure::RunStatus::Ok, Some(wall)) => {
                    tracing::debug!("{} {kind}: {:.1} ms", role.key(), wall * 1000.0);
                }
                (status, _) => printer.note(format_args!(
                    "{} {kind}: {}{}",
                    role.key(),
                    status.key(),
                    run.detail
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )),
            }
        }
    }
}

fn write_report(report: &BenchReport, settings: &BenchSettings, printer: Printer) -> Result<()> {
    let mut buf = Vec::new();
    match settings.format {
        Format::Table => bench::render::table(report, &mut buf)?,
        Format::Json => bench::render::json(report, &mut buf)?,
        Format::Markdown => bench::render::markdown(report, &mut buf)?,
    }
    match &settings.output {
        Some(path) => {
            crate::util::fs::write_atomic(path, &buf, crate::util::fs::Durability::Synced)
                .with_context(|| format!("could not write {}", path.display()))?;
        }
        None => {
            let mut out = printer.stdout();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(())
}
