//! The `airlock` binary: parse, run, exit. Everything else lives in the library.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(airlock::cli::main())
}
