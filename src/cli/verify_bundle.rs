//! `airlock verify-bundle`: the Sigstore conformance CLI protocol, plus `--json` and `--batch`.
//!
//! Owns: reading the files named on the command line (with caps), choosing the trust root,
//! printing results. Must not touch: verification logic (that is `crate::verify`).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::bundle::{Bundle, Content, HashAlgorithm};
use crate::cli::{say_lines, warn, EXIT_OK, EXIT_REJECTED, EXIT_USAGE};
use crate::input::{self, BoundedLines, InputError};
use crate::limits;
use crate::policy::{IdentityPolicy, Matcher};
use crate::time::Timestamp;
use crate::trust::{RootInfo, TrustedRoot};
use crate::verify::crypto::{self, PublicKey};
use crate::verify::{self, Artifact, SignerPolicy, VerifiedBundle, VerifiedSigner, Verifier};

/// Files larger than this are hashed in streaming instead of being read into memory.
const IN_MEMORY_ARTIFACT_BYTES: u64 = 64 * 1024 * 1024;

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
    /// The artifact file, or its digest as sha256:<hex> (sha512:<hex> too).
    #[arg(required_unless_present = "batch")]
    pub artifact: Option<String>,
}

/// A failure that is the input's fault rather than the evidence's (exit 2), or a rejection.
#[derive(Debug)]
enum Failure {
    /// Unusable usage or input: exit 2.
    Usage { code: &'static str, message: String },
    /// The evidence was read and refused: exit 1.
    Rejected { code: &'static str, message: String },
}

impl Failure {
    fn usage(code: &'static str, message: impl Into<String>) -> Self {
        Failure::Usage {
            code,
            message: message.into(),
        }
    }

    fn exit(&self) -> u8 {
        match self {
            Failure::Usage { .. } => EXIT_USAGE,
            Failure::Rejected { .. } => EXIT_REJECTED,
        }
    }
}

/// The artifact as the verifier receives it.
enum ArtifactData {
    Bytes(Vec<u8>),
    Digest(HashAlgorithm, Vec<u8>),
}

impl ArtifactData {
    fn as_artifact(&self) -> Artifact<'_> {
        match self {
            ArtifactData::Bytes(b) => Artifact::Bytes(b),
            ArtifactData::Digest(a, d) => Artifact::Digest(*a, d),
        }
    }
}

/// Parses `sha256:<64 hex>` / `sha512:<128 hex>`. Conformance protocol: a digest only if it is
/// not an existing path.
fn parse_digest(s: &str) -> Option<(HashAlgorithm, Vec<u8>)> {
    if Path::new(s).exists() {
        return None;
    }
    let (alg, hex_part) = s.split_once(':')?;
    let alg = match alg {
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        _ => return None,
    };
    let d = hex::decode(hex_part).ok()?;
    (d.len() == alg.len()).then_some((alg, d))
}

fn load_artifact(spec: &str, bundle: &Bundle) -> Result<ArtifactData, Failure> {
    if let Some((alg, d)) = parse_digest(spec) {
        return Ok(ArtifactData::Digest(alg, d));
    }
    if spec.contains(':') && !Path::new(spec).exists() && spec.starts_with("sha") {
        return Err(Failure::usage(
            "artifact-unreadable",
            format!("{spec}: neither an existing file nor a valid sha256:/sha512: digest"),
        ));
    }
    let path = Path::new(spec);
    let unreadable = |e: InputError| Failure::usage("artifact-unreadable", e.to_string());
    let (f, len) = input::open_regular(path, "artifact").map_err(unreadable)?;
    if len <= IN_MEMORY_ARTIFACT_BYTES {
        drop(f);
        return input::read_capped(path, IN_MEMORY_ARTIFACT_BYTES, "artifact")
            .map(ArtifactData::Bytes)
            .map_err(unreadable);
    }
    // Large file: hash in streaming with the algorithm the bundle needs.
    let alg = match &bundle.content {
        Content::MessageSignature(ms) => ms
            .message_digest
            .as_ref()
            .map_or(HashAlgorithm::Sha256, |(a, _)| *a),
        Content::Dsse(_) => HashAlgorithm::Sha256,
    };
    let mut r = std::io::BufReader::with_capacity(1 << 20, f);
    let mut h = crypto::Hasher::new(alg);
    loop {
        let chunk = r.fill_buf().map_err(|e| {
            Failure::usage(
                "artifact-unreadable",
                format!("{}: cannot read artifact: {e}", path.display()),
            )
        })?;
        if chunk.is_empty() {
            break;
        }
        h.update(chunk);
        let n = chunk.len();
        r.consume(n);
    }
    Ok(ArtifactData::Digest(alg, h.finish()))
}

fn load_key(path: &Path) -> Result<PublicKey, Failure> {
    let bytes = input::read_capped(path, limits::MAX_KEY_FILE_BYTES, "key")
        .map_err(|e| Failure::usage("key-unusable", e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::usage(
            "key-unusable",
            format!("{}: key is not PEM text", path.display()),
        )
    })?;
    PublicKey::from_pem(&text).map_err(|e| {
        Failure::usage(
            "key-unusable",
            format!("{}: unusable key: {e}", path.display()),
        )
    })
}

/// A loaded trust root and what it is.
pub(crate) struct LoadedRoot {
    pub verifier: Verifier,
    pub info: RootInfo,
    /// Loading it installed public good's factory trust root (to record as a trust event).
    pub factory_installed: bool,
    /// The trust instance it is, for an installed root (`None` for a file or `--staging`).
    pub instance: Option<String>,
}

/// The trust roots a command may verify against: one (a file, `--staging`, `--instance`), or
/// every instance of the data dir, one picked per bundle.
pub(crate) struct Roots {
    pub list: Vec<LoadedRoot>,
}

impl Roots {
    fn one(r: LoadedRoot) -> Roots {
        Roots { list: vec![r] }
    }

    /// The root for `bundle`: the instance whose Fulcio CA issued its leaf, else the first
    /// (public good). Only a choice of root: the chain is then verified against it as always.
    pub(crate) fn pick(&self, bundle: &Bundle) -> Option<&LoadedRoot> {
        let i =
            crate::verify::cert::pick_root(bundle, self.list.iter().map(|r| r.verifier.root()))?;
        self.list.get(i)
    }
}

pub(crate) fn load_root_file(path: &Path) -> Result<LoadedRoot, (&'static str, String)> {
    let bytes = input::read_capped(path, limits::MAX_TRUSTED_ROOT_BYTES, "trusted root")
        .map_err(|e| ("trusted-root-unreadable", e.to_string()))?;
    let root = TrustedRoot::from_json(&bytes).map_err(|e| {
        (
            e.code(),
            format!("{}: unusable trusted root: {e}", path.display()),
        )
    })?;
    Ok(LoadedRoot {
        info: RootInfo::for_file(path, &bytes),
        verifier: Verifier::new(root),
        instance: None,
        factory_installed: false,
    })
}

/// The signer policy from the flags (identity + issuer, or key).
fn signer_policy(
    identity: Option<&str>,
    identity_re: Option<&str>,
    issuer: Option<&str>,
    issuer_re: Option<&str>,
    key: Option<&Path>,
) -> Result<SignerPolicy, Failure> {
    if let Some(k) = key {
        return Ok(SignerPolicy::Key(load_key(k)?));
    }
    let bad = |e: crate::policy::PolicyError| Failure::usage(e.code(), e.to_string());
    let identity = match (identity, identity_re) {
        (Some(i), None) => Matcher::exact(i),
        (None, Some(r)) => Matcher::regex(r).map_err(bad)?,
        _ => {
            return Err(Failure::usage(
                "usage",
                "give --certificate-identity or --certificate-identity-regexp (or --key)",
            ))
        }
    };
    let issuer = match (issuer, issuer_re) {
        (Some(i), None) => Matcher::exact(i),
        (None, Some(r)) => Matcher::regex(r).map_err(bad)?,
        _ => {
            return Err(Failure::usage(
                "usage",
                "give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (or --key)",
            ))
        }
    };
    Ok(SignerPolicy::Identity(IdentityPolicy { identity, issuer }))
}

/// One verification request, from flags or from a batch line.
struct Request<'a> {
    bundle: &'a Path,
    artifact: &'a str,
    policy: SignerPolicy,
    roots: &'a Roots,
}

/// Verifies one request; with the root it picked (none when the bundle could not be read).
fn run_one<'a>(
    req: &Request<'a>,
    now: Timestamp,
) -> (Option<&'a LoadedRoot>, Result<VerifiedBundle, Failure>) {
    let bundle = match read_bundle(req.bundle) {
        Ok(b) => b,
        Err(f) => return (None, Err(f)),
    };
    let Some(root) = req.roots.pick(&bundle) else {
        return (
            None,
            Err(Failure::usage(
                "trust-root-unavailable",
                "no trust root loaded",
            )),
        );
    };
    let r = load_artifact(req.artifact, &bundle).and_then(|artifact| {
        root.verifier
            .verify(&bundle, artifact.as_artifact(), &req.policy, now)
            .map_err(|e| Failure::Rejected {
                code: e.code(),
                message: e.to_string(),
            })
    });
    (Some(root), r)
}

fn read_bundle(path: &Path) -> Result<Bundle, Failure> {
    // An oversized bundle is refused evidence, like one nested too deep: the same code and exit
    // whether the file cap or the parser's cap caught it.
    let bytes = input::read_capped(path, limits::MAX_BUNDLE_BYTES, "bundle").map_err(|e| {
        if e.is_too_large() {
            Failure::Rejected {
                code: "bundle-too-large",
                message: e.to_string(),
            }
        } else {
            Failure::usage("bundle-unreadable", e.to_string())
        }
    })?;
    Bundle::from_json(&bytes).map_err(|e| Failure::Rejected {
        code: e.code(),
        message: e.to_string(),
    })
}

/// The trust root named in a result (camelCase like the rest of the result).
fn root_json(l: &LoadedRoot) -> serde_json::Value {
    let r = &l.info;
    json!({
        "instance": l.instance,
        "digest": r.digest,
        "tufVerified": r.tuf_verified,
        "tufRootVersion": r.tuf_root_version,
        "source": r.source,
        "acceptedAt": r.accepted_at,
        "expires": r.expires,
        "stale": r.stale,
        "acceptedWithAt": r.at_override,
    })
}

/// The JSON result, modelled on sigstore-go's VerificationResult.
fn result_json(
    bundle: &Path,
    artifact: &str,
    root: Option<&LoadedRoot>,
    r: &Result<VerifiedBundle, Failure>,
) -> serde_json::Value {
    match r {
        Ok(v) => {
            let (signature, identity) = match &v.signer {
                VerifiedSigner::Certificate {
                    certificate,
                    identity,
                    ca,
                    verified_scts,
                } => (
                    json!({"certificate": certificate, "issuingCa": ca, "verifiedScts": verified_scts}),
                    json!(identity),
                ),
                VerifiedSigner::Key { key_id } => {
                    (json!({"publicKey": {"sha256": key_id}}), json!(null))
                }
            };
            let times: Vec<serde_json::Value> = v
                .verified_times
                .iter()
                .map(|t| {
                    let kind = match t.source {
                        verify::TimeSource::TransparencyLog => "Tlog",
                        verify::TimeSource::TimestampAuthority => "TimestampAuthority",
                    };
                    json!({"type": kind, "uri": t.uri, "timestamp": t.time})
                })
                .collect();
            json!({
                "mediaType": "application/vnd.dev.sigstore.verificationresult+json;version=0.1",
                "verified": true,
                "bundle": bundle.display().to_string(),
                "bundleMediaType": v.media_type,
                "artifact": artifact,
                "artifactDigest": {"algorithm": v.artifact_digest.0.name(), "digest": v.artifact_digest.1},
                "statement": v.statement,
                "signature": signature,
                "verifiedTimestamps": times,
                "verifiedIdentity": identity,
                "transparencyLogEntries": v.tlog_entries,
                "transparencyLog": v.transparency_log,
                "certificateTransparency": v.certificate_transparency,
                "ignoredTimestamps": v.ignored_timestamps,
                "trustRoot": root.map(root_json),
            })
        }
        Err(Failure::Rejected { code, message } | Failure::Usage { code, message }) => json!({
            "verified": false,
            "bundle": bundle.display().to_string(),
            "artifact": artifact,
            "reason": code,
            "message": message,
            "trustRoot": root.map(root_json),
        }),
    }
}

fn print_human(bundle: &Path, artifact: &str, root: &LoadedRoot, v: &VerifiedBundle) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let content = if v.statement.is_some() {
        "DSSE attestation"
    } else {
        "message signature"
    };
    let _ = writeln!(out, "VERIFIED  {artifact}");
    let _ = writeln!(
        out,
        "  bundle      {} (v{}, {content})",
        bundle.display(),
        v.bundle_version.as_str()
    );
    match &v.signer {
        VerifiedSigner::Certificate {
            identity,
            ca,
            verified_scts,
            ..
        } => {
            let _ = writeln!(out, "  signed by   {}", identity.subject_alternative_name);
            let _ = writeln!(out, "  issuer      {}", identity.issuer);
            let _ = writeln!(
                out,
                "  certificate issued by {ca}, {verified_scts} SCT(s) verified"
            );
        }
        VerifiedSigner::Key { key_id } => {
            let _ = writeln!(out, "  signed by   managed key sha256:{key_id}");
        }
    }
    if let Some(st) = &v.statement {
        let _ = writeln!(out, "  predicate   {}", st.predicate_type);
    }
    for t in &v.verified_times {
        let src = match t.source {
            verify::TimeSource::TransparencyLog => "transparency log",
            verify::TimeSource::TimestampAuthority => "timestamp authority",
        };
        let _ = writeln!(out, "  signed at   {} ({src} {})", t.time, t.uri);
    }
    for e in &v.tlog_entries {
        let _ = writeln!(
            out,
            "  logged      {} index {} ({} {})",
            e.log_base_url, e.log_index, e.kind, e.version
        );
    }
    let _ = writeln!(out, "  trust root  {}", describe_root(root));
    say_lines(&out);
}

/// One line naming a trust root for operators.
pub(crate) fn describe_root(l: &LoadedRoot) -> String {
    let r = &l.info;
    let short = r.digest.get(..12).unwrap_or(&r.digest);
    let mut s = match &l.instance {
        Some(i) => format!("instance {i}: sha256:{short} from {}", r.source),
        None => format!("sha256:{short} from {}", r.source),
    };
    if r.tuf_verified {
        if let Some(v) = r.tuf_root_version {
            s.push_str(&format!(", TUF root v{v}"));
        }
    } else {
        s.push_str(", not TUF-verified");
    }
    if r.stale {
        s.push_str(", STALE (TUF metadata expired; refresh from USB)");
    }
    s
}

/// The staging instance's shipped trusted root.
fn staging_root() -> Result<LoadedRoot, (&'static str, String)> {
    use crate::trust::factory::{STAGING_SOURCE, STAGING_TRUSTED_ROOT};
    let root = TrustedRoot::from_json(STAGING_TRUSTED_ROOT)
        .map_err(|e| (e.code(), format!("shipped staging trusted root: {e}")))?;
    let mut info = RootInfo::for_file(Path::new(""), STAGING_TRUSTED_ROOT);
    info.source = STAGING_SOURCE.to_string();
    Ok(LoadedRoot {
        verifier: Verifier::new(root),
        info,
        instance: None,
        factory_installed: false,
    })
}

/// The trust roots an operator's command uses: `--trusted-root FILE`, or the installed
/// instance named, or every installed instance.
pub(crate) fn resolve_root_for(
    file: Option<&Path>,
    instance: Option<&str>,
    data_dir: &Path,
    now: Timestamp,
) -> Result<Roots, (&'static str, String)> {
    resolve_root(file, false, instance, data_dir, now)
}

fn installed_root(
    data_dir: &Path,
    instance: &str,
    now: Timestamp,
) -> Result<LoadedRoot, (&'static str, String)> {
    let active = crate::trust::active_root_in(data_dir, instance, now)
        .map_err(|e| (e.code(), format!("trust root: {e}")))?;
    Ok(LoadedRoot {
        verifier: Verifier::new(active.root),
        info: active.info,
        factory_installed: active.factory_installed,
        instance: Some(instance.to_string()),
    })
}

fn resolve_root(
    args_root: Option<&Path>,
    staging: bool,
    instance: Option<&str>,
    data_dir: &Path,
    now: Timestamp,
) -> Result<Roots, (&'static str, String)> {
    match (args_root, instance) {
        (Some(p), _) => load_root_file(p).map(Roots::one),
        (None, _) if staging => staging_root().map(Roots::one),
        (None, Some(i)) => installed_root(data_dir, i, now).map(Roots::one),
        (None, None) => {
            let mut list = Vec::new();
            for name in crate::trust::instances(data_dir) {
                list.push(installed_root(data_dir, &name, now)?);
            }
            Ok(Roots { list })
        }
    }
}

/// Runs `verify-bundle`; returns the exit code.
pub fn run(args: VerifyBundleArgs, data_dir: &Path, now: Timestamp) -> u8 {
    if let Some(batch) = &args.batch {
        return run_batch(&BatchOptions {
            batch,
            default_root: args.trusted_root.as_deref(),
            instance: args.instance.as_deref(),
            staging: args.staging,
            data_dir,
            now,
            table: args.table,
            record: args.record,
        });
    }
    let (Some(bundle), Some(artifact)) = (args.bundle.as_deref(), args.artifact.as_deref()) else {
        warn("airlock: verify-bundle needs --bundle and an artifact (or --batch)");
        return EXIT_USAGE;
    };
    let fail_usage = |code: &'static str, msg: String| {
        if args.json {
            let f = Failure::usage(code, msg.clone());
            {
                use std::io::Write;
                let _ = writeln!(
                    crate::cli::stdout(),
                    "{}",
                    result_json(bundle, artifact, None, &Err(f))
                );
            }
        }
        warn(&format!("airlock: {msg}"));
        EXIT_USAGE
    };
    let roots = match resolve_root(
        args.trusted_root.as_deref(),
        args.staging,
        args.instance.as_deref(),
        data_dir,
        now,
    ) {
        Ok(r) => r,
        Err((code, msg)) => return fail_usage(code, msg),
    };
    let policy = match signer_policy(
        args.certificate_identity.as_deref(),
        args.certificate_identity_regexp.as_deref(),
        args.certificate_oidc_issuer.as_deref(),
        args.certificate_oidc_issuer_regexp.as_deref(),
        args.key.as_deref(),
    ) {
        Ok(p) => p,
        Err(Failure::Usage { code, message }) => return fail_usage(code, message),
        Err(f) => return f.exit(),
    };
    let req = Request {
        bundle,
        artifact,
        policy,
        roots: &roots,
    };
    let (picked, r) = run_one(&req, now);
    let root = picked.or(roots.list.first());
    let result = result_json(bundle, artifact, root, &r);
    if args.record {
        let events = super::trust::factory_install_records(&roots.list);
        if let Err(code) = record(data_dir, events, &[&result], now) {
            return code;
        }
    }
    if args.json {
        {
            use std::io::Write;
            let _ = writeln!(crate::cli::stdout(), "{result}");
        }
    }
    match (&r, root) {
        (Ok(v), Some(root)) => {
            if !args.json {
                print_human(bundle, artifact, root, v);
            }
            EXIT_OK
        }
        (Ok(_), None) => EXIT_USAGE,
        (Err(f), _) => {
            match f {
                Failure::Usage { message, .. } => warn(&format!("airlock: {message}")),
                Failure::Rejected { code, message } => warn(&format!(
                    "airlock: REJECTED {}: {message} [{code}]",
                    bundle.display()
                )),
            }
            f.exit()
        }
    }
}

/// Records verification results (their JSON, as printed) in the ledger, in one transaction.
fn record(
    data_dir: &Path,
    events: Vec<crate::store::RecordInput>,
    results: &[&serde_json::Value],
    now: Timestamp,
) -> Result<(), u8> {
    use crate::store::record_types::{ArtifactRef, DecidedUnder, LogRef, TarballRef};
    let str_of = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let mut inputs = events;
    let decided: Vec<crate::store::RecordInput> = results
        .iter()
        .map(|v| {
            let digest = match (
                v["artifactDigest"]["algorithm"].as_str(),
                v["artifactDigest"]["digest"].as_str(),
            ) {
                (Some(a), Some(d)) => format!("{a}:{d}"),
                _ => str_of(&v["artifact"])
                    .filter(|a| a.starts_with("sha"))
                    .unwrap_or_default(),
            };
            let root = &v["trustRoot"];
            crate::store::RecordInput {
                kind: "verify-bundle".into(),
                tarball: Some(TarballRef {
                    name: str_of(&v["bundle"]).unwrap_or_default(),
                    ..Default::default()
                }),
                artifact: Some(ArtifactRef {
                    name: str_of(&v["artifact"]).unwrap_or_default(),
                    digest,
                    kind: "blob".into(),
                    ..Default::default()
                }),
                verdict: if v["verified"] == true {
                    "accepted"
                } else {
                    "rejected"
                }
                .into(),
                reason: str_of(&v["reason"]),
                message: str_of(&v["message"]),
                identity: str_of(&v["verifiedIdentity"]["subjectAlternativeName"]).or_else(|| {
                    str_of(&v["signature"]["publicKey"]["sha256"]).map(|k| format!("sha256:{k}"))
                }),
                issuer: str_of(&v["verifiedIdentity"]["issuer"]).filter(|i| !i.is_empty()),
                tlog_entries: v["transparencyLogEntries"]
                    .as_array()
                    .map(|es| {
                        es.iter()
                            .filter_map(|e| {
                                Some(LogRef {
                                    log_id: str_of(&e["logId"])?,
                                    log_index: e["logIndex"].as_u64()?,
                                    integrated_time: e["integratedTime"]
                                        .as_str()
                                        .and_then(|t| t.parse().ok()),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                decided_under: DecidedUnder {
                    trust_root_digest: str_of(&root["digest"])
                        .map(|d| format!("sha256:{d}"))
                        .unwrap_or_default(),
                    trust_root_instance: str_of(&root["instance"]),
                    tuf_root_version: root["tufRootVersion"].as_u64(),
                    trust_root_stale: root["stale"] == true,
                    policy_digest: None,
                },
                airlock_version: env!("CARGO_PKG_VERSION").into(),
                evidence: (*v).clone(),
                ..Default::default()
            }
        })
        .collect();
    inputs.extend(decided);
    crate::store::Ledger::open(data_dir, None)
        .and_then(|l| l.append(&inputs, now))
        .map(|_| ())
        .map_err(|e| {
            warn(&format!(
                "airlock verify-bundle: [{}] cannot record: {e}",
                e.code()
            ));
            EXIT_USAGE
        })
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

/// What `--batch` runs with.
struct BatchOptions<'a> {
    batch: &'a Path,
    default_root: Option<&'a Path>,
    instance: Option<&'a str>,
    staging: bool,
    data_dir: &'a Path,
    now: Timestamp,
    table: bool,
    record: bool,
}

fn run_batch(o: &BatchOptions<'_>) -> u8 {
    let (batch, now) = (o.batch, o.now);
    // `--batch -` reads standard input; relative paths in it are then relative to the current
    // folder.
    let stdin = batch == Path::new("-");
    let base = if stdin {
        PathBuf::from(".")
    } else {
        batch.parent().unwrap_or(Path::new(".")).to_path_buf()
    };
    let source: Box<dyn std::io::Read> = if stdin {
        Box::new(std::io::stdin())
    } else {
        match input::open_regular(batch, "batch file") {
            Ok((f, _)) => Box::new(f),
            Err(e) => {
                warn(&format!("airlock: {e}"));
                return EXIT_USAGE;
            }
        }
    };
    let mut lines = Vec::new();
    let reader = BoundedLines::new(
        std::io::BufReader::new(source),
        batch,
        limits::MAX_BATCH_LINE_BYTES,
        limits::MAX_BATCH_LINES,
    );
    for line in reader {
        let (n, line) = match line {
            Ok(l) => l,
            Err(e) => {
                warn(&format!("airlock: {e}"));
                return EXIT_USAGE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<BatchLine>(&line) {
            Ok(l) => lines.push(l),
            Err(e) => {
                warn(&format!(
                    "airlock: {}:{n}: not a batch request: {e}",
                    batch.display()
                ));
                return EXIT_USAGE;
            }
        }
    }
    let abs = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };

    // Load each distinct trust root once.
    type RootResult = Result<Arc<Roots>, (&'static str, String)>;
    let mut roots: HashMap<Option<PathBuf>, RootResult> = HashMap::new();
    for l in &lines {
        let key = l.trusted_root.as_deref().map(abs);
        roots.entry(key.clone()).or_insert_with(|| {
            resolve_root(
                key.as_deref().or(o.default_root),
                o.staging,
                o.instance,
                o.data_dir,
                now,
            )
            .map(Arc::new)
        });
    }

    let results: Vec<(serde_json::Value, Result<VerifiedBundle, Failure>)> = lines
        .par_iter()
        .map(|l| {
            let bundle = abs(&l.bundle);
            let artifact = match (&l.artifact, &l.artifact_digest) {
                (Some(a), _) => abs(Path::new(a)).display().to_string(),
                (None, Some(d)) => d.clone(),
                (None, None) => String::new(),
            };
            let set = roots.get(&l.trusted_root.as_deref().map(abs));
            let mut picked = None;
            let r = match set {
                Some(Ok(set)) => signer_policy(
                    l.identity.as_deref(),
                    l.identity_regexp.as_deref(),
                    l.issuer.as_deref(),
                    l.issuer_regexp.as_deref(),
                    l.key.as_deref().map(abs).as_deref(),
                )
                .and_then(|policy| {
                    let (p, r) = run_one(
                        &Request {
                            bundle: &bundle,
                            artifact: &artifact,
                            policy,
                            roots: set,
                        },
                        now,
                    );
                    picked = p.or(set.list.first());
                    r
                }),
                Some(Err((code, m))) => Err(Failure::usage(code, m.clone())),
                None => Err(Failure::usage(
                    "trust-root-unavailable",
                    "trust root not loaded",
                )),
            };
            (result_json(&bundle, &artifact, picked, &r), r)
        })
        .collect();
    let all_ok = results.iter().all(|(_, r)| r.is_ok());
    if o.record {
        let values: Vec<&serde_json::Value> = results.iter().map(|(v, _)| v).collect();
        let events = super::trust::factory_install_records(
            roots
                .values()
                .filter_map(|r| r.as_ref().ok())
                .flat_map(|r| r.list.iter()),
        );
        if let Err(code) = record(o.data_dir, events, &values, now) {
            return code;
        }
    }
    if o.table {
        let roots_used: Vec<&LoadedRoot> = roots
            .values()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(|r| r.list.iter())
            .collect();
        print_table(&lines, &results, &roots_used);
    } else {
        let mut out = std::io::BufWriter::new(crate::cli::stdout());
        for (v, _) in &results {
            let _ = writeln!(out, "{v}");
        }
        let _ = out.flush();
    }
    if all_ok {
        EXIT_OK
    } else {
        EXIT_REJECTED
    }
}

/// Plain words for a reason code, for operators who have never seen Sigstore.
pub(crate) fn explain(code: &str) -> &'static str {
    match code {
        "signature-invalid" | "dsse-signature-invalid" => {
            "the signature does not match the file and the signer's key"
        }
        "message-digest-mismatch" | "artifact-not-in-statement" => {
            "the file is not the one that was signed"
        }
        "set-invalid" => "the transparency log's signed promise is forged or damaged",
        "inclusion-proof-invalid" => "the proof that the signature is in the public log is wrong",
        "checkpoint-mismatch"
        | "checkpoint-no-valid-signature"
        | "checkpoint-malformed"
        | "checkpoint-missing" => {
            "the public log's signed checkpoint does not vouch for this entry"
        }
        "tlog-unknown-log" => "logged in a transparency log this site does not trust",
        "tlog-entry-mismatch" => "the public log entry is about something else",
        "certificate-untrusted" => {
            "the signing certificate was not issued by a trusted Sigstore CA"
        }
        "certificate-chain-contains-root" => "the bundle tries to supply its own root certificate",
        "certificate-not-valid-at-signing-time" | "certificate-outside-ca-validity" => {
            "signed when the signing certificate was not valid"
        }
        "identity-mismatch" => "signed by someone other than the expected publisher",
        "issuer-mismatch" => "the signer's identity comes from an unexpected login provider",
        "sct-unknown-log" | "sct-invalid" | "sct-missing" => {
            "the certificate was not publicly logged by a trusted CT log"
        }
        "no-verified-time" => "no trustworthy signing time (log promise or timestamp)",
        "key-required" | "key-unusable" => "signed with a managed key; the right key is needed",
        c if c.starts_with("timestamp-") => "the signed timestamp cannot be trusted",
        c if c.starts_with("bundle-") => "the bundle file is malformed",
        c if c.starts_with("trusted-root") || c.starts_with("trust-root") => {
            "the trust root is unusable"
        }
        _ => "verification failed",
    }
}

fn short_time(t: &Timestamp) -> String {
    let s = t.to_string();
    s.get(..10).unwrap_or(&s).to_string()
}

fn print_table(
    lines: &[BatchLine],
    results: &[(serde_json::Value, Result<VerifiedBundle, Failure>)],
    roots: &[&LoadedRoot],
) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let names: Vec<String> = lines
        .iter()
        .map(|l| {
            l.name.clone().unwrap_or_else(|| {
                l.bundle
                    .parent()
                    .and_then(|p| p.file_name())
                    .or_else(|| l.bundle.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
        })
        .map(|n| crate::text::escape(&n))
        .collect();
    let w = names.iter().map(String::len).max().unwrap_or(8).max(8);
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<w$}  {:<8}  DETAILS", "BUNDLE", "RESULT");
    let _ = writeln!(out, "{}", "-".repeat(w + 60));
    let (mut ok, mut refused, mut surprises) = (0, 0, 0);
    for ((name, line), (_, r)) in names.iter().zip(lines).zip(results) {
        let verdict = if r.is_ok() { "verified" } else { "refused" };
        let surprise = line.expect.as_deref().is_some_and(|e| e != verdict);
        surprises += usize::from(surprise);
        let mark = if surprise {
            "  <-- NOT AS EXPECTED"
        } else {
            ""
        };
        match r {
            Ok(v) => {
                ok += 1;
                let (who, how) = match &v.signer {
                    VerifiedSigner::Certificate { identity, .. } => (
                        identity.subject_alternative_name.clone(),
                        format!("login via {}, ", identity.issuer),
                    ),
                    VerifiedSigner::Key { key_id } => (
                        format!("managed key sha256:{}", key_id.get(..16).unwrap_or(key_id)),
                        String::new(),
                    ),
                };
                let when = v
                    .verified_times
                    .first()
                    .map(|t| short_time(&t.time))
                    .unwrap_or_default();
                let what = if v.statement.is_some() {
                    "attestation"
                } else {
                    "signature"
                };
                let _ = writeln!(out, "{name:<w$}  VERIFIED  {what} by {who}{mark}");
                let _ = writeln!(
                    out,
                    "{:<w$}            {how}signed {when}, {} transparency-log entr{} verified",
                    "",
                    v.tlog_entries.len(),
                    if v.tlog_entries.len() == 1 {
                        "y"
                    } else {
                        "ies"
                    }
                );
            }
            Err(f) => {
                refused += 1;
                let (Failure::Rejected { code, message } | Failure::Usage { code, message }) = f;
                let _ = writeln!(out, "{name:<w$}  REFUSED   {}{mark}", explain(code));
                let _ = writeln!(out, "{:<w$}            [{code}] {message}", "");
            }
        }
    }
    let _ = writeln!(out, "{}", "-".repeat(w + 60));
    let _ = writeln!(out, "{ok} verified, {refused} refused");
    if surprises > 0 {
        let _ = writeln!(
            out,
            "{surprises} result(s) differ from what the list expected"
        );
    }
    for r in roots {
        let _ = writeln!(out, "trust root: {}", describe_root(r));
    }
    say_lines(&out);
}
