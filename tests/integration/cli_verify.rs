//! `airlock verify-bundle` end to end: the JSON result's shape, `--batch` (order, exit codes,
//! per-line trust roots), `--staging`, and the installed trust root used by default.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

const ID: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/bundle-verify")
}

fn airlock(data: &Path, args: &[&str]) -> Output {
    crate::common::cmd::TestCommand::new(data)
        .args(args)
        .run()
        .output
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn dsse_result_carries_statement_identity_times_and_trust_root() {
    let tmp = tempfile::tempdir().unwrap();
    let out = airlock(
        tmp.path(),
        &[
            "verify-bundle",
            "--json",
            "--bundle",
            &s(&cases().join("happy-path-intoto-in-dsse-v3/bundle.sigstore.json")),
            "--certificate-identity",
            ID,
            "--certificate-oidc-issuer",
            ISSUER,
            &s(&cases().join("a.txt")),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(
        v["mediaType"],
        "application/vnd.dev.sigstore.verificationresult+json;version=0.1"
    );
    assert_eq!(v["statement"]["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(v["verifiedIdentity"]["subjectAlternativeName"], ID);
    assert_eq!(v["verifiedIdentity"]["issuer"], ISSUER);
    assert_eq!(v["verifiedTimestamps"][0]["type"], "Tlog");
    let ext = &v["signature"]["certificate"]["fulcioExtensions"];
    assert!(
        ext.as_object().is_some_and(|m| m.len() > 5),
        "extensions: {ext}"
    );
    // No --trusted-root: the factory trust root was installed through TUF and is named.
    assert_eq!(v["trustRoot"]["tufVerified"], true);
    assert_eq!(v["trustRoot"]["tufRootVersion"], 15);
}

#[test]
fn batch_prints_one_result_a_line_in_order_and_exits_1_on_any_refusal() {
    let tmp = tempfile::tempdir().unwrap();
    let prod = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/conformance/trusted-roots/public-good-production.json");
    let line = |case: &str, root: &Path| {
        serde_json::json!({
            "bundle": cases().join(case).join("bundle.sigstore.json"),
            "artifact": cases().join("a.txt"),
            "identity": ID, "issuer": ISSUER, "trusted_root": root,
        })
        .to_string()
    };
    let rekor2 = cases().join("rekor2-happy-path/trusted_root.json");
    let batch = [
        line("happy-path-v0.3", &prod),
        line("signature-mismatch_fail", &prod),
        line("rekor2-happy-path", &rekor2),
    ]
    .join("\n");
    let f = tmp.path().join("batch.jsonl");
    std::fs::write(&f, batch).unwrap();
    let out = airlock(tmp.path(), &["verify-bundle", "--batch", &s(&f)]);
    assert_eq!(out.status.code(), Some(1));
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["verified"], true);
    assert_eq!(results[1]["reason"], "signature-invalid");
    assert_eq!(results[2]["verified"], true);
    assert!(results[2]["bundle"]
        .as_str()
        .unwrap()
        .contains("rekor2-happy-path"));
}

#[test]
fn batch_of_only_good_bundles_exits_0_and_bad_batch_file_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("batch.jsonl");
    // `digest` is a synonym of `artifact_digest`.
    for key in ["artifact_digest", "digest"] {
        let mut line = serde_json::json!({
            "bundle": cases().join("happy-path-v0.2/bundle.sigstore.json"),
            "identity": ID, "issuer": ISSUER,
        });
        line[key] = serde_json::json!(
            "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
        );
        std::fs::write(&f, line.to_string()).unwrap();
        let out = airlock(tmp.path(), &["verify-bundle", "--batch", &s(&f)]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{key}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    std::fs::write(&f, "{not json\n").unwrap();
    let out = airlock(tmp.path(), &["verify-bundle", "--batch", &s(&f)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("batch.jsonl:1"), "{err}");
}

#[test]
fn staging_bundle_needs_staging_root_and_is_named_so() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = s(&cases().join("bundle-from-wrong-instance_fail/bundle.sigstore.json"));
    let a = s(&cases().join("a.txt"));
    let base = [
        "verify-bundle",
        "--json",
        "--bundle",
        &bundle,
        "--certificate-identity-regexp",
        "^https://github.com/",
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    // Against the production trust root (the default) a staging bundle is refused...
    let out = airlock(tmp.path(), &[&base[..], &[a.as_str()]].concat());
    assert_eq!(out.status.code(), Some(1));
    // ...and with --staging it verifies, and the result says which root was used.
    let out = airlock(
        tmp.path(),
        &[&base[..], &["--staging", a.as_str()]].concat(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["trustRoot"]["tufVerified"], false);
    assert!(v["trustRoot"]["source"]
        .as_str()
        .unwrap()
        .starts_with("staging"));
}

#[test]
fn unanchored_identity_regexp_cannot_be_satisfied_by_another_org_when_anchored() {
    let tmp = tempfile::tempdir().unwrap();
    let out = airlock(
        tmp.path(),
        &[
            "verify-bundle",
            "--bundle",
            &s(&cases().join("happy-path-v0.3/bundle.sigstore.json")),
            "--certificate-identity-regexp",
            "^https://github.com/someone-else/",
            "--certificate-oidc-issuer",
            ISSUER,
            &s(&cases().join("a.txt")),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[identity-mismatch]"), "{err}");
}
