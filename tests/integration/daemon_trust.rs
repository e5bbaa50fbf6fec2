//! A TUF repository copy dropped in the inbox (a folder, or a tarball, with `timestamp.json` at
//! its top) is applied as `trust update`, recorded as a trust event under its import id and
//! kept; the next imports use the new root. A rollback dropped the same way is refused, kept in
//! quarantine, and the root in force stays. While the trust root cannot be loaded, files wait in
//! the inbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::daemon_support;

use std::time::Duration;

use common::tuf_repo::{sha256_hex, TufRepo, STAGING_TRUSTED_ROOT, TRUSTED_ROOT_NAME};
use daemon_support::*;

fn status_digest(e: &Env) -> String {
    let (code, out, err) = e.cli(&["trust", "status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["root"]["digest"].as_str().unwrap().to_string()
}

fn tar_gz(dir: &std::path::Path, out: &std::path::Path) {
    let f = std::fs::File::create(out).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    b.append_dir_all(".", dir).unwrap();
    b.into_inner().unwrap().finish().unwrap();
}

#[test]
fn a_tuf_repository_dropped_in_the_inbox_updates_the_trust_root_and_a_rollback_is_refused() {
    let e = env_without_trust_root();
    let mut repo = TufRepo::create(e.dir.path().join("repo")).unwrap();
    repo.publish().unwrap();
    let v1 = e.dir.path().join("repo-v1");
    repo.copy_to(&v1).unwrap();
    let (code, _, err) = e.cli(&[
        "trust",
        "init",
        "--root",
        repo.root_path(1).to_str().unwrap(),
        "--from",
        repo.dir().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let before = status_digest(&e);

    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.publish().unwrap();
    e.drop_dir("tuf-usb", repo.dir());
    e.wait_idle(Duration::from_secs(60));
    // Through the daemon's socket: the new root is in force.
    assert_eq!(status_digest(&e), sha256_hex(STAGING_TRUSTED_ROOT));
    assert_ne!(before, sha256_hex(STAGING_TRUSTED_ROOT));
    let event = e
        .records()
        .into_iter()
        .find(|r| r["tarball"]["name"] == "tuf-usb")
        .expect("the update's record");
    assert_eq!(event["kind"], "trust-event");
    assert_eq!(event["verdict"], "accepted");
    assert_eq!(event["reason"], "update");
    let kept = e.kept("tuf-usb");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].starts_with(e.data.join("accepted")));

    // The old copy again, as a tarball: a rollback of the timestamp.
    let old = e.dir.path().join("old.tar.gz");
    tar_gz(&v1, &old);
    e.drop_bytes("old-usb.tar.gz", &std::fs::read(&old).unwrap());
    e.wait_idle(Duration::from_secs(60));
    assert_eq!(status_digest(&e), sha256_hex(STAGING_TRUSTED_ROOT));
    let refused = e
        .records()
        .into_iter()
        .find(|r| r["tarball"]["name"] == "old-usb.tar.gz")
        .expect("the refusal's record");
    assert_eq!(refused["kind"], "trust-event");
    assert_eq!(refused["verdict"], "rejected");
    let kept = e.kept("old-usb.tar.gz");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].starts_with(e.data.join("quarantine")));
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        std::fs::read(&old).unwrap()
    );
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
}

#[test]
fn while_the_trust_root_cannot_be_loaded_files_wait_in_the_inbox_and_readyz_says_why() {
    let e = env();
    let current = e.data.join("trust/current");
    let good = std::fs::read(&current).unwrap();
    // The generation in force is gone (a disk fault, an operator's mistake).
    std::fs::write(&current, "0".repeat(64)).unwrap();
    e.drop_bytes(
        "waiting.tar",
        &std::fs::read(example("helm-chart.tar")).unwrap(),
    );
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut d = e.daemon(&["--listen", &addr.to_string()]);
    d.wait_log("trust-root-unusable", Duration::from_secs(30));
    wait_http(addr, Duration::from_secs(30));
    let r = http_get(addr, "/readyz");
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["trustRoot"], false);
    std::thread::sleep(Duration::from_millis(500));
    assert!(e.inbox.join("waiting.tar").exists());
    assert!(e.kept("waiting.tar").is_empty());
    // Repaired: the file is then taken, and decided under the repaired root.
    std::fs::write(&current, good).unwrap();
    e.wait_idle(Duration::from_secs(60));
    assert_eq!(e.kept("waiting.tar").len(), 1);
    assert_eq!(http_get(addr, "/readyz").status, 200);
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
    let r = e
        .records()
        .into_iter()
        .find(|r| r["tarball"]["name"] == "waiting.tar")
        .unwrap();
    assert_eq!(r["verdict"], "accepted");
}

/// `NAME.image` beside an entry names its one unnamed image (cosign v3's `cosign save` writes no
/// name), as `import --image` does; the name is recorded with source `operator`, and the sidecar
/// goes with its entry. The same bytes without one are refused with how to name them.
#[test]
fn an_image_sidecar_names_the_unnamed_image_of_its_entry() {
    use common::oci;
    use serde_json::json;
    let e = env();
    std::fs::write(
        &e.policy,
        oci::keyless_policy("acme", &["ghcr.io/acme/app*"]),
    )
    .unwrap();
    let mut l = oci::Layout::new();
    let img = oci::image(&mut l, "sidecar");
    let m = oci::mint_new_signature(img["digest"].as_str().unwrap());
    oci::bundle_referrer(&mut l, &img, &m.bundle);
    l.list(img, json!({"kind": "dev.cosignproject.cosign/image"}));
    let bytes = oci::tar(&l.files(""));

    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    std::fs::write(e.inbox.join("v3.tar.image"), "ghcr.io/acme/app:v1\n").unwrap();
    e.drop_bytes("v3.tar", &bytes);
    e.drop_bytes("unnamed.tar", &bytes);
    e.wait_idle(Duration::from_secs(60));
    let records = e.records();
    let of = |name: &str| {
        records
            .iter()
            .find(|r| r["tarball"]["name"] == name && r["kind"] == "artifact")
            .unwrap_or_else(|| panic!("no record of {name}: {records:?}"))
            .clone()
    };
    let named = of("v3.tar");
    assert_eq!(named["verdict"], "accepted", "{named}");
    assert!(
        named["artifact"]["references"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "ghcr.io/acme/app:v1", "source": "operator"})),
        "{named}"
    );
    let unnamed = of("unnamed.tar");
    assert_eq!(unnamed["verdict"], "rejected");
    assert_eq!(unnamed["reason"], "no-policy-matched");
    assert!(!e.inbox.join("v3.tar.image").exists());
}
