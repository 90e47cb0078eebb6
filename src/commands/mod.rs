//! Command glue: the dispatch in [`run`] resolves each command's clap arguments into typed
//! settings ([`crate::settings`]); each submodule turns those settings into calls on the core and hands the
//! result to a renderer, writing through one [`Printer`]. No clap types here beyond the dispatch.

use anyhow::Result;

use crate::cli::{CiCommand, Cli, Command, PythonCommand, ReportCommand};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{
    BenchSettings, CheckSettings, ConfigSettings, DashboardSettings, DoctorSettings,
    ExplainSettings, GlobalSettings, HistorySettings, InitSettings, ProcessEnv, PythonListSettings,
    ResetSettings, SwitchSettings, TagsSettings, UpstreamSettings,
};
use crate::settings::{MatrixSettings, PlanSettings};

pub(crate) mod bench;
pub(crate) mod check;
pub(crate) mod ci;
pub(crate) mod config;
pub(crate) mod dashboard;
pub(crate) mod doctor;
pub(crate) mod explain;
pub(crate) mod history;
pub(crate) mod init;
pub(crate) mod matrix;
pub(crate) mod plan;
pub(crate) mod python;
pub(crate) mod rerun;
pub(crate) mod switch;
pub(crate) mod tags;
pub(crate) mod upstream;
pub(crate) mod watch;

/// Runs a parsed command line.
pub(crate) fn run(cli: Cli) -> Result<ExitStatus> {
    let globals = GlobalSettings::resolve(&cli.global)?;
    let printer = Printer::from_globals(&globals);
    match cli.command {
        Command::Check(args) => check::run(
            &CheckSettings::resolve(*args, &globals, &ProcessEnv)?,
            &globals,
            printer,
        ),
        Command::Tags(args) => tags::run(&TagsSettings::resolve(args)?, printer),
        Command::Config(args) => config::run(
            &ConfigSettings::resolve(&args, &globals)?,
            &globals,
            printer,
        ),
        Command::Doctor(args) => doctor::run(DoctorSettings::resolve(args, &globals)?, printer),
        Command::Python(args) => match args.command {
            PythonCommand::List(list) => python::list(PythonListSettings::resolve(&list), printer),
        },
        Command::Fallback(args) => switch::fallback(
            &SwitchSettings::fallback(*args, &globals)?,
            &globals,
            printer,
        ),
        Command::Promote(args) => switch::promote(
            &SwitchSettings::promote(*args, &globals)?,
            &globals,
            printer,
        ),
        Command::Reset(args) => {
            switch::reset(&ResetSettings::resolve(*args, &globals)?, &globals, printer)
        }
        Command::Init(args) => init::run(&InitSettings::resolve(args), &globals, printer),
        Command::Ci(args) => match args.command {
            CiCommand::Init(init) => ci::init(
                &crate::settings::CiInitSettings::resolve(&init, &globals, &ProcessEnv)?,
                &globals.cwd,
                printer,
            ),
        },
        Command::Completions(args) => {
            ci::print(&crate::cli::completion_script(args.shell), printer)
        }
        Command::Man => ci::print(&crate::cli::man_page()?, printer),
        Command::History(args) => history::run(
            &HistorySettings::resolve(args, &globals, &ProcessEnv)?,
            &globals,
            printer,
        ),
        Command::Explain(args) => explain::run(
            ExplainSettings::resolve(*args, &globals, &ProcessEnv)?,
            &globals,
            printer,
        ),
        Command::Report(args) => match args.command {
            ReportCommand::Upstream(upstream) => upstream::run(
                &UpstreamSettings::resolve(*upstream, &globals, &ProcessEnv)?,
                &globals,
                printer,
            ),
        },
        Command::Bench(args) => {
            bench::run(&BenchSettings::resolve(*args, &globals)?, &globals, printer)
        }
        Command::Dashboard(args) => dashboard::run(
            &DashboardSettings::resolve(args, &globals, &ProcessEnv)?,
            &globals,
            printer,
        ),
        Command::Watch(args) => watch::run(
            &crate::settings::WatchSettings::resolve(*args, &globals, &ProcessEnv)?,
            &globals,
            printer,
        ),
        Command::Metrics(args) => watch::metrics(
            &crate::settings::MetricsSettings::resolve(&args, &globals, &ProcessEnv)?,
            &globals,
            printer,
        ),
        Command::Matrix(args) => matrix::run(
            &MatrixSettings::resolve(*args, &globals, jiff::Zoned::now().date())?,
            &globals,
            printer,
        ),
        Command::Plan(args) => {
            plan::run(&PlanSettings::resolve(*args, &globals)?, &globals, printer)
        }
    }
}
