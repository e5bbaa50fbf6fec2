//! Reading an operator's medium (a USB folder or a `.tar.gz`) into a private staging folder.
//!
//! Owns: finding the TUF repository on the medium (at its top or in one subfolder, with unrelated
//! files beside it), safe extraction of archives (regular files and folders only, no `..`, no
//! absolute paths, no links, caps on size and count), and the private copy of the top-level
//! metadata that the TUF client reads. Must not touch: TUF decisions, the trust store, the clock,
//! anything outside the staging folder it is given.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::archive::{self, ArchiveError, ArchiveLimits, Select};
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
    /// Reading the folder or archive failed (the `archive` module's rules and caps).
    #[error(transparent)]
    Archive(ArchiveError),
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
            Self::Archive(a) => match a {
                ArchiveError::Empty { .. }
                | ArchiveError::NotAnArchive { .. }
                | ArchiveError::Corrupt { .. } => "bad-archive",
                ArchiveError::Bomb { .. } => "too-large",
                other => other.code(),
            },
            Self::TooLarge { .. } => "too-large",
            Self::Staging { .. } => "staging-failed",
        }
    }

    /// Whether this is a refusal of what the medium offers (an endless-data attack), as opposed to
    /// an unusable input.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::TooLarge { .. }
                | Self::Archive(ArchiveError::TooLarge { .. } | ArchiveError::Bomb { .. })
        )
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
    match fs::metadata(source) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(MediumError::NotFound {
                path: source.to_path_buf(),
            })
        }
        Err(e) => return Err(unreadable(source, e)),
    }
    let extracted = work.join("medium");
    fs::create_dir(&extracted).map_err(|e| staging(&extracted, e))?;
    archive::stage(source, &extracted, &ArchiveLimits::TUF_MEDIUM, SELECT, None)
        .map_err(MediumError::Archive)?;
    finish(source, &extracted, work)
}

/// Stages an archive given in memory (a `.tar.gz`, or a plain `.tar`). `label` names it in
/// messages.
pub fn stage_archive(bytes: &[u8], label: &Path, work: &Path) -> Result<Staged, MediumError> {
    let extracted = work.join("medium");
    fs::create_dir(&extracted).map_err(|e| staging(&extracted, e))?;
    archive::stage_reader(
        io::BufReader::new(bytes),
        label,
        &extracted,
        &ArchiveLimits::TUF_MEDIUM,
        SELECT,
    )
    .map_err(MediumError::Archive)?;
    finish(label, &extracted, work)
}

/// Only what can belong to a TUF repository is written; the rest is read through, still checked.
const SELECT: Select = Select {
    keep: relevant,
    descend: relevant_dir,
};

fn finish(label: &Path, extracted: &Path, work: &Path) -> Result<Staged, MediumError> {
    let repo = locate(extracted).map_err(|e| match e {
        MediumError::NoRepository { .. } => MediumError::NoRepository {
            path: label.to_path_buf(),
        },
        MediumError::AmbiguousRepository { candidates, .. } => MediumError::AmbiguousRepository {
            path: label.to_path_buf(),
            candidates,
        },
        other => other,
    })?;
    let mut staged = copy_metadata(&repo, work)?;
    staged.repository = label.join(repo.strip_prefix(extracted).unwrap_or(Path::new("")));
    Ok(staged)
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

/// Whether a folder of a folder medium can hold repository files: any top-level folder (the
/// repository may be there), and anything under a `targets/` folder.
fn relevant_dir(components: &[String]) -> bool {
    match components {
        [_] => true,
        [first, second, ..] => first == "targets" || second == "targets",
        [] => false,
    }
}

/// Whether `source` (a folder, or a tarball no larger than a TUF medium may be) is a TUF
/// repository copy: a `timestamp.json` at its top or in one top-level folder. A tarball is read
/// into `probe` (created, then removed) keeping only such files; one that cannot be read is not
/// a repository copy (the import then refuses it for what it is).
pub fn is_repository_copy(source: &Path, probe: &Path) -> bool {
    let Ok(m) = fs::symlink_metadata(source) else {
        return false;
    };
    if m.is_dir() {
        return locate(source).is_ok();
    }
    if !m.is_file() || m.len() > crate::limits::MAX_MEDIUM_BYTES || archive::sniff(source).is_none()
    {
        return false;
    }
    const TIMESTAMP_ONLY: Select = Select {
        keep: |c| matches!(c, [n] | [_, n] if n == "timestamp.json"),
        descend: |_| false,
    };
    let _ = fs::remove_dir_all(probe);
    if fs::create_dir_all(probe).is_err() {
        return false;
    }
    let staged = archive::stage(
        source,
        probe,
        &ArchiveLimits::TUF_MEDIUM,
        TIMESTAMP_ONLY,
        None,
    );
    let found = staged.is_ok() && locate(probe).is_ok();
    let _ = fs::remove_dir_all(probe);
    found
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
        let r = stage_archive(bytes, Path::new("usb.tar.gz"), work.path());
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
        // An entry claiming 64 MiB of zeros: past the ratio floor, the 1000:1 ratio stops it.
        let mut tar_header = tar::Header::new_gnu();
        tar_header.set_path("unrelated.bin").unwrap();
        tar_header.set_size(64 * 1024 * 1024);
        tar_header.set_cksum();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(tar_header.as_bytes()).unwrap();
        gz.write_all(&vec![0u8; 64 * 1024 * 1024]).unwrap();
        let a = gz.finish().unwrap();
        let (work, r) = stage_bytes(&a);
        let e = r.unwrap_err();
        assert_eq!(e.code(), "too-large", "{e}");
        assert!(e.is_refusal());
        assert!(!work.path().join("medium/unrelated.bin").exists());
    }

    #[test]
    fn truncated_tar_gz_is_a_bad_archive_not_a_staging_failure() {
        let a = tar_gz(&[("timestamp.json", FILE, &[b'x'; 100_000], None)]);
        let (_w, r) = stage_bytes(&a[..a.len() / 2]);
        let e = r.unwrap_err();
        assert_eq!(e.code(), "bad-archive", "{e}");
        let m = e.to_string();
        assert!(
            m.starts_with("usb.tar.gz: tar.gz is truncated or corrupt"),
            "{m}"
        );
        assert!(!m.contains("staging"), "{m}");
    }

    #[test]
    fn truncated_plain_tar_is_not_called_a_tar_gz() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_path("timestamp.json").unwrap();
        h.set_size(10_000);
        h.set_cksum();
        builder.append(&h, &[b'x'; 10_000][..]).unwrap();
        let t = builder.into_inner().unwrap();
        let work = tempfile::tempdir().unwrap();
        let e = stage_archive(&t[..3000], Path::new("usb.tar"), work.path()).unwrap_err();
        assert_eq!(e.code(), "bad-archive");
        assert!(
            e.to_string().starts_with("usb.tar: tar is truncated"),
            "{e}"
        );
    }

    #[test]
    fn folder_medium_with_a_symlink_out_of_the_tree_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("timestamp.json"), b"{}").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("1.root.json")).unwrap();
        let work = tempfile::tempdir().unwrap();
        let e = stage(dir.path(), work.path()).unwrap_err();
        assert_eq!(e.code(), "unsafe-archive");
        assert!(e.to_string().contains("symbolic link"), "{e}");
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
