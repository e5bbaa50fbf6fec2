//! Opening the files an operator names on the command line: regular files only, never blocking,
//! read under a cap, lines read under a cap.
//!
//! Owns: `open` of outside paths (bundles, trusted roots, keys, artifacts, batch files, policies)
//! and the bounded readers over them, also over the files import staged from them. Must not
//! touch: what the bytes mean, the data dir.
//!
//! Why: `open()` of a FIFO blocks until a writer appears, so a FIFO named as `--bundle` hung
//! the appliance; `/dev/zero` read "line by line" grows without end. Every path is opened with
//! `O_NONBLOCK` and its type checked on the open descriptor (no race between the check and the
//! read), and every read stops at its cap.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::text::ShownPath;

/// Why an outside file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: cannot open {what}: {why}", ShownPath(path))]
    Open {
        path: PathBuf,
        what: &'static str,
        why: io::Error,
    },
    #[error(
        "{}: cannot read {what}: it is {kind}, not a regular file",
        ShownPath(path)
    )]
    NotRegular {
        path: PathBuf,
        what: &'static str,
        kind: &'static str,
    },
    #[error("{}: cannot read {what}: {why}", ShownPath(path))]
    Read {
        path: PathBuf,
        what: &'static str,
        why: io::Error,
    },
    #[error(
        "{}: the {what} is readable by others (mode {mode:o}); chmod 600 it",
        ShownPath(path)
    )]
    NotOwnerOnly {
        path: PathBuf,
        what: &'static str,
        mode: u32,
    },
    #[error("{}: {what} is larger than the {limit}-byte limit", ShownPath(path))]
    TooLarge {
        path: PathBuf,
        what: &'static str,
        limit: u64,
    },
    #[error(
        "{}:{line}: line is longer than the {limit}-byte line limit",
        ShownPath(path)
    )]
    LineTooLong {
        path: PathBuf,
        line: usize,
        limit: usize,
    },
    #[error("{}:{line}: more than the {limit}-line limit", ShownPath(path))]
    TooManyLines {
        path: PathBuf,
        line: usize,
        limit: usize,
    },
    #[error("{}:{line}: line is not UTF-8 text", ShownPath(path))]
    NotUtf8 { path: PathBuf, line: usize },
}

impl InputError {
    /// Whether the file was readable but over a cap (as opposed to unreadable).
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::TooLarge { .. })
    }
}

fn kind_of(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading without blocking, and refuses anything but a regular file (a symlink
/// to one is followed: the operator named it).
pub fn open_regular(path: &Path, what: &'static str) -> Result<(File, u64), InputError> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|why| InputError::Open {
            path: path.to_path_buf(),
            what,
            why,
        })?;
    let meta = f.metadata().map_err(|why| InputError::Read {
        path: path.to_path_buf(),
        what,
        why,
    })?;
    if !meta.file_type().is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
            what,
            kind: kind_of(meta.file_type()),
        });
    }
    Ok((f, meta.len()))
}

/// Reads a whole regular file, refusing one over `cap` bytes (also one that grows past it while
/// read).
pub fn read_capped(path: &Path, cap: u64, what: &'static str) -> Result<Vec<u8>, InputError> {
    let (f, len) = open_regular(path, what)?;
    read_open(f, len, path, cap, what)
}

/// Reads a secret (a key, credentials) whole under `cap`, refusing one that others may read;
/// the mode is checked on the file that is then read (no race between the two).
pub fn read_secret(path: &Path, cap: u64, what: &'static str) -> Result<Vec<u8>, InputError> {
    use std::os::unix::fs::PermissionsExt;
    let (f, len) = open_regular(path, what)?;
    let mode = f
        .metadata()
        .map_err(|why| InputError::Read {
            path: path.to_path_buf(),
            what,
            why,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(InputError::NotOwnerOnly {
            path: path.to_path_buf(),
            what,
            mode: mode & 0o777,
        });
    }
    read_open(f, len, path, cap, what)
}

fn read_open(
    f: File,
    len: u64,
    path: &Path,
    cap: u64,
    what: &'static str,
) -> Result<Vec<u8>, InputError> {
    let too_large = || InputError::TooLarge {
        path: path.to_path_buf(),
        what,
        limit: cap,
    };
    if len > cap {
        return Err(too_large());
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|why| InputError::Read {
            path: path.to_path_buf(),
            what,
            why,
        })?;
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > cap {
        return Err(too_large());
    }
    Ok(buf)
}

/// A file that import wrote into its staging folder, read whole under `cap`; the error names
/// it by `rel`, its path inside the medium the operator brought, not by where it was staged.
pub fn read_staged(staging: &Path, rel: &str, cap: u64) -> Result<Vec<u8>, String> {
    read_capped(&staging.join(rel), cap, "staged file").map_err(|e| match e {
        InputError::TooLarge { limit, .. } => format!("{rel} is over the {limit}-byte limit"),
        InputError::Open { why, .. } | InputError::Read { why, .. } => format!("{rel}: {why}"),
        other => format!("{rel}: {other}"),
    })
}

/// Lines of a reader, each refused as soon as it passes `max_line_bytes` (the rest is never
/// buffered), and the whole refused past `max_lines`. Yields `(line number, text)` without the
/// line ending.
pub struct BoundedLines<R> {
    reader: R,
    path: PathBuf,
    max_line_bytes: usize,
    max_lines: usize,
    line_no: usize,
    done: bool,
}

impl<R: BufRead> BoundedLines<R> {
    pub fn new(reader: R, path: &Path, max_line_bytes: usize, max_lines: usize) -> Self {
        Self {
            reader,
            path: path.to_path_buf(),
            max_line_bytes,
            max_lines,
            line_no: 0,
            done: false,
        }
    }

    fn next_line(&mut self) -> Result<Option<String>, InputError> {
        let mut line: Vec<u8> = Vec::new();
        let mut saw_any = false;
        loop {
            let buf = self.reader.fill_buf().map_err(|why| InputError::Read {
                path: self.path.clone(),
                what: "file",
                why,
            })?;
            if buf.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (take, found) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if line.len().saturating_add(take) > self.max_line_bytes {
                return Err(InputError::LineTooLong {
                    path: self.path.clone(),
                    line: self.line_no,
                    limit: self.max_line_bytes,
                });
            }
            line.extend_from_slice(&buf[..take]);
            let consumed = if found { take + 1 } else { take };
            self.reader.consume(consumed);
            if found {
                break;
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        String::from_utf8(line)
            .map(Some)
            .map_err(|_| InputError::NotUtf8 {
                path: self.path.clone(),
                line: self.line_no,
            })
    }
}

impl<R: BufRead> Iterator for BoundedLines<R> {
    type Item = Result<(usize, String), InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.line_no += 1;
        if self.line_no > self.max_lines {
            self.done = true;
            return Some(Err(InputError::TooManyLines {
                path: self.path.clone(),
                line: self.line_no,
                limit: self.max_lines,
            }));
        }
        match self.next_line() {
            Ok(Some(l)) => Some(Ok((self.line_no, l))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize, count: usize) -> Vec<Result<(usize, String), String>> {
        BoundedLines::new(input, Path::new("b.jsonl"), max, count)
            .map(|r| r.map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn lines_are_split_and_numbered() {
        assert_eq!(
            lines(b"a\r\nbb\n\nccc", 10, 10),
            vec![
                Ok((1, "a".into())),
                Ok((2, "bb".into())),
                Ok((3, String::new())),
                Ok((4, "ccc".into()))
            ]
        );
    }

    #[test]
    fn endless_line_is_refused_at_the_cap_without_reading_on() {
        // An endless reader (like /dev/zero): the refusal must come after about `max` bytes.
        struct Endless(usize);
        impl Read for Endless {
            fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
                self.0 += b.len();
                assert!(self.0 < 1 << 20, "read far past the cap");
                b.fill(0);
                Ok(b.len())
            }
        }
        let r = io::BufReader::with_capacity(4096, Endless(0));
        let got: Vec<_> = BoundedLines::new(r, Path::new("/dev/zero"), 64 * 1024, 10).collect();
        assert_eq!(got.len(), 1);
        let msg = got[0].as_ref().err().map(|e| e.to_string()).unwrap();
        assert_eq!(
            msg,
            "/dev/zero:1: line is longer than the 65536-byte line limit"
        );
    }

    #[test]
    fn too_many_lines_names_the_limit_and_the_line() {
        let got = lines(b"a\nb\nc\n", 10, 2);
        assert_eq!(
            got.last(),
            Some(&Err("b.jsonl:3: more than the 2-line limit".to_string()))
        );
    }

    #[test]
    fn fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap();
        assert!(status.success());
        let e = open_regular(&p, "bundle").err().unwrap();
        assert!(
            e.to_string().contains("it is a FIFO, not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn character_device_is_refused() {
        let e = read_capped(Path::new("/dev/zero"), 10, "batch file")
            .err()
            .unwrap();
        assert!(e.to_string().contains("a character device"), "{e}");
    }
}
