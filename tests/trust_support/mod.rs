//! Shared helpers for the `trust_*` tests: the real Sigstore public-good TUF states, unpacked once
//! per test binary from `tests/data/tuf/sigstore-public-good-tuf-states.tar.gz` into a temp dir.
//!
//! Owns: test-only unpacking and snapshots of a data dir. Must not touch: `/work/shared`, the
//! network, airlock's code.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use airlock::time::Timestamp;

/// sha256 of the `trusted_root.json` target of roots 13..15.
pub const DIGEST_ROOT15: &str = "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66";
/// sha256 of the `trusted_root.json` target of roots 11..12.
pub const DIGEST_ROOT12: &str = "f44a1b88128e55ebfb62189becbc0fa48d4ec9915c65ac54ba0e46a008b12d5b";

static STATES: OnceLock<tempfile::TempDir> = OnceLock::new();

/// The folder holding every state (one subfolder per state name).
pub fn states() -> &'static Path {
    STATES
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let archive = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/tuf/sigstore-public-good-tuf-states.tar.gz");
            let file = std::fs::File::open(archive).unwrap();
            let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
            // Test data we ship ourselves: plain unpacking is fine here.
            tar::Archive::new(gz).unpack(dir.path()).unwrap();
            dir
        })
        .path()
}

/// One state's folder, e.g. `state("2026-08-21_root15")`.
pub fn state(name: &str) -> PathBuf {
    let p = states().join(name);
    assert!(p.is_dir(), "no state {name}");
    p
}

/// A private copy of a state (to modify it) inside `parent`, named `name`.
pub fn copy_state(name: &str, parent: &Path, dest_name: &str) -> PathBuf {
    let dest = parent.join(dest_name);
    copy_dir(&state(name), &dest);
    dest
}

/// One copy of the helper for every test: `common::copy_dir`.
pub use crate::common::copy_dir;

/// Packs `dir` as `<out>` (a .tar.gz whose entries start with `top/`).
pub fn tar_gz(dir: &Path, top: &str, out: &Path) {
    let f = std::fs::File::create(out).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    b.append_dir_all(top, dir).unwrap();
    b.into_inner().unwrap().finish().unwrap();
}

pub fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// "Today" for tests that need the appliance clock: after every state's expiry.
pub fn today() -> Timestamp {
    t("2026-11-27T12:00:00Z")
}

pub fn root_file(state_name: &str, version: u64) -> PathBuf {
    state(state_name).join(format!("{version}.root.json"))
}

/// Every file of the trust store except the history and scratch space, with its content.
pub fn store_snapshot(data_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            // The history grows, scratch comes and goes, and `verified.json` holds what a refused
            // update still verified (TUF §5.3.8, §5.4.5, §5.5.7): none of them is the trust root
            // in force.
            if rel == "history.jsonl" || rel == "tmp" || rel == "verified.json" {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    let base = data_dir.join("trust");
    walk(&base, &base, &mut out);
    out
}

/// Files and contents of any folder (to show a medium was not written to).
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A data dir whose trust root is pinned at root 12 and holds the 2025-05-24 state.
pub fn store_at_root12() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let req = airlock::trust::InitRequest {
        root: Some(root_file("2025-05-24_root12", 12)),
        from: Some(state("2025-05-24_root12")),
        at: Some(t("2025-05-25T00:00:00Z")),
        force: false,
    };
    let o = airlock::trust::init(d.path(), &req, today()).unwrap();
    assert_eq!(o.info.digest, DIGEST_ROOT12);
    d
}

/// A data dir updated from root 12 to the newest state, 2026-08-21 (root 15, timestamp 762).
pub fn store_at_newest() -> tempfile::TempDir {
    let d = store_at_root12();
    let o = airlock::trust::update_from(
        d.path(),
        &state("2026-08-21_root15"),
        today(),
        Some(t("2026-08-22T00:00:00Z")),
    )
    .unwrap();
    assert_eq!(o.info.digest, DIGEST_ROOT15);
    d
}
