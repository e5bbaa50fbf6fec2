//! The Sigstore conformance suite (70 bundle-verification cases), every case in both the
//! artifact-path and the `sha256:` digest form, through the real `airlock verify-bundle` binary.
//!
//! Upstream checks only the exit code; a `_fail` case rejected for the wrong reason is a wrong
//! answer here, so each one names the reason code it must be rejected with. Data: see
//! tests/data/conformance/PROVENANCE.md.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance")
}

/// The reason each failing case must be rejected for. Where a case's bundle has more than one
/// defect, the alternatives are listed with why.
fn expected_reason(case: &str) -> &'static [&'static str] {
    match case {
        "bundle-empty-certificate-chain_fail" => &["bundle-empty-certificate-chain"],
        // A staging bundle: its log entry is from staging Rekor (unknown to the production
        // root), which is checked before the staging Fulcio certificate.
        "bundle-from-wrong-instance_fail" => &["tlog-unknown-log"],
        "bundle-invalid-base64-signature_fail" => &["bundle-invalid-base64"],
        "bundle-malformed-json_fail" => &["bundle-malformed-json"],
        "bundle-negative-log-index_fail" => &["bundle-invalid-field"],
        "bundle-unknown-version_fail" => &["bundle-unknown-media-type"],
        "bundle-with-root-cert_fail" => &["certificate-chain-contains-root"],
        "checkpoint-bad-keyhint_fail" => &["checkpoint-no-valid-signature"],
        "checkpoint-wrong-roothash_fail" => &["checkpoint-mismatch"],
        "dsse-invalid-sig_fail" => &["dsse-signature-invalid"],
        "dsse-mismatch-envelope_fail" => &["tlog-entry-mismatch"],
        "dsse-mismatch-sig_fail" => &["tlog-entry-mismatch"],
        "inclusion-proof-corrupted-hash_fail" => &["inclusion-proof-invalid"],
        "incorrect-public-key_fail" => &["tlog-entry-mismatch"],
        "integrated-time-in-future_fail" => &["certificate-not-valid-at-signing-time"],
        "intoto-expired-certificate_fail" => &["certificate-outside-ca-validity"],
        "intoto-log-entry-mismatch_fail" => &["tlog-entry-mismatch"],
        "intoto-missing-inclusion-proof_fail" => &["bundle-missing-tlog-evidence"],
        "intoto-set-outside-signing-cert-validity_fail" => {
            &["certificate-not-valid-at-signing-time"]
        }
        "intoto-tsa-timestamp-outside-cert-validity_fail" => {
            &["certificate-not-valid-at-signing-time"]
        }
        "invalid-checkpoint-signature_fail" => &["checkpoint-no-valid-signature"],
        "invalid-ct-key_fail" => &["sct-unknown-log"],
        "invalid-inclusion-proof_fail" => &["inclusion-proof-invalid"],
        "managed-key-no-key_fail" => &["key-required"],
        // The case's key.pub is not a valid key at all (its base64 spells "wrongkey").
        "managed-key-wrong-key_fail" => &["key-unusable"],
        "message-digest-mismatch_fail" => &["message-digest-mismatch"],
        "rekor2-checkpoint-missing-log-signature_fail" => &["checkpoint-no-valid-signature"],
        "rekor2-checkpoint-missing-origin_fail" => &["checkpoint-malformed"],
        "rekor2-checkpoint-missing-root-hash_fail" => &["checkpoint-malformed"],
        "rekor2-checkpoint-missing-size_fail" => &["checkpoint-malformed"],
        "rekor2-checkpoint-no-matching-signature_fail" => &["checkpoint-no-valid-signature"],
        "rekor2-dsse-invalid-sig_fail" => &["dsse-signature-invalid"],
        "rekor2-dsse-mismatch-envelope_fail" => &["tlog-entry-mismatch"],
        "rekor2-dsse-mismatch-sig_fail" => &["tlog-entry-mismatch"],
        "rekor2-no-inclusion-proof_fail" => &["bundle-missing-tlog-evidence"],
        "rekor2-no-timestamp_fail" => &["no-verified-time"],
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail" => {
            &["timestamp-outside-tsa-validity"]
        }
        "rekor2-timestamp-outside-tsa-cert-validity_fail" => {
            &["timestamp-outside-tsa-cert-validity"]
        }
        "rekor2-timestamp-payload-mismatch_fail" => &["timestamp-payload-mismatch"],
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail" => &["timestamp-untrusted"],
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail" => &["timestamp-untrusted"],
        "rekor2-timestamp-with-incorrect-time_fail" => &["certificate-not-valid-at-signing-time"],
        "set-invalid-signature_fail" => &["set-invalid"],
        "signature-mismatch_fail" => &["signature-invalid"],
        "trust-root-tlog-missing-validity-start_fail" => &["trusted-root-invalid"],
        "wrong-hashedrekord-artifact_fail" => &["tlog-entry-mismatch"],
        "wrong-hashedrekord-cert-and-sig_fail" => &["tlog-entry-mismatch"],
        "wrong-hashedrekord-entry_fail" => &["tlog-entry-mismatch"],
        "wrong-material_fail" => &["message-digest-mismatch"],
        _ => &[],
    }
}

struct Outcome {
    case: String,
    form: &'static str,
    ok: bool,
    detail: String,
}

fn run_case(line: &Value, form: &'static str, data_dir: &Path) -> Outcome {
    let s = |k: &str| line.get(k).and_then(Value::as_str).map(str::to_string);
    let id = s("id").unwrap_or_default();
    let case = id.rsplit('/').next().unwrap_or(&id).to_string();
    let expect_pass = s("expect").as_deref() == Some("pass");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_airlock"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .arg("verify-bundle")
        .arg("--json");
    cmd.arg("--bundle")
        .arg(data().join(s("bundle").unwrap_or_default()));
    match s("key") {
        Some(k) => {
            cmd.arg("--key").arg(data().join(k));
        }
        None => {
            cmd.arg("--certificate-identity")
                .arg(s("identity").unwrap_or_default());
            cmd.arg("--certificate-oidc-issuer")
                .arg(s("issuer").unwrap_or_default());
        }
    }
    if let Some(r) = s("trusted_root") {
        cmd.arg("--trusted-root").arg(data().join(r));
    }
    match form {
        "path" => cmd.arg(data().join(s("artifact").unwrap_or_default())),
        _ => cmd.arg(s("artifact_digest").unwrap_or_default()),
    };
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            return Outcome {
                case,
                form,
                ok: false,
                detail: format!("cannot run airlock: {e}"),
            }
        }
    };
    let code = out.status.code().unwrap_or(-1);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let reason = json
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let message = json.get("message").and_then(Value::as_str).unwrap_or("");
    let (ok, detail) = if expect_pass {
        (
            code == 0 && json.get("verified") == Some(&Value::Bool(true)),
            if code == 0 {
                "verified".to_string()
            } else {
                format!("expected pass, got exit {code} [{reason}] {message}")
            },
        )
    } else {
        let want = expected_reason(&case);
        (
            (code == 1 || code == 2) && want.contains(&reason.as_str()),
            if want.contains(&reason.as_str()) {
                format!("rejected [{reason}] (exit {code})")
            } else {
                format!("expected rejection {want:?}, got exit {code} [{reason}] {message}")
            },
        )
    };
    Outcome {
        case,
        form,
        ok,
        detail,
    }
}

/// A plain `main` (harness = false) so the closing line counts the 140 case runs themselves:
/// "conformance: N passed, M failed".
fn main() {
    let manifest = std::fs::read_to_string(data().join("manifest.jsonl"))
        .unwrap_or_else(|e| panic!("manifest: {e}"));
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let lines: Vec<Value> = manifest
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("manifest line: {e}")))
        .collect();
    assert_eq!(lines.len(), 70, "the suite has 70 cases");
    let runs: Vec<(&Value, &'static str)> = lines
        .iter()
        .flat_map(|l| [(l, "path"), (l, "digest")])
        .collect();
    // Two workers: the cases are independent processes.
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let (a, b) = runs.split_at(runs.len() / 2);
        let h = s.spawn(|| {
            a.iter()
                .map(|(l, f)| run_case(l, f, tmp.path()))
                .collect::<Vec<_>>()
        });
        let mut rest: Vec<Outcome> = b.iter().map(|(l, f)| run_case(l, f, tmp.path())).collect();
        let mut first = h.join().unwrap_or_else(|_| panic!("worker panicked"));
        first.append(&mut rest);
        first
    });
    let passed = outcomes.iter().filter(|o| o.ok).count();
    let failed = outcomes.len() - passed;
    for o in &outcomes {
        let mark = if o.ok { "ok   " } else { "WRONG" };
        println!("{mark} {} [{}]: {}", o.case, o.form, o.detail);
    }
    println!("conformance: {passed} passed, {failed} failed");
    if failed > 0 || outcomes.len() != 140 {
        std::process::exit(1);
    }
}
