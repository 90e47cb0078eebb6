//! wheelwatch: tells whether every dependency of a Python project installs from a prebuilt wheel
//! on the Python versions and platforms it deploys to, and falls back safely when it does not.
//!
//! Layout: pure modules ([`filename`], [`dist`], [`platform`], [`target`], [`tags`],
//! [`requirements`] parsing, [`health`], [`report`]) know nothing of HTTP, files or processes;
//! I/O modules ([`index`], [`python`], [`host`]) sit at the edges; [`cli`] holds the clap types
//! and [`commands`] the glue.

pub mod dist;
pub mod filename;
pub mod host;
pub mod index;
pub mod metadata;
pub mod platform;
pub mod python;
pub mod requirements;
pub mod resolve;
pub mod tags;
pub mod target;
