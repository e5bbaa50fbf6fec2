//! What real tools put on the stick, written by the fake Sigstore in each tool's shape (the
//! shapes read from cosign's, Docker's, Hauler's and Zarf's sources): image names from every
//! source, cosign v3 referrers, partial multi-platform exports, `docker save` of every era,
//! Hauler hauls of both kind prefixes, signed Zarf packages, and each tamper or naming edge that
//! must still be refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::import_support;

use import_support::*;
use serde_json::{json, Value};

const APP: &str = "ghcr.io/acme/app:v1";

fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    oci::tar(files)
}

fn acme_policy() -> String {
    oci::keyless_policy("acme", &["ghcr.io/acme/app*"])
}

fn references(a: &Value) -> Vec<(String, String)> {
    a["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `cosign save` of an image signed by cosign v3: the index names nothing, the bundle referrer
/// (a DSSE `cosign/sign/v1` statement) is kept only as a blob.
fn cosign_v3_saved(seed: &str) -> (oci::Layout, Value) {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, seed);
    let m = oci::mint_new_signature(img["digest"].as_str().unwrap());
    oci::bundle_referrer(&mut l, &img, &m.bundle);
    l.list(
        img.clone(),
        json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    (l, img)
}

// ---- names ----

#[test]
fn cosign_v3_image_without_a_name_is_refused_with_how_to_name_it() {
    let e = env(&acme_policy());
    let (l, _) = cosign_v3_saved("v3");
    let t = e.file("v3.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let a = &r.artifacts()[0];
    assert_eq!(a["reason"], "no-policy-matched");
    assert!(
        a["message"].as_str().unwrap().contains("--image REF"),
        "{a}"
    );
}

#[test]
fn cosign_v3_image_named_by_the_operator_verifies_under_a_repository_scoped_policy() {
    let e = env(&acme_policy());
    let (l, img) = cosign_v3_saved("v3");
    let t = e.file("v3.tar", &tar_of(&l.files("")));
    let r = e.import_with(&[&t], &["--image", APP]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = &r.artifacts()[0];
    assert_eq!(a["artifact"]["digest"], img["digest"]);
    assert_eq!(a["artifact"]["reference"], APP);
    assert_eq!(a["policies"][0]["name"], "acme");
    assert!(references(a).contains(&(APP.into(), "operator".into())));
    assert_eq!(
        a["evidence"][0]["predicate"]["predicateType"],
        oci::COSIGN_SIGN
    );
    // The ledger keeps the name and its source.
    let q = crate::common::cmd::TestCommand::new(&e.data)
        .args(["query", "--json"])
        .run()
        .output;
    let text = String::from_utf8_lossy(&q.stdout);
    assert!(
        text.contains("\"source\": \"operator\"") || text.contains("\"source\":\"operator\""),
        "{text}"
    );
}

#[test]
fn image_flag_is_a_usage_error_with_several_inputs_or_several_unnamed_images() {
    let e = env(&acme_policy());
    let (l, _) = cosign_v3_saved("one");
    let t = e.file("one.tar", &tar_of(&l.files("")));
    let r = e.import_with(&[&t, &t], &["--image", APP]);
    assert_eq!(r.code, 2, "{}", r.stdout);

    let mut two = oci::Layout::new();
    let a = oci::image(&mut two, "a");
    let b = oci::image(&mut two, "b");
    two.list(a.clone(), json!({}));
    two.list(b.clone(), json!({}));
    let t2 = e.file("two.tar", &tar_of(&two.files("")));
    let r = e.import_with(&[&t2], &["--image", APP]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("image-name-ambiguous"), "{}", r.stderr);
    assert!(
        r.stderr.contains(a["digest"].as_str().unwrap()),
        "{}",
        r.stderr
    );
    // Nothing was kept or recorded for an input that was not imported.
    assert!(
        !e.data.join("quarantine").exists()
            || std::fs::read_dir(e.data.join("quarantine"))
                .unwrap()
                .next()
                .is_none()
    );
}

/// A legacy-signed image listed in `index.json` with `annotations`.
fn signed_with_annotations(annotations: Value) -> (oci::Layout, Value) {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "named");
    let digest = img["digest"].as_str().unwrap().to_string();
    let (m, payload) = oci::mint_legacy_signature(&digest, "");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(img.clone(), annotations);
    let tag = format!("{}.sig", digest.replace(':', "-"));
    l.list(sig, json!({"org.opencontainers.image.ref.name": tag}));
    (l, img)
}

#[test]
fn every_layout_annotation_names_an_image_but_a_bare_tag_does_not() {
    for (key, value, named) in [
        ("io.containerd.image.name", APP, true),
        ("org.opencontainers.image.ref.name", APP, true),
        ("org.opencontainers.image.base.name", APP, true),
        ("org.opencontainers.image.ref.name", "v1", false),
    ] {
        let e = env(&acme_policy());
        let (l, _) = signed_with_annotations(json!({ key: value }));
        let t = e.file("n.tar", &tar_of(&l.files("")));
        let r = e.import(&[&t]);
        let a = &r.artifacts()[0];
        if named {
            assert_eq!(r.code, 0, "{key}: {}", r.stdout);
            assert!(
                references(a).contains(&(APP.into(), "layout".into())),
                "{a}"
            );
        } else {
            assert_eq!(a["reason"], "no-policy-matched", "{key}={value}: {a}");
        }
    }
}

#[test]
fn one_manifest_under_two_names_is_one_artifact_with_both_names_not_a_duplicate() {
    // crane-era Zarf writes each name as its own entry with only `base.name`.
    let e = env(&oci::keyless_policy("acme", &["ghcr.io/acme/**"]));
    let (mut l, img) = signed_with_annotations(json!({"org.opencontainers.image.base.name": APP}));
    l.list(
        img.clone(),
        json!({"org.opencontainers.image.base.name": "ghcr.io/acme/app:latest"}),
    );
    let t = e.file("two-names.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.artifacts().len(), 1);
    let names = r.artifacts()[0]["names"].as_array().unwrap().clone();
    assert!(
        names.contains(&json!(APP)) && names.contains(&json!("ghcr.io/acme/app:latest")),
        "{names:?}"
    );
}

#[test]
fn every_policy_matching_any_name_applies() {
    // Two names, two policies: the second (another identity) must also be satisfied.
    let other = oci::keyless_policy("acme", &["ghcr.io/acme/app*"])
        .replace(fs::IDENTITY, "someone-else@example.com")
        .replace("name: acme", "name: strict");
    let policy = format!(
        "{}---\n{}",
        oci::keyless_policy("acme", &["ghcr.io/acme/app*"]),
        other.replace("ghcr.io/acme/app*", "mirror.example/**")
    );
    let e = env(&policy);
    let (mut l, img) = signed_with_annotations(json!({"io.containerd.image.name": APP}));
    l.list(
        img,
        json!({"io.containerd.image.name": "mirror.example/acme/app:v1"}),
    );
    let t = e.file("n.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.artifacts()[0]["policies"].as_array().unwrap().len(), 2);
}

#[test]
fn attest_build_provenance_names_the_image_in_its_signed_subject() {
    let policy = format!(
        "{}    attestations:\n    - name: provenance\n      predicateType: slsaprovenance1\n",
        acme_policy()
    );
    let e = env(&policy);
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "attested");
    let hex = img["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let spec = fs::Spec {
        statement: Some(fs::statement(
            "ghcr.io/acme/app",
            &hex,
            "https://slsa.dev/provenance/v1",
            json!({"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"}, "runDetails": {"builder": {"id": "https://github.com/actions/runner"}}}),
        )),
        ..fs::Spec::v03().dsse()
    };
    let m = fs::fake().mint(&spec);
    oci::bundle_referrer(&mut l, &img, &m.bundle);
    l.list(img, json!({}));
    let t = e.file("attested.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let a = &r.artifacts()[0];
    assert!(
        references(a).contains(&("ghcr.io/acme/app".into(), "statement-subject".into())),
        "{a}"
    );
}

#[test]
fn a_signed_name_of_another_repository_is_reported_not_rejected() {
    let e = env(&oci::keyless_policy("all", &["**"]));
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "mirrored");
    let digest = img["digest"].as_str().unwrap().to_string();
    let (m, payload) = oci::mint_legacy_signature(&digest, "ghcr.io/acme/app");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        img,
        json!({"io.containerd.image.name": "registry.plant.local/other/app:v1"}),
    );
    l.list(
        sig,
        json!({"org.opencontainers.image.ref.name": format!("{}.sig", digest.replace(':', "-"))}),
    );
    let t = e.file("m.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let a = &r.artifacts()[0];
    assert!(references(a).contains(&("ghcr.io/acme/app".into(), "signed-payload".into())));
    let w = a["warnings"].to_string();
    assert!(
        w.contains("name-disagreement") && w.contains("registry.plant.local/other/app"),
        "{w}"
    );
}

// ---- partial multi-platform exports ----

fn platform(d: &Value, arch: &str) -> Value {
    let mut d = d.clone();
    d["platform"] = json!({"os": "linux", "architecture": arch});
    d
}

/// `docker save` with the containerd store: the whole index, one platform's manifest and blobs.
fn partial_export(drop_layer_of_present: bool) -> (oci::Layout, Value, String) {
    let mut l = oci::Layout::new();
    let amd = oci::image(&mut l, "amd64");
    let mut full = oci::Layout::new();
    let arm = oci::image(&mut full, "arm64");
    let index = l.index_of(vec![platform(&amd, "amd64"), platform(&arm, "arm64")]);
    let digest = index["digest"].as_str().unwrap().to_string();
    let (m, payload) = oci::mint_legacy_signature(&digest, APP);
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        index.clone(),
        json!({"io.containerd.image.name": APP, "org.opencontainers.image.ref.name": "v1"}),
    );
    l.list(
        sig,
        json!({"org.opencontainers.image.ref.name": format!("{}.sig", digest.replace(':', "-"))}),
    );
    if drop_layer_of_present {
        let layer_hex = l
            .blobs
            .iter()
            .find(|(_, b)| b.starts_with(&[0x1f, 0x8b]))
            .map(|(h, _)| h.clone())
            .unwrap();
        l.blobs.remove(&layer_hex);
    }
    (l, index, arm["digest"].as_str().unwrap().to_string())
}

#[test]
fn partial_multi_platform_export_accepts_the_platforms_present_and_names_the_absent() {
    let e = env(&acme_policy());
    let (l, index, arm) = partial_export(false);
    let t = e.file("partial.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = &r.artifacts()[0];
    assert_eq!(a["artifact"]["digest"], index["digest"]);
    assert_eq!(a["artifact"]["platforms"].as_array().unwrap().len(), 1);
    assert_eq!(
        a["artifact"]["platformsAbsent"],
        json!([{"digest": arm, "platform": "linux/arm64"}])
    );
    assert!(a["warnings"].to_string().contains("platforms-absent"));
}

#[test]
fn a_missing_blob_of_a_present_platform_is_still_blob_missing() {
    let e = env(&acme_policy());
    let (l, _, _) = partial_export(true);
    let bytes = tar_of(&l.files(""));
    let t = e.file("broken.tar", &bytes);
    let r = e.import(&[&t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.input()["reason"], "blob-missing");
    e.assert_quarantined(&r, &bytes);
}

// ---- docker save ----

fn config_and_layer(l: &mut oci::Layout, seed: &str) -> (Value, Value, Value) {
    let m = oci::image(l, seed);
    let manifest: Value = serde_json::from_slice(
        &l.blobs[m["digest"].as_str().unwrap().trim_start_matches("sha256:")],
    )
    .unwrap();
    (m, manifest["config"].clone(), manifest["layers"][0].clone())
}

fn blob_path(d: &Value) -> String {
    format!(
        "blobs/sha256/{}",
        d["digest"].as_str().unwrap().trim_start_matches("sha256:")
    )
}

#[test]
fn docker_25_0_null_manifests_are_read_from_manifest_json() {
    let e = env("apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: acme\nspec:\n  images:\n  - glob: \"ghcr.io/acme/**\"\n  authorities:\n  - static:\n      action: pass\n");
    let mut l = oci::Layout::new();
    let (m, config, layer) = config_and_layer(&mut l, "docker25");
    let mut files: Vec<(String, Vec<u8>)> = l
        .files("")
        .into_iter()
        .filter(|(p, _)| p != "index.json")
        .collect();
    files.push(("index.json".into(), br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}"#.to_vec()));
    files.push(("manifest.json".into(), serde_json::to_vec(&json!([{"Config": blob_path(&config), "RepoTags": [APP], "Layers": [blob_path(&layer)]}])).unwrap()));
    files.push((
        "repositories".into(),
        br#"{"ghcr.io/acme/app":{"v1":"x"}}"#.to_vec(),
    ));
    let t = e.file("docker25.tar", &tar_of(&files));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.artifacts().len(),
        1,
        "manifest.json and repositories are not blobs"
    );
    assert_eq!(r.artifacts()[0]["artifact"]["digest"], m["digest"]);
    assert_eq!(r.artifacts()[0]["artifact"]["reference"], APP);
}

#[test]
fn docker_25_export_is_named_by_containerd_name_and_repo_tags() {
    let e = env(&acme_policy());
    let (mut l, img) = signed_with_annotations(
        json!({"io.containerd.image.name": "docker.io/library/alpine:3.20", "org.opencontainers.image.ref.name": "3.20"}),
    );
    let manifest: Value = serde_json::from_slice(
        &l.blobs[img["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:")],
    )
    .unwrap();
    let mut files = l.files("");
    files.push(("manifest.json".into(), serde_json::to_vec(&json!([{"Config": blob_path(&manifest["config"]), "RepoTags": ["alpine:3.20", APP], "Layers": [blob_path(&manifest["layers"][0])]}])).unwrap()));
    l.index.clear();
    let t = e.file("docker.tar", &tar_of(&files));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let refs = references(&r.artifacts()[0]);
    assert!(
        refs.contains(&("docker.io/library/alpine:3.20".into(), "layout".into())),
        "{refs:?}"
    );
    assert!(refs.contains(&(APP.into(), "layout".into())), "{refs:?}");
}

#[test]
fn legacy_docker_save_is_refused_by_its_tags_not_taken_as_loose_blobs() {
    let e = env(&oci::keyless_policy("all", &["**"]));
    let config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let hex = hex::encode(fs::sha256(&config));
    let files = vec![
        ("manifest.json".to_string(), serde_json::to_vec(&json!([{"Config": format!("{hex}.json"), "RepoTags": ["alpine:3.20"], "Layers": ["abc/layer.tar"]}])).unwrap()),
        ("repositories".to_string(), br#"{"alpine":{"3.20":"abc"}}"#.to_vec()),
        (format!("{hex}.json"), config),
        ("abc/layer.tar".to_string(), oci::tar(&[("etc/os-release".into(), b"ID=alpine\n".to_vec())])),
        ("abc/VERSION".to_string(), b"1.0".to_vec()),
        ("abc/json".to_string(), b"{}".to_vec()),
    ];
    let bytes = tar_of(&files);
    let t = e.file("legacy.tar", &bytes);
    let r = e.import(&[&t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.artifacts().len(), 1, "{}", r.stdout);
    let a = &r.artifacts()[0];
    assert_eq!(a["reason"], "legacy-docker-save");
    assert_eq!(a["artifact"]["kind"], "docker-image");
    assert_eq!(a["artifact"]["digest"], format!("sha256:{hex}"));
    assert!(a["message"]
        .as_str()
        .unwrap()
        .contains("docker.io/library/alpine:3.20"));
    assert!(a["message"].as_str().unwrap().contains("skopeo"));
    e.assert_quarantined(&r, &bytes);
}

// ---- Hauler ----

/// A haul of two images, each with a legacy signature and an attestation stored under the
/// image's own name (told apart by `kind`), an SBOM, and a file.
fn haul(prefix: &str) -> oci::Layout {
    let mut l = oci::Layout::new();
    for name in ["ghcr.io/acme/app:v1", "ghcr.io/acme/tool:v2"] {
        let img = oci::image(&mut l, name);
        let digest = img["digest"].as_str().unwrap().to_string();
        let (m, payload) = oci::mint_legacy_signature(&digest, name);
        let sig = oci::sig_manifest(&mut l, &m, &payload, None);
        let att = oci::mint_attestation(
            &digest,
            "https://slsa.dev/provenance/v1",
            json!({"buildDefinition": {"buildType": "x"}, "runDetails": {"builder": {"id": "https://builder.test"}}}),
        );
        let att = oci::att_manifest(&mut l, &att);
        let sbom = oci::image(&mut l, &format!("sbom of {name}"));
        let short = name.trim_start_matches("ghcr.io/");
        let ann = |kind: &str| json!({"kind": format!("{prefix}/{kind}"), "org.opencontainers.image.ref.name": short, "io.containerd.image.name": name});
        l.list(img, ann("image"));
        l.list(sig, ann("sigs"));
        l.list(att, ann("atts"));
        l.list(sbom, ann("sboms"));
    }
    l
}

fn provenance_policy() -> String {
    format!(
        "{}    attestations:\n    - name: provenance\n      predicateType: slsaprovenance1\n",
        oci::keyless_policy("acme", &["ghcr.io/acme/**"])
    )
}

#[test]
fn hauler_hauls_of_both_kind_prefixes_bind_evidence_by_name() {
    for prefix in ["dev.hauler", "dev.cosignproject.cosign"] {
        for policy in [
            oci::keyless_policy("acme", &["ghcr.io/acme/**"]),
            provenance_policy(),
        ] {
            let e = env(&policy);
            let l = haul(prefix);
            let t = e.file("haul.tar.zst", &oci::zst(&tar_of(&l.files(""))));
            let r = e.import(&[&t]);
            assert_eq!(r.code, 0, "{prefix}: {}\n{}", r.stdout, r.stderr);
            assert_eq!(
                r.artifacts().len(),
                2,
                "SBOMs, signatures and attestations are not artifacts"
            );
            for a in r.artifacts() {
                assert!(a["artifact"]["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("ghcr.io/acme/"));
            }
        }
    }
}

#[test]
fn hauler_file_is_an_artifact_of_kind_file() {
    let e = env(&oci::keyless_policy("all", &["**"]));
    let mut l = oci::Layout::new();
    let config = l.put(
        "application/vnd.content.hauler.file.local.config.v1+json",
        b"{}".to_vec(),
    );
    let layer = l.put(
        "application/vnd.content.hauler.file.layer.v1",
        b"payload".to_vec(),
    );
    let f = l.manifest(config, vec![layer], None, None);
    l.list(f, json!({"kind": "dev.hauler/image", "org.opencontainers.image.ref.name": "hauler/install.sh:latest"}));
    let t = e.file("files.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.artifacts()[0]["artifact"]["kind"], "file");
    assert_eq!(r.artifacts()[0]["reason"], "no-signature");
}

#[test]
fn the_same_bytes_in_another_entry_order_get_the_same_verdict() {
    let l = haul("dev.hauler");
    let files = l.files("");
    let mut reversed = files.clone();
    reversed.reverse();
    let mut seen = Vec::new();
    for (n, f) in [files, reversed].iter().enumerate() {
        let e = env(&provenance_policy());
        let t = e.file(&format!("haul-{n}.tar"), &tar_of(f));
        let r = e.import(&[&t]);
        let mut v: Vec<(String, String)> = r
            .artifacts()
            .iter()
            .map(|a| {
                (
                    a["artifact"]["digest"].to_string(),
                    a["verdict"].to_string(),
                )
            })
            .collect();
        v.sort();
        seen.push((r.code, v));
    }
    assert_eq!(seen[0], seen[1]);
}

// ---- loose ends ----

#[test]
fn an_unused_bundle_of_a_jsonl_file_names_the_file() {
    let e = env(&oci::keyless_policy("all", &["**"]));
    let m = fs::fake().mint(&fs::Spec::v03());
    let dir = e.dir.path().join("blobs-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("other.bin"), b"other").unwrap();
    std::fs::write(dir.join("attestations.jsonl"), format!("{}\n", m.bundle)).unwrap();
    let r = e.import(&[&dir]);
    let orphans = r.input()["orphans"].to_string();
    assert!(orphans.contains("attestations.jsonl"), "{orphans}");
    assert!(!orphans.contains("no file ''"), "{orphans}");
}

#[test]
fn a_signature_of_an_image_absent_from_the_layout_is_reported_once() {
    let e = env(&acme_policy());
    let (mut l, _) = signed_with_annotations(json!({"io.containerd.image.name": APP}));
    let absent = format!("sha256:{}", "cd".repeat(32));
    let (m, payload) = oci::mint_legacy_signature(&absent, APP);
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        sig,
        json!({"org.opencontainers.image.ref.name": format!("{}.sig", absent.replace(':', "-"))}),
    );
    let t = e.file("orphan.tar", &tar_of(&l.files("")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let orphans = r.input()["orphans"].as_array().unwrap();
    assert_eq!(orphans.len(), 1, "{orphans:?}");
    assert!(orphans[0]["why"]
        .as_str()
        .unwrap()
        .contains("does not hold"));
}

// ---- Zarf ----

enum Sig {
    Keyless,
    KeyBundle,
    KeyBundleOtherKey,
    LegacyKey,
    None,
}

fn zarf_yaml(aggregate: &str, signed: bool) -> Vec<u8> {
    format!(
        "kind: ZarfPackageConfig\nmetadata:\n  name: demo\n  version: 1.2.3\n  aggregateChecksum: {aggregate}\nbuild:\n  architecture: amd64\n  version: v0.49.0\n  signed: {signed}\ncomponents:\n- name: app\n  images:\n  - {APP}\n"
    )
    .into_bytes()
}

/// A key-signed Zarf bundle over `zarf.yaml`: a v0.3 message signature with a public-key hint and
/// no log entry (Zarf skips the log for keys, for air-gap).
fn key_bundle(yaml: &[u8], other: bool) -> Vec<u8> {
    let f = fs::fake();
    let key = if other {
        &f.other_managed_key
    } else {
        &f.managed_key
    };
    serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "zarf"}},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": fs::b64(&fs::sha256(yaml))},
            "signature": fs::b64(&key.sign(yaml)),
        },
    }))
    .unwrap()
}

/// A Zarf package: `zarf.yaml`, `checksums.txt`, an `images/` layout (crane-era: names only in
/// `base.name`), a component tarball, `sboms.tar`, and its signature; `tamper` edits the files
/// after signing.
fn zarf_package(sig: Sig, tamper: impl Fn(&mut Vec<(String, Vec<u8>)>)) -> Vec<u8> {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "zarf image");
    l.list(img, json!({"org.opencontainers.image.base.name": APP}));
    let mut files: Vec<(String, Vec<u8>)> = l.files("images/");
    files.push((
        "components/app.tar".into(),
        oci::tar(&[("manifests/app.yaml".into(), b"kind: Deployment\n".to_vec())]),
    ));
    files.push((
        "sboms.tar".into(),
        oci::tar(&[("app.json".into(), b"{}".to_vec())]),
    ));
    let mut sums = String::new();
    for (p, b) in &files {
        sums.push_str(&format!("{} {p}\n", hex::encode(fs::sha256(b))));
    }
    let sums = sums.into_bytes();
    let yaml = zarf_yaml(&hex::encode(fs::sha256(&sums)), !matches!(sig, Sig::None));
    match sig {
        Sig::Keyless => {
            let m = fs::fake().mint(&fs::Spec {
                artifact: yaml.clone(),
                ..fs::Spec::v03()
            });
            files.push((
                "zarf.bundle.sig".into(),
                serde_json::to_vec(&m.bundle).unwrap(),
            ));
        }
        Sig::KeyBundle => files.push(("zarf.bundle.sig".into(), key_bundle(&yaml, false))),
        Sig::KeyBundleOtherKey => files.push(("zarf.bundle.sig".into(), key_bundle(&yaml, true))),
        Sig::LegacyKey => files.push((
            "zarf.yaml.sig".into(),
            fs::b64(&fs::fake().managed_key.sign(&yaml)).into_bytes(),
        )),
        Sig::None => {}
    }
    files.push(("checksums.txt".into(), sums));
    files.push(("zarf.yaml".into(), yaml));
    tamper(&mut files);
    oci::zst(&tar_of(&files))
}

fn key_policy(glob: &str) -> String {
    let key = fs::fake()
        .managed_key
        .public_pem()
        .replace('\n', "\n        ");
    format!("apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: zarf-key\nspec:\n  images:\n  - glob: \"{glob}\"\n  authorities:\n  - key:\n      data: |\n        {key}\n")
}

fn import_zarf(policy: &str, bytes: &[u8]) -> (Run, Value) {
    let e = env(policy);
    let t = e.file("zarf-package-demo-amd64-1.2.3.tar.zst", bytes);
    let r = e.import(&[&t]);
    let pkg = r
        .artifacts()
        .iter()
        .find(|a| a["artifact"]["kind"] == "zarf-package")
        .cloned()
        .unwrap_or_else(|| panic!("no package: {}\n{}", r.stdout, r.stderr));
    (r, pkg)
}

#[test]
fn zarf_packages_signed_each_way_verify_and_cover_their_images() {
    let keyless = oci::keyless_policy("zarf", &["demo:*"]);
    for (sig, policy) in [
        (Sig::KeyBundle, key_policy("demo:*")),
        (Sig::LegacyKey, key_policy("demo*")),
        (Sig::Keyless, keyless),
    ] {
        let (r, pkg) = import_zarf(&policy, &zarf_package(sig, |_| {}));
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert_eq!(pkg["artifact"]["name"], "demo:1.2.3");
        let img = r
            .artifacts()
            .iter()
            .find(|a| a["artifact"]["kind"] == "image")
            .unwrap();
        assert_eq!(img["verdict"], "accepted");
        assert_eq!(img["artifact"]["coveredBy"], "zarf-package demo:1.2.3");
        assert!(
            references(img).contains(&(APP.into(), "layout".into())),
            "{img}"
        );
        assert_eq!(
            r.artifacts().len(),
            2,
            "components, SBOMs and checksums are the package's"
        );
    }
}

#[test]
fn zarf_tampers_are_each_refused_for_their_reason() {
    type Tamper = Box<dyn Fn(&mut Vec<(String, Vec<u8>)>)>;
    let cases: Vec<(&str, Tamper)> = vec![
        (
            "zarf-file-mismatch",
            Box::new(|f| {
                f.iter_mut()
                    .find(|(p, _)| p == "components/app.tar")
                    .unwrap()
                    .1
                    .push(0)
            }),
        ),
        (
            "zarf-file-extra",
            Box::new(|f| f.push(("components/extra.tar".into(), b"x".to_vec()))),
        ),
        (
            "zarf-file-missing",
            Box::new(|f| f.retain(|(p, _)| p != "sboms.tar")),
        ),
        (
            "zarf-aggregate-mismatch",
            Box::new(|f| {
                f.iter_mut()
                    .find(|(p, _)| p == "checksums.txt")
                    .unwrap()
                    .1
                    .extend_from_slice(b"\n")
            }),
        ),
        (
            "signature-invalid",
            Box::new(|f| {
                f.iter_mut()
                    .find(|(p, _)| p == "zarf.yaml")
                    .unwrap()
                    .1
                    .extend_from_slice(b"# edited\n")
            }),
        ),
    ];
    for (code, tamper) in cases {
        let (r, pkg) = import_zarf(&key_policy("demo*"), &zarf_package(Sig::KeyBundle, tamper));
        assert_eq!(r.code, 1, "{code}: {}", r.stdout);
        let got = pkg["reason"].as_str().unwrap_or_default().to_string();
        assert!(
            got == code || (code == "signature-invalid" && got.contains("mismatch")),
            "{code}: got {got}: {pkg}"
        );
        let img = r
            .artifacts()
            .iter()
            .find(|a| a["artifact"]["kind"] == "image");
        if let Some(img) = img {
            assert_eq!(img["verdict"], "rejected");
            assert_eq!(img["reason"], "zarf-package-rejected");
        }
    }
}

#[test]
fn zarf_image_blob_edited_after_signing_refuses_the_whole_package() {
    let bytes = zarf_package(Sig::KeyBundle, |f| {
        let blob = f
            .iter_mut()
            .find(|(p, _)| p.starts_with("images/blobs/"))
            .unwrap();
        blob.1[0] ^= 1;
    });
    let e = env(&key_policy("demo*"));
    let t = e.file("zarf-package-demo-amd64-1.2.3.tar.zst", &bytes);
    let r = e.import(&[&t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // The layout's own digest check sees it first; checksums.txt would too.
    assert_eq!(r.input()["reason"], "blob-digest-mismatch", "{}", r.stdout);
    e.assert_quarantined(&r, &bytes);
}

#[test]
fn zarf_package_signed_by_another_key_is_refused() {
    let (r, pkg) = import_zarf(
        &key_policy("demo*"),
        &zarf_package(Sig::KeyBundleOtherKey, |_| {}),
    );
    assert_eq!(r.code, 1);
    assert_eq!(pkg["verdict"], "rejected", "{pkg}");
}

#[test]
fn unsigned_zarf_package_passes_only_a_static_pass_authority() {
    let (r, pkg) = import_zarf(&key_policy("demo*"), &zarf_package(Sig::None, |_| {}));
    assert_eq!(r.code, 1);
    assert_eq!(pkg["reason"], "no-signature", "{pkg}");
    let pass = "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: allow\nspec:\n  images:\n  - glob: \"demo*\"\n  authorities:\n  - static:\n      action: pass\n";
    let (r, _) = import_zarf(pass, &zarf_package(Sig::None, |_| {}));
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn crane_era_signature_tag_named_only_in_base_name_is_evidence_not_an_image() {
    // crane and Zarf <= 0.49 write every name, the `.sig` tag's too, only in `base.name`.
    let e = env(&acme_policy());
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "crane");
    let digest = img["digest"].as_str().unwrap().to_string();
    let (m, payload) = oci::mint_legacy_signature(&digest, APP);
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(img, json!({"org.opencontainers.image.base.name": APP}));
    l.list(
        sig,
        json!({"org.opencontainers.image.base.name": format!("ghcr.io/acme/app:{}.sig", digest.replace(':', "-"))}),
    );
    let t = e.file("crane.tar", &tar_of(&l.files("images/")));
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.artifacts().len(), 1, "{}", r.stdout);
    assert_eq!(r.artifacts()[0]["evidence"][0]["kind"], "cosign-signature");
}

#[test]
fn a_docker_hub_short_name_given_by_the_operator_is_recorded_in_full() {
    let e = env(&oci::keyless_policy("hub", &["docker.io/library/alpine*"]));
    let (l, _) = cosign_v3_saved("hub");
    let t = e.file("hub.tar", &tar_of(&l.files("")));
    let r = e.import_with(&[&t], &["--image", "alpine:3.20"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(references(&r.artifacts()[0])
        .contains(&("docker.io/library/alpine:3.20".into(), "operator".into())));
}
