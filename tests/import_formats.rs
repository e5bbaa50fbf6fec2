//! `airlock import` end to end on every shape of input, from fixtures the fake Sigstore mints:
//! cosign-saved layouts (legacy `.sig` / `.att`, new-format referrers kept only as blobs), image
//! indexes, Helm charts, blobs with bundles, HMAC proof records, `.tar.gz` and `.tar.zst`, and
//! each defect on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod import_support;

use import_support::*;
use serde_json::json;

#[test]
fn cosign_saved_image_with_legacy_signature_is_accepted_as_a_tar() {
    let e = env(&all_policy());
    let (l, img) = saved_legacy_image("ghcr.io/acme/app:v1");
    let tarball = e.file("app.tar", &oci::tar(&l.files("")));
    let r = e.import(&[&tarball]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = &r.artifacts()[0];
    assert_eq!(a["verdict"], "accepted");
    assert_eq!(a["artifact"]["digest"], img["digest"]);
    assert_eq!(a["artifact"]["kind"], "image");
    assert_eq!(a["identity"], fs::IDENTITY);
    assert_eq!(a["evidence"][0]["kind"], "cosign-signature");
    assert_eq!(a["evidence"][0]["dockerReference"], "ghcr.io/acme/app:v1");
    assert_eq!(
        r.input()["tarball"]["sha256"],
        hex::encode(fs::sha256(&std::fs::read(&tarball).unwrap()))
    );
    assert!(r.json["importId"].as_str().is_some());
    assert!(r.json["trustRoot"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(r.json["policy"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let kept = r.input()["keptAt"].as_str().unwrap();
    assert!(kept.contains("/accepted/"), "{kept}");
    assert_eq!(
        std::fs::read(kept).unwrap(),
        std::fs::read(&tarball).unwrap()
    );
    assert!(std::path::Path::new(&format!("{kept}.contents/index.json")).is_file());
    e.assert_clean_staging();
}

#[test]
fn new_format_referrer_kept_only_as_a_blob_is_found_by_its_subject() {
    let e = env(&all_policy());
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "new-format");
    let m = oci::mint_new_signature(img["digest"].as_str().unwrap());
    // cosign save rewrites index.json for the image last: the referrer is only a blob.
    oci::bundle_referrer(&mut l, &img, &m.bundle);
    l.list(
        img.clone(),
        json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    let t = e.file("new.tar.gz", &oci::gz(&oci::tar(&l.files(""))));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = &r.artifacts()[0];
    assert_eq!(a["evidence"][0]["kind"], "sigstore-bundle");
    assert!(a["evidence"][0]["origin"]
        .as_str()
        .unwrap()
        .contains("referrer found by its subject"));
    assert_eq!(r.input()["tarball"]["format"], "tar.gz");
}

#[test]
fn image_without_any_signature_says_where_airlock_looked() {
    let e = env(&all_policy());
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "unsigned");
    l.list(img, json!({}));
    let bytes = oci::tar(&l.files(""));
    let t = e.file("unsigned.tar", &bytes);
    let r = e.import(&[&t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let a = &r.artifacts()[0];
    assert_eq!(a["reason"], "no-signature");
    let m = a["message"].as_str().unwrap();
    assert!(
        m.contains("no signature: searched the .sig and .att tags"),
        "{m}"
    );
    assert!(m.contains("referrers by subject"), "{m}");
    e.assert_quarantined(&r, &bytes);
    e.assert_clean_staging();
}
