//! Command glue: each submodule turns resolved settings into calls on the core and hands the
//! result to a renderer. No clap types here beyond the dispatch in [`run`].

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::settings::GlobalSettings;

pub mod check;
pub mod config;
pub mod doctor;
pub mod init;
pub mod python;
pub mod rerun;
pub mod switch;
pub mod tags;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    let globals = GlobalSettings::resolve(&cli.global)?;
    match cli.command {
        Command::Check(args) => check::run(*args, &globals),
        Command::Tags(args) => tags::run(&args, &globals),
        Command::Config(args) => config::run(&args, &globals),
        Command::Doctor(args) => doctor::run(args, &globals),
        Command::Python(args) => python::run(&args, &globals),
        Command::Fallback(args) => switch::fallback(*args, &globals),
        Command::Promote(args) => switch::promote(*args, &globals),
        Command::Reset(args) => switch::reset(*args, &globals),
        Command::Init(args) => init::run(&args, &globals),
    }
}
