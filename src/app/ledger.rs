//! Reading the ledger: query, show, export, audit, db migrate, and the API's and the console's
//! views (pages, an artifact's history, an import's records).
//!
//! Owns: validating a query's filters (the same rules for the CLI and the API), the typed
//! responses. Must not touch: sled (that is `store`), rendering.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{App, Failure};
use crate::store::{Audit, Filter, Migration, Record, RecordKind, Verdict};
use crate::time::Timestamp;

/// A query's conditions as an operator or a client gave them (validated by [`App::filter`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryFilter {
    /// `sha256:<64 hex>` (sha384, sha512 too), or the short form tables print (`sha256:` and
    /// at least 12 hex digits).
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub since: Option<Timestamp>,
    #[serde(default)]
    pub until: Option<Timestamp>,
    /// `accepted` or `rejected`.
    #[serde(default)]
    pub verdict: Option<String>,
    #[serde(default)]
    pub import_id: Option<String>,
    /// The input's SHA-256, hex (`sha256:` optional).
    #[serde(default)]
    pub tarball_sha256: Option<String>,
    /// Only pushes to a registry.
    #[serde(default)]
    pub pushed: bool,
}

/// `airlock query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest {
    pub filter: QueryFilter,
    pub limit: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// `airlock show ID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowRequest {
    pub id: u64,
    /// Also the stored evidence and policy bytes the record names.
    #[serde(default)]
    pub evidence: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// One piece of stored evidence (or policy) a record names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredBytes {
    pub digest: String,
    /// Absent when the ledger does not hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing: bool,
}

/// A record, and with `--evidence` the bytes it names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowResponse {
    #[serde(flatten)]
    pub record: Record,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_evidence_bytes: Option<Vec<StoredBytes>>,
}

/// `airlock export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    /// `jsonl` or `vsa`; `public-key` for the deployment's public key (PEM).
    pub format: ExportFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    Jsonl,
    Vsa,
    PublicKey,
}

/// `airlock audit verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// `airlock audit verify-export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditExportRequest {
    pub file: PathBuf,
    /// Default: this data dir's deployment key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PathBuf>,
}

/// The latest verdict on a digest, and its history (newest first).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactView {
    pub digest: String,
    pub verdict: Verdict,
    /// The latest record that decided it (a push or a re-verification not applied is not one).
    pub latest: Record,
    pub history: Vec<Record>,
}

/// One import's records, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportView {
    pub import_id: String,
    pub verdict: Verdict,
    pub records: Vec<Record>,
}

/// A page of records, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultsPage {
    pub results: Vec<Record>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    pub limit: usize,
    /// The page ended before `limit` records because it reached the byte cap.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// Why a filter cannot be answered (exit 2; the API's 400).
fn bad_filter(message: impl Into<String>) -> Failure {
    Failure::unusable("bad-request", message)
}

/// Digests records name: `sha256:<64>`, `sha384:<96>`, `sha512:<128>` lowercase hex; or, with
/// `short`, the table's short form. Returns (exact, prefix).
pub fn digest_filter(d: &str, short: bool) -> Result<(Option<String>, Option<String>), Failure> {
    let d = d.trim();
    let Some((alg, hex)) = d.split_once(':') else {
        return Err(bad_filter(format!(
            "digest {}: give it as sha256:<hex> (the algorithm, a colon, then hex)",
            crate::text::escape(d)
        )));
    };
    let full = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(bad_filter(format!(
                "digest {}: the algorithm is sha256, sha384 or sha512",
                crate::text::escape(d)
            )))
        }
    };
    let hex = hex.to_ascii_lowercase();
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad_filter(format!(
            "digest {}: not hexadecimal",
            crate::text::escape(d)
        )));
    }
    if hex.len() == full {
        return Ok((Some(format!("{alg}:{hex}")), None));
    }
    if short && hex.len() >= 12 && hex.len() < full {
        return Ok((None, Some(format!("{alg}:{hex}"))));
    }
    Err(bad_filter(format!(
        "digest {}: {} hex digits; give all {full}{}",
        crate::text::escape(d),
        hex.len(),
        if short {
            " or at least the 12 the tables print"
        } else {
            ""
        }
    )))
}

impl App {
    /// The store's filter for `q`, or why it cannot be answered.
    pub fn filter(&self, q: &QueryFilter, short_digests: bool) -> Result<Filter, Failure> {
        let (digest, digest_prefix) = match q.digest.as_deref() {
            Some(d) => digest_filter(d, short_digests)?,
            None => (None, None),
        };
        let verdict = match q.verdict.as_deref() {
            None => None,
            Some(v) => Some(Verdict::parse(v).ok_or_else(|| {
                bad_filter(format!(
                    "verdict {}: accepted or rejected",
                    crate::text::escape(v)
                ))
            })?),
        };
        let tarball_sha256 = match q.tarball_sha256.as_deref() {
            None => None,
            Some(t) => {
                let hex = Filter::tarball_sha256_of(t);
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad_filter(format!(
                        "tarball {}: the input's SHA-256, 64 hex digits",
                        crate::text::escape(t)
                    )));
                }
                Some(hex)
            }
        };
        if let (Some(s), Some(u)) = (q.since, q.until) {
            if s > u {
                return Err(bad_filter("since is after until: nothing can match"));
            }
        }
        Ok(Filter {
            digest,
            digest_prefix,
            identity: q.identity.clone(),
            issuer: q.issuer.clone(),
            since: q.since,
            until: q.until,
            verdict,
            kind: q.pushed.then_some(RecordKind::Push),
            import_id: q.import_id.clone(),
            tarball_sha256,
            limit: None,
            before: None,
        })
    }

    /// `query`: records matching, newest first.
    pub fn query(&self, req: &QueryRequest) -> Result<Vec<Record>, Failure> {
        let mut f = self.filter(&req.filter, true)?;
        f.limit = Some(req.limit);
        let l = self.ledger(req.hmac_key_file.as_deref())?;
        Ok(l.query(&f)?)
    }

    /// `show ID`.
    pub fn show(&self, req: &ShowRequest) -> Result<ShowResponse, Failure> {
        let l = self.ledger(req.hmac_key_file.as_deref())?;
        let record = l.get(req.id)?.ok_or_else(|| {
            Failure::refused("not-found", format!("no record {} in the ledger", req.id))
        })?;
        let stored_evidence_bytes = if req.evidence {
            let mut digests = record.body.stored_evidence.clone();
            digests.extend(record.body.decided_under.policy_digest.clone());
            let mut out = Vec::new();
            for d in digests {
                out.push(match l.evidence(&d)? {
                    Some(b) => StoredBytes {
                        size: Some(b.len()),
                        base64: Some(crate::bundle::json::b64_encode(&b)),
                        missing: false,
                        digest: d,
                    },
                    None => StoredBytes {
                        digest: d,
                        size: None,
                        base64: None,
                        missing: true,
                    },
                });
            }
            Some(out)
        } else {
            None
        };
        Ok(ShowResponse {
            record,
            stored_evidence_bytes,
        })
    }

    /// `export`: the lines to write.
    pub fn export(&self, req: &ExportRequest, now: Timestamp) -> Result<Vec<String>, Failure> {
        let l = self.ledger(req.hmac_key_file.as_deref())?;
        let format = match req.format {
            ExportFormat::PublicKey => return Ok(vec![l.signing_key()?.public_pem()]),
            ExportFormat::Jsonl => crate::store::export::Format::Jsonl,
            ExportFormat::Vsa => crate::store::export::Format::Vsa,
        };
        Ok(l.export(format, req.since, now)?)
    }

    /// `audit verify`.
    pub fn audit(&self, req: &AuditRequest, now: Timestamp) -> Result<Audit, Failure> {
        let l = self.ledger(req.hmac_key_file.as_deref())?;
        let a = l.audit()?;
        l.note_audit(&a, now)?;
        Ok(a)
    }

    /// `audit verify-export`: an export and its checkpoint, checked anywhere.
    pub fn audit_export(
        &self,
        req: &AuditExportRequest,
    ) -> Result<crate::store::export::ExportCheck, Failure> {
        let read = |p: &std::path::Path, what: &'static str| {
            crate::input::read_capped(p, crate::limits::MAX_EXPORT_BYTES, what)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| Failure::unusable("usage", e.to_string()))
        };
        let text = read(&req.file, "export")?;
        let pem = match &req.public_key {
            Some(p) => read(p, "public key")?,
            None => self.ledger(None)?.signing_key()?.public_pem(),
        };
        let prev = req
            .previous
            .as_deref()
            .map(|p| read(p, "previous export"))
            .transpose()?;
        crate::store::export::verify_export(&text, &pem, prev.as_deref()).map_err(|why| {
            Failure::refused(
                "export-invalid",
                format!("{}: {why}", crate::text::ShownPath(&req.file)),
            )
        })
    }

    /// `db migrate` (a daemon that holds the ledger opened it: it is at this schema).
    pub fn migrate(&self) -> Result<Migration, Failure> {
        match &self.held {
            Some(l) => Ok(l.migration()),
            None => Ok(crate::store::migrate(self.data_dir())?),
        }
    }

    /// One page of records matching `q`, newest first, after `cursor`; at most `limit`, and no
    /// more than `max_bytes` as stored.
    pub fn page(
        &self,
        q: &QueryFilter,
        cursor: Option<u64>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<ResultsPage, Failure> {
        let mut f = self.filter(q, true)?;
        f.before = cursor;
        let page = self.ledger(None)?.page(&f, limit, max_bytes)?;
        let next_cursor = if page.more {
            page.records.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(ResultsPage {
            results: page.records,
            next_cursor,
            limit,
            truncated: page.truncated,
        })
    }

    /// The chain head: the last record's id and hash.
    pub fn chain_head(&self) -> Result<(u64, String), Failure> {
        Ok(self.ledger(None)?.head()?)
    }

    /// The last `audit verify` noted in the ledger, if any.
    pub fn last_audit(&self) -> Option<crate::store::LastAudit> {
        self.ledger(None).ok()?.last_audit()
    }

    /// How many records the ledger holds, and its bytes on disk. The count is the chain head's
    /// id (ids run from 1 without gaps; a removed record is what `audit verify` reports): sled
    /// counts a tree by walking it, 2.4 s for a million records, which a console page or a
    /// metrics scrape must not wait for.
    pub fn ledger_size(&self) -> Result<(u64, u64), Failure> {
        let l = self.ledger(None)?;
        let (last, _) = l.head()?;
        Ok((last, l.size_on_disk()))
    }

    /// The record `id`.
    pub fn record(&self, id: u64) -> Result<Record, Failure> {
        self.ledger(None)?
            .get(id)?
            .ok_or_else(|| Failure::refused("not-found", format!("no record {id}")))
    }

    /// Everything recorded about a digest (full form only), newest first.
    pub fn artifact(&self, digest: &str, max: usize) -> Result<ArtifactView, Failure> {
        let (Some(digest), _) = digest_filter(digest, false)? else {
            return Err(bad_filter("the digest is algorithm:hex, e.g. sha256:…"));
        };
        let history = self.ledger(None)?.query(&Filter {
            digest: Some(digest.clone()),
            limit: Some(max),
            ..Filter::default()
        })?;
        let latest = history
            .iter()
            .find(|r| r.body.kind.is_decision())
            .cloned()
            .ok_or_else(|| {
                Failure::refused("not-found", format!("{digest} was never verified here"))
            })?;
        Ok(ArtifactView {
            digest,
            verdict: latest.body.verdict,
            latest,
            history,
        })
    }

    /// One import's records, oldest first.
    pub fn import_records(&self, import_id: &str, max: usize) -> Result<ImportView, Failure> {
        if import_id.len() > 128 {
            return Err(bad_filter("the import id is too long"));
        }
        let mut records = self.ledger(None)?.query(&Filter {
            import_id: Some(import_id.to_string()),
            limit: Some(max),
            ..Filter::default()
        })?;
        if records.is_empty() {
            return Err(Failure::refused(
                "not-found",
                format!("no import {import_id}"),
            ));
        }
        records.reverse();
        let verdict = if records
            .iter()
            .filter(|r| r.body.kind.is_decision())
            .any(|r| r.body.verdict != Verdict::Accepted)
        {
            Verdict::Rejected
        } else {
            Verdict::Accepted
        };
        Ok(ImportView {
            import_id: import_id.to_string(),
            verdict,
            records,
        })
    }
}
