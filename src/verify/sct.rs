//! Embedded Signed Certificate Timestamps (RFC 6962 §3.2, §3.3).
//!
//! Owns: the TLS decoding of the `SignedCertificateTimestampList` extension, the reconstruction
//! of the precertificate `TBSCertificate` (the leaf's TBS without the SCT list extension), the
//! signed data of a precert SCT, and checking SCTs against the trusted CT logs.
//! Must not touch: files, the clock, certificate path validation (that is `cert`), policy, DER
//! reading rules (all DER is read through [`crate::der`], strict, with no lenient mode).
//!
//! Decision: an SCT only counts if its timestamp lies inside the CT log key's `validFor` window
//! (closed interval) in the trusted root. A retired CT key must not vouch for new certificates,
//! the same rule the trusted root applies to Rekor and TSA keys.

use crate::bundle::HashAlgorithm;
use crate::crypto::{self, KeyKind, RsaPadding};
use crate::der::{self, DerError};
use crate::limits;
use crate::time::Timestamp;
use crate::trust::trusted_root::TransparencyLog;

/// Content octets of the OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list, RFC 6962 §3.3).
pub const SCT_LIST_OID: [u8; 10] = [0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// Why the embedded SCTs did not vouch for the certificate.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SctError {
    #[error("the certificate has no embedded SCT list extension (1.3.6.1.4.1.11129.2.4.2)")]
    Missing,
    #[error("the embedded SCT list is malformed: {0}")]
    Malformed(String),
    #[error("the certificate embeds {count} SCTs, at most {limit} are examined")]
    TooMany { count: usize, limit: usize },
    #[error("no SCT is from a CT log of the trusted root (log IDs: {})", log_ids.join(", "))]
    UnknownLog { log_ids: Vec<String> },
    #[error("no SCT verified against a trusted CT log: {}", failures.join("; "))]
    Invalid { failures: Vec<String> },
}

impl SctError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "sct-missing",
            Self::Malformed(_) | Self::TooMany { .. } | Self::Invalid { .. } => "sct-invalid",
            Self::UnknownLog { .. } => "sct-unknown-log",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DER writing (reading is `crate::der`).
// ---------------------------------------------------------------------------------------------

/// Appends a DER length (X.690 §8.1.3, minimal form).
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // Fits in seven bits: short form.
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    // At most size_of::<usize>() (8) octets, so the count fits in the low seven bits.
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Appends a TLV with `tag` around `content`.
fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

// ---------------------------------------------------------------------------------------------
// The precertificate TBSCertificate.
// ---------------------------------------------------------------------------------------------

/// Rebuilds the precertificate `TBSCertificate` from the leaf's: the same DER with the one
/// embedded SCT list extension removed and every enclosing length fixed.
///
/// RFC 6962 §3.3: "the signature is over the TBSCertificate of the Precertificate ... The
/// extension containing the SCT list is not included". If removing it leaves no extension, the
/// `[3]` field is dropped (RFC 5280 §4.1: `Extensions ::= SEQUENCE SIZE (1..MAX)`).
pub fn tbs_without_sct_list(tbs: &[u8]) -> Result<Vec<u8>, SctError> {
    let bad = |e: DerError| SctError::Malformed(format!("TBSCertificate: {e}"));
    let tbs_tlv = der::single_tagged(tbs, der::SEQUENCE, "TBSCertificate").map_err(bad)?;
    let mut body = Vec::with_capacity(tbs_tlv.value.len());
    let mut removed = 0usize;
    let mut seen_extensions = false;
    let mut fields = tbs_tlv.reader("TBSCertificate field");
    while !fields.is_empty() {
        let field = fields.any().map_err(bad)?;
        // RFC 5280 §4.1: extensions [3] EXPLICIT Extensions OPTIONAL (context, constructed, 3).
        if field.tag != der::ctx_cons(3) {
            body.extend_from_slice(field.raw);
            continue;
        }
        if seen_extensions {
            return Err(SctError::Malformed(
                "TBSCertificate has two extensions fields".into(),
            ));
        }
        seen_extensions = true;
        let list = der::single_tagged(field.value, der::SEQUENCE, "TBSCertificate.extensions")
            .map_err(bad)?;
        let mut kept = Vec::with_capacity(list.value.len());
        let mut exts = list.reader("TBSCertificate.extensions");
        while !exts.is_empty() {
            // RFC 5280 §4.1: Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, ... }
            let ext = exts.expect(der::SEQUENCE, "Extension").map_err(bad)?;
            let oid = ext
                .reader("Extension")
                .oid("Extension.extnID")
                .map_err(bad)?;
            if oid == SCT_LIST_OID {
                removed = removed.saturating_add(1);
            } else {
                kept.extend_from_slice(ext.raw);
            }
        }
        if !kept.is_empty() {
            let mut seq = Vec::with_capacity(kept.len().saturating_add(6));
            push_tlv(&mut seq, der::SEQUENCE, &kept);
            push_tlv(&mut body, der::ctx_cons(3), &seq);
        }
    }
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
    // extension."
    match removed {
        1 => {}
        0 => return Err(SctError::Missing),
        n => {
            return Err(SctError::Malformed(format!(
                "{n} SCT list extensions in one certificate"
            )))
        }
    }
    let mut out = Vec::with_capacity(body.len().saturating_add(6));
    push_tlv(&mut out, der::SEQUENCE, &body);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// TLS decoding of the SCT list.
// ---------------------------------------------------------------------------------------------

/// A bounded reader over TLS presentation-language bytes (RFC 5246 §4).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], SctError> {
        match self.0.split_at_checked(n) {
            Some((head, tail)) => {
                self.0 = tail;
                Ok(head)
            }
            None => Err(SctError::Malformed(format!("truncated {what}"))),
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8, SctError> {
        Ok(self.take(1, what)?.first().copied().unwrap_or_default())
    }
    fn u16(&mut self, what: &str) -> Result<u16, SctError> {
        let b = self.take(2, what)?;
        let mut a = [0u8; 2];
        a.copy_from_slice(b);
        Ok(u16::from_be_bytes(a))
    }
    fn u64(&mut self, what: &str) -> Result<u64, SctError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    /// `opaque x<0..2^16-1>`.
    fn vec16(&mut self, what: &str) -> Result<&'a [u8], SctError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One decoded SCT (RFC 6962 §3.2 `SignedCertificateTimestamp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct<'a> {
    pub version: u8,
    pub log_id: &'a [u8],
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    pub extensions: &'a [u8],
    /// TLS `HashAlgorithm` (RFC 5246 §7.4.1.4.1): 4 SHA-256, 5 SHA-384, 6 SHA-512.
    pub hash_alg: u8,
    /// TLS `SignatureAlgorithm`: 1 RSA, 3 ECDSA, 7 Ed25519.
    pub sig_alg: u8,
    pub signature: &'a [u8],
}

/// Decodes the value of the SCT list extension (`extnValue` contents: a DER OCTET STRING that
/// wraps the TLS `SignedCertificateTimestampList`), examining at most `max` SCTs.
pub fn parse_sct_list(ext_value: &[u8], max: usize) -> Result<Vec<Sct<'_>>, SctError> {
    // RFC 6962 §3.3: "the extension is an ASN.1 OCTET STRING containing the
    // SignedCertificateTimestampList".
    let octets = der::single_tagged(ext_value, der::OCTET_STRING, "SCT list extension value")
        .map_err(|e| SctError::Malformed(e.to_string()))?;
    // RFC 6962 §3.3: struct { SerializedSCT sct_list <1..2^16-1>; } SignedCertificateTimestampList;
    let mut outer = Reader(octets.value);
    let list = outer.vec16("SCT list")?;
    if !outer.is_empty() {
        return Err(SctError::Malformed(
            "trailing bytes after the SCT list".into(),
        ));
    }
    if list.is_empty() {
        return Err(SctError::Malformed("empty SCT list".into()));
    }
    let mut items = Reader(list);
    let mut scts = Vec::new();
    while !items.is_empty() {
        if scts.len() >= max {
            // Count the rest only to report it; each costs one length read.
            let mut count = scts.len();
            while !items.is_empty() {
                items.vec16("SerializedSCT")?;
                count = count.saturating_add(1);
            }
            return Err(SctError::TooMany { count, limit: max });
        }
        // opaque SerializedSCT<1..2^16-1>;
        let one = items.vec16("SerializedSCT")?;
        scts.push(parse_sct(one)?);
    }
    Ok(scts)
}

fn parse_sct(bytes: &[u8]) -> Result<Sct<'_>, SctError> {
    let mut r = Reader(bytes);
    let version = r.u8("sct_version")?;
    if version != 0 {
        // RFC 6962 §3.2 defines only v1 (0); the layout of other versions is unknown, so keep
        // the version and nothing else (it will not verify).
        return Ok(Sct {
            version,
            log_id: &[],
            timestamp_ms: 0,
            extensions: &[],
            hash_alg: 0,
            sig_alg: 0,
            signature: &[],
        });
    }
    // opaque key_id[32];
    let log_id = r.take(32, "log id")?;
    let timestamp_ms = r.u64("timestamp")?;
    // opaque CtExtensions<0..2^16-1>;
    let extensions = r.vec16("extensions")?;
    // RFC 5246 §4.7 digitally-signed: SignatureAndHashAlgorithm, opaque signature<0..2^16-1>.
    let hash_alg = r.u8("hash algorithm")?;
    let sig_alg = r.u8("signature algorithm")?;
    let signature = r.vec16("signature")?;
    if !r.is_empty() {
        return Err(SctError::Malformed("trailing bytes after an SCT".into()));
    }
    Ok(Sct {
        version,
        log_id,
        timestamp_ms,
        extensions,
        hash_alg,
        sig_alg,
        signature,
    })
}

/// The bytes a CT log signs for a precertificate SCT.
///
/// RFC 6962 §3.2: digitally-signed struct { Version sct_version; SignatureType signature_type =
/// certificate_timestamp; uint64 timestamp; LogEntryType entry_type; select(entry_type) { case
/// precert_entry: PreCert signed_entry; }; CtExtensions extensions; }, where PreCert is
/// { opaque issuer_key_hash[32]; TBSCertificate tbs_certificate; } and TBSCertificate is
/// `opaque <1..2^24-1>`.
pub fn precert_signed_data(
    sct: &Sct<'_>,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
) -> Result<Vec<u8>, SctError> {
    let tbs_len = u32::try_from(precert_tbs.len())
        .ok()
        .filter(|&n| n > 0 && n < (1 << 24))
        .ok_or_else(|| SctError::Malformed("TBSCertificate too large for a u24".into()))?;
    let ext_len = u16::try_from(sct.extensions.len())
        .map_err(|_| SctError::Malformed("SCT extensions too large".into()))?;
    let mut out = Vec::with_capacity(
        precert_tbs
            .len()
            .saturating_add(sct.extensions.len())
            .saturating_add(1 + 1 + 8 + 2 + 32 + 3 + 2),
    );
    out.push(sct.version); // Version v1(0)
    out.push(0); // SignatureType certificate_timestamp(0)
    out.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // LogEntryType precert_entry(1), uint16
    out.extend_from_slice(issuer_key_hash);
    out.extend_from_slice(tbs_len.to_be_bytes().get(1..).unwrap_or_default()); // uint24
    out.extend_from_slice(precert_tbs);
    out.extend_from_slice(&ext_len.to_be_bytes());
    out.extend_from_slice(sct.extensions);
    Ok(out)
}

/// How a CT log's key verifies a TLS `digitally-signed` (hash, padding), if the pair is one the
/// key can make.
fn scheme(sct: &Sct<'_>, kind: KeyKind) -> Result<(HashAlgorithm, RsaPadding), String> {
    // RFC 5246 §7.4.1.4.1 HashAlgorithm / SignatureAlgorithm; RFC 8422 §5.1.3 ed25519 is
    // (intrinsic(8), ed25519(7)).
    let hash = match sct.hash_alg {
        4 => HashAlgorithm::Sha256,
        5 => HashAlgorithm::Sha384,
        6 => HashAlgorithm::Sha512,
        8 if sct.sig_alg == 7 => HashAlgorithm::Sha512,
        h => return Err(format!("unsupported hash algorithm {h}")),
    };
    let fits = match sct.sig_alg {
        3 => kind.is_ecdsa(),
        1 => kind == KeyKind::Rsa,
        7 => kind == KeyKind::Ed25519,
        _ => false,
    };
    if !fits {
        return Err(format!(
            "signature algorithm {} does not fit the log's {} key",
            sct.sig_alg,
            kind.name()
        ));
    }
    Ok((hash, RsaPadding::Pkcs1))
}

/// Verifies the embedded SCTs of a leaf and returns how many verified against a CT log of
/// `ctlogs`.
///
/// `sct_ext_value` is the leaf's SCT list extension value (None if absent), `tbs` the leaf's
/// DER TBSCertificate, `issuer_spki_der` the DER SubjectPublicKeyInfo of the CA that issued the
/// leaf. At least one SCT must verify.
pub fn verify_embedded(
    sct_ext_value: Option<&[u8]>,
    tbs: &[u8],
    issuer_spki_der: &[u8],
    ctlogs: &[TransparencyLog],
) -> Result<usize, SctError> {
    let ext = sct_ext_value.ok_or(SctError::Missing)?;
    let scts = parse_sct_list(ext, limits::MAX_SCTS)?;
    let precert_tbs = tbs_without_sct_list(tbs)?;
    // RFC 6962 §3.2: "issuer_key_hash is the SHA-256 hash of the certificate issuer's public key,
    // calculated over the DER encoding of the key represented as SubjectPublicKeyInfo."
    let issuer_key_hash = crypto::sha256(issuer_spki_der);

    let mut verified = 0usize;
    let mut failures = Vec::new();
    let mut unknown = Vec::new();
    for sct in &scts {
        // RFC 6962 §3.2: only v1(0) is defined.
        if sct.version != 0 {
            failures.push(format!("SCT version {} is not v1", sct.version));
            continue;
        }
        let id = hex::encode(sct.log_id);
        // RFC 6962 §3.2: "id is the SHA-256 hash of the log's public key"; the trusted root names
        // each CT log by that id.
        let Some(log) = ctlogs.iter().find(|l| l.log_id.as_slice() == sct.log_id) else {
            unknown.push(id);
            continue;
        };
        match verify_one(sct, log, &issuer_key_hash, &precert_tbs) {
            Ok(()) => verified = verified.saturating_add(1),
            Err(why) => failures.push(format!("log {id} ({}): {why}", log.base_url)),
        }
    }
    if verified > 0 {
        return Ok(verified);
    }
    if failures.is_empty() {
        return Err(SctError::UnknownLog { log_ids: unknown });
    }
    failures.extend(
        unknown
            .into_iter()
            .map(|id| format!("log {id}: not trusted")),
    );
    Err(SctError::Invalid { failures })
}

fn verify_one(
    sct: &Sct<'_>,
    log: &TransparencyLog,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
) -> Result<(), String> {
    // Decision (module doc): the log key's validFor must contain the SCT timestamp.
    let ms = i64::try_from(sct.timestamp_ms).map_err(|_| "timestamp out of range".to_string())?;
    let at = Timestamp::from_millisecond(ms).map_err(|e| format!("timestamp {ms}: {e}"))?;
    if !log.valid_for.contains(at) {
        return Err(format!(
            "SCT time {at} is outside the log key's validFor {}",
            log.valid_for
        ));
    }
    let key = log.key().map_err(|e| format!("log key: {e}"))?;
    let (hash, padding) = scheme(sct, key.kind())?;
    let data = precert_signed_data(sct, issuer_key_hash, precert_tbs).map_err(|e| e.to_string())?;
    key.verify(hash, padding, &data, sct.signature)
        .map_err(|e| e.to_string())
}

/// Verifies the leaf's embedded SCTs; returns how many verified against trusted CT logs
/// (at least one is required, else an error).
///
/// RFC 6962 §3.3 (embedded SCTs) with the CA of `chain` as the precertificate issuer; a CT log
/// key counts only while its `validFor` contains the SCT timestamp (see [`verify_embedded`]).
pub fn verify_scts(
    leaf: &super::cert::Leaf,
    chain: &super::cert::ChainOk,
    root: &crate::trust::TrustedRoot,
) -> Result<usize, super::cert::CertError> {
    Ok(verify_embedded(
        leaf.sct_list(),
        leaf.tbs(),
        &chain.issuer_spki_der,
        &root.ctlogs,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        push_tlv(&mut v, tag, content);
        v
    }

    fn ext(oid: &[u8], value: &[u8]) -> Vec<u8> {
        let mut body = tlv(0x06, oid);
        body.extend(tlv(0x04, value));
        tlv(0x30, &body)
    }

    /// A synthetic TBS: version, serial, then extensions with the SCT list in the middle.
    fn tbs_with(exts: &[Vec<u8>], filler: usize) -> Vec<u8> {
        let mut body = tlv(0xa0, &tlv(0x02, &[2]));
        body.extend(tlv(0x02, &[0x11; 20]));
        body.extend(tlv(0x30, &vec![0x55; filler]));
        body.extend(tlv(0xa3, &tlv(0x30, &exts.concat())));
        tlv(0x30, &body)
    }

    const KU_OID: [u8; 3] = [0x55, 0x1d, 0x0f];
    const EKU_OID: [u8; 3] = [0x55, 0x1d, 0x25];

    #[test]
    fn written_lengths_are_minimal_and_read_back_by_the_strict_reader() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20] {
            let v = tlv(0x04, &vec![0u8; len]);
            let t = der::single(&v, "x").unwrap_or_else(|e| panic!("{len}: {e}"));
            assert_eq!(t.value.len(), len);
        }
    }

    #[test]
    fn tbs_without_sct_extension_reencodes_lengths() {
        // The SCT value is large enough that removing it shrinks every enclosing length from
        // long form to a shorter form.
        let ku = ext(&KU_OID, &[0x03, 0x02, 0x07, 0x80]);
        let eku = ext(&EKU_OID, &[0x30, 0x00]);
        let sct = ext(&SCT_LIST_OID, &vec![0xab; 300]);
        let with = tbs_with(&[ku.clone(), sct, eku.clone()], 40);
        let without = tbs_without_sct_list(&with).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(without, tbs_with(&[ku, eku], 40));
        // And the result parses as DER all the way down.
        let outer =
            der::single_tagged(&without, der::SEQUENCE, "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(outer.value.len() < 128);
    }

    #[test]
    fn tbs_whose_only_extension_is_the_sct_list_drops_the_extensions_field() {
        let sct = ext(&SCT_LIST_OID, &[1, 2, 3]);
        let with = tbs_with(&[sct], 3);
        let without = tbs_without_sct_list(&with).unwrap_or_else(|e| panic!("{e}"));
        let mut body = tlv(0xa0, &tlv(0x02, &[2]));
        body.extend(tlv(0x02, &[0x11; 20]));
        body.extend(tlv(0x30, &[0x55; 3]));
        assert_eq!(without, tlv(0x30, &body));
    }

    #[test]
    fn tbs_with_two_sct_lists_is_refused() {
        let sct = ext(&SCT_LIST_OID, &[1, 2, 3]);
        let with = tbs_with(&[sct.clone(), sct], 3);
        assert!(matches!(
            tbs_without_sct_list(&with),
            Err(SctError::Malformed(m)) if m.contains("2 SCT list")
        ));
    }

    #[test]
    fn tbs_without_any_sct_list_reports_missing() {
        let with = tbs_with(&[ext(&KU_OID, &[0x03, 0x02, 0x07, 0x80])], 3);
        assert_eq!(tbs_without_sct_list(&with), Err(SctError::Missing));
    }

    #[test]
    fn tbs_with_truncated_extension_is_refused_not_read_past() {
        let mut with = tbs_with(&[ext(&SCT_LIST_OID, &[1, 2, 3])], 3);
        with.truncate(with.len() - 2);
        assert!(matches!(
            tbs_without_sct_list(&with),
            Err(SctError::Malformed(_))
        ));
    }

    fn sct_bytes(extensions: &[u8]) -> Vec<u8> {
        let mut s = vec![0u8];
        s.extend([7u8; 32]);
        s.extend(1_700_000_000_000u64.to_be_bytes());
        s.extend((extensions.len() as u16).to_be_bytes());
        s.extend(extensions);
        s.extend([4, 3, 0, 2, 0xaa, 0xbb]);
        s
    }

    fn list_value(scts: &[Vec<u8>]) -> Vec<u8> {
        let mut items = Vec::new();
        for s in scts {
            items.extend((s.len() as u16).to_be_bytes());
            items.extend(s);
        }
        let mut list = (items.len() as u16).to_be_bytes().to_vec();
        list.extend(items);
        tlv(0x04, &list)
    }

    #[test]
    fn sct_list_decodes_extensions_and_signature() {
        let v = list_value(&[sct_bytes(&[0, 0, 5, 0, 0, 0, 0, 0x70])]);
        let scts = parse_sct_list(&v, 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scts.len(), 1);
        let s = &scts[0];
        assert_eq!(s.log_id, &[7u8; 32]);
        assert_eq!(s.timestamp_ms, 1_700_000_000_000);
        assert_eq!(s.extensions, &[0, 0, 5, 0, 0, 0, 0, 0x70]);
        assert_eq!((s.hash_alg, s.sig_alg), (4, 3));
        assert_eq!(s.signature, &[0xaa, 0xbb]);
    }

    #[test]
    fn sct_list_with_more_scts_than_the_cap_is_refused() {
        let one = sct_bytes(&[]);
        let v = list_value(&[one.clone(), one.clone(), one]);
        assert_eq!(
            parse_sct_list(&v, 2),
            Err(SctError::TooMany { count: 3, limit: 2 })
        );
    }

    #[test]
    fn sct_with_length_past_its_end_is_refused() {
        let mut one = sct_bytes(&[]);
        // Claim a 0x00ff-byte signature that is not there.
        let n = one.len();
        one[n - 4] = 0x00;
        one[n - 3] = 0xff;
        let v = list_value(&[one]);
        assert!(matches!(parse_sct_list(&v, 4), Err(SctError::Malformed(_))));
    }

    #[test]
    fn sct_list_with_trailing_bytes_is_refused() {
        let mut v = list_value(&[sct_bytes(&[])]);
        // Grow the OCTET STRING by one byte of garbage after the TLS list.
        let inner_len = v[1] as usize + 1;
        v[1] = inner_len as u8;
        v.push(0);
        assert!(matches!(parse_sct_list(&v, 4), Err(SctError::Malformed(_))));
    }

    #[test]
    fn precert_signed_data_has_rfc6962_layout() {
        let s = Sct {
            version: 0,
            log_id: &[0; 32],
            timestamp_ms: 0x0102030405060708,
            extensions: &[9, 9],
            hash_alg: 4,
            sig_alg: 3,
            signature: &[],
        };
        let d =
            precert_signed_data(&s, &[0xee; 32], &[0x30, 0x00]).unwrap_or_else(|e| panic!("{e}"));
        let mut want = vec![0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1];
        want.extend([0xee; 32]);
        want.extend([0, 0, 2, 0x30, 0x00, 0, 2, 9, 9]);
        assert_eq!(d, want);
    }
}
