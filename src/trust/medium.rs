//! Reading an operator's medium (a USB folder or a `.tar.gz`) into a private staging folder.
//!
//! Owns: finding the TUF repository on the medium (at its top or in one subfolder, with unrelated
//! files beside it), safe extraction of archives (regular files and folders only, no `..`, no
//! absolute paths, no links, caps on size and count), and the private copy of the top-level
//! metadata that the TUF client reads. Must not touch: TUF decisions, the trust store, the clock,
//! anything outside the staging folder it is given.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use crate::limits;

/// Why a medium could not be turned into a staged TUF repository.
#[derive(Debug, thiserror::Error)]
pub enum MediumError {
    #[error("{path} does not exist")]
    NotFound { path: PathBuf },
    #[error("cannot read {path}: {why}")]
    Unreadable { path: PathBuf, why: String },
    #[error(
        "no TUF repository in {path}: expected timestamp.json and N.root.json at its top or in one of its subfolders"
    )]
    NoRepository { path: PathBuf },
    #[error("{path} holds several TUF repositories ({candidates}); point --from at one of them")]
    AmbiguousRepository { path: PathBuf, candidates: String },
    #[error("{path} is not a usable .tar.gz: {why}")]
    BadArchive { path: PathBuf, why: String },
    #[error("archive entry '{entry}' refused: {why}; only regular files and folders with relative paths are accepted")]
    UnsafeArchiveEntry { entry: String, why: String },
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge { what: String, limit: u64 },
    #[error("cannot write the staging folder {path}: {why}")]
    Staging { path: PathBuf, why: String },
}

impl MediumError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "source-missing",
            Self::Unreadable { .. } => "source-unreadable",
            Self::NoRepository { .. } => "not-a-tuf-repository",
            Self::AmbiguousRepository { .. } => "ambiguous-repository",
            Self::BadArchive { .. } => "bad-archive",
            Self::UnsafeArchiveEntry { .. } => "unsafe-archive",
            Self::TooLarge { .. } => "too-large",
            Self::Staging { .. } => "staging-failed",
        }
    }

    /// Whether this is a refusal of what the medium offers (an endless-data attack), as opposed to
    /// an unusable input.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::TooLarge { .. })
    }
}

/// A TUF repository made ready for the client: its top-level metadata copied into a private folder.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Private folder holding a copy of every top-level `*.json` of the repository.
    pub metadata_dir: PathBuf,
    /// The repository's `targets/` folder (on the medium or in the private extraction).
    pub targets_dir: PathBuf,
    /// Where the repository was found, for messages.
    pub repository: PathBuf,
    /// Every `N` of the `N.root.json` files the medium holds.
    pub root_files: BTreeSet<u64>,
}

impl Staged {
    /// The highest `N` of the `N.root.json` files the medium holds, if any.
    pub fn newest_root_file(&self) -> Option<u64> {
        self.root_files.last().copied()
    }
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> MediumError {
    MediumError::Unreadable {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// The entries of `dir`, failing at the first one past `MAX_MEDIUM_DIR_ENTRIES`.
fn capped_entries(
    dir: &Path,
) -> Result<impl Iterator<Item = Result<fs::DirEntry, MediumError>> + '_, MediumError> {
    let listing = fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
    Ok(listing.enumerate().map(move |(seen, entry)| {
        if seen >= limits::MAX_MEDIUM_DIR_ENTRIES {
            return Err(MediumError::TooLarge {
                what: format!("the number of entries in {}", dir.display()),
                limit: u64::try_from(limits::MAX_MEDIUM_DIR_ENTRIES).unwrap_or(u64::MAX),
            });
        }
        entry.map_err(|e| unreadable(dir, e))
    }))
}

fn staging(path: &Path, e: impl std::fmt::Display) -> MediumError {
    MediumError::Staging {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// Stages `source` (a folder, or a `.tar.gz`/`.tar` file) into `work`, which must be an empty,
/// private folder.
pub fn stage(source: &Path, work: &Path) -> Result<Staged, MediumError> {
    let meta = match fs::metadata(source) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(MediumError::NotFound {
                path: source.to_path_buf(),
            })
        }
        Err(e) => return Err(unreadable(source, e)),
    };
    if meta.is_dir() {
        let repo = locate(source)?;
        copy_metadata(&repo, work)
    } else if meta.is_file() {
        let file = fs::File::open(source).map_err(|e| unreadable(source, e))?;
        stage_archive(BufReader::new(file), source, work)
    } else {
        Err(unreadable(source, "it is neither a folder nor a file"))
    }
}

/// Stages an archive given as a reader (a `.tar.gz`, or a plain `.tar`). `label` names it in
/// messages.
pub fn stage_archive(
    reader: impl io::BufRead,
    label: &Path,
    work: &Path,
) -> Result<Staged, MediumError> {
    stage_archive_capped(reader, label, work, limits::MAX_ARCHIVE_STREAM_BYTES)
}

fn stage_archive_capped(
    mut reader: impl io::BufRead,
    label: &Path,
    work: &Path,
    stream_cap: u64,
) -> Result<Staged, MediumError> {
    let extracted = work.join("medium");
    fs::create_dir(&extracted).map_err(|e| staging(&extracted, e))?;
    // RFC 1952 §2.3.1: a gzip member starts with ID1 = 31, ID2 = 139.
    let is_gzip = reader
        .fill_buf()
        .map_err(|e| unreadable(label, e))?
        .starts_with(&[0x1f, 0x8b]);
    let exceeded = Rc::new(Cell::new(false));
    let result = if is_gzip {
        // Several gzip members may follow each other (pigz, concatenation): read them all.
        let gz = flate2::read::MultiGzDecoder::new(reader);
        extract(
            CappedReader::new(gz, stream_cap, exceeded.clone()),
            label,
            &extracted,
        )
    } else {
        extract(
            CappedReader::new(reader, stream_cap, exceeded.clone()),
            label,
            &extracted,
        )
    };
    if exceeded.get() {
        return Err(MediumError::TooLarge {
            what: format!("the decompressed size of {}", label.display()),
            limit: stream_cap,
        });
    }
    result?;
    let repo = locate(&extracted).map_err(|e| match e {
        MediumError::NoRepository { .. } => MediumError::NoRepository {
            path: label.to_path_buf(),
        },
        other => other,
    })?;
    let mut staged = copy_metadata(&repo, work)?;
    staged.repository = label.join(repo.strip_prefix(&extracted).unwrap_or(Path::new("")));
    Ok(staged)
}

/// A reader that fails (and raises a flag) once more than `limit` bytes went through it.
struct CappedReader<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R> CappedReader<R> {
    fn new(inner: R, limit: u64, exceeded: Rc<Cell<bool>>) -> Self {
        Self {
            inner,
            left: limit,
            exceeded,
        }
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        if n64 > self.left {
            self.exceeded.set(true);
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        self.left -= n64;
        Ok(n)
    }
}

/// The normal components of an archive path, or why the path is refused.
fn safe_components(path: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => match s.to_str() {
                Some(s) => out.push(s.to_string()),
                None => return Err("the path is not UTF-8".into()),
            },
            Component::CurDir => {}
            Component::ParentDir => return Err("the path contains '..'".into()),
            Component::RootDir | Component::Prefix(_) => return Err("the path is absolute".into()),
        }
    }
    Ok(out)
}

/// Whether an archive member can belong to a TUF repository at the archive's top or in one
/// top-level folder: a top-level `*.json`, or anything under a `targets/` folder.
fn relevant(components: &[String]) -> bool {
    let json = |s: &String| s.ends_with(".json");
    match components {
        [name] => json(name),
        [_, name] => json(name) || components.first().is_some_and(|c| c == "targets"),
        [first, second, ..] => first == "targets" || second == "targets",
        [] => false,
    }
}

fn extract(reader: impl Read, label: &Path, dest: &Path) -> Result<(), MediumError> {
    let bad = |e: io::Error| MediumError::BadArchive {
        path: label.to_path_buf(),
        why: e.to_string(),
    };
    let mut archive = tar::Archive::new(reader);
    let mut entries_seen: usize = 0;
    let mut files_written: usize = 0;
    let mut bytes_written: u64 = 0;
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        entries_seen = entries_seen.saturating_add(1);
        if entries_seen > limits::MAX_ARCHIVE_ENTRIES {
            return Err(MediumError::TooLarge {
                what: format!("the number of entries in {}", label.display()),
                limit: u64::try_from(limits::MAX_ARCHIVE_ENTRIES).unwrap_or(u64::MAX),
            });
        }
        let raw_path = entry.path().map_err(bad)?.into_owned();
        let shown = raw_path.display().to_string();
        let components =
            safe_components(&raw_path).map_err(|why| MediumError::UnsafeArchiveEntry {
                entry: shown.clone(),
                why,
            })?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        if kind.is_dir() {
            continue; // folders are created as files need them
        }
        if !kind.is_file() {
            return Err(MediumError::UnsafeArchiveEntry {
                entry: shown,
                why: format!("it is a {kind:?} entry, not a regular file"),
            });
        }
        if components.is_empty() {
            return Err(MediumError::UnsafeArchiveEntry {
                entry: shown,
                why: "the path is empty".into(),
            });
        }
        if !relevant(&components) {
            // Unrelated files beside the repository: read through, never written.
            io::copy(&mut entry, &mut io::sink()).map_err(bad)?;
            continue;
        }
        files_written = files_written.saturating_add(1);
        if files_written > limits::MAX_MEDIUM_FILES {
            return Err(MediumError::TooLarge {
                what: format!("the number of repository files in {}", label.display()),
                limit: u64::try_from(limits::MAX_MEDIUM_FILES).unwrap_or(u64::MAX),
            });
        }
        let mut target = dest.to_path_buf();
        for c in &components {
            target.push(c);
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| staging(parent, e))?;
        }
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| MediumError::UnsafeArchiveEntry {
                entry: shown.clone(),
                why: format!("cannot be written ({e}); is it listed twice?"),
            })?;
        let room = limits::MAX_MEDIUM_BYTES.saturating_sub(bytes_written);
        let copied = io::copy(&mut (&mut entry).take(room.saturating_add(1)), &mut out).map_err(
            |e| match e.kind() {
                io::ErrorKind::Other => bad(e),
                _ => staging(&target, e),
            },
        )?;
        bytes_written = bytes_written.saturating_add(copied);
        if bytes_written > limits::MAX_MEDIUM_BYTES {
            return Err(MediumError::TooLarge {
                what: format!("the repository files in {}", label.display()),
                limit: limits::MAX_MEDIUM_BYTES,
            });
        }
        // Whatever the header claimed, the rest of this entry (if any) is skipped by `tar`.
    }
    Ok(())
}

fn is_repository(dir: &Path) -> bool {
    dir.join("timestamp.json").is_file()
}

/// Finds the TUF repository in `dir`: `dir` itself, or exactly one of its subfolders.
pub fn locate(dir: &Path) -> Result<PathBuf, MediumError> {
    if is_repository(dir) {
        return Ok(dir.to_path_buf());
    }
    let mut candidates = Vec::new();
    for entry in capped_entries(dir)? {
        let path = entry?.path();
        if path.is_dir() && is_repository(&path) {
            candidates.push(path);
        }
    }
    candidates.sort();
    match candidates.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(MediumError::NoRepository {
            path: dir.to_path_buf(),
        }),
        many => Err(MediumError::AmbiguousRepository {
            path: dir.to_path_buf(),
            candidates: many
                .iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The version `N` of a file named `N.root.json`; `u64::MAX` when `N` is all digits but too large.
pub fn root_file_version(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".root.json")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<u64>().unwrap_or(u64::MAX))
}

/// Copies every top-level `*.json` regular file of `repo` into `work/metadata`, under caps.
fn copy_metadata(repo: &Path, work: &Path) -> Result<Staged, MediumError> {
    let metadata_dir = work.join("metadata");
    fs::create_dir(&metadata_dir).map_err(|e| staging(&metadata_dir, e))?;
    let mut files: usize = 0;
    let mut total: u64 = 0;
    let mut root_files = BTreeSet::new();
    for entry in capped_entries(repo)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !name.ends_with(".json") {
            continue;
        }
        let path = entry.path();
        // Follows links on purpose (an operator's folder); devices and FIFOs are not files.
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        // TUF §5.3.3/§5.4.1: metadata is read "up to some number of bytes" set by the client.
        if meta.len() > limits::MAX_TUF_TARGETS_BYTES {
            return Err(MediumError::TooLarge {
                what: format!("{} ({} bytes)", path.display(), meta.len()),
                limit: limits::MAX_TUF_TARGETS_BYTES,
            });
        }
        files = files.saturating_add(1);
        if files > limits::MAX_MEDIUM_FILES {
            return Err(MediumError::TooLarge {
                what: format!("the number of metadata files in {}", repo.display()),
                limit: u64::try_from(limits::MAX_MEDIUM_FILES).unwrap_or(u64::MAX),
            });
        }
        let mut bytes = Vec::new();
        fs::File::open(&path)
            .and_then(|f| {
                f.take(limits::MAX_TUF_TARGETS_BYTES.saturating_add(1))
                    .read_to_end(&mut bytes)
            })
            .map_err(|e| unreadable(&path, e))?;
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if len > limits::MAX_TUF_TARGETS_BYTES {
            return Err(MediumError::TooLarge {
                what: format!("{} (grew while read)", path.display()),
                limit: limits::MAX_TUF_TARGETS_BYTES,
            });
        }
        total = total.saturating_add(len);
        if total > limits::MAX_MEDIUM_BYTES {
            return Err(MediumError::TooLarge {
                what: format!("the metadata files in {}", repo.display()),
                limit: limits::MAX_MEDIUM_BYTES,
            });
        }
        let dest = metadata_dir.join(&name);
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&dest)
            .and_then(|mut f| f.write_all(&bytes))
            .map_err(|e| staging(&dest, e))?;
        if let Some(v) = root_file_version(&name) {
            root_files.insert(v);
        }
    }
    Ok(Staged {
        metadata_dir,
        targets_dir: repo.join("targets"),
        repository: repo.to_path_buf(),
        root_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_gz(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if let Some(l) = link {
                h.set_link_name(l).unwrap();
            }
            // Write the raw name so hostile paths ('..', '/abs') reach the archive unchanged.
            let gnu = h.as_gnu_mut().unwrap();
            gnu.name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            builder.append(&h, *data).unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    fn stage_bytes(bytes: &[u8]) -> (tempfile::TempDir, Result<Staged, MediumError>) {
        let work = tempfile::tempdir().unwrap();
        let r = stage_archive(
            io::Cursor::new(bytes.to_vec()),
            Path::new("usb.tar.gz"),
            work.path(),
        );
        (work, r)
    }

    const FILE: tar::EntryType = tar::EntryType::Regular;

    #[test]
    fn archive_with_parent_dir_path_is_refused() {
        let a = tar_gz(&[("../timestamp.json", FILE, b"{}", None)]);
        let (_w, r) = stage_bytes(&a);
        assert_eq!(r.unwrap_err().code(), "unsafe-archive");
    }

    #[test]
    fn archive_with_absolute_path_is_refused() {
        let a = tar_gz(&[("/etc/timestamp.json", FILE, b"{}", None)]);
        let (_w, r) = stage_bytes(&a);
        assert_eq!(r.unwrap_err().code(), "unsafe-archive");
    }

    #[test]
    fn archive_with_symlink_is_refused() {
        let a = tar_gz(&[
            ("repo/timestamp.json", FILE, b"{}", None),
            ("repo/targets", tar::EntryType::Symlink, b"", Some("/etc")),
        ]);
        let (_w, r) = stage_bytes(&a);
        assert_eq!(r.unwrap_err().code(), "unsafe-archive");
    }

    #[test]
    fn archive_with_hardlink_is_refused() {
        let a = tar_gz(&[(
            "timestamp.json",
            tar::EntryType::Link,
            b"",
            Some("/etc/passwd"),
        )]);
        let (_w, r) = stage_bytes(&a);
        assert_eq!(r.unwrap_err().code(), "unsafe-archive");
    }

    #[test]
    fn gzip_bomb_is_refused_without_writing_it() {
        // An entry claiming 8 MiB of zeros; a 1 MiB stream cap (the real one is larger) stops it.
        let mut tar_header = tar::Header::new_gnu();
        tar_header.set_path("unrelated.bin").unwrap();
        tar_header.set_size(8 * 1024 * 1024);
        tar_header.set_cksum();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(tar_header.as_bytes()).unwrap();
        gz.write_all(&vec![0u8; 8 * 1024 * 1024]).unwrap();
        let a = gz.finish().unwrap();
        let work = tempfile::tempdir().unwrap();
        let r = stage_archive_capped(
            io::Cursor::new(a),
            Path::new("usb.tar.gz"),
            work.path(),
            1024 * 1024,
        );
        assert_eq!(r.unwrap_err().code(), "too-large");
        assert!(!work.path().join("medium/unrelated.bin").exists());
    }

    #[test]
    fn not_an_archive_is_unusable_input() {
        let (_w, r) =
            stage_bytes(b"this is not a tarball at all, just text padding it out to 512 bytes");
        let code = r.unwrap_err().code();
        assert!(
            code == "bad-archive" || code == "not-a-tuf-repository",
            "{code}"
        );
    }

    #[test]
    fn repository_in_one_subfolder_with_unrelated_files_is_found() {
        let a = tar_gz(&[
            ("notes.txt", FILE, b"hello", None),
            ("photos/cat.jpg", FILE, b"\xff\xd8", None),
            ("repo/timestamp.json", FILE, b"{}", None),
            ("repo/1.root.json", FILE, b"{}", None),
            ("repo/3.root.json", FILE, b"{}", None),
            ("repo/targets/abc.trusted_root.json", FILE, b"{}", None),
        ]);
        let (work, r) = stage_bytes(&a);
        let s = r.unwrap();
        assert_eq!(s.newest_root_file(), Some(3));
        assert!(s.metadata_dir.join("timestamp.json").is_file());
        assert!(s.targets_dir.join("abc.trusted_root.json").is_file());
        assert!(!work.path().join("medium/photos/cat.jpg").exists());
        assert!(!work.path().join("medium/notes.txt").exists());
    }

    #[test]
    fn two_repositories_on_one_medium_are_ambiguous() {
        let a = tar_gz(&[
            ("a/timestamp.json", FILE, b"{}", None),
            ("b/timestamp.json", FILE, b"{}", None),
        ]);
        let (_w, r) = stage_bytes(&a);
        assert_eq!(r.unwrap_err().code(), "ambiguous-repository");
    }

    #[test]
    fn oversized_metadata_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("timestamp.json"), b"{}").unwrap();
        let f = fs::File::create(dir.path().join("1.root.json")).unwrap();
        f.set_len(limits::MAX_TUF_TARGETS_BYTES + 1).unwrap();
        let work = tempfile::tempdir().unwrap();
        let e = stage(dir.path(), work.path()).unwrap_err();
        assert_eq!(e.code(), "too-large");
        assert!(e.is_refusal());
    }

    #[test]
    fn huge_root_version_in_a_file_name_counts_as_newest() {
        assert_eq!(root_file_version("12.root.json"), Some(12));
        assert_eq!(
            root_file_version("99999999999999999999999.root.json"),
            Some(u64::MAX)
        );
        assert_eq!(root_file_version("root.json"), None);
        assert_eq!(root_file_version("x1.root.json"), None);
    }
}
