//! Shared integration-test support: the local test index (a real HTTP server, see [`server`])
//! and the real wheel / sdist artifacts it serves (see [`artifacts`]). Every integration test
//! that needs an index uses this; nothing here touches the internet.
#![allow(
    dead_code,
    unused_imports,
    reason = "each test area uses a different part of the harness"
)]

pub mod artifacts;
pub mod server;

pub use artifacts::{CoreMetadata, FileSpec, ModuleBody};
pub use server::{LoggedRequest, TestIndex, TestIndexBuilder};
