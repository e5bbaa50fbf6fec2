//! `airlock trust …` against TUF repositories the tests build themselves (tests/common/tuf_repo.rs):
//! root rotation, key rotation, delegation, endless data, USB clutter, freeze, rollback and
//! target tampering. Every scenario runs the real binary (`--data-dir` in a temp dir) and checks
//! exit code, the one-line reason on stderr, the history record, and that a refusal leaves the
//! trust root in force untouched. The `fixture_*` tests check the fixture with tough alone.
//!
//! Owns: these scenarios. Must not touch: src/, the shared research data, the network.

use crate::common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::tuf_repo::{
    self, keyset, sha256_hex, Delegation, Publish, RootChange, TufRepo, Version,
    PRODUCTION_TRUSTED_ROOT, STAGING_TRUSTED_ROOT, TRUSTED_ROOT_NAME,
};
use serde_json::{json, Value};

type TestResult = Result<(), tuf_repo::Error>;

// ---------------------------------------------------------------------------------------------
// The fixture itself, judged by tough (independent of airlock).

#[test]
fn fixture_default_repository_loads_with_tough() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    let root = std::fs::read(repo.root_path(1))?;
    let got = tuf_repo::tough_load(repo.dir(), &root, None)?;
    assert_eq!(
        (got.root, got.timestamp, got.snapshot, got.targets),
        (1, 1, 1, 1)
    );
    assert_eq!(got.trusted_root, tuf_repo::PRODUCTION_TRUSTED_ROOT);
    Ok(())
}

#[test]
fn fixture_root_rotation_with_threshold_changes_loads_with_tough() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        ..RootChange::default()
    })?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r3a", "r3b", "r3c", "r3d", "ecdsa-r3e"], 3)),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let root = std::fs::read(repo.root_path(1))?;
    let got = tuf_repo::tough_load(repo.dir(), &root, None)?;
    assert_eq!(got.root, 3);
    Ok(())
}

#[test]
fn fixture_root_below_old_threshold_is_refused_by_tough() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create_with(
        tmp.path().join("repo"),
        RootChange {
            root: Some(keyset(&["r1a", "r1b", "r1c"], 2)),
            ..RootChange::default()
        },
    )?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        signers: Some(names(&["r1a", "r2a", "r2b", "r2c"])),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let root = std::fs::read(repo.root_path(1))?;
    let err = tuf_repo::tough_load(repo.dir(), &root, None)
        .err()
        .ok_or("tough accepted a root signed by 1 of 2 old keys")?;
    assert!(err.to_string().contains("threshold"), "{err}");
    Ok(())
}

#[test]
fn fixture_fast_forward_recovery_works_with_tough_datastore() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let ds = tmp.path().join("datastore");
    std::fs::create_dir_all(&ds)?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish_with(Publish {
        timestamp: Version::Exactly(100),
        snapshot: Version::Exactly(100),
        ..Publish::default()
    })?;
    let root1 = std::fs::read(repo.root_path(1))?;
    let got = tuf_repo::tough_load(repo.dir(), &root1, Some(&ds))?;
    assert_eq!((got.timestamp, got.snapshot), (100, 100));
    repo.rotate_root(RootChange {
        timestamp: Some(keyset(&["timestamp-2"], 1)),
        snapshot: Some(keyset(&["snapshot-2"], 1)),
        ..RootChange::default()
    })?;
    repo.publish_with(Publish {
        timestamp: Version::Exactly(2),
        snapshot: Version::Exactly(2),
        ..Publish::default()
    })?;
    let got = tuf_repo::tough_load(repo.dir(), &root1, Some(&ds))?;
    assert_eq!((got.root, got.timestamp, got.snapshot), (2, 2, 2));
    Ok(())
}

#[test]
fn fixture_delegated_role_loads_with_tough() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(npm_like_delegation());
    repo.publish()?;
    assert!(repo.dir().join("1.registry.example.json").is_file());
    let root = std::fs::read(repo.root_path(1))?;
    let got = tuf_repo::tough_load(repo.dir(), &root, None)?;
    assert_eq!(got.trusted_root, tuf_repo::PRODUCTION_TRUSTED_ROOT);
    Ok(())
}

#[test]
fn fixture_oversized_timestamp_is_refused_by_tough() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    repo.pad_file("timestamp.json", 20 * MIB)?;
    let root = std::fs::read(repo.root_path(1))?;
    assert!(tuf_repo::tough_load(repo.dir(), &root, None).is_err());
    Ok(())
}

#[test]
fn fixture_target_hash_mismatch_is_refused_by_tough() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    repo.replace_target_file(TRUSTED_ROOT_NAME, &flip_one_byte(PRODUCTION_TRUSTED_ROOT))?;
    let root = std::fs::read(repo.root_path(1))?;
    let err = tuf_repo::tough_load(repo.dir(), &root, None)
        .err()
        .ok_or("tough accepted a tampered target")?;
    assert!(err.to_string().to_lowercase().contains("hash"), "{err}");
    Ok(())
}

#[test]
fn fixture_delegated_role_signed_by_a_stranger_is_refused_by_tough() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(Delegation {
        signers: Some(names(&["stranger"])),
        ..npm_like_delegation()
    });
    repo.publish()?;
    let root = std::fs::read(repo.root_path(1))?;
    assert!(tuf_repo::tough_load(repo.dir(), &root, None).is_err());
    Ok(())
}

#[test]
fn fixture_timestamp_rollback_is_refused_by_tough_datastore() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let ds = tmp.path().join("datastore");
    std::fs::create_dir_all(&ds)?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    repo.publish()?;
    let root = std::fs::read(repo.root_path(1))?;
    assert_eq!(
        tuf_repo::tough_load(repo.dir(), &root, Some(&ds))?.timestamp,
        2
    );
    repo.publish_with(Publish {
        timestamp: Version::Reuse(1),
        snapshot: Version::Reuse(1),
        ..Publish::default()
    })?;
    assert!(tuf_repo::tough_load(repo.dir(), &root, Some(&ds)).is_err());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Root rotation (TUF §5.3.4, §5.3.5)

#[test]
fn root_rotation_1_to_2_to_3_with_threshold_changes_is_accepted() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["root"]["version"], 1);

    // 1-of-1 -> 2-of-3, cross-signed by the old key and all new keys.
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        ..RootChange::default()
    })?;
    // 2-of-3 -> 3-of-5 (one ECDSA key), signed by exactly 2 old and exactly 3 new keys.
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r3a", "r3b", "r3c", "r3d", "ecdsa-r3e"], 3)),
        signers: Some(names(&["r2a", "r2c", "r3b", "r3d", "ecdsa-r3e"])),
        ..RootChange::default()
    })?;
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.publish()?;

    airlock.update(repo.dir(), None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["root"]["version"], 3);
    assert_eq!(st["tuf"]["timestamp"]["version"], 2);
    assert_eq!(st["root"]["digest"], sha256_hex(STAGING_TRUSTED_ROOT));
    assert_eq!(st["root"]["tufRootVersion"], 3);
    Ok(())
}

#[test]
fn init_from_an_old_root_walks_the_chain_to_the_newest_root() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        ..RootChange::default()
    })?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r3a", "r3b", "r3c", "r3d", "r3e"], 3)),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["root"]["version"], 3);
    Ok(())
}

#[test]
fn new_root_signed_only_by_new_keys_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = three_key_root_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        signers: Some(names(&["r2a", "r2b", "r2c"])),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "bad-signature", &before)?;
    Ok(())
}

#[test]
fn new_root_signed_by_one_old_key_of_a_two_key_threshold_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = three_key_root_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        signers: Some(names(&["r1a", "r2a", "r2b", "r2c"])),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "bad-signature", &before)?;
    Ok(())
}

#[test]
fn new_root_below_its_own_threshold_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = three_key_root_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        signers: Some(names(&["r1a", "r1b", "r1c", "r2a"])),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "bad-signature", &before)?;
    Ok(())
}

#[test]
fn root_threshold_met_only_by_a_duplicated_signature_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = three_key_root_installed(tmp.path())?;
    let before = airlock.state()?;
    // TUF §5.3.4: when computing the threshold each key counts once; r1a signing twice is one.
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        signers: Some(names(&["r1a", "r1a", "r2a", "r2b", "r2c"])),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "bad-signature", &before)?;
    Ok(())
}

#[test]
fn expired_intermediate_root_does_not_matter() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    // TUF §5.3.6: "the expiration of the new (intermediate) root metadata file does not matter".
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a"], 1)),
        expires: Some(tuf_repo::instant("2020-01-01T00:00:00Z")?),
        ..RootChange::default()
    })?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r3a"], 1)),
        ..RootChange::default()
    })?;
    repo.publish()?;
    airlock.update(repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["root"]["version"], 3);
    Ok(())
}

#[test]
fn medium_from_an_older_root_era_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let old = tmp.path().join("old-copy");
    repo.copy_to(&old)?;
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a", "r2b", "r2c"], 2)),
        timestamp: Some(keyset(&["timestamp-2"], 1)),
        snapshot: Some(keyset(&["snapshot-2"], 1)),
        ..RootChange::default()
    })?;
    repo.publish()?;
    airlock.update(repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    // The old copy only holds `1.root.json`: everything in it predates the trusted root v2.
    let run = airlock.update(&old, None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

#[test]
fn root_version_skip_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    // `2.root.json` holds a validly cross-signed root claiming version 3.
    repo.rotate_root(RootChange {
        version: Some(3),
        file_version: Some(2),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    // The line must not call version 3 "older than" version 1.
    assert!(
        !run.stderr.contains("root version 3, older than version 1"),
        "self-contradictory reason: {}",
        run.stderr
    );
    Ok(())
}

#[test]
fn newer_root_beyond_a_missing_version_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange::default())?;
    repo.rotate_root(RootChange::default())?;
    repo.publish()?;
    // `2.root.json` withheld: tough stops at root 1 while `3.root.json` sits on the medium.
    std::fs::remove_file(repo.root_path(2))?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "incomplete-root-chain", &before)?;
    Ok(())
}

#[test]
fn withheld_intermediate_root_is_named_even_when_it_rotated_the_timestamp_key() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange {
        timestamp: Some(keyset(&["timestamp-2"], 1)),
        ..RootChange::default()
    })?;
    repo.rotate_root(RootChange::default())?;
    repo.publish()?;
    // Without `2.root.json` the new timestamp key is unknown; the actionable reason is still the
    // missing root file, not the timestamp signature.
    std::fs::remove_file(repo.root_path(2))?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "incomplete-root-chain", &before)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Timestamp / snapshot key rotation: fast-forward recovery (TUF §5.3.11)

#[test]
fn key_rotation_recovers_from_fast_forwarded_timestamp_and_snapshot() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    // The timestamp and snapshot keys leak; the attacker pushes both versions to 1000.
    repo.publish_with(Publish {
        timestamp: Version::Exactly(1000),
        snapshot: Version::Exactly(1000),
        ..Publish::default()
    })?;
    airlock.update(repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["timestamp"]["version"], 1000);

    // TUF §5.3.11: "If the timestamp and / or snapshot keys have been rotated, then delete the
    // trusted timestamp and snapshot metadata files." The repository rotates both keys and
    // restarts at low versions; the next update must take them.
    repo.rotate_root(RootChange {
        timestamp: Some(keyset(&["timestamp-2"], 1)),
        snapshot: Some(keyset(&["snapshot-2"], 1)),
        ..RootChange::default()
    })?;
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.publish_with(Publish {
        timestamp: Version::Exactly(3),
        snapshot: Version::Exactly(3),
        ..Publish::default()
    })?;
    airlock.update(repo.dir(), None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["root"]["version"], 2);
    assert_eq!(st["tuf"]["timestamp"]["version"], 3);
    assert_eq!(st["tuf"]["snapshot"]["version"], 3);
    assert_eq!(st["root"]["digest"], sha256_hex(STAGING_TRUSTED_ROOT));
    Ok(())
}

#[test]
fn timestamp_key_rotation_alone_recovers_from_a_fast_forwarded_timestamp() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    // Only the timestamp key leaks: the attacker re-signs the current snapshot under ts v1000.
    repo.publish_with(Publish {
        timestamp: Version::Exactly(1000),
        snapshot: Version::Reuse(1),
        ..Publish::default()
    })?;
    airlock.update(repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["timestamp"]["version"], 1000);
    repo.rotate_root(RootChange {
        timestamp: Some(keyset(&["timestamp-2"], 1)),
        ..RootChange::default()
    })?;
    repo.publish_with(Publish {
        timestamp: Version::Exactly(2),
        ..Publish::default()
    })?;
    airlock.update(repo.dir(), None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["root"]["version"], 2);
    assert_eq!(st["tuf"]["timestamp"]["version"], 2);
    Ok(())
}

#[test]
fn snapshot_key_rotation_alone_recovers_from_a_fast_forwarded_snapshot() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    // The snapshot key leaks; the attacker's snapshot v1000 gets named by the (honest, automated)
    // timestamp v2.
    repo.publish_with(Publish {
        snapshot: Version::Exactly(1000),
        ..Publish::default()
    })?;
    airlock.update(repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["snapshot"]["version"], 1000);
    // TUF §5.3.11: "If the timestamp and / or snapshot keys have been rotated, then delete the
    // trusted timestamp and snapshot metadata files." Only the snapshot key rotates; the trusted
    // timestamp (which names snapshot v1000) must go too, or the recovery never lands.
    repo.rotate_root(RootChange {
        snapshot: Some(keyset(&["snapshot-2"], 1)),
        ..RootChange::default()
    })?;
    repo.publish_with(Publish {
        snapshot: Version::Exactly(4),
        ..Publish::default()
    })?;
    airlock.update(repo.dir(), None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["root"]["version"], 2);
    assert_eq!(st["tuf"]["timestamp"]["version"], 3);
    assert_eq!(st["tuf"]["snapshot"]["version"], 4);
    Ok(())
}

#[test]
fn rollback_after_a_key_rotation_is_still_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    repo.rotate_root(RootChange {
        timestamp: Some(keyset(&["timestamp-2"], 1)),
        snapshot: Some(keyset(&["snapshot-2"], 1)),
        ..RootChange::default()
    })?;
    repo.publish()?; // ts 2, snapshot 2, under the new keys
    let old = tmp.path().join("old-copy");
    repo.copy_to(&old)?;
    repo.publish()?; // ts 3
    airlock.update(repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["timestamp"]["version"], 3);
    // The rotation is behind us: the new keys' own older timestamp is a plain rollback.
    let before = airlock.state()?;
    let run = airlock.update(&old, None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

#[test]
fn fast_forwarded_timestamp_without_key_rotation_blocks_lower_versions() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    repo.publish_with(Publish {
        timestamp: Version::Exactly(1000),
        snapshot: Version::Exactly(1000),
        ..Publish::default()
    })?;
    airlock.update(repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    // Same keys, lower versions: without a rotation this is a rollback (§5.4.3).
    repo.publish_with(Publish {
        timestamp: Version::Exactly(3),
        snapshot: Version::Exactly(3),
        ..Publish::default()
    })?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Delegated targets role

#[test]
fn delegated_targets_role_is_verified_and_top_level_trusted_root_is_used() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(npm_like_delegation());
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    repo.publish()?;
    airlock.update(repo.dir(), None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["targets"]["version"], 2);
    assert_eq!(st["root"]["digest"], sha256_hex(PRODUCTION_TRUSTED_ROOT));
    Ok(())
}

#[test]
fn delegated_role_cannot_shadow_the_top_level_trusted_root() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    let mut d = npm_like_delegation();
    d.paths = vec!["*".into()];
    d.terminating = false;
    d.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.delegation = Some(d);
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    // TUF §5.6.7: pre-order search starts at the top-level targets, which list trusted_root.json.
    assert_eq!(
        airlock.status()?["root"]["digest"],
        sha256_hex(PRODUCTION_TRUSTED_ROOT)
    );
    Ok(())
}

#[test]
fn delegated_role_signed_by_an_unlisted_key_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(npm_like_delegation());
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    repo.delegation = Some(Delegation {
        signers: Some(names(&["stranger"])),
        ..npm_like_delegation()
    });
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "bad-signature", &before)?;
    Ok(())
}

#[test]
fn delegated_role_rollback_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(npm_like_delegation());
    repo.publish()?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    // TUF §5.5.5: a delegated role's version in the new snapshot must not go down.
    repo.publish_with(Publish {
        delegated: Version::Reuse(1),
        ..Publish::default()
    })?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

/// Only the top-level roles' expiry used to be judged: an expired delegated targets role slipped
/// through (tough's own expiry check is off, since airlock judges time itself).
#[test]
fn expired_delegated_targets_role_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(npm_like_delegation());
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    repo.delegated_expires = tuf_repo::instant("2025-01-01T00:00:00Z")?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "expired", &before)?;
    if !run.stderr.contains("delegated targets role") {
        return Err(format!("does not name the delegated role: {}", run.stderr).into());
    }
    Ok(())
}

#[test]
fn delegated_role_dropped_from_the_snapshot_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(npm_like_delegation());
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    // TUF §5.5.5: "any targets metadata filename that was listed in the trusted snapshot metadata
    // file, if any, MUST continue to be listed in the new snapshot metadata file."
    repo.delegation = None;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Endless data (TUF §1.5.2): metadata over the size limits

#[test]
fn endless_timestamp_of_20_mib_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.publish()?;
    repo.pad_file("timestamp.json", 20 * MIB)?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

#[test]
fn timestamp_one_byte_over_the_cap_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.publish()?;
    repo.pad_file(
        "timestamp.json",
        cap(airlock::limits::MAX_TUF_TIMESTAMP_BYTES)? + 1,
    )?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

#[test]
fn endless_root_of_20_mib_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange::default())?;
    repo.publish()?;
    repo.pad_file("2.root.json", 20 * MIB)?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

#[test]
fn root_one_byte_over_the_cap_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange::default())?;
    repo.publish()?;
    repo.pad_file("2.root.json", cap(airlock::limits::MAX_TUF_ROOT_BYTES)? + 1)?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

#[test]
fn endless_snapshot_without_signed_length_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    // As Sigstore's timestamp does today: the snapshot is named by version only.
    repo.meta_lengths = false;
    repo.meta_hashes = false;
    let p = repo.publish()?;
    repo.pad_file(&format!("{}.snapshot.json", p.snapshot), 20 * MIB)?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

#[test]
fn snapshot_over_the_cap_without_signed_length_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.meta_lengths = false;
    repo.meta_hashes = false;
    let p = repo.publish()?;
    repo.pad_file(
        &format!("{}.snapshot.json", p.snapshot),
        cap(airlock::limits::MAX_TUF_SNAPSHOT_BYTES)? + 1,
    )?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

#[test]
fn endless_targets_metadata_without_signed_length_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.meta_lengths = false;
    repo.meta_hashes = false;
    let p = repo.publish()?;
    repo.pad_file(&format!("{}.targets.json", p.targets), 20 * MIB)?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

#[test]
fn signed_trusted_root_target_over_the_cap_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    // Validly signed, hash-correct, still valid JSON, only too big.
    let mut big = PRODUCTION_TRUSTED_ROOT.to_vec();
    big.resize(cap(airlock::limits::MAX_TRUSTED_ROOT_BYTES)? + 1, b' ');
    repo.targets.insert(TRUSTED_ROOT_NAME.into(), big);
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "too-large", &before)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The operator's USB folder

#[test]
fn usb_folder_with_unrelated_files_and_the_repository_in_a_subfolder_works() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let usb = tmp.path().join("usb");
    let mut repo = TufRepo::create(usb.join("sigstore-tuf"))?;
    repo.publish()?;
    tuf_repo::write_unrelated_usb_files(&usb)?;
    // tuf-on-ci publishes an index.html beside the metadata.
    repo.write_file("index.html", b"<html>Sigstore TUF</html>\n")?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), &usb, None)?.ok()?;
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.publish()?;
    airlock.update(&usb, None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["timestamp"]["version"], 2);
    assert_eq!(st["root"]["digest"], sha256_hex(STAGING_TRUSTED_ROOT));
    // The repository folder itself works too.
    repo.publish()?;
    airlock.update(repo.dir(), None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["timestamp"]["version"], 3);
    Ok(())
}

#[test]
fn usb_folder_with_a_large_unrelated_file_works() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let usb = tmp.path().join("usb");
    let mut repo = TufRepo::create(usb.join("sigstore-tuf"))?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), &usb, None)?.ok()?;
    std::fs::create_dir_all(usb.join("videos"))?;
    std::fs::write(usb.join("videos/safety-training.mp4"), vec![0u8; 20 * MIB])?;
    std::fs::write(usb.join("inventory.json"), vec![b' '; 20 * MIB])?;
    repo.publish()?;
    airlock.update(&usb, None)?.ok()?;
    assert_eq!(airlock.status()?["tuf"]["timestamp"]["version"], 2);
    Ok(())
}

#[test]
fn repository_as_tar_gz_on_the_usb_works() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.publish()?;
    let usb = tmp.path().join("usb");
    tuf_repo::write_unrelated_usb_files(&usb)?;
    let tarball = usb.join("sigstore-tuf.tar.gz");
    tuf_repo::write_tar_gz(repo.dir(), "sigstore-tuf", &tarball)?;
    airlock.update(&tarball, None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["timestamp"]["version"], 2);
    assert_eq!(st["root"]["digest"], sha256_hex(STAGING_TRUSTED_ROOT));
    Ok(())
}

#[test]
fn usb_folder_without_a_repository_is_unusable_input() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (_repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    let usb = tmp.path().join("usb");
    tuf_repo::write_unrelated_usb_files(&usb)?;
    let run = airlock.update(&usb, None)?;
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("[not-a-tuf-repository]"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert_eq!(airlock.state()?, before);
    Ok(())
}

#[test]
fn usb_folder_with_two_repositories_is_ambiguous() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    let usb = tmp.path().join("usb");
    repo.copy_to(&usb.join("tuf-monday"))?;
    repo.publish()?;
    repo.copy_to(&usb.join("tuf-tuesday"))?;
    let run = airlock.update(&usb, None)?;
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("[ambiguous-repository]"),
        "{}",
        run.stderr
    );
    assert_eq!(airlock.state()?, before);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Freeze (TUF §5.4.4 and friends)

#[test]
fn expired_timestamp_is_refused_at_the_clock_and_accepted_with_at_inside_validity() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.timestamp_expires = tuf_repo::instant("2025-01-01T00:00:00Z")?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock
        .init(&repo.root_path(1), repo.dir(), Some("2024-12-01T00:00:00Z"))?
        .ok()?;
    let before = airlock.state()?;
    repo.publish()?;

    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "expired", &before)?;
    let run = airlock.update(repo.dir(), Some("2025-01-01T00:00:00Z"))?;
    airlock.assert_refused(&run, "expired", &before)?;

    airlock
        .update(repo.dir(), Some("2024-12-15T00:00:00Z"))?
        .ok()?;
    let st = airlock.status()?;
    assert_eq!(st["tuf"]["timestamp"]["version"], 2);
    assert_eq!(st["root"]["atOverride"], "2024-12-15T00:00:00Z");
    assert_eq!(st["root"]["stale"], true);
    Ok(())
}

#[test]
fn expired_root_is_refused_at_the_clock() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.rotate_root(RootChange {
        expires: Some(tuf_repo::instant("2025-01-01T00:00:00Z")?),
        ..RootChange::default()
    })?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "expired", &before)?;
    Ok(())
}

#[test]
fn expired_targets_is_refused_at_the_clock() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.targets_expires = tuf_repo::instant("2025-01-01T00:00:00Z")?;
    repo.publish()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "expired", &before)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rollback (TUF §5.4.3, §5.5.5)

#[test]
fn timestamp_rollback_is_refused_after_a_newer_update() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    let old = tmp.path().join("old-copy");
    repo.copy_to(&old)?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    let run = airlock.update(&old, None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

#[test]
fn snapshot_rollback_is_refused_after_a_newer_update() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    // A new timestamp (v3) naming the old snapshot v1.
    repo.publish_with(Publish {
        snapshot: Version::Reuse(1),
        ..Publish::default()
    })?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

#[test]
fn targets_rollback_is_refused_after_a_newer_update() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;
    // A new timestamp and snapshot (v3) naming the old targets v1.
    repo.publish_with(Publish {
        targets: Version::Reuse(1),
        ..Publish::default()
    })?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

#[test]
fn same_state_offered_again_changes_nothing() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    let run = airlock.update(repo.dir(), None)?;
    run.ok()?;
    assert_eq!(airlock.state()?, before);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Mix-and-match and tampered targets (TUF §5.5.4, §5.7.3)

#[test]
fn mix_and_match_snapshot_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.meta_lengths = false;
    repo.meta_hashes = false;
    let p = repo.publish()?;
    // The timestamp names snapshot v2; the file holds the validly signed snapshot v1.
    std::fs::copy(
        repo.dir().join("1.snapshot.json"),
        repo.dir().join(format!("{}.snapshot.json", p.snapshot)),
    )?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "mix-and-match", &before)?;
    Ok(())
}

#[test]
fn target_hash_mismatch_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.publish()?;
    repo.replace_target_file(TRUSTED_ROOT_NAME, &flip_one_byte(STAGING_TRUSTED_ROOT))?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "target-hash-mismatch", &before)?;
    Ok(())
}

#[test]
fn trusted_root_swapped_for_another_real_one_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.publish()?;
    // The file the signed hash names now holds the (shorter) production root.
    repo.replace_target_file(TRUSTED_ROOT_NAME, PRODUCTION_TRUSTED_ROOT)?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "target-hash-mismatch", &before)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers

const MIB: usize = 1024 * 1024;

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| (*s).to_string()).collect()
}

fn flip_one_byte(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if let Some(b) = out.get_mut(bytes.len() / 2) {
        *b ^= 0x01;
    }
    out
}

fn npm_like_delegation() -> Delegation {
    let mut targets = std::collections::BTreeMap::new();
    targets.insert(
        "registry-keys.json".to_string(),
        br#"{"keys": []}"#.to_vec(),
    );
    Delegation {
        name: "registry.example".to_string(),
        keys: keyset(&["delegated-1"], 1),
        paths: vec!["registry-*.json".to_string()],
        terminating: true,
        targets,
        signers: None,
    }
}

/// Runs the real binary against one data dir.
struct Airlock {
    data_dir: PathBuf,
}

/// What one run printed and returned.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Requires exit 0.
    fn ok(&self) -> TestResult {
        if self.code == 0 {
            Ok(())
        } else {
            Err(format!(
                "expected exit 0, got {}\nstderr: {}\nstdout: {}",
                self.code, self.stderr, self.stdout
            )
            .into())
        }
    }
}

impl Airlock {
    fn new(tmp: &Path) -> Self {
        Airlock {
            data_dir: tmp.join("airlock-data"),
        }
    }

    fn run(&self, args: &[&OsStr]) -> Result<Run, tuf_repo::Error> {
        let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
            .env_remove("AIRLOCK_DATA_DIR")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .output()?;
        Ok(Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn init(&self, root: &Path, from: &Path, at: Option<&str>) -> Result<Run, tuf_repo::Error> {
        let mut args: Vec<&OsStr> = vec![
            "trust".as_ref(),
            "init".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
            "--from".as_ref(),
            from.as_os_str(),
        ];
        if let Some(at) = at {
            args.push("--at".as_ref());
            args.push(at.as_ref());
        }
        self.run(&args)
    }

    fn update(&self, from: &Path, at: Option<&str>) -> Result<Run, tuf_repo::Error> {
        let mut args: Vec<&OsStr> = vec!["trust".as_ref(), "update".as_ref(), "--from".as_ref()];
        args.push(from.as_os_str());
        if let Some(at) = at {
            args.push("--at".as_ref());
            args.push(at.as_ref());
        }
        self.run(&args)
    }

    fn json(&self, cmd: &str) -> Result<Value, tuf_repo::Error> {
        let run = self.run(&["trust".as_ref(), cmd.as_ref(), "--json".as_ref()])?;
        run.ok()?;
        Ok(serde_json::from_str(&run.stdout)?)
    }

    /// `trust status --json`.
    fn status(&self) -> Result<Value, tuf_repo::Error> {
        self.json("status")
    }

    /// What a refusal must leave alone: generation, trust root digest and TUF role versions.
    fn state(&self) -> Result<Value, tuf_repo::Error> {
        let st = self.status()?;
        Ok(json!({
            "generation": st["generation"],
            "digest": st["root"]["digest"],
            "tuf_root_version": st["root"]["tufRootVersion"],
            "tuf": st["tuf"],
        }))
    }

    /// Exit 1, one line on stderr naming `code`, the trust root in force unchanged, and the
    /// refusal recorded in the history with the same code.
    fn assert_refused(&self, run: &Run, code: &str, before: &Value) -> TestResult {
        assert_eq!(
            run.code, 1,
            "expected a refusal (exit 1) [{code}]\nstderr: {}\nstdout: {}",
            run.stderr, run.stdout
        );
        let line = run.stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "not one line: {line}");
        assert!(
            line.contains(&format!("[{code}]")),
            "expected reason [{code}] in: {line}"
        );
        assert_eq!(
            &self.state()?,
            before,
            "a refusal changed the trust root in force"
        );
        let history = self.json("history")?;
        let last = history["entries"]
            .as_array()
            .and_then(|e| e.last())
            .ok_or("empty history after a refusal")?;
        assert_eq!(last["outcome"], "refused", "history: {last}");
        assert_eq!(last["code"], code, "history: {last}");
        Ok(())
    }
}

/// A default repository (1-of-1 keys) published once and installed with `trust init`.
fn default_repo_installed(tmp: &Path) -> Result<(TufRepo, Airlock), tuf_repo::Error> {
    let mut repo = TufRepo::create(tmp.join("repo"))?;
    repo.publish()?;
    let airlock = Airlock::new(tmp);
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    Ok((repo, airlock))
}

/// A repository whose root v1 is 2-of-3 (`r1a`, `r1b`, `r1c`), installed with `trust init`.
fn three_key_root_installed(tmp: &Path) -> Result<(TufRepo, Airlock), tuf_repo::Error> {
    let mut repo = TufRepo::create_with(
        tmp.join("repo"),
        RootChange {
            root: Some(keyset(&["r1a", "r1b", "r1c"], 2)),
            ..RootChange::default()
        },
    )?;
    repo.publish()?;
    let airlock = Airlock::new(tmp);
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    Ok((repo, airlock))
}

fn cap(limit: u64) -> Result<usize, tuf_repo::Error> {
    Ok(usize::try_from(limit)?)
}

// ---------------------------------------------------------------------------------------------
// The client workflow to the letter (TUF §5): what a failed update keeps, an equal timestamp,
// hash algorithms, delegations that list targets outside their paths

/// Re-signs `file` of the repository after `edit` changed its `signed` part, with the keys called
/// `signers` (the snapshot must not pin its hash: `meta_hashes`/`meta_lengths` off).
fn resign(
    repo: &TufRepo,
    file: &str,
    signers: &[&str],
    edit: impl FnOnce(&mut Value),
) -> TestResult {
    let path = repo.dir().join(file);
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    edit(&mut doc["signed"]);
    let mut canonical = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut canonical,
        olpc_cjson::CanonicalFormatter::new(),
    );
    serde::Serialize::serialize(&doc["signed"], &mut ser)?;
    let mut sigs = Vec::new();
    for s in signers {
        let k = repo.key(s)?;
        sigs.push(json!({"keyid": k.id_hex(), "sig": hex::encode(k.sign(&canonical)?)}));
    }
    doc["signatures"] = Value::Array(sigs);
    std::fs::write(&path, serde_json::to_vec_pretty(&doc)?)?;
    Ok(())
}

#[test]
fn an_update_failing_at_the_snapshot_keeps_the_verified_root_and_timestamp_so_an_older_stick_is_a_rollback(
) -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.publish()?;
    let older_stick = tmp.path().join("older-stick");
    repo.copy_to(&older_stick)?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    let before = airlock.state()?;

    // Root 2 and timestamp 2 verify; the snapshot they name is missing.
    repo.rotate_root(RootChange {
        root: Some(keyset(&["r2a"], 1)),
        ..RootChange::default()
    })?;
    let p = repo.publish()?;
    std::fs::remove_file(repo.dir().join(format!("{}.snapshot.json", p.snapshot)))?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "repository-incomplete", &before)?;
    assert!(
        run.stderr
            .contains("kept from it as verified TUF state: root v2, timestamp v2"),
        "{}",
        run.stderr
    );
    let history = airlock.json("history")?;
    let last = history["entries"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["kept"], "root v2, timestamp v2", "{last}");

    // TUF §5.4.3.1: the kept timestamp bounds the next update: the older stick is a rollback.
    let run = airlock.update(&older_stick, None)?;
    airlock.assert_refused(&run, "rollback", &before)?;
    Ok(())
}

#[test]
fn a_timestamp_re_signed_with_the_same_version_is_not_adopted() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = default_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    let ts: Value = serde_json::from_slice(&std::fs::read(repo.dir().join("timestamp.json"))?)?;
    let version = ts["signed"]["version"]
        .as_u64()
        .ok_or("no timestamp version")?;
    // The same version, other content: a new expiry and a snapshot this stick does not carry.
    repo.timestamp_expires = tuf_repo::instant("2099-01-01T00:00:00Z")?;
    let p = repo.publish_with(Publish {
        timestamp: Version::Exactly(version),
        ..Publish::default()
    })?;
    std::fs::remove_file(repo.dir().join(format!("{}.snapshot.json", p.snapshot)))?;
    // TUF §5.4.3 (python-tuf, go-tuf): the trusted timestamp stays; nothing changes.
    let run = airlock.update(repo.dir(), None)?;
    run.ok()?;
    assert_eq!(airlock.state()?, before);
    Ok(())
}

/// A repository whose snapshot and timestamp pin no hash or length of the files they name (so a
/// test may re-sign targets metadata in place), installed.
fn unpinned_repo_installed(tmp: &Path) -> Result<(TufRepo, Airlock), tuf_repo::Error> {
    let mut repo = TufRepo::create(tmp.join("repo"))?;
    repo.meta_hashes = false;
    repo.meta_lengths = false;
    repo.publish()?;
    let airlock = Airlock::new(tmp);
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    Ok((repo, airlock))
}

#[test]
fn an_unrelated_target_listed_with_sha512_only_does_not_stop_the_refresh() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = unpinned_repo_installed(tmp.path())?;
    repo.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    let p = repo.publish()?;
    let other = b"another target";
    let sha512 = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, other));
    resign(
        &repo,
        &format!("{}.targets.json", p.targets),
        &["targets-1"],
        |signed| {
            signed["targets"]["other.bin"] =
                json!({"length": other.len(), "hashes": {"sha512": sha512}});
        },
    )?;
    airlock.update(repo.dir(), None)?.ok()?;
    assert_eq!(
        airlock.status()?["root"]["digest"],
        sha256_hex(STAGING_TRUSTED_ROOT)
    );
    Ok(())
}

#[test]
fn the_trusted_root_listed_with_sha512_only_is_checked_by_sha512() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut repo, airlock) = unpinned_repo_installed(tmp.path())?;
    let before = airlock.state()?;
    let p = repo.publish()?;
    let sha512 = |b: &[u8]| hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, b));
    // Listed by SHA-512 alone, the file named by that hash: accepted...
    let good = sha512(PRODUCTION_TRUSTED_ROOT);
    repo.write_file(
        &format!("targets/{good}.{TRUSTED_ROOT_NAME}"),
        PRODUCTION_TRUSTED_ROOT,
    )?;
    resign(
        &repo,
        &format!("{}.targets.json", p.targets),
        &["targets-1"],
        |signed| {
            signed["targets"][TRUSTED_ROOT_NAME]["hashes"] = json!({"sha512": good});
        },
    )?;
    airlock.update(repo.dir(), None)?.ok()?;
    // ...and one whose SHA-512 does not match is refused.
    let p = repo.publish()?;
    let wrong = sha512(b"something else");
    repo.write_file(
        &format!("targets/{wrong}.{TRUSTED_ROOT_NAME}"),
        PRODUCTION_TRUSTED_ROOT,
    )?;
    resign(
        &repo,
        &format!("{}.targets.json", p.targets),
        &["targets-1"],
        |signed| {
            signed["targets"][TRUSTED_ROOT_NAME]["hashes"] = json!({"sha512": wrong});
        },
    )?;
    let mid = airlock.state()?;
    let run = airlock.update(repo.dir(), None)?;
    airlock.assert_refused(&run, "target-hash-mismatch", &mid)?;
    assert_eq!(mid["digest"], before["digest"]);
    Ok(())
}

#[test]
fn a_delegated_role_listing_a_target_outside_its_paths_does_not_stop_the_refresh() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let mut repo = TufRepo::create(tmp.path().join("repo"))?;
    repo.delegation = Some(npm_like_delegation());
    repo.publish()?;
    let airlock = Airlock::new(tmp.path());
    airlock.init(&repo.root_path(1), repo.dir(), None)?.ok()?;
    // The delegated role (paths `registry-*.json`) also lists `outside.json` and a
    // `trusted_root.json` of its own: it vouches for neither.
    let mut d = npm_like_delegation();
    d.targets.insert("outside.json".into(), b"{}".to_vec());
    d.targets
        .insert(TRUSTED_ROOT_NAME.into(), STAGING_TRUSTED_ROOT.to_vec());
    repo.delegation = Some(d);
    repo.publish()?;
    airlock.update(repo.dir(), None)?.ok()?;
    let st = airlock.status()?;
    assert_eq!(st["root"]["digest"], sha256_hex(PRODUCTION_TRUSTED_ROOT));
    assert_eq!(st["tuf"]["targets"]["version"], 2);
    Ok(())
}
