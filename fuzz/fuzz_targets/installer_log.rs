#![no_main]
//! `cargo fuzz run installer_log`: see `wheelwatch::fuzz::installer_log`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::installer_log(data));
