//! What a Fulcio leaf certificate claims: its Subject Alternative Names, OIDC issuer and Fulcio
//! extensions, as read (not yet trusted). `verify::cert` reads and verifies leaves into these;
//! `policy` matches identities against them. A leaf module: neither side imports the other for
//! them.
//!
//! Owns: the claim types. Must not touch: parsing, verification, matching.

use std::collections::BTreeMap;

use crate::time::Timestamp;

/// A Subject Alternative Name the verifier reports and policy matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSummary {
    /// Serial number, lowercase hex without leading zeros.
    pub serial: String,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub subject_alternative_names: Vec<San>,
    /// OIDC issuer from 1.3.6.1.4.1.57264.1.8, else the legacy 1.3.6.1.4.1.57264.1.1.
    pub oidc_issuer: Option<String>,
    /// Every Fulcio extension (1.3.6.1.4.1.57264.1.*) present, by its spec name.
    pub fulcio_extensions: BTreeMap<String, String>,
}
