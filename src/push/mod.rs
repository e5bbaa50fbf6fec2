//! The hand-off: an accepted image, from its kept layout to the site's registry, with the
//! evidence it arrived with and airlock's own signed verdict.
//!
//! For each destination repository: every blob (skipped when the registry has it, mounted from
//! a repository this push already filled), every platform manifest the layout holds, the image
//! (index) by digest and under each tag; the legacy `.sig`/`.att`/`.sbom` manifests under their
//! `sha256-<hex>.<suffix>` tags and every referrer, byte for byte as they arrived (same
//! digests), listed through the registry's referrers API or, when it has none, the OCI 1.1
//! referrers tag schema (`sha256-<hex>` → an image index); then the VSA, as a layer of the
//! `.att` image (as `cosign attest` appends one) and as a Sigstore bundle v0.3 referrer.
//! Everything is idempotent: a second push of the same thing sends no blob and changes no tag.
//!
//! Owns: what goes where in the registry. Must not touch: verdicts (the caller, `app::push`,
//! checked it is accepted), the ledger, HTTP (that is `registry`).

pub mod layout;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use crate::store::record_types::{Pushed, PushedEvidence};
pub use layout::Kept;

use crate::oci::{is_index_media_type, Descriptor, OCI_INDEX, OCI_MANIFEST};
use crate::registry::{Content, Manifest, Registry, RegistryError};

/// The Sigstore bundle v0.3 media type (cosign v3 attaches bundles with it as artifact type).
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The empty config of an artifact manifest (OCI 1.1), and its digest.
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_JSON: &[u8] = b"{}";
/// cosign's annotation naming an attestation layer's predicate type.
const PREDICATE_ANNOTATION: &str = "predicateType";

/// What went wrong in a push.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{path}: {why}")]
    Layout {
        path: std::path::PathBuf,
        why: String,
    },
    #[error("{digest} is not in the kept layout (deleted since it was accepted?)")]
    Missing { digest: String },
}

impl PushError {
    pub fn code(&self) -> &'static str {
        match self {
            PushError::Registry(e) => e.code(),
            PushError::Layout { .. } => "kept-layout-unusable",
            PushError::Missing { .. } => "kept-layout-incomplete",
        }
    }

    pub fn retryable(&self) -> bool {
        match self {
            PushError::Registry(e) => e.retryable(),
            _ => false,
        }
    }
}

/// airlock's verdict on the image: a DSSE envelope over an in-toto statement with the SLSA
/// VSA predicate, signed by the deployment key.
#[derive(Debug, Clone)]
pub struct Vsa {
    /// The envelope's JSON, exactly as it is attached (kept, so that every push of it is the same).
    pub envelope: Vec<u8>,
    /// `sha256:<hex>` of the deployment key's SubjectPublicKeyInfo (the bundle's key hint).
    pub key_hint: String,
    /// When airlock verified the image (RFC 3339): the referrer's creation time.
    pub time_verified: String,
    /// The statement's predicate type (`https://slsa.dev/verification_summary/v1`).
    pub predicate_type: String,
}

/// An image manifest airlock writes (the `.att` image, the VSA bundle referrer).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestOut<'a> {
    schema_version: u32,
    media_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
    config: &'a Descriptor,
    layers: &'a [Descriptor],
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a Descriptor>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

/// The image config of an `.att` image, as cosign writes it: no platform, the layers' digests.
#[derive(Serialize)]
struct AttConfig<'a> {
    architecture: &'a str,
    os: &'a str,
    config: BTreeMap<String, String>,
    rootfs: RootFs,
}

#[derive(Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    type_: &'static str,
    diff_ids: Vec<String>,
}

/// A Sigstore bundle v0.3 over a DSSE envelope, verified with a public key (no log entry).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyBundle<'a> {
    media_type: &'static str,
    verification_material: KeyMaterial<'a>,
    /// The envelope exactly as signed (its JSON kept as it is).
    dsse_envelope: &'a serde_json::value::RawValue,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyMaterial<'a> {
    public_key: KeyHint<'a>,
    tlog_entries: [(); 0],
}

#[derive(Serialize)]
struct KeyHint<'a> {
    hint: &'a str,
}

fn to_json(what: &str, v: &impl Serialize) -> Result<Vec<u8>, PushError> {
    serde_json::to_vec(v).map_err(|e| PushError::Layout {
        path: what.into(),
        why: e.to_string(),
    })
}

/// One image to place in one repository.
pub struct Job<'a> {
    pub kept: &'a Kept,
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
    pub vsa: Option<&'a Vsa>,
    /// A repository of the same registry that this push already filled: blobs are mounted
    /// from it instead of sent again.
    pub mount_from: Option<String>,
}

struct Session<'a> {
    reg: &'a Registry,
    job: &'a Job<'a>,
    out: Pushed,
    blobs_done: BTreeSet<String>,
    manifests_done: BTreeSet<String>,
}

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(crate::crypto::sha256(bytes)))
}

fn media_type_of(bytes: &[u8]) -> String {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct M {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<M>(bytes) {
        Ok(M {
            media_type: Some(t),
            ..
        }) if !t.is_empty() => t,
        Ok(M {
            manifests: Some(_), ..
        }) => OCI_INDEX.to_string(),
        _ => OCI_MANIFEST.to_string(),
    }
}

/// The referrers tag of a digest (OCI distribution 1.1, "referrers tag schema").
pub fn referrers_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

impl Session<'_> {
    fn repo(&self) -> &str {
        &self.job.repository
    }

    /// One blob: skipped when present, mounted when this push filled another repository with
    /// it, else uploaded from the kept file (the registry checks its digest).
    fn blob(&mut self, d: &Descriptor) -> Result<(), PushError> {
        if !self.blobs_done.insert(d.digest.clone()) {
            return Ok(());
        }
        if self.reg.has_blob(self.repo(), &d.digest)? {
            self.out.blobs_present += 1;
            return Ok(());
        }
        let kept = match self.job.kept.blob(&d.digest) {
            Some(b) => b,
            // A non-distributable layer (`urls`) the layout never held is not ours to send.
            None if !d.urls.is_empty() => return Ok(()),
            None => {
                return Err(PushError::Missing {
                    digest: d.digest.clone(),
                })
            }
        };
        if kept.size != d.size {
            return Err(PushError::Layout {
                path: kept.path,
                why: format!("{} bytes, the manifest says {}", kept.size, d.size),
            });
        }
        let location = match &self.job.mount_from {
            Some(from) => match self.reg.mount(self.repo(), &d.digest, from)? {
                None => {
                    self.out.blobs_mounted += 1;
                    return Ok(());
                }
                Some(loc) => loc,
            },
            None => self.reg.start_upload(self.repo())?,
        };
        self.reg.finish_upload(
            self.repo(),
            &location,
            &d.digest,
            Content::File(&kept.path, kept.size),
        )?;
        self.out.blobs_uploaded += 1;
        self.out.bytes_uploaded += kept.size;
        Ok(())
    }

    /// Bytes airlock made (a VSA, an empty config): uploaded unless present.
    fn blob_bytes(&mut self, bytes: &[u8]) -> Result<Descriptor, PushError> {
        let digest = digest_of(bytes);
        if self.blobs_done.insert(digest.clone()) && !self.reg.has_blob(self.repo(), &digest)? {
            let loc = self.reg.start_upload(self.repo())?;
            self.reg
                .finish_upload(self.repo(), &loc, &digest, Content::Bytes(bytes))?;
            self.out.blobs_uploaded += 1;
            self.out.bytes_uploaded += bytes.len() as u64;
        }
        Ok(Descriptor {
            media_type: String::new(),
            digest,
            size: bytes.len() as u64,
            annotations: BTreeMap::new(),
            artifact_type: None,
            platform: None,
            urls: Vec::new(),
        })
    }

    /// A manifest or index from the kept layout, with everything it references that the layout
    /// holds, put by digest. Returns its media type and bytes.
    fn tree(&mut self, digest: &str) -> Result<Manifest, PushError> {
        let bytes = self.job.kept.manifest(digest)?;
        let media_type = media_type_of(&bytes);
        let m = Manifest { media_type, bytes };
        if self.manifests_done.contains(digest) {
            return Ok(m);
        }
        if is_index_media_type(&m.media_type) {
            let index: crate::oci::ImageIndex =
                serde_json::from_slice(&m.bytes).map_err(|e| PushError::Layout {
                    path: digest.into(),
                    why: format!("not an image index: {e}"),
                })?;
            for child in &index.manifests {
                if self.job.kept.blob(&child.digest).is_some() {
                    self.tree(&child.digest)?;
                } else {
                    self.out.absent.push(child.digest.clone());
                }
            }
        } else {
            let manifest: crate::oci::ImageManifest =
                serde_json::from_slice(&m.bytes).map_err(|e| PushError::Layout {
                    path: digest.into(),
                    why: format!("not an image manifest: {e}"),
                })?;
            self.blob(&manifest.config)?;
            for l in &manifest.layers {
                self.blob(l)?;
            }
        }
        self.reg.put_manifest(self.repo(), digest, &m)?;
        self.manifests_done.insert(digest.to_string());
        self.out.manifests.push(digest.to_string());
        Ok(m)
    }

    /// Lists `referrer` under its subject's referrers tag (when the registry keeps no referrers
    /// itself): the index there gains the descriptor, once.
    fn list_referrer(&mut self, subject: &str, referrer: &Descriptor) -> Result<String, PushError> {
        let tag = referrers_tag(subject);
        let mut index = match self.reg.get_manifest(self.repo(), &tag)? {
            Some(m) => serde_json::from_slice::<serde_json::Value>(&m.bytes).unwrap_or_default(),
            None => serde_json::Value::Null,
        };
        // Free-form on purpose: the index the registry holds is kept as it is (fields airlock
        // does not know included), only a descriptor is added.
        if !index.is_object() || index.get("manifests").and_then(|m| m.as_array()).is_none() {
            index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [],
            });
        }
        let present = index["manifests"]
            .as_array()
            .is_some_and(|l| l.iter().any(|d| d["digest"] == referrer.digest.as_str()));
        if !present {
            let d = serde_json::to_value(referrer).map_err(|e| PushError::Layout {
                path: tag.clone().into(),
                why: e.to_string(),
            })?;
            if let Some(list) = index["manifests"].as_array_mut() {
                list.push(d);
            }
            let bytes = serde_json::to_vec(&index).map_err(|e| PushError::Layout {
                path: tag.clone().into(),
                why: e.to_string(),
            })?;
            self.reg.put_manifest(
                self.repo(),
                &tag,
                &Manifest {
                    media_type: OCI_INDEX.to_string(),
                    bytes,
                },
            )?;
        }
        Ok(tag)
    }

    /// A referrer put by digest and, without the referrers API, listed under the tag schema.
    fn referrer(&mut self, subject: &str, d: &Descriptor, kind: &str) -> Result<(), PushError> {
        self.tree(&d.digest)?;
        let tag = if self.out.referrers_api {
            None
        } else {
            Some(self.list_referrer(subject, d)?)
        };
        self.out.evidence.push(PushedEvidence {
            kind: kind.to_string(),
            digest: d.digest.clone(),
            tag,
        });
        Ok(())
    }

    /// The `.att` image with the VSA as one more DSSE layer (as `cosign attest` appends): the
    /// layers of the `.att` image that arrived (or that the registry holds), then the VSA's.
    fn vsa_attestation(
        &mut self,
        subject: &str,
        arrived_att: Option<&[u8]>,
        vsa: &Vsa,
    ) -> Result<(), PushError> {
        let tag = format!("{}.att", referrers_tag(subject));
        let base: Option<Vec<u8>> = match arrived_att {
            Some(b) => Some(b.to_vec()),
            None => self
                .reg
                .get_manifest(self.repo(), &tag)?
                .map(|m| m.bytes)
                .filter(|b| !is_index_media_type(&media_type_of(b))),
        };
        let mut layers: Vec<Descriptor> = base
            .as_deref()
            .and_then(|b| serde_json::from_slice::<crate::oci::ImageManifest>(b).ok())
            .map(|m| m.layers)
            .unwrap_or_default();
        let mut layer = self.blob_bytes(&vsa.envelope)?;
        layer.media_type = crate::oci::DSSE_ENVELOPE.to_string();
        layer
            .annotations
            .insert(PREDICATE_ANNOTATION.to_string(), vsa.predicate_type.clone());
        if !layers.iter().any(|l| l.digest == layer.digest) {
            layers.push(layer);
        }
        // An image config naming the layers, as cosign writes for its `.att` images.
        let config_bytes = to_json(
            &tag,
            &AttConfig {
                architecture: "",
                os: "",
                config: BTreeMap::new(),
                rootfs: RootFs {
                    type_: "layers",
                    diff_ids: layers.iter().map(|l| l.digest.clone()).collect(),
                },
            },
        )?;
        let mut config_desc = self.blob_bytes(&config_bytes)?;
        config_desc.media_type = "application/vnd.oci.image.config.v1+json".to_string();
        let bytes = to_json(
            &tag,
            &ManifestOut {
                schema_version: 2,
                media_type: OCI_MANIFEST,
                artifact_type: None,
                config: &config_desc,
                layers: &layers,
                subject: None,
                annotations: BTreeMap::new(),
            },
        )?;
        let digest = digest_of(&bytes);
        let m = Manifest {
            media_type: OCI_MANIFEST.to_string(),
            bytes,
        };
        self.reg.put_manifest(self.repo(), &digest, &m)?;
        self.reg.put_manifest(self.repo(), &tag, &m)?;
        self.out.evidence.push(PushedEvidence {
            kind: "vsa-attestation".into(),
            digest,
            tag: Some(tag),
        });
        Ok(())
    }

    /// The VSA as a Sigstore bundle v0.3 (public-key verification material, no log entry: the
    /// deployment key is the site's own) attached to the image as a referrer.
    fn vsa_bundle(&mut self, subject: &Descriptor, vsa: &Vsa) -> Result<(), PushError> {
        let envelope: &serde_json::value::RawValue = serde_json::from_slice(&vsa.envelope)
            .map_err(|e| PushError::Layout {
                path: "vsa".into(),
                why: e.to_string(),
            })?;
        let bundle_bytes = to_json(
            "vsa",
            &KeyBundle {
                media_type: BUNDLE_V03,
                verification_material: KeyMaterial {
                    public_key: KeyHint {
                        hint: &vsa.key_hint,
                    },
                    tlog_entries: [],
                },
                dsse_envelope: envelope,
            },
        )?;
        let mut layer = self.blob_bytes(&bundle_bytes)?;
        layer.media_type = BUNDLE_V03.to_string();
        let mut config = self.blob_bytes(EMPTY_JSON)?;
        config.media_type = EMPTY_CONFIG.to_string();
        let annotations: BTreeMap<&str, &str> = [
            ("dev.sigstore.bundle.content", "dsse-envelope"),
            (
                "dev.sigstore.bundle.predicateType",
                vsa.predicate_type.as_str(),
            ),
            (
                "org.opencontainers.image.created",
                vsa.time_verified.as_str(),
            ),
        ]
        .into_iter()
        .collect();
        let bytes = to_json(
            "vsa",
            &ManifestOut {
                schema_version: 2,
                media_type: OCI_MANIFEST,
                artifact_type: Some(BUNDLE_V03),
                config: &config,
                layers: std::slice::from_ref(&layer),
                subject: Some(subject),
                annotations: annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
        )?;
        let digest = digest_of(&bytes);
        let m = Manifest {
            media_type: OCI_MANIFEST.to_string(),
            bytes: bytes.clone(),
        };
        self.reg.put_manifest(self.repo(), &digest, &m)?;
        self.out.vsa_digest = Some(digest.clone());
        let d = Descriptor {
            media_type: OCI_MANIFEST.to_string(),
            digest: digest.clone(),
            size: bytes.len() as u64,
            annotations: annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            artifact_type: Some(BUNDLE_V03.to_string()),
            platform: None,
            urls: Vec::new(),
        };
        let tag = if self.out.referrers_api {
            None
        } else {
            Some(self.list_referrer(&subject.digest, &d)?)
        };
        self.out.evidence.push(PushedEvidence {
            kind: "vsa-bundle".into(),
            digest,
            tag,
        });
        Ok(())
    }
}

/// Places one image, its evidence and its VSA in one repository.
pub fn push(reg: &Registry, job: &Job<'_>) -> Result<Pushed, PushError> {
    let mut s = Session {
        reg,
        job,
        out: Pushed {
            repository: job.repository.clone(),
            ..Pushed::default()
        },
        blobs_done: BTreeSet::new(),
        manifests_done: BTreeSet::new(),
    };
    let top = s.tree(&job.digest)?;
    for tag in &job.tags {
        reg.put_manifest(&job.repository, tag, &top)?;
        s.out.tags.push(tag.clone());
    }
    s.out.referrers_api = reg.has_referrers_api(&job.repository, &job.digest)?;

    // The image and the platform manifests it holds: evidence may be about any of them.
    let mut subjects: Vec<String> = vec![job.digest.clone()];
    subjects.extend(
        s.out
            .manifests
            .iter()
            .filter(|d| **d != job.digest)
            .cloned(),
    );

    // Legacy tag-convention evidence. An entry without a tag (`cosign save` writes only a
    // `kind`) belongs to the one image of its layout.
    let mut arrived_att: Option<Vec<u8>> = None;
    for l in &job.kept.layouts {
        let images: Vec<&Descriptor> = l
            .index
            .manifests
            .iter()
            .filter(|d| crate::oci::is_artifact_entry(d))
            .collect();
        for d in &l.index.manifests {
            let Some((suffix, subject)) = crate::oci::evidence_tag(d) else {
                continue;
            };
            let subject = match subject {
                Some(s) => s,
                None if images.len() == 1 => images[0].digest.clone(),
                None => continue,
            };
            if !subjects.contains(&subject) {
                continue;
            }
            let m = s.tree(&d.digest)?;
            let tag = format!("{}{suffix}", referrers_tag(&subject));
            if suffix == ".att" && subject == job.digest && job.vsa.is_some() {
                // The `.att` tag will name the same layers plus the VSA's (below).
                arrived_att = Some(m.bytes);
            } else {
                reg.put_manifest(&job.repository, &tag, &m)?;
            }
            let kind = match suffix {
                ".sig" => "signature",
                ".att" => "attestation",
                _ => "sbom",
            };
            s.out.evidence.push(PushedEvidence {
                kind: kind.into(),
                digest: d.digest.clone(),
                tag: Some(tag),
            });
        }
    }

    // Referrers (Sigstore bundles, SBOMs, …), as they arrived.
    let referrers = job.kept.referrers();
    for subject in &subjects {
        for d in referrers.get(subject).into_iter().flatten() {
            s.referrer(subject, d, "referrer")?;
        }
    }

    if let Some(vsa) = job.vsa {
        s.vsa_attestation(&job.digest, arrived_att.as_deref(), vsa)?;
        let subject = Descriptor {
            media_type: top.media_type.clone(),
            digest: job.digest.clone(),
            size: top.bytes.len() as u64,
            annotations: BTreeMap::new(),
            artifact_type: None,
            platform: None,
            urls: Vec::new(),
        };
        s.vsa_bundle(&subject, vsa)?;
    }
    Ok(s.out)
}
