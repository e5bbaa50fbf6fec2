//! Test-only writer of OCI image layouts and of what cosign stores beside an image (legacy
//! `.sig` / `.att` manifests, Sigstore bundles as referrers), from bundles the fake Sigstore
//! minted, packed as `.tar`, `.tar.gz` or `.tar.zst`.
//!
//! Owns: test fixtures. Must not touch: airlock's library (a bug there cannot hide a bug here).
//! Shapes follow the OCI image-spec v1.1 and cosign (pkg/oci/layout, pkg/oci/static,
//! pkg/oci/remote/write.go).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use super::fake_sigstore::{self as fs, b64, sha256, unb64, Minted};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const DSSE: &str = "application/vnd.dsse.envelope.v1+json";
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
pub const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";

pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha256(bytes)))
}

pub fn desc(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": digest_of(bytes), "size": bytes.len()})
}

/// An OCI image layout being built.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub blobs: BTreeMap<String, Vec<u8>>,
    pub index: Vec<Value>,
}

impl Layout {
    pub fn new() -> Layout {
        Layout::default()
    }

    /// Adds a blob; returns its descriptor.
    pub fn put(&mut self, media_type: &str, bytes: Vec<u8>) -> Value {
        let d = desc(media_type, &bytes);
        self.blobs.insert(hex::encode(sha256(&bytes)), bytes);
        d
    }

    /// Adds an image manifest; returns its descriptor.
    pub fn manifest(
        &mut self,
        config: Value,
        layers: Vec<Value>,
        subject: Option<Value>,
        artifact_type: Option<&str>,
    ) -> Value {
        let mut m = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": layers,
        });
        if let Some(s) = subject {
            m["subject"] = s;
        }
        if let Some(t) = artifact_type {
            m["artifactType"] = json!(t);
        }
        self.put(OCI_MANIFEST, serde_json::to_vec(&m).unwrap())
    }

    /// Adds an image index; returns its descriptor.
    pub fn index_of(&mut self, manifests: Vec<Value>) -> Value {
        let i = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
        self.put(OCI_INDEX, serde_json::to_vec(&i).unwrap())
    }

    /// Lists a descriptor in `index.json`, with annotations.
    pub fn list(&mut self, mut d: Value, annotations: Value) {
        if annotations.as_object().is_some_and(|o| !o.is_empty()) {
            d["annotations"] = annotations;
        }
        self.index.push(d);
    }

    /// The layout's files: `oci-layout`, `index.json`, `blobs/sha256/<hex>`.
    pub fn files(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![
            (
                format!("{prefix}oci-layout"),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
            (
                format!("{prefix}index.json"),
                serde_json::to_vec(
                    &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.index}),
                )
                .unwrap(),
            ),
        ];
        for (hex, b) in &self.blobs {
            out.push((format!("{prefix}blobs/sha256/{hex}"), b.clone()));
        }
        out
    }

    pub fn write(&self, dir: &Path) {
        write_files(dir, &self.files(""));
    }
}

pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (p, b) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b).unwrap();
    }
}

/// A ustar archive of `files` (folders implied), with its end marker.
pub fn tar(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_path(p).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

pub fn zst(b: &[u8]) -> Vec<u8> {
    zstd::encode_all(b, 3).unwrap()
}

/// A small image (config and one layer, contents from `seed`); returns its manifest descriptor.
pub fn image(l: &mut Layout, seed: &str) -> Value {
    let config = l.put(
        OCI_CONFIG,
        serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "config": {"Labels": {"seed": seed}}})).unwrap(),
    );
    let layer = l.put(OCI_LAYER, gz(format!("layer of {seed}").as_bytes()));
    l.manifest(config, vec![layer], None, None)
}

/// cosign's simple-signing payload for `digest`.
pub fn simple_signing(digest: &str, reference: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    fs::keys::pem(label, der)
}

/// The first certificate of a minted bundle (certificate or chain).
pub fn leaf_der(m: &Minted) -> Vec<u8> {
    let vm = &m.bundle["verificationMaterial"];
    let raw = vm["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| vm["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .unwrap();
    unb64(raw)
}

/// cosign's `dev.sigstore.cosign/bundle` annotation from a minted bundle's first entry.
pub fn rekor_bundle_annotation(m: &Minted) -> String {
    let e = m.entry();
    serde_json::to_string(&json!({
        "SignedEntryTimestamp": e["inclusionPromise"]["signedEntryTimestamp"],
        "Payload": {
            "body": e["canonicalizedBody"],
            "integratedTime": e["integratedTime"].as_str().map(|s| s.parse::<i64>().unwrap()).or(e["integratedTime"].as_i64()).unwrap(),
            "logIndex": e["logIndex"].as_str().map(|s| s.parse::<i64>().unwrap()).or(e["logIndex"].as_i64()).unwrap(),
            "logID": hex::encode(unb64(e["logId"]["keyId"].as_str().unwrap())),
        },
    }))
    .unwrap()
}

/// The layer annotations of a legacy signature or attestation made from a minted bundle.
pub fn cosign_annotations(m: &Minted, signature: Option<&str>, chain: Option<&[Vec<u8>]>) -> Value {
    let mut a = json!({
        "dev.cosignproject.cosign/signature": signature.unwrap_or(""),
        "dev.sigstore.cosign/bundle": rekor_bundle_annotation(m),
    });
    if m.key_pem.is_none() {
        a["dev.sigstore.cosign/certificate"] = json!(pem("CERTIFICATE", &leaf_der(m)));
    }
    if let Some(c) = chain {
        let text: String = c.iter().map(|d| pem("CERTIFICATE", d)).collect();
        a["dev.sigstore.cosign/chain"] = json!(text);
    }
    a
}

/// Mints a legacy cosign signature over the simple-signing payload for `digest`.
pub fn mint_legacy_signature(digest: &str, reference: &str) -> (Minted, Vec<u8>) {
    let payload = simple_signing(digest, reference);
    let spec = fs::Spec {
        artifact: payload.clone(),
        ..fs::Spec::v01()
    };
    (fs::fake().mint(&spec), payload)
}

/// A `.sig` manifest holding one legacy signature layer; returns its descriptor.
pub fn sig_manifest(
    l: &mut Layout,
    m: &Minted,
    payload: &[u8],
    chain: Option<&[Vec<u8>]>,
) -> Value {
    let sig = m.bundle["messageSignature"]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let mut layer = l.put(SIMPLE_SIGNING, payload.to_vec());
    layer["annotations"] = cosign_annotations(m, Some(&sig), chain);
    let config = l.put(
        OCI_CONFIG,
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec(),
    );
    l.manifest(config, vec![layer], None, None)
}

/// Mints a DSSE attestation (cosign legacy style: Rekor `intoto` 0.0.2) of `predicate_type`
/// about `digest`.
pub fn mint_attestation(digest: &str, predicate_type: &str, predicate: Value) -> Minted {
    let hex = digest.trim_start_matches("sha256:");
    let spec = fs::Spec {
        statement: Some(fs::statement("image", hex, predicate_type, predicate)),
        ..fs::Spec::intoto()
    };
    fs::fake().mint(&spec)
}

/// An `.att` manifest holding one DSSE layer (cosign's envelope) with its annotations.
pub fn att_manifest(l: &mut Layout, m: &Minted) -> Value {
    let env = &m.bundle["dsseEnvelope"];
    let envelope = serde_json::to_vec(&json!({
        "payloadType": env["payloadType"],
        "payload": env["payload"],
        "signatures": [{"keyid": "", "sig": env["signatures"][0]["sig"]}],
    }))
    .unwrap();
    let mut layer = l.put(DSSE, envelope);
    let mut ann = cosign_annotations(m, None, None);
    ann["predicateType"] = json!(
        serde_json::from_slice::<Value>(&unb64(env["payload"].as_str().unwrap())).unwrap()
            ["predicateType"]
    );
    layer["annotations"] = ann;
    let config = l.put(
        OCI_CONFIG,
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec(),
    );
    l.manifest(config, vec![layer], None, None)
}

/// Mints a cosign v3 new-format signature (a DSSE bundle of a `cosign/sign/v1` statement).
pub fn mint_new_signature(digest: &str) -> Minted {
    let hex = digest.trim_start_matches("sha256:");
    let spec = fs::Spec {
        statement: Some(fs::statement("image", hex, COSIGN_SIGN, json!({}))),
        ..fs::Spec::v03().dsse()
    };
    fs::fake().mint(&spec)
}

/// A referrer manifest carrying one bundle about `subject`; returns its descriptor.
pub fn bundle_referrer(l: &mut Layout, subject: &Value, bundle: &Value) -> Value {
    let layer = l.put(BUNDLE_V03, serde_json::to_vec(bundle).unwrap());
    let config = l.put(OCI_EMPTY, b"{}".to_vec());
    let mut s = subject.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("annotations");
    }
    l.manifest(config, vec![layer], Some(s), Some(BUNDLE_V03))
}

/// A Helm chart as an OCI artifact; returns its manifest descriptor.
pub fn helm_chart(l: &mut Layout, name: &str, version: &str) -> Value {
    let config = l.put(
        HELM_CONFIG,
        serde_json::to_vec(&json!({"name": name, "version": version, "apiVersion": "v2"})).unwrap(),
    );
    let chart = l.put(HELM_CHART, gz(format!("chart {name}-{version}").as_bytes()));
    l.manifest(config, vec![chart], None, None)
}

/// A keyless ClusterImagePolicy for the fake instance's identity, over `globs`.
pub fn keyless_policy(name: &str, globs: &[&str]) -> String {
    let images: String = globs
        .iter()
        .map(|g| format!("  - glob: \"{g}\"\n"))
        .collect();
    format!(
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: {name}\nspec:\n  images:\n{images}  authorities:\n  - name: fake-fulcio\n    keyless:\n      identities:\n      - issuer: {}\n        subject: {}\n",
        fs::OIDC_ISSUER,
        fs::IDENTITY
    )
}

pub fn b64s(b: &[u8]) -> String {
    b64(b)
}

/// A PEP 740 attestation object made of a minted DSSE bundle (what pypi-attestations'
/// `Attestation.from_bundle` writes): the certificate, the log entries, the statement and its
/// one signature.
pub fn pep740_attestation(bundle: &Value) -> Value {
    json!({
        "version": 1,
        "verification_material": {
            "certificate": bundle["verificationMaterial"]["certificate"]["rawBytes"],
            "transparency_entries": bundle["verificationMaterial"]["tlogEntries"],
        },
        "envelope": {
            "statement": bundle["dsseEnvelope"]["payload"],
            "signature": bundle["dsseEnvelope"]["signatures"][0]["sig"],
        },
    })
}
