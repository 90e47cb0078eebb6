//! Command glue: the dispatch in [`run`] resolves each command's clap arguments into typed
//! settings ([`crate::settings`]); each submodule turns those settings into calls on the core and hands the
//! result to a renderer, writing through one [`Printer`]. No clap types here beyond the dispatch.

use anyhow::Result;

use crate::cli::{Cli, Command, PythonCommand};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{
    BenchSettings, CheckSettings, ConfigSettings, DoctorSettings, GlobalSettings, HistorySettings,
    InitSettings, ProcessEnv, PythonListSettings, ResetSettings, SwitchSettings, TagsSettings,
};

pub(crate) mod bench;
pub(crate) mod check;
pub(crate) mod config;
pub(crate) mod doctor;
pub(crate) mod history;
pub(crate) mod init;
pub(crate) mod python;
pub(crate) mod rerun;
pub(crate) mod switch;
pub(crate) mod tags;

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
        Command::History(args) => history::run(
            &HistorySettings::resolve(args, &globals, &ProcessEnv)?,
            &globals,
            printer,
        ),
        Command::Bench(args) => {
            bench::run(&BenchSettings::resolve(*args, &globals)?, &globals, printer)
        }
    }
}
