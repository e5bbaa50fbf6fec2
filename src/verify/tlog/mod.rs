//! Transparency-log evidence: Rekor entry bodies against the bundle's content, the signed entry
//! timestamp (SET), RFC 9162 inclusion proofs and signed-note checkpoints.
//!
//! Owns: everything that proves an entry is in a trusted log. Must not touch: files, the clock,
//! policy, certificate chains. (Contract stub: being implemented.)

use crate::bundle::dsse::Envelope;
use crate::bundle::sigstore::TlogEntry;
use crate::bundle::{BundleVersion, HashAlgorithm};
use crate::time::{Timestamp, Window};
use crate::trust::TrustedRoot;
use crate::verify::crypto::PublicKey;

/// Why a log entry was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TlogError {
    #[error("log entry {log_index}: not implemented yet")]
    Unimplemented { log_index: u64 },
}

impl TlogError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unimplemented { .. } => "tlog-unimplemented",
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedEntry {
    pub log_index: u64,
    pub log_base_url: String,
    pub log_id: String,
    pub kind: String,
    pub version: String,
    /// The integrated time, only when a verified SET covers it.
    pub integrated_time: Option<Timestamp>,
    pub set_verified: bool,
    pub inclusion_proof_verified: bool,
    pub checkpoint_verified: bool,
    pub tree_size: Option<u64>,
    /// When the log's key was in use (closed), to be checked against the verified times.
    pub log_valid_for: Window,
}

/// Verifies one entry's evidence and its body against `expected`.
pub fn verify_entry(
    entry: &TlogEntry,
    bundle_version: BundleVersion,
    expected: &ExpectedBody<'_>,
    root: &TrustedRoot,
) -> Result<VerifiedEntry, TlogError> {
    let _ = (bundle_version, expected, root);
    Err(TlogError::Unimplemented {
        log_index: entry.log_index,
    })
}
