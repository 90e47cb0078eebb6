//! Command glue: each submodule turns resolved settings into calls on the core and hands the
//! result to a renderer, writing through one [`Printer`]. No clap types here beyond the dispatch
//! in [`run`].

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::GlobalSettings;

pub mod check;
pub mod config;
pub mod doctor;
pub mod python;
pub mod switch;
pub mod tags;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    let globals = GlobalSettings::resolve(&cli.global)?;
    let printer = Printer::from_globals(&globals);
    match cli.command {
        Command::Check(args) => check::run(*args, &globals, printer),
        Command::Tags(args) => tags::run(&args, printer),
        Command::Config(args) => config::run(&args, &globals, printer),
        Command::Doctor(args) => doctor::run(args, &globals, printer),
        Command::Python(args) => python::run(&args, printer),
        Command::Fallback(args) => switch::fallback(*args, &globals, printer),
        Command::Promote(args) => switch::promote(*args, &globals, printer),
        Command::Reset(args) => switch::reset(*args, &globals, printer),
    }
}
