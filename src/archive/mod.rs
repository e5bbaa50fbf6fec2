//! Safe reading of what arrives on a medium (`.tar`, `.tar.gz`, `.tar.zst`, or a plain folder)
//! into a private staging folder, each file hashed while it is written.
//!
//! Owns: format detection, decompression, the tar stream (driven here, entry by entry, so every
//! cap holds before a byte is buffered), folder walking, path safety, and the caps of
//! [`ArchiveLimits`]. Must not touch: what the files mean (OCI, TUF, bundles), the trust store,
//! the database, anything outside the staging folder it is given.
//!
//! Only regular files and folders are accepted. Absolute paths, `..`, links of any kind,
//! devices, FIFOs, sockets, duplicate names, non-UTF-8 or control characters in names are
//! refused; so are archives over a cap or a compression ratio. `tar::Archive::unpack` is not
//! used: it follows links it created itself and reads GNU long names and PAX headers whole, with
//! no cap (a 10 GB PAX header is 10 GB of memory).

mod folder;
mod tarstream;

use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use crate::limits;
use crate::text::{Shown, ShownPath};

/// Why a medium could not be staged.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The source itself cannot be opened or read (missing, unreadable, not a file or folder).
    #[error("{}: cannot read: {why}", ShownPath(path))]
    Unreadable { path: PathBuf, why: String },
    /// The source is an empty file.
    #[error("{}: is an empty file, not an archive", ShownPath(path))]
    Empty { path: PathBuf },
    /// The source is neither a tar, a gzip nor a zstd stream.
    #[error("{}: not an archive (neither tar, gzip nor zstd)", ShownPath(path))]
    NotAnArchive { path: PathBuf },
    /// The medium's bytes are damaged: truncated, a bad checksum, a broken compressed stream.
    #[error("{}: {format} is truncated or corrupt: {why}", ShownPath(path))]
    Corrupt {
        path: PathBuf,
        format: &'static str,
        why: String,
    },
    /// An entry that is not a plain file or folder with a safe relative name.
    #[error("{}: entry '{}' refused: {why}", ShownPath(path), Shown(entry))]
    UnsafeEntry {
        path: PathBuf,
        entry: String,
        why: String,
    },
    /// Over one of the caps of [`ArchiveLimits`].
    #[error("{}: {what} exceeds the limit of {limit}", ShownPath(path))]
    TooLarge {
        path: PathBuf,
        what: String,
        limit: u64,
    },
    /// Decompressed far more than the compressed size warrants: a compression bomb.
    #[error(
        "{}: decompresses to over {ratio} times its compressed size ({out} bytes from {inp}): a compression bomb",
        ShownPath(path)
    )]
    Bomb {
        path: PathBuf,
        ratio: u64,
        out: u64,
        inp: u64,
    },
    /// The data dir's staging folder could not be written: the appliance's fault, not the medium's.
    #[error("cannot write the staging folder {}: {why}", ShownPath(path))]
    Staging { path: PathBuf, why: String },
}

impl ArchiveError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } => "source-unreadable",
            Self::Empty { .. } | Self::NotAnArchive { .. } => "not-an-archive",
            Self::Corrupt { .. } => "bad-archive",
            Self::UnsafeEntry { .. } => "unsafe-archive",
            Self::TooLarge { .. } => "too-large",
            Self::Bomb { .. } => "compression-bomb",
            Self::Staging { .. } => "staging-failed",
        }
    }

    /// Whether the medium is at fault (as opposed to the appliance's staging folder).
    pub fn is_medium_fault(&self) -> bool {
        !matches!(self, Self::Staging { .. })
    }
}

/// The caps that hold while a medium is read. Each stops one attack; see `limits.rs`.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    /// Most entries of any kind (files, folders, headers).
    pub max_entries: usize,
    /// Most files written into staging.
    pub max_files: usize,
    /// Largest single file.
    pub max_entry_bytes: u64,
    /// Most bytes written into staging.
    pub max_total_bytes: u64,
    /// Most bytes read out of the (decompressed) tar stream, written or skipped.
    pub max_stream_bytes: u64,
    /// Largest decompressed / compressed ratio once past `ratio_floor` bytes.
    pub max_ratio: u64,
    /// Decompressed bytes allowed before the ratio is checked.
    pub ratio_floor: u64,
}

impl ArchiveLimits {
    /// For `airlock import` of exported tarballs and folders.
    pub const IMPORT: Self = Self {
        max_entries: limits::MAX_IMPORT_ENTRIES,
        max_files: limits::MAX_IMPORT_ENTRIES,
        max_entry_bytes: limits::MAX_IMPORT_ENTRY_BYTES,
        max_total_bytes: limits::MAX_IMPORT_TOTAL_BYTES,
        max_stream_bytes: limits::MAX_IMPORT_TOTAL_BYTES,
        max_ratio: limits::MAX_COMPRESSION_RATIO,
        ratio_floor: limits::COMPRESSION_RATIO_FLOOR_BYTES,
    };

    /// For a TUF repository copy (`trust update --from`).
    pub const TUF_MEDIUM: Self = Self {
        max_entries: limits::MAX_ARCHIVE_ENTRIES,
        max_files: limits::MAX_MEDIUM_FILES,
        max_entry_bytes: limits::MAX_MEDIUM_BYTES,
        max_total_bytes: limits::MAX_MEDIUM_BYTES,
        max_stream_bytes: limits::MAX_ARCHIVE_STREAM_BYTES,
        max_ratio: limits::MAX_COMPRESSION_RATIO,
        ratio_floor: limits::COMPRESSION_RATIO_FLOOR_BYTES,
    };
}

/// Which entries of a medium are written into staging; the others are read through (and still
/// checked for safety), never written.
#[derive(Debug, Clone, Copy)]
pub struct Select {
    /// Whether a file at these path components is written.
    pub keep: fn(&[String]) -> bool,
    /// Whether a folder of a plain-folder medium is walked into.
    pub descend: fn(&[String]) -> bool,
}

impl Select {
    /// Every entry.
    pub const ALL: Self = Self {
        keep: |_| true,
        descend: |_| true,
    };
}

/// What the medium was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Format {
    Folder,
    Tar,
    TarGzip,
    TarZstd,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Folder => "folder",
            Self::Tar => "tar",
            Self::TarGzip => "tar.gz",
            Self::TarZstd => "tar.zst",
        }
    }
}

/// One file written into staging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// Relative path, `/`-separated, as it stood in the medium.
    pub path: String,
    pub size: u64,
    /// SHA-256 of the content, computed while it was written.
    pub sha256: [u8; 32],
}

/// A medium read into a staging folder.
#[derive(Debug, Clone)]
pub struct Staged {
    pub format: Format,
    /// Every file written, in medium order.
    pub files: Vec<StagedFile>,
    /// Size of the source file as read (0 for a folder).
    pub source_bytes: u64,
    /// SHA-256 of the source file as read (`None` for a folder).
    pub source_sha256: Option<[u8; 32]>,
}

/// Stages `source` (a folder, or a tar/gzip/zstd file) into `dest`, an empty private folder that
/// must exist. When `copy_to` is given, the source file's bytes are also copied there as they
/// are read (the medium is read once: hashed, copied and extracted in one pass).
pub fn stage(
    source: &Path,
    dest: &Path,
    limits: &ArchiveLimits,
    select: Select,
    copy_to: Option<&Path>,
) -> Result<Staged, ArchiveError> {
    stage_observed(source, dest, limits, select, copy_to, None)
}

/// [`stage`], calling `progress` with the bytes of the source read so far.
pub fn stage_observed(
    source: &Path,
    dest: &Path,
    limits: &ArchiveLimits,
    select: Select,
    copy_to: Option<&Path>,
    progress: Option<&dyn Fn(u64)>,
) -> Result<Staged, ArchiveError> {
    let unreadable = |why: String| ArchiveError::Unreadable {
        path: source.to_path_buf(),
        why,
    };
    let meta = fs::metadata(source).map_err(|e| unreadable(e.to_string()))?;
    if meta.is_dir() {
        return folder::stage(source, dest, limits, select);
    }
    let (file, _) = crate::input::open_regular(source, "medium").map_err(|e| match e {
        crate::input::InputError::NotRegular { kind, .. } => {
            unreadable(format!("it is {kind}, neither a folder nor a regular file"))
        }
        other => unreadable(other.to_string()),
    })?;
    let copy = match copy_to {
        Some(p) => Some(
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
                .map_err(|e| staging(p, e))?,
        ),
        None => None,
    };
    let mut piped = Piped::spawn(file, copy.zip(copy_to.map(Path::to_path_buf)));
    piped.progress = progress;
    stage_reader(piped, source, dest, limits, select)
}

/// Stages an archive given as a reader; `label` names it in messages.
pub fn stage_reader<R: BufRead + SourceStats>(
    mut reader: R,
    label: &Path,
    dest: &Path,
    limits: &ArchiveLimits,
    select: Select,
) -> Result<Staged, ArchiveError> {
    let head = reader.fill_buf().map_err(|e| ArchiveError::Unreadable {
        path: label.to_path_buf(),
        why: e.to_string(),
    })?;
    let format = detect(head).ok_or_else(|| {
        if head.is_empty() {
            ArchiveError::Empty {
                path: label.to_path_buf(),
            }
        } else {
            ArchiveError::NotAnArchive {
                path: label.to_path_buf(),
            }
        }
    })?;
    let counter = reader.counter();
    let ctx = tarstream::Ctx {
        label,
        dest,
        limits,
        select,
        format,
    };
    let files = match format {
        Format::Tar => tarstream::extract(&mut reader, &ctx, None)?,
        Format::TarGzip => {
            // RFC 1952 §2.2: "A gzip file consists of a series of members": read them all.
            let gz = flate2::bufread::MultiGzDecoder::new(&mut reader);
            tarstream::extract(
                io::BufReader::with_capacity(1 << 16, gz),
                &ctx,
                Some(&counter),
            )?
        }
        Format::TarZstd => {
            let mut z = zstd::stream::read::Decoder::with_buffer(&mut reader).map_err(|e| {
                ArchiveError::Corrupt {
                    path: label.to_path_buf(),
                    format: format.as_str(),
                    why: e.to_string(),
                }
            })?;
            // RFC 8878 §3.1.1.1.2: a decoder "MAY reject" frames whose window exceeds what it
            // supports; 2^27 bytes keeps a hostile frame's window from claiming gigabytes.
            z.window_log_max(limits::MAX_ZSTD_WINDOW_LOG)
                .map_err(|e| ArchiveError::Corrupt {
                    path: label.to_path_buf(),
                    format: format.as_str(),
                    why: e.to_string(),
                })?;
            tarstream::extract(
                io::BufReader::with_capacity(1 << 16, z),
                &ctx,
                Some(&counter),
            )?
        }
        Format::Folder => Vec::new(),
    };
    // Whatever follows the archive's end (padding, trailing bytes) is still part of the file the
    // operator brought: read it through so that its hash and copy are of the whole file.
    io::copy(&mut reader, &mut io::sink()).map_err(|e| ArchiveError::Corrupt {
        path: label.to_path_buf(),
        format: format.as_str(),
        why: e.to_string(),
    })?;
    let (source_bytes, source_sha256) = reader.finish()?;
    Ok(Staged {
        format,
        files,
        source_bytes,
        source_sha256,
    })
}

/// The format of a file from its first bytes (for reports about a file that could not be read
/// through).
pub fn sniff(path: &Path) -> Option<Format> {
    let (f, _) = crate::input::open_regular(path, "medium").ok()?;
    let mut head = Vec::with_capacity(512);
    f.take(512).read_to_end(&mut head).ok()?;
    detect(&head)
}

fn detect(head: &[u8]) -> Option<Format> {
    // RFC 1952 §2.3.1: ID1 = 31, ID2 = 139. RFC 8878 §3.1.1: magic 0xFD2FB528 little-endian.
    // POSIX ustar: "ustar" at offset 257 (an old v7 tar has no magic: refused).
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Format::TarGzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Format::TarZstd)
    } else if head.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// Counts the bytes taken from the source so that decompression ratios can be judged.
pub trait SourceStats {
    /// A shared counter of the raw bytes read so far.
    fn counter(&self) -> std::rc::Rc<std::cell::Cell<u64>>;
    /// The size and SHA-256 of what was read, once it was read to the end.
    /// Fails with [`ArchiveError::Staging`] when the copy of the source could not be completed.
    fn finish(self) -> Result<(u64, Option<[u8; 32]>), ArchiveError>;
}

/// The source file read on its own thread, which hashes every byte and writes the copy while
/// this thread decompresses, parses and extracts: the medium is read once, and the two halves of
/// the work run on two cores. At most [`PIPE_CHUNKS`] chunks of [`PIPE_CHUNK_BYTES`] are in
/// flight, so memory stays bounded whatever the file's size.
pub struct Piped<'p> {
    rx: Option<std::sync::mpsc::Receiver<io::Result<Vec<u8>>>>,
    cur: Vec<u8>,
    pos: usize,
    handle: Option<std::thread::JoinHandle<ReaderEnd>>,
    read: std::rc::Rc<std::cell::Cell<u64>>,
    progress: Option<&'p dyn Fn(u64)>,
    copy_path: Option<PathBuf>,
}

const PIPE_CHUNK_BYTES: usize = 1 << 20;
const PIPE_CHUNKS: usize = 4;

/// What the reader thread ends with: bytes read, their SHA-256, and a copy error if any.
struct ReaderEnd {
    total: u64,
    sha256: [u8; 32],
    copy_error: Option<String>,
}

impl Piped<'_> {
    fn spawn(mut file: fs::File, mut copy: Option<(fs::File, PathBuf)>) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(PIPE_CHUNKS);
        let copy_path = copy.as_ref().map(|(_, p)| p.clone());
        let handle = std::thread::spawn(move || {
            let mut h = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            let mut total = 0u64;
            let mut copy_error = None;
            loop {
                let mut buf = vec![0u8; PIPE_CHUNK_BYTES];
                let n = match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                };
                buf.truncate(n);
                h.update(&buf);
                total = total.saturating_add(n as u64);
                if let Some((f, _)) = &mut copy {
                    if copy_error.is_none() {
                        if let Err(e) = f.write_all(&buf) {
                            copy_error = Some(e.to_string());
                        }
                    }
                }
                if tx.send(Ok(buf)).is_err() {
                    break; // the consumer stopped (a refusal): stop reading
                }
            }
            if let Some((f, _)) = &copy {
                if copy_error.is_none() {
                    if let Err(e) = f.sync_all() {
                        copy_error = Some(e.to_string());
                    }
                }
            }
            let mut sha256 = [0u8; 32];
            sha256.copy_from_slice(h.finish().as_ref());
            ReaderEnd {
                total,
                sha256,
                copy_error,
            }
        });
        Piped {
            rx: Some(rx),
            cur: Vec::new(),
            pos: 0,
            handle: Some(handle),
            read: std::rc::Rc::new(std::cell::Cell::new(0)),
            progress: None,
            copy_path,
        }
    }

    fn join(&mut self) -> Option<ReaderEnd> {
        self.rx = None; // a reader thread blocked on a full channel now stops
        self.handle.take().and_then(|h| h.join().ok())
    }
}

impl Drop for Piped<'_> {
    /// The reader thread is always joined: nothing writes the copy after staging returns.
    fn drop(&mut self) {
        let _ = self.join();
    }
}

impl io::Read for Piped<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Piped<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.cur.len() {
            let next = match &self.rx {
                Some(rx) => rx.recv().ok(),
                None => None,
            };
            match next {
                Some(Ok(chunk)) => {
                    self.read
                        .set(self.read.get().saturating_add(chunk.len() as u64));
                    if let Some(p) = self.progress {
                        p(self.read.get());
                    }
                    self.cur = chunk;
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(e),
                None => {
                    self.cur.clear();
                    self.pos = 0;
                }
            }
        }
        Ok(self.cur.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.pos = self.pos.saturating_add(amt).min(self.cur.len());
    }
}

impl SourceStats for Piped<'_> {
    fn counter(&self) -> std::rc::Rc<std::cell::Cell<u64>> {
        self.read.clone()
    }

    fn finish(mut self) -> Result<(u64, Option<[u8; 32]>), ArchiveError> {
        let copy_path = self.copy_path.clone().unwrap_or_default();
        let end = self
            .join()
            .ok_or_else(|| staging(&copy_path, "the reader thread failed"))?;
        if let Some(e) = end.copy_error {
            return Err(staging(&copy_path, e));
        }
        Ok((end.total, Some(end.sha256)))
    }
}

impl SourceStats for io::BufReader<&[u8]> {
    fn counter(&self) -> std::rc::Rc<std::cell::Cell<u64>> {
        // An in-memory source (the factory state): its size is its compressed size.
        std::rc::Rc::new(std::cell::Cell::new(
            u64::try_from(self.get_ref().len()).unwrap_or(u64::MAX),
        ))
    }

    fn finish(self) -> Result<(u64, Option<[u8; 32]>), ArchiveError> {
        Ok((0, None))
    }
}

pub(crate) fn staging(path: &Path, e: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Staging {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// The normal components of an entry name, or why it is refused. `.` (the archive's top
/// folder, as `tar -C dir .` writes it) has none; only a folder may be named so.
///
/// Refused: non-UTF-8, empty, absolute, `..`, control or bidi characters, a backslash, a
/// component over 255 bytes, a name over 4096 bytes, more than 64 levels.
pub(crate) fn safe_components(raw: &[u8]) -> Result<Vec<String>, String> {
    let s = std::str::from_utf8(raw).map_err(|_| "the name is not UTF-8".to_string())?;
    if s.is_empty() {
        return Err("the name is empty".into());
    }
    if s.starts_with('/') {
        return Err("the path is absolute".into());
    }
    if s.len() > limits::MAX_ENTRY_NAME_BYTES {
        return Err(format!(
            "the name is over {} bytes",
            limits::MAX_ENTRY_NAME_BYTES
        ));
    }
    if s.chars().any(|c| c.is_control() || c == '\\') || crate::text::escape(s) != s {
        return Err("the name holds a control character or a backslash".into());
    }
    let mut out = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err("the path contains '..'".into()),
            c if c.len() > 255 => return Err("a path component is over 255 bytes".into()),
            c => out.push(c.to_string()),
        }
    }
    if out.len() > limits::MAX_ENTRY_DEPTH {
        return Err(format!(
            "the path is over {} levels deep",
            limits::MAX_ENTRY_DEPTH
        ));
    }
    Ok(out)
}

/// Tracks names seen, refusing duplicates and file/folder clashes.
#[derive(Default)]
pub(crate) struct Names {
    files: std::collections::HashSet<String>,
    dirs: std::collections::HashSet<String>,
    explicit_dirs: std::collections::HashSet<String>,
}

impl Names {
    pub(crate) fn add(&mut self, components: &[String], is_dir: bool) -> Result<(), String> {
        let joined = components.join("/");
        if self.files.contains(&joined) || self.explicit_dirs.contains(&joined) {
            return Err("the name appears twice in the archive".into());
        }
        if !is_dir && self.dirs.contains(&joined) {
            return Err("a file has the name of a folder of the archive".into());
        }
        let mut prefix = String::new();
        let parents = components.len().saturating_sub(1);
        for c in components.iter().take(parents) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(c);
            if self.files.contains(&prefix) {
                return Err(format!(
                    "its folder '{}' is a file of the archive",
                    crate::text::escape(&prefix)
                ));
            }
            self.dirs.insert(prefix.clone());
        }
        if is_dir {
            self.explicit_dirs.insert(joined.clone());
            self.dirs.insert(joined);
        } else {
            self.files.insert(joined);
        }
        Ok(())
    }
}

/// Writes `reader`'s next `size` bytes to `dest/components`, hashing them; returns the digest.
/// Read errors are the medium's (`Corrupt`), write errors the staging folder's (`Staging`).
pub(crate) fn write_file(
    reader: &mut impl Read,
    size: u64,
    target: &Path,
    on_read_error: &dyn Fn(io::Error) -> ArchiveError,
) -> Result<[u8; 32], ArchiveError> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| staging(parent, e))?;
    }
    let mut out = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .map_err(|e| staging(target, e))?;
    let mut h = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut left = size;
    let mut buf = vec![0u8; 256 * 1024];
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let chunk = buf.get_mut(..want).unwrap_or_default();
        let n = reader.read(chunk).map_err(on_read_error)?;
        if n == 0 {
            return Err(on_read_error(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the data ends before the entry's size",
            )));
        }
        let got = chunk.get(..n).unwrap_or_default();
        h.update(got);
        out.write_all(got).map_err(|e| staging(target, e))?;
        left -= u64::try_from(n).unwrap_or(left);
    }
    let mut d = [0u8; 32];
    d.copy_from_slice(h.finish().as_ref());
    Ok(d)
}

#[cfg(test)]
mod tests;
