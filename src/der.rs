//! The one DER reader: a small, bounds-checked, strict reader of tag-length-value triples over
//! borrowed bytes, shared by every module that reads ASN.1 by hand (the RFC 3161 / CMS timestamp
//! parser, the precertificate TBS rebuild for SCTs, the cheap walks over certificates).
//!
//! Owns: reading TLVs and the primitive values DER defines (OBJECT IDENTIFIER, INTEGER, BOOLEAN,
//! OCTET STRING, UTF8String), refusing BER-only forms (indefinite lengths, non-minimal lengths),
//! multi-byte tags, values over [`limits::MAX_DER_BYTES`], truncation and trailing data.
//! Must not touch: what the values mean (that is the caller's), crypto, the clock, files.
//!
//! Decision: there is no lenient mode. Every structure the verifier reads by hand (Fulcio leaf
//! TBS, SCT list extension, RFC 3161 responses from the Sigstore TSAs) is DER in practice, and a
//! BER form where DER is required is refused, not repaired.

use crate::limits;

/// Why bytes are not the DER that was expected. `what` names the field being read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DerError {
    #[error("{what}: unexpected end of data ({part})")]
    Truncated {
        what: &'static str,
        /// Which part was cut off: "tag", "length" or "value".
        part: &'static str,
    },
    #[error("{what}: tag {tag:#04x} uses the multi-byte form, which nothing read here needs")]
    MultiByteTag { what: &'static str, tag: u8 },
    #[error("{what}: indefinite length is not DER")]
    IndefiniteLength { what: &'static str },
    #[error("{what}: non-minimal length")]
    NonMinimalLength { what: &'static str },
    #[error("{what}: a length of {octets} octets does not fit")]
    LengthTooLong { what: &'static str, octets: usize },
    #[error("{what}: a {len}-byte value exceeds the DER size cap of {limit} bytes")]
    TooLarge {
        what: &'static str,
        len: usize,
        limit: usize,
    },
    #[error("{what}: expected tag {expected:#04x}, found {found:#04x}")]
    UnexpectedTag {
        what: &'static str,
        expected: u8,
        found: u8,
    },
    #[error("{what}: missing")]
    Missing { what: &'static str },
    #[error("{what}: {bytes} bytes of trailing data")]
    TrailingData { what: &'static str, bytes: usize },
    /// The TLV is well formed but its value is not (non-minimal INTEGER, bad OID, ...), or the
    /// caller refused the structure (`why` says how).
    #[error("{what}: {why}")]
    Invalid {
        what: &'static str,
        why: &'static str,
    },
}

impl DerError {
    /// Stable kebab-case reason code (callers usually map the error to their own code).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "der-too-large",
            _ => "der-malformed",
        }
    }

    /// The field being read when the error happened.
    pub fn what(&self) -> &'static str {
        // Every field is `Copy`, so the clone is a plain copy; it lets one match serve both.
        let mut copy = self.clone();
        let what: &'static str = copy.what_mut();
        what
    }

    /// The same error, naming the field `what` instead.
    #[must_use]
    pub fn relabel(mut self, new: &'static str) -> Self {
        *self.what_mut() = new;
        self
    }

    /// Every variant names its field; this is the one place that knows where.
    fn what_mut(&mut self) -> &mut &'static str {
        match self {
            Self::Truncated { what, .. }
            | Self::MultiByteTag { what, .. }
            | Self::IndefiniteLength { what }
            | Self::NonMinimalLength { what }
            | Self::LengthTooLong { what, .. }
            | Self::TooLarge { what, .. }
            | Self::UnexpectedTag { what, .. }
            | Self::Missing { what }
            | Self::TrailingData { what, .. }
            | Self::Invalid { what, .. } => what,
        }
    }
}

/// A well-formed TLV whose value (or place in a structure) is refused: `why` says how.
pub fn invalid(what: &'static str, why: &'static str) -> DerError {
    DerError::Invalid { what, why }
}

// Universal and context tags used by the structures read here (X.690 §8.1.2).
pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0C;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
/// `[n]` constructed context tag.
pub const fn ctx_cons(n: u8) -> u8 {
    0xA0 | n
}
/// `[n]` primitive context tag.
pub const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// One tag-length-value. `raw` is the whole encoding (tag and length included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the contents of this (constructed) value.
    pub fn reader(&self, what: &'static str) -> Reader<'a> {
        Reader::new(self.value, what)
    }
}

/// Reads consecutive TLVs from a slice; never reads past it.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Reader { rest: data, what }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next TLV whatever its tag.
    pub fn any(&mut self) -> Result<Tlv<'a>, DerError> {
        let what = self.what;
        let input = self.rest;
        let tag = *input
            .first()
            .ok_or(DerError::Truncated { what, part: "tag" })?;
        // X.690 §8.1.2.4: tag numbers >= 31 use the multi-byte form; nothing read here needs it.
        if tag & 0x1F == 0x1F {
            return Err(DerError::MultiByteTag { what, tag });
        }
        let first = *input.get(1).ok_or(DerError::Truncated {
            what,
            part: "length",
        })?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2usize)
        } else {
            // X.690 §10.1: "The definite form of length encoding shall be used"; 0x80
            // (indefinite) is BER only.
            let n = usize::from(first & 0x7F);
            if n == 0 {
                return Err(DerError::IndefiniteLength { what });
            }
            if n > 4 {
                return Err(DerError::LengthTooLong { what, octets: n });
            }
            let bytes = input.get(2..2 + n).ok_or(DerError::Truncated {
                what,
                part: "length",
            })?;
            // X.690 §10.1: the length is "encoded in the minimum number of octets".
            if bytes.first() == Some(&0) {
                return Err(DerError::NonMinimalLength { what });
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if len < 0x80 {
                return Err(DerError::NonMinimalLength { what });
            }
            (len, 2 + n)
        };
        if len > limits::MAX_DER_BYTES {
            return Err(DerError::TooLarge {
                what,
                len,
                limit: limits::MAX_DER_BYTES,
            });
        }
        let truncated = DerError::Truncated {
            what,
            part: "value",
        };
        let end = header.checked_add(len).ok_or(truncated.clone())?;
        let raw = input.get(..end).ok_or(truncated.clone())?;
        let value = raw.get(header..).ok_or(truncated)?;
        self.rest = input.get(end..).unwrap_or_default();
        Ok(Tlv { tag, value, raw })
    }

    /// Reads the next TLV and requires `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
        match self.peek_tag() {
            Some(t) if t == tag => self.any().map_err(|e| e.relabel(what)),
            Some(found) => Err(DerError::UnexpectedTag {
                what,
                expected: tag,
                found,
            }),
            None => Err(DerError::Missing { what }),
        }
    }

    /// Reads the next TLV only if it carries `tag`.
    pub fn optional(&mut self, tag: u8, what: &'static str) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.any().map(Some).map_err(|e| e.relabel(what))
        } else {
            Ok(None)
        }
    }

    /// Requires that everything was read: no trailing data.
    pub fn finish(&self, what: &'static str) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData {
                what,
                bytes: self.rest.len(),
            })
        }
    }

    // ---- typed helpers ----

    pub fn sequence(&mut self, what: &'static str) -> Result<Reader<'a>, DerError> {
        Ok(Reader::new(self.expect(SEQUENCE, what)?.value, what))
    }

    /// An OBJECT IDENTIFIER's content octets, checked (X.690 §8.19).
    pub fn oid(&mut self, what: &'static str) -> Result<&'a [u8], DerError> {
        let t = self.expect(OID, what)?;
        check_oid(t.value, what)?;
        Ok(t.value)
    }

    /// An INTEGER's content octets, checked to be minimally encoded (X.690 §8.3.2).
    pub fn integer(&mut self, what: &'static str) -> Result<&'a [u8], DerError> {
        let t = self.expect(INTEGER, what)?;
        check_integer(t.value, what)?;
        Ok(t.value)
    }

    /// A small non-negative INTEGER (versions, status codes).
    pub fn small_uint(&mut self, what: &'static str) -> Result<u64, DerError> {
        let v = self.integer(what)?;
        uint_value(v).ok_or(invalid(what, "not a small non-negative integer"))
    }

    pub fn octet_string(&mut self, what: &'static str) -> Result<&'a [u8], DerError> {
        Ok(self.expect(OCTET_STRING, what)?.value)
    }

    pub fn boolean(&mut self, what: &'static str) -> Result<bool, DerError> {
        let t = self.expect(BOOLEAN, what)?;
        // X.690 §11.1: "If the encoding represents the boolean value TRUE, its single contents
        // octet shall have all eight bits set to one."
        match t.value {
            [0x00] => Ok(false),
            [0xFF] => Ok(true),
            _ => Err(invalid(what, "not a DER BOOLEAN")),
        }
    }
}

/// Reads exactly one TLV from `data`, refusing anything after it.
pub fn single<'a>(data: &'a [u8], what: &'static str) -> Result<Tlv<'a>, DerError> {
    let mut r = Reader::new(data, what);
    let t = r.any()?;
    r.finish(what)?;
    Ok(t)
}

/// Reads exactly one TLV carrying `tag` from `data`, refusing anything after it.
pub fn single_tagged<'a>(data: &'a [u8], tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
    let mut r = Reader::new(data, what);
    let t = r.expect(tag, what)?;
    r.finish(what)?;
    Ok(t)
}

/// Decodes `data`, which must be exactly one DER UTF8String (X.680 §41: UTF-8 contents).
pub fn utf8_string<'a>(data: &'a [u8], what: &'static str) -> Result<&'a str, DerError> {
    let t = single_tagged(data, UTF8_STRING, what)?;
    std::str::from_utf8(t.value).map_err(|_| invalid(what, "UTF8String is not valid UTF-8"))
}

/// X.690 §8.19: an OID has at least one subidentifier, each minimally encoded, the last one
/// ending without the continuation bit.
pub fn check_oid(v: &[u8], what: &'static str) -> Result<(), DerError> {
    if v.is_empty() {
        return Err(invalid(what, "empty OBJECT IDENTIFIER"));
    }
    let mut start_of_arc = true;
    for b in v {
        if start_of_arc && *b == 0x80 {
            return Err(invalid(what, "non-minimal OBJECT IDENTIFIER arc"));
        }
        start_of_arc = b & 0x80 == 0;
    }
    if !start_of_arc {
        return Err(invalid(what, "truncated OBJECT IDENTIFIER"));
    }
    Ok(())
}

/// X.690 §8.3.2: INTEGER content is non-empty and does not start with nine equal sign bits.
pub fn check_integer(v: &[u8], what: &'static str) -> Result<(), DerError> {
    match v {
        [] => Err(invalid(what, "empty INTEGER")),
        [0x00, b, ..] if b & 0x80 == 0 => Err(invalid(what, "non-minimal INTEGER")),
        [0xFF, b, ..] if b & 0x80 != 0 => Err(invalid(what, "non-minimal INTEGER")),
        _ => Ok(()),
    }
}

/// The value of a non-negative INTEGER's content octets if it fits in a u64.
pub fn uint_value(v: &[u8]) -> Option<u64> {
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let digits = match v {
        [0x00, rest @ ..] if !rest.is_empty() => rest,
        _ => v,
    };
    if digits.len() > 8 {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
    )
}

/// Dotted-decimal form of an OID's content octets, for messages only.
pub fn oid_string(v: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut acc: u128 = 0;
    for b in v {
        acc = match acc.checked_mul(128) {
            Some(a) => a | u128::from(b & 0x7F),
            None => return format!("oid:{}", hex::encode(v)),
        };
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    let mut out = String::new();
    for (i, a) in arcs.iter().enumerate() {
        if i == 0 {
            let (x, y) = match *a {
                a if a < 40 => (0, a),
                a if a < 80 => (1, a - 40),
                a => (2, a - 80),
            };
            out.push_str(&format!("{x}.{y}"));
        } else {
            out.push_str(&format!(".{a}"));
        }
    }
    out
}

/// The DER `subject` Name of a certificate (tag and length included), found by walking
/// Certificate → TBSCertificate → version?, serialNumber, signature, issuer, validity, subject
/// (RFC 5280 §4.1) without parsing anything else.
pub fn cert_subject(der: &[u8]) -> Option<&[u8]> {
    tbs_name(der, 4, "subject")
}

/// The DER `issuer` Name of a certificate, found by the same walk.
pub fn cert_issuer(der: &[u8]) -> Option<&[u8]> {
    tbs_name(der, 2, "issuer")
}

/// The Name that follows `skip` fields of the TBSCertificate (after the optional version).
fn tbs_name<'d>(der: &'d [u8], skip: usize, what: &'static str) -> Option<&'d [u8]> {
    let cert = single_tagged(der, SEQUENCE, "Certificate").ok()?;
    let tbs = cert
        .reader("Certificate")
        .expect(SEQUENCE, "tbsCertificate")
        .ok()?;
    let mut fields = tbs.reader("tbsCertificate");
    // version [0] EXPLICIT is optional (absent for v1).
    fields.optional(ctx_cons(0), "version").ok()?;
    for _ in 0..skip {
        fields.any().ok()?;
    }
    let name = fields.expect(SEQUENCE, what).ok()?;
    Some(name.raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(data: &[u8]) -> Result<Tlv<'_>, DerError> {
        Reader::new(data, "x").any()
    }

    #[test]
    fn indefinite_length_is_refused_as_ber() {
        assert_eq!(
            any(&[0x30, 0x80, 0x00, 0x00]),
            Err(DerError::IndefiniteLength { what: "x" })
        );
    }

    #[test]
    fn non_minimal_length_is_refused() {
        // 0x81 0x01 encodes 1 in long form; 0x82 0x00 0x81 pads with a zero octet.
        assert_eq!(
            any(&[0x04, 0x81, 0x01, 0xAA]),
            Err(DerError::NonMinimalLength { what: "x" })
        );
        assert_eq!(
            any(&[0x04, 0x82, 0x00, 0x81]),
            Err(DerError::NonMinimalLength { what: "x" })
        );
        assert_eq!(
            any(&[0x04, 0x82, 0x00, 0x90]),
            Err(DerError::NonMinimalLength { what: "x" })
        );
    }

    #[test]
    fn length_past_the_end_is_refused_not_read() {
        assert!(any(&[0x04, 0x84, 0x7F, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(matches!(
            any(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]),
            Err(DerError::TooLarge { .. })
        ));
        assert_eq!(
            any(&[0x04, 0x05, 0x01]),
            Err(DerError::Truncated {
                what: "x",
                part: "value"
            })
        );
        assert!(matches!(
            any(&[0x30, 0x82, 0x01]),
            Err(DerError::Truncated { part: "length", .. })
        ));
        assert!(matches!(
            any(&[0x30]),
            Err(DerError::Truncated { part: "length", .. })
        ));
        assert!(matches!(
            any(&[]),
            Err(DerError::Truncated { part: "tag", .. })
        ));
        assert_eq!(
            any(&[0x30, 0x85, 1, 1, 1, 1, 1]),
            Err(DerError::LengthTooLong {
                what: "x",
                octets: 5
            })
        );
    }

    #[test]
    fn value_over_the_der_size_cap_is_refused_before_reading() {
        let len = limits::MAX_DER_BYTES + 1;
        let mut v = vec![0x04, 0x83];
        v.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes()[1..]);
        assert!(matches!(any(&v), Err(DerError::TooLarge { len: l, .. }) if l == len));
    }

    #[test]
    fn multi_byte_tag_is_refused() {
        assert_eq!(
            any(&[0x1F, 0x81, 0x00, 0x00]),
            Err(DerError::MultiByteTag {
                what: "x",
                tag: 0x1F
            })
        );
    }

    #[test]
    fn minimal_lengths_are_read_at_every_size_class() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20] {
            let mut v = vec![0x04];
            if len < 0x80 {
                v.push(len as u8);
            } else {
                let bytes = len.to_be_bytes();
                let skip = bytes.iter().take_while(|&&b| b == 0).count();
                v.push(0x80 | (bytes.len() - skip) as u8);
                v.extend_from_slice(&bytes[skip..]);
            }
            v.resize(v.len() + len, 0);
            let t = single(&v, "x").unwrap_or_else(|e| panic!("{len}: {e}"));
            assert_eq!(t.value.len(), len);
            assert_eq!(t.raw.len(), v.len());
        }
    }

    #[test]
    fn trailing_data_after_a_single_value_is_refused() {
        assert!(single(&[0x05, 0x00], "x").is_ok());
        assert_eq!(
            single(&[0x05, 0x00, 0x00], "x"),
            Err(DerError::TrailingData {
                what: "x",
                bytes: 1
            })
        );
    }

    #[test]
    fn single_tagged_refuses_another_tag_and_trailing_data() {
        assert!(single_tagged(&[0x05, 0x00], NULL, "x").is_ok());
        assert_eq!(
            single_tagged(&[0x04, 0x00], NULL, "x"),
            Err(DerError::UnexpectedTag {
                what: "x",
                expected: NULL,
                found: 0x04
            })
        );
        assert_eq!(
            single_tagged(&[], NULL, "x"),
            Err(DerError::Missing { what: "x" })
        );
        assert!(single_tagged(&[0x05, 0x00, 0x05, 0x00], NULL, "x").is_err());
    }

    #[test]
    fn utf8_string_must_be_one_valid_utf8string() {
        assert_eq!(utf8_string(&[0x0C, 0x02, b'h', b'i'], "x"), Ok("hi"));
        // A PrintableString is not a UTF8String.
        assert!(utf8_string(&[0x13, 0x02, b'h', b'i'], "x").is_err());
        assert!(utf8_string(&[0x0C, 0x01, 0xFF], "x").is_err());
        assert!(utf8_string(&[0x0C, 0x01, b'h', 0x00], "x").is_err());
    }

    #[test]
    fn errors_name_the_field_that_was_being_read() {
        let mut r = Reader::new(&[0x04, 0x05, 0x01], "outer");
        let e = r.expect(OCTET_STRING, "inner").unwrap_err();
        assert_eq!(e.what(), "inner");
        assert_eq!(e.to_string(), "inner: unexpected end of data (value)");
        assert_eq!(e.code(), "der-malformed");
    }

    #[test]
    fn non_minimal_integers_are_refused() {
        assert!(check_integer(&[0x00, 0x7F], "x").is_err());
        assert!(check_integer(&[0xFF, 0x80], "x").is_err());
        assert!(check_integer(&[], "x").is_err());
        assert!(check_integer(&[0x00, 0x80], "x").is_ok());
        assert_eq!(uint_value(&[0x00, 0x80]), Some(128));
        assert_eq!(uint_value(&[0x80]), None);
    }

    #[test]
    fn non_der_booleans_are_refused() {
        assert_eq!(Reader::new(&[0x01, 0x01, 0xFF], "x").boolean("b"), Ok(true));
        assert_eq!(
            Reader::new(&[0x01, 0x01, 0x01], "x").boolean("b"),
            Err(invalid("b", "not a DER BOOLEAN"))
        );
    }

    #[test]
    fn oid_renders_dotted() {
        assert_eq!(
            oid_string(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04]),
            "1.2.840.113549.1.9.16.1.4"
        );
        assert!(check_oid(&[0x2A, 0x86], "x").is_err());
        assert!(check_oid(&[0x80, 0x01], "x").is_err());
    }
}
