//! Several Sigstore trust instances side by side in one data dir: public good where it always
//! was, others (GitHub's, a private one) with their own TUF state and history; verification
//! picks the instance whose Fulcio CA issued the leaf, or the one named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;
use std::process::Output;

use common::fake_sigstore::{self as fs, fake, Spec};
use common::tuf_repo::TufRepo;
use serde_json::Value;

fn airlock(data: &Path, args: &[&str]) -> Output {
    common::cmd::TestCommand::new(data).args(args).run().output
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A data dir with public good (factory) and the fake instance imported as `private-fake`.
fn two_instances(tmp: &Path) -> std::path::PathBuf {
    let data = tmp.join("data");
    let root = tmp.join("fake-root.json");
    std::fs::write(
        &root,
        serde_json::to_vec(&fake().mint(&Spec::v03()).trusted_root).unwrap(),
    )
    .unwrap();
    let o = airlock(
        &data,
        &[
            "trust",
            "import",
            "--instance",
            "private-fake",
            "--trusted-root",
            s(&root),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    data
}

fn verify(data: &Path, tmp: &Path, m: &fs::Minted, extra: &[&str]) -> Output {
    let b = tmp.join("bundle.json");
    let a = tmp.join("artifact.bin");
    std::fs::write(&b, serde_json::to_vec(&m.bundle).unwrap()).unwrap();
    std::fs::write(&a, &m.artifact).unwrap();
    let mut args = vec![
        "verify-bundle",
        "--json",
        "--bundle",
        s(&b),
        "--certificate-identity",
        fs::IDENTITY,
        "--certificate-oidc-issuer",
        fs::OIDC_ISSUER,
    ];
    args.extend_from_slice(extra);
    args.push(s(&a));
    airlock(data, &args)
}

#[test]
fn verification_picks_the_instance_whose_fulcio_issued_the_leaf() {
    let tmp = tempfile::tempdir().unwrap();
    let data = two_instances(tmp.path());
    let m = fake().mint(&Spec::v03());
    let o = verify(&data, tmp.path(), &m, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(json(&o)["trustRoot"]["instance"], "private-fake");
    // Named explicitly, the other instance does not trust it.
    let o = verify(&data, tmp.path(), &m, &["--instance", "public-good"]);
    assert_eq!(o.status.code(), Some(1));
    // The log is checked before the certificate: public good does not know the fake's Rekor.
    assert_eq!(json(&o)["reason"], "tlog-unknown-log");
    assert_eq!(json(&o)["trustRoot"]["instance"], "public-good");
}

#[test]
fn a_public_good_bundle_still_verifies_against_public_good() {
    let tmp = tempfile::tempdir().unwrap();
    let data = two_instances(tmp.path());
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/bundle-verify");
    let o = airlock(&data, &[
        "verify-bundle", "--json",
        "--bundle", s(&conf.join("happy-path-v0.3/bundle.sigstore.json")),
        "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
        "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
        s(&conf.join("a.txt")),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(json(&o)["trustRoot"]["instance"], "public-good");
}

#[test]
fn status_shows_every_instance_and_history_is_per_instance() {
    let tmp = tempfile::tempdir().unwrap();
    let data = two_instances(tmp.path());
    let o = airlock(&data, &["trust", "status"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Instance public-good:") && text.contains("Instance private-fake:"),
        "{text}"
    );
    let st = json(&airlock(&data, &["trust", "status", "--json"]));
    assert_eq!(st["instance"], "public-good");
    assert_eq!(
        st["instances"],
        serde_json::json!(["public-good", "private-fake"])
    );
    let h = json(&airlock(
        &data,
        &["trust", "history", "--instance", "private-fake", "--json"],
    ));
    assert_eq!(h["entries"].as_array().unwrap().len(), 1);
    assert_eq!(h["entries"][0]["action"], "import");
}

#[test]
fn another_instance_is_initialized_through_tuf_from_its_own_pinned_root() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut repo = TufRepo::create(tmp.path().join("repo")).unwrap();
    repo.publish().unwrap();
    let o = airlock(
        &data,
        &[
            "trust",
            "init",
            "--instance",
            "github",
            "--root",
            s(&repo.root_path(1)),
            "--from",
            s(repo.dir()),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let st = json(&airlock(
        &data,
        &["trust", "status", "--instance", "github", "--json"],
    ));
    assert_eq!(st["instance"], "github");
    assert_eq!(st["root"]["tufVerified"], true);
    // Its update goes through its own TUF state.
    repo.publish().unwrap();
    let o = airlock(
        &data,
        &[
            "trust",
            "update",
            "--instance",
            "github",
            "--from",
            s(repo.dir()),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The data dir's public-good store is where it always was, untouched by the other instance.
    assert!(!data.join("trust/current").exists() || data.join("trust/generations").is_dir());
    assert!(data.join("trust/instances/github/current").is_file());
}

#[test]
fn an_instance_without_a_factory_needs_its_root_and_a_name_must_be_safe() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let o = airlock(&data, &["trust", "init", "--instance", "github"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--root ROOT.json and --from DIR"));
    let o = airlock(&data, &["trust", "status", "--instance", "../../etc"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an instance name"));
    let o = airlock(&data, &["trust", "status", "--instance", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("[no-such-instance]"));
}
