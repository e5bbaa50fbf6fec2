//! The ledger through the binary: an import is recorded (one record per artifact, one per input
//! that held none), then found by each filter, shown, and its chain verified.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::import_support;

use import_support::*;
use serde_json::Value;

fn run(e: &Env, args: &[&str]) -> (i32, String, String) {
    crate::common::cmd::TestCommand::new(&e.data)
        .args(args)
        .run()
        .triple()
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

/// The export's DSSE signatures verify with OpenSSL given only the PEM key (a second
/// implementation, not airlock's own code); `verify-export` catches an edited line and proves a
/// later export extends an earlier one.
#[test]
fn vsa_export_verifies_with_openssl_and_tampering_is_caught() {
    let e = env(&all_policy());
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let t = e.file("good.tar", &oci::tar(&l.files("")));
    assert_eq!(e.import(&[&t]).code, 0);
    let (code, vsa, err) = run(&e, &["export", "--format", "vsa"]);
    assert_eq!(code, 0, "{err}");
    let (_, pem, _) = run(&e, &["export", "--public-key"]);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    let dir = e.dir.path();
    std::fs::write(dir.join("pub.pem"), &pem).unwrap();
    let lines: Vec<&str> = vsa.lines().collect();
    assert_eq!(lines.len(), 2, "one VSA and the checkpoint");
    for (i, line) in lines.iter().enumerate() {
        let env: Value = serde_json::from_str(line).unwrap();
        let payload = fs::unb64(env["payload"].as_str().unwrap());
        let pae = fs::pae(env["payloadType"].as_str().unwrap(), &payload);
        std::fs::write(dir.join(format!("pae{i}")), &pae).unwrap();
        std::fs::write(
            dir.join(format!("sig{i}")),
            fs::unb64(env["signatures"][0]["sig"].as_str().unwrap()),
        )
        .unwrap();
        let out = std::process::Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(dir.join("pub.pem"))
            .arg("-signature")
            .arg(dir.join(format!("sig{i}")))
            .arg(dir.join(format!("pae{i}")))
            .output()
            .expect("openssl is the second implementation this test needs");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Verified OK"),
            "line {i}: {out:?}"
        );
        if i == 0 {
            let st: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(
                st["predicateType"],
                "https://slsa.dev/verification_summary/v1"
            );
            assert_eq!(st["predicate"]["verificationResult"], "PASSED");
            assert!(
                st["predicate"]["policy"]["digest"]["sha256"]
                    .as_str()
                    .unwrap()
                    .len()
                    == 64
            );
        }
    }
    let export = dir.join("export.vsa.jsonl");
    std::fs::write(&export, &vsa).unwrap();
    let pub_pem = dir.join("pub.pem");
    let (code, _, err) = run(
        &e,
        &[
            "audit",
            "verify-export",
            export.to_str().unwrap(),
            "--public-key",
            pub_pem.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    // A JSON-lines export, edited: caught.
    let (_, jsonl, _) = run(&e, &["export", "--format", "jsonl"]);
    let first = dir.join("first.jsonl");
    std::fs::write(&first, &jsonl).unwrap();
    let edited = dir.join("edited.jsonl");
    std::fs::write(&edited, jsonl.replacen("\"accepted\"", "\"rejected\"", 1)).unwrap();
    let (code, _, err) = run(
        &e,
        &[
            "audit",
            "verify-export",
            edited.to_str().unwrap(),
            "--public-key",
            pub_pem.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("edited"), "{err}");
    // Another import later: the new export extends the first one.
    assert_eq!(e.import(&[&t]).code, 0);
    let (_, later, _) = run(&e, &["export", "--format", "jsonl"]);
    let later_p = dir.join("later.jsonl");
    std::fs::write(&later_p, &later).unwrap();
    let (code, out, err) = run(
        &e,
        &[
            "audit",
            "verify-export",
            later_p.to_str().unwrap(),
            "--public-key",
            pub_pem.to_str().unwrap(),
            "--previous",
            first.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let c: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(c["extendsPrevious"], true);
}

#[test]
fn reverify_lists_the_verdicts_a_trust_root_without_the_ca_would_change() {
    let e = env(&all_policy());
    let (l, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    let t = e.file("good.tar", &oci::tar(&l.files("")));
    assert_eq!(e.import(&[&t]).code, 0);
    let policy = e.policy.to_str().unwrap().to_string();
    let root = e.root.to_str().unwrap().to_string();
    // Under the same trust root and policy nothing changes.
    let (code, out, err) = run(
        &e,
        &[
            "reverify",
            "--policy",
            &policy,
            "--trusted-root",
            &root,
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["checked"], 1);
    assert!(r["changes"].as_array().unwrap().is_empty());
    // The trust root loses the Fulcio CA that issued the recorded certificate.
    let mut spec = fs::Spec::v03();
    spec.root.include_ca = false;
    let without_ca = e.file(
        "root-without-ca.json",
        &serde_json::to_vec(&fs::fake().mint(&spec).trusted_root).unwrap(),
    );
    let (code, out, err) = run(
        &e,
        &[
            "reverify",
            "--policy",
            &policy,
            "--trusted-root",
            without_ca.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 1, "{err}\n{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let c = &r["changes"][0];
    assert_eq!(c["digest"], img["digest"]);
    assert_eq!(c["was"], "accepted");
    assert_eq!(c["now"], "rejected");
    assert_eq!(c["reason"], "certificate-untrusted");
    // A question: the run is recorded, the artifact's latest verdict is still the import's.
    let digest = img["digest"].as_str().unwrap().to_string();
    let latest = |e: &Env| records(e, &["--digest", &digest])[0].clone();
    let rs = records(&e, &["--verdict", "rejected"]);
    assert!(rs.iter().any(|x| x["kind"] == "reverify-run"), "{rs:?}");
    assert!(!rs.iter().any(|x| x["kind"] == "reverify"), "{rs:?}");
    assert_eq!(
        latest(&e)["verdict"],
        "accepted",
        "a what-if became the verdict"
    );
    // Applied, the change is the latest verdict.
    let (code, out, err) = run(
        &e,
        &[
            "reverify",
            "--policy",
            &policy,
            "--trusted-root",
            without_ca.to_str().unwrap(),
            "--apply",
        ],
    );
    assert_eq!(code, 1, "{err}\n{out}");
    assert!(out.contains("recorded as the latest"), "{out}");
    let l = latest(&e);
    assert_eq!(l["kind"], "reverify");
    assert_eq!(l["verdict"], "rejected");
    assert_eq!(run(&e, &["audit", "verify"]).0, 0);
}

/// `reverify` with no policy given (and no `policy.yaml` in the data dir) used to exit 2 naming
/// `import`: each record is decided again under the exact policy the ledger stored for it.
#[test]
fn reverify_without_a_policy_decides_each_record_under_its_own() {
    let e = env(&all_policy());
    let (l, _img) = saved_legacy_image("ghcr.io/acme/app:v1");
    let t = e.file("good.tar", &oci::tar(&l.files("")));
    assert_eq!(e.import(&[&t]).code, 0);
    let root = e.root.to_str().unwrap().to_string();
    // The policy file is gone: the stored bytes decide.
    std::fs::remove_file(&e.policy).unwrap();
    let (code, out, err) = run(&e, &["reverify", "--trusted-root", &root]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(
        out.contains("1 decision(s) made again under policy sha256:"),
        "{out}"
    );
    assert!(!err.contains("airlock import"), "{err}");
    // A failure names `reverify`.
    let (code, _, err) = run(&e, &["reverify", "--policy", "/nonexistent.yaml"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("airlock reverify: [policy-invalid]"),
        "{err}"
    );
}

#[test]
fn verify_bundle_records_only_when_asked() {
    let e = env(&all_policy());
    let conf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance");
    let bundle = conf.join("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    let root = conf.join("trusted-roots/public-good-production.json");
    let id = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let args = |record: bool| {
        let mut a = vec![
            "verify-bundle".to_string(),
            "--bundle".into(),
            bundle.display().to_string(),
            "--certificate-identity".into(),
            id.into(),
            "--certificate-oidc-issuer".into(),
            "https://token.actions.githubusercontent.com".into(),
            "--trusted-root".into(),
            root.display().to_string(),
        ];
        if record {
            a.push("--record".into());
        }
        a.push(conf.join("bundle-verify/a.txt").display().to_string());
        a
    };
    let a: Vec<String> = args(false);
    let (code, _, err) = run(&e, &a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    assert!(!e.data.join("ledger").exists(), "recorded without --record");
    let a: Vec<String> = args(true);
    let (code, _, err) = run(&e, &a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    let rs = records(&e, &[]);
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0]["kind"], "verify-bundle");
    assert_eq!(rs[0]["verdict"], "accepted");
    assert_eq!(rs[0]["identity"], id);
    assert_eq!(
        rs[0]["artifact"]["digest"],
        "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
    );
}

#[test]
fn evidence_and_policy_bytes_are_stored_once_and_read_back() {
    let e = env(&all_policy());
    let m = fs::fake().mint(&fs::Spec::v03());
    let bundle = serde_json::to_vec(&m.bundle).unwrap();
    let dir = e.dir.path().join("blobs");
    oci::write_files(
        &dir,
        &[
            ("app.bin".into(), m.artifact.clone()),
            ("app.bin.sigstore.json".into(), bundle.clone()),
        ],
    );
    assert_eq!(e.import(&[&dir]).code, 0);
    assert_eq!(e.import(&[&dir]).code, 0, "the same evidence again");
    let rs = records(&e, &[]);
    assert_eq!(rs.len(), 2);
    let want = format!("sha256:{}", hex::encode(fs::sha256(&bundle)));
    for r in &rs {
        assert_eq!(r["storedEvidence"], serde_json::json!([want]));
    }
    let id = rs[0]["id"].as_u64().unwrap().to_string();
    let (code, out, err) = run(&e, &["show", &id, "--json", "--evidence"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let stored = v["storedEvidenceBytes"].as_array().unwrap();
    assert_eq!(stored.len(), 2, "the bundle and the policy: {stored:?}");
    assert_eq!(fs::unb64(stored[0]["base64"].as_str().unwrap()), bundle);
    assert_eq!(
        fs::unb64(stored[1]["base64"].as_str().unwrap()),
        std::fs::read(&e.policy).unwrap()
    );
    // Stored once: two imports of the same evidence, two blobs in all (bundle and policy).
    let l = airlock::store::Ledger::open(&e.data, None).unwrap();
    assert_eq!(l.evidence_count(), 2);
}

#[test]
fn reverify_decides_from_stored_evidence_once_the_kept_input_is_deleted() {
    let e = env(&all_policy());
    let (l, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    let t = e.file("good.tar", &oci::tar(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0);
    // The operator deletes what was kept.
    let kept = r.input()["keptAt"].as_str().unwrap().to_string();
    std::fs::remove_file(&kept).unwrap();
    let policy = e.policy.to_str().unwrap().to_string();
    let root = e.root.to_str().unwrap().to_string();
    let (code, out, err) = run(
        &e,
        &[
            "reverify",
            "--policy",
            &policy,
            "--trusted-root",
            &root,
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["fromStoredEvidence"], 1);
    let mut spec = fs::Spec::v03();
    spec.root.include_ca = false;
    let without_ca = e.file(
        "root-without-ca.json",
        &serde_json::to_vec(&fs::fake().mint(&spec).trusted_root).unwrap(),
    );
    let (code, out, _) = run(
        &e,
        &[
            "reverify",
            "--policy",
            &policy,
            "--trusted-root",
            without_ca.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changes"][0]["digest"], img["digest"]);
    assert_eq!(v["changes"][0]["reason"], "certificate-untrusted");
}

#[test]
fn the_factory_trust_root_installed_on_first_use_is_a_trust_event_once() {
    // No --trusted-root and no `trust init`: the first import installs public good's factory
    // root, and says so in the ledger.
    let e = env(&all_policy());
    let bad = e.file("bad.tar", b"not an archive");
    let first = crate::common::cmd::TestCommand::new(&e.data)
        .args(["import", bad.to_str().unwrap(), "--policy"])
        .arg(&e.policy)
        .run()
        .output;
    assert_eq!(first.status.code(), Some(1));
    let events = records(&e, &[]);
    let factory: Vec<&Value> = events
        .iter()
        .filter(|r| r["reason"] == "factory-install")
        .collect();
    assert_eq!(factory.len(), 1, "{events:?}");
    assert_eq!(factory[0]["kind"], "trust-event");
    assert_eq!(
        factory[0]["decidedUnder"]["trustRootInstance"],
        "public-good"
    );
    let (code, _, _) = run(
        &e,
        &[
            "verify-bundle",
            "--bundle",
            bad.to_str().unwrap(),
            "--record",
        ],
    );
    assert_ne!(code, 0);
    let again = records(&e, &[]);
    assert_eq!(
        again
            .iter()
            .filter(|r| r["reason"] == "factory-install")
            .count(),
        1
    );
}

/// `query` answers only what it can: a verdict that is not one, a digest with no algorithm, too
/// few or non-hex digits are refused (exit 2, as the API's 400); the short form the tables print
/// finds the record.
#[test]
fn query_refuses_filters_it_cannot_answer_and_accepts_the_printed_short_digest() {
    let e = env(&all_policy());
    let (l, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    let t = e.file("good.tar", &oci::tar(&l.files("")));
    assert_eq!(e.import(&[&t]).code, 0);
    let digest = img["digest"].as_str().unwrap();
    let hex = digest.strip_prefix("sha256:").unwrap();
    for bad in [
        vec!["--verdict", "refused"],
        vec!["--digest", hex],
        vec!["--digest", "sha256:abc"],
        vec!["--digest", "sha256:zzzzzzzzzzzzzzzz"],
        vec!["--tarball", "1234"],
    ] {
        let mut a = vec!["query"];
        a.extend(bad.iter().copied());
        let (code, _, err) = run(&e, &a);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(err.starts_with("airlock query: [bad-request]"), "{err}");
    }
    // The table prints `sha256:` and 12 hex digits: that finds it, as does upper case.
    let (_, table, _) = run(&e, &["query"]);
    let short = &digest[..19];
    assert!(table.contains(short), "{table}");
    assert_eq!(records(&e, &["--digest", short]).len(), 1);
    assert_eq!(
        records(
            &e,
            &[
                "--digest",
                &digest.to_uppercase().replace("SHA256", "sha256")
            ]
        )
        .len(),
        1
    );
}

/// `trust status` on a fresh data dir installed the factory trust root without recording the
/// trust event: `trust status` then `import` left one record where `import` alone leaves two.
#[test]
fn the_factory_install_is_recorded_whichever_command_makes_it() {
    let e = env(&all_policy());
    let fresh = e.dir.path().join("fresh");
    let cli = |args: &[&str]| {
        let out = crate::common::cmd::TestCommand::new(&fresh)
            .args(args)
            .run()
            .output;
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(cli(&["trust", "status"]).0, Some(0));
    let (code, out) = cli(&["query", "--json"]);
    assert_eq!(code, Some(0));
    let rs: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rs.len(), 1, "{out}");
    assert_eq!(rs[0]["kind"], "trust-event");
    assert_eq!(rs[0]["reason"], "factory-install");
    // A second status installs nothing, records nothing.
    assert_eq!(cli(&["trust", "status"]).0, Some(0));
    let (_, out) = cli(&["query", "--json"]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 1);
}

/// `verify-bundle --record` built its record by reading its own printed JSON back by key
/// strings; from the typed result, every field is there.
#[test]
fn verify_bundle_records_every_field_of_its_typed_result() {
    let e = env(&all_policy());
    let conf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance");
    let bundle = conf.join("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    let root = conf.join("trusted-roots/public-good-production.json");
    let id = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let (code, _, err) = run(
        &e,
        &[
            "verify-bundle",
            "--bundle",
            bundle.to_str().unwrap(),
            "--certificate-identity",
            id,
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com",
            "--trusted-root",
            root.to_str().unwrap(),
            "--record",
            conf.join("bundle-verify/a.txt").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let r = &records(&e, &[])[0];
    assert_eq!(r["issuer"], "https://token.actions.githubusercontent.com");
    assert!(!r["tlogEntries"].as_array().unwrap().is_empty(), "{r}");
    assert!(
        r["tlogEntries"][0]["logId"].as_str().unwrap().len() > 10,
        "{r}"
    );
    assert!(r["decidedUnder"]["trustRootDigest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(r["tarball"]["name"], bundle.to_str().unwrap());
    assert_eq!(r["evidence"]["verified"], true);
}
