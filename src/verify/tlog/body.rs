//! Entry bodies: the log entry must be about this bundle's content, signature and signer.
//!
//! Owns: parsing `canonicalizedBody` (once, capped, borrowing from the bytes) for the supported
//! Rekor kinds, and comparing every field that binds the entry to the bundle. Must not touch:
//! signatures over the content (the caller verifies those), log evidence, the clock.
//!
//! Field layouts, from the Rekor type definitions and the real bodies in the conformance data:
//! - `hashedrekord` 0.0.1: `spec.data.hash {algorithm, value (hex)}`,
//!   `spec.signature {content (base64), publicKey.content (base64 of a PEM certificate or PEM
//!   public key)}`.
//! - `hashedrekord` 0.0.2 (Rekor v2): `spec.hashedRekordV002 {data {algorithm (SHA2_256, ...),
//!   digest (base64)}, signature {content, verifier {x509Certificate.rawBytes | publicKey.rawBytes
//!   (DER, base64), keyDetails}}}`. A DSSE bundle logged this way ("hashedrekord-over-DSSE")
//!   records the digest of `PAE(envelope)` and the envelope's signature.
//! - `dsse` 0.0.1: `spec.payloadHash {algorithm, value (hex)}` = digest of the envelope payload,
//!   `spec.signatures [{signature (base64), verifier (base64 PEM)}]`, plus `spec.envelopeHash`.
//!   Rekor computes `envelopeHash` over the exact envelope JSON the client submitted
//!   (`sha256(proposedContent.envelope)`), which a bundle does not carry byte for byte, so it is
//!   not checkable; payload hash and signatures bind the entry to the envelope.
//! - `dsse` 0.0.2 (Rekor v2, deprecated upstream): `spec.dsseV002 {payloadHash {algorithm,
//!   digest}, signatures [{content, verifier}]}`.
//! - `intoto` 0.0.1 (legacy, what cosign before 2.x logged for attestations):
//!   `spec.content.payloadHash {algorithm, value (hex)}` and `spec.publicKey` (base64 PEM); the
//!   envelope itself is not logged (`spec.content.hash` covers the submitted envelope JSON and is
//!   not checkable). Payload hash and signer bind the entry to the envelope, whose signature the
//!   caller verifies with that signer.
//! - `intoto` 0.0.2 (legacy): `spec.content.envelope {payloadType, payload, signatures [{sig,
//!   publicKey}]}` and `spec.content.payloadHash`. Rekor base64-encodes the already base64 `sig`
//!   and `payload` a second time (both happy-path bodies in the conformance data do), so a `sig`
//!   is accepted when it decodes, once or twice, to the envelope signature. `spec.content.hash`
//!   covers the submitted envelope JSON and is not checkable, like `envelopeHash`.

use std::borrow::Cow;

use serde::Deserialize;

use super::{ExpectedBody, SignerMaterial};
use crate::bundle::dsse::Envelope;
use crate::bundle::json::{self, b64_decode};
use crate::bundle::HashAlgorithm;
use crate::crypto::{self, Hasher};
use crate::limits;

/// Why a body does not bind the entry to the bundle.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    #[error("entry body is not valid JSON of its kind: {0}")]
    Malformed(String),
    #[error("entry body lacks {field}")]
    Missing { field: &'static str },
    #[error("entry body field {field} is not valid {encoding}")]
    Encoding {
        field: &'static str,
        encoding: &'static str,
    },
    #[error("entries of kind {kind} {version} are not supported")]
    Unsupported { kind: String, version: String },
    #[error("{field} does not match the bundle: {why}")]
    Mismatch {
        field: &'static str,
        why: &'static str,
    },
}

impl BodyError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) | Self::Missing { .. } | Self::Encoding { .. } => {
                "tlog-body-malformed"
            }
            Self::Unsupported { .. } => "tlog-unsupported-kind",
            Self::Mismatch { .. } => "tlog-entry-mismatch",
        }
    }
}

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(rename = "apiVersion", borrow)]
    api_version: Str<'a>,
    #[serde(borrow)]
    kind: Str<'a>,
}

#[derive(Deserialize)]
struct RawBody<'a> {
    #[serde(rename = "apiVersion", borrow)]
    api_version: Str<'a>,
    #[serde(borrow)]
    kind: Str<'a>,
    #[serde(borrow)]
    spec: Option<Spec<'a>>,
}

/// The union of the spec fields of every supported kind; the kind decides which are read.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    #[serde(borrow)]
    data: Option<HrData<'a>>,
    #[serde(borrow)]
    signature: Option<HrSignature<'a>>,
    #[serde(borrow)]
    hashed_rekord_v002: Option<HrV2<'a>>,
    #[serde(borrow)]
    dsse_v002: Option<DsseV2<'a>>,
    #[serde(borrow)]
    payload_hash: Option<HexHash<'a>>,
    #[serde(borrow)]
    signatures: Option<Vec<DsseV1Sig<'a>>>,
    #[serde(borrow)]
    content: Option<IntotoContent<'a>>,
    /// `intoto` 0.0.1: base64 of the signer's PEM certificate or key.
    #[serde(borrow)]
    public_key: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct HexHash<'a> {
    #[serde(borrow)]
    algorithm: Option<Str<'a>>,
    #[serde(borrow)]
    value: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct HrData<'a> {
    #[serde(borrow)]
    hash: Option<HexHash<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HrSignature<'a> {
    #[serde(borrow)]
    content: Option<Str<'a>>,
    #[serde(borrow)]
    public_key: Option<PemContent<'a>>,
}

#[derive(Deserialize)]
struct PemContent<'a> {
    #[serde(borrow)]
    content: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct HrV2<'a> {
    #[serde(borrow)]
    data: Option<HashOutput<'a>>,
    #[serde(borrow)]
    signature: Option<V2Sig<'a>>,
}

#[derive(Deserialize)]
struct HashOutput<'a> {
    #[serde(borrow)]
    algorithm: Option<Str<'a>>,
    #[serde(borrow)]
    digest: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct V2Sig<'a> {
    #[serde(borrow)]
    content: Option<Str<'a>>,
    #[serde(borrow)]
    verifier: Option<V2Verifier<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Verifier<'a> {
    #[serde(borrow)]
    public_key: Option<RawBytes<'a>>,
    #[serde(borrow)]
    x509_certificate: Option<RawBytes<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes<'a> {
    #[serde(borrow)]
    raw_bytes: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DsseV2<'a> {
    #[serde(borrow)]
    payload_hash: Option<HashOutput<'a>>,
    #[serde(borrow, default)]
    signatures: Vec<V2Sig<'a>>,
}

#[derive(Deserialize)]
struct DsseV1Sig<'a> {
    #[serde(borrow)]
    signature: Option<Str<'a>>,
    #[serde(borrow)]
    verifier: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntotoContent<'a> {
    #[serde(borrow)]
    envelope: Option<IntotoEnvelope<'a>>,
    #[serde(borrow)]
    payload_hash: Option<HexHash<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntotoEnvelope<'a> {
    #[serde(borrow)]
    payload_type: Option<Str<'a>>,
    #[serde(borrow, default)]
    signatures: Vec<IntotoSig<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntotoSig<'a> {
    #[serde(borrow)]
    sig: Option<Str<'a>>,
    #[serde(borrow)]
    public_key: Option<Str<'a>>,
}

/// Whether (kind, version) is one this module reads.
fn supported(kind: &str, version: &str) -> bool {
    matches!(
        (kind, version),
        ("hashedrekord", "0.0.1")
            | ("hashedrekord", "0.0.2")
            | ("dsse", "0.0.1")
            | ("dsse", "0.0.2")
            | ("intoto", "0.0.1")
            | ("intoto", "0.0.2")
    )
}

/// Rekor v2 kinds: their entries carry no integrated time, and the proof index is the entry's.
pub(crate) fn is_rekor_v2(kind: &str, version: &str) -> bool {
    matches!(
        (kind, version),
        ("hashedrekord", "0.0.2") | ("dsse", "0.0.2")
    )
}

/// Parses `body` and checks it names exactly the bundle's content, signature and signer.
pub(crate) fn check(
    body: &[u8],
    kind: &str,
    version: &str,
    expected: &ExpectedBody<'_>,
) -> Result<(), BodyError> {
    let parsed: Result<RawBody<'_>, _> =
        json::parse(body, limits::MAX_BUNDLE_BYTES, limits::MAX_JSON_DEPTH);
    let raw = match parsed {
        Ok(r) => r,
        Err(e) => {
            // A kind this module does not read may use field shapes the union above does not
            // expect; name it as unsupported rather than malformed.
            let header: Result<Header<'_>, _> =
                json::parse(body, limits::MAX_BUNDLE_BYTES, limits::MAX_JSON_DEPTH);
            return Err(match header {
                Ok(h) if !supported(&h.kind, &h.api_version) => BodyError::Unsupported {
                    kind: h.kind.into_owned(),
                    version: h.api_version.into_owned(),
                },
                _ => BodyError::Malformed(e.to_string()),
            });
        }
    };
    // The bundle's kindVersion is outside the log's hash; the body's kind and apiVersion are
    // inside it, so they decide, and the two must agree.
    if raw.kind != kind || raw.api_version != version {
        return Err(BodyError::Mismatch {
            field: "kindVersion",
            why: "the bundle's kind/version is not the logged body's kind/apiVersion",
        });
    }
    let spec = raw.spec.ok_or(BodyError::Missing { field: "spec" })?;
    match (kind, version, expected) {
        ("hashedrekord", "0.0.1", ExpectedBody::MessageSignature { .. }) => {
            hashedrekord_v001(&spec, expected)
        }
        ("hashedrekord", "0.0.2", _) => hashedrekord_v002(&spec, expected),
        ("dsse", "0.0.1", ExpectedBody::Dsse { envelope, signer }) => {
            dsse_v001(&spec, envelope, signer)
        }
        ("dsse", "0.0.2", ExpectedBody::Dsse { envelope, signer }) => {
            dsse_v002(&spec, envelope, signer)
        }
        ("intoto", "0.0.1", ExpectedBody::Dsse { envelope, signer }) => {
            intoto_v001(&spec, envelope, signer)
        }
        ("intoto", "0.0.2", ExpectedBody::Dsse { envelope, signer }) => {
            intoto_v002(&spec, envelope, signer)
        }
        (k, v, ExpectedBody::MessageSignature { .. }) if supported(k, v) => {
            Err(BodyError::Mismatch {
                field: "kind",
                why: "this kind logs a DSSE envelope, but the bundle signs an artifact",
            })
        }
        (k, v, ExpectedBody::Dsse { .. }) if supported(k, v) => Err(BodyError::Mismatch {
            field: "kind",
            why: "this kind logs an artifact signature, but the bundle carries a DSSE envelope",
        }),
        (k, v, _) => Err(BodyError::Unsupported {
            kind: k.to_string(),
            version: v.to_string(),
        }),
    }
}

fn need<'s, T>(v: &'s Option<T>, field: &'static str) -> Result<&'s T, BodyError> {
    v.as_ref().ok_or(BodyError::Missing { field })
}

fn b64(s: &str, field: &'static str) -> Result<Vec<u8>, BodyError> {
    b64_decode(s).map_err(|_| BodyError::Encoding {
        field,
        encoding: "base64",
    })
}

/// The Rekor v1 lowercase algorithm names.
fn v1_alg(name: &str) -> Option<HashAlgorithm> {
    match name {
        "sha256" => Some(HashAlgorithm::Sha256),
        "sha384" => Some(HashAlgorithm::Sha384),
        "sha512" => Some(HashAlgorithm::Sha512),
        _ => None,
    }
}

/// Checks a Rekor v1 `{algorithm, value (hex)}` against `(alg, digest)`.
fn check_hex_hash(
    h: &HexHash<'_>,
    alg: HashAlgorithm,
    digest: &[u8],
    field: &'static str,
    why: &'static str,
) -> Result<(), BodyError> {
    let name = need(&h.algorithm, field)?;
    if v1_alg(name) != Some(alg) {
        return Err(BodyError::Mismatch {
            field,
            why: "the logged hash algorithm is not the bundle's",
        });
    }
    let value = need(&h.value, field)?;
    let mut buf = [0u8; 64];
    let out = buf.get_mut(..alg.len()).unwrap_or_default();
    hex::decode_to_slice(value.as_bytes(), out).map_err(|_| BodyError::Encoding {
        field,
        encoding: "hex of the digest length",
    })?;
    if !crypto::ct_eq(out, digest) {
        return Err(BodyError::Mismatch { field, why });
    }
    Ok(())
}

/// Checks a Rekor v2 `HashOutput {algorithm (proto name), digest (base64)}`.
fn check_hash_output(
    h: &HashOutput<'_>,
    alg: HashAlgorithm,
    digest: &[u8],
    field: &'static str,
    why: &'static str,
) -> Result<(), BodyError> {
    if HashAlgorithm::from_proto(need(&h.algorithm, field)?) != Some(alg) {
        return Err(BodyError::Mismatch {
            field,
            why: "the logged hash algorithm is not the bundle's",
        });
    }
    let logged = b64(need(&h.digest, field)?, field)?;
    if !crypto::ct_eq(&logged, digest) {
        return Err(BodyError::Mismatch { field, why });
    }
    Ok(())
}

/// The first PEM block of `pem`: its label and DER contents.
fn pem_block(pem: &str) -> Option<(&str, Vec<u8>)> {
    let after_begin = pem.split_once("-----BEGIN ")?.1;
    let (label, rest) = after_begin.split_once("-----")?;
    let (body, after_end) = rest.split_once("-----END ")?;
    if !after_end.strip_prefix(label)?.starts_with("-----") {
        return None;
    }
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = b64_decode(&b64).ok()?;
    Some((label, der))
}

/// Checks a base64-encoded PEM (Rekor v1 `publicKey` / `verifier`) names the bundle's signer.
fn check_pem_signer(
    pem_b64: &str,
    signer: &SignerMaterial<'_>,
    field: &'static str,
) -> Result<(), BodyError> {
    let pem = b64(pem_b64, field)?;
    let pem = std::str::from_utf8(&pem).map_err(|_| BodyError::Encoding {
        field,
        encoding: "PEM",
    })?;
    let (label, der) = pem_block(pem).ok_or(BodyError::Encoding {
        field,
        encoding: "PEM",
    })?;
    check_der_signer(
        label == "CERTIFICATE",
        label == "PUBLIC KEY",
        &der,
        signer,
        field,
    )
}

/// Checks DER material (a certificate when `is_cert`, an SPKI when `is_key`) is the signer's.
fn check_der_signer(
    is_cert: bool,
    is_key: bool,
    der: &[u8],
    signer: &SignerMaterial<'_>,
    field: &'static str,
) -> Result<(), BodyError> {
    match signer {
        SignerMaterial::Certificate(leaf) => {
            if !is_cert {
                return Err(BodyError::Mismatch {
                    field,
                    why: "the entry names a public key, but the bundle carries a certificate",
                });
            }
            if !crypto::ct_eq(der, leaf) {
                return Err(BodyError::Mismatch {
                    field,
                    why: "the logged certificate is not the bundle's certificate",
                });
            }
        }
        SignerMaterial::PublicKey(key) => {
            if !is_key {
                return Err(BodyError::Mismatch {
                    field,
                    why: "the entry names a certificate, but the bundle is signed with a key",
                });
            }
            if !crypto::ct_eq(der, key.spki_der()) {
                return Err(BodyError::Mismatch {
                    field,
                    why: "the logged public key is not the signer's key",
                });
            }
        }
    }
    Ok(())
}

/// Checks a Rekor v2 `Verifier` names the bundle's signer.
fn check_v2_verifier(
    v: &V2Verifier<'_>,
    signer: &SignerMaterial<'_>,
    field: &'static str,
) -> Result<(), BodyError> {
    match (&v.x509_certificate, &v.public_key) {
        (Some(c), None) => {
            let der = b64(need(&c.raw_bytes, field)?, field)?;
            check_der_signer(true, false, &der, signer, field)
        }
        (None, Some(k)) => {
            let der = b64(need(&k.raw_bytes, field)?, field)?;
            check_der_signer(false, true, &der, signer, field)
        }
        _ => Err(BodyError::Missing { field }),
    }
}

fn check_signature(logged: &[u8], sig: &[u8], field: &'static str) -> Result<(), BodyError> {
    if !crypto::ct_eq(logged, sig) {
        return Err(BodyError::Mismatch {
            field,
            why: "the logged signature is not the bundle's signature",
        });
    }
    Ok(())
}

fn hashedrekord_v001(spec: &Spec<'_>, expected: &ExpectedBody<'_>) -> Result<(), BodyError> {
    let ExpectedBody::MessageSignature {
        signature,
        artifact_digest: (alg, digest),
        signer,
    } = expected
    else {
        return Err(BodyError::Mismatch {
            field: "kind",
            why: "a hashedrekord 0.0.1 entry cannot log a DSSE envelope",
        });
    };
    let sig = need(&spec.signature, "spec.signature")?;
    // Rekor hashedrekord: the signature, the key that verifies it, and the artifact digest.
    const SIG: &str = "spec.signature.content";
    check_signature(&b64(need(&sig.content, SIG)?, SIG)?, signature, SIG)?;
    const KEY: &str = "spec.signature.publicKey.content";
    let pk = need(&sig.public_key, KEY)?;
    check_pem_signer(need(&pk.content, KEY)?, signer, KEY)?;
    const HASH: &str = "spec.data.hash";
    let data = need(&spec.data, HASH)?;
    check_hex_hash(
        need(&data.hash, HASH)?,
        *alg,
        digest,
        HASH,
        "the logged digest is not the artifact's digest",
    )
}

fn hashedrekord_v002(spec: &Spec<'_>, expected: &ExpectedBody<'_>) -> Result<(), BodyError> {
    const HR: &str = "spec.hashedRekordV002";
    const DATA: &str = "spec.hashedRekordV002.data";
    const SIG: &str = "spec.hashedRekordV002.signature.content";
    const VERIFIER: &str = "spec.hashedRekordV002.signature.verifier";
    let hr = need(&spec.hashed_rekord_v002, HR)?;
    let data = need(&hr.data, DATA)?;
    let sig = need(&hr.signature, "spec.hashedRekordV002.signature")?;
    let logged_sig = b64(need(&sig.content, SIG)?, SIG)?;
    let verifier = need(&sig.verifier, VERIFIER)?;
    match expected {
        ExpectedBody::MessageSignature {
            signature,
            artifact_digest: (alg, digest),
            signer,
        } => {
            check_signature(&logged_sig, signature, SIG)?;
            check_v2_verifier(verifier, signer, VERIFIER)?;
            check_hash_output(
                data,
                *alg,
                digest,
                DATA,
                "the logged digest is not the artifact's digest",
            )
        }
        ExpectedBody::Dsse { envelope, signer } => {
            // hashedrekord-over-DSSE logs one signature over PAE(envelope).
            let [env_sig] = envelope.signatures.as_slice() else {
                return Err(BodyError::Mismatch {
                    field: "dsseEnvelope.signatures",
                    why: "a hashedrekord entry logs one signature; the envelope has another count",
                });
            };
            let alg = HashAlgorithm::from_proto(need(&data.algorithm, DATA)?).ok_or(
                BodyError::Mismatch {
                    field: DATA,
                    why: "unsupported hash algorithm",
                },
            )?;
            let pae = pae_digest(alg, envelope);
            check_hash_output(
                data,
                alg,
                &pae,
                DATA,
                "the logged digest is not the digest of PAE(envelope)",
            )?;
            check_signature(&logged_sig, &env_sig.sig, SIG)?;
            check_v2_verifier(verifier, signer, VERIFIER)
        }
    }
}

/// `alg(PAE(type, payload))`, hashed in pieces so a large payload is never copied.
fn pae_digest(alg: HashAlgorithm, env: &Envelope) -> Vec<u8> {
    let mut h = Hasher::new(alg);
    crate::bundle::dsse::pae_pieces(&env.payload_type, &env.payload, |p| h.update(p));
    h.finish()
}

/// Matches the envelope's signatures one to one with the logged ones. `decode` turns a logged
/// signature field into candidate bytes.
fn match_signatures<I>(envelope: &Envelope, logged: I, field: &'static str) -> Result<(), BodyError>
where
    I: ExactSizeIterator<Item = Result<Vec<u8>, BodyError>>,
{
    if logged.len() != envelope.signatures.len() || logged.len() > limits::MAX_DSSE_SIGNATURES {
        return Err(BodyError::Mismatch {
            field,
            why: "the number of logged signatures is not the envelope's",
        });
    }
    let logged: Vec<Vec<u8>> = logged.collect::<Result<_, _>>()?;
    let mut used = [false; limits::MAX_DSSE_SIGNATURES];
    for s in &envelope.signatures {
        let found = logged
            .iter()
            .enumerate()
            .position(|(i, l)| !used.get(i).copied().unwrap_or(true) && crypto::ct_eq(l, &s.sig));
        match found.and_then(|i| used.get_mut(i)) {
            Some(u) => *u = true,
            None => {
                return Err(BodyError::Mismatch {
                    field,
                    why: "an envelope signature is not among the logged signatures",
                })
            }
        }
    }
    Ok(())
}

fn dsse_v001(
    spec: &Spec<'_>,
    envelope: &Envelope,
    signer: &SignerMaterial<'_>,
) -> Result<(), BodyError> {
    const HASH: &str = "spec.payloadHash";
    const SIGS: &str = "spec.signatures";
    const SIG: &str = "spec.signatures.signature";
    const VERIFIER: &str = "spec.signatures.verifier";
    let payload_hash = crypto::sha256(&envelope.payload);
    check_hex_hash(
        need(&spec.payload_hash, HASH)?,
        HashAlgorithm::Sha256,
        &payload_hash,
        HASH,
        "the logged payload hash is not the envelope payload's",
    )?;
    let sigs = need(&spec.signatures, SIGS)?;
    match_signatures(
        envelope,
        sigs.iter().map(|s| b64(need(&s.signature, SIG)?, SIG)),
        SIG,
    )?;
    for s in sigs {
        check_pem_signer(need(&s.verifier, VERIFIER)?, signer, VERIFIER)?;
    }
    Ok(())
}

fn dsse_v002(
    spec: &Spec<'_>,
    envelope: &Envelope,
    signer: &SignerMaterial<'_>,
) -> Result<(), BodyError> {
    const D: &str = "spec.dsseV002";
    const HASH: &str = "spec.dsseV002.payloadHash";
    const SIG: &str = "spec.dsseV002.signatures.content";
    const VERIFIER: &str = "spec.dsseV002.signatures.verifier";
    let d = need(&spec.dsse_v002, D)?;
    let h = need(&d.payload_hash, HASH)?;
    let alg = HashAlgorithm::from_proto(need(&h.algorithm, HASH)?).ok_or(BodyError::Mismatch {
        field: HASH,
        why: "unsupported hash algorithm",
    })?;
    let payload_hash = crypto::hash(alg, &envelope.payload);
    check_hash_output(
        h,
        alg,
        &payload_hash,
        HASH,
        "the logged payload hash is not the envelope payload's",
    )?;
    match_signatures(
        envelope,
        d.signatures
            .iter()
            .map(|s| b64(need(&s.content, SIG)?, SIG)),
        SIG,
    )?;
    for s in &d.signatures {
        check_v2_verifier(need(&s.verifier, VERIFIER)?, signer, VERIFIER)?;
    }
    Ok(())
}

fn intoto_v001(
    spec: &Spec<'_>,
    envelope: &Envelope,
    signer: &SignerMaterial<'_>,
) -> Result<(), BodyError> {
    const CONTENT: &str = "spec.content";
    const HASH: &str = "spec.content.payloadHash";
    const KEY: &str = "spec.publicKey";
    let content = need(&spec.content, CONTENT)?;
    check_hex_hash(
        need(&content.payload_hash, HASH)?,
        HashAlgorithm::Sha256,
        &crypto::sha256(&envelope.payload),
        HASH,
        "the logged payload hash is not the envelope payload's",
    )?;
    check_pem_signer(need(&spec.public_key, KEY)?, signer, KEY)
}

fn intoto_v002(
    spec: &Spec<'_>,
    envelope: &Envelope,
    signer: &SignerMaterial<'_>,
) -> Result<(), BodyError> {
    const CONTENT: &str = "spec.content";
    const ENV: &str = "spec.content.envelope";
    const TYPE: &str = "spec.content.envelope.payloadType";
    const SIG: &str = "spec.content.envelope.signatures.sig";
    const KEY: &str = "spec.content.envelope.signatures.publicKey";
    const HASH: &str = "spec.content.payloadHash";
    let content = need(&spec.content, CONTENT)?;
    let env = need(&content.envelope, ENV)?;
    if need(&env.payload_type, TYPE)? != envelope.payload_type.as_str() {
        return Err(BodyError::Mismatch {
            field: TYPE,
            why: "the logged payload type is not the envelope's",
        });
    }
    // The signatures are base64 of the base64 text (see the module doc); a single encoding is
    // accepted as well, compared against the raw signature.
    let decode = |s: &IntotoSig<'_>| -> Result<Vec<u8>, BodyError> {
        let once = b64(need(&s.sig, SIG)?, SIG)?;
        match std::str::from_utf8(&once).ok().map(b64_decode) {
            Some(Ok(twice)) => Ok(twice),
            _ => Ok(once),
        }
    };
    let payload_hash = crypto::sha256(&envelope.payload);
    check_hex_hash(
        need(&content.payload_hash, HASH)?,
        HashAlgorithm::Sha256,
        &payload_hash,
        HASH,
        "the logged payload hash is not the envelope payload's",
    )?;
    match_signatures(envelope, env.signatures.iter().map(decode), SIG)?;
    for s in &env.signatures {
        check_pem_signer(need(&s.public_key, KEY)?, signer, KEY)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::dsse::DsseSignature;
    use crate::bundle::json::b64_encode;

    const CERT: &[u8] = b"\x30\x03\x02\x01\x01";
    const SIG: &[u8] = b"\x30\x06\x02\x01\x01\x02\x01\x01";

    fn env() -> Envelope {
        Envelope {
            payload_type: "application/vnd.in-toto+json".into(),
            payload: b"{}".to_vec(),
            signatures: vec![DsseSignature {
                sig: SIG.to_vec(),
                keyid: None,
            }],
        }
    }

    fn pem_b64(label: &str, der: &[u8]) -> String {
        b64_encode(
            format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                b64_encode(der)
            )
            .as_bytes(),
        )
    }

    fn intoto_body(sig_field: &str, payload_type: &str) -> Vec<u8> {
        format!(
            "{{\"apiVersion\":\"0.0.2\",\"kind\":\"intoto\",\"spec\":{{\"content\":{{\"envelope\":\
             {{\"payloadType\":\"{payload_type}\",\"signatures\":[{{\"publicKey\":\"{}\",\
             \"sig\":\"{sig_field}\"}}]}},\"hash\":{{\"algorithm\":\"sha256\",\"value\":\"00\"}},\
             \"payloadHash\":{{\"algorithm\":\"sha256\",\"value\":\"{}\"}}}}}}}}",
            pem_b64("CERTIFICATE", CERT),
            hex::encode(crypto::sha256(b"{}"))
        )
        .into_bytes()
    }

    fn check_intoto(body: &[u8]) -> Result<(), BodyError> {
        let e = env();
        let expected = ExpectedBody::Dsse {
            envelope: &e,
            signer: SignerMaterial::Certificate(CERT),
        };
        check(body, "intoto", "0.0.2", &expected)
    }

    /// cosign before 2.x logged attestations as `intoto` 0.0.1: no envelope in the body, only
    /// the payload hash and the signer.
    #[test]
    fn intoto_v001_entry_binds_payload_hash_and_signer() {
        let e = env();
        let expected = ExpectedBody::Dsse {
            envelope: &e,
            signer: SignerMaterial::Certificate(CERT),
        };
        let body = |payload: &[u8], cert: &[u8]| {
            format!(
                "{{\"apiVersion\":\"0.0.1\",\"kind\":\"intoto\",\"spec\":{{\"content\":{{\"hash\":                 {{\"algorithm\":\"sha256\",\"value\":\"00\"}},\"payloadHash\":{{\"algorithm\":\"sha256\",                 \"value\":\"{}\"}}}},\"publicKey\":\"{}\"}}}}",
                hex::encode(crypto::sha256(payload)),
                pem_b64("CERTIFICATE", cert)
            )
            .into_bytes()
        };
        assert_eq!(
            check(&body(b"{}", CERT), "intoto", "0.0.1", &expected),
            Ok(())
        );
        let other_payload = check(&body(b"{\"x\":1}", CERT), "intoto", "0.0.1", &expected);
        assert_eq!(
            other_payload.map_err(|e| e.code()),
            Err("tlog-entry-mismatch")
        );
        let other_signer = check(
            &body(b"{}", b"\x30\x03\x02\x01\x02"),
            "intoto",
            "0.0.1",
            &expected,
        );
        assert_eq!(
            other_signer.map_err(|e| e.code()),
            Err("tlog-entry-mismatch")
        );
    }

    #[test]
    fn intoto_signature_is_accepted_double_or_single_encoded() {
        let double = b64_encode(b64_encode(SIG).as_bytes());
        assert_eq!(
            check_intoto(&intoto_body(&double, "application/vnd.in-toto+json")),
            Ok(())
        );
        let single = b64_encode(SIG);
        assert_eq!(
            check_intoto(&intoto_body(&single, "application/vnd.in-toto+json")),
            Ok(())
        );
    }

    #[test]
    fn intoto_entry_for_another_signature_or_payload_type_is_refused() {
        let other = b64_encode(b64_encode(b"\x30\x00").as_bytes());
        let r = check_intoto(&intoto_body(&other, "application/vnd.in-toto+json"));
        assert_eq!(r.map_err(|e| e.code()), Err("tlog-entry-mismatch"));
        let double = b64_encode(b64_encode(SIG).as_bytes());
        let r = check_intoto(&intoto_body(&double, "text/plain"));
        assert_eq!(r.map_err(|e| e.code()), Err("tlog-entry-mismatch"));
    }

    #[test]
    fn dsse_v002_entry_binds_payload_signature_and_verifier() {
        let e = env();
        let body = |sig: &[u8], payload: &[u8], cert: &[u8]| {
            format!(
                "{{\"apiVersion\":\"0.0.2\",\"kind\":\"dsse\",\"spec\":{{\"dsseV002\":{{\
                 \"payloadHash\":{{\"algorithm\":\"SHA2_256\",\"digest\":\"{}\"}},\"signatures\":\
                 [{{\"content\":\"{}\",\"verifier\":{{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\
                 \"x509Certificate\":{{\"rawBytes\":\"{}\"}}}}}}]}}}}}}",
                b64_encode(&crypto::sha256(payload)),
                b64_encode(sig),
                b64_encode(cert)
            )
            .into_bytes()
        };
        let expected = ExpectedBody::Dsse {
            envelope: &e,
            signer: SignerMaterial::Certificate(CERT),
        };
        let run = |b: Vec<u8>| check(&b, "dsse", "0.0.2", &expected).map_err(|e| e.code());
        assert_eq!(run(body(SIG, b"{}", CERT)), Ok(()));
        assert_eq!(
            run(body(b"\x30\x00", b"{}", CERT)),
            Err("tlog-entry-mismatch")
        );
        assert_eq!(run(body(SIG, b"{ }", CERT)), Err("tlog-entry-mismatch"));
        assert_eq!(
            run(body(SIG, b"{}", b"\x30\x00")),
            Err("tlog-entry-mismatch")
        );
    }

    #[test]
    fn envelope_with_an_extra_signature_the_log_never_saw_is_refused() {
        let mut e = env();
        e.signatures.push(DsseSignature {
            sig: b"\x30\x01\x00".to_vec(),
            keyid: None,
        });
        let double = b64_encode(b64_encode(SIG).as_bytes());
        let expected = ExpectedBody::Dsse {
            envelope: &e,
            signer: SignerMaterial::Certificate(CERT),
        };
        let r = check(
            &intoto_body(&double, "application/vnd.in-toto+json"),
            "intoto",
            "0.0.2",
            &expected,
        );
        assert_eq!(r.map_err(|e| e.code()), Err("tlog-entry-mismatch"));
    }

    #[test]
    fn pem_block_needs_a_matching_end_line() {
        let good = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64_encode(CERT)
        );
        assert_eq!(pem_block(&good), Some(("CERTIFICATE", CERT.to_vec())));
        let bad = good.replace("END CERTIFICATE", "END PUBLIC KEY");
        assert_eq!(pem_block(&bad), None);
        assert_eq!(pem_block("no pem here"), None);
    }

    #[test]
    fn pae_digest_is_the_digest_of_the_pae_bytes() {
        let e = env();
        assert_eq!(
            pae_digest(HashAlgorithm::Sha256, &e),
            crypto::sha256(&e.pae()).to_vec()
        );
    }

    #[test]
    fn duplicate_keys_in_a_body_are_refused() {
        let body = br#"{"apiVersion":"0.0.1","kind":"hashedrekord","kind":"dsse","spec":{}}"#;
        let e = env();
        let expected = ExpectedBody::Dsse {
            envelope: &e,
            signer: SignerMaterial::Certificate(CERT),
        };
        let r = check(body, "hashedrekord", "0.0.1", &expected);
        assert_eq!(r.map_err(|e| e.code()), Err("tlog-body-malformed"));
    }
}
