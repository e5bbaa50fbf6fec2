//! The X.509 facts a timestamp check needs from a TSA certificate, and the signature checks
//! between certificates of a TSA path.
//!
//! Owns: reading one certificate (x509-parser for the fields, the capped DER reader for the
//! signed bytes) and verifying one certificate's signature with its issuer's key. Must not touch:
//! trust decisions (which path is trusted is `mod.rs`), the clock, files.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

use crate::bundle::HashAlgorithm;
use crate::crypto::{KeyKind, PublicKey};
use crate::time::{self, Timestamp};

use super::cms::{signature_algorithm, SigAlg, SigFamily};
use crate::der::{self, Reader};

/// Extensions this verifier understands well enough to accept when marked critical
/// (basicConstraints, keyUsage, extKeyUsage, subjectAltName, subjectKeyIdentifier,
/// authorityKeyIdentifier, certificatePolicies).
const UNDERSTOOD_EXTENSIONS: [&[u8]; 7] = [
    &[0x55, 0x1D, 0x13],
    &[0x55, 0x1D, 0x0F],
    &[0x55, 0x1D, 0x25],
    &[0x55, 0x1D, 0x11],
    &[0x55, 0x1D, 0x0E],
    &[0x55, 0x1D, 0x23],
    &[0x55, 0x1D, 0x20],
];

/// What one certificate says, owned so a prepared verifier can keep it.
#[derive(Debug, Clone)]
pub(crate) struct CertInfo {
    pub der: Vec<u8>,
    /// DER `Name`s, compared byte for byte.
    pub subject: Vec<u8>,
    pub issuer: Vec<u8>,
    /// INTEGER content octets.
    pub serial: Vec<u8>,
    pub subject_key_id: Option<Vec<u8>>,
    pub subject_display: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub key: PublicKey,
    /// `Some(pathLenConstraint)` when basicConstraints says cA.
    pub ca: Option<Option<u32>>,
    /// keyUsage absent or allowing keyCertSign.
    pub may_sign_certs: bool,
    /// keyUsage absent or allowing digitalSignature / nonRepudiation.
    pub may_sign_data: bool,
    /// `Err(why)` unless the certificate is fit to sign timestamps (RFC 3161 §2.3).
    pub timestamping: Result<(), &'static str>,
    /// A critical extension this verifier does not understand, if any (dotted OID).
    pub unknown_critical: Option<String>,
    tbs: Vec<u8>,
    sig_alg: Result<SigAlg, String>,
    signature: Vec<u8>,
}

impl CertInfo {
    /// Reads one DER certificate; `Err` says why it is unusable.
    pub fn parse(der: &[u8]) -> Result<Self, String> {
        // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
        //                                          signatureValue BIT STRING }
        let outer = der::single(der, "Certificate").map_err(|e| e.to_string())?;
        let mut r = Reader::new(outer.value, "Certificate");
        let tbs = r
            .expect(der::SEQUENCE, "tbsCertificate")
            .map_err(|e| e.to_string())?;
        let alg = r
            .expect(der::SEQUENCE, "signatureAlgorithm")
            .map_err(|e| e.to_string())?;
        let bits = r
            .expect(der::BIT_STRING, "signatureValue")
            .map_err(|e| e.to_string())?;
        r.finish("Certificate").map_err(|e| e.to_string())?;
        let signature = match bits.value {
            [0, rest @ ..] => rest.to_vec(),
            _ => return Err("signatureValue has unused bits".into()),
        };
        let sig_alg =
            signature_algorithm(alg, "certificate signatureAlgorithm").map_err(|e| e.to_string());

        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err("trailing bytes after the certificate".into());
        }
        let key = PublicKey::from_parsed(cert.public_key(), cert.public_key().raw)
            .map_err(|e| e.to_string())?;
        let validity = cert.validity();
        let not_before = time::from_asn1(&validity.not_before)?;
        let not_after = time::from_asn1(&validity.not_after)?;

        let mut subject_key_id = None;
        let mut unknown_critical = None;
        for ext in cert.extensions() {
            if let ParsedExtension::SubjectKeyIdentifier(k) = ext.parsed_extension() {
                subject_key_id = Some(k.0.to_vec());
            }
            // RFC 5280 §4.2: "A certificate-using system MUST reject the certificate if it
            // encounters a critical extension it does not recognize".
            if ext.critical && !UNDERSTOOD_EXTENSIONS.contains(&ext.oid.as_bytes()) {
                unknown_critical = Some(ext.oid.to_id_string());
            }
        }
        let bc = cert.basic_constraints().map_err(|e| e.to_string())?;
        let ca = bc
            .filter(|b| b.value.ca)
            .map(|b| b.value.path_len_constraint);
        let ku = cert.key_usage().map_err(|e| e.to_string())?;
        let may_sign_certs = ku.as_ref().is_none_or(|k| k.value.key_cert_sign());
        let may_sign_data = ku
            .as_ref()
            .is_none_or(|k| k.value.digital_signature() || k.value.non_repudiation());
        // RFC 3161 §2.3: "The corresponding certificate MUST contain only one instance of the
        // extended key usage field extension ... with KeyPurposeID having value:
        // id-kp-timeStamping. This extension MUST be critical."
        let timestamping = match cert.extended_key_usage() {
            Err(_) => Err("extendedKeyUsage is malformed or repeated"),
            Ok(None) => Err("no extendedKeyUsage extension"),
            Ok(Some(eku)) if !eku.critical => Err("extendedKeyUsage is not critical"),
            Ok(Some(eku)) if !eku.value.time_stamping => Err("extendedKeyUsage lacks timeStamping"),
            Ok(Some(eku))
                if eku.value.any
                    || eku.value.server_auth
                    || eku.value.client_auth
                    || eku.value.code_signing
                    || eku.value.email_protection
                    || eku.value.ocsp_signing
                    || !eku.value.other.is_empty() =>
            {
                Err("extendedKeyUsage has purposes besides timeStamping")
            }
            Ok(Some(_)) => Ok(()),
        };
        Ok(CertInfo {
            der: der.to_vec(),
            subject: cert.subject().as_raw().to_vec(),
            issuer: cert.issuer().as_raw().to_vec(),
            serial: cert.raw_serial().to_vec(),
            subject_key_id,
            subject_display: cert.subject().to_string(),
            not_before,
            not_after,
            key,
            ca,
            may_sign_certs,
            may_sign_data,
            timestamping,
            unknown_critical,
            tbs: tbs.raw.to_vec(),
            sig_alg,
            signature,
        })
    }

    /// Whether `t` lies in `[notBefore, notAfter]` (RFC 5280 §4.1.2.5: both ends inclusive).
    pub fn valid_at(&self, t: Timestamp) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// Verifies that `issuer` signed this certificate and may issue certificates.
    pub fn verify_issued_by(&self, issuer: &CertInfo) -> Result<(), String> {
        // RFC 5280 §6.1.3 (a)(4): the certificate issuer name is the working issuer name.
        if self.issuer != issuer.subject {
            return Err(format!(
                "'{}' is not issued by '{}'",
                self.subject_display, issuer.subject_display
            ));
        }
        // RFC 5280 §6.1.4 (k): the issuer must be a CA; (n): keyCertSign if keyUsage is present.
        if issuer.ca.is_none() || !issuer.may_sign_certs {
            return Err(format!(
                "'{}' is not a CA allowed to sign certificates",
                issuer.subject_display
            ));
        }
        let alg = self.sig_alg.as_ref().map_err(Clone::clone)?;
        // Certificate signature algorithms always name their hash, except Ed25519.
        let hash = match (alg.family, alg.hash) {
            (SigFamily::Ed25519, _) => HashAlgorithm::Sha512,
            (_, Some(h)) => h,
            (_, None) => return Err("certificate signature algorithm names no hash".into()),
        };
        verify_with(&issuer.key, *alg, hash, &self.tbs, &self.signature).map_err(|why| {
            format!(
                "signature on '{}' by '{}' does not verify: {why}",
                self.subject_display, issuer.subject_display
            )
        })
    }
}

/// Verifies `signature` over `message` with `key`, after checking that the algorithm family
/// matches the key (the crypto backend picks the algorithm from the key alone).
pub(crate) fn verify_with(
    key: &PublicKey,
    alg: SigAlg,
    hash: HashAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let family_fits = match alg.family {
        SigFamily::Ecdsa => key.kind().is_ecdsa(),
        SigFamily::Rsa(_) => key.kind() == KeyKind::Rsa,
        SigFamily::Ed25519 => key.kind() == KeyKind::Ed25519,
    };
    if !family_fits {
        return Err(format!(
            "{:?} signature cannot come from a {} key",
            alg.family,
            key.kind().name()
        ));
    }
    let padding = match alg.family {
        SigFamily::Rsa(p) => p,
        _ => crate::crypto::RsaPadding::Pkcs1,
    };
    key.verify(hash, padding, message, signature)
        .map_err(|e| e.to_string())
}
