#![no_main]
//! `cargo fuzz run pep508`: see `wheelwatch::fuzz::pep508`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::pep508(data));
