//! The on-disk trust store under `<data-dir>/trust/`: immutable generations, the `current`
//! pointer, the append-only history, and private scratch folders.
//!
//! Layout:
//! ```text
//! <data-dir>/trust/
//!   current                  the id of the generation in force, one line
//!   generations/<id>/        immutable: trusted_root.json, info.json, [signing_config.v0.2.json],
//!                            [tuf/root.json, tuf/timestamp.json, tuf/snapshot.json, tuf/targets.json]
//!   history.jsonl            one JSON object per accepted or refused attempt
//!   verified.json            TUF roles a failed update verified past the generation in force
//!                            (root, timestamp, snapshot: TUF §5.3.8, §5.4.5, §5.5.7), replaced by
//!                            one atomic rename, removed when an update succeeds
//!   tmp/                     scratch and staging folders (removed when done)
//!   lock                     empty; the exclusive write lock is taken on it (see below)
//! ```
//! Every write (commit, history line, scratch folder) needs a [`StoreLock`]: an exclusive
//! advisory lock on `lock`, taken by [`Store::lock`], which *waits* while another airlock process
//! or thread holds it. Writers are thus serialized: the "did `current` move?" check and the switch
//! of one commit can no longer interleave with another's. Readers take no lock: `current` is
//! switched by one atomic rename and generations are immutable, so a reader always sees one
//! complete generation. Taking the lock first removes crash leftovers: everything in `tmp/` and
//! stray `current.tmp-*` pointer files (no writer can be using them while the lock is held).
//! Generations that `current` no longer names are kept, never removed: the history names every
//! accepted root by digest and generation, and an operator may want its files.
//!
//! A commit stages a generation in `tmp/`, fsyncs it, renames it into `generations/` under the
//! SHA-256 of its content, fsyncs, then replaces `current` by the rename of a fsynced temporary
//! file. A crash at any instant leaves `current` naming either the old or the new complete
//! generation. Owns: these files. Must not touch: anything outside `<data-dir>/trust/`, TUF
//! decisions, the clock.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::limits;
use crate::time::Timestamp;
use crate::trust::tuf::TufSummary;
use crate::trust::RootInfo;

/// Why the trust store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    #[error("cannot {action} {path}: {why}")]
    Io {
        action: &'static str,
        path: PathBuf,
        why: String,
    },
    #[error("the trust store is damaged: {what}")]
    Corrupt { what: String },
    #[error(
        "another airlock process changed the trust root while this one ran (expected generation {expected}, found {found}); run the command again"
    )]
    // Cannot happen between holders of the store lock; kept as a last line of defense.
    Concurrent { expected: String, found: String },
    #[error("simulated crash at {point:?}")]
    SimulatedCrash { point: CrashPoint },
}

impl TrustStoreError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "store-io",
            Self::Corrupt { .. } => "store-corrupt",
            Self::Concurrent { .. } => "concurrent-update",
            Self::SimulatedCrash { .. } => "simulated-crash",
        }
    }
}

/// Where a commit stops when a test simulates a crash (nothing is cleaned up, as after a power cut).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// The new generation is written in `tmp/` but not yet moved into `generations/`.
    AfterStaging,
    /// The generation is in `generations/`, `current` still names the old one.
    AfterGeneration,
    /// `current.tmp` names the new generation but has not replaced `current`.
    AfterPointerWritten,
    /// `current` names the new generation; the history line is not yet written.
    AfterSwitch,
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> TrustStoreError + 'a {
    move |e| TrustStoreError::Io {
        action,
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// What a generation holds besides its files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationInfo {
    /// Format of this record.
    pub format: u32,
    /// How it was installed: "factory-install", "init", "update" or "import".
    pub action: String,
    /// The trusted root and how it was accepted (`stale` is recomputed when read).
    pub root: RootInfo,
    /// The TUF metadata kept in `tuf/` (for an import: carried over from the previous generation).
    pub tuf: Option<TufSummary>,
    /// The instant expiry was judged at (the clock, `--at`, or the factory capture time).
    #[serde(alias = "evaluated_at")]
    pub evaluated_at: Option<Timestamp>,
    /// SHA-256 of the signing config kept beside the trusted root, if any.
    #[serde(alias = "signing_config_digest")]
    pub signing_config_digest: Option<String>,
}

/// A generation of the store: an immutable folder.
#[derive(Debug, Clone)]
pub struct Generation {
    pub id: String,
    pub dir: PathBuf,
    pub info: GenerationInfo,
}

/// One line of `history.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// "accepted" or "refused".
    pub outcome: String,
    /// "factory-install", "init", "update" or "import".
    pub action: String,
    /// The appliance clock when it happened.
    #[serde(alias = "recorded_at")]
    pub recorded_at: Timestamp,
    pub source: String,
    /// SHA-256 of the trusted root accepted (accepted entries).
    pub digest: Option<String>,
    pub generation: Option<String>,
    #[serde(alias = "tuf_verified")]
    pub tuf_verified: bool,
    #[serde(alias = "tuf_root_version")]
    pub tuf_root_version: Option<u64>,
    pub tuf: Option<TufSummary>,
    pub expires: Option<Timestamp>,
    #[serde(alias = "at_override")]
    pub at_override: Option<Timestamp>,
    /// Reason code and one-line reason (refused entries).
    pub code: Option<String>,
    pub reason: Option<String>,
    /// Written on recovery, for an accepted generation whose history line a crash lost.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
    /// What a refused update still verified and kept as TUF state (`root v3, timestamp v2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<String>,
}

/// TUF roles verified past the generation in force, exact bytes (see `verified.json` above).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedState {
    pub format: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
}

impl HistoryEntry {
    /// The accepted-entry for a generation.
    pub fn accepted(gen: &Generation, recorded_at: Timestamp) -> Self {
        Self {
            outcome: "accepted".into(),
            action: gen.info.action.clone(),
            recorded_at,
            source: gen.info.root.source.clone(),
            digest: Some(gen.info.root.digest.clone()),
            generation: Some(gen.id.clone()),
            tuf_verified: gen.info.root.tuf_verified,
            tuf_root_version: gen.info.root.tuf_root_version,
            tuf: gen.info.tuf,
            expires: gen.info.root.expires,
            at_override: gen.info.root.at_override,
            code: None,
            reason: None,
            recovered: false,
            kept: None,
        }
    }
}

/// Proof that this thread holds the exclusive write lock of a store (see [`Store::lock`]). The
/// lock is released when this is dropped, or by the OS if the process dies.
#[derive(Debug)]
pub struct StoreLock {
    _file: fs::File,
}

/// The trust store of one data dir.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// A private scratch folder under `tmp/`, removed on drop.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

static SCRATCH_COUNTER: AtomicU64 = AtomicU64::new(0);

fn is_generation_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Flushes a folder's entries (a rename or a new file inside it) to disk.
fn sync_dir(dir: &Path) -> Result<(), TrustStoreError> {
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_err("flush", dir))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), TrustStoreError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(io_err("create", path))?;
    f.write_all(bytes).map_err(io_err("write", path))?;
    f.sync_all().map_err(io_err("flush", path))
}

/// Reads a file of the store, `None` if absent, refusing more than `cap` bytes.
fn read_optional(path: &Path, cap: u64) -> Result<Option<Vec<u8>>, TrustStoreError> {
    let f = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("open", path)(e)),
    };
    let mut bytes = Vec::new();
    f.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_err("read", path))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > cap {
        return Err(TrustStoreError::Corrupt {
            what: format!("{} is larger than {cap} bytes", path.display()),
        });
    }
    Ok(Some(bytes))
}

impl Store {
    /// The store of `data_dir` (nothing is created until something is written).
    /// The store of a named instance: `public-good` at `trust/` (where every data dir written
    /// before instances existed keeps it), any other at `trust/instances/<name>/`.
    pub fn open_instance(data_dir: &Path, instance: &str) -> Store {
        if instance == crate::trust::PUBLIC_GOOD {
            return Store::open(data_dir);
        }
        Store {
            dir: data_dir.join("trust").join("instances").join(instance),
        }
    }

    pub fn open(data_dir: &Path) -> Store {
        Store {
            dir: data_dir.join("trust"),
        }
    }

    /// `<data-dir>/trust`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn ensure_layout(&self) -> Result<(), TrustStoreError> {
        for d in [
            self.dir.clone(),
            self.dir.join("generations"),
            self.dir.join("tmp"),
        ] {
            // Owner-only, like the data dir (the store is readable by nobody else).
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&d)
                .map_err(io_err("create", &d))?;
        }
        Ok(())
    }

    /// Takes the exclusive write lock on `<data-dir>/trust/lock`, creating the store's folders if
    /// needed. Blocks until the lock is free: a second `trust update`, `init` or `import` (or a
    /// first use installing the factory trust) waits for the first to finish, then works from the
    /// state the first left. Waiting is bounded by the other command's run time (seconds; the
    /// medium is copied and verified in private scratch), so it is preferred to failing fast:
    /// a refused "store busy" would only make the operator run the command again.
    ///
    /// Once held, crash leftovers are removed: every entry of `tmp/` and any `current.tmp-*`.
    pub fn lock(&self) -> Result<StoreLock, TrustStoreError> {
        self.ensure_layout()?;
        let path = self.dir.join("lock");
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err("create", &path))?;
        file.lock().map_err(io_err("lock", &path))?;
        let lock = StoreLock { _file: file };
        self.remove_leftovers(&lock)?;
        Ok(lock)
    }

    /// Removes what a crashed writer left: scratch and staging folders in `tmp/`, and temporary
    /// pointer files. Under the lock nothing else can be using them.
    fn remove_leftovers(&self, _lock: &StoreLock) -> Result<(), TrustStoreError> {
        let tmp = self.dir.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(io_err("list", &tmp))? {
            let entry = entry.map_err(io_err("list", &tmp))?;
            let path = entry.path();
            let is_dir = entry.file_type().map_err(io_err("stat", &path))?.is_dir();
            if is_dir {
                fs::remove_dir_all(&path).map_err(io_err("remove", &path))?;
            } else {
                fs::remove_file(&path).map_err(io_err("remove", &path))?;
            }
        }
        for entry in fs::read_dir(&self.dir).map_err(io_err("list", &self.dir))? {
            let entry = entry.map_err(io_err("list", &self.dir))?;
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with("current.tmp-"))
            {
                let path = entry.path();
                fs::remove_file(&path).map_err(io_err("remove", &path))?;
            }
        }
        Ok(())
    }

    /// A fresh private scratch folder under `tmp/` (only under the lock: taking the lock empties
    /// `tmp/`).
    pub fn work_dir(&self, _lock: &StoreLock, kind: &str) -> Result<WorkDir, TrustStoreError> {
        self.ensure_layout()?;
        let tmp = self.dir.join("tmp");
        for _ in 0..1000 {
            let n = SCRATCH_COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = tmp.join(format!("{kind}-{}-{n}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(WorkDir { path, keep: false }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err("create", &path)(e)),
            }
        }
        Err(TrustStoreError::Io {
            action: "create",
            path: tmp,
            why: "no free scratch folder name".into(),
        })
    }

    /// The id named by `current`, if the store has one.
    pub fn current_id(&self) -> Result<Option<String>, TrustStoreError> {
        let path = self.dir.join("current");
        let Some(bytes) = read_optional(&path, 1024)? else {
            return Ok(None);
        };
        let id = String::from_utf8_lossy(&bytes).trim().to_string();
        if !is_generation_id(&id) {
            return Err(TrustStoreError::Corrupt {
                what: format!("{} does not name a generation", path.display()),
            });
        }
        Ok(Some(id))
    }

    /// The generation in force, if any.
    pub fn current(&self) -> Result<Option<Generation>, TrustStoreError> {
        match self.current_id()? {
            Some(id) => self.generation(&id).map(Some),
            None => Ok(None),
        }
    }

    /// Reads a generation's record.
    pub fn generation(&self, id: &str) -> Result<Generation, TrustStoreError> {
        if !is_generation_id(id) {
            return Err(TrustStoreError::Corrupt {
                what: format!("'{id}' is not a generation id"),
            });
        }
        let dir = self.dir.join("generations").join(id);
        let info_path = dir.join("info.json");
        let bytes =
            read_optional(&info_path, 1024 * 1024)?.ok_or_else(|| TrustStoreError::Corrupt {
                what: format!("{} is missing", info_path.display()),
            })?;
        let info: GenerationInfo =
            serde_json::from_slice(&bytes).map_err(|e| TrustStoreError::Corrupt {
                what: format!("{} is unreadable: {e}", info_path.display()),
            })?;
        Ok(Generation {
            id: id.to_string(),
            dir,
            info,
        })
    }

    /// A file of a generation (`name` may be `tuf/root.json`), `None` if absent.
    pub fn read(
        &self,
        gen: &Generation,
        name: &str,
        cap: u64,
    ) -> Result<Option<Vec<u8>>, TrustStoreError> {
        read_optional(&gen.dir.join(name), cap)
    }

    /// Installs a new generation and makes it current. `expected` is the id that was current when
    /// the caller read the store: if another process switched meanwhile, nothing is switched.
    pub fn commit(
        &self,
        lock: &StoreLock,
        expected: Option<&str>,
        files: &[(&str, &[u8])],
        info: &GenerationInfo,
        crash: Option<CrashPoint>,
    ) -> Result<Generation, TrustStoreError> {
        self.ensure_layout()?;
        let info_json = serde_json::to_vec_pretty(info).map_err(|e| TrustStoreError::Corrupt {
            what: format!("cannot encode the generation record: {e}"),
        })?;
        let mut all: Vec<(&str, &[u8])> = files.to_vec();
        all.push(("info.json", &info_json));
        all.sort_by(|a, b| a.0.cmp(b.0));

        // Content address: SHA-256 over (name, length, SHA-256 of content) of every file.
        let mut manifest = Vec::new();
        for (name, bytes) in &all {
            manifest.extend_from_slice(name.as_bytes());
            manifest.push(0);
            manifest.extend_from_slice(bytes.len().to_string().as_bytes());
            manifest.push(0);
            manifest.extend_from_slice(&crypto::sha256(bytes));
        }
        let id = hex::encode(crypto::sha256(&manifest));

        // 1. Stage every file in a private folder and flush it.
        let mut stage = self.work_dir(lock, "stage")?;
        for (name, bytes) in &all {
            let path = stage.path().join(name);
            if let Some(parent) = path.parent() {
                if parent != stage.path() {
                    fs::create_dir_all(parent).map_err(io_err("create", parent))?;
                }
            }
            write_synced(&path, bytes)?;
        }
        if all.iter().any(|(n, _)| n.starts_with("tuf/")) {
            sync_dir(&stage.path().join("tuf"))?;
        }
        sync_dir(stage.path())?;
        if crash == Some(CrashPoint::AfterStaging) {
            stage.keep = true;
            return Err(TrustStoreError::SimulatedCrash {
                point: CrashPoint::AfterStaging,
            });
        }

        // 2. Move it into generations/ under its content address.
        let generations = self.dir.join("generations");
        let dir = generations.join(&id);
        if dir.exists() {
            // Same content already installed (identical bytes, identical record).
        } else {
            fs::rename(stage.path(), &dir).map_err(io_err("install", &dir))?;
            stage.keep = true; // moved away: nothing left to remove
        }
        sync_dir(&generations)?;
        if crash == Some(CrashPoint::AfterGeneration) {
            return Err(TrustStoreError::SimulatedCrash {
                point: CrashPoint::AfterGeneration,
            });
        }

        // 3. Refuse to switch if another process switched meanwhile.
        let found = self.current_id()?;
        if found.as_deref() != expected {
            return Err(TrustStoreError::Concurrent {
                expected: expected.unwrap_or("none").to_string(),
                found: found.unwrap_or_else(|| "none".into()),
            });
        }

        // 4. Switch: one atomic rename of a flushed pointer file.
        let pointer_tmp = self.dir.join(format!("current.tmp-{}", std::process::id()));
        write_synced(&pointer_tmp, format!("{id}\n").as_bytes())?;
        if crash == Some(CrashPoint::AfterPointerWritten) {
            return Err(TrustStoreError::SimulatedCrash {
                point: CrashPoint::AfterPointerWritten,
            });
        }
        let pointer = self.dir.join("current");
        fs::rename(&pointer_tmp, &pointer).map_err(io_err("switch", &pointer))?;
        sync_dir(&self.dir)?;
        drop(stage);
        self.generation(&id)
    }

    /// The TUF roles failed updates verified past the generation in force, if any.
    pub fn verified_state(&self) -> Result<Option<VerifiedState>, TrustStoreError> {
        let path = self.dir.join("verified.json");
        let cap = (limits::MAX_TUF_ROOT_BYTES
            + limits::MAX_TUF_TIMESTAMP_BYTES
            + limits::MAX_TUF_SNAPSHOT_BYTES)
            .saturating_mul(2);
        let Some(bytes) = read_optional(&path, cap)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| TrustStoreError::Corrupt {
                what: format!("{}: {e}", path.display()),
            })
    }

    /// Replaces `verified.json` (written in `tmp/`, flushed, renamed over: a crash leaves the old
    /// or the new one).
    pub fn write_verified_state(
        &self,
        lock: &StoreLock,
        state: &VerifiedState,
    ) -> Result<(), TrustStoreError> {
        self.ensure_layout()?;
        let bytes = serde_json::to_vec(state).map_err(|e| TrustStoreError::Corrupt {
            what: format!("cannot encode the verified TUF state: {e}"),
        })?;
        let work = self.work_dir(lock, "verified")?;
        let tmp = work.path().join("verified.json");
        write_synced(&tmp, &bytes)?;
        let path = self.dir.join("verified.json");
        fs::rename(&tmp, &path).map_err(io_err("replace", &path))?;
        sync_dir(&self.dir)
    }

    /// Removes `verified.json` (an update succeeded: its generation holds the newest state).
    pub fn clear_verified_state(&self, _lock: &StoreLock) -> Result<(), TrustStoreError> {
        let path = self.dir.join("verified.json");
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &path)(e)),
        }
    }

    /// Appends one line to the history and flushes it.
    pub fn append_history(
        &self,
        _lock: &StoreLock,
        entry: &HistoryEntry,
    ) -> Result<(), TrustStoreError> {
        self.ensure_layout()?;
        let path = self.dir.join("history.jsonl");
        let mut line = serde_json::to_vec(entry).map_err(|e| TrustStoreError::Corrupt {
            what: format!("cannot encode a history entry: {e}"),
        })?;
        line.push(b'\n');
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        // A crash may have torn the last line: start on a fresh one.
        let len = f.metadata().map_err(io_err("stat", &path))?.len();
        if len > 0 {
            use std::io::{Seek, SeekFrom};
            let mut last = [0u8; 1];
            f.seek(SeekFrom::Start(len - 1))
                .and_then(|_| f.read_exact(&mut last))
                .map_err(io_err("read", &path))?;
            if last[0] != b'\n' {
                line.insert(0, b'\n');
            }
        }
        f.write_all(&line).map_err(io_err("append to", &path))?;
        f.sync_all().map_err(io_err("flush", &path))?;
        if len == 0 {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Every readable history entry, oldest first, and the number of unreadable lines skipped.
    pub fn history(&self) -> Result<(Vec<HistoryEntry>, usize), TrustStoreError> {
        let path = self.dir.join("history.jsonl");
        let Some(bytes) = read_optional(&path, limits::MAX_TRUST_HISTORY_BYTES)? else {
            return Ok((Vec::new(), 0));
        };
        let mut entries = Vec::new();
        let mut skipped = 0;
        for line in bytes.split(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<HistoryEntry>(line) {
                Ok(e) => entries.push(e),
                Err(_) => skipped += 1,
            }
        }
        Ok((entries, skipped))
    }

    /// The generation in force when the history does not name it (a crash between the switch and
    /// the history line). Read-only: needs no lock.
    pub fn unrecorded_current(&self) -> Result<Option<Generation>, TrustStoreError> {
        let Some(gen) = self.current()? else {
            return Ok(None);
        };
        let (entries, _) = self.history()?;
        let known = entries
            .iter()
            .any(|e| e.outcome == "accepted" && e.generation.as_deref() == Some(gen.id.as_str()));
        Ok((!known).then_some(gen))
    }

    /// After a crash between the switch and the history line: records the generation in force if
    /// the history does not name it.
    pub fn recover_history(&self, lock: &StoreLock, now: Timestamp) -> Result<(), TrustStoreError> {
        if let Some(gen) = self.unrecorded_current()? {
            let mut entry = HistoryEntry::accepted(&gen, gen.info.root.accepted_at.unwrap_or(now));
            entry.recovered = true;
            self.append_history(lock, &entry)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(digest: &str) -> GenerationInfo {
        GenerationInfo {
            format: 1,
            action: "import".into(),
            root: RootInfo {
                digest: digest.into(),
                tuf_verified: false,
                tuf_root_version: None,
                source: "import:/x".into(),
                accepted_at: Some("2026-01-01T00:00:00Z".parse().unwrap()),
                expires: None,
                stale: false,
                at_override: None,
            },
            tuf: None,
            evaluated_at: None,
            signing_config_digest: None,
        }
    }

    fn commit(
        store: &Store,
        content: &[u8],
        crash: Option<CrashPoint>,
    ) -> Result<Generation, TrustStoreError> {
        let lock = store.lock().unwrap();
        let expected = store.current_id().unwrap();
        store.commit(
            &lock,
            expected.as_deref(),
            &[("trusted_root.json", content)],
            &info(&hex::encode(crypto::sha256(content))),
            crash,
        )
    }

    #[test]
    fn crash_at_any_commit_step_leaves_old_or_new_root_never_a_mix() {
        for point in [
            CrashPoint::AfterStaging,
            CrashPoint::AfterGeneration,
            CrashPoint::AfterPointerWritten,
            CrashPoint::AfterSwitch,
        ] {
            let d = tempfile::tempdir().unwrap();
            let store = Store::open(d.path());
            let old = commit(&store, b"old", None).unwrap();
            let r = if point == CrashPoint::AfterSwitch {
                // The switch is the commit's last step: the crash hits before the history line.
                commit(&store, b"new", None).map(|_| ())
            } else {
                commit(&store, b"new", Some(point)).map(|_| ())
            };
            let now = store.current().unwrap().unwrap();
            let bytes = store.read(&now, "trusted_root.json", 10).unwrap().unwrap();
            if point == CrashPoint::AfterSwitch {
                r.unwrap();
                assert_eq!(bytes, b"new");
            } else {
                assert_eq!(r.unwrap_err().code(), "simulated-crash");
                assert_eq!(now.id, old.id, "{point:?}");
                assert_eq!(bytes, b"old");
            }
            // The store stays usable after the crash.
            let next = commit(&store, b"next", None).unwrap();
            assert_eq!(store.current().unwrap().unwrap().id, next.id);
        }
    }

    #[test]
    fn concurrent_switch_is_refused_not_overwritten() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        let first = commit(&store, b"a", None).unwrap();
        commit(&store, b"b", None).unwrap();
        let lock = store.lock().unwrap();
        let e = store
            .commit(
                &lock,
                Some(&first.id),
                &[("trusted_root.json", b"c")],
                &info("c"),
                None,
            )
            .unwrap_err();
        assert_eq!(e.code(), "concurrent-update");
    }

    #[test]
    fn second_writer_waits_for_the_lock_instead_of_racing_the_switch() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        commit(&store, b"base", None).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let first = store.lock().unwrap();
        let other = store.clone();
        let waiter = std::thread::spawn(move || {
            // Reads `current` only once it holds the lock, as every writer does.
            let r = commit(&other, b"second", None);
            tx.send(()).unwrap();
            r
        });
        // While the first writer holds the lock, the second cannot get past `lock()`.
        assert!(rx
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err());
        let expected = store.current_id().unwrap();
        let mine = store
            .commit(
                &first,
                expected.as_deref(),
                &[("trusted_root.json", b"first")],
                &info("first"),
                None,
            )
            .unwrap();
        drop(first);
        // The second writer then commits on top of the first: no concurrent-update refusal.
        let theirs = waiter.join().unwrap().unwrap();
        assert_ne!(mine.id, theirs.id);
        assert_eq!(
            store.current_id().unwrap().as_deref(),
            Some(theirs.id.as_str())
        );
    }

    #[test]
    fn many_concurrent_writers_never_lose_or_refuse_a_commit() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..5 {
                        let content = format!("{t}-{i}");
                        let lock = store.lock().unwrap();
                        let expected = store.current_id().unwrap();
                        let g = store
                            .commit(
                                &lock,
                                expected.as_deref(),
                                &[("trusted_root.json", content.as_bytes())],
                                &info(&content),
                                None,
                            )
                            .unwrap();
                        let e = HistoryEntry::accepted(&g, "2026-01-01T00:00:00Z".parse().unwrap());
                        store.append_history(&lock, &e).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (entries, skipped) = store.history().unwrap();
        assert_eq!((entries.len(), skipped), (20, 0));
        // The generation in force is the one the last history line names.
        assert_eq!(
            store.current_id().unwrap(),
            entries.last().unwrap().generation.clone()
        );
    }

    #[test]
    fn crash_leftovers_are_removed_when_the_next_writer_takes_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        let old = commit(&store, b"old", None).unwrap();
        // A power cut after moving a generation into place leaves it unreferenced; one after
        // staging leaves the staging folder; one after writing the pointer leaves `current.tmp-*`
        // (planted here: the crash helper's own lock would clean the earlier ones); a crashed
        // command may also leave a scratch file.
        commit(&store, b"new", Some(CrashPoint::AfterGeneration)).unwrap_err();
        commit(&store, b"new2", Some(CrashPoint::AfterStaging)).unwrap_err();
        fs::write(store.dir().join("current.tmp-4242"), b"x\n").unwrap();
        fs::write(store.dir().join("tmp/stray"), b"x").unwrap();
        assert_eq!(fs::read_dir(store.dir().join("tmp")).unwrap().count(), 2);
        let stray_pointer = |s: &Store| {
            fs::read_dir(s.dir())
                .unwrap()
                .filter(|e| {
                    let name = e.as_ref().unwrap().file_name();
                    name.to_string_lossy().starts_with("current.tmp-")
                })
                .count()
        };
        assert_eq!(stray_pointer(&store), 1);
        // Readers take no lock and do not clean up.
        assert_eq!(
            store.current_id().unwrap().as_deref(),
            Some(old.id.as_str())
        );
        assert_eq!(fs::read_dir(store.dir().join("tmp")).unwrap().count(), 2);

        let lock = store.lock().unwrap();
        assert_eq!(fs::read_dir(store.dir().join("tmp")).unwrap().count(), 0);
        assert_eq!(stray_pointer(&store), 0);
        drop(lock);
        // The generation the crashed commit moved into place is kept (history may name such
        // generations; they are never removed automatically).
        let generations = fs::read_dir(store.dir().join("generations"))
            .unwrap()
            .count();
        assert_eq!(generations, 2);
        let next = commit(&store, b"next", None).unwrap();
        assert_eq!(
            store.current_id().unwrap().as_deref(),
            Some(next.id.as_str())
        );
        assert_eq!(fs::read_dir(store.dir().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn planted_pointer_outside_generations_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        fs::create_dir_all(store.dir()).unwrap();
        fs::write(store.dir().join("current"), "../../etc\n").unwrap();
        assert_eq!(store.current().unwrap_err().code(), "store-corrupt");
    }

    #[test]
    fn torn_history_line_is_skipped_and_appends_start_fresh() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        let g = commit(&store, b"a", None).unwrap();
        let e = HistoryEntry::accepted(&g, "2026-01-01T00:00:00Z".parse().unwrap());
        let lock = store.lock().unwrap();
        store.append_history(&lock, &e).unwrap();
        let path = store.dir().join("history.jsonl");
        let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"outcome\":\"acc").unwrap();
        store.append_history(&lock, &e).unwrap();
        let (entries, skipped) = store.history().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(skipped, 1);
    }

    #[test]
    fn lost_history_line_after_switch_is_recovered() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        let g = commit(&store, b"a", None).unwrap();
        let lock = store.lock().unwrap();
        store
            .recover_history(&lock, "2026-02-02T00:00:00Z".parse().unwrap())
            .unwrap();
        let (entries, _) = store.history().unwrap();
        assert_eq!(entries.len(), 1);
        assert!(entries[0].recovered);
        assert_eq!(entries[0].generation.as_deref(), Some(g.id.as_str()));
        store
            .recover_history(&lock, "2026-02-02T00:00:00Z".parse().unwrap())
            .unwrap();
        assert_eq!(store.history().unwrap().0.len(), 1);
    }
}
