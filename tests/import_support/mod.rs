//! Shared scaffolding of the `airlock import` tests: a data dir, the fake instance's trusted
//! root, a policy file, and one run of the binary with its `--json` report.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use crate::common::fake_sigstore as fs;
pub use crate::common::oci;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub root: PathBuf,
    pub policy: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub json: Value,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The first input's result.
    pub fn input(&self) -> &Value {
        &self.json["inputs"][0]
    }

    pub fn artifacts(&self) -> &Vec<Value> {
        self.input()["artifacts"].as_array().unwrap()
    }
}

/// A fresh data dir with the fake trusted root and `policy` written beside it.
pub fn env(policy: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fake-trusted-root.TEST-ONLY.json");
    let m = fs::fake().mint(&fs::Spec::v03());
    std::fs::write(&root, serde_json::to_vec_pretty(&m.trusted_root).unwrap()).unwrap();
    let p = dir.path().join("policy.yaml");
    std::fs::write(&p, policy).unwrap();
    Env {
        data: dir.path().join("data"),
        root,
        policy: p,
        dir,
    }
}

impl Env {
    /// Writes `bytes` as an input file named `name` in the test folder.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub fn import(&self, inputs: &[&Path]) -> Run {
        self.import_with(inputs, &[])
    }

    pub fn import_with(&self, inputs: &[&Path], extra: &[&str]) -> Run {
        let out = crate::common::cmd::TestCommand::new(&self.data)
            .arg("import")
            .args(inputs)
            .arg("--policy")
            .arg(&self.policy)
            .arg("--trusted-root")
            .arg(&self.root)
            .arg("--json")
            .args(extra)
            .run();
        Run {
            code: out.code,
            json: serde_json::from_str(&out.stdout).unwrap_or(Value::Null),
            stdout: out.stdout,
            stderr: out.stderr,
        }
    }

    /// Nothing is left in staging, and the data dir holds only its own folders.
    pub fn assert_clean_staging(&self) {
        let staging = self.data.join("staging");
        if staging.exists() {
            let left: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
            assert!(left.is_empty(), "staging leftovers: {left:?}");
        }
        for e in std::fs::read_dir(&self.data).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                ["staging", "accepted", "quarantine", "trust", "ledger"].contains(&n.as_str()),
                "unexpected {n} in the data dir"
            );
        }
    }

    /// The input is in quarantine, byte for byte.
    pub fn assert_quarantined(&self, r: &Run, original: &[u8]) {
        let kept = r.input()["keptAt"]
            .as_str()
            .unwrap_or_else(|| panic!("not kept: {}", r.stdout));
        assert!(kept.contains("/quarantine/"), "{kept}");
        assert_eq!(
            std::fs::read(kept).unwrap(),
            original,
            "quarantined copy differs"
        );
    }
}

/// The fake instance's keyless policy over every name.
pub fn all_policy() -> String {
    oci::keyless_policy("fake-signers", &["**"])
}

/// A legacy cosign-saved image layout (kind annotations, a `.sig` manifest), with its image
/// descriptor.
pub fn saved_legacy_image(reference: &str) -> (oci::Layout, serde_json::Value) {
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, reference);
    let digest = img["digest"].as_str().unwrap().to_string();
    let (m, payload) = oci::mint_legacy_signature(&digest, reference);
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        img.clone(),
        serde_json::json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    l.list(
        sig,
        serde_json::json!({"kind": "dev.cosignproject.cosign/sigs"}),
    );
    (l, img)
}
