//! `airlock import` end to end on every shape of input, from fixtures the fake Sigstore mints:
//! cosign-saved layouts (legacy `.sig` / `.att`, new-format referrers kept only as blobs), image
//! indexes, Helm charts, blobs with bundles, HMAC proof records, `.tar.gz` and `.tar.zst`, and
//! each defect on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::import_support;

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

fn tar_of(l: &oci::Layout) -> Vec<u8> {
    oci::tar(&l.files(""))
}

fn policy_requiring(predicate: &str) -> String {
    format!(
        "{}    attestations:\n    - name: provenance\n      predicateType: {predicate}\n",
        all_policy()
    )
}

fn slsa_predicate() -> serde_json::Value {
    json!({
        "buildDefinition": {"buildType": "https://fake.test/build/v1", "externalParameters": {}},
        "runDetails": {"builder": {"id": "https://fake.test/builder"}}
    })
}

#[test]
fn legacy_attestation_satisfies_an_authority_that_requires_it_without_a_signature() {
    let e = env(&policy_requiring("slsaprovenance1"));
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "attested");
    let m = oci::mint_attestation(
        img["digest"].as_str().unwrap(),
        "https://slsa.dev/provenance/v1",
        slsa_predicate(),
    );
    let att = oci::att_manifest(&mut l, &m);
    l.list(
        img.clone(),
        json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    l.list(att, json!({"kind": "dev.cosignproject.cosign/atts"}));
    let r = e.import(&[&e.file("att.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = &r.artifacts()[0];
    assert_eq!(
        a["predicateTypes"],
        json!(["https://slsa.dev/provenance/v1"])
    );
    assert_eq!(
        a["evidence"][0]["predicate"]["slsa"]["builderId"],
        "https://fake.test/builder"
    );
}

#[test]
fn required_attestation_missing_is_refused_even_with_a_signature() {
    let e = env(&policy_requiring("cyclonedx"));
    let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let r = e.import(&[&e.file("sig-only.tar", &tar_of(&l))]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.artifacts()[0]["reason"], "attestation-missing");
    assert!(r.artifacts()[0]["message"]
        .as_str()
        .unwrap()
        .contains("https://cyclonedx.org/bom"));
}

#[test]
fn image_index_signed_on_its_digest_is_accepted_with_its_platforms() {
    let e = env(&all_policy());
    let mut l = oci::Layout::new();
    let amd = oci::image(&mut l, "amd64");
    let arm = oci::image(&mut l, "arm64");
    let idx = l.index_of(vec![amd.clone(), arm.clone()]);
    let (m, payload) =
        oci::mint_legacy_signature(idx["digest"].as_str().unwrap(), "ghcr.io/acme/multi:v2");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        idx.clone(),
        json!({"kind": "dev.cosignproject.cosign/imageIndex"}),
    );
    l.list(sig, json!({"kind": "dev.cosignproject.cosign/sigs"}));
    let r = e.import(&[&e.file("multi.tar.zst", &oci::zst(&tar_of(&l)))]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = &r.artifacts()[0];
    assert_eq!(a["artifact"]["kind"], "image-index");
    assert_eq!(
        a["artifact"]["platforms"],
        json!([amd["digest"], arm["digest"]])
    );
    assert_eq!(r.input()["tarball"]["format"], "tar.zst");
}

#[test]
fn helm_chart_is_matched_by_its_chart_name() {
    let e = env(&oci::keyless_policy("charts", &["mychart"]));
    let mut l = oci::Layout::new();
    let chart = oci::helm_chart(&mut l, "mychart", "1.2.3");
    let m = oci::mint_new_signature(chart["digest"].as_str().unwrap());
    let referrer = oci::bundle_referrer(&mut l, &chart, &m.bundle);
    l.list(
        chart.clone(),
        json!({"org.opencontainers.image.ref.name": "1.2.3"}),
    );
    l.list(referrer, json!({}));
    let r = e.import(&[&e.file("chart.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = &r.artifacts()[0];
    assert_eq!(a["artifact"]["kind"], "helm-chart");
    assert_eq!(
        a["artifact"]["chart"],
        json!({"name": "mychart", "version": "1.2.3"})
    );
}

#[test]
fn blob_with_its_bundle_beside_it_is_accepted_from_a_folder_and_a_hauler_style_zst() {
    let e = env(&all_policy());
    let m = fs::fake().mint(&fs::Spec::v03());
    let dir = e.dir.path().join("stick");
    oci::write_files(
        &dir,
        &[
            ("release/app.bin".into(), m.artifact.clone()),
            (
                "release/app.bin.sigstore.json".into(),
                serde_json::to_vec(&m.bundle).unwrap(),
            ),
        ],
    );
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.artifacts()[0]["artifact"]["name"], "release/app.bin");
    assert_eq!(r.artifacts()[0]["artifact"]["kind"], "blob");
    // Hauler: a .tar.zst holding a layout at its top, and a blob beside it.
    let (l, _) = saved_legacy_image("registry.example/hauled:1");
    let mut files = l.files("");
    files.push(("app.bin".into(), m.artifact.clone()));
    files.push((
        "app.bin.sigstore.json".into(),
        serde_json::to_vec(&m.bundle).unwrap(),
    ));
    let r = e.import(&[&e.file("haul.tar.zst", &oci::zst(&oci::tar(&files)))]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.artifacts().len(), 2);
}

#[test]
fn gh_attestation_jsonl_is_bound_by_digest() {
    let e = env(&policy_requiring("slsaprovenance1"));
    let blob = b"release binary\n".to_vec();
    let hex = hex::encode(fs::sha256(&blob));
    let spec = fs::Spec {
        statement: Some(fs::statement(
            "app.bin",
            &hex,
            "https://slsa.dev/provenance/v1",
            slsa_predicate(),
        )),
        ..fs::Spec::v03().dsse()
    };
    let m = fs::fake().mint(&spec);
    let dir = e.dir.path().join("gh");
    oci::write_files(
        &dir,
        &[
            ("app.bin".into(), blob),
            (
                format!("sha256:{hex}.jsonl"),
                format!("{}\n", serde_json::to_string(&m.bundle).unwrap()).into_bytes(),
            ),
        ],
    );
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.artifacts()[0]["evidence"][0]["origin"]
        .as_str()
        .unwrap()
        .contains("line 1"));
}

const HMAC_KEY: &[u8] = b"airlock-test-hmac-key-0123456789";
/// Python 3.11: json.dumps(body, sort_keys=True, separators=(",", ":")) and hmac.new(KEY, …,
/// hashlib.sha256).hexdigest(); the subject's digest is sha256("test").
const PY_RECORD: &str = r#"{"body":{"subject":[{"name":"app.tar.gz","digest":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}],"pipeline":"release","build":42,"note":"café ✓ \u0001","nested":{"z":[1,2,{"b":true,"a":null}],"a":"x\"y\\z\n"}},"signature":"534355d8efba06e2d14970b6284da0ef2600f0f1942f88e88681d79b11cb653a"}"#;

fn hmac_policy(e_dir: &std::path::Path, key: &[u8], mode: u32) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = e_dir.join("hmac.key");
    std::fs::write(&p, key).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: pipeline-records\nspec:\n  images:\n  - glob: \"**\"\n  authorities:\n  - name: deployment-key\n    key:\n      hmacKeyFile: hmac.key\n".to_string()
}

#[test]
fn hmac_proof_record_computed_by_python_is_accepted() {
    let e = env("");
    std::fs::write(&e.policy, hmac_policy(e.dir.path(), HMAC_KEY, 0o600)).unwrap();
    let dir = e.dir.path().join("records");
    oci::write_files(
        &dir,
        &[
            ("app.tar.gz".into(), b"test".to_vec()),
            (
                "app.tar.gz.proof.json".into(),
                PY_RECORD.as_bytes().to_vec(),
            ),
        ],
    );
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.artifacts()[0]["evidence"][0]["proofRecord"], "verified");
    // The same record under another key is refused.
    std::fs::write(
        &e.policy,
        hmac_policy(e.dir.path(), b"another-key-of-enough-length", 0o600),
    )
    .unwrap();
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 1);
    assert_eq!(r.artifacts()[0]["reason"], "hmac-invalid");
}

#[test]
fn hmac_key_file_readable_by_others_is_refused_before_anything_is_read() {
    let e = env("");
    std::fs::write(&e.policy, hmac_policy(e.dir.path(), HMAC_KEY, 0o644)).unwrap();
    let r = e.import(&[&e.file("x.tar", b"not read")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("readable by others"), "{}", r.stderr);
    assert!(!e.data.join("quarantine").exists());
}

fn hmac_sign(data: &[u8]) -> Vec<u8> {
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, HMAC_KEY);
    aws_lc_rs::hmac::sign(&k, data).as_ref().to_vec()
}

#[test]
fn proof_record_in_an_hmac_signed_dsse_envelope_is_verified_in_both_layers() {
    let e = env("");
    std::fs::write(&e.policy, hmac_policy(e.dir.path(), HMAC_KEY, 0o600)).unwrap();
    let record: serde_json::Value = serde_json::from_str(PY_RECORD).unwrap();
    let st = fs::statement(
        "app.tar.gz",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "https://airlock.example/proof-record/v1",
        record,
    );
    let pae = fs::pae("application/vnd.in-toto+json", &st);
    let env_json = json!({"payloadType": "application/vnd.in-toto+json", "payload": oci::b64s(&st), "signatures": [{"keyid": "deployment", "sig": oci::b64s(&hmac_sign(&pae))}]});
    let dir = e.dir.path().join("dsse");
    oci::write_files(
        &dir,
        &[
            ("app.tar.gz".into(), b"test".to_vec()),
            (
                "app.tar.gz.dsse.json".into(),
                serde_json::to_vec(&env_json).unwrap(),
            ),
        ],
    );
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let ev = &r.artifacts()[0]["evidence"][0];
    assert_eq!(ev["kind"], "hmac-dsse-envelope");
    assert_eq!(ev["proofRecord"], "verified");
    // The payload edited after signing: the envelope no longer verifies.
    let mut bad = env_json.clone();
    bad["payload"] = json!(oci::b64s(&[st.clone(), b" ".to_vec()].concat()));
    oci::write_files(
        &dir,
        &[(
            "app.tar.gz.dsse.json".into(),
            serde_json::to_vec(&bad).unwrap(),
        )],
    );
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 1);
    assert_eq!(r.artifacts()[0]["reason"], "dsse-hmac-invalid");
}

#[test]
fn proof_record_inside_a_sigstore_bundle_reports_both_layers() {
    let e = env("");
    let mut policy = hmac_policy(e.dir.path(), HMAC_KEY, 0o600);
    policy.push_str(&format!("---\n{}", all_policy()));
    std::fs::write(&e.policy, policy).unwrap();
    let record: serde_json::Value = serde_json::from_str(PY_RECORD).unwrap();
    let spec = fs::Spec {
        statement: Some(fs::statement(
            "app.tar.gz",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            fs::COSIGN_SIGN_PREDICATE,
            record,
        )),
        ..fs::Spec::v03().dsse()
    };
    let m = fs::fake().mint(&spec);
    let dir = e.dir.path().join("both");
    oci::write_files(
        &dir,
        &[
            ("app.tar.gz".into(), b"test".to_vec()),
            (
                "app.tar.gz.sigstore.json".into(),
                serde_json::to_vec(&m.bundle).unwrap(),
            ),
        ],
    );
    let r = e.import(&[&dir]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let ev = &r.artifacts()[0]["evidence"][0];
    assert_eq!(ev["signer"]["identity"], fs::IDENTITY);
    assert_eq!(ev["proofRecord"], "verified");
    assert_eq!(r.artifacts()[0]["policies"].as_array().unwrap().len(), 2);
}

#[test]
fn a_folder_holding_only_tarballs_is_imported_as_those_tarballs() {
    let e = env(&all_policy());
    let stick = e.dir.path().join("usb");
    let (a, _) = saved_legacy_image("ghcr.io/acme/a:1");
    let (b, _) = saved_legacy_image("ghcr.io/acme/b:1");
    oci::write_files(
        &stick,
        &[
            ("a.tar".into(), tar_of(&a)),
            ("b.tar.gz".into(), oci::gz(&tar_of(&b))),
        ],
    );
    let r = e.import(&[&stick]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let names: Vec<&str> = r.json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tarball"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.tar", "b.tar.gz"]);
}

#[test]
fn an_index_json_entry_without_a_media_type_is_read_by_the_manifest_s_own() {
    let e = env(&all_policy());
    let (mut l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    for d in &mut l.index {
        d.as_object_mut().unwrap().remove("mediaType");
    }
    let r = e.import(&[&e.file("no-mt.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // An entry of a type airlock does not read is said, not dropped.
    let (mut l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
    let odd = l.put(
        "application/vnd.oci.artifact.manifest.v1+json",
        b"{}".to_vec(),
    );
    l.list(odd, json!({}));
    let r = e.import(&[&e.file("odd.tar", &tar_of(&l))]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let why = r.input()["orphans"][0]["why"].as_str().unwrap();
    assert!(
        why.contains("is not an OCI or Docker image manifest"),
        "{why}"
    );
}
