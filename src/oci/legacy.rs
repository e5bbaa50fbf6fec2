//! cosign's legacy signature and attestation layers, turned into the verifier's own bundle type
//! (v0.1 semantics: a signed entry timestamp is required, no inclusion proof), so that one
//! verifier checks every format.
//!
//! The shapes follow cosign (pkg/oci/static, pkg/cosign/bundle): a `.sig` layer is the
//! simple-signing payload, its annotations carry the base64 signature
//! (`dev.cosignproject.cosign/signature`), the PEM certificate and chain
//! (`dev.sigstore.cosign/certificate`, `/chain`), the Rekor bundle (`dev.sigstore.cosign/bundle`:
//! `{"SignedEntryTimestamp", "Payload": {"body", "integratedTime", "logIndex", "logID"}}`) and an
//! RFC 3161 timestamp (`dev.sigstore.cosign/rfc3161timestamp`: `{"SignedRFC3161Timestamp"}`). A
//! `.att` layer is a DSSE envelope with the same annotations.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::annotation;
use crate::bundle::dsse::Envelope;
use crate::bundle::json::{b64_decode, PbInt};
use crate::bundle::sigstore::{MessageSignature, TlogEntry};
use crate::bundle::{Bundle, BundleVersion, Content, HashAlgorithm, SigningMaterial};
use crate::evidence::Material;
use crate::limits;

/// The v0.1 media type the converted bundles carry.
const V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";

fn broken(code: &'static str, message: impl Into<String>) -> Material {
    Material::Broken {
        code,
        message: message.into(),
    }
}

/// The DER certificates of a PEM text (every `CERTIFICATE` block), capped.
pub fn pem_certificates(pem: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in pem.lines().map(str::trim) {
        if line == "-----BEGIN CERTIFICATE-----" {
            body = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            let b = body.take().ok_or("an END line without BEGIN")?;
            out.push(b64_decode(&b).map_err(|_| "a certificate is not base64".to_string())?);
            if out.len() > limits::MAX_CHAIN_LEN + 1 {
                return Err(format!(
                    "more than {} certificates",
                    limits::MAX_CHAIN_LEN + 1
                ));
            }
        } else if let Some(b) = body.as_mut() {
            b.push_str(line);
        }
    }
    if body.is_some() {
        return Err("a certificate block is not closed".into());
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RekorBundle {
    #[serde(rename = "SignedEntryTimestamp")]
    set: String,
    #[serde(rename = "Payload")]
    payload: RekorPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    body: String,
    integrated_time: PbInt,
    log_index: PbInt,
    #[serde(rename = "logID")]
    log_id: String,
}

#[derive(Deserialize)]
struct Rfc3161Annotation {
    #[serde(rename = "SignedRFC3161Timestamp")]
    signed: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyKind {
    kind: String,
    api_version: String,
}

/// What a layer's annotations give the verifier: signing material, log entries, timestamps.
type AnnotatedMaterial = (SigningMaterial, Vec<TlogEntry>, Vec<Vec<u8>>);

/// The signing material, log entry and timestamps from a layer's annotations.
fn material_from(
    ann: &BTreeMap<String, String>,
) -> Result<AnnotatedMaterial, (&'static str, String)> {
    let signing_material = match ann.get(annotation::CERTIFICATE).filter(|c| !c.is_empty()) {
        Some(pem) => {
            let mut certs = pem_certificates(pem).map_err(|e| {
                (
                    "certificate-malformed",
                    format!("the certificate annotation: {e}"),
                )
            })?;
            if certs.len() != 1 {
                return Err((
                    "certificate-malformed",
                    format!(
                        "the certificate annotation holds {} certificates, not one",
                        certs.len()
                    ),
                ));
            }
            let leaf = certs.remove(0);
            let rest = match ann.get(annotation::CHAIN).filter(|c| !c.is_empty()) {
                Some(chain) => pem_certificates(chain).map_err(|e| {
                    (
                        "certificate-malformed",
                        format!("the chain annotation: {e}"),
                    )
                })?,
                None => Vec::new(),
            };
            SigningMaterial::Certificate { leaf, rest }
        }
        None => SigningMaterial::PublicKey { hint: None },
    };
    let mut tlog_entries = Vec::new();
    if let Some(b) = ann.get(annotation::BUNDLE).filter(|b| !b.is_empty()) {
        let rb: RekorBundle = crate::bundle::json::parse(
            b.as_bytes(),
            limits::MAX_BUNDLE_BYTES,
            limits::MAX_JSON_DEPTH,
        )
        .map_err(|e| {
            (
                "bundle-malformed-json",
                format!("the Rekor bundle annotation: {e}"),
            )
        })?;
        let body = b64_decode(&rb.payload.body).map_err(|_| {
            (
                "bundle-invalid-base64",
                "the Rekor bundle's Payload.body is not base64".to_string(),
            )
        })?;
        let kind: BodyKind = serde_json::from_slice(&body)
            .map_err(|e| ("tlog-body-malformed", format!("the logged entry body: {e}")))?;
        let set = b64_decode(&rb.set).map_err(|_| {
            (
                "bundle-invalid-base64",
                "the SignedEntryTimestamp is not base64".to_string(),
            )
        })?;
        let log_id = hex::decode(&rb.payload.log_id).map_err(|_| {
            (
                "bundle-invalid-field",
                "the Rekor bundle's logID is not hex".to_string(),
            )
        })?;
        let log_index = u64::try_from(rb.payload.log_index.0).map_err(|_| {
            (
                "bundle-invalid-field",
                "the Rekor bundle's logIndex is negative".to_string(),
            )
        })?;
        tlog_entries.push(TlogEntry {
            log_index,
            log_id,
            kind: kind.kind,
            version: kind.api_version,
            integrated_time: Some(rb.payload.integrated_time.0),
            inclusion_promise: Some(set),
            inclusion_proof: None,
            canonicalized_body: body,
        });
    }
    let mut stamps = Vec::new();
    if let Some(t) = ann.get(annotation::RFC3161).filter(|t| !t.is_empty()) {
        let a: Rfc3161Annotation = crate::bundle::json::parse(
            t.as_bytes(),
            limits::MAX_BUNDLE_BYTES,
            limits::MAX_JSON_DEPTH,
        )
        .map_err(|e| {
            (
                "timestamp-malformed",
                format!("the RFC 3161 annotation: {e}"),
            )
        })?;
        stamps.push(b64_decode(&a.signed).map_err(|_| {
            (
                "timestamp-malformed",
                "the RFC 3161 annotation is not base64".to_string(),
            )
        })?);
    }
    Ok((signing_material, tlog_entries, stamps))
}

/// The simple-signing payload's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleSigning {
    pub docker_manifest_digest: String,
    pub docker_reference: Option<String>,
}

/// Parses a simple-signing payload (containers/image "signature" format as cosign writes it):
/// `{"critical": {"identity": {"docker-reference"}, "image": {"docker-manifest-digest"},
/// "type": "cosign container image signature"}, "optional": {...}}`.
pub fn parse_simple_signing(payload: &[u8]) -> Result<SimpleSigning, String> {
    #[derive(Deserialize)]
    struct Payload {
        critical: Critical,
    }
    #[derive(Deserialize)]
    struct Critical {
        identity: Option<IdentityField>,
        image: ImageField,
        #[serde(rename = "type")]
        type_: String,
    }
    #[derive(Deserialize)]
    struct IdentityField {
        #[serde(rename = "docker-reference")]
        docker_reference: Option<String>,
    }
    #[derive(Deserialize)]
    struct ImageField {
        #[serde(rename = "docker-manifest-digest")]
        docker_manifest_digest: String,
    }
    let p: Payload = crate::bundle::json::parse(
        payload,
        limits::MAX_SIMPLE_SIGNING_BYTES,
        limits::MAX_JSON_DEPTH,
    )
    .map_err(|e| e.to_string())?;
    // containers/image signature format: "critical.type ... MUST be `atomic container
    // signature`"; cosign writes "cosign container image signature". Both are accepted.
    let t = p.critical.type_.to_ascii_lowercase();
    if t != "cosign container image signature" && t != "atomic container signature" {
        return Err(format!(
            "critical.type is \"{}\", not a container image signature",
            crate::text::escape(&p.critical.type_)
        ));
    }
    Ok(SimpleSigning {
        docker_manifest_digest: p.critical.image.docker_manifest_digest,
        docker_reference: p.critical.identity.and_then(|i| i.docker_reference),
    })
}

/// A `.sig` layer (its payload bytes and its descriptor's annotations) as evidence.
pub fn signature_layer(payload: Vec<u8>, ann: &BTreeMap<String, String>) -> Material {
    let ss = match parse_simple_signing(&payload) {
        Ok(s) => s,
        Err(e) => {
            return broken(
                "simple-signing-malformed",
                format!("the simple-signing payload: {e}"),
            )
        }
    };
    let Some(sig_b64) = ann.get(annotation::SIGNATURE).filter(|s| !s.is_empty()) else {
        return broken(
            "signature-missing",
            "the layer has no dev.cosignproject.cosign/signature annotation",
        );
    };
    let Ok(signature) = b64_decode(sig_b64) else {
        return broken(
            "bundle-invalid-base64",
            "the signature annotation is not base64",
        );
    };
    let (signing_material, tlog_entries, rfc3161_timestamps) = match material_from(ann) {
        Ok(m) => m,
        Err((code, message)) => return broken(code, message),
    };
    let digest = crate::crypto::sha256(&payload).to_vec();
    let bundle = Bundle {
        version: BundleVersion::V01,
        media_type: V01.into(),
        signing_material,
        tlog_entries,
        rfc3161_timestamps,
        content: Content::MessageSignature(MessageSignature {
            message_digest: Some((HashAlgorithm::Sha256, digest)),
            signature,
        }),
    };
    Material::LegacySignature {
        bundle: Box::new(bundle),
        payload,
        claimed_digest: ss.docker_manifest_digest,
        docker_reference: ss.docker_reference,
    }
}

/// A `.att` layer (a DSSE envelope and its annotations) as evidence.
pub fn attestation_layer(envelope_json: &[u8], ann: &BTreeMap<String, String>) -> Material {
    let env: Envelope = match Envelope::from_json(envelope_json) {
        Ok(e) => e,
        Err(e) => return broken(e.code(), format!("the DSSE envelope: {e}")),
    };
    let (signing_material, tlog_entries, rfc3161_timestamps) = match material_from(ann) {
        Ok(m) => m,
        Err((code, message)) => return broken(code, message),
    };
    Material::LegacyAttestation(Box::new(Bundle {
        version: BundleVersion::V01,
        media_type: V01.into(),
        signing_material,
        tlog_entries,
        rfc3161_timestamps,
        content: Content::Dsse(env),
    }))
}

/// A bare signature file (`cosign sign-blob --output-signature`: the base64 signature alone, as
/// older Zarf wrote `zarf.yaml.sig`) as the verifier's own bundle type: a message signature by a
/// managed key, with no log entry (verified only where a key may stand without one).
pub fn bare_signature(bytes: &[u8], what: &str) -> Result<Material, (&'static str, String)> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ("signature-malformed", format!("{what}: not base64 text")))?;
    let signature = b64_decode(text.trim())
        .map_err(|_| ("signature-malformed", format!("{what}: not base64")))?;
    if signature.is_empty() || signature.len() > 16 * 1024 {
        return Err((
            "signature-malformed",
            format!("{what}: {} bytes is not a signature", signature.len()),
        ));
    }
    Ok(Material::Bundle(Box::new(Bundle {
        version: BundleVersion::V03,
        media_type: what.to_string(),
        signing_material: SigningMaterial::PublicKey { hint: None },
        tlog_entries: Vec::new(),
        rfc3161_timestamps: Vec::new(),
        content: Content::MessageSignature(MessageSignature {
            message_digest: None,
            signature,
        }),
    })))
}
