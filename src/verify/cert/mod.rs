//! Fulcio certificates: the chain from a leaf to a trusted CA at a given time, and the Fulcio
//! leaf profile (codeSigning EKU, key usage, no CA). Split along its seams: leaf parsing and the
//! Fulcio claims in `leaf` (claims themselves in [`crate::fulcio`]), path building here, tests
//! beside in `tests`; the embedded SCT check is [`super::sct::verify_scts`], and which trust
//! root issued a leaf is the trust store's question ([`crate::trust::pick_root`]).
//!
//! Owns: X.509 path validation for Fulcio leaves (hand-read DER goes through [`crate::der`]).
//! Must not touch: files, the clock, policy (the SAN/issuer match is `policy`).
//!
//! Path building follows the Sigstore client spec: certificates a bundle carries after the leaf
//! are never trusted (a root among them is refused); the path is built from the trusted root's
//! `certificateAuthorities`, each listed issuing certificate first, then up to its root. The
//! path is checked at the verified signing time, never at "now".
//!
//! Cost: one signature per bundle (the leaf's, usually P-384) plus one SCT signature. The
//! signatures *between* trusted-root certificates (intermediate → root) are pure functions of
//! trusted bytes, so a [`LinkMemo`] owned by the caller (one per prepared trusted root, see
//! `verify::Verifier`) remembers the links that verified; a leaf remembers which issuer key verified it, so calling
//! [`verify_chain`] at several times costs one signature.

use std::collections::{BTreeMap, HashSet};
use std::sync::RwLock;

use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::bundle::HashAlgorithm;
use crate::crypto::{self, KeyKind, PublicKey, RsaPadding};
use crate::der;
use crate::limits;
use crate::time::{from_asn1, Timestamp};
use crate::trust::trusted_root::CertificateAuthority;
use crate::trust::TrustedRoot;
use crate::verify::sct::{self, SctError};

/// Why a certificate was refused. Each variant maps to a stable reason code via [`CertError::code`].
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CertError {
    #[error("certificate is not valid DER X.509: {0}")]
    Malformed(String),
    #[error("certificate key cannot be used: {0}")]
    UnsupportedKey(String),
    #[error("certificate signature algorithm {oid} is not supported")]
    UnsupportedSignatureAlgorithm { oid: String },
    #[error("the bundle's certificate chain carries a root (self-issued) certificate at position {index}: {subject}")]
    ChainContainsRoot { index: usize, subject: String },
    #[error("the bundle's certificate chain carries a certificate at position {index} that is not a certificate of the trusted root: {subject}")]
    ChainUntrustedCertificate { index: usize, subject: String },
    #[error("no trusted Fulcio CA issued this certificate (issuer '{issuer}', {candidates} trusted certificates with that name)")]
    Untrusted { issuer: String, candidates: usize },
    #[error("the certificate was issued by CA {ca_uri}, but {at} is outside that CA's validFor {window}")]
    OutsideCaValidity {
        ca_uri: String,
        at: Timestamp,
        window: String,
    },
    #[error("the certificate was issued at {issued} (notBefore), outside CA {ca_uri} ({ca_subject}): CA validFor {window}, CA certificate valid {ca_not_before} to {ca_not_after}")]
    IssuedOutsideCaValidity {
        ca_uri: String,
        ca_subject: String,
        issued: Timestamp,
        window: String,
        ca_not_before: Timestamp,
        ca_not_after: Timestamp,
    },
    #[error(
        "CA certificate '{subject}' of {ca_uri} is valid {not_before} to {not_after}, not at {at}"
    )]
    CaCertificateNotValidAt {
        ca_uri: String,
        subject: String,
        at: Timestamp,
        not_before: Timestamp,
        not_after: Timestamp,
    },
    #[error("trusted certificate '{subject}' of {ca_uri} cannot issue certificates: {why}")]
    IssuerNotCa {
        ca_uri: String,
        subject: String,
        why: String,
    },
    #[error("trusted CA {ca_uri}: '{subject}' is not signed by the next certificate of its chain: {why}")]
    TrustedChainBroken {
        ca_uri: String,
        subject: String,
        why: String,
    },
    #[error("the certificate is valid {not_before} to {not_after}, not at the signing time {at}")]
    NotValidAtSigningTime {
        at: Timestamp,
        not_before: Timestamp,
        not_after: Timestamp,
    },
    #[error("the certificate is not for code signing (extended key usage: {eku})")]
    NotCodeSigning { eku: String },
    #[error("the signing certificate is a CA certificate (basicConstraints cA true)")]
    IsCa,
    #[error("the certificate's key usage does not allow digitalSignature (keyUsage {key_usage})")]
    NoDigitalSignature { key_usage: &'static str },
    #[error("the certificate has a critical extension this verifier does not process: {oid}")]
    UnhandledCriticalExtension { oid: String },
    #[error(transparent)]
    Sct(#[from] SctError),
}

impl CertError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "certificate-malformed",
            Self::UnsupportedKey(_) => "certificate-key-unsupported",
            Self::UnsupportedSignatureAlgorithm { .. } => "certificate-signature-unsupported",
            Self::ChainContainsRoot { .. } => "certificate-chain-contains-root",
            Self::ChainUntrustedCertificate { .. } => "certificate-chain-untrusted",
            Self::Untrusted { .. } => "certificate-untrusted",
            Self::OutsideCaValidity { .. }
            | Self::IssuedOutsideCaValidity { .. }
            | Self::CaCertificateNotValidAt { .. } => "certificate-outside-ca-validity",
            Self::IssuerNotCa { .. } | Self::TrustedChainBroken { .. } => "trusted-ca-invalid",
            Self::NotValidAtSigningTime { .. } => "certificate-not-valid-at-signing-time",
            Self::NotCodeSigning { .. } => "certificate-not-code-signing",
            Self::IsCa => "certificate-is-ca",
            Self::NoDigitalSignature { .. } => "certificate-key-usage-invalid",
            Self::UnhandledCriticalExtension { .. } => "certificate-unhandled-critical-extension",
            Self::Sct(e) => e.code(),
        }
    }
}

pub use crate::fulcio::{CertificateSummary, San};

mod leaf;

use leaf::time;
pub use leaf::{parse_leaf, Leaf};

/// A chain that verified at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOk {
    /// URI of the trusted-root CA that issued the leaf.
    pub ca_uri: String,
    /// DER SubjectPublicKeyInfo of the leaf's direct issuer (for SCT `issuer_key_hash`).
    pub issuer_spki_der: Vec<u8>,
    /// Subject DN of the leaf's direct issuer.
    pub issuer_subject: String,
    /// Index of the CA in `root.certificate_authorities`.
    pub ca_index: usize,
}

// ---- OIDs (DER content octets, no tag/length) ----

/// Certificate signature algorithms this verifier accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SigAlg {
    Ecdsa(HashAlgorithm),
    RsaPkcs1(HashAlgorithm),
    Ed25519,
}

fn sig_alg(oid: &str) -> Result<SigAlg, CertError> {
    Ok(match oid {
        // RFC 5758 §3.2 ecdsa-with-SHA256/384/512.
        "1.2.840.10045.4.3.2" => SigAlg::Ecdsa(HashAlgorithm::Sha256),
        "1.2.840.10045.4.3.3" => SigAlg::Ecdsa(HashAlgorithm::Sha384),
        "1.2.840.10045.4.3.4" => SigAlg::Ecdsa(HashAlgorithm::Sha512),
        // RFC 4055 §5 sha256/384/512WithRSAEncryption (SHA-1 is refused).
        "1.2.840.113549.1.1.11" => SigAlg::RsaPkcs1(HashAlgorithm::Sha256),
        "1.2.840.113549.1.1.12" => SigAlg::RsaPkcs1(HashAlgorithm::Sha384),
        "1.2.840.113549.1.1.13" => SigAlg::RsaPkcs1(HashAlgorithm::Sha512),
        // RFC 8410 §3 id-Ed25519.
        "1.3.101.112" => SigAlg::Ed25519,
        other => {
            return Err(CertError::UnsupportedSignatureAlgorithm {
                oid: other.to_string(),
            })
        }
    })
}

/// Verifies `signature` over `tbs` with the issuer's key, through the crypto module.
fn verify_signed(
    issuer_spki: &SubjectPublicKeyInfo<'_>,
    alg: SigAlg,
    tbs: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let key = PublicKey::from_parsed(issuer_spki, issuer_spki.raw).map_err(|e| e.to_string())?;
    let (hash, fits) = match alg {
        SigAlg::Ecdsa(h) => (h, key.kind().is_ecdsa()),
        SigAlg::RsaPkcs1(h) => (h, key.kind() == KeyKind::Rsa),
        SigAlg::Ed25519 => (HashAlgorithm::Sha512, key.kind() == KeyKind::Ed25519),
    };
    if !fits {
        return Err(format!(
            "a {} key cannot make a {alg:?} signature",
            key.kind().name()
        ));
    }
    key.verify(hash, RsaPadding::Pkcs1, tbs, signature)
        .map_err(|e| e.to_string())
}

fn parse_cert(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    if der.len() > limits::MAX_DER_BYTES {
        return Err(format!(
            "{} bytes, at most {} allowed",
            der.len(),
            limits::MAX_DER_BYTES
        ));
    }
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!(
            "{} trailing bytes after the certificate",
            rest.len()
        ));
    }
    // RFC 5280 §4.1.1.2: signatureAlgorithm "MUST contain the same algorithm identifier as the
    // signature field in the sequence tbsCertificate".
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err("signatureAlgorithm differs from tbsCertificate.signature".into());
    }
    Ok(cert)
}

/// Which (child, issuer) links between trusted-root certificates already verified. A pure memo:
/// the key is a hash of the child's DER and the issuer's key, so a hit means exactly that
/// signature verified before. Bounded by [`LINK_CACHE_CAP`].
/// Most remembered (child, issuer) certificate links. Only trusted-root certificates are
/// remembered, so a handful of entries is the working set; the cap bounds a process that loads
/// many roots.
pub const LINK_CACHE_CAP: usize = 1024;

#[derive(Debug, Default)]
pub struct LinkMemo(RwLock<HashSet<[u8; 32]>>);

/// Verifies that `child` is signed by `issuer`, remembering links that verified.
fn verify_link(
    memo: &LinkMemo,
    child: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Result<(), String> {
    let mut h = crypto::Hasher::new(HashAlgorithm::Sha256);
    let child_der = child.as_raw();
    h.update(&(child_der.len() as u64).to_be_bytes());
    h.update(child_der);
    h.update(issuer.public_key().raw);
    let mut key = [0u8; 32];
    key.copy_from_slice(h.finish().get(..32).unwrap_or(&[0u8; 32]));
    if memo.0.read().is_ok_and(|c| c.contains(&key)) {
        return Ok(());
    }
    let alg =
        sig_alg(&child.signature_algorithm.algorithm.to_id_string()).map_err(|e| e.to_string())?;
    verify_signed(
        issuer.public_key(),
        alg,
        child.tbs_certificate.as_ref(),
        &child.signature_value.data,
    )?;
    if let Ok(mut c) = memo.0.write() {
        if c.len() >= LINK_CACHE_CAP {
            c.clear();
        }
        c.insert(key);
    }
    Ok(())
}

/// Verifies `leaf` chains to a CA of `root` whose `validFor` contains `at`, every certificate
/// valid at `at`, codeSigning EKU on the leaf. `bundle_rest` are the extra certificates a v0.1/v0.2
/// bundle carried.
pub fn verify_chain(
    leaf: &Leaf,
    bundle_rest: &[Vec<u8>],
    root: &TrustedRoot,
    at: Timestamp,
) -> Result<ChainOk, CertError> {
    verify_chain_memo(leaf, bundle_rest, root, at, &LinkMemo::default())
}

/// [`verify_chain`], remembering verified trusted-root links in `memo` across calls.
pub fn verify_chain_memo(
    leaf: &Leaf,
    bundle_rest: &[Vec<u8>],
    root: &TrustedRoot,
    at: Timestamp,
    memo: &LinkMemo,
) -> Result<ChainOk, CertError> {
    // Sigstore client spec: certificates in the bundle after the leaf are untrusted; a bundle
    // that ships a root certificate is refused (conformance bundle-with-root-cert_fail), since a
    // verifier that used it would trust whatever the signer chose.
    if bundle_rest.len() > limits::MAX_CHAIN_LEN {
        return Err(CertError::Malformed(format!(
            "the bundle carries {} chain certificates, at most {} allowed",
            bundle_rest.len(),
            limits::MAX_CHAIN_LEN
        )));
    }
    for (i, der) in bundle_rest.iter().enumerate() {
        // Older npm / sigstore-js bundles (v0.1, v0.2) and cosign's chain annotation carry the
        // Fulcio intermediate and root after the leaf. A certificate byte-identical to one of
        // the trusted root adds nothing (the path below is still built only from the trusted
        // root), so it is accepted, as sigstore-go, sigstore-js and sigstore-rust do.
        let trusted = root
            .certificate_authorities
            .iter()
            .any(|ca| ca.cert_chain.iter().any(|t| t == der));
        if trusted {
            continue;
        }
        let c = parse_cert(der)
            .map_err(|e| CertError::Malformed(format!("chain certificate {}: {e}", i + 1)))?;
        // RFC 5280 §3.2: a self-issued certificate has the same subject and issuer.
        if c.subject().as_raw() == c.issuer().as_raw() {
            return Err(CertError::ChainContainsRoot {
                index: i + 1,
                subject: c.subject().to_string(),
            });
        }
        // Any other certificate is one the signer chose: refused, so that what the bundle
        // claims about its issuer never differs from what was verified.
        return Err(CertError::ChainUntrustedCertificate {
            index: i + 1,
            subject: c.subject().to_string(),
        });
    }

    // Sigstore client spec: "the verifier MUST ... verify the signing certificate chains to a
    // Fulcio CA of the trusted root". Issuer chosen by name (RFC 5280 §6.1: the issuer name of
    // a certificate is the subject name of the next), then by signature.
    let mut candidates = 0usize;
    let mut first_failure: Option<CertError> = None;
    for (ca_index, ca) in root.certificate_authorities.iter().enumerate() {
        // Find the issuer by a cheap DER walk; fully parse only the certificates of the path.
        let Some(pos) = ca
            .cert_chain
            .iter()
            .position(|der| der::cert_subject(der) == Some(leaf.facts.issuer_dn.as_slice()))
        else {
            continue;
        };
        let mut chain = Vec::with_capacity(ca.cert_chain.len().saturating_sub(pos));
        for der in ca.cert_chain.iter().skip(pos) {
            match parse_cert(der) {
                Ok(c) => chain.push(c),
                // A trusted CA whose certificates do not parse cannot issue anything.
                Err(_) => {
                    chain.clear();
                    break;
                }
            }
        }
        // The walk and the parser must agree on the subject.
        if chain
            .first()
            .is_none_or(|c| c.subject().as_raw() != leaf.facts.issuer_dn.as_slice())
        {
            continue;
        }
        let path = chain.as_slice();
        let Some(issuer) = path.first() else { continue };
        candidates = candidates.saturating_add(1);
        // RFC 5280 §6.1.3 (a)(1): the signature verifies with the working public key.
        if !leaf.signed_by(issuer) {
            continue;
        }
        match check_path(leaf, ca, path, at, memo) {
            Ok(()) => {
                return Ok(ChainOk {
                    ca_uri: ca.uri.clone(),
                    issuer_spki_der: issuer.public_key().raw.to_vec(),
                    issuer_subject: issuer.subject().to_string(),
                    ca_index,
                })
            }
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
    }
    Err(first_failure.unwrap_or_else(|| CertError::Untrusted {
        issuer: leaf.summary.issuer.clone(),
        candidates,
    }))
}

/// The checks once `path[0]` (of trusted CA `ca`) is known to have signed the leaf.
fn check_path(
    leaf: &Leaf,
    ca: &CertificateAuthority,
    path: &[X509Certificate<'_>],
    at: Timestamp,
    memo: &LinkMemo,
) -> Result<(), CertError> {
    // Sigstore trusted root: a CA is trusted only during its validFor (closed interval), and
    // the spec checks the chain "at the time of signing" (the verified time `at`).
    if !ca.valid_for.contains(at) {
        return Err(CertError::OutsideCaValidity {
            ca_uri: ca.uri.clone(),
            at,
            window: ca.valid_for.to_string(),
        });
    }
    let issuer = path
        .first()
        .ok_or_else(|| CertError::Malformed("empty trusted chain".into()))?;
    let ca_not_before = time(&issuer.validity().not_before)?;
    let ca_not_after = time(&issuer.validity().not_after)?;
    // A CA can only issue while it is valid and trusted: the leaf's notBefore (its issuance)
    // must lie inside both (conformance intoto-expired-certificate_fail: notBefore 2030, CA
    // certificate expired 2024).
    let issued = leaf.summary.not_before;
    if !ca.valid_for.contains(issued) || issued < ca_not_before || issued > ca_not_after {
        return Err(CertError::IssuedOutsideCaValidity {
            ca_uri: ca.uri.clone(),
            ca_subject: issuer.subject().to_string(),
            issued,
            window: ca.valid_for.to_string(),
            ca_not_before,
            ca_not_after,
        });
    }
    for (depth, c) in path.iter().enumerate() {
        // RFC 5280 §6.1.3 (a)(2): "The certificate validity period includes the current time"
        // (here: the verified signing time).
        let nb = time(&c.validity().not_before)?;
        let na = time(&c.validity().not_after)?;
        if at < nb || at > na {
            return Err(CertError::CaCertificateNotValidAt {
                ca_uri: ca.uri.clone(),
                subject: c.subject().to_string(),
                at,
                not_before: nb,
                not_after: na,
            });
        }
        // RFC 5280 §6.1.4 (k): an issuing certificate must have basicConstraints cA TRUE;
        // (n): if keyUsage is present, keyCertSign must be set; (m) pathLenConstraint bounds
        // the CA certificates below it (here: `depth` of them between it and the leaf).
        let not_ca = |why: String| CertError::IssuerNotCa {
            ca_uri: ca.uri.clone(),
            subject: c.subject().to_string(),
            why,
        };
        let bc = c.basic_constraints().map_err(|e| not_ca(e.to_string()))?;
        match bc {
            Some(bc) if bc.value.ca => {
                if let Some(max) = bc.value.path_len_constraint {
                    if usize::try_from(max).is_ok_and(|m| depth > m) {
                        return Err(not_ca(format!(
                            "pathLenConstraint {max}, {depth} CA certificates below it"
                        )));
                    }
                }
            }
            _ => return Err(not_ca("basicConstraints cA is not TRUE".into())),
        }
        if let Some(ku) = c.key_usage().map_err(|e| not_ca(e.to_string()))? {
            if !ku.value.key_cert_sign() {
                return Err(not_ca("keyUsage lacks keyCertSign".into()));
            }
        }
        // Up to the CA's root: each certificate signed by the next (memoized, trusted bytes).
        if let Some(next) = path.get(depth + 1) {
            verify_link(memo, c, next).map_err(|why| CertError::TrustedChainBroken {
                ca_uri: ca.uri.clone(),
                subject: c.subject().to_string(),
                why,
            })?;
        }
    }

    // Sigstore client spec: the signing certificate must be valid at the verified signing time
    // (conformance integrated-time-in-future_fail, intoto-set-outside-signing-cert-validity_fail).
    let (nb, na) = (leaf.summary.not_before, leaf.summary.not_after);
    if at < nb || at > na {
        return Err(CertError::NotValidAtSigningTime {
            at,
            not_before: nb,
            not_after: na,
        });
    }
    check_leaf_profile(leaf)
}

/// The Fulcio leaf profile.
fn check_leaf_profile(leaf: &Leaf) -> Result<(), CertError> {
    let f = &leaf.facts;
    // RFC 5280 §4.2: "A certificate-using system MUST reject the certificate if it encounters a
    // critical extension it does not recognize" (this also refuses a CT precertificate, whose
    // poison extension is critical).
    if let Some(oid) = &f.unhandled_critical {
        return Err(CertError::UnhandledCriticalExtension { oid: oid.clone() });
    }
    // Sigstore client spec / Fulcio: the leaf MUST carry the codeSigning extended key usage
    // (1.3.6.1.5.5.7.3.3).
    match &f.eku {
        Some(e) if e.code_signing => {}
        Some(e) => {
            return Err(CertError::NotCodeSigning {
                eku: e.names.clone(),
            })
        }
        None => {
            return Err(CertError::NotCodeSigning {
                eku: "absent".into(),
            })
        }
    }
    // Fulcio issues end-entity certificates: basicConstraints cA must be FALSE or absent.
    if f.is_ca {
        return Err(CertError::IsCa);
    }
    // RFC 5280 §4.2.1.3: "The digitalSignature bit is asserted when the subject public key is
    // used for verifying digital signatures, other than signatures on certificates ... and
    // CRLs". Fulcio always issues a critical KeyUsage of digitalSignature, and the Sigstore
    // leaf profile (sigstore-python) refuses a leaf without one, so a missing KeyUsage is
    // refused too: an issuer that omits it is not issuing Fulcio leaves.
    match f.digital_signature {
        Some(true) => {}
        Some(false) => {
            return Err(CertError::NoDigitalSignature {
                key_usage: "present without digitalSignature",
            })
        }
        None => {
            return Err(CertError::NoDigitalSignature {
                key_usage: "absent",
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
