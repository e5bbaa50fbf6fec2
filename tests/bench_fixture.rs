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
