//! RFC 3161 time-stamp responses (TimeStampResp with a CMS SignedData token, RFC 5652), written
//! the way Sigstore's timestamp-authority writes them, with knobs to break each part.

use super::der;
use super::keys::{sha1, sha256, Signer};

pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
pub const OID_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
pub const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
pub const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
pub const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
pub const OID_SIGNING_CERT: &str = "1.2.840.113549.1.9.16.2.12";
pub const OID_SIGNING_CERT_V2: &str = "1.2.840.113549.1.9.16.2.47";
pub const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
pub const OID_TSA_POLICY: &str = "1.3.6.1.4.1.57264.2";

/// The signing side of a timestamp authority: its key, its leaf certificate and where that
/// certificate sits (issuer name and serial, for the CMS SignerIdentifier).
pub struct TsaSigner<'a> {
    pub key: &'a Signer,
    pub cert: &'a [u8],
    pub cert_issuer_name: &'a [u8],
    pub cert_serial: &'a [u8],
    pub subject_name: &'a [u8],
}

/// What to stamp and how to break it.
#[derive(Debug, Clone)]
pub struct StampSpec {
    /// The bytes whose SHA-256 goes in messageImprint (the artifact signature).
    pub signed_bytes: Vec<u8>,
    pub gen_time: i64,
    pub serial: u64,
    pub nonce: u64,
    /// Certificates to embed in SignedData.certificates (empty: none).
    pub embed: Vec<Vec<u8>>,
    /// Put this in the message-digest attribute instead of SHA-256(TSTInfo).
    pub message_digest_override: Option<Vec<u8>>,
    /// Flip a bit of the CMS signature.
    pub corrupt_signature: bool,
    /// PKIStatus (0 = granted).
    pub status: u64,
    /// Leave out the signing-certificate attribute (v1 or v2).
    pub omit_signing_certificate: bool,
    /// Write the RFC 2634 signingCertificate (SHA-1 ESSCertID, as FreeTSA does) instead of the
    /// RFC 5035 signingCertificateV2 the Sigstore TSAs write.
    pub signing_certificate_v1: bool,
    /// Make the ESSCertID(v2) hash name a different certificate.
    pub signing_certificate_hash_override: Option<Vec<u8>>,
    /// Name this (DER Name) in TSTInfo.tsa instead of the signer's subject.
    pub tsa_name_override: Option<Vec<u8>>,
}

impl StampSpec {
    pub fn new(signed_bytes: &[u8], gen_time: i64) -> StampSpec {
        StampSpec {
            signed_bytes: signed_bytes.to_vec(),
            gen_time,
            serial: 0x1d2c_3b4a,
            nonce: 0x0123_4567_89ab_cdef,
            embed: Vec::new(),
            message_digest_override: None,
            corrupt_signature: false,
            status: 0,
            omit_signing_certificate: false,
            signing_certificate_v1: false,
            signing_certificate_hash_override: None,
            tsa_name_override: None,
        }
    }
}

fn attr(oid: &str, value: Vec<u8>) -> Vec<u8> {
    der::seq(&[&der::oid(oid), &der::set_of(&[value])])
}

/// The DER TSTInfo for `spec`.
pub fn tst_info(signer: &TsaSigner<'_>, spec: &StampSpec) -> Vec<u8> {
    der::seq_v(&[
        der::int(1),
        der::oid(OID_TSA_POLICY),
        der::seq(&[
            &der::alg_null(OID_SHA256),
            &der::octets(&sha256(&spec.signed_bytes)),
        ]),
        der::int(spec.serial),
        der::generalized_time(spec.gen_time),
        der::seq(&[&der::int(1)]),
        der::int(spec.nonce),
        der::ctx(
            0,
            &der::ctx(
                4,
                spec.tsa_name_override
                    .as_deref()
                    .unwrap_or(signer.subject_name),
            ),
        ),
    ])
}

/// A whole DER TimeStampResp.
pub fn response(signer: &TsaSigner<'_>, spec: &StampSpec) -> Vec<u8> {
    let tst = tst_info(signer, spec);
    let md = spec
        .message_digest_override
        .clone()
        .unwrap_or_else(|| sha256(&tst).to_vec());
    let cert_hash = spec
        .signing_certificate_hash_override
        .clone()
        .unwrap_or_else(|| {
            if spec.signing_certificate_v1 {
                sha1(signer.cert)
            } else {
                sha256(signer.cert).to_vec()
            }
        });
    let mut attrs = vec![
        attr(OID_CONTENT_TYPE, der::oid(OID_TST_INFO)),
        attr(OID_SIGNING_TIME, der::utc_time(spec.gen_time)),
        attr(OID_MESSAGE_DIGEST, der::octets(&md)),
    ];
    if !spec.omit_signing_certificate {
        // RFC 5035: SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 }, hash alg defaults
        // to SHA-256; IssuerSerial { issuer GeneralNames, serialNumber }. RFC 2634:
        // SigningCertificate { certs SEQUENCE OF ESSCertID } has the same shape, SHA-1 only.
        let ess = der::seq(&[
            &der::octets(&cert_hash),
            &der::seq(&[
                &der::seq(&[&der::ctx(4, signer.cert_issuer_name)]),
                &der::uint(signer.cert_serial),
            ]),
        ]);
        let oid = if spec.signing_certificate_v1 {
            OID_SIGNING_CERT
        } else {
            OID_SIGNING_CERT_V2
        };
        attrs.push(attr(oid, der::seq(&[&der::seq(&[&ess])])));
    }
    // RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF.
    let signed_attrs = der::set_of(&attrs);
    let mut sig = signer.key.sign(&signed_attrs);
    if spec.corrupt_signature {
        let n = sig.len();
        sig[n - 3] ^= 0x01;
    }
    let mut implicit_attrs = signed_attrs.clone();
    implicit_attrs[0] = 0xa0;
    let signer_info = der::seq_v(&[
        der::int(1),
        der::seq(&[signer.cert_issuer_name, &der::uint(signer.cert_serial)]),
        der::alg(OID_SHA256),
        implicit_attrs,
        signer.key.sig_alg_der(),
        der::octets(&sig),
    ]);
    let mut sd = vec![
        der::int(3),
        der::set_of(&[der::alg(OID_SHA256)]),
        der::seq(&[&der::oid(OID_TST_INFO), &der::ctx(0, &der::octets(&tst))]),
    ];
    if !spec.embed.is_empty() {
        sd.push(der::ctx(0, &spec.embed.concat()));
    }
    sd.push(der::set_of(&[signer_info]));
    let content_info = der::seq(&[&der::oid(OID_SIGNED_DATA), &der::ctx(0, &der::seq_v(&sd))]);
    der::seq(&[&der::seq(&[&der::int(spec.status)]), &content_info])
}
