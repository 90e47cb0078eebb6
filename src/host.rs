//! The host machine's platform: OS, architecture, and libc flavour and version (glibc or musl).
//! I/O: reads the process's environment and, on Linux, asks the C library.
//!
//! STUB: to be completed.
