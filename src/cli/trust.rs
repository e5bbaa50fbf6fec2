//! `airlock trust …`: thin glue from the command line to `crate::trust`. (Being implemented.)

use std::path::Path;

/// The `trust` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TrustCommand {
    /// Show the trust root in force.
    Status,
}

/// Runs a `trust` subcommand; returns the process exit code (0 ok, 1 refused, 2 unusable input).
pub fn run(cmd: TrustCommand, data_dir: &Path, json: bool) -> u8 {
    let _ = (cmd, data_dir, json);
    eprintln!("airlock: trust commands are not built yet");
    2
}
