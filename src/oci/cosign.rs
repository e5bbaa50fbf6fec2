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
    annotation, kind_tag, legacy, sha256_hex, Descriptor, ImageManifest, KindTag, DSSE_ENVELOPE,
    HELM_CONFIG, SIMPLE_SIGNING,
};
use crate::evidence::{Evidence, Material, RawPart};
use crate::limits;
use crate::reference::{self, NameRef, NameSource};

/// What kind of artifact a layout entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    Image,
    ImageIndex,
    HelmChart,
    /// A file Hauler stores as an OCI artifact (`hauler store add file`).
    File,
}

/// A platform an index names that the layout does not hold: reported, never verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbsentPlatform {
    pub digest: String,
    /// `os/architecture[/variant]`, or `unknown` when the index says none.
    pub platform: String,
}

impl AbsentPlatform {
    fn of(d: &Descriptor) -> Self {
        let p = d.platform.as_ref();
        let field = |k: &str| {
            p.and_then(|p| p.get(k))
                .and_then(|v| v.as_str())
                .map(crate::text::escape)
        };
        let platform = match (field("os"), field("architecture")) {
            (Some(os), Some(arch)) => match field("variant") {
                Some(v) => format!("{os}/{arch}/{v}"),
                None => format!("{os}/{arch}"),
            },
            _ => "unknown".to_string(),
        };
        AbsentPlatform {
            digest: d.digest.clone(),
            platform,
        }
    }
}

/// An artifact of a layout.
#[derive(Debug, Clone)]
pub struct OciArtifact {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    pub kind: ArtifactKind,
    /// Names from the layout (`io.containerd.image.name`, `org.opencontainers.image.ref.name`
    /// when a full reference, `org.opencontainers.image.base.name`, Docker's `RepoTags`) and, for
    /// charts, `name` and `name:version`. All unsigned.
    pub names: Vec<NameRef>,
    /// Helm chart name and version, from its config.
    pub chart: Option<(String, String)>,
    /// The platform manifests of an index that the layout holds (checked, listed).
    pub children: Vec<String>,
    /// The platform manifests of an index that the layout does not hold.
    pub absent: Vec<AbsentPlatform>,
}

/// Evidence that names something the layout does not hold, or that cannot be bound.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// A referrer Hauler stored under the image's name (`dev.hauler/referrers/<hex>`).
    Referrer,
    /// An SBOM attached by cosign's `.sbom` tag convention: not evidence of who signed.
    Sbom,
}

fn role_of(d: &Descriptor) -> Role {
    let kind = d
        .annotations
        .get(annotation::KIND)
        .map_or(KindTag::Other, |k| kind_tag(k));
    // The tag may be in any naming annotation: `ref.name` (cosign, oras), `base.name` (crane and
    // Zarf <= 0.49 write only that one), the containerd name.
    let names: Vec<&str> = [
        annotation::REF_NAME,
        annotation::BASE_NAME,
        annotation::CONTAINERD_NAME,
    ]
    .iter()
    .filter_map(|k| d.annotations.get(*k).map(String::as_str))
    .collect();
    let tagged = |suffix: &str| names.iter().copied().find(|n| n.ends_with(suffix));
    let name = names.first().copied().unwrap_or("");
    if kind == KindTag::Sigs || tagged(".sig").is_some() {
        return Role::Signatures(tagged(".sig").and_then(|n| tag_subject(n, ".sig")));
    }
    if kind == KindTag::Atts || tagged(".att").is_some() {
        return Role::Attestations(tagged(".att").and_then(|n| tag_subject(n, ".att")));
    }
    if kind == KindTag::Sboms || tagged(".sbom").is_some() {
        return Role::Sbom;
    }
    if kind == KindTag::Referrer {
        return Role::Referrer;
    }
    if super::is_index_media_type(&d.media_type) {
        if let Some(s) = tag_subject(name, "") {
            return Role::ReferrersIndex(s);
        }
    }
    Role::Artifact
}

/// A cosign tag-convention entry of an index (`.sig`, `.att` or `.sbom`): its suffix and, when
/// its tag names one, the digest it is about (`cosign save` writes only a `kind`, no tag).
pub fn evidence_tag(d: &Descriptor) -> Option<(&'static str, Option<String>)> {
    let tagged = |suffix: &str| {
        [
            annotation::REF_NAME,
            annotation::BASE_NAME,
            annotation::CONTAINERD_NAME,
        ]
        .iter()
        .filter_map(|k| d.annotations.get(*k))
        .find_map(|n| tag_subject(n, suffix))
    };
    match role_of(d) {
        Role::Signatures(s) => Some((".sig", s)),
        Role::Attestations(s) => Some((".att", s)),
        Role::Sbom => Some((".sbom", tagged(".sbom"))),
        _ => None,
    }
}

/// Whether an index entry is an image or an image index the layout names as an artifact
/// (`kind` image or imageIndex, or no cosign role at all).
pub fn is_artifact_entry(d: &Descriptor) -> bool {
    matches!(role_of(d), Role::Artifact)
}

/// The names an index entry gives its manifest (unsigned: whoever wrote the stick wrote them).
fn entry_names(d: &Descriptor) -> Vec<String> {
    let get = |k: &str| d.annotations.get(k).map(String::as_str);
    let mut out = Vec::new();
    let containerd = get(annotation::CONTAINERD_NAME).filter(|n| reference::parse(n).is_some());
    if let Some(n) = containerd {
        out.push(n.to_string());
    }
    // `ref.name` is a full reference for oras and Zarf >= 0.50; Docker writes a bare tag there,
    // and Hauler the name without its registry beside the full one in the containerd name.
    if let Some(n) = get(annotation::REF_NAME).filter(|n| reference::is_layout_name(n)) {
        let has_registry = reference::parse(n).is_some_and(|r| n.starts_with(&r.registry));
        if containerd.is_none() || has_registry {
            out.push(n.to_string());
        }
    }
    if let Some(n) = get(annotation::BASE_NAME).filter(|n| reference::is_layout_name(n)) {
        out.push(n.to_string());
    }
    out.dedup();
    out
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

/// The key an entry is known by for Hauler's binding of evidence stored under the image's own
/// name: its containerd name, else its `ref.name`.
fn binding_name(d: &Descriptor) -> Option<&str> {
    d.annotations
        .get(annotation::CONTAINERD_NAME)
        .or_else(|| d.annotations.get(annotation::REF_NAME))
        .map(String::as_str)
        .filter(|n| !n.is_empty())
}

/// Finds the artifacts of a checked layout and binds every piece of evidence to its subject.
pub fn find(layout: &Layout, staging: &Path) -> Found {
    let mut f = Finder {
        layout,
        staging,
        found: Found::default(),
    };
    // The entries `cosign save` and Hauler annotated as images: what `.sig`/`.att` manifests
    // without a tag bind to (by name for Hauler, which stores them under the image's own name;
    // the single one for cosign save).
    let saved: Vec<&Descriptor> = layout
        .index
        .manifests
        .iter()
        .filter(|d| {
            d.annotations
                .get(annotation::KIND)
                .is_some_and(|k| matches!(kind_tag(k), KindTag::Image | KindTag::Index))
        })
        .collect();
    let mut saved_by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for d in &saved {
        if let Some(n) = binding_name(d) {
            saved_by_name
                .entry(n)
                .or_default()
                .insert(d.digest.as_str());
        }
    }
    let saved_digests: BTreeSet<&str> = saved.iter().map(|d| d.digest.as_str()).collect();
    let saved_subject = match saved_digests.len() {
        1 => saved_digests.iter().next().map(|d| d.to_string()),
        _ => None,
    };
    let subject_for = |d: &Descriptor, tag: Option<String>| -> Option<String> {
        tag.or_else(|| {
            let by_name = binding_name(d).and_then(|n| saved_by_name.get(n));
            match by_name {
                Some(set) if set.len() == 1 => set.iter().next().map(|s| s.to_string()),
                _ => saved_subject.clone(),
            }
        })
    };
    let mut artifact_digests = BTreeSet::new();
    // Names by manifest digest; an artifact entry listed twice under two names has both.
    let mut names: BTreeMap<String, Vec<NameRef>> = BTreeMap::new();
    for d in &layout.index.manifests {
        if let Role::Artifact = role_of(d) {
            let n = names.entry(d.digest.clone()).or_default();
            for v in entry_names(d) {
                let r = NameRef::new(v, NameSource::Layout);
                if !n.contains(&r) {
                    n.push(r);
                }
            }
        }
    }
    // Docker's manifest.json names images by their config.
    let docker_names: BTreeMap<String, Vec<String>> = layout
        .docker
        .iter()
        .filter_map(|i| i.config_digest().map(|c| (c, i.names())))
        .collect();
    let config_of = |digest: &str| -> Option<&str> {
        match layout.nodes.get(digest) {
            Some(Node::Manifest { manifest, .. }) => Some(manifest.config.digest.as_str()),
            _ => None,
        }
    };
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
                    absent: layout
                        .absent
                        .get(&d.digest)
                        .map(|v| v.iter().map(AbsentPlatform::of).collect())
                        .unwrap_or_default(),
                };
                // Docker's RepoTags, matched through the config of the image (or of each
                // platform of an index).
                let configs: Vec<&str> = match node {
                    Node::Index { index, .. } => index
                        .manifests
                        .iter()
                        .filter_map(|c| config_of(&c.digest))
                        .collect(),
                    Node::Manifest { manifest, .. } => vec![manifest.config.digest.as_str()],
                };
                for c in configs {
                    for n in docker_names.get(c).into_iter().flatten() {
                        let r = NameRef::new(n.clone(), NameSource::Layout);
                        if !a.names.iter().any(|x| x.name == r.name) {
                            a.names.push(r);
                        }
                    }
                }
                match node {
                    Node::Index { index, .. } => {
                        a.kind = ArtifactKind::ImageIndex;
                        a.children = index
                            .manifests
                            .iter()
                            .filter(|c| layout.nodes.contains_key(&c.digest))
                            .map(|c| c.digest.clone())
                            .collect();
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
                                a.names.insert(
                                    0,
                                    NameRef::new(
                                        format!("{}:{}", c.name, c.version),
                                        NameSource::Layout,
                                    ),
                                );
                                a.names
                                    .push(NameRef::new(c.name.clone(), NameSource::Layout));
                                a.chart = Some((c.name, c.version));
                            }
                        }
                    }
                    Node::Manifest { manifest, .. }
                        if super::is_hauler_file_config(&manifest.config.media_type) =>
                    {
                        a.kind = ArtifactKind::File;
                    }
                    Node::Manifest { .. } => {}
                }
                f.found.artifacts.push(a);
            }
            Role::Signatures(tag) | Role::Attestations(tag) => {
                let how = if d.annotations.contains_key(annotation::KIND) {
                    "kind annotation"
                } else {
                    "cosign tag"
                };
                let subject = subject_for(d, tag);
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
            Role::Referrer => {
                // With a `subject`, found by the referrers pass below; without one (registries
                // that drop it), bound to the image stored under the same name.
                if let Some(Node::Manifest { manifest, .. }) = layout.nodes.get(&d.digest) {
                    if manifest.subject.is_none() {
                        let subject = subject_for(d, None);
                        f.evidence_layers(
                            &d.digest,
                            manifest,
                            subject.as_deref(),
                            "kind annotation",
                        );
                    }
                }
            }
            Role::Sbom => {}
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
    // Bind check: evidence about a digest this layout does not hold as an artifact. Reported
    // once per manifest (a `.sig` of an absent image with three layers is one orphan).
    let known: BTreeSet<String> = f
        .found
        .artifacts
        .iter()
        .flat_map(|a| std::iter::once(a.digest.clone()).chain(a.children.iter().cloned()))
        .collect();
    let absent: BTreeSet<&str> = layout
        .absent
        .values()
        .flatten()
        .map(|d| d.digest.as_str())
        .collect();
    let mut kept = Vec::new();
    let mut reported = BTreeSet::new();
    for (subject, ev) in std::mem::take(&mut f.found.evidence) {
        if known.contains(&subject) {
            kept.push((subject, ev));
            continue;
        }
        let manifest_origin = ev
            .origin
            .rsplit_once(", layer ")
            .map_or(ev.origin.as_str(), |(m, _)| m)
            .to_string();
        if !reported.insert((manifest_origin.clone(), subject.clone())) {
            continue;
        }
        let why = if subject.is_empty() {
            "it names no subject and the layout has no single saved image to bind it to".to_string()
        } else if absent.contains(subject.as_str()) {
            format!("it is about {subject}, a platform this partial export does not hold")
        } else {
            format!("it is about {subject}, which this layout does not hold")
        };
        f.found.orphans.push(Orphan {
            origin: manifest_origin,
            subject,
            why,
        });
    }
    f.found.evidence = kept;
    f.found.unreferenced = layout
        .unreferenced()
        .into_iter()
        .map(str::to_string)
        .collect();
    f.found
}
