//! Capped JSON reading shared by every parser of outside JSON.
//!
//! Owns: the size and depth checks done before serde sees the bytes, and the base64 and
//! protobuf-JSON integer helpers. Must not touch: files, trust, crypto.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::{Deserialize, Deserializer};

/// Why a JSON document was refused before or while it was parsed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum JsonError {
    #[error("document is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("JSON nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("malformed JSON: {0}")]
    Malformed(String),
}

/// Standard base64 as protobuf-JSON writes it; padding may be present or not.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes standard base64 (the protobuf-JSON encoding of `bytes`).
///
/// Line breaks (`\r`, `\n`) are skipped, as Go's encoding/base64 (and so protojson and
/// sigstore-go) does: tools such as `base64` wrap their output at 76 columns, and real bundles
/// carry such values (conformance case `rekor2-timestamp-with-incorrect-time_fail`). Any other
/// character outside the alphabet is refused.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if s.contains(['\r', '\n']) {
        let joined: String = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        return B64.decode(joined);
    }
    B64.decode(s)
}

/// Encodes bytes as standard padded base64.
pub fn b64_encode(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Refuses documents over `max_bytes` or nested deeper than `max_depth`, without parsing them.
///
/// The depth scan is a single pass that skips string contents, so a hostile document costs
/// linear time and constant stack whatever serde would have done with it.
pub fn precheck(bytes: &[u8], max_bytes: u64, max_depth: usize) -> Result<(), JsonError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > max_bytes {
        return Err(JsonError::TooLarge {
            size,
            limit: max_bytes,
        });
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(JsonError::TooDeep { limit: max_depth });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses capped JSON into `T` (derived structs refuse duplicate keys).
pub fn parse<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    max_bytes: u64,
    max_depth: usize,
) -> Result<T, JsonError> {
    precheck(bytes, max_bytes, max_depth)?;
    serde_json::from_slice(bytes).map_err(|e| JsonError::Malformed(e.to_string()))
}

/// A protobuf-JSON int64: written as a string ("75441652") or, by some producers, a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PbInt(pub i64);

impl<'de> Deserialize<'de> for PbInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            N(i64),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(PbInt(n)),
            Raw::S(s) => s
                .parse::<i64>()
                .map(PbInt)
                .map_err(|_| serde::de::Error::custom(format!("'{s}' is not an int64"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeply_nested_json_is_refused_without_recursion() {
        let doc = "[".repeat(10_000);
        assert_eq!(
            precheck(doc.as_bytes(), 1 << 20, 64),
            Err(JsonError::TooDeep { limit: 64 })
        );
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_depth() {
        let doc = format!("{{\"a\":\"{}\"}}", "[".repeat(1000));
        assert!(precheck(doc.as_bytes(), 1 << 20, 4).is_ok());
    }

    #[test]
    fn oversized_document_is_refused_before_parsing() {
        assert!(matches!(
            precheck(&[b' '; 100], 10, 64),
            Err(JsonError::TooLarge { size: 100, .. })
        ));
    }

    #[test]
    fn base64_skips_line_breaks_but_nothing_else() {
        assert_eq!(b64_decode("aGVs\nbG8=").ok(), Some(b"hello".to_vec()));
        assert_eq!(b64_decode("aGVs\r\nbG8=").ok(), Some(b"hello".to_vec()));
        assert!(b64_decode("aGVs bG8=").is_err());
        assert!(b64_decode("aGVs!bG8=").is_err());
    }

    #[test]
    fn int64_accepts_string_and_number_forms() {
        let v: Vec<PbInt> = serde_json::from_str(r#"["12", 13, "-1"]"#).unwrap_or_default();
        assert_eq!(v, vec![PbInt(12), PbInt(13), PbInt(-1)]);
        assert!(serde_json::from_str::<PbInt>(r#""1x""#).is_err());
    }
}
