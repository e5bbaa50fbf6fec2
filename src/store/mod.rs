//! The verification ledger: every outcome recorded in an embedded sled database, hash-chained and
//! HMAC'd, with secondary indexes for queries.
//!
//! Owns: sled (the only module that touches it), the database's schema version, the record
//! chain, the per-deployment HMAC key of the ledger, the indexes. Must not touch: verification,
//! policy, the terminal. sled 0.34 is beta and its format changes between versions, so it stays
//! behind this small API: `open`, `append`, `get`, `query`, `audit`.
//!
//! Layout (one database in `<data-dir>/ledger/db`): `records` (id, 8 bytes big-endian → record
//! JSON), `meta` (schema version, the chain head, the last id), and the indexes `by_digest`,
//! `by_identity`, `by_issuer`, `by_verdict`, `by_import`, `by_time` (value bytes, NUL, id → empty),
//! all written in one transaction per import and flushed before the import reports done.

pub mod export;
mod record;

pub use record::{Filter, Record, RecordInput, RecordKind, Verdict};

/// The parts of a record, for callers that build one.
pub mod record_types {
    pub use super::record::{
        ArtifactRef, DecidedUnder, LogRef, PushRef, Pushed, PushedEvidence, RecordKind, TarballRef,
        Verdict,
    };
}

use std::path::{Path, PathBuf};

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::crypto;

/// The schema this binary writes and reads. Version 2 added the `by_tarball` index (records by
/// the input's SHA-256); `airlock db migrate` builds it for a version-1 ledger.
pub const SCHEMA_VERSION: u32 = 2;

const INDEXES: [&str; 7] = [
    "by_digest",
    "by_identity",
    "by_issuer",
    "by_verdict",
    "by_import",
    "by_time",
    "by_tarball",
];

/// Records indexed a batch during a migration (each batch one flushed write; a migration cut off
/// is run again from the start, which rewrites the same index keys).
const MIGRATE_BATCH: usize = 10_000;

/// What `airlock db migrate` did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Migration {
    pub path: PathBuf,
    pub from: u32,
    pub to: u32,
    /// Records whose index entries were written.
    pub records: u64,
}

/// One page of records (see [`Ledger::page`]).
#[derive(Debug, Default)]
pub struct Page {
    pub records: Vec<Record>,
    /// More records match past this page.
    pub more: bool,
    /// The page ended before its count because of its byte bound.
    pub truncated: bool,
}

/// Why the ledger cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the ledger database at {path} cannot be opened: {why}")]
    Open { path: PathBuf, why: String },
    #[error("the ledger at {path} was written by schema version {found}; this airlock reads version {SCHEMA_VERSION} (run a newer airlock, or `airlock db migrate` from the newer version)")]
    NewerSchema { path: PathBuf, found: u32 },
    #[error("the ledger at {path} has schema version {found}; this airlock uses version {SCHEMA_VERSION}: run `airlock db migrate` (the records are kept as they are)")]
    OlderSchema { path: PathBuf, found: u32 },
    #[error("the ledger database failed: {0}")]
    Db(String),
    #[error("the ledger's HMAC key {path}: {why}")]
    Key { path: PathBuf, why: String },
    #[error("the HMAC key {path} is not the key this ledger is signed with ({expected}): every record would fail `audit verify`; give the ledger's own key")]
    KeyMismatch { path: PathBuf, expected: String },
    #[error("this ledger is signed with the HMAC key {expected}, which is not in the data dir ({path}): pass it with --hmac-key-file (a command never makes a second key)")]
    KeyMissing { path: PathBuf, expected: String },
    #[error("a ledger record is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Open { .. } => "ledger-unavailable",
            Self::NewerSchema { .. } => "ledger-schema-newer",
            Self::OlderSchema { .. } => "ledger-schema-older",
            Self::Db(_) => "ledger-failed",
            Self::Key { .. } => "ledger-key-unusable",
            Self::KeyMismatch { .. } => "hmac-key-mismatch",
            Self::KeyMissing { .. } => "hmac-key-missing",
            Self::Corrupt(_) => "ledger-corrupt",
        }
    }
}

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(e.to_string())
}

/// The open ledger. Clones share one database handle.
#[derive(Clone)]
pub struct Ledger {
    db: sled::Db,
    records: sled::Tree,
    meta: sled::Tree,
    /// Evidence and policy bytes by `sha256:` digest, stored once.
    evidence: sled::Tree,
    indexes: Vec<sled::Tree>,
    /// The HMAC key, once read or made (a ledger with no records and no key yet makes its key at
    /// its first write, where its data dir or `--hmac-key-file` says).
    key: std::sync::Arc<std::sync::OnceLock<Vec<u8>>>,
    /// Where the key is: `--hmac-key-file`, or `ledger/hmac.key`.
    key_path: PathBuf,
    path: PathBuf,
}

/// Where the first broken link of the chain is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Broken {
    pub id: u64,
    pub why: String,
}

/// What `airlock audit verify` found.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub records: u64,
    pub head: String,
    pub intact: bool,
    pub first_broken: Option<Broken>,
}

/// The metadata key of the last audit's note.
const LAST_AUDIT: &[u8] = b"last_audit";

/// The outcome of the last `audit verify`, as noted.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastAudit {
    pub at: crate::time::Timestamp,
    pub records: u64,
    pub head: String,
    pub intact: bool,
}

/// Reads a secret file of the ledger, refusing one others can read; creates it owner-only with
/// `make()` on first use.
fn owner_only_secret(
    path: &Path,
    make: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, StoreError> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let err = |why: String| StoreError::Key {
        path: path.to_path_buf(),
        why,
    };
    match crate::input::read_capped(path, 4096, "key") {
        Ok(k) => {
            let mode = std::fs::metadata(path)
                .map_err(|e| err(e.to_string()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(err(format!(
                    "readable by others (mode {:o}); chmod 600 it",
                    mode & 0o777
                )));
            }
            Ok(k)
        }
        Err(crate::input::InputError::Open { why, .. })
            if why.kind() == std::io::ErrorKind::NotFound =>
        {
            let k = make().map_err(err)?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| err(e.to_string()))?;
            f.write_all(&k)
                .and_then(|()| f.sync_all())
                .map_err(|e| err(e.to_string()))?;
            Ok(k)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// Reads the ledger's HMAC key, creating it (32 random bytes, owner-only) on first use.
fn ledger_key(path: &Path) -> Result<Vec<u8>, StoreError> {
    let k = owner_only_secret(path, || {
        let mut k = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut k).map_err(|_| "no randomness".to_string())?;
        Ok(k)
    })?;
    if k.len() < 32 {
        return Err(StoreError::Key {
            path: path.to_path_buf(),
            why: "shorter than 32 bytes".into(),
        });
    }
    Ok(k)
}

/// Opens the sled database at `path`, waiting a bounded time for another airlock process that
/// holds it for a moment (a trust event, an import finishing).
fn open_db(path: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    let mut tries = 0u32;
    loop {
        let r = sled::Config::new()
            .path(path)
            // Bounded cache: peak memory must not grow with the ledger.
            .cache_capacity(cache_bytes)
            .open();
        match r {
            Ok(db) => return Ok(db),
            Err(e) if is_locked(&e) && tries < crate::limits::LEDGER_LOCK_TRIES => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => {
                return Err(StoreError::Open {
                    path: path.to_path_buf(),
                    why: if is_locked(&e) {
                        "another airlock process holds it (the daemon?)".to_string()
                    } else {
                        e.to_string()
                    },
                })
            }
        }
    }
}

/// The schema version a database records (`None`: a new database).
fn schema_of(meta: &sled::Tree) -> Result<Option<u32>, StoreError> {
    meta.get("schema")
        .map_err(db_err)?
        .map(|v| {
            v.as_ref()
                .try_into()
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Corrupt("schema version".into()))
        })
        .transpose()
}

/// `airlock db migrate`: brings the ledger of `data_dir` to [`SCHEMA_VERSION`]. From version 1:
/// the `by_tarball` index is built from every record (the records themselves, their chain and
/// their HMACs are not touched), then the version is set and flushed. A migration cut off is
/// simply run again.
pub fn migrate(data_dir: &Path) -> Result<Migration, StoreError> {
    let path = data_dir.join("ledger").join("db");
    if !path.exists() {
        return Err(StoreError::Open {
            path,
            why: "no ledger here yet (nothing to migrate)".into(),
        });
    }
    // (A daemon holding this ledger answers `db migrate` with [`Ledger::migration`]: it opened
    // it, so its schema is this one.)
    let db = open_db(&path, crate::limits::LEDGER_CACHE_BYTES)?;
    let meta = db.open_tree("meta").map_err(db_err)?;
    let from = schema_of(&meta)?.unwrap_or(SCHEMA_VERSION);
    if from > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { path, found: from });
    }
    let mut m = Migration {
        path,
        from,
        to: SCHEMA_VERSION,
        records: 0,
    };
    if from == SCHEMA_VERSION {
        return Ok(m);
    }
    // 1 → 2: the tarball index.
    let records = db.open_tree("records").map_err(db_err)?;
    let by_tarball = db.open_tree("by_tarball").map_err(db_err)?;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0usize;
    for kv in records.iter() {
        let (_, v) = kv.map_err(db_err)?;
        let r: Record =
            serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(sha) = r.body.tarball.as_ref().and_then(|t| t.sha256.as_deref()) {
            batch.insert(index_key(sha, r.id), &[][..]);
            in_batch += 1;
        }
        m.records += 1;
        if in_batch >= MIGRATE_BATCH {
            by_tarball
                .apply_batch(std::mem::take(&mut batch))
                .map_err(db_err)?;
            in_batch = 0;
        }
    }
    by_tarball.apply_batch(batch).map_err(db_err)?;
    db.flush().map_err(db_err)?;
    meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())
        .map_err(db_err)?;
    db.flush().map_err(db_err)?;
    Ok(m)
}

/// Whether sled refused to open because another process holds the database's file lock (sled
/// 0.34 says so only in its message: "could not acquire lock on ...").
fn is_locked(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

fn index_key(value: &str, id: u64) -> Vec<u8> {
    let mut k = value.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&id_key(id));
    k
}

/// The name under which the ledger's meta tree keeps the identity of its HMAC key.
const KEY_ID: &str = "hmac_key_id";

/// The public identity of an HMAC key: `hmac-sha256:` and 16 bytes of HMAC(key, a label), hex.
/// Names the key without revealing it (it is not a hash of the key).
pub fn key_id(key: &[u8]) -> String {
    let tag = crypto::hmac_sha256(key, b"airlock ledger key id v1");
    format!("hmac-sha256:{}", hex::encode(&tag[..16]))
}

/// Reads an existing HMAC key file (owner-only; never created here): `--hmac-key-file` handed
/// to a daemon that holds its own ledger open, to check it names the same key.
pub fn read_key_file(path: &Path) -> Result<Vec<u8>, StoreError> {
    if !path.exists() {
        return Err(StoreError::Key {
            path: path.to_path_buf(),
            why: "no such file".into(),
        });
    }
    ledger_key(path)
}

impl Ledger {
    /// Opens (creating on first use) the ledger of `data_dir`. `key_file` overrides where the
    /// HMAC key lives (`--hmac-key-file`, for keys kept off the data dir).
    pub fn open(data_dir: &Path, key_file: Option<&Path>) -> Result<Ledger, StoreError> {
        Self::open_cached(data_dir, key_file, crate::limits::LEDGER_CACHE_BYTES)
    }

    /// [`Ledger::open`] with a page cache of `cache_bytes` (the daemon, which serves lookups for
    /// as long as it runs, keeps more of the ledger in memory than a one-shot command).
    ///
    /// One HMAC key per ledger: the ledger names the key it is signed with ([`key_id`]). A key
    /// file that is not that key is refused (`hmac-key-mismatch`); a ledger whose key is kept
    /// outside the data dir opens without it for reading, and refuses to write or audit
    /// (`hmac-key-missing`) instead of making a second key.
    pub fn open_cached(
        data_dir: &Path,
        key_file: Option<&Path>,
        cache_bytes: u64,
    ) -> Result<Ledger, StoreError> {
        let dir = data_dir.join("ledger");
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| StoreError::Open {
                    path: dir.clone(),
                    why: e.to_string(),
                })?;
        }
        let path = dir.join("db");
        let db = open_db(&path, cache_bytes)?;
        let meta = db.open_tree("meta").map_err(db_err)?;
        match schema_of(&meta)? {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(StoreError::NewerSchema { path, found })
            }
            Some(found) if found < SCHEMA_VERSION => {
                return Err(StoreError::OlderSchema { path, found })
            }
            Some(_) => {}
            None if db.open_tree("records").map_err(db_err)?.is_empty() => {
                meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(db_err)?;
            }
            // Records but no version: not a ledger this airlock wrote.
            None => {
                return Err(StoreError::Corrupt(
                    "the ledger has records but no schema version".into(),
                ))
            }
        }
        let records = db.open_tree("records").map_err(db_err)?;
        let evidence = db.open_tree("evidence").map_err(db_err)?;
        let mut indexes = Vec::new();
        for name in INDEXES {
            indexes.push(db.open_tree(name).map_err(db_err)?);
        }
        let key_path = key_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join("hmac.key"));
        let l = Ledger {
            db,
            records,
            meta,
            evidence,
            indexes,
            key: Default::default(),
            key_path,
            path,
        };
        l.load_key(key_file.is_some())?;
        Ok(l)
    }

    /// The identity of the key this ledger is signed with, if it has one yet.
    pub fn signed_with(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get(KEY_ID)
            .map_err(db_err)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Reads the key when it can be read now; checks it against the one the ledger names.
    fn load_key(&self, given: bool) -> Result<(), StoreError> {
        let expected = self.signed_with()?;
        let exists = self.key_path.exists();
        let key = match (&expected, exists) {
            // Named and present: it must be that key.
            (Some(_), true) => ledger_key(&self.key_path)?,
            // Named, and the file given does not exist: refused (never made again).
            (Some(e), false) if given => {
                return Err(StoreError::KeyMismatch {
                    path: self.key_path.clone(),
                    expected: format!("{e}; the file does not exist"),
                })
            }
            // Named and kept elsewhere: reads work, writes and audits refuse.
            (Some(_), false) => return Ok(()),
            // A ledger from before keys were named: its key is where it always was.
            (None, true) => ledger_key(&self.key_path)?,
            (None, false) if given => ledger_key(&self.key_path)?,
            // No key yet: an empty ledger makes one at its first write; a ledger with records
            // whose key is elsewhere reads without it.
            (None, false) => return Ok(()),
        };
        let id = key_id(&key);
        match &expected {
            Some(e) if !crypto::ct_eq(e.as_bytes(), id.as_bytes()) => {
                return Err(StoreError::KeyMismatch {
                    path: self.key_path.clone(),
                    expected: e.clone(),
                })
            }
            Some(_) => {}
            None => {
                self.meta.insert(KEY_ID, id.as_bytes()).map_err(db_err)?;
            }
        }
        let _ = self.key.set(key);
        Ok(())
    }

    /// The key to sign or check records with; made on an empty ledger's first write.
    fn key(&self, write: bool) -> Result<&[u8], StoreError> {
        if self.key.get().is_none() {
            let expected = self.signed_with()?;
            match expected {
                Some(e) => {
                    return Err(StoreError::KeyMissing {
                        path: self.key_path.clone(),
                        expected: e,
                    })
                }
                None if write && self.records.is_empty() => {
                    let key = ledger_key(&self.key_path)?;
                    self.meta
                        .insert(KEY_ID, key_id(&key).as_bytes())
                        .map_err(db_err)?;
                    let _ = self.key.set(key);
                }
                None => {
                    return Err(StoreError::KeyMissing {
                        path: self.key_path.clone(),
                        expected: "(a key this data dir does not hold)".into(),
                    })
                }
            }
        }
        self.key
            .get()
            .map(Vec::as_slice)
            .ok_or_else(|| StoreError::Key {
                path: self.key_path.clone(),
                why: "not loaded".into(),
            })
    }

    /// Whether the key in `path` is the one this ledger is signed with (a command sent to the
    /// daemon that holds the ledger names its key file: it must be the same key).
    pub fn check_key_file(&self, path: &Path) -> Result<(), StoreError> {
        let key = read_key_file(path)?;
        let id = key_id(&key);
        let expected = match self.signed_with()? {
            Some(e) => e,
            None => key_id(self.key(false)?),
        };
        if crypto::ct_eq(expected.as_bytes(), id.as_bytes()) {
            Ok(())
        } else {
            Err(StoreError::KeyMismatch {
                path: path.to_path_buf(),
                expected,
            })
        }
    }

    /// What `db migrate` reports for a ledger this process has open (its schema is this one).
    pub fn migration(&self) -> Migration {
        Migration {
            path: self.path.clone(),
            from: SCHEMA_VERSION,
            to: SCHEMA_VERSION,
            records: 0,
        }
    }

    /// Appends `inputs` as consecutive records in one transaction (all or nothing), chained to
    /// the head, then flushes to disk. Returns their ids.
    pub fn append(
        &self,
        inputs: &[RecordInput],
        recorded_at: crate::time::Timestamp,
    ) -> Result<Vec<u64>, StoreError> {
        self.append_with(inputs, &Default::default(), recorded_at)
    }

    /// `append`, storing `blobs` (evidence and policy bytes by `sha256:` digest) in the same
    /// transaction; a blob already stored is not stored again.
    pub fn append_with(
        &self,
        inputs: &[RecordInput],
        blobs: &std::collections::BTreeMap<String, Vec<u8>>,
        recorded_at: crate::time::Timestamp,
    ) -> Result<Vec<u64>, StoreError> {
        let key = self.key(true)?;
        let mut trees: Vec<&sled::Tree> = vec![&self.records, &self.meta, &self.evidence];
        trees.extend(self.indexes.iter());
        let r: Result<Vec<u64>, TransactionError<StoreError>> = trees.as_slice().transaction(|t| {
            let (records, meta, evidence) = (&t[0], &t[1], &t[2]);
            for (digest, bytes) in blobs {
                if evidence.get(digest.as_bytes())?.is_none() {
                    evidence.insert(digest.as_bytes(), bytes.as_slice())?;
                }
            }
            let last = meta
                .get("last_id")?
                .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
                .unwrap_or(0);
            let mut prev = meta
                .get("head")?
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .unwrap_or_default();
            let mut ids = Vec::new();
            for (n, input) in inputs.iter().enumerate() {
                let id = last + 1 + n as u64;
                let rec = Record::seal(id, input, recorded_at, &prev, key)
                    .map_err(ConflictableTransactionError::Abort)?;
                let bytes = serde_json::to_vec(&rec).map_err(|e| {
                    ConflictableTransactionError::Abort(StoreError::Corrupt(e.to_string()))
                })?;
                records.insert(&id_key(id), bytes)?;
                for (i, value) in rec.index_values().iter().enumerate() {
                    if let (Some(v), Some(tree)) = (value, t.get(3 + i)) {
                        tree.insert(index_key(v, id), &[][..])?;
                    }
                }
                prev = rec.hash.clone();
                ids.push(id);
                crate::fault::point("in-transaction");
            }
            meta.insert("last_id", &id_key(last + inputs.len() as u64))?;
            meta.insert("head", prev.as_bytes())?;
            Ok(ids)
        });
        let ids = r.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => db_err(e),
        })?;
        crate::fault::point("before-flush");
        // Durable before the import reports done.
        self.db.flush().map_err(db_err)?;
        Ok(ids)
    }

    /// Whether any record belongs to import `import_id` (an import is recorded whole or not at
    /// all, so one record means all of them).
    pub fn has_import(&self, import_id: &str) -> Result<bool, StoreError> {
        let f = Filter {
            import_id: Some(import_id.to_string()),
            limit: Some(1),
            ..Filter::default()
        };
        Ok(!self.query(&f)?.is_empty())
    }

    /// How many records the ledger holds.
    pub fn len(&self) -> u64 {
        self.records.len() as u64
    }

    /// Whether the ledger holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes the database takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// The record `id`.
    pub fn get(&self, id: u64) -> Result<Option<Record>, StoreError> {
        match self.records.get(id_key(id)).map_err(db_err)? {
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("record {id}: {e}"))),
            None => Ok(None),
        }
    }

    /// Records matching `f`, newest first, at most `f.limit`.
    pub fn query(&self, f: &Filter) -> Result<Vec<Record>, StoreError> {
        let limit = f.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        self.walk(f, |r, _| {
            out.push(r);
            out.len() < limit
        })?;
        Ok(out)
    }

    /// One page of the records matching `f`, newest first: at most `limit` of them and, past
    /// the first, no more than `max_bytes` as stored (a page of huge records never reads a
    /// thousand of them first); whether more match, and whether the byte bound ended it.
    pub fn page(&self, f: &Filter, limit: usize, max_bytes: usize) -> Result<Page, StoreError> {
        let mut page = Page::default();
        let mut bytes = 0usize;
        self.walk(f, |r, size| {
            bytes = bytes.saturating_add(size);
            if page.records.len() >= limit {
                page.more = true;
                return false;
            }
            if !page.records.is_empty() && bytes > max_bytes {
                page.more = true;
                page.truncated = true;
                return false;
            }
            page.records.push(r);
            true
        })?;
        Ok(page)
    }

    /// Every record matching `f`, newest first, with its size as stored, until `visit` says
    /// stop (returns false). The most selective index given is walked, else the time index over
    /// a window, else every record from the newest.
    fn walk(
        &self,
        f: &Filter,
        mut visit: impl FnMut(Record, usize) -> bool,
    ) -> Result<(), StoreError> {
        let indexed = [
            (0, f.digest.as_deref()),
            (6, f.tarball_sha256.as_deref()),
            (1, f.identity.as_deref()),
            (2, f.issuer.as_deref()),
            (4, f.import_id.as_deref()),
            (3, f.verdict.map(Verdict::as_str)),
        ];
        // A digest's short form: the digest index from that prefix (digests sort together).
        if let (None, Some(p)) = (&f.digest, &f.digest_prefix) {
            let tree = self.indexes.first().ok_or_else(|| db_err("index"))?;
            let mut hits: Vec<u64> = Vec::new();
            for k in tree.scan_prefix(p.as_bytes()) {
                let (k, _) = k.map_err(db_err)?;
                let id = k
                    .get(k.len().saturating_sub(8)..)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| StoreError::Corrupt("index key".into()))?;
                if f.before.is_none_or(|b| id < b) {
                    hits.push(id);
                }
                if hits.len() > crate::limits::MAX_PREFIX_HITS {
                    break;
                }
            }
            hits.sort_unstable_by(|a, b| b.cmp(a));
            for id in hits {
                let Some(v) = self.records.get(id_key(id)).map_err(db_err)? else {
                    continue;
                };
                let r: Record =
                    serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if f.matches(&r) && !visit(r, v.len()) {
                    break;
                }
            }
            return Ok(());
        }
        if let Some((i, Some(v))) = indexed.iter().find(|(_, v)| v.is_some()) {
            let mut prefix = v.as_bytes().to_vec();
            prefix.push(0);
            let tree = self.indexes.get(*i).ok_or_else(|| db_err("index"))?;
            let keys = match f.before {
                // A page after a cursor starts at the cursor, not at the newest.
                Some(b) => {
                    let mut hi = prefix.clone();
                    hi.extend_from_slice(&id_key(b));
                    tree.range(prefix.clone()..hi)
                }
                None => tree.scan_prefix(&prefix),
            };
            return self.walk_index(keys.rev(), prefix.len(), f, visit);
        }
        // A time window alone: the time index, over that window only.
        if f.since.is_some() || f.until.is_some() {
            let key = |t: Option<crate::time::Timestamp>, default: i64| {
                format!("{:020}", t.map_or(default, |t| t.as_second().max(0)))
            };
            let lo = key(f.since, 0).into_bytes();
            let mut hi = key(f.until, i64::MAX).into_bytes();
            hi.push(1); // past every id of the last second
            let tree = self.indexes.get(5).ok_or_else(|| db_err("index"))?;
            // Time keys are 20 digits and a NUL before the id.
            return self.walk_index(tree.range(lo..hi).rev(), 21, f, visit);
        }
        let all = match f.before {
            Some(b) => self.records.range(..id_key(b)),
            None => self.records.iter(),
        };
        for kv in all.rev() {
            let (_, v) = kv.map_err(db_err)?;
            let r: Record =
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if f.matches(&r) && !visit(r, v.len()) {
                break;
            }
        }
        Ok(())
    }

    /// [`Ledger::walk`] over an index scan (the id follows `id_at` bytes of each key).
    fn walk_index(
        &self,
        keys: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        id_at: usize,
        f: &Filter,
        mut visit: impl FnMut(Record, usize) -> bool,
    ) -> Result<(), StoreError> {
        for k in keys {
            let (k, _) = k.map_err(db_err)?;
            let id_bytes = k.get(id_at..).unwrap_or_default();
            let id = u64::from_be_bytes(
                id_bytes
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("index key".into()))?,
            );
            let Some(v) = self.records.get(id_key(id)).map_err(db_err)? else {
                continue;
            };
            let r: Record = serde_json::from_slice(&v)
                .map_err(|e| StoreError::Corrupt(format!("record {id}: {e}")))?;
            if f.matches(&r) && !visit(r, v.len()) {
                break;
            }
        }
        Ok(())
    }

    /// Notes the outcome of an `audit verify` (not a record: a note in the ledger's metadata,
    /// which the console shows as the last audit).
    pub fn note_audit(&self, a: &Audit, at: crate::time::Timestamp) -> Result<(), StoreError> {
        let note = LastAudit {
            at,
            records: a.records,
            head: a.head.clone(),
            intact: a.intact,
        };
        let bytes = serde_json::to_vec(&note).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.meta.insert(LAST_AUDIT, bytes).map_err(db_err)?;
        self.db.flush().map_err(db_err)?;
        Ok(())
    }

    /// The last `audit verify` noted, if any.
    pub fn last_audit(&self) -> Option<LastAudit> {
        let v = self.meta.get(LAST_AUDIT).ok()??;
        serde_json::from_slice(&v).ok()
    }

    /// Walks the chain from the first record: every id present in order, every `prevHash` the
    /// hash of the record before, every hash recomputed, every HMAC verified. Names the first
    /// broken link (an edited, deleted, inserted or reordered record).
    pub fn audit(&self) -> Result<Audit, StoreError> {
        // An empty ledger is intact whatever key it will have.
        let key: &[u8] = if self.records.is_empty() {
            &[]
        } else {
            self.key(false)?
        };
        let mut prev = String::new();
        let mut expected_id = 1u64;
        let mut count = 0u64;
        for kv in self.records.iter() {
            let (k, v) = kv.map_err(db_err)?;
            let id = u64::from_be_bytes(
                k.as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("record key".into()))?,
            );
            let broken = |why: String| Audit {
                records: count,
                head: prev.clone(),
                intact: false,
                first_broken: Some(Broken { id, why }),
            };
            if id != expected_id {
                return Ok(Audit {
                    first_broken: Some(Broken {
                        id: expected_id,
                        why: format!(
                            "record {expected_id} is missing (the next one is {id}): deleted"
                        ),
                    }),
                    ..broken(String::new())
                });
            }
            let rec: Record = match serde_json::from_slice(&v) {
                Ok(r) => r,
                Err(e) => return Ok(broken(format!("record {id} is not readable: {e}"))),
            };
            if rec.id != id {
                return Ok(broken(format!(
                    "record {id} says it is record {}: moved",
                    rec.id
                )));
            }
            if rec.prev_hash != prev {
                return Ok(broken(format!(
                    "record {id} does not follow record {}: inserted or reordered",
                    id.saturating_sub(1)
                )));
            }
            if let Err(why) = rec.check(key) {
                return Ok(broken(format!("record {id}: {why}")));
            }
            prev = rec.hash.clone();
            expected_id += 1;
            count += 1;
        }
        let head = self.chain_head()?;
        if head != prev {
            return Ok(Audit {
                records: count,
                head: prev,
                intact: false,
                first_broken: Some(Broken {
                    id: expected_id,
                    why: "the recorded chain head is not the last record's hash: records were removed from the end".into(),
                }),
            });
        }
        Ok(Audit {
            records: count,
            head,
            intact: true,
            first_broken: None,
        })
    }

    /// The database's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stored evidence (or policy) bytes by `sha256:` digest.
    pub fn evidence(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .evidence
            .get(digest.as_bytes())
            .map_err(db_err)?
            .map(|v| v.to_vec()))
    }

    /// How many distinct evidence blobs are stored (for the dedup ratio).
    pub fn evidence_count(&self) -> usize {
        self.evidence.len()
    }

    /// Bytes of evidence and policy text stored (each piece once).
    pub fn evidence_bytes(&self) -> u64 {
        self.evidence
            .iter()
            .values()
            .flatten()
            .map(|v| v.len() as u64)
            .sum()
    }

    /// The last record's id and hash (the chain head).
    pub fn head(&self) -> Result<(u64, String), StoreError> {
        let last = self
            .meta
            .get("last_id")
            .map_err(db_err)?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0);
        Ok((last, self.chain_head()?))
    }

    /// The hash of the last record, as the chain head recorded it (empty for no records).
    fn chain_head(&self) -> Result<String, StoreError> {
        Ok(self
            .meta
            .get("head")
            .map_err(db_err)?
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default())
    }

    /// The deployment signing key (ECDSA P-256, PKCS#8, owner-only), created at first use.
    pub fn signing_key(&self) -> Result<crypto::SigningKey, StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let path = dir.join("signing.key");
        let der = owner_only_secret(&path, || {
            crypto::SigningKey::generate_pkcs8().map_err(|e| e.to_string())
        })?;
        crypto::SigningKey::from_pkcs8(&der).map_err(|e| StoreError::Key {
            path,
            why: e.to_string(),
        })
    }

    /// Test hook: overwrites record `id`'s bytes as an attacker with disk access would.
    #[doc(hidden)]
    pub fn tamper_raw(&self, id: u64, bytes: Option<Vec<u8>>) -> Result<(), StoreError> {
        match bytes {
            Some(b) => self.records.insert(id_key(id), b).map_err(db_err)?,
            None => self.records.remove(id_key(id)).map_err(db_err)?,
        };
        self.db.flush().map_err(db_err)?;
        Ok(())
    }

    /// Test hook: the raw bytes of record `id`.
    #[doc(hidden)]
    pub fn raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .records
            .get(id_key(id))
            .map_err(db_err)?
            .map(|v| v.to_vec()))
    }
}

/// SHA-256 hex, for the chain.
pub(crate) fn sha256_hex(b: &[u8]) -> String {
    hex::encode(crypto::sha256(b))
}

#[cfg(test)]
mod tests;
