//! Tests of [`verify_entry`]: real conformance bundles, and synthetic entries built with
//! throwaway log keys for the attacks the real data does not cover.

use std::path::PathBuf;

use super::checkpoint::tests::{ec_log, ed_log, EcLog, EdLog};
use super::*;
use crate::bundle::dsse::DsseSignature;
use crate::bundle::json::b64_encode;
use crate::bundle::sigstore::InclusionProof;
use crate::bundle::{Bundle, Content, SigningMaterial};
use crate::crypto;
use crate::time::Timestamp;

// ---- conformance bundles ----

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance")
}

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

struct Case {
    bundle: Bundle,
    root: TrustedRoot,
    artifact: Vec<u8>,
    key: Option<PublicKey>,
}

fn case(name: &str) -> Case {
    let dir = data_dir().join("bundle-verify").join(name);
    let bundle = Bundle::from_json(&read(dir.join("bundle.sigstore.json")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let root_path = if dir.join("trusted_root.json").exists() {
        dir.join("trusted_root.json")
    } else {
        data_dir().join("trusted-roots/public-good-production.json")
    };
    let root = TrustedRoot::from_json(&read(root_path)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let artifact = if dir.join("artifact").exists() {
        read(dir.join("artifact"))
    } else {
        read(data_dir().join("bundle-verify/a.txt"))
    };
    let key = dir.join("key.pub").exists().then(|| {
        let pem = String::from_utf8(read(dir.join("key.pub"))).unwrap_or_default();
        PublicKey::from_pem(&pem).unwrap_or_else(|e| panic!("{name}: {e}"))
    });
    Case {
        bundle,
        root,
        artifact,
        key,
    }
}

/// Runs every entry of a case the way the verifier does; returns the first error's code.
fn run(name: &str) -> Result<Vec<VerifiedEntry>, TlogError> {
    let c = case(name);
    let signer = match (&c.bundle.signing_material, &c.key) {
        (SigningMaterial::Certificate { leaf, .. }, _) => SignerMaterial::Certificate(leaf),
        (SigningMaterial::PublicKey { .. }, Some(k)) => SignerMaterial::PublicKey(k),
        (SigningMaterial::PublicKey { .. }, None) => panic!("{name}: key case without key.pub"),
    };
    let digest = crypto::sha256(&c.artifact);
    let expected = match &c.bundle.content {
        Content::MessageSignature(ms) => ExpectedBody::MessageSignature {
            signature: &ms.signature,
            artifact_digest: (HashAlgorithm::Sha256, &digest),
            signer,
        },
        Content::Dsse(env) => ExpectedBody::Dsse {
            envelope: env,
            signer,
        },
    };
    c.bundle
        .tlog_entries
        .iter()
        .map(|e| verify_entry(e, c.bundle.version, &expected, &c.root))
        .collect()
}

fn code_of(name: &str) -> &'static str {
    match run(name) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn conformance_happy_paths_verify() {
    for name in [
        "happy-path-v0.1",
        "happy-path-v0.2",
        "happy-path-v0.3",
        "happy-path-v0.3-new-mediaType",
        "happy-path-intoto-in-dsse-v3",
        "intoto-with-custom-trust-root",
        "managed-key-happy-path",
        "managed-key-and-trusted-root",
        "rekor2-happy-path",
        "rekor2-dsse-happy-path",
        "rekor2-checkpoint-cosigned",
        "rekor2-checkpoint-multiple-cosigs",
        "rekor2-checkpoint-origin-not-first",
        "rekor2-checkpoint-two-sigs-cosigned",
        "rekor2-checkpoint-two-sigs-from-origin",
        "bundle-with-sct-with-extensions",
        "trust-root-tlog-validity-end-inclusive",
        "rekor2-timestamp-with-embedded-cert",
    ] {
        let entries = run(name).unwrap_or_else(|e| panic!("{name}: {} ({e})", e.code()));
        assert!(!entries.is_empty(), "{name}");
        for v in entries {
            assert!(v.inclusion_proof_verified, "{name}");
            assert!(v.checkpoint_verified, "{name}");
        }
    }
}

#[test]
fn rekor_v1_entry_reports_its_verified_integrated_time_and_log() {
    let v = run("happy-path-v0.3").unwrap_or_else(|e| panic!("{e}"));
    let v = &v[0];
    assert!(v.set_verified);
    assert_eq!(v.log_index, 79571823);
    assert_eq!(v.tree_size, Some(75408393));
    assert_eq!(v.log_base_url, "https://rekor.sigstore.dev");
    assert_eq!(
        v.checkpoint_origin.as_deref(),
        Some("rekor.sigstore.dev - 2605736670972794746")
    );
    assert_eq!(v.integrated_time, Timestamp::from_second(1710869186).ok());
}

#[test]
fn rekor_v2_entry_has_no_integrated_time() {
    let v = run("rekor2-happy-path").unwrap_or_else(|e| panic!("{e}"));
    assert!(!v[0].set_verified);
    assert_eq!(v[0].integrated_time, None);
    assert_eq!(
        v[0].checkpoint_origin.as_deref(),
        Some("log2025-alpha1.rekor.sigstage.dev")
    );
}

#[test]
fn conformance_tlog_failures_get_their_codes() {
    let cases = [
        (
            "checkpoint-bad-keyhint_fail",
            "checkpoint-no-valid-signature",
        ),
        ("checkpoint-wrong-roothash_fail", "checkpoint-mismatch"),
        (
            "invalid-checkpoint-signature_fail",
            "checkpoint-no-valid-signature",
        ),
        (
            "inclusion-proof-corrupted-hash_fail",
            "inclusion-proof-invalid",
        ),
        ("invalid-inclusion-proof_fail", "inclusion-proof-invalid"),
        ("set-invalid-signature_fail", "set-invalid"),
        (
            "rekor2-checkpoint-missing-log-signature_fail",
            "checkpoint-no-valid-signature",
        ),
        (
            "rekor2-checkpoint-missing-origin_fail",
            "checkpoint-malformed",
        ),
        (
            "rekor2-checkpoint-missing-root-hash_fail",
            "checkpoint-malformed",
        ),
        (
            "rekor2-checkpoint-missing-size_fail",
            "checkpoint-malformed",
        ),
        (
            "rekor2-checkpoint-no-matching-signature_fail",
            "checkpoint-no-valid-signature",
        ),
        ("dsse-mismatch-envelope_fail", "tlog-entry-mismatch"),
        ("dsse-mismatch-sig_fail", "tlog-entry-mismatch"),
        ("rekor2-dsse-mismatch-envelope_fail", "tlog-entry-mismatch"),
        ("rekor2-dsse-mismatch-sig_fail", "tlog-entry-mismatch"),
        ("wrong-hashedrekord-artifact_fail", "tlog-entry-mismatch"),
        (
            "wrong-hashedrekord-cert-and-sig_fail",
            "tlog-entry-mismatch",
        ),
        ("wrong-hashedrekord-entry_fail", "tlog-entry-mismatch"),
        ("incorrect-public-key_fail", "tlog-entry-mismatch"),
        ("intoto-log-entry-mismatch_fail", "tlog-entry-mismatch"),
        ("bundle-from-wrong-instance_fail", "tlog-unknown-log"),
        // The bundle's signature was altered after logging: the entry names the original one.
        ("signature-mismatch_fail", "tlog-entry-mismatch"),
        ("dsse-invalid-sig_fail", "tlog-entry-mismatch"),
        ("rekor2-dsse-invalid-sig_fail", "tlog-entry-mismatch"),
        ("wrong-material_fail", "tlog-entry-mismatch"),
    ];
    let mut wrong = Vec::new();
    for (name, want) in cases {
        let got = code_of(name);
        if got != want {
            wrong.push(format!("{name}: got {got}, want {want}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn conformance_failures_outside_the_log_still_pass_the_log_checks() {
    // These fail for reasons other modules own (signature, certificate, times); the entries
    // themselves are genuine and about the bundle.
    for name in [
        "integrated-time-in-future_fail",
        "intoto-expired-certificate_fail",
        "intoto-set-outside-signing-cert-validity_fail",
        "message-digest-mismatch_fail",
        "rekor2-timestamp-with-incorrect-time_fail",
    ] {
        assert_eq!(code_of(name), "ok", "{name}");
    }
}

// ---- synthetic entries ----

/// A tree of `n` leaves with the entry's body at `index`; returns (root, audit path).
fn tree_with(body: &[u8], index: usize, n: usize) -> ([u8; 32], Vec<Vec<u8>>) {
    let leaves: Vec<[u8; 32]> = (0..n)
        .map(|i| {
            if i == index {
                merkle::leaf_hash(body)
            } else {
                merkle::leaf_hash(format!("other {i}").as_bytes())
            }
        })
        .collect();
    fn mth(l: &[[u8; 32]]) -> [u8; 32] {
        if l.len() == 1 {
            return l[0];
        }
        let mut k = 1;
        while k * 2 < l.len() {
            k *= 2;
        }
        merkle::node_hash(&mth(&l[..k]), &mth(&l[k..]))
    }
    fn path(m: usize, l: &[[u8; 32]]) -> Vec<Vec<u8>> {
        if l.len() <= 1 {
            return Vec::new();
        }
        let mut k = 1;
        while k * 2 < l.len() {
            k *= 2;
        }
        let (mut p, sib) = if m < k {
            (path(m, &l[..k]), mth(&l[k..]))
        } else {
            (path(m - k, &l[k..]), mth(&l[..k]))
        };
        p.push(sib.to_vec());
        p
    }
    (mth(&leaves), path(index, &leaves))
}

fn window() -> Window {
    Window {
        start: Timestamp::UNIX_EPOCH,
        end: None,
    }
}

fn root_with(log: TransparencyLog) -> TrustedRoot {
    TrustedRoot {
        media_type: String::new(),
        tlogs: vec![log],
        certificate_authorities: Vec::new(),
        ctlogs: Vec::new(),
        timestamp_authorities: Vec::new(),
        digest: Vec::new(),
    }
}

fn v1_log(log: &EcLog) -> TrustedRoot {
    root_with(TransparencyLog {
        base_url: "https://rekor.example".into(),
        public_key: log.key.spki_der().to_vec(),
        key_details: KeyDetails::EcdsaP256Sha256,
        valid_for: window(),
        log_id: log.log_id.to_vec(),
        checkpoint_key_id: None,
        parsed_key: Default::default(),
    })
}

fn v2_log(log: &EdLog) -> TrustedRoot {
    root_with(TransparencyLog {
        base_url: format!("https://{}", log.name),
        public_key: log.key.spki_der().to_vec(),
        key_details: KeyDetails::Ed25519,
        valid_for: window(),
        log_id: log.key_id.to_vec(),
        checkpoint_key_id: None,
        parsed_key: Default::default(),
    })
}

/// A signer certificate stand-in: any DER bytes; the body compares bytes, not meaning.
const CERT: &[u8] = b"\x30\x03\x02\x01\x01";
const OTHER_CERT: &[u8] = b"\x30\x03\x02\x01\x02";
const SIG: &[u8] = b"\x30\x06\x02\x01\x01\x02\x01\x01";

fn pem_b64(label: &str, der: &[u8]) -> String {
    b64_encode(
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            b64_encode(der)
        )
        .as_bytes(),
    )
}

fn hashedrekord_v1(sig: &[u8], cert: &[u8], digest: &[u8]) -> Vec<u8> {
    format!(
        "{{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{{\"data\":{{\"hash\":\
         {{\"algorithm\":\"sha256\",\"value\":\"{}\"}}}},\"signature\":{{\"content\":\"{}\",\
         \"publicKey\":{{\"content\":\"{}\"}}}}}}}}",
        hex::encode(digest),
        b64_encode(sig),
        pem_b64("CERTIFICATE", cert)
    )
    .into_bytes()
}

fn hashedrekord_v2(sig: &[u8], cert: &[u8], digest: &[u8]) -> Vec<u8> {
    format!(
        "{{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":{{\"hashedRekordV002\":\
         {{\"data\":{{\"algorithm\":\"SHA2_256\",\"digest\":\"{}\"}},\"signature\":\
         {{\"content\":\"{}\",\"verifier\":{{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\
         \"x509Certificate\":{{\"rawBytes\":\"{}\"}}}}}}}}}}}}",
        b64_encode(digest),
        b64_encode(sig),
        b64_encode(cert)
    )
    .into_bytes()
}

fn artifact_digest() -> [u8; 32] {
    crypto::sha256(b"artifact")
}

fn expected_msg<'a>(digest: &'a [u8; 32]) -> ExpectedBody<'a> {
    ExpectedBody::MessageSignature {
        signature: SIG,
        artifact_digest: (HashAlgorithm::Sha256, digest),
        signer: SignerMaterial::Certificate(CERT),
    }
}

/// A Rekor v1 entry (hashedrekord 0.0.1) with SET, proof and checkpoint, all signed by `log`.
fn v1_entry(log: &EcLog, body: Vec<u8>) -> TlogEntry {
    let (global, local, size, time) = (1_000_007u64, 5usize, 8usize, 1_700_000_000i64);
    let (root, hashes) = tree_with(&body, local, size);
    let note = format!(
        "rekor.example - 42\n{size}\n{}\nTimestamp: 1\n",
        b64_encode(&root)
    );
    let checkpoint = format!(
        "{note}\n{}",
        log.line("rekor.example", &log.log_id[..4], &note)
    );
    let set = log.sign(set::payload(&body, time, &log.log_id, global).as_bytes());
    TlogEntry {
        log_index: global,
        log_id: log.log_id.to_vec(),
        kind: "hashedrekord".into(),
        version: "0.0.1".into(),
        integrated_time: Some(time),
        inclusion_promise: Some(set),
        inclusion_proof: Some(InclusionProof {
            log_index: local as u64,
            root_hash: root.to_vec(),
            tree_size: size as u64,
            hashes,
            checkpoint: Some(checkpoint),
        }),
        canonicalized_body: body,
    }
}

/// A Rekor v2 entry (hashedrekord 0.0.2) with proof and checkpoint signed by `log`.
fn v2_entry(log: &EdLog, body: Vec<u8>) -> TlogEntry {
    let (index, size) = (6usize, 7usize);
    let (root, hashes) = tree_with(&body, index, size);
    let note = format!("{}\n{size}\n{}\n", log.name, b64_encode(&root));
    let checkpoint = format!("{note}\n{}", log.sign_line(&note));
    TlogEntry {
        log_index: index as u64,
        log_id: log.key_id.to_vec(),
        kind: "hashedrekord".into(),
        version: "0.0.2".into(),
        integrated_time: None,
        inclusion_promise: None,
        inclusion_proof: Some(InclusionProof {
            log_index: index as u64,
            root_hash: root.to_vec(),
            tree_size: size as u64,
            hashes,
            checkpoint: Some(checkpoint),
        }),
        canonicalized_body: body,
    }
}

fn code(r: Result<VerifiedEntry, TlogError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn synthetic_rekor_v1_entry_verifies_with_all_evidence() {
    let log = ec_log();
    let d = artifact_digest();
    let e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    let v = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(v.set_verified && v.inclusion_proof_verified && v.checkpoint_verified);
    assert_eq!(
        v.integrated_time,
        Timestamp::from_second(1_700_000_000).ok()
    );
    assert_eq!(v.checkpoint_origin.as_deref(), Some("rekor.example - 42"));
}

#[test]
fn set_over_a_tampered_integrated_time_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    e.integrated_time = Some(1_600_000_000);
    let r = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "set-invalid");
}

#[test]
fn set_over_a_tampered_log_index_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    e.log_index += 1;
    let r = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "set-invalid");
}

#[test]
fn set_without_integrated_time_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    e.integrated_time = None;
    let r = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "set-invalid");
}

#[test]
fn entry_from_a_log_outside_the_trusted_root_is_refused() {
    let log = ec_log();
    let other = ec_log();
    let d = artifact_digest();
    let e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&other));
    assert_eq!(code(r), "tlog-unknown-log");
}

#[test]
fn proof_with_a_flipped_hash_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    if let Some(p) = e.inclusion_proof.as_mut() {
        p.hashes[1][0] ^= 0x80;
    }
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "inclusion-proof-invalid");
}

#[test]
fn proof_index_past_tree_size_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    if let Some(p) = e.inclusion_proof.as_mut() {
        p.log_index = p.tree_size;
    }
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "inclusion-proof-invalid");
}

#[test]
fn rekor_v1_proof_index_above_the_global_index_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    e.log_index = 4; // below the shard-local proof index 5
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "tlog-index-mismatch");
}

#[test]
fn rekor_v2_entry_index_other_than_the_proof_index_is_refused() {
    let log = ed_log("log.example/v2");
    let d = artifact_digest();
    let mut e = v2_entry(&log, hashedrekord_v2(SIG, CERT, &d));
    assert_eq!(
        code(verify_entry(
            &e,
            BundleVersion::V03,
            &expected_msg(&d),
            &v2_log(&log)
        )),
        "ok"
    );
    e.log_index += 1;
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v2_log(&log));
    assert_eq!(code(r), "tlog-index-mismatch");
}

#[test]
fn v02_bundle_proof_without_checkpoint_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    if let Some(p) = e.inclusion_proof.as_mut() {
        p.checkpoint = None;
    }
    let r = verify_entry(&e, BundleVersion::V02, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "checkpoint-missing");
    // A v0.1 bundle stands on its SET; the proof is still checked, but a root hash that no
    // checkpoint signs anchors nothing: it is reported as unanchored, never as verified.
    let v = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(v.set_verified && !v.inclusion_proof_verified && !v.checkpoint_verified);
    assert_eq!(v.inclusion_proof, "unanchored");
    if let Some(p) = e.inclusion_proof.as_mut() {
        if let Some(h) = p.hashes.first_mut() {
            h[0] ^= 1;
        }
    }
    let r = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "inclusion-proof-invalid");
}

/// Verifies a Rekor v2 entry of `log` whose checkpoint is replaced: `note` builds the note text
/// from the proof's root hash, `sign` the signature lines for that note. Returns the code.
fn v2_code_with_checkpoint(
    log: &EdLog,
    note: impl FnOnce(&[u8]) -> String,
    sign: impl FnOnce(&str) -> String,
) -> &'static str {
    let d = artifact_digest();
    let mut e = v2_entry(log, hashedrekord_v2(SIG, CERT, &d));
    if let Some(p) = e.inclusion_proof.as_mut() {
        let note = note(&p.root_hash);
        p.checkpoint = Some(format!("{note}\n{}", sign(&note)));
    }
    code(verify_entry(
        &e,
        BundleVersion::V03,
        &expected_msg(&d),
        &v2_log(log),
    ))
}

#[test]
fn checkpoint_with_a_wrong_root_is_refused() {
    let log = ed_log("log.example/v2");
    // A genuine checkpoint of the same log, for a different tree.
    let c = v2_code_with_checkpoint(
        &log,
        |_| format!("{}\n7\n{}\n", log.name, b64_encode(&[7u8; 32])),
        |n| log.sign_line(n),
    );
    assert_eq!(c, "checkpoint-mismatch");
}

#[test]
fn checkpoint_with_a_wrong_size_is_refused() {
    let log = ed_log("log.example/v2");
    let c = v2_code_with_checkpoint(
        &log,
        |root| format!("{}\n8\n{}\n", log.name, b64_encode(root)),
        |n| log.sign_line(n),
    );
    assert_eq!(c, "checkpoint-mismatch");
}

#[test]
fn checkpoint_with_a_wrong_key_hint_is_refused() {
    let log = ed_log("log.example/v2");
    let c = v2_code_with_checkpoint(
        &log,
        |root| format!("{}\n7\n{}\n", log.name, b64_encode(root)),
        |n| log.line_as(&log.name, &[1, 2, 3, 4], n),
    );
    assert_eq!(c, "checkpoint-no-valid-signature");
}

#[test]
fn checkpoint_with_a_missing_origin_is_refused() {
    let log = ed_log("log.example/v2");
    let c = v2_code_with_checkpoint(
        &log,
        |root| format!("7\n{}\n", b64_encode(root)),
        |n| log.sign_line(n),
    );
    assert_eq!(c, "checkpoint-malformed");
}

#[test]
fn checkpoint_witness_cosignatures_are_tolerated() {
    let log = ed_log("log.example/v2");
    let witness = ed_log("witness.example");
    let c = v2_code_with_checkpoint(
        &log,
        |root| format!("{}\n7\n{}\n", log.name, b64_encode(root)),
        |n| format!("{}{}", witness.sign_line(n), log.sign_line(n)),
    );
    assert_eq!(c, "ok");
}

#[test]
fn checkpoint_key_id_from_the_trusted_root_binds_the_origin() {
    // A trusted root naming the checkpoint key ID (4-byte form) explicitly.
    let log = ed_log("log.example/v2");
    let d = artifact_digest();
    let e = v2_entry(&log, hashedrekord_v2(SIG, CERT, &d));
    let mut root = v2_log(&log);
    root.tlogs[0].checkpoint_key_id = Some(log.key_id[..4].to_vec());
    assert_eq!(
        code(verify_entry(
            &e,
            BundleVersion::V03,
            &expected_msg(&d),
            &root
        )),
        "ok"
    );
    root.tlogs[0].checkpoint_key_id = Some(vec![0, 0, 0, 0]);
    assert_eq!(
        code(verify_entry(
            &e,
            BundleVersion::V03,
            &expected_msg(&d),
            &root
        )),
        "checkpoint-no-valid-signature"
    );
}

#[test]
fn body_naming_another_signature_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let e = v1_entry(&log, hashedrekord_v1(b"\x30\x00", CERT, &d));
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log));
    assert!(r_msg(r.clone()).contains("spec.signature.content"));
    assert_eq!(code(r), "tlog-entry-mismatch");
}

fn r_msg(r: Result<VerifiedEntry, TlogError>) -> String {
    r.err().map(|e| e.to_string()).unwrap_or_default()
}

#[test]
fn body_naming_another_certificate_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let e = v1_entry(&log, hashedrekord_v1(SIG, OTHER_CERT, &d));
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log));
    assert!(r_msg(r.clone()).contains("spec.signature.publicKey.content"));
    assert_eq!(code(r), "tlog-entry-mismatch");
}

#[test]
fn body_naming_another_digest_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let other = crypto::sha256(b"another artifact");
    let e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &other));
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log));
    assert!(r_msg(r.clone()).contains("spec.data.hash"));
    assert_eq!(code(r), "tlog-entry-mismatch");
}

#[test]
fn body_naming_a_public_key_for_a_certificate_bundle_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let body = String::from_utf8(hashedrekord_v1(SIG, CERT, &d))
        .unwrap_or_default()
        .replace(&pem_b64("CERTIFICATE", CERT), &pem_b64("PUBLIC KEY", CERT));
    let e = v1_entry(&log, body.into_bytes());
    let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "tlog-entry-mismatch");
}

#[test]
fn rekor_v2_body_naming_another_signature_key_or_digest_is_refused() {
    let log = ed_log("log.example/v2");
    let d = artifact_digest();
    let other = crypto::sha256(b"x");
    for (body, field) in [
        (hashedrekord_v2(b"\x30\x00", CERT, &d), "signature.content"),
        (hashedrekord_v2(SIG, OTHER_CERT, &d), "signature.verifier"),
        (hashedrekord_v2(SIG, CERT, &other), "hashedRekordV002.data"),
    ] {
        let e = v2_entry(&log, body);
        let r = verify_entry(&e, BundleVersion::V03, &expected_msg(&d), &v2_log(&log));
        assert!(r_msg(r.clone()).contains(field), "{field}");
        assert_eq!(code(r), "tlog-entry-mismatch", "{field}");
    }
}

#[test]
fn bundle_kind_version_disagreeing_with_the_body_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let mut e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    e.version = "0.0.2".into();
    let r = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "tlog-entry-mismatch");
}

#[test]
fn unknown_entry_kind_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let body = br#"{"apiVersion":"0.0.1","kind":"rekord","spec":{"signature":"x"}}"#.to_vec();
    let mut e = v1_entry(&log, body);
    e.kind = "rekord".into();
    let r = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "tlog-unsupported-kind");
}

#[test]
fn body_that_is_not_json_is_refused() {
    let log = ec_log();
    let d = artifact_digest();
    let e = v1_entry(&log, b"{\"apiVersion\":".to_vec());
    let r = verify_entry(&e, BundleVersion::V01, &expected_msg(&d), &v1_log(&log));
    assert_eq!(code(r), "tlog-body-malformed");
}

fn envelope(sig: &[u8]) -> Envelope {
    Envelope {
        payload_type: "application/vnd.in-toto+json".into(),
        payload: b"{\"_type\":\"https://in-toto.io/Statement/v1\"}".to_vec(),
        signatures: vec![DsseSignature {
            sig: sig.to_vec(),
            keyid: None,
        }],
    }
}

fn dsse_v1_body(env: &Envelope, sig: &[u8], cert: &[u8]) -> Vec<u8> {
    format!(
        "{{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{{\"envelopeHash\":{{\"algorithm\":\
         \"sha256\",\"value\":\"00\"}},\"payloadHash\":{{\"algorithm\":\"sha256\",\"value\":\
         \"{}\"}},\"signatures\":[{{\"signature\":\"{}\",\"verifier\":\"{}\"}}]}}}}",
        hex::encode(crypto::sha256(&env.payload)),
        b64_encode(sig),
        pem_b64("CERTIFICATE", cert)
    )
    .into_bytes()
}

#[test]
fn dsse_entry_for_another_envelope_or_signature_is_refused() {
    let log = ec_log();
    let env = envelope(SIG);
    let expected = ExpectedBody::Dsse {
        envelope: &env,
        signer: SignerMaterial::Certificate(CERT),
    };
    let mut e = v1_entry(&log, dsse_v1_body(&env, SIG, CERT));
    e.kind = "dsse".into();
    assert_eq!(
        code(verify_entry(
            &e,
            BundleVersion::V03,
            &expected,
            &v1_log(&log)
        )),
        "ok"
    );
    let mut other_payload = env.clone();
    other_payload.payload.push(b' ');
    for body in [
        dsse_v1_body(&other_payload, SIG, CERT),
        dsse_v1_body(&env, b"\x30\x00", CERT),
        dsse_v1_body(&env, SIG, OTHER_CERT),
    ] {
        let mut e = v1_entry(&log, body);
        e.kind = "dsse".into();
        assert_eq!(
            code(verify_entry(
                &e,
                BundleVersion::V03,
                &expected,
                &v1_log(&log)
            )),
            "tlog-entry-mismatch"
        );
    }
}

#[test]
fn hashedrekord_over_dsse_for_another_envelope_is_refused() {
    let log = ed_log("log.example/v2");
    let env = envelope(SIG);
    let expected = ExpectedBody::Dsse {
        envelope: &env,
        signer: SignerMaterial::Certificate(CERT),
    };
    let pae = crypto::sha256(&env.pae());
    let e = v2_entry(&log, hashedrekord_v2(SIG, CERT, &pae));
    assert_eq!(
        code(verify_entry(
            &e,
            BundleVersion::V03,
            &expected,
            &v2_log(&log)
        )),
        "ok"
    );
    let mut other = env.clone();
    other.payload_type = "application/other".into();
    let expected_other = ExpectedBody::Dsse {
        envelope: &other,
        signer: SignerMaterial::Certificate(CERT),
    };
    assert_eq!(
        code(verify_entry(
            &e,
            BundleVersion::V03,
            &expected_other,
            &v2_log(&log)
        )),
        "tlog-entry-mismatch"
    );
}

#[test]
fn message_signature_entry_cannot_vouch_for_a_dsse_bundle() {
    let log = ec_log();
    let env = envelope(SIG);
    let d = artifact_digest();
    let e = v1_entry(&log, hashedrekord_v1(SIG, CERT, &d));
    let expected = ExpectedBody::Dsse {
        envelope: &env,
        signer: SignerMaterial::Certificate(CERT),
    };
    assert_eq!(
        code(verify_entry(
            &e,
            BundleVersion::V03,
            &expected,
            &v1_log(&log)
        )),
        "tlog-entry-mismatch"
    );
}

#[test]
fn error_codes_of_the_parts_agree_with_the_entry_codes() {
    use super::body::BodyError;
    use super::checkpoint::CheckpointError;
    use super::merkle::ProofError;
    use super::set::SetError;
    assert_eq!(ProofError::RootMismatch.code(), "inclusion-proof-invalid");
    assert_eq!(SetError::BadSignature.code(), "set-invalid");
    assert_eq!(
        CheckpointError::Malformed("x").code(),
        "checkpoint-malformed"
    );
    let e = TlogEntry {
        log_index: 1,
        log_id: Vec::new(),
        kind: String::new(),
        version: String::new(),
        integrated_time: None,
        inclusion_promise: None,
        inclusion_proof: None,
        canonicalized_body: Vec::new(),
    };
    for b in [
        BodyError::Malformed("x".into()),
        BodyError::Missing { field: "f" },
        BodyError::Encoding {
            field: "f",
            encoding: "hex",
        },
        BodyError::Unsupported {
            kind: "k".into(),
            version: "v".into(),
        },
        BodyError::Mismatch {
            field: "f",
            why: "w",
        },
    ] {
        assert_eq!(b.code(), body_error(&e, b.clone()).code());
    }
}

#[test]
#[ignore = "timing; run with --ignored --nocapture"]
fn timing_of_verify_entry_on_real_bundles() {
    for name in [
        "happy-path-v0.3",
        "rekor2-happy-path",
        "happy-path-intoto-in-dsse-v3",
    ] {
        let c = case(name);
        let SigningMaterial::Certificate { leaf, .. } = &c.bundle.signing_material else {
            continue;
        };
        let digest = crypto::sha256(&c.artifact);
        let expected = match &c.bundle.content {
            Content::MessageSignature(ms) => ExpectedBody::MessageSignature {
                signature: &ms.signature,
                artifact_digest: (HashAlgorithm::Sha256, &digest),
                signer: SignerMaterial::Certificate(leaf),
            },
            Content::Dsse(env) => ExpectedBody::Dsse {
                envelope: env,
                signer: SignerMaterial::Certificate(leaf),
            },
        };
        let e = &c.bundle.tlog_entries[0];
        let n = 2000u32;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = std::hint::black_box(verify_entry(e, c.bundle.version, &expected, &c.root));
        }
        let full = t.elapsed() / n;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = std::hint::black_box(body::check(
                &e.canonicalized_body,
                &e.kind,
                &e.version,
                &expected,
            ));
            if let Some(p) = &e.inclusion_proof {
                let leaf = merkle::leaf_hash(&e.canonicalized_body);
                let _ = std::hint::black_box(merkle::verify_inclusion(
                    p.log_index,
                    p.tree_size,
                    &leaf,
                    &p.hashes,
                    &p.root_hash,
                ));
            }
        }
        let no_sig = t.elapsed() / n;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = std::hint::black_box(body::check(
                &e.canonicalized_body,
                &e.kind,
                &e.version,
                &expected,
            ));
        }
        let body_only = t.elapsed() / n;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = std::hint::black_box(crypto::sha256(&e.canonicalized_body));
        }
        let one_hash = t.elapsed() / n;
        println!(
            "{name}: verify_entry {full:?}; body + merkle (no signatures) {no_sig:?}; body \
             {body_only:?}; one SHA-256 of the body {one_hash:?}"
        );
    }
}

#[test]
#[ignore = "report; run with --ignored --nocapture"]
fn report_codes_of_all_conformance_cases() {
    let dir = data_dir().join("bundle-verify");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|it| {
            it.filter_map(|e| e.ok())
                .filter(|e| e.path().join("bundle.sigstore.json").exists())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for name in names {
        let d = dir.join(&name);
        let parsed = Bundle::from_json(&read(d.join("bundle.sigstore.json")));
        let key_ok = !d.join("key.pub").exists()
            || PublicKey::from_pem(&String::from_utf8(read(d.join("key.pub"))).unwrap_or_default())
                .is_ok();
        let root_ok = !d.join("trusted_root.json").exists()
            || TrustedRoot::from_json(&read(d.join("trusted_root.json"))).is_ok();
        let outcome = match (parsed, key_ok, root_ok) {
            (Err(e), _, _) => format!("(bundle parse: {})", e.code()),
            (_, false, _) => "(key.pub unusable)".to_string(),
            (_, _, false) => "(trusted root unusable)".to_string(),
            (Ok(b), _, _) if b.tlog_entries.is_empty() => "(no tlog entry)".to_string(),
            (Ok(b), _, _)
                if matches!(b.signing_material, SigningMaterial::PublicKey { .. })
                    && !d.join("key.pub").exists() =>
            {
                "(key bundle without key.pub)".to_string()
            }
            _ => match run(&name) {
                Ok(_) => "ok".to_string(),
                Err(e) => format!("{}: {e}", e.code()),
            },
        };
        println!("{name}: {outcome}");
    }
}
