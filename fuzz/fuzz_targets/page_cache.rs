#![no_main]
//! `cargo fuzz run page_cache`: see `wheelwatch::fuzz::page_cache`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::page_cache(data));
