//! Fulcio certificates: leaf parsing, chain to a trusted CA at a given time, codeSigning EKU,
//! Fulcio extensions, and embedded SCTs (RFC 6962) against the trusted CT logs.
//!
//! Owns: X.509 path validation and SCT checks. Must not touch: files, the clock, policy.
//! (Contract stub: being implemented.)

use crate::bundle::HashAlgorithm;
use crate::time::Timestamp;
use crate::trust::TrustedRoot;
use crate::verify::crypto::PublicKey;

/// Why a certificate was refused. Each variant maps to a stable reason code via [`CertError::code`].
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CertError {
    #[error("certificate is not valid DER X.509: {0}")]
    Malformed(String),
}

impl CertError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "certificate-malformed",
        }
    }
}

/// A Subject Alternative Name the verifier reports and policy matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum San {
    Uri(String),
    Email(String),
    OtherName(String),
    Dns(String),
}

impl San {
    pub fn value(&self) -> &str {
        match self {
            San::Uri(v) | San::Email(v) | San::OtherName(v) | San::Dns(v) => v,
        }
    }
}

/// What a leaf certificate says (read, not yet trusted).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertificateSummary {
    pub serial: String,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub subject_alternative_names: Vec<San>,
    /// OIDC issuer from 1.3.6.1.4.1.57264.1.8, else the legacy 1.3.6.1.4.1.57264.1.1.
    pub oidc_issuer: Option<String>,
    /// Every Fulcio extension (1.3.6.1.4.1.57264.1.*) present, by its spec name.
    pub fulcio_extensions: std::collections::BTreeMap<String, String>,
}

/// A parsed leaf certificate.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub der: Vec<u8>,
    pub public_key: PublicKey,
    /// The hash the leaf's key signs with by default (SHA-256 for P-256, SHA-384 for P-384...).
    pub default_hash: HashAlgorithm,
    pub summary: CertificateSummary,
}

/// A chain that verified at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOk {
    /// URI of the trusted-root CA that issued the leaf.
    pub ca_uri: String,
    /// DER SubjectPublicKeyInfo of the leaf's direct issuer (for SCT `issuer_key_hash`).
    pub issuer_spki_der: Vec<u8>,
}

/// Parses a leaf certificate and reads its identity facts.
pub fn parse_leaf(der: &[u8]) -> Result<Leaf, CertError> {
    let _ = der;
    Err(CertError::Malformed("not implemented yet".into()))
}

/// Verifies `leaf` chains to a CA of `root` whose `validFor` contains `at`, every certificate
/// valid at `at`, codeSigning EKU on the leaf. `bundle_rest` are the extra certificates a v0.1/v0.2
/// bundle carried.
pub fn verify_chain(
    leaf: &Leaf,
    bundle_rest: &[Vec<u8>],
    root: &TrustedRoot,
    at: Timestamp,
) -> Result<ChainOk, CertError> {
    let _ = (leaf, bundle_rest, root, at);
    Err(CertError::Malformed("not implemented yet".into()))
}

/// Verifies the leaf's embedded SCTs; returns how many verified against trusted CT logs
/// (at least one is required, else an error).
pub fn verify_scts(leaf: &Leaf, chain: &ChainOk, root: &TrustedRoot) -> Result<usize, CertError> {
    let _ = (leaf, chain, root);
    Err(CertError::Malformed("not implemented yet".into()))
}
