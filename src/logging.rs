//! Logging: `tracing` to stderr (level from `-v`/`-q`; `RUST_LOG` overrides) and, with
//! `--log-file`, timestamped lines at info level and up (debug with `-v`) appended to a file.
//! stdout carries only reports.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub(crate) fn init(verbose: u8, quiet: bool, log_file: Option<&Path>) -> Result<()> {
    // Our own events at the chosen level; dependencies' (the solver's very chatty info events
    // among them) only from warnings up, unless -vv asks for everything.
    let stderr_directives = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "wheelwatch=debug,warn",
        (false, _) => "trace",
    };
    let stderr_filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .parse_lossy(std::env::var("RUST_LOG").unwrap_or_else(|_| stderr_directives.to_string()));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stderr_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
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
            let directives = if verbose > 0 {
                "wheelwatch=debug,warn"
            } else {
                "wheelwatch=info,warn"
            };
            Some(
                fmt::layer()
                    .with_writer(std::sync::Mutex::new(file.into_parts().0))
                    .with_ansi(false)
                    .with_filter(EnvFilter::new(directives)),
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
