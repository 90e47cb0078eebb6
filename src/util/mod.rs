//! Small helpers every layer may use (they know nothing of wheelwatch's domain): keeping
//! credentials out of what is shown or stored ([`redact`]), running a subprocess with a timeout
//! ([`process`]), writing a file atomically ([`fs`]), an error's chain of causes in one line
//! ([`error`]), mapping over a slice on several threads ([`parallel`]), a value with its
//! origin ([`Sourced`]), and where the cache lives by default ([`default_cache_dir`]).

pub(crate) mod error;
pub(crate) mod fs;
pub(crate) mod parallel;
pub(crate) mod process;
pub(crate) mod redact;
pub(crate) mod sourced;

pub(crate) use sourced::Sourced;

/// The default cache directory: the platform's cache directory plus `wheelwatch` (the index
/// cache and the interpreter probe cache live under it).
pub(crate) fn default_cache_dir() -> Option<std::path::PathBuf> {
    use etcetera::BaseStrategy as _;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.cache_dir().join("wheelwatch"))
}
