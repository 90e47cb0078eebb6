//! `wheelwatch fallback`, `promote` and `reset`: assess first (an assessment that fails aborts
//! with exit 3: an outage is never a reason to rebuild an environment), choose the target and
//! its interpreter, pin exactly what the assessment chose for that target, then hand the build,
//! verification and atomic swap to [`crate::environment`]. Progress goes to stderr, the outcome
//! to stdout.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result, anyhow, bail};

use crate::assess::{self, AssessedTarget, Assessment, Request};
use crate::cli::{EnvArgs, InstallerChoice, ResetArgs, SwitchArgs};
use crate::environment::{
    self, InstallIndex, Installer, Operation, Pin, Project, ResetRequest, Role as EnvRole, State,
    Step, SwitchRequest,
};
use crate::exit::{AssessmentError, ExitStatus};
use crate::health::Status;
use crate::printer::Printer;
use crate::report::{ResolvedStatus, TargetReport, Verdict};
use crate::settings::{CheckSettings, GlobalSettings, Sourced, ValueSource};
use crate::target::Role;

/// Runs `wheelwatch fallback`.
pub fn fallback(
    args: SwitchArgs,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    run_switch(args, globals, printer, Operation::Fallback)
}

/// Runs `wheelwatch promote`.
pub fn promote(args: SwitchArgs, globals: &GlobalSettings, printer: Printer) -> Result<ExitStatus> {
    run_switch(args, globals, printer, Operation::Promote)
}

fn assess(request: &Request) -> Result<Assessment> {
    let assessment = assess::run(request)?;
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

fn request(settings: &CheckSettings, globals: &GlobalSettings, printer: Printer) -> Request {
    Request::from_settings(settings, &globals.cwd, printer)
}

fn project(env: &EnvArgs, settings: &CheckSettings, globals: &GlobalSettings) -> Result<Project> {
    let venv = env
        .venv
        .clone()
        .unwrap_or_else(|| settings.venv.value.clone());
    let venv = if venv.is_absolute() {
        venv
    } else {
        globals.cwd.join(venv)
    };
    Ok(Project::new(&globals.cwd, &venv, env.allow_outside)?)
}

fn installer(choice: InstallerChoice) -> Installer {
    match choice {
        InstallerChoice::Pip => Installer::Pip,
        InstallerChoice::Uv => Installer::Uv(None),
    }
}

/// The index the installer uses: exactly the sources the assessment used (flags, the
/// requirement files' own options and pip's configuration, merged once by `check`).
fn install_index(index: &crate::index::IndexSettings) -> InstallIndex {
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
pub fn pins(target: &TargetReport) -> Result<Vec<Pin>> {
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

fn progress(globals: &GlobalSettings) -> impl FnMut(Step) {
    let show = !globals.quiet;
    let tty = std::io::stderr().is_terminal();
    move |step: Step| {
        if !show {
            return;
        }
        let text = match step {
            Step::Locked => "locked the project; cleaned up leftovers",
            Step::Creating => "creating the environment",
            Step::Installing => "installing the assessed versions",
            Step::Verifying => "importing every installed module",
            Step::Swapping => "swapping the venv",
            Step::Swapped => "swapped",
            Step::Recorded => "recorded state and events",
        };
        let mut err = std::io::stderr().lock();
        if tty {
            let _ = writeln!(err, "\u{2022} {text}");
        } else {
            let _ = writeln!(err, "{text}");
        }
    }
}

fn run_switch(
    args: SwitchArgs,
    globals: &GlobalSettings,
    printer: Printer,
    operation: Operation,
) -> Result<ExitStatus> {
    let SwitchArgs {
        sources,
        mut targets,
        index,
        env,
        threshold,
        pre,
        reason,
        to,
    } = args;
    if let Some(to) = &to {
        if operation == Operation::Promote {
            bail!("--to is for `fallback`; `promote` always returns to the primary");
        }
        // Make sure the requested Python is assessed, as a fallback.
        if !targets.fallback.iter().any(|f| f == to) {
            targets.fallback.insert(0, to.clone());
        }
    }
    let settings = CheckSettings::for_assessment(sources, targets, index, threshold, pre, globals)?;
    let project = project(&env, &settings, globals)?;
    let assessment = assess(&request(&settings, globals, printer))?;
    let report = &assessment.report;

    let (target, assessed) = match operation {
        Operation::Promote => {
            let (primary, assessed) = assessment
                .iter()
                .find(|(t, _)| t.role == Role::Primary)
                .context("no primary target")?;
            if !primary.healthy {
                eprintln!(
                    "error: the primary {} is still unhealthy: {}",
                    primary.name,
                    report.fallback_reason.clone().unwrap_or_default()
                );
                return Ok(ExitStatus::Unhealthy);
            }
            (primary, assessed)
        }
        _ => {
            let chosen = match &to {
                // `--to` was added to the fallbacks as written: find it by that text.
                Some(to) => assessment
                    .iter()
                    .find(|(t, a)| t.role == Role::Fallback && a.requested == *to)
                    .context("the --to Python was not assessed")?,
                None => {
                    if report.verdict == Verdict::PrimaryHealthy {
                        println!("The primary is healthy; no fallback needed.");
                        return Ok(ExitStatus::Success);
                    }
                    match assessment
                        .iter()
                        .find(|(t, _)| t.role == Role::Fallback && t.healthy)
                    {
                        Some(found) => found,
                        None => {
                            eprintln!(
                                "error: no healthy fallback: {}",
                                report.fallback_reason.clone().unwrap_or_default()
                            );
                            return Ok(ExitStatus::Unhealthy);
                        }
                    }
                }
            };
            if !chosen.0.healthy {
                eprintln!(
                    "error: {} is not healthy, so it is no fallback",
                    chosen.0.name
                );
                return Ok(ExitStatus::Unhealthy);
            }
            chosen
        }
    };
    let interpreter = assess::interpreter_for(assessed)?;
    let pins = pins(target)?;
    let reason = reason
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
    };
    if env.dry_run {
        let plan = environment::plan_switch(&project, &request)?;
        let mut out = std::io::stdout().lock();
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
    let outcome = match environment::switch(&project, &request, &mut progress(globals)) {
        Ok(outcome) => outcome,
        Err(err) => {
            // The environment module guarantees the venv is untouched when a switch fails.
            eprintln!(
                "error: failed to switch {} to {}; it is unchanged: {err}",
                project.venv_path.display(),
                target.name
            );
            return Ok(ExitStatus::Unhealthy);
        }
    };
    println!(
        "{} now runs Python {} ({}, {}): {} distributions installed, {} modules imported",
        outcome.venv_path.display(),
        outcome.python_version,
        target.name,
        match request.role {
            EnvRole::Primary => "primary",
            EnvRole::Fallback => "fallback",
        },
        outcome.verified.distributions,
        outcome.verified.modules.len()
    );
    if let Some(backup) = &outcome.migration_backup {
        println!("the previous venv was kept at {}", backup.display());
    }
    Ok(ExitStatus::Success)
}

/// Runs `wheelwatch reset`.
pub fn reset(args: ResetArgs, globals: &GlobalSettings, printer: Printer) -> Result<ExitStatus> {
    let ResetArgs {
        sources,
        targets,
        index,
        env,
        purge_pip_cache,
        yes,
        reason,
    } = args;
    let explicit_python = targets.python.is_some();
    let mut settings =
        CheckSettings::for_assessment(sources, targets, index, None, false, globals)?;
    let project = project(&env, &settings, globals)?;
    // Rebuild on the active interpreter unless --python names another.
    let state = State::load(&project.state_file()).unwrap_or_default();
    if let (false, Some(active)) = (explicit_python, &state.active) {
        let minor: Vec<&str> = active.python_version.splitn(3, '.').take(2).collect();
        settings.primary = Some(Sourced {
            value: minor.join("."),
            source: ValueSource::File(project.state_file().display().to_string()),
        });
    }
    let assessment = assess(&request(&settings, globals, printer))?;
    let report = &assessment.report;
    let (target, assessed) = assessment
        .iter()
        .find(|(t, _)| t.role == Role::Primary)
        .context("no primary target")?;
    let interpreter = assess::interpreter_for(assessed)?;
    let request = ResetRequest {
        switch: SwitchRequest {
            operation: Operation::Reset,
            python: interpreter.path.clone(),
            python_version: interpreter.version.to_string(),
            role: state.active.as_ref().map_or(EnvRole::Primary, |a| a.role),
            reason: reason.unwrap_or_else(|| "emergency reset".to_string()),
            assessment_id: Some(report.timestamp.clone()),
            wheel_status: report.verdict.key().to_string(),
            pins: pins(target)?,
            index: install_index(&assessment.index),
            installer: installer(env.installer),
            keep_backups: env.keep_backups,
        },
        purge_pip_cache,
    };
    if !yes || env.dry_run {
        let plan = environment::plan_reset(&project, &request)?;
        let mut out = std::io::stdout().lock();
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
            "  rebuild {} on Python {}",
            plan.switch.venv_path.display(),
            request.switch.python_version
        )?;
        writeln!(out, "    install: {}", plan.switch.install_command)?;
        return Ok(ExitStatus::Success);
    }
    let outcome =
        environment::reset(&project, &request, &mut progress(globals)).context("reset failed")?;
    println!(
        "reset {}: archived to {}, removed {} cache paths, rebuilt on Python {}",
        outcome.switch.venv_path.display(),
        outcome.archive.display(),
        outcome.removed.len(),
        outcome.switch.python_version
    );
    if let Some(w) = outcome.purge_warning {
        eprintln!("warning: pip cache purge: {w}");
    }
    Ok(ExitStatus::Success)
}
