//! Fulcio leaf certificates: parsing once into what the chain, profile and SCT checks need, and
//! the Fulcio claims (via [`crate::fulcio`]).
//!
//! Owns: leaf parsing. Must not touch: path building (the parent), files, the clock.

use std::sync::OnceLock;

use x509_parser::prelude::{GeneralName, ParsedExtension, X509Certificate};

use super::*;

/// A parsed leaf certificate.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub der: Vec<u8>,
    pub public_key: PublicKey,
    /// The hash the leaf's key signs with by default (SHA-256 for P-256, SHA-384 for P-384...).
    pub default_hash: HashAlgorithm,
    pub summary: CertificateSummary,
    /// What the chain and SCT checks need, read once here so they never parse the leaf again.
    pub(super) facts: LeafFacts,
    /// SHA-256 of the issuer SPKI whose key verified this leaf's signature (a memo: the result
    /// of a signature check is a pure function of the bytes).
    pub(super) verified_issuer: OnceLock<[u8; 32]>,
}

#[derive(Debug, Clone)]
pub(super) struct LeafFacts {
    pub(super) tbs: Vec<u8>,
    pub(super) signature_algorithm: SigAlg,
    pub(super) signature: Vec<u8>,
    pub(super) issuer_dn: Vec<u8>,
    pub(super) is_ca: bool,
    /// None: no EKU extension; Some(list) of the purposes it names.
    pub(super) eku: Option<Eku>,
    /// None: no KeyUsage extension (refused: Fulcio leaves always carry one).
    pub(super) digital_signature: Option<bool>,
    /// The first critical extension this module does not process.
    pub(super) unhandled_critical: Option<String>,
    /// Value (`extnValue` contents) of the embedded SCT list extension.
    pub(super) sct_list: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub(super) struct Eku {
    pub(super) code_signing: bool,
    pub(super) names: String,
}

/// 1.3.6.1.4.1.57264.1 (Fulcio), followed by one arc octet for .1 to .127.
pub(super) const FULCIO_ARC: [u8; 9] = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01];
pub(super) const OID_KEY_USAGE: [u8; 3] = [0x55, 0x1d, 0x0f];
pub(super) const OID_SAN: [u8; 3] = [0x55, 0x1d, 0x11];
pub(super) const OID_BASIC_CONSTRAINTS: [u8; 3] = [0x55, 0x1d, 0x13];
pub(super) const OID_EKU: [u8; 3] = [0x55, 0x1d, 0x25];
/// Critical extensions this module processes on a leaf (RFC 5280 §4.2: a certificate with an
/// unrecognized critical extension MUST be rejected).
pub(super) const HANDLED_CRITICAL: [&[u8]; 4] =
    [&OID_KEY_USAGE, &OID_SAN, &OID_BASIC_CONSTRAINTS, &OID_EKU];

/// Fulcio extension names, by the last arc of 1.3.6.1.4.1.57264.1.N (Fulcio docs/oid-info.md).
/// `.1`–`.6` are raw strings; `.7` on is a DER UTF8String.
pub(super) fn fulcio_name(arc: u8) -> Option<&'static str> {
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

pub(super) fn capped(s: &str, what: &str) -> Result<String, CertError> {
    if s.len() > limits::MAX_CERT_STRING_BYTES {
        return Err(CertError::Malformed(format!(
            "{what} is {} bytes, at most {} allowed",
            s.len(),
            limits::MAX_CERT_STRING_BYTES
        )));
    }
    Ok(s.to_string())
}

pub(super) fn time(t: &x509_parser::time::ASN1Time) -> Result<Timestamp, CertError> {
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
    pub(super) fn signed_by(&self, issuer: &X509Certificate<'_>) -> bool {
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

impl Leaf {
    /// The TBSCertificate bytes (what the SCTs were computed over, with the SCT list removed).
    pub(crate) fn tbs(&self) -> &[u8] {
        &self.facts.tbs
    }

    /// The embedded SCT list extension's value, if the leaf carries one.
    pub(crate) fn sct_list(&self) -> Option<&[u8]> {
        self.facts.sct_list.as_deref()
    }
}
