//! RFC 3161 `TimeStampResp` → CMS `SignedData` (RFC 5652) → `TSTInfo`, parsed once into borrowed
//! views over the response bytes.
//!
//! Owns: the shape of the response and the algorithm identifiers it may use. Must not touch:
//! trust decisions, signature checks, the clock (`mod.rs` does those with what is parsed here).

use crate::bundle::HashAlgorithm;
use crate::crypto::RsaPadding;
use crate::limits;
use crate::time::Timestamp;

use super::TsaError;
use crate::der::{self, ctx_cons, ctx_prim, invalid, oid_string, DerError, Reader, Tlv};

impl From<DerError> for TsaError {
    fn from(e: DerError) -> Self {
        TsaError::Malformed(e.to_string())
    }
}

// ---- object identifiers (content octets) ----

/// id-signedData 1.2.840.113549.1.7.2
const OID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// id-ct-TSTInfo 1.2.840.113549.1.9.16.1.4
pub(crate) const OID_TST_INFO: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04,
];
/// id-contentType 1.2.840.113549.1.9.3
const OID_ATTR_CONTENT_TYPE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
/// id-messageDigest 1.2.840.113549.1.9.4
const OID_ATTR_MESSAGE_DIGEST: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
/// id-aa-signingCertificate 1.2.840.113549.1.9.16.2.12 (RFC 2634 §5.4)
const OID_ATTR_SIGNING_CERT: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x0C,
];
/// id-aa-signingCertificateV2 1.2.840.113549.1.9.16.2.47
const OID_ATTR_SIGNING_CERT_V2: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x2F,
];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
const OID_ECDSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
const OID_ECDSA_SHA512: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_RSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
const OID_RSA_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C];
const OID_RSA_SHA512: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D];
const OID_RSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
const OID_MGF1: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];

// ---- parsed views ----

/// How the CMS signer was named (RFC 5652 §5.3 SignerIdentifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sid<'a> {
    /// `issuer` is the whole DER `Name`, `serial` the INTEGER content octets.
    IssuerSerial {
        issuer: &'a [u8],
        serial: &'a [u8],
    },
    SubjectKeyId(&'a [u8]),
}

/// Signature family of an AlgorithmIdentifier; `hash` is the one it names, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigFamily {
    Ecdsa,
    Rsa(RsaPadding),
    Ed25519,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SigAlg {
    pub family: SigFamily,
    pub hash: Option<HashAlgorithm>,
}

/// The first ESSCertIDv2 of the signingCertificateV2 attribute (RFC 5035 §5.4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EssCertIdV2<'a> {
    /// The hash the certificate identifier uses (one this build computes; others are refused).
    pub hash: HashAlgorithm,
    pub cert_hash: &'a [u8],
}

/// The first ESSCertID of the signingCertificate attribute (RFC 2634 §5.4.1): always SHA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EssCertIdV1<'a> {
    /// 20 bytes: SHA-1 of the whole DER certificate.
    pub cert_hash: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignerInfo<'a> {
    pub sid: Sid<'a>,
    pub digest: HashAlgorithm,
    /// The whole `[0] IMPLICIT SignedAttributes` encoding, tag included.
    pub signed_attrs: &'a [u8],
    pub message_digest: &'a [u8],
    /// The ESS signing-certificate attributes; RFC 3161 §2.4.1 requires at least one (checked
    /// by the caller, which names the signer in the refusal).
    pub signing_cert_v1: Option<EssCertIdV1<'a>>,
    pub signing_cert_v2: Option<EssCertIdV2<'a>>,
    pub sig_alg: SigAlg,
    pub signature: &'a [u8],
}

/// TSTInfo's `tsa` GeneralName.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TsaName<'a> {
    /// directoryName: the whole DER `Name`.
    Directory(&'a [u8]),
    /// Any other GeneralName choice, as its raw encoding.
    Other(&'a [u8]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TstInfo<'a> {
    pub policy: &'a [u8],
    pub imprint_alg: HashAlgorithm,
    pub imprint: &'a [u8],
    pub serial: &'a [u8],
    pub gen_time: Timestamp,
    pub accuracy_micros: Option<u64>,
    pub ordering: bool,
    pub nonce: Option<&'a [u8]>,
    pub tsa: Option<TsaName<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response<'a> {
    /// PKIStatus: 0 granted or 1 grantedWithMods (anything else was refused while parsing).
    pub status: u64,
    /// The DER TSTInfo octets (eContent), which the message-digest attribute covers.
    pub econtent: &'a [u8],
    pub tst: TstInfo<'a>,
    /// Embedded certificates, raw DER, untrusted.
    pub certificates: Vec<&'a [u8]>,
    pub signer: SignerInfo<'a>,
}

// ---- parsing ----

/// Parses a DER `TimeStampResp`, refusing anything not granted, malformed or too large.
pub(crate) fn parse_response(der: &[u8]) -> Result<Response<'_>, TsaError> {
    if der.len() > limits::MAX_DER_BYTES {
        return Err(TsaError::TooLarge {
            size: der.len(),
            limit: limits::MAX_DER_BYTES,
        });
    }
    // RFC 3161 §2.4.2: TimeStampResp ::= SEQUENCE { status PKIStatusInfo,
    //                                   timeStampToken TimeStampToken OPTIONAL }
    let outer = der::single(der, "TimeStampResp")?;
    if outer.tag != der::SEQUENCE {
        return Err(invalid("TimeStampResp", "not a SEQUENCE").into());
    }
    let mut resp = outer.reader("TimeStampResp");
    let mut status_info = resp.sequence("PKIStatusInfo")?;
    let status = status_info.small_uint("PKIStatusInfo.status")?;
    let mut text = Vec::new();
    if let Some(strings) = status_info.optional(der::SEQUENCE, "PKIStatusInfo.statusString")? {
        let mut r = strings.reader("PKIStatusInfo.statusString");
        while !r.is_empty() {
            // PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
            let s = r.expect(0x0C, "PKIStatusInfo.statusString")?;
            if text.len() < 4 {
                text.push(
                    String::from_utf8_lossy(s.value)
                        .chars()
                        .take(200)
                        .collect::<String>(),
                );
            }
        }
    }
    let fail_info = status_info
        .optional(der::BIT_STRING, "PKIStatusInfo.failInfo")?
        .map(|b| failure_names(b.value));
    status_info.finish("PKIStatusInfo")?;
    // RFC 3161 §2.4.2: "When the status contains the value zero or one, a TimeStampToken MUST
    // be present." Only granted(0) and grantedWithMods(1) carry a usable token.
    if status > 1 {
        return Err(TsaError::NotGranted {
            status,
            text: (!text.is_empty()).then(|| text.join("; ")),
            fail_info,
        });
    }
    let token = resp.expect(der::SEQUENCE, "timeStampToken")?;
    resp.finish("TimeStampResp")?;

    // RFC 3161 §2.4.2: TimeStampToken ::= ContentInfo, contentType id-signedData (RFC 5652 §3).
    let mut ci = token.reader("ContentInfo");
    if ci.oid("ContentInfo.contentType")? != OID_SIGNED_DATA {
        return Err(invalid("ContentInfo.contentType", "not id-signedData").into());
    }
    let content = ci.expect(ctx_cons(0), "ContentInfo.content")?;
    ci.finish("ContentInfo")?;
    let sd_tlv = der::single(content.value, "SignedData")?;
    if sd_tlv.tag != der::SEQUENCE {
        return Err(invalid("SignedData", "not a SEQUENCE").into());
    }
    let mut sd = sd_tlv.reader("SignedData");

    // RFC 5652 §5.1: "IF ... eContentType is other than id-data THEN version MUST be 3"
    // (4 and 5 need attribute or `other` certificates/CRLs, which a TSA never sends).
    if sd.small_uint("SignedData.version")? != 3 {
        return Err(invalid("SignedData.version", "must be 3 for TSTInfo content").into());
    }
    let digest_algorithms = sd.expect(der::SET, "SignedData.digestAlgorithms")?;

    // RFC 5652 §5.2: EncapsulatedContentInfo ::= SEQUENCE { eContentType ContentType,
    //                                   eContent [0] EXPLICIT OCTET STRING OPTIONAL }
    let mut eci = sd.sequence("encapContentInfo")?;
    // RFC 3161 §2.4.2: "The content type ... MUST be id-ct-TSTInfo"; the TSTInfo is the eContent.
    if eci.oid("encapContentInfo.eContentType")? != OID_TST_INFO {
        return Err(invalid("encapContentInfo.eContentType", "not id-ct-TSTInfo").into());
    }
    let econtent_wrap = eci.expect(ctx_cons(0), "encapContentInfo.eContent")?;
    eci.finish("encapContentInfo")?;
    let econtent_tlv = der::single(econtent_wrap.value, "encapContentInfo.eContent")?;
    if econtent_tlv.tag != der::OCTET_STRING {
        return Err(invalid("encapContentInfo.eContent", "not a primitive OCTET STRING").into());
    }
    let econtent = econtent_tlv.value;

    // RFC 5652 §5.1: certificates [0] IMPLICIT CertificateSet OPTIONAL
    let mut certificates = Vec::new();
    if let Some(set) = sd.optional(ctx_cons(0), "SignedData.certificates")? {
        let mut r = set.reader("SignedData.certificates");
        while !r.is_empty() {
            // Only plain X.509 certificates (CertificateChoices.certificate) are accepted.
            let c = r.expect(der::SEQUENCE, "SignedData.certificates")?;
            certificates.push(c.raw);
            if certificates.len() > limits::MAX_CHAIN_LEN {
                return Err(TsaError::TooManyCertificates {
                    limit: limits::MAX_CHAIN_LEN,
                });
            }
        }
    }
    // RFC 5652 §5.1: crls [1] IMPLICIT RevocationInfoChoices OPTIONAL (not used offline).
    let _crls = sd.optional(ctx_cons(1), "SignedData.crls")?;
    let signer_infos = sd.expect(der::SET, "SignedData.signerInfos")?;
    sd.finish("SignedData")?;

    // RFC 3161 §2.4.2: the token is signed by exactly one TSA.
    let mut si_reader = signer_infos.reader("SignedData.signerInfos");
    let si_tlv = si_reader.expect(der::SEQUENCE, "SignerInfo")?;
    if !si_reader.is_empty() {
        return Err(invalid("SignedData.signerInfos", "more than one SignerInfo").into());
    }
    let signer = parse_signer_info(si_tlv)?;

    // RFC 5652 §5.1: digestAlgorithms lists the digest algorithms the signers use.
    let mut listed = false;
    let mut algs = digest_algorithms.reader("SignedData.digestAlgorithms");
    while !algs.is_empty() {
        let a = algs.expect(der::SEQUENCE, "SignedData.digestAlgorithms")?;
        if matches!(digest_algorithm(a), Ok(h) if h == signer.digest) {
            listed = true;
        }
    }
    if !listed {
        return Err(invalid(
            "SignedData.digestAlgorithms",
            "does not list the signer's digest algorithm",
        )
        .into());
    }

    let tst = parse_tst_info(econtent)?;
    Ok(Response {
        status,
        econtent,
        tst,
        certificates,
        signer,
    })
}

fn parse_signer_info(tlv: Tlv<'_>) -> Result<SignerInfo<'_>, TsaError> {
    // RFC 5652 §5.3: SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm,
    //   signedAttrs [0] IMPLICIT OPTIONAL, signatureAlgorithm, signature, unsignedAttrs [1] OPTIONAL }
    let mut r = tlv.reader("SignerInfo");
    let version = r.small_uint("SignerInfo.version")?;
    let sid = match r.peek_tag() {
        Some(der::SEQUENCE) => {
            let mut ias = r.sequence("SignerInfo.sid")?;
            let issuer = ias.expect(der::SEQUENCE, "SignerInfo.sid.issuer")?.raw;
            let serial = ias.integer("SignerInfo.sid.serialNumber")?;
            ias.finish("SignerInfo.sid")?;
            // RFC 5652 §5.3: "If the SignerIdentifier is issuerAndSerialNumber, then the version
            // MUST be 1."
            if version != 1 {
                return Err(
                    invalid("SignerInfo.version", "must be 1 with issuerAndSerialNumber").into(),
                );
            }
            Sid::IssuerSerial { issuer, serial }
        }
        Some(t) if t == ctx_prim(0) => {
            let ski = r.any()?.value;
            // RFC 5652 §5.3: "If the SignerIdentifier is subjectKeyIdentifier, then the version
            // MUST be 3."
            if version != 3 {
                return Err(
                    invalid("SignerInfo.version", "must be 3 with subjectKeyIdentifier").into(),
                );
            }
            Sid::SubjectKeyId(ski)
        }
        _ => return Err(invalid("SignerInfo.sid", "unexpected tag").into()),
    };
    let digest_tlv = r.expect(der::SEQUENCE, "SignerInfo.digestAlgorithm")?;
    let digest = digest_algorithm(digest_tlv)?;
    // RFC 5652 §5.3: "signedAttrs ... MUST be present if the content type of the EncapsulatedContentInfo
    // value being signed is not id-data."
    let signed_attrs = r.expect(ctx_cons(0), "SignerInfo.signedAttrs")?;
    let sig_alg_tlv = r.expect(der::SEQUENCE, "SignerInfo.signatureAlgorithm")?;
    let sig_alg = signature_algorithm(sig_alg_tlv, "SignerInfo.signatureAlgorithm")?;
    let signature = r.octet_string("SignerInfo.signature")?;
    let _unsigned = r.optional(ctx_cons(1), "SignerInfo.unsignedAttrs")?;
    r.finish("SignerInfo")?;

    // RFC 5652 §5.4: the signature is computed over the DER of signedAttrs with its own digest
    // algorithm; a signatureAlgorithm naming another hash would make the two readings disagree.
    if sig_alg.hash.is_some_and(|h| h != digest) {
        return Err(TsaError::UnsupportedAlgorithm {
            field: "SignerInfo.signatureAlgorithm",
            oid: "signature hash differs from SignerInfo.digestAlgorithm".into(),
        });
    }

    let mut content_type = None;
    let mut message_digest = None;
    let mut signing_cert_v1 = None;
    let mut signing_cert_v2 = None;
    let mut attrs = signed_attrs.reader("SignerInfo.signedAttrs");
    if attrs.is_empty() {
        return Err(invalid("SignerInfo.signedAttrs", "empty").into());
    }
    while !attrs.is_empty() {
        // RFC 5652 §5.3: Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER,
        //                                        attrValues SET OF AttributeValue }
        let mut a = attrs.sequence("SignerInfo.signedAttrs")?;
        let ty = a.oid("Attribute.attrType")?;
        let values = a.expect(der::SET, "Attribute.attrValues")?;
        a.finish("Attribute")?;
        if ty == OID_ATTR_CONTENT_TYPE || ty == OID_ATTR_MESSAGE_DIGEST {
            // RFC 5652 §11.1/§11.2: the attribute "MUST have a single attribute value" and
            // signedAttrs "MUST NOT include multiple instances" of it.
            let v = der::single(values.value, "Attribute.attrValues")?;
            let slot = if ty == OID_ATTR_CONTENT_TYPE {
                &mut content_type
            } else {
                &mut message_digest
            };
            if slot.replace(v).is_some() {
                return Err(invalid("SignerInfo.signedAttrs", "attribute appears twice").into());
            }
        } else if ty == OID_ATTR_SIGNING_CERT_V2 {
            if signing_cert_v2.is_some() {
                return Err(invalid("SignerInfo.signedAttrs", "attribute appears twice").into());
            }
            signing_cert_v2 = Some(parse_signing_cert_v2(values.value)?);
        } else if ty == OID_ATTR_SIGNING_CERT {
            if signing_cert_v1.is_some() {
                return Err(invalid("SignerInfo.signedAttrs", "attribute appears twice").into());
            }
            signing_cert_v1 = Some(parse_signing_cert_v1(values.value)?);
        }
    }
    // RFC 5652 §5.3: signedAttrs "MUST contain, at a minimum, ... content-type ... [and]
    // message-digest"; RFC 5652 §11.1: content-type must equal the eContentType.
    let ct = content_type.ok_or(invalid(
        "SignerInfo.signedAttrs",
        "no content-type attribute",
    ))?;
    if ct.tag != der::OID || ct.value != OID_TST_INFO {
        return Err(invalid("content-type attribute", "is not id-ct-TSTInfo").into());
    }
    let md = message_digest.ok_or(invalid(
        "SignerInfo.signedAttrs",
        "no message-digest attribute",
    ))?;
    if md.tag != der::OCTET_STRING {
        return Err(invalid("message-digest attribute", "not an OCTET STRING").into());
    }
    Ok(SignerInfo {
        sid,
        digest,
        signed_attrs: signed_attrs.raw,
        message_digest: md.value,
        signing_cert_v1,
        signing_cert_v2,
        sig_alg,
        signature,
    })
}

/// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
fn parse_signing_cert_v2(values: &[u8]) -> Result<EssCertIdV2<'_>, TsaError> {
    let v = der::single(values, "signingCertificateV2")?;
    if v.tag != der::SEQUENCE {
        return Err(invalid("signingCertificateV2", "not a SEQUENCE").into());
    }
    let mut r = v.reader("signingCertificateV2");
    let mut certs = r.sequence("signingCertificateV2.certs")?;
    let _policies = r.optional(der::SEQUENCE, "signingCertificateV2.policies")?;
    r.finish("signingCertificateV2")?;
    // RFC 5035 §5.4.1.1: "The first certificate identified in the sequence of certificate
    // identifiers MUST be the certificate used to verify the signature."
    let mut first = certs.sequence("ESSCertIDv2")?;
    // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {id-sha256},
    //                            certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
    // A hash this build cannot compute would leave the signer unbound to its certificate, so it
    // is refused rather than skipped.
    let hash = match first.optional(der::SEQUENCE, "ESSCertIDv2.hashAlgorithm")? {
        None => HashAlgorithm::Sha256,
        Some(a) => digest_algorithm(a).map_err(|e| match e {
            TsaError::UnsupportedAlgorithm { oid, .. } => TsaError::UnsupportedAlgorithm {
                field: "signingCertificateV2 ESSCertIDv2.hashAlgorithm",
                oid,
            },
            other => other,
        })?,
    };
    let cert_hash = first.octet_string("ESSCertIDv2.certHash")?;
    let _issuer_serial = first.optional(der::SEQUENCE, "ESSCertIDv2.issuerSerial")?;
    first.finish("ESSCertIDv2")?;
    Ok(EssCertIdV2 { hash, cert_hash })
}

/// SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID,
///                                   policies SEQUENCE OF PolicyInformation OPTIONAL }
fn parse_signing_cert_v1(values: &[u8]) -> Result<EssCertIdV1<'_>, TsaError> {
    let v = der::single_tagged(values, der::SEQUENCE, "signingCertificate")?;
    let mut r = v.reader("signingCertificate");
    let mut certs = r.sequence("signingCertificate.certs")?;
    let _policies = r.optional(der::SEQUENCE, "signingCertificate.policies")?;
    r.finish("signingCertificate")?;
    // RFC 2634 §5.4: "The first certificate identified in the sequence of certificate
    // identifiers MUST be the certificate used to verify the signature."
    let mut first = certs.sequence("ESSCertID")?;
    // ESSCertID ::= SEQUENCE { certHash Hash, issuerSerial IssuerSerial OPTIONAL }
    // Hash ::= OCTET STRING -- SHA1 hash of entire certificate
    let cert_hash = first.octet_string("ESSCertID.certHash")?;
    let _issuer_serial = first.optional(der::SEQUENCE, "ESSCertID.issuerSerial")?;
    first.finish("ESSCertID")?;
    if cert_hash.len() != 20 {
        return Err(invalid("ESSCertID.certHash", "not a 20-byte SHA-1 hash").into());
    }
    Ok(EssCertIdV1 { cert_hash })
}

fn parse_tst_info(econtent: &[u8]) -> Result<TstInfo<'_>, TsaError> {
    let tlv = der::single(econtent, "TSTInfo")?;
    if tlv.tag != der::SEQUENCE {
        return Err(invalid("TSTInfo", "not a SEQUENCE").into());
    }
    let mut r = tlv.reader("TSTInfo");
    // RFC 3161 §2.4.2: version INTEGER { v1(1) }
    if r.small_uint("TSTInfo.version")? != 1 {
        return Err(invalid("TSTInfo.version", "must be 1").into());
    }
    let policy = r.oid("TSTInfo.policy")?;
    // MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
    let mut mi = r.sequence("TSTInfo.messageImprint")?;
    let alg = mi.expect(der::SEQUENCE, "messageImprint.hashAlgorithm")?;
    let imprint_alg = digest_algorithm(alg).map_err(|e| match e {
        TsaError::UnsupportedAlgorithm { oid, .. } => TsaError::UnsupportedAlgorithm {
            field: "TSTInfo.messageImprint.hashAlgorithm",
            oid,
        },
        other => other,
    })?;
    let imprint = mi.octet_string("messageImprint.hashedMessage")?;
    mi.finish("TSTInfo.messageImprint")?;
    // RFC 3161 §2.4.1: "The hash length MUST correspond to the hash algorithm."
    if imprint.len() != imprint_alg.len() {
        return Err(invalid(
            "messageImprint.hashedMessage",
            "length does not match its algorithm",
        )
        .into());
    }
    // RFC 3161 §2.4.2: serialNumber INTEGER (the conformance mock TSA uses a negative one).
    let serial = r.integer("TSTInfo.serialNumber")?;
    let gen_time = generalized_time(r.expect(der::GENERALIZED_TIME, "TSTInfo.genTime")?.value)?;
    let accuracy_micros = match r.optional(der::SEQUENCE, "TSTInfo.accuracy")? {
        Some(a) => Some(accuracy(a)?),
        None => None,
    };
    let ordering = match r.peek_tag() {
        Some(der::BOOLEAN) => r.boolean("TSTInfo.ordering")?,
        _ => false,
    };
    let nonce = match r.peek_tag() {
        Some(der::INTEGER) => Some(r.integer("TSTInfo.nonce")?),
        _ => None,
    };
    // tsa [0] GeneralName OPTIONAL (GeneralName is a CHOICE, so the tag is explicit).
    let tsa = match r.optional(ctx_cons(0), "TSTInfo.tsa")? {
        Some(t) => {
            let gn = der::single(t.value, "TSTInfo.tsa")?;
            Some(if gn.tag == ctx_cons(4) {
                // RFC 5280 §4.2.1.6: directoryName [4] Name
                let name = der::single(gn.value, "TSTInfo.tsa.directoryName")?;
                if name.tag != der::SEQUENCE {
                    return Err(invalid("TSTInfo.tsa.directoryName", "not a Name").into());
                }
                TsaName::Directory(name.raw)
            } else {
                TsaName::Other(gn.raw)
            })
        }
        None => None,
    };
    // extensions [1] IMPLICIT Extensions OPTIONAL
    if let Some(exts) = r.optional(ctx_cons(1), "TSTInfo.extensions")? {
        let mut e = exts.reader("TSTInfo.extensions");
        while !e.is_empty() {
            let mut ext = e.sequence("TSTInfo.extensions")?;
            let id = ext.oid("Extension.extnID")?;
            let critical = match ext.peek_tag() {
                Some(der::BOOLEAN) => ext.boolean("Extension.critical")?,
                _ => false,
            };
            let _value = ext.octet_string("Extension.extnValue")?;
            ext.finish("Extension")?;
            // RFC 5280 §4.2 (same Extensions type): a critical extension that is not understood
            // must cause rejection; RFC 3161 defines none.
            if critical {
                return Err(TsaError::UnsupportedAlgorithm {
                    field: "TSTInfo.extensions (critical)",
                    oid: oid_string(id),
                });
            }
        }
    }
    r.finish("TSTInfo")?;
    Ok(TstInfo {
        policy,
        imprint_alg,
        imprint,
        serial,
        gen_time,
        accuracy_micros,
        ordering,
        nonce,
        tsa,
    })
}

/// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL,
///                         micros [1] INTEGER (1..999) OPTIONAL }, in microseconds.
fn accuracy(tlv: Tlv<'_>) -> Result<u64, TsaError> {
    let mut r = tlv.reader("TSTInfo.accuracy");
    let mut total: u64 = 0;
    if r.peek_tag() == Some(der::INTEGER) {
        let s = r.small_uint("accuracy.seconds")?;
        total = s
            .checked_mul(1_000_000)
            .ok_or(invalid("accuracy.seconds", "too large"))?;
    }
    for (tag, scale, what) in [
        (ctx_prim(0), 1000u64, "accuracy.millis"),
        (ctx_prim(1), 1u64, "accuracy.micros"),
    ] {
        if let Some(t) = r.optional(tag, what)? {
            der::check_integer(t.value, what)?;
            let v = der::uint_value(t.value).ok_or(invalid(what, "negative"))?;
            if !(1..=999).contains(&v) {
                return Err(invalid(what, "outside 1..999").into());
            }
            total = total
                .checked_add(v * scale)
                .ok_or(invalid(what, "too large"))?;
        }
    }
    r.finish("TSTInfo.accuracy")?;
    Ok(total)
}

/// GeneralizedTime in the RFC 3161 §2.4.2 profile: "YYYYMMDDhhmmss[.s...]Z", seconds required,
/// UTC only, fraction without trailing zeros ("the decimal point element, if present, MUST be
/// omitted if ... zero").
pub(crate) fn generalized_time(v: &[u8]) -> Result<Timestamp, TsaError> {
    const WHAT: &str = "TSTInfo.genTime";
    let bad = || TsaError::from(invalid(WHAT, "not a DER GeneralizedTime"));
    let (body, last) = v
        .split_at_checked(v.len().saturating_sub(1))
        .ok_or_else(bad)?;
    if last != b"Z" || body.len() < 14 {
        return Err(bad());
    }
    let (digits, frac) = body.split_at_checked(14).ok_or_else(bad)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> i32 {
        digits
            .get(r)
            .unwrap_or_default()
            .iter()
            .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'))
    };
    let nanos = match frac {
        [] => 0,
        [b'.', f @ ..] => {
            if f.is_empty() || f.len() > 9 || f.last() == Some(&b'0') {
                return Err(bad());
            }
            if !f.iter().all(u8::is_ascii_digit) {
                return Err(bad());
            }
            let mut n = f.iter().fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'));
            for _ in f.len()..9 {
                n *= 10;
            }
            n
        }
        _ => return Err(bad()),
    };
    let year = i16::try_from(num(0..4)).map_err(|_| bad())?;
    let small = |r: std::ops::Range<usize>| i8::try_from(num(r)).map_err(|_| bad());
    let dt = jiff::civil::DateTime::new(
        year,
        small(4..6)?,
        small(6..8)?,
        small(8..10)?,
        small(10..12)?,
        small(12..14)?,
        nanos,
    )
    .map_err(|_| bad())?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).map_err(|_| bad())
}

/// A digest AlgorithmIdentifier (RFC 5754 §2: parameters absent or NULL).
pub(crate) fn digest_algorithm(tlv: Tlv<'_>) -> Result<HashAlgorithm, TsaError> {
    let mut r = tlv.reader("AlgorithmIdentifier");
    let oid = r.oid("AlgorithmIdentifier.algorithm")?;
    let _null = r.optional(der::NULL, "AlgorithmIdentifier.parameters")?;
    r.finish("AlgorithmIdentifier")?;
    hash_by_oid(oid).ok_or_else(|| TsaError::UnsupportedAlgorithm {
        field: "digest algorithm",
        oid: oid_string(oid),
    })
}

fn hash_by_oid(oid: &[u8]) -> Option<HashAlgorithm> {
    match oid {
        OID_SHA256 => Some(HashAlgorithm::Sha256),
        OID_SHA384 => Some(HashAlgorithm::Sha384),
        OID_SHA512 => Some(HashAlgorithm::Sha512),
        _ => None,
    }
}

/// A signature AlgorithmIdentifier (RFC 5758 §3.2 ECDSA, RFC 4055 RSA, RFC 8410 Ed25519).
pub(crate) fn signature_algorithm(tlv: Tlv<'_>, field: &'static str) -> Result<SigAlg, TsaError> {
    let mut r = tlv.reader(field);
    let oid = r.oid(field)?;
    let params = if r.is_empty() { None } else { Some(r.any()?) };
    r.finish(field)?;
    let absent_or_null = params.is_none_or(|p| p.tag == der::NULL && p.value.is_empty());
    let unsupported = || TsaError::UnsupportedAlgorithm {
        field,
        oid: oid_string(oid),
    };
    let alg = |family, hash| SigAlg { family, hash };
    let pkcs1 = SigFamily::Rsa(RsaPadding::Pkcs1);
    let sig = match oid {
        // RFC 5758 §3.2: "the encoding MUST omit the parameters field" (NULL is tolerated).
        OID_ECDSA_SHA256 if absent_or_null => alg(SigFamily::Ecdsa, Some(HashAlgorithm::Sha256)),
        OID_ECDSA_SHA384 if absent_or_null => alg(SigFamily::Ecdsa, Some(HashAlgorithm::Sha384)),
        OID_ECDSA_SHA512 if absent_or_null => alg(SigFamily::Ecdsa, Some(HashAlgorithm::Sha512)),
        // Some CMS signers name the key algorithm; the digest algorithm then gives the hash.
        OID_EC_PUBLIC_KEY => alg(SigFamily::Ecdsa, None),
        OID_RSA_ENCRYPTION if absent_or_null => alg(pkcs1, None),
        OID_RSA_SHA256 if absent_or_null => alg(pkcs1, Some(HashAlgorithm::Sha256)),
        OID_RSA_SHA384 if absent_or_null => alg(pkcs1, Some(HashAlgorithm::Sha384)),
        OID_RSA_SHA512 if absent_or_null => alg(pkcs1, Some(HashAlgorithm::Sha512)),
        OID_RSA_PSS => {
            let p = params.ok_or_else(unsupported)?;
            let h = pss_params(p).ok_or_else(unsupported)?;
            alg(SigFamily::Rsa(RsaPadding::Pss), Some(h))
        }
        // RFC 8410 §3: "the parameters MUST be absent".
        OID_ED25519 if params.is_none() => alg(SigFamily::Ed25519, None),
        _ => return Err(unsupported()),
    };
    Ok(sig)
}

/// RFC 4055 §3.1 RSASSA-PSS-params, accepted only in the form the verifier supports: hash
/// SHA-256/384/512, MGF1 with the same hash, salt length equal to the hash length, trailer 1.
fn pss_params(p: Tlv<'_>) -> Option<HashAlgorithm> {
    if p.tag != der::SEQUENCE {
        return None;
    }
    let mut r = p.reader("RSASSA-PSS-params");
    let hash_wrap = r.optional(ctx_cons(0), "hashAlgorithm").ok()??;
    let hash = digest_algorithm(der::single(hash_wrap.value, "hashAlgorithm").ok()?).ok()?;
    let mgf_wrap = r.optional(ctx_cons(1), "maskGenAlgorithm").ok()??;
    let mut mgf = der::single(mgf_wrap.value, "maskGenAlgorithm")
        .ok()?
        .reader("maskGenAlgorithm");
    if mgf.oid("maskGenAlgorithm").ok()? != OID_MGF1 {
        return None;
    }
    let mgf_hash = digest_algorithm(mgf.expect(der::SEQUENCE, "mgf hash").ok()?).ok()?;
    mgf.finish("maskGenAlgorithm").ok()?;
    let salt_wrap = r.optional(ctx_cons(2), "saltLength").ok()??;
    let mut salt_r = Reader::new(salt_wrap.value, "saltLength");
    let salt = salt_r.small_uint("saltLength").ok()?;
    salt_r.finish("saltLength").ok()?;
    if let Some(t) = r.optional(ctx_cons(3), "trailerField").ok()? {
        let mut tr = Reader::new(t.value, "trailerField");
        if tr.small_uint("trailerField").ok()? != 1 {
            return None;
        }
        tr.finish("trailerField").ok()?;
    }
    r.finish("RSASSA-PSS-params").ok()?;
    (mgf_hash == hash && usize::try_from(salt).ok()? == hash.len()).then_some(hash)
}

/// Names of the PKIFailureInfo bits set (RFC 3161 §2.4.2).
fn failure_names(bits: &[u8]) -> String {
    const NAMES: [(usize, &str); 8] = [
        (0, "badAlg"),
        (2, "badRequest"),
        (5, "badDataFormat"),
        (14, "timeNotAvailable"),
        (15, "unacceptedPolicy"),
        (16, "unacceptedExtension"),
        (17, "addInfoNotAvailable"),
        (25, "systemFailure"),
    ];
    // The first octet of a BIT STRING counts the unused bits.
    let data = bits.get(1..).unwrap_or_default();
    let set: Vec<&str> = NAMES
        .iter()
        .filter(|(bit, _)| {
            data.get(bit / 8)
                .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
        })
        .map(|(_, n)| *n)
        .collect();
    if set.is_empty() {
        "unspecified".into()
    } else {
        set.join(",")
    }
}
