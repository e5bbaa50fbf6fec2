//! Why bytes are not a usable Sigstore bundle (or DSSE envelope): the one error of the bundle
//! parsers, shared by `sigstore` and `dsse` so that neither imports the other for it.
//!
//! Owns: [`BundleError`] and its reason codes. Must not touch: parsing itself.

use crate::bundle::json::{b64_decode, JsonError};

/// Why bytes are not a usable Sigstore bundle.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BundleError {
    #[error("bundle is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("bundle JSON nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("bundle is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("unknown bundle media type '{0}'")]
    UnknownMediaType(String),
    #[error("field {field} is not valid base64")]
    InvalidBase64 { field: &'static str },
    #[error("field {field} is missing")]
    Missing { field: &'static str },
    #[error("field {field} has an invalid value: {why}")]
    InvalidField { field: &'static str, why: String },
    #[error("the x509CertificateChain is empty")]
    EmptyCertificateChain,
    #[error("{what}: {count} present, at most {limit} allowed")]
    TooMany {
        what: &'static str,
        count: usize,
        limit: usize,
    },
    #[error("a v{version} bundle must carry {what} in every transparency-log entry")]
    VersionRequires {
        version: &'static str,
        what: &'static str,
    },
}

impl BundleError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "bundle-too-large",
            Self::TooDeep { .. } => "bundle-too-deep",
            Self::MalformedJson(_) => "bundle-malformed-json",
            Self::UnknownMediaType(_) => "bundle-unknown-media-type",
            Self::InvalidBase64 { .. } => "bundle-invalid-base64",
            Self::Missing { .. } => "bundle-missing-field",
            Self::InvalidField { .. } => "bundle-invalid-field",
            Self::EmptyCertificateChain => "bundle-empty-certificate-chain",
            Self::TooMany { .. } => "bundle-over-limit",
            Self::VersionRequires { .. } => "bundle-missing-tlog-evidence",
        }
    }
}

impl From<JsonError> for BundleError {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::TooLarge { size, limit } => Self::TooLarge { size, limit },
            JsonError::TooDeep { limit } => Self::TooDeep { limit },
            JsonError::Malformed(m) => Self::MalformedJson(m),
        }
    }
}

/// A base64 field of a bundle, decoded (its name in the error).
pub(crate) fn b64_field(s: &str, field: &'static str) -> Result<Vec<u8>, BundleError> {
    b64_decode(s).map_err(|_| BundleError::InvalidBase64 { field })
}
