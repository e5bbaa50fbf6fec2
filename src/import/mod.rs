//! `airlock import`: the pipeline from what arrives on the stick to a decision per artifact and
//! per input, with the input kept whole in `accepted/` or `quarantine/`.
//!
//! stick → `archive` (staging, hashed once) → `oci` / blob finder → `verify` (one verifier for
//! every format) → `policy` (ClusterImagePolicy) → this module's outcome and keeping.
//!
//! Owns: the data dir's `staging/`, `accepted/` and `quarantine/` folders, the import id, and
//! the order of the steps. Must not touch: crypto (that is `verify`), policy semantics (that is
//! `check`), the terminal (the CLI renders the report).

pub mod check;
pub mod find;
pub mod report;
pub mod reverify;

use std::fs;
use std::path::{Path, PathBuf};

use crate::archive::{self, ArchiveError, ArchiveLimits, Select};
use crate::evidence::Evidence;
use crate::policy::cip::PolicySet;
use crate::reference::{NameRef, NameSource};
use crate::time::Timestamp;
use report::{
    ArtifactInfo, ArtifactResult, ChartInfo, ImportReport, InputResult, PolicyRef, TarballInfo,
    Verdict,
};

/// A failure of the appliance itself (its data dir), not of what was imported: exit 2.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot write the data dir at {path}: {why}")]
    DataDir { path: PathBuf, why: String },
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        "data-dir-unwritable"
    }
}

/// Where the searches for evidence look, for "no signature" messages.
const SEARCHED_OCI: &str = "the .sig and .att tags, cosign save's kind annotations, referrers by subject (in index.json and among the blobs) and the referrers tag";
const SEARCHED_BLOB: &str = "NAME.sigstore.json, NAME.sigstore, NAME.bundle(.json), NAME.proof.json and NAME.dsse.json beside the file, and every bundle of the medium naming its digest";

/// Called with (input, bytes read, total) while a large input is read.
pub type Progress<'a> = &'a dyn Fn(&Path, u64, u64);

/// What one import runs with.
pub struct Request<'a> {
    pub inputs: &'a [PathBuf],
    pub data_dir: &'a Path,
    pub policies: &'a PolicySet,
    /// The trust roots: one, or every instance (each bundle is verified against the one whose
    /// Fulcio CA issued its leaf, else the first).
    pub roots: &'a [check::Trusted<'a>],
    pub now: Timestamp,
    /// Called with (bytes read, total) while a large input is read.
    pub progress: Option<Progress<'a>>,
    /// Keep each input under `accepted/` or `quarantine/` (false only to decide again from an
    /// input already kept: `reverify`).
    pub keep: bool,
    /// The import id to use (the daemon's journal entry), else a new one.
    pub import_id: Option<String>,
    /// The operator's name for the one unnamed image of the one input (`--image REF`, the
    /// daemon's `ENTRY.image`).
    pub image: Option<&'a str>,
    /// Called with (files decided, files) as the files of an input are decided (on every core).
    pub checked: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// Outcome of one input that could not even be read (exit 2), as opposed to a rejection.
#[derive(Debug, Clone)]
pub struct Unusable {
    pub path: PathBuf,
    pub code: &'static str,
    pub message: String,
}

/// The report, the inputs that could not be read at all, and the bytes of every piece of
/// evidence and of the policy, by digest (for the ledger).
pub struct Outcome {
    pub report: ImportReport,
    pub unusable: Vec<Unusable>,
    pub blobs: std::collections::BTreeMap<String, Vec<u8>>,
}

fn data_dir_err(path: &Path, e: impl std::fmt::Display) -> ImportError {
    ImportError::DataDir {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// Creates `dir` (and parents) owner-only.
fn private_dir(dir: &Path) -> Result<(), ImportError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| data_dir_err(dir, e))
}

/// Creates a folder of the data dir (and its parents) owner-only.
pub fn private_data_dir(dir: &Path) -> Result<(), ImportError> {
    private_dir(dir)
}

/// SHA-256 (hex) of a file of the data dir.
pub fn sha256_of_file(p: &Path) -> Result<String, ImportError> {
    sha256_file(p)
}

/// Removes what a killed import left in `staging/`. Only for a caller that holds the ledger (the
/// one importing process of the data dir).
pub fn clear_staging(data_dir: &Path) {
    if let Ok(rd) = fs::read_dir(data_dir.join("staging")) {
        for e in rd.flatten().take(crate::limits::MAX_IMPORT_ENTRIES) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// A new import id: the time, then 6 random bytes (sortable, unique without a database).
pub fn new_import_id(now: Timestamp) -> String {
    let mut rnd = [0u8; 6];
    let _ = aws_lc_rs::rand::fill(&mut rnd);
    let t = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    format!("{t}-{}", hex::encode(rnd))
}

/// Runs an import of every input.
pub fn run(req: &Request<'_>) -> Result<Outcome, ImportError> {
    let import_id = req
        .import_id
        .clone()
        .unwrap_or_else(|| new_import_id(req.now));
    let staging_root = req.data_dir.join("staging");
    private_dir(&staging_root)?;
    let mut report = ImportReport {
        import_id: import_id.clone(),
        recorded_at: Some(req.now),
        verdict: Verdict::Accepted,
        trust_root: req
            .roots
            .first()
            .map(|t| t.root.clone())
            .unwrap_or_default(),
        trust_roots: req.roots.iter().map(|t| t.root.clone()).collect(),
        policy: PolicyRef {
            file: req.policies.file.clone(),
            digest: req.policies.digest.clone(),
            names: req
                .policies
                .policies
                .iter()
                .map(|p| p.name.clone())
                .collect(),
        },
        airlock_version: env!("CARGO_PKG_VERSION").to_string(),
        ..ImportReport::default()
    };
    let mut unusable = Vec::new();
    let mut blobs = std::collections::BTreeMap::new();
    blobs.insert(req.policies.digest.clone(), req.policies.text.clone());
    let mut matched = vec![false; req.policies.policies.len()];
    let inputs = expand(req.inputs);
    for (n, input) in inputs.iter().enumerate() {
        let work = staging_root.join(format!("{import_id}-{n}"));
        private_dir(&work)?;
        let r = import_one(req, input, &work, &import_id, &mut matched, &mut blobs);
        // Whatever happened, nothing of this input is left in staging.
        let _ = fs::remove_dir_all(&work);
        match r? {
            Ok(result) => {
                if result.verdict == Verdict::Rejected {
                    report.verdict = Verdict::Rejected;
                }
                report.inputs.push(result);
            }
            Err(u) => {
                report.verdict = Verdict::Rejected;
                unusable.push(u);
            }
        }
    }
    report.policies_matched_nothing = req
        .policies
        .policies
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(p, _)| p.name.clone())
        .collect();
    Ok(Outcome {
        report,
        unusable,
        blobs,
    })
}

/// A folder that holds only tarballs at its top (a stick's mount point, an inbox) is imported as
/// those tarballs, one input each; any other folder (an OCI layout, blobs with their bundles) is
/// one input.
fn expand(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for i in inputs {
        match tarballs_of(i) {
            Some(list) => out.extend(list),
            None => out.push(i.clone()),
        }
    }
    out
}

fn tarballs_of(dir: &Path) -> Option<Vec<PathBuf>> {
    if !fs::symlink_metadata(dir).ok()?.is_dir() || dir.join("oci-layout").exists() {
        return None;
    }
    let mut files = Vec::new();
    for (i, e) in fs::read_dir(dir).ok()?.enumerate() {
        if i >= crate::limits::MAX_IMPORT_ENTRIES {
            return None;
        }
        let e = e.ok()?;
        let ft = e.file_type().ok()?;
        if ft.is_dir() {
            return None;
        }
        if !ft.is_file() || archive::sniff(&e.path()).is_none() {
            return None;
        }
        files.push(e.path());
    }
    if files.is_empty() {
        return None;
    }
    files.sort();
    Some(files)
}

/// The digest and size of a folder input: SHA-256 of the sorted `<sha256>  <path>` lines of its
/// files, and the sum of their sizes.
fn folder_digest(files: &[archive::StagedFile]) -> (String, u64) {
    let mut lines: Vec<(&str, String)> = files
        .iter()
        .map(|f| (f.path.as_str(), hex::encode(f.sha256)))
        .collect();
    lines.sort();
    let mut h = crate::crypto::Hasher::new(crate::bundle::HashAlgorithm::Sha256);
    for (path, digest) in &lines {
        h.update(format!("{digest}  {path}\n").as_bytes());
    }
    let size = files.iter().map(|f| f.size).fold(0u64, u64::saturating_add);
    (hex::encode(h.finish()), size)
}

/// Longest name an input is kept under: what `NAME.contents`, `NAME.result.json` and a
/// collision suffix add must still fit the 255-byte limit of a file name.
const MAX_KEPT_NAME_BYTES: usize = 200;

/// The name an input is kept under: its own, or, when that is too long to store with what goes
/// beside it, its first bytes and a digest of the whole name (the original stays in the result,
/// `tarball.name`, and in `NAME.result.json`).
fn stored_name(name: &str) -> String {
    if name.len() <= MAX_KEPT_NAME_BYTES {
        return name.to_string();
    }
    let digest = hex::encode(crate::crypto::sha256(name.as_bytes()));
    let mut cut = 120;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}~{}",
        name.get(..cut).unwrap_or_default(),
        digest.get(..16).unwrap_or_default()
    )
}

fn input_name(input: &Path) -> String {
    input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".to_string())
}

/// Imports one input. `Ok(Err(_))`: it could not be read at all (nothing to keep).
fn import_one(
    req: &Request<'_>,
    input: &Path,
    work: &Path,
    import_id: &str,
    matched: &mut [bool],
    blobs: &mut std::collections::BTreeMap<String, Vec<u8>>,
) -> Result<Result<InputResult, Unusable>, ImportError> {
    let name = input_name(input);
    let meta = match fs::metadata(input) {
        Ok(m) => m,
        Err(e) => {
            return Ok(Err(Unusable {
                path: input.to_path_buf(),
                code: "input-unreadable",
                message: format!("{}: cannot read: {e}", crate::text::ShownPath(input)),
            }))
        }
    };
    let is_dir = meta.is_dir();
    let tree = work.join("tree");
    private_dir(&tree)?;
    let source_copy = work.join("source");
    let mut result = InputResult {
        tarball: TarballInfo {
            name: name.clone(),
            path: input.display().to_string(),
            sha256: None,
            size: if is_dir { 0 } else { meta.len() },
            format: String::new(),
        },
        ..InputResult::default()
    };
    let place = Place {
        req,
        import_id,
        input,
        source_copy: &source_copy,
        tree: &tree,
        is_dir,
    };
    let progress = req.progress.map(|p| {
        let total = meta.len();
        move |done: u64| p(input, done, total)
    });
    let staged = archive::stage_observed(
        input,
        &tree,
        &ArchiveLimits::IMPORT,
        Select::ALL,
        (!is_dir).then_some(source_copy.as_path()),
        progress.as_ref().map(|p| p as &dyn Fn(u64)),
    );
    let staged = match staged {
        Ok(s) => s,
        Err(ArchiveError::Staging { path, why }) => return Err(ImportError::DataDir { path, why }),
        Err(ArchiveError::Unreadable { why, .. }) if !source_copy.exists() && !is_dir => {
            return Ok(Err(Unusable {
                path: input.to_path_buf(),
                code: "input-unreadable",
                message: format!("{}: cannot read: {why}", crate::text::ShownPath(input)),
            }))
        }
        Err(e) => {
            reject(&mut result, e.code(), e.to_string());
            result.tarball.format = if is_dir {
                "folder".into()
            } else {
                archive::sniff(input)
                    .map_or("unknown", |f| f.as_str())
                    .into()
            };
            // The copy made while reading stops where the reading failed: keep the whole input.
            let _ = fs::remove_file(&source_copy);
            if !is_dir {
                fs::copy(input, &source_copy).map_err(|e| data_dir_err(&source_copy, e))?;
                result.tarball.sha256 = Some(sha256_file(&source_copy)?);
            }
            place.keep(&mut result)?;
            return Ok(Ok(result));
        }
    };
    result.tarball.format = staged.format.as_str().to_string();
    result.tarball.sha256 = staged.source_sha256.map(hex::encode);
    if !is_dir {
        result.tarball.size = staged.source_bytes;
    } else {
        // A folder has no bytes of its own: its digest is that of its `sha256sum`-style listing
        // (`<sha256>  <path>` a line, sorted by path), stable whatever order it is read in, and
        // its size the sum of its files' (so `query --tarball` finds it).
        let (digest, size) = folder_digest(&staged.files);
        result.tarball.sha256 = Some(digest);
        result.tarball.size = size;
    }
    let label = name.clone();
    let contents = match find::contents(&tree, &staged.files, &label) {
        Ok(c) => c,
        Err(e) => {
            reject(&mut result, e.code(), e.to_string());
            place.keep(&mut result)?;
            return Ok(Ok(result));
        }
    };
    for ev in contents
        .layouts
        .iter()
        .flat_map(|(_, f)| f.evidence.iter().map(|(_, e)| e))
        .chain(contents.blob_evidence.values().flatten())
        .chain(contents.zarf.iter().flat_map(|z| z.evidence.iter()))
    {
        for p in &ev.raw {
            blobs.entry(p.digest()).or_insert_with(|| p.bytes.clone());
        }
    }
    let checker = check::Checker {
        roots: req.roots,
        policies: req.policies,
        now: req.now,
        key_without_log: false,
    };
    // Zarf packages first: the images inside one are covered by its signature.
    let mut covered: std::collections::BTreeMap<usize, Cover> = std::collections::BTreeMap::new();
    for z in &contents.zarf {
        let r = zarf_package(&checker, z);
        for li in &z.layouts {
            covered.insert(
                *li,
                Cover {
                    by: format!("zarf-package {}", r.artifact.name),
                    verdict: r.verdict,
                    reason: r.reason.clone(),
                },
            );
        }
        let mut r = r;
        finish_artifact(req, &mut r, matched);
        result.artifacts.push(r);
    }
    // The operator names the one unnamed image of this input.
    let operator_target = match req.image {
        Some(name) => match operator_target(&contents, name) {
            Ok(t) => Some(t),
            Err(why) => {
                return Ok(Err(Unusable {
                    path: input.to_path_buf(),
                    code: "image-name-ambiguous",
                    message: format!(
                        "{}: --image {}: {why}",
                        crate::text::ShownPath(input),
                        crate::text::escape(name)
                    ),
                }))
            }
        },
        None => None,
    };
    for (li, (layout, found)) in contents.layouts.iter().enumerate() {
        for (ai, a) in found.artifacts.iter().enumerate() {
            let evidence: Vec<&Evidence> = found
                .evidence
                .iter()
                .filter(|(s, _)| *s == a.digest)
                .map(|(_, e)| e)
                .collect();
            let mut names = a.names.clone();
            if let (Some((tl, ta)), Some(name)) = (operator_target, req.image) {
                if (tl, ta) == (li, ai) {
                    // A Docker Hub short name (`alpine:3.20`) is recorded in full.
                    let full = match crate::reference::parse(name) {
                        Some(r) if !name.contains('/') => r.canonical(),
                        _ => name.to_string(),
                    };
                    names.insert(0, NameRef::new(full, NameSource::Operator));
                }
            }
            let subject = check::Subject {
                digest: &a.digest,
                names: names.clone(),
                image: true,
                file_name: None,
                sha512: None,
                searched: SEARCHED_OCI,
            };
            let mut r = checker.check(subject, &evidence);
            // Shown: a reference with a tag, else one by digest, else any name.
            let is_ref =
                |n: &&NameRef| crate::reference::parse(&n.name).is_some() && n.name.contains('/');
            let shown = names
                .iter()
                .filter(is_ref)
                .find(|n| !n.name.contains('@'))
                .or_else(|| names.iter().find(is_ref))
                .or(names.first())
                .map(|n| n.name.clone());
            r.artifact = ArtifactInfo {
                name: shown.unwrap_or_else(|| {
                    if layout.dir.is_empty() {
                        format!("{label}@{}", a.digest)
                    } else {
                        format!("{label}:{}@{}", layout.dir, a.digest)
                    }
                }),
                kind: match a.kind {
                    crate::oci::ArtifactKind::Image => "image",
                    crate::oci::ArtifactKind::ImageIndex => "image-index",
                    crate::oci::ArtifactKind::HelmChart => "helm-chart",
                    crate::oci::ArtifactKind::File => "file",
                }
                .into(),
                digest: a.digest.clone(),
                media_type: a.media_type.clone(),
                size: a.size,
                reference: r
                    .references
                    .iter()
                    .find(|n| n.name.contains('/') && crate::reference::parse(&n.name).is_some())
                    .map(|n| n.name.clone()),
                chart: a
                    .chart
                    .clone()
                    .map(|(name, version)| ChartInfo { name, version }),
                platforms: a.children.clone(),
                platforms_absent: a.absent.clone(),
                covered_by: None,
                sha512: None,
            };
            if let Some(c) = covered.get(&li) {
                apply_cover(&mut r, c);
            }
            if !a.absent.is_empty() && r.verdict == Verdict::Accepted {
                let list: Vec<String> = a
                    .absent
                    .iter()
                    .map(|p| format!("{} {}", p.platform, p.digest))
                    .collect();
                r.warnings.push(format!(
                    "platforms-absent: a partial export; these platforms are named by the index but not on the medium, and were neither verified nor kept: {}",
                    list.join(", ")
                ));
            }
            finish_artifact(req, &mut r, matched);
            result.artifacts.push(r);
        }
        result.orphans.extend(found.orphans.iter().cloned());
        result.unreferenced_blobs.extend(
            found
                .unreferenced
                .iter()
                .map(|d| format!("{}: {d}", layout.label)),
        );
    }
    for i in &contents.legacy_docker {
        let names: Vec<NameRef> = i
            .names
            .iter()
            .map(|n| NameRef::new(n.clone(), NameSource::Layout))
            .collect();
        result.artifacts.push(ArtifactResult {
            artifact: ArtifactInfo {
                name: i.names.first().cloned().unwrap_or_else(|| i.config_digest.clone()),
                kind: "docker-image".into(),
                digest: i.config_digest.clone(),
                size: i.size,
                ..ArtifactInfo::default()
            },
            names: i.names.clone(),
            references: names,
            verdict: Verdict::Rejected,
            reason: Some("legacy-docker-save".into()),
            message: Some(format!(
                "{} is a legacy `docker save` export (Docker before 25): it holds no registry manifest, so no cosign signature can bind to it; export it with docker >= 25, `skopeo copy docker://… oci-archive:…`, `oras copy --to-oci-layout` or `cosign save`",
                if i.names.is_empty() {
                    format!("image {}", i.config_digest)
                } else {
                    i.names.iter().map(|n| crate::text::escape(n)).collect::<Vec<_>>().join(", ")
                }
            )),
            ..ArtifactResult::default()
        });
    }
    // Files (a wheelhouse of thousands of distributions, an npm cache) are decided on every
    // core; the results keep the medium's order.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = contents.blobs.len();
    let on_checked = req.checked;
    let decided: Vec<ArtifactResult> = {
        use rayon::prelude::*;
        contents
            .blobs
            .par_iter()
            .map(|b| {
                let r = check_blob(&checker, &contents, b, is_dir, &name);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if let Some(p) = on_checked {
                    p(n, total);
                }
                r
            })
            .collect()
    };
    for mut r in decided {
        finish_artifact(req, &mut r, matched);
        result.artifacts.push(r);
    }
    result.orphans.extend(contents.orphans.iter().cloned());
    if result.artifacts.is_empty() {
        let message = format!(
            "{}: holds no image, chart or file to import (only evidence, or nothing)",
            crate::text::escape(&name)
        );
        reject(&mut result, "no-artifacts", message);
    } else if let Some(bad) = result
        .artifacts
        .iter()
        .find(|a| a.verdict == Verdict::Rejected)
    {
        result.verdict = Verdict::Rejected;
        result.reason = bad.reason.clone();
        let n = result
            .artifacts
            .iter()
            .filter(|a| a.verdict == Verdict::Rejected)
            .count();
        result.message = Some(format!(
            "{n} of {} artifact(s) rejected; first: {}: {}",
            result.artifacts.len(),
            crate::text::escape(&bad.artifact.name),
            bad.message.as_deref().unwrap_or_default()
        ));
    }
    place.keep(&mut result)?;
    Ok(Ok(result))
}

/// Decides one file of the medium (outside layouts and packages) from the evidence beside it.
fn check_blob(
    checker: &check::Checker<'_>,
    contents: &find::Contents,
    b: &find::BlobArtifact,
    is_dir: bool,
    input_name: &str,
) -> ArtifactResult {
    let evidence: Vec<&Evidence> = contents
        .blob_evidence
        .get(&b.path)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    // Matched against the globs: the path in the input, the file name, and for a folder the
    // path under the folder's own name (`release-blobs/app.tar.gz`).
    let file_name = b.path.rsplit('/').next().unwrap_or(&b.path);
    let mut names = vec![NameRef::new(b.path.clone(), NameSource::Layout)];
    if file_name != b.path {
        names.push(NameRef::new(file_name, NameSource::Layout));
    }
    if is_dir {
        names.push(NameRef::new(
            format!("{input_name}/{}", b.path),
            NameSource::Layout,
        ));
    }
    let subject = check::Subject {
        digest: &b.digest,
        names,
        image: false,
        file_name: Some(file_name),
        sha512: b.sha512.as_deref(),
        searched: SEARCHED_BLOB,
    };
    let mut r = checker.check(subject, &evidence);
    r.artifact = ArtifactInfo {
        name: b.path.clone(),
        kind: "blob".into(),
        digest: b.digest.clone(),
        size: b.size,
        sha512: b.sha512.as_ref().map(hex::encode),
        ..ArtifactInfo::default()
    };
    r
}

/// What vouches for the images of a layout inside a signed package.
struct Cover {
    by: String,
    verdict: Verdict,
    reason: Option<String>,
}

/// An image inside a Zarf package: accepted when the package is (its signature covers
/// `zarf.yaml`, whose checksums cover the image's blobs), unless evidence of its own is present
/// and fails to verify; rejected with the package.
fn apply_cover(r: &mut ArtifactResult, c: &Cover) {
    r.artifact.covered_by = Some(c.by.clone());
    if c.verdict == Verdict::Rejected {
        r.verdict = Verdict::Rejected;
        r.reason = Some("zarf-package-rejected".into());
        r.message = Some(format!(
            "the package that carries it ({}) was rejected{}",
            c.by,
            c.reason
                .as_deref()
                .map(|x| format!(" [{x}]"))
                .unwrap_or_default()
        ));
        return;
    }
    if let Some(bad) = r.evidence.iter().find(|e| !e.verified) {
        r.verdict = Verdict::Rejected;
        r.reason = bad.reason.clone();
        r.message = Some(format!(
            "covered by {}, but its own signature does not verify: {}: {}",
            c.by,
            bad.origin,
            bad.message.as_deref().unwrap_or_default()
        ));
        return;
    }
    if r.verdict == Verdict::Rejected {
        r.warnings.push(format!(
            "covered by {}; on its own it would be rejected: [{}] {}",
            c.by,
            r.reason.as_deref().unwrap_or_default(),
            r.message.as_deref().unwrap_or_default()
        ));
    }
    r.verdict = Verdict::Accepted;
    r.reason = None;
    r.message = None;
}

/// Decides a Zarf package as `zarf package verify` does: the integrity of every file (checksums
/// and the aggregate checksum) and the signature over `zarf.yaml` against the policy (a key may
/// stand without a log entry, as Zarf allows for air-gapped sites).
fn zarf_package(checker: &check::Checker<'_>, z: &find::ZarfPackage) -> ArtifactResult {
    let name = z
        .definition
        .as_ref()
        .map(|d| d.reference())
        .unwrap_or_else(|_| z.label.clone());
    let info = ArtifactInfo {
        name: name.clone(),
        kind: "zarf-package".into(),
        digest: z.digest.clone(),
        media_type: "application/vnd.zarf.package.definition+yaml".into(),
        size: z.size,
        ..ArtifactInfo::default()
    };
    let failure = match (&z.definition, &z.integrity) {
        (Err(e), _) | (Ok(_), Err(e)) => Some(e),
        _ => None,
    };
    if let Some(e) = failure {
        return ArtifactResult {
            artifact: info,
            names: vec![name],
            verdict: Verdict::Rejected,
            reason: Some(e.code().into()),
            message: Some(e.to_string()),
            ..ArtifactResult::default()
        };
    }
    let mut names = vec![NameRef::new(name.clone(), NameSource::Layout)];
    if let Ok(d) = &z.definition {
        if d.name != name {
            names.push(NameRef::new(d.name.clone(), NameSource::Layout));
        }
    }
    let zc = check::Checker {
        roots: checker.roots,
        policies: checker.policies,
        now: checker.now,
        key_without_log: true,
    };
    let evidence: Vec<&Evidence> = z.evidence.iter().collect();
    let mut r = zc.check(
        check::Subject {
            digest: &z.digest,
            names,
            image: false,
            file_name: Some(crate::zarf::ZARF_YAML),
            sha512: None,
            searched: "zarf.bundle.sig and zarf.yaml.sig beside zarf.yaml",
        },
        &evidence,
    );
    r.artifact = info;
    r
}

/// The (layout, artifact) the operator's `--image` names: the one image of the input, else its
/// one unnamed image. `Err` says why neither exists.
fn operator_target(contents: &find::Contents, name: &str) -> Result<(usize, usize), String> {
    if crate::reference::parse(name).is_none() {
        return Err(
            "not an image reference (REGISTRY/REPOSITORY[:TAG], or a Docker Hub name)".into(),
        );
    }
    let all: Vec<(usize, usize, &crate::oci::OciArtifact)> = contents
        .layouts
        .iter()
        .enumerate()
        .flat_map(|(li, (_, f))| {
            f.artifacts
                .iter()
                .enumerate()
                .map(move |(ai, a)| (li, ai, a))
        })
        .collect();
    if let [(li, ai, _)] = all.as_slice() {
        return Ok((*li, *ai));
    }
    let unnamed: Vec<&(usize, usize, &crate::oci::OciArtifact)> =
        all.iter().filter(|(_, _, a)| a.names.is_empty()).collect();
    match unnamed.as_slice() {
        [(li, ai, _)] => Ok((*li, *ai)),
        [] if all.is_empty() => Err("the input holds no image".into()),
        [] => Err(format!(
            "the input holds {} images and every one is already named",
            all.len()
        )),
        many => Err(format!(
            "the input holds {} unnamed images ({}); import them one at a time, or name them in the layout",
            many.len(),
            many.iter()
                .map(|(_, _, a)| a.digest.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Identity, issuer and predicate types of the evidence behind the verdict; which policies
/// matched.
fn finish_artifact(req: &Request<'_>, r: &mut ArtifactResult, matched: &mut [bool]) {
    for p in &r.policies {
        if let Some(i) = req.policies.policies.iter().position(|q| q.name == p.name) {
            if let Some(m) = matched.get_mut(i) {
                *m = true;
            }
        }
    }
    for e in r.evidence.iter().filter(|e| e.verified) {
        if let Some(p) = &e.predicate {
            if p.predicate_type != crate::bundle::predicate::COSIGN_SIGN
                && !r.predicate_types.contains(&p.predicate_type)
            {
                r.predicate_types.push(p.predicate_type.clone());
            }
        }
    }
    // The signer shown: a certificate identity when one verified, else a key.
    let signers = r
        .evidence
        .iter()
        .filter(|e| e.verified)
        .filter_map(|e| e.signer.as_ref());
    let best = signers
        .clone()
        .find(|s| s.identity.is_some())
        .or_else(|| signers.clone().next());
    if let Some(s) = best {
        r.identity = s.identity.clone().or_else(|| s.key_id.clone());
        r.issuer = s.issuer.clone();
    }
    r.publisher = r
        .evidence
        .iter()
        .filter(|e| e.verified)
        .find_map(|e| e.publisher.clone());
}

fn sha256_file(p: &Path) -> Result<String, ImportError> {
    let mut f = fs::File::open(p).map_err(|e| data_dir_err(p, e))?;
    let mut h = crate::crypto::Hasher::new(crate::bundle::HashAlgorithm::Sha256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| data_dir_err(p, e))?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(h.finish()))
}

/// Marks an input rejected with a code and a message.
fn reject(result: &mut InputResult, code: &str, message: String) {
    result.verdict = Verdict::Rejected;
    result.reason = Some(code.to_string());
    result.message = Some(message);
}

/// Where one input is, and where it is kept.
struct Place<'a> {
    req: &'a Request<'a>,
    import_id: &'a str,
    input: &'a Path,
    source_copy: &'a Path,
    tree: &'a Path,
    is_dir: bool,
}

impl Place<'_> {
    /// Keeps the input whole: the byte-identical copy (or, for a folder, the staged copy of it)
    /// under `accepted/<import>/` with its verified contents, or under `quarantine/<import>/`
    /// with the result beside it. Nothing deletes either but the operator.
    fn keep(&self, result: &mut InputResult) -> Result<(), ImportError> {
        if !self.req.keep {
            return Ok(());
        }
        let (req, import_id, input, source_copy, tree, is_dir) = (
            self.req,
            self.import_id,
            self.input,
            self.source_copy,
            self.tree,
            self.is_dir,
        );
        let area = match result.verdict {
            Verdict::Accepted => "accepted",
            Verdict::Rejected => "quarantine",
        };
        let dir = req.data_dir.join(area).join(import_id);
        private_dir(&dir)?;
        let base = stored_name(&input_name(input));
        let mut name = base.clone();
        let mut n = 1;
        while dir.join(&name).exists() {
            n += 1;
            name = format!("{base}.{n}");
        }
        let kept = dir.join(&name);
        if is_dir {
            fs::rename(tree, &kept).map_err(|e| data_dir_err(&kept, e))?;
        } else {
            fs::rename(source_copy, &kept).map_err(|e| data_dir_err(&kept, e))?;
            if result.verdict == Verdict::Accepted {
                let contents = dir.join(format!("{name}.contents"));
                fs::rename(tree, &contents).map_err(|e| data_dir_err(&contents, e))?;
            }
        }
        // Every image of an accepted layout gets a `ref.name`, so `skopeo copy oci:DIR:REF`
        // picks one in a layout that holds several. Only in `NAME.contents/`: a kept folder is
        // what `reverify` reads again, and must stay as it arrived.
        if result.verdict == Verdict::Accepted && !is_dir {
            let contents = dir.join(format!("{name}.contents"));
            let names: std::collections::BTreeMap<String, Vec<String>> = result
                .artifacts
                .iter()
                .map(|a| {
                    let mut n: Vec<String> = a
                        .references
                        .iter()
                        .filter(|r| crate::reference::parse(&r.name).is_some())
                        .map(|r| r.name.clone())
                        .collect();
                    n.dedup();
                    (a.artifact.digest.clone(), n)
                })
                .collect();
            for layout in crate::oci::naming::layout_dirs(&contents) {
                crate::oci::naming::name_entries(&layout, &names)
                    .map_err(|e| data_dir_err(&layout.join("index.json"), e))?;
            }
        }
        if result.verdict == Verdict::Rejected {
            let note = dir.join(format!("{name}.result.json"));
            if let Ok(json) = serde_json::to_vec_pretty(&*result) {
                fs::write(&note, json).map_err(|e| data_dir_err(&note, e))?;
            }
        }
        // Durable before the import reports done.
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        result.kept_at = Some(kept.display().to_string());
        Ok(())
    }
}

/// The ledger records of an import: one per artifact, and one per input that held none (a
/// hostile or broken archive), each with the trust root and policy it was decided under.
pub fn ledger_records(report: &ImportReport) -> Vec<crate::store::RecordInput> {
    use crate::store::record_types::{ArtifactRef, DecidedUnder, LogRef, TarballRef};
    let mut out = Vec::new();
    for input in &report.inputs {
        let tarball = Some(TarballRef {
            name: input.tarball.name.clone(),
            sha256: input.tarball.sha256.clone(),
            size: input.tarball.size,
        });
        let base = |under: DecidedUnder| crate::store::RecordInput {
            kind: crate::store::RecordKind::Artifact,
            import_id: Some(report.import_id.clone()),
            tarball: tarball.clone(),
            kept_at: input.kept_at.clone(),
            decided_under: under,
            airlock_version: report.airlock_version.clone(),
            ..Default::default()
        };
        let under = |instance: Option<String>| {
            let root = report
                .trust_roots
                .iter()
                .find(|t| t.instance == instance)
                .unwrap_or(&report.trust_root);
            DecidedUnder {
                trust_root_digest: root.digest.clone(),
                trust_root_instance: root.instance.clone(),
                tuf_root_version: root.tuf_root_version,
                trust_root_stale: root.stale,
                policy_digest: Some(report.policy.digest.clone()),
            }
        };
        if input.artifacts.is_empty() {
            out.push(crate::store::RecordInput {
                kind: crate::store::RecordKind::Input,
                verdict: input.verdict,
                reason: input.reason.clone(),
                message: input.message.clone(),
                ..base(under(None))
            });
        }
        for a in &input.artifacts {
            let verified: Vec<&report::EvidenceResult> =
                a.evidence.iter().filter(|e| e.verified).collect();
            let first = verified.first();
            let mut r = base(under(first.and_then(|e| e.instance.clone())));
            r.artifact = Some(ArtifactRef {
                name: a.artifact.name.clone(),
                digest: a.artifact.digest.clone(),
                media_type: a.artifact.media_type.clone(),
                kind: a.artifact.kind.to_string(),
                reference: a.artifact.reference.clone(),
                chart: a
                    .artifact
                    .chart
                    .as_ref()
                    .map(|c| format!("{}:{}", c.name, c.version)),
                references: a.references.clone(),
                platforms_absent: a.artifact.platforms_absent.clone(),
                covered_by: a.artifact.covered_by.clone(),
                sha512: a.artifact.sha512.clone(),
                publisher: a.publisher.clone(),
            });
            r.verdict = a.verdict;
            r.reason = a.reason.clone();
            r.message = a.message.clone();
            r.identity = a.identity.clone();
            r.issuer = a.issuer.clone();
            r.predicate_types = a.predicate_types.clone();
            if let Some(e) = first {
                r.fulcio_extensions = e
                    .signer
                    .as_ref()
                    .map(|s| s.fulcio_extensions.clone())
                    .unwrap_or_default();
                r.signed_at = e.signed_at;
                r.signed_at_source = e.signed_at_source.clone();
            }
            r.tlog_entries = verified
                .iter()
                .flat_map(|e| e.tlog_entries.iter())
                .map(|t| LogRef {
                    log_id: t.log_id.clone(),
                    log_index: t.log_index,
                    integrated_time: t.integrated_time,
                })
                .collect();
            // A record stays small whatever the medium holds (one folder with 10,000 referrers
            // made a 15 MB record): the evidence that verified first, then the rest, up to the
            // cap; how many more there were is said. The bytes of all of it are stored once by
            // digest anyway.
            let mut kept: Vec<&report::EvidenceResult> =
                a.evidence.iter().filter(|e| e.verified).collect();
            kept.extend(a.evidence.iter().filter(|e| !e.verified));
            let omitted = kept
                .len()
                .saturating_sub(crate::limits::MAX_RECORD_EVIDENCE);
            kept.truncate(crate::limits::MAX_RECORD_EVIDENCE);
            r.evidence = serde_json::to_value(&kept).unwrap_or_default();
            r.evidence_omitted = omitted as u64;
            r.stored_evidence = kept.iter().flat_map(|e| e.stored.iter().cloned()).collect();
            r.stored_evidence.sort();
            r.stored_evidence.dedup();
            out.push(r);
        }
    }
    out
}
