#![no_main]
//! `cargo fuzz run pyproject`: see `wheelwatch::fuzz::pyproject`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::pyproject(data));
