//! The single integration-test binary: one module per area, sharing `common`.

// Tests talk to whoever runs them (skips, figures) with plain prints; the printer is for the
// tool's own output.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// A test binary has no outside users: `pub` in its modules only means "shared between areas".
#![allow(unreachable_pub)]
// Tests set up and inspect files with plain `std::fs`; the `fs_err` rule (clippy.toml) is for src/.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod bench;
mod check;
mod ci;
mod common;
mod dashboard;
mod doctor;
mod environment;
mod explain;
mod fallback;
mod history;
mod index;
mod input;
mod lifecycle;
mod live;
mod matrix;
mod metadata;
mod plan;
mod python;
mod recorded;
mod tags;
mod transitive;
mod upstream;
mod watch;
