//! Each hostile medium, refused for its reason, with nothing written outside staging.

use std::io::Write;
use std::path::Path;

use super::*;

const FILE: u8 = b'0';

/// A raw tar: each entry's name is written byte for byte, so hostile names reach the archive.
fn tar_of(entries: &[(&[u8], u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::new(*kind));
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        let ustar = h.as_ustar_mut().unwrap();
        ustar.name[..name.len()].copy_from_slice(name);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn stage_file(bytes: &[u8], name: &str) -> (tempfile::TempDir, Result<Staged, ArchiveError>) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join(name);
    std::fs::write(&src, bytes).unwrap();
    let dest = dir.path().join("staging");
    std::fs::create_dir(&dest).unwrap();
    let copy = dir.path().join("copy");
    let r = stage(
        &src,
        &dest,
        &ArchiveLimits::IMPORT,
        Select::ALL,
        Some(&copy),
    );
    (dir, r)
}

/// Nothing but `staging/`, `copy` and the source exist in the test folder afterwards.
fn nothing_outside_staging(dir: &Path, name: &str) {
    let mut seen: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    seen.sort();
    let mut want = vec!["copy".to_string(), name.to_string(), "staging".to_string()];
    want.sort();
    assert_eq!(seen, want);
}

fn refused(bytes: &[u8], code: &str, words: &str) {
    let (dir, r) = stage_file(bytes, "in.tar");
    let e = r.unwrap_err();
    assert_eq!(e.code(), code, "{e}");
    assert!(e.to_string().contains(words), "{e}");
    assert!(
        e.to_string()
            .starts_with(&dir.path().join("in.tar").display().to_string()),
        "{e}"
    );
    nothing_outside_staging(dir.path(), "in.tar");
}

#[test]
fn plain_tar_gzip_and_zstd_are_staged_with_their_digests() {
    let t = tar_of(&[(b"a/b.txt", FILE, b"hello"), (b"c", FILE, b"")]);
    let z = zstd::encode_all(&t[..], 3).unwrap();
    // Two gzip members one after the other (pigz, concatenation) are one stream.
    let mut two = gz(&t[..512 * 2]);
    two.extend(gz(&t[512 * 2..]));
    for (bytes, format) in [
        (t.clone(), Format::Tar),
        (gz(&t), Format::TarGzip),
        (two, Format::TarGzip),
        (z, Format::TarZstd),
    ] {
        let (dir, r) = stage_file(&bytes, "in.tar");
        let s = r.unwrap();
        assert_eq!(s.format, format);
        assert_eq!(s.files.len(), 2);
        assert_eq!(s.files[0].path, "a/b.txt");
        assert_eq!(s.files[0].sha256.to_vec(), crate::crypto::sha256(b"hello"));
        assert_eq!(
            std::fs::read(dir.path().join("staging/a/b.txt")).unwrap(),
            b"hello"
        );
        assert_eq!(s.source_bytes, bytes.len() as u64);
        assert_eq!(
            s.source_sha256.unwrap().to_vec(),
            crate::crypto::sha256(&bytes)
        );
        // The copy is the source byte for byte.
        assert_eq!(std::fs::read(dir.path().join("copy")).unwrap(), bytes);
    }
}

#[test]
fn path_traversal_is_refused() {
    refused(
        &tar_of(&[(b"../evil", FILE, b"x")]),
        "unsafe-archive",
        "'..'",
    );
}

#[test]
fn nested_path_traversal_is_refused() {
    refused(
        &tar_of(&[(b"a/b/../../../evil", FILE, b"x")]),
        "unsafe-archive",
        "'..'",
    );
}

#[test]
fn absolute_path_is_refused() {
    refused(
        &tar_of(&[(b"/etc/cron.d/evil", FILE, b"x")]),
        "unsafe-archive",
        "absolute",
    );
}

#[test]
fn symlink_to_a_file_is_refused() {
    refused(
        &tar_of(&[(b"link", b'2', b"")]),
        "unsafe-archive",
        "symbolic link",
    );
}

#[test]
fn hardlink_is_refused() {
    refused(
        &tar_of(&[(b"link", b'1', b"")]),
        "unsafe-archive",
        "hard link",
    );
}

#[test]
fn device_node_is_refused() {
    refused(
        &tar_of(&[(b"dev", b'3', b"")]),
        "unsafe-archive",
        "character device",
    );
    refused(
        &tar_of(&[(b"dev", b'4', b"")]),
        "unsafe-archive",
        "block device",
    );
}

#[test]
fn fifo_is_refused() {
    refused(&tar_of(&[(b"pipe", b'6', b"")]), "unsafe-archive", "FIFO");
}

#[test]
fn duplicate_entry_is_refused() {
    refused(
        &tar_of(&[(b"index.json", FILE, b"{}"), (b"./index.json", FILE, b"{}")]),
        "unsafe-archive",
        "appears twice",
    );
}

#[test]
fn file_under_a_file_is_refused() {
    refused(
        &tar_of(&[(b"blobs", FILE, b""), (b"blobs/sha256/x", FILE, b"")]),
        "unsafe-archive",
        "is a file",
    );
}

#[test]
fn non_utf8_and_control_character_names_are_refused() {
    refused(
        &tar_of(&[(b"bad\xff", FILE, b"")]),
        "unsafe-archive",
        "UTF-8",
    );
    refused(
        &tar_of(&[(b"x\x1b]0;pwned\x07", FILE, b"")]),
        "unsafe-archive",
        "control",
    );
    // The refusal shows the name escaped.
    let (_d, r) = stage_file(&tar_of(&[(b"x\x1b[2J", FILE, b"")]), "in.tar");
    let m = r.unwrap_err().to_string();
    assert!(m.contains("x\\x1b[2J") && !m.contains('\u{1b}'), "{m}");
}

#[test]
fn truncated_archive_is_refused_as_corrupt() {
    let t = tar_of(&[(b"a", FILE, &[7u8; 5000])]);
    refused(&t[..2000], "bad-archive", "truncated");
    refused(&gz(&t)[..40], "bad-archive", "tar.gz is truncated");
}

#[test]
fn archive_without_end_marker_is_refused() {
    let t = tar_of(&[(b"a", FILE, b"x")]);
    refused(&t[..1024], "bad-archive", "end-of-archive marker");
}

#[test]
fn bad_header_checksum_is_refused() {
    let mut t = tar_of(&[(b"a", FILE, b"x")]);
    t[0] = b'b';
    refused(&t, "bad-archive", "checksum");
}

#[test]
fn empty_file_and_not_an_archive_are_refused() {
    refused(b"", "not-an-archive", "empty file");
    refused(&[b'x'; 2048], "not-an-archive", "not an archive");
}

#[test]
fn oversized_pax_header_is_refused_before_it_is_read() {
    let big = vec![b'a'; limits::MAX_PAX_HEADER_BYTES + 1];
    refused(&tar_of(&[(b"pax", b'x', &big)]), "too-large", "PAX header");
}

#[test]
fn oversized_gnu_long_name_is_refused() {
    let big = vec![b'a'; limits::MAX_ENTRY_NAME_BYTES + 2];
    refused(
        &tar_of(&[(b"././@LongLink", b'L', &big)]),
        "too-large",
        "GNU long name",
    );
}

#[test]
fn pax_path_is_used_and_checked() {
    let rec = |k: &str, v: &str| {
        let body = format!(" {k}={v}\n");
        let mut n = body.len() + 1;
        if format!("{n}{body}").len() != n {
            n += 1;
        }
        format!("{n}{body}")
    };
    let pax = rec("path", "../../escape");
    refused(
        &tar_of(&[(b"pax", b'x', pax.as_bytes()), (b"innocent", FILE, b"x")]),
        "unsafe-archive",
        "'..'",
    );
    let pax = rec("path", "long/name.txt");
    let (_d, r) = stage_file(
        &tar_of(&[(b"pax", b'x', pax.as_bytes()), (b"short", FILE, b"x")]),
        "in.tar",
    );
    assert_eq!(r.unwrap().files[0].path, "long/name.txt");
}

#[test]
fn gzip_bomb_is_refused_by_ratio_in_bounded_work() {
    // 64 MiB of zeros in one entry: refused once past the floor, long before the end.
    let mut h = tar::Header::new_ustar();
    h.set_path("zeros").unwrap();
    h.set_size(64 << 20);
    h.set_cksum();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(h.as_bytes()).unwrap();
    e.write_all(&vec![0u8; 64 << 20]).unwrap();
    e.write_all(&[0u8; 1024]).unwrap();
    refused(&e.finish().unwrap(), "compression-bomb", "compression bomb");
}

#[test]
fn zstd_bomb_is_refused_by_ratio() {
    let mut h = tar::Header::new_ustar();
    h.set_path("zeros").unwrap();
    h.set_size(64 << 20);
    h.set_cksum();
    let mut t = h.as_bytes().to_vec();
    t.extend(vec![0u8; 64 << 20]);
    t.extend([0u8; 1024]);
    refused(
        &zstd::encode_all(&t[..], 3).unwrap(),
        "compression-bomb",
        "compression bomb",
    );
}

#[test]
fn too_many_entries_are_refused() {
    let limits = ArchiveLimits {
        max_entries: 10,
        ..ArchiveLimits::IMPORT
    };
    let names: Vec<String> = (0..11).map(|i| format!("f{i}")).collect();
    let entries: Vec<(&[u8], u8, &[u8])> = names
        .iter()
        .map(|n| (n.as_bytes(), FILE, &b""[..]))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.tar");
    std::fs::write(&src, tar_of(&entries)).unwrap();
    let e = stage(&src, dir.path(), &limits, Select::ALL, None).unwrap_err();
    assert_eq!(e.code(), "too-large");
    assert!(e.to_string().contains("number of entries"), "{e}");
}

#[test]
fn folder_medium_refuses_links_and_special_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("sub/a.txt"), b"a").unwrap();
    std::os::unix::fs::symlink("../../outside", src.join("sub/link")).unwrap();
    let dest = dir.path().join("staging");
    std::fs::create_dir(&dest).unwrap();
    let e = stage(&src, &dest, &ArchiveLimits::IMPORT, Select::ALL, None).unwrap_err();
    assert_eq!(e.code(), "unsafe-archive");
    assert!(e.to_string().contains("sub/link"), "{e}");
    std::fs::remove_file(src.join("sub/link")).unwrap();
    let st = std::process::Command::new("mkfifo")
        .arg(src.join("pipe"))
        .status()
        .unwrap();
    assert!(st.success());
    let dest2 = dir.path().join("staging2");
    std::fs::create_dir(&dest2).unwrap();
    let e = stage(&src, &dest2, &ArchiveLimits::IMPORT, Select::ALL, None).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}

#[test]
fn folder_medium_is_copied_with_digests() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("blobs/sha256")).unwrap();
    std::fs::write(src.join("blobs/sha256/x"), b"blob").unwrap();
    std::fs::write(src.join("index.json"), b"{}").unwrap();
    let dest = dir.path().join("staging");
    std::fs::create_dir(&dest).unwrap();
    let s = stage(&src, &dest, &ArchiveLimits::IMPORT, Select::ALL, None).unwrap();
    assert_eq!(s.format, Format::Folder);
    let paths: Vec<&str> = s.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["blobs/sha256/x", "index.json"]);
    assert_eq!(std::fs::read(dest.join("blobs/sha256/x")).unwrap(), b"blob");
}
