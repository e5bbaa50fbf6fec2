//! The typed results of an import, rendered by the CLI (table and `--json`), and recorded later by
//! the ledger. camelCase, like `verify-bundle --json`.

use std::collections::BTreeMap;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::bundle::predicate::PredicateSummary;
use crate::oci::Orphan;
use crate::policy::cip::Mode;
use crate::time::Timestamp;
use crate::verify::{TimeSource, VerifiedBundle, VerifiedSigner};

pub use crate::store::record_types::Verdict;

/// Who signed one piece of evidence, as verified.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignerInfo {
    /// `certificate`, `key` or `hmac`.
    pub kind: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fulcio_extensions: BTreeMap<String, String>,
}

impl SignerInfo {
    pub fn hmac(key_id: &str) -> Self {
        SignerInfo {
            kind: Cow::Borrowed("hmac"),
            key_id: Some(key_id.to_string()),
            ..SignerInfo::default()
        }
    }
}

/// One transparency-log entry that verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryRef {
    pub log_id: String,
    pub log_base_url: String,
    pub log_index: u64,
    pub integrated_time: Option<Timestamp>,
    pub kind: String,
}

/// One piece of evidence and what became of it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceResult {
    pub origin: String,
    /// `sigstore-bundle`, `cosign-signature`, `cosign-attestation`, `proof-record`, ...
    pub kind: Cow<'static, str>,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_media_type: Option<String>,
    /// The trust instance the evidence was verified against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<PredicateSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_reference: Option<String>,
    /// For a statement carrying an HMAC proof record (or a record itself): `verified` or why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at_source: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tlog_entries: Vec<LogEntryRef>,
    /// The Trusted Publisher (PEP 740): from the provenance object, else the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<crate::bundle::pep740::Publisher>,
    /// The subject names of the verified statement (not serialized: the predicate says more).
    #[serde(skip)]
    pub subject_names: Vec<String>,
    /// `sha256:` digests of the bytes it was read from, stored in the ledger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stored: Vec<String>,
}

impl EvidenceResult {
    pub fn from_verified(origin: &str, kind: &'static str, v: &VerifiedBundle) -> Self {
        let signer = match &v.signer {
            VerifiedSigner::Certificate {
                certificate,
                identity,
                ca,
                ..
            } => SignerInfo {
                kind: "certificate".into(),
                identity: Some(identity.subject_alternative_name.clone()),
                issuer: certificate.oidc_issuer.clone(),
                ca: Some(ca.clone()),
                key_id: None,
                fulcio_extensions: certificate.fulcio_extensions.clone(),
            },
            VerifiedSigner::Key { key_id } => SignerInfo {
                kind: "key".into(),
                key_id: Some(format!("sha256:{key_id}")),
                ..SignerInfo::default()
            },
        };
        let first = v.verified_times.iter().min_by_key(|t| t.time);
        EvidenceResult {
            origin: origin.to_string(),
            kind: kind.into(),
            verified: true,
            bundle_media_type: Some(v.media_type.clone()),
            signer: Some(signer),
            signed_at: first.map(|t| t.time),
            signed_at_source: first.map(|t| match t.source {
                TimeSource::TransparencyLog => format!("transparency log {}", t.uri),
                TimeSource::TimestampAuthority => format!("timestamp authority {}", t.uri),
            }),
            tlog_entries: v
                .tlog_entries
                .iter()
                .map(|e| LogEntryRef {
                    log_id: e.log_id.clone(),
                    log_base_url: e.log_base_url.clone(),
                    log_index: e.log_index,
                    integrated_time: e.integrated_time,
                    kind: format!("{} {}", e.kind, e.version),
                })
                .collect(),
            ..EvidenceResult::default()
        }
    }
}

/// One matching ClusterImagePolicy and whether it was satisfied.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResult {
    pub name: String,
    pub mode: Mode,
    pub satisfied: bool,
    /// The authority that satisfied it.
    pub authority: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    /// Fields of the policy not used offline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_applicable: Vec<String>,
}

/// A Helm chart's name and version.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartInfo {
    pub name: String,
    pub version: String,
}

/// What the artifact is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactInfo {
    pub name: String,
    /// `image`, `image-index`, `helm-chart` or `blob`.
    pub kind: Cow<'static, str>,
    pub digest: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Platforms the index names that the medium does not hold: never verified, never kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms_absent: Vec<crate::oci::AbsentPlatform>,
    /// What vouches for this artifact when it is inside a signed package (`zarf-package
    /// NAME:VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<String>,
    /// SHA-512 (hex) of a file, when evidence named one (npm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
}

/// The decision about one artifact.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactResult {
    pub artifact: ArtifactInfo,
    /// Every name matched against the policy's globs.
    pub names: Vec<String>,
    /// Every name with where it came from (`operator`, `layout`, `signed-payload`,
    /// `statement-subject`).
    pub references: Vec<crate::reference::NameRef>,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The identity and issuer of the evidence that satisfied the policy, when keyless.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Predicate types of the attestations that verified.
    pub predicate_types: Vec<String>,
    /// The Trusted Publisher of a Python distribution (PEP 740), as verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<crate::bundle::pep740::Publisher>,
    pub evidence: Vec<EvidenceResult>,
    pub policies: Vec<PolicyResult>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The input file or folder.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TarballInfo {
    pub name: String,
    pub path: String,
    /// SHA-256 of the file as read (absent for a folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub size: u64,
    /// `tar`, `tar.gz`, `tar.zst` or `folder`.
    pub format: String,
}

/// The decision about one input: accepted only when every artifact in it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputResult {
    pub tarball: TarballInfo,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub artifacts: Vec<ArtifactResult>,
    /// Evidence that names nothing this input holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<Orphan>,
    /// Blobs of a layout no manifest reaches: reported, not trusted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreferenced_blobs: Vec<String>,
    /// Where the input was kept (under `accepted/` or `quarantine/` in the data dir).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_at: Option<String>,
}

/// The trust root a decision was made under.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustRootRef {
    /// The installed trust instance (`public-good`, `github`, ...), or none for a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    pub digest: String,
    pub source: String,
    pub tuf_verified: bool,
    pub tuf_root_version: Option<u64>,
    pub stale: bool,
}

/// The policy a decision was made under.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    pub file: String,
    pub digest: String,
    pub names: Vec<String>,
}

/// One `airlock import` run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub import_id: String,
    pub recorded_at: Option<Timestamp>,
    pub verdict: Verdict,
    /// The first trust root (public good, or the file given); every one in `trustRoots`.
    pub trust_root: TrustRootRef,
    pub trust_roots: Vec<TrustRootRef>,
    pub policy: PolicyRef,
    pub inputs: Vec<InputResult>,
    /// Policies that matched no artifact of this import (`policy-matched-nothing`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies_matched_nothing: Vec<String>,
    pub airlock_version: String,
}
