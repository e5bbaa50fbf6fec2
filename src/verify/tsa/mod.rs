//! RFC 3161 signed timestamps checked against the trusted root's timestamp authorities.
//!
//! Owns: TimeStampResp / CMS SignedData parsing (capped, in `cms` over [`crate::der`]), the TSA
//! certificate facts (`certs`), and the verification of one timestamp over the bytes it claims
//! to cover, at its own genTime. Must not touch: files, the clock, policy (how many verified
//! timestamps a bundle needs is the caller's rule), Fulcio leaf validity.
//!
//! Trust model: a timestamp is trusted only when its signer is a timestamp authority of the
//! trusted root — the signing certificate is that authority's `certChain[0]`, or (when
//! `certChain[0]` is itself a CA) a certificate embedded in the response that `certChain[0]`
//! issued. Certificates embedded in the response are never trusted on their own.

mod certs;
mod cms;

use std::sync::OnceLock;

use crate::bundle::HashAlgorithm;
use crate::crypto;
use crate::der;
use crate::time::{Timestamp, Window};
use crate::trust::TrustedRoot;

use certs::{verify_with, CertInfo};
use cms::{Response, Sid, TsaName};

/// Why a timestamp was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TsaError {
    #[error("timestamp is not a valid RFC 3161 response: {0}")]
    Malformed(String),
    #[error("timestamp response is {size} bytes, more than the {limit} allowed")]
    TooLarge { size: usize, limit: usize },
    #[error("timestamp response embeds more than {limit} certificates")]
    TooManyCertificates { limit: usize },
    #[error("timestamp uses unsupported {field}: {oid}")]
    UnsupportedAlgorithm { field: &'static str, oid: String },
    #[error(
        "TSA did not grant the timestamp: status {status}{}{}",
        .text.as_ref().map(|t| format!(" ({t})")).unwrap_or_default(),
        .fail_info.as_ref().map(|f| format!(", failure {f}")).unwrap_or_default()
    )]
    NotGranted {
        status: u64,
        text: Option<String>,
        fail_info: Option<String>,
    },
    #[error(
        "timestamp covers {algorithm} {timestamped} but the signature hashes to {expected} \
         (genTime {gen_time})"
    )]
    PayloadMismatch {
        algorithm: &'static str,
        timestamped: String,
        expected: String,
        gen_time: Timestamp,
    },
    #[error("timestamp signer {signer} is not a timestamp authority of the trusted root: {why}")]
    Untrusted { signer: String, why: String },
    #[error("certificate '{subject}' of TSA {tsa_uri} may not sign timestamps: {why}")]
    SignerNotTimestamping {
        tsa_uri: String,
        subject: String,
        why: String,
    },
    #[error("timestamp signature by '{subject}' (TSA {tsa_uri}) does not verify: {why}")]
    InvalidSignature {
        tsa_uri: String,
        subject: String,
        why: String,
    },
    #[error("message-digest attribute signed by {signer} does not match the TSTInfo it carries")]
    ContentDigestMismatch { signer: String },
    #[error("{attribute} attribute does not name the signing certificate '{subject}'")]
    SigningCertificateMismatch {
        /// `signingCertificate` (RFC 2634) or `signingCertificateV2` (RFC 5035).
        attribute: &'static str,
        subject: String,
    },
    #[error(
        "timestamp signed by {signer} carries neither a signingCertificate nor a \
         signingCertificateV2 attribute naming its signing certificate"
    )]
    SigningCertificateMissing { signer: String },
    #[error("TSTInfo names TSA '{named}' but '{subject}' signed it")]
    TsaNameMismatch { named: String, subject: String },
    #[error(
        "genTime {gen_time} is outside the trusted-root validity [{start}, {}] of TSA {tsa_uri}",
        .end.map(|e| e.to_string()).unwrap_or_else(|| "open".into())
    )]
    OutsideTsaValidity {
        gen_time: Timestamp,
        tsa_uri: String,
        start: Timestamp,
        end: Option<Timestamp>,
    },
    #[error(
        "genTime {gen_time} is outside the validity [{not_before}, {not_after}] of TSA \
         certificate '{subject}'"
    )]
    OutsideTsaCertValidity {
        gen_time: Timestamp,
        subject: String,
        not_before: Timestamp,
        not_after: Timestamp,
    },
}

impl TsaError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) | Self::TooLarge { .. } | Self::TooManyCertificates { .. } => {
                "timestamp-malformed"
            }
            Self::UnsupportedAlgorithm { .. } => "timestamp-unsupported-algorithm",
            Self::NotGranted { .. } => "timestamp-not-granted",
            Self::PayloadMismatch { .. } => "timestamp-payload-mismatch",
            Self::Untrusted { .. } => "timestamp-untrusted",
            Self::SignerNotTimestamping { .. } => "timestamp-signer-not-timestamping",
            Self::InvalidSignature { .. } | Self::ContentDigestMismatch { .. } => {
                "timestamp-invalid-signature"
            }
            Self::SigningCertificateMismatch { .. } => "timestamp-signing-certificate-mismatch",
            Self::SigningCertificateMissing { .. } => "timestamp-signing-certificate-missing",
            Self::TsaNameMismatch { .. } => "timestamp-tsa-name-mismatch",
            Self::OutsideTsaValidity { .. } => "timestamp-outside-tsa-validity",
            Self::OutsideTsaCertValidity { .. } => "timestamp-outside-tsa-cert-validity",
        }
    }

    /// How far a candidate signer got before failing; the furthest failure is the one reported.
    fn depth(&self) -> u8 {
        match self {
            Self::Untrusted { .. } => 0,
            Self::SignerNotTimestamping { .. } => 1,
            Self::InvalidSignature { .. } => 2,
            Self::SigningCertificateMismatch { .. } => 3,
            Self::TsaNameMismatch { .. } => 4,
            Self::OutsideTsaValidity { .. } => 5,
            Self::OutsideTsaCertValidity { .. } => 6,
            _ => 0,
        }
    }
}

/// A timestamp that verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedTimestamp {
    /// TSTInfo.genTime, signed by a trusted TSA.
    pub time: Timestamp,
    /// The trusted-root TSA that vouched for it.
    pub tsa_uri: String,
    pub tsa_name: String,
    /// Subject of the certificate that signed the token.
    pub signer: String,
    /// TSTInfo.serialNumber (two's-complement hex).
    pub serial: String,
    /// TSTInfo.policy (dotted OID).
    pub policy: String,
    /// TSTInfo.accuracy in microseconds, when the TSA states one.
    pub accuracy_micros: Option<u64>,
    /// The message-imprint hash the TSA used over the signature bytes.
    pub imprint_algorithm: HashAlgorithm,
}

/// One trusted-root timestamp authority, parsed once.
#[derive(Debug)]
struct PreparedTsa {
    uri: String,
    name: String,
    valid_for: Window,
    /// `certChain`, signing certificate first; `Err` when a certificate does not parse.
    chain: Result<Vec<CertInfo>, String>,
    /// The chain's own signatures and CA constraints, checked on first use (time-independent).
    chain_ok: OnceLock<Result<(), String>>,
}

impl PreparedTsa {
    /// `certChain[0]`, when the chain parsed.
    fn first(&self) -> Option<&CertInfo> {
        self.chain.as_ref().ok().and_then(|c| c.first())
    }

    fn chain_ok(&self) -> Result<(), String> {
        self.chain_ok
            .get_or_init(|| {
                let chain = self.chain.as_ref().map_err(Clone::clone)?;
                check_path(chain)
            })
            .clone()
    }
}

/// Checks links, CA bits, path lengths and critical extensions of `path` (leaf-most first,
/// anchor last).
fn check_path(path: &[CertInfo]) -> Result<(), String> {
    for (i, cert) in path.iter().enumerate() {
        if let Some(oid) = &cert.unknown_critical {
            return Err(format!(
                "'{}' has unknown critical extension {oid}",
                cert.subject_display
            ));
        }
        if let Some(issuer) = path.get(i + 1) {
            // RFC 5280 §6.1.3 (a)(1): "The signature on the certificate can be verified using
            // working_public_key_algorithm, the working_public_key, and the
            // working_public_key_parameters."
            cert.verify_issued_by(issuer)?;
            // RFC 5280 §4.2.1.9: pathLenConstraint "gives the maximum number of non-self-issued
            // intermediate certificates that may follow this certificate in a valid
            // certification path".
            let intermediates_below = i;
            if let Some(Some(max)) = issuer.ca {
                if usize::try_from(max).is_ok_and(|m| intermediates_below > m) {
                    return Err(format!(
                        "'{}' allows {max} intermediates below it, the path has {intermediates_below}",
                        issuer.subject_display
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The trusted root's timestamp authorities, parsed once and reusable across many timestamps
/// (and threads): per timestamp the cost is one parse, one hash of the signature bytes, one
/// hash of the TSTInfo and one signature check.
#[derive(Debug)]
pub struct TsaVerifier {
    tsas: Vec<PreparedTsa>,
}

/// Where the signing certificate of one candidate comes from.
enum Signer<'v> {
    /// `certChain[0]` of the TSA.
    Trusted(&'v CertInfo),
    /// A certificate embedded in the response, to be chained under `certChain[0]`.
    Embedded(Box<CertInfo>),
}

impl TsaVerifier {
    /// Parses the certificate chains of every timestamp authority in `root`.
    pub fn new(root: &TrustedRoot) -> Self {
        let tsas = root
            .timestamp_authorities
            .iter()
            .map(|ca| PreparedTsa {
                uri: ca.uri.clone(),
                name: ca.common_name.clone(),
                valid_for: ca.valid_for,
                chain: ca
                    .cert_chain
                    .iter()
                    .map(|c| CertInfo::parse(c))
                    .collect::<Result<Vec<_>, _>>()
                    .and_then(|c| {
                        if c.is_empty() {
                            Err("empty certificate chain".into())
                        } else {
                            Ok(c)
                        }
                    }),
                chain_ok: OnceLock::new(),
            })
            .collect();
        TsaVerifier { tsas }
    }

    /// Verifies one DER `TimeStampResp` over `signed_bytes` (the artifact signature, or the DSSE
    /// envelope signature), at its own genTime.
    pub fn verify(&self, der: &[u8], signed_bytes: &[u8]) -> Result<VerifiedTimestamp, TsaError> {
        // RFC 3161 §2.4.2 and RFC 5652 §5: parse the whole response once, strictly.
        let resp = cms::parse_response(der)?;
        let tst = &resp.tst;

        // RFC 3161 §2.4.2: "messageImprint ... MUST have the same value as the similarly named
        // field in the TimeStampReq", i.e. the hash of the data that was timestamped.
        let expected = crypto::hash(tst.imprint_alg, signed_bytes);
        if !crypto::ct_eq(&expected, tst.imprint) {
            return Err(TsaError::PayloadMismatch {
                algorithm: tst.imprint_alg.name(),
                timestamped: hex::encode(tst.imprint),
                expected: hex::encode(expected),
                gen_time: tst.gen_time,
            });
        }

        // RFC 5652 §11.2: "the message-digest attribute ... MUST [contain] the message digest of
        // the content" (the eContent octets, hashed with the SignerInfo digestAlgorithm).
        let content_digest = crypto::hash(resp.signer.digest, resp.econtent);
        if !crypto::ct_eq(&content_digest, resp.signer.message_digest) {
            return Err(TsaError::ContentDigestMismatch {
                signer: describe_sid(&resp),
            });
        }

        // RFC 3161 §2.4.1: "The certificate identifier (ESSCertID) of the TSA certificate MUST
        // be included as a signerInfo attribute inside a SigningCertificate attribute." RFC 5816
        // §2.2.1 (updating RFC 3161) lets an ESSCertIDv2 in a SigningCertificateV2 attribute
        // (RFC 5035) take its place. Without either, nothing binds the signature to one
        // certificate, so a token could be re-attributed to another certificate of the same key.
        if resp.signer.signing_cert_v1.is_none() && resp.signer.signing_cert_v2.is_none() {
            return Err(TsaError::SigningCertificateMissing {
                signer: describe_sid(&resp),
            });
        }

        // RFC 5652 §5.4: "the DER encoding of the SignedAttrs value ... with an EXPLICIT SET OF
        // tag" is what the signature covers, not the [0] IMPLICIT encoding in the SignerInfo.
        let mut signed_attrs = resp.signer.signed_attrs.to_vec();
        if let Some(tag) = signed_attrs.first_mut() {
            *tag = der::SET;
        }

        let candidates = self.candidates(&resp);
        if candidates.is_empty() {
            return Err(TsaError::Untrusted {
                signer: describe_sid(&resp),
                why: "no trusted TSA certificate matches the signer identifier".into(),
            });
        }
        let mut best: Option<TsaError> = None;
        for (tsa, signer) in &candidates {
            match self.check_candidate(&resp, &signed_attrs, tsa, signer) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    if best.as_ref().is_none_or(|b| e.depth() > b.depth()) {
                        best = Some(e);
                    }
                }
            }
        }
        Err(best.unwrap_or_else(|| TsaError::Untrusted {
            signer: describe_sid(&resp),
            why: "no candidate".into(),
        }))
    }

    /// Every (TSA, signing certificate) pair the signer identifier could mean.
    fn candidates<'v>(&'v self, resp: &Response<'_>) -> Vec<(&'v PreparedTsa, Signer<'v>)> {
        let sid = resp.signer.sid;
        let mut out = Vec::new();
        for tsa in &self.tsas {
            if let Some(first) = tsa.first() {
                if sid_matches(sid, first) {
                    out.push((tsa, Signer::Trusted(first)));
                }
            }
        }
        // An embedded certificate can only be the signer when a TSA's certChain[0] is a CA that
        // issued it; parse embedded certificates only then.
        let issuing_tsas: Vec<&PreparedTsa> = self
            .tsas
            .iter()
            .filter(|t| t.first().is_some_and(|f| f.ca.is_some()))
            .collect();
        if issuing_tsas.is_empty() {
            return out;
        }
        for raw in &resp.certificates {
            let Ok(cert) = CertInfo::parse(raw) else {
                continue;
            };
            if !sid_matches(sid, &cert) {
                continue;
            }
            for tsa in &issuing_tsas {
                if tsa.first().is_some_and(|f| f.subject == cert.issuer) {
                    out.push((*tsa, Signer::Embedded(Box::new(cert.clone()))));
                }
            }
        }
        out
    }

    fn check_candidate(
        &self,
        resp: &Response<'_>,
        signed_attrs: &[u8],
        tsa: &PreparedTsa,
        signer: &Signer<'_>,
    ) -> Result<VerifiedTimestamp, TsaError> {
        let chain = tsa.chain.as_ref().map_err(|why| TsaError::Untrusted {
            signer: describe_sid(resp),
            why: format!("certificate chain of TSA {} is unusable: {why}", tsa.uri),
        })?;
        let untrusted = |why: String| TsaError::Untrusted {
            signer: describe_sid(resp),
            why,
        };
        let cert: &CertInfo = match signer {
            Signer::Trusted(c) => c,
            Signer::Embedded(c) => {
                // The embedded certificate must chain to the TSA's certChain[0]; it is then
                // validated like any certificate of the path (signature, CA bits, path length).
                let mut path = Vec::with_capacity(chain.len() + 1);
                path.push(CertInfo::clone(c));
                if let Some(first) = chain.first() {
                    path.push(first.clone());
                }
                check_path(&path).map_err(|why| {
                    untrusted(format!(
                        "embedded certificate does not chain to TSA {}: {why}",
                        tsa.uri
                    ))
                })?;
                for (j, issuer) in chain.iter().enumerate() {
                    if let Some(Some(max)) = issuer.ca {
                        if usize::try_from(max).is_ok_and(|m| j > m) {
                            return Err(untrusted(format!(
                                "'{}' allows {max} intermediates below it",
                                issuer.subject_display
                            )));
                        }
                    }
                }
                c
            }
        };
        tsa.chain_ok().map_err(|why| {
            untrusted(format!(
                "certificate chain of TSA {} is invalid: {why}",
                tsa.uri
            ))
        })?;

        // RFC 3161 §2.3: the TSA "MUST sign each time-stamp message with a key reserved
        // specifically for that purpose" and its certificate carries only a critical
        // id-kp-timeStamping extended key usage.
        let not_tsa = |why: &str| TsaError::SignerNotTimestamping {
            tsa_uri: tsa.uri.clone(),
            subject: cert.subject_display.clone(),
            why: why.to_string(),
        };
        cert.timestamping.map_err(not_tsa)?;
        if !cert.may_sign_data {
            return Err(not_tsa(
                "keyUsage allows neither digitalSignature nor nonRepudiation",
            ));
        }

        // RFC 5652 §5.6: verify the signature over the DER SET OF signed attributes with the
        // signer's public key.
        let si = &resp.signer;
        verify_with(&cert.key, si.sig_alg, si.digest, signed_attrs, si.signature).map_err(
            |why| TsaError::InvalidSignature {
                tsa_uri: tsa.uri.clone(),
                subject: cert.subject_display.clone(),
                why,
            },
        )?;

        // RFC 5035 §5.4.1.1 (signingCertificateV2) and RFC 2634 §5.4 (signingCertificate): "The
        // first certificate identified in the sequence of certificate identifiers MUST be the
        // certificate used to verify the signature." Every attribute present is checked (the
        // parser refused a v2 hash algorithm it cannot compute; v1 is SHA-1 by definition).
        let mismatch = |attribute| TsaError::SigningCertificateMismatch {
            attribute,
            subject: cert.subject_display.clone(),
        };
        if let Some(ess) = si.signing_cert_v2 {
            if !crypto::ct_eq(&crypto::hash(ess.hash, &cert.der), ess.cert_hash) {
                return Err(mismatch("signingCertificateV2"));
            }
        }
        if let Some(ess) = si.signing_cert_v1 {
            let sha1 = crypto::sha1_of_certificate_for_ess_cert_id(&cert.der);
            if !crypto::ct_eq(&sha1, ess.cert_hash) {
                return Err(mismatch("signingCertificate"));
            }
        }

        // RFC 3161 §2.4.2: tsa, "if present, ... MUST correspond to one of the subject names
        // included in the certificate that is to be used to verify the token." Only a
        // directoryName can be compared with the subject; other GeneralName forms are reported.
        if let Some(TsaName::Directory(name)) = resp.tst.tsa {
            if name != cert.subject.as_slice() && render_name(name) != cert.subject_display {
                return Err(TsaError::TsaNameMismatch {
                    named: render_name(name),
                    subject: cert.subject_display.clone(),
                });
            }
        }

        let gen_time = resp.tst.gen_time;
        // Sigstore trusted root: TimeRange is a closed interval; the TSA is trusted for
        // timestamps whose genTime lies inside `validFor`.
        if !tsa.valid_for.contains(gen_time) {
            return Err(TsaError::OutsideTsaValidity {
                gen_time,
                tsa_uri: tsa.uri.clone(),
                start: tsa.valid_for.start,
                end: tsa.valid_for.end,
            });
        }
        // RFC 5280 §6.1.3 (a)(2): "The certificate validity period includes the current time",
        // where the current time is the signed genTime (not the wall clock): the signer first,
        // then every certificate up to the TSA's root.
        let path = std::iter::once(cert).chain(match signer {
            Signer::Trusted(_) => chain.get(1..).unwrap_or_default().iter(),
            Signer::Embedded(_) => chain.iter(),
        });
        for c in path {
            if !c.valid_at(gen_time) {
                return Err(TsaError::OutsideTsaCertValidity {
                    gen_time,
                    subject: c.subject_display.clone(),
                    not_before: c.not_before,
                    not_after: c.not_after,
                });
            }
        }

        Ok(VerifiedTimestamp {
            time: gen_time,
            tsa_uri: tsa.uri.clone(),
            tsa_name: tsa.name.clone(),
            signer: cert.subject_display.clone(),
            serial: hex::encode(resp.tst.serial),
            policy: der::oid_string(resp.tst.policy),
            accuracy_micros: resp.tst.accuracy_micros,
            imprint_algorithm: resp.tst.imprint_alg,
        })
    }
}

fn sid_matches(sid: Sid<'_>, cert: &CertInfo) -> bool {
    match sid {
        Sid::IssuerSerial { issuer, serial } => cert.issuer == issuer && cert.serial == serial,
        Sid::SubjectKeyId(ski) => cert.subject_key_id.as_deref() == Some(ski),
    }
}

fn render_name(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, n)) => n.to_string(),
        Err(_) => format!("name:{}", hex::encode(der)),
    }
}

/// How the response names its signer, for error messages.
fn describe_sid(resp: &Response<'_>) -> String {
    let named = match resp.tst.tsa {
        Some(TsaName::Directory(n)) => format!("'{}' ", render_name(n)),
        Some(TsaName::Other(raw)) => format!("'{}' ", hex::encode(raw)),
        None => String::new(),
    };
    match resp.signer.sid {
        Sid::IssuerSerial { issuer, serial } => format!(
            "{named}(issuer '{}', serial {})",
            render_name(issuer),
            hex::encode(serial)
        ),
        Sid::SubjectKeyId(ski) => format!("{named}(subject key id {})", hex::encode(ski)),
    }
}

/// Verifies one DER `TimeStampResp` over `signed_bytes` (the artifact signature, or the DSSE
/// envelope signature) against the timestamp authorities of `root`. To verify many timestamps
/// against one root, build a [`TsaVerifier`] once instead.
pub fn verify_timestamp(
    der: &[u8],
    signed_bytes: &[u8],
    root: &TrustedRoot,
) -> Result<VerifiedTimestamp, TsaError> {
    TsaVerifier::new(root).verify(der, signed_bytes)
}

#[cfg(test)]
mod tests;
