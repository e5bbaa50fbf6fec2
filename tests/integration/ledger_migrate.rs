//! A ledger written by the previous schema (version 1, before the `by_tarball` index) is refused
//! with the way out named, migrates with `airlock db migrate`, and afterwards answers every
//! query, including the new one by the input's SHA-256, with its chain and HMACs untouched.
//!
//! `tests/data/ledger/schema1-data-dir.tar.gz` is the `ledger/` folder of a data dir written by
//! airlock 0.1.0 at schema 1 (commit 444c667's code: the examples' legacy image, Helm chart,
//! path-traversal tarball and a non-archive dropped into the daemon's inbox, after a
//! `trust import`), with its HMAC key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

fn airlock(data: &Path, args: &[&str]) -> (i32, String, String) {
    crate::common::cmd::TestCommand::new(data)
        .args(args)
        .run()
        .triple()
}

fn schema1_data_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let f = std::fs::File::open(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ledger/schema1-data-dir.tar.gz"),
    )
    .unwrap();
    // Test data we ship ourselves: plain unpacking is fine here.
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(d.path())
        .unwrap();
    d
}

#[test]
fn a_schema_1_ledger_is_refused_until_migrated_then_answers_everything() {
    let d = schema1_data_dir();
    let (code, _, err) = airlock(d.path(), &["query"]);
    assert_eq!(code, 2);
    assert!(err.contains("[ledger-schema-older]"), "{err}");
    assert!(err.contains("airlock db migrate"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let (code, out, err) = airlock(d.path(), &["db", "migrate", "--json"]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((m["from"].as_u64(), m["to"].as_u64()), (Some(1), Some(2)));
    assert_eq!(m["records"], 5);

    let (code, out, err) = airlock(d.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = airlock(d.path(), &["query", "--json"]);
    assert_eq!(code, 0);
    let records: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(records.len(), 5);
    // The new index answers for records written before it existed.
    let helm = records
        .iter()
        .find(|r| r["tarball"]["name"] == "helm-chart.tar")
        .unwrap();
    let sha = helm["tarball"]["sha256"].as_str().unwrap();
    let (_, out, _) = airlock(
        d.path(),
        &["query", "--json", "--tarball", &format!("sha256:{sha}")],
    );
    let found: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], helm["id"]);

    // Again: nothing to do.
    let (code, out, _) = airlock(d.path(), &["db", "migrate"]);
    assert_eq!(code, 0);
    assert!(out.contains("already at schema 2"), "{out}");
    // New records chain onto the migrated ones.
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("bundles/import/test-trust-root.TEST-ONLY.json");
    let (code, _, err) = airlock(
        d.path(),
        &["trust", "import", "--trusted-root", root.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = airlock(d.path(), &["audit", "verify", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(a["records"], 6);
}

#[test]
fn migrating_a_data_dir_without_a_ledger_is_unusable_input() {
    let d = tempfile::tempdir().unwrap();
    let (code, _, err) = airlock(d.path(), &["db", "migrate"]);
    assert_eq!(code, 2);
    assert!(err.contains("nothing to migrate"), "{err}");
}
