//! `wheelwatch fallback`, `promote` and `reset`: reconcile the project's records with its venv,
//! assess first (an assessment that fails aborts with exit 3: an outage is never a reason to
//! rebuild an environment), choose the target and its interpreter, pin exactly what the
//! assessment chose for that target, then hand the build, verification and atomic swap to
//! [`crate::environment`], with what the project asked for (primary and fallbacks as written
//! and as found) to record. Progress goes to stderr, the outcome to stdout.
//!
//! Which target: `fallback` takes `--to`, else the first healthy fallback; `promote` the
//! configured primary, only when it is healthy, and nothing when the venv already runs it;
//! `reset` the primary when it is healthy, else the first healthy fallback, and refuses (exit 1,
//! nothing changed) when none is. A switch that fails exits 1 with the venv unchanged.

use std::io::Write;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};

use super::history::Recorder;
use crate::assess::{self, AssessedTarget, Assessment, Request};
use crate::environment::{
    self, ActiveEnv, EnvError, InstallIndex, Installer, Operation, Pin, Project, Requested,
    RequestedPython, ResetRequest, Role as EnvRole, State, Step, SwitchRequest,
};
use crate::exit::{AssessmentError, ExitStatus};
use crate::health::Status;
use crate::printer::Printer;
use crate::python::PythonRequest;
use crate::report::{ResolvedStatus, TargetReport, Verdict};
use crate::settings::{
    CheckSettings, EnvSettings, GlobalSettings, InstallerChoice, ResetSettings, SwitchSettings,
};
use crate::target::Role;

/// Runs `wheelwatch fallback`.
pub(crate) fn fallback(
    settings: &SwitchSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let mut recorder = Recorder::open(true, "fallback", &settings.check, globals, printer);
    let result = run_switch(
        settings,
        globals,
        printer,
        Operation::Fallback,
        &mut recorder,
    );
    recorder.events(&events_file(globals));
    result
}

/// Runs `wheelwatch promote`.
pub(crate) fn promote(
    settings: &SwitchSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let mut recorder = Recorder::open(true, "promote", &settings.check, globals, printer);
    let result = run_switch(
        settings,
        globals,
        printer,
        Operation::Promote,
        &mut recorder,
    );
    recorder.events(&events_file(globals));
    result
}

/// The project's event log, which the history store imports after every action.
pub(super) fn events_file(globals: &GlobalSettings) -> std::path::PathBuf {
    globals.cwd.join(".wheelwatch").join("events.jsonl")
}

/// What the project asked for, as written and as found here: recorded in the state.
fn requested(settings: &CheckSettings, assessment: &Assessment) -> Requested {
    let one = |written: &str, source: String| {
        let found = assessment
            .targets
            .iter()
            .find(|a| a.requested == written)
            .and_then(|a| match &a.interpreter {
                assess::HostInterpreter::Probed(i) => Some(i),
                _ => None,
            });
        RequestedPython {
            written: written.to_string(),
            source: Some(source),
            path: found.map(|i| i.path.clone()),
            version: found.map(|i| i.version.to_string()),
        }
    };
    Requested {
        primary: Some(match &settings.primary {
            Some(p) => one(&p.value, p.source.to_string()),
            None => one("python3", "default: python3 on PATH".to_string()),
        }),
        fallbacks: settings
            .fallbacks
            .value
            .iter()
            .map(|f| one(f, settings.fallbacks.source.to_string()))
            .collect(),
    }
}

/// Whether the active environment runs the interpreter `written` asks for.
fn runs(active: &ActiveEnv, written: &str) -> bool {
    match PythonRequest::from_str(written) {
        Ok(PythonRequest::Version(v)) => pep440_rs::Version::from_str(&active.python_version)
            .is_ok_and(|version| v.matches(&version, v.free_threaded)),
        Ok(PythonRequest::Path(p)) => crate::util::fs::same_file(&active.python, &p),
        _ => false,
    }
}

/// The Python version `project`'s venv runs, when that is the primary `settings` name: the
/// managed environment recorded as the primary, or a venv of the user's own (never switched)
/// whose `pyvenv.cfg` names a matching version.
pub(super) fn active_primary(
    project: &Project,
    settings: &CheckSettings,
) -> Result<Option<String>> {
    let state = State::load(&project.state_file())?;
    let primary = settings
        .primary
        .as_ref()
        .map_or("python3", |p| p.value.as_str());
    if let Some(active) = &state.active {
        return Ok((active.role == EnvRole::Primary && runs(active, primary))
            .then(|| active.python_version.clone()));
    }
    let Ok(meta) = fs_err::symlink_metadata(&project.venv_path) else {
        return Ok(None);
    };
    if !meta.is_dir() {
        return Ok(None);
    }
    let cfg = fs_err::read_to_string(project.venv_path.join("pyvenv.cfg")).unwrap_or_default();
    let version = cfg.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        matches!(k.trim(), "version" | "version_info")
            .then(|| v.trim().split('.').take(3).collect::<Vec<_>>().join("."))
    });
    Ok(version.filter(|v| {
        matches!(PythonRequest::from_str(primary), Ok(PythonRequest::Version(req))
            if pep440_rs::Version::from_str(v).is_ok_and(|ver| req.matches(&ver, req.free_threaded)))
    }))
}

/// Assesses, recording the run (a failed assessment too).
pub(super) fn assess(request: &Request, recorder: &mut Recorder) -> Result<Assessment> {
    let assessment = match assess::run(request) {
        Ok(a) => a,
        Err(e) => {
            if crate::exit::status_for_error(&e) == ExitStatus::AssessmentFailed {
                recorder.failed(&e);
            }
            return Err(e);
        }
    };
    recorder.assessment(&assessment);
    let report = &assessment.report;
    if report.verdict == Verdict::AssessmentFailed {
        let reason = report.fallback_reason.clone().unwrap_or_default();
        return Err(AssessmentError(anyhow!(
            "the assessment failed ({reason}); nothing was changed: an outage is not a reason to \
             rebuild an environment"
        ))
        .into());
    }
    Ok(assessment)
}

pub(super) fn request(
    settings: &CheckSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Request {
    Request::from_settings(settings, &globals.cwd, printer)
}

pub(super) fn project(
    settings: &CheckSettings,
    env: &EnvSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<Project> {
    let venv = &settings.venv.value;
    let venv = if venv.is_absolute() {
        venv.clone()
    } else {
        globals.cwd.join(venv)
    };
    let mut project = Project::new(&globals.cwd, &venv, env.allow_outside)?;
    project.lock_timeout = env.wait;
    project.printer = printer;
    // The records follow the venv, whatever a killed run left (repairs are logged as events).
    environment::reconcile(&project)?;
    Ok(project)
}

pub(super) fn installer(choice: InstallerChoice) -> Installer {
    match choice {
        InstallerChoice::Pip => Installer::Pip,
        InstallerChoice::Uv => Installer::Uv(None),
    }
}

/// The index the installer uses: exactly the sources the assessment used (flags, the
/// requirement files' own options and pip's configuration, merged once by `check`).
pub(super) fn install_index(index: &crate::index::IndexSettings) -> InstallIndex {
    InstallIndex {
        index_url: (!index.no_index).then(|| index.index_url.clone()),
        extra_index_urls: if index.no_index {
            Vec::new()
        } else {
            index.extra_index_urls.clone()
        },
        find_links: index.find_links.clone(),
        no_index: index.no_index,
    }
}

/// Exactly what the assessment chose for the target: its wheel-only resolution when one
/// exists (every package binary-only), else its default resolution (binary-only where a wheel
/// was found), else, with `--no-deps`, the direct requirements' versions.
pub(crate) fn pins(target: &TargetReport) -> Result<Vec<Pin>> {
    if let Some(p) = target
        .packages
        .iter()
        .find(|p| p.status == Status::NotAssessed)
    {
        bail!(
            "`{}` is a direct reference, which wheelwatch does not assess; install it by hand",
            p.requirement
        );
    }
    if let Some(resolution) = &target.resolution {
        if let Some(error) = &resolution.error {
            bail!(
                "the dependency tree of {} could not be resolved: {error}",
                target.name
            );
        }
        let entries = if resolution.wheel_only_exists {
            &resolution.wheel_only
        } else {
            &resolution.default
        };
        return entries
            .iter()
            .map(|e| {
                Ok(Pin::new(
                    &e.name,
                    &e.version.to_string(),
                    e.status == ResolvedStatus::Wheel,
                )?)
            })
            .collect();
    }
    let mut pins = Vec::new();
    for p in &target.packages {
        match p.status {
            Status::Excluded | Status::NotAssessed => {}
            Status::Wheel | Status::SdistOnly => {
                let version = p
                    .version
                    .as_ref()
                    .ok_or_else(|| anyhow!("{} has no version", p.name))?;
                pins.push(Pin::new(
                    &p.name,
                    &version.to_string(),
                    p.status == Status::Wheel,
                )?);
            }
            Status::NoDistribution | Status::NotFound | Status::Error => {
                bail!(
                    "{} cannot be installed on {}: {}",
                    p.name,
                    target.name,
                    p.reason
                )
            }
        }
    }
    Ok(pins)
}

/// The role the environment records for the target it runs.
fn env_role(assessed: &AssessedTarget) -> EnvRole {
    if assessed.target.role == Role::Primary {
        EnvRole::Primary
    } else {
        EnvRole::Fallback
    }
}

pub(super) fn progress(printer: Printer) -> impl FnMut(Step) {
    move |step: Step| {
        let text = match step {
            Step::Locked => "locked the project; cleaned up leftovers",
            Step::Creating => "creating the environment",
            Step::Installing => "installing the assessed versions",
            Step::Verifying => "importing every installed module",
            Step::Swapping => "swapping the venv",
            Step::Swapped => "swapped",
            Step::Recorded => "recorded state and events",
        };
        if printer.stderr_is_terminal() {
            printer.note(format_args!("\u{2022} {text}"));
        } else {
            printer.note(format_args!("{text}"));
        }
    }
}

fn run_switch(
    switch: &SwitchSettings,
    globals: &GlobalSettings,
    printer: Printer,
    operation: Operation,
    recorder: &mut Recorder,
) -> Result<ExitStatus> {
    let settings = &switch.check;
    let project = project(settings, &switch.env, globals, printer)?;
    if operation == Operation::Promote
        && !switch.rebuild
        && let Some(version) = active_primary(&project, settings)?
    {
        writeln!(
            printer.stdout(),
            "already on the primary: {} runs Python {version}; nothing to do",
            project.venv_path.display(),
        )?;
        return Ok(ExitStatus::Success);
    }
    let assessment = assess(&request(settings, globals, printer), recorder)?;
    switch_on(switch, printer, operation, &project, &assessment)
}

/// `watch`'s automatic actions (`--auto-fallback`, `--auto-promote`): the same path as
/// `fallback` and `promote`, on the watch's own assessment (recorded already, with a verdict);
/// the events go into the history with the watch's run.
pub(crate) fn act_on(
    switch: &SwitchSettings,
    globals: &GlobalSettings,
    printer: Printer,
    operation: Operation,
    assessment: &Assessment,
    recorder: &mut Recorder,
) -> Result<ExitStatus> {
    let result = (|| {
        let project = project(&switch.check, &switch.env, globals, printer)?;
        if operation == Operation::Promote
            && let Some(version) = active_primary(&project, &switch.check)?
        {
            writeln!(
                printer.stdout(),
                "already on the primary: {} runs Python {version}; nothing to do",
                project.venv_path.display(),
            )?;
            return Ok(ExitStatus::Success);
        }
        switch_on(switch, printer, operation, &project, assessment)
    })();
    recorder.events(&events_file(globals));
    result
}

/// Whether the project's venv runs a fallback now, by its records.
pub(crate) fn on_fallback(
    settings: &CheckSettings,
    env: &EnvSettings,
    globals: &GlobalSettings,
) -> Result<bool> {
    let venv = &settings.venv.value;
    let venv = if venv.is_absolute() {
        venv.clone()
    } else {
        globals.cwd.join(venv)
    };
    let project = Project::new(&globals.cwd, &venv, env.allow_outside)?;
    let state = State::load(&project.state_file())?;
    Ok(state
        .active
        .is_some_and(|active| active.role == EnvRole::Fallback))
}

/// Chooses the target for `operation` on `assessment` and switches the venv to it.
fn switch_on(
    switch: &SwitchSettings,
    printer: Printer,
    operation: Operation,
    project: &Project,
    assessment: &Assessment,
) -> Result<ExitStatus> {
    let SwitchSettings {
        check: settings,
        env,
        reason,
        dry_run,
        to,
        rebuild,
    } = switch;
    let report = &assessment.report;

    let (target, assessed) = match operation {
        Operation::Promote => {
            let (primary, assessed) = assessment
                .iter()
                .find(|(t, _)| t.role == Role::Primary)
                .context("no primary target")?;
            if !primary.healthy {
                printer.error(format_args!(
                    "the primary {} is still unhealthy: {}",
                    primary.name,
                    report.fallback_reason.clone().unwrap_or_default()
                ));
                return Ok(ExitStatus::Unhealthy);
            }
            (primary, assessed)
        }
        _ => {
            let chosen = match to {
                // `--to` was added to the fallbacks as written: find it by that text.
                Some(to) => assessment
                    .iter()
                    .find(|(t, a)| t.role == Role::Fallback && a.requested == *to)
                    .context("the --to Python was not assessed")?,
                None => {
                    if report.verdict == Verdict::PrimaryHealthy {
                        writeln!(
                            printer.stdout(),
                            "The primary is healthy; no fallback needed."
                        )?;
                        return Ok(ExitStatus::Success);
                    }
                    match assessment
                        .iter()
                        .find(|(t, _)| t.role == Role::Fallback && t.healthy)
                    {
                        Some(found) => found,
                        None => {
                            printer.error(format_args!(
                                "no healthy fallback: {}",
                                report.fallback_reason.clone().unwrap_or_default()
                            ));
                            return Ok(ExitStatus::Unhealthy);
                        }
                    }
                }
            };
            if !chosen.0.healthy {
                printer.error(format_args!(
                    "{} is not healthy, so it is no fallback",
                    chosen.0.name
                ));
                return Ok(ExitStatus::Unhealthy);
            }
            chosen
        }
    };
    let interpreter = assess::interpreter_for(assessed)?;
    let pins = pins(target)?;
    let reason = reason
        .clone()
        .or_else(|| report.fallback_reason.clone())
        .unwrap_or_else(|| match operation {
            Operation::Promote => format!("the primary {} is healthy again", target.name),
            _ => format!("switch to {}", target.name),
        });
    let request = SwitchRequest {
        operation,
        python: interpreter.path.clone(),
        python_version: interpreter.version.to_string(),
        role: env_role(assessed),
        reason,
        assessment_id: Some(report.timestamp.clone()),
        wheel_status: report.verdict.key().to_string(),
        pins,
        index: install_index(&assessment.index),
        installer: installer(env.installer),
        keep_backups: env.keep_backups,
        requested: Some(requested(settings, assessment)),
    };
    if !*rebuild && let Some(active) = environment::already_active(project, &request)? {
        writeln!(
            printer.stdout(),
            "already on the {}: {} runs Python {} ({}) with the same {} pins; nothing to do \
             (--rebuild builds it anew)",
            role_word(request.role),
            project.venv_path.display(),
            active.python_version,
            target.name,
            request.pins.len()
        )?;
        return Ok(ExitStatus::Success);
    }
    if *dry_run {
        let plan = environment::plan_switch(project, &request)?;
        let mut out = printer.stdout();
        writeln!(
            out,
            "would switch {} to Python {} ({})",
            plan.venv_path.display(),
            request.python_version,
            target.name
        )?;
        writeln!(out, "  interpreter: {}", request.python.display())?;
        writeln!(out, "  new environment: {}", plan.env_dir.display())?;
        if let Some(backup) = &plan.migration_backup {
            writeln!(out, "  the current venv moves to: {}", backup.display())?;
        }
        writeln!(out, "  create: {}", plan.create_command)?;
        writeln!(out, "  install: {}", plan.install_command)?;
        for p in &plan.prune {
            writeln!(out, "  then remove old backup: {}", p.display())?;
        }
        for p in &plan.problems {
            writeln!(out, "  problem: {p}")?;
        }
        return Ok(if plan.problems.is_empty() {
            ExitStatus::Success
        } else {
            ExitStatus::BadInput
        });
    }
    let outcome = match environment::switch(project, &request, &mut progress(printer)) {
        Ok(outcome) => outcome,
        Err(err) => {
            // The environment module guarantees the venv is untouched when a switch fails.
            printer.error(format_args!(
                "failed to switch {} to {}; it is unchanged: {err}",
                project.venv_path.display(),
                target.name
            ));
            return Ok(ExitStatus::Unhealthy);
        }
    };
    let mut out = printer.stdout();
    writeln!(
        out,
        "{} now runs Python {} ({}, {}): {} distributions installed, {} modules imported",
        outcome.venv_path.display(),
        outcome.python_version,
        target.name,
        role_word(request.role),
        outcome.verified.distributions,
        outcome.verified.modules.len()
    )?;
    if let Some(backup) = &outcome.migration_backup {
        writeln!(out, "the previous venv was kept at {}", backup.display())?;
    }
    Ok(ExitStatus::Success)
}

fn role_word(role: EnvRole) -> &'static str {
    match role {
        EnvRole::Primary => "primary",
        EnvRole::Fallback => "fallback",
    }
}

/// Runs `wheelwatch reset`.
pub(crate) fn reset(
    reset: &ResetSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let mut recorder = Recorder::open(true, "reset", &reset.check, globals, printer);
    let result = run_reset(reset, globals, printer, &mut recorder);
    recorder.events(&events_file(globals));
    result
}

fn run_reset(
    reset: &ResetSettings,
    globals: &GlobalSettings,
    printer: Printer,
    recorder: &mut Recorder,
) -> Result<ExitStatus> {
    let ResetSettings {
        check: settings,
        env,
        purge_pip_cache,
        yes,
        reason,
    } = reset;
    let project = project(settings, env, globals, printer)?;
    let assessment = assess(&request(settings, globals, printer), recorder)?;
    let report = &assessment.report;
    // The interpreter the assessment says is healthy: the primary, else the first healthy
    // fallback; none, and nothing is touched.
    let chosen = assessment
        .iter()
        .find(|(t, _)| t.role == Role::Primary && t.healthy)
        .or_else(|| {
            assessment
                .iter()
                .find(|(t, _)| t.role == Role::Fallback && t.healthy)
        });
    let Some((target, assessed)) = chosen else {
        printer.error(format_args!(
            "no healthy interpreter to rebuild on: {}; nothing was changed",
            report
                .fallback_reason
                .clone()
                .unwrap_or_else(|| "no target is healthy".to_string())
        ));
        return Ok(ExitStatus::Unhealthy);
    };
    let why = if target.role == Role::Primary {
        format!("{}: the primary, healthy", target.name)
    } else {
        format!(
            "{}: the first healthy fallback, since the primary is unhealthy",
            target.name
        )
    };
    let interpreter = assess::interpreter_for(assessed)?;
    let request = ResetRequest {
        switch: SwitchRequest {
            operation: Operation::Reset,
            python: interpreter.path.clone(),
            python_version: interpreter.version.to_string(),
            role: env_role(assessed),
            reason: reason
                .clone()
                .unwrap_or_else(|| "emergency reset".to_string()),
            assessment_id: Some(report.timestamp.clone()),
            wheel_status: report.verdict.key().to_string(),
            pins: pins(target)?,
            index: install_index(&assessment.index),
            installer: installer(env.installer),
            keep_backups: env.keep_backups,
            requested: Some(requested(settings, &assessment)),
        },
        purge_pip_cache: *purge_pip_cache,
    };
    if !yes {
        let plan = environment::plan_reset(&project, &request)?;
        let mut out = printer.stdout();
        writeln!(out, "reset would (nothing changes without --yes):")?;
        writeln!(out, "  archive to {}:", plan.archive.display())?;
        if let Some(v) = &plan.archive_venv {
            writeln!(out, "    {}", v.display())?;
        }
        for f in &plan.archive_files {
            writeln!(out, "    {}", f.display())?;
        }
        writeln!(out, "  remove {} cache paths:", plan.remove.len())?;
        for p in &plan.remove {
            writeln!(out, "    {}", p.display())?;
        }
        if let Some(py) = &plan.purge_pip_cache_with {
            writeln!(out, "  purge pip's cache with {}", py.display())?;
        }
        writeln!(
            out,
            "  rebuild {} on Python {} ({})",
            plan.switch.venv_path.display(),
            request.switch.python_version,
            why
        )?;
        writeln!(out, "    install: {}", plan.switch.install_command)?;
        return Ok(ExitStatus::Success);
    }
    let outcome = match environment::reset(&project, &request, &mut progress(printer)) {
        Ok(outcome) => outcome,
        Err(err @ (EnvError::BadVenvPath { .. } | EnvError::OutsideProject { .. })) => {
            return Err(anyhow!(err).context("reset failed"));
        }
        Err(err) => {
            // Nothing is deleted before the new environment is built, verified and swapped in.
            printer.error(format_args!(
                "reset of {} failed; the venv is unchanged: {err}",
                project.venv_path.display()
            ));
            return Ok(ExitStatus::Unhealthy);
        }
    };
    writeln!(
        printer.stdout(),
        "reset {}: archived to {}, removed {} cache paths, rebuilt on Python {} ({})",
        outcome.switch.venv_path.display(),
        outcome.archive.display(),
        outcome.removed.len(),
        outcome.switch.python_version,
        why
    )?;
    if let Some(w) = outcome.purge_warning {
        printer.warning(format_args!("pip cache purge: {w}"));
    }
    Ok(ExitStatus::Success)
}
