//! `airlock reverify`: every recorded decision made again, from the input airlock kept, against
//! the trust roots and the policy in force now; the verdicts that would change.
//!
//! Owns: matching recorded verdicts to new ones (by input and artifact digest). Must not touch:
//! sled (the caller hands in the records), the terminal.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::import::report::Verdict;
use crate::import::{run, ImportError, Request};
use crate::store::Record;

/// A verdict that would change.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub record_id: u64,
    pub import_id: Option<String>,
    pub artifact: String,
    pub digest: String,
    pub was: String,
    pub now: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// What a re-verification found.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reverified {
    /// Records decided again.
    pub checked: usize,
    pub changes: Vec<Change>,
    /// Records whose kept input is gone (the operator deleted it): not decided again.
    pub not_checked: Vec<String>,
}

/// Decides every record of `records` (artifact and input records) again from its kept input,
/// with `req`'s trust roots, policy and time (`req.inputs` is ignored; nothing is kept again).
pub fn reverify(records: &[Record], req: &Request<'_>) -> Result<Reverified, ImportError> {
    let mut by_input: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
    let mut out = Reverified::default();
    for r in records {
        if r.body.kind != "artifact" && r.body.kind != "input" {
            continue;
        }
        match &r.body.kept_at {
            Some(k) if std::path::Path::new(k).exists() => {
                by_input.entry(k.clone()).or_default().push(r)
            }
            Some(k) => out
                .not_checked
                .push(format!("record {}: its input {k} is gone", r.id)),
            None => out
                .not_checked
                .push(format!("record {}: no kept input", r.id)),
        }
    }
    for (kept, recs) in by_input {
        let inputs = [PathBuf::from(&kept)];
        let sub = Request {
            inputs: &inputs,
            keep: false,
            progress: None,
            ..*req
        };
        let outcome = run(&sub)?;
        let result = outcome.report.inputs.first();
        for r in recs {
            out.checked += 1;
            let (now, reason, message) = match (&r.body.artifact, result) {
                (Some(a), Some(res)) => {
                    match res.artifacts.iter().find(|x| x.artifact.digest == a.digest) {
                        Some(x) => (x.verdict, x.reason.clone(), x.message.clone()),
                        None => (res.verdict, res.reason.clone(), res.message.clone()),
                    }
                }
                (None, Some(res)) => (res.verdict, res.reason.clone(), res.message.clone()),
                (_, None) => (
                    Verdict::Rejected,
                    outcome.unusable.first().map(|u| u.code.to_string()),
                    outcome.unusable.first().map(|u| u.message.clone()),
                ),
            };
            if now.as_str() != r.body.verdict {
                out.changes.push(Change {
                    record_id: r.id,
                    import_id: r.body.import_id.clone(),
                    artifact: r
                        .body
                        .artifact
                        .as_ref()
                        .map(|a| a.name.clone())
                        .unwrap_or_default(),
                    digest: r
                        .body
                        .artifact
                        .as_ref()
                        .map(|a| a.digest.clone())
                        .unwrap_or_default(),
                    was: r.body.verdict.clone(),
                    now: now.as_str().into(),
                    reason,
                    message,
                });
            }
        }
    }
    Ok(out)
}
