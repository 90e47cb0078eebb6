#![no_main]
//! `cargo fuzz run uv_lock`: see `wheelwatch::fuzz::uv_lock`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::uv_lock(data));
