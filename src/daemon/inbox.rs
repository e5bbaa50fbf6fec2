//! The drop folder: which of its entries are complete and may be taken.
//!
//! Owns: the naming convention (`*.part` and `.*` are never taken: copy scripts write under such
//! a name, then rename) and the settling rule (an entry is taken once two looks at least the
//! settle time apart see it unchanged: same size, same modification time, and for a folder the
//! same count, sizes and times of everything in it). Must not touch: the journal, the ledger.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What one look at an entry saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Signature {
    files: u64,
    bytes: u64,
    newest_mtime_ns: i128,
}

/// The suffix of the file that names the image of the entry beside it: `app.tar.image` holds
/// `ghcr.io/acme/app:v1` for `app.tar` (written before the entry, as `--image` would be given).
pub const IMAGE_SIDECAR: &str = ".image";

/// Whether the inbox's convention lets `name` be taken at all (`*.image` files name the image of
/// another entry; they are read with it, never taken alone).
pub fn eligible(name: &std::ffi::OsStr) -> bool {
    let n = name.as_encoded_bytes();
    !(n.starts_with(b".") || n.ends_with(b".part") || n.ends_with(IMAGE_SIDECAR.as_bytes()))
}

/// The path of the `NAME.image` sidecar of the entry `name`.
pub fn sidecar_path(inbox: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let mut n = name.to_os_string();
    n.push(IMAGE_SIDECAR);
    inbox.join(n)
}

/// The reference in the sidecar of `name`, if there is one: a regular file of at most 1 KiB,
/// whitespace around it ignored. `Err` when it exists but cannot be read as one line of text.
pub fn read_sidecar(inbox: &Path, name: &std::ffi::OsStr) -> Result<Option<String>, String> {
    let p = sidecar_path(inbox, name);
    let Ok(m) = fs::symlink_metadata(&p) else {
        return Ok(None);
    };
    if !m.is_file() {
        return Err(format!(
            "{}: not a regular file",
            crate::text::ShownPath(&p)
        ));
    }
    let bytes = crate::input::read_capped(&p, 1024, "image sidecar").map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: not UTF-8", crate::text::ShownPath(&p)))?;
    let t = text.trim();
    if t.is_empty() || t.contains(['\n', '\r']) {
        return Err(format!(
            "{}: must hold one image reference on one line",
            crate::text::ShownPath(&p)
        ));
    }
    Ok(Some(t.to_string()))
}

fn mtime_ns(m: &fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec())
}

/// Size and times of an entry; for a folder, of everything in it (walked without following
/// links, up to [`crate::limits::MAX_IMPORT_ENTRIES`] entries). Past the cap, or past anything
/// unreadable inside, the walk stops and what it saw stands: such an entry still settles, is
/// taken, and the import decides it (`too-many-entries`, or the read error), quarantined and
/// recorded; it never waits forever.
fn signature(path: &Path) -> Option<Signature> {
    let m = fs::symlink_metadata(path).ok()?;
    let mut s = Signature {
        files: 1,
        bytes: m.len(),
        newest_mtime_ns: mtime_ns(&m),
    };
    if !m.is_dir() {
        return Some(s);
    }
    let mut stack = vec![path.to_path_buf()];
    let mut seen = 0usize;
    'walk: while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else {
            continue;
        };
        for e in rd {
            seen += 1;
            if seen > crate::limits::MAX_IMPORT_ENTRIES {
                break 'walk;
            }
            let Ok(e) = e else {
                continue;
            };
            let Ok(m) = e.metadata() else {
                continue;
            };
            s.files += 1;
            s.bytes = s.bytes.saturating_add(m.len());
            s.newest_mtime_ns = s.newest_mtime_ns.max(mtime_ns(&m));
            if m.is_dir() {
                stack.push(e.path());
            }
        }
    }
    Some(s)
}

/// How many entries of `dir` the convention lets be taken (settled or not), capped.
pub fn waiting(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .take(crate::limits::MAX_DAEMON_INBOX_ENTRIES)
                .filter(|e| eligible(&e.file_name()))
                .count()
        })
        .unwrap_or(0)
}

/// The settling state of the inbox between looks.
#[derive(Debug)]
pub struct Inbox {
    dir: PathBuf,
    settle: Duration,
    seen: HashMap<OsString, (Signature, Instant)>,
}

impl Inbox {
    pub fn new(dir: &Path, settle: Duration) -> Inbox {
        Inbox {
            dir: dir.to_path_buf(),
            settle,
            seen: HashMap::new(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Looks at the inbox once. Returns the entries that are complete (unchanged for the settle
    /// time), by name, and how many eligible entries wait in all.
    pub fn look(&mut self, now: Instant) -> (Vec<OsString>, usize) {
        let mut ready = Vec::new();
        let mut present = HashMap::new();
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return (ready, 0);
        };
        for e in rd.flatten().take(crate::limits::MAX_DAEMON_INBOX_ENTRIES) {
            let name = e.file_name();
            if !eligible(&name) {
                continue;
            }
            let Some(sig) = signature(&e.path()) else {
                continue;
            };
            let since = match self.seen.get(&name) {
                Some((old, at)) if *old == sig => *at,
                _ => now,
            };
            if now.duration_since(since) >= self.settle {
                ready.push(name.clone());
            }
            present.insert(name, (sig, since));
        }
        let waiting = present.len();
        self.seen = present;
        ready.sort();
        (ready, waiting)
    }

    /// Forgets an entry (it was taken).
    pub fn taken(&mut self, name: &std::ffi::OsStr) {
        self.seen.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_and_hidden_names_are_never_taken() {
        assert!(!eligible("a.tar.part".as_ref()));
        assert!(!eligible(".a.tar".as_ref()));
        assert!(eligible("a.tar".as_ref()));
        assert!(eligible("a.part.tar".as_ref()));
    }

    #[test]
    fn a_growing_file_is_not_taken_until_it_settles() {
        let d = tempfile::tempdir().unwrap();
        let mut inbox = Inbox::new(d.path(), Duration::from_millis(100));
        let t0 = Instant::now();
        fs::write(d.path().join("a.tar"), b"12").unwrap();
        fs::write(d.path().join("b.tar.part"), b"12").unwrap();
        assert!(inbox.look(t0).0.is_empty());
        // Still growing at the next look: the clock of its settling starts again.
        fs::write(d.path().join("a.tar"), b"1234").unwrap();
        assert!(inbox.look(t0 + Duration::from_millis(150)).0.is_empty());
        let (ready, waiting) = inbox.look(t0 + Duration::from_millis(300));
        assert_eq!(ready, [OsString::from("a.tar")]);
        assert_eq!(waiting, 1);
    }

    #[test]
    fn a_folder_settles_only_when_nothing_in_it_changes() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("repo");
        fs::create_dir_all(f.join("targets")).unwrap();
        let mut inbox = Inbox::new(d.path(), Duration::from_millis(100));
        let t0 = Instant::now();
        inbox.look(t0);
        fs::write(f.join("targets/x"), b"more").unwrap();
        assert!(inbox.look(t0 + Duration::from_millis(150)).0.is_empty());
        assert_eq!(inbox.look(t0 + Duration::from_millis(300)).0.len(), 1);
    }
}
