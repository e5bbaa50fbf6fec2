//! A plain folder read as a medium: the same rules as an archive (regular files and folders only,
//! no links, safe names, the same caps), copied into staging with each file hashed once.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{
    safe_components, write_file, ArchiveError, ArchiveLimits, Format, Names, Select, Staged,
    StagedFile,
};

pub(super) fn stage(
    source: &Path,
    dest: &Path,
    limits: &ArchiveLimits,
    select: Select,
) -> Result<Staged, ArchiveError> {
    let mut w = Walk {
        source,
        dest,
        limits,
        select,
        entries: 0,
        bytes: 0,
        files: Vec::new(),
        names: Names::default(),
    };
    w.dir(source, &[])?;
    Ok(Staged {
        format: Format::Folder,
        files: w.files,
        source_bytes: 0,
        source_sha256: None,
    })
}

struct Walk<'a> {
    source: &'a Path,
    dest: &'a Path,
    limits: &'a ArchiveLimits,
    select: Select,
    entries: usize,
    bytes: u64,
    files: Vec<StagedFile>,
    names: Names,
}

impl Walk<'_> {
    fn unreadable(&self, p: &Path, e: impl std::fmt::Display) -> ArchiveError {
        ArchiveError::Unreadable {
            path: p.to_path_buf(),
            why: e.to_string(),
        }
    }

    fn dir(&mut self, dir: &Path, prefix: &[String]) -> Result<(), ArchiveError> {
        let mut listing = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| self.unreadable(dir, e))? {
            let entry = entry.map_err(|e| self.unreadable(dir, e))?;
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(ArchiveError::TooLarge {
                    path: self.source.to_path_buf(),
                    what: "the number of entries".into(),
                    limit: self.limits.max_entries as u64,
                });
            }
            listing.push(entry);
        }
        // Medium order is the folder's sorted order, so that results are reproducible.
        listing.sort_by_key(fs::DirEntry::file_name);
        for entry in listing {
            let name = entry.file_name();
            let mut rel: Vec<u8> = prefix.join("/").into_bytes();
            if !rel.is_empty() {
                rel.push(b'/');
            }
            rel.extend_from_slice(name.as_bytes());
            let refuse = |why: String| ArchiveError::UnsafeEntry {
                path: self.source.to_path_buf(),
                entry: crate::text::escape_bytes(&rel),
                why,
            };
            let components = safe_components(&rel).map_err(refuse)?;
            let path = entry.path();
            // Not followed: a link is refused exactly as in a tarball.
            let meta = fs::symlink_metadata(&path).map_err(|e| self.unreadable(&path, e))?;
            let ft = meta.file_type();
            if ft.is_dir() {
                self.names.add(&components, true).map_err(refuse)?;
                if (self.select.descend)(&components) {
                    self.dir(&path, &components)?;
                }
                continue;
            }
            if !ft.is_file() {
                let kind = if ft.is_symlink() {
                    "a symbolic link"
                } else {
                    "not a regular file (a device, FIFO or socket)"
                };
                return Err(refuse(format!(
                    "it is {kind}; only regular files and folders are accepted"
                )));
            }
            self.names.add(&components, false).map_err(refuse)?;
            if !(self.select.keep)(&components) {
                continue;
            }
            let size = meta.len();
            if size > self.limits.max_entry_bytes {
                return Err(ArchiveError::TooLarge {
                    path: self.source.to_path_buf(),
                    what: format!("file '{}' ({size} bytes)", crate::text::escape_bytes(&rel)),
                    limit: self.limits.max_entry_bytes,
                });
            }
            if self.files.len() >= self.limits.max_files {
                return Err(ArchiveError::TooLarge {
                    path: self.source.to_path_buf(),
                    what: "the number of files".into(),
                    limit: self.limits.max_files as u64,
                });
            }
            self.bytes = self.bytes.saturating_add(size);
            if self.bytes > self.limits.max_total_bytes {
                return Err(ArchiveError::TooLarge {
                    path: self.source.to_path_buf(),
                    what: "the total size of the files".into(),
                    limit: self.limits.max_total_bytes,
                });
            }
            let (mut f, _) =
                crate::input::open_regular(&path, "file").map_err(|e| self.unreadable(&path, e))?;
            let mut target = self.dest.to_path_buf();
            for c in &components {
                target.push(c);
            }
            let src = path.clone();
            // The size is the one seen when listed: a file that shrinks while read is an error.
            let sha256 = write_file(&mut f, size, &target, &|e| ArchiveError::Unreadable {
                path: src.clone(),
                why: e.to_string(),
            })?;
            self.files.push(StagedFile {
                path: components.join("/"),
                size,
                sha256,
            });
        }
        Ok(())
    }
}
