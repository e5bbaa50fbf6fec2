//! `verify-bundle`: Sigstore bundles verified offline, one or a batch, each result typed in
//! sigstore-go's `VerificationResult` shape and, with `record`, recorded from that type.
//!
//! Owns: [`VerifyBundleRequest`], [`VerificationResult`], reading the files a request names
//! (with caps), the signer policy from its flags. Must not touch: verification logic (that is
//! `verify`), the terminal.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::roots::{self, LoadedRoot, RootChoice, RootView, Roots};
use super::{App, Failure, Outcome, VERSION};
use crate::bundle::dsse::Statement;
use crate::bundle::{Bundle, Content, HashAlgorithm};
use crate::crypto::{self, PublicKey};
use crate::input::{self, InputError};
use crate::limits;
use crate::policy::{IdentityPolicy, Matcher, VerifiedIdentity};
use crate::store::record_types::{ArtifactRef, LogRef, TarballRef};
use crate::store::{RecordInput, RecordKind, Verdict};
use crate::time::Timestamp;
use crate::verify::cert::CertificateSummary;
use crate::verify::tlog::VerifiedEntry;
use crate::verify::{Artifact, SignerPolicy, TimeSource, VerifiedBundle, VerifiedSigner};

/// Files larger than this are hashed in streaming instead of being read into memory.
const IN_MEMORY_ARTIFACT_BYTES: u64 = 64 * 1024 * 1024;

/// Who must have signed: an identity and issuer (exact or regular expressions), or a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_regexp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_regexp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

/// One bundle to verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyItem {
    pub bundle: PathBuf,
    /// The artifact file, or its digest (`sha256:<hex>`, `sha512:<hex>`).
    pub artifact: String,
    pub signer: SignerSpec,
    /// This item's own trusted root (a batch line's `trusted_root`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root: Option<PathBuf>,
}

/// `airlock verify-bundle`: one bundle, or a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyBundleRequest {
    pub items: Vec<VerifyItem>,
    /// The roots of every item without its own.
    #[serde(default)]
    pub roots: RootChoice,
    /// Record every outcome in the ledger.
    #[serde(default)]
    pub record: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// The results, in the order asked, and every root used.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyBundleResponse {
    pub results: Vec<VerificationResult>,
    pub roots: Vec<RootView>,
}

/// The digest a signature covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactDigest {
    pub algorithm: String,
    pub digest: String,
}

/// A managed key, by the SHA-256 of its SubjectPublicKeyInfo (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    pub sha256: String,
}

/// What signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, rename_all = "camelCase")]
pub enum SignatureView {
    #[serde(rename_all = "camelCase")]
    Certificate {
        certificate: Box<CertificateSummary>,
        issuing_ca: String,
        verified_scts: usize,
    },
    #[serde(rename_all = "camelCase")]
    Key { public_key: KeyRef },
}

/// A verified time, as sigstore-go names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimestampView {
    /// `Tlog` or `TimestampAuthority`.
    #[serde(rename = "type")]
    pub kind: String,
    pub uri: String,
    pub timestamp: Timestamp,
}

/// A bundle that verified (sigstore-go's `VerificationResult`, with airlock's trust root).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub media_type: String,
    pub verified: bool,
    pub bundle: String,
    pub bundle_media_type: String,
    pub artifact: String,
    pub artifact_digest: ArtifactDigest,
    pub statement: Option<Statement>,
    pub signature: SignatureView,
    pub verified_timestamps: Vec<TimestampView>,
    pub verified_identity: Option<VerifiedIdentity>,
    pub transparency_log_entries: Vec<VerifiedEntry>,
    pub transparency_log: Option<String>,
    pub certificate_transparency: Option<String>,
    pub ignored_timestamps: Vec<String>,
    pub trust_root: Option<RootView>,
}

/// A bundle that did not verify, or could not be read (the one failure shape, with the
/// request's bundle and artifact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refused {
    pub verified: bool,
    pub bundle: String,
    pub artifact: String,
    pub reason: String,
    pub message: String,
    /// 1 refused evidence, 2 unusable input.
    pub exit: u8,
    pub trust_root: Option<RootView>,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VerificationResult {
    Verified(Box<Verified>),
    Refused(Box<Refused>),
}

/// The media type of a verification result.
pub const RESULT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.verificationresult+json;version=0.1";

impl VerificationResult {
    pub fn outcome(&self) -> Outcome {
        match self {
            VerificationResult::Verified(_) => Outcome::Accepted,
            VerificationResult::Refused(r) => Outcome::of_exit(r.exit),
        }
    }

    pub fn trust_root(&self) -> Option<&RootView> {
        match self {
            VerificationResult::Verified(v) => v.trust_root.as_ref(),
            VerificationResult::Refused(r) => r.trust_root.as_ref(),
        }
    }

    fn of(
        bundle: &Path,
        artifact: &str,
        root: Option<&LoadedRoot>,
        r: Result<VerifiedBundle, Failure>,
    ) -> VerificationResult {
        let trust_root = root.map(LoadedRoot::view);
        let bundle = bundle.display().to_string();
        let artifact = artifact.to_string();
        match r {
            Ok(v) => {
                let (signature, verified_identity) = match v.signer {
                    VerifiedSigner::Certificate {
                        certificate,
                        identity,
                        ca,
                        verified_scts,
                    } => (
                        SignatureView::Certificate {
                            certificate,
                            issuing_ca: ca,
                            verified_scts,
                        },
                        Some(identity),
                    ),
                    VerifiedSigner::Key { key_id } => (
                        SignatureView::Key {
                            public_key: KeyRef { sha256: key_id },
                        },
                        None,
                    ),
                };
                VerificationResult::Verified(Box::new(Verified {
                    media_type: RESULT_MEDIA_TYPE.into(),
                    verified: true,
                    bundle,
                    bundle_media_type: v.media_type,
                    artifact,
                    artifact_digest: ArtifactDigest {
                        algorithm: v.artifact_digest.0.name().into(),
                        digest: v.artifact_digest.1,
                    },
                    statement: v.statement,
                    signature,
                    verified_timestamps: v
                        .verified_times
                        .into_iter()
                        .map(|t| TimestampView {
                            kind: match t.source {
                                TimeSource::TransparencyLog => "Tlog",
                                TimeSource::TimestampAuthority => "TimestampAuthority",
                            }
                            .into(),
                            uri: t.uri,
                            timestamp: t.time,
                        })
                        .collect(),
                    verified_identity,
                    transparency_log_entries: v.tlog_entries,
                    transparency_log: v.transparency_log.map(str::to_string),
                    certificate_transparency: v.certificate_transparency.map(str::to_string),
                    ignored_timestamps: v.ignored_timestamps,
                    trust_root,
                }))
            }
            Err(f) => VerificationResult::Refused(Box::new(Refused {
                verified: false,
                bundle,
                artifact,
                reason: f.reason,
                message: f.message,
                exit: f.exit,
                trust_root,
            })),
        }
    }

    /// Its ledger record, built from the typed result.
    fn record(&self) -> RecordInput {
        let base = RecordInput {
            kind: RecordKind::VerifyBundle,
            airlock_version: VERSION.into(),
            evidence: serde_json::to_value(self).unwrap_or_default(),
            ..Default::default()
        };
        match self {
            VerificationResult::Verified(v) => RecordInput {
                tarball: Some(TarballRef {
                    name: v.bundle.clone(),
                    ..Default::default()
                }),
                artifact: Some(ArtifactRef {
                    name: v.artifact.clone(),
                    digest: format!(
                        "{}:{}",
                        v.artifact_digest.algorithm, v.artifact_digest.digest
                    ),
                    kind: "blob".into(),
                    ..Default::default()
                }),
                verdict: Verdict::Accepted,
                identity: match (&v.verified_identity, &v.signature) {
                    (Some(i), _) => Some(i.subject_alternative_name.clone()),
                    (None, SignatureView::Key { public_key }) => {
                        Some(format!("sha256:{}", public_key.sha256))
                    }
                    (None, _) => None,
                },
                issuer: v
                    .verified_identity
                    .as_ref()
                    .map(|i| i.issuer.clone())
                    .filter(|i| !i.is_empty()),
                tlog_entries: v
                    .transparency_log_entries
                    .iter()
                    .map(|e| LogRef {
                        log_id: e.log_id.clone(),
                        log_index: e.log_index,
                        integrated_time: e.integrated_time,
                    })
                    .collect(),
                decided_under: v
                    .trust_root
                    .as_ref()
                    .map(RootView::decided_under)
                    .unwrap_or_default(),
                ..base
            },
            VerificationResult::Refused(r) => RecordInput {
                tarball: Some(TarballRef {
                    name: r.bundle.clone(),
                    ..Default::default()
                }),
                artifact: Some(ArtifactRef {
                    name: r.artifact.clone(),
                    digest: if r.artifact.starts_with("sha") && r.artifact.contains(':') {
                        r.artifact.clone()
                    } else {
                        String::new()
                    },
                    kind: "blob".into(),
                    ..Default::default()
                }),
                verdict: Verdict::Rejected,
                reason: Some(r.reason.clone()),
                message: Some(r.message.clone()),
                decided_under: r
                    .trust_root
                    .as_ref()
                    .map(RootView::decided_under)
                    .unwrap_or_default(),
                ..base
            },
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
        return Err(Failure::unusable(
            "artifact-unreadable",
            format!("{spec}: neither an existing file nor a valid sha256:/sha512: digest"),
        ));
    }
    let path = Path::new(spec);
    let unreadable = |e: InputError| Failure::unusable("artifact-unreadable", e.to_string());
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
            Failure::unusable(
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
        .map_err(|e| Failure::unusable("key-unusable", e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::unusable(
            "key-unusable",
            format!("{}: key is not PEM text", path.display()),
        )
    })?;
    PublicKey::from_pem(&text).map_err(|e| {
        Failure::unusable(
            "key-unusable",
            format!("{}: unusable key: {e}", path.display()),
        )
    })
}

/// The signer policy of a request (identity + issuer, or key).
fn signer_policy(s: &SignerSpec) -> Result<SignerPolicy, Failure> {
    if let Some(k) = &s.key {
        return Ok(SignerPolicy::Key(load_key(k)?));
    }
    let bad = |e: crate::policy::PolicyError| Failure::unusable(e.code(), e.to_string());
    let identity = match (&s.identity, &s.identity_regexp) {
        (Some(i), None) => Matcher::exact(i),
        (None, Some(r)) => Matcher::regex(r).map_err(bad)?,
        _ => {
            return Err(Failure::unusable(
                "usage",
                "give --certificate-identity or --certificate-identity-regexp (or --key)",
            ))
        }
    };
    let issuer = match (&s.issuer, &s.issuer_regexp) {
        (Some(i), None) => Matcher::exact(i),
        (None, Some(r)) => Matcher::regex(r).map_err(bad)?,
        _ => {
            return Err(Failure::unusable(
                "usage",
                "give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (or --key)",
            ))
        }
    };
    Ok(SignerPolicy::Identity(IdentityPolicy { identity, issuer }))
}

fn read_bundle(path: &Path) -> Result<Bundle, Failure> {
    // An oversized bundle is refused evidence, like one nested too deep: the same code and exit
    // whether the file cap or the parser's cap caught it.
    let bytes = input::read_capped(path, limits::MAX_BUNDLE_BYTES, "bundle").map_err(|e| {
        if e.is_too_large() {
            Failure::refused("bundle-too-large", e.to_string())
        } else {
            Failure::unusable("bundle-unreadable", e.to_string())
        }
    })?;
    Bundle::from_json(&bytes).map_err(|e| Failure::refused(e.code(), e.to_string()))
}

/// Verifies one item against `roots`; with the root it picked (none when the bundle could not
/// be read).
fn verify_one<'r>(
    item: &VerifyItem,
    roots: &'r Roots,
    now: Timestamp,
) -> (Option<&'r LoadedRoot>, Result<VerifiedBundle, Failure>) {
    let policy = match signer_policy(&item.signer) {
        Ok(p) => p,
        Err(f) => return (roots.list.first(), Err(f)),
    };
    let bundle = match read_bundle(&item.bundle) {
        Ok(b) => b,
        Err(f) => return (roots.list.first(), Err(f)),
    };
    let Some(root) = roots.pick(&bundle) else {
        return (
            None,
            Err(Failure::unusable(
                "trust-root-unavailable",
                "no trust root loaded",
            )),
        );
    };
    let r = load_artifact(&item.artifact, &bundle).and_then(|artifact| {
        root.verifier
            .verify(&bundle, artifact.as_artifact(), &policy, now)
            .map_err(|e| Failure::refused(e.code(), e.to_string()))
    });
    (Some(root), r)
}

impl App {
    /// Verifies every item (on every core), each against its own trusted root or the
    /// request's; records every outcome with `record`.
    pub fn verify_bundle(
        &self,
        req: &VerifyBundleRequest,
        now: Timestamp,
    ) -> Result<VerifyBundleResponse, Failure> {
        // Each distinct trust root is loaded once.
        let mut sets: HashMap<Option<PathBuf>, Result<Roots, Failure>> = HashMap::new();
        for item in &req.items {
            sets.entry(item.trusted_root.clone()).or_insert_with(|| {
                let choice = match &item.trusted_root {
                    Some(p) => RootChoice {
                        trusted_root: Some(p.clone()),
                        ..Default::default()
                    },
                    None => req.roots.clone(),
                };
                roots::resolve(&choice, self.data_dir(), now)
            });
        }
        let results: Vec<VerificationResult> = req
            .items
            .par_iter()
            .map(|item| {
                let artifact = item.artifact.as_str();
                match sets.get(&item.trusted_root) {
                    Some(Ok(set)) => {
                        let (picked, r) = verify_one(item, set, now);
                        VerificationResult::of(&item.bundle, artifact, picked, r)
                    }
                    Some(Err(f)) => {
                        VerificationResult::of(&item.bundle, artifact, None, Err(f.clone()))
                    }
                    None => VerificationResult::of(
                        &item.bundle,
                        artifact,
                        None,
                        Err(Failure::unusable(
                            "trust-root-unavailable",
                            "trust root not loaded",
                        )),
                    ),
                }
            })
            .collect();
        let loaded: Vec<&LoadedRoot> = sets
            .values()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(|r| r.list.iter())
            .collect();
        // The factory install is recorded whoever made it; the outcomes with `record`.
        let mut records: Vec<RecordInput> = loaded
            .iter()
            .filter(|r| r.factory_installed)
            .map(|r| roots::factory_install_record(&r.info, r.instance.clone()))
            .collect();
        if req.record {
            records.extend(results.iter().map(VerificationResult::record));
        }
        if !records.is_empty() {
            let written = self
                .ledger(req.hmac_key_file.as_deref())
                .and_then(|l| l.append(&records, now).map_err(Failure::from));
            // Asked to record, a result that cannot be recorded is a failure; the factory
            // install's event alone is in the trust history in any case.
            if let (Err(f), true) = (written, req.record) {
                return Err(Failure {
                    message: format!("cannot record: {}", f.message),
                    ..f
                });
            }
        }
        Ok(VerifyBundleResponse {
            results,
            roots: loaded.iter().map(|r| r.view()).collect(),
        })
    }
}
