#![no_main]
//! `cargo fuzz run pylock`: see `wheelwatch::fuzz::pylock`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wheelwatch::fuzz::pylock(data));
