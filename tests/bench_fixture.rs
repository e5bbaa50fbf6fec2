//! Writes the large inputs `make bench` times (not a test: `#[ignore]`d, run by
//! benches/commands.sh with BENCH_FIXTURE_DIR set): a signed OCI layout of about
//! BENCH_IMPORT_MIB MiB (default 1024) as a plain `.tar`, the fake trusted root and a policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;

use common::fake_sigstore as fs;
use common::oci;
use serde_json::json;

#[test]
#[ignore = "writes ~1 GiB; run by benches/commands.sh"]
fn write_bench_fixture() {
    let Ok(dir) = std::env::var("BENCH_FIXTURE_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mib: usize = std::env::var("BENCH_IMPORT_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    // Layers of 64 MiB of pseudo-random bytes (incompressible, like real gzip layers).
    let mut l = oci::Layout::new();
    let mut layers = Vec::new();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..mib.div_ceil(64) {
        let mut b = vec![0u8; 64 << 20];
        for chunk in b.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        b[0] = i as u8;
        layers.push(l.put(oci::OCI_LAYER, b));
    }
    let config = l.put(
        oci::OCI_CONFIG,
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec(),
    );
    let img = l.manifest(config, layers, None, None);
    let (m, payload) =
        oci::mint_legacy_signature(img["digest"].as_str().unwrap(), "registry.example/bench:1");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(img, json!({"kind": "dev.cosignproject.cosign/image"}));
    l.list(sig, json!({"kind": "dev.cosignproject.cosign/sigs"}));
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("layout.tar")).unwrap());
    out.write_all(&oci::tar(&l.files(""))).unwrap();
    out.flush().unwrap();
    std::fs::write(
        dir.join("trusted_root.json"),
        serde_json::to_vec(&m.trusted_root).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("policy.yaml"),
        oci::keyless_policy("bench", &["**"]),
    )
    .unwrap();
    let _ = fs::IDENTITY;
}

/// A wheelhouse of BENCH_WHEELS (default 2000) wheels, each with its PEP 740 publish attestation
/// beside it, and the same attestations as Sigstore bundles with a `verify-bundle --batch` file:
/// the baseline `make bench` compares `import` of the folder against.
#[test]
#[ignore = "writes thousands of files; run by benches/commands.sh"]
fn write_wheelhouse_fixture() {
    let Ok(dir) = std::env::var("BENCH_FIXTURE_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let n: usize = std::env::var("BENCH_WHEELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let house = dir.join("wheelhouse");
    let bundles = dir.join("bundles");
    std::fs::create_dir_all(&house).unwrap();
    std::fs::create_dir_all(&bundles).unwrap();
    let mut batch = String::new();
    let mut root = None;
    for i in 0..n {
        let name = format!("pkg{i}-1.0.{i}-py3-none-any.whl");
        let wheel = format!("wheel {i} contents").into_bytes();
        let spec = fs::Spec {
            statement: Some(fs::statement(
                &name,
                &hex::encode(fs::sha256(&wheel)),
                "https://docs.pypi.org/attestations/publish/v1",
                json!({}),
            )),
            ..fs::Spec::v03().dsse()
        };
        let m = fs::fake().mint(&spec);
        let b = &m.bundle;
        let att = oci::pep740_attestation(b);
        std::fs::write(house.join(&name), &wheel).unwrap();
        std::fs::write(
            house.join(format!("{name}.publish.attestation")),
            serde_json::to_vec(&att).unwrap(),
        )
        .unwrap();
        std::fs::write(bundles.join(&name), &wheel).unwrap();
        std::fs::write(
            bundles.join(format!("{name}.sigstore.json")),
            serde_json::to_vec(b).unwrap(),
        )
        .unwrap();
        batch.push_str(
            &serde_json::to_string(&json!({
                "bundle": format!("{name}.sigstore.json"),
                "artifact": name,
                "identity": fs::IDENTITY,
                "issuer": fs::OIDC_ISSUER,
            }))
            .unwrap(),
        );
        batch.push('\n');
        root.get_or_insert(m.trusted_root.clone());
    }
    std::fs::write(bundles.join("batch.jsonl"), batch).unwrap();
    std::fs::write(
        dir.join("wheel_trusted_root.json"),
        serde_json::to_vec(&root.unwrap()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("wheel_policy.yaml"),
        oci::keyless_policy("bench", &["**"]),
    )
    .unwrap();
}
