//! The host machine's platform: OS, architecture, and libc flavour and version (glibc or musl).
//! I/O: reads the process's environment and, on Linux, asks the C library.
//!
//! STUB: to be completed.

use crate::platform::Platform;

/// The host platform could not be determined.
#[derive(Debug, thiserror::Error)]
#[error("failed to detect the host platform: {0}")]
pub struct HostError(pub String);

/// Detects this machine's platform. (Placeholder.)
pub fn host_platform() -> Result<Platform, HostError> {
    Err(HostError("not implemented".into()))
}
