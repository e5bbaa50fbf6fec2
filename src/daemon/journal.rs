//! The daemon's journal of in-flight work: one entry per file taken from the inbox, written and
//! flushed before the file moves, removed only once its import is in the ledger and the file is
//! kept.
//!
//! Owns: `<data-dir>/daemon/journal/` (entries) and `<data-dir>/daemon/work/` (the taken files,
//! one folder per entry). Must not touch: the ledger (the daemon asks it whether an entry's import
//! is recorded), the inbox's naming rules.
//!
//! Every step is a `rename` within one filesystem, each followed by an fsync of the folder it
//! changed, so a crash at any instant leaves one of: the entry alone (the file still in the
//! inbox), the entry and the taken file (not yet recorded: the import is redone under the same
//! id), or the entry with its import recorded (finished by moving what is left).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::DaemonError;

/// One file taken from the inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The import id its ledger records carry (and the name of its work folder).
    pub import_id: String,
    /// The file's name in the inbox, as bytes in hex (names need not be UTF-8).
    pub name_hex: String,
    /// The same name for people (lossy).
    pub name: String,
    /// When it was taken (RFC 3339).
    pub taken_at: String,
    /// The operator's name for its image, from the `NAME.image` file beside it in the inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Entry {
    /// The name as the filesystem has it.
    pub fn file_name(&self) -> Result<std::ffi::OsString, DaemonError> {
        use std::os::unix::ffi::OsStringExt;
        let bytes = hex::decode(&self.name_hex).map_err(|_| DaemonError::Journal {
            path: PathBuf::from(&self.import_id),
            why: "the entry's name is not hex".into(),
        })?;
        Ok(std::ffi::OsString::from_vec(bytes))
    }
}

/// The journal of one data dir.
#[derive(Debug, Clone)]
pub struct Journal {
    entries: PathBuf,
    work: PathBuf,
}

fn err(path: &Path, e: impl std::fmt::Display) -> DaemonError {
    DaemonError::Journal {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// Makes a folder's entries (a created, renamed or removed name) durable.
pub fn sync_dir(dir: &Path) -> Result<(), DaemonError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| err(dir, e))
}

fn private_dir(dir: &Path) -> Result<(), DaemonError> {
    crate::import::private_data_dir(dir).map_err(|e| err(dir, e))
}

impl Journal {
    /// Opens (creating) the journal of `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Journal, DaemonError> {
        let root = data_dir.join("daemon");
        let j = Journal {
            entries: root.join("journal"),
            work: root.join("work"),
        };
        private_dir(&j.entries)?;
        private_dir(&j.work)?;
        Ok(j)
    }

    /// The folder a taken file waits in.
    pub fn work_dir(&self, import_id: &str) -> PathBuf {
        self.work.join(import_id)
    }

    /// Where the taken file of `e` is.
    pub fn work_file(&self, e: &Entry) -> Result<PathBuf, DaemonError> {
        Ok(self.work_dir(&e.import_id).join(e.file_name()?))
    }

    fn entry_path(&self, import_id: &str) -> PathBuf {
        self.entries.join(format!("{import_id}.json"))
    }

    /// Records the intent to take a file, durably (written, fsynced, renamed into place, the
    /// folder fsynced), before the file moves.
    pub fn begin(&self, e: &Entry) -> Result<(), DaemonError> {
        let path = self.entry_path(&e.import_id);
        let tmp = self.entries.join(format!(".{}.tmp", e.import_id));
        let bytes = serde_json::to_vec_pretty(e).map_err(|x| err(&path, x))?;
        {
            let mut f = fs::File::create(&tmp).map_err(|x| err(&tmp, x))?;
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .map_err(|x| err(&tmp, x))?;
        }
        fs::rename(&tmp, &path).map_err(|x| err(&path, x))?;
        sync_dir(&self.entries)?;
        private_dir(&self.work_dir(&e.import_id))?;
        sync_dir(&self.work)
    }

    /// Every entry, oldest import id first. An entry that cannot be read is reported, not
    /// dropped (its work is kept for the operator).
    /// How many entries are open (taken, not finished), capped; read-only, for the metrics.
    pub fn count(&self) -> usize {
        fs::read_dir(&self.entries)
            .map(|rd| {
                rd.flatten()
                    .take(crate::limits::MAX_DAEMON_JOURNAL_ENTRIES)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    }

    pub fn pending(&self) -> Result<Vec<Result<Entry, DaemonError>>, DaemonError> {
        let mut out = Vec::new();
        let rd = fs::read_dir(&self.entries).map_err(|e| err(&self.entries, e))?;
        for d in rd.take(crate::limits::MAX_DAEMON_JOURNAL_ENTRIES) {
            let d = d.map_err(|e| err(&self.entries, e))?;
            let name = d.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                // A temporary entry: written before the file moved, never renamed in.
                let _ = fs::remove_file(d.path());
                continue;
            }
            if !name.ends_with(".json") {
                continue;
            }
            let p = d.path();
            let read = crate::input::read_capped(&p, 64 * 1024, "journal entry")
                .map_err(|e| err(&p, e))
                .and_then(|b| serde_json::from_slice::<Entry>(&b).map_err(|e| err(&p, e)));
            out.push(read);
        }
        out.sort_by(|a, b| match (a, b) {
            (Ok(a), Ok(b)) => a.import_id.cmp(&b.import_id),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => std::cmp::Ordering::Equal,
        });
        Ok(out)
    }

    /// Ends an entry: its work folder, then the entry itself.
    pub fn finish(&self, e: &Entry) -> Result<(), DaemonError> {
        let work = self.work_dir(&e.import_id);
        if work.exists() {
            fs::remove_dir_all(&work).map_err(|x| err(&work, x))?;
            sync_dir(&self.work)?;
        }
        let path = self.entry_path(&e.import_id);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.entries),
            Err(x) if x.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(x) => Err(err(&path, x)),
        }
    }

    /// How many entries are open (for `/readyz` and the metrics).
    pub fn depth(&self) -> usize {
        fs::read_dir(&self.entries)
            .map(|rd| {
                rd.flatten()
                    .take(crate::limits::MAX_DAEMON_JOURNAL_ENTRIES)
                    .filter(|d| !d.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> Entry {
        Entry {
            import_id: id.into(),
            name_hex: hex::encode("a.tar"),
            name: "a.tar".into(),
            taken_at: "2026-12-01T00:00:00Z".into(),
            image: None,
        }
    }

    #[test]
    fn an_entry_survives_until_finished_and_a_torn_one_is_dropped() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path()).unwrap();
        j.begin(&entry("b")).unwrap();
        j.begin(&entry("a")).unwrap();
        // A crash while writing an entry leaves only its temporary file.
        fs::write(d.path().join("daemon/journal/.c.tmp"), b"{").unwrap();
        let ids: Vec<String> = j
            .pending()
            .unwrap()
            .into_iter()
            .map(|e| e.unwrap().import_id)
            .collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(!d.path().join("daemon/journal/.c.tmp").exists());
        fs::write(j.work_file(&entry("a")).unwrap(), b"x").unwrap();
        j.finish(&entry("a")).unwrap();
        assert!(!j.work_dir("a").exists());
        assert_eq!(j.depth(), 1);
    }

    #[test]
    fn an_unreadable_entry_is_reported_not_dropped() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path()).unwrap();
        fs::write(d.path().join("daemon/journal/x.json"), b"not json").unwrap();
        let p = j.pending().unwrap();
        assert_eq!(p.len(), 1);
        assert!(p[0].is_err());
        assert!(d.path().join("daemon/journal/x.json").exists());
    }
}
