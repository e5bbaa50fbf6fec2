//! The ledger through the binary: an import is recorded (one record per artifact, one per input
//! that held none), then found by each filter, shown, and its chain verified.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod import_support;

use import_support::*;
use serde_json::Value;

fn run(e: &Env, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_airlock"))
        .arg("--data-dir")
        .arg(&e.data)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn records(e: &Env, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["query", "--json"];
    a.extend_from_slice(args);
    let (code, out, err) = run(e, &a);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Vec<Value>>(&out).unwrap()
}

#[test]
fn an_import_is_recorded_and_found_by_each_filter() {
    let e = env(&all_policy());
    let (good, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    let good = e.file("good.tar", &oci::tar(&good.files("")));
    let bad = e.file("bad.tar", b"not an archive at all, just text");
    let r = e.import(&[&good, &bad]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let import_id = r.json["importId"].as_str().unwrap().to_string();

    let all = records(&e, &[]);
    assert_eq!(all.len(), 2);
    let digest = img["digest"].as_str().unwrap();
    let by_digest = records(&e, &["--digest", digest]);
    assert_eq!(by_digest.len(), 1);
    let rec = &by_digest[0];
    assert_eq!(rec["verdict"], "accepted");
    assert_eq!(rec["importId"], import_id);
    assert_eq!(rec["artifact"]["digest"], digest);
    assert_eq!(rec["tarball"]["name"], "good.tar");
    assert_eq!(rec["identity"], fs::IDENTITY);
    assert_eq!(rec["issuer"], fs::OIDC_ISSUER);
    assert!(rec["decidedUnder"]["trustRootDigest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(rec["decidedUnder"]["policyDigest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(!rec["tlogEntries"].as_array().unwrap().is_empty());
    assert_eq!(records(&e, &["--identity", fs::IDENTITY]).len(), 1);
    assert_eq!(records(&e, &["--issuer", fs::OIDC_ISSUER]).len(), 1);
    let rejected = records(&e, &["--verdict", "rejected"]);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "not-an-archive");
    assert_eq!(records(&e, &["--import", &import_id]).len(), 2);
    assert_eq!(records(&e, &["--since", "2999-01-01T00:00:00Z"]).len(), 0);
    assert_eq!(
        records(&e, &["--until", "2999-01-01T00:00:00Z", "--limit", "1"]).len(),
        1
    );

    let id = rec["id"].as_u64().unwrap().to_string();
    let (code, out, _) = run(&e, &["show", &id, "--json"]);
    assert_eq!(code, 0);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["hash"], rec["hash"]);
    assert!(shown["evidence"][0]["kind"].is_string());
    let (code, _, err) = run(&e, &["show", "999"]);
    assert_eq!(code, 1);
    assert!(err.contains("no record 999"), "{err}");

    let (code, out, err) = run(&e, &["audit", "verify", "--json"]);
    assert_eq!(code, 0, "{err}");
    let a: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(a["intact"], true);
    assert_eq!(a["records"], 2);
}

#[test]
fn a_ledger_held_by_another_process_is_waited_for_then_named() {
    let e = env(&all_policy());
    // This test process holds the ledger (sled admits one process at a time).
    let _held = airlock::store::Ledger::open(&e.data, None).unwrap();
    let (code, _, err) = run(&e, &["query"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("[ledger-unavailable]") && err.contains("another airlock process holds it"),
        "{err}"
    );
}

#[test]
fn trust_events_are_records_too() {
    let e = env(&all_policy());
    let root = e.root.to_str().unwrap().to_string();
    let (code, _, err) = run(
        &e,
        &[
            "trust",
            "import",
            "--instance",
            "fake",
            "--trusted-root",
            &root,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rs = records(&e, &[]);
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0]["kind"], "trust-event");
    assert_eq!(rs[0]["verdict"], "accepted");
    assert_eq!(rs[0]["decidedUnder"]["trustRootInstance"], "fake");
    // A refused update (exit 1) is recorded as rejected with its reason; unusable input
    // (exit 2) is not a trust event.
    let stick = e.dir.path().join("not-tuf");
    std::fs::create_dir_all(&stick).unwrap();
    std::fs::write(stick.join("timestamp.json"), b"{}").unwrap();
    let (code, _, _) = run(
        &e,
        &[
            "trust",
            "update",
            "--instance",
            "fake",
            "--from",
            stick.to_str().unwrap(),
        ],
    );
    let rs = records(&e, &[]);
    match code {
        1 => {
            assert_eq!(rs.len(), 2);
            assert_eq!(rs[0]["verdict"], "rejected");
            assert!(rs[0]["reason"].is_string());
        }
        2 => assert_eq!(rs.len(), 1),
        other => panic!("exit {other}"),
    }
    let audit = run(&e, &["audit", "verify"]);
    assert_eq!(audit.0, 0, "{}", audit.2);
}
