//! wheelwatch: tells whether every dependency of a Python project installs from a prebuilt wheel
//! on the Python versions and platforms it deploys to, and falls back safely when it does not.
//!
//! Layout: pure modules ([`filename`], [`dist`], [`platform`], [`target`], [`tags`],
//! [`requirements`] parsing, [`health`], [`report`]) know nothing of HTTP, files or processes;
//! I/O modules ([`index`], [`python`], [`host`]) sit at the edges; [`cli`] holds the clap types,
//! [`settings`] resolves them with the environment and configuration, and [`commands`] is the
//! glue.

pub mod assess;
pub mod cli;
pub mod commands;
pub mod dist;
pub mod environment;
pub mod exit;
pub mod filename;
pub mod health;
pub mod host;
pub mod index;
pub mod logging;
pub mod metadata;
pub mod pep508;
pub mod platform;
pub mod python;
pub mod report;
pub mod requirements;
pub mod resolve;
pub mod settings;
pub mod tags;
pub mod target;

/// Runs wheelwatch with parsed arguments; returns the exit status or an error for `main` to
/// print.
pub fn run(cli: cli::Cli) -> anyhow::Result<exit::ExitStatus> {
    logging::init(
        cli.global.verbose,
        cli.global.quiet,
        cli.global.log_file.as_deref(),
    )?;
    commands::run(cli)
}
