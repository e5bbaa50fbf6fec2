//! What a checked layout holds: the artifacts (images, image indexes, Helm charts) and the
//! evidence about them that cosign stores beside them, each bound to the digest it is about.
//!
//! Where cosign puts evidence:
//! - legacy `.sig` / `.att` manifests, tagged `sha256-<hex>.sig` / `.att` in a registry, and
//!   annotated `kind: dev.cosignproject.cosign/sigs|atts` by `cosign save` (which then binds
//!   them to the entry annotated `kind: dev.cosignproject.cosign/image|imageIndex`);
//! - referrers: manifests whose `subject` names the artifact, with artifact type
//!   `application/vnd.dev.sigstore.bundle.v0.3+json` (one layer: the bundle), or cosign's
//!   attestation referrers (DSSE layers with the legacy annotations), or an index tagged
//!   `sha256-<hex>` (the referrers tag schema).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::layout::{Layout, Node};
use super::{
    annotation, legacy, sha256_hex, Descriptor, ImageManifest, DSSE_ENVELOPE, HELM_CONFIG,
    SIMPLE_SIGNING,
};
use crate::evidence::{Evidence, Material, RawPart};
use crate::limits;

/// What kind of artifact a layout entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    Image,
    ImageIndex,
    HelmChart,
}

/// An artifact of a layout.
#[derive(Debug, Clone)]
pub struct OciArtifact {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    pub kind: ArtifactKind,
    /// Names from the layout's annotations (`org.opencontainers.image.ref.name`,
    /// `io.containerd.image.name`) and, for charts, `name` and `name:version`.
    pub names: Vec<String>,
    /// Helm chart name and version, from its config.
    pub chart: Option<(String, String)>,
    /// The platform manifests of an index (checked, listed).
    pub children: Vec<String>,
}

/// Evidence that names something the layout does not hold, or that cannot be bound.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Orphan {
    pub origin: String,
    pub subject: String,
    pub why: String,
}

/// Everything found in one layout.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub artifacts: Vec<OciArtifact>,
    /// (subject digest, evidence).
    pub evidence: Vec<(String, Evidence)>,
    pub orphans: Vec<Orphan>,
    pub unreferenced: Vec<String>,
}

fn short(d: &str) -> &str {
    d.get(7..19).unwrap_or(d)
}

/// The digest named by a cosign tag: `sha256-<hex>.sig` / `.att` / (referrers) `sha256-<hex>`,
/// possibly as the tail of a full reference (`registry/repo:sha256-<hex>.sig`).
fn tag_subject(ref_name: &str, suffix: &str) -> Option<String> {
    let tag = ref_name.rsplit([':', '/']).next().unwrap_or(ref_name);
    let hex = tag.strip_prefix("sha256-")?.strip_suffix(suffix)?;
    let d = format!("sha256:{hex}");
    if sha256_hex(&d).is_some() {
        Some(d)
    } else {
        None
    }
}

enum Role {
    Artifact,
    Signatures(Option<String>),
    Attestations(Option<String>),
    ReferrersIndex(String),
}

fn role_of(d: &Descriptor) -> Role {
    let kind = d.annotations.get(annotation::KIND).map(String::as_str);
    let name = d
        .annotations
        .get(annotation::REF_NAME)
        .map(String::as_str)
        .unwrap_or("");
    if kind == Some(annotation::KIND_SIGS) || name.ends_with(".sig") {
        return Role::Signatures(tag_subject(name, ".sig"));
    }
    if kind == Some(annotation::KIND_ATTS) || name.ends_with(".att") {
        return Role::Attestations(tag_subject(name, ".att"));
    }
    if super::is_index_media_type(&d.media_type) {
        if let Some(s) = tag_subject(name, "") {
            return Role::ReferrersIndex(s);
        }
    }
    Role::Artifact
}

struct Finder<'a> {
    layout: &'a Layout,
    staging: &'a Path,
    found: Found,
}

impl Finder<'_> {
    fn read_blob(&self, digest: &str, cap: u64) -> Result<Vec<u8>, String> {
        crate::input::read_staged(self.staging, &self.layout.blob_path(digest), cap)
    }

    fn origin(&self, manifest: &str, how: &str, layer: usize) -> String {
        format!(
            "{} manifest {} ({how}), layer {layer}",
            self.layout.label,
            short(manifest)
        )
    }

    fn push(&mut self, subject: String, origin: String, material: Material, raw: Vec<RawPart>) {
        self.found.evidence.push((
            subject,
            Evidence {
                origin,
                material,
                raw,
            },
        ));
    }

    /// The evidence layers of a `.sig` / `.att` manifest or of a referrer.
    fn evidence_layers(
        &mut self,
        manifest_digest: &str,
        m: &ImageManifest,
        subject: Option<&str>,
        how: &str,
    ) {
        for (i, l) in m.layers.iter().enumerate() {
            let origin = self.origin(manifest_digest, how, i);
            let bytes = match self.read_blob(&l.digest, limits::MAX_BUNDLE_BYTES) {
                Ok(b) => b,
                Err(e) => {
                    let s = subject.unwrap_or("").to_string();
                    self.push(
                        s,
                        origin,
                        Material::Broken {
                            code: "evidence-unreadable",
                            message: e,
                        },
                        Vec::new(),
                    );
                    continue;
                }
            };
            let mut raw = vec![RawPart {
                label: "layer",
                bytes: bytes.clone(),
            }];
            if !l.annotations.is_empty() {
                if let Ok(a) = serde_json::to_vec(&l.annotations) {
                    raw.push(RawPart {
                        label: "annotations",
                        bytes: a,
                    });
                }
            }
            let material = if l.media_type == SIMPLE_SIGNING {
                legacy::signature_layer(bytes, &l.annotations)
            } else if l.media_type == DSSE_ENVELOPE {
                legacy::attestation_layer(&bytes, &l.annotations)
            } else if super::is_bundle_media_type(&l.media_type) {
                match crate::bundle::Bundle::from_json(&bytes) {
                    Ok(b) => Material::Bundle(Box::new(b)),
                    Err(e) => Material::Broken {
                        code: e.code(),
                        message: format!("the bundle layer: {e}"),
                    },
                }
            } else {
                continue; // other layers of an artifact referrer (an SBOM file, ...) are not evidence
            };
            // A legacy signature names the digest it signs; bind it there when nothing else does.
            let s = match (subject, &material) {
                (Some(s), _) => s.to_string(),
                (None, Material::LegacySignature { claimed_digest, .. }) => claimed_digest.clone(),
                (None, _) => String::new(),
            };
            self.push(s, origin, material, raw);
        }
    }
}

/// Finds the artifacts of a checked layout and binds every piece of evidence to its subject.
pub fn find(layout: &Layout, staging: &Path) -> Found {
    let mut f = Finder {
        layout,
        staging,
        found: Found::default(),
    };
    // The entry `cosign save` annotated as the signed image: what kind-only .sig/.att bind to.
    let saved: Vec<&Descriptor> = layout
        .index
        .manifests
        .iter()
        .filter(|d| {
            matches!(
                d.annotations.get(annotation::KIND).map(String::as_str),
                Some(annotation::KIND_IMAGE | annotation::KIND_INDEX)
            )
        })
        .collect();
    let saved_subject = match saved.as_slice() {
        [one] => Some(one.digest.clone()),
        _ => None,
    };
    let mut artifact_digests = BTreeSet::new();
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &layout.index.manifests {
        if let Role::Artifact = role_of(d) {
            let n = names.entry(d.digest.clone()).or_default();
            for key in [annotation::REF_NAME, annotation::CONTAINERD_NAME] {
                if let Some(v) = d.annotations.get(key) {
                    // A bare tag ("v1", "0.9.0") names no repository: not an image reference.
                    if v.contains('/') {
                        n.push(v.clone());
                    }
                }
            }
        }
    }
    for d in &layout.index.manifests {
        match role_of(d) {
            Role::Artifact => {
                let Some(node) = layout.nodes.get(&d.digest) else {
                    // Not a manifest or index airlock reads (a deprecated artifact manifest, an
                    // unknown type): said, never silently dropped.
                    f.found.orphans.push(Orphan {
                        origin: format!("{} index.json entry {}", layout.label, short(&d.digest)),
                        subject: d.digest.clone(),
                        why: format!(
                            "its media type '{}' is not an OCI or Docker image manifest or index",
                            crate::text::escape(&d.media_type)
                        ),
                    });
                    continue;
                };
                if let Node::Manifest { manifest, .. } = node {
                    if manifest.subject.is_some() {
                        continue; // a referrer listed in index.json: handled below
                    }
                }
                if !artifact_digests.insert(d.digest.clone()) {
                    continue;
                }
                let mut a = OciArtifact {
                    digest: d.digest.clone(),
                    media_type: d.media_type.clone(),
                    size: d.size,
                    kind: ArtifactKind::Image,
                    names: names.remove(&d.digest).unwrap_or_default(),
                    chart: None,
                    children: Vec::new(),
                };
                match node {
                    Node::Index { index, .. } => {
                        a.kind = ArtifactKind::ImageIndex;
                        a.children = index.manifests.iter().map(|c| c.digest.clone()).collect();
                    }
                    Node::Manifest { manifest, .. }
                        if manifest.config.media_type == HELM_CONFIG =>
                    {
                        a.kind = ArtifactKind::HelmChart;
                        if let Ok(bytes) =
                            f.read_blob(&manifest.config.digest, limits::MAX_OCI_JSON_BYTES)
                        {
                            #[derive(serde::Deserialize)]
                            struct Chart {
                                name: String,
                                version: String,
                            }
                            if let Ok(c) = serde_json::from_slice::<Chart>(&bytes) {
                                a.names.insert(0, format!("{}:{}", c.name, c.version));
                                a.names.push(c.name.clone());
                                a.chart = Some((c.name, c.version));
                            }
                        }
                    }
                    Node::Manifest { .. } => {}
                }
                f.found.artifacts.push(a);
            }
            Role::Signatures(tag) | Role::Attestations(tag) => {
                let how = if d.annotations.contains_key(annotation::KIND) {
                    "cosign save kind annotation"
                } else {
                    "cosign tag"
                };
                let subject = tag.or_else(|| saved_subject.clone());
                match layout.nodes.get(&d.digest) {
                    Some(Node::Manifest { manifest, .. }) => {
                        f.evidence_layers(&d.digest, manifest, subject.as_deref(), how)
                    }
                    _ => f.found.orphans.push(Orphan {
                        origin: format!("{} manifest {}", layout.label, short(&d.digest)),
                        subject: subject.unwrap_or_default(),
                        why: "a signature tag that is not an image manifest".into(),
                    }),
                }
            }
            Role::ReferrersIndex(subject) => {
                if let Some(Node::Index { index, .. }) = layout.nodes.get(&d.digest) {
                    for c in &index.manifests {
                        if let Some(Node::Manifest { manifest, .. }) = layout.nodes.get(&c.digest) {
                            f.evidence_layers(&c.digest, manifest, Some(&subject), "referrers tag");
                        }
                    }
                }
            }
        }
    }
    // Referrers: every manifest with a subject, in index.json or found only as a blob.
    for (digest, node) in &layout.nodes {
        let Node::Manifest {
            manifest,
            found_as_blob,
        } = node
        else {
            continue;
        };
        let Some(subject) = &manifest.subject else {
            continue;
        };
        let how = if *found_as_blob {
            "referrer found by its subject"
        } else {
            "referrer"
        };
        f.evidence_layers(digest, manifest, Some(&subject.digest), how);
    }
    // Bind check: evidence about a digest this layout does not hold as an artifact.
    let known: BTreeSet<String> = f
        .found
        .artifacts
        .iter()
        .flat_map(|a| std::iter::once(a.digest.clone()).chain(a.children.iter().cloned()))
        .collect();
    let mut kept = Vec::new();
    for (subject, ev) in std::mem::take(&mut f.found.evidence) {
        if known.contains(&subject) {
            kept.push((subject, ev));
        } else {
            let why = if subject.is_empty() {
                "it names no subject and the layout has no single saved image to bind it to"
                    .to_string()
            } else {
                format!("its subject {subject} is not an artifact of this layout")
            };
            f.found.orphans.push(Orphan {
                origin: ev.origin,
                subject,
                why,
            });
        }
    }
    f.found.evidence = kept;
    f.found.unreferenced = layout
        .unreferenced()
        .into_iter()
        .map(str::to_string)
        .collect();
    f.found
}
