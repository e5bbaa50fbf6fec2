//! What a staged medium holds: OCI layouts (any folder with an `oci-layout` file), and outside
//! them blobs with the evidence beside them.
//!
//! Evidence file conventions (outside layouts):
//! - `NAME.sigstore.json`, `NAME.sigstore`, `NAME.bundle.json`, `NAME.bundle`: a Sigstore bundle
//!   for the blob `NAME` beside it (cosign sign-blob --bundle, sigstore-python);
//! - `*.jsonl`: one bundle a line (`gh attestation download`), bound by the digests it names;
//! - `NAME.proof.json`: an HMAC proof record for `NAME` (or for the digests its body names);
//! - `NAME.dsse.json`: a DSSE envelope signed with an HMAC key.
//!
//! A bundle is bound to the blob its name says, and otherwise to every blob whose digest it
//! names (a DSSE statement's subjects, a message signature's digest).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::archive::StagedFile;
use crate::bundle::pep740;
use crate::bundle::proof::ProofRecord;
use crate::bundle::{Bundle, Content};
use crate::evidence::{Evidence, Material, RawPart};
use crate::input::read_staged;
use crate::limits;
use crate::oci::{self, Orphan};

/// A blob artifact: a file outside any layout that is not evidence.
#[derive(Debug, Clone)]
pub struct BlobArtifact {
    pub path: String,
    pub size: u64,
    pub digest: String,
    /// Its SHA-512, computed only when some evidence of the medium names a SHA-512 digest (npm
    /// provenance names packages by SHA-512 alone).
    pub sha512: Option<Vec<u8>>,
}

/// Everything found in one staged medium.
#[derive(Debug, Default)]
pub struct Contents {
    pub layouts: Vec<(oci::Layout, oci::Found)>,
    pub blobs: Vec<BlobArtifact>,
    /// Evidence about blobs, by blob path.
    pub blob_evidence: BTreeMap<String, Vec<Evidence>>,
    pub orphans: Vec<Orphan>,
    /// Images of a legacy `docker save` (no OCI layout, no registry manifest): refused.
    pub legacy_docker: Vec<LegacyDockerImage>,
    /// Zarf packages, each with the layouts inside it.
    pub zarf: Vec<ZarfPackage>,
}

/// An image of a legacy `docker save` export (`manifest.json` + config + layer tars).
#[derive(Debug, Clone)]
pub struct LegacyDockerImage {
    /// `sha256:` of its config (the image id Docker shows).
    pub config_digest: String,
    /// Its `RepoTags`, canonical.
    pub names: Vec<String>,
    pub size: u64,
}

/// A Zarf package found in the medium.
#[derive(Debug, Clone)]
pub struct ZarfPackage {
    /// Its folder in the medium (`""` at the top).
    pub dir: String,
    pub label: String,
    /// `zarf.yaml` as read, or why it could not be; then the integrity check's outcome.
    pub definition: Result<crate::zarf::Package, crate::zarf::ZarfError>,
    pub integrity: Result<(), crate::zarf::ZarfError>,
    /// `sha256:` of `zarf.yaml`: what its signature signs.
    pub digest: String,
    pub size: u64,
    /// The signature over `zarf.yaml`, as evidence.
    pub evidence: Vec<Evidence>,
    /// Indexes into `Contents::layouts` of the layouts inside the package.
    pub layouts: Vec<usize>,
}

const BUNDLE_SUFFIXES: [&str; 4] = [".sigstore.json", ".sigstore", ".bundle.json", ".bundle"];

fn evidence_suffix(name: &str) -> Option<(&'static str, &str)> {
    // npm's attestations document (`NAME.tgz.attestations.json`, or `NAME.attestations.json`
    // beside `NAME.tgz`).
    if let Some(stem) = name.strip_suffix(".attestations.json") {
        return Some(("npm", stem));
    }
    // PEP 740: `NAME.publish.attestation`, `NAME.slsa.attestation`, `NAME.attestation`, and
    // PyPI's provenance object `NAME.provenance`.
    if let Some(stem) = name.strip_suffix(".attestation") {
        let stem = stem
            .strip_suffix(".publish")
            .or_else(|| stem.strip_suffix(".slsa"))
            .unwrap_or(stem);
        return Some(("pep740", stem));
    }
    if let Some(stem) = name.strip_suffix(".provenance") {
        return Some(("pep740", stem));
    }
    for s in BUNDLE_SUFFIXES {
        if let Some(stem) = name.strip_suffix(s) {
            return Some(("bundle", stem));
        }
    }
    if let Some(stem) = name.strip_suffix(".proof.json") {
        return Some(("proof", stem));
    }
    if let Some(stem) = name.strip_suffix(".dsse.json") {
        return Some(("dsse", stem));
    }
    if let Some(stem) = name.strip_suffix(".jsonl") {
        return Some(("jsonl", stem));
    }
    None
}

/// What parsing an evidence file gives: the material and the digests (`sha256:<hex>`,
/// `sha512:<hex>`) it names.
type Parsed = (Material, Vec<String>);

/// One evidence file read (capped) and parsed; unreadable or malformed, it is broken evidence.
fn file_evidence(
    staging: &Path,
    path: &str,
    origin: String,
    label: &'static str,
    unreadable: &'static str,
    parse: impl FnOnce(&[u8]) -> Result<Parsed, (&'static str, String)>,
) -> (Evidence, Vec<String>) {
    let bytes = read_staged(staging, path, limits::MAX_BUNDLE_BYTES);
    let (material, digests) = match bytes
        .as_ref()
        .map_err(|m| (unreadable, m.clone()))
        .and_then(|b| parse(b))
    {
        Ok(p) => p,
        Err((code, message)) => (Material::Broken { code, message }, Vec::new()),
    };
    let raw = raw_of(label, bytes.ok());
    (
        Evidence {
            origin,
            material,
            raw,
        },
        digests,
    )
}

/// A file holding several pieces of evidence (a PEP 740 attestation set or provenance object,
/// npm's attestations document): read capped and parsed into items, each made evidence by
/// `item` (given its origin: the file's, with the item's index when there are several). A file
/// that cannot be read or parsed is one piece of broken evidence.
fn evidence_items<T>(
    staging: &Path,
    path: &str,
    origin: &str,
    parse: impl FnOnce(&[u8]) -> Result<Vec<T>, (&'static str, String)>,
    item: impl Fn(T, String) -> (Evidence, Vec<String>),
) -> Vec<(Evidence, Vec<String>)> {
    let items = read_staged(staging, path, limits::MAX_BUNDLE_BYTES * 4)
        .map_err(|m| ("attestation-unreadable", m))
        .and_then(|b| parse(&b));
    match items {
        Err((code, message)) => vec![(
            broken_evidence(origin.to_string(), code, message),
            Vec::new(),
        )],
        Ok(list) => {
            let many = list.len() > 1;
            list.into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let origin = if many {
                        format!("{origin} attestation {i}")
                    } else {
                        origin.to_string()
                    };
                    item(t, origin)
                })
                .collect()
        }
    }
}

/// A converted bundle as material (`make` wraps it) with the digests it names, or what broke it.
fn converted(
    bundle: Result<Bundle, (&'static str, String)>,
    make: impl FnOnce(Box<Bundle>) -> Material,
) -> Parsed {
    match bundle {
        Ok(b) => {
            let d = named_digests(&b);
            (make(Box::new(b)), d)
        }
        Err((code, message)) => (Material::Broken { code, message }, Vec::new()),
    }
}

fn broken_evidence(origin: String, code: &'static str, message: String) -> Evidence {
    Evidence {
        origin,
        material: Material::Broken { code, message },
        raw: Vec::new(),
    }
}

fn raw_of(label: &'static str, bytes: Option<Vec<u8>>) -> Vec<RawPart> {
    bytes
        .map(|b| vec![RawPart { label, bytes: b }])
        .unwrap_or_default()
}

/// The digests (`sha256:<hex>`, `sha512:<hex>`) a bundle names: its DSSE statement's subjects,
/// or its message digest.
fn named_digests(b: &Bundle) -> Vec<String> {
    use crate::bundle::HashAlgorithm;
    match &b.content {
        Content::MessageSignature(ms) => ms
            .message_digest
            .iter()
            .filter(|(a, _)| matches!(a, HashAlgorithm::Sha256 | HashAlgorithm::Sha512))
            .map(|(a, d)| format!("{}:{}", a.name(), hex::encode(d)))
            .collect(),
        Content::Dsse(env) => crate::bundle::dsse::Statement::from_json(&env.payload)
            .map(|st| statement_digests(&st))
            .unwrap_or_default(),
    }
}

/// The sha256 and sha512 digests of a statement's subjects.
fn statement_digests(st: &crate::bundle::dsse::Statement) -> Vec<String> {
    let mut out = Vec::new();
    for s in &st.subject {
        for alg in ["sha256", "sha512"] {
            if let Some(d) = s.digest.get(alg) {
                out.push(format!("{alg}:{}", d.to_ascii_lowercase()));
            }
        }
    }
    out
}

/// SHA-512 of a staged file, streamed.
fn sha512_of(staging: &Path, rel: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(staging.join(rel)).ok()?;
    let mut h = crate::crypto::Hasher::new(crate::bundle::HashAlgorithm::Sha512);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n)?);
    }
    Some(h.finish())
}

/// Finds layouts, blobs and evidence in the staged tree.
pub fn contents(
    staging: &Path,
    files: &[StagedFile],
    label: &str,
) -> Result<Contents, oci::OciError> {
    let mut out = Contents::default();
    // Layout folders: every folder holding an `oci-layout` file (the deepest wins for its files).
    let mut layout_dirs: Vec<String> = files
        .iter()
        .filter_map(|f| {
            if f.path == "oci-layout" {
                Some(String::new())
            } else {
                f.path.strip_suffix("/oci-layout").map(str::to_string)
            }
        })
        .collect();
    layout_dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    // A layout owns its `oci-layout`, `index.json` and `blobs/`, and Docker's `manifest.json`
    // and `repositories` beside them (docker save >= 25, Hauler); anything else beside them (a
    // blob with its bundle) is a file of the medium.
    let in_layout = |p: &str| {
        layout_dirs
            .iter()
            .find(|d| {
                let rest = if d.is_empty() {
                    Some(p)
                } else {
                    p.strip_prefix(d.as_str()).and_then(|r| r.strip_prefix('/'))
                };
                rest.is_some_and(|r| {
                    r == "oci-layout"
                        || r == "index.json"
                        || r == "manifest.json"
                        || r == "repositories"
                        || r.starts_with("blobs/")
                })
            })
            .cloned()
    };
    let mut per_layout: BTreeMap<String, Vec<StagedFile>> = BTreeMap::new();
    let mut loose: Vec<&StagedFile> = Vec::new();
    for f in files {
        match in_layout(&f.path) {
            Some(d) => per_layout.entry(d).or_default().push(f.clone()),
            None => loose.push(f),
        }
    }
    for (dir, lfiles) in &per_layout {
        let l_label = if dir.is_empty() {
            label.to_string()
        } else {
            format!("{label}:{dir}")
        };
        let layout = oci::read_layout(staging, dir, lfiles, &l_label)?;
        let found = oci::find(&layout, staging);
        out.layouts.push((layout, found));
    }

    // Zarf packages: every file of the package's folder is the package's (its components,
    // SBOMs, signature and checksums), checked against `checksums.txt`, never a loose blob.
    for dir in crate::zarf::package_dirs(files) {
        let z = zarf_package(staging, files, &dir, label, &out.layouts);
        out.zarf.push(z);
    }
    let in_zarf = |p: &str| {
        out.zarf
            .iter()
            .any(|z| z.dir.is_empty() || p.starts_with(&format!("{}/", z.dir)))
    };
    loose.retain(|f| !in_zarf(&f.path));
    // A legacy `docker save` (no OCI layout): `manifest.json` naming configs and layer tars.
    // Its files are its images', never loose blobs.
    let mut legacy_dirs: Vec<String> = Vec::new();
    for f in &loose {
        let Some(dir) = f
            .path
            .strip_suffix("manifest.json")
            .filter(|d| d.is_empty() || d.ends_with('/'))
        else {
            continue;
        };
        let dir = dir.trim_end_matches('/').to_string();
        let Some(images) = oci::read_docker_manifest(staging, &f.path) else {
            continue;
        };
        for i in &images {
            let Some(config_digest) = i.config_digest() else {
                continue;
            };
            let size = loose
                .iter()
                .filter(|g| {
                    i.layers
                        .iter()
                        .chain(std::iter::once(&i.config))
                        .any(|l| crate::zarf::join(&dir, l) == g.path)
                })
                .map(|g| g.size)
                .sum();
            out.legacy_docker.push(LegacyDockerImage {
                config_digest,
                names: i.names(),
                size,
            });
        }
        legacy_dirs.push(dir);
    }
    loose.retain(|f| {
        !legacy_dirs
            .iter()
            .any(|d| d.is_empty() || f.path.starts_with(&format!("{d}/")))
    });

    // Outside layouts: evidence files and blobs.
    let mut blob_by_path: BTreeMap<String, BlobArtifact> = BTreeMap::new();
    let mut evidence_files: Vec<(&'static str, String, String)> = Vec::new(); // (kind, path, stem path)
    for f in &loose {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        match evidence_suffix(name) {
            Some((kind, stem)) => {
                let dir = f.path.strip_suffix(name).unwrap_or("");
                evidence_files.push((kind, f.path.clone(), format!("{dir}{stem}")));
            }
            None => {
                blob_by_path.insert(
                    f.path.clone(),
                    BlobArtifact {
                        path: f.path.clone(),
                        size: f.size,
                        digest: format!("sha256:{}", hex::encode(f.sha256)),
                        sha512: None,
                    },
                );
            }
        }
    }
    // Evidence is read first, bound once every digest it names is known.
    let mut pending: Vec<(String, Vec<String>, Evidence)> = Vec::new();
    let mut bind = |stem: &str, digests: Vec<String>, ev: Evidence| {
        pending.push((stem.to_string(), digests, ev));
    };
    for (kind, path, stem) in evidence_files {
        let origin = format!("{label}:{path}");
        match kind {
            "bundle" => {
                let (ev, digests) =
                    file_evidence(staging, &path, origin, "bundle", "bundle-unreadable", |b| {
                        Bundle::from_json(b)
                            .map(|b| {
                                let d = named_digests(&b);
                                (Material::Bundle(Box::new(b)), d)
                            })
                            .map_err(|e| (e.code(), e.to_string()))
                    });
                bind(&stem, digests, ev);
            }
            "pep740" => {
                let items = evidence_items(staging, &path, &origin, pep740::read, |c, origin| {
                    let mut raw = raw_of("attestation", Some(c.raw));
                    if let Some(j) = c
                        .publisher
                        .as_ref()
                        .and_then(|p| serde_json::to_vec(p).ok())
                    {
                        raw.push(RawPart {
                            label: "publisher",
                            bytes: j,
                        });
                    }
                    let publisher = c.publisher;
                    let (material, digests) = converted(c.bundle, |b| Material::Pep740 {
                        bundle: b,
                        publisher,
                    });
                    (
                        Evidence {
                            origin,
                            material,
                            raw,
                        },
                        digests,
                    )
                });
                for (ev, digests) in items {
                    bind(&stem, digests, ev);
                }
            }
            "npm" => {
                let items =
                    evidence_items(staging, &path, &origin, pep740::read_npm, |a, origin| {
                        let mut raw = raw_of("bundle", Some(a.raw));
                        raw.push(RawPart {
                            label: "predicateType",
                            bytes: a.predicate_type.clone().into_bytes(),
                        });
                        let predicate_type = a.predicate_type;
                        let (material, digests) = converted(a.bundle, |b| Material::Npm {
                            bundle: b,
                            predicate_type,
                        });
                        (
                            Evidence {
                                origin,
                                material,
                                raw,
                            },
                            digests,
                        )
                    });
                for (ev, digests) in items {
                    bind(&stem, digests, ev);
                }
            }
            "jsonl" => {
                let bytes = match read_staged(staging, &path, limits::MAX_BUNDLE_BYTES * 4) {
                    Ok(b) => b,
                    Err(m) => {
                        bind(
                            &stem,
                            Vec::new(),
                            broken_evidence(origin, "bundle-unreadable", m),
                        );
                        continue;
                    }
                };
                let reader = crate::input::BoundedLines::new(
                    &bytes[..],
                    Path::new(&path),
                    limits::MAX_BUNDLE_BYTES as usize,
                    limits::MAX_TLOG_ENTRIES * 32,
                );
                for line in reader {
                    let (n, text) = match line {
                        Ok(l) => l,
                        Err(e) => {
                            let ev =
                                broken_evidence(origin.clone(), "bundle-unreadable", e.to_string());
                            bind(&stem, Vec::new(), ev);
                            break;
                        }
                    };
                    if text.trim().is_empty() {
                        continue;
                    }
                    let origin = format!("{origin} line {n}");
                    let bundle =
                        Bundle::from_json(text.as_bytes()).map_err(|e| (e.code(), e.to_string()));
                    let (material, digests) = converted(bundle, Material::Bundle);
                    // A JSON-lines file names its subjects by digest only.
                    let raw = raw_of("bundle", Some(text.into_bytes()));
                    bind(
                        "",
                        digests,
                        Evidence {
                            origin,
                            material,
                            raw,
                        },
                    );
                }
            }
            "proof" => {
                let (ev, digests) = file_evidence(
                    staging,
                    &path,
                    origin,
                    "record",
                    "proof-record-malformed",
                    |b| {
                        ProofRecord::from_json(b)
                            .map(|r| {
                                let d = r
                                    .subjects
                                    .iter()
                                    .map(|s| format!("sha256:{}", s.sha256))
                                    .collect();
                                (Material::Proof(Box::new(r)), d)
                            })
                            .map_err(|e| (e.code(), e.to_string()))
                    },
                );
                bind(&stem, digests, ev);
            }
            _ => {
                let (ev, digests) =
                    file_evidence(staging, &path, origin, "envelope", "dsse-unreadable", |b| {
                        crate::bundle::Envelope::from_json(b)
                            .map(|env| {
                                let d = crate::bundle::dsse::Statement::from_json(&env.payload)
                                    .map(|st| statement_digests(&st))
                                    .unwrap_or_default();
                                (Material::HmacEnvelope(Box::new(env)), d)
                            })
                            .map_err(|e| (e.code(), e.to_string()))
                    });
                bind(&stem, digests, ev);
            }
        }
    }
    // SHA-512 of the files, only when some evidence names one (npm).
    if pending
        .iter()
        .any(|(_, d, _)| d.iter().any(|d| d.starts_with("sha512:")))
    {
        for b in blob_by_path.values_mut() {
            b.sha512 = sha512_of(staging, &b.path);
        }
    }
    let mut by_digest: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in blob_by_path.values() {
        by_digest
            .entry(b.digest.clone())
            .or_default()
            .push(b.path.clone());
        if let Some(d) = &b.sha512 {
            by_digest
                .entry(format!("sha512:{}", hex::encode(d)))
                .or_default()
                .push(b.path.clone());
        }
    }
    for (stem, digests, ev) in pending {
        let mut targets: BTreeSet<String> = BTreeSet::new();
        // The file its name says (`NAME` for `NAME.sigstore.json`; an npm tarball `NAME.tgz`
        // for `NAME.attestations.json`), else every file whose digest it names.
        let beside = [stem.clone(), format!("{stem}.tgz")];
        if let Some(b) = beside
            .iter()
            .find(|b| !stem.is_empty() && blob_by_path.contains_key(*b))
        {
            targets.insert(b.clone());
        } else {
            for d in &digests {
                if let Some(paths) = by_digest.get(d) {
                    targets.extend(paths.iter().cloned());
                }
            }
        }
        if targets.is_empty() {
            out.orphans.push(Orphan {
                origin: ev.origin.clone(),
                subject: digests.first().cloned().unwrap_or_default(),
                why: if stem.is_empty() {
                    "it names no digest of a file of this medium".to_string()
                } else {
                    format!(
                        "no file '{}' beside it, and it names no digest of a file of this medium",
                        crate::text::escape(&stem)
                    )
                },
            });
        }
        for t in targets {
            out.blob_evidence.entry(t).or_default().push(ev.clone());
        }
    }
    out.blobs = blob_by_path.into_values().collect();
    Ok(out)
}

/// Reads one Zarf package of the medium: its definition, the integrity check, and the signature
/// over `zarf.yaml`.
fn zarf_package(
    staging: &Path,
    files: &[StagedFile],
    dir: &str,
    medium: &str,
    layouts: &[(oci::Layout, oci::Found)],
) -> ZarfPackage {
    use crate::zarf;
    let label = zarf::label(medium, dir);
    let pfiles = zarf::package_files(dir, files);
    let yaml = pfiles.get(zarf::ZARF_YAML);
    let digest = yaml
        .map(|f| format!("sha256:{}", hex::encode(f.sha256)))
        .unwrap_or_default();
    let size = pfiles.values().map(|f| f.size).sum();
    let definition = read_staged(
        staging,
        &zarf::join(dir, zarf::ZARF_YAML),
        limits::MAX_ZARF_YAML_BYTES,
    )
    .map_err(|why| zarf::ZarfError::Malformed {
        package: label.clone(),
        why,
    })
    .and_then(|b| zarf::parse_definition(&b, &label));
    let integrity = match &definition {
        Err(e) => Err(e.clone()),
        Ok(def) => read_staged(
            staging,
            &zarf::join(dir, zarf::CHECKSUMS),
            limits::MAX_ZARF_CHECKSUMS_BYTES,
        )
        .map_err(|why| zarf::ZarfError::Malformed {
            package: label.clone(),
            why: format!("checksums.txt: {why}"),
        })
        .and_then(|sums| zarf::verify_integrity(&label, def, &sums, &pfiles)),
    };
    let mut evidence = Vec::new();
    if pfiles.contains_key(zarf::BUNDLE_SIG) {
        let path = zarf::join(dir, zarf::BUNDLE_SIG);
        let (ev, _) = file_evidence(
            staging,
            &path,
            format!("{medium}:{path}"),
            "bundle",
            "bundle-unreadable",
            |b| {
                Bundle::from_json(b)
                    .map(|b| (Material::Bundle(Box::new(b)), Vec::new()))
                    .map_err(|e| (e.code(), e.to_string()))
            },
        );
        evidence.push(ev);
    }
    if pfiles.contains_key(zarf::LEGACY_SIG) {
        let path = zarf::join(dir, zarf::LEGACY_SIG);
        let (ev, _) = file_evidence(
            staging,
            &path,
            format!("{medium}:{path}"),
            "signature",
            "signature-unreadable",
            |b| {
                crate::oci::legacy::bare_signature(b, "zarf.yaml.sig (cosign sign-blob)")
                    .map(|m| (m, Vec::new()))
            },
        );
        evidence.push(ev);
    }
    let inside = |d: &str| dir.is_empty() || d == dir || d.starts_with(&format!("{dir}/"));
    let layouts = layouts
        .iter()
        .enumerate()
        .filter(|(_, (l, _))| inside(&l.dir))
        .map(|(i, _)| i)
        .collect();
    ZarfPackage {
        dir: dir.to_string(),
        label,
        definition,
        integrity,
        digest,
        size,
        evidence,
        layouts,
    }
}
