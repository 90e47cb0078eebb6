#![no_main]
//! `cargo fuzz run metadata`: see `wheelwatch::fuzz::metadata`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::metadata(data));
