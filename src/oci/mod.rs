//! OCI image layouts in a staging folder: `oci-layout`, `index.json`, manifests and blobs, and
//! what cosign stores beside an image (`.sig` / `.att` tags, Sigstore bundles as referrers).
//!
//! Owns: the OCI image-spec JSON shapes (Docker's media types read as their OCI equivalents),
//! the manifest graph (every blob checked against its digest and size, cycles and duplicates
//! refused), finding referrers by their `subject` (cosign save rewrites `index.json`, so they may
//! be present only as blobs), and turning cosign's legacy annotations into the verifier's own
//! bundle type. Must not touch: crypto, the trust root, the policy, the clock, the database.
//! Files are read only inside the staging folder it is given.

mod cosign;
mod layout;
pub mod legacy;
pub mod naming;

pub use cosign::{
    evidence_tag, find, is_artifact_entry, AbsentPlatform, ArtifactKind, Found, OciArtifact, Orphan,
};
pub use layout::{read_docker_manifest, read_layout, DockerImage, Layout, Node};

use std::collections::BTreeMap;

use serde::Deserialize;

/// Why a layout cannot be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum OciError {
    #[error("{layout}: {what} is not valid: {why}")]
    Malformed {
        layout: String,
        what: String,
        why: String,
    },
    #[error("{layout}: blob {digest} is missing (named by {by})")]
    BlobMissing {
        layout: String,
        digest: String,
        by: String,
    },
    #[error(
        "{layout}: blob {path} does not match its digest (its content hashes to sha256:{actual})"
    )]
    BlobDigestMismatch {
        layout: String,
        path: String,
        actual: String,
    },
    #[error("{layout}: blob {digest} is {actual} bytes, but {by} says {expected}")]
    BlobSizeMismatch {
        layout: String,
        digest: String,
        expected: u64,
        actual: u64,
        by: String,
    },
    #[error("{layout}: manifest {digest} refers back to itself through {path}")]
    Cycle {
        layout: String,
        digest: String,
        path: String,
    },
    #[error("{layout}: index.json lists {digest} twice{tag}")]
    DuplicateManifest {
        layout: String,
        digest: String,
        tag: String,
    },
    #[error("{layout}: {what} exceeds the limit of {limit}")]
    TooMany {
        layout: String,
        what: String,
        limit: usize,
    },
    #[error("{layout}: unsupported {what}: {value}")]
    Unsupported {
        layout: String,
        what: String,
        value: String,
    },
}

impl OciError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "oci-malformed",
            Self::BlobMissing { .. } => "blob-missing",
            Self::BlobDigestMismatch { .. } => "blob-digest-mismatch",
            Self::BlobSizeMismatch { .. } => "blob-size-mismatch",
            Self::Cycle { .. } => "manifest-cycle",
            Self::DuplicateManifest { .. } => "duplicate-manifest",
            Self::TooMany { .. } => "oci-over-limit",
            Self::Unsupported { .. } => "oci-unsupported",
        }
    }
}

// ---- media types (OCI image-spec v1.1, Docker image manifest v2 schema 2, cosign) ----

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
pub const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// Sigstore bundle media types accepted as referrer artifact types and layers.
pub fn is_bundle_media_type(mt: &str) -> bool {
    crate::bundle::BundleVersion::from_media_type(mt).is_some()
}

/// cosign's annotations (pkg/oci/static, pkg/cosign/bundle).
pub mod annotation {
    pub const SIGNATURE: &str = "dev.cosignproject.cosign/signature";
    pub const CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
    pub const CHAIN: &str = "dev.sigstore.cosign/chain";
    pub const BUNDLE: &str = "dev.sigstore.cosign/bundle";
    pub const RFC3161: &str = "dev.sigstore.cosign/rfc3161timestamp";
    pub const KIND: &str = "kind";
    pub const KIND_IMAGE: &str = "dev.cosignproject.cosign/image";
    pub const KIND_INDEX: &str = "dev.cosignproject.cosign/imageIndex";
    pub const KIND_SIGS: &str = "dev.cosignproject.cosign/sigs";
    pub const KIND_ATTS: &str = "dev.cosignproject.cosign/atts";
    pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
    pub const CONTAINERD_NAME: &str = "io.containerd.image.name";
    /// crane and Zarf <= 0.49 write an image's name only here.
    pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
    /// Hauler (pkg/consts/consts.go) since March 2026; before, the `dev.cosignproject.cosign/`
    /// prefix with the same suffixes (`NormalizeLegacyKind`).
    pub const HAULER_PREFIX: &str = "dev.hauler/";
    pub const COSIGN_PREFIX: &str = "dev.cosignproject.cosign/";
}

/// What a `kind` annotation says an index entry is, whichever prefix wrote it (cosign save,
/// Hauler before and since March 2026).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindTag {
    Image,
    Index,
    Sigs,
    Atts,
    Sboms,
    Referrer,
    Other,
}

/// Reads a `kind` annotation.
pub fn kind_tag(kind: &str) -> KindTag {
    let suffix = kind
        .strip_prefix(annotation::HAULER_PREFIX)
        .or_else(|| kind.strip_prefix(annotation::COSIGN_PREFIX));
    match suffix {
        Some("image") => KindTag::Image,
        Some("imageIndex") => KindTag::Index,
        Some("sigs") => KindTag::Sigs,
        Some("atts") => KindTag::Atts,
        Some("sboms") => KindTag::Sboms,
        Some(s) if s == "referrers" || s.starts_with("referrers/") => KindTag::Referrer,
        _ => KindTag::Other,
    }
}

/// Hauler's file artifacts (pkg/consts: `application/vnd.content.hauler.file.*.config.v1+json`).
pub fn is_hauler_file_config(mt: &str) -> bool {
    mt.starts_with("application/vnd.content.hauler.file.") && mt.ends_with(".config.v1+json")
}

/// Docker 25.0 wrote `"manifests": null` in `index.json`: read as no entries.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Whether a manifest media type is an index (OCI or Docker manifest list).
pub fn is_index_media_type(mt: &str) -> bool {
    mt == OCI_INDEX || mt == DOCKER_MANIFEST_LIST
}

/// Whether a manifest media type is an image manifest (OCI or Docker schema 2).
pub fn is_manifest_media_type(mt: &str) -> bool {
    mt == OCI_MANIFEST || mt == DOCKER_MANIFEST
}

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

/// An image manifest (OCI or Docker schema 2).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (OCI or Docker manifest list).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub manifests: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// The hex of a `sha256:<64 lowercase hex>` digest, or `None`.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hex)
}

#[cfg(test)]
mod tests;
