//! `airlock verify-bundle`: the Sigstore conformance CLI protocol, plus `--json`, `--batch` and
//! `--record`; the flags and batch lines become an `app` request, its typed results are
//! rendered here.
//!
//! Owns: the flags, reading a batch file into items (capped), the text, table and JSON output.
//! Must not touch: verification (that is `app::verify_bundle` and `verify`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::app::roots::RootChoice;
use crate::app::verify_bundle::{SignerSpec, VerificationResult, VerifyBundleRequest, VerifyItem};
use crate::app::{Failure, Hooks, Outcome, Request, Response};
use crate::cli::{say_lines, warn};
use crate::input::{self, BoundedLines};
use crate::limits;
use crate::present;

/// Arguments of `verify-bundle` (names follow the Sigstore conformance CLI protocol).
#[derive(Debug, clap::Args)]
pub struct VerifyBundleArgs {
    /// The Sigstore bundle (.sigstore.json).
    #[arg(long, required_unless_present = "batch")]
    pub bundle: Option<PathBuf>,
    /// Expected certificate identity (SAN URI, email or otherName), exact.
    #[arg(long, conflicts_with_all = ["certificate_identity_regexp", "key"])]
    pub certificate_identity: Option<String>,
    /// Expected certificate identity, as a regular expression (anchor it with ^…$).
    #[arg(long, conflicts_with = "key")]
    pub certificate_identity_regexp: Option<String>,
    /// Expected OIDC issuer, exact.
    #[arg(long, conflicts_with_all = ["certificate_oidc_issuer_regexp", "key"])]
    pub certificate_oidc_issuer: Option<String>,
    /// Expected OIDC issuer, as a regular expression.
    #[arg(long, conflicts_with = "key")]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// PEM public key of a managed-key signer (instead of an identity).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// A trusted_root.json to use instead of the installed trust root.
    #[arg(long)]
    pub trusted_root: Option<PathBuf>,
    /// Use the Sigstore staging instance's trusted root shipped with airlock (testing only;
    /// ignored when --trusted-root is given).
    #[arg(long)]
    pub staging: bool,
    /// Verify against this installed trust instance only (default: the instance whose Fulcio
    /// CA issued the leaf, else public-good).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["trusted_root", "staging"])]
    pub instance: Option<String>,
    /// Print one JSON result instead of text.
    #[arg(long)]
    pub json: bool,
    /// Verify every line of a JSONL file (fields: bundle, artifact | artifact_digest, identity |
    /// identity_regexp, issuer | issuer_regexp | key, trusted_root), on all cores; prints one
    /// JSON result a line.
    #[arg(long, conflicts_with_all = ["bundle", "artifact"])]
    pub batch: Option<PathBuf>,
    /// With --batch: print a table for people instead of JSON lines.
    #[arg(long, requires = "batch")]
    pub table: bool,
    /// Record the outcome (every outcome, with --batch) in the ledger.
    #[arg(long)]
    pub record: bool,
    /// The ledger's HMAC key, when kept outside the data dir (with --record).
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
    /// The artifact file, or its digest as sha256:<hex> (sha512:<hex> too).
    #[arg(required_unless_present = "batch")]
    pub artifact: Option<String>,
}

/// One line of a `--batch` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    bundle: PathBuf,
    artifact: Option<String>,
    /// `digest` is accepted as a synonym (the name sigstore-go's tooling uses).
    #[serde(alias = "digest")]
    artifact_digest: Option<String>,
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
    key: Option<PathBuf>,
    trusted_root: Option<PathBuf>,
    /// A label for tables (defaults to the bundle's folder name).
    name: Option<String>,
    /// What the operator expects: "verified" or "refused" (shown in tables, never used to decide).
    expect: Option<String>,
}

/// Reads a batch file (or standard input, `-`) into items; relative paths in it are relative
/// to its folder (to the current folder for standard input).
fn read_batch(batch: &Path) -> Result<(Vec<BatchLine>, Vec<VerifyItem>), String> {
    let stdin = batch == Path::new("-");
    let base = if stdin {
        PathBuf::from(".")
    } else {
        batch.parent().unwrap_or(Path::new(".")).to_path_buf()
    };
    let source: Box<dyn std::io::Read> = if stdin {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            input::open_regular(batch, "batch file")
                .map_err(|e| e.to_string())?
                .0,
        )
    };
    let reader = BoundedLines::new(
        std::io::BufReader::new(source),
        batch,
        limits::MAX_BATCH_LINE_BYTES,
        limits::MAX_BATCH_LINES,
    );
    let abs = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let mut lines = Vec::new();
    let mut items = Vec::new();
    for line in reader {
        let (n, line) = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let l: BatchLine = serde_json::from_str(&line)
            .map_err(|e| format!("{}:{n}: not a batch request: {e}", batch.display()))?;
        items.push(VerifyItem {
            bundle: abs(&l.bundle),
            artifact: match (&l.artifact, &l.artifact_digest) {
                (Some(a), _) => abs(Path::new(a)).display().to_string(),
                (None, Some(d)) => d.clone(),
                (None, None) => String::new(),
            },
            signer: SignerSpec {
                identity: l.identity.clone(),
                identity_regexp: l.identity_regexp.clone(),
                issuer: l.issuer.clone(),
                issuer_regexp: l.issuer_regexp.clone(),
                key: l.key.as_deref().map(abs),
            },
            trusted_root: l.trusted_root.as_deref().map(abs),
        });
        lines.push(l);
    }
    Ok((lines, items))
}

/// Runs `verify-bundle`; returns the exit code.
pub fn run(args: VerifyBundleArgs, data_dir: &Path) -> u8 {
    let roots = RootChoice {
        trusted_root: args.trusted_root.clone(),
        staging: args.staging,
        instance: args.instance.clone(),
    };
    let (lines, items) = match &args.batch {
        Some(batch) => match read_batch(batch) {
            Ok(b) => b,
            Err(why) => {
                warn(&format!("airlock: {why}"));
                return Outcome::Unusable.exit();
            }
        },
        None => {
            let (Some(bundle), Some(artifact)) = (args.bundle.clone(), args.artifact.clone())
            else {
                warn("airlock: verify-bundle needs --bundle and an artifact (or --batch)");
                return Outcome::Unusable.exit();
            };
            let signer = SignerSpec {
                identity: args.certificate_identity.clone(),
                identity_regexp: args.certificate_identity_regexp.clone(),
                issuer: args.certificate_oidc_issuer.clone(),
                issuer_regexp: args.certificate_oidc_issuer_regexp.clone(),
                key: args.key.clone(),
            };
            (
                Vec::new(),
                vec![VerifyItem {
                    bundle,
                    artifact,
                    signer,
                    trusted_root: None,
                }],
            )
        }
    };
    let req = Request::VerifyBundle(VerifyBundleRequest {
        items,
        roots,
        record: args.record,
        hmac_key_file: args.hmac_key_file.clone(),
    });
    let r = match crate::cli::execute(data_dir, req, &Hooks::default()) {
        Ok(Response::VerifyBundle(r)) => r,
        Ok(_) => return crate::cli::fail("verify-bundle", &crate::cli::unexpected(), args.json),
        Err(f) => return report_failure(&f),
    };
    if args.batch.is_some() {
        if args.table {
            let rows: Vec<present::verify::Row> = lines
                .iter()
                .map(|l| present::verify::Row {
                    name: l.name.clone().unwrap_or_else(|| {
                        l.bundle
                            .parent()
                            .and_then(|p| p.file_name())
                            .or_else(|| l.bundle.file_name())
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    }),
                    expect: l.expect.clone(),
                })
                .collect();
            say_lines(&present::verify::table(&rows, &r.results, &r.roots));
        } else {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for v in &r.results {
                if let Ok(line) = serde_json::to_string(v) {
                    let _ = writeln!(out, "{line}");
                }
            }
            let _ = out.flush();
        }
        return if r.results.iter().all(|v| v.outcome() == Outcome::Accepted) {
            Outcome::Accepted.exit()
        } else {
            Outcome::Rejected.exit()
        };
    }
    let Some(result) = r.results.first() else {
        return Outcome::Unusable.exit();
    };
    if args.json {
        if let Ok(line) = serde_json::to_string(result) {
            say_json(&line);
        }
    }
    match result {
        VerificationResult::Verified(v) => {
            if !args.json {
                say_lines(&present::verify::human(v));
            }
            Outcome::Accepted.exit()
        }
        VerificationResult::Refused(f) => {
            if f.exit == Outcome::Rejected.exit() {
                warn(&format!(
                    "airlock: REJECTED {}: {} [{}]",
                    f.bundle, f.message, f.reason
                ));
            } else {
                warn(&format!("airlock: {}", f.message));
            }
            f.exit
        }
    }
}

/// One JSON line on stdout, as is.
fn say_json(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// The request as a whole failed (the results could not be recorded).
fn report_failure(f: &Failure) -> u8 {
    warn(&format!(
        "airlock verify-bundle: [{}] {}",
        f.reason, f.message
    ));
    f.exit
}
