//! `airlock query`, `show ID`, `export`, `audit …`, `db migrate`: their flags, and the
//! renderers (tables, text and JSON) of their typed responses.
//!
//! Owns: the flags and output of the ledger commands. Must not touch: sled (that is `store`),
//! the ledger's rules (that is `app::ledger`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::ledger::{
    AuditExportRequest, AuditRequest, ExportFormat, ExportRequest, QueryFilter, QueryRequest,
    ShowRequest,
};
use crate::app::{Failure, Hooks, Outcome, Request, Response};
use crate::cli::{fail, json_out, say_lines, warn};
use crate::present;
use crate::time::parse_rfc3339;

/// Arguments of `query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Artifact digest: `sha256:<64 hex>`, or the short form the tables print (`sha256:` and at
    /// least 12 hex digits).
    #[arg(long)]
    pub digest: Option<String>,
    /// Signer identity (certificate SAN or key id), exact.
    #[arg(long)]
    pub identity: Option<String>,
    /// OIDC issuer, exact.
    #[arg(long)]
    pub issuer: Option<String>,
    /// Recorded at or after this RFC 3339 instant.
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// Recorded at or before this RFC 3339 instant.
    #[arg(long, value_name = "RFC3339")]
    pub until: Option<String>,
    /// accepted | rejected.
    #[arg(long)]
    pub verdict: Option<String>,
    /// Import id.
    #[arg(long = "import", value_name = "ID")]
    pub import_id: Option<String>,
    /// SHA-256 of the input (tarball) as it arrived, hex (`sha256:` optional).
    #[arg(long = "tarball", value_name = "SHA256")]
    pub tarball_sha256: Option<String>,
    /// Only pushes to a registry (`airlock push`, the daemon's `--push-to`).
    #[arg(long)]
    pub pushed: bool,
    /// At most this many records (newest first).
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Print a JSON array of records.
    #[arg(long)]
    pub json: bool,
    /// The ledger's HMAC key, when kept outside the data dir.
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The record id.
    pub id: u64,
    /// Print the record as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also print the stored evidence and policy bytes the record names (base64 in --json).
    #[arg(long)]
    pub evidence: bool,
    /// The ledger's HMAC key, when kept outside the data dir.
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// The `audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Walk the ledger's chain and name the first broken link.
    Verify {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// The ledger's HMAC key, when kept outside the data dir.
        #[arg(long, value_name = "FILE")]
        hmac_key_file: Option<PathBuf>,
    },
    /// Check an export (`airlock export`) and its signed checkpoint, anywhere.
    VerifyExport {
        /// The export file.
        file: PathBuf,
        /// The deployment's public key (PEM, from `airlock export --public-key`); default: this
        /// data dir's.
        #[arg(long, value_name = "PEM")]
        public_key: Option<PathBuf>,
        /// An earlier export: prove nothing of it was rewritten since.
        #[arg(long, value_name = "FILE")]
        previous: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The `db` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Bring the ledger to this airlock's schema version (records, chain and HMACs untouched).
    Migrate {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `db migrate`: 0 when the ledger is at this version (migrated or already), 2 when it
/// cannot be.
pub fn db(cmd: DbCommand, data_dir: &Path) -> u8 {
    let DbCommand::Migrate { json } = cmd;
    let m = match crate::cli::execute(data_dir, Request::Migrate, &Hooks::default()) {
        Ok(Response::Migrate(m)) => m,
        Ok(_) => return fail("db migrate", &crate::cli::unexpected(), json),
        Err(f) => return fail("db migrate", &f, json),
    };
    if json {
        json_out(&m);
    } else if m.from == m.to {
        say_lines(&format!(
            "ledger {}: already at schema {}",
            m.path.display(),
            m.to
        ));
    } else {
        say_lines(&format!(
            "ledger {}: migrated from schema {} to {} ({} record(s) indexed; records, chain and HMACs unchanged)",
            m.path.display(),
            m.from,
            m.to,
            m.records
        ));
    }
    Outcome::Accepted.exit()
}

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// `jsonl` (records) or `vsa` (SLSA Verification Summary Attestations in DSSE envelopes).
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "vsa"])]
    pub format: String,
    /// Only records recorded at or after this RFC 3339 instant.
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// Print the deployment's public key (PEM) instead of an export.
    #[arg(long)]
    pub public_key: bool,
    /// The ledger's HMAC key, when kept outside the data dir.
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// Runs `export`.
pub fn export(a: ExportArgs, data_dir: &Path) -> u8 {
    let since = match a.since.as_deref().map(parse_rfc3339).transpose() {
        Ok(s) => s,
        Err(e) => {
            return fail(
                "export",
                &Failure::unusable("usage", format!("--since: {e}")),
                false,
            )
        }
    };
    let format = match (a.public_key, a.format.as_str()) {
        (true, _) => ExportFormat::PublicKey,
        (false, "vsa") => ExportFormat::Vsa,
        _ => ExportFormat::Jsonl,
    };
    let req = Request::Export(ExportRequest {
        format,
        since,
        hmac_key_file: a.hmac_key_file,
    });
    let lines = match crate::cli::execute(data_dir, req, &Hooks::default()) {
        Ok(Response::Export(l)) => l,
        Ok(_) => return fail("export", &crate::cli::unexpected(), false),
        Err(f) => return fail("export", &f, false),
    };
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    for line in lines {
        // The public key's PEM ends its own last line.
        if format == ExportFormat::PublicKey {
            let _ = write!(o, "{line}");
        } else {
            let _ = writeln!(o, "{line}");
        }
    }
    let _ = o.flush();
    Outcome::Accepted.exit()
}

/// Runs `query`.
pub fn query(a: QueryArgs, data_dir: &Path) -> u8 {
    let time = |s: &Option<String>, flag: &str| {
        s.as_deref()
            .map(parse_rfc3339)
            .transpose()
            .map_err(|e| Failure::unusable("usage", format!("{flag}: {e}")))
    };
    let (since, until) = match (time(&a.since, "--since"), time(&a.until, "--until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(f), _) | (_, Err(f)) => return fail("query", &f, a.json),
    };
    let req = Request::Query(QueryRequest {
        filter: QueryFilter {
            digest: a.digest,
            identity: a.identity,
            issuer: a.issuer,
            since,
            until,
            verdict: a.verdict,
            import_id: a.import_id,
            tarball_sha256: a.tarball_sha256,
            pushed: a.pushed,
        },
        limit: a.limit,
        hmac_key_file: a.hmac_key_file,
    });
    let rs = match crate::cli::execute(data_dir, req, &Hooks::default()) {
        Ok(Response::Query(rs)) => rs,
        Ok(_) => return fail("query", &crate::cli::unexpected(), a.json),
        Err(f) => return fail("query", &f, a.json),
    };
    if a.json {
        json_out(&rs);
    } else {
        let mut s = format!(
            "{:>6}  {:<20}  {:<8}  {:<19}  ARTIFACT  SIGNER / REASON\n",
            "ID", "RECORDED", "VERDICT", "DIGEST"
        );
        for r in &rs {
            s.push_str(&present::ledger::line(r));
            s.push('\n');
        }
        s.push_str(&format!("{} record(s)\n", rs.len()));
        say_lines(&s);
    }
    Outcome::Accepted.exit()
}

/// Runs `show ID`.
pub fn show(a: ShowArgs, data_dir: &Path) -> u8 {
    let req = Request::Show(ShowRequest {
        id: a.id,
        evidence: a.evidence,
        hmac_key_file: a.hmac_key_file,
    });
    match crate::cli::execute(data_dir, req, &Hooks::default()) {
        Ok(Response::Show(r)) => {
            if a.json {
                json_out(&r);
            } else {
                say_lines(&present::ledger::show_text(&r));
            }
            Outcome::Accepted.exit()
        }
        Ok(_) => fail("show", &crate::cli::unexpected(), a.json),
        Err(f) => fail("show", &f, a.json),
    }
}

/// Runs `audit verify` / `audit verify-export`: exit 0 intact, 1 broken.
pub fn audit(cmd: AuditCommand, data_dir: &Path) -> u8 {
    match cmd {
        AuditCommand::Verify {
            json,
            hmac_key_file,
        } => {
            let req = Request::Audit(AuditRequest { hmac_key_file });
            let a = match crate::cli::execute(data_dir, req, &Hooks::default()) {
                Ok(Response::Audit(a)) => a,
                Ok(_) => return fail("audit verify", &crate::cli::unexpected(), json),
                Err(f) => return fail("audit verify", &f, json),
            };
            if json {
                json_out(&a);
            } else if let Some(b) = &a.first_broken {
                warn(&format!(
                    "airlock audit verify: BROKEN at record {}: {} ({} records verified before it)",
                    b.id, b.why, a.records
                ));
            } else {
                say_lines(&format!(
                    "ledger intact: {} record(s), chain head {}",
                    a.records, a.head
                ));
            }
            if a.intact {
                Outcome::Accepted.exit()
            } else {
                Outcome::Rejected.exit()
            }
        }
        AuditCommand::VerifyExport {
            file,
            public_key,
            previous,
            json,
        } => {
            let req = Request::AuditExport(AuditExportRequest {
                file,
                public_key,
                previous,
            });
            let c = match crate::cli::execute(data_dir, req, &Hooks::default()) {
                Ok(Response::AuditExport(c)) => c,
                Ok(_) => return fail("audit verify-export", &crate::cli::unexpected(), json),
                Err(f) if f.outcome() == Outcome::Rejected => {
                    warn(&format!(
                        "airlock audit verify-export: BROKEN [{}] {}",
                        f.reason, f.message
                    ));
                    if json {
                        json_out(&f);
                    }
                    return f.exit;
                }
                Err(f) => return fail("audit verify-export", &f, json),
            };
            if json {
                json_out(&c);
            } else {
                say_lines(&format!(
                    "export intact: {} line(s), ledger head {} at record {}{}",
                    c.lines,
                    c.head,
                    c.last_id,
                    if c.extends_previous == Some(true) {
                        "; extends the previous export"
                    } else {
                        ""
                    }
                ));
            }
            Outcome::Accepted.exit()
        }
    }
}
