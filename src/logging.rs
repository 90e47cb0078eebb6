//! Logging: `tracing` to stderr (level from `-v`/`-q`, `RUST_LOG` overrides) and, with
//! `--log-file`, the same events with timestamps appended to a file. stdout carries only reports.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

/// Installs the global subscriber. Safe to call once per process.
pub fn init(verbose: u8, quiet: bool, log_file: Option<&Path>) -> Result<()> {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "wheelwatch=debug,info",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(verbose > 0);
    let result = if let Some(path) = log_file {
        let file = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("failed to open the log file `{}`", path.display()))?;
        let file = std::sync::Mutex::new(file.into_parts().0);
        // The file gets info and up regardless of -v; stderr follows the chosen level.
        builder
            .with_ansi(false)
            .with_writer(
                std::io::stderr
                    .with_max_level(stderr_max(quiet, verbose))
                    .and(file),
            )
            .with_max_level(tracing::Level::TRACE)
            .try_init()
    } else {
        builder
            .with_writer(std::io::stderr)
            .without_time()
            .try_init()
    };
    result.map_err(|e| anyhow::anyhow!("failed to set up logging: {e}"))
}

fn stderr_max(quiet: bool, verbose: u8) -> tracing::Level {
    match (quiet, verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::DEBUG,
        (false, _) => tracing::Level::TRACE,
    }
}
