//! The import examples shipped in `bundles/import/` give what its README says (so `make run`
//! shows what it claims), through the binary, against the test trust root and the shipped
//! public-good one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bundles/import")
}

fn import(
    data: &Path,
    inputs: &[PathBuf],
    policy: &Path,
    root: Option<&Path>,
) -> serde_json::Value {
    let mut c = crate::common::cmd::TestCommand::new(data)
        .arg("import")
        .args(inputs)
        .arg("--policy")
        .arg(policy)
        .arg("--json");
    if let Some(r) = root {
        c = c.arg("--trusted-root").arg(r);
    }
    let out = c.run().output;
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn shipped_examples_give_what_their_readme_says() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    // Git does not keep file modes: copy the examples and make the key owner-only, as make run does.
    let ex = tmp.path().join("import");
    copy_dir(&examples(), &ex);
    std::fs::set_permissions(
        ex.join("hmac-example.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let names = [
        ("cosign-legacy-signature.tar", "accepted", None),
        (
            "cosign-new-format-with-sbom-and-slsa.tar.gz",
            "accepted",
            None,
        ),
        ("hauler-multi-arch.tar.zst", "accepted", None),
        ("helm-chart.tar", "accepted", None),
        ("release-blobs", "accepted", None),
        (
            "REFUSED-signature-for-another-image.tar",
            "rejected",
            Some("payload-digest-mismatch"),
        ),
        (
            "REFUSED-path-traversal.tar",
            "rejected",
            Some("unsafe-archive"),
        ),
    ];
    let inputs: Vec<PathBuf> = names.iter().map(|(n, _, _)| ex.join(n)).collect();
    let r = import(
        &tmp.path().join("data"),
        &inputs,
        &ex.join("policy.TEST-ONLY.yaml"),
        Some(&ex.join("test-trust-root.TEST-ONLY.json")),
    );
    for ((name, verdict, reason), got) in names.iter().zip(r["inputs"].as_array().unwrap()) {
        assert_eq!(got["tarball"]["name"], *name);
        assert_eq!(got["verdict"], *verdict, "{name}: {got:#}");
        if let Some(code) = reason {
            assert_eq!(got["reason"], *code, "{name}");
        }
    }
    let real = import(
        &tmp.path().join("data-real"),
        &[ex.join("real-release")],
        &ex.join("policy.public-good.yaml"),
        None,
    );
    assert_eq!(real["inputs"][0]["verdict"], "accepted", "{real:#}");
    assert_eq!(real["trustRoot"]["tufVerified"], true);
}

use crate::common::copy_dir;
