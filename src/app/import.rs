//! Importing from a stick, and deciding recorded verdicts again: the pipeline (`import`) run
//! under the roots and policy asked for, and its report recorded in one ledger transaction.
//!
//! Owns: [`ImportRequest`] / [`ImportResponse`], [`ReverifyRequest`] / [`ReverifyResponse`],
//! the inbox worker's decision of one entry ([`App::decide_entry`]), recording them. Must not
//! touch: the terminal, what an archive or a policy means.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::roots::{self, RootChoice};
use super::{policy_file, App, Failure, Hooks, VERSION};
use crate::import::report::ImportReport;
use crate::import::reverify::Reverified;
use crate::policy::cip::PolicySet;
use crate::store::record_types::{ArtifactRef, DecidedUnder, TarballRef};
use crate::store::{Filter, Ledger, RecordInput, RecordKind, Verdict};
use crate::time::Timestamp;

/// `airlock import FILE|DIR… --policy FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    pub inputs: Vec<PathBuf>,
    pub policy: PathBuf,
    #[serde(default)]
    pub roots: RootChoice,
    /// The operator's name for the one unnamed image of the one input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// An input that could not be read at all (exit 2), as opposed to a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnusableInput {
    pub path: PathBuf,
    pub reason: String,
    pub message: String,
}

/// What an import decided, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportResponse {
    pub report: ImportReport,
    pub unusable: Vec<UnusableInput>,
}

impl ImportResponse {
    pub fn outcome(&self) -> super::Outcome {
        if !self.unusable.is_empty() {
            super::Outcome::Unusable
        } else if self.report.verdict == Verdict::Accepted {
            super::Outcome::Accepted
        } else {
            super::Outcome::Rejected
        }
    }
}

/// `airlock reverify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReverifyRequest {
    /// Only decisions recorded at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    /// Decide every record under this policy instead of the one it was decided under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PathBuf>,
    /// Decide against this trusted root instead of the installed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root: Option<PathBuf>,
    /// Record each changed verdict as the artifact's latest (without it, a question: only the
    /// run is recorded).
    #[serde(default)]
    pub apply: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// What a re-verification found, and under what.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReverifyResponse {
    #[serde(flatten)]
    pub found: Reverified,
    /// The policies the records were decided again under (their own, or the one given).
    pub policies: Vec<String>,
    /// Whether the changes were applied (recorded as the artifacts' latest verdicts).
    pub applied: bool,
}

impl App {
    /// The roots `choice` names, with the factory install recorded in `ledger` when loading
    /// them made it.
    fn roots_recorded(
        &self,
        choice: &RootChoice,
        ledger: &Ledger,
        now: Timestamp,
    ) -> Result<roots::Roots, Failure> {
        let roots = roots::resolve(choice, self.data_dir(), now)?;
        let installed = roots.factory_installs();
        if !installed.is_empty() {
            ledger.append(&installed, now)?;
        }
        Ok(roots)
    }

    /// Runs an import and records it; the report as recorded.
    pub fn import(
        &self,
        req: &ImportRequest,
        hooks: &Hooks<'_>,
        now: Timestamp,
    ) -> Result<ImportResponse, Failure> {
        if req.image.is_some() && req.inputs.len() != 1 {
            return Err(Failure::unusable(
                "usage",
                format!(
                    "--image names the image of one input, and {} inputs were given: import them one at a time",
                    req.inputs.len()
                ),
            ));
        }
        let policies = policy_file::load_for(&req.policy)?;
        // The ledger is opened before any input is read: an import that cannot be recorded does
        // not happen.
        let ledger = self.ledger(req.hmac_key_file.as_deref())?;
        let roots = self.roots_recorded(&req.roots, &ledger, now)?;
        // Holding the ledger, this is the only import of the data dir: what a killed import
        // left in staging is removed.
        if !self.holds_ledger() {
            crate::import::clear_staging(self.data_dir());
        }
        let trusted = roots.trusted();
        let run = crate::import::Request {
            inputs: &req.inputs,
            data_dir: self.data_dir(),
            policies: &policies,
            roots: &trusted,
            now,
            progress: hooks.progress,
            keep: true,
            import_id: None,
            image: req.image.as_deref(),
            checked: hooks.checked,
        };
        let outcome =
            crate::import::run(&run).map_err(|e| Failure::unusable(e.code(), e.to_string()))?;
        // One transaction for the whole import, flushed before it reports done.
        let records = crate::import::ledger_records(&outcome.report);
        crate::fault::point("before-record");
        ledger
            .append_with(&records, &outcome.blobs, now)
            .map_err(|e| {
                Failure::unusable(
                    e.code(),
                    format!("the import was decided but could not be recorded: {e}"),
                )
            })?;
        Ok(ImportResponse {
            report: outcome.report,
            unusable: outcome
                .unusable
                .into_iter()
                .map(|u| UnusableInput {
                    path: u.path,
                    reason: u.code.to_string(),
                    message: u.message,
                })
                .collect(),
        })
    }

    /// Decides one inbox entry the daemon took (`work_file`, dropped as `name`) as an import
    /// under `policies`: its records and the evidence bytes to store with them. Recorded by
    /// [`App::record_entry`], in the daemon's journal order.
    pub fn decide_entry(
        &self,
        entry: &EntryImport<'_>,
        policies: &PolicySet,
        now: Timestamp,
    ) -> Result<Decided, Failure> {
        let ledger = self.ledger(None)?;
        let roots = self.roots_recorded(&RootChoice::default(), &ledger, now)?;
        let trusted = roots.trusted();
        let inputs = [entry.work_file.to_path_buf()];
        let req = crate::import::Request {
            inputs: &inputs,
            data_dir: self.data_dir(),
            policies,
            roots: &trusted,
            now,
            progress: None,
            keep: true,
            import_id: Some(entry.import_id.to_string()),
            image: entry.image,
            checked: None,
        };
        let outcome =
            crate::import::run(&req).map_err(|e| Failure::unusable(e.code(), e.to_string()))?;
        let mut records = crate::import::ledger_records(&outcome.report);
        for u in &outcome.unusable {
            records.push(input_record(entry, u.code, u.message.clone()));
        }
        // The operator dropped `NAME` in the inbox: messages name it, not the work area.
        let work = crate::text::ShownPath(entry.work_file).to_string();
        let shown = crate::text::escape(entry.name);
        for r in &mut records {
            if let Some(m) = r.message.as_mut() {
                if m.contains(&work) {
                    *m = m.replace(&work, &shown);
                }
            }
        }
        Ok(Decided {
            records,
            blobs: outcome.blobs,
        })
    }

    /// Decides a TUF repository copy dropped in the inbox as `trust update` of `instance`.
    pub fn decide_trust_medium(
        &self,
        entry: &EntryImport<'_>,
        instance: &str,
        now: Timestamp,
    ) -> Decided {
        let r = crate::trust::update_from_in(self.data_dir(), instance, entry.work_file, now, None);
        // Every medium taken is recorded, even one that could not be read at all.
        let mut rec = roots::trust_event_record(instance, "update", &r);
        rec.import_id = Some(entry.import_id.to_string());
        rec.tarball = Some(TarballRef {
            name: entry.name.to_string(),
            sha256: crate::import::sha256_of_file(entry.work_file).ok(),
            size: entry.bytes,
        });
        Decided {
            records: vec![rec],
            blobs: BTreeMap::new(),
        }
    }

    /// The decision of an inbox entry that is not a file or folder.
    pub fn decide_unusable_entry(entry: &EntryImport<'_>, code: &str, message: String) -> Decided {
        Decided {
            records: vec![input_record(entry, code, message)],
            blobs: BTreeMap::new(),
        }
    }

    /// Records an inbox entry's decision in one transaction (unless a crash after it was
    /// recorded replays it: then it is already there and nothing is written).
    pub fn record_entry(
        &self,
        import_id: &str,
        d: &Decided,
        now: Timestamp,
    ) -> Result<bool, Failure> {
        let ledger = self.ledger(None)?;
        if ledger.has_import(import_id)? {
            return Ok(false);
        }
        ledger.append_with(&d.records, &d.blobs, now)?;
        Ok(true)
    }

    /// Whether an inbox entry's import is recorded (the journal's replay asks).
    pub fn is_recorded(&self, import_id: &str) -> Result<bool, Failure> {
        Ok(self.ledger(None)?.has_import(import_id)?)
    }

    /// Decides recorded verdicts again and records the run (and, with `apply`, each change).
    pub fn reverify(
        &self,
        req: &ReverifyRequest,
        now: Timestamp,
    ) -> Result<ReverifyResponse, Failure> {
        let ledger = self.ledger(req.hmac_key_file.as_deref())?;
        let choice = RootChoice {
            trusted_root: req.trusted_root.clone(),
            ..Default::default()
        };
        let roots = self.roots_recorded(&choice, &ledger, now)?;
        let records = ledger.query(&Filter {
            since: req.since,
            ..Default::default()
        })?;
        let given = req
            .policy
            .as_deref()
            .map(policy_file::load_for)
            .transpose()?;
        // Each record is decided again under the policy it was decided under (the ledger keeps
        // its exact bytes), unless a policy is given.
        let mut groups: BTreeMap<Option<String>, Vec<crate::store::Record>> = BTreeMap::new();
        for r in records {
            let key = match &given {
                Some(_) => None,
                None => r.body.decided_under.policy_digest.clone(),
            };
            groups.entry(key).or_default().push(r);
        }
        let trusted = roots.trusted();
        let fetch = |d: &str| ledger.evidence(d).ok().flatten();
        let mut found = Reverified::default();
        let mut used = Vec::new();
        for (digest, recs) in groups {
            let stored;
            let policies = match (&given, &digest) {
                (Some(p), _) => p,
                (None, Some(d)) => {
                    let bytes = ledger.evidence(d)?.ok_or_else(|| {
                        Failure::unusable(
                            "policy-invalid",
                            format!("the ledger does not hold the policy {d} its records name"),
                        )
                    })?;
                    match policy_file::from_stored(
                        &format!("the policy {d} stored in the ledger"),
                        &bytes,
                        self.data_dir(),
                    ) {
                        Ok(p) => {
                            stored = p;
                            &stored
                        }
                        Err(f) => {
                            found.not_checked.extend(recs.iter().map(|r| {
                                format!(
                                    "record {}: its policy cannot be read again: {}",
                                    r.id, f.message
                                )
                            }));
                            continue;
                        }
                    }
                }
                // Records with no policy (trust events, verify-bundle) are not decisions of an
                // import.
                (None, None) => continue,
            };
            used.push(policies.digest.clone());
            let run = crate::import::Request {
                inputs: &[],
                data_dir: self.data_dir(),
                policies,
                roots: &trusted,
                now,
                progress: None,
                keep: false,
                import_id: None,
                image: None,
                checked: None,
            };
            let part = crate::import::reverify::reverify(&recs, &run, &fetch)
                .map_err(|e| Failure::unusable(e.code(), e.to_string()))?;
            found.checked += part.checked;
            found.from_stored_evidence += part.from_stored_evidence;
            found.changes.extend(part.changes);
            found.not_checked.extend(part.not_checked);
        }
        found.changes.sort_by_key(|c| c.record_id);
        let under = DecidedUnder {
            trust_root_digest: trusted
                .first()
                .map(|t| t.root.digest.clone())
                .unwrap_or_default(),
            trust_root_instance: trusted.first().and_then(|t| t.root.instance.clone()),
            tuf_root_version: trusted.first().and_then(|t| t.root.tuf_root_version),
            trust_root_stale: trusted.first().is_some_and(|t| t.root.stale),
            policy_digest: given.as_ref().map(|p| p.digest.clone()),
        };
        // Applied, each change becomes its artifact's latest verdict; asked, only the run is
        // recorded (the changes in its evidence).
        let mut inputs: Vec<RecordInput> = Vec::new();
        if req.apply {
            inputs.extend(found.changes.iter().map(|c| RecordInput {
                kind: RecordKind::Reverify,
                import_id: c.import_id.clone(),
                artifact: Some(ArtifactRef {
                    name: c.artifact.clone(),
                    digest: c.digest.clone(),
                    ..Default::default()
                }),
                verdict: c.now,
                reason: c.reason.clone(),
                message: Some(format!(
                    "record {} was {}, now {}: {}",
                    c.record_id,
                    c.was,
                    c.now,
                    c.message.clone().unwrap_or_default()
                )),
                decided_under: under.clone(),
                airlock_version: VERSION.into(),
                ..Default::default()
            }));
        }
        inputs.push(RecordInput {
            kind: RecordKind::ReverifyRun,
            verdict: if found.changes.is_empty() {
                Verdict::Accepted
            } else {
                Verdict::Rejected
            },
            reason: (!found.changes.is_empty()).then(|| "verdicts-changed".to_string()),
            message: Some(format!(
                "{} decision(s) made again ({} from stored evidence), {} {}, {} could not be made again",
                found.checked,
                found.from_stored_evidence,
                found.changes.len(),
                if req.apply { "changed (applied)" } else { "would change (not applied)" },
                found.not_checked.len()
            )),
            decided_under: under,
            airlock_version: VERSION.into(),
            evidence: serde_json::to_value(&found.changes).unwrap_or_default(),
            ..Default::default()
        });
        ledger.append(&inputs, now)?;
        Ok(ReverifyResponse {
            found,
            policies: used,
            applied: req.apply,
        })
    }
}

/// One inbox entry the daemon's worker decides.
pub struct EntryImport<'a> {
    pub import_id: &'a str,
    /// What the operator dropped.
    pub name: &'a str,
    /// Where it is now (the daemon's work area).
    pub work_file: &'a Path,
    pub bytes: u64,
    /// The operator's name for its image (`ENTRY.image`).
    pub image: Option<&'a str>,
}

/// An entry's records and the evidence bytes to store with them.
pub struct Decided {
    pub records: Vec<RecordInput>,
    pub blobs: BTreeMap<String, Vec<u8>>,
}

/// The record of an input that could not be imported at all.
fn input_record(entry: &EntryImport<'_>, code: &str, message: String) -> RecordInput {
    RecordInput {
        kind: RecordKind::Input,
        import_id: Some(entry.import_id.to_string()),
        tarball: Some(TarballRef {
            name: entry.name.to_string(),
            sha256: None,
            size: entry.bytes,
        }),
        verdict: Verdict::Rejected,
        reason: Some(code.into()),
        message: Some(message),
        airlock_version: VERSION.into(),
        ..Default::default()
    }
}
