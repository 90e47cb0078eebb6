#![no_main]
//! `cargo fuzz run resolution_cache`: see `wheelwatch::fuzz::resolution_cache`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::resolution_cache(data));
