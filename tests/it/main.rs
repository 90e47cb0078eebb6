//! The single integration-test binary: one module per area, sharing `common`.

mod check;
mod common;
mod index;
mod tags;
mod transitive;
