//! Sigstore bundles (v0.1, v0.2, v0.3): untrusted bytes → a typed, capped, still untrusted
//! [`Bundle`].
//!
//! Owns: the protobuf-JSON shape of `dev.sigstore.bundle.v1.Bundle`, base64 decoding, the
//! structural rules of each bundle version, and the caps on counts. Must not touch: signatures,
//! the trusted root, the clock, files. Nothing here says a bundle is genuine: only `verify` does.

use serde::Deserialize;

use crate::bundle::dsse::Envelope;
use crate::bundle::error::b64_field;
pub use crate::bundle::error::BundleError;
use crate::bundle::json::{self, PbInt};
use crate::limits;

/// The bundle format version, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum BundleVersion {
    V01,
    V02,
    V03,
}

impl BundleVersion {
    /// Maps a media type to a version; both v0.3 spellings are accepted.
    pub fn from_media_type(mt: &str) -> Option<Self> {
        match mt {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(Self::V01),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(Self::V02),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(Self::V03),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V01 => "0.1",
            Self::V02 => "0.2",
            Self::V03 => "0.3",
        }
    }
}

/// What the signer's key is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningMaterial {
    /// A leaf certificate (DER) and any intermediates the bundle carried after it.
    Certificate { leaf: Vec<u8>, rest: Vec<Vec<u8>> },
    /// A managed key, named only by an optional hint; the verifier is given the key itself.
    PublicKey { hint: Option<String> },
}

/// Digest algorithms that appear in bundles and Rekor entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum HashAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    /// Parses the protobuf enum name (`SHA2_256`, ...).
    pub fn from_proto(s: &str) -> Option<Self> {
        match s {
            "SHA2_256" => Some(Self::Sha256),
            "SHA2_384" => Some(Self::Sha384),
            "SHA2_512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Digest length in bytes.
    #[allow(clippy::len_without_is_empty)] // a digest length, never empty
    pub fn len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The conventional lowercase name (`sha256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

/// A signature over an artifact (hashedrekord content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSignature {
    /// The digest the signer claims, an unauthenticated hint that must match the artifact.
    pub message_digest: Option<(HashAlgorithm, Vec<u8>)>,
    pub signature: Vec<u8>,
}

/// What was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    MessageSignature(MessageSignature),
    Dsse(Envelope),
}

/// RFC 9162 inclusion proof with its optional signed-note checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub log_index: u64,
    pub root_hash: Vec<u8>,
    pub tree_size: u64,
    pub hashes: Vec<Vec<u8>>,
    /// The checkpoint envelope text, exactly as carried.
    pub checkpoint: Option<String>,
}

/// One transparency-log entry as the bundle carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogEntry {
    pub log_index: u64,
    pub log_id: Vec<u8>,
    pub kind: String,
    pub version: String,
    /// Seconds since the epoch; absent (or 0) for Rekor v2.
    pub integrated_time: Option<i64>,
    /// The signed entry timestamp (SET), when present.
    pub inclusion_promise: Option<Vec<u8>>,
    pub inclusion_proof: Option<InclusionProof>,
    /// The canonicalized entry body, the bytes the log hashed.
    pub canonicalized_body: Vec<u8>,
}

/// A parsed, capped, untrusted Sigstore bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub version: BundleVersion,
    pub media_type: String,
    pub signing_material: SigningMaterial,
    pub tlog_entries: Vec<TlogEntry>,
    /// DER `TimeStampResp` values (RFC 3161) from `timestampVerificationData`.
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    pub content: Content,
}

// ---- protobuf-JSON shape (private) ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: Option<String>,
    verification_material: Option<RawMaterial>,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<crate::bundle::dsse::RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    certificate: Option<RawBytes>,
    x509_certificate_chain: Option<RawChain>,
    public_key: Option<RawKeyId>,
    #[serde(default)]
    tlog_entries: Vec<RawTlogEntry>,
    timestamp_verification_data: Option<RawTsData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: Option<String>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
struct RawKeyId {
    hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTlogEntry {
    log_index: Option<PbInt>,
    log_id: Option<RawLogId>,
    kind_version: Option<RawKindVersion>,
    integrated_time: Option<PbInt>,
    inclusion_promise: Option<RawPromise>,
    inclusion_proof: Option<RawProof>,
    canonicalized_body: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: Option<String>,
}

#[derive(Deserialize)]
struct RawKindVersion {
    kind: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: Option<PbInt>,
    root_hash: Option<String>,
    tree_size: Option<PbInt>,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    envelope: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTsData {
    #[serde(default)]
    rfc3161_timestamps: Vec<RawSignedTimestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSignedTimestamp {
    signed_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    signature: Option<String>,
}

#[derive(Deserialize)]
struct RawDigest {
    algorithm: Option<String>,
    digest: Option<String>,
}

fn required<T>(v: Option<T>, field: &'static str) -> Result<T, BundleError> {
    v.ok_or(BundleError::Missing { field })
}

fn non_negative(v: PbInt, field: &'static str) -> Result<u64, BundleError> {
    u64::try_from(v.0).map_err(|_| BundleError::InvalidField {
        field,
        why: format!("{} is negative", v.0),
    })
}

fn cap(what: &'static str, count: usize, limit: usize) -> Result<(), BundleError> {
    if count > limit {
        return Err(BundleError::TooMany { what, count, limit });
    }
    Ok(())
}

impl Bundle {
    /// The signing certificate (DER), when the bundle is signed with one.
    pub fn signing_leaf(&self) -> Option<&[u8]> {
        match &self.signing_material {
            SigningMaterial::Certificate { leaf, .. } => Some(leaf),
            SigningMaterial::PublicKey { .. } => None,
        }
    }

    /// Parses bundle JSON with the default caps.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let raw: RawBundle = json::parse(bytes, limits::MAX_BUNDLE_BYTES, limits::MAX_JSON_DEPTH)?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawBundle) -> Result<Self, BundleError> {
        let media_type = required(raw.media_type, "mediaType")?;
        let version = BundleVersion::from_media_type(&media_type)
            .ok_or_else(|| BundleError::UnknownMediaType(media_type.clone()))?;
        let vm = required(raw.verification_material, "verificationMaterial")?;

        let signing_material = match (vm.certificate, vm.x509_certificate_chain, vm.public_key) {
            (Some(c), None, None) => {
                let der = b64_field(
                    &required(c.raw_bytes, "certificate.rawBytes")?,
                    "certificate.rawBytes",
                )?;
                SigningMaterial::Certificate {
                    leaf: der,
                    rest: Vec::new(),
                }
            }
            (None, Some(chain), None) => {
                // Bundle v0.3: "the verification material MUST be a single certificate"
                // (sigstore protobuf-specs, Bundle.verification_material); chains are v0.1/v0.2.
                if version >= BundleVersion::V03 {
                    return Err(BundleError::InvalidField {
                        field: "verificationMaterial",
                        why: "a v0.3 bundle carries a single certificate, not x509CertificateChain"
                            .into(),
                    });
                }
                cap(
                    "certificates in x509CertificateChain",
                    chain.certificates.len(),
                    limits::MAX_CHAIN_LEN,
                )?;
                let mut ders = Vec::with_capacity(chain.certificates.len());
                for c in chain.certificates {
                    ders.push(b64_field(
                        &required(c.raw_bytes, "x509CertificateChain.certificates.rawBytes")?,
                        "x509CertificateChain.certificates.rawBytes",
                    )?);
                }
                let mut it = ders.into_iter();
                let leaf = it.next().ok_or(BundleError::EmptyCertificateChain)?;
                SigningMaterial::Certificate {
                    leaf,
                    rest: it.collect(),
                }
            }
            (None, None, Some(k)) => SigningMaterial::PublicKey { hint: k.hint },
            (None, None, None) => {
                return Err(BundleError::Missing {
                    field: "verificationMaterial.certificate|x509CertificateChain|publicKey",
                })
            }
            _ => {
                return Err(BundleError::InvalidField {
                    field: "verificationMaterial",
                    why: "more than one of certificate, x509CertificateChain, publicKey".into(),
                })
            }
        };

        cap(
            "transparency-log entries",
            vm.tlog_entries.len(),
            limits::MAX_TLOG_ENTRIES,
        )?;
        let mut tlog_entries = Vec::with_capacity(vm.tlog_entries.len());
        for e in vm.tlog_entries {
            tlog_entries.push(parse_entry(e)?);
        }

        let raw_ts = vm
            .timestamp_verification_data
            .map(|t| t.rfc3161_timestamps)
            .unwrap_or_default();
        cap("RFC 3161 timestamps", raw_ts.len(), limits::MAX_TIMESTAMPS)?;
        let mut rfc3161_timestamps = Vec::with_capacity(raw_ts.len());
        for t in raw_ts {
            let der = b64_field(
                &required(t.signed_timestamp, "rfc3161Timestamps.signedTimestamp")?,
                "rfc3161Timestamps.signedTimestamp",
            )?;
            rfc3161_timestamps.push(der);
        }

        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(ms), None) => {
                let message_digest = match ms.message_digest {
                    None => None,
                    Some(d) => {
                        let alg_name = required(d.algorithm, "messageDigest.algorithm")?;
                        let alg = HashAlgorithm::from_proto(&alg_name).ok_or_else(|| {
                            BundleError::InvalidField {
                                field: "messageDigest.algorithm",
                                why: format!("unsupported '{alg_name}'"),
                            }
                        })?;
                        let digest = b64_field(
                            &required(d.digest, "messageDigest.digest")?,
                            "messageDigest.digest",
                        )?;
                        if digest.len() != alg.len() {
                            return Err(BundleError::InvalidField {
                                field: "messageDigest.digest",
                                why: format!(
                                    "{} bytes for {}, expected {}",
                                    digest.len(),
                                    alg.name(),
                                    alg.len()
                                ),
                            });
                        }
                        Some((alg, digest))
                    }
                };
                let signature = b64_field(
                    &required(ms.signature, "messageSignature.signature")?,
                    "messageSignature.signature",
                )?;
                Content::MessageSignature(MessageSignature {
                    message_digest,
                    signature,
                })
            }
            (None, Some(env)) => Content::Dsse(Envelope::from_raw(env)?),
            (None, None) => {
                return Err(BundleError::Missing {
                    field: "messageSignature|dsseEnvelope",
                })
            }
            (Some(_), Some(_)) => {
                return Err(BundleError::InvalidField {
                    field: "content",
                    why: "both messageSignature and dsseEnvelope".into(),
                })
            }
        };

        // Bundle v0.1: "inclusion_promise ... MUST be present" for every entry (protobuf-specs
        // TransparencyLogEntry). v0.2 and later: "inclusion_proof MUST be present".
        for e in &tlog_entries {
            if version == BundleVersion::V01 && e.inclusion_promise.is_none() {
                return Err(BundleError::VersionRequires {
                    version: "0.1",
                    what: "an inclusion promise (SET)",
                });
            }
            if version >= BundleVersion::V02 && e.inclusion_proof.is_none() {
                return Err(BundleError::VersionRequires {
                    version: version.as_str(),
                    what: "an inclusion proof",
                });
            }
        }

        Ok(Bundle {
            version,
            media_type,
            signing_material,
            tlog_entries,
            rfc3161_timestamps,
            content,
        })
    }
}

fn parse_entry(e: RawTlogEntry) -> Result<TlogEntry, BundleError> {
    let log_index = non_negative(required(e.log_index, "tlogEntries.logIndex")?, "logIndex")?;
    let log_id = b64_field(
        &required(
            required(e.log_id, "tlogEntries.logId")?.key_id,
            "tlogEntries.logId.keyId",
        )?,
        "tlogEntries.logId.keyId",
    )?;
    let kv = required(e.kind_version, "tlogEntries.kindVersion")?;
    let kind = required(kv.kind, "tlogEntries.kindVersion.kind")?;
    let version = required(kv.version, "tlogEntries.kindVersion.version")?;
    let integrated_time = match e.integrated_time {
        None | Some(PbInt(0)) => None,
        Some(PbInt(t)) if t < 0 => {
            return Err(BundleError::InvalidField {
                field: "integratedTime",
                why: format!("{t} is negative"),
            })
        }
        Some(PbInt(t)) => Some(t),
    };
    let inclusion_promise = match e.inclusion_promise {
        None => None,
        Some(p) => Some(b64_field(
            &required(
                p.signed_entry_timestamp,
                "inclusionPromise.signedEntryTimestamp",
            )?,
            "inclusionPromise.signedEntryTimestamp",
        )?),
    };
    let inclusion_proof = match e.inclusion_proof {
        None => None,
        Some(p) => {
            cap(
                "inclusion proof hashes",
                p.hashes.len(),
                limits::MAX_PROOF_HASHES,
            )?;
            let mut hashes = Vec::with_capacity(p.hashes.len());
            for h in &p.hashes {
                hashes.push(b64_field(h, "inclusionProof.hashes")?);
            }
            let checkpoint = p.checkpoint.and_then(|c| c.envelope);
            if let Some(c) = &checkpoint {
                if c.len() > limits::MAX_CHECKPOINT_BYTES {
                    return Err(BundleError::TooMany {
                        what: "checkpoint bytes",
                        count: c.len(),
                        limit: limits::MAX_CHECKPOINT_BYTES,
                    });
                }
            }
            Some(InclusionProof {
                log_index: non_negative(
                    required(p.log_index, "inclusionProof.logIndex")?,
                    "inclusionProof.logIndex",
                )?,
                root_hash: b64_field(
                    &required(p.root_hash, "inclusionProof.rootHash")?,
                    "inclusionProof.rootHash",
                )?,
                tree_size: non_negative(
                    required(p.tree_size, "inclusionProof.treeSize")?,
                    "inclusionProof.treeSize",
                )?,
                hashes,
                checkpoint,
            })
        }
    };
    let canonicalized_body = b64_field(
        &required(e.canonicalized_body, "tlogEntries.canonicalizedBody")?,
        "tlogEntries.canonicalizedBody",
    )?;
    Ok(TlogEntry {
        log_index,
        log_id,
        kind,
        version,
        integrated_time,
        inclusion_promise,
        inclusion_proof,
        canonicalized_body,
    })
}
