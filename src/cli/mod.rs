//! The command line: clap arguments, and renderers (text and `--json`) of the typed responses
//! of [`crate::app`]. Every operation is a typed request run by `app`, in this process or, while
//! a daemon holds the data dir's ledger, through its socket; the exit code comes from the one
//! [`crate::app::Outcome`] mapping.
//!
//! Owns: clap definitions, output formatting. Must not touch: what an operation does (that is
//! `app`), crypto, parsing of outside formats.

pub mod daemon;
pub mod import;
pub mod ledger;
pub mod push;
pub mod trust;
pub mod verify_bundle;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::app::{App, Failure, Hooks, Outcome, Request, Response};

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
    /// Decide recorded verdicts again (each under the policy it was decided under); record the
    /// changes as the latest verdicts only with --apply.
    Reverify(import::ReverifyArgs),
    /// Search the verification ledger.
    Query(ledger::QueryArgs),
    /// Show one ledger record with its evidence and chain position.
    Show(ledger::ShowArgs),
    /// Export the ledger for auditors (JSON lines or signed SLSA VSAs, with a signed checkpoint).
    Export(ledger::ExportArgs),
    /// Maintain the ledger database (`db migrate` after an upgrade).
    Db {
        #[command(subcommand)]
        cmd: ledger::DbCommand,
    },
    /// Check the ledger's tamper evidence.
    Audit {
        #[command(subcommand)]
        cmd: ledger::AuditCommand,
    },
    /// Watch a drop folder: import whatever lands in it, and serve the ledger read-only (HTTPS,
    /// mutual TLS) and to the local CLI (a unix socket in the data dir).
    Daemon(daemon::DaemonArgs),
    /// Push accepted images to the site's registry with their signatures, attestations and
    /// airlock's signed verification summary (VSA); each push is recorded.
    Push(push::PushArgs),
    /// Manage the Sigstore trust root (TUF-verified, refreshed from USB).
    Trust {
        /// Print JSON instead of text.
        #[arg(long, global = true)]
        json: bool,
        /// The trust instance (`public-good` by default; `github`, or a private one's name).
        #[arg(long, global = true, value_name = "NAME")]
        instance: Option<String>,
        /// The ledger's HMAC key, when kept outside the data dir (trust events are recorded).
        #[arg(long, global = true, value_name = "FILE")]
        hmac_key_file: Option<PathBuf>,
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
    let _ = writeln!(std::io::stderr(), "{}", crate::text::line(text));
}

/// Prints a JSON document on stdout.
pub(crate) fn json_out(value: &impl serde::Serialize) {
    use std::io::Write;
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "{s}");
            let _ = o.flush();
        }
        Err(e) => warn(&format!("airlock: cannot encode JSON output: {e}")),
    }
}

/// Prints a failure: one line on stderr (`airlock COMMAND: [reason] message`) and, with
/// `--json`, the failure itself on stdout; returns its exit code.
pub(crate) fn fail(command: &str, f: &Failure, json: bool) -> u8 {
    warn(&format!("airlock {command}: [{}] {}", f.reason, f.message));
    if json {
        json_out(f);
    }
    f.exit
}

/// Runs a request: through the daemon that holds the data dir's ledger, else here.
pub(crate) fn execute(
    data_dir: &Path,
    req: Request,
    hooks: &Hooks<'_>,
) -> Result<Response, Failure> {
    if req.uses_ledger() {
        if let Some(answer) = crate::daemon::socket::forward(data_dir, &req) {
            return answer;
        }
    }
    App::new(data_dir).execute(&req, hooks, crate::clock::now())
}

/// A response of another operation than the one asked (a daemon of another version).
pub(crate) fn unexpected() -> Failure {
    Failure::unusable(
        "daemon-request-refused",
        "the daemon answered another operation than the one asked (is it another airlock version?)",
    )
}

/// Parses the command line and runs it; returns the exit code.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Outcome::Unusable.exit()
            } else {
                Outcome::Accepted.exit()
            };
            let _ = e.print();
            return code;
        }
    };
    // Before anything opens a file of the data dir (its socket included): created owner-only,
    // never through a link.
    if let Err(e) = crate::datadir::prepare(&cli.data_dir) {
        warn(&format!("airlock: [{}] {e}", e.code()));
        return Outcome::Unusable.exit();
    }
    let d = cli.data_dir;
    match cli.command {
        Command::Trust {
            json,
            instance,
            hmac_key_file,
            cmd,
        } => trust::run(cmd, &d, json, instance, hmac_key_file),
        Command::VerifyBundle(args) => verify_bundle::run(args, &d),
        Command::Import(args) => import::run(args, &d),
        Command::Query(args) => ledger::query(args, &d),
        Command::Reverify(args) => import::reverify(args, &d),
        Command::Show(args) => ledger::show(args, &d),
        Command::Audit { cmd } => ledger::audit(cmd, &d),
        Command::Export(args) => ledger::export(args, &d),
        Command::Daemon(args) => daemon::run(args, &d),
        Command::Db { cmd } => ledger::db(cmd, &d),
        Command::Push(args) => push::run(args, &d),
    }
}
