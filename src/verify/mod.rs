//! All cryptographic verification of a Sigstore bundle, offline.
//!
//! Owns: turning an untrusted [`Bundle`] into a [`VerifiedBundle`], in the order the Sigstore
//! client specification gives: signer material, the signature over the content, the
//! transparency-log evidence, the signed timestamps, the certificate at every verified time, then
//! the identity policy. Must not touch: the disk, the clock (time is passed in), the ledger, the
//! network.
//!
//! A [`VerifiedBundle`] can only be built here: its fields are public to read, but it carries a
//! private marker, so holding one means every check below passed.

pub mod cert;

pub mod hmac;
pub mod sct;
pub mod tlog;
pub mod tsa;

use crate::bundle::dsse::{Statement, StatementError, INTOTO_PAYLOAD_TYPE};
use crate::bundle::{Bundle, BundleError, BundleVersion, Content, HashAlgorithm, SigningMaterial};
use crate::crypto::{self, CryptoError, PublicKey, RsaPadding};
use crate::policy::{IdentityPolicy, PolicyError, VerifiedIdentity};
use crate::time::Timestamp;
use crate::trust::TrustedRoot;
use cert::{CertError, CertificateSummary, Leaf};
use tlog::{ExpectedBody, SignerMaterial, TlogError, VerifiedEntry};
use tsa::{TsaError, VerifiedTimestamp};

/// How far ahead of the appliance clock a verified time may be (clock skew allowance).
const MAX_FUTURE_SKEW_SECONDS: i64 = 300;

/// Why a bundle did not verify. Every variant has a stable reason code ([`VerifyError::code`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VerifyError {
    #[error("bundle: {0}")]
    Bundle(#[from] BundleError),
    #[error("certificate: {0}")]
    Certificate(#[from] CertError),
    #[error("transparency log: {0}")]
    Tlog(#[from] TlogError),
    #[error("signed timestamp: {0}")]
    Timestamp(#[from] TsaError),
    #[error("policy: {0}")]
    Policy(#[from] PolicyError),
    #[error("the bundle is signed with a managed key, but no key was given (use --key)")]
    KeyRequired,
    #[error("a key was given, but the bundle carries a certificate; verify it by identity")]
    CertificateBundleWithKey,
    #[error("the signing key cannot be used: {0}")]
    SignerKey(CryptoError),
    #[error("the signature over the artifact does not verify with the signer's key")]
    SignatureInvalid,
    #[error(
        "messageDigest in the bundle ({claimed}) is not the artifact's {alg} digest ({actual})"
    )]
    MessageDigestMismatch {
        alg: &'static str,
        claimed: String,
        actual: String,
    },
    #[error("artifact digest is {given} but the bundle signs {needed}; give the artifact file")]
    DigestAlgorithmUnavailable {
        given: &'static str,
        needed: &'static str,
    },
    #[error("the DSSE envelope has {0} signatures; a Sigstore bundle carries exactly one")]
    DsseSignatureCount(usize),
    #[error("the DSSE envelope signature does not verify with the signer's key")]
    DsseSignatureInvalid,
    #[error("DSSE payload type '{0}' is not an in-toto statement")]
    DssePayloadType(String),
    #[error("DSSE payload: {0}")]
    Statement(#[from] StatementError),
    #[error("artifact {alg}:{digest} is not a subject of the in-toto statement")]
    ArtifactNotInStatement { alg: &'static str, digest: String },
    #[error("the bundle has no transparency-log entry")]
    NoTlogEntry,
    #[error("the trusted root lists no transparency log, so a verified RFC 3161 timestamp is required instead of a log entry, and none verified")]
    TimestampRequired,
    #[error("no verified signing time: the bundle has neither a signed entry timestamp nor a valid RFC 3161 timestamp")]
    NoVerifiedTime,
    #[error("the bundle carries {what}: a second token from one authority adds nothing, and could be used to meet a threshold with a single TSA")]
    TimestampDuplicate { what: String },
    #[error("verified time {time} is after the appliance clock {now}")]
    TimeInFuture { time: Timestamp, now: Timestamp },
    #[error("log {log} key was not valid at {time} (trusted root validFor {window})")]
    LogKeyNotValidAt {
        log: String,
        time: Timestamp,
        window: String,
    },
}

impl VerifyError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Bundle(e) => e.code(),
            Self::Certificate(e) => e.code(),
            Self::Tlog(e) => e.code(),
            Self::Timestamp(e) => e.code(),
            Self::Policy(e) => e.code(),
            Self::KeyRequired => "key-required",
            Self::CertificateBundleWithKey => "certificate-bundle-with-key",
            Self::SignerKey(_) => "signer-key-unusable",
            Self::SignatureInvalid => "signature-invalid",
            Self::MessageDigestMismatch { .. } => "message-digest-mismatch",
            Self::DigestAlgorithmUnavailable { .. } => "artifact-digest-unusable",
            Self::DsseSignatureCount(_) => "dsse-signature-count",
            Self::DsseSignatureInvalid => "dsse-signature-invalid",
            Self::DssePayloadType(_) => "dsse-payload-not-intoto",
            Self::Statement(_) => "dsse-payload-malformed",
            Self::ArtifactNotInStatement { .. } => "artifact-not-in-statement",
            Self::NoTlogEntry => "tlog-entry-missing",
            Self::TimestampRequired => "no-verified-time",
            Self::NoVerifiedTime => "no-verified-time",
            Self::TimestampDuplicate { .. } => "timestamp-duplicate",
            Self::TimeInFuture { .. } => "time-in-future",
            Self::LogKeyNotValidAt { .. } => "tlog-key-not-valid-at-time",
        }
    }
}

/// The artifact presented for verification.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only a digest of it (`sha256:<hex>` on the command line, or a large file hashed in
    /// streaming).
    Digest(HashAlgorithm, &'a [u8]),
}

/// Who must have signed.
#[derive(Debug, Clone)]
pub enum SignerPolicy {
    /// A Fulcio certificate whose SAN and OIDC issuer match.
    Identity(IdentityPolicy),
    /// A managed key.
    Key(PublicKey),
    /// A managed key whose signature may stand without a transparency-log entry: a Zarf package
    /// signed with a key (zarf `package verify`: "--insecure-ignore-tlog" defaults to true for
    /// key-signed packages, "for air-gap"). Entries present are still verified; a key has no
    /// validity window, so no verified time is needed when there are none.
    KeyWithoutLog(PublicKey),
}

/// What a result says of a key-signed signature verified without a log entry.
pub const LOG_NOT_REQUIRED_FOR_KEY: &str = "not required: key-signed package, verified offline";

/// Where a verified time came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    /// A transparency log's integrated time, under a verified signed entry timestamp.
    TransparencyLog,
    /// An RFC 3161 timestamp from a trusted timestamp authority.
    TimestampAuthority,
}

/// A time whose source verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifiedTime {
    pub source: TimeSource,
    /// The log's or the TSA's URI.
    pub uri: String,
    pub time: Timestamp,
}

/// The signer, as verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum VerifiedSigner {
    Certificate {
        certificate: Box<CertificateSummary>,
        identity: VerifiedIdentity,
        /// The Fulcio CA that issued it.
        ca: String,
        /// How many embedded SCTs verified against trusted CT logs.
        verified_scts: usize,
    },
    Key {
        /// SHA-256 of the key's DER SubjectPublicKeyInfo, hex.
        key_id: String,
    },
}

/// Everything that verified about a bundle. Only [`verify`] builds one: the private `_sealed`
/// field keeps even the rest of this crate from constructing it (`#[non_exhaustive]` would not).
#[allow(clippy::manual_non_exhaustive)]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VerifiedBundle {
    pub media_type: String,
    pub bundle_version: BundleVersion,
    pub signer: VerifiedSigner,
    /// The artifact digest the signature covers (algorithm, hex).
    pub artifact_digest: (HashAlgorithm, String),
    /// The in-toto statement, for DSSE bundles.
    pub statement: Option<Statement>,
    pub verified_times: Vec<VerifiedTime>,
    pub tlog_entries: Vec<VerifiedEntry>,
    /// Timestamps that did not verify and were therefore not relied on (reason codes).
    pub ignored_timestamps: Vec<String>,
    /// `not used by this instance` when the trusted root lists no transparency log (GitHub's
    /// instance): a verified RFC 3161 timestamp stood in for the log entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transparency_log: Option<&'static str>,
    /// `not used by this instance` when the trusted root lists no CT log: no SCT was required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_transparency: Option<&'static str>,
    #[serde(skip)]
    _sealed: (),
}

/// What a result says of a log the trusted root does not list.
pub const NOT_USED_BY_INSTANCE: &str = "not used by this instance";

/// The key that signed and, for certificates, the parsed leaf.
enum Signer<'p> {
    Leaf(Box<Leaf>, &'p IdentityPolicy),
    Key(&'p PublicKey),
}

impl Signer<'_> {
    fn key(&self) -> &PublicKey {
        match self {
            Signer::Leaf(l, _) => &l.public_key,
            Signer::Key(k) => k,
        }
    }
}

/// A trusted root prepared for verification: its timestamp authorities' chains parsed once, and
/// the signatures between its CA certificates remembered once verified.
/// Build one per trusted root and reuse it for every bundle (it is `Send + Sync`).
#[derive(Debug)]
pub struct Verifier {
    root: TrustedRoot,
    tsa: tsa::TsaVerifier,
    /// Links between the root's CA certificates that verified (checked once, then remembered).
    links: cert::LinkMemo,
}

impl Verifier {
    /// Prepares `root`.
    pub fn new(root: TrustedRoot) -> Self {
        let tsa = tsa::TsaVerifier::new(&root);
        Verifier {
            root,
            tsa,
            links: cert::LinkMemo::default(),
        }
    }

    /// The trusted root this verifier checks against.
    pub fn root(&self) -> &TrustedRoot {
        &self.root
    }

    /// Verifies `bundle` for `artifact`, requiring `policy`, at appliance time `now`.
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        policy: &SignerPolicy,
        now: Timestamp,
    ) -> Result<VerifiedBundle, VerifyError> {
        verify_with(self, bundle, artifact, policy, now)
    }
}

/// Verifies `bundle` for `artifact` against `root`, requiring `policy`, at appliance time `now`.
/// For many bundles under one root, build a [`Verifier`] once instead.
pub fn verify(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    policy: &SignerPolicy,
    root: &TrustedRoot,
    now: Timestamp,
) -> Result<VerifiedBundle, VerifyError> {
    Verifier::new(root.clone()).verify(bundle, artifact, policy, now)
}

fn verify_with(
    v: &Verifier,
    bundle: &Bundle,
    artifact: Artifact<'_>,
    policy: &SignerPolicy,
    now: Timestamp,
) -> Result<VerifiedBundle, VerifyError> {
    let root = &v.root;
    // 1. Signer material. Sigstore client spec (paraphrased): a managed-key bundle is verified
    //    with the key the verifier was given, a keyless bundle with its Fulcio certificate.
    let signer = match (&bundle.signing_material, policy) {
        (SigningMaterial::Certificate { leaf, .. }, SignerPolicy::Identity(p)) => {
            Signer::Leaf(Box::new(cert::parse_leaf(leaf)?), p)
        }
        (SigningMaterial::Certificate { .. }, SignerPolicy::Key(_)) => {
            return Err(VerifyError::CertificateBundleWithKey)
        }
        (SigningMaterial::Certificate { .. }, SignerPolicy::KeyWithoutLog(_)) => {
            return Err(VerifyError::CertificateBundleWithKey)
        }
        (
            SigningMaterial::PublicKey { .. },
            SignerPolicy::Key(k) | SignerPolicy::KeyWithoutLog(k),
        ) => Signer::Key(k),
        (SigningMaterial::PublicKey { .. }, SignerPolicy::Identity(_)) => {
            return Err(VerifyError::KeyRequired)
        }
    };

    // 2. The signature over the content, and the digest the log entry must name.
    let (artifact_digest, statement, signed_bytes);
    match &bundle.content {
        Content::MessageSignature(ms) => {
            let alg = ms
                .message_digest
                .as_ref()
                .map_or(HashAlgorithm::Sha256, |(a, _)| *a);
            let digest = artifact_digest_for(artifact, alg)?;
            // protobuf-specs MessageSignature (paraphrased): message_digest is an unauthenticated
            // hint; a verifier must not trust it, so it has to equal the artifact's own digest.
            if let Some((_, claimed)) = &ms.message_digest {
                if !crypto::ct_eq(claimed, &digest) {
                    return Err(VerifyError::MessageDigestMismatch {
                        alg: alg.name(),
                        claimed: hex::encode(claimed),
                        actual: hex::encode(&digest),
                    });
                }
            }
            verify_artifact_signature(signer.key(), artifact, alg, &digest, &ms.signature)?;
            artifact_digest = (alg, digest);
            statement = None;
            signed_bytes = ms.signature.as_slice();
        }
        Content::Dsse(env) => {
            // Sigstore bundle spec (paraphrased): a DSSE envelope in a bundle carries exactly one
            // signature, made by the bundle's verification material.
            let [sig] = env.signatures.as_slice() else {
                return Err(VerifyError::DsseSignatureCount(env.signatures.len()));
            };
            let key = signer.key();
            let hash = key_default_hash(&signer);
            key.verify(hash, RsaPadding::Pkcs1, &env.pae(), &sig.sig)
                .map_err(|e| match e {
                    CryptoError::BadSignature => VerifyError::DsseSignatureInvalid,
                    other => VerifyError::SignerKey(other),
                })?;
            if env.payload_type != INTOTO_PAYLOAD_TYPE {
                return Err(VerifyError::DssePayloadType(env.payload_type.clone()));
            }
            let st = Statement::from_json(&env.payload)?;
            artifact_digest = subject_match(&st, artifact)?;
            statement = Some(st);
            signed_bytes = sig.sig.as_slice();
        }
    }

    // 3. Transparency-log evidence (paraphrasing the client spec and sigstore-go's default
    //    threshold): at least one transparency-log entry must verify, and every entry present
    //    must verify.
    //    As gh does for GitHub's instance, the policy is inferred from the trusted root: a root
    //    that lists no transparency log needs none (a verified RFC 3161 timestamp is required
    //    instead, step 5). Never for a root that lists a log.
    let instance_without_log = root.tlogs.is_empty();
    let key_without_log =
        matches!(policy, SignerPolicy::KeyWithoutLog(_)) && bundle.tlog_entries.is_empty();
    if bundle.tlog_entries.is_empty() && !instance_without_log && !key_without_log {
        return Err(VerifyError::NoTlogEntry);
    }
    let signer_material = match &bundle.signing_material {
        SigningMaterial::Certificate { leaf, .. } => SignerMaterial::Certificate(leaf),
        SigningMaterial::PublicKey { .. } => SignerMaterial::PublicKey(signer.key()),
    };
    let expected = match &bundle.content {
        Content::MessageSignature(ms) => ExpectedBody::MessageSignature {
            signature: &ms.signature,
            artifact_digest: (artifact_digest.0, &artifact_digest.1),
            signer: signer_material,
        },
        Content::Dsse(env) => ExpectedBody::Dsse {
            envelope: env,
            signer: signer_material,
        },
    };
    let mut entries = Vec::with_capacity(bundle.tlog_entries.len());
    for e in &bundle.tlog_entries {
        entries.push(tlog::verify_entry(e, bundle.version, &expected, root)?);
    }

    // 4. RFC 3161 timestamps over the signature. Like sigstore-go and sigstore-python, a
    //    timestamp that does not verify is not relied on; it fails the bundle only when no
    //    verified time remains (step 5).
    //    Duplicates are refused, as sigstore-go and sigstore-python do: the same token twice, or
    //    two tokens from one TSA, would let one authority count twice. Verified timestamps are
    //    counted per authority, never per token.
    for (i, ts) in bundle.rfc3161_timestamps.iter().enumerate() {
        if bundle.rfc3161_timestamps[..i]
            .iter()
            .any(|earlier| earlier == ts)
        {
            return Err(VerifyError::TimestampDuplicate {
                what: format!(
                    "the same RFC 3161 token twice (timestamps {} and {})",
                    i,
                    i + 1
                ),
            });
        }
    }
    let mut tsa_times: Vec<VerifiedTimestamp> = Vec::new();
    let mut tsa_errors: Vec<TsaError> = Vec::new();
    for ts in &bundle.rfc3161_timestamps {
        match v.tsa.verify(ts, signed_bytes) {
            Ok(t) => {
                if tsa_times.iter().any(|o| o.tsa_uri == t.tsa_uri) {
                    return Err(VerifyError::TimestampDuplicate {
                        what: format!(
                            "two RFC 3161 tokens from the TSA {} over the same signature",
                            t.tsa_uri
                        ),
                    });
                }
                tsa_times.push(t)
            }
            Err(e) => tsa_errors.push(e),
        }
    }

    // 5. Verified times: integrated times under a verified SET, and TSA times. docs.sigstore.dev
    //    (Timestamps): "Sigstore clients relying on Rekor to provide the timestamp use the
    //    entry's inclusion time from the integratedTime response field, which is signed over in
    //    the signedEntryTimestamp signature." An integrated time no verified SET covers is unused.
    let mut verified_times: Vec<VerifiedTime> = entries
        .iter()
        .filter_map(|e| {
            e.integrated_time.map(|t| VerifiedTime {
                source: TimeSource::TransparencyLog,
                uri: e.log_base_url.clone(),
                time: t,
            })
        })
        .collect();
    verified_times.extend(tsa_times.iter().map(|t| VerifiedTime {
        source: TimeSource::TimestampAuthority,
        uri: t.tsa_uri.clone(),
        time: t.time,
    }));
    if verified_times.is_empty() && !key_without_log {
        return Err(match tsa_errors.into_iter().next() {
            Some(e) => VerifyError::Timestamp(e),
            None if instance_without_log => VerifyError::TimestampRequired,
            None => VerifyError::NoVerifiedTime,
        });
    }
    if instance_without_log && tsa_times.is_empty() && !key_without_log {
        return Err(VerifyError::TimestampRequired);
    }
    for vt in &verified_times {
        if vt.time.as_second() > now.as_second().saturating_add(MAX_FUTURE_SKEW_SECONDS) {
            return Err(VerifyError::TimeInFuture { time: vt.time, now });
        }
    }

    // 6. Each log's key must have been valid when the entry was made: at its integrated time,
    //    or (Rekor v2, no integrated time) at every TSA time (closed intervals).
    for e in &entries {
        let times: Vec<Timestamp> = match e.integrated_time {
            Some(t) => vec![t],
            None => tsa_times.iter().map(|t| t.time).collect(),
        };
        if times.is_empty() {
            return Err(VerifyError::NoVerifiedTime);
        }
        for t in times {
            if !e.log_valid_for.contains(t) {
                return Err(VerifyError::LogKeyNotValidAt {
                    log: e.log_base_url.clone(),
                    time: t,
                    window: e.log_valid_for.to_string(),
                });
            }
        }
    }

    // 7. The certificate at every verified time, its SCTs, then the identity policy.
    //    docs.sigstore.dev (Timestamps): "When verifying the short-lived code signing
    //    certificate, Sigstore verifies that the provided timestamp falls within the
    //    certificate's validity period."
    let signer_out = match &signer {
        Signer::Leaf(leaf, idp) => {
            let rest = match &bundle.signing_material {
                SigningMaterial::Certificate { rest, .. } => rest.as_slice(),
                SigningMaterial::PublicKey { .. } => &[],
            };
            let mut times: Vec<Timestamp> = verified_times.iter().map(|t| t.time).collect();
            times.sort();
            times.dedup();
            let mut chain_ok = None;
            for t in times {
                chain_ok = Some(cert::verify_chain_memo(leaf, rest, root, t, &v.links)?);
            }
            let chain_ok = chain_ok.ok_or(VerifyError::NoVerifiedTime)?;
            // A trusted root with no CT log and no transparency log (GitHub's instance) requires
            // no SCT. A root that lists a transparency log gets no inferred policy at all: if its
            // CT logs are missing, SCTs are still required (and refused as unknown).
            let verified_scts = if instance_without_log && root.ctlogs.is_empty() {
                0
            } else {
                sct::verify_scts(leaf, &chain_ok, root)?
            };
            let identity = idp.check(&leaf.summary)?;
            VerifiedSigner::Certificate {
                certificate: Box::new(leaf.summary.clone()),
                identity,
                ca: chain_ok.ca_uri,
                verified_scts,
            }
        }
        Signer::Key(k) => VerifiedSigner::Key {
            key_id: hex::encode(crypto::sha256(k.spki_der())),
        },
    };

    Ok(VerifiedBundle {
        media_type: bundle.media_type.clone(),
        bundle_version: bundle.version,
        signer: signer_out,
        artifact_digest: (artifact_digest.0, hex::encode(&artifact_digest.1)),
        statement,
        verified_times,
        tlog_entries: entries,
        ignored_timestamps: tsa_errors.iter().map(|e| e.code().to_string()).collect(),
        transparency_log: if key_without_log {
            Some(LOG_NOT_REQUIRED_FOR_KEY)
        } else {
            instance_without_log.then_some(NOT_USED_BY_INSTANCE)
        },
        certificate_transparency: (instance_without_log && root.ctlogs.is_empty())
            .then_some(NOT_USED_BY_INSTANCE),
        _sealed: (),
    })
}

fn key_default_hash(signer: &Signer<'_>) -> HashAlgorithm {
    match signer {
        Signer::Leaf(l, _) => l.default_hash,
        Signer::Key(k) => match k.kind() {
            crypto::KeyKind::EcP384 => HashAlgorithm::Sha384,
            crypto::KeyKind::EcP521 => HashAlgorithm::Sha512,
            _ => HashAlgorithm::Sha256,
        },
    }
}

/// The artifact's digest under `alg`: computed from bytes, or taken from the given digest.
fn artifact_digest_for(artifact: Artifact<'_>, alg: HashAlgorithm) -> Result<Vec<u8>, VerifyError> {
    match artifact {
        Artifact::Bytes(b) => Ok(crypto::hash(alg, b)),
        Artifact::Digest(given, d) if given == alg => Ok(d.to_vec()),
        Artifact::Digest(given, _) => Err(VerifyError::DigestAlgorithmUnavailable {
            given: given.name(),
            needed: alg.name(),
        }),
    }
}

/// Verifies a hashedrekord-style signature: over the artifact, hashed with `alg`.
fn verify_artifact_signature(
    key: &PublicKey,
    artifact: Artifact<'_>,
    alg: HashAlgorithm,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let r = match (key.kind(), artifact) {
        // Ed25519 signs the message itself, never a digest.
        (crypto::KeyKind::Ed25519, Artifact::Bytes(b)) => {
            key.verify(alg, RsaPadding::Pkcs1, b, signature)
        }
        _ => key.verify_prehashed(alg, RsaPadding::Pkcs1, digest, signature),
    };
    r.map_err(|e| match e {
        CryptoError::BadSignature => VerifyError::SignatureInvalid,
        other => VerifyError::SignerKey(other),
    })
}

/// Finds the artifact among the statement's subjects; returns the matching digest.
///
/// in-toto Statement spec: "subject: set of software artifacts that the attestation applies
/// to"; the artifact verified must be one of them, matched by digest.
fn subject_match(
    st: &Statement,
    artifact: Artifact<'_>,
) -> Result<(HashAlgorithm, Vec<u8>), VerifyError> {
    let candidates: &[HashAlgorithm] = match artifact {
        Artifact::Digest(alg, _) => match alg {
            HashAlgorithm::Sha256 => &[HashAlgorithm::Sha256],
            HashAlgorithm::Sha384 => &[HashAlgorithm::Sha384],
            HashAlgorithm::Sha512 => &[HashAlgorithm::Sha512],
        },
        Artifact::Bytes(_) => &[
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
            HashAlgorithm::Sha384,
        ],
    };
    let mut first = None;
    for &alg in candidates {
        // Only compute digests the statement actually names.
        if !st.subject.iter().any(|s| s.digest.contains_key(alg.name())) {
            continue;
        }
        let digest = artifact_digest_for(artifact, alg)?;
        let hex_digest = hex::encode(&digest);
        if st.subject.iter().any(|s| {
            s.digest
                .get(alg.name())
                .is_some_and(|v| v.eq_ignore_ascii_case(&hex_digest))
        }) {
            return Ok((alg, digest));
        }
        first.get_or_insert((alg, hex_digest));
    }
    let (alg, digest) = match first {
        Some(f) => f,
        None => {
            let alg = candidates.first().copied().unwrap_or(HashAlgorithm::Sha256);
            let d = artifact_digest_for(artifact, alg)
                .map(hex::encode)
                .unwrap_or_default();
            (alg, d)
        }
    };
    Err(VerifyError::ArtifactNotInStatement {
        alg: alg.name(),
        digest,
    })
}
