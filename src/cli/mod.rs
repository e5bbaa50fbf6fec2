//! The command line: argument parsing, exit codes and human/JSON output. Thin: every decision is
//! made by the domain modules.
//!
//! Owns: clap definitions, output formatting. Must not touch: crypto, parsing of outside formats.

pub mod daemon;
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
    let mut o = std::io::BufWriter::new(stdout());
    for l in text.lines() {
        let _ = writeln!(o, "{}", crate::text::line(l));
    }
    let _ = o.flush();
}

/// Prints one line for people on stderr through [`crate::text::line`] (a message that quotes
/// outside data stays one printable line).
pub(crate) fn warn(text: &str) {
    use std::io::Write;
    let _ = writeln!(stderr(), "{}", crate::text::line(text));
}

/// Where a command's standard output goes: the process's stdout, or, for a command the daemon
/// runs for a client on its socket ([`capture`]), that client.
pub(crate) fn stdout() -> Sink {
    Sink(false)
}

/// Where a command's standard error goes (see [`stdout`]).
pub(crate) fn stderr() -> Sink {
    Sink(true)
}

/// A writer that is the process's stdout or stderr, or the client of the command this thread
/// runs for the daemon.
pub(crate) struct Sink(bool);

/// Receives a proxied command's output: (`true` for stderr, bytes).
pub type Capture = Box<dyn FnMut(bool, &[u8]) -> std::io::Result<()>>;

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Capture>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's command output sent to `to` instead of stdout and stderr.
pub fn capture<T>(to: Capture, f: impl FnOnce() -> T) -> T {
    CAPTURE.with(|c| *c.borrow_mut() = Some(to));
    let r = f();
    CAPTURE.with(|c| *c.borrow_mut() = None);
    r
}

/// Whether this thread's output goes to a daemon client (no terminal: no progress bars).
pub(crate) fn capturing() -> bool {
    CAPTURE.with(|c| c.borrow().is_some())
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let err = self.0;
        let captured = CAPTURE.with(|c| c.borrow_mut().as_mut().map(|f| f(err, buf)));
        match captured {
            Some(r) => r.map(|()| buf.len()),
            None if err => std::io::stderr().write(buf),
            None => std::io::stdout().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if capturing() {
            Ok(())
        } else if self.0 {
            std::io::stderr().flush()
        } else {
            std::io::stdout().flush()
        }
    }
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
    // Before anything opens a file of the data dir (its socket included): created owner-only,
    // never through a link.
    if let Err(e) = crate::datadir::prepare(&cli.data_dir) {
        warn(&format!("airlock: [{}] {e}", e.code()));
        return EXIT_USAGE;
    }
    // While a daemon holds the data dir's ledger, the commands that use it run through it.
    if crate::daemon::socket::uses_ledger(&cli) {
        if let Some(code) = crate::daemon::socket::forward(&cli.data_dir) {
            return code;
        }
    }
    dispatch(cli)
}

/// Runs a parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> u8 {
    // (The data dir is checked before: by `main`, or by the daemon's socket for each command
    // sent through it.)
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
        Command::Daemon(args) => daemon::run(args, &cli.data_dir),
        Command::Db { cmd } => ledger::db(cmd, &cli.data_dir),
    }
}
