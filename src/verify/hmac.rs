//! HMAC-SHA256 evidence: proof records and DSSE envelopes signed with a per-deployment key.
//!
//! Owns: checking an HMAC over a record's canonical body or an envelope's PAE, in constant
//! time. Must not touch: files (the key is handed in), the clock, the policy's choice of key.

use crate::bundle::dsse::Envelope;
use crate::bundle::proof::ProofRecord;
use crate::crypto;

/// Why HMAC evidence does not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HmacError {
    #[error("the record's HMAC-SHA256 does not match its canonical body under key {key_id}")]
    RecordMismatch { key_id: String },
    #[error("no signature of the envelope is an HMAC-SHA256 of its PAE under key {key_id}")]
    EnvelopeMismatch { key_id: String },
}

impl HmacError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::RecordMismatch { .. } => "hmac-invalid",
            Self::EnvelopeMismatch { .. } => "dsse-hmac-invalid",
        }
    }
}

/// Verifies a proof record: `signature == HMAC-SHA256(key, canonical(body))`, in constant time.
pub fn verify_record(rec: &ProofRecord, key: &[u8], key_id: &str) -> Result<(), HmacError> {
    if crypto::hmac_sha256_verify(key, &rec.canonical_body, &rec.signature) {
        Ok(())
    } else {
        Err(HmacError::RecordMismatch {
            key_id: key_id.to_string(),
        })
    }
}

/// Verifies a DSSE envelope whose signature is an HMAC-SHA256 of `PAE(type, payload)`
/// (DSSE protocol: "SIGNATURE = Sign(PAE(UTF8(PAYLOAD_TYPE), SERIALIZED_BODY))").
pub fn verify_envelope(env: &Envelope, key: &[u8], key_id: &str) -> Result<(), HmacError> {
    let pae = env.pae();
    if env
        .signatures
        .iter()
        .any(|s| crypto::hmac_sha256_verify(key, &pae, &s.sig))
    {
        Ok(())
    } else {
        Err(HmacError::EnvelopeMismatch {
            key_id: key_id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"airlock-test-hmac-key-0123456789";

    #[test]
    fn python_computed_vector_verifies_and_a_flipped_byte_does_not() {
        // hmac.new(KEY, canonical.encode(), hashlib.sha256).hexdigest() in Python 3.11, over
        // the canonical body of bundle::proof's test vector.
        let sig = "534355d8efba06e2d14970b6284da0ef2600f0f1942f88e88681d79b11cb653a";
        let body = r#"{"subject":[{"name":"app.tar.gz","digest":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}],"pipeline":"release","build":42,"note":"café ✓ \u0001","nested":{"z":[1,2,{"b":true,"a":null}],"a":"x\"y\\z\n"}}"#;
        let rec = format!(r#"{{"body":{body},"signature":"{sig}"}}"#);
        let r = ProofRecord::from_json(rec.as_bytes()).unwrap();
        assert!(verify_record(&r, KEY, "k").is_ok());
        let edited = rec.replace("\"build\":42", "\"build\":43");
        let r = ProofRecord::from_json(edited.as_bytes()).unwrap();
        assert_eq!(
            verify_record(&r, KEY, "k").unwrap_err().code(),
            "hmac-invalid"
        );
        let r = ProofRecord::from_json(rec.as_bytes()).unwrap();
        assert!(verify_record(&r, b"another key of enough length", "k").is_err());
    }
}
