//! JSON rendering of the [`Report`], pretty-printed with a trailing newline.

use std::io::{self, Write};

use super::Report;

/// Writes the report as JSON.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
