//! Writes the import examples shipped in `bundles/import/` (not a test: `#[ignore]`d; run once
//! with `EXAMPLES_DIR=bundles/import cargo test --test make_examples -- --ignored`). They are
//! signed by the fake Sigstore instance of the tests, verified by `make run` against its trusted
//! root, shipped as `test-trust-root.TEST-ONLY.json`: a test root, never a real one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fake_sigstore as fs;
use common::oci;
use serde_json::json;

fn slsa(repo: &str) -> serde_json::Value {
    json!({
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {"workflow": {"repository": repo, "ref": "refs/tags/v1.0.0"}},
            "resolvedDependencies": [{"uri": format!("git+{repo}@refs/tags/v1.0.0"), "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}]
        },
        "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}}
    })
}

#[test]
#[ignore = "writes bundles/import; run by hand when the examples change"]
fn write_import_examples() {
    let Ok(dir) = std::env::var("EXAMPLES_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();

    // 1. cosign save of an image with a legacy signature (kind annotations), as .tar.
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "ghcr.io/acme/web:1.4.2");
    let (m, payload) =
        oci::mint_legacy_signature(img["digest"].as_str().unwrap(), "ghcr.io/acme/web:1.4.2");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        img.clone(),
        json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    l.list(sig, json!({"kind": "dev.cosignproject.cosign/sigs"}));
    put("cosign-legacy-signature.tar", &oci::tar(&l.files("")));
    put(
        "test-trust-root.TEST-ONLY.json",
        &serde_json::to_vec_pretty(&m.trusted_root).unwrap(),
    );

    // 2. cosign v3 new-format signature kept only as a blob (cosign save rewrites index.json),
    //    plus CycloneDX and SLSA attestations in the legacy .att format, as .tar.gz.
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "ghcr.io/acme/api:2.0.0");
    let d = img["digest"].as_str().unwrap();
    oci::bundle_referrer(&mut l, &img, &oci::mint_new_signature(d).bundle);
    let sbom = oci::mint_attestation(
        d,
        "https://cyclonedx.org/bom",
        json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}),
    );
    let prov = oci::mint_attestation(
        d,
        "https://slsa.dev/provenance/v1",
        slsa("https://github.com/acme/api"),
    );
    let mut att_layers = Vec::new();
    for a in [&sbom, &prov] {
        let desc = oci::att_manifest(&mut l, a);
        let hex = desc["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:")
            .to_string();
        let man: serde_json::Value = serde_json::from_slice(&l.blobs[&hex]).unwrap();
        l.blobs.remove(&hex);
        att_layers.push(man["layers"][0].clone());
    }
    let config = l.put(
        oci::OCI_CONFIG,
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec(),
    );
    let att = l.manifest(config, att_layers, None, None);
    l.list(img.clone(), json!({"kind": "dev.cosignproject.cosign/image", "org.opencontainers.image.ref.name": "ghcr.io/acme/api:2.0.0"}));
    l.list(att, json!({"kind": "dev.cosignproject.cosign/atts"}));
    put(
        "cosign-new-format-with-sbom-and-slsa.tar.gz",
        &oci::gz(&oci::tar(&l.files(""))),
    );

    // 3. A multi-platform image index in a Hauler-style .tar.zst.
    let mut l = oci::Layout::new();
    let amd = oci::image(&mut l, "amd64");
    let arm = oci::image(&mut l, "arm64");
    let idx = l.index_of(vec![amd, arm]);
    let (m, payload) =
        oci::mint_legacy_signature(idx["digest"].as_str().unwrap(), "ghcr.io/acme/agent:3.1");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        idx.clone(),
        json!({"org.opencontainers.image.ref.name": "ghcr.io/acme/agent:3.1"}),
    );
    let hex = idx["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    l.list(sig, json!({"org.opencontainers.image.ref.name": format!("ghcr.io/acme/agent:sha256-{hex}.sig")}));
    put(
        "hauler-multi-arch.tar.zst",
        &oci::zst(&oci::tar(&l.files(""))),
    );

    // 4. A Helm chart stored as an OCI artifact, signed in the new format.
    let mut l = oci::Layout::new();
    let chart = oci::helm_chart(&mut l, "acme-web", "0.9.0");
    let referrer = oci::bundle_referrer(
        &mut l,
        &chart,
        &oci::mint_new_signature(chart["digest"].as_str().unwrap()).bundle,
    );
    l.list(chart, json!({"org.opencontainers.image.ref.name": "0.9.0"}));
    l.list(referrer, json!({}));
    put("helm-chart.tar", &oci::tar(&l.files("")));

    // 5. Blobs with their bundles beside them, and a pipeline's HMAC proof record.
    let m = fs::fake().mint(&fs::Spec {
        artifact: b"acme-cli 1.0.0 for linux-amd64\n".to_vec(),
        ..fs::Spec::v03()
    });
    let h = hex::encode(fs::sha256(&m.artifact));
    // Canonical as Python's json.dumps(body, sort_keys=True, separators=(",", ":")) writes it.
    let canonical = format!(r#"{{"build":1207,"pipeline":"release","subject":[{{"digest":{{"sha256":"{h}"}},"name":"acme-cli.tar.gz"}}]}}"#).into_bytes();
    let rec_body: serde_json::Value = serde_json::from_slice(&canonical).unwrap();
    let key = b"airlock-example-hmac-key-TEST-ONLY-0001";
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
        &canonical,
    );
    let record = json!({"body": rec_body, "signature": hex::encode(mac.as_ref())});
    let blobs = vec![
        (
            "release-blobs/acme-cli.tar.gz".to_string(),
            m.artifact.clone(),
        ),
        (
            "release-blobs/acme-cli.tar.gz.sigstore.json".to_string(),
            serde_json::to_vec_pretty(&m.bundle).unwrap(),
        ),
        (
            "release-blobs/acme-cli.tar.gz.proof.json".to_string(),
            serde_json::to_vec_pretty(&record).unwrap(),
        ),
    ];
    oci::write_files(&dir, &blobs);
    put("hmac-example.key", key);

    // 6. Defects: a signature whose payload names another image, and a path-traversal tarball.
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "ghcr.io/acme/web:1.4.3");
    let other = oci::image(&mut l, "ghcr.io/evil/miner:latest");
    let (m, payload) =
        oci::mint_legacy_signature(other["digest"].as_str().unwrap(), "ghcr.io/acme/web:1.4.3");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(img, json!({"kind": "dev.cosignproject.cosign/image"}));
    l.list(sig, json!({"kind": "dev.cosignproject.cosign/sigs"}));
    put(
        "REFUSED-signature-for-another-image.tar",
        &oci::tar(&l.files("")),
    );
    let mut h = tar::Header::new_ustar();
    h.as_ustar_mut().unwrap().name[..14].copy_from_slice(b"../../evil.txt");
    h.set_size(4);
    h.set_mode(0o644);
    h.set_cksum();
    let mut t = h.as_bytes().to_vec();
    t.extend(b"evil");
    t.resize(1024, 0);
    t.extend([0u8; 1024]);
    put("REFUSED-path-traversal.tar", &t);
}
