//! Build-time switches. `WHEELWATCH_LIVE=1` sets the `wheelwatch_live` cfg, which un-ignores
//! the one test that talks to the public index (`tests/it/live.rs`).

// Cargo reads its directives from the build script's stdout.
#![allow(clippy::print_stdout)]

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wheelwatch_live)");
    println!("cargo::rerun-if-env-changed=WHEELWATCH_LIVE");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("WHEELWATCH_LIVE").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=wheelwatch_live");
    }
}
