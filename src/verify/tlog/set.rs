//! The signed entry timestamp (SET, Rekor v1 "inclusion promise").
//!
//! Owns: the exact bytes the log signs for a SET and their signature check. Must not touch:
//! the entry body's meaning, inclusion proofs, the clock (the integrated time is only reported).

use std::fmt::Write as _;

use base64::Engine;

use crate::bundle::HashAlgorithm;
use crate::crypto::{PublicKey, RsaPadding};

/// Why a SET did not verify.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetError {
    #[error("the signed entry timestamp does not verify with the log key")]
    BadSignature,
}

impl SetError {
    pub(crate) fn code(&self) -> &'static str {
        "set-invalid"
    }
}

/// The canonical JSON the log signs.
///
/// Rekor v1 (`VerifySET`): the SET is the log's signature over the RFC 8785 canonical JSON of
/// `{"body": <base64 canonicalizedBody>, "integratedTime": N, "logID": "<hex log ID>",
/// "logIndex": N}` — keys sorted, no whitespace. Base64 and lowercase hex need no JSON escaping
/// and integers print as plain decimals, so the bytes are written out directly, never through a
/// map whose key order or number format could drift.
pub(crate) fn payload(body: &[u8], integrated_time: i64, log_id: &[u8], log_index: u64) -> String {
    let b64_len = body.len().div_ceil(3) * 4;
    let mut out = String::with_capacity(b64_len + log_id.len() * 2 + 96);
    out.push_str("{\"body\":\"");
    base64::engine::general_purpose::STANDARD.encode_string(body, &mut out);
    out.push_str("\",\"integratedTime\":");
    // Writing into a String cannot fail.
    let _ = write!(out, "{integrated_time}");
    out.push_str(",\"logID\":\"");
    push_hex(&mut out, log_id);
    out.push_str("\",\"logIndex\":");
    let _ = write!(out, "{log_index}");
    out.push('}');
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

/// Checks `set` over the payload of this entry with the log key.
pub(crate) fn verify(
    key: &PublicKey,
    hash: HashAlgorithm,
    padding: RsaPadding,
    set: &[u8],
    payload: &str,
) -> Result<(), SetError> {
    key.verify(hash, padding, payload.as_bytes(), set)
        .map_err(|_| SetError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::tlog::checkpoint::tests::ec_log;

    #[test]
    fn payload_is_the_canonical_json_rekor_signs() {
        let p = payload(b"{\"a\":1}", 1689177396, &[0xc0, 0xd2, 0x3d], 27246492);
        assert_eq!(
            p,
            "{\"body\":\"eyJhIjoxfQ==\",\"integratedTime\":1689177396,\"logID\":\"c0d23d\",\
             \"logIndex\":27246492}"
        );
        // It is valid JSON with exactly these members.
        let v: serde_json::Value = serde_json::from_str(&p).unwrap_or_default();
        assert_eq!(v["logIndex"], 27246492);
    }

    #[test]
    fn set_over_a_tampered_integrated_time_is_refused() {
        let log = ec_log();
        let body = b"{\"kind\":\"hashedrekord\"}";
        let good = payload(body, 1_700_000_000, &log.log_id, 7);
        let set = log.sign(good.as_bytes());
        let p = |t| payload(body, t, &log.log_id, 7);
        let check = |p: &str| verify(&log.key, HashAlgorithm::Sha256, RsaPadding::Pkcs1, &set, p);
        assert_eq!(check(&good), Ok(()));
        assert_eq!(check(&p(1_600_000_000)), Err(SetError::BadSignature));
    }

    #[test]
    fn set_over_a_tampered_log_index_or_body_is_refused() {
        let log = ec_log();
        let body = b"{\"kind\":\"hashedrekord\"}";
        let set = log.sign(payload(body, 1_700_000_000, &log.log_id, 7).as_bytes());
        let check =
            |p: String| verify(&log.key, HashAlgorithm::Sha256, RsaPadding::Pkcs1, &set, &p);
        assert!(check(payload(body, 1_700_000_000, &log.log_id, 8)).is_err());
        assert!(check(payload(
            b"{\"kind\":\"dsse\"}",
            1_700_000_000,
            &log.log_id,
            7
        ))
        .is_err());
        assert!(check(payload(body, 1_700_000_000, &[0u8; 32], 7)).is_err());
    }

    #[test]
    fn set_signed_by_unknown_key_is_refused() {
        let log = ec_log();
        let other = ec_log();
        let p = payload(b"{}", 1, &log.log_id, 0);
        let set = other.sign(p.as_bytes());
        assert!(verify(&log.key, HashAlgorithm::Sha256, RsaPadding::Pkcs1, &set, &p).is_err());
    }
}
