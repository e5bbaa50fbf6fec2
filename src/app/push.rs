//! `push`: hands accepted images to the site's registry with their evidence and airlock's VSA,
//! and records each push (pushed or failed, and why) in the ledger.
//!
//! Owns: choosing what may be pushed (the latest verdict of each image must be accepted), the
//! destination names, keeping each image's VSA so every push of it is the same, the push
//! records. Must not touch: HTTP (that is `registry`), what goes where (that is `push`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{App, Failure, Outcome};
use crate::push::{Kept, Pushed, Vsa};
use crate::registry::{Access, Registry, Target};
use crate::store::record_types::{PushRef, RecordKind, Verdict};
use crate::store::{Record, RecordInput};
use crate::time::Timestamp;

/// Most records of one import looked at for a push.
const MAX_IMPORT_RECORDS: usize = 100_000;

/// What to push, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushRequest {
    /// Every accepted image of this import…
    pub import_id: Option<String>,
    /// …or the image with this digest.
    pub digest: Option<String>,
    /// `REGISTRY[/PREFIX]` (`https://` implied; `http://` only to loopback).
    pub to: String,
    /// Put every image in this repository instead of the one its name maps to.
    pub repository: Option<String>,
    #[serde(default)]
    pub access: Access,
    pub hmac_key_file: Option<PathBuf>,
}

/// How one image's push ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PushOutcome {
    Pushed,
    /// The registry or the kept layout failed it; see `retryable`.
    Failed,
    /// Not pushed: its latest verdict is not accepted, or it is not an image.
    Refused,
}

/// One image of a push.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagePush {
    pub digest: String,
    pub name: String,
    pub import_id: Option<String>,
    pub outcome: PushOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub retryable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<Pushed>,
    /// The push record (none for a refusal, which changes nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
}

/// What a push did.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushResponse {
    pub destination: String,
    pub images: Vec<ImagePush>,
}

impl PushResponse {
    /// 0 when every image was pushed, 1 when any was refused or failed.
    pub fn outcome(&self) -> Outcome {
        if self.images.iter().all(|i| i.outcome == PushOutcome::Pushed) {
            Outcome::Accepted
        } else {
            Outcome::Rejected
        }
    }
}

/// An image's kept layout: `NAME.contents/` beside a kept tarball, or the kept folder itself.
fn kept_dir(kept_at: &str) -> Option<PathBuf> {
    let contents = PathBuf::from(format!("{kept_at}.contents"));
    if contents.is_dir() {
        return Some(contents);
    }
    let p = PathBuf::from(kept_at);
    p.is_dir().then_some(p)
}

fn is_image(r: &Record) -> bool {
    r.body
        .artifact
        .as_ref()
        .is_some_and(|a| a.kind == "image" || a.kind == "image-index")
}

/// The destination repositories of an image and the tags in each, from its names.
fn destinations(
    target: &Target,
    r: &Record,
    repository: Option<&str>,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let a = r
        .body
        .artifact
        .as_ref()
        .ok_or("the record names no artifact")?;
    let mut names: Vec<String> = a.references.iter().map(|n| n.name.clone()).collect();
    names.extend(a.reference.clone());
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for n in &names {
        let Some(parsed) = crate::reference::parse(n) else {
            continue;
        };
        let repo = match repository {
            Some(r) => r.to_string(),
            None => target.repository_for(&parsed),
        };
        let i = match out.iter().position(|(r, _)| *r == repo) {
            Some(i) => i,
            None => {
                out.push((repo, Vec::new()));
                out.len() - 1
            }
        };
        if let Some(t) = parsed.tag {
            if !out[i].1.contains(&t) {
                out[i].1.push(t);
            }
        }
    }
    if out.is_empty() {
        match repository {
            Some(r) => out.push((r.to_string(), Vec::new())),
            None => {
                return Err(format!(
                    "{} has no name to map to a repository: give --repository",
                    crate::text::escape(&a.name)
                ))
            }
        }
    }
    Ok(out)
}

impl App {
    /// Pushes accepted images and records each push.
    pub fn push(&self, req: &PushRequest, now: Timestamp) -> Result<PushResponse, Failure> {
        let target =
            Target::parse(&req.to).map_err(|e| Failure::unusable(e.code(), e.to_string()))?;
        if let Some(r) = &req.repository {
            if crate::reference::parse(&format!("{}/{r}", target.host))
                .is_none_or(|p| p.path != *r || p.tag.is_some())
            {
                return Err(Failure::unusable(
                    "usage",
                    format!(
                        "--repository {}: not a repository path",
                        crate::text::escape(r)
                    ),
                ));
            }
        }
        let registry = Registry::connect(&target, &req.access)
            .map_err(|e| Failure::unusable(e.code(), e.to_string()))?;
        let ledger = self.ledger(req.hmac_key_file.as_deref())?;
        // One handle for the whole push (sled admits one opener per process).
        let app = App::holding(self.data_dir(), ledger.clone());
        let candidates: Vec<Record> = match (&req.import_id, &req.digest) {
            (Some(id), None) => {
                let view = app.import_records(id, MAX_IMPORT_RECORDS)?;
                let images: Vec<Record> = view
                    .records
                    .into_iter()
                    .filter(|r| r.body.kind == RecordKind::Artifact && is_image(r))
                    .collect();
                if images.is_empty() {
                    return Err(Failure::refused(
                        "nothing-to-push",
                        format!("import {} holds no image", crate::text::escape(id)),
                    ));
                }
                images
            }
            (None, Some(d)) => vec![app.artifact(d, 1_000)?.latest],
            _ => {
                return Err(Failure::unusable(
                    "usage",
                    "push takes an import id or --digest, not both",
                ))
            }
        };
        let mut images = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for record in candidates {
            let Some(a) = record.body.artifact.clone() else {
                continue;
            };
            if !seen.insert(a.digest.clone()) {
                continue;
            }
            // The latest decision about the digest, not the one this import made: a later
            // reverify --apply may have rejected it (with --digest the candidate is that one).
            let latest = match &req.digest {
                Some(_) => record.clone(),
                None => app.artifact(&a.digest, 1_000)?.latest,
            };
            let refuse = |reason: &str, message: String| ImagePush {
                digest: a.digest.clone(),
                name: a.name.clone(),
                import_id: record.body.import_id.clone(),
                outcome: PushOutcome::Refused,
                reason: Some(reason.to_string()),
                message: Some(message),
                retryable: false,
                repositories: Vec::new(),
                record_id: None,
            };
            if latest.body.verdict != Verdict::Accepted {
                images.push(refuse(
                    "not-accepted",
                    format!(
                        "its latest verdict (record {}) is {}: [{}] {}",
                        latest.id,
                        latest.body.verdict.as_str(),
                        latest.body.reason.as_deref().unwrap_or(""),
                        latest.body.message.as_deref().unwrap_or("")
                    ),
                ));
                continue;
            }
            if !is_image(&latest) {
                images.push(refuse(
                    "not-an-image",
                    format!("a {} is not pushed to a registry", a.kind),
                ));
                continue;
            }
            images.push(self.push_one(&ledger, &registry, req, &record, now)?);
        }
        Ok(PushResponse {
            destination: req.to.clone(),
            images,
        })
    }

    /// The VSA of the decision `r`, made once and kept beside the import's input so that every
    /// push of it attaches the same bytes.
    fn vsa_for(&self, ledger: &crate::store::Ledger, r: &Record) -> Result<Vsa, Failure> {
        let import = r.body.import_id.as_deref().unwrap_or("no-import");
        let hex = r
            .body
            .artifact
            .as_ref()
            .and_then(|a| crate::oci::sha256_hex(&a.digest).map(str::to_string))
            .unwrap_or_default();
        let dir = self.data_dir().join("accepted").join(import).join("vsa");
        let file = dir.join(format!("{hex}.record-{}.dsse.json", r.id));
        let key = ledger.signing_key().map_err(Failure::from)?;
        let key_hint = crate::store::export::key_id(&key.public_spki_der());
        let envelope = match std::fs::read(&file) {
            Ok(b) => b,
            Err(_) => {
                let (env, _) = ledger.vsa_envelope(r).map_err(Failure::from)?;
                write_atomic(&dir, &file, env.as_bytes()).map_err(|e| {
                    Failure::unusable("data-dir-unwritable", format!("{}: {e}", file.display()))
                })?;
                env.into_bytes()
            }
        };
        Ok(Vsa {
            envelope,
            key_hint,
            time_verified: r.recorded_at.to_string(),
            predicate_type: crate::store::export::VSA_PREDICATE.to_string(),
        })
    }

    fn push_one(
        &self,
        ledger: &crate::store::Ledger,
        registry: &Registry,
        req: &PushRequest,
        r: &Record,
        now: Timestamp,
    ) -> Result<ImagePush, Failure> {
        let a = r.body.artifact.clone().unwrap_or_default();
        let mut result = ImagePush {
            digest: a.digest.clone(),
            name: a.name.clone(),
            import_id: r.body.import_id.clone(),
            outcome: PushOutcome::Pushed,
            reason: None,
            message: None,
            retryable: false,
            repositories: Vec::new(),
            record_id: None,
        };
        let attempt = || -> Result<Vec<Pushed>, (String, String, bool)> {
            let kept = r
                .body
                .kept_at
                .as_deref()
                .and_then(kept_dir)
                .ok_or_else(|| {
                    (
                        "kept-layout-missing".to_string(),
                        format!(
                            "the accepted input of import {} is no longer kept in the data dir",
                            r.body.import_id.as_deref().unwrap_or("?")
                        ),
                        false,
                    )
                })?;
            let kept = Kept::open(&kept).map_err(|e| (e.code().into(), e.to_string(), false))?;
            let dests = destinations(registry.target(), r, req.repository.as_deref())
                .map_err(|m| ("no-destination-name".to_string(), m, false))?;
            let vsa = self
                .vsa_for(ledger, r)
                .map_err(|f| (f.reason, f.message, false))?;
            // A repository of this destination that an earlier push filled with the same image:
            // its blobs are mounted, not sent again (the registry uploads instead when it no
            // longer has them there).
            let earlier = ledger
                .query(&crate::store::Filter {
                    digest: Some(a.digest.clone()),
                    kind: Some(RecordKind::Push),
                    limit: Some(100),
                    ..Default::default()
                })
                .unwrap_or_default()
                .into_iter()
                .filter(|p| p.body.verdict == Verdict::Accepted)
                .filter_map(|p| p.body.push)
                .find(|p| p.destination == req.to)
                .and_then(|p| p.repositories.into_iter().next())
                .map(|p| p.repository);
            let mut done: Vec<Pushed> = Vec::new();
            for (repo, tags) in dests {
                let job = crate::push::Job {
                    kept: &kept,
                    repository: repo.clone(),
                    digest: a.digest.clone(),
                    tags,
                    vsa: Some(&vsa),
                    mount_from: done
                        .first()
                        .map(|p| p.repository.clone())
                        .or_else(|| earlier.clone())
                        .filter(|from| *from != repo),
                };
                crate::fault::point("push-mid");
                let p = crate::push::push(registry, &job)
                    .map_err(|e| (e.code().to_string(), e.to_string(), e.retryable()))?;
                done.push(p);
            }
            Ok(done)
        };
        let (verdict, push) = match attempt() {
            Ok(done) => {
                result.repositories = done.clone();
                (
                    Verdict::Accepted,
                    PushRef {
                        destination: req.to.clone(),
                        repositories: done,
                        retryable: false,
                    },
                )
            }
            Err((code, message, retryable)) => {
                result.outcome = PushOutcome::Failed;
                result.reason = Some(code);
                result.message = Some(message);
                result.retryable = retryable;
                (
                    Verdict::Rejected,
                    PushRef {
                        destination: req.to.clone(),
                        repositories: Vec::new(),
                        retryable,
                    },
                )
            }
        };
        let record = RecordInput {
            kind: RecordKind::Push,
            import_id: r.body.import_id.clone(),
            tarball: r.body.tarball.clone(),
            artifact: Some(a),
            verdict,
            reason: result.reason.clone(),
            message: result.message.clone(),
            decided_under: r.body.decided_under.clone(),
            airlock_version: super::VERSION.to_string(),
            kept_at: r.body.kept_at.clone(),
            push: Some(push),
            ..Default::default()
        };
        let ids = ledger.append(&[record], now).map_err(Failure::from)?;
        result.record_id = ids.first().copied();
        Ok(result)
    }
}

/// Writes `bytes` to `file` whole or not at all (a temporary file renamed over it).
fn write_atomic(dir: &Path, file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let tmp = file.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
