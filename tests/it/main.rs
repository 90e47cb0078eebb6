//! The single integration-test binary: one module per area, sharing `common`.

mod check;
mod common;
mod doctor;
mod environment;
mod fallback;
mod index;
mod input;
mod lifecycle;
mod live;
mod metadata;
mod python;
mod tags;
mod transitive;
