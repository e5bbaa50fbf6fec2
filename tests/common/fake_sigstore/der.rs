//! A tiny DER writer (X.690) for the fake Sigstore: enough for certificates, SCT extensions and
//! RFC 3161 responses. It writes whatever it is told, so tests can also build malformed objects.

/// Tag-length-value with a definite DER length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(items: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

pub fn seq_v(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

/// A SET OF, sorted by encoding as X.690 §11.6 requires.
pub fn set_of(items: &[Vec<u8>]) -> Vec<u8> {
    let mut v = items.to_vec();
    v.sort();
    tlv(0x31, &v.concat())
}

/// A SET with members in the given order (not re-sorted: for building non-DER on purpose).
pub fn set_unsorted(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &items.concat())
}

/// INTEGER from unsigned big-endian magnitude bytes.
pub fn uint(bytes: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if b.is_empty() {
        b.push(0);
    }
    if b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

pub fn int(n: u64) -> Vec<u8> {
    uint(&n.to_be_bytes())
}

pub fn boolean(v: bool) -> Vec<u8> {
    tlv(0x01, &[if v { 0xff } else { 0 }])
}

pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

pub fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

/// BIT STRING with no unused bits.
pub fn bits(b: &[u8]) -> Vec<u8> {
    let mut c = vec![0u8];
    c.extend_from_slice(b);
    tlv(0x03, &c)
}

pub fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

pub fn printable(s: &str) -> Vec<u8> {
    tlv(0x13, s.as_bytes())
}

pub fn ia5(s: &str) -> Vec<u8> {
    tlv(0x16, s.as_bytes())
}

/// OBJECT IDENTIFIER from dotted text ("1.2.840.10045.2.1").
pub fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = Vec::new();
    body.extend(base128(arcs[0] * 40 + arcs[1]));
    for a in &arcs[2..] {
        body.extend(base128(*a));
    }
    tlv(0x06, &body)
}

fn base128(mut v: u64) -> Vec<u8> {
    let mut out = vec![(v & 0x7f) as u8];
    v >>= 7;
    while v > 0 {
        out.push(((v & 0x7f) as u8) | 0x80);
        v >>= 7;
    }
    out.reverse();
    out
}

/// Context-specific constructed tag `[n]` (EXPLICIT, or IMPLICIT over a constructed type).
pub fn ctx(n: u8, content: &[u8]) -> Vec<u8> {
    tlv(0xa0 | n, content)
}

/// Context-specific primitive tag `[n]` (IMPLICIT over a primitive type).
pub fn ctx_prim(n: u8, content: &[u8]) -> Vec<u8> {
    tlv(0x80 | n, content)
}

fn civil(unix: i64) -> jiff::civil::DateTime {
    jiff::Timestamp::from_second(unix)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .datetime()
}

/// UTCTime (RFC 5280 §4.1.2.5.1: years 1950..2049).
pub fn utc_time(unix: i64) -> Vec<u8> {
    let d = civil(unix);
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        d.year() % 100,
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    );
    tlv(0x17, s.as_bytes())
}

/// GeneralizedTime, whole seconds.
pub fn generalized_time(unix: i64) -> Vec<u8> {
    let d = civil(unix);
    let s = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    );
    tlv(0x18, s.as_bytes())
}

/// Certificate validity time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280).
pub fn x509_time(unix: i64) -> Vec<u8> {
    if civil(unix).year() < 2050 {
        utc_time(unix)
    } else {
        generalized_time(unix)
    }
}

/// AlgorithmIdentifier with no parameters.
pub fn alg(oid_dotted: &str) -> Vec<u8> {
    seq(&[&oid(oid_dotted)])
}

/// AlgorithmIdentifier with NULL parameters (hash algorithms, as RFC 3161 responders write them).
pub fn alg_null(oid_dotted: &str) -> Vec<u8> {
    seq(&[&oid(oid_dotted), &null()])
}

/// One TLV split off the front of a buffer: (tag, header+content, content, rest).
pub type Split<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// Splits one TLV off the front. Test-side reader for checking the fake's own output.
pub fn read(input: &[u8]) -> Option<Split<'_>> {
    let tag = *input.first()?;
    let l0 = *input.get(1)? as usize;
    let (len, hl) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let nb = l0 & 0x7f;
        let mut len = 0usize;
        for i in 0..nb {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + nb)
    };
    let end = hl.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((tag, whole, whole.get(hl..)?, input.get(end..)?))
}

/// The items of a constructed value's content, in order.
pub fn items(mut content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((_, whole, _, rest)) = read(content) {
        out.push(whole);
        content = rest;
    }
    out
}

/// Content of a single TLV.
pub fn content(tlv_bytes: &[u8]) -> &[u8] {
    read(tlv_bytes).map(|(_, _, c, _)| c).unwrap_or(&[])
}
