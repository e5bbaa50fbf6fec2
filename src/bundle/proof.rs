//! HMAC proof records: untrusted bytes → a capped, still unverified [`ProofRecord`], and the
//! canonical JSON its HMAC is computed over.
//!
//! Owns: the record shape `{"body": {...}, "signature": "<hex HMAC-SHA256>"}`, the subjects a
//! body names, and canonical JSON as Python's `json.dumps(body, sort_keys=True,
//! separators=(",", ":"))` writes it (keys sorted by code point, no insignificant whitespace,
//! every non-ASCII character escaped as `\uXXXX`, astral ones as surrogate pairs). Must not
//! touch: keys, HMAC (that is `verify::hmac`), files.

use std::fmt::Write as _;

use serde_json::Value;

use crate::bundle::json::{self, JsonError};
use crate::limits;

/// Why bytes are not a usable proof record.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ProofError {
    #[error("proof record: {0}")]
    Json(#[from] JsonError),
    #[error("proof record: {0}")]
    Shape(String),
    #[error("proof record body is not canonicalizable: {0}")]
    NotCanonical(String),
}

impl ProofError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json(_) | Self::Shape(_) => "proof-record-malformed",
            Self::NotCanonical(_) => "proof-record-not-canonical",
        }
    }
}

/// An artifact a record names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofSubject {
    pub name: Option<String>,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// A parsed, unverified proof record.
#[derive(Debug, Clone, PartialEq)]
pub struct ProofRecord {
    pub body: Value,
    /// The bytes the HMAC covers.
    pub canonical_body: Vec<u8>,
    /// The claimed HMAC-SHA256 (32 bytes).
    pub signature: Vec<u8>,
    /// What the body names: `subject[].digest.sha256` (in-toto style) or `digest: "sha256:…"`.
    pub subjects: Vec<ProofSubject>,
}

impl ProofRecord {
    /// Parses a record file (capped like a bundle).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ProofError> {
        let v: Value = json::parse(bytes, limits::MAX_BUNDLE_BYTES, limits::MAX_JSON_DEPTH)?;
        Self::from_value(&v)
    }

    /// A record already parsed (for example an in-toto statement's `predicate`).
    pub fn from_value(v: &Value) -> Result<Self, ProofError> {
        let obj = v
            .as_object()
            .ok_or_else(|| ProofError::Shape("not a JSON object".into()))?;
        if let Some(extra) = obj.keys().find(|k| *k != "body" && *k != "signature") {
            return Err(ProofError::Shape(format!(
                "unknown field \"{}\" (only body and signature)",
                crate::text::escape(extra)
            )));
        }
        let body = obj
            .get("body")
            .filter(|b| b.is_object())
            .ok_or_else(|| ProofError::Shape("body is missing or not an object".into()))?
            .clone();
        let sig_hex = obj
            .get("signature")
            .and_then(Value::as_str)
            .ok_or_else(|| ProofError::Shape("signature is missing or not a string".into()))?;
        let signature = hex::decode(sig_hex)
            .ok()
            .filter(|s| s.len() == 32)
            .ok_or_else(|| ProofError::Shape("signature is not 64 hex digits".into()))?;
        let canonical_body = canonical_json(&body)?.into_bytes();
        let subjects = subjects_of(&body)?;
        Ok(ProofRecord {
            body,
            canonical_body,
            signature,
            subjects,
        })
    }
}

fn sha256_hex(s: &str) -> Option<String> {
    let h = s.to_ascii_lowercase();
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some(h)
}

fn subjects_of(body: &Value) -> Result<Vec<ProofSubject>, ProofError> {
    let mut out = Vec::new();
    if let Some(list) = body.get("subject") {
        let list = list
            .as_array()
            .ok_or_else(|| ProofError::Shape("body.subject is not a list".into()))?;
        for (i, s) in list.iter().enumerate().take(limits::MAX_INTOTO_SUBJECTS) {
            let d = s
                .get("digest")
                .and_then(|d| d.get("sha256"))
                .and_then(Value::as_str)
                .and_then(sha256_hex)
                .ok_or_else(|| {
                    ProofError::Shape(format!("body.subject[{i}].digest.sha256 is not a SHA-256"))
                })?;
            out.push(ProofSubject {
                name: s.get("name").and_then(Value::as_str).map(str::to_string),
                sha256: d,
            });
        }
    }
    if let Some(d) = body.get("digest") {
        let d = d
            .as_str()
            .and_then(|s| s.strip_prefix("sha256:"))
            .and_then(sha256_hex)
            .ok_or_else(|| ProofError::Shape("body.digest is not \"sha256:<hex>\"".into()))?;
        out.push(ProofSubject {
            name: body.get("name").and_then(Value::as_str).map(str::to_string),
            sha256: d,
        });
    }
    Ok(out)
}

/// Canonical JSON as Python's `json.dumps(v, sort_keys=True, separators=(",", ":"))`.
///
/// Only integers are accepted as numbers: Python and Rust print floats differently (`1e+30`
/// against `1e30`), so a float cannot be canonicalized reliably and is refused.
pub fn canonical_json(v: &Value) -> Result<String, ProofError> {
    let mut out = String::new();
    write_value(&mut out, v, 0)?;
    Ok(out)
}

fn write_value(out: &mut String, v: &Value, depth: usize) -> Result<(), ProofError> {
    if depth > limits::MAX_JSON_DEPTH {
        return Err(ProofError::NotCanonical("nested too deep".into()));
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                let _ = write!(out, "{n}");
            } else {
                return Err(ProofError::NotCanonical(format!(
                    "the number {n} is not an integer"
                )));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, x, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(m) => {
            // serde_json's map (no preserve_order) iterates in byte order of the keys, which
            // for UTF-8 is code-point order: the order Python's sort_keys gives.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                if let Some(x) = m.get(*k) {
                    write_value(out, x, depth + 1)?;
                }
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Python's `ensure_ascii` string encoding.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) >= 0x80 => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed with Python 3.11: `json.dumps(body, sort_keys=True, separators=(",", ":"))`
    /// and `hmac.new(KEY, canonical.encode(), hashlib.sha256).hexdigest()`.
    pub(crate) const VECTOR_BODY: &str = r#"{"subject":[{"name":"app.tar.gz","digest":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}],"pipeline":"release","build":42,"note":"café ✓ \u0001","nested":{"z":[1,2,{"b":true,"a":null}],"a":"x\"y\\z\n"}}"#;
    pub(crate) const VECTOR_CANONICAL: &str = r#"{"build":42,"nested":{"a":"x\"y\\z\n","z":[1,2,{"a":null,"b":true}]},"note":"caf\u00e9 \u2713 \u0001","pipeline":"release","subject":[{"digest":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},"name":"app.tar.gz"}]}"#;

    #[test]
    fn canonical_json_matches_python_json_dumps() {
        let v: Value = serde_json::from_str(VECTOR_BODY).unwrap();
        assert_eq!(canonical_json(&v).unwrap(), VECTOR_CANONICAL);
    }

    #[test]
    fn astral_characters_become_surrogate_pairs_and_del_stays() {
        // Python: json.dumps("😀\x7f") == '"\\ud83d\\ude00\x7f"'
        let v = Value::String("😀\u{7f}".into());
        assert_eq!(canonical_json(&v).unwrap(), "\"\\ud83d\\ude00\u{7f}\"");
    }

    #[test]
    fn floats_are_refused_not_guessed() {
        let v: Value = serde_json::from_str(r#"{"x":1.5}"#).unwrap();
        assert_eq!(
            canonical_json(&v).unwrap_err().code(),
            "proof-record-not-canonical"
        );
    }

    #[test]
    fn record_subjects_and_signature_are_read() {
        let rec = format!(
            r#"{{"body":{VECTOR_BODY},"signature":"{}"}}"#,
            "ab".repeat(32)
        );
        let r = ProofRecord::from_json(rec.as_bytes()).unwrap();
        assert_eq!(r.subjects.len(), 1);
        assert_eq!(r.subjects[0].name.as_deref(), Some("app.tar.gz"));
        assert_eq!(r.canonical_body, VECTOR_CANONICAL.as_bytes());
        assert!(ProofRecord::from_json(br#"{"body":{},"signature":"00"}"#).is_err());
        assert!(ProofRecord::from_json(br#"{"body":{},"signature":"00","x":1}"#).is_err());
    }
}
