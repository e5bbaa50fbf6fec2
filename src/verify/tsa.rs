//! RFC 3161 signed timestamps checked against the trusted root's timestamp authorities.
//!
//! Owns: TimeStampResp / CMS SignedData parsing (capped) and verification. Must not touch: files,
//! the clock, policy. (Contract stub: being implemented.)

use crate::time::Timestamp;
use crate::trust::TrustedRoot;

/// Why a timestamp was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TsaError {
    #[error("timestamp is not a valid RFC 3161 response: {0}")]
    Malformed(String),
}

impl TsaError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "timestamp-malformed",
        }
    }
}

/// A timestamp that verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedTimestamp {
    pub time: Timestamp,
    pub tsa_uri: String,
    pub tsa_name: String,
}

/// Verifies one DER `TimeStampResp` over `signed_bytes` (the artifact signature, or the DSSE
/// envelope signature) against the timestamp authorities of `root`.
pub fn verify_timestamp(
    der: &[u8],
    signed_bytes: &[u8],
    root: &TrustedRoot,
) -> Result<VerifiedTimestamp, TsaError> {
    let _ = (der, signed_bytes, root);
    Err(TsaError::Malformed("not implemented yet".into()))
}
