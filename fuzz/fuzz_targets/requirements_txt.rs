#![no_main]
//! `cargo fuzz run requirements_txt`: see `wheelwatch::fuzz::requirements_txt`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::requirements_txt(data));
