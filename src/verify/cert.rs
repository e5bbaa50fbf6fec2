//! Fulcio certificates: leaf parsing, chain to a trusted CA at a given time, codeSigning EKU,
//! Fulcio extensions, and embedded SCTs (RFC 6962) against the trusted CT logs.
//!
//! Owns: X.509 path validation for Fulcio leaves and the SCT check (the TLS work is in
//! [`super::sct`], hand-read DER goes through [`crate::der`]). Must not touch: files, the clock, policy (the SAN/issuer match is `policy`).
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
use std::sync::{OnceLock, RwLock};

use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};
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

/// A parsed leaf certificate.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub der: Vec<u8>,
    pub public_key: PublicKey,
    /// The hash the leaf's key signs with by default (SHA-256 for P-256, SHA-384 for P-384...).
    pub default_hash: HashAlgorithm,
    pub summary: CertificateSummary,
    /// What the chain and SCT checks need, read once here so they never parse the leaf again.
    facts: LeafFacts,
    /// SHA-256 of the issuer SPKI whose key verified this leaf's signature (a memo: the result
    /// of a signature check is a pure function of the bytes).
    verified_issuer: OnceLock<[u8; 32]>,
}

#[derive(Debug, Clone)]
struct LeafFacts {
    tbs: Vec<u8>,
    signature_algorithm: SigAlg,
    signature: Vec<u8>,
    issuer_dn: Vec<u8>,
    is_ca: bool,
    /// None: no EKU extension; Some(list) of the purposes it names.
    eku: Option<Eku>,
    /// None: no KeyUsage extension (refused: Fulcio leaves always carry one).
    digital_signature: Option<bool>,
    /// The first critical extension this module does not process.
    unhandled_critical: Option<String>,
    /// Value (`extnValue` contents) of the embedded SCT list extension.
    sct_list: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct Eku {
    code_signing: bool,
    names: String,
}

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

/// 1.3.6.1.4.1.57264.1 (Fulcio), followed by one arc octet for .1 to .127.
const FULCIO_ARC: [u8; 9] = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01];
const OID_KEY_USAGE: [u8; 3] = [0x55, 0x1d, 0x0f];
const OID_SAN: [u8; 3] = [0x55, 0x1d, 0x11];
const OID_BASIC_CONSTRAINTS: [u8; 3] = [0x55, 0x1d, 0x13];
const OID_EKU: [u8; 3] = [0x55, 0x1d, 0x25];
/// Critical extensions this module processes on a leaf (RFC 5280 §4.2: a certificate with an
/// unrecognized critical extension MUST be rejected).
const HANDLED_CRITICAL: [&[u8]; 4] = [&OID_KEY_USAGE, &OID_SAN, &OID_BASIC_CONSTRAINTS, &OID_EKU];

/// Fulcio extension names, by the last arc of 1.3.6.1.4.1.57264.1.N (Fulcio docs/oid-info.md).
/// `.1`–`.6` are raw strings; `.7` on is a DER UTF8String.
fn fulcio_name(arc: u8) -> Option<&'static str> {
    Some(match arc {
        1 => "Issuer",
        2 => "GithubWorkflowTrigger",
        3 => "GithubWorkflowSha",
        4 => "GithubWorkflowName",
        5 => "GithubWorkflowRepository",
        6 => "GithubWorkflowRef",
        7 => "OtherName",
        8 => "IssuerV2",
        9 => "BuildSignerURI",
        10 => "BuildSignerDigest",
        11 => "RunnerEnvironment",
        12 => "SourceRepositoryURI",
        13 => "SourceRepositoryDigest",
        14 => "SourceRepositoryRef",
        15 => "SourceRepositoryIdentifier",
        16 => "SourceRepositoryOwnerURI",
        17 => "SourceRepositoryOwnerIdentifier",
        18 => "BuildConfigURI",
        19 => "BuildConfigDigest",
        20 => "BuildTrigger",
        21 => "RunInvocationURI",
        22 => "SourceRepositoryVisibilityAtSigning",
        23 => "DeploymentEnvironment",
        _ => return None,
    })
}

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

/// The DER `subject` Name of a certificate (tag and length included), found by walking
/// Certificate → TBSCertificate → version?, serialNumber, signature, issuer, validity, subject
/// (RFC 5280 §4.1) without parsing anything else.
fn subject_of(der: &[u8]) -> Option<&[u8]> {
    tbs_name(der, 4, "subject")
}

/// The DER `issuer` Name of a certificate, found by the same walk.
fn issuer_of(der: &[u8]) -> Option<&[u8]> {
    tbs_name(der, 2, "issuer")
}

/// The Name that follows `skip` fields of the TBSCertificate (after the optional version).
fn tbs_name<'d>(der: &'d [u8], skip: usize, what: &'static str) -> Option<&'d [u8]> {
    let cert = der::single_tagged(der, der::SEQUENCE, "Certificate").ok()?;
    let tbs = cert
        .reader("Certificate")
        .expect(der::SEQUENCE, "tbsCertificate")
        .ok()?;
    let mut fields = tbs.reader("tbsCertificate");
    // version [0] EXPLICIT is optional (absent for v1).
    fields.optional(der::ctx_cons(0), "version").ok()?;
    for _ in 0..skip {
        fields.any().ok()?;
    }
    let name = fields.expect(der::SEQUENCE, what).ok()?;
    Some(name.raw)
}

/// Whether `root` holds a CA certificate whose subject is the leaf's issuer: how a verifier with
/// several trust instances picks the one whose Fulcio issued a leaf. Only a choice of which
/// root to verify against: the chain itself is verified as always.
pub fn issuer_in_root(leaf: &[u8], root: &TrustedRoot) -> bool {
    let Some(issuer) = issuer_of(leaf) else {
        return false;
    };
    root.certificate_authorities
        .iter()
        .any(|ca| ca.cert_chain.iter().any(|c| subject_of(c) == Some(issuer)))
}

/// Of several trust roots, the index of the one whose Fulcio CA issued `bundle`'s leaf, else 0
/// (the first, public good); `None` only when there are no roots.
pub fn pick_root<'r>(
    bundle: &crate::bundle::Bundle,
    roots: impl ExactSizeIterator<Item = &'r TrustedRoot>,
) -> Option<usize> {
    let n = roots.len();
    if n == 0 {
        return None;
    }
    if let crate::bundle::SigningMaterial::Certificate { leaf, .. } = &bundle.signing_material {
        let mut roots = roots;
        if let Some(i) = roots.position(|r| issuer_in_root(leaf, r)) {
            return Some(i);
        }
    }
    Some(0)
}

fn capped(s: &str, what: &str) -> Result<String, CertError> {
    if s.len() > limits::MAX_CERT_STRING_BYTES {
        return Err(CertError::Malformed(format!(
            "{what} is {} bytes, at most {} allowed",
            s.len(),
            limits::MAX_CERT_STRING_BYTES
        )));
    }
    Ok(s.to_string())
}

fn time(t: &x509_parser::time::ASN1Time) -> Result<Timestamp, CertError> {
    from_asn1(t).map_err(CertError::Malformed)
}

/// Parses a leaf certificate and reads its identity facts.
pub fn parse_leaf(der: &[u8]) -> Result<Leaf, CertError> {
    let cert = parse_cert(der).map_err(CertError::Malformed)?;
    let spki = cert.public_key();
    let public_key = PublicKey::from_parsed(spki, spki.raw)
        .map_err(|e| CertError::UnsupportedKey(e.to_string()))?;
    let default_hash = match public_key.kind() {
        KeyKind::EcP384 => HashAlgorithm::Sha384,
        KeyKind::EcP521 => HashAlgorithm::Sha512,
        _ => HashAlgorithm::Sha256,
    };
    let signature_algorithm = sig_alg(&cert.signature_algorithm.algorithm.to_id_string())?;

    let exts = cert.extensions();
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
    // extension." (A second SAN or EKU could otherwise hide behind the first.) Sorted, so a
    // certificate packed with extensions costs n log n, not n².
    let mut oids: Vec<&[u8]> = exts.iter().map(|e| e.oid.as_bytes()).collect();
    oids.sort_unstable();
    if let Some(dup) = oids.windows(2).find(|w| w.first() == w.get(1)) {
        let oid = exts
            .iter()
            .find(|e| Some(&e.oid.as_bytes()) == dup.first())
            .map(|e| e.oid.to_id_string())
            .unwrap_or_default();
        return Err(CertError::Malformed(format!(
            "extension {oid} appears twice"
        )));
    }

    let mut fulcio_extensions = BTreeMap::new();
    let mut issuer_v1 = None;
    let mut issuer_v2 = None;
    let mut unhandled_critical = None;
    let mut sct_list = None;
    for ext in exts {
        let oid = ext.oid.as_bytes();
        let handled = HANDLED_CRITICAL.contains(&oid);
        // An extension we rely on that x509-parser could not decode must not read as "absent".
        if let ParsedExtension::ParseError { error } = ext.parsed_extension() {
            if handled || ext.critical {
                return Err(CertError::Malformed(format!(
                    "extension {}: {error}",
                    ext.oid.to_id_string()
                )));
            }
        }
        if ext.critical && !handled && unhandled_critical.is_none() {
            unhandled_critical = Some(ext.oid.to_id_string());
        }
        if oid == sct::SCT_LIST_OID {
            sct_list = Some(ext.value.to_vec());
        }
        let Some(arc) = oid.strip_prefix(FULCIO_ARC.as_slice()) else {
            continue;
        };
        let [arc] = arc else { continue };
        let Some(name) = fulcio_name(*arc) else {
            continue;
        };
        // Fulcio docs/oid-info.md: ".1.1 through .1.6 are formatted as raw strings without any
        // DER encoding"; ".1.8 through .1.22 are formatted as DER-encoded strings; the ASN.1 tag
        // is UTF8String (0x0C)".
        let value = if *arc <= 6 {
            std::str::from_utf8(ext.value)
                .map_err(|_| CertError::Malformed(format!("Fulcio {name} is not UTF-8")))?
        } else {
            der::utf8_string(ext.value, name)
                .map_err(|e| CertError::Malformed(format!("Fulcio {e}")))?
        };
        let value = capped(value, name)?;
        match arc {
            1 => issuer_v1 = Some(value.clone()),
            8 => issuer_v2 = Some(value.clone()),
            _ => {}
        }
        fulcio_extensions.insert(name.to_string(), value);
    }

    let mut sans = Vec::new();
    let san_ext = cert
        .subject_alternative_name()
        .map_err(|e| CertError::Malformed(format!("subjectAltName: {e}")))?;
    if let Some(san) = san_ext {
        if san.value.general_names.len() > limits::MAX_SAN_ENTRIES {
            return Err(CertError::Malformed(format!(
                "{} subject alternative names, at most {} allowed",
                san.value.general_names.len(),
                limits::MAX_SAN_ENTRIES
            )));
        }
        for gn in &san.value.general_names {
            match gn {
                GeneralName::URI(v) => sans.push(San::Uri(capped(v, "URI SAN")?)),
                GeneralName::RFC822Name(v) => sans.push(San::Email(capped(v, "email SAN")?)),
                GeneralName::DNSName(v) => sans.push(San::Dns(capped(v, "DNS SAN")?)),
                // Fulcio docs/oid-info.md: 1.3.6.1.4.1.57264.1.7 "is formatted as a DER-encoded
                // string in the SubjectAlternativeName extension"; RFC 5280 §4.2.1.6 otherName
                // value is `[0] EXPLICIT ANY`.
                GeneralName::OtherName(oid, value)
                    if oid.as_bytes().strip_prefix(FULCIO_ARC.as_slice()) == Some(&[7]) =>
                {
                    let inner = der::single_tagged(value, der::ctx_cons(0), "otherName SAN")
                        .map_err(|e| CertError::Malformed(e.to_string()))?;
                    let s = der::utf8_string(inner.value, "otherName SAN")
                        .map_err(|e| CertError::Malformed(e.to_string()))?;
                    sans.push(San::OtherName(capped(s, "otherName SAN")?));
                }
                GeneralName::Invalid(tag, _) => {
                    return Err(CertError::Malformed(format!(
                        "subject alternative name with tag {tag} is not valid"
                    )))
                }
                // Other name forms (IP, directoryName, other otherNames) are not identities
                // Sigstore policy matches; they are not reported.
                _ => {}
            }
        }
    }

    let is_ca = cert
        .basic_constraints()
        .map_err(|e| CertError::Malformed(format!("basicConstraints: {e}")))?
        .is_some_and(|bc| bc.value.ca);
    let eku = cert
        .extended_key_usage()
        .map_err(|e| CertError::Malformed(format!("extendedKeyUsage: {e}")))?
        .map(|e| {
            let v = e.value;
            let mut names: Vec<String> = [
                (v.any, "any"),
                (v.server_auth, "serverAuth"),
                (v.client_auth, "clientAuth"),
                (v.code_signing, "codeSigning"),
                (v.email_protection, "emailProtection"),
                (v.time_stamping, "timeStamping"),
                (v.ocsp_signing, "OCSPSigning"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| n.to_string())
            .collect();
            names.extend(v.other.iter().map(|o| o.to_id_string()));
            Eku {
                code_signing: v.code_signing,
                names: names.join(", "),
            }
        });
    let digital_signature = cert
        .key_usage()
        .map_err(|e| CertError::Malformed(format!("keyUsage: {e}")))?
        .map(|ku| ku.value.digital_signature());

    let summary = CertificateSummary {
        serial: format!("{:x}", cert.tbs_certificate.serial),
        issuer: capped(&cert.issuer().to_string(), "issuer DN")?,
        not_before: time(&cert.validity().not_before)?,
        not_after: time(&cert.validity().not_after)?,
        subject_alternative_names: sans,
        oidc_issuer: issuer_v2.or(issuer_v1),
        fulcio_extensions,
    };
    let facts = LeafFacts {
        tbs: cert.tbs_certificate.as_ref().to_vec(),
        signature_algorithm,
        signature: cert.signature_value.data.to_vec(),
        issuer_dn: cert.issuer().as_raw().to_vec(),
        is_ca,
        eku,
        digital_signature,
        unhandled_critical,
        sct_list,
    };
    Ok(Leaf {
        der: der.to_vec(),
        public_key,
        default_hash,
        summary,
        facts,
        verified_issuer: OnceLock::new(),
    })
}

impl Leaf {
    /// Whether `issuer`'s key made this leaf's signature (memoized per leaf).
    fn signed_by(&self, issuer: &X509Certificate<'_>) -> bool {
        let key_id = crypto::sha256(issuer.public_key().raw);
        if self.verified_issuer.get() == Some(&key_id) {
            return true;
        }
        let ok = verify_signed(
            issuer.public_key(),
            self.facts.signature_algorithm,
            &self.facts.tbs,
            &self.facts.signature,
        )
        .is_ok();
        if ok {
            let _ = self.verified_issuer.set(key_id);
        }
        ok
    }
}

// ---- memo of verified links between trusted certificates ----

/// Most remembered (child, issuer) certificate links. Only trusted-root certificates are
/// remembered, so a handful of entries is the working set; the cap bounds a process that loads
/// many roots.
pub const LINK_CACHE_CAP: usize = 1024;

/// Which (child, issuer) links between trusted-root certificates already verified. A pure memo:
/// the key is a hash of the child's DER and the issuer's key, so a hit means exactly that
/// signature verified before. Bounded by [`LINK_CACHE_CAP`].
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
            .position(|der| subject_of(der) == Some(leaf.facts.issuer_dn.as_slice()))
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

/// Verifies the leaf's embedded SCTs; returns how many verified against trusted CT logs
/// (at least one is required, else an error).
///
/// RFC 6962 §3.3 (embedded SCTs) with the CA of `chain` as the precertificate issuer; a CT log
/// key counts only while its `validFor` contains the SCT timestamp (see [`super::sct`]).
pub fn verify_scts(leaf: &Leaf, chain: &ChainOk, root: &TrustedRoot) -> Result<usize, CertError> {
    Ok(sct::verify_embedded(
        leaf.facts.sct_list.as_deref(),
        &leaf.facts.tbs,
        &chain.issuer_spki_der,
        &root.ctlogs,
    )?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::bundle::{Bundle, SigningMaterial};
    use crate::trust::trusted_root::MEDIA_TYPE_V01;

    const CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance");

    fn read(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{CONF}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn root_at(rel: &str) -> TrustedRoot {
        TrustedRoot::from_json(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn prod() -> TrustedRoot {
        root_at("trusted-roots/public-good-production.json")
    }

    /// A conformance case: its leaf, the rest of its chain, the signing time and its root.
    struct Case {
        leaf: Leaf,
        rest: Vec<Vec<u8>>,
        at: Timestamp,
        root: TrustedRoot,
    }

    /// The root a case is verified against: its own trusted_root.json, else production.
    fn case(name: &str) -> Case {
        let dir = format!("bundle-verify/{name}");
        let root = if std::path::Path::new(&format!("{CONF}/{dir}/trusted_root.json")).exists() {
            root_at(&format!("{dir}/trusted_root.json"))
        } else {
            prod()
        };
        let bundle = Bundle::from_json(&read(&format!("{dir}/bundle.sigstore.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let SigningMaterial::Certificate { leaf, rest } = bundle.signing_material else {
            panic!("{name}: not a certificate bundle");
        };
        let leaf = parse_leaf(&leaf).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The tlog integrated time when there is one; Rekor v2 entries have none (their time
        // comes from a TSA within the leaf's ten minutes), so use the leaf's notBefore.
        let at = match bundle.tlog_entries.first().and_then(|e| e.integrated_time) {
            Some(t) => crate::time::from_unix_seconds(t).unwrap_or_else(|e| panic!("{e}")),
            None => leaf.summary.not_before,
        };
        Case {
            leaf,
            rest,
            at,
            root,
        }
    }

    fn chain_code(c: &Case) -> Result<ChainOk, &'static str> {
        verify_chain(&c.leaf, &c.rest, &c.root, c.at).map_err(|e| e.code())
    }

    fn ok_chain(c: &Case) -> ChainOk {
        verify_chain(&c.leaf, &c.rest, &c.root, c.at).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Flips the last byte of the first occurrence of `needle` in `der`.
    fn flip_last_of(der: &[u8], needle: &[u8]) -> Vec<u8> {
        let pos = der
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap_or_else(|| panic!("needle not found"));
        let mut out = der.to_vec();
        out[pos + needle.len() - 1] ^= 0x01;
        out
    }

    #[derive(serde::Deserialize)]
    struct ManifestLine {
        id: String,
        bundle: String,
        expect: String,
    }

    fn manifest_cert_cases() -> Vec<(String, String)> {
        String::from_utf8_lossy(&read("manifest.jsonl"))
            .lines()
            .filter_map(|l| serde_json::from_str::<ManifestLine>(l).ok())
            .filter_map(|m| {
                let name = m.id.rsplit('/').next()?.to_string();
                let b = Bundle::from_json(&read(&m.bundle)).ok()?;
                matches!(b.signing_material, SigningMaterial::Certificate { .. })
                    .then_some((name, m.expect))
            })
            .collect()
    }

    // ---- conformance cases ----

    #[test]
    fn every_passing_conformance_leaf_chains_and_has_a_verified_sct() {
        let mut n = 0;
        for (name, expect) in manifest_cert_cases() {
            if expect != "pass" {
                continue;
            }
            let c = case(&name);
            let ok = verify_chain(&c.leaf, &c.rest, &c.root, c.at)
                .unwrap_or_else(|e| panic!("{name}: {} ({e})", e.code()));
            let scts = verify_scts(&c.leaf, &ok, &c.root)
                .unwrap_or_else(|e| panic!("{name}: {} ({e})", e.code()));
            assert!(scts >= 1, "{name}");
            n += 1;
        }
        assert!(n >= 15, "only {n} passing certificate cases found");
    }

    /// Which `_fail` cases the certificate checks refuse, and with which code; every other
    /// `_fail` case carries a good certificate and must pass here (it fails elsewhere: the
    /// signature, the tlog, the TSA...), so these checks never mask the intended failure.
    #[test]
    fn failing_conformance_cases_are_caught_here_or_left_to_their_own_check() {
        let caught: BTreeMap<&str, &str> = [
            ("bundle-from-wrong-instance_fail", "certificate-untrusted"),
            (
                "bundle-with-root-cert_fail",
                "certificate-chain-contains-root",
            ),
            (
                "integrated-time-in-future_fail",
                "certificate-not-valid-at-signing-time",
            ),
            (
                "intoto-expired-certificate_fail",
                "certificate-outside-ca-validity",
            ),
            (
                "intoto-set-outside-signing-cert-validity_fail",
                "certificate-not-valid-at-signing-time",
            ),
            ("invalid-ct-key_fail", "sct-unknown-log"),
        ]
        .into_iter()
        .collect();
        let mut seen = 0;
        for (name, expect) in manifest_cert_cases() {
            if expect != "fail" {
                continue;
            }
            let root_file = format!("bundle-verify/{name}/trusted_root.json");
            if std::path::Path::new(&format!("{CONF}/{root_file}")).exists()
                && TrustedRoot::from_json(&read(&root_file)).is_err()
            {
                continue; // refused by the trusted-root parser before any certificate
            }
            let c = case(&name);
            let outcome = match verify_chain(&c.leaf, &c.rest, &c.root, c.at) {
                Err(e) => e.code(),
                Ok(ok) => match verify_scts(&c.leaf, &ok, &c.root) {
                    Err(e) => e.code(),
                    Ok(_) => "pass",
                },
            };
            let want = caught.get(name.as_str()).copied().unwrap_or("pass");
            assert_eq!(outcome, want, "{name}");
            seen += usize::from(want != "pass");
        }
        assert_eq!(seen, caught.len());
    }

    #[test]
    fn leaf_from_staging_ca_is_untrusted_under_production_root() {
        let c = case("bundle-from-wrong-instance_fail");
        assert_eq!(chain_code(&c), Err("certificate-untrusted"));
        // The same leaf is fine under the staging root.
        let staging = root_at("trusted-roots/public-good-staging.json");
        let ok = verify_chain(&c.leaf, &c.rest, &staging, c.at).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verify_scts(&c.leaf, &ok, &staging), Ok(1));
    }

    #[test]
    fn bundle_chain_carrying_a_root_certificate_is_refused() {
        let c = case("bundle-with-root-cert_fail");
        assert_eq!(c.rest.len(), 2);
        assert_eq!(chain_code(&c), Err("certificate-chain-contains-root"));
    }

    #[test]
    fn leaf_issued_after_its_ca_certificate_expired_is_refused() {
        // notBefore 2030, mock CA certificate expired 2024, validFor open from 2023.
        let c = case("intoto-expired-certificate_fail");
        assert_eq!(chain_code(&c), Err("certificate-outside-ca-validity"));
    }

    #[test]
    fn integrated_time_after_leaf_expiry_is_refused() {
        let c = case("integrated-time-in-future_fail");
        assert!(matches!(
            verify_chain(&c.leaf, &c.rest, &c.root, c.at),
            Err(CertError::NotValidAtSigningTime { at, not_after, .. }) if at > not_after
        ));
    }

    #[test]
    fn set_time_outside_leaf_validity_is_refused() {
        let c = case("intoto-set-outside-signing-cert-validity_fail");
        assert_eq!(chain_code(&c), Err("certificate-not-valid-at-signing-time"));
    }

    #[test]
    fn sct_checked_with_the_ct_keys_of_another_instance_is_refused() {
        let c = case("invalid-ct-key_fail");
        let ok = ok_chain(&c);
        let e = verify_scts(&c.leaf, &ok, &c.root).map_err(|e| e.code());
        assert!(matches!(e, Err("sct-invalid" | "sct-unknown-log")), "{e:?}");
        // The same leaf verifies against the production CT keys.
        assert_eq!(verify_scts(&c.leaf, &ok, &prod()), Ok(1));
    }

    #[test]
    fn sct_with_non_empty_extensions_verifies() {
        let c = case("bundle-with-sct-with-extensions");
        let ok = ok_chain(&c);
        assert_eq!(verify_scts(&c.leaf, &ok, &c.root), Ok(1));
    }

    // ---- tampering with real certificates ----

    #[test]
    fn sct_with_flipped_signature_is_refused() {
        let c = case("happy-path-v0.3");
        let ok = ok_chain(&c);
        let value = c.leaf.facts.sct_list.clone().unwrap_or_default();
        // The SCT list ends with the last SCT's signature.
        let tampered =
            parse_leaf(&flip_last_of(&c.leaf.der, &value)).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            verify_scts(&tampered, &ok, &c.root),
            Err(CertError::Sct(SctError::Invalid { .. }))
        ));
    }

    #[test]
    fn sct_over_a_changed_certificate_is_refused() {
        let c = case("happy-path-v0.3");
        let ok = ok_chain(&c);
        let tampered = flip_last_of(&c.leaf.der, b"workflow_dispatch");
        let tampered = parse_leaf(&tampered).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify_scts(&tampered, &ok, &c.root).map_err(|e| e.code()),
            Err("sct-invalid")
        );
        // And the CA's signature no longer covers it either.
        assert_eq!(
            verify_chain(&tampered, &[], &c.root, c.at).map_err(|e| e.code()),
            Err("certificate-untrusted")
        );
    }

    #[test]
    fn sct_against_the_wrong_issuer_key_is_refused() {
        let c = case("happy-path-v0.3");
        let mut ok = ok_chain(&c);
        // issuer_key_hash binds the precertificate to its CA.
        ok.issuer_spki_der = c.leaf.public_key.spki_der().to_vec();
        assert_eq!(
            verify_scts(&c.leaf, &ok, &c.root).map_err(|e| e.code()),
            Err("sct-invalid")
        );
    }

    #[test]
    fn sct_from_a_log_absent_from_the_trusted_root_is_refused() {
        let c = case("happy-path-v0.3");
        let ok = ok_chain(&c);
        let mut root = c.root.clone();
        root.ctlogs.clear();
        assert!(matches!(
            verify_scts(&c.leaf, &ok, &root),
            Err(CertError::Sct(SctError::UnknownLog { log_ids })) if log_ids.len() == 1
        ));
    }

    #[test]
    fn sct_dated_outside_the_ct_key_validity_is_refused() {
        let c = case("happy-path-v0.3");
        let ok = ok_chain(&c);
        let mut root = c.root.clone();
        for l in &mut root.ctlogs {
            l.valid_for.end = Some(l.valid_for.start);
        }
        assert_eq!(
            verify_scts(&c.leaf, &ok, &root).map_err(|e| e.code()),
            Err("sct-invalid")
        );
    }

    #[test]
    fn leaf_with_flipped_ca_signature_is_untrusted() {
        let c = case("happy-path-v0.3");
        let sig = c.leaf.facts.signature.clone();
        let tampered =
            parse_leaf(&flip_last_of(&c.leaf.der, &sig)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify_chain(&tampered, &[], &c.root, c.at).map_err(|e| e.code()),
            Err("certificate-untrusted")
        );
    }

    #[test]
    fn signing_time_after_ca_validfor_end_is_refused_and_end_is_inclusive() {
        let c = case("happy-path-v0.3");
        let ok = ok_chain(&c);
        let mut root = c.root.clone();
        root.certificate_authorities[ok.ca_index].valid_for.end = Some(c.at);
        assert!(verify_chain(&c.leaf, &c.rest, &root, c.at).is_ok());
        let before = c.at - jiff::SignedDuration::from_secs(1);
        root.certificate_authorities[ok.ca_index].valid_for.end = Some(before);
        assert!(matches!(
            verify_chain(&c.leaf, &c.rest, &root, c.at),
            Err(CertError::OutsideCaValidity { .. })
        ));
    }

    #[test]
    fn chain_is_checked_at_the_signing_time_not_now() {
        // The 2023 leaf expired long ago; at its integrated time it was valid.
        let c = case("happy-path-v0.1");
        assert!(verify_chain(&c.leaf, &c.rest, &c.root, c.at).is_ok());
        let later = c.leaf.summary.not_after + jiff::SignedDuration::from_secs(1);
        assert_eq!(
            verify_chain(&c.leaf, &c.rest, &c.root, later).map_err(|e| e.code()),
            Err("certificate-not-valid-at-signing-time")
        );
        // Several calls reuse the memoized leaf signature check and stay correct.
        assert!(verify_chain(&c.leaf, &c.rest, &c.root, c.at).is_ok());
    }

    #[test]
    fn trusted_chain_with_broken_intermediate_signature_is_refused() {
        let c = case("happy-path-v0.3");
        let ok = ok_chain(&c);
        let mut root = c.root.clone();
        let chain = &mut root.certificate_authorities[ok.ca_index].cert_chain;
        // Flip the last byte of the intermediate's signature.
        let inter = chain[0].clone();
        let n = inter.len();
        let mut bad = inter;
        bad[n - 1] ^= 0x01;
        chain[0] = bad;
        // The intermediate's key is unchanged, so the leaf still verifies under it; the link
        // to the root does not.
        assert_eq!(
            verify_chain(&c.leaf, &c.rest, &root, c.at).map_err(|e| e.code()),
            Err("trusted-ca-invalid")
        );
    }

    #[test]
    fn leaf_summary_reads_san_issuer_and_every_fulcio_extension() {
        let c = case("happy-path-intoto-in-dsse-v3");
        let s = &c.leaf.summary;
        assert_eq!(s.serial, "73b8a61fb654922066090ee17280b49a8ca9788d");
        assert_eq!(s.issuer, "O=sigstore.dev, CN=sigstore-intermediate");
        assert_eq!(
            s.oidc_issuer.as_deref(),
            Some("https://token.actions.githubusercontent.com")
        );
        assert_eq!(
            s.subject_alternative_names,
            vec![San::Uri("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into())]
        );
        let names: Vec<&str> = s.fulcio_extensions.keys().map(String::as_str).collect();
        for arc in (1..=22u8).filter(|a| *a != 7) {
            let name = fulcio_name(arc).unwrap_or_default();
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        assert_eq!(
            s.fulcio_extensions["GithubWorkflowTrigger"],
            "workflow_dispatch"
        );
        assert_eq!(
            s.fulcio_extensions["SourceRepositoryVisibilityAtSigning"],
            "public"
        );
        assert_eq!(s.fulcio_extensions["RunnerEnvironment"], "github-hosted");
        assert_eq!(c.leaf.default_hash, HashAlgorithm::Sha256);
    }

    #[test]
    fn subject_walk_agrees_with_the_parser_on_every_trusted_certificate() {
        let mut n = 0;
        let dir = std::fs::read_dir(format!("{CONF}/bundle-verify")).unwrap();
        let mut roots: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| {
                format!(
                    "bundle-verify/{}/trusted_root.json",
                    e.file_name().to_string_lossy()
                )
            })
            .filter(|p| std::path::Path::new(&format!("{CONF}/{p}")).exists())
            .collect();
        roots.push("trusted-roots/public-good-production.json".into());
        roots.push("trusted-roots/public-good-staging.json".into());
        for r in roots {
            let Ok(root) = TrustedRoot::from_json(&read(&r)) else {
                continue;
            };
            for ca in root
                .certificate_authorities
                .iter()
                .chain(&root.timestamp_authorities)
            {
                for der in &ca.cert_chain {
                    let c = parse_cert(der).unwrap();
                    assert_eq!(subject_of(der), Some(c.subject().as_raw()), "{r}");
                    n += 1;
                }
            }
        }
        assert!(n > 20);
    }

    #[test]
    fn leaf_with_trailing_bytes_is_refused() {
        let c = case("happy-path-v0.3");
        let mut der = c.leaf.der.clone();
        der.push(0);
        assert_eq!(
            parse_leaf(&der).map(|_| ()).map_err(|e| e.code()),
            Err("certificate-malformed")
        );
    }

    #[test]
    fn truncated_leaf_is_refused() {
        let c = case("happy-path-v0.3");
        let der = &c.leaf.der[..c.leaf.der.len() - 1];
        assert_eq!(
            parse_leaf(der).map(|_| ()).map_err(|e| e.code()),
            Err("certificate-malformed")
        );
    }

    // ---- synthetic certificates (rcgen) for the profile checks ----

    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, CustomExtension, DnType,
        ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, OtherNameValue, SanType,
        PKCS_ECDSA_P384_SHA384,
    };

    const FULCIO: [u64; 9] = [1, 3, 6, 1, 4, 1, 57264, 1, 0];

    fn fulcio_oid(arc: u64) -> Vec<u64> {
        let mut o = FULCIO.to_vec();
        o[8] = arc;
        o
    }

    fn der_utf8(s: &str) -> Vec<u8> {
        let mut v = vec![0x0c, s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }

    struct TestCa {
        params: CertificateParams,
        key: KeyPair,
        der: Vec<u8>,
    }

    fn test_ca(name: &str) -> TestCa {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "airlock.test");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2034, 1, 1);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        TestCa { params, key, der }
    }

    /// A Fulcio-shaped leaf, valid 2024-05-01 for a day, that `tweak` may change.
    fn leaf_from(ca: &TestCa, tweak: impl FnOnce(&mut CertificateParams)) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::default();
        p.subject_alt_names = vec![SanType::Rfc822Name("dev@airlock.test".try_into().unwrap())];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        p.not_before = date_time_ymd(2024, 5, 1);
        p.not_after = date_time_ymd(2024, 5, 2);
        p.custom_extensions = vec![CustomExtension::from_oid_content(
            &fulcio_oid(8),
            der_utf8("https://accounts.airlock.test"),
        )];
        tweak(&mut p);
        let issuer = Issuer::from_params(&ca.params, &ca.key);
        p.signed_by(&key, &issuer).unwrap().der().to_vec()
    }

    fn root_of(ca_chain: Vec<Vec<u8>>) -> TrustedRoot {
        TrustedRoot {
            media_type: MEDIA_TYPE_V01.into(),
            tlogs: vec![],
            certificate_authorities: vec![CertificateAuthority {
                organization: "airlock.test".into(),
                common_name: "test".into(),
                uri: "https://ca.airlock.test".into(),
                cert_chain: ca_chain,
                valid_for: crate::time::Window {
                    start: "2024-01-01T00:00:00Z".parse().unwrap(),
                    end: None,
                },
            }],
            ctlogs: vec![],
            timestamp_authorities: vec![],
            digest: vec![],
        }
    }

    fn at() -> Timestamp {
        "2024-05-01T12:00:00Z".parse().unwrap()
    }

    fn synthetic(tweak: impl FnOnce(&mut CertificateParams)) -> Result<ChainOk, &'static str> {
        let ca = test_ca("fulcio.test");
        let leaf = parse_leaf(&leaf_from(&ca, tweak)).map_err(|e| e.code())?;
        verify_chain(&leaf, &[], &root_of(vec![ca.der]), at()).map_err(|e| e.code())
    }

    #[test]
    fn synthetic_fulcio_leaf_chains_to_its_ca() {
        let ok = synthetic(|_| {}).unwrap();
        assert_eq!(ok.ca_uri, "https://ca.airlock.test");
    }

    #[test]
    fn leaf_without_code_signing_eku_is_refused() {
        assert_eq!(
            synthetic(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth]),
            Err("certificate-not-code-signing")
        );
        assert_eq!(
            synthetic(|p| p.extended_key_usages.clear()),
            Err("certificate-not-code-signing")
        );
        assert_eq!(
            synthetic(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::Any]),
            Err("certificate-not-code-signing")
        );
    }

    #[test]
    fn leaf_that_is_a_ca_is_refused() {
        assert_eq!(
            synthetic(|p| p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained)),
            Err("certificate-is-ca")
        );
        assert!(synthetic(|p| p.is_ca = IsCa::ExplicitNoCa).is_ok());
    }

    #[test]
    fn leaf_without_digital_signature_key_usage_is_refused() {
        assert_eq!(
            synthetic(|p| p.key_usages = vec![KeyUsagePurpose::KeyEncipherment]),
            Err("certificate-key-usage-invalid")
        );
        assert!(synthetic(|p| p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment
        ])
        .is_ok());
    }

    #[test]
    fn leaf_without_key_usage_extension_is_refused() {
        // Fulcio always issues KeyUsage digitalSignature; a leaf without the extension is not
        // a Fulcio leaf, whatever CA signed it.
        assert_eq!(
            synthetic(|p| p.key_usages.clear()),
            Err("certificate-key-usage-invalid")
        );
    }

    #[test]
    fn leaf_with_unknown_critical_extension_is_refused() {
        assert_eq!(
            synthetic(|p| {
                let mut e = CustomExtension::from_oid_content(&[1, 2, 3, 4], vec![0x05, 0x00]);
                e.set_criticality(true);
                p.custom_extensions.push(e);
            }),
            Err("certificate-unhandled-critical-extension")
        );
    }

    #[test]
    fn ct_precertificate_is_not_accepted_as_a_leaf() {
        // RFC 6962 §3.1: the poison extension 1.3.6.1.4.1.11129.2.4.3 is critical.
        assert_eq!(
            synthetic(|p| {
                let mut e = CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 3],
                    vec![0x05, 0x00],
                );
                e.set_criticality(true);
                p.custom_extensions.push(e);
            }),
            Err("certificate-unhandled-critical-extension")
        );
    }

    #[test]
    fn leaf_with_a_second_san_extension_is_refused() {
        assert_eq!(
            synthetic(
                |p| p.custom_extensions.push(CustomExtension::from_oid_content(
                    &[2, 5, 29, 17],
                    vec![0x30, 0x06, 0x86, 0x04, b'e', b'v', b'i', b'l'],
                ))
            ),
            Err("certificate-malformed")
        );
    }

    #[test]
    fn fulcio_issuer_v2_that_is_not_a_der_utf8string_is_refused() {
        assert_eq!(
            synthetic(
                |p| p.custom_extensions = vec![CustomExtension::from_oid_content(
                    &fulcio_oid(8),
                    b"https://raw.example".to_vec(),
                )]
            ),
            Err("certificate-malformed")
        );
    }

    #[test]
    fn leaf_signed_by_a_look_alike_ca_with_the_same_name_is_untrusted() {
        let real = test_ca("fulcio.test");
        let fake = test_ca("fulcio.test");
        let leaf = parse_leaf(&leaf_from(&fake, |_| {})).unwrap();
        assert!(matches!(
            verify_chain(&leaf, &[], &root_of(vec![real.der]), at()),
            Err(CertError::Untrusted { candidates: 1, .. })
        ));
    }

    #[test]
    fn leaf_of_an_untrusted_ca_carried_in_the_bundle_is_untrusted() {
        let real = test_ca("fulcio.test");
        let other = test_ca("other.test");
        // The bundle ships the signer's own CA: it is never used to build the path. (A
        // self-signed one is refused outright.)
        let leaf = parse_leaf(&leaf_from(&other, |_| {})).unwrap();
        assert_eq!(
            verify_chain(
                &leaf,
                std::slice::from_ref(&other.der),
                &root_of(vec![real.der.clone()]),
                at()
            )
            .map_err(|e| e.code()),
            Err("certificate-chain-contains-root")
        );
        assert_eq!(
            verify_chain(&leaf, &[], &root_of(vec![real.der]), at()).map_err(|e| e.code()),
            Err("certificate-untrusted")
        );
    }

    #[test]
    fn ca_certificate_expired_at_signing_time_is_refused() {
        let mut ca = test_ca("fulcio.test");
        ca.params.not_after = date_time_ymd(2024, 5, 1);
        ca.der = ca.params.self_signed(&ca.key).unwrap().der().to_vec();
        let leaf = parse_leaf(&leaf_from(&ca, |_| {})).unwrap();
        assert!(matches!(
            verify_chain(&leaf, &[], &root_of(vec![ca.der]), at()),
            Err(CertError::CaCertificateNotValidAt { .. })
        ));
    }

    #[test]
    fn trusted_certificate_that_is_not_a_ca_cannot_issue() {
        let mut ca = test_ca("fulcio.test");
        ca.params.is_ca = IsCa::ExplicitNoCa;
        ca.der = ca.params.self_signed(&ca.key).unwrap().der().to_vec();
        let leaf = parse_leaf(&leaf_from(&ca, |_| {})).unwrap();
        assert_eq!(
            verify_chain(&leaf, &[], &root_of(vec![ca.der]), at()).map_err(|e| e.code()),
            Err("trusted-ca-invalid")
        );
    }

    #[test]
    fn leaf_summary_reads_fulcio_username_other_name() {
        let ca = test_ca("fulcio.test");
        let der = leaf_from(&ca, |p| {
            p.subject_alt_names = vec![SanType::OtherName((
                fulcio_oid(7),
                OtherNameValue::Utf8String("octocat!github.com".into()),
            ))];
            p.custom_extensions.push(CustomExtension::from_oid_content(
                &fulcio_oid(1),
                b"https://legacy.example".to_vec(),
            ));
        });
        let leaf = parse_leaf(&der).unwrap();
        assert_eq!(
            leaf.summary.subject_alternative_names,
            vec![San::OtherName("octocat!github.com".into())]
        );
        // .1.8 wins over the legacy .1.1.
        assert_eq!(
            leaf.summary.oidc_issuer.as_deref(),
            Some("https://accounts.airlock.test")
        );
        assert_eq!(
            leaf.summary.fulcio_extensions["Issuer"],
            "https://legacy.example"
        );
        assert_eq!(
            leaf.summary.fulcio_extensions["IssuerV2"],
            "https://accounts.airlock.test"
        );
    }

    #[test]
    fn leaf_without_sct_extension_reports_sct_missing() {
        let ca = test_ca("fulcio.test");
        let leaf = parse_leaf(&leaf_from(&ca, |_| {})).unwrap();
        let root = root_of(vec![ca.der]);
        let ok = verify_chain(&leaf, &[], &root, at()).unwrap();
        assert_eq!(
            verify_scts(&leaf, &ok, &root).map_err(|e| e.code()),
            Err("sct-missing")
        );
    }

    #[test]
    fn oversized_san_is_refused_not_truncated() {
        let ca = test_ca("fulcio.test");
        let long = format!(
            "https://a.test/{}",
            "x".repeat(limits::MAX_CERT_STRING_BYTES)
        );
        let der = leaf_from(&ca, |p| {
            p.subject_alt_names = vec![SanType::URI(long.as_str().try_into().unwrap())]
        });
        assert_eq!(
            parse_leaf(&der).map(|_| ()).map_err(|e| e.code()),
            Err("certificate-malformed")
        );
    }

    /// Rough cost of the certificate part of one bundle verification (run with
    /// `cargo test --release --lib verify::cert -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn measure_leaf_chain_and_sct_cost() {
        let c = case("happy-path-v0.3");
        let n = 2000u32;
        let t0 = std::time::Instant::now();
        for _ in 0..n {
            let leaf = parse_leaf(&c.leaf.der).unwrap();
            let ok = verify_chain(&leaf, &c.rest, &c.root, c.at).unwrap();
            verify_scts(&leaf, &ok, &c.root).unwrap();
        }
        let total = t0.elapsed() / n;
        let t1 = std::time::Instant::now();
        for _ in 0..n {
            parse_leaf(&c.leaf.der).unwrap();
        }
        let parse = t1.elapsed() / n;
        let leaf = parse_leaf(&c.leaf.der).unwrap();
        let ok = verify_chain(&leaf, &c.rest, &c.root, c.at).unwrap();
        let t2 = std::time::Instant::now();
        for _ in 0..n {
            verify_scts(&leaf, &ok, &c.root).unwrap();
        }
        let scts = t2.elapsed() / n;
        let ca = &c.root.certificate_authorities[ok.ca_index];
        let t3 = std::time::Instant::now();
        for _ in 0..n {
            for der in &ca.cert_chain {
                parse_cert(der).unwrap();
            }
        }
        let ca_parse = t3.elapsed() / n;
        let inter = parse_cert(&ca.cert_chain[0]).unwrap();
        let t4 = std::time::Instant::now();
        for _ in 0..n {
            verify_signed(
                inter.public_key(),
                leaf.facts.signature_algorithm,
                &leaf.facts.tbs,
                &leaf.facts.signature,
            )
            .unwrap();
        }
        let leaf_sig = t4.elapsed() / n;
        eprintln!(
            "parse+chain+sct {total:?}; parse_leaf {parse:?}; verify_scts {scts:?}; \
             parse CA chain {ca_parse:?}; leaf signature (P-384) {leaf_sig:?}"
        );
    }
}
