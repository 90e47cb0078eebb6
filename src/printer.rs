//! The printer: the one place that decides where the user-facing output goes (like uv's
//! `Printer`). The report goes to stdout; notes, errors and progress go to stderr. `--quiet`
//! silences notes and progress (errors still show); colour on stdout follows `--color` and
//! `NO_COLOR`; progress bars and spinners appear only when stderr is a terminal.
//!
//! Commands and the assessment write through a [`Printer`]; nothing else calls `println!` or
//! `eprintln!` (clippy's `print_stdout`/`print_stderr` lints hold that). Diagnostics for
//! `-v` go through `tracing` ([`crate::logging`]), not here.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::settings::GlobalSettings;

/// How often a visible bar or spinner redraws on its own.
const TICK: Duration = Duration::from_millis(100);

/// Where output goes, decided once from the global settings. The default shows notes and
/// errors, no colour and no progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Printer {
    /// Notes and progress silenced; errors still shown.
    quiet: bool,
    /// Colour the report on stdout.
    color_stdout: bool,
    /// stderr is a terminal (progress may be drawn there).
    stderr_tty: bool,
}

impl Printer {
    /// The printer the global flags ask for.
    pub fn from_globals(globals: &GlobalSettings) -> Self {
        Self {
            quiet: globals.quiet,
            color_stdout: globals.color_stdout(),
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    /// A printer that shows no notes and no progress, for library callers and tests (errors
    /// still go to stderr).
    pub fn silent() -> Self {
        Self {
            quiet: true,
            color_stdout: false,
            stderr_tty: false,
        }
    }

    /// Whether notes are silenced.
    pub fn is_quiet(self) -> bool {
        self.quiet
    }

    /// Whether the report on stdout is coloured.
    pub fn color_stdout(self) -> bool {
        self.color_stdout
    }

    /// Whether progress (bars, spinners, step bullets) is drawn: not quiet, stderr a terminal.
    pub fn shows_progress(self) -> bool {
        !self.quiet && self.stderr_tty
    }

    /// Whether stderr is a terminal.
    pub fn stderr_is_terminal(self) -> bool {
        self.stderr_tty
    }

    /// The report's stream.
    #[allow(
        clippy::unused_self,
        reason = "every output goes through a printer value"
    )]
    pub fn stdout(self) -> std::io::StdoutLock<'static> {
        std::io::stdout().lock()
    }

    /// A note on stderr (a line), unless quiet. A closed stderr is not an error.
    pub fn note(self, line: fmt::Arguments<'_>) {
        if !self.quiet {
            write_line(&format!("{line}\n"));
        }
    }

    /// An error line on stderr, shown even when quiet. A closed stderr is not an error.
    #[allow(clippy::unused_self, reason = "errors show even when quiet")]
    pub fn error(self, line: fmt::Arguments<'_>) {
        write_line(&format!("error: {line}\n"));
    }

    /// A warning line on stderr, unless quiet.
    pub fn warning(self, line: fmt::Arguments<'_>) {
        self.note(format_args!("warning: {line}"));
    }

    /// A progress bar of `len` steps drawn with `template` (indicatif's syntax); hidden unless
    /// [`Self::shows_progress`].
    pub fn progress_bar(self, len: u64, template: &str) -> ProgressBar {
        if !self.shows_progress() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(TICK);
        bar
    }

    /// A spinner with `message`; hidden unless [`Self::shows_progress`].
    pub fn spinner(self, message: String) -> ProgressBar {
        if !self.shows_progress() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_message(message);
        bar.enable_steady_tick(TICK);
        bar
    }
}

/// Writes a whole line to stderr in one call: stderr is unbuffered, so a line formatted piece
/// by piece could be cut short when another thread ends the process between the pieces.
fn write_line(line: &str) {
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
