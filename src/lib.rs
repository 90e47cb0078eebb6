//! wheelwatch: tells whether every dependency of a Python project installs from a prebuilt wheel
//! on the Python versions and platforms it deploys to, and falls back safely when it does not.
//!
//! Layout, in the order data flows (inputs → assessment → renderers and actions):
//! - [`cli`] holds the clap types; [`settings`] resolves them with the environment and the
//!   configuration file into typed values; [`commands`] is the glue, one module per command.
//! - Inputs: [`requirements`] (requirement, constraint, pyproject and lock files), [`pep508`]
//!   (the one guarded parser for text from outside), [`target`], [`platform`], [`tags`].
//! - [`assess`] runs an assessment: a typed `Request` in, a typed `Assessment` out (the report
//!   plus the typed targets and interpreters behind it). It drives the I/O edges ([`index`],
//!   [`python`], [`host`]) and the pure policy: [`health`] (one direct requirement on one
//!   target), [`resolve`] (whole dependency trees), over [`dist`], [`filename`], [`metadata`].
//! - [`report`] is the typed report model, its verdict and recommendations, and its renderers
//!   (table, JSON, Markdown) with their shared phrases.
//! - [`catalog`] is the issue catalog: common wheel problems with causes and remedies, matched
//!   from the assessment's typed findings and from installer output.
//! - [`dashboard`] renders the recorded history as one self-contained HTML page.
//! - [`environment`] acts on an assessment: builds, verifies and swaps virtual environments.
//! - [`bench`] measures commands in the primary's and the fallback's environments and compares
//!   them (`wheelwatch bench`).
//! - [`util`] holds helpers every layer may use (credential redaction, subprocesses with a
//!   timeout).
//! - [`printer`] decides where user-facing output goes (report to stdout; notes, errors and
//!   progress to stderr).
//!
//! Pure modules (versions, requirements, tags, filenames, metadata, health policy, resolution,
//! report) know nothing of HTTP, files or processes.

pub mod assess;
pub(crate) mod bench;
pub(crate) mod catalog;
pub mod cli;
pub(crate) mod commands;
pub(crate) mod dashboard;
pub mod dist;
pub mod environment;
pub mod exit;
pub mod filename;
#[doc(hidden)]
pub mod fuzz;
pub(crate) mod health;
pub(crate) mod history;
pub mod host;
pub mod index;
pub(crate) mod logging;
pub(crate) mod matrix;
pub mod metadata;
pub(crate) mod metrics;
pub(crate) mod pep508;
pub(crate) mod plan;
pub mod platform;
pub(crate) mod printer;
pub mod python;
pub mod report;
pub mod requirements;
pub(crate) mod resolve;
pub(crate) mod settings;
pub mod tags;
pub mod target;
pub(crate) mod util;
pub(crate) mod version_view;
pub(crate) mod watch;
pub(crate) mod workflow;

/// Runs wheelwatch with parsed arguments; returns the exit status or an error for `main` to
/// print. Meant to be the last thing a process does: `check` leaves its assessment's memory to
/// the operating system rather than freeing it (long-running callers use [`assess::run`]).
pub fn run(cli: cli::Cli) -> anyhow::Result<exit::ExitStatus> {
    logging::init(
        cli.global.verbose,
        cli.global.quiet,
        cli.global.log_file.as_deref(),
    )?;
    commands::run(cli)
}
