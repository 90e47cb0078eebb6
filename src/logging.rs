//! Logging: `tracing` to stderr (level from `-v`/`-q`; `RUST_LOG` overrides) and, with
//! `--log-file`, timestamped lines at info level and up (debug with `-v`) appended to a file.
//! stdout carries only reports.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(verbose: u8, quiet: bool, log_file: Option<&Path>) -> Result<()> {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let stderr_filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    let stderr_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(verbose > 0)
        .with_filter(stderr_filter);
    let file_layer = match log_file {
        Some(path) => {
            let file = fs_err::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("failed to open the log file `{}`", path.display()))?;
            let file_level = if verbose > 0 {
                LevelFilter::DEBUG
            } else {
                LevelFilter::INFO
            };
            Some(
                fmt::layer()
                    .with_writer(std::sync::Mutex::new(file.into_parts().0))
                    .with_ansi(false)
                    .with_filter(file_level),
            )
        }
        None => None,
    };
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
    Ok(())
}
