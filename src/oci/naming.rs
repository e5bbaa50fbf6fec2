//! Names for the images of a kept layout: every `index.json` entry gets an
//! `org.opencontainers.image.ref.name` (the image's verified-to-policy name, the cosign tag of
//! its evidence, or its digest when it has none), so `skopeo copy oci:DIR:REF` and oras can
//! pick one image of a layout that holds several.
//!
//! Owns: finding the OCI layouts under a folder, and that annotation. Must not touch: anything
//! content-addressed (only `index.json`, which names, is rewritten, whole or not at all).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{annotation, evidence_tag, is_artifact_entry, Descriptor};

/// How deep under a kept folder layouts are looked for (Zarf keeps images in `images/`).
const MAX_DEPTH: usize = 4;
/// Most folder entries looked at while searching.
const MAX_ENTRIES: usize = 100_000;

/// Every folder under `root` (itself included) that holds an `oci-layout` file, never through
/// a link.
pub fn layout_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let marker = dir.join("oci-layout");
        if std::fs::symlink_metadata(&marker).is_ok_and(|m| m.file_type().is_file()) {
            out.push(dir);
            continue;
        }
        if depth >= MAX_DEPTH {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return out;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != "blobs" {
                stack.push((e.path(), depth + 1));
            }
        }
    }
    out.sort();
    out
}

/// The repository part of a full reference (`ghcr.io/acme/app:1.0` → `ghcr.io/acme/app`).
fn repository(name: &str) -> Option<String> {
    crate::reference::parse(name).map(|r| r.repository())
}

/// Gives every entry of the layout at `dir` without a `ref.name` one: `names` maps an image's
/// digest to its names (full references). Returns how many entries were named.
pub fn name_entries(dir: &Path, names: &BTreeMap<String, Vec<String>>) -> std::io::Result<usize> {
    let path = dir.join("index.json");
    let bytes = crate::input::read_capped(&path, crate::limits::MAX_OCI_JSON_BYTES, "index.json")
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut index: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    let Some(entries) = index.get_mut("manifests").and_then(|m| m.as_array_mut()) else {
        return Ok(0);
    };
    let parsed: Vec<Option<Descriptor>> = entries
        .iter()
        .map(|e| serde_json::from_value(e.clone()).ok())
        .collect();
    let images: Vec<&Descriptor> = parsed
        .iter()
        .flatten()
        .filter(|d| is_artifact_entry(d))
        .collect();
    let mut named = 0;
    for (e, d) in entries.iter_mut().zip(&parsed) {
        let Some(d) = d else { continue };
        if d.annotations.contains_key(annotation::REF_NAME) {
            continue;
        }
        let first_name = |digest: &str| names.get(digest).and_then(|n| n.first()).cloned();
        let name = match evidence_tag(d) {
            Some((suffix, subject)) => {
                let subject =
                    subject.or_else(|| (images.len() == 1).then(|| images[0].digest.clone()));
                let tag = subject
                    .as_deref()
                    .map(|s| format!("{}{suffix}", s.replacen(':', "-", 1)));
                match (
                    subject
                        .as_deref()
                        .and_then(first_name)
                        .and_then(|n| repository(&n)),
                    tag,
                ) {
                    (Some(repo), Some(tag)) => format!("{repo}:{tag}"),
                    (None, Some(tag)) => tag,
                    _ => d.digest.clone(),
                }
            }
            None => first_name(&d.digest).unwrap_or_else(|| d.digest.clone()),
        };
        let Some(obj) = e.as_object_mut() else {
            continue;
        };
        let ann = obj
            .entry("annotations")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if let Some(a) = ann.as_object_mut() {
            a.insert(
                annotation::REF_NAME.to_string(),
                serde_json::Value::String(name),
            );
            named += 1;
        }
    }
    if named > 0 {
        let out = serde_json::to_vec(&index).map_err(std::io::Error::other)?;
        let tmp = dir.join("index.json.tmp");
        std::fs::write(&tmp, out)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(named)
}
