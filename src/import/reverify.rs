//! `airlock reverify`: every recorded decision made again, from the input airlock kept, against
//! the trust roots and the policy in force now; the verdicts that would change.
//!
//! Owns: matching recorded verdicts to new ones (by input and artifact digest). Must not touch:
//! sled (the caller hands in the records), the terminal.

use std::collections::BTreeMap;

use crate::reference::{NameRef, NameSource};
use std::path::PathBuf;

use crate::evidence::{Evidence, Material};
use crate::import::report::Verdict;
use crate::import::{check, run, ImportError, Request};
use crate::store::{Record, RecordKind};

/// A verdict that would change.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub record_id: u64,
    pub import_id: Option<String>,
    pub artifact: String,
    pub digest: String,
    pub was: Verdict,
    pub now: Verdict,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// What a re-verification found.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reverified {
    /// Records decided again.
    pub checked: usize,
    /// Of those, decided from the evidence stored in the ledger (their kept input is gone).
    pub from_stored_evidence: usize,
    pub changes: Vec<Change>,
    /// Records that could not be decided again (no kept input and no stored evidence).
    pub not_checked: Vec<String>,
}

/// Reads stored evidence bytes by `sha256:` digest.
pub type Fetch<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// The evidence of an artifact record, rebuilt from the bytes the ledger stored (the kind and
/// the order of the parts are in the record's evidence results).
fn stored_evidence(r: &Record, fetch: Fetch<'_>) -> Option<Vec<Evidence>> {
    let results = r.body.evidence.as_array()?;
    let mut out = Vec::new();
    for e in results {
        let kind = e.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let origin = format!(
            "{} (stored in the ledger)",
            e.get("origin").and_then(|o| o.as_str()).unwrap_or("")
        );
        let parts: Vec<Vec<u8>> = e
            .get("stored")
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().and_then(fetch))
                    .collect()
            })
            .unwrap_or_default();
        let first = parts.first().cloned().unwrap_or_default();
        let annotations: std::collections::BTreeMap<String, String> = parts
            .get(1)
            .and_then(|a| serde_json::from_slice(a).ok())
            .unwrap_or_default();
        let material = match kind {
            _ if parts.is_empty() => continue,
            "cosign-signature" => crate::oci::legacy::signature_layer(first, &annotations),
            "cosign-attestation" => crate::oci::legacy::attestation_layer(&first, &annotations),
            "sigstore-bundle" => match crate::bundle::Bundle::from_json(&first) {
                Ok(b) => Material::Bundle(Box::new(b)),
                // A bare key signature (an older Zarf package's `zarf.yaml.sig`).
                Err(e) => {
                    crate::oci::legacy::bare_signature(&first, "zarf.yaml.sig (cosign sign-blob)")
                        .unwrap_or(Material::Broken {
                            code: e.code(),
                            message: e.to_string(),
                        })
                }
            },
            "pep740-attestation" => match crate::bundle::pep740::read(&first)
                .ok()
                .and_then(|mut v| v.pop())
                .map(|c| c.bundle)
            {
                Some(Ok(b)) => Material::Pep740 {
                    bundle: Box::new(b),
                    publisher: parts.get(1).and_then(|p| serde_json::from_slice(p).ok()),
                },
                Some(Err((code, message))) => Material::Broken { code, message },
                None => continue,
            },
            "npm-attestation" => match crate::bundle::Bundle::from_json(&first) {
                Ok(b) => Material::Npm {
                    bundle: Box::new(b),
                    predicate_type: parts
                        .get(1)
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .unwrap_or_default(),
                },
                Err(e) => Material::Broken {
                    code: e.code(),
                    message: e.to_string(),
                },
            },
            "proof-record" => match crate::bundle::proof::ProofRecord::from_json(&first) {
                Ok(p) => Material::Proof(Box::new(p)),
                Err(e) => Material::Broken {
                    code: e.code(),
                    message: e.to_string(),
                },
            },
            "hmac-dsse-envelope" => match crate::bundle::Envelope::from_json(&first) {
                Ok(env) => Material::HmacEnvelope(Box::new(env)),
                Err(e) => Material::Broken {
                    code: e.code(),
                    message: e.to_string(),
                },
            },
            _ => continue,
        };
        out.push(Evidence {
            origin,
            material,
            raw: Vec::new(),
        });
    }
    Some(out)
}

/// Decides every record of `records` (artifact and input records) again, from its kept input,
/// or when the operator deleted that, from the evidence the ledger stored (`fetch`), with
/// `req`'s trust roots, policy and time (`req.inputs` is ignored; nothing is kept again).
pub fn reverify(
    records: &[Record],
    req: &Request<'_>,
    fetch: Fetch<'_>,
) -> Result<Reverified, ImportError> {
    let mut by_input: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
    let mut out = Reverified::default();
    let checker = check::Checker {
        roots: req.roots,
        policies: req.policies,
        now: req.now,
        key_without_log: false,
    };
    for r in records {
        if !matches!(r.body.kind, RecordKind::Artifact | RecordKind::Input) {
            continue;
        }
        if let Some(k) = r
            .body
            .kept_at
            .as_deref()
            .filter(|k| std::path::Path::new(k).exists())
        {
            by_input.entry(k.to_string()).or_default().push(r);
            continue;
        }
        // The kept input is gone: decide again from the evidence the ledger stored.
        let (Some(a), Some(evidence)) = (&r.body.artifact, stored_evidence(r, fetch)) else {
            out.not_checked.push(format!(
                "record {}: its input is gone and it names no stored evidence",
                r.id
            ));
            continue;
        };
        // The names it was decided under; a record from before names had sources has its
        // name, reference and chart. Signed names are found again in the evidence.
        let mut names: Vec<NameRef> = a
            .references
            .iter()
            .filter(|n| !n.source.is_signed())
            .cloned()
            .collect();
        if a.references.is_empty() {
            names.push(NameRef::new(a.name.clone(), NameSource::Layout));
            names.extend(
                a.reference
                    .iter()
                    .map(|n| NameRef::new(n.clone(), NameSource::Layout)),
            );
            names.extend(
                a.chart
                    .iter()
                    .map(|n| NameRef::new(n.clone(), NameSource::Layout)),
            );
        }
        let refs: Vec<&Evidence> = evidence.iter().collect();
        let sha512 = a.sha512.as_deref().and_then(|h| hex::decode(h).ok());
        let file_name = if a.kind == "zarf-package" {
            Some(crate::zarf::ZARF_YAML)
        } else {
            a.name.rsplit('/').next()
        };
        let zarf_checker = check::Checker {
            key_without_log: true,
            ..checker
        };
        let res = if a.kind == "zarf-package" {
            &zarf_checker
        } else {
            &checker
        }
        .check(
            check::Subject {
                digest: &a.digest,
                names,
                image: a.kind.starts_with("image"),
                file_name,
                sha512: sha512.as_deref(),
                searched: "the evidence stored in the ledger",
            },
            &refs,
        );
        out.checked += 1;
        out.from_stored_evidence += 1;
        if res.verdict != r.body.verdict {
            out.changes.push(Change {
                record_id: r.id,
                import_id: r.body.import_id.clone(),
                artifact: a.name.clone(),
                digest: a.digest.clone(),
                was: r.body.verdict,
                now: res.verdict,
                reason: res.reason,
                message: res.message,
            });
        }
    }
    for (kept, recs) in by_input {
        let inputs = [PathBuf::from(&kept)];
        // The operator's name for it, as given at import.
        let operator = recs
            .iter()
            .filter_map(|r| r.body.artifact.as_ref())
            .flat_map(|a| a.references.iter())
            .find(|n| n.source == NameSource::Operator)
            .map(|n| n.name.clone());
        let sub = Request {
            inputs: &inputs,
            keep: false,
            import_id: None,
            progress: None,
            image: operator.as_deref(),
            checked: None,
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
            if now != r.body.verdict {
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
                    was: r.body.verdict,
                    now,
                    reason,
                    message,
                });
            }
        }
    }
    Ok(out)
}
