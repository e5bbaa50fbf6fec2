//! Exports of the ledger for auditors: JSON lines of records, or SLSA Verification Summary
//! Attestations in DSSE envelopes, each ending with a checkpoint of the chain signed by the
//! deployment key; and the check of such an export outside the enclave.
//!
//! A checkpoint names every exported record by id and hash and the chain head; an auditor who
//! kept an earlier export proves the ledger append-only by finding the earlier head at the same
//! id in the later export (`--previous`).

use serde::{Deserialize, Serialize};

use super::{Filter, Ledger, Record, StoreError};
use crate::bundle::dsse::{pae, INTOTO_PAYLOAD_TYPE};
use crate::bundle::json::{b64_decode, b64_encode};
use crate::bundle::HashAlgorithm;
use crate::crypto::{self, PublicKey, RsaPadding, SigningKey};
use crate::time::Timestamp;

/// The VSA predicate type (SLSA Verification Summary Attestation v1).
pub const VSA_PREDICATE: &str = "https://slsa.dev/verification_summary/v1";
/// The DSSE payload type of a signed checkpoint.
pub const CHECKPOINT_TYPE: &str = "application/vnd.airlock.ledger-checkpoint.v1+json";

/// `jsonl` or `vsa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Vsa,
}

/// One exported record, as the checkpoint names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: u64,
    pub hash: String,
    /// SHA-256 of the exported line (the VSA envelope, or the record line).
    pub line: String,
}

/// The chain as exported, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    pub ledger: String,
    pub exported_at: Timestamp,
    /// The ledger's last record and its hash (the chain head) when exported.
    pub last_id: u64,
    pub head: String,
    pub entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    #[serde(rename = "payloadType")]
    payload_type: String,
    payload: String,
    signatures: Vec<Sig>,
}

#[derive(Serialize, Deserialize)]
struct Sig {
    keyid: String,
    sig: String,
}

fn envelope(key: &SigningKey, payload_type: &str, payload: &[u8]) -> Result<String, StoreError> {
    let sig = key
        .sign(&pae(payload_type, payload))
        .map_err(|e| StoreError::Key {
            path: Default::default(),
            why: e.to_string(),
        })?;
    let e = Envelope {
        payload_type: payload_type.into(),
        payload: b64_encode(payload),
        signatures: vec![Sig {
            keyid: key_id(&key.public_spki_der()),
            sig: b64_encode(&sig),
        }],
    };
    serde_json::to_string(&e).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `sha256:<hex>` of a SubjectPublicKeyInfo: how exports name the deployment key.
pub fn key_id(spki: &[u8]) -> String {
    format!("sha256:{}", hex::encode(crypto::sha256(spki)))
}

/// An in-toto Statement v1 (fields in the order the JSON has always been written: sorted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub predicate: VsaPredicate,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub subject: Vec<Subject>,
}

/// A statement's subject: a name and its digests by algorithm.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subject {
    pub digest: std::collections::BTreeMap<String, String>,
    pub name: String,
}

/// The SLSA Verification Summary v1 predicate, with airlock's own record reference.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VsaPredicate {
    pub airlock: VsaRecord,
    pub input_attestations: Vec<InputAttestation>,
    pub policy: DigestSet,
    pub resource_uri: String,
    pub slsa_version: String,
    pub time_verified: Timestamp,
    /// `PASSED` or `FAILED`.
    pub verification_result: String,
    pub verified_levels: Vec<String>,
    pub verifier: VsaVerifier,
}

/// Which ledger record the summary is of.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VsaRecord {
    pub reason: Option<String>,
    pub record_hash: String,
    pub record_id: u64,
    pub trust_root_digest: String,
}

/// A piece of evidence the decision used, by where it was found and its digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputAttestation {
    pub digest: std::collections::BTreeMap<String, String>,
    pub uri: String,
}

/// `{"digest": {"sha256": …}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestSet {
    pub digest: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VsaVerifier {
    pub id: String,
}

fn sha256_set(hex: &str) -> std::collections::BTreeMap<String, String> {
    [("sha256".to_string(), hex.to_string())]
        .into_iter()
        .collect()
}

/// The VSA statement of one record (in-toto Statement v1, SLSA VSA v1 fields).
fn vsa(r: &Record) -> Statement {
    let b = &r.body;
    let (name, digest) = b
        .artifact
        .as_ref()
        .map(|a| (a.name.clone(), a.digest.clone()))
        .unwrap_or_else(|| {
            let t = b.tarball.clone().unwrap_or_default();
            (
                t.name,
                t.sha256.map(|h| format!("sha256:{h}")).unwrap_or_default(),
            )
        });
    let hex = digest
        .strip_prefix("sha256:")
        .unwrap_or(&digest)
        .to_string();
    let resource = b
        .artifact
        .as_ref()
        .and_then(|a| a.reference.clone())
        .unwrap_or_else(|| name.clone());
    // The evidence as the record keeps it (free-form JSON: each kind of evidence has its own
    // fields); each piece named by its origin and the digest of its JSON.
    let input_attestations = b
        .evidence
        .as_array()
        .map(|ev| {
            ev.iter()
                .filter_map(|e| {
                    e.get("origin").map(|o| InputAttestation {
                        digest: sha256_set(&hex::encode(crypto::sha256(e.to_string().as_bytes()))),
                        uri: o.as_str().map_or_else(|| o.to_string(), str::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Statement {
        type_: "https://in-toto.io/Statement/v1".into(),
        subject: vec![Subject {
            digest: sha256_set(&hex),
            name,
        }],
        predicate_type: VSA_PREDICATE.into(),
        predicate: VsaPredicate {
            verifier: VsaVerifier {
                id: format!("https://airlock.invalid/verifier/{}", b.airlock_version),
            },
            time_verified: r.recorded_at,
            resource_uri: resource,
            policy: DigestSet {
                digest: sha256_set(
                    b.decided_under
                        .policy_digest
                        .as_deref()
                        .unwrap_or("")
                        .trim_start_matches("sha256:"),
                ),
            },
            input_attestations,
            verification_result: if b.verdict == super::Verdict::Accepted {
                "PASSED"
            } else {
                "FAILED"
            }
            .into(),
            verified_levels: Vec::new(),
            slsa_version: "1.0".into(),
            airlock: VsaRecord {
                record_id: r.id,
                record_hash: r.hash.clone(),
                reason: b.reason.clone(),
                trust_root_digest: b.decided_under.trust_root_digest.clone(),
            },
        },
    }
}

impl Ledger {
    /// Exports the records recorded since `since` (all when `None`), oldest first, then the
    /// signed checkpoint.
    pub fn export(
        &self,
        format: Format,
        since: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        let key = self.signing_key()?;
        let mut records = self.query(&Filter {
            since,
            ..Filter::default()
        })?;
        records.reverse();
        let mut lines = Vec::new();
        let mut entries = Vec::new();
        for r in &records {
            let line = match format {
                Format::Jsonl => {
                    serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))?
                }
                Format::Vsa => {
                    let st = serde_json::to_vec(&vsa(r))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    envelope(&key, INTOTO_PAYLOAD_TYPE, &st)?
                }
            };
            entries.push(Entry {
                id: r.id,
                hash: r.hash.clone(),
                line: hex::encode(crypto::sha256(line.as_bytes())),
            });
            lines.push(line);
        }
        let (last_id, head) = self.head()?;
        let cp = Checkpoint {
            ledger: "airlock".into(),
            exported_at: now,
            last_id,
            head,
            entries,
        };
        let payload = serde_json::to_vec(&cp).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        lines.push(envelope(&key, CHECKPOINT_TYPE, &payload)?);
        Ok(lines)
    }
}

impl Ledger {
    /// The VSA of one record as a DSSE envelope signed by the deployment key (the line
    /// `export --format vsa` writes for it), and the key's id.
    pub fn vsa_envelope(&self, r: &Record) -> Result<(String, String), StoreError> {
        let key = self.signing_key()?;
        let st = serde_json::to_vec(&vsa(r)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok((
            envelope(&key, INTOTO_PAYLOAD_TYPE, &st)?,
            key_id(&key.public_spki_der()),
        ))
    }
}

/// What an export check found.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportCheck {
    pub lines: usize,
    pub last_id: u64,
    pub head: String,
    /// With `--previous`: the earlier export's head is in this one, at the same id.
    pub extends_previous: Option<bool>,
}

fn open_envelope(line: &str, key: &PublicKey, what: &str) -> Result<(String, Vec<u8>), String> {
    let e: Envelope =
        serde_json::from_str(line).map_err(|e| format!("{what} is not a DSSE envelope: {e}"))?;
    let payload = b64_decode(&e.payload).map_err(|_| format!("{what}: payload is not base64"))?;
    let signed = pae(&e.payload_type, &payload);
    let ok = e.signatures.iter().any(|s| {
        b64_decode(&s.sig).ok().is_some_and(|sig| {
            key.verify(HashAlgorithm::Sha256, RsaPadding::Pkcs1, &signed, &sig)
                .is_ok()
        })
    });
    if !ok {
        return Err(format!(
            "{what}: no signature verifies with the deployment key"
        ));
    }
    Ok((e.payload_type, payload))
}

/// Checks an export with the deployment's public key: the checkpoint's signature, every line
/// named by it (none added, none removed, none edited), each VSA's signature, each record's
/// hash and its link to the one before; with `previous`, that the earlier export's head is
/// still in this one at the same id (nothing rewritten since).
pub fn verify_export(
    text: &str,
    public_pem: &str,
    previous: Option<&str>,
) -> Result<ExportCheck, String> {
    let key = PublicKey::from_pem(public_pem).map_err(|e| format!("the public key: {e}"))?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let (last, body) = lines.split_last().ok_or("the export is empty")?;
    let (ptype, payload) = open_envelope(last, &key, "the checkpoint")?;
    if ptype != CHECKPOINT_TYPE {
        return Err("the last line is not a signed ledger checkpoint".into());
    }
    let cp: Checkpoint =
        serde_json::from_slice(&payload).map_err(|e| format!("the checkpoint: {e}"))?;
    if cp.entries.len() != body.len() {
        return Err(format!(
            "the checkpoint names {} lines, the export holds {}: lines were added or removed",
            cp.entries.len(),
            body.len()
        ));
    }
    let mut prev_hash: Option<String> = None;
    for (i, (line, entry)) in body.iter().zip(&cp.entries).enumerate() {
        let n = i + 1;
        if hex::encode(crypto::sha256(line.as_bytes())) != entry.line {
            return Err(format!(
                "line {n} (record {}) is not the line the checkpoint signed: edited",
                entry.id
            ));
        }
        if line.contains("\"payloadType\"") {
            let (t, st) = open_envelope(line, &key, &format!("line {n}"))?;
            if t != INTOTO_PAYLOAD_TYPE {
                return Err(format!("line {n} is not an in-toto statement"));
            }
            let v: serde_json::Value =
                serde_json::from_slice(&st).map_err(|e| format!("line {n}: {e}"))?;
            if v["predicateType"] != VSA_PREDICATE {
                return Err(format!("line {n} is not a verification summary"));
            }
        } else {
            let r: Record =
                serde_json::from_str(line).map_err(|e| format!("line {n} is not a record: {e}"))?;
            if r.id != entry.id || r.hash != entry.hash {
                return Err(format!(
                    "line {n}: record {} is not the record the checkpoint names",
                    r.id
                ));
            }
            let recomputed = super::record::canonical_hash(&r).map_err(|e| e.to_string())?;
            if recomputed != r.hash {
                return Err(format!(
                    "line {n}: record {} does not match its hash: edited",
                    r.id
                ));
            }
            if let Some(p) = &prev_hash {
                if &r.prev_hash != p {
                    return Err(format!(
                        "line {n}: record {} does not follow the record before it",
                        r.id
                    ));
                }
            }
            prev_hash = Some(r.hash.clone());
        }
    }
    let extends_previous = match previous {
        None => None,
        Some(old) => {
            let old_last = old
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .ok_or("the previous export is empty")?;
            let (t, p) = open_envelope(old_last, &key, "the previous checkpoint")?;
            if t != CHECKPOINT_TYPE {
                return Err("the previous export ends without a checkpoint".into());
            }
            let old_cp: Checkpoint =
                serde_json::from_slice(&p).map_err(|e| format!("the previous checkpoint: {e}"))?;
            let ok = if old_cp.last_id == cp.last_id {
                old_cp.head == cp.head
            } else {
                cp.entries
                    .iter()
                    .find(|e| e.id == old_cp.last_id)
                    .is_some_and(|e| e.hash == old_cp.head)
            };
            Some(ok)
        }
    };
    if extends_previous == Some(false) {
        return Err("the previous export's chain head is not in this export at the same record: the ledger was rewritten".into());
    }
    Ok(ExportCheck {
        lines: body.len(),
        last_id: cp.last_id,
        head: cp.head,
        extends_previous,
    })
}
