//! A value paired with where it came from, for settings that `wheelwatch config` explains. The
//! kind of origin is a parameter: wheelwatch's own settings name a flag, variable or file key
//! ([`crate::settings::ValueSource`]); pip's configuration names a file section or variable
//! ([`crate::index::ConfigSource`]).

use serde::Serialize;

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sourced<T, S> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub source: S,
}

impl<T, S> Sourced<T, S> {
    /// Pairs a value with its origin.
    pub fn new(value: T, source: S) -> Self {
        Self { value, source }
    }
}
