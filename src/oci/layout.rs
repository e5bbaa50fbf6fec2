//! Reading one OCI image layout (image-spec `image-layout.md`) out of the staging folder into a
//! checked manifest graph.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::{
    is_index_media_type, is_manifest_media_type, sha256_hex, Descriptor, ImageIndex, ImageManifest,
    OciError,
};
use crate::archive::StagedFile;
use crate::limits;

/// A manifest or an index of the layout, parsed.
#[derive(Debug, Clone)]
pub enum Node {
    Manifest {
        manifest: ImageManifest,
        /// Reached only as a blob with a `subject` (cosign save drops referrers from index.json).
        found_as_blob: bool,
    },
    Index {
        index: ImageIndex,
        found_as_blob: bool,
    },
}

/// A checked OCI image layout.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The layout's folder in the staging tree (`""` at the top).
    pub dir: String,
    /// For messages: `tarball` or `tarball:dir`.
    pub label: String,
    /// `index.json`.
    pub index: ImageIndex,
    /// Every manifest and index reached, by digest.
    pub nodes: BTreeMap<String, Node>,
    /// Every blob file, by digest, with its size.
    pub blobs: BTreeMap<String, u64>,
    /// Blobs reached from `index.json` or from a referrer found by its subject.
    pub reached: BTreeSet<String>,
    /// Platform manifests an index names that the layout does not hold (`docker save` with the
    /// containerd image store, `oras copy` of one platform), by the index's digest.
    pub absent: BTreeMap<String, Vec<Descriptor>>,
    /// Docker's `manifest.json` beside the layout (`docker save` >= 25, Hauler), if any.
    pub docker: Vec<DockerImage>,
}

/// One entry of Docker's `manifest.json` (moby `image/tarexport`): the image's config and tags.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DockerImage {
    /// `blobs/sha256/<hex>` (Docker >= 25) or `<hex>.json` (legacy).
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(
        rename = "RepoTags",
        default,
        deserialize_with = "super::null_as_empty"
    )]
    pub repo_tags: Vec<String>,
    #[serde(rename = "Layers", default, deserialize_with = "super::null_as_empty")]
    pub layers: Vec<String>,
}

impl DockerImage {
    /// The config's digest, from its path (`blobs/sha256/<hex>` or `<hex>.json`).
    pub fn config_digest(&self) -> Option<String> {
        let name = self.config.rsplit('/').next()?;
        let hex = name.strip_suffix(".json").unwrap_or(name);
        let d = format!("sha256:{hex}");
        sha256_hex(&d).is_some().then_some(d)
    }

    /// Its tags as canonical references (`alpine:latest` → `docker.io/library/alpine:latest`).
    pub fn names(&self) -> Vec<String> {
        self.repo_tags
            .iter()
            .filter_map(|t| crate::reference::parse(t))
            .map(|r| r.canonical())
            .collect()
    }
}

/// Reads Docker's `manifest.json` (capped); `None` when it is not one.
pub fn read_docker_manifest(staging: &Path, rel: &str) -> Option<Vec<DockerImage>> {
    let bytes = crate::input::read_staged(staging, rel, limits::MAX_OCI_JSON_BYTES).ok()?;
    let v: Vec<DockerImage> =
        crate::bundle::json::parse(&bytes, limits::MAX_OCI_JSON_BYTES, limits::MAX_JSON_DEPTH)
            .ok()?;
    (!v.is_empty() && v.len() <= limits::MAX_OCI_MANIFESTS).then_some(v)
}

impl Layout {
    /// Blobs that no manifest reaches: reported, never trusted.
    pub fn unreferenced(&self) -> Vec<&str> {
        self.blobs
            .keys()
            .filter(|d| !self.reached.contains(*d))
            .map(String::as_str)
            .collect()
    }

    /// The staging-relative path of a blob.
    pub fn blob_path(&self, digest: &str) -> String {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        join(&self.dir, &format!("blobs/sha256/{hex}"))
    }
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

struct Reader<'a> {
    staging: &'a Path,
    label: String,
    dir: String,
    blobs: BTreeMap<String, u64>,
    nodes: BTreeMap<String, Node>,
    reached: BTreeSet<String>,
    absent: BTreeMap<String, Vec<Descriptor>>,
}

impl Reader<'_> {
    fn malformed(&self, what: impl Into<String>, why: impl std::fmt::Display) -> OciError {
        OciError::Malformed {
            layout: self.label.clone(),
            what: what.into(),
            why: why.to_string(),
        }
    }

    /// Reads a small JSON file of the layout, capped.
    fn read_json<T: DeserializeOwned>(&self, rel: &str, what: &str) -> Result<T, OciError> {
        let path = self.staging.join(rel);
        let f = std::fs::File::open(&path).map_err(|e| self.malformed(what, e))?;
        let mut buf = Vec::new();
        f.take(limits::MAX_OCI_JSON_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| self.malformed(what, e))?;
        if buf.len() as u64 > limits::MAX_OCI_JSON_BYTES {
            return Err(OciError::TooMany {
                layout: self.label.clone(),
                what: format!("the size of {what}"),
                limit: limits::MAX_OCI_JSON_BYTES as usize,
            });
        }
        crate::bundle::json::parse(&buf, limits::MAX_OCI_JSON_BYTES, limits::MAX_JSON_DEPTH)
            .map_err(|e| self.malformed(what, e))
    }

    /// Checks a descriptor's digest form, presence and size; marks the blob reached.
    fn check_blob(&mut self, d: &Descriptor, by: &str) -> Result<bool, OciError> {
        if sha256_hex(&d.digest).is_none() {
            if d.digest.contains(':') && !d.digest.starts_with("sha256:") {
                return Err(OciError::Unsupported {
                    layout: self.label.clone(),
                    what: "digest algorithm".into(),
                    value: crate::text::escape(&d.digest),
                });
            }
            return Err(self.malformed(
                by,
                format!(
                    "\"{}\" is not a sha256 digest",
                    crate::text::escape(&d.digest)
                ),
            ));
        }
        match self.blobs.get(&d.digest) {
            None => {
                // image-spec: layers with `urls` (foreign, non-distributable) may be absent.
                if !d.urls.is_empty() || d.media_type.contains("nondistributable") {
                    return Ok(false);
                }
                Err(OciError::BlobMissing {
                    layout: self.label.clone(),
                    digest: d.digest.clone(),
                    by: by.to_string(),
                })
            }
            Some(&size) if size != d.size => Err(OciError::BlobSizeMismatch {
                layout: self.label.clone(),
                digest: d.digest.clone(),
                expected: d.size,
                actual: size,
                by: by.to_string(),
            }),
            Some(_) => {
                self.reached.insert(d.digest.clone());
                Ok(true)
            }
        }
    }

    /// Visits a manifest or index descriptor, depth first; `stack` holds the digests above it.
    fn visit(
        &mut self,
        d: &Descriptor,
        by: &str,
        stack: &mut Vec<String>,
        found_as_blob: bool,
    ) -> Result<(), OciError> {
        if stack.contains(&d.digest) {
            let mut path = stack.clone();
            path.push(d.digest.clone());
            return Err(OciError::Cycle {
                layout: self.label.clone(),
                digest: d.digest.clone(),
                path: path.join(" -> "),
            });
        }
        if stack.len() >= limits::MAX_OCI_DEPTH {
            return Err(OciError::TooMany {
                layout: self.label.clone(),
                what: "the nesting of indexes".into(),
                limit: limits::MAX_OCI_DEPTH,
            });
        }
        // A platform manifest of an index that the layout does not hold: `docker save` with the
        // containerd image store and `oras copy --platform` write the whole index but only the
        // platforms they copied. The index (and whatever signs it) names each platform by
        // digest, so the platforms present are still covered; the absent ones are reported.
        if let Some(parent) = stack.last() {
            let names_a_manifest =
                is_manifest_media_type(&d.media_type) || is_index_media_type(&d.media_type);
            if names_a_manifest
                && !self.blobs.contains_key(&d.digest)
                && sha256_hex(&d.digest).is_some()
            {
                let list = self.absent.entry(parent.clone()).or_default();
                if !list.iter().any(|a| a.digest == d.digest) {
                    list.push(d.clone());
                }
                return Ok(());
            }
        }
        if !self.check_blob(d, by)? {
            return Ok(());
        }
        if self.nodes.contains_key(&d.digest) {
            return Ok(());
        }
        if self.nodes.len() >= limits::MAX_OCI_MANIFESTS {
            return Err(OciError::TooMany {
                layout: self.label.clone(),
                what: "the number of manifests".into(),
                limit: limits::MAX_OCI_MANIFESTS,
            });
        }
        let rel = join(
            &self.dir,
            &format!("blobs/sha256/{}", d.digest.trim_start_matches("sha256:")),
        );
        let what = format!("manifest {}", d.digest);
        // image-spec: a descriptor's mediaType is REQUIRED; some writers leave it out of
        // index.json. Then the manifest's own mediaType decides.
        let mut d = d.clone();
        if d.media_type.is_empty() && d.size <= limits::MAX_OCI_JSON_BYTES {
            if let Ok(v) = self.read_json::<serde_json::Value>(&rel, &what) {
                if let Some(m) = v.get("mediaType").and_then(|m| m.as_str()) {
                    d.media_type = m.to_string();
                }
            }
        }
        let d = &d;
        if is_index_media_type(&d.media_type) {
            let index: ImageIndex = self.read_json(&rel, &what)?;
            self.agree(&d.media_type, index.media_type.as_deref(), &what)?;
            if index.manifests.len() > limits::MAX_OCI_MANIFESTS {
                return Err(OciError::TooMany {
                    layout: self.label.clone(),
                    what: format!("the manifests of index {}", d.digest),
                    limit: limits::MAX_OCI_MANIFESTS,
                });
            }
            stack.push(d.digest.clone());
            for (i, child) in index.manifests.iter().enumerate() {
                self.visit(
                    child,
                    &format!("index {} manifests[{i}]", d.digest),
                    stack,
                    found_as_blob,
                )?;
            }
            stack.pop();
            self.nodes.insert(
                d.digest.clone(),
                Node::Index {
                    index,
                    found_as_blob,
                },
            );
        } else if is_manifest_media_type(&d.media_type) {
            let manifest: ImageManifest = self.read_json(&rel, &what)?;
            self.agree(&d.media_type, manifest.media_type.as_deref(), &what)?;
            self.check_blob(&manifest.config, &format!("manifest {} config", d.digest))?;
            if manifest.layers.len() > limits::MAX_OCI_LAYERS {
                return Err(OciError::TooMany {
                    layout: self.label.clone(),
                    what: format!("the layers of manifest {}", d.digest),
                    limit: limits::MAX_OCI_LAYERS,
                });
            }
            for (i, l) in manifest.layers.iter().enumerate() {
                self.check_blob(l, &format!("manifest {} layers[{i}]", d.digest))?;
            }
            self.nodes.insert(
                d.digest.clone(),
                Node::Manifest {
                    manifest,
                    found_as_blob,
                },
            );
        } else if d
            .media_type
            .starts_with("application/vnd.docker.distribution.manifest.v1")
        {
            return Err(OciError::Unsupported {
                layout: self.label.clone(),
                what: "manifest type (Docker schema 1 is signed by nothing Sigstore knows)".into(),
                value: d.media_type.clone(),
            });
        }
        // Any other media type is a plain blob reference (present and of the right size).
        Ok(())
    }

    /// A manifest's own `mediaType`, when present, must be the one its descriptor named.
    fn agree(&self, descriptor: &str, own: Option<&str>, what: &str) -> Result<(), OciError> {
        match own {
            Some(m) if m != descriptor => Err(self.malformed(
                what,
                format!("its mediaType {m} is not the {descriptor} its descriptor names"),
            )),
            _ => Ok(()),
        }
    }
}

/// Reads and checks the layout whose `oci-layout` file is at `dir` in the staging folder.
///
/// image-spec (image-layout.md): "The blobs directory MAY contain blobs which are not referenced
/// by any of the refs"; "The content of a blob MUST match its digest". Every blob is checked
/// against its file name, every descriptor against its blob's size; a referrer kept only as a
/// blob is found by its `subject`.
pub fn read_layout(
    staging: &Path,
    dir: &str,
    files: &[StagedFile],
    label: &str,
) -> Result<Layout, OciError> {
    let mut r = Reader {
        staging,
        label: label.to_string(),
        dir: dir.to_string(),
        blobs: BTreeMap::new(),
        nodes: BTreeMap::new(),
        reached: BTreeSet::new(),
        absent: BTreeMap::new(),
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct OciLayoutFile {
        image_layout_version: String,
    }
    let v: OciLayoutFile = r.read_json(&join(dir, "oci-layout"), "oci-layout")?;
    if !v.image_layout_version.starts_with("1.") {
        return Err(OciError::Unsupported {
            layout: r.label.clone(),
            what: "imageLayoutVersion".into(),
            value: crate::text::escape(&v.image_layout_version),
        });
    }
    // Blob files: blobs/<alg>/<encoded>.
    let prefix = join(dir, "blobs/");
    let mut digests_to_check: Vec<(String, String, [u8; 32])> = Vec::new();
    for f in files {
        let Some(rest) = f.path.strip_prefix(&prefix) else {
            continue;
        };
        let mut parts = rest.split('/');
        let (alg, hex, more) = (parts.next(), parts.next(), parts.next());
        match (alg, hex, more) {
            (Some("sha256"), Some(hex), None) => {
                let digest = format!("sha256:{hex}");
                if sha256_hex(&digest).is_none() {
                    return Err(r.malformed(
                        format!("blob file {}", f.path),
                        "its name is not a sha256 digest",
                    ));
                }
                r.blobs.insert(digest.clone(), f.size);
                digests_to_check.push((f.path.clone(), hex.to_string(), f.sha256));
            }
            (Some(alg), Some(_), None) => {
                return Err(OciError::Unsupported {
                    layout: r.label.clone(),
                    what: "blob digest algorithm".into(),
                    value: crate::text::escape(alg),
                })
            }
            _ => {
                return Err(r.malformed(
                    format!("blob file {}", f.path),
                    "not at blobs/<algorithm>/<digest>",
                ))
            }
        }
    }
    let mut index: ImageIndex = r.read_json(&join(dir, "index.json"), "index.json")?;
    // Docker's manifest.json beside the layout (docker save >= 25, Hauler): names, and the
    // entries themselves when index.json lists none (Docker 25.0 wrote `"manifests": null`).
    let manifest_json = join(dir, "manifest.json");
    let docker = if files.iter().any(|f| f.path == manifest_json) {
        read_docker_manifest(staging, &manifest_json).unwrap_or_default()
    } else {
        Vec::new()
    };
    if index.manifests.is_empty() && !docker.is_empty() {
        index.manifests = r.manifests_by_config(&docker);
    }
    if index.manifests.len() > limits::MAX_OCI_MANIFESTS {
        return Err(OciError::TooMany {
            layout: r.label.clone(),
            what: "the manifests of index.json".into(),
            limit: limits::MAX_OCI_MANIFESTS,
        });
    }
    // Two identical entries (one digest, the same annotations) are a duplicate; one manifest
    // under two names (two tags, or crane-era Zarf's two `base.name` entries) is one artifact
    // with two names.
    let mut seen = BTreeSet::new();
    for d in &index.manifests {
        let tag = d.annotations.get(super::annotation::REF_NAME).cloned();
        if !seen.insert((d.digest.clone(), d.annotations.clone())) {
            return Err(OciError::DuplicateManifest {
                layout: r.label.clone(),
                digest: d.digest.clone(),
                tag: tag
                    .map(|t| format!(" as {}", crate::text::escape(&t)))
                    .unwrap_or_default(),
            });
        }
    }
    let mut stack = Vec::new();
    for (i, d) in index.manifests.iter().enumerate() {
        r.visit(d, &format!("index.json manifests[{i}]"), &mut stack, false)?;
    }
    // Referrers present only as blobs: a manifest or index with a `subject`.
    let unreached: Vec<(String, u64)> = r
        .blobs
        .iter()
        .filter(|(d, _)| !r.reached.contains(*d))
        .map(|(d, s)| (d.clone(), *s))
        .collect();
    for (digest, size) in unreached {
        if !(2..=limits::MAX_OCI_JSON_BYTES).contains(&size) {
            continue;
        }
        let rel = join(
            dir,
            &format!("blobs/sha256/{}", digest.trim_start_matches("sha256:")),
        );
        let Ok(v) = r.read_json::<serde_json::Value>(&rel, "blob") else {
            continue;
        };
        if v.get("subject").is_none() {
            continue;
        }
        let media_type = v
            .get("mediaType")
            .and_then(|m| m.as_str())
            .unwrap_or(super::OCI_MANIFEST)
            .to_string();
        if !(is_manifest_media_type(&media_type) || is_index_media_type(&media_type)) {
            continue;
        }
        let d = Descriptor {
            media_type,
            digest: digest.clone(),
            size,
            annotations: BTreeMap::new(),
            artifact_type: None,
            platform: None,
            urls: Vec::new(),
        };
        r.visit(&d, &format!("referrer blob {digest}"), &mut stack, true)?;
    }
    // An index none of whose platforms is present holds nothing to import.
    for (parent, missing) in &r.absent {
        if let Some(Node::Index { index, .. }) = r.nodes.get(parent) {
            if index
                .manifests
                .iter()
                .all(|c| !r.nodes.contains_key(&c.digest))
            {
                if let Some(first) = missing.first() {
                    return Err(OciError::BlobMissing {
                        layout: r.label.clone(),
                        digest: first.digest.clone(),
                        by: format!("index {parent}, which has none of its platforms present"),
                    });
                }
            }
        }
    }
    // image-spec: "The content of a blob MUST match its digest."
    for (path, hex, actual) in digests_to_check {
        if hex != hex::encode(actual) {
            return Err(OciError::BlobDigestMismatch {
                layout: r.label.clone(),
                path,
                actual: hex::encode(actual),
            });
        }
    }
    Ok(Layout {
        dir: dir.to_string(),
        label: r.label,
        index,
        nodes: r.nodes,
        blobs: r.blobs,
        reached: r.reached,
        absent: r.absent,
        docker,
    })
}

impl Reader<'_> {
    /// index.json entries for Docker's manifest.json images, found by their config: the image
    /// manifest among the blobs whose config is the one manifest.json names.
    fn manifests_by_config(&self, docker: &[DockerImage]) -> Vec<Descriptor> {
        let wanted: BTreeMap<String, &DockerImage> = docker
            .iter()
            .filter_map(|i| i.config_digest().map(|d| (d, i)))
            .collect();
        let mut out = Vec::new();
        for (digest, &size) in &self.blobs {
            if !(2..=limits::MAX_OCI_JSON_BYTES).contains(&size) {
                continue;
            }
            let rel = self.blob_rel(digest);
            let Ok(v) = self.read_json::<serde_json::Value>(&rel, "blob") else {
                continue;
            };
            let media_type = v
                .get("mediaType")
                .and_then(|m| m.as_str())
                .unwrap_or(super::OCI_MANIFEST);
            if !is_manifest_media_type(media_type) {
                continue;
            }
            let config = v
                .get("config")
                .and_then(|c| c.get("digest"))
                .and_then(|d| d.as_str());
            let Some(image) = config.and_then(|c| wanted.get(c)) else {
                continue;
            };
            let mut annotations = BTreeMap::new();
            if let Some(name) = image.names().into_iter().next() {
                annotations.insert(super::annotation::CONTAINERD_NAME.to_string(), name);
            }
            out.push(Descriptor {
                media_type: media_type.to_string(),
                digest: digest.clone(),
                size,
                annotations,
                artifact_type: None,
                platform: None,
                urls: Vec::new(),
            });
        }
        out
    }

    fn blob_rel(&self, digest: &str) -> String {
        join(
            &self.dir,
            &format!("blobs/sha256/{}", digest.trim_start_matches("sha256:")),
        )
    }
}
