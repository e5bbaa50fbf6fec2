//! Transparency-log evidence: Rekor entry bodies against the bundle's content, the signed entry
//! timestamp (SET), RFC 9162 inclusion proofs and signed-note checkpoints.
//!
//! Owns: everything that proves an entry is in a trusted log and is about this bundle. Must not
//! touch: files, the clock, policy, certificate chains, the signature over the content (the
//! caller verifies it and passes what it verified in [`ExpectedBody`]), and the log key's
//! validity window against time (returned in [`VerifiedEntry::log_valid_for`] for the caller).
//!
//! Layout: [`merkle`] (RFC 9162 hashing and audit paths), [`checkpoint`] (C2SP signed notes),
//! [`set`] (the SET payload), [`body`] (entry bodies by kind and version). [`verify_entry`]
//! runs them cheapest first: body, inclusion proof, checkpoint, SET.

mod body;
mod checkpoint;
mod merkle;
mod set;

use crate::bundle::dsse::Envelope;
use crate::bundle::sigstore::TlogEntry;
use crate::bundle::{BundleVersion, HashAlgorithm};
use crate::crypto::{KeyKind, PublicKey, RsaPadding};
use crate::time::{Timestamp, Window};
use crate::trust::trusted_root::KeyDetails;
use crate::trust::{TransparencyLog, TrustedRoot};

/// Why a log entry was refused. Every variant names the entry by its log index.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TlogError {
    #[error("log entry {log_index}: log {log_id} is not in the trusted root")]
    UnknownLog { log_index: u64, log_id: String },
    #[error("log entry {log_index}: the key of log {log_id} cannot be used: {why}")]
    LogKeyUnusable {
        log_index: u64,
        log_id: String,
        why: String,
    },
    #[error("log entry {log_index}: a v{bundle_version} bundle needs a signed entry timestamp")]
    SetMissing {
        log_index: u64,
        bundle_version: &'static str,
    },
    #[error("log entry {log_index}: a signed entry timestamp without an integrated time")]
    SetWithoutIntegratedTime { log_index: u64 },
    #[error(
        "log entry {log_index}: the signed entry timestamp (integrated time {integrated_time}) \
         does not verify with the key of log {log_id}"
    )]
    SetInvalid {
        log_index: u64,
        log_id: String,
        integrated_time: i64,
    },
    #[error("log entry {log_index}: integrated time {integrated_time} is out of range")]
    IntegratedTimeInvalid {
        log_index: u64,
        integrated_time: i64,
    },
    #[error("log entry {log_index}: a v{bundle_version} bundle needs an inclusion proof")]
    InclusionProofMissing {
        log_index: u64,
        bundle_version: &'static str,
    },
    #[error(
        "log entry {log_index}: inclusion proof (index {proof_index}, tree size {tree_size}) \
         is invalid: {why}"
    )]
    InclusionProofInvalid {
        log_index: u64,
        proof_index: u64,
        tree_size: u64,
        why: String,
    },
    #[error(
        "log entry {log_index}: the inclusion proof is for index {proof_index}, {}",
        if *rekor_v2 { "a Rekor v2 entry's own index must be used" }
        else { "past the entry's global index" }
    )]
    IndexMismatch {
        log_index: u64,
        proof_index: u64,
        rekor_v2: bool,
    },
    #[error(
        "log entry {log_index}: a v{bundle_version} bundle needs a checkpoint: an inclusion \
         proof whose root no log signature vouches for proves nothing"
    )]
    CheckpointMissing {
        log_index: u64,
        bundle_version: &'static str,
    },
    #[error("log entry {log_index}: checkpoint is malformed: {why}")]
    CheckpointMalformed { log_index: u64, why: &'static str },
    #[error(
        "log entry {log_index}: checkpoint '{origin}' ({lines} signature lines) has no valid \
         signature from log {log_id}: {why}"
    )]
    CheckpointNoValidSignature {
        log_index: u64,
        log_id: String,
        origin: String,
        lines: usize,
        why: &'static str,
    },
    #[error(
        "log entry {log_index}: checkpoint (size {checkpoint_size}, root {checkpoint_root}) is \
         not the proof's tree (size {proof_size}, root {proof_root})"
    )]
    CheckpointMismatch {
        log_index: u64,
        checkpoint_size: u64,
        proof_size: u64,
        checkpoint_root: String,
        proof_root: String,
    },
    #[error("log entry {log_index}: {why}")]
    BodyMalformed { log_index: u64, why: String },
    #[error("log entry {log_index}: entries of kind {kind} {version} are not supported")]
    UnsupportedKind {
        log_index: u64,
        kind: String,
        version: String,
    },
    #[error("log entry {log_index} ({kind} {version}): {field} does not match the bundle: {why}")]
    EntryMismatch {
        log_index: u64,
        kind: String,
        version: String,
        field: &'static str,
        why: &'static str,
    },
}

impl TlogError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownLog { .. } => "tlog-unknown-log",
            Self::LogKeyUnusable { .. } => "tlog-key-unusable",
            Self::SetMissing { .. } => "set-missing",
            Self::SetWithoutIntegratedTime { .. }
            | Self::SetInvalid { .. }
            | Self::IntegratedTimeInvalid { .. } => "set-invalid",
            Self::InclusionProofMissing { .. } => "inclusion-proof-missing",
            Self::InclusionProofInvalid { .. } => "inclusion-proof-invalid",
            Self::IndexMismatch { .. } => "tlog-index-mismatch",
            Self::CheckpointMissing { .. } => "checkpoint-missing",
            Self::CheckpointMalformed { .. } => "checkpoint-malformed",
            Self::CheckpointNoValidSignature { .. } => "checkpoint-no-valid-signature",
            Self::CheckpointMismatch { .. } => "checkpoint-mismatch",
            Self::BodyMalformed { .. } => "tlog-body-malformed",
            Self::UnsupportedKind { .. } => "tlog-unsupported-kind",
            Self::EntryMismatch { .. } => "tlog-entry-mismatch",
        }
    }
}

/// The key material the entry must name.
#[derive(Debug, Clone, Copy)]
pub enum SignerMaterial<'a> {
    /// The bundle's leaf certificate, DER.
    Certificate(&'a [u8]),
    /// The managed public key given by the operator.
    PublicKey(&'a PublicKey),
}

/// What the bundle says was logged; the entry body must agree with it.
#[derive(Debug, Clone, Copy)]
pub enum ExpectedBody<'a> {
    MessageSignature {
        signature: &'a [u8],
        /// The digest of the artifact actually presented (computed, or given as `sha256:`).
        artifact_digest: (HashAlgorithm, &'a [u8]),
        signer: SignerMaterial<'a>,
    },
    Dsse {
        envelope: &'a Envelope,
        signer: SignerMaterial<'a>,
    },
}

/// A log entry whose evidence verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedEntry {
    pub log_index: u64,
    pub log_base_url: String,
    pub log_id: String,
    pub kind: String,
    pub version: String,
    /// The integrated time, only when a verified SET covers it.
    pub integrated_time: Option<Timestamp>,
    pub set_verified: bool,
    /// The audit path leads to the proof's root hash and a verified checkpoint of the log signs
    /// that root: the proof is anchored. A proof without a checkpoint (v0.1 bundles may carry
    /// one) is never reported as verified.
    pub inclusion_proof_verified: bool,
    /// `verified` (anchored by a signed checkpoint), `unanchored` (the audit path leads to a root
    /// hash nobody signed: present, not relied on), or `absent`.
    pub inclusion_proof: std::borrow::Cow<'static, str>,
    pub checkpoint_verified: bool,
    pub tree_size: Option<u64>,
    /// The origin line of the verified checkpoint.
    pub checkpoint_origin: Option<String>,
    /// When the log's key was in use (closed), to be checked against the verified times.
    pub log_valid_for: Window,
}

/// The hash and padding the log signs with, from `keyDetails` (or the key itself when the
/// trusted root names a scheme this build does not know).
fn log_scheme(log: &TransparencyLog, key: &PublicKey) -> (HashAlgorithm, RsaPadding) {
    use HashAlgorithm::{Sha256, Sha384, Sha512};
    match log.key_details {
        KeyDetails::EcdsaP256Sha256 | KeyDetails::Ed25519 | KeyDetails::RsaPkcs1Sha256 => {
            (Sha256, RsaPadding::Pkcs1)
        }
        KeyDetails::EcdsaP384Sha384 | KeyDetails::RsaPkcs1Sha384 => (Sha384, RsaPadding::Pkcs1),
        KeyDetails::EcdsaP521Sha512 | KeyDetails::RsaPkcs1Sha512 => (Sha512, RsaPadding::Pkcs1),
        KeyDetails::RsaPssSha256 => (Sha256, RsaPadding::Pss),
        KeyDetails::RsaPssSha384 => (Sha384, RsaPadding::Pss),
        KeyDetails::RsaPssSha512 => (Sha512, RsaPadding::Pss),
        KeyDetails::Unknown => match key.kind() {
            KeyKind::EcP384 => (Sha384, RsaPadding::Pkcs1),
            KeyKind::EcP521 => (Sha512, RsaPadding::Pkcs1),
            _ => (Sha256, RsaPadding::Pkcs1),
        },
    }
}

/// Verifies one entry's evidence and its body against `expected`.
///
/// Checks, all offline: the log is in the trusted root; the body is about this bundle; the
/// inclusion proof leads to its root hash; the checkpoint is signed by the log and names that
/// root; the SET is signed by the log. Bundle v0.1 needs the SET; v0.2 and later need the
/// inclusion proof and its checkpoint. Whatever else is present must verify too.
pub fn verify_entry(
    entry: &TlogEntry,
    bundle_version: BundleVersion,
    expected: &ExpectedBody<'_>,
    root: &TrustedRoot,
) -> Result<VerifiedEntry, TlogError> {
    let log_index = entry.log_index;

    // Sigstore client spec: the entry's log ID must name a transparency log in the trusted
    // root; its key verifies the SET and the checkpoint.
    let log = root
        .tlogs
        .iter()
        .find(|l| l.log_id == entry.log_id)
        .ok_or_else(|| TlogError::UnknownLog {
            log_index,
            log_id: hex::encode(&entry.log_id),
        })?;

    // Bundle v0.1: "inclusion_promise ... MUST be present"; v0.2 and later: "inclusion_proof
    // MUST be present" (protobuf-specs TransparencyLogEntry). The parser enforces both; they are
    // repeated here because this function is the one that relies on them.
    if bundle_version == BundleVersion::V01 && entry.inclusion_promise.is_none() {
        return Err(TlogError::SetMissing {
            log_index,
            bundle_version: bundle_version.as_str(),
        });
    }
    if bundle_version >= BundleVersion::V02 && entry.inclusion_proof.is_none() {
        return Err(TlogError::InclusionProofMissing {
            log_index,
            bundle_version: bundle_version.as_str(),
        });
    }

    // protobuf-specs TransparencyLogEntry.canonicalized_body: "If set, clients MUST verify that
    // the signature referenced in the canonicalized_body matches the signature provided in the
    // Bundle.content."
    body::check(
        &entry.canonicalized_body,
        &entry.kind,
        &entry.version,
        expected,
    )
    .map_err(|e| body_error(entry, e))?;
    let rekor_v2 = body::is_rekor_v2(&entry.kind, &entry.version);

    let key = log.key().map_err(|why| TlogError::LogKeyUnusable {
        log_index,
        log_id: hex::encode(&log.log_id),
        why,
    })?;
    let (hash, padding) = log_scheme(log, key);

    let mut tree_size = None;
    let mut checkpoint_origin = None;
    if let Some(proof) = &entry.inclusion_proof {
        // Rekor v1 shards its log: the entry's logIndex is global and the proof's is local to
        // the shard's tree, so it can only be smaller. Rekor v2 has one tree per log: the
        // indices are the same number.
        let index_ok = if rekor_v2 {
            proof.log_index == log_index
        } else {
            proof.log_index <= log_index
        };
        if !index_ok {
            return Err(TlogError::IndexMismatch {
                log_index,
                proof_index: proof.log_index,
                rekor_v2,
            });
        }

        // RFC 9162 §2.1.3.2, with the leaf hash of the canonicalized body (§2.1.1).
        let leaf = merkle::leaf_hash(&entry.canonicalized_body);
        merkle::verify_inclusion(
            proof.log_index,
            proof.tree_size,
            &leaf,
            &proof.hashes,
            &proof.root_hash,
        )
        .map_err(|e| {
            agree(
                e.code(),
                TlogError::InclusionProofInvalid {
                    log_index,
                    proof_index: proof.log_index,
                    tree_size: proof.tree_size,
                    why: e.to_string(),
                },
            )
        })?;
        tree_size = Some(proof.tree_size);

        match &proof.checkpoint {
            Some(text) => {
                let log_key = checkpoint::LogKey {
                    key,
                    hash,
                    padding,
                    key_id: log.checkpoint_key_id.as_deref().unwrap_or(&log.log_id),
                };
                let cp = checkpoint::verify(text, &log_key).map_err(|e| {
                    let code = e.code();
                    agree(
                        code,
                        match e {
                            checkpoint::CheckpointError::Malformed(why) => {
                                TlogError::CheckpointMalformed { log_index, why }
                            }
                            checkpoint::CheckpointError::NoValidSignature {
                                origin,
                                lines,
                                why,
                            } => TlogError::CheckpointNoValidSignature {
                                log_index,
                                log_id: hex::encode(&log.log_id),
                                origin,
                                lines,
                                why,
                            },
                        },
                    )
                })?;
                // The signed tree head must be the very tree the proof was computed against.
                if cp.size != proof.tree_size
                    || !crate::crypto::ct_eq(&cp.root_hash, &proof.root_hash)
                {
                    return Err(TlogError::CheckpointMismatch {
                        log_index,
                        checkpoint_size: cp.size,
                        proof_size: proof.tree_size,
                        checkpoint_root: hex::encode(&cp.root_hash),
                        proof_root: hex::encode(&proof.root_hash),
                    });
                }
                checkpoint_origin = Some(cp.origin.to_string());
            }
            None if bundle_version >= BundleVersion::V02 => {
                return Err(TlogError::CheckpointMissing {
                    log_index,
                    bundle_version: bundle_version.as_str(),
                });
            }
            None => {}
        }
    }

    let mut integrated_time = None;
    if let Some(promise) = &entry.inclusion_promise {
        // The SET signs the integrated time; without one there is nothing it could promise.
        let t = entry
            .integrated_time
            .ok_or(TlogError::SetWithoutIntegratedTime { log_index })?;
        let payload = set::payload(&entry.canonicalized_body, t, &entry.log_id, log_index);
        set::verify(key, hash, padding, promise, &payload).map_err(|e| {
            agree(
                e.code(),
                TlogError::SetInvalid {
                    log_index,
                    log_id: hex::encode(&log.log_id),
                    integrated_time: t,
                },
            )
        })?;
        integrated_time = Some(crate::time::from_unix_seconds(t).map_err(|_| {
            TlogError::IntegratedTimeInvalid {
                log_index,
                integrated_time: t,
            }
        })?);
    }

    Ok(VerifiedEntry {
        log_index,
        log_base_url: log.base_url.clone(),
        log_id: hex::encode(&log.log_id),
        kind: entry.kind.clone(),
        version: entry.version.clone(),
        integrated_time,
        set_verified: entry.inclusion_promise.is_some(),
        inclusion_proof_verified: tree_size.is_some() && checkpoint_origin.is_some(),
        inclusion_proof: match (tree_size.is_some(), checkpoint_origin.is_some()) {
            (true, true) => "verified",
            (true, false) => "unanchored",
            (false, _) => "absent",
        }
        .into(),
        checkpoint_verified: checkpoint_origin.is_some(),
        tree_size,
        checkpoint_origin,
        log_valid_for: log.valid_for,
    })
}

/// Returns `e`, checking (in debug builds) that the part's reason code survived the mapping.
fn agree(part_code: &'static str, e: TlogError) -> TlogError {
    debug_assert_eq!(part_code, e.code());
    e
}

fn body_error(entry: &TlogEntry, e: body::BodyError) -> TlogError {
    let log_index = entry.log_index;
    let code = e.code();
    let mapped = match e {
        body::BodyError::Unsupported { kind, version } => TlogError::UnsupportedKind {
            log_index,
            kind,
            version,
        },
        body::BodyError::Mismatch { field, why } => TlogError::EntryMismatch {
            log_index,
            kind: entry.kind.clone(),
            version: entry.version.clone(),
            field,
            why,
        },
        other @ (body::BodyError::Malformed(_)
        | body::BodyError::Missing { .. }
        | body::BodyError::Encoding { .. }) => TlogError::BodyMalformed {
            log_index,
            why: other.to_string(),
        },
    };
    agree(code, mapped)
}

#[cfg(test)]
mod tests;
