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

/// Parses capped JSON into `T` (derived structs refuse duplicate keys); a failure names the
/// field (`verificationMaterial.tlogEntries[0].logIndex: ...`).
///
/// The fast path is plain serde; only a document that fails is parsed a second time, tracking
/// the path, so good documents pay nothing for the better message.
pub fn parse<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    max_bytes: u64,
    max_depth: usize,
) -> Result<T, JsonError> {
    precheck(bytes, max_bytes, max_depth)?;
    // RFC 8259 §8.1: "Implementations MUST NOT add a byte order mark (U+FEFF) to the beginning
    // of a networked-transmitted JSON text."
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        return Err(JsonError::Malformed(
            "starts with a UTF-8 byte-order mark, which JSON does not allow".into(),
        ));
    }
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let r = serde_path_to_error::deserialize::<_, T>(&mut de);
    let e = match r {
        Ok(v) => match de.end() {
            Ok(()) => return Ok(v),
            Err(e) => return Err(JsonError::Malformed(explain(&e))),
        },
        Err(e) => e,
    };
    let path = e.path().to_string();
    let inner = explain(e.inner());
    // A syntax error is about bytes, not about a field: its line and column say where.
    let syntax = matches!(
        e.inner().classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    );
    Err(JsonError::Malformed(
        if syntax || path == "." || path.is_empty() {
            inner
        } else {
            format!("field {}: {inner}", crate::text::escape(&path))
        },
    ))
}

/// serde_json's wording, wrapped in a sentence that says what is wrong with the document.
fn explain(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let base = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(b, _)| b);
    let at = if e.line() > 0 {
        format!(" (line {}, column {})", e.line(), e.column())
    } else {
        String::new()
    };
    let what = if base.contains("surrogate")
        || base.contains("hex escape")
        || base.contains("invalid escape")
        || base.contains("unicode code point")
    {
        format!("contains an invalid \\u escape ({base})")
    } else if base.starts_with("EOF while parsing") {
        format!("is truncated ({base})")
    } else if base.starts_with("control character") {
        "contains a raw control character inside a string (it must be escaped)".to_string()
    } else if base.starts_with("trailing characters") {
        "has data after the end of the JSON document".to_string()
    } else {
        base.to_string()
    };
    format!("{what}{at}")
}

/// A protobuf-JSON int64: written as a string ("75441652") or, by some producers, a number.
///
/// protobuf JSON mapping: "int64 ... JSON value will be a decimal string. Either numbers or
/// strings are accepted." A string must itself be a JSON integer: no `+`, no leading zero, no
/// fraction or exponent (`"+79571823"` and `"079571823"` are refused, as protojson does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PbInt(pub i64);

fn strict_int64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

impl<'de> Deserialize<'de> for PbInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = PbInt;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an int64, as a decimal string or an integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PbInt, E> {
                Ok(PbInt(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PbInt, E> {
                i64::try_from(v)
                    .map(PbInt)
                    .map_err(|_| E::custom(format!("expected an int64, found {v}, out of range")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<PbInt, E> {
                Err(E::custom(format!(
                    "expected an int64 (a decimal string or an integer), found the number {v:?}"
                )))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<PbInt, E> {
                strict_int64(s).map(PbInt).ok_or_else(|| {
                    E::custom(format!(
                        "expected an int64 as a decimal string, found \"{}\"",
                        crate::text::escape(s)
                    ))
                })
            }
        }
        d.deserialize_any(V)
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

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)] // read only through Debug
    struct Entry {
        log_index: PbInt,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Doc {
        tlog_entries: Vec<Entry>,
    }

    fn error_of(doc: &str) -> String {
        match parse::<Doc>(doc.as_bytes(), 1 << 20, 64) {
            Err(JsonError::Malformed(m)) => m,
            other => panic!("{doc}: {other:?}"),
        }
    }

    #[test]
    fn non_integer_numbers_name_their_field_and_what_was_expected() {
        for (raw, found) in [("1e30", "1e30"), ("-0", "-0.0"), ("1.0", "1.0")] {
            let m = error_of(&format!(r#"{{"tlogEntries":[{{"logIndex":{raw}}}]}}"#));
            assert!(
                m.starts_with("field tlogEntries[0].logIndex: expected an int64"),
                "{m}"
            );
            assert!(m.contains(found), "{raw}: {m}");
            assert!(!m.contains("untagged"), "{m}");
        }
    }

    #[test]
    fn int64_strings_with_plus_or_leading_zero_are_refused_as_protobuf_json_does() {
        for raw in ["+79571823", "079571823", "", "-", "1e3", " 1", "0x10"] {
            let m = error_of(&format!(r#"{{"tlogEntries":[{{"logIndex":"{raw}"}}]}}"#));
            assert!(
                m.contains("expected an int64 as a decimal string"),
                "{raw}: {m}"
            );
        }
        assert_eq!(strict_int64("0"), Some(0));
        assert_eq!(strict_int64("-12"), Some(-12));
        assert_eq!(strict_int64("9223372036854775807"), Some(i64::MAX));
        assert_eq!(strict_int64("9223372036854775808"), None);
    }

    #[test]
    fn byte_order_mark_and_bad_escapes_are_said_in_words() {
        let bom = error_of("\u{feff}{}");
        assert!(bom.contains("byte-order mark"), "{bom}");
        let lone = error_of(r#"{"tlogEntries":"\ud800"}"#);
        assert!(lone.contains("invalid \\u escape"), "{lone}");
        let cut = error_of(r#"{"tlogEntries":[{"#);
        assert!(cut.starts_with("is truncated"), "{cut}");
    }
}
