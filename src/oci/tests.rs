//! Unit checks of the cosign conventions; whole layouts are tested end to end in tests/.

use super::legacy::{parse_simple_signing, pem_certificates};

#[test]
fn simple_signing_payload_claims_are_read() {
    let p = br#"{"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},"image":{"docker-manifest-digest":"sha256:abc"},"type":"cosign container image signature"},"optional":null}"#;
    let s = parse_simple_signing(p).unwrap();
    assert_eq!(s.docker_manifest_digest, "sha256:abc");
    assert_eq!(s.docker_reference.as_deref(), Some("ghcr.io/acme/app"));
    let other = br#"{"critical":{"image":{"docker-manifest-digest":"sha256:abc"},"type":"something else"}}"#;
    assert!(parse_simple_signing(other).is_err());
}

#[test]
fn pem_blocks_are_split_and_an_open_block_is_refused() {
    let pem = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAwQ=\n-----END CERTIFICATE-----\n";
    assert_eq!(
        pem_certificates(pem).unwrap(),
        vec![vec![0, 1, 2], vec![3, 4]]
    );
    assert!(pem_certificates("-----BEGIN CERTIFICATE-----\nAAEC\n").is_err());
}
