//! Synthetic ledger records for the benches (a million of them, shaped like an import's), and
//! the percentile both benches report.
#![allow(dead_code)]

use airlock::store::record_types::{ArtifactRef, DecidedUnder};
use airlock::store::{RecordInput, RecordKind, Verdict};

/// The artifact digest of record `i` (distinct for every `i`).
pub fn digest(i: u64) -> String {
    format!("sha256:{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

pub fn input(i: u64) -> RecordInput {
    RecordInput {
        kind: RecordKind::Artifact,
        import_id: Some(format!("imp-{}", i / 10)),
        artifact: Some(ArtifactRef {
            name: format!("ghcr.io/acme/app-{}:v{}", i % 1000, i % 7),
            digest: digest(i),
            kind: "image".into(),
            ..Default::default()
        }),
        verdict: if i.is_multiple_of(17) {
            Verdict::Rejected
        } else {
            Verdict::Accepted
        },
        identity: Some(format!(
            "https://github.com/acme/app-{}/.github/workflows/release.yml@refs/heads/main",
            i % 5000
        )),
        issuer: Some("https://token.actions.githubusercontent.com".into()),
        decided_under: DecidedUnder {
            trust_root_digest: "sha256:6494e21ea73f".into(),
            policy_digest: Some("sha256:03dce04773d5".into()),
            ..Default::default()
        },
        airlock_version: "0.1.0".into(),
        ..Default::default()
    }
}

pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}
