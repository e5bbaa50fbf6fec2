//! The daemon killed with SIGKILL at random instants, 50 times, while good and hostile tarballs,
//! folders and TUF repository copies (trust updates) keep landing in its inbox; restarted each
//! time. At the end every entry dropped
//! is in exactly one of `accepted/` or `quarantine/` (files byte-identical), has exactly one
//! import in the ledger, `audit verify` passes, and nothing is left in the inbox, the journal,
//! the work area or staging. Set `AIRLOCK_CRASH_SEED` to replay a run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod daemon_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::tuf_repo::{TufRepo, TRUSTED_ROOT_NAME};
use daemon_support::*;

/// xorshift64*: a reproducible sequence of kill instants and drops.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

enum Drop {
    File(Vec<u8>),
    Folder(std::path::PathBuf),
    /// A new version of the TUF repository the trust root came from: a trust update.
    TufUpdate,
}

/// The mix: the examples (accepted and refused), and inputs that are not archives at all.
fn sources() -> Vec<(&'static str, Drop)> {
    let read = |n: &str| std::fs::read(example(n)).unwrap();
    let gz = read("cosign-new-format-with-sbom-and-slsa.tar.gz");
    vec![
        (
            "legacy.tar",
            Drop::File(read("cosign-legacy-signature.tar")),
        ),
        ("new-format.tar.gz", Drop::File(gz.clone())),
        (
            "hauler.tar.zst",
            Drop::File(read("hauler-multi-arch.tar.zst")),
        ),
        ("helm.tar", Drop::File(read("helm-chart.tar"))),
        (
            "traversal.tar",
            Drop::File(read("REFUSED-path-traversal.tar")),
        ),
        (
            "wrong-image.tar",
            Drop::File(read("REFUSED-signature-for-another-image.tar")),
        ),
        ("truncated.tar.gz", Drop::File(gz[..gz.len() / 2].to_vec())),
        ("notes.txt", Drop::File(b"not an archive at all\n".to_vec())),
        ("empty.tar", Drop::File(Vec::new())),
        ("blobs", Drop::Folder(example("release-blobs"))),
        ("tuf-usb", Drop::TufUpdate),
    ]
}

#[test]
fn sigkill_at_fifty_random_instants_loses_nothing_and_records_nothing_twice() {
    let seed = std::env::var("AIRLOCK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_A1B2_C3D4_E5F6u64);
    eprintln!("AIRLOCK_CRASH_SEED={seed}");
    let mut rng = Rng(seed | 1);
    // The trust root comes through TUF (its target is the examples' TEST-ONLY trusted root), so
    // that new versions of the repository dropped in the inbox are real trust updates.
    let e = env_without_trust_root();
    let mut repo = TufRepo::create(e.dir.path().join("repo")).unwrap();
    repo.targets.insert(
        TRUSTED_ROOT_NAME.into(),
        std::fs::read(example("test-trust-root.TEST-ONLY.json")).unwrap(),
    );
    repo.publish().unwrap();
    let (code, _, err) = e.cli(&[
        "trust",
        "init",
        "--root",
        repo.root_path(1).to_str().unwrap(),
        "--from",
        repo.dir().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let kinds = sources();
    let mut dropped: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();
    let mut n = 0usize;
    let mut drop_some =
        |e: &Env, rng: &mut Rng, dropped: &mut BTreeMap<String, Option<Vec<u8>>>| {
            for _ in 0..rng.below(3) {
                let (base, d) = &kinds[n % kinds.len()];
                let name = format!("{n:03}-{base}");
                match d {
                    Drop::File(b) => {
                        e.drop_bytes(&name, b);
                        dropped.insert(name, Some(b.clone()));
                    }
                    Drop::Folder(p) => {
                        e.drop_dir(&name, p);
                        dropped.insert(name, None);
                    }
                    Drop::TufUpdate => {
                        repo.publish().unwrap();
                        e.drop_dir(&name, repo.dir());
                        dropped.insert(name, None);
                    }
                }
                n += 1;
            }
        };
    let started = std::time::Instant::now();
    let mut interrupted = 0;
    for _ in 0..50 {
        // An entry in the journal means the last kill landed while a file was in flight.
        if std::fs::read_dir(e.data.join("daemon/journal")).is_ok_and(|mut rd| rd.next().is_some())
        {
            interrupted += 1;
        }
        drop_some(&e, &mut rng, &mut dropped);
        let mut d = e.daemon(&[]);
        std::thread::sleep(Duration::from_millis(rng.below(30)));
        // More may land while it runs.
        drop_some(&e, &mut rng, &mut dropped);
        std::thread::sleep(Duration::from_millis(rng.below(250)));
        d.kill();
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the kill rounds took too long"
        );
    }
    eprintln!("{interrupted} of 50 kills landed while a file was in flight");
    assert!(
        interrupted > 0,
        "no kill landed mid-flight: the test proved nothing"
    );
    // The last restart finishes everything.
    let mut d = e.daemon(&[]);
    e.wait_idle(Duration::from_secs(120));
    assert_eq!(d.stop(Duration::from_secs(30)), 0, "{}", d.log());
    assert!(
        dropped.len() >= 20,
        "only {} entries dropped",
        dropped.len()
    );

    let left = e.leftovers();
    assert!(left.is_empty(), "left behind: {left:?}");
    for (name, bytes) in &dropped {
        let kept = e.kept(name);
        assert_eq!(kept.len(), 1, "{name} kept {} times: {kept:?}", kept.len());
        if let Some(b) = bytes {
            assert_eq!(&std::fs::read(&kept[0]).unwrap(), b, "{name} changed");
        }
    }
    let records = e.records();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in records.iter().filter(|r| r["importId"].is_string()) {
        let name = r["tarball"]["name"].as_str().unwrap().to_string();
        imports
            .entry(name)
            .or_default()
            .insert(r["importId"].as_str().unwrap().to_string());
    }
    for name in dropped.keys() {
        let ids = imports.get(name).cloned().unwrap_or_default();
        assert_eq!(ids.len(), 1, "{name} has {} imports: {ids:?}", ids.len());
    }
    assert_eq!(
        imports.keys().cloned().collect::<BTreeSet<_>>(),
        dropped.keys().cloned().collect::<BTreeSet<_>>(),
        "the ledger names inputs nobody dropped"
    );
    let (code, out, err) = e.cli(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    // Every update was applied (a replay after a kill finds it applied: `update-unchanged`), and
    // the newest repository version is the one in force.
    let updates = records
        .iter()
        .filter(|r| r["kind"] == "trust-event" && r["importId"].is_string())
        .count();
    assert_eq!(
        updates,
        dropped.keys().filter(|k| k.ends_with("tuf-usb")).count()
    );
    eprintln!(
        "{} entries dropped, {updates} of them trust updates",
        dropped.len()
    );
    let (code, out, err) = e.cli(&["trust", "status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let st: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        st["tuf"]["timestamp"]["version"].as_u64(),
        Some(1 + updates as u64),
        "{st}"
    );
}
