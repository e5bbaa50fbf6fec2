//! One ledger record: the facts of one verification outcome (or trust event), sealed into the
//! chain with the previous record's hash and an HMAC under the deployment key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{sha256_hex, StoreError};
use crate::crypto;
use crate::time::Timestamp;

/// accepted | rejected: the verdict of a record (and of an import's report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    #[default]
    Accepted,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    /// `accepted` or `rejected`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "accepted" => Some(Self::Accepted),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// An import's verdict on one artifact.
    #[default]
    Artifact,
    /// An input that held no artifact to decide (unreadable, unsafe, not an archive).
    Input,
    /// `verify-bundle --record`.
    VerifyBundle,
    /// A trust root installed, updated, imported or refused.
    TrustEvent,
    /// A verdict a re-verification found changed (applied only with `reverify --apply`).
    Reverify,
    /// One `reverify` run.
    ReverifyRun,
    /// An accepted image pushed (or not) to a registry.
    Push,
}

impl RecordKind {
    /// Whether a record of this kind is a verdict on its artifact (a push or a re-verification
    /// run is not).
    pub fn is_decision(self) -> bool {
        matches!(
            self,
            Self::Artifact | Self::Input | Self::VerifyBundle | Self::Reverify
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Artifact => "artifact",
            Self::Input => "input",
            Self::VerifyBundle => "verify-bundle",
            Self::TrustEvent => "trust-event",
            Self::Reverify => "reverify",
            Self::ReverifyRun => "reverify-run",
            Self::Push => "push",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The input the record is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TarballRef {
    pub name: String,
    pub sha256: Option<String>,
    pub size: u64,
}

/// The artifact the record is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRef {
    pub name: String,
    pub digest: String,
    pub media_type: String,
    pub kind: String,
    pub reference: Option<String>,
    pub chart: Option<String>,
    /// Every name with where it came from (absent from records written before names had
    /// sources: their hash is unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<crate::reference::NameRef>,
    /// Platforms of a partial export that were not on the medium.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms_absent: Vec<crate::oci::AbsentPlatform>,
    /// The signed package that vouches for it (`zarf-package NAME:VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<String>,
    /// SHA-512 (hex) of a file whose evidence named one (npm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
    /// The Trusted Publisher of a Python distribution (PEP 740), as verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<crate::bundle::pep740::Publisher>,
}

/// A transparency-log entry the decision relied on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRef {
    pub log_id: String,
    pub log_index: u64,
    pub integrated_time: Option<Timestamp>,
}

/// The trust root and policy a decision was made under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecidedUnder {
    pub trust_root_digest: String,
    pub trust_root_instance: Option<String>,
    pub tuf_root_version: Option<u64>,
    pub trust_root_stale: bool,
    pub policy_digest: Option<String>,
}

/// A push of an accepted image to a registry: where, what, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushRef {
    /// `REGISTRY[/PREFIX]` as given.
    pub destination: String,
    /// Per repository: what was placed there (empty when the push failed before any).
    pub repositories: Vec<Pushed>,
    /// A failed push that trying again may finish (network, the registry's own trouble).
    #[serde(default)]
    pub retryable: bool,
}

/// A piece of evidence placed in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushedEvidence {
    /// `signature`, `attestation`, `sbom`, `referrer`, `vsa-attestation` or `vsa-bundle`.
    pub kind: String,
    /// The manifest's digest.
    pub digest: String,
    /// The tag it is found under, if any (`sha256-<hex>.sig`, or the referrers tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// What one push placed in one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pushed {
    pub repository: String,
    /// Every manifest and index put, by digest, the image's own first.
    pub manifests: Vec<String>,
    pub tags: Vec<String>,
    pub blobs_uploaded: u64,
    pub blobs_present: u64,
    pub blobs_mounted: u64,
    pub bytes_uploaded: u64,
    pub evidence: Vec<PushedEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsa_digest: Option<String>,
    /// Platforms the index names that the layout did not hold (not pushed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<String>,
    /// Whether the registry keeps referrers itself (else the referrers tag schema was used).
    pub referrers_api: bool,
}

/// What a caller records; the ledger adds id, time and the seal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordInput {
    pub kind: RecordKind,
    pub import_id: Option<String>,
    pub tarball: Option<TarballRef>,
    pub artifact: Option<ArtifactRef>,
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub identity: Option<String>,
    pub issuer: Option<String>,
    pub fulcio_extensions: BTreeMap<String, String>,
    pub predicate_types: Vec<String>,
    pub signed_at: Option<Timestamp>,
    pub signed_at_source: Option<String>,
    pub tlog_entries: Vec<LogRef>,
    pub decided_under: DecidedUnder,
    pub airlock_version: String,
    /// The decision's evidence results as reported (JSON), kept so it can be read back.
    pub evidence: serde_json::Value,
    /// Where the input was kept (`accepted/…` or `quarantine/…`), so that the decision can be
    /// made again from it (`airlock reverify`).
    #[serde(default)]
    pub kept_at: Option<String>,
    /// `sha256:` digests of the evidence bytes (and the policy's, as `decidedUnder.policyDigest`)
    /// stored once in the ledger and shared by every record that names them.
    #[serde(default)]
    pub stored_evidence: Vec<String>,
    /// Pieces of evidence past the cap a record lists (absent from records that had none:
    /// their hash is unchanged).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub evidence_omitted: u64,
    /// A push record's details (absent from every other record: their hash is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<PushRef>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A sealed ledger record. Serialized with its body's fields inline (the stored and hashed
/// form); read back through [`RecordWire`], the same fields spelled out, because serde's
/// `flatten` buffers every field of every record read (a third of an API lookup's time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "RecordWire")]
pub struct Record {
    pub id: u64,
    pub recorded_at: Timestamp,
    #[serde(flatten)]
    pub body: RecordInput,
    /// Hash of the record before it (empty for the first).
    pub prev_hash: String,
    /// SHA-256 of `prevHash` and the canonical body.
    pub hash: String,
    /// HMAC-SHA256 of `hash` under the deployment key.
    pub hmac: String,
}

/// [`Record`] as stored: every field at the top level.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordWire {
    id: u64,
    recorded_at: Timestamp,
    kind: RecordKind,
    import_id: Option<String>,
    tarball: Option<TarballRef>,
    artifact: Option<ArtifactRef>,
    verdict: Verdict,
    reason: Option<String>,
    message: Option<String>,
    identity: Option<String>,
    issuer: Option<String>,
    fulcio_extensions: BTreeMap<String, String>,
    predicate_types: Vec<String>,
    signed_at: Option<Timestamp>,
    signed_at_source: Option<String>,
    tlog_entries: Vec<LogRef>,
    decided_under: DecidedUnder,
    airlock_version: String,
    evidence: serde_json::Value,
    #[serde(default)]
    kept_at: Option<String>,
    #[serde(default)]
    stored_evidence: Vec<String>,
    #[serde(default)]
    evidence_omitted: u64,
    #[serde(default)]
    push: Option<PushRef>,
    prev_hash: String,
    hash: String,
    hmac: String,
}

impl From<RecordWire> for Record {
    fn from(w: RecordWire) -> Record {
        Record {
            id: w.id,
            recorded_at: w.recorded_at,
            body: RecordInput {
                kind: w.kind,
                import_id: w.import_id,
                tarball: w.tarball,
                artifact: w.artifact,
                verdict: w.verdict,
                reason: w.reason,
                message: w.message,
                identity: w.identity,
                issuer: w.issuer,
                fulcio_extensions: w.fulcio_extensions,
                predicate_types: w.predicate_types,
                signed_at: w.signed_at,
                signed_at_source: w.signed_at_source,
                tlog_entries: w.tlog_entries,
                decided_under: w.decided_under,
                airlock_version: w.airlock_version,
                evidence: w.evidence,
                kept_at: w.kept_at,
                stored_evidence: w.stored_evidence,
                evidence_omitted: w.evidence_omitted,
                push: w.push,
            },
            prev_hash: w.prev_hash,
            hash: w.hash,
            hmac: w.hmac,
        }
    }
}

/// The bytes a record's hash covers: the record with `hash` and `hmac` empty.
fn canonical(r: &Record) -> Result<Vec<u8>, StoreError> {
    let mut c = r.clone();
    c.hash = String::new();
    c.hmac = String::new();
    serde_json::to_vec(&c).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The hash a record must carry: SHA-256 of its canonical bytes.
pub(super) fn canonical_hash(r: &Record) -> Result<String, StoreError> {
    canonical(r).map(|c| sha256_hex(&c))
}

impl Record {
    pub(super) fn seal(
        id: u64,
        input: &RecordInput,
        recorded_at: Timestamp,
        prev: &str,
        key: &[u8],
    ) -> Result<Record, StoreError> {
        let mut r = Record {
            id,
            recorded_at,
            body: input.clone(),
            prev_hash: prev.to_string(),
            hash: String::new(),
            hmac: String::new(),
        };
        r.hash = sha256_hex(&canonical(&r)?);
        r.hmac = hex::encode(crypto::hmac_sha256(key, r.hash.as_bytes()));
        Ok(r)
    }

    /// Recomputes the hash and verifies the HMAC (in constant time).
    pub(super) fn check(&self, key: &[u8]) -> Result<(), String> {
        let want = canonical(self)
            .map(|c| sha256_hex(&c))
            .map_err(|e| e.to_string())?;
        if want != self.hash {
            return Err("its content does not match its hash: edited".into());
        }
        let tag = hex::decode(&self.hmac).map_err(|_| "its HMAC is not hex".to_string())?;
        if !crypto::hmac_sha256_verify(key, self.hash.as_bytes(), &tag) {
            return Err("its HMAC does not verify under the deployment key: rewritten".into());
        }
        Ok(())
    }

    /// The values indexed, in the order of `INDEXES`.
    pub(super) fn index_values(&self) -> [Option<String>; 7] {
        let b = &self.body;
        [
            b.artifact
                .as_ref()
                .map(|a| a.digest.clone())
                .filter(|d| !d.is_empty()),
            b.identity.clone(),
            b.issuer.clone(),
            Some(b.verdict.as_str().to_string()),
            b.import_id.clone(),
            Some(format!("{:020}", self.recorded_at.as_second().max(0))),
            b.tarball.as_ref().and_then(|t| t.sha256.clone()),
        ]
    }
}

/// A query of the ledger.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub digest: Option<String>,
    /// Records whose artifact digest starts with this (the short form tables print,
    /// `sha256:` and at least 12 hex digits).
    pub digest_prefix: Option<String>,
    pub identity: Option<String>,
    pub issuer: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub verdict: Option<Verdict>,
    /// Only records of this kind (`query --pushed`: pushes).
    pub kind: Option<RecordKind>,
    pub import_id: Option<String>,
    /// SHA-256 (hex) of the input (`tarball.sha256`).
    pub tarball_sha256: Option<String>,
    pub limit: Option<usize>,
    /// Only records with an id below this one (the cursor of the next page, newest first).
    pub before: Option<u64>,
}

impl Filter {
    /// The `tarball_sha256` condition from what an operator typed: hex, with or without
    /// `sha256:`, in either case (the ledger holds lowercase hex).
    pub fn tarball_sha256_of(typed: &str) -> String {
        typed
            .strip_prefix("sha256:")
            .unwrap_or(typed)
            .to_ascii_lowercase()
    }

    /// Whether `r` meets every condition given.
    pub fn matches(&self, r: &Record) -> bool {
        let b = &r.body;
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        eq(&self.digest, b.artifact.as_ref().map(|a| a.digest.as_str()))
            && self
                .digest_prefix
                .as_deref()
                .is_none_or(|p| b.artifact.as_ref().is_some_and(|a| a.digest.starts_with(p)))
            && eq(&self.identity, b.identity.as_deref())
            && eq(&self.issuer, b.issuer.as_deref())
            && self.verdict.is_none_or(|v| v == b.verdict)
            && self.kind.is_none_or(|k| k == b.kind)
            && eq(&self.import_id, b.import_id.as_deref())
            && eq(
                &self.tarball_sha256,
                b.tarball.as_ref().and_then(|t| t.sha256.as_deref()),
            )
            && self.since.is_none_or(|s| r.recorded_at >= s)
            && self.until.is_none_or(|u| r.recorded_at <= u)
            && self.before.is_none_or(|b| r.id < b)
    }
}
