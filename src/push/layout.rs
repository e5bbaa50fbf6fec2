//! The kept layouts of an accepted input, read for a push: every OCI layout under
//! `accepted/ID/NAME.contents/` (or the kept folder), their `index.json`, their blobs, and the
//! manifests that name a subject (referrers, which `cosign save` keeps only as blobs).
//!
//! Owns: finding content by digest in the kept tree. Must not touch: the registry, the ledger.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::PushError;
use crate::oci::{Descriptor, ImageIndex};

/// One OCI layout of the kept tree.
#[derive(Debug)]
pub struct KeptLayout {
    pub root: PathBuf,
    pub index: ImageIndex,
}

/// Every layout of a kept input.
#[derive(Debug, Default)]
pub struct Kept {
    pub layouts: Vec<KeptLayout>,
}

/// A blob file of a kept layout, and its size on disk.
#[derive(Debug, Clone)]
pub struct Blob {
    pub path: PathBuf,
    pub size: u64,
}

fn regular(path: &Path) -> Option<u64> {
    let m = std::fs::symlink_metadata(path).ok()?;
    m.file_type().is_file().then_some(m.len())
}

impl Kept {
    /// Finds the layouts under `kept` (a folder holding `oci-layout` files).
    pub fn open(kept: &Path) -> Result<Kept, PushError> {
        let mut out = Kept::default();
        for dir in crate::oci::naming::layout_dirs(kept) {
            let path = dir.join("index.json");
            let bytes =
                crate::input::read_capped(&path, crate::limits::MAX_OCI_JSON_BYTES, "index.json")
                    .map_err(|e| PushError::Layout {
                    path: path.clone(),
                    why: e.to_string(),
                })?;
            let index: ImageIndex =
                serde_json::from_slice(&bytes).map_err(|e| PushError::Layout {
                    path: path.clone(),
                    why: format!("not an image index: {e}"),
                })?;
            out.layouts.push(KeptLayout { root: dir, index });
        }
        if out.layouts.is_empty() {
            return Err(PushError::Layout {
                path: kept.to_path_buf(),
                why: "holds no OCI layout (only images are pushed)".into(),
            });
        }
        Ok(out)
    }

    /// Where blob `digest` is kept, if anywhere.
    pub fn blob(&self, digest: &str) -> Option<Blob> {
        let hex = crate::oci::sha256_hex(digest)?;
        self.layouts.iter().find_map(|l| {
            let path = l.root.join("blobs").join("sha256").join(hex);
            regular(&path).map(|size| Blob { path, size })
        })
    }

    /// The bytes of manifest `digest`, checked against it.
    pub fn manifest(&self, digest: &str) -> Result<Vec<u8>, PushError> {
        let b = self.blob(digest).ok_or_else(|| PushError::Missing {
            digest: digest.to_string(),
        })?;
        let bytes =
            crate::input::read_capped(&b.path, crate::limits::MAX_OCI_JSON_BYTES, "manifest")
                .map_err(|e| PushError::Layout {
                    path: b.path.clone(),
                    why: e.to_string(),
                })?;
        let got = format!("sha256:{}", hex::encode(crate::crypto::sha256(&bytes)));
        if got != digest {
            return Err(PushError::Layout {
                path: b.path,
                why: format!("its content is {got}, not {digest}: changed since it was accepted"),
            });
        }
        Ok(bytes)
    }

    /// Every `index.json` entry of every layout.
    pub fn entries(&self) -> impl Iterator<Item = &Descriptor> {
        self.layouts.iter().flat_map(|l| l.index.manifests.iter())
    }

    /// The manifests of the kept layouts that name a subject, by subject digest: referrers
    /// (index entries, and blobs small enough to be a manifest, where `cosign save` leaves them).
    pub fn referrers(&self) -> BTreeMap<String, Vec<Descriptor>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct WithSubject {
            #[serde(default)]
            media_type: Option<String>,
            #[serde(default)]
            artifact_type: Option<String>,
            subject: Option<Descriptor>,
            #[serde(default)]
            config: Option<Descriptor>,
            #[serde(default)]
            annotations: BTreeMap<String, String>,
        }
        let mut out: BTreeMap<String, Vec<Descriptor>> = BTreeMap::new();
        let mut looked = 0usize;
        for l in &self.layouts {
            let Ok(entries) = std::fs::read_dir(l.root.join("blobs").join("sha256")) else {
                continue;
            };
            for e in entries.flatten() {
                looked += 1;
                if looked > crate::limits::MAX_PUSH_BLOBS {
                    return out;
                }
                let path = e.path();
                let Some(size) = regular(&path) else { continue };
                if !(2..=crate::limits::MAX_OCI_JSON_BYTES).contains(&size) {
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                if bytes.first() != Some(&b'{') {
                    continue;
                }
                let Ok(m) = serde_json::from_slice::<WithSubject>(&bytes) else {
                    continue;
                };
                let Some(subject) = m.subject else { continue };
                let digest = format!("sha256:{}", hex::encode(crate::crypto::sha256(&bytes)));
                let media_type = m
                    .media_type
                    .unwrap_or_else(|| crate::oci::OCI_MANIFEST.to_string());
                // OCI 1.1: the artifactType of a referrer is its own, else its config's type.
                let artifact_type = m
                    .artifact_type
                    .or_else(|| m.config.map(|c| c.media_type))
                    .filter(|t| !t.is_empty());
                let list = out.entry(subject.digest).or_default();
                if !list.iter().any(|d| d.digest == digest) {
                    list.push(Descriptor {
                        media_type,
                        digest,
                        size,
                        annotations: m.annotations,
                        artifact_type,
                        platform: None,
                        urls: Vec::new(),
                    });
                }
            }
        }
        out
    }
}
