//! Hostile archives given to `airlock import`: each is refused with a clear reason, in bounded
//! time, with nothing written outside the staging folder and the input kept in quarantine, byte
//! for byte. (Peak memory is measured in `import_memory.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::import_support;

use import_support::*;

/// One raw entry: name, type flag, data, link name.
type Raw<'a> = (&'a [u8], u8, &'a [u8], &'a [u8]);

/// A raw ustar archive: names and link names are written byte for byte.
fn raw_tar(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data, link) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::new(*kind));
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        let u = h.as_ustar_mut().unwrap();
        u.name[..name.len()].copy_from_slice(name);
        u.linkname[..link.len()].copy_from_slice(link);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn refused(name: &str, bytes: &[u8], code: &str, words: &str) -> Run {
    let e = env(&all_policy());
    let p = e.file(name, bytes);
    let r = e.import(&[&p]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.input()["reason"], code, "{}", r.stdout);
    let m = r.input()["message"].as_str().unwrap();
    assert!(m.contains(words), "{m}");
    assert!(m.contains(name), "names the input: {m}");
    e.assert_quarantined(&r, bytes);
    e.assert_clean_staging();
    // Nothing escaped next to the data dir or the input.
    for escaped in ["evil", "etc", "pwned"] {
        assert!(
            !e.dir.path().join(escaped).exists(),
            "{escaped} was written outside staging"
        );
    }
    r
}

const F: u8 = b'0';

#[test]
fn path_traversal_is_refused() {
    refused(
        "trav.tar",
        &raw_tar(&[(b"../evil", F, b"x", b"")]),
        "unsafe-archive",
        "'..'",
    );
}

#[test]
fn nested_path_traversal_is_refused() {
    refused(
        "nested.tar",
        &raw_tar(&[(b"blobs/sha256/../../../evil", F, b"x", b"")]),
        "unsafe-archive",
        "'..'",
    );
}

#[test]
fn absolute_path_is_refused() {
    refused(
        "abs.tar",
        &raw_tar(&[(b"/etc/cron.d/pwned", F, b"x", b"")]),
        "unsafe-archive",
        "absolute",
    );
}

#[test]
fn symlink_to_a_file_is_refused() {
    refused(
        "link.tar",
        &raw_tar(&[(b"index.json", b'2', b"", b"/etc/passwd")]),
        "unsafe-archive",
        "symbolic link",
    );
}

#[test]
fn symlink_out_of_the_tree_then_a_write_through_it_is_refused() {
    refused(
        "linkdir.tar",
        &raw_tar(&[
            (b"blobs", b'2', b"", b"../../evil"),
            (b"blobs/pwned", F, b"x", b""),
        ]),
        "unsafe-archive",
        "symbolic link",
    );
}

#[test]
fn hardlink_is_refused() {
    refused(
        "hard.tar",
        &raw_tar(&[(b"index.json", b'1', b"", b"/etc/passwd")]),
        "unsafe-archive",
        "hard link",
    );
}

#[test]
fn device_node_is_refused() {
    refused(
        "dev.tar",
        &raw_tar(&[(b"sda", b'4', b"", b"")]),
        "unsafe-archive",
        "block device",
    );
    refused(
        "chr.tar",
        &raw_tar(&[(b"null", b'3', b"", b"")]),
        "unsafe-archive",
        "character device",
    );
}

#[test]
fn fifo_is_refused() {
    refused(
        "fifo.tar",
        &raw_tar(&[(b"pipe", b'6', b"", b"")]),
        "unsafe-archive",
        "FIFO",
    );
}

#[test]
fn duplicate_entry_is_refused() {
    refused(
        "dup.tar",
        &raw_tar(&[
            (b"index.json", F, b"{}", b""),
            (b"index.json", F, b"{\"x\":1}", b""),
        ]),
        "unsafe-archive",
        "appears twice",
    );
}

#[test]
fn gzip_bomb_of_a_gigabyte_of_zeros_is_refused() {
    // tests/data/import/bomb-1g-zeros.tar.gz: `truncate -s 1G zeros; tar --format=ustar -cf -
    // zeros | gzip -9` (1 MB that inflates to 1 GiB).
    let b = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/import/bomb-1g-zeros.tar.gz"
    ))
    .unwrap();
    refused("bomb.tar.gz", &b, "compression-bomb", "compression bomb");
}

#[test]
fn zstd_bomb_is_refused() {
    // tests/data/import/bomb-1g-zeros.tar.zst: the same tar through `zstd -19` (33 KB).
    let b = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/import/bomb-1g-zeros.tar.zst"
    ))
    .unwrap();
    refused("bomb.tar.zst", &b, "compression-bomb", "compression bomb");
}

#[test]
fn a_hundred_thousand_entries_are_refused() {
    let names: Vec<String> = (0..100_000).map(|i| format!("f{i}")).collect();
    let entries: Vec<Raw<'_>> = names
        .iter()
        .map(|n| (n.as_bytes(), F, &b""[..], &b""[..]))
        .collect();
    refused(
        "many.tar",
        &raw_tar(&entries),
        "too-large",
        "number of entries",
    );
}

#[test]
fn truncated_archive_is_refused() {
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let t = oci::tar(&l.files(""));
    refused("cut.tar", &t[..t.len() / 2], "bad-archive", "truncated");
    let g = oci::gz(&t);
    refused("cut.tar.gz", &g[..g.len() / 2], "bad-archive", "truncated");
}

#[test]
fn empty_file_is_refused() {
    refused("empty.tar", b"", "not-an-archive", "empty file");
}

#[test]
fn not_an_archive_at_all_is_refused() {
    refused(
        "notes.tar",
        &[b'A'; 4096],
        "not-an-archive",
        "not an archive",
    );
}

#[test]
fn unreadable_input_is_unusable_with_exit_2() {
    let e = env(&all_policy());
    let r = e.import(&[&e.dir.path().join("does-not-exist.tar")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("does-not-exist.tar") && r.stderr.contains("[input-unreadable]"),
        "{}",
        r.stderr
    );
}

#[test]
fn hostile_entry_name_is_shown_escaped_in_the_table() {
    let e = env(&all_policy());
    let p = e.file("esc.tar", &raw_tar(&[(b"x\x1b]0;pwned\x07", F, b"", b"")]));
    let out = crate::common::cmd::TestCommand::new(&e.data)
        .arg("import")
        .arg(&p)
        .arg("--policy")
        .arg(&e.policy)
        .arg("--trusted-root")
        .arg(&e.root)
        .run()
        .output;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("x\\x1b]0;pwned\\x07"), "{text}");
}

/// A medium with thousands of pieces of evidence for one file: its ledger record lists at most
/// 64 (the verified first) and counts the rest, so no record (and no API page) grows with what a
/// stick holds.
#[test]
fn thousands_of_evidence_items_make_a_bounded_record() {
    let e = env(&all_policy());
    let file = b"one file, many claims".to_vec();
    let digest = fs::sha256(&file);
    let m = fs::fake().mint(&fs::Spec::v03());
    let mut bundle = m.bundle.clone();
    bundle["messageSignature"]["messageDigest"]["digest"] = serde_json::json!(fs::b64(&digest));
    let line = serde_json::to_string(&bundle).unwrap();
    let dir = e.dir.path().join("claims");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("file.bin"), &file).unwrap();
    std::fs::write(dir.join("claims.jsonl"), format!("{line}\n").repeat(3000)).unwrap();
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = crate::common::cmd::TestCommand::new(&e.data)
        .args(["query", "--json"])
        .run()
        .output;
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rec = records
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "artifact")
        .unwrap();
    // (The JSON-lines reader stops at its own cap of 1,024 lines; all it read is counted.)
    let found = r.artifacts()[0]["evidence"].as_array().unwrap().len();
    assert!(found > 64, "{found}");
    assert_eq!(rec["evidence"].as_array().unwrap().len(), 64);
    assert_eq!(rec["evidenceOmitted"], found - 64);
    assert!(serde_json::to_vec(rec).unwrap().len() < 512 * 1024);
}
