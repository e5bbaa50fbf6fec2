//! The command line: argument parsing, exit codes and human/JSON output. Thin: every decision is
//! made by the domain modules.
//!
//! Owns: clap definitions, output formatting. Must not touch: crypto, parsing of outside formats.

pub mod import;
pub mod ledger;
pub mod trust;
pub mod verify_bundle;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Exit code: success, verified.
pub const EXIT_OK: u8 = 0;
/// Exit code: rejected or refused.
pub const EXIT_REJECTED: u8 = 1;
/// Exit code: unusable usage or input.
pub const EXIT_USAGE: u8 = 2;

/// airlock — offline verification of Sigstore supply-chain evidence.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, about, long_about = None)]
pub struct Cli {
    /// Folder holding the trust store, database, staging and quarantine.
    #[arg(
        long,
        global = true,
        env = "AIRLOCK_DATA_DIR",
        default_value = "/var/lib/airlock"
    )]
    pub data_dir: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify a Sigstore bundle offline (Sigstore conformance CLI protocol).
    VerifyBundle(verify_bundle::VerifyBundleArgs),
    /// Import tarballs or folders from a stick: prove every artifact against a ClusterImagePolicy.
    Import(import::ImportArgs),
    /// Decide every recorded verdict again under the trust root and policy in force now.
    Reverify(import::ReverifyArgs),
    /// Search the verification ledger.
    Query(ledger::QueryArgs),
    /// Show one ledger record with its evidence and chain position.
    Show(ledger::ShowArgs),
    /// Export the ledger for auditors (JSON lines or signed SLSA VSAs, with a signed checkpoint).
    Export(ledger::ExportArgs),
    /// Check the ledger's tamper evidence.
    Audit {
        #[command(subcommand)]
        cmd: ledger::AuditCommand,
    },
    /// Manage the Sigstore trust root (TUF-verified, refreshed from USB).
    Trust {
        /// Print JSON instead of text.
        #[arg(long, global = true)]
        json: bool,
        /// The trust instance (`public-good` by default; `github`, or a private one's name).
        #[arg(long, global = true, value_name = "NAME")]
        instance: Option<String>,
        #[command(subcommand)]
        cmd: trust::TrustCommand,
    },
}

/// Prints text for people on stdout, each line through [`crate::text::line`]: no control byte
/// from outside data reaches the terminal.
pub(crate) fn say_lines(text: &str) {
    use std::io::Write;
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    for l in text.lines() {
        let _ = writeln!(o, "{}", crate::text::line(l));
    }
    let _ = o.flush();
}

/// Prints one line for people on stderr through [`crate::text::line`] (a message that quotes
/// outside data stays one printable line).
pub(crate) fn warn(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{}", crate::text::line(text));
}

/// Parses the command line and runs it; returns the exit code.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Trust {
            json,
            instance,
            cmd,
        } => trust::run(cmd, &cli.data_dir, json, instance.as_deref()),
        Command::VerifyBundle(args) => verify_bundle::run(args, &cli.data_dir, crate::clock::now()),
        Command::Import(args) => import::run(args, &cli.data_dir, crate::clock::now()),
        Command::Query(args) => ledger::query(args, &cli.data_dir),
        Command::Reverify(args) => import::reverify(args, &cli.data_dir, crate::clock::now()),
        Command::Show(args) => ledger::show(args, &cli.data_dir),
        Command::Audit { cmd } => ledger::audit(cmd, &cli.data_dir),
        Command::Export(args) => ledger::export(args, &cli.data_dir, crate::clock::now()),
    }
}
