//! cosign's legacy signature layer (`oci::legacy::signature_layer`): the simple-signing payload
//! and the layer annotations (signature, certificate, chain, Rekor bundle, RFC 3161 timestamp)
//! from the input. Any bytes end in a bundle or a refusal, never a panic.
#![no_main]

use std::collections::BTreeMap;

use airlock::oci::legacy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = legacy::parse_simple_signing(data);
    // Annotations as NUL-separated values after the payload's first NUL.
    let mut parts = data.split(|&b| b == 0);
    let payload = parts.next().unwrap_or_default().to_vec();
    let keys = [
        "dev.cosignproject.cosign/signature",
        "dev.sigstore.cosign/certificate",
        "dev.sigstore.cosign/chain",
        "dev.sigstore.cosign/bundle",
        "dev.sigstore.cosign/rfc3161timestamp",
    ];
    let mut ann = BTreeMap::new();
    for (k, v) in keys.iter().zip(parts) {
        ann.insert(k.to_string(), String::from_utf8_lossy(v).into_owned());
    }
    let _ = legacy::signature_layer(payload.clone(), &ann);
    let _ = legacy::attestation_layer(&payload, &ann);
    let _ = legacy::pem_certificates(&String::from_utf8_lossy(data));
});
