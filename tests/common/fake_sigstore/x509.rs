//! X.509 certificates written by hand (RFC 5280), so every byte of the TBS is under the test's
//! control: the SCT must sign the exact precertificate TBS, and attacks need odd profiles.

use super::der;
use super::keys::{sha1, Signer};

pub const OID_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
pub const OID_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
pub const OID_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
pub const OID_SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
pub const OID_CT_POISON: &str = "1.3.6.1.4.1.11129.2.4.3";
pub const OID_FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
pub const OID_FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
pub const OID_FULCIO_OTHERNAME: &str = "1.3.6.1.4.1.57264.1.7";

/// One extension: `value` is the content of extnValue's OCTET STRING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ext {
    pub oid: String,
    pub critical: bool,
    pub value: Vec<u8>,
}

impl Ext {
    pub fn new(oid: &str, critical: bool, value: Vec<u8>) -> Ext {
        Ext {
            oid: oid.to_string(),
            critical,
            value,
        }
    }

    pub fn to_der(&self) -> Vec<u8> {
        let mut parts = vec![der::oid(&self.oid)];
        if self.critical {
            parts.push(der::boolean(true));
        }
        parts.push(der::octets(&self.value));
        der::seq_v(&parts)
    }
}

/// Everything in a TBSCertificate.
#[derive(Debug, Clone)]
pub struct Tbs {
    pub serial: Vec<u8>,
    pub sig_alg: Vec<u8>,
    pub issuer: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    pub subject: Vec<u8>,
    pub spki: Vec<u8>,
    pub exts: Vec<Ext>,
}

impl Tbs {
    pub fn to_der(&self) -> Vec<u8> {
        let exts: Vec<Vec<u8>> = self.exts.iter().map(Ext::to_der).collect();
        let mut parts = vec![
            der::ctx(0, &der::int(2)),
            der::uint(&self.serial),
            self.sig_alg.clone(),
            self.issuer.clone(),
            der::seq(&[
                &der::x509_time(self.not_before),
                &der::x509_time(self.not_after),
            ]),
            self.subject.clone(),
            self.spki.clone(),
        ];
        if !exts.is_empty() {
            parts.push(der::ctx(3, &der::seq_v(&exts)));
        }
        der::seq_v(&parts)
    }

    /// Signs the TBS with `issuer_key` into a DER Certificate.
    pub fn sign(&self, issuer_key: &Signer) -> Vec<u8> {
        let tbs = self.to_der();
        let sig = issuer_key.sign(&tbs);
        der::seq(&[&tbs, &issuer_key.sig_alg_der(), &der::bits(&sig)])
    }
}

/// A Name of `O=<org>, CN=<cn>` (either may be empty to leave it out).
pub fn name(org: &str, cn: &str) -> Vec<u8> {
    let mut rdns = Vec::new();
    if !org.is_empty() {
        rdns.push(der::set_of(&[der::seq(&[
            &der::oid("2.5.4.10"),
            &der::printable(org),
        ])]));
    }
    if !cn.is_empty() {
        rdns.push(der::set_of(&[der::seq(&[
            &der::oid("2.5.4.3"),
            &der::printable(cn),
        ])]));
    }
    der::seq_v(&rdns)
}

/// The BIT STRING content of an SPKI (the raw key), for key identifiers.
pub fn spki_key_bits(spki: &[u8]) -> Vec<u8> {
    let inner = der::items(der::content(spki));
    inner
        .get(1)
        .map(|b| der::content(b).get(1..).unwrap_or(&[]).to_vec())
        .unwrap_or_default()
}

pub fn basic_constraints(ca: bool, path_len: Option<u64>) -> Ext {
    let mut parts = Vec::new();
    if ca {
        parts.push(der::boolean(true));
    }
    if let Some(n) = path_len {
        parts.push(der::int(n));
    }
    Ext::new("2.5.29.19", true, der::seq_v(&parts))
}

/// KeyUsage from bit numbers (0 = digitalSignature, 5 = keyCertSign, 6 = cRLSign).
pub fn key_usage(bit_numbers: &[u8]) -> Ext {
    let mut byte = 0u8;
    let mut highest = 0u8;
    for b in bit_numbers {
        byte |= 0x80 >> b;
        highest = highest.max(*b);
    }
    let unused = 7 - highest;
    Ext::new("2.5.29.15", true, der::tlv(0x03, &[unused, byte]))
}

pub fn ext_key_usage(oids: &[&str], critical: bool) -> Ext {
    let v: Vec<Vec<u8>> = oids.iter().map(|o| der::oid(o)).collect();
    Ext::new("2.5.29.37", critical, der::seq_v(&v))
}

pub fn subject_key_id(spki: &[u8]) -> Ext {
    Ext::new("2.5.29.14", false, der::octets(&sha1(&spki_key_bits(spki))))
}

pub fn authority_key_id(issuer_spki: &[u8]) -> Ext {
    Ext::new(
        "2.5.29.35",
        false,
        der::seq(&[&der::ctx_prim(0, &sha1(&spki_key_bits(issuer_spki)))]),
    )
}

/// A Subject Alternative Name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    Uri(String),
    Email(String),
    /// Fulcio's username otherName (1.3.6.1.4.1.57264.1.7, UTF8String).
    OtherName(String),
}

impl San {
    pub fn value(&self) -> &str {
        match self {
            San::Uri(v) | San::Email(v) | San::OtherName(v) => v,
        }
    }
}

pub fn subject_alt_name(sans: &[San]) -> Ext {
    let names: Vec<Vec<u8>> = sans
        .iter()
        .map(|s| match s {
            San::Uri(u) => der::ctx_prim(6, u.as_bytes()),
            San::Email(e) => der::ctx_prim(1, e.as_bytes()),
            San::OtherName(v) => der::ctx(
                0,
                &[der::oid(OID_FULCIO_OTHERNAME), der::ctx(0, &der::utf8(v))].concat(),
            ),
        })
        .collect();
    Ext::new("2.5.29.17", true, der::seq_v(&names))
}

/// The TBSCertificate bytes of a DER certificate.
pub fn tbs_of(cert: &[u8]) -> Vec<u8> {
    der::items(der::content(cert))
        .first()
        .map(|t| t.to_vec())
        .unwrap_or_default()
}
