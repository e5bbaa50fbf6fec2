//! The tar stream, driven one 512-byte block at a time with the `tar` crate's header types, so
//! that a PAX or GNU long-name header is capped before it is read and every entry is streamed
//! once into staging.

use std::cell::Cell;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;

use super::{
    safe_components, write_file, ArchiveError, ArchiveLimits, Format, Names, Select, StagedFile,
};
use crate::limits;

pub(super) struct Ctx<'a> {
    pub label: &'a Path,
    pub dest: &'a Path,
    pub limits: &'a ArchiveLimits,
    pub select: Select,
    pub format: Format,
}

const BLOCK: usize = 512;

/// A reader over the decompressed stream that enforces the stream cap and the compression ratio.
struct Guard<'a, R> {
    inner: R,
    out: u64,
    ctx: &'a Ctx<'a>,
    compressed: Option<&'a Rc<Cell<u64>>>,
    tripped: Option<ArchiveError>,
}

impl<R: Read> Read for Guard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out = self
            .out
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        let l = self.ctx.limits;
        if self.out > l.max_stream_bytes {
            self.tripped = Some(ArchiveError::TooLarge {
                path: self.ctx.label.to_path_buf(),
                what: "the archive's decompressed size".into(),
                limit: l.max_stream_bytes,
            });
            return Err(io::Error::other("size limit"));
        }
        if let Some(c) = self.compressed {
            let inp = c.get().max(1);
            if self.out > l.ratio_floor && self.out / inp > l.max_ratio {
                self.tripped = Some(ArchiveError::Bomb {
                    path: self.ctx.label.to_path_buf(),
                    ratio: l.max_ratio,
                    out: self.out,
                    inp,
                });
                return Err(io::Error::other("ratio limit"));
            }
        }
        Ok(n)
    }
}

/// Reads the whole tar stream; returns the regular files selected and written, in stream order.
pub(super) fn extract<R: Read>(
    reader: R,
    ctx: &Ctx<'_>,
    compressed: Option<&Rc<Cell<u64>>>,
) -> Result<Vec<StagedFile>, ArchiveError> {
    let mut g = Guard {
        inner: reader,
        out: 0,
        ctx,
        compressed,
        tripped: None,
    };
    let r = run(&mut g, ctx);
    match (r, g.tripped.take()) {
        (_, Some(cap)) => Err(cap),
        (r, None) => r,
    }
}

fn corrupt(ctx: &Ctx<'_>, why: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt {
        path: ctx.label.to_path_buf(),
        format: ctx.format.as_str(),
        why: why.to_string(),
    }
}

fn unsafe_entry(ctx: &Ctx<'_>, name: &[u8], why: impl Into<String>) -> ArchiveError {
    ArchiveError::UnsafeEntry {
        path: ctx.label.to_path_buf(),
        entry: crate::text::escape_bytes(name),
        why: why.into(),
    }
}

/// Fills `buf` completely; `Ok(false)` on a clean end of stream before its first byte.
fn read_block(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        let n = r.read(buf.get_mut(got..).unwrap_or_default())?;
        if n == 0 {
            if got == 0 {
                return Ok(false);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the data ends inside a 512-byte header block",
            ));
        }
        got += n;
    }
    Ok(true)
}

fn skip(r: &mut impl Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the data ends before the entry's size",
        ));
    }
    Ok(())
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// POSIX ustar: "The chksum field shall be the ASCII representation of the octal value of the
/// simple sum of all octets in the header logical record. ... When calculating the checksum, the
/// chksum field is treated as if it were all <space> characters."
fn checksum_ok(block: &[u8], header: &tar::Header) -> bool {
    let Ok(want) = header.cksum() else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    sum == want
}

/// Reads a capped extension header's data (PAX or GNU long name).
fn read_extension(
    r: &mut impl Read,
    size: u64,
    cap: usize,
    what: &str,
    ctx: &Ctx<'_>,
) -> Result<Vec<u8>, ArchiveError> {
    if size > cap as u64 {
        return Err(ArchiveError::TooLarge {
            path: ctx.label.to_path_buf(),
            what: format!("a {what} header ({size} bytes)"),
            limit: cap as u64,
        });
    }
    let mut data = vec![0u8; usize::try_from(size).unwrap_or(0)];
    r.read_exact(&mut data).map_err(|e| corrupt(ctx, e))?;
    skip(r, padding(size)).map_err(|e| corrupt(ctx, e))?;
    Ok(data)
}

fn run(r: &mut impl Read, ctx: &Ctx<'_>) -> Result<Vec<StagedFile>, ArchiveError> {
    let l = ctx.limits;
    let mut out = Vec::new();
    let mut names = Names::default();
    let mut entries = 0usize;
    let mut written_bytes = 0u64;
    let mut long_name: Option<Vec<u8>> = None;
    let mut pax_path: Option<Vec<u8>> = None;
    let mut pax_size: Option<u64> = None;
    let mut block = [0u8; BLOCK];
    loop {
        if !read_block(r, &mut block).map_err(|e| corrupt(ctx, e))? {
            return Err(corrupt(
                ctx,
                "the stream ends without the end-of-archive marker (two zero blocks)",
            ));
        }
        // POSIX: "At the end of the archive file there shall be two 512-octet logical records
        // filled with binary zeros."
        if block.iter().all(|&b| b == 0) {
            if long_name.is_some() || pax_path.is_some() || pax_size.is_some() {
                return Err(corrupt(
                    ctx,
                    "an extension header is followed by the end marker",
                ));
            }
            break;
        }
        entries += 1;
        if entries > l.max_entries {
            return Err(ArchiveError::TooLarge {
                path: ctx.label.to_path_buf(),
                what: "the number of entries".into(),
                limit: l.max_entries as u64,
            });
        }
        let header = tar::Header::from_byte_slice(&block);
        if !checksum_ok(&block, header) {
            return Err(corrupt(ctx, format!("header {entries} has a bad checksum")));
        }
        let header_size = header
            .entry_size()
            .map_err(|e| corrupt(ctx, format!("header {entries}: {e}")))?;
        let kind = header.entry_type();
        let kind_byte = kind.as_byte();
        match kind_byte {
            b'x' => {
                let data =
                    read_extension(r, header_size, limits::MAX_PAX_HEADER_BYTES, "PAX", ctx)?;
                for ext in tar::PaxExtensions::new(&data) {
                    let ext = ext.map_err(|e| corrupt(ctx, format!("bad PAX record: {e}")))?;
                    match ext.key_bytes() {
                        b"path" => pax_path = Some(ext.value_bytes().to_vec()),
                        b"size" => {
                            let v = std::str::from_utf8(ext.value_bytes())
                                .ok()
                                .and_then(|s| s.parse::<u64>().ok())
                                .ok_or_else(|| corrupt(ctx, "bad PAX size record"))?;
                            pax_size = Some(v);
                        }
                        b"linkpath" => {
                            return Err(unsafe_entry(
                                ctx,
                                pax_path.as_deref().unwrap_or(b"?"),
                                "it carries a link target; links are not accepted",
                            ))
                        }
                        k if k.starts_with(b"GNU.sparse") => {
                            return Err(unsafe_entry(
                                ctx,
                                pax_path.as_deref().unwrap_or(b"?"),
                                "it is a sparse file",
                            ))
                        }
                        _ => {}
                    }
                }
                continue;
            }
            b'g' => {
                // Global PAX defaults (mtime, comments): read, capped, not applied.
                read_extension(
                    r,
                    header_size,
                    limits::MAX_PAX_HEADER_BYTES,
                    "PAX global",
                    ctx,
                )?;
                continue;
            }
            b'L' => {
                let mut data = read_extension(
                    r,
                    header_size,
                    limits::MAX_ENTRY_NAME_BYTES + 1,
                    "GNU long name",
                    ctx,
                )?;
                while data.last() == Some(&0) {
                    data.pop();
                }
                long_name = Some(data);
                continue;
            }
            _ => {}
        }
        let raw_name: Vec<u8> = pax_path
            .take()
            .or_else(|| long_name.take())
            .unwrap_or_else(|| header.path_bytes().into_owned());
        let size = pax_size.take().unwrap_or(header_size);
        let what = match kind_byte {
            b'0' | 0 | b'7' => None,
            b'5' => None,
            b'1' => Some("a hard link"),
            b'2' => Some("a symbolic link"),
            b'3' => Some("a character device"),
            b'4' => Some("a block device"),
            b'6' => Some("a FIFO"),
            b'K' => Some("a GNU long link name"),
            b'S' => Some("a GNU sparse file"),
            b'V' => Some("a GNU volume label"),
            b'M' | b'N' => Some("a GNU multi-volume entry"),
            _ => Some("an entry of unknown type"),
        };
        if let Some(what) = what {
            return Err(unsafe_entry(
                ctx,
                &raw_name,
                format!("it is {what}; only regular files and folders are accepted"),
            ));
        }
        let components =
            safe_components(&raw_name).map_err(|why| unsafe_entry(ctx, &raw_name, why))?;
        let is_dir = kind_byte == b'5';
        if components.is_empty() {
            if is_dir {
                skip(r, size.saturating_add(padding(size))).map_err(|e| corrupt(ctx, e))?;
                continue;
            }
            return Err(unsafe_entry(ctx, &raw_name, "the name is empty"));
        }
        names
            .add(&components, is_dir)
            .map_err(|why| unsafe_entry(ctx, &raw_name, why))?;
        if is_dir {
            skip(r, size.saturating_add(padding(size))).map_err(|e| corrupt(ctx, e))?;
            continue;
        }
        if size > l.max_entry_bytes {
            return Err(ArchiveError::TooLarge {
                path: ctx.label.to_path_buf(),
                what: format!(
                    "entry '{}' ({size} bytes)",
                    crate::text::escape_bytes(&raw_name)
                ),
                limit: l.max_entry_bytes,
            });
        }
        if !(ctx.select.keep)(&components) {
            skip(r, size.saturating_add(padding(size))).map_err(|e| corrupt(ctx, e))?;
            continue;
        }
        if out.len() >= l.max_files {
            return Err(ArchiveError::TooLarge {
                path: ctx.label.to_path_buf(),
                what: "the number of files".into(),
                limit: l.max_files as u64,
            });
        }
        written_bytes = written_bytes.saturating_add(size);
        if written_bytes > l.max_total_bytes {
            return Err(ArchiveError::TooLarge {
                path: ctx.label.to_path_buf(),
                what: "the total size of the files".into(),
                limit: l.max_total_bytes,
            });
        }
        let mut target = ctx.dest.to_path_buf();
        for c in &components {
            target.push(c);
        }
        let sha256 = write_file(r, size, &target, &|e| corrupt(ctx, e))?;
        skip(r, padding(size)).map_err(|e| corrupt(ctx, e))?;
        out.push(StagedFile {
            path: components.join("/"),
            size,
            sha256,
        });
    }
    Ok(out)
}
