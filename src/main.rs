use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

// Reading a warm cache builds hundreds of thousands of small values; mimalloc allocates and
// frees them several times faster than the system allocator (measured by scripts/bench-check.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `wheelwatch __supervise …`: this binary re-run to watch over an installer (see
    // environment::process); never parsed as a command line.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args
        .get(1)
        .is_some_and(|a| wheelwatch::environment::process::is_supervise_arg(a))
    {
        let code = wheelwatch::environment::supervise(&args[2..]);
        return ExitCode::from(u8::try_from(code).unwrap_or(125));
    }
    if let Ok(exe) = std::env::current_exe() {
        wheelwatch::environment::use_supervisor(exe);
    }
    // mimalloc asks for transparent huge pages on its arenas: every first touch of one then
    // zeroes 2 MiB, which was most of a warm run's time (kernel `clear_page`) and doubled its
    // peak memory. Plain pages it is (inherited by the processes we start, which is harmless).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = wheelwatch::cli::Cli::parse();
    match wheelwatch::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            if err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = anstream::stderr();
            let _ = writeln!(stderr, "error: {err:#}");
            wheelwatch::exit::status_for_error(&err).into()
        }
    }
}
