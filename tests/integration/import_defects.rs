//! Each defect a tampered export can carry, on purpose, and the policy's edges: every one is
//! refused for its own reason (or accepted exactly as policy-controller would), the input kept
//! byte for byte in quarantine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::import_support;

use import_support::*;
use serde_json::{json, Value};

fn tar_of(l: &oci::Layout) -> Vec<u8> {
    oci::tar(&l.files(""))
}

/// A saved image whose legacy signature layer's annotations are edited by `edit`.
fn with_edited_signature(edit: impl FnOnce(&mut oci::Layout, &mut Value)) -> oci::Layout {
    let (mut l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let sig_desc = l.index[1].clone();
    let hex = sig_desc["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let mut manifest: Value = serde_json::from_slice(&l.blobs[&hex]).unwrap();
    l.blobs.remove(&hex);
    edit(&mut l, &mut manifest["layers"][0]);
    let new = l.put(oci::OCI_MANIFEST, serde_json::to_vec(&manifest).unwrap());
    l.index[1] = json!({"mediaType": new["mediaType"], "digest": new["digest"], "size": new["size"], "annotations": {"kind": "dev.cosignproject.cosign/sigs"}});
    l
}

fn rejected(policy: &str, name: &str, bytes: Vec<u8>, code: &str) -> Run {
    let e = env(policy);
    let p = e.file(name, &bytes);
    let r = e.import(&[&p]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let reason = r
        .artifacts()
        .first()
        .map(|a| a["reason"].clone())
        .unwrap_or(r.input()["reason"].clone());
    assert_eq!(reason, code, "{}", r.stdout);
    e.assert_quarantined(&r, &bytes);
    e.assert_clean_staging();
    r
}

#[test]
fn payload_naming_another_image_is_refused() {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "real");
    let other = oci::image(&mut l, "other");
    let (m, payload) =
        oci::mint_legacy_signature(other["digest"].as_str().unwrap(), "ghcr.io/acme/app:v1");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(img, json!({"kind": "dev.cosignproject.cosign/image"}));
    l.list(sig, json!({"kind": "dev.cosignproject.cosign/sigs"}));
    rejected(
        &all_policy(),
        "swap.tar",
        tar_of(&l),
        "payload-digest-mismatch",
    );
}

#[test]
fn flipped_signature_is_refused() {
    let l = with_edited_signature(|_, layer| {
        let sig = layer["annotations"]["dev.cosignproject.cosign/signature"]
            .as_str()
            .unwrap();
        let mut raw = fs::unb64(sig);
        let n = raw.len();
        raw[n / 2] ^= 1;
        layer["annotations"]["dev.cosignproject.cosign/signature"] = json!(fs::b64(&raw));
    });
    rejected(&all_policy(), "flip.tar", tar_of(&l), "signature-invalid");
}

#[test]
fn signed_entry_timestamp_of_another_entry_is_refused() {
    let (other, _) = oci::mint_legacy_signature(
        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "x/y",
    );
    let l = with_edited_signature(|_, layer| {
        let mut b: Value = serde_json::from_str(
            layer["annotations"]["dev.sigstore.cosign/bundle"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        b["SignedEntryTimestamp"] =
            other.entry()["inclusionPromise"]["signedEntryTimestamp"].clone();
        layer["annotations"]["dev.sigstore.cosign/bundle"] =
            json!(serde_json::to_string(&b).unwrap());
    });
    rejected(&all_policy(), "set.tar", tar_of(&l), "set-invalid");
}

#[test]
fn chain_annotation_naming_an_untrusted_intermediate_is_refused() {
    let l = with_edited_signature(|_, layer| {
        let rogue = &fs::fake().rogue_fulcio;
        let text = format!(
            "{}{}",
            fs::keys::pem("CERTIFICATE", &rogue.inter_cert),
            fs::keys::pem("CERTIFICATE", &rogue.root_cert)
        );
        layer["annotations"]["dev.sigstore.cosign/chain"] = json!(text);
    });
    rejected(
        &all_policy(),
        "chain.tar",
        tar_of(&l),
        "certificate-chain-untrusted",
    );
}

#[test]
fn chain_annotation_with_the_trusted_intermediate_and_root_is_accepted() {
    let e = env(&all_policy());
    let l = with_edited_signature(|_, layer| {
        let ca = &fs::fake().fulcio;
        let text = format!(
            "{}{}",
            fs::keys::pem("CERTIFICATE", &ca.inter_cert),
            fs::keys::pem("CERTIFICATE", &ca.root_cert)
        );
        layer["annotations"]["dev.sigstore.cosign/chain"] = json!(text);
    });
    let r = e.import(&[&e.file("chain-ok.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn dsse_payload_edited_after_signing_is_refused() {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "attested");
    let mut m = oci::mint_attestation(
        img["digest"].as_str().unwrap(),
        "https://slsa.dev/provenance/v1",
        json!({}),
    );
    let payload = fs::unb64(m.bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    let mut st: Value = serde_json::from_slice(&payload).unwrap();
    st["predicate"] = json!({"edited": true});
    m.bundle["dsseEnvelope"]["payload"] = json!(fs::b64(&serde_json::to_vec(&st).unwrap()));
    let att = oci::att_manifest(&mut l, &m);
    l.list(img, json!({"kind": "dev.cosignproject.cosign/image"}));
    l.list(att, json!({"kind": "dev.cosignproject.cosign/atts"}));
    let policy = format!(
        "{}    attestations:\n    - name: p\n      predicateType: slsaprovenance1\n",
        all_policy()
    );
    rejected(&policy, "edited.tar", tar_of(&l), "dsse-signature-invalid");
}

#[test]
fn referrer_whose_subject_is_another_digest_is_not_used() {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "image");
    let stranger = json!({"mediaType": oci::OCI_MANIFEST, "digest": format!("sha256:{}", "ab".repeat(32)), "size": 123});
    let m = oci::mint_new_signature(stranger["digest"].as_str().unwrap());
    oci::bundle_referrer(&mut l, &stranger, &m.bundle);
    l.list(img, json!({"kind": "dev.cosignproject.cosign/image"}));
    let r = rejected(&all_policy(), "stranger.tar", tar_of(&l), "no-signature");
    let orphans = r.input()["orphans"].as_array().unwrap();
    assert!(
        orphans[0]["why"]
            .as_str()
            .unwrap()
            .contains("which this layout does not hold"),
        "{orphans:?}"
    );
}

#[test]
fn missing_manifest_blob_is_refused() {
    let (mut l, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    l.blobs.remove(
        img["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:"),
    );
    rejected(&all_policy(), "missing.tar", tar_of(&l), "blob-missing");
}

#[test]
fn blob_whose_content_differs_from_its_digest_is_refused() {
    let (mut l, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    let m: Value = serde_json::from_slice(
        &l.blobs[img["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:")],
    )
    .unwrap();
    let layer_hex = m["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let n = l.blobs[&layer_hex].len();
    let mut evil = vec![b'E'; n];
    evil[0] = b'!';
    l.blobs.insert(layer_hex, evil);
    rejected(
        &all_policy(),
        "evil-layer.tar",
        tar_of(&l),
        "blob-digest-mismatch",
    );
}

#[test]
fn index_json_naming_a_missing_blob_is_refused() {
    let (mut l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    l.list(json!({"mediaType": oci::OCI_MANIFEST, "digest": format!("sha256:{}", "cd".repeat(32)), "size": 10}), json!({}));
    rejected(&all_policy(), "dangling.tar", tar_of(&l), "blob-missing");
}

#[test]
fn duplicate_manifests_in_index_json_are_refused() {
    let (mut l, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    l.list(
        img.clone(),
        json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    rejected(&all_policy(), "dup.tar", tar_of(&l), "duplicate-manifest");
}

#[test]
fn manifest_cycle_is_refused() {
    // Two indexes naming each other: impossible with honest digests, so the blob names lie;
    // the cycle is found before the digests are checked. Both documents are padded to one size.
    let mut l = oci::Layout::new();
    let a = format!("sha256:{}", "a1".repeat(32));
    let b = format!("sha256:{}", "b2".repeat(32));
    const SIZE: usize = 1000;
    let idx = |child: &str| {
        let mut v = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": [{"mediaType": oci::OCI_INDEX, "digest": child, "size": SIZE}]})).unwrap();
        v.resize(SIZE, b' ');
        v
    };
    l.blobs.insert("a1".repeat(32), idx(&b));
    l.blobs.insert("b2".repeat(32), idx(&a));
    l.list(
        json!({"mediaType": oci::OCI_INDEX, "digest": a, "size": SIZE}),
        json!({}),
    );
    rejected(&all_policy(), "cycle.tar", tar_of(&l), "manifest-cycle");
}

// ---- the policy's edges ----

#[test]
fn no_policy_is_refused_with_exit_2_and_a_clear_message() {
    let e = env(&all_policy());
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let t = e.file("app.tar", &tar_of(&l));
    let out = crate::common::cmd::TestCommand::new(&e.data)
        .arg("import")
        .arg(&t)
        .run()
        .output;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no policy given"), "{err}");
    assert!(!e.data.join("quarantine").exists() && !e.data.join("accepted").exists());
}

#[test]
fn invalid_policy_names_file_line_and_field_before_any_input_is_read() {
    let bad = all_policy().replace("subject:", "subjekt:");
    let e = env(&bad);
    let r = e.import(&[&e.file("app.tar", b"never read")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("policy.yaml:"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("spec.authorities[0].keyless.identities[0]"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("subjekt"), "{}", r.stderr);
    assert_eq!(
        r.json["reason"], "policy-invalid",
        "--json says it too: {}",
        r.stdout
    );
    assert!(!e.data.join("quarantine").exists());
}

#[test]
fn artifact_no_policy_matches_is_refused_and_the_policy_reported() {
    let e = env(&oci::keyless_policy("only-acme", &["ghcr.io/acme/**"]));
    let (l, _) = saved_legacy_image("ghcr.io/other/app:v1");
    let r = e.import(&[&e.file("other.tar", &tar_of(&l))]);
    assert_eq!(r.code, 1);
    assert_eq!(r.artifacts()[0]["reason"], "no-policy-matched");
    assert_eq!(r.json["policiesMatchedNothing"], json!(["only-acme"]));
}

#[test]
fn signed_reference_is_matched_against_the_globs() {
    // The layout names no image; the verified docker-reference does.
    let e = env(&oci::keyless_policy("acme", &["ghcr.io/acme/**"]));
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let r = e.import(&[&e.file("acme.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(
        r.artifacts()[0]["artifact"]["reference"],
        "ghcr.io/acme/app:v1"
    );
}

#[test]
fn signer_of_another_identity_is_refused() {
    let policy = all_policy().replace(
        fs::IDENTITY,
        "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1",
    );
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    rejected(&policy, "other-signer.tar", tar_of(&l), "identity-mismatch");
}

#[test]
fn warn_mode_records_the_failure_without_rejecting() {
    let policy = all_policy()
        .replace(fs::IDENTITY, "https://example.com/someone-else")
        .replace("spec:\n", "spec:\n  mode: warn\n");
    let e = env(&policy);
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let r = e.import(&[&e.file("warned.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let w = r.artifacts()[0]["warnings"][0].as_str().unwrap();
    assert!(
        w.contains("mode: warn") && w.contains("not satisfied"),
        "{w}"
    );
}

#[test]
fn every_matching_policy_must_be_satisfied() {
    let strict = all_policy()
        .replace(fs::IDENTITY, "https://example.com/someone-else")
        .replace("fake-signers", "strict");
    let policy = format!("{}---\n{strict}", all_policy());
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let r = rejected(&policy, "two.tar", tar_of(&l), "identity-mismatch");
    assert!(r.artifacts()[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("policy strict:"));
}

#[test]
fn static_pass_authority_accepts_without_a_signature_and_cue_policy_fails_closed() {
    let pass = "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: allow\nspec:\n  images:\n  - glob: \"**\"\n  authorities:\n  - static:\n      action: pass\n";
    let e = env(pass);
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "unsigned");
    l.list(img, json!({}));
    let t = e.file("unsigned.tar", &tar_of(&l));
    assert_eq!(e.import(&[&t]).code, 0);
    let cue = format!("{pass}  policy:\n    type: cue\n    data: |\n      predicateType: \"x\"\n");
    std::fs::write(&e.policy, cue).unwrap();
    let r = e.import(&[&t]);
    assert_eq!(r.code, 1);
    assert_eq!(r.artifacts()[0]["reason"], "policy-not-evaluable");
}

#[test]
fn managed_key_legacy_signature_satisfies_a_static_key_authority() {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "keyed");
    let digest = img["digest"].as_str().unwrap().to_string();
    let payload = oci::simple_signing(&digest, "ghcr.io/acme/keyed:v1");
    let m = fs::fake().mint(&fs::Spec {
        artifact: payload.clone(),
        ..fs::Spec::v01().managed_key()
    });
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(img, json!({"kind": "dev.cosignproject.cosign/image"}));
    l.list(sig, json!({"kind": "dev.cosignproject.cosign/sigs"}));
    let key = m.key_pem.clone().unwrap().replace('\n', "\n        ");
    let policy = format!("apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: keyed\nspec:\n  images:\n  - glob: \"**\"\n  authorities:\n  - key:\n      data: |\n        {key}\n");
    let e = env(&policy);
    let r = e.import(&[&e.file("keyed.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.artifacts()[0]["identity"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
}
