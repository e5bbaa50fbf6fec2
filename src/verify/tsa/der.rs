//! A small, bounds-checked, strict DER reader for the RFC 3161 / CMS structures.
//!
//! Owns: reading tag-length-value triples out of borrowed bytes, refusing BER-only forms
//! (indefinite lengths, non-minimal lengths, multi-byte tags), over-long values and trailing data.
//! Must not touch: what the values mean (that is `cms`), crypto, the clock.

use crate::limits;

/// Why bytes are not the DER that was expected. `what` names the field being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DerError {
    pub what: &'static str,
    pub why: &'static str,
}

impl std::fmt::Display for DerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

pub(crate) fn err(what: &'static str, why: &'static str) -> DerError {
    DerError { what, why }
}

// Universal and context tags used by the structures we read (X.690 §8.1.2).
pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
/// `[n]` constructed context tag.
pub(crate) const fn ctx_cons(n: u8) -> u8 {
    0xA0 | n
}
/// `[n]` primitive context tag.
pub(crate) const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// One tag-length-value. `raw` is the whole encoding (tag and length included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
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
pub(crate) struct Reader<'a> {
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
        let tag = *input.first().ok_or(err(what, "unexpected end of data"))?;
        // X.690 §8.1.2.4: tag numbers >= 31 use the multi-byte form; nothing we read needs it.
        if tag & 0x1F == 0x1F {
            return Err(err(what, "multi-byte tags are not supported"));
        }
        let first = *input.get(1).ok_or(err(what, "missing length"))?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2usize)
        } else {
            // X.690 §10.1: DER uses the definite form; 0x80 (indefinite) is BER only.
            let n = usize::from(first & 0x7F);
            if n == 0 {
                return Err(err(what, "indefinite length is not DER"));
            }
            if n > 4 {
                return Err(err(what, "length does not fit"));
            }
            let bytes = input.get(2..2 + n).ok_or(err(what, "truncated length"))?;
            // X.690 §10.1: the length must use the minimum number of octets.
            if bytes.first() == Some(&0) {
                return Err(err(what, "non-minimal length"));
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if len < 0x80 {
                return Err(err(what, "non-minimal length"));
            }
            (len, 2 + n)
        };
        if len > limits::MAX_DER_BYTES {
            return Err(err(what, "value exceeds the DER size cap"));
        }
        let end = header
            .checked_add(len)
            .ok_or(err(what, "length overflows"))?;
        let raw = input.get(..end).ok_or(err(what, "truncated value"))?;
        let value = raw.get(header..).ok_or(err(what, "truncated value"))?;
        self.rest = input.get(end..).unwrap_or_default();
        Ok(Tlv { tag, value, raw })
    }

    /// Reads the next TLV and requires `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
        match self.peek_tag() {
            Some(t) if t == tag => self.any().map_err(|e| err(what, e.why)),
            Some(_) => Err(err(what, "unexpected tag")),
            None => Err(err(what, "missing")),
        }
    }

    /// Reads the next TLV only if it carries `tag`.
    pub fn optional(&mut self, tag: u8, what: &'static str) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.any().map(Some).map_err(|e| err(what, e.why))
        } else {
            Ok(None)
        }
    }

    /// Requires that everything was read: no trailing data.
    pub fn finish(&self, what: &'static str) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(err(what, "trailing data"))
        }
    }

    // ---- typed helpers ----

    pub fn sequence(&mut self, what: &'static str) -> Result<Reader<'a>, DerError> {
        Ok(Reader::new(self.expect(SEQUENCE, what)?.value, what))
    }

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
        uint_value(v).ok_or(err(what, "not a small non-negative integer"))
    }

    pub fn octet_string(&mut self, what: &'static str) -> Result<&'a [u8], DerError> {
        Ok(self.expect(OCTET_STRING, what)?.value)
    }

    pub fn boolean(&mut self, what: &'static str) -> Result<bool, DerError> {
        let t = self.expect(BOOLEAN, what)?;
        // X.690 §11.1: DER encodes TRUE as 0xFF and FALSE as 0x00.
        match t.value {
            [0x00] => Ok(false),
            [0xFF] => Ok(true),
            _ => Err(err(what, "not a DER BOOLEAN")),
        }
    }
}

/// Reads exactly one TLV from `data`, refusing anything after it.
pub(crate) fn single<'a>(data: &'a [u8], what: &'static str) -> Result<Tlv<'a>, DerError> {
    let mut r = Reader::new(data, what);
    let t = r.any()?;
    r.finish(what)?;
    Ok(t)
}

/// X.690 §8.19: an OID has at least one subidentifier, each minimally encoded, the last one
/// ending without the continuation bit.
pub(crate) fn check_oid(v: &[u8], what: &'static str) -> Result<(), DerError> {
    if v.is_empty() {
        return Err(err(what, "empty OBJECT IDENTIFIER"));
    }
    let mut start_of_arc = true;
    for b in v {
        if start_of_arc && *b == 0x80 {
            return Err(err(what, "non-minimal OBJECT IDENTIFIER arc"));
        }
        start_of_arc = b & 0x80 == 0;
    }
    if !start_of_arc {
        return Err(err(what, "truncated OBJECT IDENTIFIER"));
    }
    Ok(())
}

/// X.690 §8.3.2: INTEGER content is non-empty and does not start with nine equal sign bits.
pub(crate) fn check_integer(v: &[u8], what: &'static str) -> Result<(), DerError> {
    match v {
        [] => Err(err(what, "empty INTEGER")),
        [0x00, b, ..] if b & 0x80 == 0 => Err(err(what, "non-minimal INTEGER")),
        [0xFF, b, ..] if b & 0x80 != 0 => Err(err(what, "non-minimal INTEGER")),
        _ => Ok(()),
    }
}

/// The value of a non-negative INTEGER's content octets if it fits in a u64.
pub(crate) fn uint_value(v: &[u8]) -> Option<u64> {
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
pub(crate) fn oid_string(v: &[u8]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_length_is_refused_as_ber() {
        let mut r = Reader::new(&[0x30, 0x80, 0x00, 0x00], "x");
        assert_eq!(
            r.any().map_err(|e| e.why),
            Err("indefinite length is not DER")
        );
    }

    #[test]
    fn non_minimal_length_is_refused() {
        let mut r = Reader::new(&[0x04, 0x81, 0x01, 0xAA], "x");
        assert_eq!(r.any().map_err(|e| e.why), Err("non-minimal length"));
        let mut r = Reader::new(&[0x04, 0x82, 0x00, 0x81], "x");
        assert_eq!(r.any().map_err(|e| e.why), Err("non-minimal length"));
    }

    #[test]
    fn length_past_the_end_is_refused_not_read() {
        let mut r = Reader::new(&[0x04, 0x84, 0x7F, 0xFF, 0xFF, 0xFF], "x");
        assert!(r.any().is_err());
        let mut r = Reader::new(&[0x04, 0x05, 0x01], "x");
        assert_eq!(r.any().map_err(|e| e.why), Err("truncated value"));
    }

    #[test]
    fn trailing_data_after_a_single_value_is_refused() {
        assert!(single(&[0x05, 0x00], "x").is_ok());
        assert_eq!(
            single(&[0x05, 0x00, 0x00], "x").map_err(|e| e.why),
            Err("trailing data")
        );
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
    fn oid_renders_dotted() {
        assert_eq!(
            oid_string(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04]),
            "1.2.840.113549.1.9.16.1.4"
        );
        assert!(check_oid(&[0x2A, 0x86], "x").is_err());
        assert!(check_oid(&[0x80, 0x01], "x").is_err());
    }
}
