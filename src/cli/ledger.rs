//! `airlock query`, `airlock show ID`, `airlock audit verify`: thin glue from the command line to
//! `crate::store`, and their table and JSON output.
//!
//! Owns: the flags and output of the ledger commands. Must not touch: sled (that is `store`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{say_lines, warn, EXIT_OK, EXIT_REJECTED, EXIT_USAGE};
use crate::store::{Filter, Ledger, Record};
use crate::time::parse_rfc3339;

/// Arguments of `query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Artifact digest (`sha256:<hex>`).
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
    #[arg(long)]
    pub json: bool,
    /// Also print the stored evidence and policy bytes the record names (base64 in --json).
    #[arg(long)]
    pub evidence: bool,
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// The `audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Walk the ledger's chain and name the first broken link.
    Verify {
        #[arg(long)]
        json: bool,
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
        #[arg(long)]
        json: bool,
    },
}

/// The `db` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Bring the ledger to this airlock's schema version (records, chain and HMACs untouched).
    Migrate {
        #[arg(long)]
        json: bool,
    },
}

/// Runs `db migrate`: 0 when the ledger is at this version (migrated or already), 2 when it
/// cannot be.
pub fn db(cmd: DbCommand, data_dir: &Path) -> u8 {
    let DbCommand::Migrate { json } = cmd;
    match crate::store::migrate(data_dir) {
        Ok(m) => {
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
            EXIT_OK
        }
        Err(e) => {
            warn(&format!("airlock db migrate: [{}] {e}", e.code()));
            EXIT_USAGE
        }
    }
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
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// Runs `export`.
pub fn export(a: ExportArgs, data_dir: &Path, now: crate::time::Timestamp) -> u8 {
    let since = match a.since.as_deref().map(parse_rfc3339).transpose() {
        Ok(s) => s,
        Err(e) => {
            warn(&format!("airlock export: [usage] --since: {e}"));
            return EXIT_USAGE;
        }
    };
    let l = match open(data_dir, a.hmac_key_file.as_deref()) {
        Ok(l) => l,
        Err(c) => return c,
    };
    if a.public_key {
        return match l.signing_key() {
            Ok(k) => {
                let _ = write!(crate::cli::stdout(), "{}", k.public_pem());
                EXIT_OK
            }
            Err(e) => {
                warn(&format!("airlock export: [{}] {e}", e.code()));
                EXIT_USAGE
            }
        };
    }
    let format = if a.format == "vsa" {
        crate::store::export::Format::Vsa
    } else {
        crate::store::export::Format::Jsonl
    };
    match l.export(format, since, now) {
        Ok(lines) => {
            let mut o = std::io::BufWriter::new(crate::cli::stdout());
            for line in lines {
                let _ = writeln!(o, "{line}");
            }
            let _ = o.flush();
            EXIT_OK
        }
        Err(e) => {
            warn(&format!("airlock export: [{}] {e}", e.code()));
            EXIT_USAGE
        }
    }
}

fn open(data_dir: &Path, key: Option<&Path>) -> Result<Ledger, u8> {
    Ledger::open(data_dir, key).map_err(|e| {
        warn(&format!("airlock: [{}] {e}", e.code()));
        EXIT_USAGE
    })
}

fn json_out(v: &impl serde::Serialize) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => {
            let _ = writeln!(crate::cli::stdout(), "{s}");
        }
        Err(e) => warn(&format!("airlock: cannot encode JSON: {e}")),
    }
}

fn line(r: &Record) -> String {
    let b = &r.body;
    let digest = b
        .artifact
        .as_ref()
        .map(|a| a.digest.clone())
        .unwrap_or_default();
    // What the record is about: the artifact, else the input, else the event (a trust update).
    let name = match (&b.artifact, &b.tarball) {
        (Some(a), _) => a.name.clone(),
        (None, Some(t)) => t.name.clone(),
        (None, None) => format!(
            "{} {}",
            b.kind,
            b.decided_under.trust_root_instance.as_deref().unwrap_or("")
        ),
    };
    let short = digest.get(..19).unwrap_or(&digest).to_string();
    let why = match (&b.reason, b.verdict.as_str(), &b.identity) {
        (Some(c), "rejected", _) => format!("[{c}]"),
        (_, _, Some(i)) => i.clone(),
        (Some(c), _, None) => c.clone(),
        (None, _, None) => String::new(),
    };
    format!(
        "{:>6}  {}  {:<8}  {:<19}  {}  {}",
        r.id,
        r.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        b.verdict,
        short,
        crate::text::escape_capped(&name, 50),
        why
    )
}

/// Runs `query`.
pub fn query(a: QueryArgs, data_dir: &Path) -> u8 {
    let parse = |s: &Option<String>, flag: &str| -> Result<Option<crate::time::Timestamp>, u8> {
        s.as_deref().map(parse_rfc3339).transpose().map_err(|e| {
            warn(&format!("airlock query: [usage] {flag}: {e}"));
            EXIT_USAGE
        })
    };
    let (since, until) = match (parse(&a.since, "--since"), parse(&a.until, "--until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let l = match open(data_dir, a.hmac_key_file.as_deref()) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let f = Filter {
        digest: a.digest,
        identity: a.identity,
        issuer: a.issuer,
        since,
        until,
        verdict: a.verdict,
        import_id: a.import_id,
        tarball_sha256: a.tarball_sha256.as_deref().map(Filter::tarball_sha256_of),
        limit: Some(a.limit),
        before: None,
    };
    match l.query(&f) {
        Ok(rs) => {
            if a.json {
                json_out(&rs);
            } else {
                let mut s = format!(
                    "{:>6}  {:<20}  {:<8}  {:<19}  ARTIFACT  SIGNER / REASON\n",
                    "ID", "RECORDED", "VERDICT", "DIGEST"
                );
                for r in &rs {
                    s.push_str(&line(r));
                    s.push('\n');
                }
                s.push_str(&format!("{} record(s)\n", rs.len()));
                say_lines(&s);
            }
            EXIT_OK
        }
        Err(e) => {
            warn(&format!("airlock query: [{}] {e}", e.code()));
            EXIT_USAGE
        }
    }
}

/// Runs `show ID`.
pub fn show(a: ShowArgs, data_dir: &Path) -> u8 {
    let l = match open(data_dir, a.hmac_key_file.as_deref()) {
        Ok(l) => l,
        Err(c) => return c,
    };
    match l.get(a.id) {
        Ok(Some(r)) => {
            let mut digests = r.body.stored_evidence.clone();
            digests.extend(r.body.decided_under.policy_digest.clone());
            let mut stored = Vec::new();
            if a.evidence {
                for d in &digests {
                    match l.evidence(d) {
                        Ok(Some(b)) => stored.push(serde_json::json!({
                            "digest": d, "size": b.len(), "base64": crate::bundle::json::b64_encode(&b),
                        })),
                        Ok(None) => stored.push(serde_json::json!({"digest": d, "missing": true})),
                        Err(e) => {
                            warn(&format!("airlock show: [{}] {e}", e.code()));
                            return EXIT_USAGE;
                        }
                    }
                }
            }
            if a.json {
                let mut v = serde_json::to_value(&r).unwrap_or_default();
                if a.evidence {
                    v["storedEvidenceBytes"] = serde_json::Value::Array(stored);
                }
                json_out(&v);
            } else {
                let pretty = serde_json::to_string_pretty(&r).unwrap_or_default();
                let mut s = format!(
                    "record {} (chain: previous {}, this {})\n{pretty}\n",
                    r.id, r.prev_hash, r.hash
                );
                for e in &stored {
                    s.push_str(&format!(
                        "stored {} ({} bytes)\n",
                        e["digest"].as_str().unwrap_or(""),
                        e["size"].as_u64().unwrap_or(0)
                    ));
                }
                say_lines(&s);
            }
            EXIT_OK
        }
        Ok(None) => {
            warn(&format!(
                "airlock show: [not-found] no record {} in the ledger",
                a.id
            ));
            EXIT_REJECTED
        }
        Err(e) => {
            warn(&format!("airlock show: [{}] {e}", e.code()));
            EXIT_USAGE
        }
    }
}

fn verify_export(
    file: &Path,
    public_key: Option<&Path>,
    previous: Option<&Path>,
    json: bool,
    data_dir: &Path,
) -> u8 {
    let read = |p: &Path, what: &'static str| {
        crate::input::read_capped(p, crate::limits::MAX_EXPORT_BYTES, what)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| {
                warn(&format!("airlock audit verify-export: [usage] {e}"));
                EXIT_USAGE
            })
    };
    let text = match read(file, "export") {
        Ok(t) => t,
        Err(c) => return c,
    };
    let pem = match public_key {
        Some(p) => match read(p, "public key") {
            Ok(t) => t,
            Err(c) => return c,
        },
        None => match open(data_dir, None).and_then(|l| {
            l.signing_key().map(|k| k.public_pem()).map_err(|e| {
                warn(&format!("airlock audit verify-export: [{}] {e}", e.code()));
                EXIT_USAGE
            })
        }) {
            Ok(p) => p,
            Err(c) => return c,
        },
    };
    let prev = match previous {
        Some(p) => match read(p, "previous export") {
            Ok(t) => Some(t),
            Err(c) => return c,
        },
        None => None,
    };
    match crate::store::export::verify_export(&text, &pem, prev.as_deref()) {
        Ok(c) => {
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
            EXIT_OK
        }
        Err(why) => {
            if json {
                json_out(
                    &serde_json::json!({"intact": false, "reason": "export-invalid", "message": why}),
                );
            }
            warn(&format!(
                "airlock audit verify-export: BROKEN [export-invalid] {}: {why}",
                crate::text::ShownPath(file)
            ));
            EXIT_REJECTED
        }
    }
}

/// Runs `audit verify` / `audit verify-export`: exit 0 intact, 1 broken.
pub fn audit(cmd: AuditCommand, data_dir: &Path) -> u8 {
    let (json, hmac_key_file) = match cmd {
        AuditCommand::Verify {
            json,
            hmac_key_file,
        } => (json, hmac_key_file),
        AuditCommand::VerifyExport {
            file,
            public_key,
            previous,
            json,
        } => {
            return verify_export(
                &file,
                public_key.as_deref(),
                previous.as_deref(),
                json,
                data_dir,
            )
        }
    };
    let l = match open(data_dir, hmac_key_file.as_deref()) {
        Ok(l) => l,
        Err(c) => return c,
    };
    match l.audit() {
        Ok(a) => {
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
                EXIT_OK
            } else {
                EXIT_REJECTED
            }
        }
        Err(e) => {
            warn(&format!("airlock audit verify: [{}] {e}", e.code()));
            EXIT_USAGE
        }
    }
}
