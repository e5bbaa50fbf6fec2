//! The typed Sigstore trusted root (`trusted_root.json`, media type
//! `application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
//!
//! Owns: parsing the trusted root into typed authorities and logs with closed validity windows.
//! Must not touch: TUF (it receives bytes that TUF or the operator vouched for), files, the clock.

use serde::Deserialize;

use crate::bundle::json::{self, b64_decode, JsonError};
use crate::limits;
use crate::time::{parse_rfc3339, Timestamp, Window};

/// Why bytes are not a usable trusted root.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TrustedRootError {
    #[error("trusted root is not valid JSON: {0}")]
    Json(#[from] JsonError),
    #[error("unknown trusted root media type '{0}'")]
    UnknownMediaType(String),
    #[error("{field} is missing")]
    Missing { field: String },
    #[error("{field} is invalid: {why}")]
    Invalid { field: String, why: String },
    #[error("{what}: {count} present, at most {limit} allowed")]
    TooMany {
        what: &'static str,
        count: usize,
        limit: usize,
    },
}

impl TrustedRootError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        "trusted-root-invalid"
    }
}

/// Key type and signature scheme of a log or CT key (`keyDetails`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KeyDetails {
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    EcdsaP521Sha512,
    Ed25519,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    /// A value this build does not know; the SPKI decides, or the key is unusable.
    Unknown,
}

impl KeyDetails {
    fn from_proto(s: &str) -> Self {
        match s {
            "PKIX_ECDSA_P256_SHA_256" => Self::EcdsaP256Sha256,
            "PKIX_ECDSA_P384_SHA_384" => Self::EcdsaP384Sha384,
            "PKIX_ECDSA_P521_SHA_512" => Self::EcdsaP521Sha512,
            "PKIX_ED25519" => Self::Ed25519,
            "PKIX_RSA_PKCS1V15_2048_SHA256"
            | "PKIX_RSA_PKCS1V15_3072_SHA256"
            | "PKIX_RSA_PKCS1V15_4096_SHA256"
            | "PKIX_RSA_PKCS1V5" => Self::RsaPkcs1Sha256,
            "PKIX_RSA_PSS_2048_SHA256"
            | "PKIX_RSA_PSS_3072_SHA256"
            | "PKIX_RSA_PSS_4096_SHA256" => Self::RsaPssSha256,
            _ => Self::Unknown,
        }
    }
}

/// A transparency log (Rekor) or certificate-transparency log from the trusted root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransparencyLog {
    pub base_url: String,
    /// DER SubjectPublicKeyInfo of the log key.
    #[serde(with = "hex_bytes")]
    pub public_key: Vec<u8>,
    pub key_details: KeyDetails,
    /// When the key was in use (closed interval).
    pub valid_for: Window,
    /// The log ID bundles name the log by (`logId.keyId`).
    #[serde(with = "hex_bytes")]
    pub log_id: Vec<u8>,
    /// The checkpoint origin for Rekor v2 logs (host of `baseUrl`), when one is known.
    pub checkpoint_key_id: Option<Vec<u8>>,
    /// `public_key` parsed on first use, then kept: a prepared verifier parses each log key once,
    /// not once per entry or SCT.
    #[serde(skip)]
    pub parsed_key: ParsedKey,
}

/// A log key parsed once (or the reason it is unusable), shared by every verification.
#[derive(Debug, Clone, Default)]
pub struct ParsedKey(std::sync::OnceLock<Result<crate::crypto::PublicKey, String>>);

impl PartialEq for ParsedKey {
    /// A cache: two logs are equal by their data, never by whether a key was parsed yet.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ParsedKey {}

impl TransparencyLog {
    /// The log's public key, parsed on first use.
    pub fn key(&self) -> Result<&crate::crypto::PublicKey, String> {
        self.parsed_key
            .0
            .get_or_init(|| {
                crate::crypto::PublicKey::from_spki_der(&self.public_key).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::clone)
    }
}

/// A certificate authority (Fulcio) or timestamp authority from the trusted root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertificateAuthority {
    pub organization: String,
    pub common_name: String,
    pub uri: String,
    /// DER certificates, from the issuing (leaf-most) certificate to the root, as listed.
    #[serde(skip)]
    pub cert_chain: Vec<Vec<u8>>,
    pub valid_for: Window,
}

/// A parsed trusted root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrustedRoot {
    pub media_type: String,
    pub tlogs: Vec<TransparencyLog>,
    pub certificate_authorities: Vec<CertificateAuthority>,
    pub ctlogs: Vec<TransparencyLog>,
    pub timestamp_authorities: Vec<CertificateAuthority>,
    /// SHA-256 of the exact bytes this root was parsed from.
    #[serde(with = "hex_bytes")]
    pub digest: Vec<u8>,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }
}

// ---- protobuf-JSON shape ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawCa>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    timestamp_authorities: Vec<RawCa>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    base_url: Option<String>,
    public_key: Option<RawPublicKey>,
    log_id: Option<RawLogId>,
    checkpoint_key_id: Option<RawLogId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPublicKey {
    raw_bytes: Option<String>,
    key_details: Option<String>,
    valid_for: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCa {
    subject: Option<RawSubject>,
    uri: Option<String>,
    cert_chain: Option<RawChain>,
    valid_for: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSubject {
    organization: Option<String>,
    common_name: Option<String>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: Option<String>,
}

pub const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

fn missing(field: String) -> TrustedRootError {
    TrustedRootError::Missing { field }
}

fn b64(s: &str, field: String) -> Result<Vec<u8>, TrustedRootError> {
    b64_decode(s).map_err(|_| TrustedRootError::Invalid {
        field,
        why: "not valid base64".into(),
    })
}

/// TimeRange: `start` is required; a missing start is refused rather than read as unbounded
/// (conformance case `trust-root-tlog-missing-validity-start_fail`).
fn window(r: Option<RawRange>, field: String) -> Result<Window, TrustedRootError> {
    let r = r.ok_or_else(|| missing(format!("{field}.validFor")))?;
    let start_s = r
        .start
        .ok_or_else(|| missing(format!("{field}.validFor.start")))?;
    let start = parse_rfc3339(&start_s).map_err(|why| TrustedRootError::Invalid {
        field: format!("{field}.validFor.start"),
        why,
    })?;
    let end = match r.end {
        None => None,
        Some(e) => Some(parse_rfc3339(&e).map_err(|why| TrustedRootError::Invalid {
            field: format!("{field}.validFor.end"),
            why,
        })?),
    };
    if end.is_some_and(|e: Timestamp| e < start) {
        return Err(TrustedRootError::Invalid {
            field: format!("{field}.validFor"),
            why: "end is before start".into(),
        });
    }
    Ok(Window { start, end })
}

fn cap(what: &'static str, count: usize) -> Result<(), TrustedRootError> {
    if count > limits::MAX_TRUSTED_ROOT_ENTRIES {
        return Err(TrustedRootError::TooMany {
            what,
            count,
            limit: limits::MAX_TRUSTED_ROOT_ENTRIES,
        });
    }
    Ok(())
}

fn log(raw: RawLog, field: String) -> Result<TransparencyLog, TrustedRootError> {
    let pk = raw
        .public_key
        .ok_or_else(|| missing(format!("{field}.publicKey")))?;
    let public_key = b64(
        &pk.raw_bytes
            .ok_or_else(|| missing(format!("{field}.publicKey.rawBytes")))?,
        format!("{field}.publicKey.rawBytes"),
    )?;
    let key_details = KeyDetails::from_proto(pk.key_details.as_deref().unwrap_or(""));
    let valid_for = window(pk.valid_for, format!("{field}.publicKey"))?;
    let log_id = b64(
        &raw.log_id
            .and_then(|l| l.key_id)
            .ok_or_else(|| missing(format!("{field}.logId.keyId")))?,
        format!("{field}.logId.keyId"),
    )?;
    let checkpoint_key_id = match raw.checkpoint_key_id.and_then(|l| l.key_id) {
        None => None,
        Some(k) => Some(b64(&k, format!("{field}.checkpointKeyId.keyId"))?),
    };
    Ok(TransparencyLog {
        base_url: raw.base_url.unwrap_or_default(),
        public_key,
        key_details,
        valid_for,
        log_id,
        checkpoint_key_id,
        parsed_key: ParsedKey::default(),
    })
}

fn ca(raw: RawCa, field: String) -> Result<CertificateAuthority, TrustedRootError> {
    let subject = raw.subject.unwrap_or(RawSubject {
        organization: None,
        common_name: None,
    });
    let chain = raw
        .cert_chain
        .ok_or_else(|| missing(format!("{field}.certChain")))?;
    if chain.certificates.is_empty() {
        return Err(TrustedRootError::Invalid {
            field: format!("{field}.certChain"),
            why: "no certificates".into(),
        });
    }
    if chain.certificates.len() > limits::MAX_CHAIN_LEN {
        return Err(TrustedRootError::TooMany {
            what: "certificates in a chain",
            count: chain.certificates.len(),
            limit: limits::MAX_CHAIN_LEN,
        });
    }
    let mut cert_chain = Vec::with_capacity(chain.certificates.len());
    for c in chain.certificates {
        cert_chain.push(b64(
            &c.raw_bytes
                .ok_or_else(|| missing(format!("{field}.certChain.certificates.rawBytes")))?,
            format!("{field}.certChain.certificates.rawBytes"),
        )?);
    }
    Ok(CertificateAuthority {
        organization: subject.organization.unwrap_or_default(),
        common_name: subject.common_name.unwrap_or_default(),
        uri: raw.uri.unwrap_or_default(),
        cert_chain,
        valid_for: window(raw.valid_for, field)?,
    })
}

impl TrustedRoot {
    /// Whether this root holds a CA certificate whose subject is the issuer of `leaf` (DER): how
    /// a verifier with several trust instances picks the one whose Fulcio issued a leaf. Only a
    /// choice of which root to verify against: the chain itself is verified as always.
    pub fn issued(&self, leaf: &[u8]) -> bool {
        let Some(issuer) = crate::der::cert_issuer(leaf) else {
            return false;
        };
        self.certificate_authorities.iter().any(|ca| {
            ca.cert_chain
                .iter()
                .any(|c| crate::der::cert_subject(c) == Some(issuer))
        })
    }

    /// Parses a trusted root from its exact bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustedRootError> {
        let raw: RawRoot = json::parse(
            bytes,
            limits::MAX_TRUSTED_ROOT_BYTES,
            limits::MAX_JSON_DEPTH,
        )?;
        let media_type = raw.media_type.ok_or_else(|| missing("mediaType".into()))?;
        if media_type != MEDIA_TYPE_V01 {
            return Err(TrustedRootError::UnknownMediaType(media_type));
        }
        cap("tlogs", raw.tlogs.len())?;
        cap("ctlogs", raw.ctlogs.len())?;
        cap("certificateAuthorities", raw.certificate_authorities.len())?;
        cap("timestampAuthorities", raw.timestamp_authorities.len())?;
        let mut tlogs = Vec::new();
        for (i, l) in raw.tlogs.into_iter().enumerate() {
            tlogs.push(log(l, format!("tlogs[{i}]"))?);
        }
        let mut ctlogs = Vec::new();
        for (i, l) in raw.ctlogs.into_iter().enumerate() {
            ctlogs.push(log(l, format!("ctlogs[{i}]"))?);
        }
        let mut certificate_authorities = Vec::new();
        for (i, c) in raw.certificate_authorities.into_iter().enumerate() {
            certificate_authorities.push(ca(c, format!("certificateAuthorities[{i}]"))?);
        }
        let mut timestamp_authorities = Vec::new();
        for (i, c) in raw.timestamp_authorities.into_iter().enumerate() {
            timestamp_authorities.push(ca(c, format!("timestampAuthorities[{i}]"))?);
        }
        Ok(TrustedRoot {
            media_type,
            tlogs,
            certificate_authorities,
            ctlogs,
            timestamp_authorities,
            digest: aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
                .as_ref()
                .to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: &[u8] =
        include_bytes!("../../tests/data/conformance/trusted-roots/public-good-production.json");

    #[test]
    fn public_good_production_root_parses() {
        let r = TrustedRoot::from_json(PROD).map_err(|e| e.to_string());
        let r = match r {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(r.tlogs.len(), 2);
        assert_eq!(r.certificate_authorities.len(), 2);
        assert_eq!(r.ctlogs.len(), 2);
        assert_eq!(r.timestamp_authorities.len(), 1);
        assert_eq!(r.tlogs[1].key_details, KeyDetails::Ed25519);
    }

    /// GitHub's instance: Fulcio CAs and TSAs, no transparency log, no CT log.
    #[test]
    fn github_instance_root_parses_with_no_logs() {
        let gh = include_bytes!("../../tests/data/github-instance/trusted_root.json");
        let r = TrustedRoot::from_json(gh).unwrap();
        assert!(r.tlogs.is_empty() && r.ctlogs.is_empty());
        assert_eq!(r.certificate_authorities.len(), 6);
        assert_eq!(r.timestamp_authorities.len(), 6);
    }

    #[test]
    fn tlog_key_without_validity_start_is_refused_not_unbounded() {
        let doc = String::from_utf8_lossy(PROD).replacen(
            "\"start\": \"2021-01-12T11:53:27Z\"",
            "\"x\": 1",
            1,
        );
        // The replacement must have happened for the test to mean anything.
        assert_ne!(doc.as_bytes(), PROD);
        assert!(matches!(
            TrustedRoot::from_json(doc.as_bytes()),
            Err(TrustedRootError::Missing { field }) if field.ends_with("validFor.start")
        ));
    }
}
