//! DSSE envelopes and in-toto statements: untrusted bytes → typed, capped structures.
//!
//! Owns: the envelope shape, the pre-authentication encoding (PAE), and the in-toto statement
//! subjects. Must not touch: signature checks (that is `verify`), files, the clock.

use serde::Deserialize;

use crate::bundle::error::{b64_field, BundleError};
use crate::bundle::json::{self, JsonError};
use crate::limits;

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseSignature {
    pub sig: Vec<u8>,
    pub keyid: Option<String>,
}

/// A DSSE envelope (payload still unauthenticated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<DsseSignature>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawEnvelope {
    payload: Option<String>,
    payload_type: Option<String>,
    #[serde(default)]
    signatures: Vec<RawSig>,
}

#[derive(Deserialize)]
struct RawSig {
    sig: Option<String>,
    keyid: Option<String>,
}

impl Envelope {
    /// Parses a standalone envelope (a cosign `.att` layer, an HMAC-signed envelope file).
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let raw: RawEnvelope =
            json::parse(bytes, limits::MAX_BUNDLE_BYTES, limits::MAX_JSON_DEPTH)?;
        Self::from_raw(raw)
    }

    pub(crate) fn from_raw(raw: RawEnvelope) -> Result<Self, BundleError> {
        let payload = b64_field(
            &raw.payload.ok_or(BundleError::Missing {
                field: "dsseEnvelope.payload",
            })?,
            "dsseEnvelope.payload",
        )?;
        let payload_type = raw.payload_type.ok_or(BundleError::Missing {
            field: "dsseEnvelope.payloadType",
        })?;
        if raw.signatures.len() > limits::MAX_DSSE_SIGNATURES {
            return Err(BundleError::TooMany {
                what: "DSSE signatures",
                count: raw.signatures.len(),
                limit: limits::MAX_DSSE_SIGNATURES,
            });
        }
        let mut signatures = Vec::with_capacity(raw.signatures.len());
        for s in raw.signatures {
            let sig = b64_field(
                &s.sig.ok_or(BundleError::Missing {
                    field: "dsseEnvelope.signatures.sig",
                })?,
                "dsseEnvelope.signatures.sig",
            )?;
            signatures.push(DsseSignature {
                sig,
                keyid: s.keyid.filter(|k| !k.is_empty()),
            });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// The bytes DSSE signs: `PAE(type, body)`.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

/// DSSE v1 pre-authentication encoding.
///
/// Spec (DSSE protocol.md): `PAE(type, body) = "DSSEv1" + SP + LEN(type) + SP + type + SP +
/// LEN(body) + SP + body`, where LEN is the ASCII decimal byte length.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    pae_pieces(payload_type, payload, |p| out.extend_from_slice(p));
    out
}

/// [`pae`] handed out in pieces (to a hasher: a large payload is never copied). The one PAE
/// implementation.
pub fn pae_pieces(payload_type: &str, payload: &[u8], mut put: impl FnMut(&[u8])) {
    put(b"DSSEv1 ");
    put(payload_type.len().to_string().as_bytes());
    put(b" ");
    put(payload_type.as_bytes());
    put(b" ");
    put(payload.len().to_string().as_bytes());
    put(b" ");
    put(payload);
}

/// The in-toto payload type.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// One subject of an in-toto statement: a name and its digests (algorithm → lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Subject {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub digest: std::collections::BTreeMap<String, String>,
}

/// An in-toto statement (v0.1 or v1); the predicate is kept as JSON.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    #[serde(default)]
    pub subject: Vec<Subject>,
    #[serde(default)]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// Why a payload is not a usable in-toto statement.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StatementError {
    #[error("payload is not an in-toto statement: {0}")]
    Malformed(String),
    #[error("statement has {count} subjects, at most {limit} allowed")]
    TooManySubjects { count: usize, limit: usize },
}

impl Statement {
    /// Parses an in-toto statement from DSSE payload bytes, capped.
    pub fn from_json(bytes: &[u8]) -> Result<Self, StatementError> {
        let st: Statement = json::parse(bytes, limits::MAX_BUNDLE_BYTES, limits::MAX_JSON_DEPTH)
            .map_err(|e: JsonError| StatementError::Malformed(e.to_string()))?;
        if st.subject.len() > limits::MAX_INTOTO_SUBJECTS {
            return Err(StatementError::TooManySubjects {
                count: st.subject.len(),
                limit: limits::MAX_INTOTO_SUBJECTS,
            });
        }
        Ok(st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // DSSE protocol.md test vector.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
